//! `briefing send` against a real SMTP server (aiosmtpd, started by the test on loopback).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mail_parser::MessageParser;

use crate::project::Project;
use crate::support::mail::{SmallDisk, SmtpServer, dkimpy, smtp_server};
use crate::support::{SECRET, tools};

/// Starts `briefing` with `args` (and the token secret) in the background, its output
/// dropped.
fn spawn_quiet(project: &Project, args: &[&str]) -> Child {
    project
        .command(args, &[SECRET])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The sample newsletter, set to send through `server`.
fn project_for(server: &SmtpServer, smtp_extra: &str, send_extra: &str) -> Project {
    let project = Project::sample();
    let config = project.read("config.yaml").replace(
        "send:\n  rate_per_second: 10\n  concurrency: 4\n",
        &format!(
            "smtp:\n  host: 127.0.0.1\n  port: {}\n  security: none\n  timeout_seconds: 10\n{smtp_extra}\
             send:\n  rate_per_second: 1000\n  concurrency: 4\n{send_extra}",
            server.port
        ),
    ) + "unsubscribe_mailto: unsubscribe@example.org\n";
    project.write("config.yaml", config);
    project
}

/// The list's path, as a string for the command line.
fn list(project: &Project) -> String {
    project.path("subscribers.csv").display().to_string()
}

fn subscribers(project: &Project, n: usize) -> Vec<String> {
    let mut csv = String::from("email,name,status\n");
    let mut addresses = Vec::new();
    for i in 0..n {
        let email = format!("reader{i:04}@example.com");
        csv.push_str(&format!("{email},Reader {i},\n"));
        addresses.push(email);
    }
    project.write("subscribers.csv", csv);
    addresses
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn every_recipient_gets_one_standards_compliant_message() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    // A text line that starts with a dot must be dot-stuffed on the wire and arrive intact.
    let card = project.read("briefs/2026-W25/lin-new-lab-funding.yaml");
    project.write(
        "briefs/2026-W25/lin-new-lab-funding.yaml",
        card.replace(
            "why_it_matters: >\n",
            "why_it_matters: >\n  .NET-style dots lead this line.\n\n",
        ),
    );
    project.write(
        "subscribers.csv",
        "email,name,status\nann@example.com,Ann Müller,\nbob@example.com,,\nZoë@example.com,Zoë 北京,subscribed\n\
         gone@example.com,Gone,unsubscribed\nANN@example.com,Ann twice,\n",
    );
    let list = list(&project);
    let run = project.run_with(
        &["send", "--yes", "--week", "2026-W25", "--list", &list],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .starts_with("sent 3 messages of 2026-W25 to 127.0.0.1:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "skipped 2: 0 already delivered, 1 unsubscribed, bounced or complained, 0 suppressed, 1 duplicate"
        ),
        "{}",
        run.stdout
    );
    let mut recipients = server.recipients();
    recipients.sort();
    assert_eq!(
        recipients,
        ["ann@example.com", "bob@example.com", "zoë@example.com"]
    );

    for raw in server.messages() {
        let text = String::from_utf8_lossy(&raw);
        let message = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            message.from().unwrap().first().unwrap().address(),
            Some("briefing@example.org")
        );
        assert_eq!(
            message.from().unwrap().first().unwrap().name(),
            Some("vff Briefing")
        );
        assert_eq!(
            message.reply_to().unwrap().first().unwrap().address(),
            Some("editor@example.org")
        );
        assert_eq!(
            message.subject(),
            Some("Ex-Qwen lead’s new lab raises at a $2B valuation")
        );
        assert!(message.date().is_some());
        let id = message.message_id().unwrap();
        assert!(
            id.starts_with("2026-w25.") && id.ends_with("@example.org"),
            "{id}"
        );
        assert_eq!(
            message.header_raw("MIME-Version").map(str::trim),
            Some("1.0")
        );
        assert_eq!(
            message.header_raw("List-Id").map(str::trim),
            Some("\"vff Briefing\" <vff-briefing.briefing.example.org>")
        );
        assert_eq!(
            message.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
        // Long headers may be folded over lines (RFC 5322); unfold before reading.
        let unsubscribe = message
            .header_raw("List-Unsubscribe")
            .unwrap()
            .replace("\r\n", "")
            .replace('\n', "");
        let unsubscribe = unsubscribe.trim();
        let url = unsubscribe
            .strip_prefix("<https://briefing.example.org/unsubscribe?token=")
            .and_then(|rest| rest.split_once('>'))
            .map(|(token, _)| token)
            .unwrap_or_else(|| panic!("{unsubscribe}"));
        assert_eq!(url.len(), 64, "an HMAC-SHA256 token");
        assert!(unsubscribe.ends_with(", <mailto:unsubscribe@example.org?subject=unsubscribe>"));
        // Both parts, text first, each with the same personal unsubscribe link.
        assert!(
            text.find("Content-Type: text/plain").unwrap()
                < text.find("Content-Type: text/html").unwrap()
        );
        let plain = message.body_text(0).unwrap();
        let html = message.body_html(0).unwrap();
        assert!(
            plain.contains("\n.NET-style dots lead this line."),
            "{plain}"
        );
        let link = format!("https://briefing.example.org/unsubscribe?token={url}");
        assert!(plain.contains(&format!("Unsubscribe: {link}")), "{plain}");
        assert!(
            html.contains(&format!("href=\"{link}\"")),
            "html part has the link"
        );
        assert!(
            !plain.contains("%%") && !html.contains("%%"),
            "no placeholder is left"
        );
        let to = message.to().unwrap().first().unwrap();
        match to.address().unwrap() {
            "ann@example.com" => {
                assert_eq!(to.name(), Some("Ann Müller"));
                // Lines as a reader's client splits them (the wire has CRLF).
                assert!(plain.lines().any(|line| line == "Hi Ann,"), "{plain}");
                assert!(html.contains(">Hi Ann,</p>"), "{html}");
            }
            "bob@example.com" => {
                assert!(!plain.contains("Hi ") && !html.contains("class=\"greeting\""))
            }
            _ => assert_eq!(to.name(), Some("Zoë 北京")),
        }
    }
    // Each delivery is journaled after an attempt line for the same address and Message-ID.
    let journal = journal_text(&project);
    let lines: Vec<Vec<&str>> = journal.lines().map(|l| l.split('\t').collect()).collect();
    let delivered: Vec<&Vec<&str>> = lines.iter().filter(|l| l[0] == "delivered").collect();
    assert_eq!(delivered.len(), 3, "{journal}");
    for line in delivered {
        let attempt = lines
            .iter()
            .position(|l| l[0] == "attempt" && l[1] == line[1] && l[2] == line[2]);
        let outcome = lines.iter().position(|l| l == line);
        assert!(
            matches!((attempt, outcome), (Some(a), Some(o)) if a < o),
            "{journal}"
        );
    }
}

// A relay without SMTPUTF8 (RFC 6531) takes an internationalised domain in its IDNA form,
// and cannot take a local part that is not ASCII: that one fails at once, not after retries.
#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn idn_domains_go_on_the_wire_in_punycode_to_a_relay_without_smtputf8() {
    let server = smtp_server(&["--no-smtputf8"]);
    let project = project_for(&server, "", "");
    project.write(
        "subscribers.csv",
        "email,name\njosé@example.com,José\njose@bücher.de,Jose\nann@example.com,Ann\n",
    );
    let list = list(&project);
    let run = project.run_with(&["send", "--yes", "--latest", "--list", &list], &[SECRET]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    // No retries: one attempt per reader, the refused one included.
    let journal = journal_text(&project);
    let attempts = journal
        .lines()
        .filter(|l| l.starts_with("attempt\t"))
        .count();
    assert_eq!(attempts, 3, "{journal}");
    let said = format!("{}{}", run.stdout, run.stderr);
    assert!(
        said.contains("josé@example.com") && said.contains("does not offer SMTPUTF8"),
        "{said}"
    );
    let mut recipients = server.recipients();
    recipients.sort();
    assert_eq!(recipients, ["ann@example.com", "jose@xn--bcher-kva.de"]);
    let envelopes = std::fs::read_to_string(server.maildir_path().join("mailfrom.log")).unwrap();
    assert!(
        envelopes.contains(" jose@xn--bcher-kva.de\n"),
        "{envelopes}"
    );
    assert!(envelopes.is_ascii(), "{envelopes}");
    // The failed reader is journaled as failed, with the reason.
    assert!(
        journal_text(&project).contains("failed\t"),
        "{}",
        journal_text(&project)
    );
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn a_rerun_skips_everyone_and_resend_is_explicit() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    subscribers(&project, 5);
    let list = list(&project);
    let args = ["send", "--yes", "--week", "2026-W25", "--list", &list];
    assert_eq!(project.run_with(&args, &[SECRET]).code, 0);
    let again = project.run_with(&args, &[SECRET]);
    assert_eq!(again.code, 0);
    assert!(
        again.stdout.contains("sent 0 messages") && again.stdout.contains("5 already delivered"),
        "{}",
        again.stdout
    );
    assert_eq!(server.messages().len(), 5);
    let resend = project.run_with(&[&args[..], &["--resend"]].concat(), &[SECRET]);
    assert_eq!(resend.code, 0);
    assert_eq!(server.messages().len(), 10);
}

/// How many `delivered` lines the send journals of `project` hold.
fn journaled_deliveries(project: &Project) -> usize {
    let dir = project.path(".briefing/sends");
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap_or_default())
                .map(|text| {
                    text.lines()
                        .filter(|l| l.starts_with("delivered\t"))
                        .count()
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn killed_mid_run_then_rerun_delivers_each_message_exactly_once() {
    // The server holds every message after the 40th, unaccepted, while `stall` exists. The
    // sender is killed once both sessions wait on it and every accepted message is journaled:
    // a crash with nothing in doubt. (A crash between the server's 250 and the journal line
    // would send that one message again; the README documents that window.)
    let server = smtp_server(&["--delay", "0.02", "--stall-after", "40"]);
    let flag = server.maildir_path().join("stall");
    std::fs::write(&flag, "").unwrap();
    let project = project_for(&server, "", "");
    let addresses = subscribers(&project, 200);
    let list = list(&project);
    let args = [
        "send",
        "--yes",
        "--week",
        "2026-W25",
        "--list",
        &list,
        "--concurrency",
        "2",
    ];
    let mut child = spawn_quiet(&project, &args);
    let started = Instant::now();
    let held = || {
        std::fs::read_to_string(server.maildir_path().join("stalled.log"))
            .map_or(0, |log| log.lines().count())
    };
    while held() < 2 || journaled_deliveries(&project) < server.messages().len() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the send did not reach the hold: {} held, {} journaled, {} accepted",
            held(),
            journaled_deliveries(&project),
            server.messages().len()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up.
    child.wait().unwrap();
    std::fs::remove_file(&flag).unwrap();
    let first_run = server.messages().len();
    assert!(
        (40..200).contains(&first_run),
        "killed mid-run ({first_run})"
    );
    let rerun = project.run_with(&args, &[SECRET]);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    let mut received = server.recipients();
    received.sort();
    assert_eq!(received, addresses, "every recipient exactly once");
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn temporary_failures_are_retried_and_permanent_ones_recorded() {
    let server = smtp_server(&[
        "--temporary",
        "slow@example.com",
        "--temporary-times",
        "2",
        "--permanent",
        "gone@example.com",
    ]);
    let project = project_for(&server, "", "  retries: 3\n");
    project.write(
        "subscribers.csv",
        "email\nok@example.com\nslow@example.com\ngone@example.com\n",
    );
    let list = list(&project);
    let args = ["send", "--yes", "--week", "2026-W25", "--list", &list];
    let run = project.run_with(&args, &[SECRET]);
    assert_eq!(run.code, 1, "a failure makes the exit status non-zero");
    assert!(run.stdout.contains("sent 2 messages"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("1 delivered after a temporary failure and a retry"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("failed 1:\n  gone@example.com: permanent error (550): 5.1.1 <gone@example.com>: mailbox unavailable"), "{}", run.stdout);
    assert_eq!(
        server.attempts("slow@example.com"),
        3,
        "two 451s, then accepted"
    );
    assert_eq!(
        server.attempts("gone@example.com"),
        1,
        "a 550 is not retried"
    );
    let mut received = server.recipients();
    received.sort();
    assert_eq!(received, ["ok@example.com", "slow@example.com"]);
    // A re-run tries only the one that failed.
    let again = project.run_with(&args, &[SECRET]);
    assert_eq!(again.code, 1);
    assert!(
        again.stdout.contains("2 already delivered"),
        "{}",
        again.stdout
    );
    assert_eq!(server.attempts("gone@example.com"), 2);
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn the_password_comes_from_the_environment_and_is_never_shown() {
    let password = "hunter2-Sup3r-s3cret";
    let login = format!("briefing:{password}");
    let server = smtp_server(&["--login", &login]);
    let project = project_for(
        &server,
        "  username: briefing\n  password_env: TEST_SMTP_PASSWORD\n",
        "",
    );
    subscribers(&project, 3);
    let list = list(&project);
    let args = ["send", "--yes", "--week", "2026-W25", "--list", &list];
    let missing = project.run_with(&args, &[SECRET]);
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("`TEST_SMTP_PASSWORD`, which is not set"),
        "{}",
        missing.stderr
    );
    let wrong = project.run_with(
        &args,
        &[SECRET, ("TEST_SMTP_PASSWORD", "wrong-password-123")],
    );
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("cannot talk to the SMTP server"),
        "{}",
        wrong.stderr
    );
    assert!(
        !wrong.stderr.contains("wrong-password-123")
            && !wrong.stdout.contains("wrong-password-123")
    );
    assert!(
        server.messages().is_empty(),
        "nothing is sent when the login fails"
    );
    let ok = project.run_with(&args, &[SECRET, ("TEST_SMTP_PASSWORD", password)]);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert_eq!(server.messages().len(), 3);
    for text in [&ok.stdout, &ok.stderr, &project.read("config.yaml")] {
        assert!(!text.contains(password));
    }
    for entry in std::fs::read_dir(project.path(".briefing/sends")).unwrap() {
        assert!(
            !std::fs::read_to_string(entry.unwrap().path())
                .unwrap()
                .contains(password)
        );
    }
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn a_bad_list_is_reported_in_full_and_nothing_is_sent() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    project.write(
        "subscribers.csv",
        "email,name\nok@example.com,Ok\nnot-an-address,X\n\"eve@example.com\",\"Eve\r\nBcc: all@example.com\"\n",
    );
    let list = list(&project);
    let run = project.run_with(
        &["send", "--yes", "--week", "2026-W25", "--list", &list],
        &[SECRET],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        run.headlines(),
        [
            format!("{list}:3:1: error: `not-an-address` is not an email address"),
            format!(
                "{list}:4:1: error: the name of `eve@example.com` contains a line break or control character"
            ),
        ]
    );
    assert!(server.messages().is_empty());
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn a_dry_run_sends_nothing_and_shows_a_message() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    subscribers(&project, 4);
    let list = list(&project);
    let run = project.run(&[
        "send",
        "--yes",
        "--week",
        "2026-W25",
        "--list",
        &list,
        "--dry-run",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("dry run: 4 messages of 2026-W25 would be sent; nothing was sent")
    );
    assert!(
        run.stdout
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    assert!(server.messages().is_empty());
    assert!(
        !project.path(".briefing/sends").exists(),
        "a dry run writes no journal"
    );
}

#[test]
fn without_smtp_messages_go_to_an_outbox() {
    let project = Project::sample();
    subscribers(&project, 3);
    let list = list(&project);
    let run = project.run_with(&["send", "--yes", "--latest", "--list", &list], &[SECRET]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("to outbox "), "{}", run.stdout);
    let files: Vec<PathBuf> = std::fs::read_dir(project.path("outbox/2026-w25"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 3);
    for file in files {
        let raw = std::fs::read(&file).unwrap();
        let message = MessageParser::default().parse(&raw).unwrap();
        assert!(message.body_text(0).is_some() && message.body_html(0).is_some());
    }
    let preview = project.path("preview").display().to_string();
    let to = project.run_with(
        &[
            "send",
            "--yes",
            "--week",
            "2026-W10",
            "--to",
            "me@example.org",
            "--outbox",
            &preview,
        ],
        &[SECRET],
    );
    assert_eq!(to.code, 0, "{}", to.stderr);
    assert_eq!(
        std::fs::read_dir(project.path("preview")).unwrap().count(),
        1
    );
}

/// The greeting line of each message in `dir`, by recipient: the text part's line that
/// the HTML part's `greeting` paragraph also holds.
fn greetings(dir: &std::path::Path) -> Vec<(String, Option<String>)> {
    let mut found: Vec<(String, Option<String>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .map(|raw| {
            let message = MessageParser::default().parse(&raw).unwrap();
            let to = message
                .to()
                .unwrap()
                .first()
                .unwrap()
                .address()
                .unwrap()
                .to_owned();
            let html = message.body_html(0).unwrap().into_owned();
            let greeting = html.find("class=\"greeting\"").map(|at| {
                let rest = &html[at..];
                rest[rest.find('>').unwrap() + 1..rest.find("</p>").unwrap()].to_owned()
            });
            if let Some(line) = &greeting {
                let text = message.body_text(0).unwrap().replace("\r\n", "\n");
                let line = line
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&#x2f;", "/")
                    .replace("&amp;", "&");
                assert!(text.contains(&format!("\n{line}\n")), "{line}: {text}");
            }
            (to, greeting)
        })
        .collect();
    found.sort();
    found
}

#[test]
fn the_greeting_uses_the_first_name_or_the_configured_line_or_none() {
    let project = Project::sample();
    project.write(
        "subscribers.csv",
        "email,name\nann@example.com,Ann Müller\nbob@example.com,\"Builder, Bob\"\n\
         cy@example.com,\neve@example.com,<b>Eve</b> & co\n",
    );
    let list = list(&project);
    let send = |dir: &str| {
        let out = project.path(dir).display().to_string();
        let run = project.run_with(
            &[
                "send", "--yes", "--latest", "--list", &list, "--outbox", &out,
            ],
            &[SECRET],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        greetings(&project.path(dir))
    };
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        send("default"),
        [
            ("ann@example.com".to_owned(), some("Hi Ann,")),
            ("bob@example.com".to_owned(), some("Hi Bob,")),
            ("cy@example.com".to_owned(), None),
            (
                "eve@example.com".to_owned(),
                some("Hi &lt;b&gt;Eve&lt;/b&gt;,")
            ),
        ]
    );
    let base = project.read("config.yaml");
    let greet =
        |line: &str| project.write("config.yaml", format!("{base}email:\n  greeting: {line}\n"));
    greet("\"Dear {name},\"");
    assert_eq!(
        send("full")[0],
        ("ann@example.com".to_owned(), some("Dear Ann Müller,"))
    );
    greet("Hello,");
    let plain = send("plain");
    assert!(
        plain.iter().all(|(_, g)| g.as_deref() == Some("Hello,")),
        "{plain:?}"
    );
    greet("false");
    let none = send("none");
    assert!(none.iter().all(|(_, g)| g.is_none()), "{none:?}");
    greet("\"Hi {surname},\"");
    let check = project.run(&["check"]);
    assert_eq!(check.code, 1);
    assert!(
        check
            .stderr
            .contains("has a placeholder other than `{first_name}` and `{name}`"),
        "{}",
        check.stderr
    );
}

// HTML requires the character encoding declared within the first 1024 bytes; mail systems
// send every line ending as CRLF, which adds a byte per line before it.
#[test]
fn the_sent_html_declares_its_charset_within_1024_bytes_with_crlf_line_ends() {
    let project = Project::sample();
    let out = project.path("out").display().to_string();
    let run = project.run_with(
        &[
            "send",
            "--latest",
            "--to",
            "a@example.org",
            "--outbox",
            &out,
        ],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = std::fs::read_dir(project.path("out"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let raw = std::fs::read(file.path()).unwrap();
    let message = MessageParser::default().parse(&raw).unwrap();
    let html = message
        .body_html(0)
        .unwrap()
        .replace("\r\n", "\n")
        .replace('\n', "\r\n");
    let declared =
        html.find("<meta charset=\"utf-8\">").unwrap() + "<meta charset=\"utf-8\">".len();
    assert!(
        declared <= 1024,
        "the charset declaration ends at byte {declared}"
    );
    // The published copy too.
    assert_eq!(project.run(&["build"]).code, 0);
    let published = project
        .read("public/issues/2026-w25/email.html")
        .replace('\n', "\r\n");
    let declared = published.find("<meta charset=\"utf-8\">").unwrap();
    assert!(
        declared < 1000,
        "the published declaration starts at byte {declared}"
    );
}

#[test]
fn send_refuses_a_newsletter_with_errors_and_bad_settings() {
    let project = Project::sample();
    project.write("briefs/2026-W25/broken.yaml", "title: [\n");
    let run = project.run_with(
        &["send", "--yes", "--latest", "--to", "me@example.org"],
        &[SECRET],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("briefs/2026-W25/broken.yaml:"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(project.path("briefs/2026-W25/broken.yaml")).unwrap();
    let bad_to = project.run_with(
        &["send", "--yes", "--latest", "--to", "not-an-address"],
        &[SECRET],
    );
    assert_eq!(bad_to.code, 1);
    assert!(
        bad_to
            .stderr
            .contains("`not-an-address` is not an email address"),
        "{}",
        bad_to.stderr
    );
    let short = project.run_with(
        &["send", "--yes", "--latest", "--to", "me@example.org"],
        &[("BRIEFING_UNSUBSCRIBE_SECRET", "short")],
    );
    assert!(
        short.stderr.contains("shorter than 16 characters"),
        "{}",
        short.stderr
    );
    // Without --to or --list, the subscriber store is the audience; there is none yet.
    let no_audience = project.run_with(&["send", "--yes", "--latest"], &[SECRET]);
    assert_eq!(no_audience.code, 1);
    assert!(
        no_audience
            .stderr
            .contains("no one to send to: pass `--list FILE.csv` or `--to ADDR`"),
        "{}",
        no_audience.stderr
    );
}

#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn dkim_signatures_cover_both_list_unsubscribe_headers() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    // An Ed25519 key: the base64 of a 32-byte seed.
    project.write("dkim.key", "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n");
    let config = project.read("config.yaml")
        + "dkim:\n  selector: briefing\n  domain: example.org\n  key_file: dkim.key\n  algorithm: ed25519\n";
    project.write("config.yaml", config);
    let run = project.run_with(
        &["send", "--yes", "--latest", "--to", "ann@example.com"],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let raw = String::from_utf8(server.messages().remove(0)).unwrap();
    let signature: String = raw
        .split("\r\n")
        .skip_while(|l| !l.starts_with("DKIM-Signature:"))
        .take_while(|l| {
            l.starts_with("DKIM-Signature:") || l.starts_with(' ') || l.starts_with('\t')
        })
        .collect::<Vec<_>>()
        .join("");
    assert!(signature.contains("a=ed25519-sha256"), "{signature}");
    assert!(
        signature.contains("d=example.org") && signature.contains("s=briefing"),
        "{signature}"
    );
    let h = signature
        .split(';')
        .find_map(|t| t.trim().strip_prefix("h="))
        .unwrap()
        .to_ascii_lowercase();
    let covered: Vec<&str> = h.split(':').map(str::trim).collect();
    for header in [
        "from",
        "subject",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "list-id",
    ] {
        assert!(covered.contains(&header), "{header} not in h={h}");
    }
}

/// Waits until `done` holds, failing with `what` after `limit`.
#[track_caller]
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits for `child` to end, at most `limit`; its exit code.
#[track_caller]
fn exit_within(child: &mut Child, limit: Duration) -> Option<i32> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The journal's name for `email`: 128 bits of an HMAC of the address, keyed with the
/// secret, so a journal holds no address.
fn journal_key(email: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.1.as_bytes()).unwrap();
    mac.update(format!("journal\n{}", email.to_lowercase()).as_bytes());
    mac.finalize().into_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn journal_text(project: &Project) -> String {
    let dir = project.path(".briefing/sends");
    let journal = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "journal"))
        .expect("a journal");
    std::fs::read_to_string(journal).unwrap()
}

// Regression: two runs of one issue and list at once mailed people twice.
#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn a_second_send_of_the_same_issue_and_list_refuses_while_the_first_runs() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    let addresses = subscribers(&project, 12);
    let list = list(&project);
    let args = [
        "send", "--yes", "--week", "2026-W25", "--list", &list, "--rate", "4",
    ];
    let mut first = spawn_quiet(&project, &args);
    wait_for(Duration::from_secs(30), "the first delivery", || {
        !server.messages().is_empty()
    });
    let second = project.run_with(&args, &[SECRET]);
    assert_eq!(second.code, 1, "{}{}", second.stdout, second.stderr);
    assert!(
        second.stderr.contains(&format!(
            "another `briefing send` of this issue to this list is running as process {}",
            first.id()
        )),
        "{}",
        second.stderr
    );
    assert_eq!(exit_within(&mut first, Duration::from_secs(30)), Some(0));
    let mut received = server.recipients();
    received.sort();
    assert_eq!(received, addresses, "every recipient exactly once");
    // Once the first run has ended, the lock is free again.
    let again = project.run_with(&args, &[SECRET]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("12 already delivered"),
        "{}",
        again.stdout
    );
}

// Regression: one bad byte made the whole journal be ignored, and everyone was
// mailed again.
#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn a_damaged_journal_line_is_reported_and_skipped_not_the_whole_journal() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    subscribers(&project, 5);
    let list = list(&project);
    let args = ["send", "--yes", "--week", "2026-W25", "--list", &list];
    assert_eq!(project.run_with(&args, &[SECRET]).code, 0);
    let journal = std::fs::read_dir(project.path(".briefing/sends"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "journal"))
        .unwrap();
    let lines = std::fs::read_to_string(&journal).unwrap().lines().count();
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(b"garbage\xff\n");
    std::fs::write(&journal, bytes).unwrap();
    let rerun = project.run_with(&args, &[SECRET]);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    assert!(
        rerun.stderr.contains(&format!(
            "warning: the journal has 1 damaged line (line {}), skipped",
            lines + 1
        )),
        "{}",
        rerun.stderr
    );
    assert!(rerun.stdout.contains("sent 0 messages"), "{}", rerun.stdout);
    assert!(
        rerun.stdout.contains("5 already delivered"),
        "{}",
        rerun.stdout
    );
    assert_eq!(server.messages().len(), 5, "nobody was mailed twice");
}

// Regression: a single Ctrl-C hung `send` forever.
#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn ctrl_c_during_a_paced_send_stops_it_within_seconds_with_the_journal_intact() {
    let server = smtp_server(&[]);
    let project = project_for(&server, "", "");
    let addresses = subscribers(&project, 40);
    let list = list(&project);
    // Slow enough that the producer fills its queue and waits on it.
    let args = [
        "send", "--yes", "--week", "2026-W25", "--list", &list, "--rate", "2",
    ];
    let mut child = spawn_quiet(&project, &args);
    wait_for(Duration::from_secs(30), "two deliveries", || {
        server.messages().len() >= 2
    });
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    // The rate would take 100 s more: ending at all within the guard's 30 s shows the
    // pause between sends does not hold up Ctrl-C.
    assert_eq!(
        exit_within(&mut child, Duration::from_secs(30)),
        Some(130),
        "Ctrl-C ends the run with 130"
    );
    let first = server.messages().len();
    assert!(first < addresses.len(), "stopped early ({first})");
    let journal = journal_text(&project);
    assert_eq!(
        journal
            .lines()
            .filter(|l| l.starts_with("delivered\t"))
            .count(),
        first,
        "every delivery is journaled: {journal}"
    );
    let rerun = project.run_with(&args.map(|a| if a == "2" { "1000" } else { a }), &[SECRET]);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    let mut received = server.recipients();
    received.sort();
    assert_eq!(received, addresses, "the rest, each once");
}

// Regression: killed after the server had a message but before its answer, the
// resumed run sent it again under a new Message-ID.
#[test]
#[ignore = "needs python3 with aiosmtpd: run scripts/test"]
fn a_message_left_in_doubt_by_a_crash_is_resent_with_the_same_message_id() {
    let server = smtp_server(&["--hold-first-reply", "30"]);
    let project = project_for(&server, "", "");
    let addresses = subscribers(&project, 3);
    let list = list(&project);
    let args = [
        "send",
        "--yes",
        "--week",
        "2026-W25",
        "--list",
        &list,
        "--concurrency",
        "1",
    ];
    let mut child = spawn_quiet(&project, &args);
    // The server has stored the first message and holds its "250".
    wait_for(Duration::from_secs(30), "the first message", || {
        server.messages().len() == 1
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let journal = journal_text(&project);
    assert!(
        journal.starts_with(&format!(
            "attempt\t{}\t<",
            journal_key("reader0000@example.com")
        )),
        "{journal}"
    );
    assert!(!journal.contains("delivered\t"), "{journal}");
    assert!(
        !journal.contains("reader"),
        "no address in a journal: {journal}"
    );

    let skip = project.run_with(&[&args[..], &["--in-doubt", "skip"]].concat(), &[SECRET]);
    assert_eq!(skip.code, 0, "{}{}", skip.stdout, skip.stderr);
    assert!(
        skip.stdout
            .contains("1 in doubt from an interrupted run, skipped (--in-doubt skip)"),
        "{}",
        skip.stdout
    );
    let rerun = project.run_with(&args, &[SECRET]);
    assert_eq!(rerun.code, 0, "{}{}", rerun.stdout, rerun.stderr);
    assert!(
        rerun.stdout.contains(
            "1 in doubt from an interrupted run (handed over, no answer recorded): sent again with the same Message-ID"
        ),
        "{}",
        rerun.stdout
    );
    let parsed: Vec<(String, String)> = server
        .messages()
        .iter()
        .map(|raw| {
            let message = MessageParser::default().parse(raw).unwrap();
            let to = message.to().unwrap().first().unwrap().address().unwrap();
            (to.to_owned(), message.message_id().unwrap().to_owned())
        })
        .collect();
    let copies: Vec<&(String, String)> = parsed
        .iter()
        .filter(|(to, _)| to == &addresses[0])
        .collect();
    assert_eq!(copies.len(), 2, "{parsed:?}");
    assert_eq!(copies[0].1, copies[1].1, "the same Message-ID both times");
    for address in &addresses[1..] {
        assert_eq!(parsed.iter().filter(|(to, _)| to == address).count(), 1);
    }
}

// Regression: the journal ignored `--outbox DIR`, so a preview into a second folder
// had everyone "already delivered".
#[test]
fn each_outbox_has_a_journal_of_its_own() {
    let project = Project::sample();
    subscribers(&project, 3);
    let list = list(&project);
    for dir in ["preview-a", "preview-b"] {
        let outbox = project.path(dir);
        let run = project.run_with(
            &[
                "send",
                "--yes",
                "--latest",
                "--list",
                &list,
                "--outbox",
                outbox.to_str().unwrap(),
            ],
            &[SECRET],
        );
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert!(run.stdout.starts_with("sent 3 messages"), "{}", run.stdout);
        assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 3);
    }
}

// Regression: a journal write error (full disk) hung `send`, and each retry on a
// still-full disk mailed the same readers again.
#[test]
#[ignore = "needs root to mount a small disk: run scripts/test"]
fn a_full_disk_under_the_journal_stops_the_send_with_every_message_recorded() {
    let project = Project::sample();
    subscribers(&project, 800);
    let list = list(&project);
    let disk = SmallDisk::mount(&project.path(".briefing/sends"), 48);
    let outbox = project.path("outbox-full-disk");
    let args = [
        "send",
        "--yes",
        "--latest",
        "--list",
        &list,
        "--outbox",
        outbox.to_str().unwrap(),
        "--rate",
        "100000",
    ];
    let mut child = project
        .command(&args, &[SECRET])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = exit_within(&mut child, Duration::from_secs(60));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot write the journal"), "{stderr}");
    let journal = journal_text(&project);
    let attempted: std::collections::HashSet<&str> = journal
        .lines()
        .filter(|l| l.starts_with("attempt\t"))
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    let sent: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".eml"))
        .collect();
    assert!(!sent.is_empty() && sent.len() < 800, "{} sent", sent.len());
    for name in &sent {
        let email = name
            .split_once('-')
            .map_or("", |(_, rest)| rest.trim_end_matches(".eml"));
        assert!(
            attempted.contains(journal_key(email).as_str()),
            "{email} was sent without a record"
        );
    }
    drop(disk);
}

// Regression: no signature verified, since the multipart Content-Type listed in h=
// was left out of the hash. dkimpy now verifies every message, Ed25519 and RSA, with names
// and subjects that need RFC 2047; one altered header makes it fail.
#[test]
#[ignore = "needs openssl and python3 with dkimpy: run scripts/test"]
fn dkim_signatures_verify_with_dkimpy_for_both_algorithms() {
    tools::openssl();
    let seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    let project = Project::sample();
    project.write("dkim-ed25519.key", format!("{seed}\n"));
    // What `openssl genrsa` writes today (PKCS#8) and what it wrote before (PKCS#1).
    for (file, format) in [
        ("dkim-rsa.key", "-traditional"),
        ("dkim-rsa8.key", "-verbose"),
    ] {
        let made = Command::new("openssl")
            .args(["genrsa", format, "-out"])
            .arg(project.path(file))
            .arg("2048")
            .output()
            .unwrap();
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
    }
    assert!(
        project
            .read("dkim-rsa8.key")
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    let public = Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(project.path("dkim-rsa.key"))
        .arg("-out")
        .arg(project.path("dkim-rsa.pub"))
        .output()
        .unwrap();
    assert!(public.status.success());
    let public8 = Command::new("openssl")
        .args(["rsa", "-pubout", "-in"])
        .arg(project.path("dkim-rsa8.key"))
        .arg("-out")
        .arg(project.path("dkim-rsa8.pub"))
        .output()
        .unwrap();
    assert!(public8.status.success());
    project.write(
        "subscribers.csv",
        "email,name\nann@example.com,Ann Müller\nzoe@example.com,Zoë 北京 \"Z\"\nbob@example.com,\n",
    );
    let list = list(&project);
    let base = project.read("config.yaml");
    for (algorithm, key_file, key_args) in [
        ("ed25519", "dkim-ed25519.key", vec!["--ed25519-seed", seed]),
        (
            "rsa",
            "dkim-rsa.key",
            vec![
                "--rsa-public",
                project.path("dkim-rsa.pub").to_str().unwrap(),
            ],
        ),
        (
            "rsa",
            "dkim-rsa8.key",
            vec![
                "--rsa-public",
                project.path("dkim-rsa8.pub").to_str().unwrap(),
            ],
        ),
    ] {
        project.write(
            "config.yaml",
            format!(
                "{base}dkim:\n  selector: briefing\n  domain: example.org\n  key_file: {key_file}\n  algorithm: {algorithm}\n"
            ),
        );
        // `check` loads the key as `send` does.
        let check = project.run(&["check"]);
        assert_eq!(check.code, 0, "{key_file}: {}", check.stderr);
        let outbox = project.path(&format!("outbox-{key_file}"));
        let run = project.run_with(
            &[
                "send",
                "--yes",
                "--latest",
                "--list",
                &list,
                "--outbox",
                outbox.to_str().unwrap(),
            ],
            &[SECRET],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let messages: Vec<PathBuf> = std::fs::read_dir(&outbox)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(messages.len(), 3);
        let (verified, report) = dkimpy(&messages, &key_args);
        assert!(verified, "{key_file}: {report}");

        // The check can fail: one signed header altered.
        let raw = std::fs::read_to_string(&messages[0]).unwrap();
        let tampered = project.path(&format!("tampered-{key_file}.eml"));
        std::fs::write(
            &tampered,
            raw.replacen("List-Id: \"vff Briefing\"", "List-Id: \"vff Briefing!\"", 1),
        )
        .unwrap();
        assert_ne!(std::fs::read_to_string(&tampered).unwrap(), raw);
        let (verified, report) = dkimpy(&[tampered], &key_args);
        assert!(
            !verified,
            "{key_file}: a tampered message verified: {report}"
        );
    }
}

// The README's advice: `dkim keygen` makes an RSA and an Ed25519 key and prints the records
// and the setting; with that setting every message carries two signatures, and dkimpy
// verifies each against the records as printed.
#[test]
#[ignore = "needs python3 with dkimpy: run scripts/test"]
fn messages_signed_with_both_keys_verify_against_the_printed_records() {
    let project = Project::sample();
    let made = project.run(&["dkim", "keygen", "--selector", "2026-12"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let zone: String = made
        .stdout
        .lines()
        .filter(|l| l.contains(" IN TXT "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(zone.lines().count(), 2, "{}", made.stdout);
    assert!(zone.contains("2026-12-rsa._domainkey.example.org. IN TXT ( \"v=DKIM1; k=rsa; p="));
    assert!(
        zone.contains("2026-12-ed25519._domainkey.example.org. IN TXT ( \"v=DKIM1; k=ed25519; p=")
    );
    // Every TXT string within the 255 characters DNS allows.
    for string in zone.split('"').skip(1).step_by(2) {
        assert!(string.len() <= 255, "{string}");
    }
    project.write("records.zone", &zone);
    let setting = &made.stdout[made.stdout.find("dkim:\n").unwrap()..];
    let setting = &setting[..setting.find("\n\n").unwrap() + 1];
    project.reconfigure(&[], setting);
    let check = project.run(&["check", "--strict"]);
    assert_eq!(check.code, 0, "{}", check.stderr);

    subscribers(&project, 3);
    let list = list(&project);
    let outbox = project.path("signed");
    let run = project.run_with(
        &[
            "send",
            "--yes",
            "--latest",
            "--list",
            &list,
            "--outbox",
            outbox.to_str().unwrap(),
        ],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let messages: Vec<PathBuf> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(messages.len(), 3);
    let records = project.path("records.zone").display().to_string();
    let (verified, report) = dkimpy(&messages, &["--records", &records, "--signatures", "2"]);
    assert!(verified, "{report}");
    assert_eq!(report.matches("ok ").count(), 6, "{report}");
    assert!(
        report.contains("a=rsa-sha256") && report.contains("a=ed25519-sha256"),
        "{report}"
    );

    // A record with another key fails that signature: the check can fail.
    let other = project.run(&["dkim", "keygen", "--selector", "other"]);
    let wrong_rsa = other
        .stdout
        .lines()
        .find(|l| l.starts_with("other-rsa._domainkey"))
        .unwrap()
        .replace("other-rsa._domainkey", "2026-12-rsa._domainkey");
    let ed_line = zone.lines().find(|l| l.contains("ed25519")).unwrap();
    project.write("wrong.zone", format!("{wrong_rsa}\n{ed_line}\n"));
    let wrong = project.path("wrong.zone").display().to_string();
    let (verified, report) = dkimpy(&messages[..1], &["--records", &wrong, "--signatures", "2"]);
    assert!(!verified, "{report}");
    assert!(
        report.contains("FAIL") && report.contains("s=2026-12-rsa"),
        "{report}"
    );
}

// A reader who unsubscribes while a long send runs is not mailed by it: the send reads the
// store's suppression again before each batch (at least once a second).
#[test]
fn a_reader_who_unsubscribes_during_a_send_is_not_mailed_by_it() {
    let project = Project::sample();
    subscribers(&project, 20);
    let import = project.run_with(&["subscribers", "import", &list(&project)], &[SECRET]);
    assert_eq!(import.code, 0, "{import:?}");
    let outbox = project.path("paced");
    let child = project
        .command(
            &[
                "send",
                "--yes",
                "--latest",
                "--outbox",
                outbox.to_str().unwrap(),
                "--rate",
                "4",
                "--concurrency",
                "1",
            ],
            &[SECRET],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // At four a second, the last of twenty is five seconds away when the first is out.
    wait_for(Duration::from_secs(30), "the first message", || {
        std::fs::read_dir(&outbox).is_ok_and(|d| d.count() > 0)
    });
    let left = project.run_with(
        &["subscribers", "remove", "reader0019@example.com"],
        &[SECRET],
    );
    assert_eq!(left.code, 0, "{left:?}");
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let sent: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(sent.len(), 19, "{sent:?}");
    assert!(
        !sent.iter().any(|name| name.contains("reader0019")),
        "{sent:?}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("1 unsubscribed, bounced or complained"),
        "{stdout}"
    );
}

// Regression: the journal was named after the list as typed, so a link to the same list (or
// a second list that overlaps the first) mailed the same readers again. One journal per
// issue and destination keeps one record per reader, whatever list they came from.
#[test]
fn a_linked_list_and_an_overlapping_list_mail_nobody_twice() {
    let project = Project::sample();
    let outbox = project.path("out");
    let write_list = |name: &str, range: std::ops::Range<usize>| {
        let rows: String = range
            .map(|i| format!("reader{i:04}@example.com,Reader {i},\n"))
            .collect();
        project.write(name, format!("email,name,status\n{rows}"));
        project.path(name).display().to_string()
    };
    let send = |list: &str| {
        let run = project.run_with(
            &[
                "send",
                "--yes",
                "--latest",
                "--list",
                list,
                "--outbox",
                outbox.to_str().unwrap(),
                "--rate",
                "100000",
            ],
            &[SECRET],
        );
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    let first = write_list("list200.csv", 0..200);
    assert!(send(&first).contains("sent 200 messages"));
    std::os::unix::fs::symlink(project.path("list200.csv"), project.path("listlink.csv")).unwrap();
    let linked = send(&project.path("listlink.csv").display().to_string());
    assert!(
        linked.contains("sent 0 messages") && linked.contains("200 already delivered"),
        "{linked}"
    );
    // Half of this list had the issue from the first.
    let overlapping = write_list("more.csv", 100..300);
    let more = send(&overlapping);
    assert!(
        more.contains("sent 100 messages") && more.contains("100 already delivered"),
        "{more}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 300, "each reader once");
}

// The footer a reader sees, in both parts of a sent message: the promise, why they get it,
// the unsubscribe link and the postal address, each once and reading as sentences (it once
// read "No spam. Unsubscribe any time. Unsubscribe").
#[test]
fn the_footer_of_a_sent_message_reads_naturally_in_both_parts() {
    let project = Project::sample();
    let outbox = project.path("footer").display().to_string();
    let run = project.run_with(
        &[
            "send",
            "--yes",
            "--latest",
            "--to",
            "ann@example.org",
            "--outbox",
            &outbox,
        ],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = std::fs::read_dir(project.path("footer"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let raw = std::fs::read(file).unwrap();
    let message = MessageParser::default().parse(&raw).unwrap();
    let text = message.body_text(0).unwrap().replace("\r\n", "\n");
    let footer = &text[text.rfind("\n-----").expect("the footer's rule")..];
    let unsubscribe = footer
        .lines()
        .find_map(|l| l.strip_prefix("Unsubscribe: "))
        .expect("an unsubscribe line")
        .to_owned();
    let footer = footer.replace(&unsubscribe, "<unsubscribe link>");
    // The HTML footer as a reader sees it: its text, paragraph by paragraph.
    let html = message.body_html(0).unwrap();
    let colophon = &html[html.find("class=\"colophon\"").expect("a colophon")..];
    let colophon = &colophon[..colophon.find("</div>").unwrap()];
    let paragraphs: Vec<String> = colophon
        .split("<p")
        .skip(1)
        .map(|p| {
            let inner = &p[p.find('>').unwrap() + 1..p.find("</p>").unwrap()];
            let mut shown = String::new();
            let mut in_tag = false;
            for c in inner.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => shown.push(c),
                    _ => {}
                }
            }
            shown
        })
        .collect();
    assert!(colophon.contains(&format!("href=\"{}\"", unsubscribe.replace('&', "&amp;"))));
    insta::assert_snapshot!(
        "sent-footer",
        format!(
            "text part:{footer}\nHTML part:\n{}\n",
            paragraphs.join("\n")
        )
    );
}

#[test]
fn a_send_says_who_was_not_mailed_for_not_confirming_and_when_nobody_is_there() {
    let project = Project::sample();
    let import = fixture_path("import/buttondown-subscribers.csv");
    let run = project.run_with(&["subscribers", "import", &import], &[SECRET]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = project.run_with(&["send", "--yes", "--latest"], &[SECRET]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("sent 2 messages"), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "not mailed: 1 who signed up and has not confirmed \
             (`briefing subscribers list --status pending`)"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_dir(project.path("outbox/2026-w25"))
            .unwrap()
            .count(),
        2
    );

    // A list whose only reader was erased: nothing sent, and what to do about it.
    let empty = Project::sample();
    for args in [
        &["subscribers", "add", "reader@example.org"][..],
        &["subscribers", "forget", "reader@example.org"][..],
    ] {
        let run = empty.run_with(args, &[SECRET]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let run = empty.run_with(&["send", "--yes", "--latest"], &[SECRET]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("sent 0 messages"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("nobody to mail yet: `briefing listen` signs readers up"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("not mailed"), "{}", run.stdout);
}

/// A file under `tests/fixtures`, as a string.
fn fixture_path(name: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}
