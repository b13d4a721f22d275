//! The one error type of the library, and every sentence it can say.
//!
//! Problems in the user's cards and config are [`Diagnostic`]s carried by [`Error::Invalid`];
//! everything else (a missing folder, a file that cannot be written) is a variant here with
//! its cause kept in `source`.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, display_path};

/// Anything that stops a command.
#[derive(Debug)]
pub enum Error {
    /// The input has errors; they are printed as diagnostics.
    Invalid {
        /// Every problem found, errors and warnings.
        diagnostics: Vec<Diagnostic>,
    },
    /// No `config.yaml` in the newsletter folder.
    MissingConfig {
        /// The folder that was searched.
        root: PathBuf,
    },
    /// A file could not be read.
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A file or folder could not be written.
    WriteFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `init` was pointed at a folder that already holds files.
    InitNotEmpty {
        /// The folder.
        dir: PathBuf,
    },
    /// `new` would overwrite a card.
    CardExists {
        /// The existing card.
        path: PathBuf,
    },
    /// The output folder holds files briefing did not write.
    ForeignOutput {
        /// The folder.
        path: PathBuf,
    },
    /// Sending cannot start or go on.
    Send {
        /// Why.
        message: String,
    },
    /// The preview server cannot start.
    Serve {
        /// Why.
        message: String,
    },
    /// A command-line value is wrong in a way clap cannot check.
    Usage {
        /// What is wrong.
        message: String,
    },
    /// A template failed to compile or render.
    Template {
        /// The template's name.
        name: String,
        /// The rendered minijinja error, with its location and snippet.
        detail: String,
    },
}

/// The result of a library call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid { diagnostics } => {
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                write!(f, "found {errors} error{}", plural(errors))
            }
            Error::MissingConfig { root } => write!(
                f,
                "no `config.yaml` in `{}`; run `briefing init` to start a newsletter, or pass `-C DIR`",
                display_path(root)
            ),
            Error::ReadFile { path, .. } => write!(f, "cannot read `{}`", display_path(path)),
            Error::WriteFile { path, .. } => write!(f, "cannot write `{}`", display_path(path)),
            Error::InitNotEmpty { dir } => write!(
                f,
                "`{}` is not empty; pass `--force` to write the newsletter files into it anyway",
                display_path(dir)
            ),
            Error::CardExists { path } => write!(
                f,
                "`{}` already exists; pick another title or pass `--slug`",
                display_path(path)
            ),
            Error::ForeignOutput { path } => write!(
                f,
                "`{}` holds files that briefing did not write, and a build replaces the whole folder; \
                 empty it, or choose another with `--out` or `output_dir`",
                display_path(path)
            ),
            Error::Usage { message } | Error::Serve { message } | Error::Send { message } => {
                write!(f, "{message}")
            }
            Error::Template { name, detail } => write!(f, "template `{name}`, {detail}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::ReadFile { source, .. } | Error::WriteFile { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `"s"` unless `n` is 1.
pub fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
