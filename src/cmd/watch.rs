//! `briefing watch`: every "what to watch" item with its state and follow-ups.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use super::{parse_date, print_diagnostics};
use crate::cli::WatchArgs;
use crate::content::project::Paths;
use crate::diagnostic::Style;
use crate::error::{Error, Result, plural};
use crate::pipeline;

pub(super) fn run(root: &Path, args: &WatchArgs, style: Style) -> Result<ExitCode> {
    use crate::publish::view::WatchEntryView;

    let as_of = match &args.as_of {
        None => chrono::Local::now().date_naive(),
        Some(text) => parse_date("--as-of", text)?,
    };
    // Curators look up ids while a new card is half written: list the cards that are valid,
    // show the problems of the others, and exit 1 so scripts notice. A bad config stops it.
    let paths = Paths::new(root);
    let prepared = pipeline::prepare_valid_cards(&paths, args.drafts)?;
    print_diagnostics(&prepared.diagnostics, style);
    let errors = prepared.error_count();
    let exit = if errors > 0 {
        say_err!(
            "error: {errors} error{} in the cards; the items of cards with errors are not listed (`briefing check` shows them all)",
            plural(errors)
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let (open, resolved) = prepared.watch_entries(as_of);
    // The headline counts everything; the filters choose what is listed under it.
    let count = |state: &str| open.iter().filter(|e| e.state == state).count();
    let headline = format!(
        "as of {as_of}: {} open ({} overdue, {} stale), {} resolved",
        open.len(),
        count("overdue"),
        count("stale"),
        resolved.len()
    );
    let wanted = |e: &&WatchEntryView| {
        if args.overdue {
            matches!(e.state, "overdue" | "stale")
        } else {
            !(args.open && !e.open || args.resolved && e.open)
        }
    };
    let open: Vec<&WatchEntryView> = open.iter().filter(wanted).collect();
    let resolved: Vec<&WatchEntryView> = resolved.iter().filter(wanted).collect();
    let mut out = io::stdout().lock();
    if args.json {
        #[derive(serde::Serialize)]
        struct Listing<'a> {
            as_of: String,
            items: Vec<&'a WatchEntryView>,
        }
        let listing = Listing {
            as_of: as_of.to_string(),
            items: open.iter().chain(&resolved).copied().collect(),
        };
        let json =
            serde_json::to_string_pretty(&listing).map_err(|source| Error::WriteJson { source })?;
        let _ = writeln!(out, "{json}");
        return Ok(exit);
    }
    let _ = write!(out, "{}", watch_listing(&headline, &open, &resolved));
    Ok(exit)
}

/// The terminal listing of `briefing watch`.
fn watch_listing(
    headline: &str,
    open: &[&crate::publish::view::WatchEntryView],
    resolved: &[&crate::publish::view::WatchEntryView],
) -> String {
    use std::fmt::Write as _;
    let plain = crate::content::markdown::to_plain_line;
    let mut out = String::new();
    let _ = writeln!(out, "{headline}");
    for (heading, entries) in [("OPEN", open), ("RESOLVED", resolved)] {
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}");
        for entry in entries {
            let when = match (entry.state, &entry.due_display) {
                ("overdue", Some(due)) => format!("OVERDUE, due {due}"),
                ("stale", _) => format!("stale, {} weeks old", entry.age_weeks),
                (_, Some(due)) => format!("due {due}"),
                _ => format!("{} weeks old", entry.age_weeks),
            };
            let when = match &entry.resolved_by {
                Some(by) => format!("resolved {}", by.story.date),
                None => when,
            };
            let _ = writeln!(out, "  {}  [{when}]", entry.id);
            let _ = writeln!(out, "    {}", plain(&entry.text));
            let _ = writeln!(
                out,
                "    from: {} ({}, issue {})",
                entry.story.title, entry.story.date, entry.story.issue_number
            );
            for mention in &entry.follow_ups {
                let label = if mention.resolved {
                    "resolved by"
                } else {
                    "update"
                };
                let note = mention
                    .note
                    .as_deref()
                    .map(|n| format!(": {}", plain(n)))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "    {label}: {} ({}, issue {}){note}",
                    mention.story.title, mention.story.date, mention.story.issue_number
                );
            }
        }
    }
    if open.is_empty() && resolved.is_empty() {
        let _ = writeln!(out, "\nno watch items match");
    }
    out
}
