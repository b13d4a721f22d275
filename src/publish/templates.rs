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

use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use minijinja::{
    AutoEscape, Environment, Error as JinjaError, ErrorKind, State, UndefinedBehavior, Value,
};
// Markdown texts are looked up by their whole text, hundreds of bytes: Fx hashes them quicker.
use rustc_hash::FxHashMap as HashMap;

use crate::content::{dates, load, markdown};
use crate::error::{Error, Result};

macro_rules! builtins {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../templates/", $name)))),*]
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
    "sitemap.xml",
    "story.html",
    "style.css",
    "subscribe.html",
    "tag.html",
    "tags.html",
    "unsubscribe.html",
    "watch.html",
];

/// How many instructions one render may run. The largest page of a 10,000-card archive (the
/// sitemap) needs a small fraction of this; two nested `range(10000)` loops need more.
pub const FUEL: u64 = 50_000_000;

/// The auto-escape name for Markdown output.
const MARKDOWN_ESCAPE: &str = "markdown";

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
        let escape: fn(&str) -> String = match state.auto_escape() {
            AutoEscape::Custom(MARKDOWN_ESCAPE) => markdown::escape,
            // minijinja's own HTML escaper also encodes `/`, which is legal but turns every
            // URL in a sitemap or feed into `https:&#x2f;&#x2f;…`; quoted attributes and
            // text need only these five.
            AutoEscape::Html => escape_html,
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
            Some(text) if state.auto_escape() == AutoEscape::Html => write_escaped_html(out, text),
            Some(text) => out.write_str(&escape(text)),
            None => out.write_str(&escape(&value.to_string())),
        };
        written.map_err(|_| JinjaError::new(ErrorKind::WriteFailure, "cannot write output"))
    });
    register_filters(&mut env, language);

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

/// Describes a minijinja error by the innermost template and line it happened at (an error
/// inside an included partial names the partial), with the lines around it.
pub fn template_error(name: &str, error: &JinjaError) -> Error {
    let mut innermost = error;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(inner) = cause.downcast_ref::<JinjaError>()
            && inner.line().is_some()
        {
            innermost = inner;
        }
        source = cause.source();
    }
    let message = match (innermost.kind(), innermost.detail()) {
        (ErrorKind::OutOfFuel, _) => format!(
            "the template ran too long (over {FUEL} steps): look for a loop that never ends, \
             or loops inside loops over large ranges"
        ),
        (kind, Some(detail)) => format!("{kind}: {detail}"),
        (kind, None) => kind.to_string(),
    };
    let mut detail = match innermost.line() {
        Some(line) => format!("line {line}: {message}"),
        None => message,
    };
    if let (Some(source), Some(line)) = (innermost.template_source(), innermost.line()) {
        let first = line.saturating_sub(2).max(1);
        let mut line_start = 0;
        for (number, text) in source
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, t)| (i + 1, t))
        {
            if number >= first && number <= line + 1 {
                let marker = if number == line { ">" } else { " " };
                let _ = write!(detail, "\n{marker} {number:>4} | {}", text.trim_end());
            }
            // Underline the offending expression when the error knows its span.
            if number == line
                && let Some(range) = innermost.range()
                && range.start >= line_start
                && range.start < line_start + text.len()
            {
                let col = source[line_start..range.start].chars().count();
                let width = source[range.start..range.end.min(line_start + text.len())]
                    .chars()
                    .count()
                    .max(1);
                let _ = write!(
                    detail,
                    "\n       | {}{}",
                    " ".repeat(col),
                    "^".repeat(width)
                );
            }
            line_start += text.len();
        }
    }
    Error::Template {
        name: innermost.name().unwrap_or(name).to_owned(),
        detail,
    }
}

