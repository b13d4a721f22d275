//! What the curator wrote, read and checked: the newsletter folder, `config.yaml`, the cards
//! and issue files, and the values made from them (stories, weekly issues, watch items).
//!
//! The lowest layer: it imports only [`crate::error`] and [`crate::diagnostic`], never
//! `publish`, `audience`, `mail` or `service`.

pub mod archive;
pub mod config;
pub mod dates;
pub mod fields;
pub mod issue;
pub mod ledger;
pub mod load;
pub mod markdown;
pub mod project;
pub mod schedule;
pub mod slug;
pub mod story;
pub mod url;
pub mod validate;
pub mod yaml;
