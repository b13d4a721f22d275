//! The integration tests: each runs the real `briefing` binary on a folder of its own.

// Tests and their helpers may unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bounces;
mod browser;
mod build;
mod check;
mod clicks;
mod dns;
mod files;
mod hostile;
mod html;
mod import;
mod init;
mod links;
mod listen;
mod project;
mod search;
mod seatbelt;
mod send;
mod serve;
mod site;
mod spam;
mod support;
mod templates;
mod validators;
mod watch;