/// The SHA-256 of every earlier version of each built-in template that a release shipped: a
/// newsletter's copy equal to one was ejected from an older briefing and now hides the
/// current built-in's fixes. When a built-in changes, add its old digest here (made from the
/// repository's history of `templates/`); a test checks that no current version is listed.
pub const OLDER_BUILTINS: &[(&str, &str)] = &[
    (
        "email.html",
        "b6faa275eaa60516d2827a2ff6eec13bfc5a537e4933fb721b3e7446608989b3",
    ),
    (
        "email.css",
        "fe8cb3efd470ded9a6be78c22f9ffe257ad1bfedc445638cc32ef8c18f62942d",
    ),
    (
        "partials/footer.html",
        "08941dbe942653835b0296db72d9be04a5bce57e405028e2dfdfe92cffc92c80",
    ),
    (
        "style.css",
        "8824c7da3ec8b21ef472208ee3b1cb3c18d74c327f4aaabd8dd1c8dd34da8ce5",
    ),
    (
        "base.html",
        "178449a8b3ef2fd468157f734e5335056d7d575905186bd051e6f2af20c0364d",
    ),
    (
        "base.html",
        "2f98da7292dfc3d9b31e153ed2376b27993848ecf461ab8269dea052d4812f3b",
    ),
    (
        "email.css",
        "de8d86ada654d56873a4f07dd07692efe285c7efebd90f8bc925458f9f780305",
    ),
    (
        "email.html",
        "3fee1ee239c789d19fc0b46bf1a0f92d35870af78e8b2b3bcacb202cef250efa",
    ),
    (
        "email.html",
        "4b3560aa263a66fae34c9813cc19883ecd9faccfe581f779e5e318e30ed8b272",
    ),
    (
        "email.html",
        "4fddc3857400c7e498ed74f6582e3e457899077117a749a0dae59cb69b6d2699",
    ),
    (
        "email.html",
        "ed2a58d3c25bfa6941308d104ae19d95af652b8ffc069e007d86e6346d105db4",
    ),
    (
        "email.txt",
        "102fb7b01c30c4732f518f44e9c905df8f9c92a7aa9bf346baeeb62b7f67d48a",
    ),
    (
        "email.txt",
        "234cf3a5cf92f019dd5bab75f61b98b61b4dff858a3b716a4ac11e29d5663386",
    ),
    (
        "email.txt",
        "2576eae9ddf3a6b4b39d0cc676977d6043e64172941cf93ed6563a2bef19003e",
    ),
    (
        "issue.html",
        "2987b2d082110ab32cedb76914e62cc9a5130387f62eb11bfef693fe01e8c1d6",
    ),
    (
        "issue.html",
        "34d4a54e6b3ee31317c79b2bea3c9ac39240b9bbb0590cf9e8bf10d3e8da4a6c",
    ),
    (
        "issue.md",
        "f0b029d16b54f1d7b91d19a2b88f4a7de2d2d80b4877ee1ad92c090a352b99da",
    ),
    (
        "issue.md",
        "f708d59cf29702dac9c4f21b3026fc6c49c690a44cbe1a1ef549e65b137e1d36",
    ),
    (
        "partials/footer.html",
        "2754f50de3a6a36e0f8c931f9f06ca5ae92148e5cad7aa8b4435c1fd6d6cdac0",
    ),
    (
        "partials/issue-body.html",
        "02ee2370012465b393ff8bb475c701ec2886fb77522c3b69fbd8959d9f3a571d",
    ),
    (
        "partials/issue-body.html",
        "9995b333f28c71a12d80da3395c61d2353646b77aec1991016833428324e28be",
    ),
    (
        "partials/story.html",
        "25b0222f73a442a02833ff75624916e7dfdc1e5a68a309c8f783e1f61ab14fd6",
    ),
    (
        "partials/story.md",
        "4b4424aa88f08a5f36ef966a1688c0095704583b2f70bbca920b5e22acc014fb",
    ),
    (
        "partials/story.txt",
        "d2473a9e459d6a1d77bd8bda21594670b7c74a0e4bdb8990907ae63ce89f7f99",
    ),
    (
        "story.html",
        "ab700ff0758fcdc43a9563dc5da518135526ca8d272a40bee17a3d96d0e314b7",
    ),
    (
        "style.css",
        "6bb056f2d03048d58bbed9d307c9c96eb8ec90da7defb7a6fed8b49d360a0e54",
    ),
    (
        "style.css",
        "7e9bfb9184dacfd19a68901344b4511002a2676233127b7e3d47566f7612def6",
    ),
    (
        "watch.html",
        "1278623b6f5200e2d821c32276122a5c9cb6088acd00f126ef7f48e8db045bdd",
    ),
    (
        "watch.html",
        "4ed9bb57ed578d804e1abda0c1d04c8ecc7677c1ccb2054d35117839e2d83e3d",
    ),
    (
        "partials/follow-ups.html",
        "4577cf4412a76adcb915cd9c99d28b5faf377748288807ba2b488100d62d9df3",
    ),
    (
        "partials/footer.html",
        "6aaaf68504228f66eeb0f52a91e45af7e4734d406776e041e927e7b265883004",
    ),
    (
        "partials/header.html",
        "1bce399542f5676f017047258e977561a45c4acfb6140f288790cc0b631d3cbf",
    ),
    (
        "partials/story.html",
        "971640c5bf8012bd8ce4130d570b6c51f4018b0d8b86691246b07cea04acd1e6",
    ),
];

