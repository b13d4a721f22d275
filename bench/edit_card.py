#!/usr/bin/env python3
"""Edits one story's title in place, for the rebuild-after-an-edit benchmark.

    bench/edit_card.py FILE...

Each FILE (a briefing card or the Hugo content file made from it) gets " (revised)" added
to its title, or removed if it is there, so every run changes the story.
"""
import re
import sys

TITLE = re.compile(r"^(title: *)(['\"]?)(.*?)(\2)$", re.M)


def toggle(match):
    key, quote, value = match.group(1), match.group(2), match.group(3)
    value = value[: -len(" (revised)")] if value.endswith(" (revised)") else value + " (revised)"
    return f"{key}{quote}{value}{quote}"


for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    text, found = TITLE.subn(toggle, text, count=1)
    if not found:
        sys.exit(f"{path}: no title line")
    with open(path, "w") as f:
        f.write(text)
