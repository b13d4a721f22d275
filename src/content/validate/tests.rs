//! One test per validation rule; each asserts the exact headline a user would see.

use std::path::PathBuf;

use super::*;
use crate::content::load::{Content, FileKind, SourceFile};
use crate::content::story::Due;

const GOOD: &str = "\
title: Qwen lead steps down
date: 2026-06-17
summary: Junyang Lin left.
tldr:
  - He posted on X
why_it_matters: It matters.
what_to_watch: Where he lands.
sources:
  - title: X
    url: https://x.com/JustinLin610
";

fn file(path: &str, text: &str) -> SourceFile {
    let path = PathBuf::from(path);
    let kind = if path.file_stem().is_some_and(|s| s == "issue") {
        FileKind::Issue
    } else {
        FileKind::Card
    };
    SourceFile {
        path,
        kind,
        content: Content::Text(text.to_owned()),
    }
}

fn headlines(files: &[SourceFile]) -> Vec<String> {
    headlines_of(&validate(files.to_vec(), None))
}

/// The headlines of every diagnostic of `corpus`, in order.
fn headlines_of(corpus: &Corpus) -> Vec<String> {
    corpus
        .diagnostics
        .iter()
        .map(Diagnostic::headline)
        .collect()
}

/// The headlines for one card at `briefs/2026-W25/card.yaml`.
fn card_headlines(text: &str) -> Vec<String> {
    headlines(&[file("briefs/2026-W25/card.yaml", text)])
}

/// `GOOD` with `line` appended (which may replace a key by appearing twice — avoid that).
fn good_with(extra: &str) -> String {
    format!("{GOOD}{extra}")
}

