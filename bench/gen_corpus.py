#!/usr/bin/env python3
"""Deterministic corpus generator for briefing benchmarks.

    bench/gen_corpus.py --cards 10000 --out /tmp/corpus-10k [--seed 7]
    bench/gen_corpus.py --subscribers 100000 --out /tmp/subs.csv

Cards: every field filled, Markdown with emphasis and links, 2-4 tags out of 30,
about 20 cards per ISO week, starting 2016-01-04. Subscribers: an N-row CSV
(email,name,status) with a few unsubscribed rows. Same seed, same bytes.
"""
import argparse
import datetime
import os
import random

WORDS = ("signal model lab compute chip funding talent open weights inference training "
         "cloud platform agent market revenue policy export research release benchmark "
         "startup investor developer enterprise capacity latency robotics data team").split()
TAGS = ["AI labs", "Compute", "Chips", "Funding", "Talent", "Open weights", "Policy", "China",
        "Robotics", "Cloud", "Agents", "Enterprise", "Startups", "Research", "Benchmarks",
        "Inference", "Training", "Data", "Security", "Regulation", "Europe", "US", "Japan",
        "Korea", "India", "Semiconductors", "Energy", "Devices", "Consumer AI", "Developer tools"]
SECTIONS = ["Models", "Capital", "People", "Chips", "Products", "Policy"]


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    i = rng.randrange(len(words))
    words[i] = "**%s**" % words[i]
    if rng.random() < 0.4:
        j = rng.randrange(len(words))
        words[j] = "[%s](https://example.org/%s/%d)" % (words[j], words[j], rng.randrange(10**6))
    return " ".join(words).capitalize() + "."


def quoted(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def card(rng, i, date):
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 10))).capitalize() + " %d" % i
    lines = [
        "title: %s" % quoted(title),
        "date: %s" % date.isoformat(),
        "section: %s" % rng.choice(SECTIONS),
        "tags: [%s]" % ", ".join(quoted(t) for t in rng.sample(TAGS, rng.randint(2, 4))),
        "order: %d" % rng.randint(1, 30),
        "summary: >",
        "  " + " ".join(sentence(rng, rng.randint(8, 14)) for _ in range(3)),
        "tldr:",
    ]
    lines += ["  - %s" % quoted(sentence(rng, rng.randint(8, 14))) for _ in range(rng.randint(3, 5))]
    lines += ["why_it_matters: >", "  " + " ".join(sentence(rng, 12) for _ in range(3))]
    lines += ["business_relevance: >", "  " + " ".join(sentence(rng, 12) for _ in range(2))]
    lines += ["implications:"] + ["  - %s" % quoted(sentence(rng, 12)) for _ in range(3)]
    lines += ["what_to_watch:"] + ["  - %s" % quoted(sentence(rng, 10)) for _ in range(3)]
    lines += ["sources:"]
    for k in range(rng.randint(1, 3)):
        lines += ["  - title: %s" % quoted("Source %d on %s" % (k, rng.choice(WORDS))),
                  "    url: https://news.example.com/%d/%d" % (i, k),
                  "    date: %s" % date.isoformat()]
    lines += ["confidence: %s" % rng.choice(["low", "medium", "high"])]
    return "\n".join(lines) + "\n"


def cards(n, out, seed):
    rng = random.Random(seed)
    os.makedirs(os.path.join(out, "briefs"), exist_ok=True)
    with open(os.path.join(out, "config.yaml"), "w") as f:
        f.write("title: Bench Briefing\ntagline: Weekly signal. No noise.\n"
                "base_url: https://bench.example.org/\nfrom: Bench <bench@example.org>\n"
                "unsubscribe_url: https://bench.example.org/u?token={token}\n")
    start = datetime.date(2016, 1, 4)
    for i in range(n):
        date = start + datetime.timedelta(days=(i * 7) // 20)
        iso = date.isocalendar()
        folder = os.path.join(out, "briefs", "%d-W%02d" % (iso[0], iso[1]))
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "card-%05d.yaml" % i), "w") as f:
            f.write(card(rng, i, date))


def subscribers(n, out, seed):
    rng = random.Random(seed)
    with open(out, "w") as f:
        f.write("email,name,status\n")
        for i in range(n):
            status = "unsubscribed" if rng.random() < 0.02 else ""
            f.write("reader%07d@example.com,Reader %d,%s\n" % (i, i, status))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cards", type=int)
    p.add_argument("--subscribers", type=int)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=7)
    a = p.parse_args()
    if a.cards:
        cards(a.cards, a.out, a.seed)
    if a.subscribers:
        subscribers(a.subscribers, a.out, a.seed)


if __name__ == "__main__":
    main()
