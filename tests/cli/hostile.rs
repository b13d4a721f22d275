//! Card text is data: hostile text prints as written and never becomes markup, in any format.

use scraper::{Html, Selector};

use crate::project::Project;

const HOSTILE: &str = r#"title: "{{ 7*7 }} <script>alert('t')</script> AT&T \"quoted\" 北京 🚀"
date: 2026-06-17
section: "<b>Section</b> & {% raw %}"
tags: ["c++", "AI <Labs>"]
summary: >
  Summary {{ 7*7 }} with <script>alert(1)</script> and <img src=x onerror=alert(2)>
  and <a href="javascript:alert(3)">a raw link</a>, AT&T's "deal", 人工智能 and 🚀.
tldr:
  - "{% for x in range(3) %}loop{% endfor %} *emphasis* <iframe src=//evil.example>"
  - "Quotes \" ' and ampersands & &amp; &lt;"
why_it_matters: "<svg onload=alert(4)></svg> [ok](https://example.org/?a=1&b=2)"
what_to_watch:
  - "{{ config }} ${jndi:ldap://x} `code`"
sources:
  - title: "Source <script>x</script> & \"co\""
    url: "https://example.org/?q=<x>&r='y'"
disclaimer: "<style>body{display:none}</style> Not advice."
"#;

fn built() -> Project {
    let project = Project::sample();
    project.write("briefs/2026-W25/hostile.yaml", HOSTILE);
    let run = project.run(&["build", "--week", "2026-W25"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    project
}

fn assert_inert(html: &str, file: &str) {
    let doc = Html::parse_document(html);
    let all = Selector::parse("*").unwrap();
    for element in doc.select(&all) {
        let name = element.value().name();
        // The one script of a page is the search box's, ours, from the site, with no text.
        let ours = name == "script"
            && element.value().attr("type") == Some("module")
            && element
                .value()
                .attr("src")
                .is_some_and(|src| src.ends_with("search.js"))
            && element.inner_html().is_empty();
        assert!(
            ours || !["script", "iframe", "svg", "img", "object", "embed"].contains(&name),
            "{file}: <{name}> reached the output"
        );
        if ours {
            continue;
        }
        assert!(
            !["script", "iframe", "svg", "img", "object", "embed"].contains(&name),
            "{file}: <{name}> reached the output"
        );
        for (attr, value) in element.value().attrs() {
            assert!(!attr.starts_with("on"), "{file}: {attr}= on <{name}>");
            assert!(
                !value
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("javascript:"),
                "{file}: javascript: URL in {attr}"
            );
        }
    }
    // The style blocks are ours: none carries card text.
    let style = Selector::parse("style").unwrap();
    for block in doc.select(&style) {
        assert!(
            !block.inner_html().contains("display:none}"),
            "{file}: card CSS reached a style block"
        );
    }
}

#[test]
fn hostile_text_is_inert_and_visible_in_html() {
    let project = built();
    for file in ["index.html", "email.html"] {
        let html = project.read(&format!("public/issues/2026-w25/{file}"));
        assert_inert(&html, file);
        let doc = Html::parse_document(&html);
        let text: String = doc.root_element().text().collect();
        for shown in [
            "{{ 7*7 }} <script>alert(‘t’)</script> AT&T “quoted” 北京 🚀",
            "Summary {{ 7*7 }} with <script>alert(1)</script>",
            "{% for x in range(3) %}loop{% endfor %}",
            "{{ config }} ${jndi:ldap://x}",
            "人工智能",
            "<b>Section</b> & {% raw %}",
        ] {
            assert!(
                text.contains(shown),
                "{file}: `{shown}` is not shown as written"
            );
        }
        assert!(
            !text.contains("49"),
            "{file}: template syntax in a card was evaluated"
        );
        assert!(!text.contains("looplooploop"), "{file}: a card loop ran");
    }
}

#[test]
fn hostile_text_is_escaped_in_markdown() {
    let project = built();
    let digest = project.read("public/issues/2026-w25/digest.md");
    // Render the digest as a Markdown reader would, then check what a reader sees.
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&digest));
    let doc = Html::parse_document(&html);
    let text: String = doc.root_element().text().collect();
    assert!(
        text.contains("{{ 7*7 }} <script>alert(‘t’)</script> AT&T “quoted” 北京 🚀"),
        "{text}"
    );
    assert!(text.contains("<b>Section</b> & {% raw %}"), "{text}");
    assert!(!text.contains("49"));
    // The title is escaped, so it cannot open a tag even in a renderer that allows HTML.
    assert!(!html.contains("<script>"), "{html}");
    assert!(digest.contains("\\{\\{ 7\\*7 \\}\\}"), "{digest}");
}

#[test]
fn hostile_text_is_plain_in_the_text_email() {
    let project = built();
    let text = project.read("public/issues/2026-w25/email.txt");
    assert!(
        text.contains("{{ 7*7 }} <script>alert(‘t’)</script> AT&T “quoted” 北京 🚀"),
        "{text}"
    );
    assert!(
        text.contains("{{ config }} ${jndi:ldap://x} code"),
        "{text}"
    );
    assert!(text.contains("人工智能 and 🚀"), "{text}");
    assert!(!text.contains("49"));
}

#[test]
fn check_reports_javascript_links_inside_markdown() {
    let project = Project::sample();
    project.write(
        "briefs/2026-W25/js.yaml",
        HOSTILE.replace(
            "[ok](https://example.org/?a=1&b=2)",
            "[bad](javascript:alert(5))",
        ),
    );
    let run = project.run(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.headlines(),
        [
            "briefs/2026-W25/js.yaml:11:17: error: `why_it_matters` links to `javascript:alert(5)`; only http(s) and mailto links are allowed"
        ]
    );
}
