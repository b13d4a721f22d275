//! Lists moved in from other tools: which tool wrote an export, and what each row says of
//! the reader's consent, mapped so that consent never widens.
//!
//! Each tool is recognised by its header row ([`SPECS`]); where each mapping comes from is
//! in `docs/import.md`. Every state that means the reader left, bounced, complained, was
//! cleaned, blocklisted or disabled maps to unsubscribed, bounced or complained, and every
//! state that means "not confirmed yet" to pending: none of them to active. A value the
//! importer does not know is an error at its line, never a guess.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::audience::Status;
use crate::audience::list::{self, Row, Suppression, address_key, from_cell};
use crate::audience::store::ImportRow;
use crate::diagnostic::{Diagnostic, Pos, Severity};

mod tools;

pub use tools::Tool;
use tools::{SPECS, Spec};

/// What the publisher said on the command line about the file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The tool that wrote it (`--from`), instead of recognising it by its header row.
    pub from: Option<Tool>,
    /// `--email-column`.
    pub email_column: Option<String>,
    /// `--name-column`.
    pub name_column: Option<String>,
    /// `--status-column`.
    pub status_column: Option<String>,
    /// `--status-map`: the status column's values, added to (or replacing) the tool's.
    pub status_map: Vec<(String, Status)>,
    /// `--status`: what every row of a file with no status column is.
    pub status: Option<Status>,
}

/// Reads `--status-map 'enabled=active,blocklisted=unsubscribed'`.
///
/// # Errors
///
/// A pair without `=`, or a status that is not ours, with what to write instead.
pub fn parse_status_map(text: &str) -> Result<Vec<(String, Status)>, String> {
    text.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (value, status) = pair.split_once('=').ok_or_else(|| {
                format!("`{pair}` has no `=`: write each pair as `their-value=our-status`")
            })?;
            let wanted = status.trim().to_lowercase();
            let status = Status::ALL
                .into_iter()
                .find(|s| s.as_str() == wanted)
                .ok_or_else(|| {
                    format!(
                        "`{}` is not a status; use pending, active, unsubscribed, bounced or \
                     complained",
                        status.trim()
                    )
                })?;
            Ok((normalise(value), status))
        })
        .collect()
}

/// A file read for import.
#[derive(Debug)]
pub struct Import {
    /// What the file was taken for: `a Mailchimp unsubscribed export`.
    pub described: String,
    /// The tool.
    pub tool: Tool,
    /// One row per address (where an address repeats, the row that mails it least wins).
    pub rows: Vec<ImportRow>,
    /// Rows of an address seen before.
    pub repeats: usize,
}

