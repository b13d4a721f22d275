//! The rules of one `issue.yaml`: the week's subject, editor's note, preheader and number.

use crate::content::fields::{Fields, Key};
use crate::content::issue::{IssueId, IssueMeta, SendAt};
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
const SEND_AT: Key = Key::new(
    "send_at",
    "when `briefing send --due` sends the issue, e.g. `2026-12-07T07:00` (in config's `timezone`) or `2026-12-07T07:00+01:00`",
);
const ISSUE_KEYS: &[Key] = &[SUBJECT, INTRO, PREHEADER, NUMBER, SEND_AT];
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
    // Curled like the headlines and body text it previews.
    let preheader = f
        .line(PREHEADER, false)
        .map(|s| crate::content::markdown::smart_quotes(&s.value));
    let number = f.integer_in(NUMBER, 1, 1_000_000);
    let send_at = f.line(SEND_AT, false).and_then(|at| {
        let parsed = SendAt::parse(&at.value, at.pos);
        match (parsed, week) {
            (None, _) => {
                f.diags
                    .error(
                        at.pos,
                        format!("`send_at` `{}` is not a date and time", at.value),
                    )
                    .help(SEND_AT.help);
            }
            // A year or a month typed wrong would hold the issue back, or send it at once.
            (Some(parsed), Some(week))
                if parsed.local.date() < week.monday() - chrono::Days::new(7)
                    || parsed.local.date() > week.sunday() + chrono::Days::new(28) =>
            {
                f.diags
                    .warning(
                        at.pos,
                        format!(
                            "`send_at` {} is far from the issue's week, {week} ({} to {})",
                            parsed.local.date(),
                            week.monday(),
                            week.sunday()
                        ),
                    )
                    .help("check the year and the month");
            }
            _ => {}
        }
        parsed
    });
    Some(IssueMeta {
        path: f.diags.path().to_path_buf(),
        subject,
        intro,
        preheader,
        number: number.as_ref().and_then(|n| u32::try_from(n.value).ok()),
        number_pos: number.map_or(Pos::START, |n| n.pos),
        send_at,
    })
}
