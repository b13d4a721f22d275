//! One function per subcommand: each wires the pipeline stages together and prints.
//!
//! Diagnostics and errors go to standard error, results to standard output. Exit codes: 0 on
//! success, 1 when the input has errors (or warnings under `--strict`) or a command fails,
//! 2 for command-line mistakes (clap's own).

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{
    BuildArgs, CheckArgs, Cli, ColorChoice, Command, InitArgs, NewArgs, SendArgs, ServeArgs,
    WatchArgs,
};
use crate::config::{self, Config};
use crate::diagnostic::{self, Diagnostic, Style};
use crate::error::{Error, Result, plural};
use crate::issue::IssueId;
use crate::load::{self, Content};
use crate::pipeline;
use crate::project::Paths;
use crate::scaffold;
use crate::templates;
use crate::validate::{self, Corpus};
use crate::{render, write};

/// Runs the command line given by `args` (program name first) and returns the exit code.
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let style = Style::new(use_color(cli.color));
    let outcome = match cli.command {
        Command::Init(args) => init(&cli.root, &args),
        Command::New(args) => new(&cli.root, &args),
        Command::Check(args) => check(&cli.root, &args, style),
        Command::Build(args) => build(&cli.root, &args, style),
        Command::Serve(args) => serve(&cli.root, &args, style),
        Command::Send(args) => send(&cli.root, &args),
        Command::Watch(args) => watch(&cli.root, &args, style),
    };
    match outcome {
        Ok(code) => code,
        Err(Error::Invalid { diagnostics }) => {
            print_diagnostics(&diagnostics, style);
            let errors = diagnostics.iter().filter(|d| d.is_error()).count();
            say_err!(
                "error: found {errors} error{}; nothing was written",
                plural(errors)
            );
            ExitCode::from(1)
        }
        Err(e) => {
            print_error(&e, style);
            ExitCode::from(1)
        }
    }
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
                && io::stderr().is_terminal()
        }
    }
}

fn print_error(error: &Error, style: Style) {
    let mut text = format!("{}: {error}", style.label(diagnostic::Severity::Error));
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Prints diagnostics to standard error, sorted, each with its snippet.
pub fn print_diagnostics(diagnostics: &[Diagnostic], style: Style) {
    let _ = write!(
        io::stderr().lock(),
        "{}",
        diagnostic::render_all(diagnostics, style)
    );
}

/// Reads and validates `config.yaml`.
///
/// # Errors
///
/// [`Error::MissingConfig`] when there is none, [`Error::ReadFile`] when it cannot be read.
/// Problems inside it are returned as diagnostics in the inner `Err`.
pub fn load_config(paths: &Paths) -> Result<std::result::Result<Config, Vec<Diagnostic>>> {
    if !paths.config.is_file() {
        return Err(Error::MissingConfig {
            root: paths.root.clone(),
        });
    }
    let rel = Path::new("config.yaml");
    match load::read_capped(&paths.config) {
        Content::Text(text) => Ok(config::parse(rel, &text)),
        Content::Unreadable(reason) => Err(Error::ReadFile {
            path: paths.config.clone(),
            source: io::Error::other(reason),
        }),
        other => Ok(Err(vec![validate::unreadable(rel, &other)])),
    }
}

/// Loads and validates the whole newsletter: config and every card.
///
/// # Errors
///
/// As [`load_config`]; problems in the files are in the returned diagnostics.
pub fn load_project(paths: &Paths) -> Result<(Option<Config>, Corpus)> {
    let config = load_config(paths)?;
    let files = load::load_briefs(&paths.root);
    let mut corpus = validate::validate(files, Some(&paths.root));
    let config = match config {
        Ok(config) => Some(config),
        Err(mut diagnostics) => {
            corpus.diagnostics.append(&mut diagnostics);
            diagnostic::sort(&mut corpus.diagnostics);
            None
        }
    };
    Ok((config, corpus))
}

fn check(root: &Path, args: &CheckArgs, style: Style) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let (_, corpus) = load_project(&paths)?;
    print_diagnostics(&corpus.diagnostics, style);
    let errors = corpus.error_count();
    let warnings = corpus.warning_count();
    let published = corpus.stories.iter().filter(|s| !s.draft).count();
    let drafts = corpus.stories.len() - published;
    let mut weeks: Vec<_> = corpus
        .stories
        .iter()
        .filter(|s| !s.draft)
        .map(|s| s.issue_id())
        .collect();
    weeks.sort();
    weeks.dedup();
    let verdict = if errors > 0 || (args.strict && warnings > 0) {
        "failed"
    } else {
        "ok"
    };
    let cards = format!("{} card{}", corpus.card_files, plural(corpus.card_files));
    // Which cards would be published is only known once every card is valid.
    let breakdown = if errors == 0 {
        format!(
            " ({published} published in {} issue{}, {drafts} draft{})",
            weeks.len(),
            plural(weeks.len()),
            plural(drafts)
        )
    } else {
        String::new()
    };
    say_err!(
        "check {verdict}: {cards}{breakdown}, {errors} error{}, {warnings} warning{}",
        plural(errors),
        plural(warnings),
    );
    if args.strict && warnings > 0 && errors == 0 {
        say_err!("--strict treats warnings as errors");
    }
    // The process ends here: freeing every story one by one would only delay the exit.
    std::mem::forget(corpus);
    Ok(ExitCode::from(u8::from(verdict == "failed")))
}

