//! `briefing listen` and `briefing subscribers`: the real service on a free loopback port,
//! driven by curl (a real HTTP client) and by the bytes a mail provider sends, confirmation
//! messages caught by aiosmtpd or the outbox, and the SQLite file read after each step.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use hmac::Mac as _;
use mail_parser::MessageParser;

use crate::project::Project;
use crate::support::mail::{
    SmallDisk, SmtpServer, dkimpy, link_in, outbox_messages, python_email, smtp_server,
};
use crate::support::process::{Running, spawn_ready};
use crate::support::{SECRET, free_port, http, tools};

const LIST_ID: &str = "news.example.org";

/// A running `briefing listen`.
struct Service {
    running: Running,
    port: u16,
}

impl Service {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> String {
        self.running.log()
    }
}

/// The sample newsletter with `audience.url` on `port`, mailing through `smtp` (or into the
/// outbox).
fn project_on(port: u16, smtp: Option<&SmtpServer>) -> Project {
    let project = Project::sample();
    let mut extra = format!(
        "audience:\n  description: For testers.\n  url: http://127.0.0.1:{port}/\nlist_id: {LIST_ID}\n"
    );
    if let Some(server) = smtp {
        extra.push_str(&format!(
            "smtp:\n  host: 127.0.0.1\n  port: {}\n  security: none\n",
            server.port
        ));
    }
    project.reconfigure(&["unsubscribe_url", "audience"], &extra);
    project
}

/// Starts `briefing listen` for `project` on `port` and waits until it answers.
#[track_caller]
fn start(project: &Project, port: u16, extra: &[&str]) -> Service {
    let (running, line) = spawn_ready(
        project.command(
            &[&["listen", "--bind", &format!("127.0.0.1:{port}")], extra].concat(),
            &[SECRET],
        ),
        Some(project.path("listen.log")),
    );
    let service = Service { running, port };
    assert!(
        line.starts_with("listening on"),
        "unexpected first line: {line:?}\n{}",
        service.log()
    );
    service
}

