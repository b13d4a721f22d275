//! The rules of one `issue.yaml`: the week's subject, editor's note, preheader and number.

use crate::content::fields::{Fields, Key};
use crate::content::issue::{IssueId, IssueMeta};
use crate::diagnostic::FileDiagnostics;
use crate::diagnostic::Pos;

use super::root_map;

const SUBJECT: Key = Key::new("subject", "one line: the email subject and page title");
const INTRO: Key = Key::new(
    "intro",
    "Markdown: the editor's note at the top of the issue",
);
const PREHEADER: Key = Key::new(
    "preheader",
    "one line of about 85-100 characters that inboxes show after the subject",
);
const NUMBER: Key = Key::new("number", "the issue number to print, overriding the count");
const ISSUE_KEYS: &[Key] = &[SUBJECT, INTRO, PREHEADER, NUMBER];
const ISSUE_ALIASES: &[(&str, &str)] = &[("title", "subject"), ("note", "intro")];

/// Validates one `issue.yaml`.
pub(super) fn issue_file(
    text: &str,
    week: Option<IssueId>,
    diags: &mut FileDiagnostics<'_>,
) -> Option<IssueMeta> {
    let root = root_map(text, "issue file", diags)?;
    if week.is_none() {
        diags
            .error(
                Pos::START,
                "`issue.yaml` must sit in a week folder named like `2026-W25`",
            )
            .help("move it to briefs/<YYYY>-W<ww>/issue.yaml for the week it describes");
    }
    let entries = root.as_map().unwrap_or_default();
    let mut f = Fields::new(entries, root.pos, ISSUE_KEYS, ISSUE_ALIASES, "", diags);
    // A headline: curled as the body text is.
    let subject = f
        .subject_line(SUBJECT, false)
        .map(|s| crate::content::markdown::smart_quotes(&s.value));
    let intro = f.text(INTRO, false).map(|s| s.value);
    let preheader = f.line(PREHEADER, false).map(|s| s.value);
    let number = f.integer_in(NUMBER, 1, 1_000_000);
    Some(IssueMeta {
        path: f.diags.path().to_path_buf(),
        subject,
        intro,
        preheader,
        number: number.as_ref().and_then(|n| u32::try_from(n.value).ok()),
        number_pos: number.map_or(Pos::START, |n| n.pos),
    })
}
