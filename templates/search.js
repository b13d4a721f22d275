// Archive search for every page's search box and the search page, on Pagefind's index
// (`pagefind/`, built by `briefing build`). Results are ranked by Pagefind's relevance:
// a story that says the words more, and in fewer words, comes first.
const form = document.querySelector("form[data-search-root]");
const root = new URL(form ? form.dataset.searchRoot : "./", location.href);
let engine = null;

// Pagefind's API, loaded on first use; `null` where the index was not built (a preview of
// one issue), which the status line says.
async function pagefind() {
  if (!engine) {
    engine = import(new URL("pagefind/pagefind.js", root).href)
      .then(async (pf) => {
        // In the page itself, not a worker: one script fewer to download (43 KB), and a
        // search of a few chunks does not hold the page up.
        await pf.options({ useWorker: false });
        await pf.init();
        return pf;
      })
      .catch(() => null);
  }
  return engine;
}

// Text from Pagefind's excerpt, with its <mark> kept as elements and nothing else read as
// markup: each piece is decoded as text only (a textarea's content is never parsed as tags).
function excerpt(html) {
  const out = document.createDocumentFragment();
  const decode = document.createElement("textarea");
  html.split(/(<mark>|<\/mark>)/).reduce((marked, piece) => {
    if (piece === "<mark>") return true;
    if (piece === "</mark>") return false;
    decode.innerHTML = piece;
    const text = document.createTextNode(decode.value);
    if (marked) {
      const mark = document.createElement("mark");
      mark.append(text);
      out.append(mark);
    } else {
      out.append(text);
    }
    return marked;
  }, false);
  return out;
}

function result(data) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  // Pagefind gives the page's path from the host's root, the site's folder included.
  link.href = new URL(data.url, location.href).href;
  const title = document.createElement("span");
  title.className = "result-title";
  title.textContent = data.meta.title;
  const meta = document.createElement("span");
  meta.className = "result-meta";
  meta.textContent = [
    `Issue ${data.meta.issue}`,
    data.meta.date_display,
    data.meta.section,
    data.meta.draft ? "Draft" : null,
  ].filter(Boolean).join(" · ");
  const text = document.createElement("span");
  text.className = "result-excerpt";
  text.append(excerpt(data.excerpt));
  link.append(title, meta, text);
  item.append(link);
  return item;
}

function say(status, count, term) {
  status.textContent = term === ""
    ? ""
    : count === 0
      ? `No results for “${term}”.`
      : `${count} result${count === 1 ? "" : "s"} for “${term}”.`;
}

// Runs the search for `term` and shows `first` results in `list`; the newest call wins.
let latest = 0;
async function search(term, list, status, first) {
  const call = ++latest;
  term = term.trim();
  if (term === "") {
    list.replaceChildren();
    say(status, 0, "");
    return null;
  }
  const pf = await pagefind();
  if (!pf) {
    list.replaceChildren();
    status.textContent = "Search is not built here: `briefing build` builds the whole site's index.";
    return null;
  }
  const found = await pf.search(term);
  if (call !== latest || !found) return null;
  let shown = await Promise.all(found.results.slice(0, first).map((r) => r.data()));
  if (call !== latest) return null;
  // A word the index lacks is searched by Pagefind as its longest prefix the index has
  // ("xylophone" as "x"): then the best result marks no word like any the reader typed, and
  // the honest answer is none.
  let results = found.results;
  if (shown.length > 0 && !marksTyped(shown[0].excerpt, term)) {
    shown = [];
    results = [];
  }
  list.replaceChildren(...shown.map(result));
  say(status, results.length, term);
  return results;
}

// Whether a word marked in `excerpt` begins like a word of `term`: the same first three
// letters (all of a shorter word), so stems ("robots" for "robotics") count.
function marksTyped(excerpt, term) {
  const marked = [...excerpt.matchAll(/<mark>(.*?)<\/mark>/g)].map((m) => m[1].toLowerCase());
  if (marked.length === 0) return true;
  const typed = term.toLowerCase().split(/\s+/).filter(Boolean);
  return typed.some((word) => marked.some((mark) => {
    let same = 0;
    while (same < word.length && same < mark.length && word[same] === mark[same]) same++;
    return same >= Math.min(3, word.length);
  }));
}

// Arrow keys move between the input and the result links; Escape goes back to the input.
function arrows(input, list, close) {
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      const first = list.querySelector("a");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === "Escape") {
      close();
    }
  });
  list.addEventListener("keydown", (event) => {
    const links = [...list.querySelectorAll("a")];
    const at = links.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" && at + 1 < links.length) {
      event.preventDefault();
      links[at + 1].focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      (at > 0 ? links[at - 1] : input).focus();
    } else if (event.key === "Escape") {
      input.focus();
      close();
    }
  });
}

// The header's box: results under it as the reader types.
if (form) {
  const input = form.querySelector("input[type=search]");
  const panel = form.querySelector(".search-results");
  const list = panel.querySelector("ol");
  const status = form.querySelector("[role=status]");
  const close = () => { panel.hidden = true; };
  input.addEventListener("input", async () => {
    const results = await search(input.value, list, status, 8);
    panel.hidden = !results;
  });
  input.addEventListener("focus", () => { pagefind(); });
  arrows(input, list, close);
  document.addEventListener("click", (event) => {
    if (!form.contains(event.target)) close();
  });
  // "/" anywhere but in a field goes to the search box.
  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest("input, textarea, select, [contenteditable]");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      input.focus();
      input.select();
    }
  });
}

// The search page: every result of `?q=`, twenty at a time.
const page = document.querySelector("form.search-page");
if (page) {
  const input = page.querySelector("input[type=search]");
  const list = document.querySelector(".search-results-page");
  const status = document.querySelector(".search-status");
  const more = document.querySelector(".search-more");
  let shown = 20;
  const run = async () => {
    const results = await search(input.value, list, status, shown);
    more.hidden = !results || results.length <= shown;
  };
  input.value = new URLSearchParams(location.search).get("q") || "";
  page.addEventListener("submit", (event) => {
    event.preventDefault();
    history.replaceState(null, "", `?q=${encodeURIComponent(input.value)}`);
    shown = 20;
    run();
  });
  input.addEventListener("input", () => { shown = 20; run(); });
  more.addEventListener("click", () => { shown += 20; run(); });
  arrows(input, list, () => {});
  if (input.value) run();
}