/// Runs curl with `args`; status and body.
fn curl(args: &[&str]) -> (u16, String) {
    tools::curl();
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "30", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

/// Sends `request` as raw bytes; the status line's code, the head and the body.
fn raw(port: u16, request: &[u8]) -> (u16, String, String) {
    let answer = http::send(&format!("127.0.0.1:{port}"), request);
    (answer.status, answer.head, answer.body)
}

/// The one-click POST exactly as Gmail sends it (RFC 8058, section 3.1).
fn one_click(port: u16, path_and_query: &str) -> (u16, String, String) {
    let body = "List-Unsubscribe=One-Click";
    raw(
        port,
        format!(
            "POST {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

fn database(project: &Project) -> rusqlite::Connection {
    rusqlite::Connection::open(project.path(".briefing/audience.sqlite3")).unwrap()
}

/// Status of `email` in the database, read with SQLite itself.
fn status(project: &Project, email: &str) -> Option<String> {
    database(project)
        .query_row(
            "SELECT status FROM subscribers WHERE address_key = lower(?1)",
            [email],
            |r| r.get(0),
        )
        .ok()
}

/// `(status, source)` of every event of `email`, oldest first.
fn history(project: &Project, email: &str) -> Vec<(String, String)> {
    let db = database(project);
    let mut statement = db
        .prepare(
            "SELECT e.status, e.source FROM events e JOIN subscribers s ON s.id = e.subscriber_id
             WHERE s.address_key = lower(?1) ORDER BY e.id",
        )
        .unwrap();
    statement
        .query_map([email], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn count_rows(project: &Project) -> usize {
    database(project)
        .query_row("SELECT count(*) FROM subscribers", [], |r| r.get(0))
        .unwrap()
}

/// The path and query of an absolute URL on the service.
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

/// Waits up to 10 s for `done`, then fails naming `what`.
#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still waiting for {what} after 10 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn count(project: &Project, sql: &str) -> usize {
    database(project).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// The confirmation messages the service's worker mailed into the outbox, once it has taken
/// every queued sign-up and mailed each confirmation it made.
#[track_caller]
fn confirmations_sent(project: &Project) -> Vec<Vec<u8>> {
    wait_for("the sign-up queue to empty", || {
        count(project, "SELECT count(*) FROM signup_queue") == 0
    });
    let made = count(project, "SELECT count(*) FROM signups");
    let dir = project.path("outbox/confirmations");
    wait_for("the confirmations to be written", || {
        outbox_messages(&dir).len() >= made
    });
    outbox_messages(&dir)
}

fn sign_up(service: &Service, email: &str) -> (u16, String) {
    curl(&[
        "--data-urlencode",
        &format!("email={email}"),
        "--data-urlencode",
        "name=Ann Reader",
        &service.url("/subscribe"),
    ])
}

// A confirmation goes from the reader's VERP address, like an issue: when it bounces, the
// report names its reader with proof, and `bounces ingest` marks exactly that address.
#[test]
#[ignore = "needs curl and python3 with aiosmtpd: run scripts/test"]
fn a_confirmation_that_bounces_names_its_reader_through_its_verp_address() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("bounces");
    let server = smtp_server(&[
        "--bounce-after-data",
        "zed@example.org",
        "--bounce-maildir",
        maildir.to_str().unwrap(),
    ]);
    let port = free_port();
    let project = project_on(port, Some(&server));
    let config = project.read("config.yaml").replace(
        "  description: For testers.\n",
        "  description: For testers.\n  bounce_address: bounces@example.org\n",
    );
    project.write("config.yaml", config);
    let service = start(&project, port, &[]);
    assert_eq!(sign_up(&service, "ann@example.org").0, 200);
    assert_eq!(sign_up(&service, "zed@example.org").0, 200);
    wait_for("both confirmations", || server.messages().len() == 2);
    wait_for("the relay's report", || {
        std::fs::read_dir(maildir.join("new")).is_ok_and(|d| d.count() == 1)
    });
    drop(service);
    let senders = std::fs::read_to_string(server.maildir_path().join("mailfrom.log")).unwrap();
    for line in senders.lines() {
        assert!(line.starts_with("bounces+confirm."), "{senders}");
    }
    let ingest = project.run_with(&["bounces", "ingest", maildir.to_str().unwrap()], &[SECRET]);
    assert_eq!(ingest.code, 0, "{ingest:?}");
    assert_eq!(
        status(&project, "zed@example.org").as_deref(),
        Some("bounced")
    );
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("pending")
    );
}

#[test]
#[ignore = "needs curl and python3 with aiosmtpd: run scripts/test"]
fn sign_up_confirm_and_unsubscribe_with_a_real_smtp_server() {
    let server = smtp_server(&[]);
    let port = free_port();
    let project = project_on(port, Some(&server));
    let service = start(&project, port, &[]);

    let (code, form) = curl(&[&service.url("/subscribe")]);
    assert_eq!(code, 200);
    assert!(
        form.contains("<form class=\"signup\" method=\"post\""),
        "{form}"
    );
    assert!(
        form.contains("href=\"https://briefing.example.org/style.css\""),
        "{form}"
    );

    let (code, page) = sign_up(&service, "Ann@Example.org");
    assert_eq!(code, 200);
    assert!(page.contains("Check your inbox"), "{page}");
    // The answer leaves first; the worker then decides the sign-up and mails the link.
    wait_for("the confirmation message", || server.messages().len() == 1);
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("pending")
    );
    let messages = server.messages();
    let parsed = MessageParser::default().parse(&messages[0]).unwrap();
    assert_eq!(
        parsed.subject(),
        Some("Confirm your subscription to vff Briefing")
    );
    // In the newsletter's email style: masthead, heading, main landmark, inlined styles and
    // the dark-mode block; what the form's typist chose (the name) is not in it.
    let html = parsed.body_html(0).unwrap();
    assert!(html.contains("Confirm my subscription"));
    assert!(html.contains("<h1 style="), "{html}");
    assert!(html.contains("role=\"main\""), "{html}");
    assert!(
        html.contains("@media (prefers-color-scheme: dark)"),
        "{html}"
    );
    assert!(html.contains(">vff Briefing</a>"), "{html}");
    assert!(!html.contains("Ann Reader"), "{html}");
    let confirm = link_in(&messages[0], "/confirm?");

    assert!(confirm.contains("/confirm?s=1&t="), "{confirm}");
    assert!(
        !confirm.to_lowercase().contains("ann"),
        "no address in the link: {confirm}"
    );

    // The link of another sign-up, or with a changed check, does nothing, opened or posted.
    let forged = confirm.replace("s=1&", "s=2&");
    let last = confirm.chars().last().unwrap();
    let damaged = format!(
        "{}{}",
        &confirm[..confirm.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    for link in [&forged, &damaged] {
        let (code, page) = curl(&[link]);
        assert_eq!(code, 400, "{link}");
        assert!(page.contains("This link does not work"), "{page}");
        assert_eq!(curl(&["-X", "POST", link]).0, 400, "{link}");
    }
    // Opened (GET, and HEAD as mail gateways do), it shows a button and changes nothing.
    let (code, page) = curl(&[&confirm]);
    assert_eq!(code, 200);
    assert!(page.contains("Yes, subscribe me"), "{page}");
    assert_eq!(curl(&["-I", &confirm]).0, 200);
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("pending")
    );

    // The button's POST is the consent.
    let (code, page) = curl(&["-X", "POST", &confirm]);
    assert_eq!(code, 200);
    assert!(page.contains("You are subscribed"), "{page}");
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("active")
    );
    let (code, page) = curl(&["-X", "POST", &confirm]);
    assert_eq!(code, 200, "pressing it twice is fine");
    assert!(page.contains("confirmed already"), "{page}");
    // One welcome, through the same server, for the one confirmation.
    wait_for("the welcome", || server.messages().len() == 2);
    let welcome = MessageParser::default()
        .parse(&server.messages()[1])
        .unwrap()
        .subject()
        .map(str::to_owned);
    assert_eq!(welcome.as_deref(), Some("Welcome to vff Briefing"));

    // The issue goes to the store's active subscribers; its unsubscribe link is the service's.
    let sent = project.run_with(&["send", "--yes", "--latest"], &[SECRET]);
    assert_eq!(sent.code, 0, "{sent:?}");
    let messages = server.messages();
    assert_eq!(messages.len(), 3, "confirmation, welcome, issue");
    let issue = MessageParser::default().parse(&messages[2]).unwrap();
    let header = issue
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .to_owned();
    let unsubscribe = header
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();
    // An opaque reference: the link names nobody in the clear.
    assert!(
        unsubscribe.starts_with(&service.url("/unsubscribe?u=")),
        "{unsubscribe}"
    );
    assert!(
        !unsubscribe.to_lowercase().contains("ann") && !unsubscribe.contains("%40"),
        "{unsubscribe}"
    );
    assert!(
        issue
            .body_html(0)
            .unwrap()
            .contains(&unsubscribe.replace('&', "&amp;")),
        "the footer links the same address"
    );

    // Opening the link shows the address and a button, and changes nothing.
    let (code, page) = curl(&[&unsubscribe]);
    assert_eq!(code, 200);
    assert!(page.contains("<strong>ann@example.org</strong>"), "{page}");
    assert!(page.contains("<button type=\"submit\">Unsubscribe</button>"));
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("active")
    );

    // The one-click POST as Gmail sends it: 200, no redirect, unsubscribed at once.
    let (code, head, _) = one_click(port, &path_of(&unsubscribe));
    assert_eq!(code, 200, "{head}");
    assert!(
        !head.to_ascii_lowercase().contains("\r\nlocation:"),
        "{head}"
    );
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("unsubscribed")
    );
    // Again: still 200, nothing added to the history.
    assert_eq!(one_click(port, &path_of(&unsubscribe)).0, 200);
    assert_eq!(
        history(&project, "ann@example.org"),
        [
            ("pending".to_owned(), "form".to_owned()),
            ("active".to_owned(), "link".to_owned()),
            ("unsubscribed".to_owned(), "one-click".to_owned()),
        ]
    );
    // The next send mails nobody.
    let again = project.run_with(&["send", "--yes", "--latest", "--resend"], &[SECRET]);
    assert!(again.stdout.contains("sent 0 messages"), "{again:?}");
    assert_eq!(server.messages().len(), 3);

    // The log has a line per request and no address, not even encoded.
    let log = service.log();
    assert!(log.contains("POST /unsubscribe 200"), "{log}");
    assert!(log.contains("GET /confirm 400"), "{log}");
    assert!(!log.to_lowercase().contains("ann"), "{log}");
}

#[test]
#[ignore = "needs curl: run scripts/test"]
fn a_one_click_as_multipart_form_data_and_the_page_button_both_unsubscribe() {
    let port = free_port();
    let project = project_on(port, None);
    let service = start(&project, port, &[]);
    for email in ["a@example.org", "b@example.org"] {
        assert_eq!(
            project
                .run_with(&["subscribers", "add", email], &[SECRET])
                .code,
            0
        );
    }
    let url = |email: &str| {
        service.url(&format!(
            "/unsubscribe?email={}&token={}",
            email.replace('@', "%40"),
            unsubscribe_token(email)
        ))
    };
    // curl -F sends multipart/form-data, as some providers do.
    let (code, _) = curl(&["-F", "List-Unsubscribe=One-Click", &url("a@example.org")]);
    assert_eq!(code, 200);
    // The page's button posts its own field.
    let (code, page) = curl(&["--data", "confirm=yes", &url("b@example.org")]);
    assert_eq!(code, 200);
    assert!(page.contains("You are unsubscribed"), "{page}");
    assert_eq!(history(&project, "a@example.org")[1].1, "one-click");
    assert_eq!(history(&project, "b@example.org")[1].1, "link");
}

fn unsubscribe_token(email: &str) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.1.as_bytes()).unwrap();
    mac.update(format!("{}\n{LIST_ID}", email.to_lowercase()).as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn confirmation_token(email: &str, issued: i64) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.1.as_bytes()).unwrap();
    mac.update(format!("confirm\n{}\n{LIST_ID}\n{issued}", email.to_lowercase()).as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
#[ignore = "needs curl: run scripts/test"]
fn the_sign_up_answer_never_tells_whether_an_address_is_on_the_list() {
    let port = free_port();
    let project = project_on(port, None);
    let service = start(&project, port, &[]);
    project.run_with(&["subscribers", "add", "active@example.org"], &[SECRET]);
    project.run_with(&["subscribers", "add", "gone@example.org"], &[SECRET]);
    project.run_with(&["subscribers", "remove", "gone@example.org"], &[SECRET]);
    let mut answers = Vec::new();
    for (i, email) in [
        "new@example.org",
        "new@example.org",
        "active@example.org",
        "gone@example.org",
    ]
    .into_iter()
    .enumerate()
    {
        let (code, page) = curl(&[
            "-H",
            &format!("X-Forwarded-For: 192.0.2.{i}"),
            "--data-urlencode",
            &format!("email={email}"),
            &service.url("/subscribe"),
        ]);
        assert_eq!(code, 200);
        answers.push(page.replace(email, "ADDRESS"));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:#?}");
    // New and re-joining addresses got one confirmation each; the repeat and the active
    // reader none.
    assert_eq!(confirmations_sent(&project).len(), 2);
    // A sign-up is a request, not consent: the one who left stays unsubscribed (and unmailed)
    // until the owner of the address confirms; the active one is left alone.
    assert_eq!(
        status(&project, "gone@example.org").as_deref(),
        Some("unsubscribed")
    );
    assert_eq!(
        status(&project, "active@example.org").as_deref(),
        Some("active")
    );
}

#[test]
#[ignore = "needs curl: run scripts/test"]
fn bad_requests_get_clear_answers_and_change_nothing() {
    let port = free_port();
    let project = project_on(port, None);
    let service = start(&project, port, &[]);
    project.run_with(&["subscribers", "add", "ann@example.org"], &[SECRET]);

    assert_eq!(curl(&[&service.url("/healthz")]), (200, "ok\n".to_owned()));
    assert_eq!(curl(&[&service.url("/nothing-here")]).0, 404);

    // Unsubscribe links: missing, malformed, or another address's token.
    for query in [
        "",
        "?email=ann%40example.org",
        "?email=ann%40example.org&token=zz",
        &format!(
            "?email=bob%40example.org&token={}",
            unsubscribe_token("ann@example.org")
        ),
    ] {
        let (code, page) = curl(&[&service.url(&format!("/unsubscribe{query}"))]);
        assert_eq!(code, 400, "{query}");
        assert!(page.contains("This link does not work"), "{page}");
        let (code, _, _) = one_click(port, &format!("/unsubscribe{query}"));
        assert_eq!(code, 400, "{query}");
    }
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("active")
    );
    assert_eq!(status(&project, "bob@example.org"), None);

    // An expired confirmation: a way to sign up again, nothing changed.
    curl(&[
        "--data",
        "email=late@example.org",
        &service.url("/subscribe"),
    ]);
    let issued = chrono::Utc::now().timestamp() - 8 * 24 * 3600;
    let (code, page) = curl(&[&service.url(&format!(
        "/confirm?email=late%40example.org&issued={issued}&token={}",
        confirmation_token("late@example.org", issued)
    ))]);
    assert_eq!(code, 400);
    assert!(page.contains("This link has expired"), "{page}");
    assert!(
        page.contains(&format!("href=\"{}\"", service.url("/subscribe"))),
        "{page}"
    );
    confirmations_sent(&project);
    assert_eq!(
        status(&project, "late@example.org").as_deref(),
        Some("pending")
    );

    // Invalid addresses: the form again, with the error and what was typed.
    for (email, says) in [
        ("not-an-address", "is not an email address"),
        ("", "Enter your email address"),
        ("\u{212A}ate@example.org", "only looks like"),
    ] {
        let (code, page) = curl(&[
            "--data-urlencode",
            &format!("email={email}"),
            &service.url("/subscribe"),
        ]);
        assert_eq!(code, 422, "{email}");
        assert!(page.contains(says), "{email}: {page}");
        assert!(page.contains("aria-invalid=\"true\""), "{page}");
    }

    // A body over 16 KB: 413, whether it says its length or not.
    let big = format!("email={}@example.org", "a".repeat(17 * 1024));
    let (code, _) = curl(&["--data", &big, &service.url("/subscribe")]);
    assert_eq!(code, 413);
    let (code, _) = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data",
        &big,
        &service.url("/subscribe"),
    ]);
    assert_eq!(code, 413);

    // The bots' field filled in: the usual answer, nothing stored or sent.
    let (code, page) = curl(&[
        "--data",
        "email=bot@example.org&website=http://spam.example",
        &service.url("/subscribe"),
    ]);
    assert_eq!(code, 200);
    assert!(page.contains("Check your inbox"));
    assert_eq!(status(&project, "bot@example.org"), None);

    // One client gets five sign-ups in a burst, then waits.
    let codes: Vec<u16> = (0..7)
        .map(|i| {
            curl(&[
                "--data",
                &format!("email=r{i}@example.org"),
                &service.url("/subscribe"),
            ])
            .0
        })
        .collect();
    assert!(codes.contains(&429), "{codes:?}");
    assert_eq!(*codes.last().unwrap(), 429, "{codes:?}");
    // Another reader behind the same local proxy has an allowance of its own.
    let (code, _) = curl(&[
        "-H",
        "X-Forwarded-For: 203.0.113.9",
        "--data",
        "email=other@example.org",
        &service.url("/subscribe"),
    ]);
    assert_eq!(code, 200);
}

