//! `briefing bounces ingest`: the fixture corpus (`tests/fixtures/bounces/`), one case at a
//! time and all at once; VERP tokens made here with an HMAC of our own; mbox and Maildir
//! input; a CSV list rewritten; and a send through a real SMTP server whose relay bounces
//! some recipients into a Maildir.

use std::path::{Path, PathBuf};

use hmac::Mac as _;

use crate::project::{Project, Run};
use crate::support::mail::smtp_server;

const SECRET: (&str, &str) = (
    "BRIEFING_UNSUBSCRIBE_SECRET",
    "0123456789abcdef0123456789abcdef",
);
const LIST_ID: &str = "news.example.org";
const PEOPLE: [&str; 11] = [
    "ann", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "kate",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bounces")
        .join(name)
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
    let run = ingest_run(
        &project,
        &["subscribers", "import", &path(&project, "people.csv")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    project
}

fn path(project: &Project, rel: &str) -> String {
    project.path(rel).display().to_string()
}

fn ingest_run(project: &Project, args: &[&str]) -> Run {
    project.run_with(args, &[SECRET])
}

fn ingest(project: &Project, inputs: &[&str]) -> Run {
    let args: Vec<&str> = ["bounces", "ingest"]
        .iter()
        .copied()
        .chain(inputs.iter().copied())
        .collect();
    let run = ingest_run(project, &args);
    assert_eq!(run.code, 0, "{run:?}");
    run
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

#[test]
fn each_report_in_the_corpus_makes_its_exact_change() {
    for (file, email, expected, detail) in [
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
    ] {
        let project = list_project("");
        let before = statuses(&project);
        let run = ingest(&project, &[fixture(file).to_str().unwrap()]);
        assert_eq!(status(&project, email), expected, "{file}: {run:?}");
        let (event_status, source, event_detail) = last_event(&project, email);
        assert_eq!(
            (event_status.as_str(), source.as_str()),
            (expected, "bounce"),
            "{file}"
        );
        assert!(event_detail.starts_with(detail), "{file}: {event_detail}");
        // Nobody else changed.
        let after = statuses(&project);
        let changed: Vec<_> = before
            .iter()
            .zip(&after)
            .filter(|(b, a)| b != a)
            .map(|(_, a)| a.0.clone())
            .collect();
        assert_eq!(changed, [email.to_owned()], "{file}");
        assert!(
            run.stdout.contains(&format!("{email} is now {expected}")),
            "{file}: {}",
            run.stdout
        );
    }
}

#[test]
fn the_whole_corpus_at_once_then_again_changes_nothing_the_second_time() {
    let project = list_project("");
    let mut inputs: Vec<String> = std::fs::read_dir(fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml" || e == "txt"))
        .map(|p| p.display().to_string())
        .collect();
    inputs.sort();
    let args: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let first = ingest(&project, &args);
    assert!(
        first.stdout.contains(
            "read 17 messages: 7 hard bounces, 1 soft, 2 complaints, 1 for addresses not on the list, 4 not a report, 0 ingested before, 2 unreadable"
        ),
        "{}",
        first.stdout
    );
    // Each unreadable message has its own line naming the file and why.
    assert!(
        first
            .stderr
            .contains("truncated.eml: a delivery report that names no recipient (cut short?)"),
        "{}",
        first.stderr
    );
    assert!(
        first
            .stderr
            .contains("not-mail.txt: it is not an email message"),
        "{}",
        first.stderr
    );
    // The soft bounce only counts: frank is still mailed.
    assert_eq!(status(&project, "frank@example.org"), "active");
    assert_eq!(status(&project, "kate@example.org"), "active");
    let after_first = statuses(&project);
    let events: usize = db(&project)
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();

    let second = ingest(&project, &args);
    assert!(
        second.stdout.contains(
            "read 17 messages: 0 hard bounces, 0 soft, 0 complaints, 0 for addresses not on the list, 0 not a report, 15 ingested before, 2 unreadable"
        ),
        "{}",
        second.stdout
    );
    assert_eq!(statuses(&project), after_first);
    let events_again: usize = db(&project)
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, events_again);

    // The next send skips the bounced and complained, and says so.
    let sent = ingest_run(&project, &["send", "--latest", "--dry-run"]);
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
    let run = ingest(
        &project,
        &[fixture("postfix-hard.eml").to_str().unwrap(), "--dry-run"],
    );
    assert!(
        run.stdout.contains("bob@example.org would be bounced"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing was changed"));
    assert_eq!(status(&project, "bob@example.org"), "active");
    // Not even remembered as ingested.
    let again = ingest(&project, &[fixture("postfix-hard.eml").to_str().unwrap()]);
    assert!(
        again.stdout.contains("bob@example.org is now bounced"),
        "{}",
        again.stdout
    );
}

/// A delayed-delivery DSN for `email` with its own Message-ID and `date`.
fn delayed(email: &str, id: &str, date: &str) -> String {
    std::fs::read_to_string(fixture("postfix-delayed.eml"))
        .unwrap()
        .replace("frank@example.org", email)
        .replace("20260622131407.9A1B2C0456@mail.example.net", id)
        .replace("Mon, 22 Jun 2026 13:14:07 +0000 (UTC)", date)
}

#[test]
fn soft_bounces_count_to_the_limit_within_thirty_days() {
    let project = list_project("  soft_bounce_limit: 3\n");
    let dates = [
        // Two far apart, then three within a month.
        "Mon, 2 Mar 2026 10:00:00 +0000",
        "Mon, 4 May 2026 10:00:00 +0000",
        "Mon, 1 Jun 2026 10:00:00 +0000",
        "Mon, 15 Jun 2026 10:00:00 +0000",
        "Mon, 22 Jun 2026 10:00:00 +0000",
    ];
    for (i, date) in dates.iter().enumerate() {
        let file = format!("soft{i}.eml");
        project.write(
            &file,
            delayed("frank@example.org", &format!("soft{i}@mx"), date),
        );
        ingest(&project, &[&path(&project, &file)]);
        let expected = if i < 4 { "active" } else { "bounced" };
        assert_eq!(
            status(&project, "frank@example.org"),
            expected,
            "after {date}"
        );
    }
    let (_, _, detail) = last_event(&project, "frank@example.org");
    assert!(
        detail.starts_with("3 soft bounces in 30 days; the last: 4.2.2"),
        "{detail}"
    );
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

#[test]
fn the_verp_address_names_the_recipient_and_a_forged_one_changes_nothing() {
    let project = list_project("");
    // An old-style bounce with no DSN, sent to kate's VERP address: one soft bounce.
    let token = verp("kate@example.org", "2026w25");
    project.write(
        "plain.eml",
        format!(
            "From: MAILER-DAEMON@old.example.net\nTo: bounces+{token}@news.example.org\nSubject: failure notice\nDate: Mon, 22 Jun 2026 10:00:00 +0000\nMessage-ID: <plain.1@old>\n\nSorry, I couldn't deliver your message to <kate@example.org>.\n"
        ),
    );
    // The same with an out-of-office reply: not a bounce.
    project.write(
        "vacation.eml",
        format!(
            "From: kate@example.org\nTo: bounces+{token}@news.example.org\nSubject: Out of Office\nAuto-Submitted: auto-replied\nDate: Mon, 22 Jun 2026 10:00:00 +0000\nMessage-ID: <vacation.1@example.org>\n\nBack on Monday.\n"
        ),
    );
    // A complaint with the recipient redacted (as Outlook.com sends them): the original's
    // Return-Path holds the VERP address.
    let redacted = std::fs::read_to_string(fixture("arf-message.eml"))
        .unwrap()
        .replace("To: <grace@example.org>", "To: <redacted@redacted>")
        .replace(
            "From: vff Briefing <briefing@example.org>\nReceived",
            &format!("Return-Path: <bounces+{}@news.example.org>\nFrom: vff Briefing <briefing@example.org>\nReceived", verp("judy@example.org", "2026w25")),
        )
        .replace("fbl.20260625110000.1", "fbl.redacted.1");
    project.write("redacted.eml", redacted);
    // A forged token.
    let forged = token.replace("2026w25", "2026w26");
    project.write(
        "forged.eml",
        format!(
            "From: attacker@example.net\nTo: bounces+{forged}@news.example.org\nSubject: bounce\nDate: Mon, 22 Jun 2026 10:00:00 +0000\nMessage-ID: <forged.1@example.net>\n\nx\n"
        ),
    );
    let run = ingest(
        &project,
        &[
            &path(&project, "plain.eml"),
            &path(&project, "vacation.eml"),
            &path(&project, "redacted.eml"),
            &path(&project, "forged.eml"),
        ],
    );
    assert!(
        run.stdout.contains("read 4 messages: 0 hard bounces, 1 soft, 1 complaint, 0 for addresses not on the list, 1 not a report, 0 ingested before, 1 unreadable"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("forged.eml: its VERP address"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("bad signature"), "{}", run.stderr);
    assert_eq!(status(&project, "kate@example.org"), "active");
    assert_eq!(status(&project, "judy@example.org"), "complained");
    let soft: usize = db(&project)
        .query_row(
            "SELECT count(*) FROM bounces WHERE kind = 'soft'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(soft, 1);
}

#[test]
fn a_maildir_is_marked_seen_never_emptied_and_an_mbox_is_read_message_by_message() {
    let project = list_project("");
    let maildir = project.path("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::copy(
        fixture("postfix-hard.eml"),
        maildir.join("new/1782119647.V1.host"),
    )
    .unwrap();
    std::fs::copy(
        fixture("reply.eml"),
        maildir.join("cur/1782119648.V2.host:2,"),
    )
    .unwrap();
    std::fs::copy(
        fixture("gmail-hard.eml"),
        maildir.join("cur/1782119649.V3.host:2,S"),
    )
    .unwrap();
    // A delivery in progress is not read.
    std::fs::copy(
        fixture("exim-hard.eml"),
        maildir.join("tmp/1782119650.V4.host"),
    )
    .unwrap();
    let run = ingest(&project, &[&path(&project, "Maildir")]);
    assert!(
        run.stdout.contains("read 3 messages: 2 hard bounces"),
        "{}",
        run.stdout
    );
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
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 0);
    assert_eq!(
        status(&project, "carol@example.org"),
        "active",
        "tmp/ is not read"
    );

    // An mbox of three, with a body line quoted as `>From `.
    let mut mbox = String::new();
    for file in ["exim-hard.eml", "arf-headers.eml", "reply.eml"] {
        mbox.push_str("From MAILER-DAEMON Mon Jun 22 09:14:07 2026\n");
        mbox.push_str(
            &std::fs::read_to_string(fixture(file))
                .unwrap()
                .replace("\r\n", "\n"),
        );
        mbox.push_str("\n>From the desk: a quoted line\n\n");
    }
    project.write("bounces.mbox", mbox);
    let run = ingest(&project, &[&path(&project, "bounces.mbox")]);
    assert!(
        run.stdout
            .contains("read 3 messages: 1 hard bounce, 0 soft, 1 complaint"),
        "{}",
        run.stdout
    );
    assert_eq!(status(&project, "carol@example.org"), "bounced");
    assert_eq!(status(&project, "heidi@example.org"), "complained");
}

#[test]
fn a_huge_message_is_reported_and_the_rest_processed() {
    let project = list_project("");
    let mut big = std::fs::read(fixture("reply.eml")).unwrap();
    big.extend(std::iter::repeat_n(b'A', 50 * 1024 * 1024));
    std::fs::write(project.path("big.eml"), big).unwrap();
    let run = ingest(
        &project,
        &[
            &path(&project, "big.eml"),
            fixture("postfix-hard.eml").to_str().unwrap(),
        ],
    );
    assert!(
        run.stderr.contains("big.eml: it is over 10 MB"),
        "{}",
        run.stderr
    );
    assert_eq!(status(&project, "bob@example.org"), "bounced");
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
    let run = ingest(
        &project,
        &[
            fixture("postfix-hard.eml").to_str().unwrap(),
            fixture("arf-message.eml").to_str().unwrap(),
            "--list",
            &path(&project, "list.csv"),
        ],
    );
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
    project.write("plain.csv", "email\nbob@example.org\nann@example.org\n");
    let project2 = list_project("");
    project2.write("plain.csv", "email\nbob@example.org\nann@example.org\n");
    ingest(
        &project2,
        &[
            fixture("postfix-hard.eml").to_str().unwrap(),
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
    let sent = ingest_run(&project, &["send", "--latest"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    assert_eq!(server.messages().len(), PEOPLE.len());
    // Each message left with its own VERP return path.
    let log = std::fs::read_to_string(server.maildir_path().join("mailfrom.log")).unwrap();
    for person in PEOPLE {
        let email = format!("{person}@example.org");
        let line = format!(
            "bounces+{}@news.example.org {email}",
            verp(&email, "2026w25")
        );
        assert!(log.lines().any(|l| l == line), "{line}\n{log}");
    }
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 2);

    let run = ingest(&project, &[maildir.to_str().unwrap()]);
    assert!(
        run.stdout.contains("read 2 messages: 2 hard bounces"),
        "{}",
        run.stdout
    );
    assert_eq!(status(&project, "bob@example.org"), "bounced");
    assert_eq!(status(&project, "erin@example.org"), "bounced");

    let again = ingest_run(&project, &["send", "--latest", "--resend"]);
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
