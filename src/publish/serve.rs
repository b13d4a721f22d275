//! `briefing serve`: a live preview of the site.
//!
//! Builds the site into memory and answers requests from it: nothing is written to disk, and
//! since a request can only name a key of that map, no path can reach a file outside the site
//! (`..` segments are refused outright). `briefs/`, `templates/` and `config.yaml` are watched;
//! each change rebuilds. Pages get a small script that listens to the build's event stream
//! (`/__briefing/events`, server-sent events) and reloads when a new version is announced.
//! When a rebuild fails, the last good site stays, and every page shows the located error
//! until the input is fixed.
//!
//! The HTTP layer is axum on a two-thread tokio runtime: a connection is a task, not a
//! thread, so idle clients cannot exhaust the machine; tower bounds the requests answered at
//! once and tower-http the time each may take. Only the request's own host names are
//! answered ([`host_allowed`]).
//!
//! About 650 lines, one job: the preview's loop (watch, rebuild, swap, announce) and the few
//! functions that answer a path from the in-memory site belong together.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::content::load;
use crate::content::markdown::escape_html;
use crate::content::project::Paths;
use crate::diagnostic::{self, Diagnostic, Style};
use crate::error::{Error, Result};
use crate::publish::render::Output;
use crate::publish::render::search::{Index, IndexKey};

/// The build version as plain text, for tools.
pub const VERSION_PATH: &str = "/__briefing/version";

/// The build version as server-sent events: one event now, one after every build that shows
/// something new. Pages listen to it; no page polls.
pub const EVENTS_PATH: &str = "/__briefing/events";

/// How long a change seen mid-write (data written, the file not yet closed) may wait for the
/// event that says the file is whole (closed after writing, renamed into place) before the
/// rebuild starts anyway: systems that report no such event (macOS) pay this, Linux does not.
const SETTLE: Duration = Duration::from_millis(50);

const RELOAD_SCRIPT: &str = "<script>(function(){var seen=null;\
var events=new EventSource('/__briefing/events?page='+encodeURIComponent(location.pathname));\
events.onmessage=function(e){if(seen===null){seen=e.data}else if(e.data!==seen){location.reload()}};\
})();</script>";

/// The site as last built.
#[derive(Debug, Default)]
pub struct Site {
    /// Every file of the last good build, by site-relative path.
    pub files: HashMap<String, Vec<u8>>,
    /// The error of the last build, if it failed, as plain text.
    pub error: Option<String>,
    /// Cards left out of the last build for their errors: how many errors, and their located
    /// messages as plain text. Every page shows them in a banner.
    pub card_errors: Option<(usize, String)>,
    /// Counts the builds that showed something new, good or not; pages reload when it
    /// changes.
    pub version: u64,
    /// Counts every build, news or not: the search index of one waits for none to follow.
    pub builds: u64,
    /// `files` changed since the last announcement, which a build stopped for a newer change
    /// left to the next one: that build announces even if its own files read as served.
    pub unannounced: bool,
    /// A build is under way: the search index of the last one waits, rather than take the
    /// cores from it.
    pub building: bool,
    /// What the search index among `files` was made from: a build whose stories read the
    /// same keeps it instead of indexing them again.
    pub index_key: Option<IndexKey>,
    /// The paths whose files the build under way renders last ([`Early`]): a request for one
    /// waits for them rather than get the file before the edit.
    pub pending: HashSet<String>,
    /// Woken when `pending` is emptied (the requests waiting hold a copy: [`Shared`]).
    pub settled: Arc<tokio::sync::Notify>,
    /// The pages open in a browser, by site path, with how many tabs show each: their
    /// event streams say which page they reload. A build renders what makes them first.
    pub viewed: HashMap<String, usize>,
}

impl Site {
    /// Records what a build (or its early files) shows: with `news`, or a reload still owed,
    /// a new version, which the caller announces (`true`); unless a newer change waits, whose
    /// build then owes the reload even if its files read as these.
    fn record_news(&mut self, news: bool, superseded: bool) -> bool {
        if !(news || self.unannounced) {
            return false;
        }
        self.unannounced = superseded;
        if !superseded {
            self.version += 1;
        }
        !superseded
    }
}

/// An HTTP answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Content-Type.
    pub content_type: &'static str,
    /// Extra header (a redirect's Location).
    pub location: Option<String>,
    /// Body.
    pub body: Vec<u8>,
}

impl Reply {
    fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type,
            location: None,
            body,
        }
    }
}

/// Options of `briefing serve`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind (loopback unless the user says otherwise).
    pub bind: IpAddr,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// Open a browser once serving.
    pub open: bool,
    /// More host names to answer for, besides loopback and the bind address.
    pub hosts: Vec<String>,
}

/// How many requests are answered at once; more wait in line.
const WORKERS: usize = 8;

/// How long one request may take to answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a request's `Host` header names this server: a loopback name, the bind address,
/// or one of `extra`, with or without the port. A page of another site that a DNS trick
/// points at the preview gets no answer.
pub fn host_allowed(host: Option<&str>, bind: IpAddr, extra: &[String]) -> bool {
    let Some(host) = host else {
        return false;
    };
    let host = host.trim().to_ascii_lowercase();
    // `[::1]:8000`, `localhost:8000`, `127.0.0.1`: the name without the port.
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host
            .rsplit_once(':')
            .map_or(host.as_str(), |(name, _)| name),
    };
    let loopback = name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    loopback
        || name.parse::<IpAddr>().is_ok_and(|ip| ip == bind)
        || extra.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Builds the whole site into memory from the cards that pass `check`, returning its files and
/// the errors of the cards left out. The command line hands the pipeline in, so this module
/// depends on no stage before `render`.
///
/// A build may hand over most of its files before it ends ([`Early`]): they are served and
/// announced at once, and the requests for the rest wait for them.
pub type Build = dyn Fn(Asked<'_>, &mut dyn FnMut(Early)) -> Result<Built> + Send + Sync;

/// What a build is asked for.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// The paths (relative to the newsletter's folder) changed since the last build, when
    /// the watcher saw them all; `None` when any may have changed.
    pub changed: Option<&'a [PathBuf]>,
    /// The site paths of the pages open in a browser ([`Site::viewed`]): what makes them is
    /// handed over first.
    pub viewed: &'a [String],
    /// Set when a newer change came: what the build renders after its early files may stop
    /// and be left to the next build ([`Built::owed`]).
    pub superseded: &'a AtomicBool,
}

/// The files of a build served before the build ends: with them applied, every file reads
/// as it will after the build except those in `pending`, which the build's [`Built`]
/// brings.
#[derive(Debug)]
pub struct Early {
    /// The files made so far.
    pub outputs: Vec<Output>,
    /// The paths the last build made and this one no longer does.
    pub removed: Vec<String>,
    /// The paths of the files still to come.
    pub pending: Vec<String>,
    /// The errors of the cards left out.
    pub errors: Vec<Diagnostic>,
}

/// Makes the search index of a build, after its pages are served, unless it would be made
/// from the same records as the index of the key it is given (`None` then).
pub type IndexJob = Box<dyn FnOnce(Option<IndexKey>) -> Result<Option<Index>> + Send>;

