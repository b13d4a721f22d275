#!/usr/bin/env python3
"""Times `briefing serve` from a save to the reload event, as an editor sees it.

    bench/serve_latency.py BRIEFING_BINARY CORPUS_DIR [EDITS] [KIND]

Starts `serve --port 0` on the corpus, listens to /__briefing/events, then EDITS times
(default 15) makes one edit of KIND (written in place, as most editors save) and measures the
time from the write to the next event:

- `title` (the default): toggles " (revised)" on the first card's title;
- `summary`: toggles a word at the start of the first card's summary;
- `tags`: toggles a tag no other card has in the first card's tag list;
- `template`: writes `templates/partials/footer.html` (the built-in one and a numbered
  comment), which every page includes;
- `style`: writes `templates/style.css` (the built-in one and a numbered comment), which
  every rebuild renders and no other template includes;
- `newweek`: writes a copy of the newest card dated a week later, a new issue (as a curator
  starts the next week's briefing), then removes it, in turn;
- `config`: toggles a word at the end of `config.yaml`'s tagline, which every page shows.

`CARD=last` edits the newest issue's last card instead of the first card. `PAUSE=2` waits
two seconds between edits instead of 0.3.

The event stream names the edited card's issue page as the page it reloads, as a browser
showing that page does (`/__briefing/events?page=...`): a rebuild renders what makes it
first. `VIEW=none` names no page (no browser open); `VIEW=/tags/robotics/` names that page
instead (and it is the page fetched after a template edit).

After each event it fetches a page and checks that it shows what was just written (the
issue page; the new tag's page, or its absence): a fast event for a stale page would not
count. Prints the median and the slowest in milliseconds, from the save to the event and
from the save to that page's answer (a page still rendering is answered when it is done).
"""
import urllib.parse
import datetime
import glob
import html
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import time

