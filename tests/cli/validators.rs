//! The built site and email checked by tools we did not write: the Nu Html Checker (the W3C's
//! validator, `vnu-jar` on Java), axe-core in Chromium, and a link check over every page.
//! `.ci/run` installs them (`npm ci` in `tests/support/node`, Java from Debian).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::project::Project;
use crate::support::browser::browse;
use crate::support::{free_port, tools};

/// The checker's errors for every HTML file under `dir`, one line each.
pub(crate) fn vnu_errors(dir: &Path) -> Vec<String> {
    let out = Command::new("java")
        .arg("-jar")
        .arg(tools::vnu())
        .args(["--errors-only", "--skip-non-html"])
        .arg(dir)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&out.stdout).lines())
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// The sample newsletter with a sign-up service, so the pages carry the form, and tag pages
/// of three stories, so its larger tags have several.
fn built_with_sign_up() -> Project {
    let project = Project::sample();
    project.reconfigure(
        &["unsubscribe_url", "audience"],
        "audience:\n  description: For testers.\n  url: https://briefing.example.org/list/\n\
         email:\n  merge_tag: \"*|UNSUB|*\"\ntag_page_size: 3\n",
    );
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    project
}

/// The first file in `dir` whose name starts with `prefix`, once the service has written it.
fn first_file(dir: &Path, prefix: &str) -> PathBuf {
    let started = std::time::Instant::now();
    loop {
        let found = std::fs::read_dir(dir).ok().and_then(|d| {
            d.flatten().map(|e| e.path()).find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
            })
        });
        if let Some(found) = found {
            return found;
        }
        assert!(
            started.elapsed().as_secs() < 20,
            "no {prefix}… file in {}",
            dir.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Saves the pages of `briefing listen` as files under `dir`.
fn save_service_pages(project: &Project, dir: &Path) {
    let port = free_port();
    let mut child = project
        .command(&["listen", "--bind", &format!("127.0.0.1:{port}")], &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut String::new())
        .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    for (name, args) in [
        ("subscribe", vec!["/subscribe"]),
        ("subscribe-error", vec!["-d", "email=nope", "/subscribe"]),
        (
            "subscribe-sent",
            vec!["-d", "email=a@example.org", "/subscribe"],
        ),
        (
            "confirm-invalid",
            vec!["/confirm?email=a%40example.org&issued=1&token=00"],
        ),
        ("unsubscribe-invalid", vec!["/unsubscribe"]),
    ] {
        let mut args: Vec<String> = args.into_iter().map(str::to_owned).collect();
        let last = args.pop().unwrap();
        args.push(format!("http://127.0.0.1:{port}{last}"));
        let out = Command::new("curl")
            .arg("-s")
            .args(&args)
            .output()
            .expect("curl runs (install curl)");
        // Saved inside the built site: the site's stylesheet styles it there, as on the web.
        let page = String::from_utf8(out.stdout)
            .unwrap()
            .replace("https://briefing.example.org/", "../");
        std::fs::write(dir.join(format!("{name}.html")), page).unwrap();
    }
    // The confirmation message's HTML, from the outbox, once the worker has written it; and
    // the page its link opens (the button that confirms).
    let outbox = project.path("outbox/confirmations");
    let eml = first_file(&outbox, "confirm-");
    let raw = std::fs::read(eml).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    std::fs::write(
        dir.join("confirm-email.html"),
        message.body_html(0).unwrap().as_bytes(),
    )
    .unwrap();
    let text = message.body_text(0).unwrap();
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/confirm?s="))
        .expect("a confirmation link");
    let path = &link[link.find("/confirm?").unwrap()..];
    let out = Command::new("curl")
        .arg("-s")
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .unwrap();
    let page = String::from_utf8(out.stdout)
        .unwrap()
        .replace("https://briefing.example.org/", "../");
    std::fs::write(dir.join("confirm-ask.html"), page).unwrap();
    // The button pressed: the page that says so, and the welcome the worker then mails.
    let out = Command::new("curl")
        .args(["-s", "-X", "POST"])
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .unwrap();
    let page = String::from_utf8(out.stdout)
        .unwrap()
        .replace("https://briefing.example.org/", "../");
    std::fs::write(dir.join("confirm-done.html"), page).unwrap();
    let welcome = first_file(&outbox, "welcome-");
    let raw = std::fs::read(welcome).unwrap();
    let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
    std::fs::write(
        dir.join("welcome-email.html"),
        message.body_html(0).unwrap().as_bytes(),
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
#[ignore = "needs java and curl: run scripts/test"]
fn every_page_and_email_passes_the_nu_html_checker() {
    let project = built_with_sign_up();
    save_service_pages(&project, &project.path("public/service"));
    let pages = html_files(&project.path("public"));
    assert!(pages.len() > 40, "{}", pages.len());
    assert!(pages.iter().any(|p| p.ends_with("email.html")));
    // `email-merge.html` is no page: it is pasted into another mail tool, which replaces
    // its merge tag (`*|UNSUB|*`, not a URL) with each reader's link.
    assert!(pages.iter().any(|p| p.ends_with("email-merge.html")));
    without_merge_copies(&project.path("public"));
    let errors = vnu_errors(&project.path("public"));
    assert!(errors.is_empty(), "{}", errors.join("\n"));

    // The checker can fail: a page with an obsolete attribute and a stray end tag.
    let broken = tempfile::tempdir().unwrap();
    std::fs::write(
        broken.path().join("broken.html"),
        "<!doctype html><html lang=en><title>x</title><table cellpadding=0><tr><td>x</td></tr></table></p>",
    )
    .unwrap();
    let errors = vnu_errors(broken.path());
    assert!(errors.len() >= 2, "{errors:?}");
}

#[test]
#[ignore = "needs chromium and node: run scripts/test"]
fn the_email_and_pages_have_no_axe_violations() {
    let project = built_with_sign_up();
    // `briefing listen`'s pages and its two messages too.
    save_service_pages(&project, &project.path("public/service"));
    let service: Vec<String> = html_files(&project.path("public/service"))
        .iter()
        .map(|p| {
            p.strip_prefix(project.root())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    assert_eq!(service.len(), 9, "{service:?}");
    for page in [
        "public/issues/2026-w25/email.html",
        "public/issues/2026-w10/email.html",
        "public/issues/2026-w25/index.html",
        "public/index.html",
        "public/tags/qwen/2/index.html",
    ]
    .into_iter()
    .chain(service.iter().map(String::as_str))
    {
        assert!(project.path(page).is_file(), "{page}");
        // In both colour schemes: contrast is checked against the colours each one shows.
        for scheme in ["light", "dark"] {
            let seen = browse(&serde_json::json!({
                "url": format!("file://{}", project.path(page).display()),
                "color_scheme": scheme,
                "steps": [{"axe": true}],
            }));
            let violations = seen.axe.unwrap_or_default();
            assert!(violations.is_empty(), "{page} ({scheme}): {violations:#?}");
        }
    }
    // axe finds what it should: an image without alt text in an email.
    let bad = project.path("public/bad.html");
    std::fs::write(
        &bad,
        "<!doctype html><html lang=en><title>x</title><main><img src=x.png></main>",
    )
    .unwrap();
    let seen = browse(&serde_json::json!({
        "url": format!("file://{}", bad.display()),
        "steps": [{"axe": true}],
    }));
    assert!(
        seen.axe
            .unwrap_or_default()
            .iter()
            .any(|v| v["id"] == "image-alt"),
        "axe ran"
    );
}

fn without_merge_copies(public: &Path) {
    for page in html_files(public) {
        if page.ends_with("email-merge.html") {
            std::fs::remove_file(page).unwrap();
        }
    }
}

fn html_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every link and resource of every page under `public` that points into the site
/// (relative, or absolute under `base_url`) and names no file there.
fn dead_links(public: &Path, base_url: &str) -> BTreeSet<String> {
    let selector = scraper::Selector::parse("a[href], link[href], img[src], script[src]").unwrap();
    let mut dead = BTreeSet::new();
    for page in html_files(public) {
        let html = std::fs::read_to_string(&page).unwrap();
        let doc = scraper::Html::parse_document(&html);
        for element in doc.select(&selector) {
            let target = element
                .value()
                .attr("href")
                .or_else(|| element.value().attr("src"))
                .unwrap();
            let target = target.split(['#', '?']).next().unwrap();
            let file = if let Some(rest) = target.strip_prefix(base_url) {
                public.join(rest)
            } else if target.contains(':') || target.starts_with("//") || target.is_empty() {
                continue;
            } else if let Some(rooted) = target.strip_prefix('/') {
                public.join(rooted)
            } else {
                page.parent().unwrap().join(target)
            };
            let file = if target.ends_with('/') || file.is_dir() {
                file.join("index.html")
            } else {
                file
            };
            if !file.is_file() {
                dead.insert(format!(
                    "{} -> {target}",
                    page.strip_prefix(public).unwrap().display()
                ));
            }
        }
    }
    dead
}

#[test]
fn every_internal_link_of_the_site_and_its_emails_resolves() {
    let project = built_with_sign_up();
    without_merge_copies(&project.path("public"));
    let dead = dead_links(&project.path("public"), "https://briefing.example.org/");
    assert!(dead.is_empty(), "{dead:#?}");
    // The check finds a dead link a template adds.
    project.write(
        "templates/partials/pager.html",
        "<a href=\"{{ page.root }}nowhere/\">gone</a>",
    );
    assert_eq!(project.run(&["build"]).code, 0);
    let dead = dead_links(&project.path("public"), "https://briefing.example.org/");
    assert!(dead.iter().any(|d| d.ends_with("nowhere/")), "{dead:#?}");
}

// A newsletter with no issue yet (`init --bare`, then `build`) publishes a valid site: its
// home page, archive, tags and watch pages pass the Nu Html Checker, with the sign-up form.
#[test]
#[ignore = "needs java: run scripts/test"]
fn a_site_with_no_issue_yet_passes_the_nu_html_checker() {
    let project = Project::empty();
    let init = project.run(&[
        "init",
        "--bare",
        "--title",
        "My Weekly",
        "--base-url",
        "https://news.example.org/",
        "--from",
        "news@example.org",
    ]);
    assert_eq!(init.code, 0, "{init:?}");
    project.reconfigure(&[], "audience:\n  url: https://news.example.org/list/\n");
    let build = project.run(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(project.read("public/index.html").contains("signup-cta"));
    let pages = html_files(&project.path("public"));
    assert!(pages.len() >= 5, "{pages:?}");
    let errors = vnu_errors(&project.path("public"));
    assert!(errors.is_empty(), "{errors:#?}");
}

/// `report --html` of an issue sent to three readers, with clicks counted on its stories.
fn report_page() -> (Project, PathBuf) {
    let project = Project::sample();
    project.reconfigure(
        &["unsubscribe_url", "audience"],
        "audience:\n  description: For testers.\n  url: https://briefing.example.org/list/\n  clicks: true\n",
    );
    for reader in ["ann@example.org", "bob@example.org", "cat@example.org"] {
        let run = project.run_with(&["subscribers", "add", reader], &[crate::support::SECRET]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let outbox = project.path("outbox");
    let run = project.run_with(
        &[
            "send",
            "--latest",
            "--yes",
            "--outbox",
            outbox.to_str().unwrap(),
        ],
        &[crate::support::SECRET],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Counts as `listen` writes them (its own tests follow real clicks).
    let db = rusqlite::Connection::open(project.path(".briefing/audience.sqlite3")).unwrap();
    for (story, url, readers, automated) in [
        (
            "former-qwen-lead-junyang-lins-new-ai-lab-raises-at-a-2-billion-valuation",
            "https://www.theinformation.com/",
            41,
            6,
        ),
        (
            "former-qwen-lead-junyang-lins-new-ai-lab-raises-at-a-2-billion-valuation",
            "https://www1.hkexnews.hk/search/titlesearch.xhtml?stock_id=09988",
            12,
            6,
        ),
        (
            "alibaba-takes-qwen-into-robotics-with-an-embodied-intelligence-suite",
            "https://www.digitimes.com/news/a20260617VL204/alibaba-qwen-robot-robotics-software.html",
            23,
            5,
        ),
        ("-", "https://briefing.example.org/issues/2026-w25/", 7, 6),
    ] {
        db.execute(
            "INSERT INTO clicks VALUES ('2026-W25', ?1, ?2, ?3, ?4)",
            rusqlite::params![story, url, readers, automated],
        )
        .unwrap();
    }
    let page = project.path("report/report.html");
    std::fs::create_dir_all(page.parent().unwrap()).unwrap();
    let run = project.run_with(
        &["report", "--latest", "--html", page.to_str().unwrap()],
        &[crate::support::SECRET],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    (project, page)
}

#[test]
#[ignore = "needs java, chromium and node: run scripts/test"]
fn the_html_report_passes_the_nu_checker_and_axe() {
    let (_project, page) = report_page();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<svg"), "a chart");
    assert!(
        html.contains(">41</td>"),
        "the figures in a table too: {html}"
    );
    assert!(!html.contains("<script"), "no script");
    let errors = vnu_errors(page.parent().unwrap());
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    for scheme in ["light", "dark"] {
        let shot = crate::support::browser::shots().join(format!("report-{scheme}.png"));
        let seen = browse(&serde_json::json!({
            "url": format!("file://{}", page.display()),
            "color_scheme": scheme,
            "steps": [{"axe": true}, {"shot": shot}],
        }));
        let violations = seen.axe.unwrap_or_default();
        assert!(violations.is_empty(), "{scheme}: {violations:#?}");
    }
}