/// What one build made.
pub struct Built {
    /// Every file but the search index, or (when `removed` is `Some`) the files that changed.
    pub outputs: Vec<Output>,
    /// `None` when `outputs` is the whole site; otherwise the paths to drop, every other file
    /// of the last build staying as it is.
    pub removed: Option<Vec<String>>,
    /// How many issues were rendered, of how many.
    pub rendered: (usize, usize),
    /// The errors of the cards left out.
    pub errors: Vec<Diagnostic>,
    /// The search index, still to make (none with `search: false`).
    pub index: Option<IndexJob>,
    /// The paths of the files the build stopped before rendering, for a newer change: they
    /// stay pending ([`Site::pending`]) until the next build brings them.
    pub owed: Vec<String>,
}

/// Where the search index lives in the site ([`crate::publish::render::search::BUNDLE`]).
const INDEX: &str = crate::publish::render::search::BUNDLE;

/// Builds the site into `site`, or records why it could not be built. Returns a line for the
/// terminal.
fn rebuild(
    build: &Build,
    changed: Option<&[PathBuf]>,
    superseded: &AtomicBool,
    site: &Arc<Mutex<Site>>,
    announce: &dyn Fn(u64),
    style: Style,
) -> String {
    let started = Instant::now();
    let viewed: Vec<String> = {
        let mut site = site.lock().unwrap_or_else(PoisonError::into_inner);
        site.building = true;
        site.builds += 1;
        site.viewed.keys().cloned().collect()
    };
    let mut early_at = None;
    let mut announced = false;
    let asked = Asked {
        changed,
        viewed: &viewed,
        superseded,
    };
    let result = build(asked, &mut |early: Early| {
        let mut guard = site.lock().unwrap_or_else(PoisonError::into_inner);
        let errors = card_errors(&early.errors);
        let news = shows_news(&guard, &early.outputs, Some(&early.removed), &errors);
        for path in early.removed {
            guard.files.remove(&path);
        }
        guard
            .files
            .extend(early.outputs.into_iter().map(|o| (o.path, o.bytes)));
        guard.pending = early.pending.into_iter().collect();
        guard.error = None;
        guard.card_errors = errors;
        early_at = Some((started.elapsed(), guard.pending.len()));
        // A newer change already waits (the rename after an editor's temporary file, say):
        // its build announces, so that pages reload once for both, even if its pages read
        // as these. A build whose pages read as they were (a new folder's files seen twice)
        // announces nothing.
        if guard.record_news(news, superseded.load(Ordering::Relaxed)) {
            announced = true;
            announce(guard.version);
        }
    });
    let mut guard = site.lock().unwrap_or_else(PoisonError::into_inner);
    // What a build stopped before rendering, for a newer change, stays pending until the
    // next build brings it; a failed build shows its error on every page instead.
    guard.pending = match &result {
        Ok(built) => built.owed.iter().cloned().collect(),
        Err(_) => HashSet::new(),
    };
    guard.settled.notify_waiters();
    // After its early files, the rest changes only files whose requests waited for it:
    // no page needs to reload again, unless the build failed after all. A newer change
    // waiting (the build may have stopped for it) announces with its own build, and a build
    // whose pages read as they were announces nothing.
    match &result {
        Err(_) => {
            guard.version += 1;
            guard.unannounced = false;
        }
        Ok(built) if !announced => {
            let news = early_at.is_none()
                && shows_news(
                    &guard,
                    &built.outputs,
                    built.removed.as_deref(),
                    &card_errors(&built.errors),
                );
            guard.record_news(news, superseded.load(Ordering::Relaxed));
        }
        Ok(_) => {}
    }
    guard.building = false;
    let early = early_at.map_or_else(String::new, |(at, pending)| {
        format!("served in {} ms, {pending} files after; ", at.as_millis())
    });
    match result {
        Ok(Built {
            outputs,
            removed,
            rendered,
            errors,
            index,
            owed,
        }) => {
            let last = std::mem::take(&mut guard.files);
            // The last index serves until this build's is ready: a search meanwhile finds
            // what was there a moment ago, never nothing.
            let mut files: HashMap<String, Vec<u8>> = match removed {
                // Only what changed was made: the rest of the last build stays, its index
                // among it (a part is built only under the same `search` setting).
                Some(removed) => {
                    let mut files = last;
                    for path in removed {
                        files.remove(&path);
                    }
                    files
                }
                None => {
                    if index.is_none() {
                        guard.index_key = None;
                    }
                    last.into_iter()
                        .filter(|(path, _)| index.is_some() && path.starts_with(INDEX))
                        .collect()
                }
            };
            files.extend(outputs.into_iter().map(|o| (o.path, o.bytes)));
            guard.files = files;
            guard.error = None;
            if let Some(job) = index {
                index_later(job, Arc::clone(site), guard.builds);
            }
            let site = &mut *guard;
            let (issues, of) = rendered;
            let built = if issues == of {
                format!(
                    "{early}built {} files in {} ms",
                    site.files.len(),
                    started.elapsed().as_millis()
                )
            } else {
                format!(
                    "{early}rendered {issues} of {of} issue{} and the pages around them in {} ms",
                    if of == 1 { "" } else { "s" },
                    started.elapsed().as_millis()
                )
            };
            let built = match owed.len() {
                0 => built,
                left => format!(
                    "{early}stopped after {} ms for a newer save, {left} files left to it",
                    started.elapsed().as_millis()
                ),
            };
            site.card_errors = card_errors(&errors);
            if errors.is_empty() {
                return built;
            }
            format!(
                "{}{built}; the cards with these {} error{} are left out",
                diagnostic::render_all(&errors, style),
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            )
        }
        Err(error) => {
            guard.error = Some(describe(&error, Style::new(false)));
            describe(&error, style)
        }
    }
}

/// Whether `outputs`, with the files at `removed` gone (`None`: the whole site made again),
/// and the cards' `errors` show anything `site` does not show now.
fn shows_news(
    site: &Site,
    outputs: &[Output],
    removed: Option<&[String]>,
    errors: &Option<(usize, String)>,
) -> bool {
    let Some(removed) = removed else {
        return true;
    };
    site.error.is_some()
        || site.card_errors != *errors
        || removed.iter().any(|path| site.files.contains_key(path))
        || outputs
            .iter()
            .any(|output| site.files.get(&output.path) != Some(&output.bytes))
}

/// The banner's count and text of the cards' `errors`, if any.
fn card_errors(errors: &[Diagnostic]) -> Option<(usize, String)> {
    (!errors.is_empty()).then(|| {
        (
            errors.len(),
            diagnostic::render_all(errors, Style::new(false)),
        )
    })
}

/// How long the preview is quiet (no build under way) before it makes the search index: a
/// curator saving again and again gets the pages of each save at once, and the index of the
/// last one.
const QUIET: Duration = Duration::from_millis(500);

