"""Clicks on each counted link a known number of times, then a check, link by link.

Usage: click_check.py PORT PATHS DATABASE BEFORE_JSON

Link i of PATHS (one request path per line) is clicked i % 5 + 1 times, each from a network
of its own, by eight threads at once. The caller stops the service (which writes its last
counts), then runs this again with --verify: each link's readers count in the database must
have grown by exactly what was clicked (a total could hide one link's loss behind another's
gain). Exits 1 on any difference.
"""

import http.client
import json
import sqlite3
import sys
import threading
import urllib.parse


def key_of(path):
    base, query = path.split("?to=", 1)
    parts = base.split("/")
    return parts[3], urllib.parse.unquote(query)


def counts(database):
    rows = sqlite3.connect(database).execute("SELECT story, url, readers FROM clicks")
    return {f"{story}\t{url}": readers for story, url, readers in rows}


def click(port, paths):
    jobs = [(i, path, n) for i, path in enumerate(paths) for n in range(i % 5 + 1)]
    lock = threading.Lock()
    failures = []

    def worker(w):
        while True:
            with lock:
                if not jobs:
                    return
                i, path, n = jobs.pop()
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("GET", path, headers={
                "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0",
                "X-Forwarded-For": f"172.{16 + w}.{i}.{n}",
            })
            status = conn.getresponse().status
            conn.close()
            if status != 302:
                failures.append((path, status))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failures


if __name__ == "__main__":
    if sys.argv[1] == "--verify":
        paths_file, database, before_file = sys.argv[2], sys.argv[3], sys.argv[4]
        paths = [p for p in open(paths_file).read().split("\n") if p]
        before = json.load(open(before_file))
        after = counts(database)
        expected = {}
        for i, path in enumerate(paths):
            story, url = key_of(path)
            key = f"{story}\t{url}"
            expected[key] = expected.get(key, 0) + i % 5 + 1
        wrong = [(k, before.get(k, 0) + v, after.get(k, 0)) for k, v in expected.items()
                 if after.get(k, 0) - before.get(k, 0) != v]
        print(f"{len(expected)} links checked one by one, {len(wrong)} wrong")
        for k, want, got in wrong:
            print(f"  {k}: expected {want}, found {got}")
        sys.exit(1 if wrong else 0)
    port, paths_file, database, before_file = sys.argv[1:5]
    json.dump(counts(database), open(before_file, "w"))
    paths = [p for p in open(paths_file).read().split("\n") if p]
    failures = click(int(port), paths)
    print(f"clicked {sum(i % 5 + 1 for i in range(len(paths)))} times, {len(failures)} not redirected")
    sys.exit(1 if failures else 0)
