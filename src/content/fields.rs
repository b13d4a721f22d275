//! Typed reading of a YAML mapping, reporting every problem where it stands.
//!
//! Cards, issue files and `config.yaml` are all mappings of known keys. [`Fields`] reads one
//! value at a time as the type the caller asks for; anything missing, empty, mistyped or unknown
//! becomes a [`Diagnostic`](crate::diagnostic::Diagnostic) at the key or value, and reading goes
//! on, so one run reports all of a file's problems.
//!
//! Longer than most files (about 800 lines) for a reason: each reader (a line, a date, a list,
//! a mapping, a choice...) and the text checks it shares with the others (line breaks, control
//! characters, text a `#` cut short, subjects a mail program would misread) are one vocabulary
//! that cards, issue files and the config read in; split, every reader would import the
//! others.

use chrono::NaiveDate;

use crate::content::yaml::{Entry, Node, Value};
use crate::diagnostic::Pos;
use crate::diagnostic::{FileDiagnostics, did_you_mean};

/// A known key: its name, and the help shown when it is missing or wrong.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key as written in YAML.
    pub name: &'static str,
    /// What the value should be, as a help sentence.
    pub help: &'static str,
}

impl Key {
    /// A key named `name`, with `help` for when it is missing or wrong.
    pub const fn new(name: &'static str, help: &'static str) -> Key {
        Key { name, help }
    }
}

/// A value with the position it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it stands in the file.
    pub pos: Pos,
}

/// Reads the keys of one mapping into typed values, recording problems as diagnostics.
pub struct Fields<'n, 'd, 'a> {
    entries: &'n [Entry],
    map_pos: Pos,
    /// The diagnostics of the file being read.
    pub diags: &'d mut FileDiagnostics<'a>,
    /// Prefix for messages about nested mappings, e.g. "source 2: ".
    context: String,
}

impl<'n, 'd, 'a> Fields<'n, 'd, 'a> {
    /// Starts reading `entries`, a mapping that starts at `map_pos`.
    ///
    /// Every key not in `known` is reported at once, with the closest known key (or one of
    /// `aliases`, common names for a known key) as a suggestion.
    pub fn new(
        entries: &'n [Entry],
        map_pos: Pos,
        known: &[Key],
        aliases: &[(&str, &str)],
        context: &str,
        diags: &'d mut FileDiagnostics<'a>,
    ) -> Self {
        let names: Vec<&str> = known.iter().map(|k| k.name).collect();
        for entry in entries {
            if names.contains(&entry.key.as_str()) {
                continue;
            }
            let lower = entry.key.to_lowercase();
            let suggestion = aliases
                .iter()
                .find(|(alias, _)| *alias == lower)
                .map(|(_, name)| *name)
                .or_else(|| did_you_mean(&entry.key, &names));
            let diag = diags.error(
                entry.key_pos,
                format!("{context}unknown key `{}`", entry.key),
            );
            match suggestion {
                Some(name) => diag.help(format!("did you mean `{name}`?")),
                None => diag.help(format!("known keys are {}", backticked(&names))),
            };
        }
        Fields {
            entries,
            map_pos,
            diags,
            context: context.to_owned(),
        }
    }