/// Makes the search index of build number `build` ([`Site::builds`]) on a thread of its own,
/// once no build has run for [`QUIET`], and swaps it in whole; nothing if a later build came
/// first, even one that showed nothing new (its own index will).
fn index_later(job: IndexJob, site: Arc<Mutex<Site>>, build: u64) {
    std::thread::spawn(move || {
        let last = loop {
            std::thread::sleep(QUIET);
            let site = site.lock().unwrap_or_else(PoisonError::into_inner);
            if site.builds != build {
                return;
            }
            if !site.building {
                break site.index_key;
            }
        };
        let started = Instant::now();
        let made = job(last);
        let mut site = site.lock().unwrap_or_else(PoisonError::into_inner);
        if site.builds != build {
            return;
        }
        match made {
            // The stories read as they did: the index already served stands.
            Ok(None) => say_err!("search index: unchanged, the stories read as before"),
            Ok(Some(Index { key, files, cached })) => {
                site.files.retain(|path, _| !path.starts_with(INDEX));
                let count = files.len();
                site.files
                    .extend(files.into_iter().map(|o| (o.path, o.bytes)));
                site.index_key = Some(key);
                say_err!(
                    "search index: {count} files {}in {} ms",
                    if cached { "from the cache " } else { "" },
                    started.elapsed().as_millis()
                );
            }
            Err(e) => say_err!("warning: {e}; search shows the last index"),
        }
    });
}

/// The error as the terminal and the error page show it: diagnostics with their snippets.
fn describe(error: &Error, style: Style) -> String {
    match error {
        Error::Invalid { diagnostics } => {
            let errors: Vec<_> = diagnostics
                .iter()
                .filter(|d| d.is_error())
                .cloned()
                .collect();
            let mut text = diagnostic::render_all(&errors, style);
            text.push_str(&format!(
                "{}: {error}",
                style.label(diagnostic::Severity::Error)
            ));
            text
        }
        other => format!("{}: {other}", style.label(diagnostic::Severity::Error)),
    }
}

/// The site's file a request for `path` (no query) names, and whether it names a folder
/// (with its `index.html` added): `None` for a path no file can have (a `..` segment, bad
/// percent-encoding).
fn file_key(path: &str) -> Option<(String, bool)> {
    let decoded = percent_decode(path)?;
    let segments: Vec<&str> = decoded.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .iter()
        .any(|s| *s == ".." || *s == "." || s.contains(['\\', '\0']))
    {
        return None;
    }
    let mut key = segments.join("/");
    let folder = key.is_empty() || decoded.ends_with('/');
    if folder {
        if !key.is_empty() {
            key.push('/');
        }
        key.push_str("index.html");
    }
    Some((key, folder))
}

/// Whether the answer to a GET for `url` waits for the build under way: it names a file
/// that build renders last ([`Site::pending`]).
pub fn waits(site: &Site, url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    !site.pending.is_empty() && file_key(path).is_some_and(|(key, _)| site.pending.contains(&key))
}

