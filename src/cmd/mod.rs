//! The command line: one file per subcommand, each calling [`pipeline`](crate::pipeline)
//! and printing what it returns. Nothing below this layer prints a result or imports it.
//!
//! Diagnostics and errors go to standard error, results to standard output. Exit codes: 0 on
//! success, 1 when the input has errors (or warnings under `--strict`) or a command fails,
//! 2 for command-line mistakes (clap's own).

mod bounces;
mod build;
mod check;
mod dkim;
mod init;
mod listen;
mod new;
mod report;
mod send;
mod serve;
mod subscribers;
mod templates;
mod watch;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, ColorChoice, Command};
use crate::diagnostic::{self, Diagnostic, Style};
use crate::error::{Error, plural};

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
        Command::Init(args) => init::run(&cli.root, &args),
        Command::New(args) => new::run(&cli.root, &args),
        Command::Check(args) => check::run(&cli.root, &args, style),
        Command::Build(args) => build::run(&cli.root, &args, style),
        Command::Serve(args) => serve::run(&cli.root, &args, style),
        Command::Send(args) => send::run(&cli.root, &args),
        Command::Watch(args) => watch::run(&cli.root, &args, style),
        Command::Report(args) => report::run(&cli.root, &args),
        Command::Templates(args) => templates::run(&cli.root, &args),
        Command::Dkim(args) => dkim::run(&cli.root, &args),
        Command::Subscribers(args) => subscribers::run(&cli.root, &args),
        Command::Listen(args) => listen::run(&cli.root, &args),
        Command::Bounces(args) => bounces::run(&cli.root, &args),
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
fn print_diagnostics(diagnostics: &[Diagnostic], style: Style) {
    let _ = write!(
        io::stderr().lock(),
        "{}",
        diagnostic::render_all(diagnostics, style)
    );
}

/// Reads a `YYYY-MM-DD` date given to `option`.
fn parse_date(option: &'static str, text: &str) -> Result<chrono::NaiveDate, Error> {
    crate::content::dates::parse_iso(text).ok_or_else(|| Error::BadDate {
        option,
        text: text.to_owned(),
    })
}
