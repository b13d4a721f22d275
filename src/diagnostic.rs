//! Located problems in the user's files, and how they are printed.
//!
//! Every problem in a card, an issue file or `config.yaml` becomes a [`Diagnostic`]: a path
//! relative to the newsletter root, a 1-based line and column, a message and an optional help.
//! They print as `path:line:col: error: message` (editors and grep jump to that triple), then
//! the source line with a caret, then the help. Nothing here reads files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A 1-based line and column (in characters) in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    /// Line, counted from 1.
    pub line: u32,
    /// Column in characters, counted from 1.
    pub col: u32,
}

impl Pos {
    /// The line and column of byte `at` of `text` (a char boundary).
    pub fn at_byte(text: &str, at: usize) -> Pos {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count()
            + 1;
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }
}

impl Default for Pos {
    fn default() -> Pos {
        Pos::START
    }
}

impl Pos {
    /// The first character of a file.
    pub const START: Pos = Pos { line: 1, col: 1 };
}

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Stops `build` and `send`, and makes `check` fail.
    Error,
    /// Reported; fails `check` only with `--strict`.
    Warning,
    /// For information: what could not be verified (a source that refuses robots). Never
    /// fails anything.
    Note,
}

/// One problem at one place in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file, relative to the newsletter root.
    pub path: PathBuf,
    /// Where in the file.
    pub pos: Pos,
    /// What is wrong: lowercase, no final period, user values in backticks.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
    /// The source line at `pos`, for the snippet.
    pub line_text: Option<String>,
}

impl Diagnostic {
    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The first line of the printed form: `path:line:col: error: message`.
    #[cfg(test)]
    pub fn headline(&self) -> String {
        let label = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        };
        format!(
            "{}:{}:{}: {label}: {}",
            display_path(&self.path),
            self.pos.line,
            self.pos.col,
            self.message
        )
    }
}

/// Prints a path with forward slashes on every platform, so messages and tests agree.
/// A leading `./` is dropped: `-C .` is the default and adds nothing.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let trimmed = text.strip_prefix("./").unwrap_or(&text);
    if trimmed.is_empty() {
        ".".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Collects the diagnostics of one file, taking snippets from its text.
#[derive(Debug)]
pub struct FileDiagnostics<'a> {
    path: &'a Path,
    text: &'a str,
    /// The diagnostics so far, in the order they were raised.
    pub list: Vec<Diagnostic>,
}

impl<'a> FileDiagnostics<'a> {
    /// Starts an empty collection for `path`, whose content is `text`.
    pub fn new(path: &'a Path, text: &'a str) -> Self {
        FileDiagnostics {
            path,
            text,
            list: Vec::new(),
        }
    }

    /// Records an error at `pos`.
    pub fn error(&mut self, pos: Pos, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Error, pos, message.into())
    }

    /// Records a warning at `pos`.
    pub fn warning(&mut self, pos: Pos, message: impl Into<String>) -> &mut Diagnostic {
        self.push(Severity::Warning, pos, message.into())
    }

    /// Where `needle` first occurs in the file's text at or after the start of `from`'s line;
    /// `from` itself when it does not (a value folded across lines, say).
    pub fn find_from(&self, from: Pos, needle: &str) -> Pos {
        let start: usize = self
            .text
            .split_inclusive('\n')
            .take(from.line.saturating_sub(1) as usize)
            .map(str::len)
            .sum();
        let Some(at) = self.text.get(start..).and_then(|rest| rest.find(needle)) else {
            return from;
        };
        Pos::at_byte(self.text, start + at)
    }

    /// Line `line` (1-based) of the file's text, when it has one with text.
    pub fn source_line(&self, line: u32) -> Option<&'a str> {
        line_of(self.text, line)
    }

    /// The file these diagnostics are about.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// Whether any error has been recorded.
    pub fn has_errors(&self) -> bool {
        self.list.iter().any(Diagnostic::is_error)
    }

    fn push(&mut self, severity: Severity, pos: Pos, message: String) -> &mut Diagnostic {
        let line_text = line_of(self.text, pos.line).map(str::to_owned);
        self.list.push(Diagnostic {
            severity,
            path: self.path.to_path_buf(),
            pos,
            message,
            help: None,
            line_text,
        });
        let last = self.list.len() - 1;
        &mut self.list[last]
    }
}

impl Diagnostic {
    /// Adds a help line.
    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }
}

/// The text of 1-based line `line`, without its line ending.
fn line_of(text: &str, line: u32) -> Option<&str> {
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    text.lines()
        .nth(index)
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
}

/// ANSI styles, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Styles that print colour when `color` is true.
    pub fn new(color: bool) -> Self {
        Style { color }
    }

    /// `error` or `warning`, painted as diagnostics paint it.
    pub fn label(&self, severity: Severity) -> String {
        match severity {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Note => self.paint("1;36", "note"),
        }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Sorts diagnostics by file, line and column, errors before warnings at the same place.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (&a.path, a.pos, a.severity, &a.message).cmp(&(&b.path, b.pos, b.severity, &b.message))
    });
}

/// Renders diagnostics sorted by file, line and column, each with its snippet and help.
pub fn render_all(diagnostics: &[Diagnostic], style: Style) -> String {
    let mut sorted = diagnostics.to_vec();
    sort(&mut sorted);
    sorted.iter().map(|d| render(d, style)).collect()
}

