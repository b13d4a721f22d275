//! The watch items across issues: `watch/index.html` and `watch.ics`.
//!
//! Both are "as of" the newest issue's last day, like everything else on the site: the same
//! cards give the same bytes whatever day the site is built.

use serde::Serialize;

use super::{Output, PageDigests, Publication, Scope, Sink};
use crate::content::markdown;
use crate::error::Result;
use crate::publish::view::{IssueLink, PageView, SiteView, WatchEntryView};

/// Items per list on one watch page: a big archive has tens of thousands.
pub const WATCH_PAGE_ITEMS: usize = 100;

/// Everything a watch page shows. A build of part of the site keeps a page when its
/// [`WatchPageKey`] is the last build's and none of its entries reads differently (a retitled
/// story changes the pages that show it and its items, not the 300 pages of a large
/// archive's list).
#[derive(Serialize, Hash)]
struct WatchContext<'a> {
    site: &'a SiteView,
    page: PageView,
    /// The newest issue: what "as of" means on this page.
    as_of_issue: Option<&'a IssueLink>,
    /// The day the states are for, `YYYY-MM-DD`.
    as_of: String,
    /// This page's open items: due ones first, soonest first, then the newest.
    open: Vec<WatchEntryView>,
    /// This page's resolved items, most recently resolved first.
    resolved: Vec<WatchEntryView>,
    /// Open items in all, and how many of them are overdue.
    open_count: usize,
    overdue_count: usize,
    /// Resolved items in all.
    resolved_count: usize,
    /// The 1-based position of this page's first open and first resolved item.
    open_from: usize,
    resolved_from: usize,
    /// 1-based page number, and how many pages there are.
    page_number: usize,
    page_count: usize,
    /// Site-relative paths of the neighbouring pages.
    prev: Option<String>,
    next: Option<String>,
}

/// What a watch page is kept by: its context without the entries, and which items it lists.
/// An entry reads differently from the last build's only when the edit touched its story or
/// a story that follows it up ([`Scope::watch_entry_changes`]); making and digesting the
/// tens of thousands of entries of every page to find that out took most of a retitle's
/// time.
#[derive(Hash)]
struct WatchPageKey<'a> {
    /// With no entries.
    context: &'a WatchContext<'a>,
    open: Vec<&'a str>,
    resolved: Vec<&'a str>,
}

/// The watch list split into pages of [`WATCH_PAGE_ITEMS`] open and resolved items each.
pub struct WatchPages<'a> {
    /// Open items, in page order, as indexes into the ledger.
    pub open: &'a [usize],
    /// Resolved items, in page order.
    pub resolved: &'a [usize],
    /// How many pages: at least one.
    pub count: usize,
}

impl<'a> WatchPages<'a> {
    /// The pages of `publication`'s watch list.
    pub fn of(publication: &'a Publication<'_>) -> WatchPages<'a> {
        let (open, resolved) = publication.watch_order();
        WatchPages {
            open,
            resolved,
            count: WatchPages::count(publication),
        }
    }

    /// How many pages `publication`'s watch list has, without putting its items in order.
    pub fn count(publication: &Publication<'_>) -> usize {
        let (open, resolved) = publication.watch.counts;
        open.div_ceil(WATCH_PAGE_ITEMS)
            .max(resolved.div_ceil(WATCH_PAGE_ITEMS))
            .max(1)
    }

    /// The site-relative folder of page `index` (0-based): `watch/`, `watch/2/`, ...
    pub fn path(index: usize) -> String {
        match index {
            0 => "watch/".to_owned(),
            n => format!("watch/{}/", n + 1),
        }
    }

    /// The folder of the page that lists open item `position` (0-based, in page order).
    fn path_of_open(position: usize) -> String {
        WatchPages::path(position / WATCH_PAGE_ITEMS)
    }
}

