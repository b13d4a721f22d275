//! Archive search (`search`, on by default): every story indexed by Pagefind's Rust API into
//! its chunked index under `pagefind/`, the search page, and the script every page's search
//! box runs (`search.js`).
//!
//! Stories are given to Pagefind as records, not as built pages: what is searched is the
//! card's own words (title, summary, TL;DR, why it matters, business relevance, implications,
//! what to watch, tags, and the sources' titles and publishers), and the page's header,
//! footer and navigation never match. The browser downloads Pagefind's `pagefind.js`, its
//! WebAssembly and only the index chunks and result fragments a query needs; Pagefind's own
//! UI bundles are left out: `search.js` draws the results in the house style.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Output, Publication, SearchIndex, Sink};
use crate::content::config::Config;
use crate::content::markdown::{to_plain_line, to_text};
use crate::content::schedule::Issue;
use crate::content::story::Story;
use crate::error::{Error, Result};
use crate::publish::view::{IssueLink, PageView, SiteView};

/// Where Pagefind's files go, under the site.
pub const BUNDLE: &str = "pagefind/";

/// The files of Pagefind's bundle the site uses: its search API, the WebAssembly it loads,
/// the index's entry, metadata, chunks and fragments. Its UI bundles are left out.
fn wanted(name: &str) -> bool {
    let ui = name.starts_with("pagefind-ui")
        || name.starts_with("pagefind-modular-ui")
        || name.starts_with("pagefind-component-ui")
        || name.starts_with("pagefind-highlight");
    !ui && !name.starts_with("playground")
}

/// `text` ending as a sentence does, so an excerpt that runs across two fields reads as two
/// sentences ("… on Blackwell demand. Nvidia reported …"), not one.
fn sentence(text: &str) -> String {
    let text = text.trim();
    match text.chars().last() {
        Some(c) if c.is_alphanumeric() || c == ')' || c == '"' || c == '”' => format!("{text}."),
        _ => text.to_owned(),
    }
}

/// What a story is found by: every field a reader reads, as plain text.
fn searchable(story: &Story) -> String {
    let plain = |markdown: &str| to_text(markdown, &mut |_| String::new());
    let mut text = vec![sentence(&story.title), plain(&story.summary)];
    text.extend(story.tldr.iter().map(|t| sentence(&to_plain_line(t))));
    text.push(plain(&story.why_it_matters));
    if let Some(business) = &story.business_relevance {
        text.push(plain(business));
    }
    text.extend(
        story
            .implications
            .iter()
            .map(|t| sentence(&to_plain_line(t))),
    );
    text.extend(
        story
            .what_to_watch
            .items
            .iter()
            .map(|item| sentence(&plain(&item.text))),
    );
    if !story.tags.is_empty() {
        text.push(sentence(&story.tags.join(", ")));
    }
    for source in &story.sources {
        let site = crate::content::url::host(&source.url);
        text.push(sentence(&format!("{} ({site})", source.title)));
    }
    text.join("\n")
}

/// The result's metadata: what `search.js` shows under the title.
fn meta(story: &Story, link: &IssueLink, language: &str) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::from([
        ("title".to_owned(), story.title.clone()),
        ("issue".to_owned(), link.number.to_string()),
        ("week".to_owned(), link.week.clone()),
        ("date".to_owned(), story.date.to_string()),
        (
            "date_display".to_owned(),
            crate::content::dates::long(story.date, language),
        ),
    ]);
    if let Some(section) = &story.section {
        meta.insert("section".to_owned(), section.clone());
    }
    if story.draft {
        meta.insert("draft".to_owned(), "true".to_owned());
    }
    meta
}

/// Pagefind's index of the stories of `issues`, as the files of its bundle.
fn index(issues: &[Issue], links: &[IssueLink], language: &str) -> Result<Vec<Output>> {
    fn failed(e: impl std::fmt::Display) -> Error {
        Error::Search {
            detail: format!("{e:#}"),
        }
    }
    // Pagefind's API is async; its work is CPU-bound, so a runtime on this thread is enough.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(failed)?;
    let code = language.split(['-', '_']).next().unwrap_or("en").to_owned();
    runtime.block_on(async {
        let options = pagefind::options::PagefindServiceConfig::builder()
            .force_language(code.clone())
            .build();
        let mut index = pagefind::api::PagefindIndex::new(Some(options)).map_err(failed)?;
        for (issue, link) in issues.iter().zip(links) {
            for story in &issue.stories {
                index
                    .add_custom_record(
                        story.page_path(),
                        searchable(story),
                        code.clone(),
                        Some(meta(story, link, language)),
                        None,
                        // No sort keys: results are ranked by relevance, and each key is a
                        // value per story in the metadata every first query downloads.
                        None,
                    )
                    .await
                    .map_err(failed)?;
            }
        }
        let files = index.get_files().await.map_err(failed)?;
        Ok(files
            .into_iter()
            .filter_map(|file| {
                let name = file.filename.to_string_lossy().replace('\\', "/");
                wanted(&name).then(|| Output {
                    path: format!("{BUNDLE}{name}"),
                    bytes: file.contents,
                })
            })
            .collect())
    })
}

