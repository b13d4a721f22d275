//! `briefing bounces ingest`: the fixture corpus (`tests/fixtures/bounces/`), each report
//! delivered to its reader's VERP address (made here with an HMAC of our own), one case at a
//! time and all at once; soft bounces counted by when they were ingested; mbox and Maildir
//! input; overlapping runs; a CSV list rewritten; and a send through a real SMTP server whose
//! relay bounces some recipients into a Maildir. What counts as proof, and the forgeries
//! that must change nobody, are in [`proof`]; Mailman's corpus in [`corpus`].

mod corpus;
mod proof;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use hmac::Mac as _;

use crate::project::{Project, Run};
use crate::support::mail::{outbox_messages, smtp_server};

const SECRET: (&str, &str) = (
    "BRIEFING_UNSUBSCRIBE_SECRET",
    "0123456789abcdef0123456789abcdef",
);
const LIST_ID: &str = "news.example.org";
/// The week of the sample's latest issue, as VERP addresses write it.
const WEEK: &str = "2026w25";
const PEOPLE: [&str; 11] = [
    "ann", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "kate",
];

/// Each fixture that reports one reader, that reader, and the status and event detail it
/// gives when it arrives at the reader's VERP address.
const REPORTS: [(&str, &str, &str, &str); 10] = [
    (
        "rfc3464-hard.eml",
        "ann@example.org",
        "bounced",
        "5.0.0: 550 Host unknown",
    ),
    (
        "postfix-hard.eml",
        "bob@example.org",
        "bounced",
        "5.1.1: 550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table",
    ),
    (
        "exim-hard.eml",
        "carol@example.org",
        "bounced",
        "5.0.0: 550 5.1.1 No such user",
    ),
    (
        "exchange-hard.eml",
        "dave@example.org",
        "bounced",
        "5.1.10: 550 5.1.10 RESOLVER.ADR.RecipientNotFound",
    ),
    (
        "gmail-hard.eml",
        "erin@example.org",
        "bounced",
        "5.1.1: 550-5.1.1 The email account that you tried to reach does not exist.",
    ),
    ("postfix-delayed.eml", "frank@example.org", "active", ""),
    (
        "arf-message.eml",
        "grace@example.org",
        "complained",
        "abuse",
    ),
    (
        "arf-headers.eml",
        "heidi@example.org",
        "complained",
        "abuse",
    ),
    (
        "latin1.eml",
        "ivan@example.org",
        "bounced",
        "5.1.1: 550 5.1.1 Empf",
    ),
    ("case.eml", "judy@example.org", "bounced", "5.1.1"),
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bounces")
        .join(name)
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

/// `raw` with every `from` replaced by `to`; `from` must be there.
#[track_caller]
fn swap(raw: &[u8], from: &str, to: &str) -> Vec<u8> {
    let (from, to) = (from.as_bytes(), to.as_bytes());
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    let mut found = false;
    while at < raw.len() {
        if raw[at..].starts_with(from) {
            out.extend_from_slice(to);
            at += from.len();
            found = true;
        } else {
            out.push(raw[at]);
            at += 1;
        }
    }
    assert!(
        found,
        "`{}` is not in the message",
        String::from_utf8_lossy(from)
    );
    out
}

/// The sample newsletter with a bounce mailbox, and everyone in [`PEOPLE`] active in the
/// store.
fn list_project(extra_audience: &str) -> Project {
    let project = Project::sample();
    project.reconfigure(
        &["audience"],
        &format!(
            "audience:\n  description: For testers.\n  bounce_address: bounces@news.example.org\n\
             {extra_audience}list_id: {LIST_ID}\n"
        ),
    );
    let csv: String = std::iter::once("email,name\n".to_owned())
        .chain(PEOPLE.iter().map(|p| format!("{p}@example.org,\n")))
        .collect();
    project.write("people.csv", csv);
    let run = run(
        &project,
        &["subscribers", "import", &path(&project, "people.csv")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    project
}

fn path(project: &Project, rel: &str) -> String {
    project.path(rel).display().to_string()
}

fn run(project: &Project, args: &[&str]) -> Run {
    project.run_with(args, &[SECRET])
}

#[track_caller]
fn ingest(project: &Project, inputs: &[&str]) -> Run {
    let args: Vec<&str> = ["bounces", "ingest"]
        .iter()
        .copied()
        .chain(inputs.iter().copied())
        .collect();
    let run = run(project, &args);
    assert_eq!(run.code, 0, "{run:?}");
    run
}

/// The summary line an ingest printed.
#[track_caller]
fn summary(run: &Run) -> &str {
    run.stdout
        .lines()
        .find(|l| l.starts_with("read ") || l.starts_with("dry run: read "))
        .unwrap_or_else(|| panic!("no summary in {run:?}"))
}

/// The summary line of an ingest that read `counts`: messages, hard, soft, complaints,
/// unverified, not a report, ingested before, unreadable.
fn counts(c: [usize; 8]) -> String {
    let s = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "read {} message{}: {} hard bounce{}, {} soft, {} complaint{}, {} unverified (no valid \
         VERP address and no original message of ours), {} not a report, {} ingested before, \
         {} unreadable",
        c[0],
        s(c[0]),
        c[1],
        s(c[1]),
        c[2],
        c[3],
        s(c[3]),
        c[4],
        c[5],
        c[6],
        c[7]
    )
}

fn db(project: &Project) -> rusqlite::Connection {
    rusqlite::Connection::open(project.path(".briefing/audience.sqlite3")).unwrap()
}

fn status(project: &Project, email: &str) -> String {
    db(project)
        .query_row(
            "SELECT status FROM subscribers WHERE address_key = lower(?1)",
            [email],
            |r| r.get(0),
        )
        .unwrap()
}

/// The last event of `email`: status, source, detail.
fn last_event(project: &Project, email: &str) -> (String, String, String) {
    db(project)
        .query_row(
            "SELECT e.status, e.source, coalesce(e.detail, '') FROM events e
             JOIN subscribers s ON s.id = e.subscriber_id
             WHERE s.address_key = lower(?1) ORDER BY e.id DESC LIMIT 1",
            [email],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

fn statuses(project: &Project) -> Vec<(String, String)> {
    let db = db(project);
    let mut statement = db
        .prepare("SELECT email, status FROM subscribers ORDER BY id")
        .unwrap();
    statement
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count(project: &Project, sql: &str) -> usize {
    db(project).query_row(sql, [], |r| r.get(0)).unwrap()
}

fn hmac_hex(parts: &[&str], bytes: usize) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.1.as_bytes()).unwrap();
    mac.update(parts.join("\n").as_bytes());
    mac.finalize().into_bytes()[..bytes]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The VERP token `send` puts in the return path of `email`'s copy of `week`.
fn verp(email: &str, week: &str) -> String {
    let tag = hmac_hex(&["verp", email, LIST_ID], 10);
    let check = hmac_hex(&["verp-check", week, &tag], 4);
    format!("{week}.{tag}.{check}")
}

/// `email`'s unsubscribe token.
fn unsubscribe_token(email: &str) -> String {
    hmac_hex(&[email, LIST_ID], 32)
}

/// `raw` as the receiving server stores it when it arrives at `email`'s VERP address: with
/// a `Delivered-To` line on top.
fn at_verp(email: &str, raw: &[u8]) -> Vec<u8> {
    let mut delivered = format!(
        "Delivered-To: bounces+{}@news.example.org\n",
        verp(email, WEEK)
    )
    .into_bytes();
    delivered.extend_from_slice(raw);
    delivered
}

/// What `send` gave one reader's copy: its Message-ID and `List-Unsubscribe`.
struct Sent {
    message_id: String,
    list_unsubscribe: String,
}

/// Sends the latest issue to an outbox (`sent/`) and reads each copy with mail-parser.
fn send_to_outbox(project: &Project) -> HashMap<String, Sent> {
    let sent = run(
        project,
        &[
            "send",
            "--yes",
            "--latest",
            "--outbox",
            &path(project, "sent"),
        ],
    );
    assert_eq!(sent.code, 0, "{sent:?}");
    outbox_messages(&project.path("sent"))
        .iter()
        .map(|raw| {
            let message = mail_parser::MessageParser::default().parse(raw).unwrap();
            let to = message.to().unwrap().first().unwrap().address().unwrap();
            (
                to.to_owned(),
                Sent {
                    message_id: format!("<{}>", message.message_id().unwrap()),
                    list_unsubscribe: message
                        .header_raw("List-Unsubscribe")
                        .unwrap()
                        .trim()
                        .to_owned(),
                },
            )
        })
        .collect()
}

#[test]
fn each_report_at_its_readers_verp_address_makes_its_exact_change() {
    for (file, email, expected, detail) in REPORTS {
        let project = list_project("");
        let before = statuses(&project);
        project.write("report.eml", at_verp(email, &fixture_bytes(file)));
        let run = ingest(&project, &[&path(&project, "report.eml")]);
        assert_eq!(status(&project, email), expected, "{file}: {run:?}");
        let changed: Vec<_> = before
            .iter()
            .zip(&statuses(&project))
            .filter(|(b, a)| b != a)
            .map(|(_, a)| a.0.clone())
            .collect();
        if expected == "active" {
            // A delay only counts.
            assert!(changed.is_empty(), "{file}: {changed:?}");
            assert_eq!(summary(&run), counts([1, 0, 1, 0, 0, 0, 0, 0]), "{file}");
            continue;
        }
        assert_eq!(changed, [email.to_owned()], "{file}: nobody else changed");
        let (event_status, source, event_detail) = last_event(&project, email);
        assert_eq!(
            (event_status.as_str(), source.as_str()),
            (expected, "bounce"),
            "{file}"
        );
        assert!(event_detail.starts_with(detail), "{file}: {event_detail}");
        let says = run
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{email} is now {expected}: ")))
            .unwrap_or_else(|| panic!("{file}: {}", run.stdout));
        assert!(says.ends_with("report.eml; its VERP address)"), "{says}");
    }
}

/// Every fixture in a Maildir: each report at its reader's VERP address, the rest (replies,
/// receipts, a report for an address not on the list, broken files) at the plain one.
fn fixture_maildir(project: &Project, name: &str) -> PathBuf {
    let maildir = project.path(name);
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml" || e == "txt"))
        .collect();
    files.sort();
    for (i, file) in files.iter().enumerate() {
        let file_name = file.file_name().unwrap().to_str().unwrap();
        let raw = std::fs::read(file).unwrap();
        let raw = match REPORTS.iter().find(|r| r.0 == file_name) {
            Some((_, email, _, _)) => at_verp(email, &raw),
            None => raw,
        };
        std::fs::write(
            maildir
                .join("new")
                .join(format!("17821196{i:02}.V{i}.{name}.{file_name}")),
            raw,
        )
        .unwrap();
    }
    maildir
}

#[test]
fn the_whole_corpus_at_once_then_again_changes_nothing_the_second_time() {
    let project = list_project("");
    let maildir = fixture_maildir(&project, "Maildir");
    let first = ingest(&project, &[maildir.to_str().unwrap()]);
    assert_eq!(
        summary(&first),
        counts([17, 7, 1, 2, 1, 4, 0, 2]),
        "{first:?}"
    );
    // Each message that changed nobody has its own line naming the file and why.
    for line in [
        "not-mail.txt: it is not an email message",
        "truncated.eml: a delivery report that names no recipient (cut short?)",
    ] {
        assert!(
            first.stderr.lines().any(|l| l.contains(line)),
            "{line}\n{}",
            first.stderr
        );
    }
    assert!(
        first.stderr.lines().any(|l| l.contains("unknown-recipient.eml: unverified, changes nobody: no valid VERP address and no original message of ours")),
        "{}",
        first.stderr
    );
    // The soft bounce only counts: frank is still mailed.
    assert_eq!(status(&project, "frank@example.org"), "active");
    assert_eq!(status(&project, "kate@example.org"), "active");
    let after_first = statuses(&project);
    let events = count(&project, "SELECT count(*) FROM events");

    // The same Maildir again: what was read to the end is skipped unread; what could not be
    // read is reported again.
    let second = ingest(&project, &[maildir.to_str().unwrap()]);
    assert_eq!(
        summary(&second),
        counts([2, 0, 0, 0, 0, 0, 0, 2]),
        "{second:?}"
    );
    assert!(
        second
            .stdout
            .contains("15 files read to the end before, skipped unread"),
        "{}",
        second.stdout
    );
    // The same messages delivered again under other names: each is known by its content.
    let again = fixture_maildir(&project, "Again");
    let third = ingest(&project, &[again.to_str().unwrap()]);
    assert_eq!(
        summary(&third),
        counts([17, 0, 0, 0, 0, 0, 15, 2]),
        "{third:?}"
    );
    assert_eq!(statuses(&project), after_first);
    assert_eq!(count(&project, "SELECT count(*) FROM events"), events);

    // The next send skips the bounced and complained, and says so.
    let sent = run(&project, &["send", "--yes", "--latest", "--dry-run"]);
    assert!(
        sent.stdout.contains("dry run: 2 messages"),
        "{}",
        sent.stdout
    );
    assert!(
        sent.stdout
            .contains("9 unsubscribed, bounced or complained"),
        "{}",
        sent.stdout
    );
}

#[test]
fn a_dry_run_says_what_would_change_and_changes_nothing() {
    let project = list_project("");
    project.write(
        "report.eml",
        at_verp("bob@example.org", &fixture_bytes("postfix-hard.eml")),
    );
    let report = path(&project, "report.eml");
    let run = ingest(&project, &[&report, "--dry-run"]);
    assert!(
        run.stdout.contains("bob@example.org would be bounced"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing was changed"));
    assert_eq!(status(&project, "bob@example.org"), "active");
    // Not even remembered as ingested.
    let again = ingest(&project, &[&report]);
    assert!(
        again.stdout.contains("bob@example.org is now bounced"),
        "{}",
        again.stdout
    );
}

/// A delayed-delivery DSN for frank at his VERP address: the relay's queue id `queue` makes
/// each one its own report; every one claims the same date.
fn delayed(queue: &str) -> Vec<u8> {
    at_verp(
        "frank@example.org",
        &swap(&fixture_bytes("postfix-delayed.eml"), "9A1B2C0456", queue),
    )
}

#[test]
fn soft_bounces_count_to_the_limit_within_thirty_days_of_when_they_were_ingested() {
    let project = list_project("  soft_bounce_limit: 3\n");
    // Two far apart, then three within a month; every report says it was written on 22 June,
    // which is the sender's word and counts for nothing.
    let ingested = [
        "2026-03-02",
        "2026-05-04T10:00:00Z",
        "2026-06-01T10:00:00+02:00",
        "2026-06-15T10:00:00Z",
        "2026-06-22T10:00:00Z",
    ];
    for (i, at) in ingested.iter().enumerate() {
        let file = format!("soft{i}.eml");
        project.write(&file, delayed(&format!("Q{i}1B2C0456")));
        ingest(&project, &[&path(&project, &file), "--as-of", at]);
        let expected = if i < 4 { "active" } else { "bounced" };
        assert_eq!(
            status(&project, "frank@example.org"),
            expected,
            "after {at}"
        );
    }
    let (_, _, detail) = last_event(&project, "frank@example.org");
    assert!(
        detail.starts_with("3 soft bounces in 30 days; the last: 4.2.2"),
        "{detail}"
    );
    // A time that is no time is refused, naming the option.
    let bad = run(
        &project,
        &[
            "bounces",
            "ingest",
            &path(&project, "soft0.eml"),
            "--as-of",
            "June",
        ],
    );
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(
        bad.stderr.contains("`--as-of June` is not a date"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_verp_address_counts_however_the_report_is_written_and_an_auto_reply_does_not() {
    let project = list_project("");
    let token = verp("kate@example.org", WEEK);
    // An old-style bounce with no DSN, sent to kate's VERP address, with no code: one soft
    // bounce, as an unclear message never removes a reader.
    project.write(
        "plain.eml",
        format!(
            "From: MAILER-DAEMON@old.example.net\nTo: bounces+{token}@news.example.org\nSubject: Notice\nDate: Mon, 22 Jun 2026 10:00:00 +0000\nMessage-ID: <plain.1@old>\n\nSomething went wrong with your message to <kate@example.org>.\n"
        ),
    );
    // qmail's words with a permanent code, at judy's address, behind two `Delivered-To`
    // lines of a forwarding mailbox: hard.
    project.write(
        "qmail.eml",
        format!(
            "Delivered-To: bounces+{}@news.example.org\nDelivered-To: forward@old.example.net\nDelivered-To: list@old.example.net\nFrom: MAILER-DAEMON@old.example.net\nTo: forward@old.example.net\nSubject: failure notice\nDate: Mon, 22 Jun 2026 10:00:00 +0000\nMessage-ID: <qmail.1@old>\n\nHi. This is the qmail-send program at old.example.net.\nI'm afraid I wasn't able to deliver your message to the following addresses.\nThis is a permanent error; I've given up. Sorry it didn't work out.\n\n<judy@example.org>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
            verp("judy@example.org", WEEK)
        ),
    );
    // The reader's out-of-office reply at the same address: not a report.
    project.write(
        "vacation.eml",
        format!(
            "From: kate@example.org\nTo: bounces+{token}@news.example.org\nSubject: Out of Office\nAuto-Submitted: auto-replied\nDate: Mon, 22 Jun 2026 10:00:00 +0000\nMessage-ID: <vacation.1@example.org>\n\nBack on Monday.\n"
        ),
    );
    let run = ingest(
        &project,
        &[
            &path(&project, "plain.eml"),
            &path(&project, "qmail.eml"),
            &path(&project, "vacation.eml"),
        ],
    );
    assert_eq!(summary(&run), counts([3, 1, 1, 0, 0, 1, 0, 0]), "{run:?}");
    assert_eq!(status(&project, "kate@example.org"), "active");
    assert_eq!(status(&project, "judy@example.org"), "bounced");
    let (_, _, detail) = last_event(&project, "judy@example.org");
    assert!(detail.starts_with("5.1.1"), "{detail}");
    assert_eq!(
        count(&project, "SELECT count(*) FROM bounces WHERE kind = 'soft'"),
        1
    );
}

#[test]
fn a_maildir_is_marked_seen_never_emptied_and_an_mbox_is_read_message_by_message() {
    let project = list_project("");
    let maildir = project.path("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let put = |file: &str, email: Option<&str>, name: &str| {
        let raw = fixture_bytes(file);
        let raw = email.map_or(raw.clone(), |email| at_verp(email, &raw));
        std::fs::write(maildir.join(name), raw).unwrap();
    };
    put(
        "postfix-hard.eml",
        Some("bob@example.org"),
        "new/1782119647.V1.host",
    );
    put("reply.eml", None, "cur/1782119648.V2.host:2,");
    put(
        "gmail-hard.eml",
        Some("erin@example.org"),
        "cur/1782119649.V3.host:2,S",
    );
    // A delivery in progress is not read, nor is a link or a dot file.
    put(
        "exim-hard.eml",
        Some("carol@example.org"),
        "tmp/1782119650.V4.host",
    );
    put(
        "exim-hard.eml",
        Some("carol@example.org"),
        "new/.1782119651.V5.host",
    );
    std::os::unix::fs::symlink(
        maildir.join("tmp/1782119650.V4.host"),
        maildir.join("new/1782119652.V6.host"),
    )
    .unwrap();
    let run = ingest(&project, &[&path(&project, "Maildir")]);
    assert_eq!(summary(&run), counts([3, 2, 0, 0, 0, 1, 0, 0]), "{run:?}");
    let mut cur: Vec<String> = std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cur.sort();
    assert_eq!(
        cur,
        [
            "1782119647.V1.host:2,S",
            "1782119648.V2.host:2,S",
            "1782119649.V3.host:2,S"
        ]
    );
    assert_eq!(
        status(&project, "carol@example.org"),
        "active",
        "tmp/, dot files and links are not read"
    );

    // An mbox of three, with a body line quoted as `>From `.
    let mut mbox = Vec::new();
    for (file, email) in [
        ("exim-hard.eml", Some("carol@example.org")),
        ("arf-headers.eml", Some("heidi@example.org")),
        ("reply.eml", None),
    ] {
        mbox.extend_from_slice(b"From MAILER-DAEMON Mon Jun 22 09:14:07 2026\n");
        let raw = String::from_utf8(fixture_bytes(file))
            .unwrap()
            .replace("\r\n", "\n")
            .into_bytes();
        mbox.extend(email.map_or(raw.clone(), |email| at_verp(email, &raw)));
        mbox.extend_from_slice(b"\n>From the desk: a quoted line\n\n");
    }
    project.write("bounces.mbox", &mbox);
    let run = ingest(&project, &[&path(&project, "bounces.mbox")]);
    assert_eq!(summary(&run), counts([3, 1, 0, 1, 0, 1, 0, 0]), "{run:?}");
    assert_eq!(status(&project, "carol@example.org"), "bounced");
    assert_eq!(status(&project, "heidi@example.org"), "complained");
    // Read to the end, it is skipped next time without being read.
    let again = ingest(&project, &[&path(&project, "bounces.mbox")]);
    assert_eq!(
        summary(&again),
        counts([0, 0, 0, 0, 0, 0, 0, 0]),
        "{again:?}"
    );
    assert!(
        again
            .stdout
            .contains("1 file read to the end before, skipped unread"),
        "{}",
        again.stdout
    );
    // Grown by one message, it is read again, and only the new one counts.
    mbox.extend_from_slice(b"From MAILER-DAEMON Mon Jun 22 09:15:07 2026\n");
    mbox.extend(at_verp("ivan@example.org", &fixture_bytes("latin1.eml")));
    project.write("bounces.mbox", &mbox);
    let grown = ingest(&project, &[&path(&project, "bounces.mbox")]);
    assert_eq!(
        summary(&grown),
        counts([4, 1, 0, 0, 0, 0, 3, 0]),
        "{grown:?}"
    );
    assert_eq!(status(&project, "ivan@example.org"), "bounced");
}

#[test]
fn a_huge_message_is_reported_and_the_rest_processed() {
    let project = list_project("");
    let mut big = fixture_bytes("reply.eml");
    big.extend(std::iter::repeat_n(b'A', 50 * 1024 * 1024));
    std::fs::write(project.path("big.eml"), big).unwrap();
    project.write(
        "report.eml",
        at_verp("bob@example.org", &fixture_bytes("postfix-hard.eml")),
    );
    let run = ingest(
        &project,
        &[&path(&project, "big.eml"), &path(&project, "report.eml")],
    );
    assert!(
        run.stderr.contains("big.eml: it is over 10 MB"),
        "{}",
        run.stderr
    );
    assert_eq!(status(&project, "bob@example.org"), "bounced");
}

#[test]
fn two_ingests_of_the_same_reports_at_once_count_each_report_once() {
    let project = list_project("");
    let first = fixture_maildir(&project, "One");
    let second = fixture_maildir(&project, "Two");
    let children: Vec<_> = [first, second]
        .iter()
        .map(|maildir| {
            project
                .command(&["bounces", "ingest", maildir.to_str().unwrap()], &[SECRET])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut hard = 0;
    let mut before = 0;
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let line = stdout.lines().find(|l| l.starts_with("read ")).unwrap();
        let number = |after: &str| -> usize {
            let at = line.find(after).unwrap();
            line[..at].rsplit(' ').next().unwrap().parse().unwrap()
        };
        hard += number(" hard bounce");
        before += number(" ingested before");
    }
    assert_eq!((hard, before), (7, 15));
    // One status event per reader who bounced or complained, one row per report.
    assert_eq!(
        count(
            &project,
            "SELECT count(*) FROM events WHERE source = 'bounce'"
        ),
        9
    );
    assert_eq!(count(&project, "SELECT count(*) FROM bounces"), 10);
}

#[test]
fn a_csv_list_gets_its_status_column_rewritten_and_nothing_else() {
    let project = list_project("");
    let original = "email,name,plan,status\n\
                    ann@example.org,\"Reader, Ann\",pro,subscribed\n\
                    Bob@Example.org,Bob,free,\n\
                    grace@example.org,Grace,free,subscribed\n\
                    zoe@example.org,Zoe,free,subscribed\n";
    project.write("list.csv", original);
    project.write(
        "bob.eml",
        at_verp("bob@example.org", &fixture_bytes("postfix-hard.eml")),
    );
    project.write(
        "grace.eml",
        at_verp("grace@example.org", &fixture_bytes("arf-message.eml")),
    );
    // A report naming ann with no proof: the CSV mode follows the same rules.
    project.write(
        "forged.eml",
        swap(
            &fixture_bytes("postfix-hard.eml"),
            "bob@example.org",
            "ann@example.org",
        ),
    );
    let run = ingest(
        &project,
        &[
            &path(&project, "bob.eml"),
            &path(&project, "grace.eml"),
            &path(&project, "forged.eml"),
            "--list",
            &path(&project, "list.csv"),
        ],
    );
    assert_eq!(summary(&run), counts([3, 1, 0, 1, 1, 0, 0, 0]), "{run:?}");
    assert!(
        run.stdout.contains("Bob@Example.org is now bounced"),
        "{}",
        run.stdout
    );
    assert_eq!(
        project.read("list.csv"),
        "email,name,plan,status\n\
         ann@example.org,\"Reader, Ann\",pro,subscribed\n\
         Bob@Example.org,Bob,free,bounced\n\
         grace@example.org,Grace,free,complained\n\
         zoe@example.org,Zoe,free,subscribed\n"
    );
    // The store's subscribers are left alone in this mode.
    assert_eq!(status(&project, "bob@example.org"), "active");
    // A list without a status column gets one.
    let project2 = list_project("");
    project2.write("plain.csv", "email\nbob@example.org\nann@example.org\n");
    project2.write(
        "bob.eml",
        at_verp("bob@example.org", &fixture_bytes("postfix-hard.eml")),
    );
    ingest(
        &project2,
        &[
            &path(&project2, "bob.eml"),
            "--list",
            &path(&project2, "plain.csv"),
        ],
    );
    assert_eq!(
        project2.read("plain.csv"),
        "email,status\nbob@example.org,bounced\nann@example.org\n"
    );
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn a_relay_bounces_after_data_and_the_next_send_skips_exactly_those() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("bounces");
    let server = smtp_server(&[
        "--bounce-after-data",
        "bob@example.org",
        "--bounce-after-data",
        "erin@example.org",
        "--bounce-maildir",
        maildir.to_str().unwrap(),
    ]);
    let project = list_project("");
    let config = project.read("config.yaml")
        + &format!(
            "smtp:\n  host: 127.0.0.1\n  port: {}\n  security: none\n",
            server.port
        );
    project.write("config.yaml", config);
    let sent = run(&project, &["send", "--yes", "--latest"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    assert_eq!(server.messages().len(), PEOPLE.len());
    // Each message left with its own VERP return path.
    let log = std::fs::read_to_string(server.maildir_path().join("mailfrom.log")).unwrap();
    for person in PEOPLE {
        let email = format!("{person}@example.org");
        let line = format!("bounces+{}@news.example.org {email}", verp(&email, WEEK));
        assert!(log.lines().any(|l| l == line), "{line}\n{log}");
    }
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 2);

    let ingested = ingest(&project, &[maildir.to_str().unwrap()]);
    assert_eq!(
        summary(&ingested),
        counts([2, 2, 0, 0, 0, 0, 0, 0]),
        "{ingested:?}"
    );
    assert_eq!(status(&project, "bob@example.org"), "bounced");
    assert_eq!(status(&project, "erin@example.org"), "bounced");

    let again = run(&project, &["send", "--yes", "--latest", "--resend"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(server.messages().len(), 2 * PEOPLE.len() - 2);
    assert!(
        again
            .stdout
            .contains("2 unsubscribed, bounced or complained"),
        "{}",
        again.stdout
    );
}

/// Runs `args` in `project` and returns the exit status and the highest resident memory
/// (`VmHWM`, in MB) the process reached, read from `/proc` while it runs.
fn peak_memory(project: &Project, args: &[&str]) -> (std::process::ExitStatus, u64) {
    let mut child = project
        .command(args, &[SECRET])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(kb) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            return (status, peak_kb / 1024);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

// Regression: every Maildir message was read into memory on every run (80 messages of
// 9.9 MB: 853 MB resident, when all had been ingested before), and an mbox message whole
// before the 10 MB cap (300 MB: 589 MB). One message at a time, capped while reading, and
// files read before skipped unread.
#[test]
fn large_mailboxes_are_read_in_bounded_memory() {
    let project = list_project("");
    let maildir = project.path("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let mut big = at_verp("bob@example.org", &fixture_bytes("postfix-hard.eml"));
    big.extend(std::iter::repeat_n(b'x', 9_900_000 - big.len()));
    for i in 0..24 {
        let mut message = big.clone();
        message.extend(format!("\n{i}\n").as_bytes());
        std::fs::write(
            maildir.join(format!("new/17821196{i:02}.V{i}.host")),
            message,
        )
        .unwrap();
    }
    let maildir_arg = path(&project, "Maildir");
    let (first, first_peak) = peak_memory(&project, &["bounces", "ingest", &maildir_arg]);
    assert!(first.success());
    let (second, second_peak) = peak_memory(&project, &["bounces", "ingest", &maildir_arg]);
    assert!(second.success());
    assert!(first_peak < 100, "first run: {first_peak} MB");
    assert!(
        second_peak < 50,
        "second run, everything read before: {second_peak} MB"
    );

    // One mbox message of 120 MB, between two small ones.
    let mut mbox = Vec::new();
    mbox.extend_from_slice(b"From MAILER-DAEMON Mon Jun 22 09:14:07 2026\n");
    mbox.extend(at_verp(
        "carol@example.org",
        &fixture_bytes("exim-hard.eml"),
    ));
    mbox.extend_from_slice(b"\nFrom MAILER-DAEMON Mon Jun 22 09:15:07 2026\nSubject: huge\n\n");
    let line = [b'y'; 999];
    for _ in 0..120_000 {
        mbox.extend_from_slice(&line);
        mbox.push(b'\n');
    }
    mbox.extend_from_slice(b"\nFrom MAILER-DAEMON Mon Jun 22 09:16:07 2026\n");
    mbox.extend(at_verp(
        "dave@example.org",
        &fixture_bytes("exchange-hard.eml"),
    ));
    project.write("huge.mbox", &mbox);
    drop(mbox);
    let (status, peak) = peak_memory(
        &project,
        &["bounces", "ingest", &path(&project, "huge.mbox")],
    );
    assert!(status.success());
    assert!(peak < 100, "a 120 MB mbox message: {peak} MB");
    println!(
        "peak resident memory: {first_peak} MB (24 messages of 9.9 MB), {second_peak} MB (again), \
         {peak} MB (a 120 MB mbox message)"
    );
    assert_eq!(
        status_of_both(&project),
        ("bounced".to_owned(), "bounced".to_owned())
    );
}

fn status_of_both(project: &Project) -> (String, String) {
    (
        status(project, "carol@example.org"),
        status(project, "dave@example.org"),
    )
}

#[test]
fn the_report_counts_each_issues_bounces_and_complaints_by_their_proof() {
    let project = list_project("");
    let earlier = run(
        &project,
        &[
            "send",
            "--yes",
            "--week",
            "2026-W10",
            "--outbox",
            &path(&project, "w10"),
        ],
    );
    assert_eq!(earlier.code, 0, "{earlier:?}");
    send_to_outbox(&project);
    for (file, email) in [
        ("rfc3464-hard.eml", "ann@example.org"),
        ("postfix-delayed.eml", "frank@example.org"),
        ("arf-message.eml", "grace@example.org"),
    ] {
        project.write("report.eml", at_verp(email, &fixture_bytes(file)));
        ingest(&project, &[&path(&project, "report.eml")]);
    }
    // A late bounce of the earlier issue (at its own VERP address) counts for that issue,
    // though it arrives after the later one went out.
    let mut late = format!(
        "Delivered-To: bounces+{}@news.example.org\n",
        verp("bob@example.org", "2026w10")
    )
    .into_bytes();
    late.extend_from_slice(&fixture_bytes("postfix-hard.eml"));
    project.write("late.eml", late);
    ingest(&project, &[&path(&project, "late.eml")]);
    let report = run(&project, &["report", "--latest", "--json"]);
    assert_eq!(report.code, 0, "{report:?}");
    let report: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let issue = &report["issue"];
    assert_eq!(issue["issue"], "2026-W25");
    assert_eq!(
        issue["reports"],
        serde_json::json!({"hard": 1, "soft": 1, "complaints": 1})
    );
    assert_eq!(issue["delivery"]["delivered"], PEOPLE.len());
    // The issue before it, side by side: sent to everyone, and its own late bounce.
    let trend = report["trend"].as_array().unwrap();
    let weeks: Vec<&str> = trend.iter().map(|t| t["issue"].as_str().unwrap()).collect();
    assert_eq!(weeks, ["2026-W10", "2026-W25"]);
    assert_eq!(trend[0]["delivery"]["delivered"], PEOPLE.len());
    assert_eq!(
        trend[0]["reports"],
        serde_json::json!({"hard": 1, "soft": 0, "complaints": 0})
    );
    let text = run(&project, &["report", "--week", "2026-W25"]).stdout;
    assert!(
        text.contains("since: 1 hard bounce, 1 soft, 1 complaint;"),
        "{text}"
    );
    assert!(text.contains("Side by side:"), "{text}");
}
