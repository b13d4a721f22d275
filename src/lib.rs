//! `briefing` turns curated YAML story cards into a weekly newsletter and runs its list.
//!
//! The folders are the layers, and every arrow points down:
//!
//! - [`cmd`] has one file per subcommand: it calls [`pipeline`] (or a subsystem below it) and
//!   prints what comes back;
//! - [`pipeline`] is the only place that loads, validates and assembles a newsletter, builds
//!   its template environment and makes a new one ([`pipeline::scaffold`]);
//! - [`content`] reads what the curator wrote: the folder, `config.yaml`, the cards, and the
//!   stories, weekly issues and watch items made from them;
//! - [`publish`] turns issues into files in memory and writes or serves them;
//! - [`audience`] knows the readers: the subscriber store, CSV lists, signed links, the secret;
//! - [`mail`] builds one message per reader, sends an issue and reads the reports that come
//!   back;
//! - [`service`] is the HTTP service readers talk to (`briefing listen`).
//!
//! [`error`] and [`diagnostic`] are what every layer reports with. [`run`] is the command
//! line's entry point. `docs/architecture.md` says where to add a card field, an output format
//! or a transport.

/// `println!` that drops what it cannot write instead of panicking: with the output piped
/// into a reader that stops early (`briefing build | head -1`), the work still finishes and
/// no panic message follows.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that drops what it cannot write, as [`say`] does.
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod audience;
pub mod cli;
pub mod cmd;
pub mod content;
pub mod diagnostic;
pub mod error;
pub mod mail;
pub mod pipeline;
pub mod publish;
pub mod service;

pub use cmd::run;