#[derive(Serialize)]
struct SearchContext<'a> {
    site: &'a SiteView,
    page: PageView,
}

/// The search page and, with [`SearchIndex::Now`], Pagefind's index of every story (the
/// search box's script is one of the site's assets); nothing when `search` is off.
///
/// # Errors
///
/// A template error, [`Error::Search`] when Pagefind fails, or the sink's error.
pub fn render_search(
    publication: &Publication<'_>,
    sink: &dyn Sink,
    index_now: SearchIndex,
) -> Result<()> {
    if !publication.config.search {
        return Ok(());
    }
    let site = &publication.site;
    let page = PageView::at(
        site,
        "search/",
        format!("Search · {}", site.title),
        format!("Search every story of {}.", site.title),
    );
    let context = SearchContext { site, page };
    sink.put(Output::text(
        "search/index.html",
        publication.render("search.html", &context)?,
    ))?;
    if index_now == SearchIndex::Now {
        for output in index(
            publication.issues,
            &publication.links,
            &publication.config.language,
        )? {
            sink.put(output)?;
        }
    }
    Ok(())
}

/// Pagefind's index of `issues` on its own (for [`SearchIndex::Later`]); nothing when
/// `search` is off.
///
/// # Errors
///
/// [`Error::Search`] when Pagefind fails.
pub fn index_files(issues: &[Issue], config: &Config) -> Result<Vec<Output>> {
    if !config.search {
        return Ok(Vec::new());
    }
    let links: Vec<IssueLink> = issues.iter().map(|i| IssueLink::new(i, config)).collect();
    index(issues, &links, &config.language)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(yaml: &str) -> Story {
        let path = std::path::Path::new("briefs/2026-W25/a.yaml");
        let mut diags = crate::diagnostic::FileDiagnostics::new(path, yaml);
        let story = crate::content::validate::card(yaml, &mut diags).unwrap();
        assert!(!diags.has_errors(), "{:?}", diags.list);
        story
    }

    #[test]
    fn a_story_is_found_by_every_field_a_reader_reads_and_not_by_link_targets() {
        let text = searchable(&story(
            "title: Nvidia books a record quarter
date: 2026-06-17
tags: [Chips, Compute]
summary: Record **data-centre** revenue, says [the filing](https://secret-target.example/a).
tldr:
  - Tldrword shipped
why_it_matters: Whyword matters.
business_relevance: Businessword.
implications:
  - Implicationword
what_to_watch:
  - Watchword holds
sources:
  - title: Quarterly results
    url: https://www.nvidianews.example/q
",
        ));
        for word in [
            "Nvidia books a record quarter.",
            "Record data-centre revenue, says the filing.",
            "Tldrword shipped.",
            "Whyword",
            "Businessword",
            "Implicationword.",
            "Watchword holds.",
            "Chips, Compute.",
            "Quarterly results (nvidianews.example).",
        ] {
            assert!(text.contains(word), "{word} in {text}");
        }
        assert!(!text.contains("secret-target"), "{text}");
        assert!(!text.contains("**"), "{text}");
    }

    #[test]
    fn only_the_files_the_site_uses_are_published() {
        for kept in [
            "pagefind.js",
            "wasm.en.pagefind",
            "pagefind-entry.json",
            "index/en_1.pf_index",
            "fragment/en_2.pf_fragment",
        ] {
            assert!(wanted(kept), "{kept}");
        }
        for left in [
            "pagefind-ui.js",
            "pagefind-ui.css",
            "pagefind-modular-ui.js",
            "pagefind-component-ui.css",
            "pagefind-highlight.js",
            "playground/index.html",
        ] {
            assert!(!wanted(left), "{left}");
        }
        assert_eq!(sentence("Ends here"), "Ends here.");
        assert_eq!(sentence("Asks?"), "Asks?");
    }
}
