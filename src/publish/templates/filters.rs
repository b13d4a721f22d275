//! The filters templates use: card Markdown for the output format, dates in the
//! newsletter's language, wrapping and underlining for plain text, escaping for Markdown.

use std::borrow::Cow;

use minijinja::{AutoEscape, Environment, Error as JinjaError, ErrorKind, State, Value};

use super::MARKDOWN_ESCAPE;
use super::markdown_cache::markdown_for;
use crate::content::{dates, markdown};

/// Adds every filter templates can use.
pub(super) fn register(env: &mut Environment<'static>, language: &str) {
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
pub(super) fn paragraphs(text: &str) -> impl Iterator<Item = &str> {
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