/// The templates under `dir` that are an earlier version of the built-in of the same name,
/// by [`OLDER_BUILTINS`].
///
/// # Errors
///
/// As [`environment`] when a template file cannot be read.
pub fn older_copies(dir: &Path) -> Result<Vec<String>> {
    older_copies_in(dir, OLDER_BUILTINS)
}

fn older_copies_in(dir: &Path, older: &[(&str, &str)]) -> Result<Vec<String>> {
    use sha2::{Digest, Sha256};
    Ok(read_overrides(dir)?
        .into_iter()
        .filter(|(name, text)| {
            let digest = Sha256::digest(text.as_bytes());
            let digest: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            older
                .iter()
                .any(|(older, hash)| older == name && *hash == digest)
        })
        .map(|(name, _)| name)
        .collect())
}

/// The templates under `dir` that are byte for byte a built-in of the same name: copies that
/// change nothing, and would keep a newer briefing's fixes of that template from this
/// newsletter.
///
/// # Errors
///
/// As [`environment`] when a template file cannot be read.
pub fn unchanged_copies(dir: &Path) -> Result<Vec<String>> {
    Ok(read_overrides(dir)?
        .into_iter()
        .filter(|(name, text)| {
            BUILTINS
                .iter()
                .any(|(b, source)| b == name && source == text)
        })
        .map(|(name, _)| name)
        .collect())
}

