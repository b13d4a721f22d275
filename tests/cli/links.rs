//! `check --links` against web servers on loopback started here: nothing leaves the machine.
//! Each kind of answer a source's server can give becomes its diagnostic at the card's line;
//! a URL shared by cards is asked once, the cache spares the network, no host gets more than
//! two requests at a time; and `build`, `serve` and `send` never fetch anything.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::project::Project;

/// A small web server on loopback: each path answers as its name says, and every request is
/// counted (method and path), with the most ever in flight at once.
struct Web {
    port: u16,
    seen: Arc<Mutex<Vec<(String, String)>>>,
    in_flight: Arc<AtomicUsize>,
    most_in_flight: Arc<AtomicUsize>,
}

impl Web {
    fn start() -> Web {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let web = Web {
            port,
            seen: Arc::default(),
            in_flight: Arc::default(),
            most_in_flight: Arc::default(),
        };
        let (seen, in_flight, most) = (
            Arc::clone(&web.seen),
            Arc::clone(&web.in_flight),
            Arc::clone(&web.most_in_flight),
        );
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (seen, in_flight, most) =
                    (Arc::clone(&seen), Arc::clone(&in_flight), Arc::clone(&most));
                std::thread::spawn(move || answer(stream, port, &seen, &in_flight, &most));
            }
        });
        web
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// How many requests each path got.
    fn counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for (_, path) in self.seen.lock().unwrap().iter() {
            *counts.entry(path.clone()).or_default() += 1;
        }
        counts
    }
}

/// Answers one request. It counts as in flight from its request line until just before its
/// answer is written: the client cannot start another before that answer arrives, so a
/// count never takes a finished request for a running one.
fn answer(
    mut stream: TcpStream,
    port: u16,
    seen: &Mutex<Vec<(String, String)>>,
    in_flight: &AtomicUsize,
    most: &AtomicUsize,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let mut parts = first.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_owned(),
        parts.next().unwrap_or("").to_owned(),
    );
    seen.lock().unwrap().push((method.clone(), path.clone()));
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    most.fetch_max(now, Ordering::SeqCst);
    let base = format!("http://127.0.0.1:{port}");
    let route = path.split('?').next().unwrap_or("");
    let (status, headers): (&str, String) = match route {
        "/ok" | "/shared" | "/final" => ("200 OK", String::new()),
        "/slow-ok" => {
            std::thread::sleep(Duration::from_millis(300));
            ("200 OK", String::new())
        }
        "/gone-404" => ("404 Not Found", String::new()),
        "/gone-410" => ("410 Gone", String::new()),
        "/moved" => (
            "301 Moved Permanently",
            format!("Location: {base}/final\r\n"),
        ),
        "/moved-308" => ("308 Permanent Redirect", "Location: /final\r\n".to_owned()),
        "/temporary" => ("302 Found", format!("Location: {base}/final\r\n")),
        "/loop-a" => ("301 Moved Permanently", "Location: /loop-b\r\n".to_owned()),
        "/loop-b" => ("301 Moved Permanently", "Location: /loop-a\r\n".to_owned()),
        "/forbidden" => ("403 Forbidden", String::new()),
        "/busy" => ("429 Too Many Requests", "Retry-After: 1\r\n".to_owned()),
        "/no-head" if method == "HEAD" => ("405 Method Not Allowed", String::new()),
        "/no-head" => ("200 OK", String::new()),
        r if r.starts_with("/save/") => (
            "302 Found",
            format!(
                "Location: /web/20261204093000/{}\r\n",
                &path["/save/".len()..]
            ),
        ),
        r if r.starts_with("/web/") => ("200 OK", String::new()),
        "/to-metadata" => (
            "302 Found",
            "Location: http://169.254.169.254/latest/meta-data/\r\n".to_owned(),
        ),
        "/stall" => {
            std::thread::sleep(Duration::from_secs(30));
            ("200 OK", String::new())
        }
        _ => ("404 Not Found", String::new()),
    };
    let body = if method == "HEAD" { "" } else { "<p>page</p>" };
    in_flight.fetch_sub(1, Ordering::SeqCst);
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\n{headers}Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

