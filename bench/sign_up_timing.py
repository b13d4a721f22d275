"""How long `POST /subscribe` takes to answer, by the state of the address.

Usage: sign_up_timing.py PORT N

Four groups of N addresses, prepared by run.sh: `new…` (never seen), `pending…` (signed up,
not confirmed), `active…` and `gone…` (unsubscribed). Each address is signed up once, in a
shuffled order (so that the work the service does after one answer, for a new or returning
address, falls on the next requests of every group alike), each request from its own client
address (X-Forwarded-For, which the service believes from loopback). Prints the median and
90th percentile per group, in ms.
"""

import http.client
import random
import statistics
import sys
import time

port, n = int(sys.argv[1]), int(sys.argv[2])
groups = {"new": [], "pending": [], "active": [], "gone": []}
client = 0
order = [(group, i) for i in range(n) for group in groups]
random.Random(20261203).shuffle(order)
for group, i in order:
    times = groups[group]
    if True:
        body = f"email={group}{i}%40example.org"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.perf_counter()
        conn.request(
            "POST",
            "/subscribe",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": f"10.{client >> 16 & 255}.{client >> 8 & 255}.{client & 255}",
            },
        )
        client += 1
        status = conn.getresponse().status
        times.append((time.perf_counter() - started) * 1000)
        conn.close()
        if status != 200:
            sys.exit(f"{group}{i}: {status}")
for group, times in groups.items():
    times.sort()
    p90 = times[int(len(times) * 0.9)]
    print(f"{group:8} median {statistics.median(times):.2f} ms, p90 {p90:.2f} ms ({len(times)})")