    /// The entry for `key`, if the mapping has it.
    pub fn entry(&self, key: &str) -> Option<&'n Entry> {
        self.entries.iter().find(|e| e.key == key)
    }

    /// The entries and position of the mapping under `key`, when there is one. A value of
    /// another kind is reported; a missing or null value is not (the mapping is optional).
    pub fn mapping(&mut self, key: Key) -> Option<(&'n [Entry], Pos)> {
        let entry = self.entry(key.name)?;
        match &entry.value.value {
            Value::Map(entries) => Some((entries, entry.value.pos)),
            Value::Null => None,
            _ => {
                self.wrong_type(key, &entry.value, "a mapping");
                None
            }
        }
    }

    /// The entry for `key` when it holds a value; reports a missing or empty required key.
    fn present(&mut self, key: Key, required: bool) -> Option<&'n Entry> {
        match self.entry(key.name) {
            Some(entry) if !entry.value.is_null() => Some(entry),
            Some(entry) => {
                if required {
                    self.diags
                        .error(
                            entry.key_pos,
                            format!("{}`{}` is empty", self.context, key.name),
                        )
                        .help(key.help);
                }
                None
            }
            None => {
                if required {
                    self.diags
                        .error(
                            self.map_pos,
                            format!("{}missing required key `{}`", self.context, key.name),
                        )
                        .help(key.help);
                }
                None
            }
        }
    }

    fn wrong_type(&mut self, key: Key, node: &Node, expected: &str) {
        self.diags
            .error(
                node.pos,
                format!(
                    "{}`{}` must be {expected}, found {}",
                    self.context,
                    key.name,
                    node.kind()
                ),
            )
            .help(key.help);
    }

    /// Reads Markdown text (a paragraph or more). Empty text counts as absent.
    pub fn text(&mut self, key: Key, required: bool) -> Option<Spanned<String>> {
        let entry = self.present(key, required)?;
        let Some(raw) = entry.value.as_text() else {
            self.wrong_type(key, &entry.value, "text");
            return None;
        };
        reject_cut_by_comment(
            self.diags,
            &entry.value,
            &format!("{}`{}`", self.context, key.name),
        );
        let text = raw.trim();
        if text.is_empty() {
            if required {
                self.diags
                    .error(
                        entry.key_pos,
                        format!("{}`{}` is empty", self.context, key.name),
                    )
                    .help(key.help);
            }
            return None;
        }
        if let Some(c) = first_control(text, &['\n', '\t']) {
            self.diags
                .error(
                    entry.value.pos,
                    format!(
                        "{}`{}` contains the control character U+{:04X}",
                        self.context, key.name, c as u32
                    ),
                )
                .help("delete it; it is invisible in most editors");
            return None;
        }
        let label = || format!("{}`{}`", self.context, key.name);
        if !links_are_safe(text, &label, entry.value.pos, self.diags) {
            return None;
        }
        warn_of_images(text, &label, entry.value.pos, self.diags);
        Some(Spanned {
            value: text.to_owned(),
            pos: entry.value.pos,
        })
    }

    /// Reads one line of plain text: no line breaks or control characters, since these values
    /// end up in email headers and page titles.
    pub fn line(&mut self, key: Key, required: bool) -> Option<Spanned<String>> {
        let entry = self.present(key, required)?;
        let Some(raw) = entry.value.as_text() else {
            self.wrong_type(key, &entry.value, "one line of text");
            return None;
        };
        let label = format!("{}`{}`", self.context, key.name);
        reject_cut_by_comment(self.diags, &entry.value, &label);
        let value = one_line(raw, &label, entry.value.pos, self.diags)?;
        if value.is_empty() {
            if required {
                self.diags
                    .error(entry.key_pos, format!("{label} is empty"))
                    .help(key.help);
            }
            return None;
        }
        Some(Spanned {
            value,
            pos: entry.value.pos,
        })
    }

    /// Reads one line that may become an email's subject: [`Fields::line`], and nothing a
    /// mail program would misread ([`subject_problem`]).
    pub fn subject_line(&mut self, key: Key, required: bool) -> Option<Spanned<String>> {
        let line = self.line(key, required)?;
        if let Some((message, help)) = subject_problem(&line.value) {
            let label = format!("{}`{}`", self.context, key.name);
            self.diags
                .error(line.pos, format!("{label} {message}"))
                .help(help);
            return None;
        }
        Some(line)
    }

    /// Reads a `YYYY-MM-DD` date.
    pub fn date(&mut self, key: Key, required: bool) -> Option<Spanned<NaiveDate>> {
        let entry = self.present(key, required)?;
        let Some(raw) = entry.value.as_text() else {
            self.wrong_type(key, &entry.value, "a date (YYYY-MM-DD)");
            return None;
        };
        let label = format!("{}`{}`", self.context, key.name);
        let date = parse_date(raw, &label, entry.value.pos, self.diags)?;
        Some(Spanned {
            value: date,
            pos: entry.value.pos,
        })
    }

    /// Reads a whole number.
    pub fn integer(&mut self, key: Key) -> Option<Spanned<i64>> {
        let entry = self.present(key, false)?;
        match &entry.value.value {
            Value::Scalar {
                text,
                quoted: false,
            } => match text.parse::<i64>() {
                Ok(value) => Some(Spanned {
                    value,
                    pos: entry.value.pos,
                }),
                Err(_) => {
                    self.wrong_type(key, &entry.value, "a whole number");
                    None
                }
            },
            _ => {
                self.wrong_type(key, &entry.value, "a whole number");
                None
            }
        }
    }

    /// Reads a whole number from `min` to `max`.
    pub fn integer_in(&mut self, key: Key, min: i64, max: i64) -> Option<Spanned<i64>> {
        let value = self.integer(key)?;
        if value.value < min || value.value > max {
            self.diags
                .error(
                    value.pos,
                    format!(
                        "{}`{}` must be from {min} to {max}, found {}",
                        self.context, key.name, value.value
                    ),
                )
                .help(key.help);
            return None;
        }
        Some(value)
    }

    /// Reads a positive number, whole or not.
    pub fn positive_number(&mut self, key: Key) -> Option<Spanned<f64>> {
        let entry = self.present(key, false)?;
        let parsed = match &entry.value.value {
            Value::Scalar {
                text,
                quoted: false,
            } => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0),
            _ => None,
        };
        if parsed.is_none() {
            self.wrong_type(key, &entry.value, "a number above 0");
        }
        parsed.map(|value| Spanned {
            value,
            pos: entry.value.pos,
        })
    }

    /// Reads `true` or `false`.
    pub fn boolean(&mut self, key: Key) -> Option<bool> {
        let entry = self.present(key, false)?;
        match &entry.value.value {
            Value::Scalar {
                text,
                quoted: false,
            } if text == "true" => Some(true),
            Value::Scalar {
                text,
                quoted: false,
            } if text == "false" => Some(false),
            _ => {
                self.wrong_type(key, &entry.value, "`true` or `false`");
                None
            }
        }
    }

    /// Reads one of `allowed`, listing them when the value is something else.
    pub fn choice(&mut self, key: Key, allowed: &[&'static str]) -> Option<Spanned<&'static str>> {
        let value = self.line(key, false)?;
        if let Some(found) = allowed.iter().find(|a| **a == value.value) {
            return Some(Spanned {
                value: found,
                pos: value.pos,
            });
        }
        let diag = self.diags.error(
            value.pos,
            format!(
                "{}`{}` must be one of {}, found `{}`",
                self.context,
                key.name,
                backticked_or(allowed),
                value.value
            ),
        );
        if let Some(close) = did_you_mean(&value.value, allowed) {
            diag.help(format!("did you mean `{close}`?"));
        }
        None
    }

    /// The items of a list, or `None` (with an error) when the value is not a list.
    pub fn list(&mut self, key: Key, required: bool) -> Option<(&'n Entry, &'n [Node])> {
        let entry = self.present(key, required)?;
        match &entry.value.value {
            Value::Seq(items) => Some((entry, items)),
            _ => {
                self.wrong_type(key, &entry.value, "a list");
                None
            }
        }
    }

    /// Reads a list of one-line strings.
    pub fn line_list(&mut self, key: Key) -> Vec<Spanned<String>> {
        let Some((_, items)) = self.list(key, false) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let label = format!("{}`{}` item {}", self.context, key.name, i + 1);
            let Some(raw) = item.as_text() else {
                self.diags.error(
                    item.pos,
                    format!("{label} must be text, found {}", item.kind()),
                );
                continue;
            };
            if let Some(value) = one_line(raw, &label, item.pos, self.diags) {
                if value.is_empty() {
                    self.diags.error(item.pos, format!("{label} is empty"));
                } else {
                    out.push(Spanned {
                        value,
                        pos: item.pos,
                    });
                }
            }
        }
        out
    }

    /// Reads a list of Markdown-inline strings (bullets). Line breaks inside one bullet are
    /// folded into spaces; empty bullets are errors.
    pub fn bullet_list(&mut self, key: Key, required: bool) -> Option<Vec<Spanned<String>>> {
        let (entry, items) = self.list(key, required)?;
        if items.is_empty() && required {
            self.diags
                .error(
                    entry.value.pos,
                    format!("{}`{}` is empty", self.context, key.name),
                )
                .help(key.help);
            return None;
        }
        Some(self.bullets(key, items))
    }

    /// Reads `items` as bullets of the list under `key`.
    pub fn bullets(&mut self, key: Key, items: &[Node]) -> Vec<Spanned<String>> {
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.bullet(key, i, item))
            .collect()
    }

    /// Reads `item`, at `index` (0-based) of the list under `key`, as one bullet.
    pub fn bullet(&mut self, key: Key, index: usize, item: &Node) -> Option<Spanned<String>> {
        // Built only for a message: most bullets have nothing wrong.
        let label = || format!("{}`{}` item {}", self.context, key.name, index + 1);
        let Some(raw) = item.as_text() else {
            let diag = self.diags.error(
                item.pos,
                format!("{} must be text, found {}", label(), item.kind()),
            );
            if item.as_map().is_some() {
                // `- Lin: announced it` is a one-key mapping to YAML.
                diag.help("a `: ` inside an unquoted bullet makes it a key and a value; put the bullet in double quotes");
            } else {
                diag.help(key.help);
            }
            return None;
        };
        reject_cut_by_comment(self.diags, item, &label());
        let raw = match strip_bullet_mark(raw) {
            Some((mark, rest)) => {
                self.diags
                    .warning(
                        item.pos,
                        format!("{} starts with `{mark}`, which was left out", label()),
                    )
                    .help("bullets get their arrow from the template; start with the words");
                rest
            }
            None => raw,
        };
        inline_text(self.diags, raw, key, item.pos, &label)
    }

    /// Reads one line of Markdown under `key`, like a bullet; `None` when the key is absent or
    /// its value is wrong (reported). A value that is not text, `null` included, is an error.
    pub fn inline(&mut self, key: Key) -> Option<Spanned<String>> {
        let entry = self.entry(key.name)?;
        let Some(raw) = entry.value.as_text() else {
            self.wrong_type(key, &entry.value, "text");
            return None;
        };
        let label = || format!("{}`{}`", self.context, key.name);
        inline_text(self.diags, raw, key, entry.value.pos, &label)
    }
}

