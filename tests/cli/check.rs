//! `briefing check`: every problem, located, in one run.

use crate::project::Project;

#[test]
fn reports_every_problem_in_the_fixture_with_file_line_and_column() {
    let project = Project::fixture("invalid");
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/copy-of-good.yaml:1:8: error: duplicate slug `a-good-card`, also used by briefs/2026-W25/good.yaml",
            "briefs/2026-W25/empty.yaml:1:1: error: card is empty",
            "briefs/2026-W25/good.yaml:1:8: error: duplicate slug `a-good-card`, also used by briefs/2026-W25/copy-of-good.yaml",
            "briefs/2026-W25/header-injection.yaml:1:8: error: `title` must be one line, found a line break",
            "briefs/2026-W25/list.yaml:1:1: error: a card must be a mapping of keys (`title: ...`), found a list",
            "briefs/2026-W25/syntax.yaml:2:10: error: invalid YAML: invalid indentation in quoted scalar",
            "briefs/2026-W25/typos.yaml:1:1: error: missing required key `why_it_matters`",
            "briefs/2026-W25/typos.yaml:2:7: error: `date` `2026-06-31` is not a real date",
            "briefs/2026-W25/typos.yaml:3:10: error: `summary` must be text, found a list",
            "briefs/2026-W25/typos.yaml:4:7: error: `tldr` is empty; give 1 to 6 bullets",
            "briefs/2026-W25/typos.yaml:5:1: error: unknown key `why_it_maters`",
            "briefs/2026-W25/typos.yaml:7:13: error: `confidence` must be one of `low`, `medium` or `high`, found `certain`",
            "briefs/2026-W25/typos.yaml:10:10: error: source 1: only http and https links are allowed, found a `javascript:` URL",
            "briefs/2026-W26/wrong-week.yaml:1:1: warning: no sources",
            "briefs/2026-W26/wrong-week.yaml:2:7: warning: date 2026-06-17 is in week 2026-W25, but the card is in folder 2026-W26",
            "briefs/2026-W26/wrong-week.yaml:5:5: warning: TL;DR bullet is 28 words; keep it under 25",
        ]
    );
    assert!(
        run.stderr.ends_with(
            "check failed: 8 cards, 13 errors, 3 warnings\n1 file has a YAML syntax \
                        error, which stops the rest of its checks: fix it and run `check` again \
                        to see them\n"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn the_full_report_reads_well() {
    // The whole stderr, snippets and help included, is UI: pin it.
    let run = Project::fixture("invalid").run(&["check"]);
    insta::assert_snapshot!(run.stderr);
}

#[test]
fn the_sample_passes_even_under_strict() {
    let run = Project::sample().run(&["check", "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "check ok: 11 cards (10 published in 5 issues, 1 draft), 0 errors, 0 warnings\n\
         draft: briefs/2026-W25/who-speaks-for-qwen.yaml “Three months on, Qwen still has no \
         public voice” (not in 2026-W25, the newest issue; set `draft: false` to publish it)\n"
    );
    // Where the token secret comes from, when asked.
    let verbose = Project::sample().run(&["check", "--verbose"]);
    assert!(
        verbose
            .stderr
            .ends_with("token secret: `.briefing/secret`\n"),
        "{}",
        verbose.stderr
    );
}

// A newsletter about to mail readers should show a postal address: `--strict` says so at
// config.yaml, plain `check` does not nag; once set, it is in both parts of every email.
#[test]
fn strict_asks_for_a_postal_address_which_every_email_then_shows() {
    let project = Project::sample();
    project.reconfigure(&["postal_address"], "");
    let plain = project.run(&["check"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert!(plain.headlines().is_empty(), "{:?}", plain.headlines());
    let strict = project.run(&["check", "--strict"]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert_eq!(
        strict.headlines(),
        [
            "config.yaml:1:1: warning: no `postal_address`: many senders must show one in every \
          email (CAN-SPAM for commercial mail)"
        ]
    );
    project.reconfigure(
        &[],
        "postal_address: Ann's Press, 9 Quay Rd, Cork T12 X1Y2, Ireland\n",
    );
    assert_eq!(project.run(&["check", "--strict"]).code, 0);
    assert_eq!(project.run(&["build"]).code, 0);
    let html = project.read("public/issues/2026-w25/email.html");
    assert!(
        html.contains(">Ann's Press, 9 Quay Rd, Cork T12 X1Y2, Ireland</p>"),
        "{html}"
    );
    let text = project.read("public/issues/2026-w25/email.txt");
    assert!(
        text.lines()
            .any(|l| l == "Ann's Press, 9 Quay Rd, Cork T12 X1Y2, Ireland"),
        "{text}"
    );
    // Not on the web pages: it belongs to the mail.
    assert!(!project.read("public/index.html").contains("9 Quay Rd"));
}

#[test]
fn a_new_card_is_a_draft_until_marked_ready_and_check_names_it() {
    let project = Project::sample();
    let made = project.run(&["new", "Next week story", "--date", "2026-06-24"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(
        made.stdout.contains("until you set `draft: false`"),
        "{}",
        made.stdout
    );
    let path = "briefs/2026-W26/next-week-story.yaml";
    let card = project
        .read(path)
        .replacen("summary: \"\"", "summary: Done.", 1)
        .replacen("  - \"\"", "  - One", 1)
        .replacen("why_it_matters: \"\"", "why_it_matters: Because.", 1)
        .replacen("what_to_watch: \"\"", "what_to_watch: Next.", 1)
        .replacen("  # - title", "  - title", 1)
        .replacen("  #   url", "    url", 1);
    project.write(path, &card);
    let check = project.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stderr.contains(
            "draft: briefs/2026-W26/next-week-story.yaml “Next week story” (for 2026-W26; \
             set `draft: false` to publish it)"
        ),
        "{}",
        check.stderr
    );
    // Not built, not sent: the newest issue is still 2026-W25.
    assert_eq!(project.run(&["build"]).code, 0);
    assert!(!project.path("public/issues/2026-w26").exists());
    let ready = card.replace("draft: true", "draft: false");
    project.write(path, ready);
    let check = project.run(&["check"]);
    assert!(
        !check.stderr.contains("next-week-story"),
        "{}",
        check.stderr
    );
    assert_eq!(project.run(&["build"]).code, 0);
    assert!(project.path("public/issues/2026-w26/index.html").exists());
}

#[test]
fn strict_turns_warnings_into_failure() {
    let project = Project::sample();
    let card = project.read("briefs/2026-W10/t-head-zhenwu-810e.yaml");
    project.write(
        "briefs/2026-W11/t-head-zhenwu-810e.yaml",
        card.replace("title: T-Head unveils", "title: Moved, T-Head unveils"),
    );
    let relaxed = project.run(&["check"]);
    assert_eq!(relaxed.code, 0, "{}", relaxed.stderr);
    assert_eq!(
        relaxed.headlines(),
        [
            "briefs/2026-W11/t-head-zhenwu-810e.yaml:2:7: warning: date 2026-03-04 is in week 2026-W10, but the card is in folder 2026-W11"
        ]
    );
    let strict = project.run(&["check", "--strict"]);
    assert_eq!(strict.code, 1);
    assert!(strict.stderr.contains("--strict treats warnings as errors"));
}

#[test]
fn non_utf8_and_oversized_files_are_reported_not_fatal() {
    let project = Project::sample();
    project.write("briefs/2026-W25/latin1.yaml", b"title: caf\xe9\n");
    project.write("briefs/2026-W25/huge.yaml", vec![b'#'; 2 * 1024 * 1024]);
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/huge.yaml:1:1: error: file is 2097152 bytes; files are capped at 1048576 bytes (1 MiB)",
            "briefs/2026-W25/latin1.yaml:1:11: error: file is not valid UTF-8",
        ]
    );
}

#[test]
fn a_billion_laughs_card_fails_fast() {
    let project = Project::sample();
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ('a'..'i').zip('b'..'j') {
        bomb.push_str(&format!(
            "{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"
        ));
    }
    project.write("briefs/2026-W25/bomb.yaml", bomb);
    let run = project.run(&["check"]);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/bomb.yaml:1:4: error: YAML anchors (`&name`) and aliases (`*name`) are not allowed"
        ]
    );
}

#[test]
fn config_errors_are_located_and_cards_are_still_checked() {
    let project = Project::sample();
    project.write(
        "config.yaml",
        "title: T\nbase_url: https://example.org\nfrom: T <t@example.org>\noutput_dri: out\n",
    );
    project.write("briefs/2026-W25/empty.yaml", "");
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/empty.yaml:1:1: error: card is empty",
            "config.yaml:4:1: error: unknown key `output_dri`",
        ]
    );
    assert!(run.stderr.contains("help: did you mean `output_dir`?"));
}

#[test]
fn a_folder_without_config_says_how_to_start() {
    let run = Project::empty().run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no `config.yaml` in")
            && run
                .stderr
                .contains("run `briefing init` to start a newsletter"),
        "{}",
        run.stderr
    );
}

