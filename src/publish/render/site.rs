//! The pages around the issues: home, archive, story permalinks, tags, 404, robots.txt and
//! the stylesheet.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Output, PageDigests, Publication, Scope, Sink};
use crate::error::Result;
use crate::publish::view::{
    IssueContext, IssueLink, PageView, SiteView, StoryLink, TagPage, ViewedIssue, WatchEntryView,
};

/// A story of an issue's template value as its own page's subject: the same fields, with
/// `heading` 1. The issue's value is made once; converting each story again for its page
/// cost more than some of the pages.
#[derive(Debug)]
struct PageStory(minijinja::Value);

impl minijinja::value::Object for PageStory {
    fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        if key.as_str() == Some("heading") {
            return Some(minijinja::Value::from(1));
        }
        self.0
            .get_item(key)
            .ok()
            .filter(|value| !value.is_undefined())
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        match self.0.try_iter() {
            Ok(keys) => minijinja::value::Enumerator::Values(keys.collect()),
            Err(_) => minijinja::value::Enumerator::Empty,
        }
    }
}

/// How many issues the home page lists under the latest one.
const RECENT: usize = 6;

#[derive(Serialize)]
struct HomeContext<'a> {
    #[serde(flatten)]
    latest: IssueContext<'a>,
    recent: Vec<&'a IssueLink>,
}

/// The home page of a newsletter with no issue yet.
#[derive(Serialize)]
struct FirstIssueComing<'a> {
    site: &'a SiteView,
    page: PageView,
    recent: Vec<&'a IssueLink>,
}

#[derive(Serialize)]
struct ArchiveContext<'a> {
    site: &'a SiteView,
    page: PageView,
    issues: Vec<&'a IssueLink>,
}

#[derive(Serialize)]
struct StoryContext<'a> {
    site: &'a SiteView,
    page: PageView,
    story: minijinja::Value,
    issue: &'a IssueLink,
    /// The story's own watch items, with the later stories that followed them up.
    watch: Vec<WatchEntryView>,
}

#[derive(Serialize)]
struct TagSummary<'a> {
    name: &'a str,
    slug: &'a str,
    path: &'a str,
    count: usize,
}

#[derive(Serialize)]
struct TagsContext<'a> {
    site: &'a SiteView,
    page: PageView,
    tags: Vec<TagSummary<'a>>,
}

/// One page of a tag's stories: everything it shows.
#[derive(Serialize, Hash)]
struct TagContext<'a> {
    site: &'a SiteView,
    page: PageView,
    tag: TagOnPage<'a>,
    /// 1-based page number, and how many pages the tag has.
    page_number: usize,
    page_count: usize,
    /// Site-relative paths of the neighbouring pages.
    prev: Option<String>,
    next: Option<String>,
}

/// The tag as one of its pages shows it.
#[derive(Serialize, Hash)]
struct TagOnPage<'a> {
    name: &'a str,
    slug: &'a str,
    /// Its first page: `tags/<slug>/`.
    path: &'a str,
    /// How many stories have the tag, on all its pages.
    count: usize,
    /// The 1-based position of this page's first story.
    from: usize,
    /// This page's stories, newest first.
    stories: &'a [StoryLink<'a>],
}

#[derive(Serialize)]
struct SiteContext<'a> {
    site: &'a SiteView,
    page: PageView,
}

/// The URL name of the tag one of whose pages is at `path`: `tags/<slug>/index.html`, or
/// `tags/<slug>/<n>/index.html` for page `n` ≥ 2.
pub fn tag_of_page(path: &str) -> Option<&str> {
    let folder = path.strip_prefix("tags/")?.strip_suffix("/index.html")?;
    match folder.split_once('/') {
        None => Some(folder),
        Some((slug, n)) => later_page_index(n).map(|_| slug),
    }
}

/// The index (0-based) of a later page of a list split into pages (a tag's, the watch
/// list's) from its folder's name: `2` is 1, `3` is 2; `None` for anything else (`1`, `+2`).
pub fn later_page_index(folder: &str) -> Option<usize> {
    folder
        .parse::<usize>()
        .ok()
        .filter(|&n| n >= 2 && folder.bytes().all(|b| b.is_ascii_digit()))
        .map(|n| n - 1)
}

/// `tags/<slug>/`, where the (first) page of the tag with URL name `slug` is.
pub fn tag_page_path(slug: &str) -> String {
    format!("tags/{slug}/")
}

