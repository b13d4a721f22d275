//! `briefing report`: the figures of a sent issue as text, JSON or an HTML page with a bar
//! chart per story.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use crate::cli::ReportArgs;
use crate::content::markdown::escape_html;
use crate::content::project::Paths;
use crate::error::{Error, Result};
use crate::pipeline::{self, report::IssueReport, report::Report};

pub(super) fn run(root: &Path, args: &ReportArgs) -> Result<ExitCode> {
    let paths = Paths::new(root);
    let prepared = pipeline::prepare(&paths, false)?;
    if prepared.issues.is_empty() {
        return Err(Error::NothingToPublish);
    }
    let index = match &args.week {
        Some(week) => prepared.issue(week)?,
        None => prepared.issues.len() - 1,
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let store = pipeline::open_store(&paths, &prepared.config, &env)?;
    let report = pipeline::report::report(&prepared, index, &store)?;
    if args.json {
        let json =
            serde_json::to_string_pretty(&report).map_err(|source| Error::WriteJson { source })?;
        say!("{json}");
    } else {
        print!("{}", text(&report));
    }
    if let Some(file) = &args.html {
        let page = html(&report, &prepared.config.title);
        std::fs::write(file, page).map_err(|source| Error::WriteFile {
            path: file.clone(),
            source,
        })?;
        say_err!("wrote {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `1234` as `1,234`.
fn thousands(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn delivery_line(issue: &IssueReport) -> String {
    let d = &issue.delivery;
    let mut line = format!(
        "sent {} · delivered {} · deferred {} · failed {}",
        thousands(d.sent as u64),
        thousands(d.delivered as u64),
        thousands(d.deferred as u64),
        thousands(d.failed as u64)
    );
    if d.in_doubt > 0 {
        let _ = write!(line, " · in doubt {}", thousands(d.in_doubt as u64));
    }
    line
}

/// The report as text, for the terminal.
fn text(report: &Report) -> String {
    let issue = &report.issue;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Issue {} ({}): “{}”",
        issue.number, issue.issue, issue.subject
    );
    match &issue.delivery.first_at {
        None => {
            let _ = writeln!(out, "  not sent yet (no send journal has it)");
        }
        Some(at) => {
            let _ = writeln!(out, "  {} (from {at})", delivery_line(issue));
        }
    }
    let r = &issue.reports;
    let _ = writeln!(
        out,
        "  since: {} hard bounce{}, {} soft, {} complaint{}; {} left from this issue's link",
        r.hard,
        crate::error::plural(r.hard as usize),
        r.soft,
        r.complaints,
        crate::error::plural(r.complaints as usize),
        issue.unsubscribes
    );
    let _ = writeln!(out);
    if report.shows_clicks() {
        let _ = writeln!(
            out,
            "Clicks: {} by readers, {} likely automated (scanners, previews), per story:",
            thousands(issue.reader_clicks),
            thousands(issue.automated_clicks)
        );
        let most = issue.most_read();
        for story in &issue.stories {
            let bar = "█".repeat(usize::try_from(story.readers * 20 / most).unwrap_or(0));
            let _ = writeln!(
                out,
                "  {:>6}  {bar:<20}  {}{}",
                thousands(story.readers),
                story.title,
                if story.automated > 0 {
                    format!(" ({} automated)", thousands(story.automated))
                } else {
                    String::new()
                }
            );
            for link in &story.links {
                let _ = writeln!(
                    out,
                    "  {:>6}  {:<20}    {}",
                    thousands(link.readers),
                    "",
                    link.url
                );
            }
        }
    } else {
        let _ = writeln!(
            out,
            "Clicks are not counted: `audience.clicks: true` in config.yaml counts them per \
             link and story (README: \"Counting clicks\")."
        );
    }
    if report.trend.len() > 1 {
        let _ = writeln!(out);
        let _ = writeln!(out, "Side by side:");
        let _ = writeln!(
            out,
            "  {:<9} {:>4} {:>10} {:>8} {:>10} {:>5} {:>8} {:>9}",
            "issue", "no.", "delivered", "bounced", "complaints", "left", "clicks", "automated"
        );
        for row in &report.trend {
            let _ = writeln!(
                out,
                "  {:<9} {:>4} {:>10} {:>8} {:>10} {:>5} {:>8} {:>9}",
                row.issue,
                row.number,
                thousands(row.delivery.delivered as u64),
                row.reports.hard + row.reports.soft,
                row.reports.complaints,
                row.unsubscribes,
                thousands(row.reader_clicks),
                thousands(row.automated_clicks)
            );
        }
    }
    out
}

/// The report as one HTML page: no script, no request outside the file, a bar per story
/// drawn as SVG beside a table of the same figures (for screen readers and for copying).
fn html(report: &Report, newsletter: &str) -> String {
    let issue = &report.issue;
    let e = |t: &str| escape_html(t);
    let mut out = String::new();
    let title = format!(
        "{}: issue {} ({}) report",
        newsletter, issue.number, issue.issue
    );
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; --ink: #1a1a1a; --paper: #fff; --bar: #1f5f99; --muted: #555; --rule: #ccc; }}
@media (prefers-color-scheme: dark) {{ :root {{ --ink: #eee; --paper: #161616; --bar: #7db8ec; --muted: #bbb; --rule: #444; }} }}
body {{ font: 16px/1.5 system-ui, sans-serif; color: var(--ink); background: var(--paper); max-width: 56rem; margin: 2rem auto; padding: 0 1rem; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--rule); vertical-align: top; }}
td.n, th.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
.muted {{ color: var(--muted); }}
svg {{ width: 100%; height: auto; }} svg text {{ fill: var(--ink); font: 13px system-ui, sans-serif; }} svg rect {{ fill: var(--bar); }}
a {{ color: inherit; word-break: break-all; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<p>“{subject}”</p>
"#,
        title = e(&title),
        subject = e(&issue.subject)
    );
    let r = &issue.reports;
    let _ = write!(
        out,
        "<h2>Delivery</h2>\n<p>{}{}.</p>\n<p>Since then: {} hard bounces, {} soft, {} complaints; \
         {} readers left from this issue's unsubscribe link.</p>\n",
        e(&delivery_line(issue)),
        issue
            .delivery
            .first_at
            .as_deref()
            .map(|at| format!(", from {}", e(at)))
            .unwrap_or_default(),
        r.hard,
        r.soft,
        r.complaints,
        issue.unsubscribes
    );
    let _ = writeln!(out, "<h2>Clicks per story</h2>");
    if !report.shows_clicks() {
        let _ = writeln!(
            out,
            "<p>Clicks are not counted: <code>audience.clicks: true</code> in config.yaml counts them per link and story.</p>"
        );
    } else {
        out.push_str(&chart(issue));
        let _ = writeln!(
            out,
            "<table>\n<caption class=\"muted\">Readers' clicks per story and link; likely automated requests (mail scanners, previews) apart.</caption>\n<thead><tr><th scope=\"col\">Story and links</th><th scope=\"col\" class=\"n\">Readers</th><th scope=\"col\" class=\"n\">Automated</th></tr></thead>\n<tbody>"
        );
        for story in &issue.stories {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                e(&story.title),
                thousands(story.readers),
                thousands(story.automated)
            );
            for link in &story.links {
                let _ = writeln!(
                    out,
                    "<tr><td class=\"muted\"><a href=\"{url}\">{url}</a></td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    thousands(link.readers),
                    thousands(link.automated),
                    url = e(&link.url)
                );
            }
        }
        let _ = writeln!(out, "</tbody>\n</table>");
    }
    if report.trend.len() > 1 {
        let _ = writeln!(
            out,
            "<h2>Side by side</h2>\n<table>\n<thead><tr><th scope=\"col\">Issue</th><th scope=\"col\" class=\"n\">Delivered</th><th scope=\"col\" class=\"n\">Bounced</th><th scope=\"col\" class=\"n\">Complaints</th><th scope=\"col\" class=\"n\">Left</th><th scope=\"col\" class=\"n\">Clicks</th><th scope=\"col\" class=\"n\">Automated</th></tr></thead>\n<tbody>"
        );
        for row in &report.trend {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{} ({})</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                row.number,
                e(&row.issue),
                thousands(row.delivery.delivered as u64),
                row.reports.hard + row.reports.soft,
                row.reports.complaints,
                row.unsubscribes,
                thousands(row.reader_clicks),
                thousands(row.automated_clicks)
            );
        }
        let _ = writeln!(out, "</tbody>\n</table>");
    }
    let _ = writeln!(
        out,
        "<p class=\"muted\">Counts only: nothing recorded tells who clicked. Opens are not counted.</p>\n</main>\n</body>\n</html>"
    );
    out
}

/// One horizontal bar per story, its length the readers' clicks; the figures are in the
/// table below it too, so the chart is an image with a summary for screen readers.
fn chart(issue: &IssueReport) -> String {
    const ROW: usize = 28;
    const LABEL: usize = 340;
    const BARS: usize = 360;
    let most = issue.most_read();
    let height = ROW * issue.stories.len().max(1) + 8;
    let width = LABEL + BARS + 60;
    let mut out = format!(
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Readers' clicks per story: {}\">\n",
        escape_html(
            &issue
                .stories
                .iter()
                .map(|s| format!("{} {}", s.title, s.readers))
                .collect::<Vec<_>>()
                .join("; ")
        )
    );
    for (i, story) in issue.stories.iter().enumerate() {
        let y = i * ROW + 4;
        let length = usize::try_from(story.readers.max(0) * BARS as i64 / most).unwrap_or(0);
        let mut label: String = story.title.chars().take(46).collect();
        if label.chars().count() < story.title.chars().count() {
            label.push('…');
        }
        let _ = writeln!(
            out,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{length}\" height=\"{}\"></rect><text x=\"{}\" y=\"{}\">{}</text>",
            y + 17,
            escape_html(&label),
            ROW - 8,
            LABEL + length + 6,
            y + 17,
            thousands(story.readers)
        );
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0u32), "0");
        assert_eq!(thousands(999u32), "999");
        assert_eq!(thousands(1000u32), "1,000");
        assert_eq!(thousands(1_234_567u32), "1,234,567");
        assert_eq!(thousands(-1200i64), "-1,200");
    }
}