#[test]
fn colour_only_when_asked() {
    let project = Project::fixture("invalid");
    let plain = project.run(&["check"]);
    assert!(!plain.stderr.contains('\x1b'));
    let coloured = project.run(&["--color", "always", "check"]);
    assert!(coloured.stderr.contains("\x1b[1;31merror\x1b[0m"));
}

// Regression: `check` passed where `build` failed.
#[test]
fn check_finds_what_build_would_fail_on() {
    // Two issues that end up with one number.
    let project = Project::sample();
    project.write("briefs/2026-W11/issue.yaml", "number: 2\n");
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W11/issue.yaml:1:9: error: issue 2026-W11 would be number 2, like issue 2026-W08",
            "briefs/2026-W25/issue.yaml:1:1: error: issue 2026-W25 would be number 3, like issue 2026-W10",
        ]
    );
    assert_eq!(project.run(&["build"]).code, 1, "build refuses it too");

    // A template that does not compile.
    let project = Project::sample();
    project.write("templates/robots.txt", "User-agent: *\n{% if %}\n");
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let headlines = run.headlines();
    assert_eq!(headlines.len(), 1, "{}", run.stderr);
    assert!(
        headlines[0].starts_with("templates/robots.txt:2:1: error: syntax error"),
        "{}",
        run.stderr
    );
}

