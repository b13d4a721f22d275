//! A small YAML tree in which every node and every key keeps its position.
//!
//! Takes source text, returns a [`Node`] tree or one located [`YamlError`]. It does not know
//! what a card is; `validate` gives the tree its meaning.
//!
//! Why not serde_yaml (or its maintained fork `yaml_serde`): serde stops at the first error and
//! knows positions only for the errors it raises itself, while `briefing check` must report
//! every problem of a card, each with its line, including the ones our own rules find (an empty
//! `tldr`, a `javascript:` URL). saphyr-parser is a maintained pure-Rust YAML 1.2 event parser
//! that gives a span for every event, so the tree below carries them.
//!
//! The tree is built iteratively with hard limits on depth and node count, and anchors and
//! aliases are refused outright: a "billion laughs" document fails at its first `&anchor`, in
//! bounded memory.

use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diagnostic::{FileDiagnostics, Pos};

/// Deepest nesting accepted; a card needs three levels.
const MAX_DEPTH: usize = 32;
/// Most nodes accepted in one document; a full card has about a hundred.
const MAX_NODES: usize = 100_000;

/// Where a span of the parser's starts.
fn pos_of(span: &Span) -> Pos {
    Pos {
        line: u32::try_from(span.start.line()).unwrap_or(u32::MAX),
        col: u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
    }
}

/// `text` as a YAML double-quoted scalar, for files briefing writes: any text stays text
/// (`#`, `: `, quotes, backslashes).
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// How a syntax error's message starts: such a file's other checks wait until it parses.
pub const SYNTAX_ERROR: &str = "invalid YAML";

/// Whether `diagnostic` is a YAML syntax error, which stops the rest of its file's checks.
pub fn is_syntax_error(diagnostic: &crate::diagnostic::Diagnostic) -> bool {
    diagnostic.message.starts_with(SYNTAX_ERROR)
}

/// A YAML node with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub value: Value,
    /// Where the node starts.
    pub pos: Pos,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing at all after a key.
    Null,
    /// Any other scalar, as written. `quoted` is true for quoted and block scalars, whose text
    /// is always a string, never a number or a boolean.
    Scalar { text: String, quoted: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with text keys, in source order and without duplicate keys.
    Map(Vec<Entry>),
}

/// One key and value of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key's text.
    pub key: String,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

/// A YAML document that cannot be turned into a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Where the problem was found.
    pub pos: Pos,
    /// What is wrong, as a sentence fragment.
    pub message: String,
    /// What to do about it, when we know.
    pub help: Option<String>,
}

impl YamlError {
    /// Records this syntax error in `diagnostics`, with its help when it has one.
    pub fn report(self, diagnostics: &mut FileDiagnostics<'_>) {
        let diag = diagnostics.error(self.pos, self.message);
        if let Some(help) = self.help {
            diag.help(help);
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.pos.line, self.pos.col, self.message)
    }
}

impl Node {
    /// The text of a non-null scalar.
    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The entries of a mapping.
    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `key`, when this is a mapping that has it.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// Whether the node is null.
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// A short phrase naming what kind of value this is, for messages ("a list", "a number").
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "nothing",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
            Value::Scalar { quoted: true, .. } => "a string",
            Value::Scalar {
                text,
                quoted: false,
            } => plain_scalar_kind(text),
        }
    }
}

/// Names the type a plain scalar resolves to under the YAML 1.2 core schema.
fn plain_scalar_kind(text: &str) -> &'static str {
    match text {
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => "true/false",
        _ if text.parse::<i64>().is_ok() => "a number",
        _ if text.parse::<f64>().is_ok() && text.chars().any(|c| c.is_ascii_digit()) => "a number",
        _ => "a string",
    }
}

