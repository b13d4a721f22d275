//! `audience.clicks` and `briefing report`: the links of a sent `.eml` (read with
//! mail-parser, both parts) followed through a real `briefing listen`, the counts read back
//! from `report --json`, forged links refused, and the bytes on disk searched for anyone who
//! clicked.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use mail_parser::MessageParser;

use crate::project::Project;
use crate::support::mail::outbox_messages;
use crate::support::process::{Running, spawn_ready};
use crate::support::{SECRET, free_port, http};

const LIST_ID: &str = "news.example.org";
const BROWSER: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 \
                       (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
const READERS: [&str; 3] = ["ann@example.org", "bob@example.org", "cat@example.org"];

/// The sample newsletter served by `listen` on `port`, with `clicks` as given, and three
/// subscribers.
fn project(port: u16, clicks: bool) -> Project {
    let project = Project::sample();
    configure(&project, port, clicks);
    for reader in READERS {
        let run = project.run_with(&["subscribers", "add", reader], &[SECRET]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    project
}

fn configure(project: &Project, port: u16, clicks: bool) {
    project.reconfigure(
        &["unsubscribe_url", "audience", "list_id"],
        &format!(
            "audience:\n  description: For testers.\n  url: http://127.0.0.1:{port}/\n  \
             clicks: {clicks}\nlist_id: {LIST_ID}\n"
        ),
    );
}

/// Sends the latest issue to the store's readers into `outbox`; the messages.
fn send(project: &Project, outbox: &str) -> Vec<Vec<u8>> {
    let dir = project.path(outbox);
    let run = project.run_with(
        &[
            "send",
            "--latest",
            "--outbox",
            dir.to_str().unwrap(),
            "--yes",
        ],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let messages = outbox_messages(&project.path(outbox));
    assert_eq!(messages.len(), READERS.len());
    messages
}

/// Every `href` of the HTML part, and the text part, of `raw`, as a MIME parser reads them.
fn parts(raw: &[u8]) -> (Vec<String>, String) {
    let message = MessageParser::default().parse(raw).unwrap();
    let html = message.body_html(0).unwrap().into_owned();
    let hrefs = html
        .split("href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().replace("&amp;", "&"))
        .collect();
    (hrefs, message.body_text(0).unwrap().into_owned())
}

fn start(project: &Project, port: u16) -> Running {
    let (running, line) = spawn_ready(
        project.command(
            &["listen", "--bind", &format!("127.0.0.1:{port}")],
            &[SECRET],
        ),
        Some(project.path("listen.log")),
    );
    assert!(line.starts_with("listening on"), "{line}");
    running
}

/// A request for `path` from `client` (as the proxy in front names it); status and head.
fn ask(port: u16, method: &str, path: &str, client: &str, agent: &str) -> (u16, String) {
    let answer = http::send(
        &format!("127.0.0.1:{port}"),
        format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {agent}\r\n\
             X-Forwarded-For: {client}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    );
    (answer.status, answer.head)
}

fn location(head: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.strip_prefix("location: ").map(str::to_owned))
}

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    format!("/{}", rest.split_once('/').unwrap().1)
}

/// `(story, target)` of a counted link, decoded from its path and query.
fn key_of(link: &str) -> (String, String) {
    let path = path_of(link);
    let (path, query) = path.split_once("?to=").unwrap();
    let story = path.split('/').nth(3).unwrap().to_owned();
    let target = percent_encoding::percent_decode_str(query)
        .decode_utf8()
        .unwrap()
        .into_owned();
    (story, target)
}

fn report_json(project: &Project) -> serde_json::Value {
    let run = project.run_with(&["report", "--latest", "--json"], &[SECRET]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// `(story, url) -> (readers, automated)` as the report gives them.
fn counted(report: &serde_json::Value) -> BTreeMap<(String, String), (i64, i64)> {
    let mut out = BTreeMap::new();
    for story in report["issue"]["stories"].as_array().unwrap() {
        for link in story["links"].as_array().unwrap() {
            out.insert(
                (
                    story["slug"].as_str().unwrap().to_owned(),
                    link["url"].as_str().unwrap().to_owned(),
                ),
                (
                    link["readers"].as_i64().unwrap(),
                    link["automated"].as_i64().unwrap(),
                ),
            );
        }
    }
    out
}

/// Every file under `dir`, read.
fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[test]
fn counted_links_redirect_to_what_was_sent_and_the_report_counts_them_and_nobody() {
    let port = free_port();
    let project = project(port, false);
    // The default: the links are the newsletter's own, byte for byte.
    let plain = send(&project, "plain");
    let config = project.read("config.yaml");
    project.write(
        "config.yaml",
        config.replace("  clicks: false\n", "  clicks: true\n"),
    );
    let counted_mail = send(&project, "counted");

    let (plain_hrefs, plain_text) = parts(&plain[0]);
    let service = format!("http://127.0.0.1:{port}/");
    assert!(
        plain_hrefs
            .iter()
            .all(|h| !h.starts_with(&format!("{service}c/")))
    );
    assert!(!plain_text.contains(&format!("{service}c/")));
    let (hrefs, text) = parts(&counted_mail[0]);
    assert_eq!(hrefs.len(), plain_hrefs.len());
    // Every reader's copy has the same counted links: nothing in them tells readers apart.
    for other in &counted_mail[1..] {
        let (their, _) = parts(other);
        let same = |h: &&String| h.contains("/c/");
        assert_eq!(
            hrefs.iter().filter(same).collect::<Vec<_>>(),
            their.iter().filter(same).collect::<Vec<_>>()
        );
    }
    let links: Vec<&String> = hrefs.iter().filter(|h| h.contains("/c/")).collect();
    assert!(links.len() >= 8, "{hrefs:#?}");
    // The text part's links are the HTML part's.
    let text_links: Vec<&str> = text
        .split_whitespace()
        .filter(|w| w.starts_with(&format!("{service}c/")))
        .map(|w| w.trim_end_matches(['.', ',', ')', '>']))
        .collect();
    assert!(text_links.len() >= 5, "{text}");
    for link in &text_links {
        assert!(
            links.iter().any(|l| l == link),
            "{link} is not in the HTML part"
        );
    }
    // The unsubscribe link is the service's own, with its issue.
    assert!(
        hrefs
            .iter()
            .any(|h| h.starts_with(&format!("{service}unsubscribe?u="))
                && h.contains("&i=2026-W25."))
    );

    let running = start(&project, port);
    // Each counted link redirects to what the plain copy links to at the same place; the
    // others are the same in both copies.
    let mut expected: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for (i, (link, original)) in hrefs.iter().zip(&plain_hrefs).enumerate() {
        if !link.contains("/c/") {
            assert_eq!(link, original);
            continue;
        }
        // Readers in networks of their own: link i is clicked i % 3 + 1 times.
        for n in 0..=(i % 3) {
            let (status, head) = ask(
                port,
                "GET",
                &path_of(link),
                &format!("10.{i}.{n}.1"),
                BROWSER,
            );
            assert_eq!(status, 302, "{head}");
            assert_eq!(
                location(&head).as_deref(),
                Some(original.as_str()),
                "{head}"
            );
            assert!(head.contains("cache-control: no-store"), "{head}");
        }
        expected.entry(key_of(link)).or_default().0 += (i % 3) as i64 + 1;
    }
    // A gateway checks every link with HEAD; another fetches them all at once with a
    // browser's agent; a script with its own.
    for link in &links {
        let (status, _) = ask(port, "HEAD", &path_of(link), "192.0.2.10", BROWSER);
        assert_eq!(status, 302);
    }
    for link in &links {
        let (status, _) = ask(port, "GET", &path_of(link), "198.51.100.20", BROWSER);
        assert_eq!(status, 302);
    }
    let (status, _) = ask(
        port,
        "GET",
        &path_of(links[0]),
        "203.0.113.5",
        "python-requests/2.31",
    );
    assert_eq!(status, 302);
    for link in &links {
        expected.entry(key_of(link)).or_default().1 += 2;
    }
    expected.entry(key_of(links[0])).or_default().1 += 1;

    // Forged: another target, a signature cut short, another newsletter's secret, another
    // issue. Each is refused with no redirect and counts nothing.
    let first = path_of(links[0]);
    let (base, query) = first.split_once("?to=").unwrap();
    let signature = base.rsplit('/').next().unwrap();
    let week_story = base.rsplit_once('/').unwrap().0;
    let (story, target) = key_of(links[0]);
    let foreign = {
        use base64::Engine as _;
        use hmac::Mac as _;
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(b"another newsletter's secret 32by")
                .unwrap();
        mac.update(format!("click\n{LIST_ID}\n2026-W25\n{story}\n{target}").as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    };
    for forged in [
        format!("{base}?to=https%3A%2F%2Fevil.example%2F"),
        format!(
            "{week_story}/{}?to={query}",
            &signature[..signature.len() - 1]
        ),
        format!("{week_story}/{foreign}?to={query}"),
        first.replace("/c/2026-W25/", "/c/2026-W24/"),
        base.to_owned(),
    ] {
        let (status, head) = ask(port, "GET", &forged, "10.99.0.1", BROWSER);
        assert_eq!(status, 400, "{forged}: {head}");
        assert_eq!(location(&head), None, "{forged}");
    }

    // Leaving: from the issue's link (counted), with the issue changed (unsubscribed, not
    // counted), and from a link of before this change, with no issue (the same).
    let unsubscribe_of = |raw: &[u8]| {
        parts(raw)
            .0
            .into_iter()
            .find(|h| h.contains("/unsubscribe?"))
            .unwrap()
    };
    let one_click = |url: &str| {
        let body = "List-Unsubscribe=One-Click";
        http::send(
            &format!("127.0.0.1:{port}"),
            format!(
                "POST {} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                path_of(url),
                body.len()
            )
            .as_bytes(),
        )
        .status
    };
    // The page a reader opens first posts back with the issue in its action.
    let page = http::get(
        &format!("127.0.0.1:{port}"),
        &path_of(&unsubscribe_of(&counted_mail[0])),
    );
    assert_eq!(page.0, 200);
    assert!(page.1.contains("&amp;i=2026-W25."), "{}", page.1);
    assert_eq!(one_click(&unsubscribe_of(&counted_mail[0])), 200);
    assert_eq!(
        one_click(&unsubscribe_of(&counted_mail[1]).replace("i=2026-W25", "i=2026-W24")),
        200
    );
    let old = unsubscribe_of(&counted_mail[2]);
    assert_eq!(one_click(old.split("&i=").next().unwrap()), 200);

    // Counts are written within a second; wait for them, then compare link by link.
    let deadline = Instant::now() + Duration::from_secs(15);
    let report = loop {
        let report = report_json(&project);
        if counted(&report) == expected || Instant::now() > deadline {
            break report;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(counted(&report), expected);
    let issue = &report["issue"];
    assert_eq!(issue["unsubscribes"], 1, "{issue:#}");
    assert_eq!(issue["delivery"]["delivered"], 3, "{issue:#}");
    let text = project.run_with(&["report", "--latest"], &[SECRET]).stdout;
    assert!(text.contains("1 left from this issue's link"), "{text}");
    assert!(text.contains("likely automated"), "{text}");
    drop(running);

    // Nobody in the bytes: no reader's network anywhere under .briefing/ (the database and
    // its journal included) or in the service's log; no address or per-reader reference in
    // the counts or the log.
    let mut everything = files_under(&project.path(".briefing"));
    everything.push((
        "listen.log".into(),
        std::fs::read(project.path("listen.log")).unwrap(),
    ));
    for (name, bytes) in &everything {
        for network in [
            "10.0.0.1",
            "10.3.2.1",
            "192.0.2.10",
            "198.51.100.20",
            "203.0.113.5",
        ] {
            assert!(
                memchr::memmem::find(bytes, network.as_bytes()).is_none(),
                "{network} in {name}"
            );
        }
    }
    let log = project.read("listen.log");
    let db = rusqlite::Connection::open(project.path(".briefing/audience.sqlite3")).unwrap();
    let mut rows = db
        .prepare("SELECT issue || story || url || readers || automated FROM clicks")
        .unwrap();
    let dump: Vec<String> = rows
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(!dump.is_empty());
    for (i, reader) in READERS.iter().enumerate() {
        let reference = unsubscribe_of(&counted_mail[i]);
        let reference = reference
            .split("u=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        for row in dump.iter().chain([&log]) {
            assert!(!row.contains(reader) && !row.contains(reference), "{row}");
        }
    }
}

#[test]
fn clicks_need_the_service_and_are_off_by_default() {
    let project = Project::sample();
    project.reconfigure(
        &["unsubscribe_url", "audience"],
        "audience:\n  description: For testers.\n  clicks: true\n",
    );
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "`audience.clicks` needs `audience.url`: clicks are counted by `briefing listen`"
        ),
        "{}",
        run.stderr
    );
    // No counts yet: the report says how to turn them on, and that nothing was sent.
    let project = Project::sample();
    let run = project.run_with(&["report", "--latest"], &[SECRET]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("not sent yet"), "{}", run.stdout);
    assert!(
        run.stdout.contains("Clicks are not counted"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_kill_9_loses_at_most_the_last_second_of_counts() {
    let port = free_port();
    let project = project(port, true);
    let messages = send(&project, "counted");
    let (hrefs, _) = parts(&messages[0]);
    let link = hrefs.iter().find(|h| h.contains("/c/")).unwrap().clone();
    let mut running = start(&project, port);
    for n in 0..7 {
        let (status, _) = ask(
            port,
            "GET",
            &path_of(&link),
            &format!("10.{n}.0.1"),
            BROWSER,
        );
        assert_eq!(status, 302);
    }
    // Two seconds later (a second, and room for a loaded machine), the counts are on disk:
    // SIGKILL gives the service no chance to write anything more.
    std::thread::sleep(Duration::from_millis(2000));
    running.child().kill().unwrap();
    running.child().wait().unwrap();
    let report = report_json(&project);
    let counts: Vec<(i64, i64)> = counted(&report).into_values().collect();
    assert_eq!(counts, [(7, 0)], "{report:#}");
}