/// Checks `raw`, the text of a bullet, and folds its white space. `label` names the bullet in
/// messages; it is only built for one.
fn inline_text(
    diags: &mut FileDiagnostics<'_>,
    raw: &str,
    key: Key,
    pos: Pos,
    label: &dyn Fn() -> String,
) -> Option<Spanned<String>> {
    let folded = fold_whitespace(raw);
    if folded.is_empty() {
        diags
            .error(pos, format!("{} is empty", label()))
            .help(key.help);
        return None;
    }
    if let Some(c) = first_control(&folded, &[]) {
        diags.error(
            pos,
            format!(
                "{} contains the control character U+{:04X}",
                label(),
                c as u32
            ),
        );
        return None;
    }
    if !links_are_safe(&folded, label, pos, diags) {
        return None;
    }
    warn_of_images(&folded, label, pos, diags);
    Some(Spanned { value: folded, pos })
}

/// The arrow or bullet a curator typed before a bullet's words (`→ Lin announced…`, as the
/// house style shows bullets), and the words after it.
fn strip_bullet_mark(raw: &str) -> Option<(&str, &str)> {
    let text = raw.trim_start();
    ["→", "->", "•", "- ", "– ", "* "]
        .into_iter()
        .find_map(|mark| {
            let rest = text.strip_prefix(mark)?;
            (!rest.trim().is_empty()).then(|| (mark.trim(), rest.trim_start()))
        })
}

