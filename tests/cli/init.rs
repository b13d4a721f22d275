//! `briefing init` and `briefing new`: a new user's first minutes.

use crate::project::Project;

#[test]
fn init_then_check_passes() {
    let project = Project::empty();
    let run = project.run(&["init", "news"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("created a newsletter in"),
        "{}",
        run.stdout
    );
    for file in [
        "config.yaml",
        ".gitignore",
        "briefs/2026-W25/lin-new-lab-funding.yaml",
    ] {
        assert!(project.path("news").join(file).is_file(), "{file}");
    }
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .current_dir(project.path("news"))
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn init_ships_the_repository_sample_byte_for_byte() {
    let project = Project::sample();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in [
        "config.yaml",
        "briefs/2026-W10/qwen-tech-lead-steps-down.yaml",
    ] {
        assert_eq!(
            project.read(rel),
            std::fs::read_to_string(repo.join(rel)).unwrap(),
            "{rel}"
        );
    }
}

#[test]
fn init_refuses_a_non_empty_folder_without_force() {
    let project = Project::empty();
    project.write("notes.txt", "mine");
    let run = project.run(&["init"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("is not empty; pass `--force`"),
        "{}",
        run.stderr
    );
    assert!(!project.path("config.yaml").exists());
    let forced = project.run(&["init", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);

    assert_eq!(
        project.read("notes.txt"),
        "mine",
        "unrelated files survive --force"
    );
}

#[test]
fn new_then_check_points_at_exactly_the_fields_to_fill_in() {
    let project = Project::sample();
    let run = project.run(&["new", "Some title", "--date", "2026-11-23"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("wrote briefs/2026-W48/some-title.yaml\n"),
        "{}",
        run.stdout
    );
    let check = project.run(&["check"]);
    assert_eq!(check.code, 1);
    assert_eq!(
        check.headlines(),
        [
            "briefs/2026-W48/some-title.yaml:10:1: error: `summary` is empty",
            "briefs/2026-W48/some-title.yaml:14:5: error: `tldr` item 1 is empty",
            "briefs/2026-W48/some-title.yaml:17:1: error: `why_it_matters` is empty",
            "briefs/2026-W48/some-title.yaml:27:1: error: `what_to_watch` is empty",
            "briefs/2026-W48/some-title.yaml:37:1: warning: no sources",
        ]
    );
    let card = project.read("briefs/2026-W48/some-title.yaml");
    let lines: Vec<&str> = card.lines().collect();
    assert_eq!(lines[9], "summary: \"\"");
    assert_eq!(lines[26], "what_to_watch: \"\"");
}

#[test]
fn a_filled_in_skeleton_passes() {
    let project = Project::sample();
    project.run(&[
        "new",
        "Filled in",
        "--date",
        "2026-11-23",
        "--section",
        "Models",
    ]);
    let card = project
        .read("briefs/2026-W48/filled-in.yaml")
        .replacen("summary: \"\"", "summary: Done.", 1)
        .replacen("  - \"\"", "  - One", 1)
        .replacen("why_it_matters: \"\"", "why_it_matters: Because.", 1)
        .replacen("what_to_watch: \"\"", "what_to_watch: Next.", 1)
        .replacen("  # - title", "  - title", 1)
        .replacen("  #   url", "    url", 1);
    project.write("briefs/2026-W48/filled-in.yaml", card);
    let check = project.run(&["check", "--strict"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn new_refuses_to_overwrite_or_reuse_a_slug() {
    let project = Project::sample();
    assert_eq!(
        project.run(&["new", "Twice", "--date", "2026-11-23"]).code,
        0
    );
    let again = project.run(&["new", "Twice", "--date", "2026-11-23"]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("briefs/2026-W48/twice.yaml` already exists"),
        "{}",
        again.stderr
    );
    let other_week = project.run(&["new", "Alibaba releases Qwen 3.5 small open-weight models"]);
    assert_eq!(other_week.code, 1);
    assert!(
        other_week
            .stderr
            .contains("briefs/2026-W10/qwen-3-5-small-models.yaml"),
        "{}",
        other_week.stderr
    );
}

#[test]
fn new_rejects_bad_dates_and_titles() {
    let project = Project::sample();
    let run = project.run(&["new", "X", "--date", "2026-02-30"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`--date 2026-02-30` is not a date"),
        "{}",
        run.stderr
    );
    let run = project.run(&["new", "🚀"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("pass `--slug"), "{}", run.stderr);
}

#[test]
fn help_shows_examples() {
    let run = Project::empty().run(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:") && run.stdout.contains("briefing init news"));
}

#[test]
fn init_in_the_current_folder_does_not_say_cd() {
    let project = Project::empty();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .current_dir(project.root())
        .arg("init")
        .output()
        .unwrap();
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(run.status.success());
    assert!(
        stdout.starts_with("created a newsletter in . (")
            && stdout.contains("next:\n  briefing check\n"),
        "{stdout}"
    );
}

// Regression: `init` copied all the built-in templates, and each copy kept a newer
// briefing's template fixes from the newsletter.
#[test]
fn init_writes_no_templates_unless_asked_and_eject_copies_them_later() {
    let project = Project::sample();
    assert!(
        !project.path("templates").exists(),
        "init copies no template"
    );
    assert!(
        project
            .read("subscribers.csv")
            .starts_with("email,name,status\n"),
        "a sample list to try `send` with"
    );
    let eject = project.run(&["templates", "eject", "partials/footer.html", "issue.html"]);
    assert_eq!(eject.code, 0, "{}", eject.stderr);
    assert!(
        eject
            .stdout
            .contains("wrote templates/partials/footer.html"),
        "{}",
        eject.stdout
    );
    let builtin = |name: &str| {
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates")
                .join(name),
        )
        .unwrap()
    };
    assert_eq!(project.read("templates/issue.html"), builtin("issue.html"));
    // A copy not edited yet is no problem (the quick start ends with one): `check` is quiet,
    // and `templates list` tells it from an edited one and from a template of one's own.
    project.write(
        "templates/partials/footer.html",
        builtin("partials/footer.html") + "<!-- ours -->\n",
    );
    project.write("templates/partials/ours.html", "<p>ours</p>\n");
    let check = project.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.headlines().is_empty(), "{:?}", check.headlines());
    let list = project.run(&["templates", "list"]);
    assert_eq!(list.code, 0, "{}", list.stderr);
    let line = |name: &str| {
        list.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in:\n{}", list.stdout))
            .to_owned()
    };
    assert!(line("issue.html").ends_with("an issue's web page  [yours: copy, not edited yet]"));
    assert!(line("partials/footer.html").ends_with("[yours: edited copy]"));
    assert!(line("partials/ours.html").ends_with("[yours: no built-in of this name]"));
    assert!(
        line("email.html").ends_with("an issue as email (HTML part)"),
        "{}",
        line("email.html")
    );
    assert!(
        list.stdout
            .contains("37 built-in templates; this newsletter has 3 of its own"),
        "{}",
        list.stdout
    );
    // Eject refuses to overwrite an edit, and names what it does not know.
    let again = project.run(&["templates", "eject", "partials/footer.html"]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("exists already; pass `--force`"),
        "{}",
        again.stderr
    );
    let unknown = project.run(&["templates", "eject", "nope.html"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("there is no built-in template `nope.html`"),
        "{}",
        unknown.stderr
    );
    let with = Project::empty();
    assert_eq!(with.run(&["init", "--templates"]).code, 0);
    assert_eq!(with.read("templates/issue.html"), builtin("issue.html"));
}

/// Splits a command line as a shell would for the README's simple lines: words, and
/// double-quoted strings.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(word);
    }
    words
}

// Regression: the Quick start failed twice when followed exactly. Every command of its
// shell block runs here as written, in a fresh folder (`serve` and `listen`, which never end,
// have tests of their own; the preview folder is moved into the test's folder).
#[test]
fn the_readme_quick_start_works_as_written() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("## Quick start")
        .expect("a Quick start section");
    let block = &readme[start..];
    let block = &block[block.find("```sh\n").expect("a shell block") + 6..];
    let block = &block[..block.find("```").unwrap()];
    let home = tempfile::tempdir().unwrap();
    let mut cwd = home.path().to_path_buf();
    let mut env: Vec<(String, String)> = Vec::new();
    let mut ran = 0;
    let mut card_to_fill: Option<String> = None;
    for raw in block.lines() {
        let line = raw.split(" #").next().unwrap().trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("cargo install") {
            continue; // the test runs the binary cargo built
        }
        if let Some(rest) = line.strip_prefix("export ") {
            let (name, _) = rest.split_once('=').unwrap();
            env.push((
                name.to_owned(),
                "0123456789abcdef0123456789abcdef".to_owned(),
            ));
            continue;
        }
        if let Some(dir) = line.strip_prefix("cd ") {
            cwd = cwd.join(dir.trim());
            continue;
        }
        let words = shell_words(line);
        assert_eq!(words[0], "briefing", "{line}");
        if words[1] == "serve" || words[1] == "listen" {
            continue;
        }
        let preview = home.path().join("preview");
        let args: Vec<String> = words[1..]
            .iter()
            .map(|w| {
                if w == "/tmp/preview" {
                    preview.display().to_string()
                } else {
                    w.clone()
                }
            })
            .collect();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
            .current_dir(&cwd)
            .args(&args)
            .env_remove("BRIEFING_UNSUBSCRIBE_SECRET")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        ran += 1;
        if args[0] == "new" {
            assert!(output.status.success(), "{line}: {stderr}");
            card_to_fill = stdout
                .strip_prefix("wrote ")
                .and_then(|rest| rest.lines().next())
                .map(str::to_owned);
            continue;
        }
        if args[0] == "check" && card_to_fill.is_some() {
            // The README: it points at each field still to fill in.
            assert_eq!(output.status.code(), Some(1), "{line}: {stderr}");
            assert!(stderr.contains("is empty"), "{stderr}");
            let card = cwd.join(card_to_fill.take().unwrap());
            let text = std::fs::read_to_string(&card)
                .unwrap()
                .replace("summary: \"\"", "summary: Lin left the Qwen team.")
                .replace("tldr:\n  - \"\"", "tldr:\n  - Lin left")
                .replace("why_it_matters: \"\"", "why_it_matters: It matters.")
                .replace("business_relevance: \"\"\n", "")
                .replace("what_to_watch: \"\"", "what_to_watch: Who follows him.");
            std::fs::write(&card, text).unwrap();
            for again in [&["check"][..], &["build"]] {
                let run = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
                    .current_dir(&cwd)
                    .args(again)
                    .output()
                    .unwrap();
                assert!(
                    run.status.success(),
                    "{again:?} after filling in the card: {}",
                    String::from_utf8_lossy(&run.stderr)
                );
            }
            continue;
        }
        if args[0] == "send" && stderr.contains("there is no terminal to ask on") {
            // On a terminal it asks first (the seatbelt tests answer on a pseudo-terminal);
            // here, with no terminal, it refused and sent nothing: say yes the script's way.
            let yes = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
                .current_dir(&cwd)
                .args(&args)
                .arg("--yes")
                .env_remove("BRIEFING_UNSUBSCRIBE_SECRET")
                .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .output()
                .unwrap();
            assert!(
                yes.status.success(),
                "`{line} --yes` failed: {}",
                String::from_utf8_lossy(&yes.stderr)
            );
            continue;
        }
        assert!(
            output.status.success(),
            "`{line}` failed:\n{stdout}\n{stderr}"
        );
        if args[0] == "build" && args.contains(&"--out".to_owned()) {
            assert!(
                preview.join("style.css").is_file(),
                "the preview opens styled"
            );
        }
    }
    assert!(ran >= 9, "ran {ran} commands of the Quick start");
    assert!(cwd.join("outbox").is_dir(), "the send wrote its messages");
}

// A publisher starting their own: `init --bare` writes their config (any text survives:
// quotes, a colon), an empty briefs/, no sample; `check` and `build` are clean, and the site
// says the first issue is coming; the first card makes the first issue.
#[test]
fn init_bare_makes_the_publishers_own_newsletter_that_checks_and_builds_clean() {
    let project = Project::empty();
    let run = project.run(&[
        "init",
        "--bare",
        "--title",
        "Ann's \"Weekly\": notes",
        "--base-url",
        "https://news.example.org",
        "--from",
        "Ann <ann@example.org>",
        "--description",
        "For people who build # things",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let files: Vec<String> = crate::project::tree(project.root())
        .into_keys()
        .filter(|f| !f.starts_with(".briefing/"))
        .collect();
    assert_eq!(files, [".gitignore", "briefs/.gitkeep", "config.yaml"]);
    assert!(project.path(".briefing/secret").is_file());

    let check = project.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.headlines().is_empty(), "{}", check.stderr);
    assert!(
        check.stderr.contains("0 errors, 0 warnings"),
        "{}",
        check.stderr
    );
    let build = project.run(&["build"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    assert!(build.headlines().is_empty(), "{}", build.stderr);
    let home = project.read("public/index.html");
    assert!(
        home.contains("The first issue of Ann&#39;s &quot;Weekly&quot;: notes is on its way"),
        "{home}"
    );
    assert!(home.contains("For people who build # things"), "{home}");
    assert!(
        home.contains("<meta name=\"description\" content=\"For people who build # things\">"),
        "{home}"
    );
    let feed = project.read("public/feed.xml");
    let feed = feed_rs::parser::parse(feed.as_bytes()).expect("a feed parser accepts it");
    assert!(feed.entries.is_empty());
    // Nothing to send yet, said plainly.
    let send = project.run(&["send", "--latest", "--dry-run"]);
    assert_eq!(send.code, 1);
    assert!(
        send.stderr.contains("no published cards yet"),
        "{}",
        send.stderr
    );

    // The first card, filled in and published, is issue 1.
    let new = project.run(&["new", "First story", "--date", "2026-06-17"]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    let card = "briefs/2026-W25/first-story.yaml";
    project.write(
        card,
        "title: First story\ndate: 2026-06-17\ndraft: false\nsummary: S.\ntldr:\n  - T\n\
         why_it_matters: W.\nwhat_to_watch: N.\nsources:\n  - https://example.org/a\n",
    );
    let check = project.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stderr.contains("1 card (1 published in 1 issue"),
        "{}",
        check.stderr
    );
    assert_eq!(project.run(&["build"]).code, 0);
    assert!(project.read("public/index.html").contains("First story"));
}

// A value the config refuses names its option and writes nothing; a required one missing,
// with no terminal to ask on, is named too.
#[test]
fn init_bare_refuses_bad_or_missing_settings_by_option_and_writes_nothing() {
    for (args, option) in [
        (
            vec![
                "--title",
                "X",
                "--base-url",
                "ftp://x.org/",
                "--from",
                "a@b.org",
            ],
            "`--base-url`",
        ),
        (
            vec![
                "--title",
                "X",
                "--base-url",
                "https://x.org/",
                "--from",
                "nope",
            ],
            "`--from`",
        ),
        (vec!["--title", "X", "--from", "a@b.org"], "`--base-url`"),
        (
            vec![
                "--title",
                "Line\nbreak",
                "--base-url",
                "https://x.org/",
                "--from",
                "a@b.org",
            ],
            "`--title`",
        ),
    ] {
        let project = Project::empty();
        let run = project.run(&[&["init", "new", "--bare"], &args[..]].concat());
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stderr.starts_with(&format!("error: {option}: ")),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!project.path("new").exists(), "{args:?}: nothing written");
    }
}

// On a terminal, `init --bare` asks for what the options did not give, and asks again for an
// answer the config refuses, keeping the others. The terminal is util-linux's `script`.
#[test]
#[cfg(target_os = "linux")]
#[ignore = "needs util-linux's `script` for a terminal: run scripts/test"]
fn init_bare_asks_on_a_terminal_and_asks_again_for_a_refused_answer() {
    use std::io::Write as _;
    let project = Project::empty();
    let command = format!(
        "{} -C {} init mine --bare",
        env!("CARGO_BIN_EXE_briefing"),
        project.root().display()
    );
    let mut child = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("util-linux's `script` runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"My \"Weekly\"\nftp://nope\nMe <me@example.org>\nA tagline\n\n\nhttps://news.example.org\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("only http and https links are allowed"),
        "{said}"
    );
    // Asked twice for the address, once for everything else.
    assert_eq!(
        said.matches("Where will the site be published").count(),
        2,
        "{said}"
    );
    assert_eq!(said.matches("The newsletter's name?").count(), 1, "{said}");
    let config = project.read("mine/config.yaml");
    for line in [
        "title: \"My \\\"Weekly\\\"\"",
        "base_url: \"https://news.example.org/\"",
        "from: \"Me <me@example.org>\"",
        "tagline: \"A tagline\"",
        "# postal_address: ",
    ] {
        assert!(config.contains(line), "{line}:\n{config}");
    }
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .arg("-C")
        .arg(project.path("mine"))
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}