/// The folder of page `index` (0-based) of the tag with URL name `slug`: `tags/<slug>/`,
/// `tags/<slug>/2/`, ...
pub fn tag_page_path_at(slug: &str, index: usize) -> String {
    match index {
        0 => tag_page_path(slug),
        n => format!("tags/{slug}/{}/", n + 1),
    }
}

/// How many pages a tag with `stories` stories has: one per `tag_page_size` of them, and
/// one at least.
pub fn tag_page_count(stories: usize, config: &crate::content::config::Config) -> usize {
    stories.div_ceil(config.tag_page_size.max(1)).max(1)
}

/// Every tag, keyed by URL name, with its stories, newest first, when `scope` renders its
/// pages (the others only counted: a large archive has tens of thousands of tag entries).
/// Tags that share a URL name (`AI labs`, `ai-labs`) share pages, under the name seen first.
fn tag_pages<'a>(publication: &'a Publication<'_>, scope: &Scope) -> BTreeMap<String, TagPage<'a>> {
    let mut tags: BTreeMap<String, TagPage<'a>> = BTreeMap::new();
    // A large archive names a few dozen tags tens of thousands of times.
    let mut slugs: rustc_hash::FxHashMap<&str, String> = rustc_hash::FxHashMap::default();
    for (issue, link) in publication.issues.iter().zip(&publication.links) {
        // Reading order, as on the issue page: a shared tag page takes the name seen first.
        for story in issue.in_reading_order() {
            for name in &story.tags {
                let slug = slugs
                    .entry(name)
                    .or_insert_with(|| crate::content::slug::tag_slug(name));
                let page = match tags.get_mut(slug.as_str()) {
                    Some(page) => page,
                    None => tags.entry(slug.clone()).or_insert(TagPage {
                        name,
                        path: tag_page_path(slug),
                        slug: slug.clone(),
                        count: 0,
                        stories: Vec::new(),
                    }),
                };
                page.count += 1;
                if scope.includes_tag(&page.slug) {
                    page.stories.push((story, link));
                }
            }
        }
    }
    for page in tags.values_mut() {
        page.stories
            .sort_by(|(a, _), (b, _)| (b.date, &b.title).cmp(&(a.date, &a.title)));
    }
    tags
}

/// What a tag page is kept by: its context without the stories, and which stories it lists.
/// A story's entry reads differently from the last build's only when the edit changed what
/// tag pages show of it ([`Scope::tag_entry_changes`]); the links of a large tag's thousands
/// of stories are made for the pages that render.
#[derive(Hash)]
struct TagPageKey<'a> {
    /// With no stories.
    context: &'a TagContext<'a>,
    stories: Vec<&'a str>,
}

/// Renders the pages of `tag` (one per `tag_page_size` stories) that `scope` includes into
/// `sink`, and returns their digests ([`TagPageKey`]) when `last` is given: a page of a
/// partial build whose digest `last` holds, and none of whose stories reads differently, is
/// kept, not rendered.
fn render_tag_pages(
    publication: &Publication<'_>,
    tag: &TagPage<'_>,
    sink: &dyn Sink,
    scope: &Scope,
    last: Option<&PageDigests>,
) -> Result<Vec<(String, [u8; 32])>> {
    let site = &publication.site;
    let size = publication.config.tag_page_size.max(1);
    let page_count = tag_page_count(tag.stories.len(), publication.config);
    let mut digests = Vec::new();
    for index in 0..page_count {
        let folder = tag_page_path_at(&tag.slug, index);
        let stories = tag.stories.chunks(size).nth(index).unwrap_or_default();
        let numbered = if index == 0 {
            String::new()
        } else {
            format!(" (page {})", index + 1)
        };
        let mut context = TagContext {
            site,
            page: PageView::at(
                site,
                &folder,
                format!("{}{numbered} · {}", tag.name, site.title),
                format!("Stories tagged {} in {}{numbered}.", tag.name, site.title),
            ),
            tag: TagOnPage {
                name: tag.name,
                slug: &tag.slug,
                path: &tag.path,
                count: tag.count,
                from: index * size + 1,
                stories: &[],
            },
            page_number: index + 1,
            page_count,
            prev: index.checked_sub(1).map(|i| tag_page_path_at(&tag.slug, i)),
            next: (index + 1 < page_count).then(|| tag_page_path_at(&tag.slug, index + 1)),
        };
        let path = format!("{folder}index.html");
        let key = TagPageKey {
            context: &context,
            stories: stories
                .iter()
                .map(|(story, _)| story.slug.as_str())
                .collect(),
        };
        let changed = scope.renders_tag_whole(&tag.slug)
            || stories
                .iter()
                .any(|(story, _)| scope.tag_entry_changes(&story.slug));
        let (digest, kept) = super::keep_unchanged(sink, scope, last, &path, &key, changed)?;
        digests.extend(digest.map(|digest| (path.clone(), digest)));
        if kept {
            continue;
        }
        let links: Vec<StoryLink> = stories
            .iter()
            .map(|&(story, issue)| StoryLink::new(story, issue, &publication.config.language))
            .collect();
        context.tag.stories = &links;
        sink.put(Output::text(
            path,
            publication.render("tag.html", &context)?,
        ))?;
    }
    Ok(digests)
}

