// The first query of a reader who just opened a page: time from the first key to the first
// results shown, and the bytes search took (search.js, Pagefind's script, WebAssembly, index
// chunks and result fragments), in headless Chromium with an empty cache for every run.
//
// Usage: [PAUSE=ms] node bench/search_first_query.mjs URL WORD RUNS (PAUSE: the box is
// focused that long before the word is typed; the clock starts at the typing)
// Prints one JSON line per run: {"ms": ..., "bytes": ..., "files": ..., "status": "..."}.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../tests/support/node/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const [url, word, runs] = [process.argv[2], process.argv[3], Number(process.argv[4] || 5)];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
for (let run = 0; run < runs; run++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const sizes = [];
  page.on('requestfinished', async (r) => {
    if (!/\/pagefind\/|search\.js$/.test(r.url())) return;
    const s = await r.sizes().catch(() => null);
    sizes.push(s ? s.responseBodySize + s.responseHeadersSize : 0);
  });
  await page.goto(url, { waitUntil: 'load' });
  const pause = Number(process.env.PAUSE || 0);
  const result = await page.evaluate(async ([word, pause]) => {
    const input = document.querySelector('#site-search-q');
    const status = document.querySelector('.site-search [role=status]');
    input.focus();
    await new Promise((done) => setTimeout(done, pause));
    const started = performance.now();
    input.value = word;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((done) => {
      const check = () => (document.querySelector('.search-results li') || status.textContent.startsWith('No '))
        && status.textContent.includes(word) ? done() : setTimeout(check, 2);
      check();
    });
    return { ms: performance.now() - started, status: status.textContent };
  }, [word, pause]);
  await page.waitForTimeout(300); // late fragment fetches still count
  result.bytes = sizes.reduce((a, b) => a + b, 0);
  result.files = sizes.length;
  console.log(JSON.stringify(result));
  await context.close();
}
await browser.close();