/// The index (0-based) of the watch page at `path` (`watch/index.html`, `watch/2/index.html`,
/// ...), or `None` for any other path.
pub fn page_index(path: &str) -> Option<usize> {
    let folder = path.strip_prefix("watch/")?.strip_suffix("index.html")?;
    match folder {
        "" => Some(0),
        number => super::site::later_page_index(number.strip_suffix('/')?),
    }
}

/// Whether `path` is one of the files [`render_watch`] makes.
pub fn is_watch_file(path: &str) -> bool {
    path == "watch.ics" || path.starts_with("watch/")
}

/// Renders the watch pages (`watch/index.html`, `watch/2/index.html`, ...) and `watch.ics`.
/// With `last` (the last build's digests), returns each page's digest ([`WatchPageKey`]), and
/// a build of part of the site keeps the pages whose digest is the last build's and whose
/// entries read as they did.
///
/// # Errors
///
/// A template error, or the sink's.
pub fn render_watch(
    publication: &Publication<'_>,
    sink: &dyn Sink,
    scope: &Scope,
    last: Option<&PageDigests>,
) -> Result<Vec<(String, [u8; 32])>> {
    use rayon::prelude::*;
    let site = &publication.site;
    let watch = &publication.watch;
    let pages = WatchPages::of(publication);
    let overdue_count = pages
        .open
        .iter()
        .filter(|&&at| publication.watch_state(at) == crate::content::ledger::State::Overdue)
        .count();
    let chunk = |list: &[usize], index: usize| {
        let from = (index * WATCH_PAGE_ITEMS).min(list.len());
        let to = (from + WATCH_PAGE_ITEMS).min(list.len());
        (from, to)
    };
    let id = |&at: &usize| publication.watch_item(at).item.id.as_str();
    let reads_differently = |&at: &usize| {
        let tracked = publication.watch_item(at);
        scope.watch_entry_changes(
            &tracked.story.slug,
            tracked.mentions.iter().map(|m| m.story.slug.as_str()),
        )
    };
    // The pages before `from` are left for a later part of a build in two steps, with the
    // calendar.
    let from = scope.watch_from();
    let digests = (from..pages.count).into_par_iter().map(|index| {
        let path = WatchPages::path(index);
        let (open_from, open_to) = chunk(pages.open, index);
        let (resolved_from, resolved_to) = chunk(pages.resolved, index);
        let (open, resolved) = (
            &pages.open[open_from..open_to],
            &pages.resolved[resolved_from..resolved_to],
        );
        let title = if pages.count > 1 {
            format!(
                "What to watch, page {} of {} · {}",
                index + 1,
                pages.count,
                site.title
            )
        } else {
            format!("What to watch · {}", site.title)
        };
        let mut context = WatchContext {
            site,
            page: PageView::at(
                site,
                &path,
                title,
                format!(
                    "Every signal {} said to watch, and what became of it.",
                    site.title
                ),
            ),
            as_of_issue: publication.links.last(),
            as_of: watch.as_of.map(|d| d.to_string()).unwrap_or_default(),
            open: Vec::new(),
            resolved: Vec::new(),
            open_count: pages.open.len(),
            overdue_count,
            resolved_count: pages.resolved.len(),
            open_from: open_from + 1,
            resolved_from: resolved_from + 1,
            page_number: index + 1,
            page_count: pages.count,
            prev: index.checked_sub(1).map(WatchPages::path),
            next: (index + 1 < pages.count).then(|| WatchPages::path(index + 1)),
        };
        let path = format!("{path}index.html");
        let key = WatchPageKey {
            context: &context,
            open: open.iter().map(id).collect(),
            resolved: resolved.iter().map(id).collect(),
        };
        let changed = open.iter().chain(resolved).any(reads_differently);
        let (digest, kept) = super::keep_unchanged(sink, scope, last, &path, &key, changed)?;
        if !kept {
            context.open = open.iter().map(|&at| publication.watch_entry(at)).collect();
            context.resolved = resolved
                .iter()
                .map(|&at| publication.watch_entry(at))
                .collect();
            let page = publication.render("watch.html", &context)?;
            sink.put(Output::text(path.clone(), page))?;
        }
        Ok(digest.map(|digest| (path, digest)))
    });
    let digests = digests.collect::<Result<Vec<_>>>()?;
    if from == 0 {
        sink.put(Output::text("watch.ics", calendar(publication, &pages)))?;
    }
    Ok(digests.into_iter().flatten().collect())
}