#[test]
#[ignore = "needs curl: run scripts/test"]
fn a_hundred_identical_sign_ups_at_once_make_one_row_and_one_message() {
    let port = free_port();
    let project = project_on(port, None);
    let service = start(&project, port, &[]);
    let mut args: Vec<String> = vec!["--parallel".into(), "--parallel-max".into(), "100".into()];
    for i in 0..100 {
        args.extend([
            "-H".into(),
            format!("X-Forwarded-For: 198.51.100.{i}"),
            "--data".into(),
            "email=same@example.org".into(),
            service.url("/subscribe"),
            "-o".into(),
            "/dev/null".into(),
            "--next".into(),
        ]);
    }
    args.pop();
    let (_, codes) = curl(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let _ = codes;
    let outbox = confirmations_sent(&project);
    assert_eq!(count_rows(&project), 1);
    assert_eq!(outbox.len(), 1, "one confirmation, not {}", outbox.len());
    assert_eq!(history(&project, "same@example.org").len(), 1);
    drop(service);
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_unsubscribe() {
    let port = free_port();
    let project = project_on(port, None);
    let list: String = std::iter::once("email\n".to_owned())
        .chain((0..2000).map(|i| format!("r{i}@example.org\n")))
        .collect();
    project.write("list.csv", list);
    assert_eq!(
        project
            .run_with(
                &[
                    "subscribers",
                    "import",
                    project.path("list.csv").to_str().unwrap()
                ],
                &[SECRET]
            )
            .code,
        0
    );
    let service = start(&project, port, &[]);
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let acknowledged = std::sync::Arc::clone(&acknowledged);
            std::thread::spawn(move || {
                for i in (w..2000).step_by(8) {
                    let email = format!("r{i}@example.org");
                    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
                        return;
                    };
                    let body = "List-Unsubscribe=One-Click";
                    let request = format!(
                        "POST /unsubscribe?email={}&token={} HTTP/1.1\r\nHost: x\r\n\
                         Content-Type: application/x-www-form-urlencoded\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        email.replace('@', "%40"),
                        unsubscribe_token(&email),
                        body.len()
                    );
                    if stream.write_all(request.as_bytes()).is_err() {
                        return;
                    }
                    let mut answer = Vec::new();
                    let _ = stream.read_to_end(&mut answer);
                    if answer.starts_with(b"HTTP/1.1 200") {
                        acknowledged.lock().unwrap().push(email);
                    }
                }
            })
        })
        .collect();
    // Let the load run, then kill the service without warning.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 200 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut service = service;
    service.running.child().kill().unwrap();
    service.running.child().wait().unwrap();
    for worker in workers {
        worker.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 200, "{}", acknowledged.len());
    assert!(acknowledged.len() < 2000, "the kill came after the end");
    let db = database(&project);
    let integrity: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    for email in &acknowledged {
        assert_eq!(
            status(&project, email).as_deref(),
            Some("unsubscribed"),
            "{email} was answered 200 but is not unsubscribed"
        );
    }
}