/// Warns when the plain (unquoted) scalar `node` was cut short by YAML: ` #` starts a comment,
/// so `Lin, Alibaba's #1 public voice` is read as `Lin, Alibaba's`. A comment written as one
/// (`# a note`, with a space after `#`) is left alone.
fn reject_cut_by_comment(diags: &mut FileDiagnostics<'_>, node: &Node, label: &str) {
    let Value::Scalar {
        text,
        quoted: false,
    } = &node.value
    else {
        return;
    };
    if text.contains('\n') {
        return;
    }
    let Some(line) = diags.source_line(node.pos.line) else {
        return;
    };
    let start = usize::try_from(node.pos.col.saturating_sub(1)).unwrap_or(usize::MAX);
    let Some((offset, _)) = line.char_indices().nth(start) else {
        return;
    };
    let Some(after) = line[offset..].strip_prefix(text.as_str()) else {
        return;
    };
    let spaces = after.len() - after.trim_start_matches([' ', '\t']).len();
    let Some(comment) = after[spaces..].strip_prefix('#') else {
        return;
    };
    if spaces == 0 || comment.is_empty() || comment.starts_with([' ', '\t']) {
        return;
    }
    let col = node.pos.col + u32::try_from(text.chars().count() + spaces).unwrap_or(0);
    let rest: String = comment.chars().take(40).collect();
    // An error, not a warning: the cut sentence would be published in the page, the email
    // and the feed, and a hurried curator lets warnings scroll by.
    diags
        .error(
            Pos {
                line: node.pos.line,
                col,
            },
            format!("{label} ends before ` #{rest}`: YAML reads ` #` as the start of a comment"),
        )
        .help("put the whole value in double quotes, e.g. `\"... #1 ...\"`");
}