fn is_null_plain(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A node under construction: the container events seen but not yet closed.
enum Open {
    Seq(Vec<Node>, Pos),
    Map {
        entries: Vec<Entry>,
        pos: Pos,
        pending_key: Option<(String, Pos)>,
    },
}

/// What to do about a YAML syntax error, in a curator's words, and where its cause is: the
/// parser's column is where it noticed, which for a tab is after it.
fn syntax_help(info: &str, text: &str, pos: Pos) -> (Pos, String) {
    let line = usize::try_from(pos.line)
        .ok()
        .and_then(|n| text.lines().nth(n.checked_sub(1)?))
        .unwrap_or("");
    let col = usize::try_from(pos.col).unwrap_or(1).max(1);
    // The byte offset of the error's column, and the line before it.
    let at = line
        .char_indices()
        .nth(col - 1)
        .map_or(line.len(), |(i, _)| i);
    let before = &line[..at];
    if info.contains("tab") {
        // The parser may name the scalar it was reading (on the line above) when the tab
        // that stopped it starts the next line: point at the tab itself.
        let first = usize::try_from(pos.line).unwrap_or(1).max(1);
        let found = text
            .lines()
            .enumerate()
            .skip(first - 1)
            .take(3)
            .find_map(|(n, text_line)| {
                let from = if n + 1 == first {
                    at.min(text_line.len())
                } else {
                    0
                };
                let tab = text_line.get(from..)?.find('\t')? + from;
                Some((n, text_line, tab))
            })
            .or_else(|| line.find('\t').map(|tab| (first - 1, line, tab)));
        if let Some((n, text_line, tab)) = found {
            let col = u32::try_from(text_line[..tab].chars().count() + 1).unwrap_or(1);
            let line = u32::try_from(n + 1).unwrap_or(pos.line);
            return (
                Pos { line, col },
                "indent with spaces, not tabs: YAML does not allow tabs for indentation (the \
                 tab shows as `→`)"
                    .into(),
            );
        }
        return (pos, "indent with spaces, not tabs".into());
    }
    if info.contains("mapping values are not allowed") {
        let help = if before.contains(": ") || before.trim_end().ends_with(':') {
            "a `: ` inside a value starts another key; put the whole value in double quotes, \
             e.g. `title: \"Qwen: the next step\"`"
        } else {
            "this key is indented differently from the keys around it; start every key of the \
             card at the same column"
        };
        return (pos, help.into());
    }
    if info.contains("after double-quoted scalar") || info.contains("after single-quoted") {
        return (
            pos,
            "a quote inside a quoted value ends it early; write `\\\"` for a `\"` inside double \
             quotes, or use single quotes around the value"
                .into(),
        );
    }
    if info.contains("quoted scalar") || info.contains("end of stream") {
        return (
            pos,
            "a quoted value is not closed: check that its closing quote is there".into(),
        );
    }
    if info.contains("unexpected character") || info.contains("cannot start any token") {
        return (
            pos,
            "a value cannot start with this character; put the whole value in double quotes".into(),
        );
    }
    if info.contains("anchor") {
        return (pos, ANCHOR_HELP.into());
    }
    if info.contains("did not find expected") || info.contains("indentation") {
        return (
            pos,
            "check this line's indentation against the lines above: list items and keys of \
             one level line up"
                .into(),
        );
    }
    (
        pos,
        "look for a stray `:`, `#`, quote or tab on this line; putting the value in double \
         quotes usually fixes it"
            .into(),
    )
}

/// What to do about a value that YAML reads as an anchor (`&name`) or an alias (`*name`).
const ANCHOR_HELP: &str = "a value that starts with `&` or `*` is read as a YAML anchor or \
     alias (Markdown's `**bold**` at the start of a value, say); put the whole value in double \
     quotes";

/// The error at a YAML anchor (`&name`) or alias (`*name`), which cards never use.
fn anchor_error(pos: Pos) -> YamlError {
    YamlError {
        pos,
        message: "YAML anchors (`&name`) and aliases (`*name`) are not allowed".into(),
        help: Some(ANCHOR_HELP.into()),
    }
}

/// Parses one YAML document into a tree.
///
/// Returns `Ok(None)` for a document with no content (an empty file, or only comments).
///
/// # Errors
///
/// A syntax error, an alias or anchor, a non-text key, a duplicate key, several documents, or a
/// document past the depth or size limits, each with its position.
pub fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;

    while let Some(event) = parser.next_event() {
        let (event, span) = event.map_err(|e| {
            let pos = Pos {
                line: u32::try_from(e.marker().line()).unwrap_or(u32::MAX),
                col: u32::try_from(e.marker().col() + 1).unwrap_or(u32::MAX),
            };
            let (pos, help) = syntax_help(e.info(), text, pos);
            YamlError {
                pos,
                message: format!("{SYNTAX_ERROR}: {}", e.info()),
                help: Some(help),
            }
        })?;
        let pos = pos_of(&span);
        let finished = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => None,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        pos,
                        message: "a second YAML document (`---`) in one file".into(),
                        help: Some("put each story in a file of its own".into()),
                    });
                }
                None
            }
            // Aliases are refused (a "billion laughs" document stops at its first anchor), and
            // so an anchor is a value that starts with `&` by accident, whose first word would
            // silently vanish.
            Event::Alias(_) => return Err(anchor_error(pos)),
            Event::Scalar(_, _, anchor, _)
            | Event::SequenceStart(anchor, _)
            | Event::MappingStart(anchor, _)
                if anchor != 0 =>
            {
                return Err(anchor_error(pos));
            }
            Event::Scalar(value, style, _, tag) => {
                let forced_string = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let quoted = forced_string || !matches!(style, ScalarStyle::Plain);
                let value = if !quoted && is_null_plain(&value) {
                    Value::Null
                } else {
                    Value::Scalar {
                        text: value.into_owned(),
                        quoted,
                    }
                };
                Some(Node { value, pos })
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        pos,
                        message: format!("nesting deeper than {MAX_DEPTH} levels"),
                        help: None,
                    });
                }
                if matches!(event, Event::SequenceStart(..)) {
                    stack.push(Open::Seq(Vec::new(), pos));
                } else {
                    stack.push(Open::Map {
                        // A card's top level has about a dozen keys; growing one by one from
                        // four cost three copies per card.
                        entries: Vec::with_capacity(if stack.is_empty() { 16 } else { 4 }),
                        pos,
                        pending_key: None,
                    });
                }
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items, pos)) => Some(Node {
                    value: Value::Seq(items),
                    pos,
                }),
                Some(Open::Map { entries, pos, .. }) => Some(Node {
                    value: Value::Map(entries),
                    pos,
                }),
                None => None,
            },
        };

        let Some(node) = finished else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(YamlError {
                pos: node.pos,
                message: format!("more than {MAX_NODES} values in one file"),
                help: None,
            });
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Seq(items, _)) => items.push(node),
            Some(Open::Map {
                entries,
                pending_key,
                ..
            }) => match pending_key.take() {
                None => {
                    let Value::Scalar { text, .. } = node.value else {
                        return Err(YamlError {
                            pos: node.pos,
                            message: format!("a key must be plain text, found {}", node.kind()),
                            help: None,
                        });
                    };
                    if let Some(first) = entries.iter().find(|e| e.key == text) {
                        return Err(YamlError {
                            pos: node.pos,
                            message: format!(
                                "duplicate key `{text}` (first set on line {})",
                                first.key_pos.line
                            ),
                            help: Some("keep one of the two".into()),
                        });
                    }
                    *pending_key = Some((text, node.pos));
                }
                Some((key, key_pos)) => entries.push(Entry {
                    key,
                    key_pos,
                    value: node,
                }),
            },
        }
    }
    Ok(root.filter(|node| !node.is_null()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: u32, col: u32) -> Pos {
        Pos { line, col }
    }

    #[test]
    fn keys_and_values_keep_their_positions() {
        let node = parse("title: Hello\ntldr:\n  - one\n  - two\n")
            .unwrap()
            .unwrap();
        let title = node.get("title").unwrap();
        assert_eq!(title.key_pos, at(1, 1));
        assert_eq!(title.value.pos, at(1, 8));
        let tldr = node.get("tldr").unwrap();
        let Value::Seq(items) = &tldr.value.value else {
            panic!("not a list")
        };
        assert_eq!(items[1].pos, at(4, 5));
        assert_eq!(items[1].as_text(), Some("two"));
    }

    #[test]
    fn scalars_keep_their_text_around_blanks_and_indicators() {
        // Plain, quoted and flow scalars around the blanks, `#` and `:` that end or do not
        // end them, with multi-byte characters, at their exact columns.
        let node = parse(concat!(
            "plain: a b  c\tz # comment\n",
            "hash: a#b c\n",
            "colon: a:b c\n",
            "dq: \"x y  z \\\"q\\\" \\\\ \\u263A end \"\n",
            "sq: 'x y  it''s \\ '\n",
            "folded: \"one  \n  two\"\n",
            "flow: [a b, c  d, e#f, ünï 北京 x]\n",
            "after: ünï 北京 x\n",
        ))
        .unwrap()
        .unwrap();
        let text = |key: &str| node.get(key).unwrap().value.as_text().map(str::to_owned);
        assert_eq!(text("plain").as_deref(), Some("a b  c\tz"));
        assert_eq!(text("hash").as_deref(), Some("a#b c"));
        assert_eq!(text("colon").as_deref(), Some("a:b c"));
        assert_eq!(text("dq").as_deref(), Some("x y  z \"q\" \\ \u{263A} end "));
        assert_eq!(text("sq").as_deref(), Some("x y  it's \\ "));
        assert_eq!(text("folded").as_deref(), Some("one two"));
        let Value::Seq(items) = &node.get("flow").unwrap().value.value else {
            panic!("not a list")
        };
        let items: Vec<(&str, Pos)> = items
            .iter()
            .map(|n| (n.as_text().unwrap(), n.pos))
            .collect();
        assert_eq!(
            items,
            [
                ("a b", at(8, 8)),
                ("c  d", at(8, 13)),
                ("e#f", at(8, 19)),
                ("ünï 北京 x", at(8, 24))
            ]
        );
        // Columns count characters, not bytes.
        let after = node.get("after").unwrap();
        assert_eq!((after.key_pos, after.value.pos), (at(9, 1), at(9, 8)));
        let trailing = parse("k: \"ünï 北京\" # c\nnext: 1\n").unwrap().unwrap();
        assert_eq!(trailing.get("next").unwrap().key_pos, at(2, 1));
        let block = parse("b: |\n  a  b #c\t\n  ünï: x\n\n  end\nn: >\n  one\n  two\n")
            .unwrap()
            .unwrap();
        let text = |key: &str| block.get(key).unwrap().value.as_text().map(str::to_owned);
        assert_eq!(text("b").as_deref(), Some("a  b #c\t\nünï: x\n\nend\n"));
        assert_eq!(text("n").as_deref(), Some("one two\n"));
        assert_eq!(block.get("n").unwrap().key_pos, at(6, 1));
        let behind = parse("a: [北京 ünï, x]\nb: [\"北京 ünï\", y]\n")
            .unwrap()
            .unwrap();
        let second = |key: &str| match &behind.get(key).unwrap().value.value {
            Value::Seq(items) => items[1].pos,
            _ => panic!("not a list"),
        };
        assert_eq!((second("a"), second("b")), (at(1, 13), at(2, 15)));
    }

    #[test]
    fn empty_and_comment_only_documents_are_none() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# just a comment\n").unwrap(), None);
        assert_eq!(parse("~\n").unwrap(), None);
    }

    #[test]
    fn null_forms_are_null_but_quoted_ones_are_strings() {
        let node = parse("a:\nb: ~\nc: null\nd: ''\ne: \"null\"\n")
            .unwrap()
            .unwrap();
        for key in ["a", "b", "c"] {
            assert!(node.get(key).unwrap().value.is_null(), "{key}");
        }
        assert_eq!(node.get("d").unwrap().value.as_text(), Some(""));
        assert_eq!(node.get("e").unwrap().value.as_text(), Some("null"));
    }

    #[test]
    fn anchors_and_aliases_are_refused_at_their_position() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n";
        let err = parse(bomb).unwrap_err();
        assert_eq!(err.pos, at(1, 4));
        assert!(err.message.contains("aliases"), "{}", err.message);
        // A value that starts with `&` would lose its first word to the anchor.
        let err = parse("summary: &Co. merged today.\n").unwrap_err();
        assert_eq!(err.pos, at(1, 10));
        assert!(err.message.contains("anchors"), "{}", err.message);
        let err = parse("tags: &t\n  - a\n").unwrap_err();
        assert_eq!(err.pos, at(1, 7));
    }

    #[test]
    fn duplicate_keys_name_the_first_line() {
        let err = parse("title: a\nsummary: b\ntitle: c\n").unwrap_err();
        assert_eq!(err.pos, at(3, 1));
        assert_eq!(err.message, "duplicate key `title` (first set on line 1)");
    }

    #[test]
    fn deep_nesting_fails_instead_of_overflowing() {
        for deep in [
            "[".repeat(10_000),
            "- ".repeat(10_000),
            "{a: ".repeat(10_000),
        ] {
            let err = parse(&deep).unwrap_err();
            assert!(
                err.message.contains("nesting") || err.message.contains("recursion"),
                "{}",
                err.message
            );
        }
        let err = parse(&format!("{}1{}", "[".repeat(40), "]".repeat(40))).unwrap_err();
        assert_eq!(err.message, "nesting deeper than 32 levels");
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse("title: \"unterminated\nsummary: x\n").unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        assert!(err.pos.line >= 1);
    }

    #[test]
    fn a_second_document_is_refused() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.pos.line, 2);
    }

    #[test]
    fn non_text_keys_are_refused() {
        let err = parse("? [a, b]\n: c\n").unwrap_err();
        assert!(
            err.message.contains("key must be plain text"),
            "{}",
            err.message
        );
    }

    #[test]
    fn plain_scalars_are_named_by_their_core_schema_type() {
        let node = parse("a: 12\nb: true\nc: '12'\nd: hello\n")
            .unwrap()
            .unwrap();
        let kind = |k: &str| node.get(k).unwrap().value.kind();
        assert_eq!(kind("a"), "a number");
        assert_eq!(kind("b"), "true/false");
        assert_eq!(kind("c"), "a string");
        assert_eq!(kind("d"), "a string");
    }
}