/// A published card in week 2026-W25 citing `urls` as sources, one a line.
fn card(title: &str, urls: &[String]) -> String {
    let sources: String = urls.iter().map(|u| format!("  - {u}\n")).collect();
    format!(
        "title: {title}\ndate: 2026-06-17\ndraft: false\nsummary: S.\ntldr:\n  - T\n\
         why_it_matters: W.\nwhat_to_watch: N.\nsources:\n{sources}"
    )
}

fn bare() -> Project {
    let project = Project::empty();
    let run = project.run(&[
        "init",
        "--bare",
        "--title",
        "Links",
        "--base-url",
        "https://news.example.org/",
        "--from",
        "news@example.org",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    project
}

// Every kind of answer becomes its diagnostic, at the line of the card the URL is on: dead
// (404, 410, a loop, a name that does not resolve, a refused connection) as errors; a
// permanent move as a warning naming the new address; a robot wall, a 429 that stays and a
// server that stalls as notes. Temporary redirects and HEAD refused are fine.
#[test]
fn each_answer_is_reported_at_the_cards_line() {
    let web = Web::start();
    let project = bare();
    let refused = {
        // A port that was just free: nothing listens there.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}/x")
    };
    let urls = [
        web.url("/ok"),
        web.url("/gone-404"),
        web.url("/gone-410"),
        web.url("/moved"),
        web.url("/moved-308"),
        web.url("/temporary"),
        web.url("/loop-a"),
        web.url("/forbidden"),
        web.url("/busy"),
        web.url("/no-head"),
        web.url("/stall"),
        "http://nowhere.invalid/page".to_owned(),
        refused.clone(),
    ];
    project.write("briefs/2026-W25/all.yaml", card("All", &urls));
    let run = project.run(&["check", "--links", "--timeout", "2"]);
    assert_eq!(run.code, 1, "dead sources fail the check: {}", run.stderr);
    let at = |url: &str| {
        let line = 9 + urls.iter().position(|u| u == url).unwrap() + 1;
        format!("briefs/2026-W25/all.yaml:{line}:5: ")
    };
    // What each URL gets: its severity and what is said after the URL.
    let said = |url: &str, severity: &str, after: &str| {
        let message = if severity == "note" {
            format!("could not verify source `{url}`: {after}")
        } else {
            format!("source `{url}` {after}")
        };
        format!("{}{severity}: {message}", at(url))
    };
    let robots = "(the site refuses robots, or asks them to wait)";
    let expected = [
        said(&web.url("/gone-404"), "error", "is dead: 404 Not Found"),
        said(&web.url("/gone-410"), "error", "is dead: 410 Gone"),
        said(
            &web.url("/moved"),
            "warning",
            "has moved for good (301 Moved Permanently)",
        ),
        said(
            &web.url("/moved-308"),
            "warning",
            "has moved for good (308 Permanent Redirect)",
        ),
        said(
            &web.url("/loop-a"),
            "error",
            "is dead: its redirects go round in a loop",
        ),
        said(
            &web.url("/forbidden"),
            "note",
            &format!("403 Forbidden {robots}"),
        ),
        said(
            &web.url("/busy"),
            "note",
            &format!("429 Too Many Requests {robots}"),
        ),
        said(&web.url("/stall"), "note", "no answer within 2 s, 3 tries"),
        said(
            "http://nowhere.invalid/page",
            "error",
            "is dead: the host name does not resolve",
        ),
        said(&refused, "error", "is dead: the server refuses connections"),
    ];
    let mut headlines: Vec<String> = run.headlines().iter().map(|h| (*h).to_owned()).collect();
    headlines.sort();
    let mut expected = expected.to_vec();
    expected.sort();
    assert_eq!(headlines, expected, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "help: update the card to the new address: {}",
            web.url("/final")
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("links: 13 addresses checked (13 asked now, 0 from the last day): 5 dead, 2 moved, 3 could not be verified"),
        "{}",
        run.stderr
    );
    // HEAD refused: asked again with GET, which answered.
    let seen = web.seen.lock().unwrap().clone();
    assert!(
        seen.contains(&("GET".to_owned(), "/no-head".to_owned())),
        "{seen:?}"
    );
    // A 429 with Retry-After is asked again, up to the retries.
    assert_eq!(
        web.counts()["/busy"],
        6,
        "HEAD and GET, three tries each: {seen:?}"
    );
}

// Ten cards citing one URL cause one request; a second run within --max-age none; --refresh
// asks again. No host gets more than two requests at a time.
#[test]
fn a_shared_url_is_asked_once_the_cache_spares_the_network_and_hosts_get_two_at_a_time() {
    let web = Web::start();
    let project = bare();
    for i in 0..10 {
        let mut urls = vec![web.url("/shared")];
        urls.push(web.url(&format!("/slow-ok?{i}")));
        project.write(
            &format!("briefs/2026-W25/card-{i}.yaml"),
            card(&format!("Card {i}"), &urls),
        );
    }
    let run = project.run(&["check", "--links"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("links: 11 addresses checked (11 asked now, 0 from the last day): 0 dead"),
        "{}",
        run.stderr
    );
    assert_eq!(web.counts()["/shared"], 1);
    assert!(
        web.most_in_flight.load(Ordering::SeqCst) <= 2,
        "at most two at a time"
    );
    assert_eq!(
        web.most_in_flight.load(Ordering::SeqCst),
        2,
        "and two, not one: it is fast"
    );
    let before = web.seen.lock().unwrap().len();
    let again = project.run(&["check", "--links"]);
    assert!(
        again.stderr.contains("(0 asked now, 11 from the last day)"),
        "{}",
        again.stderr
    );
    assert_eq!(web.seen.lock().unwrap().len(), before, "the cache answered");
    let old = project.run(&["check", "--links", "--max-age", "0m"]);
    assert!(
        old.stderr
            .contains("(11 asked now, 0 from the last 0 minutes)"),
        "{}",
        old.stderr
    );
    let refreshed = project.run(&["check", "--links", "--refresh"]);
    assert!(
        refreshed.stderr.contains("(11 asked now"),
        "{}",
        refreshed.stderr
    );
    assert_eq!(web.counts()["/shared"], 3);
    // The cache is the project's own, and not a file a damaged copy breaks.
    project.write(".briefing/cache/links", "{ not json");
    let damaged = project.run(&["check", "--links"]);
    assert_eq!(damaged.code, 0, "{}", damaged.stderr);
    assert!(damaged.stderr.contains("is damaged"), "{}", damaged.stderr);
}

// The week's cards only, and `send` warns about sources known dead (from the cache: it never
// fetches) or, with --strict-links, refuses; `build` and `send` make no request at all.
#[test]
fn send_warns_of_dead_sources_without_fetching_and_strict_links_refuses() {
    let web = Web::start();
    let project = bare();
    project.reconfigure(
        &[],
        "unsubscribe_url: https://news.example.org/unsubscribe?token={token}\n",
    );
    project.write(
        "briefs/2026-W25/a.yaml",
        card("A", &[web.url("/gone-404"), web.url("/ok")]),
    );
    project.write(
        "briefs/2026-W24/b.yaml",
        card("B", &[web.url("/gone-410")]).replace("2026-06-17", "2026-06-10"),
    );
    let run = project.run(&["check", "--links", "--week", "2026-W25"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("links: 2 addresses checked"),
        "{}",
        run.stderr
    );
    assert!(
        !web.counts().contains_key("/gone-410"),
        "another week's card is not asked"
    );
    let before = web.seen.lock().unwrap().len();
    assert_eq!(project.run(&["build"]).code, 0);
    let outbox = project.path("out").display().to_string();
    let send = project.run(&[
        "send",
        "--latest",
        "--to",
        "me@example.org",
        "--outbox",
        &outbox,
        "--yes",
    ]);
    assert_eq!(send.code, 0, "{}", send.stderr);
    assert!(
        send.stderr.contains("warning: 1 source of 2026-W25 was dead when last checked; `briefing check --links --week 2026-W25` lists it"),
        "{}",
        send.stderr
    );
    let strict = project.run(&[
        "send",
        "--latest",
        "--to",
        "me@example.org",
        "--outbox",
        &outbox,
        "--yes",
        "--strict-links",
    ]);
    assert_eq!(strict.code, 1);
    assert!(
        strict.stderr.contains("nothing was sent (--strict-links)"),
        "{}",
        strict.stderr
    );
    assert_eq!(
        web.seen.lock().unwrap().len(),
        before,
        "build and send fetched nothing"
    );
    // Latest: the newest issue's cards.
    let latest = project.run(&["check", "--links", "--latest", "--refresh"]);
    assert!(
        latest.stderr.contains("links: 2 addresses checked"),
        "{}",
        latest.stderr
    );
}

// `--archive`: the archive (a stand-in on loopback) is asked for a copy of each live source
// that has none, the copies go into archive.yaml, and the pages, the email and the digest
// link each source's copy; a dead source gets none, and a copy is asked for once.
#[test]
fn archive_keeps_a_copy_of_each_live_source_and_pages_link_it() {
    let web = Web::start();
    let project = bare();
    project.reconfigure(
        &[],
        &format!(
            "unsubscribe_url: https://news.example.org/unsubscribe?token={{token}}\n\
             links:\n  archive_endpoint: {}\n",
            web.url("/save/")
        ),
    );
    project.write(
        "briefs/2026-W25/a.yaml",
        card(
            "A",
            &[web.url("/ok"), web.url("/gone-404"), web.url("/moved")],
        ),
    );
    let run = project.run(&["check", "--links", "--archive"]);
    assert!(
        run.stderr
            .contains("archive: 2 new copies recorded in archive.yaml"),
        "{}",
        run.stderr
    );
    let archive = project.read("archive.yaml");
    let copy_of = |path: &str| web.url(&format!("/web/20261204093000/{}", web.url(path)));
    for path in ["/ok", "/moved"] {
        assert!(
            archive.contains(&format!(
                "\"{}\":\n  copy: \"{}\"",
                web.url(path),
                copy_of(path)
            )),
            "{archive}"
        );
    }
    assert!(
        !archive.contains("gone-404"),
        "a dead page has no copy: {archive}"
    );
    // Requests to the archive, all paths together.
    let saves = || {
        web.counts()
            .iter()
            .filter(|(p, _)| p.starts_with("/save/"))
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    assert_eq!(saves(), 2);
    // Asked once: the next run finds the copies recorded.
    let again = project.run(&["check", "--links", "--archive", "--refresh"]);
    assert!(
        again.stderr.contains("archive: 0 new copies"),
        "{}",
        again.stderr
    );
    assert_eq!(saves(), 2, "no second request for a recorded copy");
    // The published pages, the email and the digest link each copy.
    assert_eq!(project.run(&["build"]).code, 0);
    let page = project.read("public/issues/2026-w25/index.html");
    let email = project.read("public/issues/2026-w25/email.html");
    for html in [&page, &email] {
        assert!(
            html.contains(&format!("<a href=\"{}\"", copy_of("/ok")))
                && html.contains(">archived copy</a>"),
            "{html}"
        );
    }
    let text = project.read("public/issues/2026-w25/email.txt");
    assert!(text.contains("(archived copy ["), "{text}");
    assert!(text.contains(&copy_of("/moved")), "{text}");
    let digest = project.read("public/issues/2026-w25/digest.md");
    assert!(
        digest.contains(&format!("[archived copy]({})", copy_of("/ok"))),
        "{digest}"
    );
    // A damaged archive file is an error at its line, and is not overwritten.
    project.write("archive.yaml", "\"https://example.org/\": nope\n");
    let check = project.run(&["check"]);
    assert_eq!(check.code, 1);
    assert!(
        check.headlines().contains(
            &"archive.yaml:1:1: error: `https://example.org/` is not a source with an archived copy"
        ),
        "{}",
        check.stderr
    );
}

// The "archived copy" links keep the pages and the email valid HTML.
#[test]
#[ignore = "needs java: run scripts/test"]
fn pages_with_archived_copies_pass_the_nu_html_checker() {
    let project = bare();
    project.write(
        "briefs/2026-W25/a.yaml",
        card("A", &["https://example.org/a?x=1&y=2".to_owned()]),
    );
    project.write(
        "archive.yaml",
        "\"https://example.org/a?x=1&y=2\":\n  copy: \"https://web.archive.org/web/2026/https://example.org/a?x=1&y=2\"\n  at: 2026-12-04\n",
    );
    let build = project.run(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(
        project
            .read("public/issues/2026-w25/index.html")
            .contains(">archived copy</a>")
    );
    let errors = crate::validators::vnu_errors(&project.path("public"));
    assert!(errors.is_empty(), "{errors:#?}");
}

// A URL in a card is not trusted to steer the checker: a page that redirects to a private
// address (a cloud's metadata service) is not followed there, and says so.
#[test]
fn a_redirect_into_a_private_network_is_not_followed() {
    let web = Web::start();
    let project = bare();
    project.write(
        "briefs/2026-W25/a.yaml",
        card("A", &[web.url("/to-metadata")]),
    );
    let run = project.run(&["check", "--links", "--timeout", "2"]);
    assert_eq!(run.code, 0, "a note fails nothing: {}", run.stderr);
    assert_eq!(
        run.headlines(),
        [format!(
            "briefs/2026-W25/a.yaml:10:5: note: could not verify source `{}`: it redirects to a \
             private address (169.254.169.254), which is not followed",
            web.url("/to-metadata")
        )
        .as_str()]
    );
}

// The preview renders, serves every page and rebuilds on a save without asking any source's
// server anything.
#[test]
fn serve_fetches_nothing_while_it_renders_serves_and_rebuilds() {
    let web = Web::start();
    let project = bare();
    let urls = [web.url("/ok"), web.url("/gone-404")];
    project.write("briefs/2026-W25/a.yaml", card("A", &urls));
    project.write(
        "archive.yaml",
        format!(
            "\"{}\":\n  copy: \"{}\"\n  at: 2026-12-04\n",
            web.url("/ok"),
            web.url("/web/1/ok")
        ),
    );
    let (_server, addr) = crate::support::process::serve(project.root());
    for path in [
        "/",
        "/issues/2026-w25/",
        "/issues/2026-w25/email.html",
        "/archive/",
    ] {
        let (status, _) = crate::support::http::get(&addr, path);
        assert_eq!(status, 200, "{path}");
    }
    project.write("briefs/2026-W25/a.yaml", card("A again", &urls));
    let started = std::time::Instant::now();
    while !crate::support::http::get(&addr, "/issues/2026-w25/")
        .1
        .contains("A again")
    {
        assert!(started.elapsed() < Duration::from_secs(10), "not rebuilt");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        web.seen.lock().unwrap().is_empty(),
        "{:?}",
        web.seen.lock().unwrap()
    );
}

// When no server at all can be reached (names that do not resolve, on two hosts), the
// machine is taken to be offline: an error says so, and nothing is recorded as dead.
#[test]
fn a_machine_with_no_network_is_not_taken_for_a_web_of_dead_pages() {
    let project = bare();
    project.write(
        "briefs/2026-W25/a.yaml",
        card(
            "A",
            &[
                "http://one.invalid/a".to_owned(),
                "http://two.invalid/b".to_owned(),
            ],
        ),
    );
    let run = project.run(&["check", "--links"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "error: cannot check links: none of the 2 servers could be reached (the first: the \
             host name does not resolve); is this machine offline? Nothing was recorded"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.headlines().is_empty(),
        "no source called dead: {}",
        run.stderr
    );
    assert!(
        !project.path(".briefing/cache/links").exists(),
        "nothing recorded"
    );
}
