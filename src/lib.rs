//! `briefing` turns curated YAML story cards into a weekly newsletter.
//!
//! The pipeline, one module per stage:
//!
//! - [`project`] finds the files, [`config`] reads `config.yaml`;
//! - [`load`] reads the cards under `briefs/` ([`yaml`] keeps every position);
//! - [`validate`] turns them into [`story::Story`] values or located [`diagnostic`]s,
//!   using [`fields`] to read each key;
//! - later stages assemble issues by ISO week ([`issue`]), render and publish them.
//!
//! [`run`] is the command line's entry point; [`cmd`] holds one function per subcommand.

pub mod cli;
pub mod cmd;
pub mod config;
pub mod diagnostic;
pub mod error;
pub mod fields;
pub mod issue;
pub mod load;
pub mod project;
pub mod scaffold;
pub mod slug;
pub mod story;
pub mod validate;
pub mod yaml;

pub use cmd::run;
