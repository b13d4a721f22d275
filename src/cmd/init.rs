//! `briefing init`: a new newsletter folder, the sample one or (`--bare`) the publisher's own.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use crate::cli::InitArgs;
use crate::diagnostic;
use crate::error::{Error, Result};
use crate::pipeline::scaffold::{self, Starter};

pub(super) fn run(root: &Path, args: &InitArgs) -> Result<ExitCode> {
    let dir = args
        .dir
        .as_ref()
        .map_or_else(|| root.to_path_buf(), |d| root.join(d));
    let written = if args.bare {
        let mut args = args.clone();
        loop {
            match scaffold::init_bare(&dir, args.force, args.templates, &starter(&mut args)?) {
                // On a terminal, a value the config refuses is asked for again.
                Err(Error::BadOption { option, detail }) if std::io::stdin().is_terminal() => {
                    if !forget(&mut args, option) {
                        return Err(Error::BadOption { option, detail });
                    }
                    say_err!("{detail}");
                }
                other => break other?,
            }
        }
    } else {
        scaffold::init(&dir, args.force, args.templates)?
    };
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

/// Drops the answer to `option` so that it is asked again; false for an option it does not
/// know.
fn forget(args: &mut InitArgs, option: &str) -> bool {
    let field = match option {
        "--title" => &mut args.title,
        "--base-url" => &mut args.base_url,
        "--from" => &mut args.from,
        "--tagline" => &mut args.tagline,
        "--description" => &mut args.description,
        "--postal-address" => &mut args.postal_address,
        _ => return false,
    };
    *field = None;
    true
}

/// The settings of `init --bare`: the options given, and on a terminal an answer for each
/// missing (the optional ones may be left empty). Answers are kept in `args`, so that only a
/// refused one is asked again.
fn starter(args: &mut InitArgs) -> Result<Starter> {
    let interactive = std::io::stdin().is_terminal();
    let ask = |option: &'static str,
               question: &str,
               given: &mut Option<String>,
               required: bool|
     -> Result<Option<String>> {
        // Given (an empty optional one means "none").
        if let Some(value) = given.as_ref().map(|v| v.trim().to_owned())
            && (!value.is_empty() || !required)
        {
            return Ok((!value.is_empty()).then_some(value));
        }
        if !interactive {
            return if required {
                Err(Error::BadOption {
                    option,
                    detail: format!(
                        "missing; with no terminal to ask on, `init --bare` takes it as an \
                         option: {question}"
                    ),
                })
            } else {
                Ok(None)
            };
        }
        loop {
            eprint!(
                "{question}{} ",
                if required { "" } else { " (Enter to skip)" }
            );
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            if std::io::stdin().lock().read_line(&mut answer).unwrap_or(0) == 0 {
                return Err(Error::BadOption {
                    option,
                    detail: "no answer (input ended)".to_owned(),
                });
            }
            let answer = answer.trim().to_owned();
            if !answer.is_empty() || !required {
                *given = Some(answer.clone());
                return Ok((!answer.is_empty()).then_some(answer));
            }
        }
    };
    Ok(Starter {
        title: ask("--title", "The newsletter's name?", &mut args.title, true)?.unwrap_or_default(),
        base_url: ask(
            "--base-url",
            "Where will the site be published (e.g. https://news.example.org/)?",
            &mut args.base_url,
            true,
        )?
        .unwrap_or_default(),
        from: ask(
            "--from",
            "Who sends it (e.g. My Weekly <news@example.org>)?",
            &mut args.from,
            true,
        )?
        .unwrap_or_default(),
        tagline: ask(
            "--tagline",
            "A line under the title?",
            &mut args.tagline,
            false,
        )?,
        description: ask(
            "--description",
            "Who is it for, in one line?",
            &mut args.description,
            false,
        )?,
        postal_address: ask(
            "--postal-address",
            "Your postal address, for the emails' footer?",
            &mut args.postal_address,
            false,
        )?,
    })
}
