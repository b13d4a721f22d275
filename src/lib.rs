//! `briefing` turns curated YAML story cards into a weekly newsletter.
//!
//! Data flows one way: [`cmd`] (one file per subcommand, printing only) calls [`pipeline`],
//! the only place that loads, validates and assembles, which calls the stages:
//!
//! - [`project`] finds the files, [`config`] reads `config.yaml`;
//! - [`load`] reads the cards under `briefs/` ([`yaml`] keeps every position);
//! - [`validate`] turns them into [`story::Story`] values or located [`diagnostic`]s,
//!   using [`fields`] to read each key;
//! - [`schedule`] groups stories into numbered weekly [`issue`]s, and [`ledger`] follows each
//!   "What to watch" item across them;
//! - [`templates`] builds the minijinja environment, [`view`] what templates see, and
//!   [`render`] turns each issue into files in memory ([`markdown`] and [`dates`] help;
//!   [`render::email`] makes the email and its [`render::email::Letter`]);
//! - [`write`](mod@write) publishes them to disk, all or nothing; [`serve`](mod@serve)
//!   previews them; [`send`] mails a letter to a list.
//!
//! [`run`] is the command line's entry point. `docs/architecture.md` says where to add a card
//! field, an output format or a transport.

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

pub mod address;
pub mod audience;
pub mod bounces;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod dates;
pub mod diagnostic;
pub mod error;
pub mod fields;
pub mod issue;
pub mod ledger;
pub mod listen;
pub mod load;
pub mod markdown;
pub mod pipeline;
pub mod project;
pub mod render;
pub mod scaffold;
pub mod schedule;
pub mod send;
pub mod serve;
pub mod slug;
pub mod story;
pub mod templates;
pub mod url;
pub mod validate;
pub mod view;
pub mod write;
pub mod yaml;

pub use cmd::run;
