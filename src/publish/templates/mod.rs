//! The minijinja environment: built-in templates, the user's overrides, and our filters.
//!
//! Built-ins are the files of the repository's `templates/`, embedded at compile time. Every
//! file in the newsletter's `templates/` replaces the built-in of the same name; each built-in
//! also stays reachable as `builtin/<name>`, so an override can extend it and change one block.
//! Overrides are loaded eagerly: a syntax error is reported, with file and line, before
//! anything renders. Undefined variables are errors.
//!
//! Escaping follows the output format, chosen by the template's extension: `.html` and `.xml`
//! escape HTML, `.md` escapes Markdown syntax, `.txt` and `.css` print text as it is. The
//! `markdown` filters render card Markdown for the format of the template that calls them.

//!
//! Cut by concern: this file builds the environment from the built-ins and the overrides;
//! [`filters`] holds the filters, `markdown_cache` the HTML of card Markdown they reuse,
//! [`errors`] turns a minijinja error into ours, and `older` knows the built-ins of earlier
//! versions.

mod errors;
mod filters;
mod markdown_cache;
mod older;
#[cfg(test)]
mod tests;
pub mod uses;

use std::fs;
use std::path::Path;

use minijinja::{AutoEscape, Environment, Error as JinjaError, ErrorKind, UndefinedBehavior};

use crate::content::load;
use crate::content::markdown::{self, Escape, write_escaped_html};
use crate::error::{Error, Result};

pub use errors::template_error;
pub use markdown_cache::{MARKDOWN_CACHE, MarkdownCache};
pub use older::older_copies;

macro_rules! builtins {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../templates/", $name)))),*]
    };
}

/// Every built-in template: name and source.
pub const BUILTINS: &[(&str, &str)] = builtins![
    "404.html",
    "archive.html",
    "base.html",
    "confirm-email.html",
    "confirm-email.txt",
    "confirm.html",
    "email.css",
    "email.html",
    "email.txt",
    "favicon.svg",
    "feed.xml",
    "home.html",
    "issue.html",
    "issue.md",
    "partials/follow-ups.html",
    "partials/footer.html",
    "partials/header.html",
    "partials/issue-body.html",
    "partials/pager.html",
    "partials/signup.html",
    "partials/story.html",
    "partials/story.md",
    "partials/story.txt",
    "redirect.html",
    "robots.txt",
    "search.html",
    "search.js",
    "sitemap.xml",
    "story.html",
    "style.css",
    "subscribe.html",
    "tag.html",
    "tags.html",
    "unsubscribe.html",
    "watch.html",
    "welcome-email.html",
    "welcome-email.txt",
];

/// What each built-in template makes, in one line (`briefing templates list`).
pub const PURPOSES: &[(&str, &str)] = &[
    ("404.html", "the page for an address the site does not have"),
    (
        "archive.html",
        "the archive: every issue, newest first, with its stories",
    ),
    (
        "base.html",
        "the frame of every web page: head, header, footer",
    ),
    (
        "confirm-email.html",
        "the confirmation request `listen` mails (HTML part)",
    ),
    (
        "confirm-email.txt",
        "the confirmation request `listen` mails (text part)",
    ),
    (
        "confirm.html",
        "`listen`'s page behind a confirmation link, and its answers",
    ),
    (
        "email.css",
        "the email's styles, inlined into every message",
    ),
    ("email.html", "an issue as email (HTML part)"),
    ("email.txt", "an issue as email (text part)"),
    ("favicon.svg", "the site's icon"),
    ("feed.xml", "the Atom feed of the newest issues"),
    (
        "home.html",
        "the home page: the latest issue and the recent ones",
    ),
    ("issue.html", "an issue's web page"),
    ("issue.md", "an issue's Markdown digest (digest.md)"),
    (
        "partials/follow-ups.html",
        "\"Last time we said to watch…\", in pages, email and feed",
    ),
    (
        "partials/footer.html",
        "the footer of pages and email: promise, unsubscribe, address",
    ),
    ("partials/header.html", "the masthead of pages and email"),
    (
        "partials/issue-body.html",
        "an issue's stories, shared by its page and the home page",
    ),
    (
        "partials/pager.html",
        "the links to the previous and next issue",
    ),
    (
        "partials/signup.html",
        "the sign-up form (footer and home page)",
    ),
    (
        "partials/story.html",
        "one story in pages and the HTML email",
    ),
    ("partials/story.md", "one story in the Markdown digest"),
    ("partials/story.txt", "one story in the text email"),
    (
        "redirect.html",
        "the page at an old address that sends readers on",
    ),
    ("robots.txt", "robots.txt, naming the sitemap"),
    (
        "search.html",
        "the search page: every result of a query, and the way without JavaScript",
    ),
    (
        "search.js",
        "the script of the search box and the search page (on Pagefind's index)",
    ),
    ("sitemap.xml", "the sitemap of every page"),
    ("story.html", "a story's own page (its permalink)"),
    ("style.css", "the site's styles"),
    ("subscribe.html", "`listen`'s sign-up page, and its answers"),
    ("tag.html", "the page of one tag's stories"),
    ("tags.html", "the page listing every tag"),
    (
        "unsubscribe.html",
        "`listen`'s unsubscribe page, and its answers",
    ),
    (
        "watch.html",
        "the \"what to watch\" page: open and resolved items",
    ),
    (
        "welcome-email.html",
        "the welcome `listen` mails a reader who confirmed (HTML part)",
    ),
    (
        "welcome-email.txt",
        "the welcome `listen` mails a reader who confirmed (text part)",
    ),
];

