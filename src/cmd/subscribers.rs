//! `briefing subscribers`: the subscriber store from the command line.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;

use crate::audience::Status;
use crate::audience::import;
use crate::audience::list::{self as subscribers, Suppression};
use crate::audience::store::ImportSummary;
use crate::cli::{ImportArgs, StatusChoice, SubscribersAction, SubscribersArgs, ToolChoice};
use crate::content::project::Paths;
use crate::diagnostic::printable;
use crate::error::{Error, Result, plural};
use crate::pipeline;

pub(super) fn run(root: &Path, args: &SubscribersArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let config = pipeline::config_only(&paths)?;
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let now = chrono::Utc::now();
    if let SubscribersAction::Import(import_args) = &args.action {
        return import(&paths, &config, import_args, now);
    }
    let mut store = pipeline::open_store(&paths, &config, &env)?;
    match &args.action {
        SubscribersAction::Import(_) => unreachable!("handled above"),
        SubscribersAction::Export {
            status,
            history: true,
        } => {
            if status.is_some() {
                return Err(Error::BadOption {
                    option: "--history",
                    detail: "it writes every subscriber's record; leave out --status".into(),
                });
            }
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            let events = store.all_history()?;
            let written = out
                .write_record(["email", "at", "status", "source", "detail"])
                .and_then(|()| {
                    events.iter().try_for_each(|(email, event)| {
                        out.write_record([
                            &*subscribers::to_cell(email),
                            &event.at,
                            event.status.as_str(),
                            event.source.as_str(),
                            &*subscribers::to_cell(event.detail.as_deref().unwrap_or("")),
                        ])
                    })
                })
                .and_then(|()| out.flush().map_err(csv::Error::from));
            finish_csv(written)?;
        }
        SubscribersAction::Export { status, .. } => {
            let mut out = csv::Writer::from_writer(std::io::stdout().lock());
            let rows = store.list(status.map(to_status))?;
            let written = out
                .write_record(["email", "name", "status", "created_at", "updated_at"])
                .and_then(|()| {
                    rows.iter().try_for_each(|s| {
                        // Written so a spreadsheet shows every cell as text: a name typed
                        // into the sign-up form could be a formula.
                        out.write_record([
                            &*subscribers::to_cell(&s.email),
                            &*subscribers::to_cell(s.name.as_deref().unwrap_or("")),
                            s.status.as_str(),
                            &s.created_at,
                            &s.updated_at,
                        ])
                    })
                })
                .and_then(|()| out.flush().map_err(csv::Error::from));
            finish_csv(written)?;
        }
        SubscribersAction::List { status } => {
            let rows = store.list(status.map(to_status))?;
            for s in &rows {
                say!(
                    "{:<12}  {}{}",
                    s.status.as_str(),
                    printable(&s.email),
                    s.name
                        .as_deref()
                        .map(|n| format!("  ({})", printable(n)))
                        .unwrap_or_default()
                );
            }
            say_err!("{} subscriber{}", rows.len(), plural(rows.len()));
        }
        SubscribersAction::Add {
            email,
            name,
            reactivate,
        } => {
            let email = checked(email, name.as_deref())?;
            let name_before = store.get(&email)?.and_then(|s| s.name);
            // Said whenever the name changes, so an "already" never hides a change.
            let renamed = match (name.as_deref(), name_before.as_deref()) {
                (Some(new), Some(old)) if new != old => {
                    format!("; name “{}” → “{}”", printable(old), printable(new))
                }
                (Some(new), None) => format!("; name set to “{}”", printable(new)),
                _ => String::new(),
            };
            match store.add(&email, name.as_deref(), *reactivate, now)? {
                None => say!("added {email}: active"),
                Some(Status::Active) if renamed.is_empty() => {
                    say!("{email} is active already; nothing changed");
                }
                Some(Status::Active) => say!("{email} is active already{renamed}"),
                Some(before) => say!("{email}: {before} → active{renamed}"),
            }
        }
        SubscribersAction::Backup { file } => {
            let copied = store.backup(file)?;
            say!(
                "backed up {} subscriber{} to {} ({} KB{})",
                copied.subscribers,
                plural(copied.subscribers),
                crate::diagnostic::display_path(file),
                copied.bytes.div_ceil(1024),
                match copied.queued {
                    0 => String::new(),
                    n => format!(", with {n} queued unsubscribe{}", plural(n)),
                }
            );
        }
        SubscribersAction::Remove { email } => {
            if store.remove(email, now)? {
                say!("{email}: unsubscribed (their history is kept)");
            } else if store.get(email)?.is_some() {
                say!("{email} was not active; nothing changed");
            } else {
                say!("{email} is not on the list; nothing changed");
                return Ok(ExitCode::from(1));
            }
        }
        SubscribersAction::Forget { email } => {
            // Journals of earlier versions wrote addresses out: taken out first, so that an
            // erasure reported done is done.
            let secret = crate::audience::secret::find_or_create(
                &paths.root,
                &config.unsubscribe_secret_env,
                &env,
            )?;
            let scrubbed = crate::mail::journal::scrub(
                &paths.root.join(".briefing/sends"),
                &secret.key,
                email,
            )?;
            if scrubbed > 0 {
                say!(
                    "{email}: taken out of {scrubbed} send journal{}",
                    plural(scrubbed)
                );
            }
            if store.forget(email, now)? {
                say!(
                    "{email}: erased with its history; a hash of the address is kept so that \
                     no import or CSV send mails it again"
                );
            } else {
                say!("{email} is not on the list; a hash is kept so that no list mails it");
            }
        }
        SubscribersAction::Stats => {
            let stats = store.stats()?;
            let total: usize = stats.by_status.values().sum();
            say!("{total} subscriber{}", plural(total));
            for (status, count) in &stats.by_status {
                say!("  {:<12} {count}", status.as_str());
            }
            if stats.failed_welcomes > 0 {
                say!(
                    "\n{} welcome message{} could not be sent (the reasons are in `listen`'s \
                     log); each is tried again when `listen` next starts, or when its reader \
                     opens their confirmation link again",
                    stats.failed_welcomes,
                    plural(stats.failed_welcomes)
                );
            }
            if !stats.weeks.is_empty() {
                say!("\nweek       sign-ups  unsubscribes");
                for (week, (joined, left)) in &stats.weeks {
                    say!("{week}  {joined:>8}  {left:>12}");
                }
            }
        }
        SubscribersAction::History { email } => {
            let Some(subscriber) = store.get(email)? else {
                say_err!("{email} is not on the list");
                return Ok(ExitCode::from(1));
            };
            say!("{} ({})", printable(&subscriber.email), subscriber.status);
            for event in store.history(email)? {
                say!(
                    "  {}  {:<12}  {}{}",
                    event.at,
                    event.status.as_str(),
                    event.source,
                    event
                        .detail
                        .map(|d| format!("  {}", printable(&d)))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A CSV written to standard output: done, or failed for a reason other than a reader that
/// stopped reading (`| head`).
fn finish_csv(written: std::result::Result<(), csv::Error>) -> Result<()> {
    match written {
        Err(e) if !matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe) => {
            Err(Error::WriteFile {
                path: "standard output".into(),
                source: std::io::Error::other(e.to_string()),
            })
        }
        _ => Ok(()),
    }
}

/// `briefing subscribers import`: the file read and mapped (every row, before anything is
/// written), then imported, or with `--dry-run` only counted.
fn import(
    paths: &Paths,
    config: &crate::content::config::Config,
    args: &ImportArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExitCode> {
    let options = import::Options {
        from: args.from.map(to_tool),
        email_column: args.email_column.clone(),
        name_column: args.name_column.clone(),
        status_column: args.status_column.clone(),
        status_map: match &args.status_map {
            Some(text) => import::parse_status_map(text).map_err(|detail| Error::BadOption {
                option: "--status-map",
                detail,
            })?,
            None => Vec::new(),
        },
        status: args.status.map(to_status),
    };
    let read = import::read(&args.file, &args.file, &options)
        .map_err(|diagnostics| Error::Invalid { diagnostics })?;
    say!(
        "read {} as {}: {} address{}{}",
        crate::diagnostic::display_path(&args.file),
        read.described,
        read.rows.len(),
        if read.rows.len() == 1 { "" } else { "es" },
        match read.repeats {
            0 => String::new(),
            n => format!(
                " ({n} repeated row{}: the one that mails least counts)",
                plural(n)
            ),
        }
    );
    if read.tool == import::Tool::Listmonk {
        say!(
            "note: listmonk's export has each reader's account status, not their status on a \
             list: someone who unsubscribed from a list stays `enabled`. Export each list's \
             unsubscribed readers too (filter by subscription status) and import that file \
             with --status-map enabled=unsubscribed"
        );
    }
    let database = paths.root.join(&config.list.database);
    let summary = if args.dry_run && !database.exists() {
        // No store yet: everything would be new, and a dry run creates nothing.
        let mut summary = ImportSummary {
            added: read.rows.len(),
            ..ImportSummary::default()
        };
        for row in &read.rows {
            *summary.by_status.entry(row.status).or_default() += 1;
        }
        summary
    } else {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut store = pipeline::open_store(paths, config, &env)?;
        store.import(&read.rows, args.reactivate, !args.dry_run, now)?
    };
    let rows = read.rows.len();
    say!(
        "{} {rows} address{}: {} added, {} updated, {} unchanged",
        if args.dry_run {
            "would import"
        } else {
            "imported"
        },
        if rows == 1 { "" } else { "es" },
        summary.added,
        summary.updated,
        summary.unchanged
    );
    if summary.kept_inactive > 0 {
        say!(
            "{} address{} that unsubscribed, bounced or complained {} so; pass \
             --reactivate only if they asked to be mailed again",
            summary.kept_inactive,
            if summary.kept_inactive == 1 { "" } else { "es" },
            if args.dry_run { "would stay" } else { "stayed" }
        );
    }
    say!(
        "{}: {}",
        if args.dry_run {
            "these addresses would then be"
        } else {
            "these addresses are now"
        },
        summary
            .by_status
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if args.dry_run {
        say!("nothing was written (dry run)");
    }
    Ok(ExitCode::SUCCESS)
}

fn to_tool(choice: ToolChoice) -> import::Tool {
    match choice {
        ToolChoice::Mailchimp => import::Tool::Mailchimp,
        ToolChoice::Buttondown => import::Tool::Buttondown,
        ToolChoice::Substack => import::Tool::Substack,
        ToolChoice::Ghost => import::Tool::Ghost,
        ToolChoice::Listmonk => import::Tool::Listmonk,
        ToolChoice::Kit => import::Tool::Kit,
        ToolChoice::Beehiiv => import::Tool::Beehiiv,
        ToolChoice::Mailerlite => import::Tool::MailerLite,
        ToolChoice::Briefing => import::Tool::Briefing,
    }
}

/// `email` checked as a list row is: a valid, unambiguous address and a one-line name.
fn checked(email: &str, name: Option<&str>) -> Result<String> {
    let email = email.trim();
    subscribers::decide(
        email,
        name,
        "",
        &Suppression::default(),
        &mut HashSet::new(),
    )
    .map(|_| email.to_owned())
    .map_err(|(detail, help)| Error::BadAddress {
        email: email.to_owned(),
        detail: format!("{detail}; {help}"),
    })
}

fn to_status(choice: StatusChoice) -> Status {
    match choice {
        StatusChoice::Pending => Status::Pending,
        StatusChoice::Active => Status::Active,
        StatusChoice::Unsubscribed => Status::Unsubscribed,
        StatusChoice::Bounced => Status::Bounced,
        StatusChoice::Complained => Status::Complained,
    }
}