#[test]
fn a_locked_database_queues_the_one_click_on_disk_answers_200_and_writes_it_later() {
    let port = free_port();
    let project = project_on(port, None);
    project.run_with(&["subscribers", "add", "ann@example.org"], &[SECRET]);
    let service = start(&project, port, &[]);
    let url = format!(
        "/unsubscribe?email=ann%40example.org&token={}",
        unsubscribe_token("ann@example.org")
    );
    // Another process holds the database (a long import, a backup): mail clients do not
    // retry a one-click POST, so it must not be refused.
    let db = database(&project);
    db.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (code, _, body) = one_click(port, &url);
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("You are unsubscribed"), "{body}");
    // Nothing half-written: the row is as it was, and the request waits on disk, where the
    // next send already counts it.
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("active")
    );
    let queued = project.path(".briefing/audience.sqlite3.unsubscribes");
    assert_eq!(std::fs::read_dir(&queued).unwrap().count(), 1);
    let sent = project.run_with(&["send", "--yes", "--latest", "--dry-run"], &[SECRET]);
    assert!(sent.stdout.contains("dry run: 0 messages"), "{sent:?}");
    assert!(
        service.log().contains("locked by another process"),
        "{}",
        service.log()
    );
    // Once the lock is gone, the worker writes it: once, with its own time and source.
    db.execute_batch("ROLLBACK").unwrap();
    wait_for("the queued unsubscribe to be written", || {
        status(&project, "ann@example.org").as_deref() == Some("unsubscribed")
    });
    assert_eq!(
        history(&project, "ann@example.org"),
        [
            ("active".to_owned(), "command".to_owned()),
            ("unsubscribed".to_owned(), "one-click".to_owned()),
        ]
    );
    wait_for("the queue to empty", || {
        std::fs::read_dir(&queued).unwrap().count() == 0
    });
    assert_eq!(one_click(port, &url).0, 200);
    assert_eq!(history(&project, "ann@example.org").len(), 2);
}

#[test]
#[ignore = "needs curl: run scripts/test"]
fn slow_clients_do_not_hold_up_the_others() {
    let port = free_port();
    let project = project_on(port, None);
    let service = start(&project, port, &[]);
    // Two hundred connections that send half a request and wait.
    let idle: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(
                b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nemail=",
            )
            .unwrap();
            s
        })
        .collect();
    // Answered at all (curl gives up after 30 s): the stalled connections hold no place
    // another request needs.
    let (code, _) = curl(&[&service.url("/healthz")]);
    assert_eq!(code, 200);
    // A request whose body never comes is timed out, not held forever.
    let mut slow = TcpStream::connect(("127.0.0.1", port)).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    slow.write_all(b"POST /subscribe HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=")
        .unwrap();
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    drop(idle);
}

