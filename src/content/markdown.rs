//! Card Markdown to HTML, to plain text, and escaping for Markdown output.
//!
//! The only module that sets pulldown-cmark options or sanitiser rules, so one reading shows
//! every path by which card text becomes markup. Card text is data: raw HTML in it is shown as
//! text, headings become bold paragraphs (a page has one `h1`, and the template owns the
//! outline), images become links, and the HTML writer here emits only a fixed set of tags
//! (`p br em strong a ul ol li blockquote code pre del hr`), no attribute but `href` on links
//! (absolute http(s) and mailto only, with `rel="noopener noreferrer"`) and `start` on
//! numbered lists. No `<script>`, event handler or `javascript:` URL survives.
//!
//! The writer's output is what ammonia made of pulldown-cmark's HTML when it was the
//! sanitiser (a test holds the two to the same bytes); writing it directly skips ammonia's
//! parse and re-serialisation (bench/README.md has the figures).

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

/// `text` (one line of plain text, a headline) with its straight quotes curled as the
/// card's Markdown gets them: `"Zhenwu" isn't` → `“Zhenwu” isn’t`. pulldown-cmark's smart
/// punctuation does the work, on the text with every other ASCII punctuation mark escaped, so
/// nothing in it can be read as markup and nothing else changes.
pub fn smart_quotes(text: &str) -> String {
    if !text.contains(['\'', '"']) {
        return text.to_owned();
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_ascii_punctuation() && c != '\'' && c != '"' {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for event in Parser::new_ext(&escaped, Options::ENABLE_SMART_PUNCTUATION) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    // Leading and trailing spaces are not paragraph text; keep the line as it was otherwise.
    if out.is_empty() { text.to_owned() } else { out }
}

/// Card Markdown as pulldown-cmark's events, changed so that they carry no markup of the
/// author's own: raw HTML becomes text, headings bold paragraphs, images links.
fn safe_events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    // At most two events for one: no allocation per event on this hot path.
    Parser::new_ext(markdown, options()).flat_map(|event| {
        let (first, second) = match event {
            Event::Html(html) | Event::InlineHtml(html) => (Event::Text(html), None),
            Event::Start(Tag::Heading { .. }) => (
                Event::Start(Tag::Paragraph),
                Some(Event::Start(Tag::Strong)),
            ),
            Event::End(TagEnd::Heading(_)) => (
                Event::End(TagEnd::Strong),
                Some(Event::End(TagEnd::Paragraph)),
            ),
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => (
                Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id: CowStr::Borrowed(""),
                }),
                None,
            ),
            Event::End(TagEnd::Image) => (Event::End(TagEnd::Link), None),
            other => (other, None),
        };
        std::iter::once(first).chain(second)
    })
}

/// Renders block Markdown to safe HTML.
pub fn to_html(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    write_html(&mut html, safe_events(markdown));
    html
}

