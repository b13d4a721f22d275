//! The HTML outputs, parsed with a real HTML parser (scraper, on html5ever).

use scraper::{ElementRef, Html, Selector};

use crate::project::Project;

/// The elements of `doc` that match `css`.
pub fn select<'a>(doc: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

/// The text of `element`, white space folded.
pub fn text(element: &ElementRef<'_>) -> String {
    element
        .text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn built() -> Project {
    let project = Project::sample();
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    project
}

/// The heading levels of a document, in order.
fn heading_levels(doc: &Html) -> Vec<u8> {
    select(doc, "h1, h2, h3, h4, h5, h6")
        .iter()
        .map(|h| h.value().name()[1..].parse().unwrap())
        .collect()
}

#[test]
fn the_issue_page_is_accessible_and_structured() {
    let project = built();
    for week in ["2026-w10", "2026-w25", "2026-w08"] {
        let doc = Html::parse_document(&project.read(&format!("public/issues/{week}/index.html")));
        assert_eq!(select(&doc, "html[lang=en]").len(), 1);
        assert_eq!(select(&doc, "h1").len(), 1, "{week}: one h1");
        for landmark in ["header", "main", "footer"] {
            assert!(!select(&doc, landmark).is_empty(), "{week}: {landmark}");
        }
        let levels = heading_levels(&doc);
        assert_eq!(levels[0], 1);
        for pair in levels.windows(2) {
            assert!(
                pair[1] <= pair[0] + 1,
                "{week}: heading skips from h{} to h{}",
                pair[0],
                pair[1]
            );
        }
        assert_eq!(select(&doc, "meta[name=viewport]").len(), 1);
        assert_eq!(
            select(&doc, "link[rel=canonical]")[0].attr("href"),
            Some(format!("https://briefing.example.org/issues/{week}/").as_str())
        );
    }
}

#[test]
fn stories_show_every_vff_section_with_arrow_bullets_and_links() {
    let project = built();
    let doc = Html::parse_document(&project.read("public/issues/2026-w25/index.html"));
    let stories = select(&doc, "article.story");
    assert_eq!(stories.len(), 2, "the draft is left out");
    let lead = Html::parse_fragment(&stories[0].html());
    let headline = &select(&lead, ".headline a")[0];
    assert_eq!(
        text(headline),
        "Former Qwen lead Junyang Lin’s new AI lab raises at a $2 billion valuation"
    );
    assert_eq!(
        headline.attr("href"),
        Some(
            "../../stories/former-qwen-lead-junyang-lins-new-ai-lab-raises-at-a-2-billion-valuation/"
        )
    );
    let labels: Vec<String> = select(&lead, ".label").iter().map(text).collect();
    assert_eq!(
        labels,
        [
            "TL;DR",
            "Why it matters",
            "Business relevance",
            "Key implications",
            "What to watch",
            "Evidence"
        ]
    );
    let arrows: Vec<String> = select(&lead, "ul.arrows li").iter().map(text).collect();
    assert_eq!(arrows.len(), 4 + 3 + 3, "TL;DR, implications, watch items");
    assert!(arrows.iter().all(|a| a.starts_with("→ ")), "{arrows:?}");
    assert_eq!(
        arrows[0],
        "→ Lin’s new lab raised several hundred million dollars at about a $2 billion valuation"
    );
    let sources: Vec<(String, Option<&str>)> = select(&lead, ".sources a")
        .iter()
        .map(|a| (text(a), a.attr("href")))
        .collect();
    assert_eq!(
        sources[0],
        (
            "The Information".into(),
            Some("https://www.theinformation.com/")
        )
    );
    assert_eq!(text(&select(&lead, ".confidence")[0]), "Confidence: low");
    assert!(
        text(&select(&lead, ".disclaimer")[0])
            .starts_with("Decision support, not investment advice.")
    );
    // A card without business relevance shows no such label.
    let second = Html::parse_fragment(&stories[1].html());
    assert!(
        !select(&second, ".label")
            .iter()
            .any(|l| text(l) == "Business relevance")
    );
}

#[test]
fn the_email_is_built_for_email_clients() {
    let project = built();
    let html = project.read("public/issues/2026-w10/email.html");
    let doc = Html::parse_document(&html);
    assert!(select(&doc, "script").is_empty());
    assert!(
        select(&doc, "link[rel=stylesheet]").is_empty(),
        "no external CSS"
    );
    assert_eq!(
        select(&doc, "meta[name=color-scheme]")[0].attr("content"),
        Some("light dark")
    );
    let container = select(&doc, "table.container");
    assert!(
        container[0]
            .attr("style")
            .unwrap()
            .contains("max-width: 600px"),
        "600 pixels wide from CSS"
    );
    assert_eq!(container[0].attr("role"), Some("presentation"));
    // Outlook on Windows, which ignores that CSS, gets its fixed width from a table in its
    // conditional comments; to everyone else (and the HTML checker) it is a comment.
    assert!(
        html.contains("<!--[if mso]><table role=\"presentation\" align=\"center\" width=\"600\"")
    );
    assert!(select(&doc, "table[width], table[cellpadding], td[align]").is_empty());
    // Text styles on every cell: Yahoo's apps and Outlook for Mac drop the body's. A bullet's
    // two cells (the arrow, the text) inherit them from the cell their table sits in, which
    // has them; Outlook on Windows gets theirs from a conditional style.
    let bullet_cells = select(&doc, "table.arrows td").len();
    assert!(bullet_cells >= 10, "{bullet_cells} bullet cells");
    for cell in doc.select(&Selector::parse("td").unwrap()) {
        let styled = |cell: &scraper::node::Element| {
            let style = cell.attr("style").unwrap_or("");
            style.contains("font-family:") && style.contains("line-height:")
        };
        let in_bullets = cell
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|e| e.value().name() == "table" && e.value().classes().any(|c| c == "arrows"));
        let holder = if in_bullets {
            cell.ancestors()
                .filter_map(ElementRef::wrap)
                .find(|e| e.value().name() == "td")
                .expect("a bullet table sits in a cell")
        } else {
            cell
        };
        assert!(styled(holder.value()), "{}", cell.html());
    }
    assert!(html.contains("<!--[if mso]><style>td.bullet { font-family: Arial, sans-serif;"));
    // The preheader is the first thing in the body, hidden, about 85-100 characters.
    let body = select(&doc, "body")[0];
    let first = body.children().filter_map(ElementRef::wrap).next().unwrap();
    assert_eq!(first.value().attr("class"), Some("preheader"));
    assert!(
        first
            .value()
            .attr("style")
            .unwrap()
            .contains("display:none")
    );
    let preheader: String = first.text().collect::<String>();
    let preheader = preheader.trim_end_matches(['\u{34f}', '\u{200c}', '\u{a0}', ' ']);
    let length = preheader.chars().count();
    assert!((85..=100).contains(&length), "{length}: {preheader}");
    // CSS is inlined; only @media rules remain in a small <style> block.
    let h1 = &select(&doc, "h1")[0];
    assert!(
        h1.attr("style").unwrap().contains("font-size"),
        "h1 has inline style"
    );
    let style_bytes: usize = select(&doc, "style")
        .iter()
        .map(|s| s.inner_html().len())
        .sum();
    assert!(style_bytes < 16 * 1024, "{style_bytes} bytes of <style>");
    for style in select(&doc, "style") {
        assert!(
            style.inner_html().trim_start().starts_with("@media"),
            "{}",
            style.inner_html()
        );
    }
    let view = select(&doc, ".topbar a");
    assert_eq!(text(&view[0]), "View in browser");
    assert_eq!(
        view[0].attr("href"),
        Some("https://briefing.example.org/issues/2026-w10/")
    );
    let permalinks: Vec<&str> = select(&doc, ".headline a")
        .iter()
        .filter_map(|a| a.attr("href"))
        .collect();
    assert_eq!(permalinks.len(), 4);
    assert!(
        permalinks
            .iter()
            .all(|href| href.starts_with("https://briefing.example.org/stories/"))
    );
    // Regression: the published email carried `href="%%UNSUBSCRIBE_URL%%"`, a broken
    // link on the site; it has no unsubscribe link (each sent copy has the reader's own).
    let colophon_links: Vec<&str> = select(&doc, ".colophon a")
        .iter()
        .filter_map(|a| a.attr("href"))
        .collect();
    assert!(colophon_links.is_empty(), "{colophon_links:?}");
    assert!(!html.contains("%%"), "no placeholder is published");
    for img in select(&doc, "img") {
        assert!(img.attr("alt").is_some_and(|alt| !alt.is_empty()));
    }
}