binary, corpus = sys.argv[1], sys.argv[2]
edits = int(sys.argv[3]) if len(sys.argv) > 3 else 15
kind = sys.argv[4] if len(sys.argv) > 4 else "title"
# The first card (the oldest issue: an edit that moves a story renders every later issue) or,
# with CARD=last, the newest issue's last card (where a curator writes this week's stories).
card = sorted(glob.glob(f"{corpus}/briefs/*/card-*.yaml"))[-1 if os.environ.get("CARD") == "last" else 0]
week = card.split("/")[-2].lower()
footer = os.path.join(os.path.dirname(__file__), "..", "templates", "partials", "footer.html")
override = f"{corpus}/templates/partials/footer.html"
original = open(card).read()
config_original = open(f"{corpus}/config.yaml").read()
# The `newweek` card: the newest card, a week later, in a folder of its own.
newest = sorted(glob.glob(f"{corpus}/briefs/*/card-*.yaml"))[-1]
newest_date = re.search(r"^date: *(\d{4}-\d{2}-\d{2})", open(newest).read(), re.M).group(1)
next_date = datetime.date.fromisoformat(newest_date) + datetime.timedelta(days=7)
next_year, next_week, _ = next_date.isocalendar()
next_card = f"{corpus}/briefs/{next_year}-W{next_week:02}/card-bench-next.yaml"
next_title = "Bench next week lead"
next_text = re.sub(r"^title: .*$", f'title: "{next_title}"', open(newest).read(), count=1, flags=re.M)
next_text = re.sub(r"^date: .*$", f"date: {next_date}", next_text, count=1, flags=re.M)
next_path = f"/issues/{next_year}-w{next_week:02}/"
server = subprocess.Popen([binary, "-C", corpus, "serve", "--port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    return response.status, html.unescape(response.read().decode())


def edit(n):
    """Makes edit number `n`; returns (path to fetch, check of its status and text)."""
    text = open(card).read()
    if kind == "title":
        title = re.compile(r"^title: *(['\"]?)(.*?)\1$", re.M)
        old = title.search(text).group(2)
        new = old[:-len(" (revised)")] if old.endswith(" (revised)") else old + " (revised)"
        text = title.sub(lambda m: f"title: {m.group(1)}{new}{m.group(1)}", text, count=1)
        check = lambda status, page: new in page and (new.endswith(" (revised)") or old not in page)
        path = f"/issues/{week}/"
    elif kind == "summary":
        first = re.compile(r"^(summary: *>\n  )(Revised )?", re.M)
        adding = first.search(text).group(2) is None
        text = first.sub(lambda m: m.group(1) + ("Revised " if adding else ""), text, count=1)
        check = lambda status, page: ("Revised " in page) == adding
        path = f"/issues/{week}/"
    elif kind == "tags":
        tags = re.compile(r"^tags: *\[(.*)\]$", re.M)
        items = [t.strip() for t in tags.search(text).group(1).split(",") if t.strip()]
        adding = '"Benchwork"' not in items
        items = items + ['"Benchwork"'] if adding else [t for t in items if t != '"Benchwork"']
        text = tags.sub(lambda m: f"tags: [{', '.join(items)}]", text, count=1)
        check = lambda status, page: (status == 200) == adding
        path = "/tags/benchwork/"
    elif kind == "style":
        builtin = os.path.join(os.path.dirname(__file__), "..", "templates", "style.css")
        os.makedirs(f"{corpus}/templates", exist_ok=True)
        marker = f"/* bench revision {n} */"
        started = time.perf_counter()
        with open(f"{corpus}/templates/style.css", "w") as f:
            f.write(open(builtin).read() + marker + "\n")
        return started, "/style.css", lambda status, page: marker in page
    elif kind == "template":
        os.makedirs(os.path.dirname(override), exist_ok=True)
        marker = f"<!-- bench revision {n} -->"
        started = time.perf_counter()
        with open(override, "w") as f:
            f.write(open(footer).read() + marker + "\n")
        shown = os.environ.get("VIEW", "none")
        return started, shown if shown.startswith("/") else f"/issues/{week}/", lambda status, page: marker in page
    elif kind == "newweek":
        started = time.perf_counter()
        if os.path.exists(next_card):
            os.remove(next_card)
            return started, next_path, lambda status, page: status == 404
        os.makedirs(os.path.dirname(next_card), exist_ok=True)
        with open(next_card, "w") as f:
            f.write(next_text)
        return started, next_path, lambda status, page: status == 200 and next_title in page
    elif kind == "config":
        tagline = re.compile(r"^(tagline: *)(.*?)( Revised)?$", re.M)
        adding = n % 2 == 0
        text = tagline.sub(lambda m: m.group(1) + m.group(2) + (" Revised" if adding else ""), config_original, count=1)
        started = time.perf_counter()
        with open(f"{corpus}/config.yaml", "w") as f:
            f.write(text)
        shown = os.environ.get("VIEW", "none")
        return started, shown if shown.startswith("/") else f"/issues/{week}/", lambda status, page: ("Revised" in page) == adding
    else:
        sys.exit(f"unknown edit kind {kind}: title, summary, tags, template, style, newweek or config")
    started = time.perf_counter()
    with open(card, "w") as f:
        f.write(text)
    return started, path, check


try:
    first = server.stdout.readline()
    port = int(re.search(r"127\.0\.0\.1:(\d+)", first).group(1))
    events = socket.create_connection(("127.0.0.1", port))
    view = os.environ.get("VIEW", f"/issues/{week}/")
    viewed = "" if view == "none" else "?page=" + urllib.parse.quote(view, safe="")
    events.sendall(f"GET /__briefing/events{viewed} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    events.settimeout(60)
    buffered = b""

    def next_event():
        # The stream's keep-alive comments arrive even when no event does: a deadline, so
        # that a save that is never announced fails the run instead of hanging it.
        global buffered
        deadline = time.perf_counter() + 60
        while b"data:" not in buffered or b"\n\n" not in buffered.split(b"data:", 1)[1]:
            if time.perf_counter() > deadline:
                sys.exit(f"{kind}: no reload event within 60 s of the save")
            buffered += events.recv(65536)
        before, after = buffered.split(b"data:", 1)
        data, buffered = after.split(b"\n\n", 1)
        return data.strip().decode()

    next_event()  # the current version
    times, shown = [], []
    for n in range(edits):
        started, path, check = edit(n)
        next_event()
        times.append((time.perf_counter() - started) * 1000)
        status, page = get(port, path)
        shown.append((time.perf_counter() - started) * 1000)
        if not check(status, page):
            sys.exit(f"{kind} edit {n}: {path} does not show what was just written")
        # Let the file system settle between edits; PAUSE (seconds) spaces them further, so
        # that what a build renders after its event (the issues whose lists alone changed)
        # is done before the next save, as between a curator's saves.
        time.sleep(float(os.environ.get("PAUSE", "0.3")))
    print(f"save to reload event, {edits} {kind} edits: median {statistics.median(times):.0f} ms, "
          f"slowest {max(times):.0f} ms; to {path} answered: median {statistics.median(shown):.0f} ms, "
          f"slowest {max(shown):.0f} ms")
finally:
    server.kill()
    # The corpus is shared by the benchmarks: leave it as generated.
    with open(card, "w") as f:
        f.write(original)
    with open(f"{corpus}/config.yaml", "w") as f:
        f.write(config_original)
    if os.path.exists(next_card):
        os.remove(next_card)
    if os.path.isdir(os.path.dirname(next_card)):
        os.rmdir(os.path.dirname(next_card))
    # And without the overrides the template edits wrote.
    for written in {"style": [f"{corpus}/templates/style.css"], "template": [override]}.get(kind, []):
        if os.path.exists(written):
            os.remove(written)
    if os.path.exists(override):
        os.remove(override)