/// Writes `events` as HTML. Block tags and line breaks are placed as pulldown-cmark's own
/// writer places them; text and attributes are escaped as an HTML serialiser escapes them.
fn write_html<'a>(out: &mut String, events: impl Iterator<Item = Event<'a>>) {
    // Whether the output ends a line (or is empty): blocks start on a line of their own.
    let mut end_newline = true;
    // For each open link, whether its tag was written: a link inside a link (an image in a
    // link's text) keeps only its text, as an `<a>` in an `<a>` is not HTML.
    let mut links: Vec<bool> = Vec::new();
    let block = |out: &mut String, end_newline: &mut bool, tag: &str| {
        if !*end_newline {
            out.push('\n');
        }
        out.push_str(tag);
        *end_newline = tag.ends_with('\n');
    };
    for event in events {
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => block(out, &mut end_newline, "<p>"),
                Tag::BlockQuote(_) => block(out, &mut end_newline, "<blockquote>\n"),
                Tag::CodeBlock(_) => block(out, &mut end_newline, "<pre><code>"),
                Tag::List(Some(1)) => block(out, &mut end_newline, "<ol>\n"),
                Tag::List(Some(start)) => {
                    block(out, &mut end_newline, &format!("<ol start=\"{start}\">\n"));
                }
                Tag::List(None) => block(out, &mut end_newline, "<ul>\n"),
                Tag::Item => block(out, &mut end_newline, "<li>"),
                Tag::Emphasis => out.push_str("<em>"),
                Tag::Strong => out.push_str("<strong>"),
                Tag::Strikethrough => out.push_str("<del>"),
                Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    ..
                } => {
                    let nested = !links.is_empty();
                    links.push(!nested);
                    if nested {
                        continue;
                    }
                    let url = if link_type == LinkType::Email {
                        format!("mailto:{dest_url}")
                    } else {
                        dest_url.into_string()
                    };
                    out.push_str("<a");
                    if is_safe_link(&url) {
                        out.push_str(" href=\"");
                        push_href(out, &url);
                        out.push('"');
                    }
                    if !title.is_empty() {
                        out.push_str(" title=\"");
                        push_escaped(out, &title, true);
                        out.push('"');
                    }
                    out.push_str(" rel=\"noopener noreferrer\">");
                }
                // Headings and images are gone (see `safe_events`); the options enable
                // nothing else.
                _ => {}
            },
            Event::End(tag) => {
                let html = match tag {
                    TagEnd::Paragraph => "</p>\n",
                    TagEnd::BlockQuote(_) => "</blockquote>\n",
                    TagEnd::CodeBlock => "</code></pre>\n",
                    TagEnd::List(true) => "</ol>\n",
                    TagEnd::List(false) => "</ul>\n",
                    TagEnd::Item => "</li>\n",
                    TagEnd::Emphasis => "</em>",
                    TagEnd::Strong => "</strong>",
                    TagEnd::Strikethrough => "</del>",
                    TagEnd::Link if links.pop() == Some(true) => "</a>",
                    _ => "",
                };
                out.push_str(html);
                if !html.is_empty() {
                    end_newline = html.ends_with('\n');
                }
                continue;
            }
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                push_escaped(out, &text, false);
                if !text.is_empty() {
                    end_newline = text.ends_with('\n');
                }
                continue;
            }
            Event::Code(text) => {
                out.push_str("<code>");
                push_escaped(out, &text, false);
                out.push_str("</code>");
            }
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str("<br>\n"),
            Event::Rule => block(out, &mut end_newline, "<hr>\n"),
            _ => {}
        }
        end_newline = out.ends_with('\n');
    }
}

/// Which characters [`write_escaped_html`] replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// Card Markdown's element text, as pulldown-cmark's writer escapes it: `&`, `<`, `>` and
    /// the no-break space.
    Text,
    /// Card Markdown's attribute value in double quotes: also `"`.
    Attribute,
    /// A template's value, in element text or any quoted attribute: `&`, `<`, `>`, `"` and
    /// `'` (minijinja's set without `/`, which is legal and would mangle every URL).
    Template,
}

/// Writes `text` escaped for HTML as `escape` says, copying the runs between the characters it
/// replaces: the one HTML escaper of card Markdown and of templates.
///
/// # Errors
///
/// What `out` returns when it cannot be written.
pub fn write_escaped_html(
    out: &mut impl std::fmt::Write,
    text: &str,
    escape: Escape,
) -> std::fmt::Result {
    let bytes = text.as_bytes();
    // Most text has nothing to escape: a pass without early exit (vectorised) finds that out.
    let plain = bytes.iter().fold(true, |plain, &b| {
        plain & !matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0xA0)
    });
    if plain {
        return out.write_str(text);
    }
    let mut copied = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        let (from, escaped) = match (byte, escape) {
            (b'&', _) => (at, "&amp;"),
            (b'<', _) => (at, "&lt;"),
            (b'>', _) => (at, "&gt;"),
            (b'"', Escape::Attribute | Escape::Template) => (at, "&quot;"),
            (b'\'', Escape::Template) => (at, "&#39;"),
            // 0xA0 also ends other characters' UTF-8; after 0xC2 it is the no-break space.
            (0xA0, Escape::Text | Escape::Attribute) if at > 0 && bytes[at - 1] == 0xC2 => {
                (at - 1, "&nbsp;")
            }
            _ => continue,
        };
        // Only ASCII bytes and a whole two-byte character are replaced, so `from` and
        // `at + 1` are character boundaries.
        out.write_str(&text[copied..from])?;
        out.write_str(escaped)?;
        copied = at + 1;
    }
    out.write_str(&text[copied..])
}

/// `text` escaped as [`write_escaped_html`] with [`Escape::Template`] escapes it: for element
/// text and quoted attribute values alike.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    // Writing to a String cannot fail.
    let _ = write_escaped_html(&mut out, text, Escape::Template);
    out
}