/// A newsletter's own copy of a template, and how it stands to the built-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    /// No copy: the built-in is used.
    None,
    /// A copy with edits of its own.
    Edited,
    /// A copy byte for byte the built-in (ejected and not edited yet).
    Unchanged,
    /// A copy of the built-in of an earlier version: it hides the current one's fixes.
    Older,
    /// A template of the newsletter's own, with no built-in of its name.
    Own,
}

/// Every built-in template with its purpose and the newsletter's copy under `dir`, then
/// the newsletter's own templates, by name.
///
/// # Errors
///
/// As [`environment`] when a template file cannot be read.
pub fn list(dir: &Path) -> Result<Vec<(String, &'static str, Copy)>> {
    let overrides = read_overrides(dir)?;
    let older = older_copies(dir)?;
    let mut listed: Vec<(String, &'static str, Copy)> = BUILTINS
        .iter()
        .map(|(name, source)| {
            let purpose = PURPOSES
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, p)| *p);
            let copy = match overrides.iter().find(|(n, _)| n == name) {
                None => Copy::None,
                Some(_) if older.iter().any(|n| n == name) => Copy::Older,
                Some((_, text)) if text == source => Copy::Unchanged,
                Some(_) => Copy::Edited,
            };
            ((*name).to_owned(), purpose, copy)
        })
        .collect();
    for (name, _) in overrides {
        if !BUILTINS.iter().any(|(b, _)| *b == name) {
            listed.push((name, "", Copy::Own));
        }
    }
    Ok(listed)
}

/// How many instructions one render may run. The largest page of a 10,000-card archive (the
/// sitemap) needs a small fraction of this; two nested `range(10000)` loops need more.
pub const FUEL: u64 = 50_000_000;