// Idle sockets cannot use up the service's file descriptors: a connection that sends no
// whole header within 10 s (nothing at all, half a header, or a kept-alive connection left
// idle) is closed by the service.
#[test]
fn a_client_that_sends_no_whole_header_is_disconnected() {
    let port = free_port();
    let project = project_on(port, None);
    let service = start(&project, port, &[]);
    let mut stalled: Vec<TcpStream> = Vec::new();
    for i in 0..40 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        match i % 3 {
            0 => {}
            1 => stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow:")
                .unwrap(),
            _ => {
                // A whole request on a kept-alive connection, then nothing.
                stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
            }
        }
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        stalled.push(stream);
    }
    // Others are served meanwhile.
    assert_eq!(http::get(&format!("127.0.0.1:{port}"), "/healthz").0, 200);
    for (i, stream) in stalled.iter_mut().enumerate() {
        let mut rest = Vec::new();
        // Ends with the service closing the socket, not with our 30 s read timeout.
        let read = stream.read_to_end(&mut rest);
        assert!(read.is_ok(), "connection {i} was not closed: {read:?}");
        if i % 3 == 2 {
            assert!(
                rest.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&rest)
            );
        }
    }
    drop(service);
}

#[test]
fn subscribers_commands_import_export_and_keep_consent() {
    let project = Project::sample();
    let run = |args: &[&str]| project.run_with(args, &[SECRET]);
    project.write(
        "bad.csv",
        "email,name,status\nann@example.org,Ann,\nnot-an-address,Bob,\nc@example.org,C,maybe\n",
    );
    let bad = run(&[
        "subscribers",
        "import",
        project.path("bad.csv").to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("bad.csv:3:"), "{}", bad.stderr);
    assert!(bad.stderr.contains("bad.csv:4:"), "{}", bad.stderr);
    assert!(bad.stderr.contains("`status` is `maybe`"), "{}", bad.stderr);
    assert!(
        !project.path(".briefing/audience.sqlite3").exists(),
        "nothing imported from a bad file: not even a store is made"
    );

    project.write(
        "list.csv",
        "\u{feff}email,name,status\nann@example.org,Ann,subscribed\nBob@Example.org,Bob,\ncarol@example.org,,unsubscribed\nANN@example.org,Dup,\n",
    );
    let first = run(&[
        "subscribers",
        "import",
        project.path("list.csv").to_str().unwrap(),
    ]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.stdout.contains("3 added"), "{}", first.stdout);
    let again = run(&[
        "subscribers",
        "import",
        project.path("list.csv").to_str().unwrap(),
    ]);
    assert!(
        again.stdout.contains("0 added, 0 updated, 3 unchanged"),
        "{}",
        again.stdout
    );

    assert_eq!(run(&["subscribers", "remove", "bob@example.org"]).code, 0);
    let kept = run(&[
        "subscribers",
        "import",
        project.path("list.csv").to_str().unwrap(),
    ]);
    assert!(kept.stdout.contains("stayed so"), "{}", kept.stdout);
    assert_eq!(
        status(&project, "bob@example.org").as_deref(),
        Some("unsubscribed")
    );
    let refused = run(&["subscribers", "add", "bob@example.org"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("--reactivate"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        run(&["subscribers", "add", "bob@example.org", "--reactivate"]).code,
        0
    );
    assert_eq!(run(&["subscribers", "add", "not an address"]).code, 1);

    let active = run(&["subscribers", "list", "--status", "active"]);
    assert_eq!(active.stdout.lines().count(), 2, "{}", active.stdout);
    let export = run(&["subscribers", "export"]);
    let mut reader = csv::Reader::from_reader(export.stdout.as_bytes());
    let rows: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[2].to_owned())
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("ann@example.org".to_owned(), "active".to_owned()),
            ("Bob@Example.org".to_owned(), "active".to_owned()),
            ("carol@example.org".to_owned(), "unsubscribed".to_owned()),
        ]
    );
    // The export imports back as it is.
    project.write("export.csv", &export.stdout);
    let back = run(&[
        "subscribers",
        "import",
        project.path("export.csv").to_str().unwrap(),
    ]);
    assert!(back.stdout.contains("3 unchanged"), "{}", back.stdout);

    let history = run(&["subscribers", "history", "bob@example.org"]);
    let sources: Vec<&str> = history
        .stdout
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        sources,
        ["import", "command", "command"],
        "{}",
        history.stdout
    );
    let stats = run(&["subscribers", "stats"]);
    assert!(
        stats.stdout.starts_with("3 subscribers"),
        "{}",
        stats.stdout
    );

    // Erasure: gone with its history, and not imported again from an old file.
    project.write("carol.csv", "email\ncarol@example.org\n");
    let forgot = run(&["subscribers", "forget", "carol@example.org"]);
    assert_eq!(forgot.code, 0, "{forgot:?}");
    assert!(forgot.stdout.contains("erased"), "{}", forgot.stdout);
    assert_eq!(status(&project, "carol@example.org"), None);
    assert!(run(&["subscribers", "history", "carol@example.org"]).code == 1);
    let again = run(&[
        "subscribers",
        "import",
        project.path("carol.csv").to_str().unwrap(),
    ]);
    assert!(again.stdout.contains("stayed so"), "{}", again.stdout);
    assert_eq!(status(&project, "carol@example.org"), None);

    // A CSV send skips those the store has unsubscribed, though the CSV says subscribed.
    assert_eq!(run(&["subscribers", "remove", "ann@example.org"]).code, 0);
    let sent = run(&[
        "send",
        "--yes",
        "--latest",
        "--list",
        project.path("list.csv").to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(sent.stdout.contains("dry run: 1 message "), "{sent:?}");
    assert!(
        // The domain as it goes on the wire (its IDNA form, lower case).
        sent.stdout.contains("To: Bob <Bob@example.org>"),
        "{sent:?}"
    );
    // Ann and her repeat row.
    assert!(sent.stdout.contains("2 suppressed"), "{sent:?}");
}

#[test]
fn the_secret_is_made_once_private_and_shared_by_send_and_listen() {
    let port = free_port();
    let project = project_on(port, None);
    let secret = project.path(".briefing/secret");
    assert!(secret.is_file(), "init writes the secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let key = std::fs::read_to_string(&secret).unwrap();
    let check = project
        .command(&["check", "--verbose"], &[])
        .env_remove(SECRET.0)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout).into_owned()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(said.contains("token secret: `.briefing/secret`"), "{said}");
    // Without the variable, send and listen both use the file: a link from a sent message
    // works on the service.
    project.run_with(&["subscribers", "add", "ann@example.org"], &[]);
    let sent = project
        .command(&["send", "--yes", "--latest"], &[])
        .env_remove(SECRET.0)
        .output()
        .unwrap();
    assert!(sent.status.success(), "{sent:?}");
    let eml = outbox_messages(&project.path("outbox/2026-w25"));
    let unsubscribe = {
        let message = MessageParser::default().parse(&eml[0]).unwrap();
        let header = message
            .header_raw("List-Unsubscribe")
            .unwrap()
            .trim()
            .to_owned();
        header
            .trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .to_owned()
    };
    let mut command = project.command(&["listen", "--bind", &format!("127.0.0.1:{port}")], &[]);
    command.env_remove(SECRET.0);
    let (running, line) = spawn_ready(command, None);
    let service = Service { running, port };
    assert!(
        line.contains("token secret from `.briefing/secret`"),
        "{line}"
    );
    assert_eq!(one_click(port, &path_of(&unsubscribe)).0, 200);
    assert_eq!(
        status(&project, "ann@example.org").as_deref(),
        Some("unsubscribed")
    );
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        key,
        "never replaced"
    );
    drop(service);
}

