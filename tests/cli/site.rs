//! The published site: links, feed, sitemap, meta tags, tags, drafts, atomic publishing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use scraper::{Html, Selector};

use crate::project::{Project, tree};

/// Every file under `dir`, as site-relative paths with `/`.
fn files(dir: &Path) -> BTreeSet<String> {
    tree(dir).into_keys().collect()
}

/// Resolves `href` found on page `page` (site-relative) to a site-relative file, or `None`
/// for links that leave the site.
fn resolve(page: &str, href: &str, base_url: &str, base_path: &str) -> Option<String> {
    let href = href.split(['#', '?']).next().unwrap_or("");
    let target = if let Some(rest) = href.strip_prefix(base_url) {
        rest.to_owned()
    } else if href.contains("://") || href.starts_with("mailto:") || href.is_empty() {
        return None;
    } else if let Some(rest) = href.strip_prefix(base_path) {
        rest.to_owned()
    } else {
        let mut parts: Vec<&str> = page.split('/').collect();
        parts.pop();
        for segment in href.split('/') {
            match segment {
                ".." => {
                    assert!(
                        parts.pop().is_some(),
                        "{page}: `{href}` climbs out of the site"
                    );
                }
                "." | "" => {}
                other => parts.push(other),
            }
        }
        let joined = parts.join("/");
        if href.ends_with('/') && !joined.is_empty() {
            format!("{joined}/")
        } else {
            joined
        }
    };
    Some(if target.is_empty() || target.ends_with('/') {
        format!("{target}index.html")
    } else {
        target
    })
}

fn check_links(site: &Path, base_url: &str, base_path: &str) -> usize {
    let all = files(site);
    let selector = Selector::parse("a[href], link[href], script[src], img[src]").unwrap();
    let mut checked = 0;
    for page in all.iter().filter(|f| f.ends_with(".html")) {
        if page.ends_with("email.html") {
            continue; // Email links are absolute by design; checked below.
        }
        let doc = Html::parse_document(&std::fs::read_to_string(site.join(page)).unwrap());
        for element in doc.select(&selector) {
            let href = element
                .attr("href")
                .or_else(|| element.attr("src"))
                .unwrap();
            if let Some(target) = resolve(page, href, base_url, base_path) {
                assert!(
                    all.contains(&target),
                    "{page}: `{href}` -> `{target}` does not exist"
                );
                checked += 1;
            }
        }
    }
    checked
}

fn built() -> Project {
    let project = Project::sample();
    let run = project.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    project
}

#[test]
fn the_site_has_every_page() {
    let project = built();
    let all = files(&project.path("public"));
    for page in [
        "index.html",
        "archive/index.html",
        "tags/index.html",
        "tags/qwen/index.html",
        "tags/ai-labs/index.html",
        "stories/junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen/index.html",
        "feed.xml",
        "sitemap.xml",
        "robots.txt",
        "404.html",
        "style.css",
    ] {
        assert!(all.contains(page), "{page}");
    }
    let stories = all
        .iter()
        .filter(|f| f.starts_with("stories/") && !is_redirect(&project.path("public").join(f)))
        .count();
    assert_eq!(
        stories, 10,
        "one page per published story; the draft has none"
    );
}

#[test]
fn every_internal_link_and_asset_resolves() {
    let project = built();
    let checked = check_links(
        &project.path("public"),
        "https://briefing.example.org/",
        "/",
    );
    assert!(checked > 300, "only {checked} links checked");
}

#[test]
fn links_work_from_a_sub_path() {
    let project = Project::sample();
    let config = project.read("config.yaml").replace(
        "base_url: https://briefing.example.org/",
        "base_url: https://example.org/brief/",
    );
    project.write("config.yaml", config);
    assert_eq!(project.run(&["build"]).code, 0);
    let site = project.path("public");
    check_links(&site, "https://example.org/brief/", "/brief/");
    let not_found = std::fs::read_to_string(site.join("404.html")).unwrap();
    assert!(
        not_found.contains("href=\"/brief/style.css\""),
        "the 404 page works at any depth"
    );
    let feed = std::fs::read_to_string(site.join("feed.xml")).unwrap();
    assert!(feed.contains("<link rel=\"self\" type=\"application/atom+xml\" href=\"https://example.org/brief/feed.xml\"/>"));
}

