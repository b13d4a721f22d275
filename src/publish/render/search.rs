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
use std::fs;
use std::path::PathBuf;

use serde::Serialize;

use super::{Output, Publication, SearchIndex, Sink, entry};
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

/// One story as Pagefind is given it.
#[derive(Debug)]
struct Record {
    url: String,
    content: String,
    meta: BTreeMap<String, String>,
}

/// Everything an index is made from: the language Pagefind stems with and every story's
/// record. Pagefind makes the same bytes from the same records, so an index is known by
/// their [`IndexKey`] and a rebuild whose stories read the same (a template or config edit,
/// a build with nothing changed) takes the last index instead of making it again.
#[derive(Debug)]
struct Records {
    language: String,
    list: Vec<Record>,
}

impl Records {
    fn of(issues: &[Issue], links: &[IssueLink], language: &str) -> Records {
        let code = language.split(['-', '_']).next().unwrap_or("en").to_owned();
        // On every core: it is on the index's path, which is a build's longest.
        use rayon::prelude::*;
        let list = issues
            .par_iter()
            .zip(links)
            .flat_map_iter(|(issue, link)| {
                issue.stories.iter().map(move |story| Record {
                    url: story.page_path(),
                    content: searchable(story),
                    meta: meta(story, link, language),
                })
            })
            .collect();
        Records {
            language: code,
            list,
        }
    }

    /// The SHA-256 of every field, each with its length first, so that no two different
    /// lists of records run together into the same bytes.
    fn key(&self) -> IndexKey {
        use sha2::{Digest, Sha256};
        let mut hash = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        field(INDEX_FORMAT.as_bytes());
        field(env!("CARGO_PKG_VERSION").as_bytes());
        field(self.language.as_bytes());
        for record in &self.list {
            field(record.url.as_bytes());
            field(record.content.as_bytes());
            field(&(record.meta.len() as u64).to_le_bytes());
            for (name, value) in &record.meta {
                field(name.as_bytes());
                field(value.as_bytes());
            }
        }
        IndexKey(hash.finalize().into())
    }
}

/// Part of every [`IndexKey`]: to change whenever Pagefind is called differently (its
/// options, which of its files are kept), so that no index made the old way is taken.
const INDEX_FORMAT: &str = "pagefind records, forced language, no sort keys, no UI bundles";

/// What an index was made from, by digest ([`Records::key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexKey([u8; 32]);

/// A search index and what it was made from.
#[derive(Debug)]
pub struct Index {
    pub key: IndexKey,
    /// The files of Pagefind's bundle, under [`BUNDLE`].
    pub files: Vec<Output>,
    /// Taken from the [`IndexCache`], not made now.
    pub cached: bool,
}

