//! The events of the simplest card Markdown, read without pulldown-cmark.
//!
//! Most card fields are one line of words with `**strong**` spans and `[inline](links)`.
//! Parsing them with pulldown-cmark was a tenth of a site build's instructions. [`events`]
//! reads such a line in one pass and returns the events pulldown-cmark would give, or `None`
//! for anything else, which the parser then reads. "Such a line" is narrow on purpose: every
//! rule below keeps to cases where CommonMark's answer is plain (no delimiter whose meaning
//! depends on its neighbours, no character smart punctuation or escaping would change, no
//! line that could start a block), and the tests hold the result to the parser's.

use pulldown_cmark::{CowStr, Event, LinkType, Tag, TagEnd};

/// The events of `markdown`, one paragraph, when it is simple enough to read here.
pub(super) fn events(markdown: &str) -> Option<Vec<Event<'_>>> {
    // A folded YAML scalar ends with one line break.
    let text = markdown.strip_suffix('\n').unwrap_or(markdown);
    let bytes = text.as_bytes();
    // A paragraph's first character must not start a block (a list, heading, quote, code,
    // rule or HTML) and its last must not be white space the paragraph would drop.
    let first = *bytes.first()?;
    let starts_inline = first.is_ascii_alphabetic()
        || first == b'['
        || (text.starts_with("**") && bytes.get(2).is_some_and(u8::is_ascii_alphanumeric));
    if !starts_inline || bytes.last()?.is_ascii_whitespace() {
        return None;
    }
    let mut reader = Reader {
        text,
        at: 0,
        run: 0,
        out: vec![Event::Start(Tag::Paragraph)],
        in_strong: false,
        in_link: false,
    };
    reader.read()?;
    reader.out.push(Event::End(TagEnd::Paragraph));
    Some(reader.out)
}

/// The bytes that are text wherever they stand: letters, digits, the space (two spaces before
/// a line break would be a hard break, but no line break remains) and punctuation that means
/// nothing to CommonMark, HTML or smart punctuation here. `-`, `.` and `!` are text too, unless
/// doubled or before `[`, so they are looked at one by one.
const PLAIN: [bool; 256] = {
    let mut plain = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        plain[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b' ' | b',' | b';' | b':' | b'?' | b'(' | b')' | b'/' | b'%' | b'$' | b'+' | b'='
            );
        b += 1;
    }
    plain
};

/// Whether `b` may stand right after a strong span or a link: a space or closing punctuation.
fn may_follow_span(b: u8) -> bool {
    matches!(b, b' ' | b'.' | b',' | b';' | b':' | b'?' | b'!' | b')')
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    /// Where the text not yet emitted starts.
    run: usize,
    out: Vec<Event<'a>>,
    in_strong: bool,
    in_link: bool,
}