/// Card Markdown's text as HTML text, or as an attribute value in double quotes.
fn push_escaped(out: &mut String, text: &str, attribute: bool) {
    let escape = if attribute {
        Escape::Attribute
    } else {
        Escape::Text
    };
    // Writing to a String cannot fail.
    let _ = write_escaped_html(out, text, escape);
}

/// The bytes pulldown-cmark's HTML writer percent-encodes in a link: all but ASCII letters,
/// digits and `!#$%&'()*+,-./:;=?@^_~`.
const HREF: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'%')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b'-')
    .remove(b'.')
    .remove(b'/')
    .remove(b':')
    .remove(b';')
    .remove(b'=')
    .remove(b'?')
    .remove(b'@')
    .remove(b'^')
    .remove(b'_')
    .remove(b'~');

/// A URL as an `href` value: percent-encoded as pulldown-cmark's writer does, and `&`
/// escaped.
fn push_href(out: &mut String, url: &str) {
    for piece in percent_encoding::utf8_percent_encode(url, HREF) {
        let _ = write_escaped_html(out, piece, Escape::Text);
    }
}

/// Renders one line of Markdown (a bullet) to sanitised HTML without the paragraph around it.
pub fn to_inline_html(markdown: &str) -> String {
    inline_of(&to_html(markdown))
}

/// Block HTML without the paragraph around it, when it is one paragraph.
fn inline_of(html: &str) -> String {
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|rest| rest.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// Renders Markdown to one line of plain text, links as their text: for previews, terminal
/// listings and calendar titles.
pub fn to_plain_line(markdown: &str) -> String {
    one_line(&raw_text(markdown, &mut |_| String::new()).0)
}

/// Renders Markdown to plain text: formatting dropped, paragraphs separated by a blank line,
/// list items as `- `, link text kept and the link's URL handed to `on_link`, whose return
/// value (e.g. ` [1]`) is written after the link text.
pub fn to_text(markdown: &str, on_link: &mut dyn FnMut(&str) -> String) -> String {
    normalise_lines(&raw_text(markdown, on_link).0)
}

/// [`to_text`] and [`to_plain_line`] of the same Markdown, parsed once.
pub fn to_text_and_plain_line(
    markdown: &str,
    on_link: &mut dyn FnMut(&str) -> String,
) -> (String, String) {
    let (raw, marks) = raw_text(markdown, on_link);
    // Without the link marks, the raw text differs from the one `to_plain_line` reads in white
    // space only (a mark is never a line's end), which one line folds away.
    let mut unmarked = String::with_capacity(raw.len());
    let mut copied = 0;
    for mark in marks {
        unmarked.push_str(&raw[copied..mark.start]);
        copied = mark.end;
    }
    unmarked.push_str(&raw[copied..]);
    (normalise_lines(&raw), one_line(&unmarked))
}

/// Words of `text` joined by single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`to_text`] and [`to_html`] (or [`to_inline_html`] when `inline`) of the same Markdown,
/// parsed once: a story's fields go both into `email.txt` and into its pages.
pub fn to_text_and_html(
    markdown: &str,
    on_link: &mut dyn FnMut(&str) -> String,
    inline: bool,
) -> (String, String) {
    let events: Vec<Event<'_>> = safe_events(markdown).collect();
    let text = normalise_lines(&text_of(events.iter().cloned(), markdown.len(), on_link).0);
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    write_html(&mut html, events.into_iter());
    if inline {
        html = inline_of(&html);
    }
    (text, html)
}

/// The text of `markdown` before its blank lines are normalised, and where `on_link`'s marks
/// were written into it.
fn raw_text(
    markdown: &str,
    on_link: &mut dyn FnMut(&str) -> String,
) -> (String, Vec<std::ops::Range<usize>>) {
    text_of(safe_events(markdown), markdown.len(), on_link)
}

/// [`raw_text`] of the Markdown that made `events`, about `length` bytes long.
fn text_of<'a>(
    events: impl Iterator<Item = Event<'a>>,
    length: usize,
    on_link: &mut dyn FnMut(&str) -> String,
) -> (String, Vec<std::ops::Range<usize>>) {
    let mut out = String::with_capacity(length);
    let mut marks = Vec::new();
    let mut link_stack: Vec<String> = Vec::new();
    let mut list_depth = 0usize;
    for event in events {
        match event {
            Event::Text(text) | Event::Code(text) => out.push_str(&text),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak => out.push('\n'),
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => out.push_str("\n\n"),
            Event::Start(Tag::List(_)) => list_depth += 1,
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0 {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                if !out.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&"  ".repeat(list_depth.saturating_sub(1)));
                out.push_str("- ");
            }
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::Start(Tag::Link { dest_url, .. }) => link_stack.push(dest_url.into_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = link_stack.pop() {
                    let start = out.len();
                    out.push_str(&on_link(&url));
                    marks.push(start..out.len());
                }
            }
            Event::Rule => out.push_str("---\n\n"),
            _ => {}
        }
    }
    (out, marks)
}

