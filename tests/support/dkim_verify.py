"""Verifies the DKIM signature of each message given, with dkimpy: an implementation briefing
did not write, the one many receiving systems use.

The public key is taken from the command line instead of DNS: `--ed25519-seed B64` (the
signing key's base64 seed, whose public key is derived here with PyNaCl) or `--rsa-public
PEM_FILE`; or, with `--records ZONE_FILE`, from zone-file lines as `briefing dkim keygen`
prints them (`name. IN TXT ( "..." "..." )`), and then every signature of each message is
verified, and there must be `--signatures N` of them. Prints one line per message (and per
signature), `ok ...` or `FAIL ...`, and exits 1 if any failed.
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
    p.add_argument("--records")
    p.add_argument("--signatures", type=int, default=1)
    args = p.parse_args()
    if args.records:
        return verify_all(args)
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


def verify_all(args):
    import re

    records = {}
    for line in open(args.records):
        if " TXT " not in line:
            continue
        name = line.split()[0].rstrip(".").lower()
        records[name] = "".join(re.findall(r'"([^"]*)"', line)).encode()

    def dns(name, timeout=5):
        return records.get(name.decode().rstrip(".").lower())

    failed = False
    for path in args.messages:
        message = open(path, "rb").read()
        head = message.split(b"\r\n\r\n", 1)[0]
        count = len(re.findall(rb"(?im)^DKIM-Signature:", head))
        if count != args.signatures:
            print(f"FAIL {path}: {count} signatures, expected {args.signatures}")
            failed = True
            continue
        d = dkim.DKIM(message)
        for idx in range(count):
            ok = d.verify(idx=idx, dnsfunc=dns)
            selector = d.signature_fields.get(b"s", b"?").decode()
            algorithm = d.signature_fields.get(b"a", b"?").decode()
            print(("ok " if ok else "FAIL ") + f"{path} signature {idx} s={selector} a={algorithm}")
            failed |= not ok
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