/// Renders the permalink pages of issue `index`'s stories into `sink`.
///
/// # Errors
///
/// A template error, or the sink's.
pub fn render_story_pages(
    publication: &Publication<'_>,
    index: usize,
    issue: &ViewedIssue,
    sink: &dyn Sink,
) -> Result<()> {
    let site = &publication.site;
    let link = &publication.links[index];
    let values = issue
        .value
        .get_attr("stories")
        .map_err(|e| crate::publish::templates::template_error("story.html", &e))?;
    for (at, story) in issue.stories.iter().enumerate() {
        let value = values
            .get_item_by_index(at)
            .map_err(|e| crate::publish::templates::template_error("story.html", &e))?;
        let mut page = PageView::at(
            site,
            &story.path,
            format!("{} · {}", story.title, site.title),
            crate::content::schedule::preheader_of_line(&story.text.summary_line),
        );
        page.og_type = "article";
        let context = StoryContext {
            site,
            page,
            story: minijinja::Value::from_object(PageStory(value)),
            issue: link,
            watch: publication.watch_of_story(&story.slug),
        };
        sink.put(Output::text(
            format!("{}index.html", story.path),
            publication.render("story.html", &context)?,
        ))?;
    }
    Ok(())
}

/// Renders the home page, archive, tag pages, 404 page, robots.txt, CSS and icon into `sink`.
///
/// # Errors
///
/// A template error, or the sink's.
pub fn render_pages(
    publication: &Publication<'_>,
    sink: &dyn Sink,
    scope: &Scope,
    last_pages: Option<&PageDigests>,
) -> Result<PageDigests> {
    use rayon::prelude::*;
    let site = &publication.site;
    let mut outputs = Vec::new();
    let newest_first: Vec<&IssueLink> = publication.links.iter().rev().collect();

    let home = if publication.issues.is_empty() {
        let description = [&site.tagline, &site.audience]
            .into_iter()
            .find(|line| !line.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("The first issue of {} is on its way.", site.title));
        let mut page = PageView::at(site, "", site.title.clone(), description);
        page.og_type = "website";
        publication.render(
            "home.html",
            &FirstIssueComing {
                site,
                page,
                recent: Vec::new(),
            },
        )?
    } else {
        let latest = publication.issues.len() - 1;
        let latest_view = publication.view(latest);
        let mut home = IssueContext::web(
            &publication.site,
            &publication.links,
            latest,
            &latest_view,
            "",
        );
        home.page.title = format!("{} · {}", site.title, site.tagline);
        home.page.title = home.page.title.trim_end_matches(" · ").to_owned();
        home.page.og_type = "website";
        let home = HomeContext {
            latest: home,
            recent: newest_first.iter().skip(1).take(RECENT).copied().collect(),
        };
        publication.render("home.html", &home)?
    };
    outputs.push(Output::text("index.html", home));

    let archive = ArchiveContext {
        site,
        page: PageView::at(
            site,
            "archive/",
            format!("Archive · {}", site.title),
            format!("Every issue of {}, newest first.", site.title),
        ),
        issues: newest_first.clone(),
    };
    outputs.push(Output::text(
        "archive/index.html",
        publication.render("archive.html", &archive)?,
    ));

    let tags = tag_pages(publication, scope);
    let index = TagsContext {
        site,
        page: PageView::at(
            site,
            "tags/",
            format!("Tags · {}", site.title),
            format!("Every topic {} has covered.", site.title),
        ),
        tags: tags
            .values()
            .map(|t| TagSummary {
                name: t.name,
                slug: &t.slug,
                path: &t.path,
                count: t.count,
            })
            .collect(),
    };
    outputs.push(Output::text(
        "tags/index.html",
        publication.render("tags.html", &index)?,
    ));
    let digests: Vec<Vec<(String, [u8; 32])>> = tags
        .par_iter()
        .filter(|(slug, _)| scope.includes_tag(slug))
        .map(|(_, tag)| render_tag_pages(publication, tag, sink, scope, last_pages))
        .collect::<Result<_>>()?;
    outputs.extend(redirects(publication, &tags)?);

    // The 404 page is served at any depth, so its links start from the site's own path.
    let mut missing = PageView::at(
        site,
        "",
        format!("Page not found · {}", site.title),
        "This page does not exist.".to_owned(),
    );
    missing.root = base_path(&site.base_url);
    let plain = SiteContext {
        site,
        page: missing,
    };
    outputs.push(Output::text(
        "404.html",
        publication.render("404.html", &plain)?,
    ));
    outputs.push(Output::text(
        "robots.txt",
        publication.render("robots.txt", &plain)?,
    ));
    outputs.extend(render_assets(publication)?);
    for output in outputs {
        sink.put(output)?;
    }
    Ok(digests.into_iter().flatten().collect())
}