/// Every file under `dir` as (name relative to `dir` with `/`, text), sorted.
///
/// Each is read as cards are ([`load::read_capped`]): a regular file inside the newsletter
/// folder, at most 1 MiB. A template linked from outside the folder would be published into
/// every page; a FIFO would block the build.
fn read_overrides(dir: &Path) -> Result<Vec<(String, String)>> {
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

/// The name of the global under which a publication's environment holds its
/// [`MarkdownCache`] for the filters.
pub const MARKDOWN_CACHE: &str = "__markdown_cache";

/// How many texts of each kind a cache remembers beyond its shared ones: a few issues' worth.
/// Issues render one after another on each thread, and a story's texts are shown again only
/// by its own issue's pages, so older entries are not asked for again.
const RECENT_LIMIT: usize = 4096;

/// Sanitised HTML by Markdown text: block, then inline.
type HtmlByText = [HashMap<String, Value>; 2];

/// Sanitised HTML of card Markdown, owned by one publication and handed to the `markdown`
/// filters as a global of its environment ([`MARKDOWN_CACHE`]).
///
/// A story's fields appear on its issue page, in the email, on its own page and in the feed;
/// a summary on each of its tag pages; a watch item on the watch page and in later issues.
/// Texts shown beyond their issue are rendered once, in parallel, when the cache is made;
/// the others are remembered as the filters render them. The same text always makes the same
/// HTML, so an entry is never wrong.
#[derive(Debug, Default)]
pub struct MarkdownCache {
    shared: HtmlByText,
    recent: std::sync::Mutex<HtmlByText>,
}

impl minijinja::value::Object for MarkdownCache {}

impl MarkdownCache {
    /// A cache holding the HTML of `block` and `inline` texts, rendered in parallel.
    pub fn new(block: Vec<&str>, inline: Vec<&str>) -> MarkdownCache {
        use rayon::prelude::*;
        let render = |texts: Vec<&str>, render: fn(&str) -> String| -> HashMap<String, Value> {
            texts
                .into_par_iter()
                .map(|text| (text.to_owned(), Value::from_safe_string(render(text))))
                .collect()
        };
        let (block, inline) = rayon::join(
            || render(block, markdown::to_html),
            || render(inline, markdown::to_inline_html),
        );
        MarkdownCache {
            shared: [block, inline],
            recent: std::sync::Mutex::default(),
        }
    }

    /// Keeps `html`, the sanitised HTML of `markdown` made elsewhere from the same parse.
    pub fn remember(&self, markdown: &str, inline: bool, html: &str) {
        let slot = usize::from(inline);
        if self.shared[slot].contains_key(markdown) {
            return;
        }
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent[slot].len() >= RECENT_LIMIT {
            recent[slot].clear();
        }
        recent[slot]
            .entry(markdown.to_owned())
            .or_insert_with(|| Value::from_safe_string(html.to_owned()));
    }

    /// The sanitised HTML of `text`, from the cache or rendered now and remembered.
    fn html(&self, inline: bool, text: &str) -> Value {
        let slot = usize::from(inline);
        if let Some(hit) = self.shared[slot].get(text) {
            return hit.clone();
        }
        let lock = || {
            self.recent
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some(hit) = lock()[slot].get(text) {
            return hit.clone();
        }
        let value = Value::from_safe_string(render_markdown(inline, text));
        let mut recent = lock();
        if recent[slot].len() >= RECENT_LIMIT {
            recent[slot].clear();
        }
        recent[slot].insert(text.to_owned(), value.clone());
        value
    }
}

fn render_markdown(inline: bool, text: &str) -> String {
    if inline {
        markdown::to_inline_html(text)
    } else {
        markdown::to_html(text)
    }
}

/// The sanitised HTML of `text`, through the render's cache when it has one.
fn cached_html(state: &State, inline: bool, text: &str) -> Value {
    let cache = state.lookup(MARKDOWN_CACHE);
    match cache
        .as_ref()
        .and_then(Value::downcast_object_ref::<MarkdownCache>)
    {
        Some(cache) => cache.html(inline, text),
        None => Value::from_safe_string(render_markdown(inline, text)),
    }
}

/// Card Markdown as the template being rendered needs it: sanitised HTML (block, or inline
/// without its paragraph), Markdown with raw HTML escaped, or plain text.
fn markdown_for(state: &State, text: &str, inline: bool) -> Value {
    match state.auto_escape() {
        AutoEscape::Html => cached_html(state, inline, text),
        AutoEscape::Custom(MARKDOWN_ESCAPE) => {
            Value::from_safe_string(markdown::to_safe_markdown(text))
        }
        _ => Value::from(markdown::to_text(text, &mut |_| String::new())),
    }
}

fn register_filters(env: &mut Environment<'static>, language: &str) {
    env.add_filter("markdown", |state: &State, text: Option<Cow<'_, str>>| {
        markdown_for(state, text.as_deref().unwrap_or_default(), false)
    });
    env.add_filter(
        "markdown_inline",
        |state: &State, text: Option<Cow<'_, str>>| {
            markdown_for(state, text.as_deref().unwrap_or_default(), true)
        },
    );
    env.add_filter("url", |state: &State, url: String| {
        if state.auto_escape() == AutoEscape::Custom(MARKDOWN_ESCAPE) {
            Value::from_safe_string(markdown::link_destination(&url))
        } else {
            Value::from(url)
        }
    });
    env.add_filter("plain", |text: Option<Cow<'_, str>>| {
        markdown::to_text(text.as_deref().unwrap_or_default(), &mut |_| String::new())
    });
    let lang = language.to_owned();
    env.add_filter("date", move |text: String| -> Result<String, JinjaError> {
        let date = dates::parse_iso(&text).ok_or_else(|| {
            JinjaError::new(
                ErrorKind::InvalidOperation,
                format!("`date` filter wants YYYY-MM-DD, got `{text}`"),
            )
        })?;
        Ok(dates::long(date, &lang))
    });
    env.add_filter(
        "wrap",
        |text: Cow<'_, str>,
         width: Option<usize>,
         first: Option<Cow<'_, str>>,
         rest: Option<Cow<'_, str>>| {
            wrap(
                &text,
                width.unwrap_or(72),
                first.as_deref().unwrap_or(""),
                rest.as_deref().unwrap_or(""),
            )
        },
    );
    env.add_filter("underline", |text: String, ch: Option<String>| {
        let ch = ch.as_deref().and_then(|c| c.chars().next()).unwrap_or('=');
        let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
        std::iter::repeat_n(ch, longest.max(3)).collect::<String>()
    });
    env.add_filter("escape_markdown", |text: Cow<'_, str>| {
        Value::from_safe_string(markdown::escape(&text))
    });
}