/// Answers a GET for `url` (path and query) from `site`.
pub fn respond(site: &Site, url: &str) -> Reply {
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path == VERSION_PATH {
        return Reply::new(
            200,
            "text/plain; charset=utf-8",
            site.version.to_string().into_bytes(),
        );
    }
    let Some((key, folder)) = file_key(path) else {
        return Reply::new(400, "text/plain; charset=utf-8", b"bad request\n".to_vec());
    };
    if !folder
        && !site.files.contains_key(&key)
        && site.files.contains_key(&format!("{key}/index.html"))
    {
        // Built from the cleaned segments: `//issues/x` must not become `//issues/x/`, which
        // a browser reads as another host.
        return Reply {
            location: Some(format!("/{key}/")),
            ..Reply::new(301, "text/plain; charset=utf-8", Vec::new())
        };
    }
    let content_type = content_type(&key);
    let is_page = content_type.starts_with("text/html");
    if let Some(error) = &site.error
        && is_page
    {
        return Reply::new(500, "text/html; charset=utf-8", error_page(error));
    }
    match site.files.get(&key) {
        Some(body) if is_page => {
            let body = match &site.card_errors {
                Some((count, text)) => with_banner(body, *count, text),
                None => body.clone(),
            };
            Reply::new(200, content_type, with_reload(&body))
        }
        Some(body) => Reply::new(200, content_type, body.clone()),
        None => {
            let body = site
                .files
                .get("404.html")
                .map_or_else(|| b"not found\n".to_vec(), |b| with_reload(b));
            Reply::new(404, "text/html; charset=utf-8", body)
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        // Module scripts (the search box's, Pagefind's) load only as JavaScript.
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("xml") if path.ends_with("feed.xml") => "application/atom+xml; charset=utf-8",
        Some("xml") => "application/xml; charset=utf-8",
        Some("md") => "text/markdown; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("ics") => "text/calendar; charset=utf-8",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// Puts a banner with the cards' errors at the top of a page's body (or before it all when
/// a template has no `<body>`), so a half-written card shows where the curator looks.
fn with_banner(page: &[u8], count: usize, errors: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let banner = format!(
        "<div role=\"alert\" style=\"margin:0;padding:.75rem 1rem;background:#fff4e5;color:#5c3c00;\
         border-bottom:3px solid #f59e0b;font:14px/1.45 system-ui,sans-serif\">\
         <strong>{count} error{} in the cards: those cards are left out of this preview.</strong>\
         <pre style=\"white-space:pre-wrap;margin:.5rem 0 0;font-size:13px\">{}</pre></div>",
        if count == 1 { "" } else { "s" },
        escape_html(errors)
    );
    let at = text
        .find("<body")
        .and_then(|start| text[start..].find('>').map(|end| start + end + 1))
        .unwrap_or(0);
    format!("{}{banner}{}", &text[..at], &text[at..]).into_bytes()
}

/// Splices the reload script before `</body>`, or at the end when a template has none.
fn with_reload(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    match text.rfind("</body>") {
        Some(at) => format!("{}{RELOAD_SCRIPT}{}", &text[..at], &text[at..]).into_bytes(),
        None => format!("{text}{RELOAD_SCRIPT}").into_bytes(),
    }
}

fn error_page(error: &str) -> Vec<u8> {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Build failed · briefing</title>\
         <style>body{{font:15px/1.5 system-ui,sans-serif;margin:2rem;background:#1b1d20;color:#e8e6e3}}\
         pre{{background:#000;padding:1rem;overflow:auto;border-left:4px solid #f87171}}</style></head>\
         <body><h1>The site could not be rebuilt</h1><p>Fix the problem below and save; this page reloads by itself.</p>\
         <pre>{}</pre>{RELOAD_SCRIPT}</body></html>",
        escape_html(error)
    )
    .into_bytes()
}

/// The path with `%XX` decoded; `None` when the result is not UTF-8. A `%` not followed by two
/// hex digits stays as it is, so such a path simply names no file.
fn percent_decode(path: &str) -> Option<String> {
    percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()
        .map(|text| text.into_owned())
}

/// Serves the newsletter at `paths` until the process is stopped.
///
/// # Errors
///
/// [`Error::Listen`] when the address cannot be bound, [`Error::WatchFiles`] when the folders
/// cannot be watched.
pub fn serve(paths: &Paths, options: &Options, build: Arc<Build>, style: Style) -> Result<()> {
    let site = Arc::new(Mutex::new(Site::default()));
    // Watched before the first build and before "serving" is said, so that a save made as
    // soon as the preview answers is never missed. Each change says whether the file it
    // touched is whole: a save is several events (the data, then the close or the rename),
    // and a rebuild between them would read half a card. The folder itself is watched too
    // (not recursively), so that `config.yaml` saved by renaming a new file over it, and a
    // `briefs/` or `templates/` made after the preview started, are seen; what else happens
    // in it ([`Watched::covers`]) is not a change.
    let (events, changes) = mpsc::channel::<Change>();
    // Set with every change sent: a build under way stops what it renders after its early
    // files, and leaves it to the build the change starts.
    let superseded = Arc::new(AtomicBool::new(false));
    let supersede = Arc::clone(&superseded);
    let watched = Watched::of(&paths.root);
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        use notify::EventKind::{Access, Create, Modify, Remove};
        use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind};
        let Ok(event) = event else {
            // The watcher lost track (its queue overflowed, say): whatever changed is read.
            supersede.store(true, Ordering::Relaxed);
            let _ = events.send(Change {
                whole: true,
                folders: false,
                rescan: true,
                paths: Vec::new(),
            });
            return;
        };
        let paths: Vec<PathBuf> = event
            .paths
            .iter()
            .filter_map(|path| watched.change_at(path).map(Path::to_path_buf))
            .collect();
        if paths.is_empty() && !event.need_rescan() {
            return;
        }
        // A new file is not whole until it is closed: its data comes after the create.
        let whole = match event.kind {
            Access(AccessKind::Close(AccessMode::Write))
            | Create(CreateKind::Folder)
            | Remove(_)
            | Modify(ModifyKind::Name(_)) => true,
            Access(_) => return,
            _ => false,
        };
        supersede.store(true, Ordering::Relaxed);
        let _ = events.send(Change {
            whole,
            folders: matches!(event.kind, Create(CreateKind::Folder))
                || event.paths.iter().any(|path| watched.is_folder(path)),
            rescan: event.need_rescan(),
            paths,
        });
    })
    .map_err(|source| Error::WatchFiles { path: None, source })?;
    watcher
        .watch(&paths.root, RecursiveMode::NonRecursive)
        .map_err(|source| Error::WatchFiles {
            path: Some(paths.root.clone()),
            source,
        })?;
    let mut folders = Folders {
        paths: vec![paths.briefs.clone(), paths.templates.clone()],
        watched: Vec::new(),
    };
    folders.watch_new(&mut watcher)?;
    say_err!(
        "{}",
        rebuild(&*build, None, &superseded, &site, &|_| {}, style)
    );

    let address = SocketAddr::new(options.bind, options.port);
    let listen_error = |source| Error::Listen { address, source };
    // Two threads answer every connection (tasks, not threads, each): idle clients cost
    // memory, never a thread apiece.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()
        .map_err(listen_error)?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(address))
        .map_err(listen_error)?;
    let address = listener
        .local_addr()
        .map_or_else(|_| address.to_string(), |a| a.to_string());
    let url = format!("http://{address}/");
    say!("serving {url} (Ctrl-C to stop)");
    let _ = std::io::stdout().flush();
    if !options.bind.is_loopback() {
        say_err!(
            "{}: serving on {} makes the preview reachable from other machines",
            style.label(diagnostic::Severity::Warning),
            options.bind
        );
    }

    let rebuild_site = Arc::clone(&site);
    let first = site.lock().unwrap_or_else(PoisonError::into_inner).version;
    let (announce, versions) = tokio::sync::watch::channel(first);

    std::thread::spawn(move || {
        // The rebuild starts as soon as the change is whole, with no fixed wait; what arrives
        // while it runs is taken by the next one, so a burst costs at most one more.
        while let Ok(mut change) = changes.recv() {
            let deadline = std::time::Instant::now() + SETTLE;
            while !change.whole {
                match changes
                    .recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
                {
                    Ok(next) => {
                        change.whole = next.whole;
                        change.absorb(next);
                    }
                    Err(_) => break,
                }
            }
            while let Ok(next) = changes.try_recv() {
                change.absorb(next);
            }
            // What came until now is in this build; what comes while it runs stops it.
            superseded.store(false, Ordering::Relaxed);
            let watch_new = |watcher: &mut _, folders: &mut Folders| {
                if let Err(e) = folders.watch_new(watcher) {
                    say_err!("warning: {e}; its changes need a restart of `serve`");
                }
            };
            if change.folders {
                watch_new(&mut watcher, &mut folders);
            }
            // A folder made may hold files written before its watch was set: all are read.
            let changed = (!change.folders && !change.rescan).then_some(change.paths.as_slice());
            // Pages reload once per version: a build that served its files early announces
            // that version then, and the same version once more at its end is no news.
            let announce_version = |version: u64| {
                announce.send_if_modified(|announced| {
                    let new = *announced != version;
                    *announced = version;
                    new
                });
            };
            say_err!(
                "{}",
                rebuild(
                    &*build,
                    changed,
                    &superseded,
                    &rebuild_site,
                    &announce_version,
                    style
                )
            );
            if change.folders {
                // A file written into a new folder before the watch on it was set (a new
                // week's folder and its first card, `mkdir -p templates/partials` and a
                // template) reports nothing: one more look a moment later reads it, and
                // watches `briefs/` or `templates/` if one was made meanwhile.
                std::thread::sleep(SETTLE);
                while changes.try_recv().is_ok() {}
                superseded.store(false, Ordering::Relaxed);
                watch_new(&mut watcher, &mut folders);
                say_err!(
                    "{}",
                    rebuild(
                        &*build,
                        None,
                        &superseded,
                        &rebuild_site,
                        &announce_version,
                        style
                    )
                );
            }
            let version = rebuild_site
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .version;
            announce_version(version);
        }
    });

    if options.open {
        open_browser(&url);
    }
    let settled = Arc::clone(&site.lock().unwrap_or_else(PoisonError::into_inner).settled);
    let state = Shared {
        site,
        bind: options.bind,
        hosts: Arc::new(options.hosts.clone()),
        versions,
        settled,
    };
    // Pages are answered a few at a time and each within a time limit; the event streams
    // stay open as long as their tabs do, so they are outside both.
    let pages = axum::Router::new()
        .fallback(answer)
        .with_state(state.clone())
        .layer(tower::limit::ConcurrencyLimitLayer::new(WORKERS))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    let app = axum::Router::new()
        .route(EVENTS_PATH, axum::routing::get(version_events))
        .with_state(state)
        .fallback_service(pages);
    // The watcher lives in the rebuild thread, which holds it as long as the process runs.
    let served = runtime.block_on(async { axum::serve(listener, app).await });
    served.map_err(|source| Error::Listen {
        address: SocketAddr::new(options.bind, options.port),
        source,
    })
}

/// One file event that matters to the preview.
struct Change {
    /// The file it touched is whole (closed after writing, renamed, removed).
    whole: bool,
    /// A folder was made, or `briefs/` or `templates/` itself moved or was removed.
    folders: bool,
    /// The watcher may have missed events: every file is read again.
    rescan: bool,
    /// The paths it touched, relative to the newsletter's folder.
    paths: Vec<PathBuf>,
}

impl Change {
    /// Takes in a later event of the same burst.
    fn absorb(&mut self, next: Change) {
        self.folders |= next.folders;
        self.rescan |= next.rescan;
        self.paths.extend(next.paths);
    }
}

/// The paths whose changes rebuild the preview: `config.yaml` and everything under `briefs/`
/// and `templates/`.
struct Watched {
    /// The newsletter's folder as given, made absolute, and with its links resolved: the
    /// watcher may report a change under any of them (notify makes a relative path absolute).
    roots: Vec<PathBuf>,
}

impl Watched {
    fn of(root: &Path) -> Watched {
        let mut roots = vec![root.to_path_buf()];
        roots.extend(std::path::absolute(root));
        roots.extend(std::fs::canonicalize(root));
        roots.dedup();
        Watched { roots }
    }

    /// `path` relative to the newsletter's folder, as the watcher reports it.
    fn inside<'p>(&self, path: &'p Path) -> Option<&'p Path> {
        self.roots
            .iter()
            .find_map(|root| path.strip_prefix(root).ok())
            // A relative root such as `.`: a relative event path is already inside it.
            .or_else(|| path.is_relative().then_some(path))
    }

    /// The path inside the newsletter's folder of a change at `path`, when it changes the
    /// preview. Files that are never read are not changes: hidden files (an editor's swap
    /// file) anywhere, and files under `briefs/` that are not YAML (the temporary file `sed
    /// -i` or an editor writes before renaming it over the card; the rename is the change). A
    /// path that is gone may have been a folder, and counts.
    fn change_at<'p>(&self, path: &'p Path) -> Option<&'p Path> {
        let inside = self.inside(path)?;
        if inside == Path::new("config.yaml") {
            return Some(inside);
        }
        let hidden = path.file_name().is_some_and(load::is_hidden);
        if hidden && !path.is_dir() {
            return None;
        }
        let counts = if inside.starts_with("briefs") {
            path.file_name().is_some_and(load::is_yaml) || !path.is_file()
        } else {
            inside.starts_with("templates")
        };
        counts.then_some(inside)
    }

    /// Whether `path` is `briefs/` or `templates/` itself.
    fn is_folder(&self, path: &Path) -> bool {
        self.inside(path)
            .is_some_and(|inside| inside == Path::new("briefs") || inside == Path::new("templates"))
    }
}