fn init(root: &Path, args: &InitArgs) -> Result<ExitCode> {
    let dir = args
        .dir
        .as_ref()
        .map_or_else(|| root.to_path_buf(), |d| root.join(d));
    let written = scaffold::init(&dir, args.force)?;
    let shown = diagnostic::display_path(&dir);
    // Already there: telling the user to `cd .` reads as a mistake.
    let cd = if shown == "." {
        String::new()
    } else {
        format!("  cd {shown}\n")
    };
    say!(
        "created a newsletter in {shown} ({written} files)\n\nnext:\n{cd}  briefing check\n  briefing new \"Your first headline\""
    );
    Ok(ExitCode::SUCCESS)
}

fn new(root: &Path, args: &NewArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let date = match &args.date {
        Some(text) => {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Error::Usage {
                message: format!("`--date {text}` is not a date as YYYY-MM-DD, e.g. 2026-06-17"),
            })?
        }
        None => chrono::Local::now().date_naive(),
    };
    let path = scaffold::new_card(
        &paths,
        &args.title,
        date,
        args.section.as_deref(),
        args.slug.as_deref(),
    )?;
    say!(
        "wrote {}\nfill in the empty fields, then run `briefing check`",
        diagnostic::display_path(&path)
    );
    Ok(ExitCode::SUCCESS)
}

fn build(root: &Path, args: &BuildArgs, style: Style) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let paths = Paths::new(root);
    let prepared = pipeline::prepare(&paths, args.drafts)?;
    print_diagnostics(&prepared.warnings, style);
    let (config, issues) = (&prepared.config, &prepared.issues);
    let selected: Vec<usize> = match (&args.week, args.latest) {
        (Some(week), _) => {
            let id = IssueId::parse(week).ok_or_else(|| Error::Usage {
                message: format!("`--week {week}` is not an ISO week like 2026-W25"),
            })?;
            let index = issues
                .iter()
                .position(|i| i.id == id)
                .ok_or_else(|| Error::Usage {
                    message: format!(
                        "there is no issue for {id}; issues exist for {}",
                        issues
                            .iter()
                            .map(|i| i.id.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })?;
            vec![index]
        }
        (None, true) => vec![issues.len() - 1],
        (None, false) => (0..issues.len()).collect(),
    };
    let whole_site = args.week.is_none() && !args.latest;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| paths.root.join(&config.output_dir));
    let (files, warnings) = if whole_site {
        // New and changed files go straight to a staging folder, moved in once all are rendered.
        let staging = write::Staging::new(&out)?;
        let warnings = pipeline::render_site(&paths, &prepared, &staging)?;
        let files = match staging.changed() {
            Some(changed) => format!("{} files, {changed} changed", staging.files()),
            None => format!("{} files", staging.files()),
        };
        staging.commit()?;
        (files, warnings)
    } else {
        let env = templates::environment(&paths.templates, &config.language)?;
        let publication = render::Publication::new(&env, config, issues);
        let mut outputs = Vec::new();
        let mut warnings = Vec::new();
        for index in &selected {
            let view = publication.view(*index);
            let (mut files, mut notes) = render::render_issue(&publication, *index, &view)?;
            outputs.append(&mut files);
            warnings.append(&mut notes);
        }
        write::update(&outputs, &out)?;
        (format!("{} files", outputs.len()), warnings)
    };
    for warning in warnings {
        say_err!("{}: {warning}", style.label(diagnostic::Severity::Warning));
    }
    say!(
        "built {} issue{} ({files}) into {} in {:.2}s",
        selected.len(),
        plural(selected.len()),
        diagnostic::display_path(&out),
        started.elapsed().as_secs_f64()
    );
    // The process ends here: freeing every story one by one would only delay the exit.
    std::mem::forget(prepared);
    Ok(ExitCode::SUCCESS)
}

fn serve(root: &Path, args: &ServeArgs, style: Style) -> Result<ExitCode> {
    let paths = Paths::new(root);
    // A missing config is a mistake to report now; problems inside it show in the browser.
    let _problems_are_served = load_config(&paths)?;
    let options = crate::serve::Options {
        bind: args.bind,
        port: args.port,
        open: args.open,
        drafts: args.drafts,
    };
    crate::serve::serve(&paths, &options, style)?;
    Ok(ExitCode::SUCCESS)
}

