#!/usr/bin/env python3
"""Times `briefing serve` from a card's save to the reload event, as an editor sees it.

    bench/serve_latency.py BRIEFING_BINARY CORPUS_DIR [EDITS]

Starts `serve --port 0` on the corpus, listens to /__briefing/events, then EDITS times
(default 15) toggles " (revised)" on the first card's title (written in place, as most
editors save) and measures the time from the write to the next event. After each event it
fetches the story's page and checks that it shows the title just written: a fast event for a
stale page would not count. Prints the median and the slowest in milliseconds.
"""
import glob
import html
import http.client
import re
import socket
import statistics
import subprocess
import sys
import time

binary, corpus = sys.argv[1], sys.argv[2]
edits = int(sys.argv[3]) if len(sys.argv) > 3 else 15
card = sorted(glob.glob(f"{corpus}/briefs/*/*.yaml"))[0]
server = subprocess.Popen([binary, "-C", corpus, "serve", "--port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
try:
    first = server.stdout.readline()
    port = int(re.search(r"127\.0\.0\.1:(\d+)", first).group(1))
    events = socket.create_connection(("127.0.0.1", port))
    events.sendall(f"GET /__briefing/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
    events.settimeout(30)
    buffered = b""

    def next_event():
        global buffered
        while b"data:" not in buffered or b"\n\n" not in buffered.split(b"data:", 1)[1]:
            buffered += events.recv(65536)
        before, after = buffered.split(b"data:", 1)
        data, buffered = after.split(b"\n\n", 1)
        return data.strip().decode()

    next_event()  # the current version
    title = re.compile(r"^title: *(['\"]?)(.*?)\1$", re.M)
    times = []
    for _ in range(edits):
        text = open(card).read()
        old = title.search(text).group(2)
        new = old[:-len(" (revised)")] if old.endswith(" (revised)") else old + " (revised)"
        text = title.sub(lambda m: f"title: {m.group(1)}{new}{m.group(1)}", text, count=1)
        started = time.perf_counter()
        with open(card, "w") as f:
            f.write(text)
        next_event()
        times.append((time.perf_counter() - started) * 1000)
        # The card's issue page must show what was written.
        week = card.split("/")[-2].lower()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/issues/{week}/")
        page = html.unescape(conn.getresponse().read().decode())
        if new not in page or (not new.endswith(" (revised)") and old in page):
            sys.exit(f"edit {len(times)}: the page does not show the title just written: {new}")
        time.sleep(0.3)  # let the file system settle between edits
    print(f"save to reload event, {edits} edits: median {statistics.median(times):.0f} ms, "
          f"slowest {max(times):.0f} ms")
finally:
    server.kill()
