"""Verifies the DKIM signature of each message given, with dkimpy: an implementation briefing
did not write, the one many receiving systems use.

The public key is taken from the command line instead of DNS: `--ed25519-seed B64` (the
signing key's base64 seed, whose public key is derived here with PyNaCl) or `--rsa-public
PEM_FILE`. Prints one line per message, `ok <file>` or `FAIL <file>`, and exits 1 if any
failed.
"""
import argparse
import base64
import sys

import dkim


def main():
    p = argparse.ArgumentParser()
    p.add_argument("messages", nargs="+")
    p.add_argument("--ed25519-seed")
    p.add_argument("--rsa-public")
    args = p.parse_args()
    if args.ed25519_seed:
        import nacl.signing

        seed = base64.b64decode(args.ed25519_seed)
        public = nacl.signing.SigningKey(seed).verify_key.encode()
        record = b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public)
    else:
        pem = open(args.rsa_public).read()
        body = "".join(l for l in pem.splitlines() if "-----" not in l)
        record = b"v=DKIM1; k=rsa; p=" + body.encode()

    def dns(name, timeout=5):
        return record

    failed = False
    for path in args.messages:
        message = open(path, "rb").read()
        ok = dkim.verify(message, dnsfunc=dns)
        print(("ok " if ok else "FAIL ") + path)
        failed |= not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
