//! Pages in headless Chromium, driven through playwright-core (`tests/support/node`): no
//! console errors, no failed requests, screenshots kept; and a reader's whole path from the
//! site's sign-up form to the unsubscribe button.
//!
//! They need Chromium and Node's tools, so they are ignored by plain `cargo test`;
//! `scripts/test` installs both and runs them. When either is missing they fail saying what
//! to install, rather than skip: a browser check that quietly skips is no check.

use mail_parser::MessageParser;

use crate::project::Project;
use crate::support::browser::{browse, shots};
use crate::support::free_port;
use crate::support::mail::outbox_messages;
use crate::support::process::{serve, spawn_ready};

#[test]
#[ignore = "needs chromium and node: run scripts/test"]
fn pages_load_in_headless_chromium_with_no_errors_and_no_failed_requests() {
    let project = Project::sample();
    let (_server, addr) = serve(project.root());
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

// A bullet that wraps keeps its hanging indent in the email: every line of its text starts
// right of the arrow, at the same place. (The email puts arrow and text in two table cells,
// because Gmail drops the negative text-indent the web page uses.)
#[test]
#[ignore = "needs chromium and node: run scripts/test"]
fn wrapped_email_bullets_hang_under_their_text() {
    let project = Project::sample();
    let (_server, addr) = serve(project.root());
    let measure = r#"(() => {
      const cells = [...document.querySelectorAll('td.bullet')];
      let wrapped = 0, misaligned = [];
      for (const cell of cells) {
        // The boxes of the cell's text, gathered into lines: a box that overlaps the line
        // above (a smaller font's box sits lower) belongs to it.
        const boxes = [];
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const range = document.createRange();
          range.selectNodeContents(node);
          for (const r of range.getClientRects()) if (r.width >= 1) boxes.push(r);
        }
        boxes.sort((a, b) => a.top - b.top);
        const lines = [];
        for (const r of boxes) {
          const last = lines[lines.length - 1];
          if (last && r.top < last.bottom - 2) {
            last.left = Math.min(last.left, r.left);
            last.bottom = Math.max(last.bottom, r.bottom);
          } else {
            lines.push({ left: r.left, bottom: r.bottom });
          }
        }
        if (lines.length < 2) continue;
        wrapped += 1;
        const starts = lines.map((l) => l.left);
        const arrow = cell.previousElementSibling.getBoundingClientRect();
        if (starts.some((left) => Math.abs(left - starts[0]) > 1 || left < arrow.right)) {
          misaligned.push(cell.textContent.slice(0, 60));
        }
      }
      return { cells: cells.length, wrapped, misaligned };
    })()"#;
    let seen = browse(&serde_json::json!({
        "url": format!("http://{addr}/issues/2026-w25/email.html"),
        "width": 360,
        "steps": [{"eval": measure}, {"shot": shots().join("email-narrow.png")}],
    }));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    let found = &seen.evals.as_ref().unwrap()[0];
    assert!(found["cells"].as_u64().unwrap() >= 5, "{found}");
    assert!(found["wrapped"].as_u64().unwrap() >= 3, "{found}");
    assert_eq!(found["misaligned"], serde_json::json!([]), "{found}");
}

