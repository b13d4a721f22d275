#!/usr/bin/env python3
"""Turns a briefing corpus into the same content as a Hugo site, for the benchmark.

    bench/to_hugo.py CORPUS_DIR HUGO_SITE_DIR

Each card becomes content/stories/<slug>.md with its fields as front matter; the layouts in
bench/hugo print every section, so Hugo renders the same material per story, plus issue
(ISO week) list pages, tag pages, RSS and a sitemap.
"""
import os
import re
import shutil
import sys

import yaml  # PyYAML, installed by bench/run.sh


def main(corpus, site):
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.exists(site):
        shutil.rmtree(site)
    shutil.copytree(os.path.join(here, "hugo"), site)
    content = os.path.join(site, "content", "stories")
    os.makedirs(content)
    for folder, _, files in os.walk(os.path.join(corpus, "briefs")):
        for name in files:
            if not name.endswith(".yaml") or name == "issue.yaml":
                continue
            with open(os.path.join(folder, name)) as f:
                card = yaml.safe_load(f)
            date = str(card["date"])
            week = os.path.basename(folder).lower()
            front = {
                "title": card["title"],
                "date": date,
                "tags": card.get("tags", []),
                "weeks": [week],
                "params": {k: card[k] for k in card if k not in ("title", "date", "tags")},
            }
            front["params"]["date"] = date
            slug = re.sub(r"[^a-z0-9]+", "-", name[:-5].lower())
            with open(os.path.join(content, slug + ".md"), "w") as f:
                f.write("---\n" + yaml.safe_dump(front, allow_unicode=True, default_flow_style=False) + "---\n")
                f.write(card["summary"] + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