/// Pagefind's index of `records`, as the files of its bundle the site uses.
fn pagefind(records: Records) -> Result<Vec<Output>> {
    fn failed(e: impl std::fmt::Display) -> Error {
        Error::Search {
            detail: format!("{e:#}"),
        }
    }
    // Pagefind's API is async; its work is CPU-bound, so a runtime on this thread is enough.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(failed)?;
    let Records { language, list } = records;
    runtime.block_on(async {
        let options = pagefind::options::PagefindServiceConfig::builder()
            .force_language(language.clone())
            .build();
        let mut index = pagefind::api::PagefindIndex::new(Some(options)).map_err(failed)?;
        for record in list {
            index
                .add_custom_record(
                    record.url,
                    record.content,
                    language.clone(),
                    Some(record.meta),
                    None,
                    // No sort keys: results are ranked by relevance, and each key is a
                    // value per story in the metadata every first query downloads.
                    None,
                )
                .await
                .map_err(failed)?;
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

/// The search indexes `build` and `serve` made, under `.briefing/cache/search/`, each in one
/// [`entry`] named by its [`IndexKey`]: safe to delete, and the two used last are kept.
///
/// An entry's content is each file of the bundle as its path's length (4 bytes,
/// little-endian), the path, its length (8 bytes) and its bytes. A damaged, truncated or
/// foreign entry is a miss and the index is made again, never a wrong one; a cache that
/// cannot be written only costs time.
#[derive(Debug)]
pub struct IndexCache {
    dir: PathBuf,
}

/// The largest index entry read: 10,000 stories make 11 MB.
const MAX_INDEX_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// How many indexes the cache keeps: this build's and one more (a `--drafts` preview and
/// the site, say).
const KEPT_INDEXES: usize = 2;

impl IndexCache {
    /// The cache in `dir` (made when first written to).
    pub fn new(dir: PathBuf) -> IndexCache {
        IndexCache { dir }
    }

    fn entry(&self, key: &IndexKey) -> PathBuf {
        self.dir.join(format!("{}.pagefind", entry::hex(&key.0)))
    }

    /// The index of `key`, when the cache holds it whole.
    fn load(&self, key: &IndexKey) -> Option<Vec<Output>> {
        decode(&entry::read(&self.entry(key), MAX_INDEX_BYTES)?)
    }

    /// Keeps `files` as the index of `key`, whole or not at all, and removes all but the
    /// [`KEPT_INDEXES`] entries used last.
    fn store(&self, key: &IndexKey, files: &[Output]) {
        let mut content = Vec::with_capacity(files.iter().map(|f| f.bytes.len() + 64).sum());
        for file in files {
            let Ok(len) = u32::try_from(file.path.len()) else {
                return;
            };
            content.extend_from_slice(&len.to_le_bytes());
            content.extend_from_slice(file.path.as_bytes());
            content.extend_from_slice(&(file.bytes.len() as u64).to_le_bytes());
            content.extend_from_slice(&file.bytes);
        }
        entry::write(&self.dir, &self.entry(key), &content);
        let listed = entry::listed(&self.dir);
        let older = listed.len().saturating_sub(KEPT_INDEXES);
        for (_, _, path) in &listed[..older] {
            let _ = fs::remove_file(path);
        }
    }
}

/// The files of a cache entry's content, or `None` when it is cut short or names a file
/// outside the bundle.
fn decode(mut content: &[u8]) -> Option<Vec<Output>> {
    let mut files = Vec::new();
    while !content.is_empty() {
        let (len, rest) = content.split_first_chunk::<4>()?;
        let (path, rest) =
            rest.split_at_checked(usize::try_from(u32::from_le_bytes(*len)).ok()?)?;
        let (len, rest) = rest.split_first_chunk::<8>()?;
        let (file, rest) =
            rest.split_at_checked(usize::try_from(u64::from_le_bytes(*len)).ok()?)?;
        let path = std::str::from_utf8(path).ok()?;
        let inside = path.strip_prefix(BUNDLE).is_some_and(|name| {
            name.split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
        });
        if !inside {
            return None;
        }
        files.push(Output {
            path: path.to_owned(),
            bytes: file.to_vec(),
        });
        content = rest;
    }
    Some(files)
}

/// Pagefind's index of the stories of `issues`, unless `last` says it is made from the same
/// records (`None` then); taken from `cache` when it holds it, and kept there when made.
fn index_unless(
    issues: &[Issue],
    links: &[IssueLink],
    language: &str,
    last: Option<&IndexKey>,
    cache: Option<&IndexCache>,
) -> Result<Option<Index>> {
    let records = Records::of(issues, links, language);
    let key = records.key();
    if last == Some(&key) {
        return Ok(None);
    }
    if let Some(files) = cache.and_then(|cache| cache.load(&key)) {
        return Ok(Some(Index {
            key,
            files,
            cached: true,
        }));
    }
    let files = pagefind(records)?;
    if let Some(cache) = cache {
        cache.store(&key, &files);
    }
    Ok(Some(Index {
        key,
        files,
        cached: false,
    }))
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
    if let SearchIndex::Now(cache) = index_now {
        let index = index_unless(
            publication.issues,
            &publication.links,
            &publication.config.language,
            None,
            cache,
        )?;
        for output in index.map(|index| index.files).unwrap_or_default() {
            sink.put(output)?;
        }
    }
    Ok(())
}

/// Pagefind's index of `issues` on its own (for [`SearchIndex::Later`]), unless it would be
/// made from the same records as the index of `last` (`None` then: that index stands);
/// taken from `cache` when it holds it, and kept there when made; nothing when `search` is
/// off.
///
/// # Errors
///
/// [`Error::Search`] when Pagefind fails.
pub fn index_files(
    issues: &[Issue],
    config: &Config,
    last: Option<&IndexKey>,
    cache: Option<&IndexCache>,
) -> Result<Option<Index>> {
    if !config.search {
        return Ok(None);
    }
    let links: Vec<IssueLink> = issues.iter().map(|i| IssueLink::new(i, config)).collect();
    index_unless(issues, &links, &config.language, last, cache)
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

    /// Two issues of three stories: their issues, config and links.
    fn sample() -> (Vec<Issue>, Config, Vec<IssueLink>) {
        let config = crate::content::config::parse(
            std::path::Path::new("config.yaml"),
            "title: T\nbase_url: https://example.org/\nfrom: T <t@example.org>\n",
        )
        .unwrap();
        let cards = [
            ("Nvidia books a record quarter", "2026-06-10", "Chips"),
            ("Qwen ships a robot", "2026-06-17", "Robots"),
            ("Mistral raises again", "2026-06-18", "Funding"),
        ];
        let stories = cards
            .iter()
            .enumerate()
            .map(|(n, (title, date, tag))| {
                std::sync::Arc::new(story(&format!(
                    "title: {title}\ndate: {date}\ntags: [{tag}]\n\
                     summary: The {tag} story, told in full.\n\
                     tldr:\n  - Point {n}\nwhy_it_matters: It matters.\n\
                     what_to_watch:\n  - What comes next\n\
                     sources:\n  - title: Report {n}\n    url: https://news.example/{n}\n"
                )))
            })
            .collect();
        let issues = crate::content::schedule::assemble(
            stories,
            &std::collections::BTreeMap::new(),
            &config,
            false,
        )
        .unwrap();
        assert_eq!(issues.len(), 2);
        let links = issues
            .iter()
            .map(|issue| IssueLink::new(issue, &config))
            .collect();
        (issues, config, links)
    }

    /// The cache entry of `key` holding `files`, written as [`IndexCache::store`] does.
    fn plant(cache: &IndexCache, key: &IndexKey, files: &[Output]) {
        cache.store(key, files);
        assert!(cache.entry(key).is_file());
    }

    #[test]
    fn an_index_is_taken_from_the_cache_only_when_whole_and_made_from_the_same_stories() {
        let (issues, config, links) = sample();
        let language = config.language.as_str();
        let dir = tempfile::tempdir().unwrap();
        let cache = IndexCache::new(dir.path().join("search"));
        let made = index_unless(&issues, &links, language, None, Some(&cache))
            .unwrap()
            .unwrap();
        let fresh = index_unless(&issues, &links, language, None, None)
            .unwrap()
            .unwrap();
        assert_eq!(made.key, fresh.key);
        assert_eq!(
            made.files, fresh.files,
            "Pagefind makes the same bytes again"
        );
        // The key of the index served: nothing to make.
        assert!(
            index_unless(&issues, &links, language, Some(&made.key), Some(&cache))
                .unwrap()
                .is_none()
        );

        // What the cache holds is what is used: an entry planted under the key is taken.
        let marker = vec![Output::text("pagefind/marker.txt", "planted".to_owned())];
        plant(&cache, &made.key, &marker);
        let taken = index_unless(&issues, &links, language, None, Some(&cache))
            .unwrap()
            .unwrap();
        assert_eq!(taken.files, marker);

        // A damaged entry (one byte changed, or cut short) is a miss: the index is made again.
        let entry = cache.entry(&made.key);
        let whole = fs::read(&entry).unwrap();
        let mut flipped = whole.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        for damaged in [flipped, whole[..whole.len() - 3].to_vec(), b"x".to_vec()] {
            fs::write(&entry, damaged).unwrap();
            let made_again = index_unless(&issues, &links, language, None, Some(&cache))
                .unwrap()
                .unwrap();
            assert_eq!(made_again.files, fresh.files);
            // ... and kept whole in its place.
            assert_eq!(cache.load(&made.key).unwrap(), fresh.files);
        }

        // A FIFO in the entry's place is passed over, not waited on, and replaced.
        fs::remove_file(&entry).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(&entry)
            .status()
            .unwrap();
        assert!(fifo.success());
        let made_again = index_unless(&issues, &links, language, None, Some(&cache))
            .unwrap()
            .unwrap();
        assert_eq!(made_again.files, fresh.files);
        assert_eq!(cache.load(&made.key).unwrap(), fresh.files);

        // An entry whose checksum holds but that names a file outside the bundle is a miss.
        for path in [
            "pagefind/../index.html",
            "index.html",
            "pagefind//x",
            "/etc/x",
        ] {
            plant(&cache, &made.key, &[Output::text(path, "x".to_owned())]);
            assert!(cache.load(&made.key).is_none(), "{path}");
        }
    }

    #[test]
    fn the_cache_keeps_the_two_indexes_used_last_and_one_it_cannot_write_only_costs_time() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IndexCache::new(dir.path().join("search"));
        let files = |n: u8| vec![Output::text(format!("pagefind/{n}.txt"), n.to_string())];
        let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for n in 0..2 {
            plant(&cache, &IndexKey([n; 32]), &files(n));
            // Older than the next, whatever the clock's resolution.
            let entry = fs::File::options()
                .append(true)
                .open(cache.entry(&IndexKey([n; 32])))
                .unwrap();
            entry
                .set_modified(an_hour_ago + std::time::Duration::from_secs(u64::from(n)))
                .unwrap();
        }
        // The first was used since: the second goes when a third comes.
        assert_eq!(cache.load(&IndexKey([0; 32])), Some(files(0)));
        plant(&cache, &IndexKey([2; 32]), &files(2));
        let kept: Vec<bool> = (0..3)
            .map(|n| cache.load(&IndexKey([n; 32])).is_some())
            .collect();
        assert_eq!(kept, [true, false, true]);

        // A cache folder that cannot be made: the index is made and nothing else happens.
        let blocked = dir.path().join("file");
        fs::write(&blocked, "not a folder").unwrap();
        let (issues, config, links) = sample();
        let unwritable = IndexCache::new(blocked.join("search"));
        let made = index_unless(&issues, &links, &config.language, None, Some(&unwritable))
            .unwrap()
            .unwrap();
        let fresh = index_unless(&issues, &links, &config.language, None, None)
            .unwrap()
            .unwrap();
        assert_eq!(made.files, fresh.files);
        assert!(!made.cached);
    }

    #[test]
    fn any_change_a_reader_could_find_makes_the_index_again() {
        let (issues, config, links) = sample();
        let language = config.language.as_str();
        let key = |issues: &[Issue], links: &[IssueLink], language: &str| {
            Records::of(issues, links, language).key()
        };
        let before = key(&issues, &links, language);
        assert_eq!(before, key(&issues, &links, language));
        type Edit = fn(&mut Story);
        let edits: [(&str, Edit); 8] = [
            ("a word of the summary", |s| s.summary.push_str(" Zanzibar")),
            ("the title", |s| s.title.push('!')),
            ("a tag", |s| s.tags.push("Zanzibar".to_owned())),
            ("a source's title", |s| s.sources[0].title.push('!')),
            ("the date", |s| s.date = s.date.succ_opt().unwrap()),
            ("the section", |s| s.section = Some("Zanzibar".to_owned())),
            ("a draft", |s| s.draft = true),
            ("the slug (its page)", |s| s.slug.push('x')),
        ];
        for (what, edit) in edits {
            let mut changed = issues.clone();
            edit(std::sync::Arc::make_mut(&mut changed[0].stories[0]));
            assert_ne!(before, key(&changed, &links, language), "{what}");
        }
        let mut renumbered = links.clone();
        renumbered[0].number += 1;
        assert_ne!(
            before,
            key(&issues, &renumbered, language),
            "the issue's number"
        );
        assert_ne!(before, key(&issues, &links, "de"), "the language");
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