#[test]
fn a_twelve_card_email_stays_under_gmails_clipping_limit() {
    let project = Project::sample();
    let card = project.read("briefs/2026-W25/lin-new-lab-funding.yaml");
    for i in 0..12 {
        project.write(
            &format!("briefs/2026-W40/card-{i}.yaml"),
            card.replace("date: 2026-06-17", "date: 2026-09-30")
                .replace("order: 1", &format!("order: {i}"))
                .replace("title: Former", &format!("title: Card {i}, former"))
                .replace("id: lin-lab-first-model", &format!("id: first-model-{i}"))
                .replace("    resolved: true\n", ""),
        );
    }
    let run = project.run(&["build", "--week", "2026-W40"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let size = std::fs::metadata(project.path("public/issues/2026-w40/email.html"))
        .unwrap()
        .len();
    assert!(size < 102 * 1024, "{size} bytes");
    assert!(!run.stderr.contains("Gmail clips"), "{}", run.stderr);
}

#[test]
fn an_email_over_gmails_limit_is_built_with_a_warning() {
    let project = Project::sample();
    let card = project.read("briefs/2026-W25/lin-new-lab-funding.yaml");
    for i in 0..40 {
        project.write(
            &format!("briefs/2026-W40/card-{i}.yaml"),
            card.replace("date: 2026-06-17", "date: 2026-09-30")
                .replace("title: Former", &format!("title: Card {i}, former"))
                .replace("id: lin-lab-first-model", &format!("id: first-model-{i}"))
                .replace("    resolved: true\n", ""),
        );
    }
    let run = project.run(&["build", "--week", "2026-W40"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning: issues/2026-w40/email.html is "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("Gmail clips email over 102 KB"),
        "{}",
        run.stderr
    );
}

// Regression: `email.merge_tag` writes a copy for pasting into another mail tool.
#[test]
fn a_merge_tag_writes_a_copy_for_another_mail_tool() {
    let project = crate::project::Project::sample();
    let config = project.read("config.yaml") + "email:\n  merge_tag: \"*|UNSUB|*\"\n";
    project.write("config.yaml", config);
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let merge = project.read("public/issues/2026-w10/email-merge.html");
    let doc = Html::parse_document(&merge);
    let links: Vec<&str> = select(&doc, ".colophon a")
        .iter()
        .filter_map(|a| a.attr("href"))
        .collect();
    assert_eq!(links, ["*|UNSUB|*"]);
    assert!(
        project
            .read("public/issues/2026-w10/email-merge.txt")
            .contains("Unsubscribe: *|UNSUB|*")
    );
    assert!(
        !project
            .read("public/issues/2026-w10/email.html")
            .contains("UNSUB")
    );
}

// Regression: Outlook on Windows and Yahoo strip HTML5's semantic tags (and the styles
// on them); the email uses plain elements, while the pages keep their landmarks.
#[test]
fn the_email_uses_no_html5_semantic_tags_and_the_pages_keep_them() {
    let project = built();
    for week in ["2026-w03", "2026-w10", "2026-w25"] {
        let email =
            Html::parse_document(&project.read(&format!("public/issues/{week}/email.html")));
        for tag in [
            "header", "footer", "section", "article", "time", "nav", "main", "aside",
        ] {
            assert!(
                select(&email, tag).is_empty(),
                "{week}: <{tag}> in the email"
            );
        }
        let page = Html::parse_document(&project.read(&format!("public/issues/{week}/index.html")));
        for tag in ["header", "footer", "article", "time"] {
            assert!(
                !select(&page, tag).is_empty(),
                "{week}: the page lost its <{tag}>"
            );
        }
    }
}