/// The first control character of `text` that is not one of `allowed`.
fn first_control(text: &str, allowed: &[char]) -> Option<char> {
    if !text.is_ascii() {
        return text
            .chars()
            .find(|c| c.is_control() && !allowed.contains(c));
    }
    // Card text is mostly ASCII, whose bytes need no decoding. A pass without early exit (which
    // the compiler turns into wide compares) clears most texts at once.
    let bytes = text.as_bytes();
    let (newline, tab) = (allowed.contains(&'\n'), allowed.contains(&'\t'));
    let clean = bytes.iter().fold(true, |clean, &b| {
        clean & (!b.is_ascii_control() | (newline & (b == b'\n')) | (tab & (b == b'\t')))
    });
    if clean {
        return None;
    }
    let mut at = 0;
    while let Some(found) = bytes[at..].iter().position(u8::is_ascii_control) {
        let control = char::from(bytes[at + found]);
        if !allowed.contains(&control) {
            return Some(control);
        }
        at += found + 1;
    }
    None
}

/// `text` trimmed, with every run of white space as one space.
fn fold_whitespace(text: &str) -> String {
    let trimmed = text.trim();
    let needs_folding = trimmed
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_whitespace() && (w[1].is_ascii_whitespace() || w[0] != b' '))
        || !trimmed.is_ascii() && trimmed.contains(char::is_whitespace);
    if needs_folding {
        trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        trimmed.to_owned()
    }
}

/// Warns of each Markdown image in `text` (a value starting at `pos`), at its own line: cards
/// do not show images yet, and the reader would get a link in its place.
fn warn_of_images(
    text: &str,
    label: &dyn Fn() -> String,
    pos: Pos,
    diags: &mut FileDiagnostics<'_>,
) {
    for image in crate::content::markdown::images(text) {
        let first_line = image.lines().next().unwrap_or(image);
        let at = diags.find_from(pos, first_line);
        diags
            .warning(
                at,
                format!(
                    "{} has an image, `{}`: cards do not show images yet, so readers get a link to it",
                    label(),
                    shorten(first_line, 60)
                ),
            )
            .help(
                "make it a link (`[chart](https://…)`) to say so, or describe what it shows in words",
            );
    }
}

