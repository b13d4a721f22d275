//! `briefing serve`: a real server on a free loopback port, driven like a curator would.

use std::time::{Duration, Instant};

use crate::project::Project;
use crate::support::http::{get, get_as};
use crate::support::process::{Running, serve, serve_inside, serve_with, spawn_ready};

/// Polls `path` until `done` holds, for at most 15 s.
#[track_caller]
fn wait_for(addr: &str, path: &str, what: &str, done: impl Fn(u16, &str) -> bool) -> (u16, String) {
    let started = Instant::now();
    loop {
        let (status, body) = get(addr, path);
        if done(status, &body) {
            return (status, body);
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "timed out waiting for {what}: {status}\n{body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `briefing serve` on a free port for `project`: the server, its address and its pid.
fn start(project: &Project) -> (Running, String, u32) {
    let (server, addr) = serve(project.root());
    let pid = server.id();
    (server, addr, pid)
}

#[test]
fn serve_rebuilds_on_change_shows_errors_and_recovers() {
    let project = Project::sample();
    let (server, addr, _) = start(&project);
    assert!(addr.starts_with("127.0.0.1:"), "binds to loopback: {addr}");

    let page = "/issues/2026-w25/";
    let (status, body) = get(&addr, page);
    assert_eq!(status, 200);
    assert!(body.contains("Alibaba takes Qwen into robotics"));
    assert!(
        body.contains("/__briefing/events"),
        "the reload script is spliced in"
    );
    // A request for another host (a DNS-rebinding page) gets no site.
    let (status, body) = get_as(&addr, "evil.example", page);
    assert_eq!(status, 421, "{body}");
    assert!(!body.contains("Qwen"));
    let (status, _) = get_as(&addr, &addr.replace("127.0.0.1", "localhost"), page);
    assert_eq!(status, 200);

    let card = "briefs/2026-W25/qwen-robotics-push.yaml";
    let original = project.read(card);
    project.write(
        card,
        original.replace(
            "title: Alibaba takes Qwen",
            "title: Edited, Alibaba takes Qwen",
        ),
    );
    wait_for(&addr, page, "the edit", |s, b| {
        s == 200 && b.contains("Edited, Alibaba takes Qwen")
    });

    project.write(
        card,
        original.replace("date: 2026-06-17", "date: 2026-06-31"),
    );
    // Regression: one half-written card no longer turns every page into a 500. The
    // other cards are served, and every page shows the card's located errors (its date and
    // its source's) in a banner.
    let (_, with_banner) = wait_for(&addr, page, "the banner", |s, b| {
        s == 200 && b.contains("2 errors in the cards")
    });
    assert!(with_banner.contains("briefs/2026-W25/qwen-robotics-push.yaml:2:7: error: `date` `2026-06-31` is not a real date"), "{with_banner}");
    assert!(
        !with_banner.contains("Alibaba takes Qwen into robotics"),
        "the broken card is left out"
    );
    assert!(with_banner.contains("Junyang Lin"), "the others are served");
    let (status, home) = get(&addr, "/");
    assert_eq!(status, 200);
    assert!(home.contains("2 errors in the cards"));

    // A broken config is another matter: nothing can be built from it.
    let config = project.read("config.yaml");
    project.write(
        "config.yaml",
        config.replace("base_url: https://", "base_url: ftp://"),
    );
    let (_, error) = wait_for(&addr, page, "the error page", |s, _| s == 500);
    assert!(error.contains("config.yaml"), "{error}");
    assert_eq!(
        get(&addr, "/style.css").0,
        200,
        "assets of the last good build stay"
    );
    project.write("config.yaml", &config);

    project.write(card, &original);
    wait_for(&addr, page, "recovery", |s, b| {
        s == 200 && b.contains("Alibaba takes Qwen into robotics")
    });

    assert_eq!(get(&addr, "/../config.yaml").0, 400);
    assert_eq!(get(&addr, "/%2e%2e/config.yaml").0, 400);
    assert_eq!(get(&addr, "/config.yaml").0, 404, "only the site is served");
    drop(server);
}

#[test]
fn serve_without_a_newsletter_says_how_to_start() {
    let run = Project::empty().run(&["serve", "--port", "0"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("run `briefing init`"), "{}", run.stderr);
}

/// The number of threads of process `pid`, from /proc.
fn threads(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

// Regression: `serve` started one thread per connection (2,000 idle clients,
// 2,005 threads).
#[test]
fn idle_connections_cost_no_thread_each_and_others_are_still_answered() {
    let project = Project::sample();
    let (_server, addr, pid) = start(&project);
    let before = threads(pid);
    // Connected, and silent: each half-opened request waits for the rest of its headers.
    let idle: Vec<std::net::TcpStream> = (0..400)
        .map(|_| {
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            std::io::Write::write_all(&mut stream, b"GET / HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    let (status, body) = get(&addr, "/issues/2026-w25/");
    assert_eq!(status, 200, "answered while 400 clients idle");
    assert!(body.contains("Qwen"));
    let during = threads(pid);
    assert!(
        during <= before + 4,
        "{during} threads with 400 idle clients, {before} before"
    );
    drop(idle);
}

/// Opens the event stream and returns the connection, reading up to the first event.
fn open_events(addr: &str) -> (std::net::TcpStream, String) {
    open_events_of(addr, "")
}

/// As [`open_events`], for the page at `query` (`?page=...`, as a page's script asks), or
/// none.
fn open_events_of(addr: &str, query: &str) -> (std::net::TcpStream, String) {
    use std::io::Write as _;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    write!(
        stream,
        "GET /__briefing/events{query} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let first = next_event(&mut stream);
    (stream, first)
}

/// The data of the next event on `stream` (keep-alive comments skipped), within 30 s: the
/// comments keep the socket's own read timeout from ever firing.
#[track_caller]
fn next_event(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read as _;
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no event within 30 s; the stream said:\n{}",
            String::from_utf8_lossy(&seen)
        );
        stream
            .read_exact(&mut byte)
            .expect("an event before the timeout");
        seen.push(byte[0]);
        let text = String::from_utf8_lossy(&seen);
        if let Some(at) = text.rfind("data: ")
            && let Some(end) = text[at..].find('\n')
        {
            return text[at + 6..at + end].trim().to_owned();
        }
    }
}

// Regression: the live reload listens to server-sent events instead of polling, and open
// streams never hold up the pages.
#[test]
fn the_live_reload_is_an_event_stream_announcing_each_build() {
    let project = Project::sample();
    let (_server, addr, _) = start(&project);
    let (mut stream, first) = open_events(&addr);
    let first: u64 = first.parse().unwrap();
    // More streams than the server answers pages at once: pages still come.
    let others: Vec<_> = (0..12).map(|_| open_events(&addr)).collect();
    // Answered at all (the client gives up after 10 s): open streams take no page's place.
    let (status, _) = get(&addr, "/archive/");
    assert_eq!(status, 200);
    // An edit is announced with a new version.
    let card = "briefs/2026-W25/lin-new-lab-funding.yaml";
    let text = project.read(card).replace("Tencent", "Tencent Holdings");
    project.write(card, text);
    let next: u64 = next_event(&mut stream).parse().unwrap();
    assert!(next > first, "{first} then {next}");
    // A stream for another host name gets nothing.
    let (status, _) = get_as(&addr, "evil.example", "/__briefing/events");
    assert_eq!(status, 421);
    drop(others);
}

// `serve --open` on a machine without a browser: the opener's own errors (xdg-open tries
// several programs, each with its complaint) stay out of the terminal, and one line says
// what to do. An opener that works says nothing.
#[test]
#[cfg(unix)]
fn serve_open_without_a_browser_says_one_line() {
    use std::os::unix::fs::PermissionsExt as _;
    let project = Project::sample();
    let bin = project.path("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opener = bin.join(if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    });
    for (script, says) in [
        (
            "#!/bin/sh\necho 'xdg-open: no method available for opening' >&2\necho '/usr/bin/www-browser: not found' >&2\nexit 3\n",
            true,
        ),
        ("#!/bin/sh\nexit 0\n", false),
    ] {
        std::fs::write(&opener, script).unwrap();
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let log = project.path("serve.log");
        let (running, line) = crate::support::process::spawn_ready(
            {
                let mut command = project.command(&["serve", "--port", "0", "--open"], &[]);
                command.env("PATH", &path);
                command
            },
            Some(log.clone()),
        );
        assert!(line.starts_with("serving http://"), "{line}");
        std::thread::sleep(std::time::Duration::from_millis(500));
        let said = running.log();
        drop(running);
        let about_browser: Vec<&str> = said
            .lines()
            .filter(|l| l.contains("browser") || l.contains("xdg-open"))
            .collect();
        if says {
            assert_eq!(about_browser.len(), 1, "{said}");
            assert!(
                about_browser[0].starts_with("could not open a browser; open http://"),
                "{said}"
            );
        } else {
            assert!(about_browser.is_empty(), "{said}");
        }
    }
}

// Editors save `config.yaml` by writing a new file and renaming it over the old one (which
// ends a watch on the old file), and a curator may make `templates/` only after starting the
// preview: both are seen, again and again.
#[test]
fn a_config_renamed_into_place_and_a_templates_folder_made_later_are_seen() {
    let project = Project::sample();
    assert!(!project.root().join("templates").exists());
    let (_server, addr, _) = start(&project);
    let config = project.read("config.yaml");
    for round in 1..=2 {
        let tagline = format!("Renamed into place {round}");
        project.write(
            "config.yaml.new",
            config.replace(
                "tagline: Weekly signal. No noise.",
                &format!("tagline: {tagline}"),
            ),
        );
        std::fs::rename(
            project.root().join("config.yaml.new"),
            project.root().join("config.yaml"),
        )
        .unwrap();
        wait_for(&addr, "/", "the renamed config", |s, b| {
            s == 200 && b.contains(&tagline)
        });
    }
    let footer = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/partials/footer.html"),
    )
    .unwrap();
    for round in 1..=2 {
        let marker = format!("<!-- a footer of my own, {round} -->");
        project.write(
            "templates/partials/footer.html",
            format!("{footer}{marker}\n"),
        );
        wait_for(&addr, "/issues/2026-w25/", "the new template", |s, b| {
            s == 200 && b.contains(&marker)
        });
    }
    // The same edits in a folder made after the preview started.
    std::fs::remove_dir_all(project.root().join("templates")).unwrap();
    wait_for(&addr, "/issues/2026-w25/", "the built-in footer", |s, b| {
        s == 200 && !b.contains("a footer of my own")
    });
    project.write(
        "templates/partials/footer.html",
        format!("{footer}<!-- back -->\n"),
    );
    wait_for(
        &addr,
        "/issues/2026-w25/",
        "the footer made again",
        |s, b| s == 200 && b.contains("<!-- back -->"),
    );
}

// Run from inside the newsletter folder, with no `-C` (as the Quick start does): the watcher
// reports absolute paths for a relative folder, and a save is still seen.
#[test]
fn serve_started_inside_the_folder_sees_a_save() {
    let project = Project::sample();
    let (_server, addr) = serve_inside(project.root());
    let card = "briefs/2026-W25/qwen-robotics-push.yaml";
    project.write(
        card,
        project.read(card).replace(
            "title: Alibaba takes Qwen",
            "title: Saved in place, Alibaba takes Qwen",
        ),
    );
    wait_for(&addr, "/issues/2026-w25/", "the save", |s, b| {
        s == 200 && b.contains("Saved in place, Alibaba takes Qwen")
    });
}

// `serve` reads again only the paths the watcher names: a save by renaming a temporary file
// over the card (as `sed -i` does), a week's folder moved out of sight and back, and a
// folder removed must each show, as the next page load sees them.
#[test]
fn saves_renames_and_removed_folders_are_each_seen() {
    let project = Project::sample();
    let (server, addr, _) = start(&project);
    let week = "/issues/2026-w11/";
    let (status, body) = get(&addr, week);
    assert_eq!(status, 200);
    assert!(body.contains("functional silos"), "{body}");

    let card = "briefs/2026-W11/qwen-team-restructured.yaml";
    let edited = project
        .read(card)
        .replace("into functional silos", "into functional teams");
    project.write("briefs/2026-W11/sedAb12Z", edited);
    std::fs::rename(project.path("briefs/2026-W11/sedAb12Z"), project.path(card)).unwrap();
    wait_for(&addr, week, "the renamed-over card", |s, b| {
        s == 200 && b.contains("functional teams") && !b.contains("functional silos")
    });

    std::fs::rename(
        project.path("briefs/2026-W11"),
        project.path("briefs/.W11-aside"),
    )
    .unwrap();
    wait_for(&addr, week, "the issue gone with its folder", |s, _| {
        s == 404
    });
    std::fs::rename(
        project.path("briefs/.W11-aside"),
        project.path("briefs/2026-W11"),
    )
    .unwrap();
    wait_for(&addr, week, "the issue back with its folder", |s, b| {
        s == 200 && b.contains("functional teams")
    });

    let first = "/issues/2026-w03/";
    assert_eq!(get(&addr, first).0, 200);
    std::fs::remove_dir_all(project.path("briefs/2026-W03")).unwrap();
    wait_for(&addr, first, "the removed folder's issue gone", |s, _| {
        s == 404
    });
    // And the site is what a build of the same files makes.
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for page in [
        "index.html",
        "archive/index.html",
        "issues/2026-w11/index.html",
    ] {
        let (status, served) = get(&addr, &format!("/{}", page.trim_end_matches("index.html")));
        assert_eq!(status, 200, "{page}");
        let built = project.read(&format!("public/{page}"));
        // Less the reload script the server splices in before `</body>`.
        let reload = served.rfind("<script>").unwrap();
        let end = reload + served[reload..].find("</script>").unwrap() + "</script>".len();
        let served = format!("{}{}", &served[..reload], &served[end..]);
        assert_eq!(served, built, "{page}");
    }
    drop(server);
}

/// Waits until `server`'s log has `count` lines starting with `start`, for at most 60 s.
#[track_caller]
fn wait_for_lines(server: &Running, start: &str, count: usize) {
    let started = Instant::now();
    loop {
        let log = server.log();
        if log.lines().filter(|line| line.starts_with(start)).count() >= count {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {count} lines `{start}`:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_template_save_keeps_the_search_index_and_a_card_save_makes_it_again() {
    let project = Project::sample();
    let logs = tempfile::tempdir().unwrap();
    let mut command = project.command(&["serve", "--port", "0"], &[]);
    command.stdin(std::process::Stdio::null());
    let (server, _) = spawn_ready(command, Some(logs.path().join("serve.log")));
    let made = "search index: ";
    let kept = "search index: unchanged";
    wait_for_lines(&server, made, 1);

    // A stylesheet of one's own changes no story: the index served stands.
    project.write("templates/style.css", "body { color: #123456; }\n");
    wait_for_lines(&server, kept, 1);
    let log = server.log();
    let indexed = |log: &str| {
        log.lines()
            .filter(|line| line.starts_with(made) && !line.starts_with(kept))
            .count()
    };
    assert_eq!(indexed(&log), 1, "{log}");

    // A card's words change what a reader finds: the index is made again.
    let card = "briefs/2026-W10/t-head-zhenwu-810e.yaml";
    project.write(card, project.read(card).replace("Zhenwu", "Quokkachip"));
    let started = Instant::now();
    while indexed(&server.log()) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no new index after a card's save:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        server.log().lines().filter(|l| l.starts_with(kept)).count(),
        1
    );
}

/// The inode of each search index kept in `.briefing/cache/search/`, by name.
fn cached_index_inodes(project: &Project) -> std::collections::BTreeMap<String, u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir(project.path(".briefing/cache/search"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".pagefind"))
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, e.metadata().unwrap().ino())
        })
        .collect()
}

#[test]
fn serve_and_build_take_each_others_search_index() {
    let project = Project::sample();
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let logs = tempfile::tempdir().unwrap();
    let mut command = project.command(&["serve", "--port", "0"], &[]);
    command.stdin(std::process::Stdio::null());
    let (server, _) = spawn_ready(command, Some(logs.path().join("serve.log")));
    // The index `build` made is served as it is.
    wait_for_lines(&server, "search index: ", 1);
    let log = server.log();
    assert!(
        log.lines()
            .any(|line| line.starts_with("search index: ") && line.contains("from the cache")),
        "{log}"
    );

    // A card saved in the preview: its index is made, and kept for the next build.
    let card = "briefs/2026-W10/t-head-zhenwu-810e.yaml";
    project.write(card, project.read(card).replace("Zhenwu", "Quokkachip"));
    wait_for_lines(&server, "search index: ", 2);
    let made = server.log();
    let second = made
        .lines()
        .filter(|line| line.starts_with("search index: "))
        .nth(1)
        .unwrap();
    assert!(!second.contains("from the cache"), "{made}");
    drop(server);
    let kept = cached_index_inodes(&project);
    assert_eq!(kept.len(), 2, "{kept:?}");
    // The build takes it: the entry is read, not written again (same file, same inode).
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(cached_index_inodes(&project), kept);
    // And it is the index of the new words: the same as a clean build's.
    let clean = Project::sample();
    clean.write(card, project.read(card));
    let run = clean.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        crate::project::tree(&project.path("public/pagefind")),
        crate::project::tree(&clean.path("public/pagefind"))
    );
}

// The oldest story retitled shows in every later issue's "still watching" list: those issues'
// files come after the rest, which is served and announced first. After the one event a save
// makes, no request gets a page with the old title: a file still being rendered is answered
// when it is ready.
#[test]
fn a_title_every_later_list_shows_is_served_first_and_no_page_shows_the_old_one_after() {
    let project = Project::sample();
    // Every item of an issue is "still watching" a week later, in every later issue.
    let config = project
        .read("config.yaml")
        .replace("stale_after_weeks: 12", "stale_after_weeks: 1")
        .replace("still_watching_limit: 8", "still_watching_limit: 100");
    project.write(
        "config.yaml",
        format!("{config}search: false\nfeed_limit: 1\n"),
    );
    let model = project.read("briefs/2026-W08/qwen-app-lunar-new-year.yaml");
    for week in 12..24 {
        let date = chrono::NaiveDate::from_isoywd_opt(2026, week, chrono::Weekday::Tue).unwrap();
        project.write(
            &format!("briefs/2026-W{week}/week-{week}.yaml"),
            model
                .replace(
                    "title: Qwen app takes nearly 200 million one-sentence orders over Lunar New Year",
                    &format!("title: Story of week {week}"),
                )
                .replace("date: 2026-02-20", &format!("date: {date}")),
        );
    }
    let logs = tempfile::tempdir().unwrap();
    let mut command = project.command(&["serve", "--port", "0"], &[]);
    command.stdin(std::process::Stdio::null());
    let (server, addr) = serve_with(command, Some(logs.path().join("serve.log")));
    let old = "compute deficit at one to two orders of magnitude";
    let (status, page) = get(&addr, "/issues/2026-w20/");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(old),
        "week 20 lists the oldest story's items:\n{page}"
    );

    let (mut stream, first) = open_events(&addr);
    let card = "briefs/2026-W03/compute-gap-tsinghua-summit.yaml";
    project.write(
        card,
        project.read(card).replace(old, "compute gap, retitled"),
    );
    let next = next_event(&mut stream);
    assert_ne!(next, first);
    for week in [8, 10, 11]
        .into_iter()
        .chain(12..24)
        .chain(std::iter::once(25))
    {
        let path = format!("/issues/2026-w{week:02}/");
        let (status, page) = get(&addr, &path);
        assert_eq!(status, 200, "{path}");
        assert!(
            !page.contains(old),
            "{path} shows the old title after the reload event"
        );
        assert!(page.contains("compute gap, retitled"), "{path}:\n{page}");
    }
    wait_for_lines(&server, "served in ", 1);
    let log = server.log();
    assert!(
        log.lines().any(|line| line.contains(" files after; ")),
        "{log}"
    );
    // One save, one version: the pages that reloaded for it do not reload again.
    stream
        .set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut rest = [0u8; 256];
    use std::io::Read as _;
    match stream.read(&mut rest) {
        Ok(n) => assert!(
            !String::from_utf8_lossy(&rest[..n]).contains("data:"),
            "a second event: {}",
            String::from_utf8_lossy(&rest[..n])
        ),
        Err(e) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
            "{e}"
        ),
    }
}

// A template every page includes, saved twice in a row with an issue page open: that page is
// served with the first part of each build; the rest waits, and a save that comes while
// it renders takes it over. Once the open page shows the second save, no page shows the
// first or the built-in footer: a file still to render is answered when it is ready.
#[test]
fn the_open_page_shows_a_template_save_first_and_no_page_an_older_one_after() {
    // The pages `page` (at `base`) links to inside the site, by their `./` links.
    fn linked(page: &str, base: &str) -> Vec<String> {
        page.split("href=\"./")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|path| path.is_empty() || path.ends_with('/'))
            .map(|path| format!("{base}{path}"))
            .collect()
    }
    let project = Project::sample();
    let logs = tempfile::tempdir().unwrap();
    let mut command = project.command(&["serve", "--port", "0"], &[]);
    command.stdin(std::process::Stdio::null());
    let (server, addr) = serve_with(command, Some(logs.path().join("serve.log")));
    let (status, home) = get(&addr, "/");
    assert_eq!(status, 200);
    let mut pages = linked(&home, "/");
    let (_, tags) = get(&addr, "/tags/");
    pages.extend(linked(&tags, "/tags/"));
    for kind in ["/issues/", "/stories/", "/tags/", "/watch/", "/archive/"] {
        assert!(
            pages.iter().any(|path| path.starts_with(kind)),
            "{kind}: {pages:?}"
        );
    }
    let open = pages
        .iter()
        .find(|path| path.starts_with("/issues/"))
        .unwrap()
        .clone();
    let query = format!("?page={}", open.replace('/', "%2F"));
    let (mut stream, first) = open_events_of(&addr, &query);
    let footer = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/partials/footer.html"),
    )
    .unwrap();
    // The second save comes as the first is announced, while the rest of it may still
    // render.
    let save = |which: &str| {
        project.write(
            "templates/partials/footer.html",
            format!("{footer}<!-- {which} footer save -->\n"),
        );
    };
    save("first");
    assert_ne!(next_event(&mut stream), first);
    save("second");
    let started = Instant::now();
    loop {
        let (status, page) = get(&addr, &open);
        assert_eq!(status, 200, "{open}");
        if page.contains("<!-- second footer save -->") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{open} never showed the second save:\n{page}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    for path in &pages {
        let (status, page) = get(&addr, path);
        assert_eq!(status, 200, "{path}");
        assert!(
            page.contains("<!-- second footer save -->") && !page.contains("first footer save"),
            "{path} does not show the second save:\n{page}"
        );
    }
    let log = server.log();
    assert!(
        log.lines().any(|line| line.starts_with("served in ")),
        "{log}"
    );
}

// Regression: a new week's first card, written into a folder of its own, is announced every
// time: the folder's event and the card's start two builds, and the first, superseded, once
// served the new issue without announcing it, so that the second, reading the same, did not
// either and the page never reloaded.
#[test]
fn every_new_weeks_first_card_and_its_removal_are_announced() {
    let project = Project::sample();
    let (_server, addr, _) = start(&project);
    // A browser on the oldest issue, whose page a new week does not change.
    let (mut stream, _) = open_events_of(&addr, "?page=%2Fissues%2F2026-w03%2F");
    let newest = project.read("briefs/2026-W25/lin-new-lab-funding.yaml");
    let card = newest
        .replace("date: 2026-06-17", "date: 2026-06-24")
        .replace("raises at a $2 billion valuation", "opens its first office");
    assert_ne!(card, newest);
    let next_issue = "/issues/2026-w26/";
    for round in 0..4 {
        project.write("briefs/2026-W26/next-week.yaml", &card);
        next_event(&mut stream);
        let (status, body) = get(&addr, next_issue);
        assert_eq!(status, 200, "round {round}: {body}");
        assert!(body.contains("opens its first office"), "round {round}");
        std::fs::remove_dir_all(project.path("briefs/2026-W26")).unwrap();
        next_event(&mut stream);
        assert_eq!(get(&addr, next_issue).0, 404, "round {round}");
    }
}