#[test]
#[ignore = "needs root to mount a small disk: run scripts/test"]
fn a_full_disk_gets_503_nothing_half_written_and_the_service_recovers() {
    let port = free_port();
    let project = project_on(port, None);
    let config = project.read("config.yaml").replace(
        "\naudience:\n  description:",
        "\naudience:\n  database: db/audience.sqlite3\n  description:",
    );
    project.write("config.yaml", config);
    let disk = SmallDisk::mount(&project.path("db"), 1024);
    for email in ["ann@example.org", "bob@example.org"] {
        project.run_with(&["subscribers", "add", email], &[SECRET]);
    }
    let service = start(&project, port, &[]);
    let status = |_: &Project, email: &str| -> Option<String> {
        rusqlite::Connection::open(project.path("db/audience.sqlite3"))
            .unwrap()
            .query_row(
                "SELECT status FROM subscribers WHERE address_key = ?1",
                [email],
                |r| r.get(0),
            )
            .ok()
    };
    // Fill the disk to the last byte.
    let filler = disk.path().join("filler");
    {
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let byte = [0u8; 1];
        while file.write_all(&byte).is_ok() {}
    }
    let url = |email: &str| {
        format!(
            "/unsubscribe?email={}&token={}",
            email.replace('@', "%40"),
            unsubscribe_token(email)
        )
    };
    let mut refused = 0;
    for email in ["ann@example.org", "bob@example.org"] {
        let (code, _, body) = one_click(port, &url(email));
        match code {
            // A write that fit in space SQLite had already is a write; it must be there.
            200 => assert_eq!(status(&project, email).as_deref(), Some("unsubscribed")),
            503 => {
                refused += 1;
                assert!(body.contains("Please try again later"), "{body}");
                assert_eq!(
                    status(&project, email).as_deref(),
                    Some("active"),
                    "nothing half-written"
                );
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(refused > 0, "a full disk refused no write");
    assert!(
        service.log().contains("the disk is full"),
        "{}",
        service.log()
    );
    std::fs::remove_file(&filler).unwrap();
    for email in ["ann@example.org", "bob@example.org"] {
        assert_eq!(
            one_click(port, &url(email)).0,
            200,
            "it works again with room"
        );
        assert_eq!(status(&project, email).as_deref(), Some("unsubscribed"));
    }
    drop(service);
    drop(disk);
}

#[test]
#[ignore = "needs root to mount a read-only disk: run scripts/test"]
fn a_database_on_a_read_only_disk_is_refused_at_start_with_its_name() {
    let project = project_on(free_port(), None);
    let config = project.read("config.yaml").replace(
        "\naudience:\n  description:",
        "\naudience:\n  database: db/audience.sqlite3\n  description:",
    );
    project.write("config.yaml", config);
    std::fs::create_dir_all(project.path("db")).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs"])
        .arg(project.path("db"))
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        mounted,
        "this test mounts a read-only tmpfs; run the tests as root, as `.ci/run` does"
    );
    let run = project.run_with(&["listen", "--bind", "127.0.0.1:0"], &[SECRET]);
    let _ = Command::new("umount")
        .arg("-l")
        .arg(project.path("db"))
        .status();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("db/audience.sqlite3`: cannot open or create it"),
        "{}",
        run.stderr
    );
}

// Both messages the service sends, the confirmation request and the welcome that follows the
// button, read as receiving systems read them: dkimpy verifies each signature, Python's own
// `email` package parses each with no defect; and the welcome comes once.
#[test]
#[ignore = "needs curl and python3 with dkimpy: run scripts/test"]
fn the_confirmation_and_the_welcome_are_dkim_signed_and_parse_without_defects() {
    let seed = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
    let port = free_port();
    let project = project_on(port, None);
    project.write("dkim.key", format!("{seed}\n"));
    let config = project.read("config.yaml")
        + "dkim:\n  selector: briefing\n  domain: example.org\n  key_file: dkim.key\n  algorithm: ed25519\n";
    project.write("config.yaml", config);
    let service = start(&project, port, &[]);
    let (code, _) = curl(&[
        "--data-urlencode",
        "email=zoe@example.org",
        "--data-urlencode",
        "name=Zoë 北京",
        &service.url("/subscribe"),
    ]);
    assert_eq!(code, 200);
    let sent = confirmations_sent(&project);
    assert_eq!(sent.len(), 1);
    let confirm = link_in(&sent[0], "/confirm?");
    assert_eq!(curl(&["-X", "POST", &confirm]).0, 200);
    let dir = project.path("outbox/confirmations");
    wait_for("the welcome", || outbox_messages(&dir).len() == 2);
    // The button again: confirmed already, and no second welcome.
    assert_eq!(curl(&["-X", "POST", &confirm]).0, 200);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let welcome = files
        .iter()
        .find(|f| {
            f.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("welcome-")
        })
        .expect("a welcome file")
        .clone();
    let parsed = std::fs::read(&welcome).unwrap();
    let parsed = MessageParser::default().parse(&parsed).unwrap();
    assert_eq!(parsed.subject(), Some("Welcome to vff Briefing"));
    let (verified, said) = dkimpy(&files, &["--ed25519-seed", seed]);
    assert!(verified, "{said}");
    let (clean, said) = python_email(&files);
    assert!(clean, "{said}");
    // The checks can fail: one changed header and dkimpy refuses it; a multipart message cut
    // before its closing boundary is a defect to Python.
    let raw = std::fs::read_to_string(&welcome).unwrap();
    let altered = project.path("altered.eml");
    std::fs::write(&altered, raw.replace("Subject: Welcome", "Subject: Hello")).unwrap();
    let (verified, said) = dkimpy(std::slice::from_ref(&altered), &["--ed25519-seed", seed]);
    assert!(!verified, "{said}");
    let closing = raw.trim_end().rfind("\r\n--").expect("a closing boundary");
    std::fs::write(&altered, &raw[..closing]).unwrap();
    let (clean, said) = python_email(&[altered]);
    assert!(!clean, "{said}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        outbox_messages(&dir).len(),
        2,
        "one welcome per confirmation"
    );
}

#[test]
#[ignore = "needs curl: run scripts/test"]
fn sigterm_finishes_the_requests_in_flight_and_exits_cleanly() {
    let port = free_port();
    let project = project_on(port, None);
    let mut service = start(&project, port, &[]);
    assert_eq!(curl(&[&service.url("/healthz")]).0, 200);
    let sent = Command::new("kill")
        .args(["-TERM", &service.running.child().id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = service.running.child().try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        service
            .log()
            .contains("stopping: finishing the requests in flight")
    );
}

// A name typed into the sign-up form can be a formula: the export shows it as text in a
// spreadsheet, and importing the export gives back exactly what was stored.
#[test]
fn an_export_is_safe_to_open_in_a_spreadsheet_and_imports_back_exactly() {
    let project = Project::sample();
    let run = |args: &[&str]| project.run_with(args, &[SECRET]);
    let people = [
        (
            "ann@example.org",
            "=HYPERLINK(\"http://evil.example/\",\"click\")",
        ),
        ("bob@example.org", "+1 (555) 010"),
        ("-dash@example.org", "@bob"),
        ("cat@example.org", "'quoted'"),
        ("dan@example.org", "Dan, Reader"),
    ];
    for (email, name) in people {
        let added = run(&["subscribers", "add", "--name", name, "--", email]);
        assert_eq!(added.code, 0, "{added:?}");
    }
    let export = run(&["subscribers", "export"]);
    assert_eq!(export.code, 0, "{export:?}");
    // Read with the csv crate, as a spreadsheet would split it: no cell starts a formula.
    let mut reader = csv::Reader::from_reader(export.stdout.as_bytes());
    let cells: Vec<String> = reader
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(
        cells
            .iter()
            .all(|c| !c.starts_with(['=', '+', '-', '@', '\t', '\r'])),
        "{cells:?}"
    );
    assert!(
        cells.contains(&"'=HYPERLINK(\"http://evil.example/\",\"click\")".to_owned()),
        "{cells:?}"
    );

    let other = Project::sample();
    other.write("export.csv", &export.stdout);
    let imported = other.run_with(
        &[
            "subscribers",
            "import",
            other.path("export.csv").to_str().unwrap(),
        ],
        &[SECRET],
    );
    assert_eq!(imported.code, 0, "{imported:?}");
    let db = rusqlite::Connection::open(other.path(".briefing/audience.sqlite3")).unwrap();
    for (email, name) in people {
        let stored: (String, String) = db
            .query_row(
                "SELECT email, name FROM subscribers WHERE address_key = ?1",
                [email],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(stored, (email.to_owned(), name.to_owned()));
    }
}

#[test]
fn behind_proxy_is_refused_with_what_to_use_instead() {
    let project = project_on(free_port(), None);
    let run = project.run_with(
        &["listen", "--bind", "127.0.0.1:0", "--behind-proxy"],
        &[SECRET],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("--trusted-proxy 10.0.0.5"),
        "{}",
        run.stderr
    );
    let bad = project.run_with(
        &[
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--trusted-proxy",
            "10.0.0/8",
        ],
        &[SECRET],
    );
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.stderr.contains("is not an address or a network"),
        "{}",
        bad.stderr
    );
}

// An erasure leaves no copy of the address in any file `briefing` keeps: not in the
// database, its write-ahead log, the journals (an earlier version's included) or queued
// unsubscribes, read as `strings` would.
#[test]
fn forget_leaves_no_trace_of_the_address_in_any_file() {
    let port = free_port();
    let project = project_on(port, None);
    let run = |args: &[&str]| project.run_with(args, &[SECRET]);
    project.write(
        "list.csv",
        "email,name\nAnn.Reader@Example.org,Ann Zyxwv\nbob@example.org,Bob\n",
    );
    assert_eq!(
        run(&[
            "subscribers",
            "import",
            project.path("list.csv").to_str().unwrap()
        ])
        .code,
        0
    );
    // History in many rows, a send journal, and an earlier version's journal that wrote
    // addresses out.
    for _ in 0..3 {
        run(&["subscribers", "remove", "ann.reader@example.org"]);
        run(&[
            "subscribers",
            "add",
            "--reactivate",
            "ann.reader@example.org",
        ]);
    }
    let out = project.path("out");
    let sent = run(&[
        "send",
        "--yes",
        "--latest",
        "--outbox",
        out.to_str().unwrap(),
    ]);
    assert_eq!(sent.code, 0, "{sent:?}");
    project.write(
        ".briefing/sends/2026-w25.outbox-0badf00d.subscribers.journal",
        "attempt\tAnn.Reader@Example.org\t<x@example.org>\t2026-06-17T08:00:01Z\n\
         delivered\tAnn.Reader@Example.org\t<x@example.org>\t2026-06-17T08:00:01Z\n\
         failed\tbob@example.org\t550 <bob@example.org> full\t2026-06-17T08:00:02Z\n",
    );
    // The service holds the database open meanwhile, so its write-ahead log stays.
    let service = start(&project, port, &[]);
    let forgot = run(&["subscribers", "forget", "ann.reader@example.org"]);
    assert_eq!(forgot.code, 0, "{forgot:?}");
    assert!(
        forgot.stdout.contains("taken out of 1 send journal"),
        "{}",
        forgot.stdout
    );
    let mut files = Vec::new();
    let mut folders = vec![project.path(".briefing")];
    while let Some(dir) = folders.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                files.push(path);
            }
        }
    }
    assert!(files.iter().any(|f| f.ends_with("audience.sqlite3")));
    for file in &files {
        let bytes = std::fs::read(file).unwrap().to_ascii_lowercase();
        for trace in ["ann.reader@example.org", "ann zyxwv"] {
            assert!(
                memchr_find(&bytes, trace.as_bytes()).is_none(),
                "{} still holds {trace}",
                file.display()
            );
        }
    }
    // Bob is untouched, and the erased address is still not mailed from a list.
    let list = run(&["subscribers", "list"]);
    assert!(list.stdout.contains("bob@example.org"), "{list:?}");
    let again = run(&[
        "send",
        "--yes",
        "--latest",
        "--list",
        project.path("list.csv").to_str().unwrap(),
        "--outbox",
        project.path("out2").to_str().unwrap(),
        "--dry-run",
    ]);
    assert!(again.stdout.contains("dry run: 1 message"), "{again:?}");
    drop(service);
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