#[test]
fn every_page_has_title_description_canonical_and_social_meta() {
    let project = built();
    let site = project.path("public");
    for page in files(&site)
        .iter()
        .filter(|f| f.ends_with(".html") && !f.ends_with("email.html"))
        .filter(|f| !is_redirect(&site.join(f)))
    {
        let doc = Html::parse_document(&std::fs::read_to_string(site.join(page)).unwrap());
        for (css, attr) in [
            ("title", None),
            ("meta[name=description]", Some("content")),
            ("link[rel=canonical]", Some("href")),
            ("meta[property='og:title']", Some("content")),
            ("meta[property='og:url']", Some("content")),
            ("meta[name='twitter:card']", Some("content")),
            (
                "link[rel=alternate][type='application/atom+xml']",
                Some("href"),
            ),
        ] {
            let found: Vec<_> = doc.select(&Selector::parse(css).unwrap()).collect();
            assert_eq!(found.len(), 1, "{page}: {css}");
            if let Some(attr) = attr {
                assert!(
                    !found[0].attr(attr).unwrap_or("").is_empty(),
                    "{page}: {css} {attr}"
                );
            }
        }
        assert_eq!(
            doc.select(&Selector::parse("h1").unwrap()).count(),
            1,
            "{page}: one h1"
        );
    }
}

#[test]
fn the_feed_is_valid_atom_with_one_entry_per_issue() {
    let project = built();
    let xml = project.read("public/feed.xml");
    roxmltree::Document::parse(&xml).expect("feed.xml is well-formed XML");
    let feed = feed_rs::parser::parse(xml.as_bytes()).expect("a feed parser accepts feed.xml");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert_eq!(feed.id, "https://briefing.example.org/");
    assert_eq!(feed.title.unwrap().content, "vff Briefing");
    assert!(feed.updated.is_some());
    assert_eq!(feed.authors[0].name, "vff Briefing desk");
    assert!(
        feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
            && l.href == "https://briefing.example.org/feed.xml")
    );
    assert_eq!(feed.entries.len(), 5);
    let first = &feed.entries[0];
    assert_eq!(first.id, "https://briefing.example.org/issues/2026-w25/");
    let content = first.content.as_ref().unwrap().body.as_ref().unwrap();
    assert!(
        content.contains("href=\"https://briefing.example.org/stories/"),
        "absolute URLs in content"
    );
    assert!(
        !content.contains("href=\"../"),
        "no relative URLs in content"
    );
}

#[test]
fn an_entry_is_updated_only_when_its_issue_changes() {
    let project = built();
    let before = feed_rs::parser::parse(project.read("public/feed.xml").as_bytes()).unwrap();
    project.run(&["build"]);
    let again = feed_rs::parser::parse(project.read("public/feed.xml").as_bytes()).unwrap();
    let updated =
        |f: &feed_rs::model::Feed| -> Vec<_> { f.entries.iter().map(|e| e.updated).collect() };
    assert_eq!(updated(&before), updated(&again));
    let card = project.read("briefs/2026-W10/t-head-zhenwu-810e.yaml");
    project.write(
        "briefs/2026-W10/t-head-zhenwu-810e.yaml",
        card.replace("Nvidia's H20", "the Nvidia H20"),
    );
    project.run(&["build"]);
    let edited = feed_rs::parser::parse(project.read("public/feed.xml").as_bytes()).unwrap();
    for (i, entry) in edited.entries.iter().enumerate() {
        if entry.id.ends_with("2026-w10/") {
            assert_ne!(entry.updated, before.entries[i].updated, "the edited issue");
        } else {
            assert_eq!(entry.updated, before.entries[i].updated, "{}", entry.id);
        }
    }
}

/// Whether the page at `path` only sends readers on to another (an old story address).
fn is_redirect(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|html| html.contains("http-equiv=\"refresh\""))
}

