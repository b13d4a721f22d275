// Drives headless Chromium (Debian's, through playwright-core) for the tests.
//
// Usage: node browse.mjs '<json>' where the JSON is
//   { "url": "...", "width": 1100, "height": 1800, "color_scheme": "light" | "dark",
//     "steps": [ {"fill": "css", "value": "text"}, {"click": "css"},
//                {"shot": "/path.png"}, {"axe": true}, {"eval": "js expression"},
//                {"write": "/file", "content": "...", "timeout": 15000},
//                {"type": "text"} (keys typed into the focused element), {"press": "Key",
//                "navigates": true}, {"wait": "css"} (until it is visible) ] }
// (`write` changes a file, then waits for the page to reload by itself.)
// Prints one JSON line: the last document's status, URL and first <h1>, every console
// error, failed request and 4xx/5xx response seen on the way, and axe-core's violations
// when asked, and what each `eval` step's expression gave (`evals`, in order), and every
// request the page made with the bytes it took (`requests`: url, bytes on the wire).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const spec = JSON.parse(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { problems: [], requests: [] };
try {
  const page = await browser.newPage({
    viewport: { width: spec.width || 1100, height: spec.height || 1800 },
    colorScheme: spec.color_scheme || 'light',
  });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') result.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => result.problems.push(`script error: ${e.message}`));
  // Set while a `write` step waits for the page to reload itself.
  let reloading = false;
  page.on('requestfailed', (r) => {
    const aborted = r.failure()?.errorText === 'net::ERR_ABORTED';
    // Leaving a page ends its live-reload stream (`briefing serve`): not a failure.
    if (new URL(r.url()).pathname === '/__briefing/events' && aborted) return;
    // Nor is a request the old page still had open when it reloaded (the favicon, which
    // Chromium asks for after the load event).
    if (reloading && aborted && r.frame() === page.mainFrame()) return;
    result.problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !(spec.expect_status && r.url() === page.url())) {
      result.problems.push(`${r.status()}: ${r.url()}`);
    }
  });
  page.on('requestfinished', async (r) => {
    const sizes = await r.sizes().catch(() => null);
    result.requests.push({ url: r.url(), bytes: sizes ? sizes.responseBodySize + sizes.responseHeadersSize : 0 });
  });
  let response = await page.goto(spec.url);
  for (const step of spec.steps || []) {
    if (step.fill) await page.fill(step.fill, step.value);
    if (step.type) await page.keyboard.type(step.type, { delay: 20 });
    if (step.wait) await page.waitForSelector(step.wait, { state: 'visible', timeout: step.timeout || 15000 });
    if (step.press) {
      if (step.navigates) {
        [response] = await Promise.all([page.waitForNavigation(), page.keyboard.press(step.press)]);
      } else {
        await page.keyboard.press(step.press);
      }
    }
    if (step.click) {
      [response] = await Promise.all([page.waitForNavigation(), page.click(step.click)]);
    }
    if (step.write) {
      // Change a file while the page is open, and wait for the page to reload by itself.
      const reloaded = page.waitForEvent('load', { timeout: step.timeout || 15000 });
      reloading = true;
      writeFileSync(step.write, step.content);
      await reloaded;
      reloading = false;
      result.reloaded = true;
    }
    if (step.eval) {
      result.evals = result.evals || [];
      result.evals.push(await page.evaluate(step.eval));
    }
    if (step.shot) await page.screenshot({ path: step.shot, fullPage: step.full !== false });
    if (step.axe) {
      await page.addScriptTag({ content: readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') });
      const found = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map((n) => n.html.slice(0, 200)) }));
      });
      result.axe = found;
    }
  }
  result.status = response ? response.status() : 0;
  result.url = page.url();
  const h1 = await page.$('h1');
  result.h1 = h1 ? (await h1.textContent()).trim() : null;
  result.text = (await page.textContent('body')).replace(/\s+/g, ' ').trim().slice(0, 4000);
} catch (e) {
  result.problems.push(`driver: ${e.message}`);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