#[test]
fn slugs_too_long_for_a_file_name_and_dates_out_of_range_are_errors() {
    let project = Project::sample();
    let long = "a-".repeat(150) + "b";
    project.write(
        "briefs/2026-W25/long.yaml",
        format!(
            "title: Long\nslug: {long}\ndate: 0000-01-01\nsummary: S.\ntldr: [T]\n\
             why_it_matters: W.\nsources: [https://example.org/]\nwhat_to_watch:\n  - text: X\n    due: 9999-12\n"
        ),
    );
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/long.yaml:2:7: error: `slug` is 301 characters long; at most 72 are allowed",
            "briefs/2026-W25/long.yaml:3:7: error: `date` `0000-01-01` is outside the years 1900 to 2999",
            "briefs/2026-W25/long.yaml:10:10: error: `what_to_watch` item 1: `due` `9999-12` is outside the years 1900 to 2999",
        ]
    );
}

// Regression: YAML read ` #` as a comment and published half a sentence, and a
// bullet typed with the house style's arrow rendered `→ →`; `check` said nothing.
#[test]
fn comments_that_cut_a_value_and_typed_arrows_are_caught() {
    let project = Project::sample();
    project.write(
        "briefs/2026-W25/traps.yaml",
        "title: Lin speaks\ndate: 2026-06-18\nsummary: Lin, Alibaba's #1 public voice, spoke.\n\
         tldr:\n  - → Lin announced a lab\n  - Plain bullet   # a note for editors\n\
         why_it_matters: It matters.\nwhat_to_watch: More.\nsources: [https://example.org/]\n",
    );
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/traps.yaml:3:25: error: `summary` ends before ` #1 public voice, spoke.`: YAML reads ` #` as the start of a comment",
            "briefs/2026-W25/traps.yaml:5:5: warning: `tldr` item 1 starts with `→`, which was left out",
        ]
    );
    assert!(
        run.stderr
            .contains("help: put the whole value in double quotes"),
        "{}",
        run.stderr
    );
    // The cut sentence is never published; quoted, the whole sentence is, and a comment
    // after a value that is not text (a date) or one that starts with a space stays allowed.
    assert_eq!(project.run(&["build", "--week", "2026-W25"]).code, 1);
    let card = project.read("briefs/2026-W25/traps.yaml");
    project.write(
        "briefs/2026-W25/traps.yaml",
        card.replace(
            "summary: Lin, Alibaba's #1 public voice, spoke.",
            "summary: \"Lin, Alibaba's #1 public voice, spoke.\"",
        )
        .replace(
            "date: 2026-06-18",
            "date: 2026-06-18  # the day of the post",
        ),
    );
    let build = project.run(&["build", "--week", "2026-W25"]);
    assert_eq!(build.code, 0, "{}", build.stderr);
    let text = project.read("public/issues/2026-w25/email.txt");
    assert!(text.contains("Alibaba’s #1 public voice, spoke."), "{text}");
    assert!(text.contains("→ Lin announced a lab"), "{text}");
    assert!(!text.contains("→ →"), "{text}");
}