// Regression: slugs keep apostrophes inside words (`alibabas-qwen`, not `alibaba-s-qwen`); the
// addresses earlier versions published keep working.
#[test]
fn old_story_addresses_send_readers_to_the_new_ones() {
    let project = built();
    let site = project.path("public");
    let old = "stories/junyang-lin-steps-down-as-tech-lead-of-alibaba-s-qwen/index.html";
    let new = "stories/junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen/";
    let doc = Html::parse_document(&std::fs::read_to_string(site.join(old)).unwrap());
    let refresh = doc
        .select(&Selector::parse("meta[http-equiv=refresh]").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        refresh.attr("content"),
        Some(format!("0; url=../../{new}").as_str())
    );
    let canonical = doc
        .select(&Selector::parse("link[rel=canonical]").unwrap())
        .next()
        .unwrap();
    assert_eq!(
        canonical.attr("href"),
        Some(format!("https://briefing.example.org/{new}").as_str())
    );
    assert!(site.join(new).join("index.html").is_file());
    // Titles without apostrophes have no old address.
    let redirects: Vec<String> = files(&site)
        .into_iter()
        .filter(|f| is_redirect(&site.join(f)))
        .collect();
    assert_eq!(redirects.len(), 4, "{redirects:#?}");
}

#[test]
fn a_follow_up_written_with_an_old_id_works_with_a_warning() {
    let project = Project::sample();
    let card = project
        .read("briefs/2026-W25/who-speaks-for-qwen.yaml")
        .replace(
            "junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen-1",
            "junyang-lin-steps-down-as-tech-lead-of-alibaba-s-qwen-1",
        );
    project.write("briefs/2026-W25/who-speaks-for-qwen.yaml", card);
    let check = project.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check.stderr.contains(
            "briefs/2026-W25/who-speaks-for-qwen.yaml:13:14: warning: `junyang-lin-steps-down-as-tech-lead-of-alibaba-s-qwen-1` is this watch item's old id"
        ),
        "{}",
        check.stderr
    );
    assert!(
        check
            .stderr
            .contains("help: write `junyang-lin-steps-down-as-tech-lead-of-alibabas-qwen-1`"),
        "{}",
        check.stderr
    );
    assert_eq!(project.run(&["build"]).code, 0);
}

