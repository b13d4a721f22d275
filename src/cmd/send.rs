//! `briefing send`: one issue to a list, and the summary of how it went.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::{InDoubtChoice, SendArgs};
use crate::content::issue::SendAt;
use crate::content::project::Paths;
use crate::diagnostic::{self, Pos};
use crate::error::{Error, Result, plural};
use crate::mail::send::{Controls, InDoubt, Options, Preview, Recipients};
use crate::pipeline::{self, CacheWrites};
use crate::publish::{render, write};

/// Shows what a send to a list is about to do and asks; `--yes` answers for the sender.
/// Without a terminal to ask on, and without `--yes`, nothing is sent.
fn confirm(preview: &Preview, yes: bool) -> Result<()> {
    use std::io::{BufRead as _, IsTerminal as _, Write as _};
    if yes {
        return Ok(());
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Error::ConfirmationNeeded {
            recipients: preview.recipients,
        });
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "About to send {} “{}” to {} reader{} through {}.",
        preview.week,
        preview.subject,
        preview.recipients,
        plural(preview.recipients),
        preview.destination
    );
    if preview.delivered_before > 0 {
        let _ = writeln!(
            err,
            "An earlier run already delivered it to {}: they are skipped.",
            preview.delivered_before
        );
    }
    let _ = write!(err, "Send it now? [y/N] ");
    let _ = err.flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    match answer.trim().to_lowercase().as_str() {
        "y" | "yes" => Ok(()),
        _ => Err(Error::SendNotConfirmed),
    }
}

/// Says which of the issue's published files differ from what the email was made with, and
/// how to fix it: a warning, not a refusal, since the site may be built and deployed
/// elsewhere. A dry run also says when they all match.
fn report_unpublished(site: &Path, unpublished: &[write::Published], dry_run: bool) {
    let shown = diagnostic::display_path(site);
    if unpublished.is_empty() {
        if dry_run {
            say_err!("checked: the issue's pages in {shown} are what `briefing build` writes now");
        }
        return;
    }
    for file in unpublished {
        match file {
            write::Published::Missing(path) => say_err!("warning: {shown}/{path} is not built"),
            write::Published::Differs(path) => {
                say_err!("warning: {shown}/{path} is older than the cards");
            }
        }
    }
    say_err!(
        "  help: the email links to the issue's page, which readers would see as it was (or \
         not at all): run `briefing build` (and deploy the site) before sending; this check \
         reads {shown} only"
    );
}

/// `send --due`: the newest issue whose `send_at` has come, unless a run already sent it
/// to the list here; `None` (after saying why) when there is nothing to send.
fn due(
    paths: &Paths,
    prepared: &pipeline::Prepared,
    args: &SendArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<usize>> {
    let zone = prepared.config.timezone;
    let now = match &args.as_of {
        None => chrono::Utc::now(),
        Some(text) => SendAt::parse(text, Pos::START)
            .and_then(|at| at.resolve(zone).ok())
            .ok_or_else(|| Error::BadTime { text: text.clone() })?,
    };
    let shown = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&zone)
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    };
    let issues = &prepared.issues;
    let Some(index) = issues
        .iter()
        .rposition(|issue| issue.send_at.is_some_and(|at| at <= now))
    else {
        match issues.iter().find(|issue| issue.send_at.is_some()) {
            Some(next) => say!(
                "nothing is due: {} goes at {}",
                next.id,
                shown(next.send_at.unwrap_or(now))
            ),
            None => say!("nothing is due: no issue has a `send_at` (set one in its issue.yaml)"),
        }
        return Ok(None);
    };
    let issue = &issues[index];
    let send_at = issue.send_at.unwrap_or(now);
    if crate::mail::send::already_sent(
        paths,
        &prepared.config,
        issue.id,
        args.outbox.as_deref(),
        env,
    )? {
        let next = issues[index + 1..]
            .iter()
            .find_map(|later| Some((later.id, later.send_at?)));
        match next {
            Some((id, at)) => say!(
                "nothing is due: {} was sent; {id} goes at {}",
                issue.id,
                shown(at)
            ),
            None => say!("nothing is due: {} was sent", issue.id),
        }
        return Ok(None);
    }
    let within = i64::from(prepared.config.send.due_within_hours);
    if now - send_at > chrono::TimeDelta::hours(within) {
        return Err(Error::DueLongAgo {
            week: issue.id.to_string(),
            send_at: shown(send_at),
            hours: within,
        });
    }
    Ok(Some(index))
}