/// Renders one diagnostic: the headline, the source line with a caret, and the help.
pub fn render(diagnostic: &Diagnostic, style: Style) -> String {
    let mut out = String::new();
    let (label, code) = match diagnostic.severity {
        Severity::Error => ("error", "1;31"),
        Severity::Warning => ("warning", "1;33"),
        Severity::Note => ("note", "1;36"),
    };
    let location = format!(
        "{}:{}:{}:",
        display_path(&diagnostic.path),
        diagnostic.pos.line,
        diagnostic.pos.col
    );
    let _ = writeln!(
        out,
        "{} {}: {}",
        style.paint("1", &location),
        style.paint(code, label),
        diagnostic.message
    );
    if let Some(text) = &diagnostic.line_text {
        let number = diagnostic.pos.line.to_string();
        let gutter = " ".repeat(number.len());
        // The caret goes under the column, counted in characters like the column itself.
        let col = usize::try_from(diagnostic.pos.col).unwrap_or(1).max(1);
        let (text, caret_at) = window(text, col - 1);
        let caret_pad = " ".repeat(caret_at);
        let _ = writeln!(out, "{} | {text}", style.paint("34", &number));
        let _ = writeln!(out, "{gutter} | {caret_pad}{}", style.paint(code, "^"));
    }
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "  {}: {help}", style.paint("36", "help"));
    }
    out
}

/// How many characters of a source line a snippet shows at most: a long line of prose
/// whole, a 1 MB line not.
const SNIPPET_CHARS: usize = 160;

/// The part of `line` a snippet shows, with control characters as spaces, and where in it
/// the character at `index` (counted in characters) falls. A long line (a 1 MB card can be
/// one line) is cut to [`SNIPPET_CHARS`] around that character, with `…` where it was cut.
fn window(line: &str, index: usize) -> (String, usize) {
    let chars: Vec<char> = line
        .chars()
        // A tab shows as `→`, one column wide like the character it stands for (a terminal
        // would show spaces, the very thing it is mistaken for); other controls as a space.
        .map(|c| match c {
            '\t' => '→',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let index = index.min(chars.len());
    if chars.len() <= SNIPPET_CHARS {
        return (chars.into_iter().collect(), index);
    }
    let start = index
        .saturating_sub(SNIPPET_CHARS / 2)
        .min(chars.len() - SNIPPET_CHARS);
    let end = start + SNIPPET_CHARS;
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, index - start + usize::from(start > 0))
}

/// Suggests the closest of `candidates` to a mistyped `word`, when one is close enough.
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let word = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// Whether `c` is a bidirectional formatting character: U+202A to U+202E, U+2066 to
/// U+2069, the left-to-right and right-to-left marks and the Arabic letter mark. Each can
/// turn text around where it is shown.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// `text` as a terminal may show it: control characters (C0, C1: escape sequences that move
/// the cursor or retitle the window) and bidirectional controls written as `\u{…}`, as
/// Postfix's `printable()` does. Report texts and names come from strangers.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                format!("\\u{{{:04x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_headline_snippet_and_help() {
        let text = "title: x\nwhy_it_maters: y\n";
        let path = Path::new("briefs/2026-W25/a.yaml");
        let mut diags = FileDiagnostics::new(path, text);
        diags
            .error(Pos { line: 2, col: 1 }, "unknown key `why_it_maters`")
            .help("did you mean `why_it_matters`?");
        let shown = render(&diags.list[0], Style::new(false));
        assert_eq!(
            shown,
            "briefs/2026-W25/a.yaml:2:1: error: unknown key `why_it_maters`\n\
             2 | why_it_maters: y\n  \
             | ^\n  \
             help: did you mean `why_it_matters`?\n"
        );
    }

    // Regression: diagnostics printed whole 1 MB source lines.
    #[test]
    fn a_long_line_is_cut_to_a_window_around_the_column() {
        let line = format!("{}X{}", "a".repeat(5000), "b".repeat(5000));
        let (shown, at) = window(&line, 5000);
        assert_eq!(shown.chars().count(), SNIPPET_CHARS + 2);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(at), Some('X'));
        // Near the start and the end, one side is whole.
        let (shown, at) = window(&line, 3);
        assert!(shown.starts_with("aaa") && shown.ends_with('…'));
        assert_eq!(at, 3);
        let (shown, at) = window(&line, 10_000);
        assert!(shown.starts_with('…') && !shown.ends_with('…'));
        assert_eq!(shown.chars().nth(at - 1), Some('b'));
        // Short lines are whole; a tab prints as `→`, other control characters as spaces.
        assert_eq!(window("a\tb\x1bc", 2), ("a→b c".to_owned(), 2));
    }

    #[test]
    fn caret_sits_under_the_column_in_characters() {
        let text = "title: «Ünïcode» x\n";
        let mut diags = FileDiagnostics::new(Path::new("a.yaml"), text);
        diags.warning(Pos { line: 1, col: 17 }, "m");
        let shown = render(&diags.list[0], Style::new(false));
        let caret_line = shown.lines().nth(2).unwrap();
        assert_eq!(caret_line.find('^').unwrap() - 4, 16);
    }

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["title", "why_it_matters", "what_to_watch", "summary"];
        assert_eq!(did_you_mean("why_it_maters", &keys), Some("why_it_matters"));
        assert_eq!(did_you_mean("Summary", &keys), Some("summary"));
        assert_eq!(did_you_mean("zzz", &keys), None);
    }
}