/// The URLs `public/sitemap.xml` lists, in its order.
fn sitemap_urls(project: &Project) -> Vec<String> {
    let xml = project.read("public/sitemap.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("loc"))
        .map(|n| n.text().unwrap().to_owned())
        .collect()
}

/// The sample site's URL of the site-relative file `file` (`tags/x/index.html`).
fn url_of(file: &str) -> String {
    format!(
        "https://briefing.example.org/{}",
        file.trim_end_matches("index.html")
    )
}

#[test]
fn the_sitemap_lists_every_page() {
    let project = built();
    let listed: BTreeSet<String> = sitemap_urls(&project).into_iter().collect();
    let pages: BTreeSet<String> = files(&project.path("public"))
        .into_iter()
        .filter(|f| !is_redirect(&project.path("public").join(f)))
        // The search page is for readers, not for search engines (it says `noindex`).
        .filter(|f| f != "search/index.html")
        .filter(|f| {
            f.ends_with("index.html") && !f.starts_with("issues/")
                || f.starts_with("issues/") && f.ends_with("/index.html")
        })
        .map(|f| url_of(&f))
        .collect();
    assert_eq!(listed, pages);
    let robots = project.read("public/robots.txt");
    assert!(robots.contains("Sitemap: https://briefing.example.org/sitemap.xml"));
}

#[test]
fn tag_pages_have_url_safe_names_for_any_tag() {
    let project = Project::sample();
    let card = project
        .read("briefs/2026-W25/qwen-robotics-push.yaml")
        .replace(
            "tags: [Qwen, Robotics, Alibaba]",
            "tags: [\"c++\", \"AI Labs\", \"人工智能\", \"🚀\", \"C\"]",
        );
    project.write("briefs/2026-W25/qwen-robotics-push.yaml", card);
    assert_eq!(project.run(&["build"]).code, 0);
    for slug in [
        "c-plus-plus",
        "ai-labs",
        "ren-gong-zhi-neng",
        "tag-f09f9a80",
        "c",
    ] {
        assert!(
            project
                .path(&format!("public/tags/{slug}/index.html"))
                .is_file(),
            "{slug}"
        );
    }
    let page = project.read("public/tags/ren-gong-zhi-neng/index.html");
    assert!(page.contains("<h1>人工智能</h1>"));
    let ai_labs = project.read("public/tags/ai-labs/index.html");
    let doc = Html::parse_document(&ai_labs);
    let dates: Vec<String> = doc
        .select(&Selector::parse("time").unwrap())
        .map(|t| t.attr("datetime").unwrap().to_owned())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");
}

#[test]
fn issue_pages_link_to_the_previous_and_next_issue() {
    let project = built();
    let doc = Html::parse_document(&project.read("public/issues/2026-w10/index.html"));
    let prev = doc
        .select(&Selector::parse("a[rel=prev]").unwrap())
        .next()
        .unwrap();
    let next = doc
        .select(&Selector::parse("a[rel=next]").unwrap())
        .next()
        .unwrap();
    assert_eq!(prev.attr("href"), Some("../../issues/2026-w08/"));
    assert_eq!(next.attr("href"), Some("../../issues/2026-w11/"));
    let first = Html::parse_document(&project.read("public/issues/2026-w03/index.html"));
    assert!(
        first
            .select(&Selector::parse("a[rel=prev]").unwrap())
            .next()
            .is_none()
    );
}

#[test]
fn pages_of_deleted_cards_disappear() {
    let project = built();
    let story = "public/stories/t-head-unveils-the-zhenwu-810e-ai-processor/index.html";
    assert!(project.path(story).is_file());
    std::fs::remove_file(project.path("briefs/2026-W10/t-head-zhenwu-810e.yaml")).unwrap();
    assert_eq!(project.run(&["build"]).code, 0);
    assert!(!project.path(story).exists());
    assert!(!project.path("public/tags/chips").exists());
}

#[test]
fn a_failed_build_leaves_the_published_site_byte_for_byte() {
    let project = built();
    let site: PathBuf = project.path("public");
    let before = tree(&site);
    project.write(
        "briefs/2026-W25/broken.yaml",
        "title: x\ndate: 2026-13-01\n",
    );
    assert_eq!(project.run(&["build"]).code, 1);
    assert_eq!(before, tree(&site));
    assert!(
        !std::fs::read_dir(project.root()).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("staging"))
    );
}

/// The stories a tag's pages list, in order, following each page's `rel=next` link from
/// the first, and the pages seen.
fn tag_stories(project: &Project, slug: &str) -> (Vec<String>, Vec<String>) {
    let (mut stories, mut pages) = (Vec::new(), Vec::new());
    let mut page = Some(format!("tags/{slug}/index.html"));
    while let Some(at) = page.take() {
        let doc = Html::parse_document(&project.read(&format!("public/{at}")));
        let link = |css: &str| -> Vec<String> {
            doc.select(&Selector::parse(css).unwrap())
                .filter_map(|a| {
                    resolve(
                        &at,
                        a.attr("href").unwrap(),
                        "https://briefing.example.org/",
                        "/",
                    )
                })
                .collect()
        };
        stories.extend(link(".tag-stories h2 a"));
        let prev = link("a[rel=prev]");
        assert_eq!(
            prev,
            pages.last().cloned().into_iter().collect::<Vec<_>>(),
            "{at}"
        );
        page = link("a[rel=next]").into_iter().next();
        pages.push(at);
        assert!(pages.len() < 100, "the pages link in a loop: {pages:?}");
    }
    (stories, pages)
}