/// Escapes text for HTML and XML, in element content and in quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    push_escaped_html(&mut out, text);
    out
}

/// Writes `text` escaped as [`escape_html`] does: the runs between special characters are
/// written as they are.
fn write_escaped_html(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut copied = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        // Only ASCII bytes are replaced, so `at` is a character boundary.
        out.write_str(&text[copied..at])?;
        out.write_str(escaped)?;
        copied = at + 1;
    }
    out.write_str(&text[copied..])
}

fn push_escaped_html(out: &mut String, text: &str) {
    // Writing to a String cannot fail.
    let _ = write_escaped_html(out, text);
}

/// Wraps `text` at `width` characters. Paragraphs (split by blank lines) wrap separately; the
/// first line of each starts with `first`, the others with `rest`. A word longer than the
/// line (a URL) stays whole on a line of its own.
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let rest_len = rest.chars().count();
    for (p, paragraph) in paragraphs(text).enumerate() {
        if p > 0 {
            out.push_str("\n\n");
        }
        for (l, source_line) in paragraph.lines().enumerate() {
            // A list item inside a paragraph starts a new line.
            if l > 0 {
                out.push('\n');
            }
            let prefix = if p == 0 && l == 0 { first } else { rest };
            let line_start = out.len();
            out.push_str(prefix);
            let mut line_len = prefix.chars().count();
            if is_plain_ascii_line(source_line) {
                wrap_plain_ascii(&mut out, source_line, width, line_len, rest, rest_len);
                continue;
            }
            let mut has_word = false;
            // Most lines are ASCII: bytes are characters, and white space is ASCII white space
            // (vertical tab aside, which only `split_whitespace` counts).
            let ascii = source_line.is_ascii() && !source_line.contains('\x0b');
            let (mut ascii_words, mut any_words);
            let words: &mut dyn Iterator<Item = &str> = if ascii {
                ascii_words = source_line.split_ascii_whitespace();
                &mut ascii_words
            } else {
                any_words = source_line.split_whitespace();
                &mut any_words
            };
            for word in words {
                let word_len = if ascii {
                    word.len()
                } else {
                    word.chars().count()
                };
                if has_word && line_len + 1 + word_len > width {
                    out.push('\n');
                    out.push_str(rest);
                    line_len = rest_len;
                    has_word = false;
                }
                if has_word {
                    out.push(' ');
                    line_len += 1;
                }
                out.push_str(word);
                line_len += word_len;
                has_word = true;
            }
            if !has_word {
                // A line without words is its prefix, without trailing blanks.
                out.truncate(line_start + prefix.trim_end().len());
            }
        }
    }
    out
}