/// `text` trimmed, its lines trimmed at the end and runs of blank lines made one: tight lists
/// leave items without paragraph breaks.
fn normalise_lines(text: &str) -> String {
    let mut normal = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.trim().lines() {
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        normal.push_str(line.trim_end());
        normal.push('\n');
    }
    normal.trim_end().to_owned()
}

/// Card Markdown for Markdown output: passed through as written, except raw HTML, whose `<`
/// is backslash-escaped so every Markdown renderer shows it as text.
pub fn to_safe_markdown(markdown: &str) -> String {
    // Raw HTML starts with `<`: without one there is nothing to escape.
    if !markdown.contains('<') {
        return markdown.trim().to_owned();
    }
    let mut out = String::with_capacity(markdown.len() + 8);
    let mut copied = 0;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        if !matches!(event, Event::Html(_) | Event::InlineHtml(_)) || range.start < copied {
            continue;
        }
        out.push_str(&markdown[copied..range.start]);
        for c in markdown[range.clone()].chars() {
            if c == '<' {
                out.push('\\');
            }
            out.push(c);
        }
        copied = range.end;
    }
    out.push_str(&markdown[copied..]);
    out.trim().to_owned()
}

/// Escapes plain text so that Markdown shows it as written: every character CommonMark could
/// read as syntax gets a backslash.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '['
                | ']'
                | '<'
                | '>'
                | '#'
                | '|'
                | '!'
                | '~'
                | '&'
                | '{'
                | '}'
                | '('
                | ')'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `url` as a Markdown link destination: the characters that would end or confuse it are