/// What `redirect.html` sees.
#[derive(Serialize)]
struct RedirectContext<'a> {
    site: &'a SiteView,
    /// The page's new title.
    title: &'a str,
    /// The new address, relative to the old page.
    target: String,
    /// The new address, absolute.
    canonical: String,
}

/// Pages at the addresses earlier versions gave stories and tags whose titles have an
/// apostrophe (`stories/t-head-s-.../`), sending readers and search engines on to the
/// current ones (`stories/t-heads-.../`): links already published keep working. An old address
/// that is now another page's is left to that page.
fn redirects(
    publication: &Publication<'_>,
    tags: &BTreeMap<String, TagPage<'_>>,
) -> Result<Vec<Output>> {
    let site = &publication.site;
    let stories = || {
        publication
            .issues
            .iter()
            .flat_map(|issue| issue.stories.iter().map(|s| &**s))
    };
    let mut moved: BTreeMap<String, (String, &str)> = BTreeMap::new();
    for story in stories() {
        if let Some(old) = &story.old_slug {
            moved.insert(
                crate::content::story::StoryPath(old).to_string(),
                (story.page_path(), &story.title),
            );
        }
    }
    for tag in tags.values() {
        let old = crate::content::slug::slugify_legacy(tag.name);
        if !old.is_empty() && old != tag.slug {
            moved.insert(tag_page_path(&old), (tag.path.clone(), tag.name));
        }
    }
    if moved.is_empty() {
        // Nearly always: the set of every page below is ten thousand strings on a large site.
        return Ok(Vec::new());
    }
    let taken: std::collections::HashSet<String> = stories()
        .map(|s| s.page_path())
        .chain(tags.values().map(|t| t.path.clone()))
        .collect();
    moved
        .into_iter()
        .filter(|(old, _)| !taken.contains(old))
        .map(|(old, (new, title))| {
            let depth = old.matches('/').count();
            let context = RedirectContext {
                site,
                title,
                target: format!("{}{new}", "../".repeat(depth)),
                canonical: format!("{}{new}", site.base_url),
            };
            Ok(Output::text(
                format!("{old}index.html"),
                publication.render("redirect.html", &context)?,
            ))
        })
        .collect()
}

/// The files every page links: `style.css`, `favicon.svg` and, with search, `search.js`.
///
/// # Errors
///
/// A template error.
pub fn render_assets(publication: &Publication<'_>) -> Result<Vec<Output>> {
    let site = &publication.site;
    let plain = SiteContext {
        site,
        page: PageView::at(site, "", site.title.clone(), String::new()),
    };
    let search = publication.config.search.then_some("search.js");
    ["style.css", "favicon.svg"]
        .into_iter()
        .chain(search)
        .map(|name| Ok(Output::text(name, publication.render(name, &plain)?)))
        .collect()
}

/// The path part of an absolute URL, `/` at least: `https://e.org/brief/` → `/brief/`.
pub fn base_path(base_url: &str) -> String {
    let rest = base_url.split_once("//").map_or(base_url, |(_, r)| r);
    match rest.find('/') {
        Some(at) => rest[at..].to_owned(),
        None => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_of_sub_path_sites() {
        assert_eq!(base_path("https://example.org/brief/"), "/brief/");
        assert_eq!(base_path("https://example.org/"), "/");
        assert_eq!(base_path("https://example.org"), "/");
    }
}