/// The most one render may write: a page of a large archive is a few hundred kilobytes, and
/// a template that doubles a string in a loop stops here, naming its line, instead of taking
/// the machine's memory.
pub const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// Renders `template` with `context`, at most [`MAX_OUTPUT`] bytes of it.
///
/// # Errors
///
/// minijinja's error, with its line: a write past the cap is a `WriteFailure` that
/// [`template_error`] words.
pub fn render(
    template: &minijinja::Template<'_, '_>,
    context: impl serde::Serialize,
) -> std::result::Result<String, JinjaError> {
    let mut out = Capped(Vec::new());
    template.render_captured_to(context, &mut out)?;
    // Templates and values are strings, so the output is UTF-8; a lossy copy never panics.
    Ok(String::from_utf8(out.0)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// A buffer that refuses to grow past twice [`MAX_OUTPUT`].
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        // Values are counted against the cap as they are formatted (with the line); this
        // bounds the template's own text repeated by loops, at twice the cap.
        if self.0.len() + bytes.len() > 2 * MAX_OUTPUT {
            return Err(std::io::Error::other(OUTPUT_TOO_LARGE));
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bytes of values one render has written so far.
#[derive(Debug, Default)]
struct OutputCounter(std::sync::atomic::AtomicUsize);

impl minijinja::value::Object for OutputCounter {}

const OUTPUT_COUNTER: &str = "briefing.output-bytes";

/// The words of a write past [`MAX_OUTPUT`].
pub(crate) const OUTPUT_TOO_LARGE: &str = "the output grew past 16 MB";

/// The auto-escape name for Markdown output.
pub(crate) const MARKDOWN_ESCAPE: &str = "markdown";

/// Builds the environment from the built-ins and the files under `templates_dir`.
///
/// # Errors
///
/// [`Error::Template`] naming the first file that does not compile (minijinja's message shows
/// its line), or [`Error::TemplateFile`] when an override cannot be read.
pub fn environment(templates_dir: &Path, language: &str) -> Result<Environment<'static>> {
    let mut env = Environment::new();
    // Bounds each render: a template with loops inside loops fails, naming its line, instead
    // of running for hours.
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_debug(true);
    env.set_keep_trailing_newline(true);
    env.set_auto_escape_callback(|name| match name.rsplit('.').next() {
        Some("html" | "htm" | "xml") => AutoEscape::Html,
        Some("md") => AutoEscape::Custom(MARKDOWN_ESCAPE),
        _ => AutoEscape::None,
    });
    env.set_formatter(|out, state, value| {
        // Counted here, where the error gets the template's line: a string that doubles in a
        // loop stops at the cap. (The writer's own cap in `render` catches the rest.)
        let written = state.get_or_set_temp_object(OUTPUT_COUNTER, OutputCounter::default);
        let size = value.as_str().map_or(0, str::len);
        let total = written
            .0
            .fetch_add(size, std::sync::atomic::Ordering::Relaxed)
            + size;
        if total > MAX_OUTPUT {
            return Err(JinjaError::new(ErrorKind::WriteFailure, OUTPUT_TOO_LARGE));
        }
        let escape: fn(&str) -> String = match state.auto_escape() {
            AutoEscape::Custom(MARKDOWN_ESCAPE) => markdown::escape,
            // minijinja's own HTML escaper also encodes `/`, which is legal but turns every
            // URL in a sitemap or feed into `https:&#x2f;&#x2f;…`; quoted attributes and
            // text need only these five.
            AutoEscape::Html => markdown::escape_html,
            _ => return minijinja::escape_formatter(out, state, value),
        };
        if value.is_safe() {
            return minijinja::escape_formatter(out, state, value);
        }
        if value.is_none() || value.is_undefined() {
            return Ok(());
        }
        let written = match value.as_str() {
            // Most values are strings: escape them straight into the output.
            Some(text) if state.auto_escape() == AutoEscape::Html => {
                write_escaped_html(out, text, Escape::Template)
            }
            Some(text) => out.write_str(&escape(text)),
            None => out.write_str(&escape(&value.to_string())),
        };
        written.map_err(|_| JinjaError::new(ErrorKind::WriteFailure, "cannot write output"))
    });
    filters::register(&mut env, language);

    for (name, source) in BUILTINS {
        add(&mut env, name.to_string(), source.to_string())?;
        add(&mut env, format!("builtin/{name}"), source.to_string())?;
    }
    for (name, source) in read_overrides(templates_dir)? {
        add(&mut env, name, source)?;
    }
    Ok(env)
}

fn add(env: &mut Environment<'static>, name: String, source: String) -> Result<()> {
    env.add_template_owned(name.clone(), source)
        .map_err(|e| template_error(&name, &e))
}

/// Every file under `dir` as (name relative to `dir` with `/`, text), sorted.
///
/// Each is read as cards are ([`load::read_capped`]): a regular file inside the newsletter
/// folder, at most 1 MiB. A template linked from outside the folder would be published into
/// every page; a FIFO would block the build.
pub(crate) fn read_overrides(dir: &Path) -> Result<Vec<(String, String)>> {
    let real_root = load::real_root(dir.parent().unwrap_or(dir));
    let mut found = Vec::new();
    collect(dir, "", &real_root, &mut found)?;
    found.sort();
    Ok(found)
}

fn collect(
    dir: &Path,
    prefix: &str,
    real_root: &Path,
    out: &mut Vec<(String, String)>,
) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let name = file_name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        // Folders are entered only when they are folders, not links to one.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            if prefix.matches('/').count() < 8 {
                collect(&path, &format!("{rel}/"), real_root, out)?;
            }
            continue;
        }
        match load::read_capped(real_root, &path) {
            load::Content::Text(text) => out.push((rel, text)),
            content => {
                let (problem, help) = content.problem().unwrap_or_default();
                return Err(Error::TemplateFile {
                    path,
                    problem: format!("{problem}; {help}"),
                });
            }
        }
    }
    Ok(())
}