/// `GOOD` with the line starting `key:` replaced by `replacement`.
fn good_replacing(key: &str, replacement: &str) -> String {
    GOOD.lines()
        .map(|l| {
            if l.starts_with(&format!("{key}:")) {
                replacement.to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn a_complete_card_passes_and_becomes_a_story() {
    let corpus = validate(vec![file("briefs/2026-W25/card.yaml", GOOD)], None);
    assert!(corpus.diagnostics.is_empty(), "{:?}", corpus.diagnostics);
    let story = &corpus.stories[0];
    assert_eq!(story.slug, "qwen-lead-steps-down");
    assert_eq!(story.issue_id().to_string(), "2026-W25");
    assert_eq!(story.sources[0].url, "https://x.com/JustinLin610");
    assert!(!story.draft);
}

#[test]
fn yaml_syntax_errors_are_located() {
    assert_eq!(
        card_headlines("title: [a\nsummary: x\n"),
        ["briefs/2026-W25/card.yaml:2:8: error: invalid YAML: illegal placement of ':' indicator"]
    );
}

#[test]
fn a_root_that_is_not_a_mapping_is_an_error() {
    assert_eq!(
        card_headlines("- a\n- b\n"),
        [
            "briefs/2026-W25/card.yaml:1:1: error: a card must be a mapping of keys (`title: ...`), found a list"
        ]
    );
    assert_eq!(
        card_headlines("just a sentence\n"),
        [
            "briefs/2026-W25/card.yaml:1:1: error: a card must be a mapping of keys (`title: ...`), found a string"
        ]
    );
}

#[test]
fn missing_required_fields_are_named() {
    assert_eq!(
        card_headlines("title: Only a title\n"),
        [
            "briefs/2026-W25/card.yaml:1:1: error: missing required key `date`",
            "briefs/2026-W25/card.yaml:1:1: error: missing required key `summary`",
            "briefs/2026-W25/card.yaml:1:1: error: missing required key `tldr`",
            "briefs/2026-W25/card.yaml:1:1: error: missing required key `what_to_watch`",
            "briefs/2026-W25/card.yaml:1:1: error: missing required key `why_it_matters`",
            "briefs/2026-W25/card.yaml:1:1: warning: no sources",
        ]
    );
}

#[test]
fn unknown_keys_get_a_did_you_mean_hint() {
    let corpus = validate(
        vec![file(
            "briefs/2026-W25/card.yaml",
            &good_with("why_it_maters: x\nkey_implications: [a]\nzzz: 1\n"),
        )],
        None,
    );
    let found: Vec<(String, Option<String>)> = corpus
        .diagnostics
        .iter()
        .map(|d| (d.headline(), d.help.clone()))
        .collect();
    assert_eq!(
        found[0],
        (
            "briefs/2026-W25/card.yaml:11:1: error: unknown key `why_it_maters`".to_owned(),
            Some("did you mean `why_it_matters`?".to_owned())
        )
    );
    assert_eq!(found[1].1.as_deref(), Some("did you mean `implications`?"));
    assert!(
        found[2]
            .1
            .as_deref()
            .unwrap()
            .starts_with("known keys are `title`, `date`")
    );
}

#[test]
fn wrong_types_name_what_was_found() {
    let text = good_replacing("summary", "summary: [not, text]");
    assert_eq!(
        card_headlines(&text),
        ["briefs/2026-W25/card.yaml:3:10: error: `summary` must be text, found a list"]
    );
    let text = good_replacing("tldr", "tldr: one string").replace("  - He posted on X\n", "");
    assert_eq!(
        card_headlines(&text),
        ["briefs/2026-W25/card.yaml:4:7: error: `tldr` must be a list, found a string"]
    );
    assert_eq!(
        card_headlines(&good_with("order: first\ndraft: maybe\n")),
        [
            "briefs/2026-W25/card.yaml:11:8: error: `order` must be a whole number, found a string",
            "briefs/2026-W25/card.yaml:12:8: error: `draft` must be `true` or `false`, found a string",
        ]
    );
}

#[test]
fn impossible_and_malformed_dates_are_told_apart() {
    assert_eq!(
        card_headlines(&good_replacing("date", "date: 2026-02-30")),
        ["briefs/2026-W25/card.yaml:2:7: error: `date` `2026-02-30` is not a real date"]
    );
    assert_eq!(
        card_headlines(&good_replacing("date", "date: June 17, 2026")),
        [
            "briefs/2026-W25/card.yaml:2:7: error: `date` must be a date as YYYY-MM-DD, found `June 17, 2026`"
        ]
    );
}

#[test]
fn tldr_must_have_one_to_six_bullets() {
    let empty = good_replacing("tldr", "tldr: []").replace("  - He posted on X\n", "");
    assert_eq!(
        card_headlines(&empty),
        ["briefs/2026-W25/card.yaml:4:7: error: `tldr` is empty; give 1 to 6 bullets"]
    );
    let seven =
        good_replacing("tldr", "tldr: [a, b, c, d, e, f, g]").replace("  - He posted on X\n", "");
    assert_eq!(
        card_headlines(&seven),
        ["briefs/2026-W25/card.yaml:4:26: error: `tldr` has 7 bullets; the most is 6"]
    );
    let blank = GOOD.replace("  - He posted on X", "  - \"  \"");
    assert_eq!(
        card_headlines(&blank),
        ["briefs/2026-W25/card.yaml:5:5: error: `tldr` item 1 is empty"]
    );
}

#[test]
fn only_http_urls_are_allowed() {
    let text = GOOD.replace("https://x.com/JustinLin610", "javascript:alert(1)");
    assert_eq!(
        card_headlines(&text),
        [
            "briefs/2026-W25/card.yaml:10:10: error: source 1: only http and https links are allowed, found a `javascript:` URL"
        ]
    );
    let text = GOOD.replace("https://x.com/JustinLin610", "ftp://example.org/file");
    assert_eq!(
        card_headlines(&text),
        [
            "briefs/2026-W25/card.yaml:10:10: error: source 1: only http and https links are allowed, found a `ftp:` URL"
        ]
    );
}

#[test]
fn sources_may_be_bare_urls_but_not_other_shapes() {
    let text = good_replacing("sources", "sources: [https://www.example.org/a, 42, [x]]")
        .replace("  - title: X\n    url: https://x.com/JustinLin610\n", "");
    let corpus = validate(vec![file("briefs/2026-W25/card.yaml", &text)], None);
    let found = headlines_of(&corpus);
    assert_eq!(
        found,
        [
            "briefs/2026-W25/card.yaml:8:38: error: source 2: `42` is not an absolute URL; start it with `https://`",
            "briefs/2026-W25/card.yaml:8:42: error: source 3: must be a `{title, url}` mapping, found a list",
        ]
    );
    let text = good_replacing("sources", "sources: [https://www.example.org/a]")
        .replace("  - title: X\n    url: https://x.com/JustinLin610\n", "");
    let corpus = validate(vec![file("briefs/2026-W25/card.yaml", &text)], None);
    assert_eq!(corpus.stories[0].sources[0].title, "example.org");
}

#[test]
fn line_breaks_and_control_characters_in_a_title_are_refused() {
    assert_eq!(
        card_headlines(&good_replacing(
            "title",
            "title: \"Hello\\r\\nBcc: victim@example.org\""
        )),
        ["briefs/2026-W25/card.yaml:1:8: error: `title` must be one line, found a line break"]
    );
    assert_eq!(
        card_headlines(&good_replacing("title", "title: \"Bell\\a\"")),
        ["briefs/2026-W25/card.yaml:1:8: error: `title` contains the control character U+0007"]
    );
    assert_eq!(
        card_headlines(&good_replacing("title", "title: |\n  two\n  lines")),
        ["briefs/2026-W25/card.yaml:2:3: error: `title` must be one line, found a line break"]
    );
}

#[test]
fn control_characters_in_an_issue_subject_are_refused() {
    let issue = file(
        "briefs/2026-W25/issue.yaml",
        "subject: \"Hi\\nBcc: x@example.org\"\npreheader: ok\n",
    );
    assert_eq!(
        headlines(&[file("briefs/2026-W25/card.yaml", GOOD), issue]),
        ["briefs/2026-W25/issue.yaml:1:10: error: `subject` must be one line, found a line break"]
    );
}

#[test]
fn subjects_a_mail_program_would_misread_are_refused() {
    let long = "x".repeat(77);
    assert_eq!(
        card_headlines(&good_replacing("title", "title: Read =?utf-8?q?this?= now")),
        [
            "briefs/2026-W25/card.yaml:1:8: error: `title` contains `=?`, which mail programs read as the start of an encoded word"
        ]
    );
    assert_eq!(
        card_headlines(&good_replacing("title", &format!("title: See {long}"))),
        [
            "briefs/2026-W25/card.yaml:1:8: error: `title` has a word of 77 characters, too long for a mail header to fold"
        ]
    );
    // 76 is fine, and so is a long word that is not ASCII: it is encoded, and encoded words
    // fold.
    assert!(
        card_headlines(&good_replacing(
            "title",
            &format!("title: {}", "x".repeat(76))
        ))
        .is_empty()
    );
    assert!(
        card_headlines(&good_replacing(
            "title",
            &format!("title: {}", "ü".repeat(80))
        ))
        .is_empty()
    );
    let issue = file("briefs/2026-W25/issue.yaml", "subject: \"=?x?\"\n");
    assert_eq!(
        headlines(&[file("briefs/2026-W25/card.yaml", GOOD), issue]),
        [
            "briefs/2026-W25/issue.yaml:1:10: error: `subject` contains `=?`, which mail programs read as the start of an encoded word"
        ]
    );
}

#[test]
fn duplicate_slugs_name_both_files() {
    let a = file("briefs/2026-W25/a.yaml", GOOD);
    let b = file("briefs/2026-W25/b.yaml", GOOD);
    assert_eq!(
        headlines(&[a, b]),
        [
            "briefs/2026-W25/a.yaml:1:8: error: duplicate slug `qwen-lead-steps-down`, also used by briefs/2026-W25/b.yaml",
            "briefs/2026-W25/b.yaml:1:8: error: duplicate slug `qwen-lead-steps-down`, also used by briefs/2026-W25/a.yaml",
        ]
    );
}

#[test]
fn explicit_slugs_must_be_well_formed() {
    let corpus = validate(
        vec![file(
            "briefs/2026-W25/card.yaml",
            &good_with("slug: Qwen_Lead\n"),
        )],
        None,
    );
    assert_eq!(
        corpus.diagnostics[0].headline(),
        "briefs/2026-W25/card.yaml:11:7: error: `slug` `Qwen_Lead` may use only lowercase letters, digits and single dashes"
    );
    assert_eq!(
        corpus.diagnostics[0].help.as_deref(),
        Some("try `qwen-lead`")
    );
}

#[test]
fn invalid_enum_values_list_the_allowed_ones() {
    let corpus = validate(
        vec![file(
            "briefs/2026-W25/card.yaml",
            &good_with("confidence: High\n"),
        )],
        None,
    );
    assert_eq!(
        corpus.diagnostics[0].headline(),
        "briefs/2026-W25/card.yaml:11:13: error: `confidence` must be one of `low`, `medium` or `high`, found `High`"
    );
    assert_eq!(
        corpus.diagnostics[0].help.as_deref(),
        Some("did you mean `high`?")
    );
}

#[test]
fn empty_files_are_errors_with_guidance() {
    let corpus = validate(
        vec![file("briefs/2026-W25/card.yaml", "# only a comment\n")],
        None,
    );
    assert_eq!(
        corpus.diagnostics[0].headline(),
        "briefs/2026-W25/card.yaml:1:1: error: card is empty"
    );
    assert!(
        corpus.diagnostics[0]
            .help
            .as_deref()
            .unwrap()
            .contains("briefing new")
    );
}

#[test]
fn unreadable_contents_are_reported() {
    let mut non_utf8 = file("briefs/2026-W25/a.yaml", "");
    non_utf8.content = Content::NotUtf8(Pos { line: 3, col: 9 });
    let mut huge = file("briefs/2026-W25/b.yaml", "");
    huge.content = Content::TooLarge(5_000_000);
    let mut fifo = file("briefs/2026-W25/c.yaml", "");
    fifo.content = Content::NotAFile("a FIFO (named pipe)");
    let mut outside = file("briefs/2026-W25/d.yaml", "");
    outside.content = Content::Outside;
    assert_eq!(
        headlines(&[non_utf8, huge, fifo, outside]),
        [
            "briefs/2026-W25/a.yaml:3:9: error: file is not valid UTF-8",
            "briefs/2026-W25/b.yaml:1:1: error: file is 5000000 bytes; files are capped at 1048576 bytes (1 MiB)",
            "briefs/2026-W25/c.yaml:1:1: error: file is a FIFO (named pipe), not a regular file; it was not read",
            "briefs/2026-W25/d.yaml:1:1: error: file is a symlink that leads out of the newsletter folder; it was not read",
        ]
    );
}

#[test]
fn alias_bombs_fail_fast() {
    let mut bomb = String::from("a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n");
    for i in 1..10 {
        let prev = (b'a' + i - 1) as char;
        let name = (b'a' + i) as char;
        bomb.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    assert_eq!(
        card_headlines(&bomb),
        // Refused at its first anchor, before any alias is expanded.
        [
            "briefs/2026-W25/card.yaml:1:4: error: YAML anchors (`&name`) and aliases (`*name`) are not allowed"
        ]
    );
}

#[test]
fn brevity_warnings_for_long_bullets_and_summaries() {
    let long_bullet = "word ".repeat(26);
    let long_summary = "word ".repeat(91);
    let text = GOOD
        .replace("He posted on X", long_bullet.trim())
        .replace("Junyang Lin left.", long_summary.trim());
    let corpus = validate(vec![file("briefs/2026-W25/card.yaml", &text)], None);
    let found = headlines_of(&corpus);
    assert_eq!(
        found,
        [
            "briefs/2026-W25/card.yaml:3:10: warning: summary is 91 words; keep it under 90",
            "briefs/2026-W25/card.yaml:5:5: warning: TL;DR bullet is 26 words; keep it under 25",
        ]
    );
    assert_eq!(corpus.stories.len(), 1, "warnings do not drop the story");
}

#[test]
fn a_card_without_sources_gets_a_warning() {
    let text = GOOD.split("sources:").next().unwrap().to_owned();
    assert_eq!(
        card_headlines(&text),
        ["briefs/2026-W25/card.yaml:1:1: warning: no sources"]
    );
    assert_eq!(
        card_headlines(&format!("{text}sources: []\n")),
        ["briefs/2026-W25/card.yaml:8:1: warning: no sources"]
    );
}

#[test]
fn a_card_in_the_wrong_week_folder_gets_a_warning() {
    assert_eq!(
        headlines(&[file("briefs/2026-W24/card.yaml", GOOD)]),
        [
            "briefs/2026-W24/card.yaml:2:7: warning: date 2026-06-17 is in week 2026-W25, but the card is in folder 2026-W24"
        ]
    );
    // Folders that are not week names are free-form.
    assert!(headlines(&[file("briefs/qwen/card.yaml", GOOD)]).is_empty());
}

#[test]
fn every_problem_in_a_card_is_reported_at_once() {
    let text = "title: \"a\\nb\"\ndate: 2026-13-01\ntldr: []\nwhy_it_matters: x\nwhat_to_watch: y\nsummary: s\nconfidence: sure\n";
    // Four errors, and the warning about sources with them (a regression: a file's
    // warnings were hidden until its errors were fixed).
    let headlines = card_headlines(text);
    assert_eq!(headlines.len(), 5, "{headlines:?}");
    assert_eq!(
        headlines
            .iter()
            .filter(|h| h.contains(": warning: no sources"))
            .count(),
        1
    );
}

#[test]
fn drafts_are_checked_and_kept_as_drafts() {
    let corpus = validate(
        vec![file(
            "briefs/2026-W25/card.yaml",
            &good_with("draft: true\n"),
        )],
        None,
    );
    assert!(corpus.stories[0].draft);
    let broken = validate(
        vec![file(
            "briefs/2026-W25/card.yaml",
            &good_with("draft: true\nconfidence: x\n"),
        )],
        None,
    );
    assert_eq!(
        broken.error_count(),
        1,
        "drafts are validated like any card"
    );
}

#[test]
fn issue_files_are_validated() {
    let card = file("briefs/2026-W25/card.yaml", GOOD);
    let issue = file(
        "briefs/2026-W25/issue.yaml",
        "subject: Hello\nintro: Note\nnumber: 0\ntitel: x\n",
    );
    assert_eq!(
        headlines(&[card, issue]),
        [
            "briefs/2026-W25/issue.yaml:3:9: error: `number` must be from 1 to 1000000, found 0",
            "briefs/2026-W25/issue.yaml:4:1: error: unknown key `titel`",
        ]
    );
}

#[test]
fn issue_files_outside_week_folders_and_for_empty_weeks() {
    let card = file("briefs/2026-W25/card.yaml", GOOD);
    let misplaced = file("briefs/misc/issue.yaml", "subject: x\n");
    let lonely = file("briefs/2026-W30/issue.yaml", "subject: y\n");
    assert_eq!(
        headlines(&[card, misplaced, lonely]),
        [
            "briefs/2026-W30/issue.yaml:1:1: warning: week 2026-W30 has no published cards, so this issue is not built",
            "briefs/misc/issue.yaml:1:1: error: `issue.yaml` must sit in a week folder named like `2026-W25`",
        ]
    );
}

#[test]
fn two_issue_files_cannot_share_a_number() {
    let card1 = file("briefs/2026-W25/a.yaml", GOOD);
    let card2 = file(
        "briefs/2026-W26/b.yaml",
        &GOOD
            .replace("2026-06-17", "2026-06-24")
            .replace("Qwen lead", "Other"),
    );
    let i1 = file("briefs/2026-W25/issue.yaml", "number: 7\n");
    let i2 = file("briefs/2026-W26/issue.yaml", "number: 7\n");
    assert_eq!(
        headlines(&[card1, card2, i1, i2]),
        [
            "briefs/2026-W26/issue.yaml:1:9: error: issue number 7 is also set by briefs/2026-W25/issue.yaml"
        ]
    );
}

#[test]
fn non_ascii_titles_get_transliterated_slugs() {
    let text = good_replacing("title", "title: Zürich & 北京 — AI 🚀");
    let corpus = validate(vec![file("briefs/2026-W25/card.yaml", &text)], None);
    assert!(corpus.diagnostics.is_empty(), "{:?}", corpus.diagnostics);
    assert!(
        corpus.stories[0].slug.starts_with("zurich-bei-jing-ai"),
        "{}",
        corpus.stories[0].slug
    );
}

#[test]
fn the_repository_sample_is_clean() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = validate(crate::content::load::load_briefs(root), Some(root));
    assert!(corpus.diagnostics.is_empty(), "{:#?}", corpus.diagnostics);
    assert!(corpus.stories.len() >= 8);
}

#[test]
fn markdown_links_must_be_http_or_mailto() {
    let text = GOOD
        .replace("Junyang Lin left.", "See [this](javascript:alert(1)).")
        .replace("He posted on X", "\"[relative](/page) link\"");
    assert_eq!(
        card_headlines(&text),
        [
            "briefs/2026-W25/card.yaml:3:10: error: `summary` links to `javascript:alert(1)`; only http(s) and mailto links are allowed",
            "briefs/2026-W25/card.yaml:5:5: error: `tldr` item 1 links to `/page`; only http(s) and mailto links are allowed",
        ]
    );
}

#[test]
fn autolinks_and_link_definitions_are_checked_too() {
    let text = GOOD
        .replace("Junyang Lin left.", "Run <javascript:alert(1)> now.")
        .replace(
            "why_it_matters: It matters.",
            "why_it_matters: \"See [the note][n].\\n\\n[n]: ftp://example.org/x\"",
        )
        .replace("He posted on X", "\"[Bracketed] aside, and 3 < 5\"");
    assert_eq!(
        card_headlines(&text),
        [
            "briefs/2026-W25/card.yaml:3:10: error: `summary` links to `javascript:alert(1)`; only http(s) and mailto links are allowed",
            "briefs/2026-W25/card.yaml:6:17: error: `why_it_matters` links to `ftp://example.org/x`; only http(s) and mailto links are allowed",
        ]
    );
}

/// A card at `briefs/<week>/<name>.yaml` dated `date`, with `rest` (YAML) after the required
/// fields but `what_to_watch`.
fn watch_card(name: &str, date: &str, rest: &str) -> SourceFile {
    let week = crate::content::issue::IssueId::of_date(
        chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap(),
    );
    file(
        &format!("briefs/{week}/{name}.yaml"),
        &format!(
            "title: {name}\ndate: {date}\nsummary: S.\ntldr: [T]\nwhy_it_matters: W.\nsources: [https://example.org/]\n{rest}"
        ),
    )
}

fn watch_ids(corpus: &Corpus, slug: &str) -> Vec<String> {
    corpus
        .stories
        .iter()
        .find(|s| s.slug == slug)
        .unwrap()
        .what_to_watch
        .items
        .iter()
        .map(|i| i.id.clone())
        .collect()
}

#[test]
fn watch_items_are_bullets_or_mappings_with_ids_and_due_dates() {
    let corpus = validate(
        vec![watch_card(
            "early",
            "2026-03-03",
            "what_to_watch:\n  - Where he lands\n  - id: first-model\n    text: The *first* model\n    due: 2026-09\n  - {text: Confirmation, due: 2026-07-15}\n",
        )],
        None,
    );
    assert_eq!(corpus.diagnostics, []);
    let items = &corpus.stories[0].what_to_watch.items;
    let summary: Vec<(&str, bool, &str, Option<String>)> = items
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                i.derived,
                i.text.as_str(),
                i.due.map(Due::as_written),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("early-1", true, "Where he lands", None),
            (
                "first-model",
                false,
                "The *first* model",
                Some("2026-09".to_owned())
            ),
            (
                "early-3",
                true,
                "Confirmation",
                Some("2026-07-15".to_owned())
            ),
        ]
    );
    assert_eq!(
        items[1].due.unwrap().last_day(),
        chrono::NaiveDate::from_ymd_opt(2026, 9, 30).unwrap()
    );
    // A paragraph is one item.
    let prose = validate(
        vec![watch_card(
            "prose",
            "2026-03-03",
            "what_to_watch: Whether it ships.\n",
        )],
        None,
    );
    assert_eq!(watch_ids(&prose, "prose"), ["prose-1"]);
}

#[test]
fn derived_watch_ids_do_not_move_when_other_cards_change() {
    let a = watch_card("alpha", "2026-03-03", "what_to_watch:\n  - One\n  - Two\n");
    let b = watch_card("beta", "2026-03-04", "what_to_watch:\n  - Three\n");
    let before = validate(vec![a.clone(), b], None);
    let b_edited = watch_card(
        "beta",
        "2026-03-02",
        "what_to_watch:\n  - New first\n  - Three\n",
    );
    let c = watch_card("aardvark", "2026-01-01", "what_to_watch:\n  - Zero\n");
    let after = validate(vec![c, a, b_edited], None);
    assert_eq!(watch_ids(&before, "alpha"), ["alpha-1", "alpha-2"]);
    assert_eq!(watch_ids(&after, "alpha"), watch_ids(&before, "alpha"));
}

#[test]
fn watch_item_mappings_are_checked_field_by_field() {
    let found = headlines(&[watch_card(
        "c",
        "2026-03-03",
        "what_to_watch:\n  - id: Bad Id\n    text: X\n  - id: ok\n  - id: also-ok\n    text: Y\n    due: 2026-13\n  - text: Z\n    due: next year\n  - text: W\n    when: soon\n  - id: dup\n    text: A\n  - id: dup\n    text: B\n",
    )]);
    assert_eq!(
        found,
        [
            "briefs/2026-W10/c.yaml:8:9: error: `what_to_watch` item 1: id `Bad Id` may use only lowercase letters, digits and single dashes",
            "briefs/2026-W10/c.yaml:10:5: error: `what_to_watch` item 2: missing required key `text`",
            "briefs/2026-W10/c.yaml:13:10: error: `what_to_watch` item 3: `due` `2026-13` is not a real month",
            "briefs/2026-W10/c.yaml:15:10: error: `what_to_watch` item 4: `due` must be a date (YYYY-MM-DD) or a month (YYYY-MM), found `next year`",
            "briefs/2026-W10/c.yaml:17:5: error: `what_to_watch` item 5: unknown key `when`",
            "briefs/2026-W10/c.yaml:20:9: error: watch item id `dup` is already used on line 18",
        ]
    );
}

#[test]
fn watch_item_ids_are_unique_across_cards() {
    let found = headlines(&[
        watch_card(
            "a",
            "2026-03-03",
            "what_to_watch:\n  - id: shared\n    text: X\n",
        ),
        watch_card(
            "b",
            "2026-03-04",
            "what_to_watch:\n  - id: shared\n    text: Y\n",
        ),
        // An explicit id that equals another card's derived one.
        watch_card(
            "c",
            "2026-03-05",
            "what_to_watch:\n  - id: a-2\n    text: Z\n  - W\n",
        ),
    ]);
    assert_eq!(
        found,
        [
            "briefs/2026-W10/a.yaml:8:9: error: duplicate watch item id `shared`, also used by briefs/2026-W10/b.yaml",
            "briefs/2026-W10/b.yaml:8:9: error: duplicate watch item id `shared`, also used by briefs/2026-W10/a.yaml",
        ]
    );
    let same_card = headlines(&[watch_card(
        "a",
        "2026-03-03",
        "what_to_watch:\n  - X\n  - id: a-1\n    text: Y\n",
    )]);
    assert_eq!(
        same_card,
        [
            "briefs/2026-W10/a.yaml:8:5: error: duplicate watch item id `a-1`, also used by line 9 of this card",
            "briefs/2026-W10/a.yaml:9:9: error: duplicate watch item id `a-1`, also used by line 8 of this card",
        ]
    );
    let derived = headlines(&[
        watch_card("a", "2026-03-03", "what_to_watch:\n  - X\n  - Y\n"),
        watch_card(
            "c",
            "2026-03-05",
            "what_to_watch:\n  - id: a-2\n    text: Z\n",
        ),
    ]);
    assert_eq!(
        derived,
        [
            "briefs/2026-W10/a.yaml:9:5: error: duplicate watch item id `a-2`, also used by briefs/2026-W10/c.yaml",
            "briefs/2026-W10/c.yaml:8:9: error: duplicate watch item id `a-2`, also used by briefs/2026-W10/a.yaml",
        ]
    );
}

#[test]
fn follow_ups_name_a_known_item_with_a_hint() {
    let files = [
        watch_card(
            "early",
            "2026-03-03",
            "what_to_watch:\n  - id: first-model\n    text: X\n",
        ),
        watch_card(
            "later",
            "2026-06-17",
            "what_to_watch: Y.\nfollows_up:\n  - frist-model\n  - nothing-like-it\n",
        ),
    ];
    let corpus = validate(files.to_vec(), None);
    let found = headlines_of(&corpus);
    assert_eq!(
        found,
        [
            "briefs/2026-W25/later.yaml:9:5: error: `follows_up` names unknown watch item `frist-model`",
            "briefs/2026-W25/later.yaml:10:5: error: `follows_up` names unknown watch item `nothing-like-it`",
        ]
    );
    assert_eq!(
        corpus.diagnostics[0].help.as_deref(),
        Some("did you mean `first-model`?")
    );
    assert!(
        corpus.diagnostics[1]
            .help
            .as_deref()
            .unwrap()
            .contains("`briefing watch` lists the ids")
    );
}

#[test]
fn a_follow_up_cannot_come_before_its_item_or_follow_its_own_card() {
    let found = headlines(&[
        watch_card(
            "early",
            "2026-03-03",
            "what_to_watch:\n  - id: x\n    text: X\n",
        ),
        watch_card(
            "before",
            "2026-03-02",
            "what_to_watch: Y.\nfollows_up: [x]\n",
        ),
        watch_card(
            "own",
            "2026-03-04",
            "what_to_watch:\n  - id: mine\n    text: Z\nfollows_up: [mine]\n",
        ),
    ]);
    assert_eq!(
        found,
        [
            "briefs/2026-W10/before.yaml:8:14: error: this story (2026-03-02) is dated before the watch item `x` it follows up (2026-03-03, briefs/2026-W10/early.yaml)",
            "briefs/2026-W10/own.yaml:10:14: error: `mine` is this card's own watch item",
        ]
    );
}

#[test]
fn an_item_is_resolved_once_and_published_cards_follow_published_ones() {
    let found = headlines(&[
        watch_card(
            "early",
            "2026-03-03",
            "what_to_watch:\n  - id: x\n    text: X\n",
        ),
        watch_card(
            "first",
            "2026-03-10",
            "what_to_watch: A.\nfollows_up:\n  - id: x\n    note: It *happened*.\n    resolved: true\n",
        ),
        watch_card(
            "second",
            "2026-03-17",
            "what_to_watch: B.\nfollows_up:\n  - {id: x, resolved: true}\n",
        ),
        watch_card(
            "drafty",
            "2026-03-03",
            "draft: true\nwhat_to_watch:\n  - id: d\n    text: D\n",
        ),
        watch_card(
            "published",
            "2026-03-18",
            "what_to_watch: C.\nfollows_up: [d]\n",
        ),
    ]);
    assert_eq!(
        found,
        [
            "briefs/2026-W12/published.yaml:8:14: error: `d` belongs to a draft card, briefs/2026-W10/drafty.yaml, which is not published",
            "briefs/2026-W12/second.yaml:9:10: error: watch item `x` is already resolved by briefs/2026-W11/first.yaml",
        ]
    );
}

#[test]
fn follows_up_takes_ids_or_mappings_and_each_once() {
    let early = watch_card(
        "early",
        "2026-03-03",
        "what_to_watch:\n  - id: x\n    text: X\n  - id: y\n    text: Y\n",
    );
    let corpus = validate(
        vec![
            early.clone(),
            watch_card("one", "2026-03-10", "what_to_watch: A.\nfollows_up: x\n"),
        ],
        None,
    );
    assert_eq!(corpus.diagnostics, []);
    let story = corpus.stories.iter().find(|s| s.slug == "one").unwrap();
    assert_eq!(story.follows_up[0].id, "x");
    assert!(!story.follows_up[0].resolved);

    let found = headlines(&[
        early,
        watch_card(
            "bad",
            "2026-03-10",
            "what_to_watch: A.\nfollows_up:\n  - x\n  - id: x\n  - note: no id\n  - id: y\n    resolved: yes\n  - [nested]\n",
        ),
        watch_card(
            "map",
            "2026-03-11",
            "what_to_watch: A.\nfollows_up: {id: x}\n",
        ),
    ]);
    assert_eq!(
        found,
        [
            "briefs/2026-W11/bad.yaml:10:9: error: `follows_up` names `x` twice (first on line 9)",
            "briefs/2026-W11/bad.yaml:11:5: error: `follows_up` item 3: missing required key `id`",
            "briefs/2026-W11/bad.yaml:13:15: error: `follows_up` item 4: `resolved` must be `true` or `false`, found a string",
            "briefs/2026-W11/bad.yaml:14:5: error: `follows_up` item 5: must be an id or an `{id, note}` mapping, found a list",
            "briefs/2026-W11/map.yaml:8:13: error: `follows_up` must be a list, found a mapping",
        ]
    );
}

#[test]
fn released_texts_are_read_again_for_messages_that_span_files() {
    // Two valid cards that share a slug: each is clean alone, so its text is let go, and the
    // duplicate-slug message needs a line of it afterwards.
    let dir = tempfile::tempdir().unwrap();
    let week = dir.path().join("briefs/2026-W25");
    std::fs::create_dir_all(&week).unwrap();
    std::fs::write(week.join("a.yaml"), GOOD).unwrap();
    std::fs::write(week.join("b.yaml"), GOOD).unwrap();
    let files = crate::content::load::load_briefs(dir.path());
    let kept = validate(files.clone(), None);
    let released = validate(files, Some(dir.path()));
    assert_eq!(released.diagnostics.len(), 2, "{:#?}", released.diagnostics);
    assert!(
        released.diagnostics[0]
            .line_text
            .as_deref()
            .is_some_and(|line| line.starts_with("title:")),
        "{:#?}",
        released.diagnostics[0]
    );
    assert_eq!(released.diagnostics, kept.diagnostics);
}

// An image in a card's Markdown becomes a link (cards do not show images yet): a warning at
// the image's own line, in a block scalar, a plain value and a bullet; none for a link.
#[test]
fn a_markdown_image_is_a_warning_at_its_line() {
    let text = good_replacing(
        "why_it_matters",
        "why_it_matters: |\n  It matters.\n\n  ![Revenue by quarter](https://example.org/chart.png)",
    );
    let text = text.replace(
        "  - He posted on X",
        "  - He posted ![a photo](https://example.org/p.jpg) on X",
    );
    let text = text.replace(
        "summary: Junyang Lin left.",
        "summary: Junyang Lin left, [see the chart](https://example.org/chart.png).",
    );
    assert_eq!(
        card_headlines(&text),
        [
            "briefs/2026-W25/card.yaml:5:15: warning: `tldr` item 1 has an image, `![a photo](https://example.org/p.jpg)`: cards do not show images yet, so readers get a link to it",
            "briefs/2026-W25/card.yaml:9:3: warning: `why_it_matters` has an image, `![Revenue by quarter](https://example.org/chart.png)`: cards do not show images yet, so readers get a link to it",
        ]
    );
}

// Straight quotes are curled in source titles and an issue's preheader as in the headline
// and the text around them.
#[test]
fn source_titles_and_the_preheader_get_curly_quotes_like_the_headline() {
    let card = GOOD.replace("  - title: X", "  - title: 'Lin: \"I''m leaving\"'");
    let issue = "subject: \"Lin's lab\"\npreheader: 'He said \"soon\" and it''s here'\n";
    let corpus = validate(
        vec![
            file("briefs/2026-W25/card.yaml", &card),
            file("briefs/2026-W25/issue.yaml", issue),
        ],
        None,
    );
    assert!(corpus.diagnostics.is_empty(), "{:?}", corpus.diagnostics);
    assert_eq!(corpus.stories[0].sources[0].title, "Lin: “I’m leaving”");
    let meta = corpus.issue_meta.values().next().unwrap();
    assert_eq!(
        meta.preheader.as_deref(),
        Some("He said “soon” and it’s here")
    );
    assert_eq!(meta.subject.as_deref(), Some("Lin’s lab"));
}
