//! The HTML of card Markdown that a publication's templates show, rendered once and handed
//! to the `markdown` filters.

use minijinja::{AutoEscape, State, Value};
// Markdown texts are looked up by their whole text, hundreds of bytes: Fx hashes them quicker.
use rustc_hash::FxHashMap as HashMap;

use super::MARKDOWN_ESCAPE;
use crate::content::markdown;

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
pub(super) fn markdown_for(state: &State, text: &str, inline: bool) -> Value {
    match state.auto_escape() {
        AutoEscape::Html => cached_html(state, inline, text),
        AutoEscape::Custom(MARKDOWN_ESCAPE) => {
            Value::from_safe_string(markdown::to_safe_markdown(text))
        }
        _ => Value::from(markdown::to_text(text, &mut |_| String::new())),
    }
}