// Regression: YAML syntax errors had no `help:`, and a tab's caret stood after it.
#[test]
fn yaml_syntax_errors_say_what_to_do_where_the_cause_is() {
    let cases = [
        (
            "title: Qwen: the next step\n",
            "a.yaml:1:12: error: invalid YAML: mapping values are not allowed in this context",
            "help: a `: ` inside a value starts another key; put the whole value in double quotes",
        ),
        (
            "title: T\ndate: 2026-06-17\ntldr:\n\t- x\n",
            "a.yaml:4:1: error: invalid YAML: tabs disallowed within this context (block indentation)",
            "help: indent with spaces, not tabs",
        ),
        (
            // The parser notices the tab while reading line 8's value: the tab is on line 9.
            "title: T\ndate: 2026-06-17\nsummary: s\ntldr:\n  - x\nwhy_it_matters: w\nwhat_to_watch: w\nsources:\n  - https://e.org/\n\t- https://f.org/\n",
            "a.yaml:10:1: error: invalid YAML: while scanning a plain scalar, found a tab",
            "help: indent with spaces, not tabs",
        ),
        (
            "title: \"He said \"no\" to it\"\n",
            "a.yaml:1:18: error: invalid YAML: invalid trailing content after double-quoted scalar",
            "help: a quote inside a quoted value ends it early",
        ),
        (
            "title: T\n  date: 2026-06-17\n",
            "a.yaml:2:7: error: invalid YAML: mapping values are not allowed in this context",
            "help: this key is indented differently from the keys around it",
        ),
        (
            // Markdown bold at the start of a value reads as a YAML alias.
            "title: T\nsummary: **Lin** spoke.\n",
            "a.yaml:2:10: error: invalid YAML: while parsing node, found unknown anchor",
            "help: a value that starts with `&` or `*` is read as a YAML anchor or alias",
        ),
        (
            "title: T\nsummary: & Co. merged.\n",
            "a.yaml:2:10: error: invalid YAML: while scanning an anchor or alias, did not find expected alphabetic or numeric character",
            "help: a value that starts with `&` or `*` is read as a YAML anchor or alias",
        ),
        (
            // Would have dropped `&Co.` without a word.
            "title: T\nsummary: &Co. merged.\n",
            "a.yaml:2:10: error: YAML anchors (`&name`) and aliases (`*name`) are not allowed",
            "help: a value that starts with `&` or `*` is read as a YAML anchor or alias",
        ),
        (
            "title: T\ntldr:\n  - Lin: announced it\n",
            "a.yaml:3:5: error: `tldr` item 1 must be text, found a mapping",
            "help: a `: ` inside an unquoted bullet makes it a key and a value; put the bullet in double quotes",
        ),
    ];
    // The snippet shows the tab, as `→`, under the caret.
    let project = Project::sample();
    project.write("briefs/2026-W25/a.yaml", cases[2].0);
    let run = project.run(&["check"]);
    assert!(
        run.stderr.contains("10 | →- https://f.org/\n   | ^\n"),
        "{}",
        run.stderr
    );
    for (card, headline, help) in cases {
        let project = Project::sample();
        project.write("briefs/2026-W25/a.yaml", card);
        let run = project.run(&["check"]);
        assert_eq!(run.code, 1);
        let full = format!("briefs/2026-W25/{headline}");
        assert!(
            run.headlines().contains(&full.as_str()),
            "{card:?}\n{}",
            run.stderr
        );
        let after = &run.stderr[run.stderr.find(&full).unwrap()..];
        let own_help = after
            .lines()
            .find(|l| l.trim_start().starts_with("help:"))
            .unwrap();
        assert!(
            own_help.trim_start().starts_with(help),
            "{card:?}: {own_help}"
        );
    }
}