/// How a file is read: which column is which, and what its statuses mean.
struct Layout {
    tool: Tool,
    kind: &'static str,
    email: usize,
    name: Option<usize>,
    last_name: Option<usize>,
    status: StatusRule,
    out_when_set: Vec<(usize, Status)>,
    consent: Vec<(&'static str, Option<usize>, Option<usize>)>,
}

enum StatusRule {
    /// Every row has this status.
    Whole(Status),
    /// A column says, in the words of `vocabulary`.
    Column {
        index: usize,
        name: String,
        vocabulary: HashMap<String, Status>,
    },
}

/// Lower-case, spaces and hyphens as `_`: `Needs Approval` and `needs-approval` read alike.
fn normalise(value: &str) -> String {
    value
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    names
        .iter()
        .find_map(|name| headers.iter().position(|h| h == name))
}

fn find_named(headers: &[String], name: &str, option: &str) -> Result<usize, String> {
    let wanted = name.trim().to_lowercase();
    headers
        .iter()
        .position(|h| *h == wanted)
        .ok_or_else(|| format!("{option} `{name}` is not a column of the header row"))
}

fn recognised_tools() -> String {
    let mut names: Vec<&str> = SPECS
        .iter()
        .map(|s| s.tool.name())
        .filter(|n| *n != "briefing")
        .collect();
    names.dedup();
    names.join(", ")
}

fn layout(headers: &[String], shown: &Path, options: &Options) -> Result<Layout, String> {
    let file_name = shown
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let matches = |spec: &Spec| {
        spec.signature
            .iter()
            .all(|group| find(headers, group).is_some())
    };
    let spec = match options.from {
        Some(tool) => {
            let candidates: Vec<&Spec> = SPECS.iter().filter(|s| s.tool == tool).collect();
            match candidates.iter().find(|s| matches(s)) {
                Some(spec) => *spec,
                // Told the tool, but the columns are not its: say which are missing.
                None if options.email_column.is_some() => candidates[candidates.len() - 1],
                None => {
                    let spec = candidates[candidates.len() - 1];
                    let missing: Vec<String> = spec
                        .signature
                        .iter()
                        .filter(|group| find(headers, group).is_none())
                        .map(|group| format!("`{}`", group[0]))
                        .collect();
                    return Err(format!(
                        "this is not a {} export as this version knows it: no {} column",
                        tool.name(),
                        missing.join(" or ")
                    ));
                }
            }
        }
        None => match SPECS.iter().find(|s| matches(s)) {
            Some(spec) => spec,
            None if options.email_column.is_some() => &SPECS[SPECS.len() - 1],
            None => {
                return Err(format!(
                    "the header row is not one this version knows and has no `email` column \
                     (found {}); the exports recognised are {}'s",
                    headers
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    recognised_tools()
                ));
            }
        },
    };
    let email = match &options.email_column {
        Some(name) => find_named(headers, name, "--email-column")?,
        None => find(headers, spec.email).ok_or("the header row has no `email` column")?,
    };
    let name = match &options.name_column {
        Some(name) => Some(find_named(headers, name, "--name-column")?),
        None => find(headers, spec.name),
    };
    let last_name = if options.name_column.is_some() {
        None
    } else {
        find(headers, spec.last_name)
    };
    let status_column = match &options.status_column {
        Some(name) => Some(find_named(headers, name, "--status-column")?),
        None => find(headers, spec.status),
    };
    let kind = spec
        .kinds
        .iter()
        .find(|(column, ..)| find(headers, &[column]).is_some());
    let (status, kind) = match (status_column, kind) {
        (Some(index), _) => {
            if options.status.is_some() {
                return Err(format!(
                    "the file has a status column (`{}`); --status is for files without one \
                     (use --status-map to say what its values mean)",
                    headers[index]
                ));
            }
            let mut vocabulary: HashMap<String, Status> =
                if options.status_column.is_some() && !options.status_map.is_empty() {
                    // A column of the publisher's choosing: their map says it all.
                    HashMap::new()
                } else {
                    spec.vocabulary
                        .iter()
                        .map(|(value, status)| ((*value).to_owned(), *status))
                        .collect()
                };
            vocabulary.extend(options.status_map.iter().cloned());
            let kind = if spec.tool == Tool::Briefing {
                "list"
            } else {
                "export"
            };
            (
                StatusRule::Column {
                    index,
                    name: headers[index].clone(),
                    vocabulary,
                },
                kind,
            )
        }
        (None, Some((_, status, kind))) => {
            if options.status.is_some() {
                return Err(format!(
                    "this is a {} {kind}: its rows are {status} and --status cannot say otherwise",
                    spec.tool.name()
                ));
            }
            (StatusRule::Whole(*status), *kind)
        }
        (None, None) => match (options.status, spec.whole_file) {
            (Some(status), _) => (StatusRule::Whole(status), "export"),
            // Mailchimp also exports readers who never subscribed; the file's name says so.
            (None, Some(_))
                if spec.tool == Tool::Mailchimp && file_name.contains("nonsubscribed") =>
            {
                (StatusRule::Whole(Status::Pending), "non-subscribed export")
            }
            (None, Some((status, kind))) => (StatusRule::Whole(status), kind),
            (None, None) => {
                return Err(format!(
                    "this {} export has no status column ({}), so it cannot say who left",
                    spec.tool.name(),
                    spec.status
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                ));
            }
        },
    };
    Ok(Layout {
        tool: spec.tool,
        kind,
        email,
        name,
        last_name,
        status,
        out_when_set: spec
            .out_when_set
            .iter()
            .filter_map(|(column, status)| find(headers, &[column]).map(|i| (i, *status)))
            .collect(),
        consent: spec
            .consent
            .iter()
            .map(|e| (e.label, find(headers, e.time), find(headers, e.ip)))
            .filter(|(_, time, ip)| time.is_some() || ip.is_some())
            .collect(),
    })
}

/// How much a status keeps a reader from mail: where an address repeats, the row with the
/// higher rank wins, so that joining two exports never mails someone one of them says left.
fn restraint(status: Status) -> u8 {
    match status {
        Status::Active => 0,
        Status::Pending => 1,
        Status::Unsubscribed => 2,
        Status::Bounced => 3,
        Status::Complained => 4,
    }
}

/// A time as the history shows it: UTC to the minute, from the forms exports write
/// (RFC 3339, `2024-01-01 10:00:00`, a date, Unix seconds; a time without a zone is taken as
/// UTC, as Mailchimp and MailerLite write theirs). Anything else is kept as written, short.
fn shown_time(cell: &str) -> String {
    let minute = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
    let cell = cell.trim();
    let naive_utc = cell
        .strip_suffix(" UTC")
        .or_else(|| cell.strip_suffix(" GMT"))
        .unwrap_or(cell);
    if let Ok(t) = DateTime::parse_from_rfc3339(cell) {
        return minute(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(naive_utc, format) {
            return minute(t.and_utc());
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f %z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(cell, format) {
            return minute(t.with_timezone(&Utc));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
        return date.to_string();
    }
    if (9..=11).contains(&cell.len())
        && cell.bytes().all(|b| b.is_ascii_digit())
        && let Some(t) = cell
            .parse()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
    {
        return minute(t);
    }
    let kept: String = cell.chars().filter(|c| !c.is_control()).take(40).collect();
    format!("“{kept}”")
}

impl Layout {
    fn described(&self) -> String {
        let name = self.tool.name();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {name} {}", self.kind)
    }

    fn status<'r>(&self, cell: &dyn Fn(Option<usize>) -> &'r str) -> Result<Status, String> {
        let status = match &self.status {
            StatusRule::Whole(status) => *status,
            StatusRule::Column {
                index,
                name,
                vocabulary,
            } => {
                let value = cell(Some(*index));
                *vocabulary.get(&normalise(value)).ok_or_else(|| {
                    let mut known: Vec<&String> = vocabulary.keys().collect();
                    known.sort();
                    format!(
                        "`{name}` is `{}`, which this {} import does not know (it knows {})",
                        value.chars().take(40).collect::<String>(),
                        self.tool.name(),
                        known
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?
            }
        };
        // A deletion or similar mark puts the row out, whatever the status column says.
        Ok(self
            .out_when_set
            .iter()
            .filter(|(column, _)| !cell(Some(*column)).is_empty())
            .map(|(_, out)| *out)
            .fold(
                status,
                |a, b| if restraint(b) > restraint(a) { b } else { a },
            ))
    }

    fn consent<'r>(&self, cell: &dyn Fn(Option<usize>) -> &'r str) -> String {
        let mut text = format!("imported from {}", self.described());
        for (label, time, ip) in &self.consent {
            let when = cell(*time);
            let from = cell(*ip)
                .parse::<std::net::IpAddr>()
                .ok()
                .map(|ip| format!(" from {ip}"));
            if when.is_empty() && from.is_none() {
                continue;
            }
            text.push_str("; ");
            text.push_str(label);
            if !when.is_empty() {
                text.push(' ');
                text.push_str(&shown_time(when));
            }
            text.push_str(&from.unwrap_or_default());
        }
        text
    }
}

/// Reads the export at `path` (shown as `shown`) for import: every row checked, none kept
/// unless all are valid.
///
/// # Errors
///
/// Every row that cannot be read or mapped, at its line; or the header row's problem.
pub fn read(path: &Path, shown: &Path, options: &Options) -> Result<Import, Vec<Diagnostic>> {
    let fail = |line: u64, message: String, help: &str| Diagnostic {
        severity: Severity::Error,
        path: shown.to_path_buf(),
        pos: Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: 1,
        },
        message,
        help: Some(help.to_owned()),
        line_text: None,
    };
    let mut reader = list::reader(path).map_err(|e| {
        vec![fail(
            1,
            format!("cannot read the file: {e}"),
            "check the path",
        )]
    })?;
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(|h| h.trim().to_lowercase()).collect(),
        Err(e) => {
            let (message, help) = list::row_error(&e);
            return Err(vec![fail(1, message, help)]);
        }
    };
    let layout = layout(&headers, shown, options).map_err(|message| {
        vec![fail(
            1,
            message,
            "name the tool with --from, or the columns with --email-column, --name-column, \
             --status-column and --status-map 'their-value=our-status,…'",
        )]
    })?;
    let mut rows: Vec<ImportRow> = Vec::new();
    let mut index: HashMap<u128, usize> = HashMap::new();
    let mut repeats = 0usize;
    let problems = list::each_row(&mut reader, path, shown, |record| {
        let row = row(&layout, record)?;
        let key = address_key(&row.email);
        if let Some(&earlier) = index.get(&key) {
            repeats += 1;
            if restraint(row.status) > restraint(rows[earlier].status) {
                rows[earlier] = row;
            }
        } else {
            index.insert(key, rows.len());
            rows.push(row);
        }
        Ok(())
    });
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Import {
        described: layout.described(),
        tool: layout.tool,
        rows,
        repeats,
    })
}

fn row(layout: &Layout, record: &csv::StringRecord) -> Result<ImportRow, (String, &'static str)> {
    let cell = |column: Option<usize>| {
        column
            .and_then(|i| record.get(i))
            .map_or("", |c| from_cell(c.trim()))
    };
    let email = cell(Some(layout.email));
    // Another tool's sign-up form may have let a line break or tab into a name: it is joined
    // into one line (a name goes into the To header). Other control characters are refused.
    let one_line = |name: &str| name.split_whitespace().collect::<Vec<_>>().join(" ");
    let name = match (
        one_line(cell(layout.name)),
        one_line(cell(layout.last_name)),
    ) {
        (first, last) if first.is_empty() && last.is_empty() => None,
        (first, last) if last.is_empty() => Some(first),
        (first, last) if first.is_empty() => Some(last),
        (first, last) => Some(format!("{first} {last}")),
    };
    // The address and name go through the checks a list row does.
    match list::decide(
        email,
        name.as_deref(),
        "",
        &Suppression::default(),
        &mut std::collections::HashSet::new(),
    ) {
        Ok(Row::Send(_) | Row::Skip(..)) => {}
        Err(problem) => return Err(problem),
    }
    let status = layout.status(&cell).map_err(|message| {
        (
            message,
            "map it with --status-map 'value=our-status' (pending, active, unsubscribed, \
             bounced or complained)",
        )
    })?;
    Ok(ImportRow {
        email: email.to_owned(),
        name,
        status,
        consent: Some(layout.consent(&cell)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_utc_to_the_minute_whatever_form_they_come_in() {
        for (cell, shown) in [
            ("2024-01-01 10:00:00", "2024-01-01 10:00 UTC"),
            ("2024-01-01T10:00:00.000Z", "2024-01-01 10:00 UTC"),
            ("2024-01-01T12:00:00+02:00", "2024-01-01 10:00 UTC"),
            ("2024-01-01", "2024-01-01"),
            ("2024-08-01 10:00:00 UTC", "2024-08-01 10:00 UTC"),
            ("2024-06-01 15:30:00.000000+05:30", "2024-06-01 10:00 UTC"),
            ("2024-06-01 10:00:00 +0000", "2024-06-01 10:00 UTC"),
            ("1704103200", "2024-01-01 10:00 UTC"),
            ("Jan 1, 2024\n", "“Jan 1, 2024”"),
        ] {
            assert_eq!(shown_time(cell), shown, "{cell:?}");
        }
    }

    // A name with a line break (a quoted cell, CRLF or not) or a tab is joined into one
    // line; any other control character is still refused at its line.
    #[test]
    fn a_name_with_a_line_break_is_joined_and_other_control_characters_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("names.csv");
        std::fs::write(
            &path,
            "email,name\r\na@example.org,\"Ann\r\n  Lee\"\r\nb@example.org,\"Bob\tB\"\r\n\
             c@example.org,\"Cy\u{7}\"\r\n",
        )
        .unwrap();
        let Err(problems) = read(&path, &path, &Options::default()) else {
            panic!("the bell character is refused");
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        // Line 5 of the file: the quoted name above spans two lines.
        assert_eq!(problems[0].pos.line, 5, "{problems:?}");
        assert!(
            problems[0].message.contains("c@example.org"),
            "{problems:?}"
        );
        std::fs::write(
            &path,
            "email,name\r\na@example.org,\"Ann\r\n  Lee\"\r\nb@example.org,\"Bob\tB\"\r\n",
        )
        .unwrap();
        let import = read(&path, &path, &Options::default()).unwrap();
        let names: Vec<Option<&str>> = import.rows.iter().map(|r| r.name.as_deref()).collect();
        assert_eq!(names, [Some("Ann Lee"), Some("Bob B")]);
    }

    #[test]
    fn a_status_map_reads_pairs_and_refuses_statuses_that_are_not_ours() {
        assert_eq!(
            parse_status_map("enabled=active, Blocklisted = unsubscribed").unwrap(),
            [
                ("enabled".to_owned(), Status::Active),
                ("blocklisted".to_owned(), Status::Unsubscribed)
            ]
        );
        assert!(parse_status_map("enabled").unwrap_err().contains("no `=`"));
        assert!(
            parse_status_map("enabled=yes")
                .unwrap_err()
                .contains("not a status")
        );
    }

    #[test]
    fn no_tool_maps_a_state_of_leaving_to_active() {
        for spec in SPECS {
            for (value, status) in spec.vocabulary {
                let leaving = [
                    "unsubscribed",
                    "removed",
                    "spammy",
                    "disabled",
                    "blocklisted",
                    "cancelled",
                    "canceled",
                    "bounced",
                    "complained",
                    "cleaned",
                    "junk",
                    "inactive",
                    "invalid",
                    "unactivated",
                    "unconfirmed",
                    "pending",
                ];
                if leaving.contains(value) {
                    assert_ne!(*status, Status::Active, "{} {value}", spec.tool.name());
                }
            }
        }
    }
}
