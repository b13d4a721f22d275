//! Card Markdown to HTML, to plain text, and escaping for Markdown output.
//!
//! The only module that sets pulldown-cmark options or sanitiser rules, so one reading shows
//! every path by which card text becomes markup. Card text is data: raw HTML in it is shown as
//! text, headings become bold paragraphs (a page has one `h1`, and the template owns the
//! outline), images become links, and the result goes through ammonia, which keeps only
//! http(s) and mailto links. No `<script>`, event handler or `javascript:` URL survives.

use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_SMART_PUNCTUATION
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
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
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// Card Markdown as events that carry no markup of the author's own.
fn safe_events(markdown: &str) -> impl Iterator<Item = Event<'_>> {
    Parser::new_ext(markdown, options()).flat_map(|event| -> Vec<Event<'_>> {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => vec![Event::Text(html)],
            Event::Start(Tag::Heading { .. }) => {
                vec![Event::Start(Tag::Paragraph), Event::Start(Tag::Strong)]
            }
            Event::End(TagEnd::Heading(_)) => {
                vec![Event::End(TagEnd::Strong), Event::End(TagEnd::Paragraph)]
            }
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => vec![Event::Start(Tag::Link {
                link_type: LinkType::Inline,
                dest_url,
                title,
                id: CowStr::Borrowed(""),
            })],
            Event::End(TagEnd::Image) => vec![Event::End(TagEnd::Link)],
            other => vec![other],
        }
    })
}

/// Renders block Markdown to sanitised HTML.
pub fn to_html(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, safe_events(markdown));
    SANITIZER.clean(&html).to_string()
}

/// Renders one line of Markdown (a bullet) to sanitised HTML without the paragraph around it.
pub fn to_inline_html(markdown: &str) -> String {
    let html = to_html(markdown);
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
    to_text(markdown, &mut |_| String::new())
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders Markdown to plain text: formatting dropped, paragraphs separated by a blank line,
/// list items as `- `, link text kept and the link's URL handed to `on_link`, whose return
/// value (e.g. ` [1]`) is written after the link text.
pub fn to_text(markdown: &str, on_link: &mut dyn FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut link_stack: Vec<String> = Vec::new();
    let mut list_depth = 0usize;
    for event in safe_events(markdown) {
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
                    out.push_str(&on_link(&url));
                }
            }
            Event::Rule => out.push_str("---\n\n"),
            _ => {}
        }
    }
    // Tight lists leave items without paragraph breaks; normalise the blank lines.
    let mut text = String::with_capacity(out.len());
    let mut blank_run = 0;
    for line in out.trim().lines() {
        if line.trim().is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text.trim_end().to_owned()
}

/// Card Markdown for Markdown output: passed through as written, except raw HTML, whose `<`
/// is backslash-escaped so every Markdown renderer shows it as text.
pub fn to_safe_markdown(markdown: &str) -> String {
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

/// Whether `url` is a link the sanitiser keeps (absolute http(s) or mailto).
pub fn is_safe_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("mailto:")
}

/// The links in a Markdown text whose targets the sanitiser would drop, in order.
pub fn unsafe_links(markdown: &str) -> Vec<String> {
    Parser::new_ext(markdown, options())
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. })
                if !is_safe_link(&dest_url) =>
            {
                Some(dest_url.into_string())
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }

    #[test]
    fn headings_and_images_are_tamed() {
        assert_eq!(to_html("# Big"), "<p><strong>Big</strong></p>\n");
        let html = to_html("![chart](https://example.org/c.png)");
        assert!(!html.contains("<img") && html.contains("href=\"https://example.org/c.png\""));
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
    }

    #[test]
    fn escapes_markdown_syntax() {
        assert_eq!(
            escape("C++ *is* [fun] <b> #1"),
            "C++ \\*is\\* \\[fun\\] \\<b\\> \\#1"
        );
    }
}
