"""A seeded Mailchimp audience export of N readers as the bench imports it: the subscribed file
(N rows, names with accents, opt-in times and IPs, quoted fields, a few with a line break in
NOTES), and the unsubscribed file (every 50th reader, who left later). Also writes what each
address must be after importing both files, one `address<TAB>status` line each, so the
benchmark checks every address, not totals.

    bench/gen_export.py --rows 100000 --out /tmp/export
"""
import argparse
import csv
import os
import random

FIRST = ["Ann", "Bob", "Zoë", "José", "Mia", "Noah", "Aiko", "Lars", "Émile", "Priya"]
LAST = ["Lee", "Builder", "Müller", "O'Neil", "Nakamura", "García", "Kowalski", "Ngata"]
COMMON = ["MEMBER_RATING", "OPTIN_TIME", "OPTIN_IP", "CONFIRM_TIME", "CONFIRM_IP", "LATITUDE",
          "LONGITUDE", "GMTOFF", "DSTOFF", "TIMEZONE", "CC", "REGION"]
TAIL = ["LEID", "EUID", "NOTES", "TAGS"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    head = ["Email Address", "First Name", "Last Name"] + COMMON
    with open(f"{args.out}/subscribed.csv", "w", newline="", encoding="utf-8") as sub, \
         open(f"{args.out}/unsubscribed.csv", "w", newline="", encoding="utf-8") as unsub, \
         open(f"{args.out}/expected.tsv", "w", encoding="utf-8") as expected:
        subscribed = csv.writer(sub)
        unsubscribed = csv.writer(unsub)
        subscribed.writerow(head + ["LAST_CHANGED"] + TAIL)
        unsubscribed.writerow(head + ["UNSUB_TIME", "UNSUB_CAMPAIGN_TITLE", "UNSUB_CAMPAIGN_ID",
                                      "UNSUB_REASON", "UNSUB_REASON_OTHER"] + TAIL)
        for i in range(args.rows):
            email = f"reader{i}@example.org"
            day = 1 + rng.randrange(28)
            optin = f"2024-{1 + rng.randrange(12):02d}-{day:02d} 10:{rng.randrange(60):02d}:00"
            ip = f"203.0.113.{rng.randrange(256)}"
            common = [email, rng.choice(FIRST), rng.choice(LAST), rng.randrange(1, 6), optin, ip,
                      optin, ip, "", "", "", "", "", "", ""]
            notes = "met at the fair\nasked for the weekly" if i % 997 == 0 else ""
            tail = [i, f"e{i:x}", notes, '"weekly"' if i % 3 == 0 else ""]
            subscribed.writerow(common + [optin] + tail)
            left = i % 50 == 49
            if left:
                unsubscribed.writerow(common + ["2025-06-01 09:00:00", "Issue 12", "abc123",
                                                "I no longer want to receive these emails", ""]
                                      + tail)
            expected.write(f"{email}\t{'unsubscribed' if left else 'active'}\n")


if __name__ == "__main__":
    main()