/// `text` cut to `most` characters, with `…` where it was cut.
fn shorten(text: &str, most: usize) -> String {
    match text.char_indices().nth(most) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Reports Markdown links in `text` that would be dropped from the output.
fn links_are_safe(
    text: &str,
    label: &dyn Fn() -> String,
    pos: Pos,
    diags: &mut FileDiagnostics<'_>,
) -> bool {
    if !may_hold_unsafe_link(text) {
        return true;
    }
    let unsafe_links = crate::content::markdown::unsafe_links(text);
    for link in &unsafe_links {
        diags
            .error(
                pos,
                format!(
                    "{} links to `{link}`; only http(s) and mailto links are allowed",
                    label()
                ),
            )
            .help("write the full address, e.g. `[text](https://example.org/page)`");
    }
    unsafe_links.is_empty()
}

/// Whether Markdown parsing could find a link in `text` that is not http(s) or mailto.
///
/// A link destination starts right after `](` (inline link), after `]:` (a definition) or
/// after `<` and a letter (an autolink). When every `](` is followed by a safe scheme and the
/// other two never occur, no parse can find an unsafe link; parsing every field costs a fifth
/// of `check`.
fn may_hold_unsafe_link(text: &str) -> bool {
    let bytes = text.as_bytes();
    // One pass over the places a destination can start.
    memchr::memchr2_iter(b']', b'<', bytes).any(|at| match (bytes[at], bytes.get(at + 1)) {
        (b'<', Some(next)) => next.is_ascii_alphabetic(),
        (b']', Some(b':')) => true,
        (b']', Some(b'(')) => {
            let destination = &bytes[at + 2..];
            !["https://", "http://", "mailto:"]
                .iter()
                .any(|scheme| destination.starts_with(scheme.as_bytes()))
        }
        _ => false,
    })
}

/// Checks that `raw` is one line with no control characters and returns it trimmed.
pub fn one_line(
    raw: &str,
    label: &str,
    pos: Pos,
    diags: &mut FileDiagnostics<'_>,
) -> Option<String> {
    let text = raw.trim();
    if text.contains(['\n', '\r']) {
        diags
            .error(pos, format!("{label} must be one line, found a line break"))
            .help("it ends up in email headers and page titles; join the lines");
        return None;
    }
    if let Some(c) = first_control(text, &[]) {
        diags
            .error(
                pos,
                format!("{label} contains the control character U+{:04X}", c as u32),
            )
            .help("it ends up in email headers and page titles; delete it");
        return None;
    }
    Some(text.to_owned())
}

/// What a mail program would misread in `subject` as an email's Subject, and what to do: an
/// RFC 2047 encoded word's opening `=?` (the subject would be shown as something else), or
/// an ASCII word longer than 76 characters (a header line folds only between words, and
/// RFC 5322 caps a line at 998). Non-ASCII words are encoded, and encoded words fold.
pub fn subject_problem(subject: &str) -> Option<(String, &'static str)> {
    if subject.contains("=?") {
        return Some((
            "contains `=?`, which mail programs read as the start of an encoded word".to_owned(),
            "write it another way (`= ?`, say): the subject would not read as written",
        ));
    }
    subject
        .split_whitespace()
        .find(|word| word.len() > 76 && word.is_ascii())
        .map(|word| {
            (
                format!(
                    "has a word of {} characters, too long for a mail header to fold",
                    word.len()
                ),
                "break it with a space or shorten it; a link belongs in `sources`",
            )
        })
}

/// Parses a strict `YYYY-MM-DD` date, telling a malformed date from an impossible one.
pub fn parse_date(
    raw: &str,
    label: &str,
    pos: Pos,
    diags: &mut FileDiagnostics<'_>,
) -> Option<NaiveDate> {
    let text = raw.trim();
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        diags
            .error(
                pos,
                format!("{label} must be a date as YYYY-MM-DD, found `{text}`"),
            )
            .help("for example `2026-06-17`");
        return None;
    }
    let date = crate::content::dates::parse_iso(text);
    match date {
        None => {
            diags
                .error(pos, format!("{label} `{text}` is not a real date"))
                .help("check the month and the day");
            None
        }
        Some(date) => in_range(date, label, text, pos, diags),
    }
}

/// `date` when its year is 1900 to 2999 ([`crate::content::dates::in_range`]); otherwise reports it as
/// `label`, written `text`.
pub fn in_range(
    date: NaiveDate,
    label: &str,
    text: &str,
    pos: Pos,
    diags: &mut FileDiagnostics<'_>,
) -> Option<NaiveDate> {
    if crate::content::dates::in_range(date) {
        return Some(date);
    }
    diags
        .error(
            pos,
            format!("{label} `{text}` is outside the years 1900 to 2999"),
        )
        .help("check the year");
    None
}