impl<'a> Reader<'a> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// The byte before `at`, `None` at the start.
    fn before(&self, at: usize) -> Option<u8> {
        at.checked_sub(1).and_then(|i| self.byte(i))
    }

    fn flush(&mut self) {
        if self.run < self.at {
            self.out
                .push(Event::Text(CowStr::Borrowed(&self.text[self.run..self.at])));
        }
    }

    /// Ends the text read so far with `event`, and goes on reading at `resume`.
    fn emit(&mut self, event: Event<'a>, resume: usize) {
        self.flush();
        self.out.push(event);
        self.at = resume;
        self.run = resume;
    }

    fn read(&mut self) -> Option<()> {
        let bytes = self.text.as_bytes();
        while let Some(&b) = bytes.get(self.at) {
            // Most bytes are plain text whatever follows them: skip those in a tight loop.
            if PLAIN[usize::from(b)] {
                self.at += 1;
                continue;
            }
            match b {
                b'*' => self.strong()?,
                b'[' => self.link_start()?,
                b']' => self.link_end()?,
                b'-' if self.byte(self.at + 1) == Some(b'-') => return None,
                b'.' if self.byte(self.at + 1) == Some(b'.') => return None,
                b'!' if self.byte(self.at + 1) == Some(b'[') => return None,
                b'-' | b'.' | b'!' => self.at += 1,
                // Any other character: letters and punctuation beyond ASCII are text, but white
                // space, controls and the characters that matter to HTML are not simple.
                _ if b >= 0x80 => {
                    let c = self.text[self.at..].chars().next()?;
                    if c.is_whitespace() || c.is_control() {
                        return None;
                    }
                    self.at += c.len_utf8();
                }
                _ => return None,
            }
        }
        if self.in_strong || self.in_link {
            return None;
        }
        self.flush();
        Some(())
    }

    /// `**` opening after a space, `(`, `[` or the start and before a letter or digit, or
    /// closing after a letter or digit and before a space, the end or closing punctuation.
    /// Either way CommonMark can read it only one way.
    fn strong(&mut self) -> Option<()> {
        let at = self.at;
        if self.byte(at + 1) != Some(b'*') || self.byte(at + 2) == Some(b'*') {
            return None;
        }
        let before = self.before(at);
        let after = self.byte(at + 2);
        if !self.in_strong {
            let opens_after = before.is_none_or(|b| matches!(b, b' ' | b'(' | b'['));
            if !opens_after || !after.is_some_and(|b| b.is_ascii_alphanumeric()) {
                return None;
            }
            self.emit(Event::Start(Tag::Strong), at + 2);
            self.in_strong = true;
        } else {
            let closes_before = after.is_none_or(|b| b == b']' || may_follow_span(b));
            if !before.is_some_and(|b| b.is_ascii_alphanumeric()) || !closes_before {
                return None;
            }
            self.emit(Event::End(TagEnd::Strong), at + 2);
            self.in_strong = false;
        }
        Some(())
    }

    /// `[` after a space, `(` or the start, before a letter, digit or `**`; not inside strong.
    fn link_start(&mut self) -> Option<()> {
        let at = self.at;
        let before = self.before(at);
        let after = self.byte(at + 1)?;
        if self.in_link
            || self.in_strong
            || !before.is_none_or(|b| matches!(b, b' ' | b'('))
            || !(after.is_ascii_alphanumeric() || after == b'*')
        {
            return None;
        }
        // The link's text and destination: `](`, an absolute URL of plain characters, `)`.
        let close = at + self.text[at..].find(']')?;
        let rest = &self.text[close + 1..];
        let url_and_after = rest.strip_prefix('(')?;
        let url_len = url_and_after.find(')')?;
        let url = &url_and_after[..url_len];
        let url_ok = !url.is_empty()
            && url.bytes().all(|b| {
                b.is_ascii_alphanumeric()
                    || matches!(
                        b,
                        b'-' | b'.'
                            | b'_'
                            | b'~'
                            | b':'
                            | b'/'
                            | b'?'
                            | b'#'
                            | b'@'
                            | b'!'
                            | b'$'
                            | b'+'
                            | b','
                            | b';'
                            | b'='
                            | b'%'
                            | b'*'
                    )
            });
        if !url_ok {
            return None;
        }
        let after_link = close + 1 + 1 + url_len + 1;
        let next = self.byte(after_link);
        if !next.is_none_or(may_follow_span) {
            return None;
        }
        let link = Tag::Link {
            link_type: LinkType::Inline,
            dest_url: CowStr::Borrowed(url),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        };
        self.emit(Event::Start(link), at + 1);
        self.in_link = true;
        Some(())
    }

    /// The `]` of the open link: the link ends, and its destination is skipped.
    fn link_end(&mut self) -> Option<()> {
        let at = self.at;
        let before = self.before(at)?;
        if !self.in_link || self.in_strong || !(before.is_ascii_alphanumeric() || before == b'*') {
            return None;
        }
        // `link_start` checked the `(url)` that follows.
        let url_end = at + self.text[at..].find(')')?;
        self.emit(Event::End(TagEnd::Link), url_end + 1);
        self.in_link = false;
        Some(())
    }
}
