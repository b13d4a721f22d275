"""One-click unsubscribes until the service dies, then a check, address by address.

Usage: kill_check.py PORT PATHS START DATABASE

Sixteen threads post RFC 8058 one-click unsubscribes, each to its own address (lines START
onwards of PATHS, each taken once: no address is asked twice), until the service stops
answering (run.sh kills it with -9 meanwhile). Then every address that was answered 200 is
looked up in the database: each must be unsubscribed. Prints how many were acknowledged and
how many of those are missing, and exits 1 if any is.
"""

import http.client
import sqlite3
import sys
import threading
import urllib.parse

port, paths_file, start, database = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
paths = open(paths_file).read().split("\n")[start:]
paths = [p for p in paths if p]
lock = threading.Lock()
next_index = 0
acknowledged = []
dead = threading.Event()


def worker():
    global next_index
    while not dead.is_set():
        with lock:
            if next_index >= len(paths):
                return
            path = paths[next_index]
            next_index += 1
        try:
            conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
            conn.request(
                "POST",
                path,
                body="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            status = conn.getresponse().status
            conn.close()
        except OSError:
            dead.set()
            return
        if status == 200:
            with lock:
                acknowledged.append(path)


threads = [threading.Thread(target=worker) for _ in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()

db = sqlite3.connect(database)
missing = []
for path in acknowledged:
    query = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    email = query["email"][0].lower()
    row = db.execute(
        "SELECT status FROM subscribers WHERE address_key = ?", (email,)
    ).fetchone()
    if row is None or row[0] != "unsubscribed":
        missing.append(email)
print(f"acknowledged {len(acknowledged)}; missing from the database {len(missing)}")
for email in missing[:10]:
    print(f"  missing: {email}")
sys.exit(1 if missing else 0)