#[test]
fn a_tag_with_many_stories_is_split_into_pages_newest_first() {
    let project = built();
    let (whole, pages) = tag_stories(&project, "qwen");
    assert_eq!(pages, ["tags/qwen/index.html"]);
    assert!(whole.len() >= 7, "{whole:?}");

    project.reconfigure(&[], "tag_page_size: 3\n");
    assert_eq!(project.run(&["build"]).code, 0);
    let (paged, pages) = tag_stories(&project, "qwen");
    assert_eq!(paged, whole, "the same stories in the same order");
    let expected: Vec<String> = (1..=whole.len().div_ceil(3))
        .map(|n| match n {
            1 => "tags/qwen/index.html".to_owned(),
            n => format!("tags/qwen/{n}/index.html"),
        })
        .collect();
    assert_eq!(pages, expected);
    let second = Html::parse_document(&project.read("public/tags/qwen/2/index.html"));
    let text = |css: &str| {
        second
            .select(&Selector::parse(css).unwrap())
            .map(|e| e.text().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(text("h1"), "Qwen");
    assert!(
        text("title").starts_with("Qwen (page 2) · "),
        "{}",
        text("title")
    );
    assert!(text("nav.pager").contains(&format!("Page 2 of {}", pages.len())));
    assert!(
        text("main p.host").contains(&format!("{} stories, newest first · 4–6 here", whole.len())),
        "{}",
        text("main p.host")
    );
    let canonical = second
        .select(&Selector::parse("link[rel=canonical]").unwrap())
        .next()
        .and_then(|l| l.attr("href").map(str::to_owned));
    assert_eq!(
        canonical.as_deref(),
        Some("https://briefing.example.org/tags/qwen/2/")
    );
    // Every page is in the sitemap, as every page is a file.
    let listed: Vec<String> = sitemap_urls(&project)
        .into_iter()
        .filter(|url| url.contains("/tags/qwen/"))
        .collect();
    let pages_as_urls: Vec<String> = pages.iter().map(|page| url_of(page)).collect();
    assert_eq!(listed, pages_as_urls);
    // The tag list counts every story, not one page's.
    let tags = project.read("public/tags/index.html");
    assert!(tags.contains(&whole.len().to_string()), "{tags}");

    // Fewer stories, fewer pages: the last one is gone, not left over.
    project.reconfigure(&["tag_page_size"], "tag_page_size: 4\n");
    assert_eq!(project.run(&["build"]).code, 0);
    let (_, pages) = tag_stories(&project, "qwen");
    let (before, after) = (whole.len().div_ceil(3), whole.len().div_ceil(4));
    assert!(after < before, "{} stories", whole.len());
    assert_eq!(pages.len(), after);
    assert!(!project.path(&format!("public/tags/qwen/{before}")).exists());
}

#[test]
fn the_feed_carries_the_newest_issues_up_to_feed_limit() {
    let project = Project::sample();
    let config = project.read("config.yaml") + "feed_limit: 2\n";
    project.write("config.yaml", config);
    assert_eq!(project.run(&["build"]).code, 0);
    let feed = feed_rs::parser::parse(project.read("public/feed.xml").as_bytes()).unwrap();
    let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "https://briefing.example.org/issues/2026-w25/",
            "https://briefing.example.org/issues/2026-w11/"
        ]
    );
}

// The archive links each issue and each of its lead stories to their pages, with the
// headline as the link's text (the headlines were once plain text).
#[test]
fn the_archive_links_every_lead_story_to_its_page() {
    let project = built();
    let archive = project.read("public/archive/index.html");
    let links: Vec<(String, String)> = archive
        .split("<li><span class=\"arrow\" aria-hidden=\"true\">→</span> <a href=\"")
        .skip(1)
        .map(|rest| {
            let (href, rest) = rest.split_once("\">").unwrap();
            let (text, _) = rest.split_once("</a>").unwrap();
            (href.to_owned(), text.to_owned())
        })
        .collect();
    assert!(links.len() >= 8, "{links:?}");
    for (href, text) in &links {
        let page = project.path("public/archive").join(href).join("index.html");
        let page =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{href} ({text}): {e}"));
        assert!(
            page.contains(&format!(">{text}</")),
            "{href} is not the page of {text}"
        );
    }
}
