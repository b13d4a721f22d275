//! Archive search in real Chromium (playwright-core): the built site served by a static host
//! we did not write (Python's `http.server`) or by `briefing serve`, a word typed as a reader
//! types it, the results read off the page, and every request the page made recorded.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::project::Project;
use crate::support::browser::browse;
use crate::support::process::{Running, serve};
use crate::support::{free_port, tools};

/// Python's static file server on `dir`, on a free loopback port.
fn static_host(dir: &Path) -> (Running, u16) {
    tools::python(&["http.server"]);
    let port = free_port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .arg("--directory")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running::new(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the static host did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (running, port)
}

/// The titles, meta lines, first marked words and status a search for `word` shows in the
/// header's box of `url`, then where Enter on the first result leads.
fn search_from(url: &str, word: &str, follow: bool) -> serde_json::Value {
    let mut steps = vec![
        serde_json::json!({"press": "/"}),
        serde_json::json!({"type": word}),
        // Results come as the reader types: wait for those of the whole word.
        serde_json::json!({"eval": format!(r#"new Promise((done) => {{
            const status = document.querySelector(".site-search [role=status]");
            const check = () => status.textContent.includes("“{word}”") ? done(true) : setTimeout(check, 20);
            check();
        }})"#)}),
        serde_json::json!({"eval": r#"({
            titles: [...document.querySelectorAll(".search-results .result-title")].map((e) => e.textContent),
            metas: [...document.querySelectorAll(".search-results .result-meta")].map((e) => e.textContent),
            marks: [...document.querySelectorAll(".search-results li:first-child mark")].map((e) => e.textContent),
            status: document.querySelector(".site-search [role=status]").textContent,
            focused: document.activeElement.id,
        })"#}),
    ];
    if follow {
        steps.push(serde_json::json!({"press": "ArrowDown"}));
        steps.push(serde_json::json!({"press": "Enter", "navigates": true}));
    }
    let seen = browse(&serde_json::json!({ "url": url, "steps": steps }));
    assert!(seen.problems.is_empty(), "{:?}", seen.problems);
    let evals = seen.evals.unwrap();
    serde_json::json!({
        "found": evals[1],
        "h1": seen.h1,
        "url": seen.url,
        "requests": seen.requests,
    })
}

fn requests(seen: &serde_json::Value) -> Vec<String> {
    seen["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
#[ignore = "needs chromium, node and python3: run scripts/test"]
fn a_word_one_story_has_finds_it_first_marked_and_follows_it_on_a_static_host_in_a_subfolder() {
    let project = Project::sample();
    // The site published under a subfolder of its host, as many are.
    project.reconfigure(&["base_url"], "base_url: https://example.org/brief/\n");
    let out = project.path("host/brief");
    let run = project.run(&["build", "--out", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_host, port) = static_host(&project.path("host"));
    let origin = format!("http://127.0.0.1:{port}");

    let seen = search_from(&format!("{origin}/brief/archive/"), "Zhenwu", true);
    let found = &seen["found"];
    assert_eq!(
        found["titles"][0], "T-Head unveils the Zhenwu 810E AI processor",
        "{found:#}"
    );
    assert_eq!(found["titles"].as_array().unwrap().len(), 1, "{found:#}");
    assert_eq!(found["status"], "1 result for “Zhenwu”.");
    assert!(
        found["metas"][0]
            .as_str()
            .unwrap()
            .starts_with("Issue 3 · "),
        "{found:#}"
    );
    assert_eq!(found["marks"][0].as_str().unwrap().to_lowercase(), "zhenwu");
    assert_eq!(found["focused"], "site-search-q", "`/` focused the box");
    // The first result, by keyboard: its permalink, under the subfolder.
    assert_eq!(
        seen["url"],
        format!("{origin}/brief/stories/t-head-unveils-the-zhenwu-810e-ai-processor/")
    );
    assert_eq!(seen["h1"], "T-Head unveils the Zhenwu 810E AI processor");
    // Nothing outside the site, and Pagefind's index from the subfolder.
    let asked = requests(&seen);
    assert!(
        asked
            .iter()
            .all(|u| u.starts_with(&format!("{origin}/brief/"))),
        "{asked:#?}"
    );
    assert!(
        asked
            .iter()
            .any(|u| u.contains("/brief/pagefind/pagefind.js"))
    );

    // A word no card has.
    let seen = search_from(&format!("{origin}/brief/"), "xylophonequartz", false);
    assert_eq!(seen["found"]["status"], "No results for “xylophonequartz”.");
    assert_eq!(seen["found"]["titles"], serde_json::json!([]));
}

#[test]
#[ignore = "needs chromium, node and python3: run scripts/test"]
fn drafts_are_found_only_in_a_drafts_preview_and_say_so() {
    let project = Project::sample();
    let published = project.path("published");
    let preview = project.path("preview");
    let run = project.run(&["build", "--out", published.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = project.run(&["build", "--drafts", "--out", preview.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (_host, port) = static_host(project.root());
    let seen = search_from(
        &format!("http://127.0.0.1:{port}/published/"),
        "mindshare",
        false,
    );
    assert_eq!(seen["found"]["status"], "No results for “mindshare”.");
    let seen = search_from(
        &format!("http://127.0.0.1:{port}/preview/"),
        "mindshare",
        false,
    );
    assert_eq!(
        seen["found"]["titles"],
        serde_json::json!(["Three months on, Qwen still has no public voice"])
    );
    assert!(
        seen["found"]["metas"][0]
            .as_str()
            .unwrap()
            .ends_with(" · Draft"),
        "{:#}",
        seen["found"]
    );
}

#[test]
#[ignore = "needs chromium and node: run scripts/test"]
fn serve_finds_a_story_by_its_new_words_after_a_save_and_no_longer_by_its_old_ones() {
    let project = Project::sample();
    let (_serve, addr) = serve(project.root());
    let card = "briefs/2026-W10/t-head-zhenwu-810e.yaml";
    let edited = project.read(card).replace("Zhenwu", "Quokkachip");
    // Save the card while a page is open; the page reloads once the site is rebuilt.
    let seen = browse(&serde_json::json!({
        "url": format!("http://{addr}/"),
        "steps": [{"write": project.path(card), "content": edited}],
    }));
    assert_eq!(seen.reloaded, Some(true), "{:?}", seen.problems);
    // The pages show the save at once; the index follows when it is made (within seconds),
    // the last one serving meanwhile.
    let deadline = Instant::now() + Duration::from_secs(60);
    let found = loop {
        let found = search_from(&format!("http://{addr}/archive/"), "Quokkachip", false);
        if found["found"]["status"] == "1 result for “Quokkachip”." || Instant::now() > deadline
        {
            break found;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(
        found["found"]["status"], "1 result for “Quokkachip”.",
        "{found:#}"
    );
    let gone = search_from(&format!("http://{addr}/archive/"), "Zhenwu", false);
    assert_eq!(
        gone["found"]["status"], "No results for “Zhenwu”.",
        "{gone:#}"
    );
}

#[test]
#[ignore = "needs java, chromium and node: run scripts/test"]
fn the_search_page_and_open_results_pass_the_nu_checker_and_axe() {
    let project = Project::sample();
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = project.path("public/search");
    let errors = crate::validators::vnu_errors(&dir);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let (_host, port) = static_host(&project.path("public"));
    for scheme in ["light", "dark"] {
        for (url, steps) in [
            (
                format!("http://127.0.0.1:{port}/search/?q=qwen"),
                serde_json::json!([{"wait": ".search-results-page li"}, {"axe": true}]),
            ),
            (
                format!("http://127.0.0.1:{port}/"),
                serde_json::json!([{"press": "/"}, {"type": "qwen"}, {"wait": ".search-results li"}, {"axe": true}]),
            ),
        ] {
            let seen = browse(&serde_json::json!({
                "url": url, "color_scheme": scheme, "width": 390, "steps": steps,
            }));
            assert!(seen.problems.is_empty(), "{:?}", seen.problems);
            let violations = seen.axe.unwrap_or_default();
            assert!(violations.is_empty(), "{url} ({scheme}): {violations:#?}");
        }
    }
}

#[test]
fn search_off_leaves_no_script_no_box_and_no_index() {
    let project = Project::sample();
    project.reconfigure(&[], "search: false\n");
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in crate::project::tree(&project.path("public")).keys() {
        assert!(
            !file.starts_with("pagefind/") && file != "search.js" && file != "search/index.html",
            "{file}"
        );
        if file.ends_with(".html") {
            let html = project.read(&format!("public/{file}"));
            assert!(!html.contains("<script"), "{file}");
            assert!(!html.contains("site-search"), "{file}");
        }
    }
    // On (the default): every page has the box, and the index is there.
    let project = Project::sample();
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let files = crate::project::tree(&project.path("public"));
    assert!(files.contains_key("pagefind/pagefind.js"));
    assert!(files.contains_key("search/index.html"));
    assert!(files.keys().any(|f| f.starts_with("pagefind/fragment/")));
    for page in [
        "index.html",
        "archive/index.html",
        "issues/2026-w25/index.html",
    ] {
        assert!(
            project
                .read(&format!("public/{page}"))
                .contains("role=\"search\"")
        );
    }
    // Not in the email.
    assert!(
        !project
            .read("public/issues/2026-w25/email.html")
            .contains("site-search")
    );
}

#[test]
#[ignore = "needs chromium, node and python3: run scripts/test"]
fn a_one_issue_preview_says_its_search_is_not_built_instead_of_failing() {
    let project = Project::sample();
    let preview = project.path("preview");
    let run = project.run(&["build", "--latest", "--out", preview.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(preview.join("search.js").is_file());
    assert!(!preview.join("pagefind").exists());
    let (_host, port) = static_host(&preview);
    let seen = browse(&serde_json::json!({
        "url": format!("http://127.0.0.1:{port}/issues/2026-w25/"),
        "steps": [
            {"press": "/"},
            {"type": "Qwen"},
            {"eval": r#"new Promise((done) => {
                const status = document.querySelector(".site-search [role=status]");
                const check = () => status.textContent ? done(status.textContent) : setTimeout(check, 20);
                check();
            })"#},
        ],
    }));
    assert_eq!(
        seen.evals.unwrap()[0],
        "Search is not built here: `briefing build` builds the whole site's index."
    );
    // The missing index is the one request that fails; nothing else is wrong on the page.
    assert!(
        seen.problems
            .iter()
            .all(|p| p.contains("pagefind/pagefind.js") || p.contains("404")),
        "{:?}",
        seen.problems
    );
}

/// The names of the search indexes kept under `.briefing/cache/search/`, sorted.
fn cached_indexes(project: &Project) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(project.path(".briefing/cache/search"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".pagefind"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_rebuild_takes_the_index_from_the_cache_only_while_the_stories_read_the_same() {
    let index = |project: &Project| crate::project::tree(&project.path("public/pagefind"));
    let build = |project: &Project| {
        let run = project.run(&["build"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    let project = Project::sample();
    build(&project);
    let first = index(&project);
    let kept = cached_indexes(&project);
    assert_eq!(kept.len(), 1, "{kept:?}");

    // A stylesheet of one's own changes no story: the same index, and no second entry.
    project.write("templates/style.css", "body { color: #123456; }\n");
    build(&project);
    assert_eq!(index(&project), first);
    assert_eq!(cached_indexes(&project), kept);

    // A card's words: a new index, the very one a clean build of the same files makes.
    let card = "briefs/2026-W10/t-head-zhenwu-810e.yaml";
    let edited = project.read(card).replace("Zhenwu", "Quokkachip");
    project.write(card, &edited);
    build(&project);
    let second = index(&project);
    assert_ne!(second, first);
    let clean = Project::sample();
    clean.write(card, &edited);
    build(&clean);
    assert_eq!(second, index(&clean));
    assert_eq!(cached_indexes(&project).len(), 2);

    // The card as it was: the first index again.
    project.write(card, Project::sample().read(card));
    build(&project);
    assert_eq!(index(&project), first);

    // Damaged entries are passed over: the index is made again, right, and kept anew.
    for name in cached_indexes(&project) {
        let path = project.path(&format!(".briefing/cache/search/{name}"));
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        std::fs::write(&path, bytes).unwrap();
    }
    project.write("templates/style.css", "body { color: #654321; }\n");
    build(&project);
    assert_eq!(index(&project), first);
    let fresh = Project::sample();
    build(&fresh);
    assert_eq!(index(&fresh), first);
}