#[test]
#[ignore = "needs chromium and node: run scripts/test"]
fn an_open_page_reloads_by_itself_when_a_card_is_saved() {
    let project = Project::sample();
    let (_server, addr) = serve(project.root());
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

// The page's script names it to the event stream: a template every page includes renders
// that page first, and it reloads showing the edit.
#[test]
#[ignore = "needs chromium and node: run scripts/test"]
fn an_open_story_page_reloads_with_a_template_every_page_includes() {
    let project = Project::sample();
    std::fs::create_dir_all(project.path("templates/partials")).unwrap();
    let (server, addr) = serve(project.root());
    let footer = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/partials/footer.html"),
    )
    .unwrap();
    let seen = browse(&serde_json::json!({
        "url": format!("http://{addr}/stories/former-qwen-lead-junyang-lins-new-ai-lab-raises-at-a-2-billion-valuation/"),
        "steps": [{
            "write": project.path("templates/partials/footer.html"),
            "content": format!("{footer}<p>Footer saved while open</p>\n"),
        }],
    }));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    assert_eq!(seen.reloaded, Some(true), "{seen:?}");
    assert!(
        seen.text
            .unwrap_or_default()
            .contains("Footer saved while open"),
        "the reloaded page shows the edit"
    );
    drop(server);
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
#[ignore = "needs chromium and node: run scripts/test"]
fn a_reader_signs_up_on_the_site_confirms_and_unsubscribes_in_chromium() {
    crate::support::tools::browser();
    let project = Project::sample();
    let (listen_port, site_port) = (free_port(), free_port());
    // The site on `briefing serve`, the service on `briefing listen`, as a publisher would
    // run them behind one proxy.
    project.reconfigure(
        &["unsubscribe_url", "audience", "base_url"],
        &format!(
            "base_url: http://127.0.0.1:{site_port}/\naudience:\n  description: For testers.\n  \
             url: http://127.0.0.1:{listen_port}/\n"
        ),
    );
    let (_site, _) = spawn_ready(
        project.command(&["serve", "--port", &site_port.to_string()], &[]),
        None,
    );
    let (_listen, _) = spawn_ready(
        project.command(
            &["listen", "--bind", &format!("127.0.0.1:{listen_port}")],
            &[],
        ),
        None,
    );
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

    // 2. The confirmation link from the message caught in the outbox (mailed by the
    // service's worker once the answer has left): the page asks, the button confirms.
    let confirmations = project.path("outbox/confirmations");
    let started = std::time::Instant::now();
    while outbox_messages(&confirmations).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "no confirmation message after 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let outbox = outbox_messages(&confirmations);
    assert_eq!(outbox.len(), 1);
    let confirm = html_link(&outbox[0], "Confirm my subscription");
    let seen = browse(&serde_json::json!({
        "url": confirm,
        "steps": [
            {"shot": shots.join("signup-confirm-ask.png")},
            {"click": "main form button"},
            {"shot": shots.join("signup-confirmed.png")},
        ],
    }));
    assert!(seen.problems.is_empty(), "{:#?}", seen.problems);
    assert_eq!(seen.h1.as_deref(), Some("You are subscribed"), "{seen:?}");

    // 3. The issue, sent to the store; the footer's link, then the button.
    let sent = project.run(&["send", "--yes", "--latest"]);
    assert_eq!(sent.code, 0, "{sent:?}");
    let issue = outbox_messages(&project.path("outbox/2026-w25"));
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

// With a sign-up service, the home page asks readers to subscribe above the latest issue,
// where they decide, in the first screen of a phone and of a laptop; `home_signup: false`
// leaves only the footer's form, and without `audience.url` there is no form at all.
#[test]
#[ignore = "needs chromium and node: run scripts/test"]
fn the_home_page_calls_readers_to_subscribe_above_the_latest_issue() {
    let project = Project::sample();
    project.reconfigure(
        &["unsubscribe_url", "audience"],
        "audience:\n  description: For testers.\n  url: https://briefing.example.org/list/\n",
    );
    assert_eq!(project.run(&["build"]).code, 0);
    let (_server, addr) = serve(project.root());
    let measure = r#"(() => {
      const field = document.querySelector('.signup-cta input[type=email]');
      const heading = document.querySelector('article.issue h1');
      if (!field) return { forms: document.querySelectorAll('form.signup').length };
      const box = field.getBoundingClientRect();
      return {
        forms: document.querySelectorAll('form.signup').length,
        field_bottom: box.bottom,
        heading_top: heading.getBoundingClientRect().top,
        viewport: window.innerHeight,
        label: field.labels[0].textContent,
        action: field.form.action,
      };
    })()"#;
    for (name, width) in [("home-cta", 1100), ("home-cta-narrow", 320)] {
        let seen = browse(&serde_json::json!({
            "url": format!("http://{addr}/"),
            "width": width,
            "steps": [{"eval": measure}, {"shot": shots().join(format!("{name}.png")), "full": false}],
        }));
        assert!(seen.problems.is_empty(), "{name}: {:#?}", seen.problems);
        let found = &seen.evals.as_ref().unwrap()[0];
        assert_eq!(
            found["forms"], 2,
            "the call to action and the footer's form: {found}"
        );
        let bottom = found["field_bottom"].as_f64().unwrap();
        assert!(
            bottom < found["heading_top"].as_f64().unwrap(),
            "{name}: {found}"
        );
        assert!(
            bottom < found["viewport"].as_f64().unwrap(),
            "{name}: first screen: {found}"
        );
        assert_eq!(
            found["action"],
            "https://briefing.example.org/list/subscribe"
        );
        assert_eq!(found["label"], "Get vff Briefing by email");
    }
    // Turned off: the footer's form only. Without a service: no form anywhere.
    project.reconfigure(&[], "");
    let config = project.read("config.yaml").replace(
        "  url: https://briefing.example.org/list/\n",
        "  url: https://briefing.example.org/list/\n  home_signup: false\n",
    );
    project.write("config.yaml", config);
    assert_eq!(project.run(&["build"]).code, 0);
    let home = project.read("public/index.html");
    assert!(!home.contains("signup-cta") && home.matches("<form class=\"signup\"").count() == 1);
    let config = project.read("config.yaml");
    let config = config[..config.find("audience:").unwrap()].to_owned()
        + &config[config.find("home_signup: false\n").unwrap() + 19..];
    project.write("config.yaml", config + "audience: For testers.\n");
    let build = project.run(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    // No sign-up form (the search box is the one form left).
    let home = project.read("public/index.html");
    assert!(!home.contains("signup"), "{home}");
    assert_eq!(home.matches("<form").count(), 1);
}