// Warnings of a config without errors are shown (they were once dropped); a DKIM key is
// loaded as `send` will load it, and a setting with Ed25519 alone is a warning, since several
// large providers verify only RSA.
#[test]
fn check_loads_every_dkim_key_and_warns_about_ed25519_alone() {
    let project = Project::sample();
    let base = project.read("config.yaml");
    let config = format!(
        "{base}dkim:\n  - selector: r\n    domain: example.org\n    key_file: missing.pem\n    algorithm: rsa\n  \
         - selector: e\n    domain: example.org\n    key_file: e.key\n    algorithm: ed25519\n"
    );
    project.write("e.key", "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n");
    project.write("config.yaml", &config);
    let line = base.lines().count() + 4;
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let headlines = run.headlines();
    assert_eq!(headlines.len(), 1, "{}", run.stderr);
    assert!(
        headlines[0].starts_with(&format!(
            "config.yaml:{line}:15: error: cannot read the DKIM key `"
        )),
        "{}",
        run.stderr
    );
    // Not a key at all: named as such.
    project.write(
        "missing.pem",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    let run = project.run(&["check"]);
    assert!(
        run.stderr.contains("is not a valid RSA key"),
        "{}",
        run.stderr
    );

    // Ed25519 alone: a warning at `dkim`, and --strict fails.
    let config = format!(
        "{base}dkim:\n  selector: e\n  domain: example.org\n  key_file: e.key\n  algorithm: ed25519\n"
    );
    project.write("config.yaml", &config);
    let run = project.run(&["check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.headlines(),
        [format!(
            "config.yaml:{}:1: warning: only Ed25519 DKIM keys: several large mailbox providers (Microsoft's and Yahoo's among them) do not verify Ed25519 signatures (RFC 8463), so their readers get mail that counts as unsigned",
            base.lines().count() + 1
        )]
    );
    assert_eq!(project.run(&["check", "--strict"]).code, 1);

    // One selector twice is an error.
    let config = format!(
        "{base}dkim:\n  - {{selector: e, domain: example.org, key_file: e.key, algorithm: ed25519}}\n  \
         - {{selector: e, domain: example.org, key_file: e.key, algorithm: rsa}}\n"
    );
    project.write("config.yaml", &config);
    let run = project.run(&["check"]);
    assert!(
        run.stderr
            .contains("error: two DKIM keys have the selector `e` of `example.org`"),
        "{}",
        run.stderr
    );
}

// A syntax error stops the rest of its file's checks (a card that does not parse has no
// fields to check); the summary says so, so a second problem of that card that appears after
// the fix is no surprise. Other files are checked as always.
#[test]
fn a_syntax_error_says_the_rest_of_its_file_is_checked_once_it_parses() {
    let project = Project::sample();
    // An unclosed quote, and a date that is no date: only the first can be seen.
    project.write(
        "briefs/2026-W25/a.yaml",
        "title: \"A broken card\ndate: 2026-02-30\n",
    );
    project.write("briefs/2026-W25/b.yaml", "title: Other\ndate: 2026-06-17\n");
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.headlines()
            .iter()
            .any(|h| h.starts_with("briefs/2026-W25/a.yaml:1:8: error: invalid YAML")),
        "{}",
        run.stderr
    );
    assert!(
        run.headlines()
            .iter()
            .any(|h| h.starts_with("briefs/2026-W25/b.yaml:")),
        "the other card is checked: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "\n1 file has a YAML syntax error, which stops the rest of its checks: fix it and \
             run `check` again to see them\n"
        ),
        "{}",
        run.stderr
    );
    // Fixed: the date's problem shows, and the note is gone.
    project.write(
        "briefs/2026-W25/a.yaml",
        "title: \"A broken card\"\ndate: 2026-02-30\n",
    );
    let run = project.run(&["check"]);
    assert!(
        run.headlines()
            .iter()
            .any(|h| h.starts_with("briefs/2026-W25/a.yaml:2:7: error:")),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("syntax error"), "{}", run.stderr);
}