pub(super) fn run(root: &Path, args: &SendArgs) -> Result<ExitCode> {
    if let Some(rate) = args.rate
        && !(rate.is_finite() && rate > 0.0)
    {
        return Err(Error::BadRate { rate });
    }
    let paths = Paths::new(root);
    // Raised by the first Ctrl-C: workers finish what is in flight and stop.
    let stop = Arc::new(AtomicBool::new(false));
    let raised = Arc::clone(&stop);
    let _ = ctrlc::set_handler(move || {
        if raised.swap(true, Ordering::SeqCst) {
            say_err!("\nstopped at once; the journal has every delivery so far");
            std::process::exit(130);
        }
        say_err!("\nstopping after the messages in flight (Ctrl-C again to quit now)");
    });
    let prepared = pipeline::prepare(&paths, false)?;
    if prepared.issues.is_empty() {
        return Err(crate::error::Error::NothingToPublish);
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let index = match &args.week {
        Some(week) => prepared.issue(week)?,
        None if args.due => match due(&paths, &prepared, args, &env)? {
            Some(index) => index,
            None => return Ok(ExitCode::SUCCESS),
        },
        None => prepared.issues.len() - 1,
    };
    // What the last `check --links` found; `send` itself never touches the network for it.
    let dead = pipeline::known_dead_sources(&prepared, index);
    if !dead.is_empty() {
        let week = prepared.issues[index].id;
        let line = format!(
            "{} source{} of {week} {} dead when last checked; `briefing check --links --week {week}` lists {}",
            dead.len(),
            plural(dead.len()),
            if dead.len() == 1 { "was" } else { "were" },
            if dead.len() == 1 { "it" } else { "them" }
        );
        if args.strict_links {
            return Err(crate::error::Error::DeadSources { detail: line });
        }
        say_err!("warning: {line}");
    }
    let writes = if args.dry_run {
        CacheWrites::Forbidden
    } else {
        CacheWrites::Allowed
    };
    // The email links to the issue's page: it should be the page the site shows.
    let site = paths.root.join(&prepared.config.output_dir);
    let (mut letter, unpublished) = prepared.publish_with(writes, |publication| {
        let letter = render::email::render_letter(publication, index)?;
        let view = publication.view(index);
        let (files, _) = render::render_issue(publication, index, &view)?;
        Ok((letter, write::compare(&files, &site)))
    })?;
    report_unpublished(&site, &unpublished, args.dry_run);
    if args.proof {
        letter.subject = format!("[Proof] {}", letter.subject);
    }
    let options = Options {
        recipients: match (&args.list, args.to.is_empty()) {
            (_, false) => Recipients::To(args.to.clone()),
            (Some(list), true) => Recipients::List(list.clone()),
            (None, true) => Recipients::Store,
        },
        dry_run: args.dry_run,
        outbox: args.outbox.clone(),
        rate: args.rate,
        concurrency: args.concurrency,
        resend: args.resend,
        in_doubt: match args.in_doubt {
            InDoubtChoice::Resend => InDoubt::Resend,
            InDoubtChoice::Skip => InDoubt::Skip,
        },
        proof: args.proof,
        unless_sent: args.due,
    };
    let started = std::time::Instant::now();
    let issue = prepared.issues[index].id;
    let sent = crate::mail::send::send(
        &paths,
        &prepared.config,
        issue,
        letter,
        &options,
        &Controls {
            env: &env,
            stop: &stop,
            ask: &|preview| confirm(preview, args.yes),
        },
    );
    let summary = match sent {
        // Another timer's run is sending it: this one has nothing to do.
        Err(Error::SendRunning { pid, .. }) if args.due => {
            say!(
                "{issue} is being sent by another run{}; nothing to do",
                pid.map(|pid| format!(" (process {pid})"))
                    .unwrap_or_default()
            );
            return Ok(ExitCode::SUCCESS);
        }
        other => other?,
    };
    if summary.already_sent {
        say!("{issue} was sent already; nothing to do");
        return Ok(ExitCode::SUCCESS);
    }
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
                "\nthe first message: its headers, then its text part (the HTML part is the issue's email.html, as `briefing build` writes it now):\n\n{sample}"
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
    if summary.pending > 0 {
        say!(
            "not mailed: {} who signed up and {} not confirmed (`briefing subscribers list --status pending`)",
            summary.pending,
            if summary.pending == 1 { "has" } else { "have" }
        );
    } else if summary.sent == 0
        && skipped == 0
        && summary.failed.is_empty()
        && !summary.interrupted
        && args.list.is_none()
        && args.to.is_empty()
    {
        say!(
            "nobody to mail yet: `briefing listen` signs readers up, `briefing subscribers import` brings a list"
        );
    }
    if skipped > 0 {
        say!(
            "skipped {skipped}: {} already delivered, {} unsubscribed, bounced or complained, {} suppressed, {} duplicate{}",
            summary.already_delivered,
            summary.inactive,
            summary.suppressed,
            summary.duplicates,
            plural(summary.duplicates)
        );
    }
    if !summary.damaged_lines.is_empty() {
        let lines = &summary.damaged_lines;
        let shown: Vec<String> = lines.iter().take(10).map(ToString::to_string).collect();
        say_err!(
            "warning: the journal has {} damaged line{} (line{} {}{}), skipped; their recipients count as not yet sent",
            lines.len(),
            plural(lines.len()),
            plural(lines.len()),
            shown.join(", "),
            if lines.len() > 10 { ", ..." } else { "" }
        );
    }
    if summary.in_doubt_resent > 0 {
        say!(
            "{} in doubt from an interrupted run (handed over, no answer recorded): sent again with the same Message-ID",
            summary.in_doubt_resent
        );
    }
    if summary.in_doubt_skipped > 0 {
        say!(
            "{} in doubt from an interrupted run, skipped (--in-doubt skip)",
            summary.in_doubt_skipped
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