// Regression: during a large import, one-click unsubscribes were answered 503 after the busy
// wait, and mail clients do not retry them. Imports commit in batches, and an unsubscribe
// that cannot be written at once is queued on disk: every one is answered 200 and kept.
#[test]
fn one_clicks_during_a_large_import_are_all_answered_and_kept() {
    let port = free_port();
    let project = project_on(port, None);
    let readers: Vec<String> = (0..40).map(|i| format!("reader{i}@example.org")).collect();
    project.write("readers.csv", format!("email\n{}\n", readers.join("\n")));
    let imported = project.run_with(
        &[
            "subscribers",
            "import",
            project.path("readers.csv").to_str().unwrap(),
        ],
        &[SECRET],
    );
    assert_eq!(imported.code, 0, "{imported:?}");
    let big: String = std::iter::once("email,name\n".to_owned())
        .chain((0..20_000).map(|i| format!("new{i}@example.org,New {i}\n")))
        .collect();
    project.write("big.csv", big);
    let service = start(&project, port, &[]);
    let mut import = project
        .command(
            &[
                "subscribers",
                "import",
                project.path("big.csv").to_str().unwrap(),
            ],
            &[SECRET],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the import is writing (its first batch is in), then unsubscribe everyone.
    wait_for("the import's first batch", || {
        rusqlite::Connection::open(project.path(".briefing/audience.sqlite3"))
            .and_then(|db| {
                db.query_row("SELECT count(*) FROM subscribers", [], |r| {
                    r.get::<_, usize>(0)
                })
            })
            .is_ok_and(|n| n > readers.len())
    });
    let mut codes = Vec::new();
    for email in &readers {
        let (code, _, _) = one_click(
            port,
            &format!(
                "/unsubscribe?email={}&token={}",
                email.replace('@', "%40"),
                unsubscribe_token(email)
            ),
        );
        codes.push(code);
    }
    assert!(codes.iter().all(|&c| c == 200), "{codes:?}");
    assert!(import.wait().unwrap().success());
    for email in &readers {
        wait_for("every unsubscribe to be written", || {
            status(&project, email).as_deref() == Some("unsubscribed")
        });
    }
    drop(service);
}

// `subscribers add` on an address already active says what it changed: the name, or nothing.
#[test]
fn adding_an_active_address_says_whether_its_name_changed() {
    let project = Project::sample();
    let add = |args: &[&str]| {
        let run = project.run_with(&[&["subscribers", "add"], args].concat(), &[SECRET]);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    assert_eq!(
        add(&["bob@example.org", "--name", "Bob"]),
        "added bob@example.org: active\n"
    );
    assert_eq!(
        add(&["bob@example.org", "--name", "Bob Builder"]),
        "bob@example.org is active already; name “Bob” → “Bob Builder”\n"
    );
    assert_eq!(
        add(&["bob@example.org", "--name", "Bob Builder"]),
        "bob@example.org is active already; nothing changed\n"
    );
    assert_eq!(
        add(&["bob@example.org"]),
        "bob@example.org is active already; nothing changed\n"
    );
    let list = project.run_with(&["subscribers", "list"], &[SECRET]);
    assert!(
        list.stdout.contains("bob@example.org  (Bob Builder)"),
        "{}",
        list.stdout
    );
}

// A backup made while `listen` serves and another process holds the database's write lock:
// it has every subscriber as the database has them, plus the one-click unsubscribe that
// had to be queued on disk meanwhile; and it is one file, readable by SQLite alone.
#[test]
fn a_backup_while_listen_serves_holds_everyone_and_the_queued_unsubscribes() {
    let port = free_port();
    let project = project_on(port, None);
    let readers: Vec<String> = (0..300).map(|i| format!("reader{i}@example.org")).collect();
    project.write("readers.csv", format!("email\n{}\n", readers.join("\n")));
    let imported = project.run_with(
        &[
            "subscribers",
            "import",
            project.path("readers.csv").to_str().unwrap(),
        ],
        &[SECRET],
    );
    assert_eq!(imported.code, 0, "{imported:?}");
    // reader7's unsubscribe link, from a copy sent to an outbox.
    let out = project.path("out").display().to_string();
    let sent = project.run_with(
        &[
            "send",
            "--latest",
            "--to",
            "reader7@example.org",
            "--outbox",
            &out,
        ],
        &[SECRET],
    );
    assert_eq!(sent.code, 0, "{sent:?}");
    let raw = std::fs::read(
        std::fs::read_dir(project.path("out"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path(),
    )
    .unwrap();
    let message = MessageParser::default().parse(&raw).unwrap();
    let header = message
        .header_raw("List-Unsubscribe")
        .unwrap()
        .trim()
        .to_owned();
    let link = header
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned();

    let service = start(&project, port, &[]);
    // Another process holds the write lock: the one-click is queued on disk and answered.
    let holder = database(&project);
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (code, head, _) = one_click(port, &path_of(&link));
    assert_eq!(code, 200, "{head}");
    let backup = project.path("backups/news.sqlite3");
    std::fs::create_dir_all(project.path("backups")).unwrap();
    let run = project.run_with(
        &["subscribers", "backup", backup.to_str().unwrap()],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.starts_with("backed up 300 subscribers to ")
            && run.stdout.contains(", with 1 queued unsubscribe)"),
        "{}",
        run.stdout
    );
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);

    // Item by item: every address and status of the database, as the backup has them.
    let rows = |path: &std::path::Path| -> Vec<(String, String)> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut statement = conn
            .prepare("SELECT email, status FROM subscribers ORDER BY address_key")
            .unwrap();
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    wait_for("the service to write the queued unsubscribe", || {
        status(&project, "reader7@example.org").as_deref() == Some("unsubscribed")
    });
    drop(service);
    let live = rows(&project.path(".briefing/audience.sqlite3"));
    let copy = rows(&backup);
    assert_eq!(copy.len(), 300);
    assert_eq!(copy, live);
    assert!(copy.contains(&("reader7@example.org".to_owned(), "unsubscribed".to_owned())));
    // One file, owner-only, nothing beside it.
    let journal: String = rusqlite::Connection::open(&backup)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "delete");
    let names: Vec<String> = std::fs::read_dir(project.path("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["news.sqlite3"]);
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
