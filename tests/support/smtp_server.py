"""A real SMTP server (aiosmtpd) for briefing's sending tests.

Stores every accepted message as maildir/<n>.eml, and can be told to answer some
recipients with a temporary 451 (a number of times, then accept) or a permanent 550,
to require AUTH with a given login, to slow down DATA, and to hold the reply to the first
message after storing it (a sender killed then leaves that message in doubt). Prints its port, then serves
until stdin closes or it is killed. Binds 127.0.0.1 only.
"""
import argparse
import asyncio
import os
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler:
    def __init__(self, args):
        self.maildir = args.maildir
        self.temporary = {a.lower() for a in args.temporary}
        self.temporary_times = args.temporary_times
        self.permanent = {a.lower() for a in args.permanent}
        self.delay = args.delay
        self.stall_after = args.stall_after
        self.hold_first_reply = args.hold_first_reply
        self.attempts = {}
        self.bounce_after_data = {a.lower() for a in args.bounce_after_data}
        self.bounce_maildir = args.bounce_maildir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        address = address.lower()
        with self.lock:
            self.attempts[address] = self.attempts.get(address, 0) + 1
            tries = self.attempts[address]
            with open(os.path.join(self.maildir, "attempts.log"), "a") as log:
                log.write(address + "\n")
        if address in self.permanent:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address in self.temporary and tries <= self.temporary_times:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.stall_after is not None:
            # Hold the message, unaccepted, while the test's flag file exists: the test can
            # then kill the sender at a moment when no accepted message is unconfirmed.
            flag = os.path.join(self.maildir, "stall")
            with self.lock:
                full = self.count >= self.stall_after
            if full and os.path.exists(flag):
                with open(os.path.join(self.maildir, "stalled.log"), "a") as log:
                    log.write("held\n")
                while os.path.exists(flag):
                    await asyncio.sleep(0.02)
                return "451 4.3.0 held by the test"
        with self.lock:
            self.count += 1
            n = self.count
        path = os.path.join(self.maildir, "%06d.eml" % n)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        with open(os.path.join(self.maildir, "mailfrom.log"), "a") as log:
            log.write("%s %s\n" % (envelope.mail_from, " ".join(envelope.rcpt_tos)))
        # A relay accepts the message, then finds it cannot deliver it: it mails a delivery
        # status notification (RFC 3464) to the envelope sender, here into a Maildir.
        for rcpt in envelope.rcpt_tos:
            if rcpt in self.bounce_after_data and self.bounce_maildir:
                self.write_dsn(envelope.mail_from, rcpt, n)
        if n == 1 and self.hold_first_reply:
            await asyncio.sleep(self.hold_first_reply)
        return "250 2.0.0 accepted as %d" % n


    def write_dsn(self, sender, rcpt, n):
        import email.utils
        boundary = "dsn-%d-%s" % (n, rcpt.replace("@", "."))
        text = (
            "From: MAILER-DAEMON@relay.example.net (Mail Delivery System)\r\n"
            "To: %(sender)s\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\n"
            "Date: %(date)s\r\n"
            "Message-ID: <dsn.%(n)d.%(tag)s@relay.example.net>\r\n"
            "Auto-Submitted: auto-replied\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"%(b)s\"\r\n"
            "\r\n--%(b)s\r\nContent-Type: text/plain\r\n\r\n<%(rcpt)s>: mailbox unavailable\r\n"
            "\r\n--%(b)s\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; relay.example.net\r\n\r\n"
            "Final-Recipient: rfc822; %(rcpt)s\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <%(rcpt)s>: mailbox unavailable\r\n"
            "\r\n--%(b)s--\r\n"
        ) % dict(sender=sender, date=email.utils.formatdate(), n=n, tag=rcpt.replace("@", "."),
                 b=boundary, rcpt=rcpt)
        new = os.path.join(self.bounce_maildir, "new")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.bounce_maildir, sub), exist_ok=True)
        name = "%d.%d.relay" % (int(time.time()), n)
        tmp = os.path.join(self.bounce_maildir, "tmp", name)
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, os.path.join(new, name))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--maildir", required=True)
    p.add_argument("--temporary", action="append", default=[])
    p.add_argument("--temporary-times", type=int, default=2)
    p.add_argument("--permanent", action="append", default=[])
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--stall-after", type=int, default=None)
    p.add_argument("--hold-first-reply", type=float, default=0.0)
    p.add_argument("--bounce-after-data", action="append", default=[],
                   help="accept mail for this recipient, then bounce it with a DSN")
    p.add_argument("--bounce-maildir", default=None, help="where the DSNs go (a Maildir)")
    p.add_argument("--login", default=None, help="user:password required for AUTH")
    p.add_argument("--no-smtputf8", action="store_true",
                   help="do not offer SMTPUTF8 (RFC 6531), as many relays do not")
    args = p.parse_args()
    os.makedirs(args.maildir, exist_ok=True)

    kwargs = {}
    if args.login:
        user, password = args.login.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=ok)

        kwargs = dict(authenticator=authenticator, auth_require_tls=False, auth_required=True)

    if args.no_smtputf8:
        kwargs["enable_SMTPUTF8"] = False
    port = free_port()
    controller = Controller(Handler(args), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
