//! `archive.yaml`, beside `config.yaml`: the archived copy of each source that has one, as
//! `check --links --archive` recorded it. The curator commits it; pages and emails link each
//! source's copy, so a source that dies later still has one.
//!
//! ```yaml
//! "https://example.org/story":
//!   copy: "https://web.archive.org/web/20261204093000/https://example.org/story"
//!   at: 2026-12-04
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use crate::content::yaml::{self, quoted};
use crate::diagnostic::{Diagnostic, Pos, Severity};

/// The file's name, in the newsletter's folder.
pub const FILE: &str = "archive.yaml";

/// One source's archived copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// Where the copy is.
    pub copy: String,
    /// When it was made, `YYYY-MM-DD`.
    pub at: String,
}

/// The copies recorded in `text` (the file at `path`, for messages), by source URL; or the
/// problems that make it unusable.
///
/// # Errors
///
/// A YAML error, or an entry that is not `URL: {copy, at}` with http(s) URLs, located.
pub fn parse(path: &Path, text: &str) -> Result<BTreeMap<String, Copy>, Vec<Diagnostic>> {
    let problem = |pos: Pos, message: String| Diagnostic {
        severity: Severity::Error,
        path: path.to_path_buf(),
        pos,
        message,
        help: Some(
            "each entry is `\"<source URL>\": {copy: <archived URL>, at: YYYY-MM-DD}`, as \
             `briefing check --links --archive` writes it"
                .to_owned(),
        ),
        line_text: None,
    };
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => return Ok(BTreeMap::new()),
        Err(e) => return Err(vec![problem(e.pos, e.message)]),
    };
    let Some(entries) = root.as_map() else {
        return Err(vec![problem(
            root.pos,
            "the file must be a mapping of source URLs".to_owned(),
        )]);
    };
    let mut copies = BTreeMap::new();
    let mut problems = Vec::new();
    for entry in entries {
        let field = |name: &str| {
            entry
                .value
                .as_map()?
                .iter()
                .find(|e| e.key == name)
                .and_then(|e| e.value.as_text())
                .map(str::to_owned)
        };
        match (field("copy"), field("at")) {
            (Some(copy), Some(at))
                if crate::content::url::check(&entry.key).is_ok()
                    && crate::content::url::check(&copy).is_ok() =>
            {
                copies.insert(entry.key.clone(), Copy { copy, at });
            }
            _ => problems.push(problem(
                entry.key_pos,
                format!("`{}` is not a source with an archived copy", entry.key),
            )),
        }
    }
    if problems.is_empty() {
        Ok(copies)
    } else {
        Err(problems)
    }
}

/// The file's text for `copies`.
pub fn render(copies: &BTreeMap<String, Copy>) -> String {
    let mut text = String::from(
        "# The archived copy of each source, written by `briefing check --links --archive`.\n\
         # Commit it: pages and emails link each copy, which outlives the source.\n",
    );
    for (url, copy) in copies {
        text.push_str(&format!(
            "{}:\n  copy: {}\n  at: {}\n",
            quoted(url),
            quoted(&copy.copy),
            copy.at
        ));
    }
    text
}