/// `watch.ics`: one all-day event per open item with a due date, on its last day (the day
/// itself, or the last of its month), as RFC 5545 wants it: CRLF lines folded at 75 octets.
pub fn calendar(publication: &Publication<'_>, pages: &WatchPages<'_>) -> String {
    let site = &publication.site;
    let host = crate::content::url::host(&site.base_url);
    let mut lines = vec![
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        format!("PRODID:-//briefing//{}//EN", ics_text(&site.title)),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        format!(
            "X-WR-CALNAME:{}",
            ics_text(&format!("{}: what to watch", site.title))
        ),
    ];
    // Only items with a due date become events: look at the item before building its view.
    let open_with_due = pages.open.iter().enumerate().filter_map(|(position, &at)| {
        let due = publication.watch_item(at).item.due?;
        Some((
            publication.watch_entry(at),
            due,
            WatchPages::path_of_open(position),
        ))
    });
    for (entry, due, page) in open_with_due {
        let last = due.last_day();
        let after = last.succ_opt().unwrap_or(last);
        // The stamp is the item's last change, not the build time, so rebuilds are identical.
        let stamp = entry
            .follow_ups
            .iter()
            .map(|m| m.story.date.as_str())
            .chain([entry.story.date.as_str()])
            .max()
            .unwrap_or_default()
            .replace('-', "");
        let mut description = format!(
            "From \"{}\" ({}, issue {}).",
            entry.story.title, entry.story.date_display, entry.story.issue_number
        );
        if let Some(due) = &entry.due_display {
            description.push_str(&format!("\nDue: {due}."));
        }
        for mention in &entry.follow_ups {
            description.push_str(&format!(
                "\nFollowed up in \"{}\" ({}).",
                mention.story.title, mention.story.date_display
            ));
        }
        let url = format!("{}{page}#{}", site.base_url, entry.id);
        description.push_str(&format!("\n{url}"));
        lines.extend([
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@{}", entry.id, ics_text(host)),
            format!("DTSTAMP:{stamp}T000000Z"),
            format!("DTSTART;VALUE=DATE:{}", last.format("%Y%m%d")),
            format!("DTEND;VALUE=DATE:{}", after.format("%Y%m%d")),
            format!(
                "SUMMARY:{}",
                ics_text(&format!("Watch: {}", markdown::to_plain_line(&entry.text)))
            ),
            format!("DESCRIPTION:{}", ics_text(&description)),
            format!("URL:{url}"),
            "TRANSP:TRANSPARENT".to_owned(),
            "END:VEVENT".to_owned(),
        ]);
    }
    lines.push("END:VCALENDAR".to_owned());
    let mut out = String::new();
    for line in lines {
        fold_into(&mut out, &line);
    }
    out
}

/// Escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks.
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` with CRLF, folded so no line exceeds 75 octets, never inside a character.
fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(ics_text("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "北京".repeat(40));
        fold_into(&mut out, &line);
        for physical in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(
                physical.len() <= 75,
                "{physical:?} is {} octets",
                physical.len()
            );
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
    }

    #[test]
    fn a_watch_page_path_reads_back_as_its_index() {
        for index in [0, 1, 2, 11] {
            let path = format!("{}index.html", WatchPages::path(index));
            assert_eq!(page_index(&path), Some(index), "{path}");
        }
        for other in [
            "watch.ics",
            "watch/1/index.html",
            "watch/+2/index.html",
            "watch/2/x.html",
            "tags/a/2/index.html",
        ] {
            assert_eq!(page_index(other), None, "{other}");
        }
    }
}
