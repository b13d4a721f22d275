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
    /// The shared texts' HTML as a first publication made it, handed on unchanged to the
    /// publications after an edit (`serve`): copying ten thousand entries into a new table
    /// on every save cost more than the pages the save renders.
    base: std::sync::Arc<HtmlByText>,
    /// The shared texts `base` lacks: those written since it was made.
    added: HtmlByText,
    recent: std::sync::Mutex<HtmlByText>,
}

impl minijinja::value::Object for MarkdownCache {}

impl MarkdownCache {
    /// A cache holding the HTML of `block` and `inline` texts, rendered in parallel; those
    /// `earlier` holds (a cache of the same newsletter before an edit, in `serve`) are taken
    /// from it, since the same text always makes the same HTML.
    ///
    /// `earlier`'s base is shared as it is: texts it holds that are no longer shown stay in
    /// it until the texts added since pass a quarter of it, when a new base is made of
    /// the texts shown now. The cache is at most twice and a quarter of what is shown.
    pub fn new(
        block: Vec<&str>,
        inline: Vec<&str>,
        earlier: Option<&MarkdownCache>,
    ) -> MarkdownCache {
        use rayon::prelude::*;
        let earlier_html = |slot: usize, text: &str| {
            earlier.and_then(|earlier| earlier.shared(slot, text).cloned())
        };
        let render = |texts: Vec<&str>, slot: usize| {
            texts
                .into_par_iter()
                .map(|text| {
                    let html = earlier_html(slot, text).unwrap_or_else(|| {
                        Value::from_safe_string(render_markdown(slot == 1, text))
                    });
                    (text.to_owned(), html)
                })
                .collect::<HashMap<String, Value>>()
        };
        if let Some(earlier) = earlier {
            let base = &earlier.base;
            fn missing<'t>(texts: &[&'t str], base: &HashMap<String, Value>) -> Vec<&'t str> {
                texts
                    .par_iter()
                    .filter(|text| !base.contains_key(**text))
                    .copied()
                    .collect()
            }
            let (block_missing, inline_missing) =
                rayon::join(|| missing(&block, &base[0]), || missing(&inline, &base[1]));
            let base_len = base[0].len() + base[1].len();
            if (block_missing.len() + inline_missing.len()) * 4 <= base_len {
                let (block, inline) =
                    rayon::join(|| render(block_missing, 0), || render(inline_missing, 1));
                return MarkdownCache {
                    base: std::sync::Arc::clone(base),
                    added: [block, inline],
                    recent: std::sync::Mutex::default(),
                };
            }
        }
        let (block, inline) = rayon::join(|| render(block, 0), || render(inline, 1));
        MarkdownCache {
            base: std::sync::Arc::new([block, inline]),
            added: HtmlByText::default(),
            recent: std::sync::Mutex::default(),
        }
    }

    /// The HTML of shared text `text` of kind `slot`, if this cache holds it.
    fn shared(&self, slot: usize, text: &str) -> Option<&Value> {
        self.base[slot]
            .get(text)
            .or_else(|| self.added[slot].get(text))
    }

    /// Keeps `html`, the sanitised HTML of `markdown` made elsewhere from the same parse.
    pub fn remember(&self, markdown: &str, inline: bool, html: &str) {
        let slot = usize::from(inline);
        if self.shared(slot, markdown).is_some() {
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
        if let Some(hit) = self.shared(slot, text) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_an_earlier_cache_holds_is_taken_from_it_and_the_others_are_rendered() {
        let mut earlier = MarkdownCache::new(vec!["*kept*"], vec!["*kept*"], None);
        // Marked, so that a render of the text again would show.
        for slot in std::sync::Arc::get_mut(&mut earlier.base).unwrap() {
            slot.insert(
                "*kept*".to_owned(),
                Value::from_safe_string("MARK".to_owned()),
            );
        }
        let cache = MarkdownCache::new(
            vec!["*kept*", "*new*"],
            vec!["*kept*", "*new*"],
            Some(&earlier),
        );
        for inline in [false, true] {
            assert_eq!(cache.html(inline, "*kept*").to_string(), "MARK");
        }
        assert_eq!(
            cache.html(false, "*new*").to_string(),
            "<p><em>new</em></p>\n"
        );
        assert_eq!(cache.html(true, "*new*").to_string(), "<em>new</em>");
        // Shared with an environment as a publication shares it, the filters find it.
        let shared = std::sync::Arc::new(cache);
        let global = Value::from_dyn_object(std::sync::Arc::clone(&shared));
        let found = global.downcast_object_ref::<MarkdownCache>().unwrap();
        assert!(std::ptr::eq(found, &*shared));
    }

    #[test]
    fn edits_share_the_first_base_until_new_texts_pass_a_quarter_of_it() {
        let texts = |edits: usize| -> Vec<String> {
            (0..8)
                .map(|n| match n < edits {
                    true => format!("*edited {n}*"),
                    false => format!("*text {n}*"),
                })
                .collect()
        };
        let first = texts(0);
        let mut last = MarkdownCache::new(first.iter().map(String::as_str).collect(), vec![], None);
        let first_base = std::sync::Arc::clone(&last.base);
        for edits in 1..=3 {
            let shown = texts(edits);
            let cache = MarkdownCache::new(
                shown.iter().map(String::as_str).collect(),
                vec![],
                Some(&last),
            );
            for (n, text) in shown.iter().enumerate() {
                let word = if n < edits { "edited" } else { "text" };
                assert_eq!(
                    cache.shared(0, text).map(ToString::to_string),
                    Some(format!("<p><em>{word} {n}</em></p>\n")),
                    "edit {edits}"
                );
            }
            // Two new texts are a quarter of eight: the base is shared; the third makes a
            // new one, of the texts shown now only.
            let shared = std::sync::Arc::ptr_eq(&cache.base, &first_base);
            assert_eq!(shared, edits <= 2, "edit {edits}");
            assert_eq!(cache.added[0].len(), if shared { edits } else { 0 });
            if !shared {
                assert_eq!(cache.base[0].len(), 8);
                assert!(cache.shared(0, "*text 0*").is_none());
            }
            last = cache;
        }
    }
}