/// percent-encoded, which leaves the URL's meaning unchanged.
pub fn link_destination(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            ' ' => out.push_str("%20"),
            '\\' => out.push_str("%5C"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether `url` is a link the HTML keeps: absolute http(s) or mailto, from its first
/// character (a URL that starts with a space of any kind would be relative).
pub fn is_safe_link(url: &str) -> bool {
    ["http://", "https://", "mailto:"].iter().any(|scheme| {
        url.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

/// The images in a Markdown text, each as its source (`![alt](url)`), in order: cards do not
/// show images yet (each becomes a link to it), which `check` warns about.
pub fn images(markdown: &str) -> Vec<&str> {
    if !markdown.contains("![") {
        return Vec::new();
    }
    Parser::new_ext(markdown, options())
        .into_offset_iter()
        .filter_map(|(event, range)| match event {
            Event::Start(Tag::Image { .. }) => markdown.get(range),
            _ => None,
        })
        .collect()
}

/// Every link target in a Markdown text (links and images), in order.
pub fn links(markdown: &str) -> Vec<String> {
    if !markdown.contains("](") && !markdown.contains('<') && !markdown.contains("]:") {
        return Vec::new();
    }
    Parser::new_ext(markdown, options())
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

/// The links in a Markdown text whose targets the sanitiser would drop, in order.
pub fn unsafe_links(markdown: &str) -> Vec<String> {
    links(markdown)
        .into_iter()
        .filter(|url| !is_safe_link(url))
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `count` texts of `length` pieces each, drawn from `pieces` by a seeded xorshift: the
    /// same texts on every run.
    pub(crate) fn random_texts(
        pieces: &[&str],
        length: usize,
        count: usize,
        seed: u64,
    ) -> impl Iterator<Item = String> {
        let pieces: Vec<String> = pieces.iter().map(|p| (*p).to_owned()).collect();
        let mut random = Random(seed);
        (0..count).map(move |_| {
            let mut text = String::new();
            for _ in 0..length {
                text.push_str(&pieces[random.below(pieces.len())]);
            }
            text
        })
    }

    /// A seeded xorshift: the randomised tests draw the same inputs on every run.
    pub(crate) struct Random(pub(crate) u64);

    impl Random {
        /// A number below `n`.
        pub(crate) fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn renders_emphasis_links_and_lists() {
        assert_eq!(
            to_html("Some **bold** and [a link](https://example.org/?a=1&b=2)."),
            "<p>Some <strong>bold</strong> and <a href=\"https://example.org/?a=1&amp;b=2\" rel=\"noopener noreferrer\">a link</a>.</p>\n"
        );
        assert_eq!(to_inline_html("*one* bullet"), "<em>one</em> bullet");
    }

    #[test]
    fn raw_html_is_shown_not_run() {
        let html = to_html("Hi <script>alert(1)</script> <img src=x onerror=alert(1)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn javascript_links_lose_their_target() {
        let html = to_html("[click](javascript:alert(1)) [rel](/local) [ok](mailto:a@b.org)");
        assert!(!html.contains("javascript"), "{html}");
        assert!(!html.contains("/local"), "{html}");
        assert!(html.contains("mailto:a@b.org"), "{html}");
        assert_eq!(
            unsafe_links("[a](javascript:x) [b](https://ok.org) ![c](data:x)"),
            ["javascript:x", "data:x"]
        );
        // A URL that starts with a space of any kind is relative, however it goes on.
        assert_eq!(
            unsafe_links("[a](\u{a0}https://e.org)"),
            ["\u{a0}https://e.org"]
        );
        assert_eq!(
            to_html("[a](\u{a0}https://e.org)"),
            "<p><a rel=\"noopener noreferrer\">a</a></p>\n"
        );
    }

    #[test]
    fn headings_and_images_are_tamed() {
        assert_eq!(to_html("# Big"), "<p><strong>Big</strong></p>\n");
        let html = to_html("![chart](https://example.org/c.png)");
        assert!(!html.contains("<img") && html.contains("href=\"https://example.org/c.png\""));
    }

    /// What `to_html` made before it wrote HTML itself: pulldown-cmark's HTML cleaned by
    /// ammonia with the rules the module documentation states.
    fn through_ammonia(markdown: &str) -> String {
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, safe_events(markdown));
        ammonia::Builder::empty()
            .add_tags([
                "p",
                "br",
                "em",
                "strong",
                "a",
                "ul",
                "ol",
                "li",
                "blockquote",
                "code",
                "pre",
                "del",
                "hr",
            ])
            .add_tag_attributes("a", ["href"])
            .add_tag_attributes("ol", ["start"])
            .url_schemes(["http", "https", "mailto"].into_iter().collect())
            .url_relative(ammonia::UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer"))
            .clean(&html)
            .to_string()
    }

    /// Whether a link holds a link (an image in a link's text): the HTML parser in ammonia
    /// splits such an `<a>` in two, the writer keeps the inner one's text.
    fn has_link_in_link(markdown: &str) -> bool {
        let mut depth = 0;
        for event in safe_events(markdown) {
            match event {
                Event::Start(Tag::Link { .. }) if depth > 0 => return true,
                Event::Start(Tag::Link { .. }) => depth += 1,
                Event::End(TagEnd::Link) => depth -= 1,
                _ => {}
            }
        }
        false
    }

    #[test]
    fn writes_what_ammonia_made_of_pulldown_cmark_html() {
        let pieces = [
            "# ",
            "- ",
            "1. ",
            "3. ",
            "> ",
            "```rust\n",
            "```\n",
            "    code\n",
            "\n",
            "\n\n",
            "*",
            "**",
            "_",
            "~~",
            "`",
            "[a](",
            "![b](",
            ")",
            "]",
            "[",
            "(",
            "<",
            ">",
            "&",
            "&amp;",
            "&copy;",
            "&#60;",
            "\"",
            "'",
            " ",
            "word",
            "ünï 北京",
            "\u{a0}",
            "  \n",
            "\\",
            "---\n",
            "***",
            "[r]",
            "\n[r]: https://ref.org/x \"T\"\n",
            " \"title\"",
            "https://x.org/a?b=1&c='d'(e)",
            "HTTP://X.ORG/%20;^",
            "mailto:m@x.org",
            "javascript:alert(1)",
            "/rel",
            "#frag",
            "data:text/html,x",
            "<https://auto.org/?a&b>",
            "<m@x.org>",
            "<b>bold</b>",
            "<script>x</script>",
            "<!-- c -->",
            "\t",
            "1) ",
        ];
        let mut compared = 0;
        for text in random_texts(&pieces, 14, 15_000, 0x9e37_79b9_7f4a_7c15) {
            if has_link_in_link(&text) {
                continue;
            }
            assert_eq!(to_html(&text), through_ammonia(&text), "{text:?}");
            compared += 1;
        }
        assert!(compared > 11_000, "{compared}");
        // The one difference: an `<a>` inside an `<a>` keeps only its text.
        assert_eq!(
            to_html("[![chart](https://e.org/c.png)](https://e.org/)"),
            "<p><a href=\"https://e.org/\" rel=\"noopener noreferrer\">chart</a></p>\n"
        );
    }

    #[test]
    fn text_plain_line_and_html_from_one_parse_match_their_own() {
        let pieces = [
            "word ",
            "**bold** ",
            "*em* ",
            "[link](https://a.org/x) ",
            "[](https://e.org) ",
            "[x](https://b.org)",
            "\n",
            "\n\n",
            "  \n",
            "\\\n",
            "- ",
            "1. ",
            "  - ",
            "> ",
            "`code` ",
            "<b>raw</b>",
            "---\n",
            "\u{a0}",
            "\t",
            "'q' ",
            "\"dq\" ",
            "ünï ",
        ];
        let mut compared = 0;
        for text in random_texts(&pieces, 12, 5_000, 0x2545_f491_4f6c_dd1d) {
            let mut numbered = |url: &str| format!(" [{}]", url.len());
            let (both_text, both_line) = to_text_and_plain_line(&text, &mut numbered);
            assert_eq!(both_text, to_text(&text, &mut numbered), "{text:?}");
            assert_eq!(both_line, to_plain_line(&text), "{text:?}");
            for inline in [false, true] {
                let (text_again, html) = to_text_and_html(&text, &mut numbered, inline);
                assert_eq!(text_again, both_text, "{text:?}");
                let alone = if inline {
                    to_inline_html(&text)
                } else {
                    to_html(&text)
                };
                assert_eq!(html, alone, "{text:?}");
            }
            compared += usize::from(both_text != both_line);
        }
        assert!(compared > 4_000, "{compared}");
    }

    #[test]
    fn plain_text_keeps_words_and_numbers_links() {
        let mut links = Vec::new();
        let text = to_text(
            "Lin's lab raised **$2B**, per [The Information](https://ti.example).\n\n- one\n- two [x](https://x.example)\n",
            &mut |url| {
                links.push(url.to_owned());
                format!(" [{}]", links.len())
            },
        );
        assert_eq!(
            text,
            "Lin\u{2019}s lab raised $2B, per The Information [1].\n\n- one\n- two x [2]"
        );
        assert_eq!(links, ["https://ti.example", "https://x.example"]);
    }

    #[test]
    fn raw_html_in_markdown_output_becomes_text() {
        let safe = to_safe_markdown(
            "Hi <script>alert(1)</script> **ok**\n\n<div onclick=x>\nblock\n</div>\n",
        );
        assert_eq!(
            safe,
            "Hi \\<script>alert(1)\\</script> **ok**\n\n\\<div onclick=x>\nblock\n\\</div>"
        );
        let html = to_html(&safe);
        assert!(
            !html.contains("<script") && !html.contains("<div"),
            "{html}"
        );
        assert_eq!(
            to_safe_markdown("a < b and [x](https://e.org)"),
            "a < b and [x](https://e.org)"
        );
        assert_eq!(
            to_safe_markdown("  **no** tags, [x](https://e.org)\n"),
            "**no** tags, [x](https://e.org)"
        );
    }

    #[test]
    fn escapes_markdown_syntax() {
        assert_eq!(
            escape("C++ *is* [fun] <b> #1"),
            "C++ \\*is\\* \\[fun\\] \\<b\\> \\#1"
        );
    }
}

#[cfg(test)]
mod smart_quote_tests {
    use super::smart_quotes;

    #[test]
    fn curls_quotes_and_leaves_everything_else() {
        assert_eq!(
            smart_quotes("T-Head's \"Zhenwu\" isn't *new*"),
            "T-Head\u{2019}s \u{201c}Zhenwu\u{201d} isn\u{2019}t *new*"
        );
        assert_eq!(
            smart_quotes("2026. A year of [AI] & <chips> #1"),
            "2026. A year of [AI] & <chips> #1"
        );
        assert_eq!(
            smart_quotes("- 'Quoted' -- start"),
            "- \u{2018}Quoted\u{2019} -- start"
        );
        assert_eq!(
            smart_quotes("1. \"Qwen\" 3.5 ... `code` \\ end"),
            "1. \u{201c}Qwen\u{201d} 3.5 ... `code` \\ end"
        );
        assert_eq!(smart_quotes("No quotes at all"), "No quotes at all");
        assert_eq!(smart_quotes("Lin's"), "Lin\u{2019}s");
    }
}