/// The folders watched recursively once they exist.
struct Folders {
    paths: Vec<PathBuf>,
    watched: Vec<PathBuf>,
}

impl Folders {
    /// Watches each folder that exists now and is not watched yet.
    fn watch_new(&mut self, watcher: &mut impl Watcher) -> Result<()> {
        for path in &self.paths {
            if path.is_dir() && !self.watched.contains(path) {
                watcher
                    .watch(path, RecursiveMode::Recursive)
                    .map_err(|source| Error::WatchFiles {
                        path: Some(path.clone()),
                        source,
                    })?;
                self.watched.push(path.clone());
            }
        }
        // A folder removed loses its watch with it: watched again if it comes back.
        self.watched.retain(|path| path.is_dir());
        Ok(())
    }
}

/// What every request's handler shares.
#[derive(Clone)]
struct Shared {
    site: Arc<Mutex<Site>>,
    bind: IpAddr,
    hosts: Arc<Vec<String>>,
    /// The build version, announced after every build.
    versions: tokio::sync::watch::Receiver<u64>,
    /// The site's [`Site::settled`].
    settled: Arc<tokio::sync::Notify>,
}

/// The build version as server-sent events: the current one at once, then each new one.
async fn version_events(
    axum::extract::State(shared): axum::extract::State<Shared>,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    use axum::response::sse::{Event, KeepAlive, Sse};
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok());
    if !host_allowed(host, shared.bind, &shared.hosts) {
        return (
            axum::http::StatusCode::MISDIRECTED_REQUEST,
            "not this host\n",
        )
            .into_response();
    }
    // The page the stream reloads counts as open as long as the stream lasts.
    let page = uri
        .query()
        .and_then(|query| query.split('&').find_map(|pair| pair.strip_prefix("page=")));
    let viewing = page.and_then(|page| Viewing::open(&shared.site, page));
    let stream = futures_util::stream::unfold(
        (shared.versions, true, viewing),
        |(mut versions, first, viewing)| async move {
            if !first && versions.changed().await.is_err() {
                return None;
            }
            let version = *versions.borrow_and_update();
            let event = Event::default().data(version.to_string());
            Some((
                Ok::<_, std::convert::Infallible>(event),
                (versions, false, viewing),
            ))
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// A page open in a browser, counted in [`Site::viewed`] until its event stream ends.
struct Viewing {
    site: Arc<Mutex<Site>>,
    path: String,
}

impl Viewing {
    /// Counts the page at `url` (percent-encoded, as a page's script sends its own path)
    /// as open, if the site has it: a stream naming no page of the site counts for nothing,
    /// so the count stays as small as the site.
    fn open(site: &Arc<Mutex<Site>>, url: &str) -> Option<Viewing> {
        let (path, _) = file_key(url)?;
        let mut guard = site.lock().unwrap_or_else(PoisonError::into_inner);
        if !guard.files.contains_key(&path) {
            return None;
        }
        *guard.viewed.entry(path.clone()).or_default() += 1;
        Some(Viewing {
            site: Arc::clone(site),
            path,
        })
    }
}

impl Drop for Viewing {
    fn drop(&mut self) {
        let mut site = self.site.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = site.viewed.get_mut(&self.path) {
            *count -= 1;
            if *count == 0 {
                site.viewed.remove(&self.path);
            }
        }
    }
}

async fn answer(
    axum::extract::State(shared): axum::extract::State<Shared>,
    method: axum::http::Method,
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::http::{Method, StatusCode, header};
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let reply = if !host_allowed(host, shared.bind, &shared.hosts) {
        Reply::new(
            421,
            "text/plain; charset=utf-8",
            b"this preview answers only for its own host names; see `briefing serve --host`\n"
                .to_vec(),
        )
    } else if method == Method::GET || method == Method::HEAD {
        let url = uri.path_and_query().map_or("/", |p| p.as_str());
        loop {
            // Listening before looking, so that the build's end between the two is not
            // missed.
            let notified = shared.settled.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let site = shared.site.lock().unwrap_or_else(PoisonError::into_inner);
                if !waits(&site, url) {
                    break respond(&site, url);
                }
            }
            notified.await;
        }
    } else {
        Reply::new(
            405,
            "text/plain; charset=utf-8",
            b"method not allowed\n".to_vec(),
        )
    };
    let mut response = axum::response::Response::new(axum::body::Body::from(reply.body));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(reply.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    if let Some(location) = reply
        .location
        .and_then(|l| header::HeaderValue::from_str(&l).ok())
    {
        headers.insert(header::LOCATION, location);
    }
    response
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    // The opener's own complaints (xdg-open tries half a dozen programs on a machine without
    // a browser, each with its error) are not the reader's business: one line says it all.
    let started = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let url = url.to_owned();
    let failed = move || say_err!("could not open a browser; open {url} yourself");
    match started {
        Err(_) => failed(),
        // It may wait for the browser it started: its verdict is awaited aside.
        Ok(mut child) => {
            std::thread::spawn(move || {
                if !child.wait().is_ok_and(|status| status.success()) {
                    failed();
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Regression: `//issues/x` was redirected to `//issues/x/`, another host.
    #[test]
    fn redirects_stay_on_this_host() {
        let mut site = site();
        site.files
            .insert("issues/x/index.html".to_owned(), b"<html></html>".to_vec());
        for url in ["//issues/x", "/issues//x", "/issues/x"] {
            let reply = respond(&site, url);
            assert_eq!(reply.status, 301, "{url}");
            assert_eq!(reply.location.as_deref(), Some("/issues/x/"), "{url}");
        }
    }

    #[test]
    fn only_its_own_host_names_are_answered() {
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        let extra = ["preview.example.org".to_owned()];
        for host in [
            "127.0.0.1:8000",
            "localhost:8000",
            "LOCALHOST",
            "[::1]:8000",
            "preview.example.org:443",
        ] {
            assert!(host_allowed(Some(host), loopback, &extra), "{host}");
        }
        for host in [
            "evil.example:8000",
            "127.0.0.1.evil.example",
            "",
            "[::2]:80",
        ] {
            assert!(!host_allowed(Some(host), loopback, &extra), "{host}");
        }
        assert!(!host_allowed(None, loopback, &extra));
        let lan: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(host_allowed(Some("192.0.2.7:8000"), lan, &[]));
    }

    #[test]
    fn the_calendar_is_served_as_a_calendar() {
        assert_eq!(content_type("watch.ics"), "text/calendar; charset=utf-8");
        assert_eq!(
            content_type("feed.xml"),
            "application/atom+xml; charset=utf-8"
        );
        assert_eq!(content_type("watch/index.html"), "text/html; charset=utf-8");
    }

    fn site() -> Site {
        let mut site = Site::default();
        for (path, body) in [
            ("index.html", "<html><body>home</body></html>"),
            (
                "issues/2026-w25/index.html",
                "<html><body>issue</body></html>",
            ),
            ("style.css", "body{}"),
            ("404.html", "<html><body>missing</body></html>"),
        ] {
            site.files.insert(path.to_owned(), body.as_bytes().to_vec());
        }
        site.version = 3;
        site
    }

    /// What a build of part of the site made: `outputs` changed, nothing removed, one issue
    /// of one rendered, no search index.
    fn part_built(outputs: Vec<Output>, errors: Vec<Diagnostic>) -> Built {
        Built {
            outputs,
            removed: Some(Vec::new()),
            rendered: (1, 1),
            errors,
            index: None,
            owed: Vec::new(),
        }
    }

    /// Rebuilds `site` with `build` as the watcher does (no changed paths named, plain
    /// text), announcing through `announce`; returns the version after.
    fn rebuilt(
        build: &Build,
        superseded: &AtomicBool,
        site: &Arc<Mutex<Site>>,
        announce: &dyn Fn(u64),
    ) -> u64 {
        rebuild(build, None, superseded, site, announce, Style::new(false));
        site.lock().unwrap().version
    }

    #[test]
    fn a_change_counts_however_the_watcher_writes_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let absolute = dir.path();
        let watched = Watched::of(absolute);
        let counts = |watched: &Watched, path: &Path| watched.change_at(path).is_some();
        assert!(counts(&watched, &absolute.join("config.yaml")));
        assert!(counts(&watched, &absolute.join("briefs/2026-W25/a.yaml")));
        assert!(counts(
            &watched,
            &absolute.join("templates/partials/footer.html")
        ));
        assert!(watched.is_folder(&absolute.join("templates")));
        assert!(!counts(&watched, &absolute.join("public/index.html")));
        assert!(!counts(&watched, &absolute.join(".config.yaml.swp")));
        // What `sed -i` and editors write before renaming over a card is not a change; the
        // card, a folder, and a path that is gone (a folder moved away, say) are.
        std::fs::create_dir_all(absolute.join("briefs/2026-W25")).unwrap();
        std::fs::write(absolute.join("briefs/2026-W25/sedX1b2c3"), "x").unwrap();
        std::fs::write(absolute.join("briefs/2026-W25/.card.yaml.swp"), "x").unwrap();
        std::fs::write(absolute.join("briefs/2026-W25/card.yaml"), "x").unwrap();
        assert!(!counts(
            &watched,
            &absolute.join("briefs/2026-W25/sedX1b2c3")
        ));
        assert!(!counts(
            &watched,
            &absolute.join("briefs/2026-W25/.card.yaml.swp")
        ));
        assert!(counts(
            &watched,
            &absolute.join("briefs/2026-W25/card.yaml")
        ));
        assert!(counts(&watched, &absolute.join("briefs/2026-W25")));
        assert!(counts(&watched, &absolute.join("briefs/2026-W26")));
        assert!(counts(&watched, &absolute.join("briefs/2026-W25/card.YML")));
        assert!(!counts(&watched, Path::new("/elsewhere/briefs/a.yaml")));
        // A relative folder, reported relative or absolute.
        let here = Watched::of(Path::new("."));
        let cwd = std::env::current_dir().unwrap();
        assert!(counts(&here, Path::new("./briefs/a.yaml")));
        assert!(counts(&here, Path::new("briefs/a.yaml")));
        assert!(counts(&here, &cwd.join("briefs/a.yaml")));
        assert!(counts(&here, &cwd.join("./config.yaml")));
        assert!(!counts(&here, &cwd.join("public/a.html")));
        // The path inside the folder, as `serve`'s rebuild reads it again.
        let card = Path::new("briefs/2026-W25/card.yaml");
        assert_eq!(watched.change_at(&absolute.join(card)), Some(card));
        let inside = Some(Path::new("briefs/a.yaml"));
        assert_eq!(here.change_at(Path::new("./briefs/a.yaml")), inside);
        assert_eq!(here.change_at(&cwd.join("briefs/a.yaml")), inside);
    }

    #[test]
    fn serves_pages_with_the_reload_script() {
        let reply = respond(&site(), "/issues/2026-w25/");
        assert_eq!(reply.status, 200);
        let body = String::from_utf8(reply.body).unwrap();
        assert!(body.starts_with("<html><body>issue<script>"), "{body}");
        assert!(body.ends_with("</script></body></html>"));
        assert_eq!(respond(&site(), "/").status, 200);
        assert_eq!(respond(&site(), "/style.css?v=1").body, b"body{}");
    }

    #[test]
    fn redirects_folders_without_a_slash() {
        let reply = respond(&site(), "/issues/2026-w25");
        assert_eq!(
            (reply.status, reply.location.as_deref()),
            (301, Some("/issues/2026-w25/"))
        );
    }

    #[test]
    fn refuses_to_leave_the_site() {
        for url in [
            "/../Cargo.toml",
            "/issues/../../etc/passwd",
            "/%2e%2e/secret",
            "/a%5c..%5cb",
            "/%ff",
        ] {
            let status = respond(&site(), url).status;
            assert!(status == 400 || status == 404, "{url}: {status}");
            assert_ne!(status, 200, "{url}");
        }
        assert_eq!(respond(&site(), "/../Cargo.toml").status, 400);
    }

    #[test]
    fn missing_pages_get_the_404_page() {
        let reply = respond(&site(), "/nope/");
        assert_eq!(reply.status, 404);
        assert!(String::from_utf8(reply.body).unwrap().contains("missing"));
    }

    #[test]
    fn a_failed_build_shows_its_error_on_every_page_but_keeps_assets() {
        let mut site = site();
        site.error = Some("briefs/x.yaml:2:7: error: `date` <bad>".to_owned());
        let reply = respond(&site, "/issues/2026-w25/");
        assert_eq!(reply.status, 500);
        let body = String::from_utf8(reply.body).unwrap();
        assert!(
            body.contains("briefs/x.yaml:2:7: error: `date` &lt;bad&gt;"),
            "{body}"
        );
        assert!(body.contains("/__briefing/events"));
        assert_eq!(respond(&site, "/style.css").status, 200);
    }

    #[test]
    fn the_version_endpoint_counts_builds() {
        assert_eq!(respond(&site(), VERSION_PATH).body, b"3");
    }

    /// What the handlers share, serving `site` on loopback.
    fn shared(
        site: &Arc<Mutex<Site>>,
        versions: tokio::sync::watch::Receiver<u64>,
        settled: Arc<tokio::sync::Notify>,
    ) -> Shared {
        Shared {
            site: Arc::clone(site),
            bind: IpAddr::from([127, 0, 0, 1]),
            hosts: Arc::new(Vec::new()),
            versions,
            settled,
        }
    }

    /// A request's headers naming the loopback host.
    fn loopback_host() -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::HOST,
            axum::http::HeaderValue::from_static("127.0.0.1"),
        );
        headers
    }

    // A file the build under way renders last is answered once it is ready, never as it
    // was before the edit; every other file is answered at once meanwhile.
    #[test]
    fn a_request_for_a_file_still_rendering_waits_for_it() {
        let mut pending = site();
        pending
            .pending
            .insert("issues/2026-w25/index.html".to_owned());
        let settled = Arc::clone(&pending.settled);
        let site = Arc::new(Mutex::new(pending));
        let (_announce, versions) = tokio::sync::watch::channel(3);
        let shared = shared(&site, versions, settled);
        let get = |path: &'static str| {
            answer(
                axum::extract::State(shared.clone()),
                axum::http::Method::GET,
                loopback_host(),
                axum::http::Uri::from_static(path),
            )
        };
        let body = |response: axum::response::Response| async move {
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let waiting = tokio::spawn(get("/issues/2026-w25/"));
            let home = tokio::time::timeout(Duration::from_secs(5), get("/")).await;
            assert!(body(home.unwrap()).await.contains("home"));
            tokio::time::sleep(Duration::from_millis(200)).await;
            assert!(!waiting.is_finished(), "answered before its file was ready");
            {
                let mut site = site.lock().unwrap();
                site.files.insert(
                    "issues/2026-w25/index.html".to_owned(),
                    b"<html><body>issue, edited</body></html>".to_vec(),
                );
                site.pending.clear();
                site.settled.notify_waiters();
            }
            let answered = tokio::time::timeout(Duration::from_secs(5), waiting)
                .await
                .unwrap()
                .unwrap();
            assert!(body(answered).await.contains("issue, edited"));
        });
    }

    #[test]
    fn an_event_stream_counts_its_page_as_open_while_it_lasts() {
        let site = Arc::new(Mutex::new(site()));
        let (_announce, versions) = tokio::sync::watch::channel(3);
        let shared = shared(&site, versions, Arc::new(tokio::sync::Notify::new()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        // The streams' keep-alive timers are made and dropped within it.
        let _entered = runtime.enter();
        let open = |uri: &'static str| {
            runtime.block_on(version_events(
                axum::extract::State(shared.clone()),
                loopback_host(),
                axum::http::Uri::from_static(uri),
            ))
        };
        let viewed = || {
            let site = site.lock().unwrap();
            let mut viewed: Vec<(String, usize)> =
                site.viewed.iter().map(|(p, n)| (p.clone(), *n)).collect();
            viewed.sort();
            viewed
        };
        let issue = "/__briefing/events?page=%2Fissues%2F2026-w25%2F";
        let (one, two) = (open(issue), open(issue));
        let home = open("/__briefing/events?page=%2F");
        // A page the site does not have, a path out of it, no page: nothing counted.
        let others = [
            open("/__briefing/events?page=%2Fnowhere%2F"),
            open("/__briefing/events?page=%2F..%2F..%2Fetc%2Fpasswd"),
            open("/__briefing/events"),
        ];
        assert_eq!(
            viewed(),
            [
                ("index.html".to_owned(), 1),
                ("issues/2026-w25/index.html".to_owned(), 2)
            ]
        );
        drop((one, home, others));
        assert_eq!(viewed(), [("issues/2026-w25/index.html".to_owned(), 1)]);
        drop(two);
        assert_eq!(viewed(), []);
    }

    #[test]
    fn files_a_stopped_build_left_stay_pending_until_a_build_brings_them() {
        let site = Arc::new(Mutex::new(site()));
        let issue = "issues/2026-w25/index.html";
        let announced = Mutex::new(Vec::new());
        let announce = |version: u64| announced.lock().unwrap().push(version);
        let built = |outputs: Vec<Output>, owed: Vec<String>| Built {
            rendered: (2, 2),
            owed,
            ..part_built(outputs, Vec::new())
        };
        // Hands its early files over, then a newer change comes and it stops: the early
        // version is announced, the end is no news.
        let stopped = move |asked: Asked<'_>, early: &mut dyn FnMut(Early)| -> Result<Built> {
            early(Early {
                outputs: vec![Output::text("index.html", "home, edited".to_owned())],
                removed: Vec::new(),
                pending: vec![issue.to_owned()],
                errors: Vec::new(),
            });
            asked.superseded.store(true, Ordering::Relaxed);
            Ok(built(Vec::new(), vec![issue.to_owned()]))
        };
        let superseded = AtomicBool::new(false);
        let line = rebuild(
            &stopped,
            None,
            &superseded,
            &site,
            &announce,
            Style::new(false),
        );
        assert!(
            line.contains("stopped after") && line.contains("1 files left to it"),
            "{line}"
        );
        assert_eq!(*announced.lock().unwrap(), [4]);
        {
            let site = site.lock().unwrap();
            assert_eq!(site.version, 4);
            assert!(waits(&site, "/issues/2026-w25/"));
            assert!(!waits(&site, "/"));
            assert!(respond(&site, "/").body.starts_with(b"home, edited"));
        }
        // The newer change came before its early files (an editor's temporary file, then
        // the rename): they are served, but the build that follows announces, once.
        superseded.store(false, Ordering::Relaxed);
        let came_first = move |asked: Asked<'_>, early: &mut dyn FnMut(Early)| -> Result<Built> {
            asked.superseded.store(true, Ordering::Relaxed);
            early(Early {
                outputs: vec![Output::text("index.html", "home, edited again".to_owned())],
                removed: Vec::new(),
                pending: vec![issue.to_owned()],
                errors: Vec::new(),
            });
            Ok(built(Vec::new(), vec![issue.to_owned()]))
        };
        rebuilt(&came_first, &superseded, &site, &announce);
        assert_eq!(*announced.lock().unwrap(), [4]);
        {
            let site = site.lock().unwrap();
            assert_eq!(site.version, 4, "announced by the next build");
            assert!(waits(&site, "/issues/2026-w25/"));
            assert!(respond(&site, "/").body.starts_with(b"home, edited again"));
        }
        // The next build renders what was left: nothing waits any more, the page reads as
        // edited, and the version moves once.
        let brings = move |_: Asked<'_>, _: &mut dyn FnMut(Early)| -> Result<Built> {
            let edited = Output::text(issue, "<html><body>issue, edited</body></html>".to_owned());
            Ok(built(vec![edited], Vec::new()))
        };
        superseded.store(false, Ordering::Relaxed);
        rebuilt(&brings, &superseded, &site, &announce);
        let site = site.lock().unwrap();
        assert!(!waits(&site, "/issues/2026-w25/"));
        let page = String::from_utf8(respond(&site, "/issues/2026-w25/").body).unwrap();
        assert!(page.contains("issue, edited"), "{page}");
        assert_eq!(site.version, 5);
    }

    // A new week's folder: the build its creation starts reads the card written into it,
    // then the card's own events start another, which makes the same pages. Pages reload
    // once, for the first.
    #[test]
    fn a_build_whose_pages_read_as_they_were_announces_nothing() {
        let site = Arc::new(Mutex::new(site()));
        let announced = Mutex::new(Vec::new());
        let announce = |version: u64| announced.lock().unwrap().push(version);
        let issue = "issues/2026-w25/index.html";
        let served = |path: &str| site.lock().unwrap().files[path].clone();
        let (home, page) = (served("index.html"), served(issue));
        let same = |removed: Vec<String>, errors: Vec<Diagnostic>| {
            let (home, page) = (home.clone(), page.clone());
            move |_: Asked<'_>, early: &mut dyn FnMut(Early)| -> Result<Built> {
                early(Early {
                    outputs: vec![Output {
                        path: "index.html".to_owned(),
                        bytes: home.clone(),
                    }],
                    removed: removed.clone(),
                    pending: vec![issue.to_owned()],
                    errors: errors.clone(),
                });
                Ok(part_built(
                    vec![Output {
                        path: issue.to_owned(),
                        bytes: page.clone(),
                    }],
                    errors.clone(),
                ))
            }
        };
        let superseded = AtomicBool::new(false);
        let run = |build: &Build| rebuilt(build, &superseded, &site, &announce);
        assert_eq!(run(&same(Vec::new(), Vec::new())), 3);
        assert!(announced.lock().unwrap().is_empty());
        // Each of these shows something new: a file gone, a card's error.
        assert_eq!(run(&same(vec!["style.css".to_owned()], Vec::new())), 4);
        let error = Diagnostic {
            severity: diagnostic::Severity::Error,
            path: PathBuf::from("briefs/a.yaml"),
            pos: diagnostic::Pos { line: 1, col: 1 },
            message: "`title` is missing".to_owned(),
            help: None,
            line_text: None,
        };
        assert_eq!(run(&same(Vec::new(), vec![error.clone()])), 5);
        assert_eq!(run(&same(Vec::new(), vec![error])), 5);
        assert_eq!(*announced.lock().unwrap(), [4, 5]);
    }

    // The second of two builds for one save shows nothing new (same version), yet only its
    // search index is made: the first's would be made for nothing, and report "unchanged"
    // after the real one.
    #[test]
    fn only_the_last_of_two_builds_makes_the_search_index() {
        let site = Arc::new(Mutex::new(site()));
        let made = Arc::new(Mutex::new(Vec::new()));
        let with_index = |name: &'static str| {
            let made = Arc::clone(&made);
            move |_: Asked<'_>, _: &mut dyn FnMut(Early)| -> Result<Built> {
                let made = Arc::clone(&made);
                Ok(Built {
                    index: Some(Box::new(move |_| {
                        made.lock().unwrap().push(name);
                        Ok(None)
                    })),
                    ..part_built(Vec::new(), Vec::new())
                })
            }
        };
        let superseded = AtomicBool::new(false);
        for name in ["first", "second"] {
            let version = rebuilt(&with_index(name), &superseded, &site, &|_| {});
            assert_eq!(version, 3, "neither build showed news");
        }
        let started = Instant::now();
        while made.lock().unwrap().is_empty() && started.elapsed() < QUIET * 10 {
            std::thread::sleep(QUIET / 10);
        }
        std::thread::sleep(QUIET * 2);
        assert_eq!(*made.lock().unwrap(), ["second"]);
    }

    // A new week's folder: the build its creation starts sees the card, and the card's own
    // events already wait, so it serves the new issue without announcing it. The next build
    // makes the same files: its pages read as served, and yet the reload is still owed.
    #[test]
    fn files_a_superseded_build_served_are_announced_by_the_next_build() {
        let site = Arc::new(Mutex::new(site()));
        let announced = Mutex::new(Vec::new());
        let announce = |version: u64| announced.lock().unwrap().push(version);
        let new_issue = "issues/2026-w26/index.html";
        let serves_new_issue = |newer_waits: bool| {
            move |asked: Asked<'_>, early: &mut dyn FnMut(Early)| -> Result<Built> {
                asked.superseded.store(newer_waits, Ordering::Relaxed);
                early(Early {
                    outputs: vec![Output::text(new_issue, "<p>next week</p>".to_owned())],
                    removed: Vec::new(),
                    pending: Vec::new(),
                    errors: Vec::new(),
                });
                Ok(part_built(Vec::new(), Vec::new()))
            }
        };
        let superseded = AtomicBool::new(false);
        let run = |build: &Build| rebuilt(build, &superseded, &site, &announce);
        assert_eq!(run(&serves_new_issue(true)), 3, "a newer change waits");
        assert!(announced.lock().unwrap().is_empty());
        superseded.store(false, Ordering::Relaxed);
        assert_eq!(run(&serves_new_issue(false)), 4);
        assert_eq!(*announced.lock().unwrap(), [4]);
        // Announced once: the same files again are no news.
        assert_eq!(run(&serves_new_issue(false)), 4);
        assert_eq!(*announced.lock().unwrap(), [4]);
    }
}
