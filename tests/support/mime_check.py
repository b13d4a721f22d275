"""Parses each message given with Python's standard `email` package (policy `default`, as a
modern mail client's library reads mail): an implementation briefing did not write. A message
passes when the parser records no defect on it or any of its parts, every text part decodes
in its declared charset, and it has a plain-text and an HTML alternative. Prints `ok FILE` or
`FAIL FILE: why` per message, and exits 1 if any failed.
"""
import email
import email.policy
import sys


def check(path):
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    problems = []
    kinds = set()
    for part in message.walk():
        for defect in part.defects:
            problems.append(f"{part.get_content_type()}: {type(defect).__name__}: {defect}")
        if part.get_content_maintype() == "text":
            kinds.add(part.get_content_type())
            try:
                part.get_content()
            except Exception as e:  # a charset or transfer encoding that does not decode
                problems.append(f"{part.get_content_type()} does not decode: {e}")
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        if message[header] is None:
            problems.append(f"no {header} header")
        else:
            for defect in getattr(message[header], "defects", ()):
                problems.append(f"{header}: {type(defect).__name__}: {defect}")
    if kinds != {"text/plain", "text/html"}:
        problems.append(f"parts {sorted(kinds)}, not a plain-text and an HTML alternative")
    return problems


def main():
    failed = False
    for path in sys.argv[1:]:
        problems = check(path)
        if problems:
            failed = True
            print(f"FAIL {path}: " + "; ".join(problems))
        else:
            print(f"ok {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
