//! Pages in headless Chromium, driven through playwright-core (`tests/support/node`): no
//! console errors, no failed requests, screenshots kept; and a reader's whole path from the
//! site's sign-up form to the unsubscribe button.
//!
//! `.ci/run` installs Debian's `chromium` and the Node tools (`npm ci` in
//! `tests/support/node`). When either is missing, these tests fail saying what to install,
//! rather than skip: a browser check that quietly skips is no check.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use mail_parser::MessageParser;

use crate::project::Project;

/// What the driver saw.
#[derive(Debug, serde::Deserialize)]
pub struct Seen {
    pub status: Option<u16>,
    pub url: Option<String>,
    pub h1: Option<String>,
    pub text: Option<String>,
    pub problems: Vec<String>,
    pub axe: Option<Vec<serde_json::Value>>,
    pub reloaded: Option<bool>,
}

fn node_tools() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/node");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "these tests need Node's playwright-core and axe-core: run `npm ci` in {} (`.ci/run` does)",
        dir.display()
    );
    assert!(
        Command::new("chromium")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "these tests need Chromium: install Debian's `chromium` package (`.ci/run` does)"
    );
    dir
}

/// Runs the driver with `spec` (see `browse.mjs`).
pub fn browse(spec: &serde_json::Value) -> Seen {
    let dir = node_tools();
    let out = Command::new("node")
        .arg(dir.join("browse.mjs"))
        .arg(spec.to_string())
        .output()
        .expect("node runs (install Node.js)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "the driver said {e}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A running `briefing` server; killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `briefing serve` on a free port: the site as the preview serves it, built from the same
/// cards and templates as `build`.
fn serve(project: &Project) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_briefing"))
        .arg("-C")
        .arg(project.root())
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .strip_prefix("serving http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    (Running(child), addr)
}

fn shots() -> PathBuf {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}

#[test]
fn pages_load_in_headless_chromium_with_no_errors_and_no_failed_requests() {
    let project = Project::sample();
    let (_server, addr) = serve(&project);
    let shots = shots();
    for (name, path) in [
        ("issue", "/issues/2026-w25/"),
        (
            "story",
            "/stories/junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen/",
        ),
        ("archive", "/archive/"),
        ("email", "/issues/2026-w25/email.html"),
        ("home-narrow", "/"),
    ] {
        let shot = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let width = if name.ends_with("narrow") { 320 } else { 1100 };
        let seen = browse(&serde_json::json!({
            "url": format!("http://{addr}{path}"),
            "width": width,
            "steps": [{"shot": shot}],
        }));
        assert_eq!(seen.status, Some(200), "{name}: {seen:?}");
        assert!(seen.problems.is_empty(), "{name}: {:#?}", seen.problems);
        let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 10_000,
            "{name}: screenshot {} is {size} bytes",
            shot.display()
        );
    }
}

#[test]
fn an_open_page_reloads_by_itself_when_a_card_is_saved() {
    let project = Project::sample();
    let (_server, addr) = serve(&project);
    let card = project.path("briefs/2026-W25/lin-new-lab-funding.yaml");
    let edited = std::fs::read_to_string(&card).unwrap().replace(
        "The lab has not announced a product.",
        "The lab has not shipped anything yet.",
    );
    let seen = browse(&serde_json::json!({
        "url": format!("http://{addr}/issues/2026-w25/"),
        "steps": [{"write": card, "content": edited}],
    }));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    assert_eq!(seen.reloaded, Some(true), "{seen:?}");
    assert!(
        seen.text
            .unwrap_or_default()
            .contains("The lab has not shipped anything yet."),
        "the reloaded page shows the edit"
    );
}

/// The first link in `raw`'s HTML part whose text is `text`.
fn html_link(raw: &[u8], text: &str) -> String {
    let message = MessageParser::default().parse(raw).unwrap();
    let html = message.body_html(0).unwrap().into_owned();
    let doc = scraper::Html::parse_document(&html);
    let selector = scraper::Selector::parse("a").unwrap();
    doc.select(&selector)
        .find(|a| a.text().collect::<String>().trim() == text)
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_else(|| panic!("no link `{text}` in:\n{html}"))
        .to_owned()
}

#[test]
fn a_reader_signs_up_on_the_site_confirms_and_unsubscribes_in_chromium() {
    node_tools();
    let project = Project::sample();
    let (listen_port, site_port) = (crate::listen::free_port(), crate::listen::free_port());
    // The site on `briefing serve`, the service on `briefing listen`, as a publisher would
    // run them behind one proxy.
    let config: String = project
        .read("config.yaml")
        .lines()
        .filter(|l| {
            !["unsubscribe_url:", "audience:", "base_url:"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    project.write(
        "config.yaml",
        format!(
            "{config}base_url: http://127.0.0.1:{site_port}/\naudience:\n  description: For testers.\n  url: http://127.0.0.1:{listen_port}/\n"
        ),
    );
    let mut site = Command::new(env!("CARGO_BIN_EXE_briefing"))
        .arg("-C")
        .arg(project.root())
        .args(["serve", "--port", &site_port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    BufReader::new(site.stdout.take().unwrap())
        .read_line(&mut String::new())
        .unwrap();
    let _site = Running(site);
    let mut listen = project
        .command(
            &["listen", "--bind", &format!("127.0.0.1:{listen_port}")],
            &[],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    BufReader::new(listen.stdout.take().unwrap())
        .read_line(&mut String::new())
        .unwrap();
    let _listen = Running(listen);
    let shots = shots();

    // 1. The footer form of an issue page.
    let seen = browse(&serde_json::json!({
        "url": format!("http://127.0.0.1:{site_port}/issues/2026-w25/"),
        "steps": [
            {"fill": "#signup-email", "value": "reader@example.org"},
            {"click": "form.signup button"},
            {"shot": shots.join("signup-sent.png")},
        ],
    }));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    assert_eq!(seen.h1.as_deref(), Some("Check your inbox"), "{seen:?}");
    assert_eq!(
        seen.url.as_deref(),
        Some(format!("http://127.0.0.1:{listen_port}/subscribe").as_str()),
        "the form posted to the service"
    );

    // 2. The confirmation link from the message caught in the outbox.
    let outbox = crate::listen::outbox_messages(&project.path("outbox/confirmations"));
    assert_eq!(outbox.len(), 1);
    let confirm = html_link(&outbox[0], "Confirm my subscription");
    let seen = browse(&serde_json::json!({
        "url": confirm,
        "steps": [{"shot": shots.join("signup-confirmed.png")}],
    }));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    assert_eq!(seen.h1.as_deref(), Some("You are subscribed"), "{seen:?}");

    // 3. The issue, sent to the store; the footer's link, then the button.
    let sent = project.run(&["send", "--latest"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    let issue = crate::listen::outbox_messages(&project.path("outbox/2026-w25"));
    assert_eq!(issue.len(), 1);
    let unsubscribe = html_link(&issue[0], "Unsubscribe");
    let seen = browse(&serde_json::json!({
        "url": unsubscribe,
        "steps": [
            {"shot": shots.join("unsubscribe-ask.png")},
            {"click": "main form button"},
            {"shot": shots.join("unsubscribe-done.png")},
        ],
    }));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    assert_eq!(seen.h1.as_deref(), Some("You are unsubscribed"), "{seen:?}");
    assert!(
        seen.text
            .as_deref()
            .unwrap_or("")
            .contains("reader@example.org will get no more issues"),
        "{seen:?}"
    );
    let list = project.run(&["subscribers", "list"]);
    assert!(
        list.stdout.starts_with("unsubscribed  reader@example.org"),
        "{list:?}"
    );
}
