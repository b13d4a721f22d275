//! The views as templates see them.

use std::path::Path;

use super::story::StoryView;
use crate::content::config::Config;
use crate::content::story::Story;
use crate::diagnostic::FileDiagnostics;

fn config() -> Config {
    crate::content::config::parse(
        Path::new("config.yaml"),
        "title: Brief\nbase_url: https://news.example.org/sub/\nfrom: Brief <b@example.org>\nlanguage: en\n",
    )
    .unwrap()
}

fn story(yaml: &str) -> Story {
    let path = Path::new("briefs/2026-W25/a.yaml");
    let mut diags = FileDiagnostics::new(path, yaml);
    let story = crate::content::validate::card(yaml, &mut diags).unwrap();
    assert!(!diags.has_errors(), "{:?}", diags.list);
    story
}

const CARD: &str = "\
title: Lin's lab raises
date: 2026-06-17
tags: [AI Labs, c++]
summary: See [the report](https://ti.example/a) and [again](https://ti.example/a).
tldr:
  - One [x](https://x.example/)
why_it_matters: It [matters](https://m.example/).
what_to_watch: The first model
sources:
  - title: The Information
    url: https://www.ti.example/a
  - https://x.example/
";

#[test]
fn a_story_view_has_its_address_tags_and_sources() {
    let view = StoryView::new(&story(CARD), &config(), 2);
    assert_eq!(view.path, "stories/lins-lab-raises/");
    assert_eq!(
        view.url,
        "https://news.example.org/sub/stories/lins-lab-raises/"
    );
    assert_eq!(view.date, "2026-06-17");
    assert_eq!(view.date_display, "17 June 2026");
    let tags: Vec<(&str, &str)> = (view.tags.iter())
        .map(|t| (t.name.as_str(), t.slug.as_str()))
        .collect();
    assert_eq!(tags, [("AI Labs", "ai-labs"), ("c++", "c-plus-plus")]);
    let hosts: Vec<&str> = view.sources.iter().map(|s| s.host.as_str()).collect();
    assert_eq!(hosts, ["ti.example", "x.example"]);
    // As templates see it.
    let seen = serde_json::to_value(&view).unwrap();
    assert_eq!(seen["what_to_watch"]["text"], "The first model");
    assert_eq!(
        seen["what_to_watch"]["items"],
        serde_json::json!([]),
        "a paragraph, not a list"
    );
    assert_eq!(seen["business_relevance"], serde_json::Value::Null);
}

#[test]
fn plain_text_numbers_each_link_once_in_order_of_first_appearance() {
    let text = &StoryView::new(&story(CARD), &config(), 2).text;
    let seen = serde_json::to_value(text).unwrap();
    assert_eq!(seen["summary"], "See the report [1] and again [1].");
    assert_eq!(seen["tldr"], serde_json::json!(["One x [2]"]));
    assert_eq!(seen["why_it_matters"], "It matters [3].");
    // Sources share the numbering: the report's URL differs by `www.`, x's is the same.
    let numbers: Vec<usize> = text.sources.iter().map(|s| s.number).collect();
    assert_eq!(numbers, [4, 2]);
    let urls: Vec<&str> = text.references.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://ti.example/a",
            "https://x.example/",
            "https://m.example/",
            "https://www.ti.example/a"
        ]
    );
}