/// Raised by the first Ctrl-C: workers finish what is in flight and stop.
static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn send(root: &Path, args: &SendArgs) -> Result<ExitCode> {
    use std::sync::atomic::Ordering;
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(Error::Usage {
            message: format!("`--rate {rate}` must be a number above 0"),
        });
    }
    let paths = Paths::new(root);
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            say_err!("\nstopped at once; the journal has every delivery so far");
            std::process::exit(130);
        }
        say_err!("\nstopping after the messages in flight (Ctrl-C again to quit now)");
    });
    let options = crate::send::Options {
        week: args.week.clone(),
        audience: if args.to.is_empty() {
            crate::send::Audience::List(args.list.clone().unwrap_or_default())
        } else {
            crate::send::Audience::To(args.to.clone())
        },
        dry_run: args.dry_run,
        outbox: args.outbox.clone(),
        rate: args.rate,
        concurrency: args.concurrency,
        resend: args.resend,
    };
    let started = std::time::Instant::now();
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let summary = crate::send::send(&paths, &options, &env, &STOP)?;
    let elapsed = started.elapsed().as_secs_f64();
    if args.dry_run {
        say!(
            "dry run: {} message{} of {} would be sent; nothing was sent",
            summary.sent,
            plural(summary.sent),
            summary.week
        );
        if let Some(sample) = &summary.sample {
            say!(
                "\nthe first message: its headers, then its text part (the HTML part is the built email.html):\n\n{sample}"
            );
        }
    } else {
        say!(
            "sent {} message{} of {} to {} in {elapsed:.1}s ({:.1}/s)",
            summary.sent,
            plural(summary.sent),
            summary.week,
            summary.destination,
            summary.sent as f64 / elapsed.max(0.001)
        );
    }
    let skipped =
        summary.already_delivered + summary.inactive + summary.suppressed + summary.duplicates;
    if skipped > 0 {
        say!(
            "skipped {skipped}: {} already delivered, {} unsubscribed or bounced, {} suppressed, {} duplicate{}",
            summary.already_delivered,
            summary.inactive,
            summary.suppressed,
            summary.duplicates,
            plural(summary.duplicates)
        );
    }
    if summary.retried > 0 {
        say!(
            "{} delivered after a temporary failure and a retry",
            summary.retried
        );
    }
    if !summary.failed.is_empty() {
        say!("failed {}:", summary.failed.len());
        for (email, reason) in &summary.failed {
            say!("  {email}: {reason}");
        }
    }
    if let Some(journal) = &summary.journal {
        let shown = journal.strip_prefix(&paths.root).unwrap_or(journal);
        say!("journal: {}", diagnostic::display_path(shown));
    }
    if summary.interrupted {
        say!("interrupted: run the same command again to send to the rest");
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::from(u8::from(!summary.failed.is_empty())))
}

fn watch(root: &Path, args: &WatchArgs, style: Style) -> Result<ExitCode> {
    use crate::view::WatchEntryView;

    let as_of = match &args.as_of {
        None => chrono::Local::now().date_naive(),
        Some(text) => {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| Error::Usage {
                message: format!("--as-of wants a date as YYYY-MM-DD, found `{text}`"),
            })?
        }
    };
    // Curators look up ids while a new card is half written: list the cards that are valid,
    // show the problems of the others, and exit 1 so scripts notice. A bad config stops it.
    let paths = Paths::new(root);
    let (config, mut corpus) = load_project(&paths)?;
    let Some(config) = config else {
        return Err(Error::Invalid {
            diagnostics: corpus.diagnostics,
        });
    };
    let issues = crate::schedule::assemble(
        std::mem::take(&mut corpus.stories),
        &corpus.issue_meta,
        &config,
        args.drafts,
    )
    .map_err(|diagnostics| Error::Invalid { diagnostics })?;
    print_diagnostics(&corpus.diagnostics, style);
    let errors = corpus.error_count();
    let exit = if errors > 0 {
        say_err!(
            "error: {errors} error{} in the cards; the items of cards with errors are not listed (`briefing check` shows them all)",
            plural(errors)
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let issues = &issues;
    let ledger = crate::watch::Ledger::new(issues);
    let (open, resolved) = ledger.partition(as_of);
    let refs = crate::view::StoryRefs::new(issues, &config);
    let view = |at: &usize| WatchEntryView::new(&ledger.items[*at], as_of, issues, &config, &refs);
    let open: Vec<WatchEntryView> = open.iter().map(view).collect();
    let resolved: Vec<WatchEntryView> = resolved.iter().map(view).collect();
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
        let json = serde_json::to_string_pretty(&listing).map_err(|e| Error::Usage {
            message: format!("cannot write JSON: {e}"),
        })?;
        let _ = writeln!(out, "{json}");
        return Ok(exit);
    }
    let _ = write!(out, "{}", watch_listing(&headline, &open, &resolved));
    Ok(exit)
}

/// The terminal listing of `briefing watch`.
fn watch_listing(
    headline: &str,
    open: &[&crate::view::WatchEntryView],
    resolved: &[&crate::view::WatchEntryView],
) -> String {
    use std::fmt::Write as _;
    let plain = crate::markdown::to_plain_line;
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