/// Joins names as "`a`, `b` and `c`" for messages.
pub fn backticked(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Joins names as "`a`, `b` or `c`" for messages offering a choice.
pub fn backticked_or(names: &[&str]) -> String {
    let joined = backticked(names);
    match joined.rfind(" and ") {
        Some(at) => format!("{} or {}", &joined[..at], &joined[at + 5..]),
        None => joined,
    }
}

/// Counts words the way a reader would: runs of non-space characters with a letter or digit.
pub fn word_count(text: &str) -> usize {
    if text.is_ascii() {
        // The same count on bytes: the ASCII characters `char::is_whitespace` accepts.
        return text
            .as_bytes()
            .split(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'))
            .filter(|w| w.iter().any(u8::is_ascii_alphanumeric))
            .count();
    }
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_bullet_marks_are_found_but_not_words_that_start_alike() {
        assert_eq!(strip_bullet_mark("→ Lin left"), Some(("→", "Lin left")));
        assert_eq!(strip_bullet_mark("-> Lin left"), Some(("->", "Lin left")));
        assert_eq!(strip_bullet_mark("• Lin left"), Some(("•", "Lin left")));
        assert_eq!(strip_bullet_mark("- Lin left"), Some(("-", "Lin left")));
        assert_eq!(strip_bullet_mark("* Lin left"), Some(("*", "Lin left")));
        for plain in [
            "-5% in a week",
            "*emphasis* first",
            "→",
            "Lin → lab",
            "--flag",
        ] {
            assert_eq!(strip_bullet_mark(plain), None, "{plain}");
        }
    }

    #[test]
    fn skips_the_link_parse_only_when_no_unsafe_link_can_be_found() {
        for text in [
            "plain words",
            "[a](https://example.org/x) and ![b](http://e.org/c.png) [m](mailto:a@b.org)",
            "[**bold**](https://example.org/**bold**/1)",
        ] {
            assert!(!may_hold_unsafe_link(text), "{text}");
        }
        for text in [
            "[a](javascript:x)",
            "[a]( javascript:x)",
            "[a](<javascript:x>)",
            "[a](HTTPS://example.org)",
            "[a](https://ok.org) [b](data:x)",
            "[a][r]\n\n[r]: javascript:x",
            "<javascript:x>",
        ] {
            assert!(may_hold_unsafe_link(text), "{text}");
        }
        // Whatever the fast path skips, the parser would have passed: random texts built from
        // the pieces links are made of.
        let pieces = [
            "[a](",
            "![a](",
            "[a]: ",
            "[",
            "]",
            "(",
            ")",
            "<",
            ">",
            " ",
            "\n\n",
            "\\",
            "`",
            "*",
            "https://x",
            "HTTP://x",
            "mailto:m",
            "javascript:x",
            "data:d",
            " \"t\"",
        ];
        // The rule, written as three searches.
        let reference = |text: &str| {
            text.contains("]:")
                || (text.as_bytes().windows(2)).any(|w| w[0] == b'<' && w[1].is_ascii_alphabetic())
                || text.match_indices("](").any(|(at, _)| {
                    !["https://", "http://", "mailto:"]
                        .iter()
                        .any(|scheme| text[at + 2..].starts_with(scheme))
                })
        };
        for text in crate::content::markdown::tests::random_texts(
            &pieces,
            12,
            50_000,
            0x2545_f491_4f6c_dd1d,
        ) {
            assert_eq!(may_hold_unsafe_link(&text), reference(&text), "{text:?}");
            if !may_hold_unsafe_link(&text) {
                assert!(
                    crate::content::markdown::unsafe_links(&text).is_empty(),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn finds_the_first_control_character_in_ascii_and_other_text_alike() {
        let pieces = [
            "a", " ", "\n", "\t", "\r", "\0", "\x7f", "\u{85}", "\u{9f}", "é", "北", "\u{2028}",
        ];
        // Mostly plain ASCII with one kind of control character, allowed or not, as cards are.
        let plain = ["word ", "a", " ", "\n", "\t"];
        let texts =
            crate::content::markdown::tests::random_texts(&pieces, 10, 20_000, 0x5eed_c0de).chain(
                crate::content::markdown::tests::random_texts(&plain, 6, 5_000, 0xc0de_5eed),
            );
        for text in texts {
            for allowed in [&[][..], &['\n', '\t'][..]] {
                assert_eq!(
                    first_control(&text, allowed),
                    text.chars()
                        .find(|c| c.is_control() && !allowed.contains(c)),
                    "{text:?}"
                );
            }
        }
    }

    #[test]
    fn lists_names_in_prose() {
        assert_eq!(backticked(&["a"]), "`a`");
        assert_eq!(backticked(&["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(backticked_or(&["a", "b", "c"]), "`a`, `b` or `c`");
    }

    #[test]
    fn folds_white_space_runs() {
        assert_eq!(fold_whitespace("  one two  "), "one two");
        assert_eq!(fold_whitespace("one\n  two\tthree"), "one two three");
        assert_eq!(fold_whitespace("北京\u{3000}上海"), "北京 上海");
    }

    #[test]
    fn counts_words_not_punctuation() {
        assert_eq!(word_count("Lin — ex-Qwen lead — launches a lab."), 6);
        // The byte count for ASCII text agrees with the character count.
        for text in [
            "",
            " a  b\t\nc ",
            "a\x0Bb\x0Cc\rd",
            "- -- 1 . x_y",
            "**bold** [l](u)",
        ] {
            let slow = text
                .split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count();
            assert_eq!(word_count(text), slow, "{text:?}");
        }
    }
}