/// `text.split("\n\n")`, found with memchr: most texts are one short paragraph, for which
/// setting up a substring search costs more than the search.
fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        let bytes = text.as_bytes();
        let mut from = 0;
        while let Some(found) = memchr::memchr(b'\n', &bytes[from..]) {
            let at = from + found;
            if bytes.get(at + 1) == Some(&b'\n') {
                rest = Some(&text[at + 2..]);
                return Some(&text[..at]);
            }
            from = at + 1;
        }
        rest = None;
        Some(text)
    })
}

/// Whether `line` is printable ASCII words with one space between each two: then every
/// wrapped line is a slice of it.
fn is_plain_ascii_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    // Folds without an early exit, which the compiler turns into wide compares.
    let printable = (bytes.iter()).fold(true, |ok, &b| ok & (b' '..=b'~').contains(&b));
    let single_spaces = (bytes.iter().zip(&bytes[1.min(bytes.len())..]))
        .fold(true, |ok, (&a, &b)| ok & !(a == b' ' && b == b' '));
    printable
        && single_spaces
        && bytes.first().is_some_and(|&b| b != b' ')
        && bytes.last().is_some_and(|&b| b != b' ')
}

/// Wraps a line that [`is_plain_ascii_line`] into `out`, whose current line is `used`
/// characters long, cutting at spaces (as `wrap` does word by word).
fn wrap_plain_ascii(
    out: &mut String,
    mut line: &str,
    width: usize,
    mut used: usize,
    rest: &str,
    rest_len: usize,
) {
    loop {
        let room = width.saturating_sub(used);
        if line.len() <= room {
            out.push_str(line);
            return;
        }
        // The most whole words that fit in `room`, or the first word alone when none does.
        let end = if line.as_bytes()[room] == b' ' {
            room
        } else {
            line[..room]
                .rfind(' ')
                .or_else(|| line.find(' '))
                .unwrap_or(line.len())
        };
        out.push_str(&line[..end]);
        if end == line.len() {
            return;
        }
        out.push('\n');
        out.push_str(rest);
        used = rest_len;
        line = &line[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_html_special_characters_wherever_they_fall() {
        let reference = |text: &str| {
            text.chars().fold(String::new(), |mut out, c| {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&#39;"),
                    c => out.push(c),
                }
                out
            })
        };
        let pieces = [
            "a", "word ", "&", "<", ">", "\"", "'", "ü", "北", "😀", "%", "\u{a6}", "\u{bc}", " ",
        ];
        for text in
            crate::content::markdown::tests::random_texts(&pieces, 23, 20_000, 0x1234_5678_9abc)
        {
            assert_eq!(escape_html(&text), reference(&text), "{text:?}");
            // As the templates' formatter writes it, twice: its buffer is reused.
            let mut written = String::new();
            write_escaped_html(&mut written, &text).unwrap();
            write_escaped_html(&mut written, &text).unwrap();
            assert_eq!(written, reference(&text).repeat(2), "{text:?}");
        }
        assert_eq!(escape_html("12345678<"), "12345678&lt;");
        assert_eq!(escape_html("1234567&"), "1234567&amp;");
        assert_eq!(escape_html(""), "");
    }

    #[test]
    fn splits_paragraphs_as_split_does() {
        let pieces = ["a", "b c", "\n", "\n\n", "\r\n", " "];
        for text in crate::content::markdown::tests::random_texts(&pieces, 8, 20_000, 0xfeed_f00d) {
            let ours: Vec<&str> = paragraphs(&text).collect();
            let std: Vec<&str> = text.split("\n\n").collect();
            assert_eq!(ours, std, "{text:?}");
        }
        assert_eq!(paragraphs("").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn wraps_with_hanging_indent() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        assert_eq!(
            wrap(text, 20, "  → ", "    "),
            "  → one two three\n    four five six\n    seven eight nine\n    ten eleven\n    twelve"
        );
    }

    #[test]
    fn wraps_ascii_and_other_text_alike() {
        // The rule `wrap` follows, written plainly: Unicode words and character counts.
        let reference = |text: &str, width: usize, first: &str, rest: &str| {
            let mut out = String::new();
            for (p, paragraph) in text.split("\n\n").enumerate() {
                if p > 0 {
                    out.push_str("\n\n");
                }
                for (l, line) in paragraph.lines().enumerate() {
                    if l > 0 {
                        out.push('\n');
                    }
                    let prefix = if p == 0 && l == 0 { first } else { rest };
                    let mut lines = vec![prefix.to_owned()];
                    let mut words_on_line = 0;
                    for word in line.split_whitespace() {
                        let current = lines.last_mut().unwrap();
                        let fits = current.chars().count() + 1 + word.chars().count() <= width;
                        if words_on_line > 0 && !fits {
                            lines.push(format!("{rest}{word}"));
                            words_on_line = 1;
                            continue;
                        }
                        if words_on_line > 0 {
                            current.push(' ');
                        }
                        current.push_str(word);
                        words_on_line += 1;
                    }
                    if words_on_line == 0 {
                        lines = vec![prefix.trim_end().to_owned()];
                    }
                    out.push_str(&lines.join("\n"));
                }
            }
            out
        };
        let pieces = [
            "word ",
            "a ",
            "longerword ",
            "ünï ",
            "北京 ",
            " ",
            "\t",
            "\n",
            "\n\n",
            "\u{b}",
            "\u{a0}",
            "\u{2003}",
            "x",
            "https://example.org/a/very/long/path/that/does/not/fit/anywhere ",
        ];
        for random in crate::content::markdown::tests::random_texts(&pieces, 30, 5_000, 0x0dd_ba11)
        {
            // The same text with each line's white space made single spaces: the plain ASCII
            // lines `wrap` cuts into slices.
            let tidied = (random.split('\n'))
                .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join("\n");
            for text in [&random, &tidied] {
                for (width, first, rest) in [
                    (72, "", ""),
                    (20, "  → ", "    "),
                    (8, "- ", "  "),
                    (11, "", ""),
                    (1, "", ""),
                    (3, "Note: ", "      "),
                ] {
                    assert_eq!(
                        wrap(text, width, first, rest),
                        reference(text, width, first, rest),
                        "{text:?} at {width}"
                    );
                }
            }
        }
    }

    #[test]
    fn wraps_empty_lines_to_their_trimmed_prefix() {
        assert_eq!(wrap("", 20, "  → ", "    "), "");
        assert_eq!(wrap(" ", 20, "  → ", "    "), "  →");
        assert_eq!(wrap("a\n\n\nb", 20, "> ", "> "), "> a\n\n>\n> b");
        assert_eq!(wrap("word", 3, "- ", "  "), "- word");
        assert_eq!(wrap("ünï ünï ünï", 8, "", "  "), "ünï ünï\n  ünï");
    }

    #[test]
    fn keeps_paragraphs_and_long_words() {
        let text = "short\n\nhttps://example.org/a/very/long/url/that/does/not/fit here";
        assert_eq!(
            wrap(text, 20, "", ""),
            "short\n\nhttps://example.org/a/very/long/url/that/does/not/fit\nhere"
        );
    }

    #[test]
    fn the_builtin_table_lists_every_file_in_templates() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let on_disk: Vec<String> = read_overrides(&dir)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let listed: Vec<&str> = BUILTINS.iter().map(|(n, _)| *n).collect();
        assert_eq!(on_disk, listed);
    }

    #[test]
    fn text_filters_take_any_value_as_text() {
        let env = environment(Path::new("/nonexistent"), "en").unwrap();
        let render = |source: &str| env.render_str(source, minijinja::context! {}).unwrap();
        assert_eq!(render("{{ 42|wrap }}"), "42");
        assert_eq!(render("{{ 7|escape_markdown }}"), "7");
        assert_eq!(render("{{ none|markdown }}|{{ none|plain }}"), "|");
        assert_eq!(render("{{ 'a *b*'|markdown_inline }}"), "a b");
        assert_eq!(
            render("{{ 'one two'|wrap(3, '> ', '  ') }}"),
            "> one\n  two"
        );
    }

    #[test]
    fn cached_markdown_is_what_the_filters_render() {
        let mut env = environment(Path::new("/nonexistent"), "en").unwrap();
        env.add_template("t.html", "{{ t|markdown }}|{{ t|markdown_inline }}")
            .unwrap();
        let texts = [
            "Some **bold**, [a link](https://e.org/?a=1&b=2).",
            "<b>raw</b> *em*\n\n- one",
            "not shared",
        ];
        let cache =
            Value::from_object(MarkdownCache::new(texts[..2].to_vec(), texts[..2].to_vec()));
        let template = env.get_template("t.html").unwrap();
        let expected =
            |t: &str| format!("{}|{}", markdown::to_html(t), markdown::to_inline_html(t));
        // Twice: from the shared texts or rendered, then remembered.
        for _ in 0..2 {
            for t in texts {
                let with_cache = minijinja::context! { t, __markdown_cache => cache.clone() };
                assert_eq!(template.render(with_cache).unwrap(), expected(t), "{t:?}");
                let without = minijinja::context! { t };
                assert_eq!(template.render(without).unwrap(), expected(t), "{t:?}");
            }
        }
    }

    #[test]
    fn a_copy_of_an_older_built_in_is_found_by_its_digest() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("issue.md"), "# old\n").unwrap();
        std::fs::write(dir.path().join("email.txt"), "edited\n").unwrap();
        // A digest of some other text: no match.
        let table = [(
            "issue.md",
            "d14e0d6b4e43a4bc7a2ba22b1e5a2ae7a0e1a0bf0e3bd7d4df9d8c3a0c1d3f06",
        )];
        let digest: String = {
            use sha2::{Digest, Sha256};
            Sha256::digest(b"# old\n")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let table_with = [("issue.md", digest.as_str()), ("email.txt", table[0].1)];
        assert_eq!(
            older_copies_in(dir.path(), &table_with).unwrap(),
            ["issue.md"]
        );
        assert!(older_copies_in(dir.path(), &table).unwrap().is_empty());
    }

    #[test]
    fn the_older_versions_table_holds_no_current_builtin_and_names_only_builtins() {
        use sha2::{Digest, Sha256};
        for (name, hash) in OLDER_BUILTINS {
            let (_, current) = BUILTINS
                .iter()
                .find(|(builtin, _)| builtin == name)
                .unwrap_or_else(|| panic!("`{name}` is not a built-in"));
            let digest: String = Sha256::digest(current.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_ne!(
                *hash, digest,
                "`{name}`'s current version is listed as older"
            );
            assert_eq!(hash.len(), 64);
        }
    }

    #[test]
    fn builtins_compile_under_strict_mode() {
        let env = environment(Path::new("/nonexistent"), "en").unwrap();
        for (name, _) in BUILTINS {
            env.get_template(name).unwrap();
        }
    }
}
