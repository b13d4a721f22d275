//! The built-in templates of earlier versions, by their digests: a newsletter's copy of one
//! was ejected from an older briefing and now hides the current built-in's fixes.
//!
//! `older-builtins.txt` is made by `scripts/older-builtins` from the repository's history;
//! a test (which needs git) checks that it is current.

use std::path::Path;

use super::read_overrides;
use crate::error::Result;

/// `<template> <SHA-256>` per line: every earlier version of each built-in template.
pub(super) const OLDER_BUILTINS: &str = include_str!("older-builtins.txt");

/// The (name, digest) pairs of [`OLDER_BUILTINS`].
pub(super) fn older_builtins() -> Vec<(&'static str, &'static str)> {
    OLDER_BUILTINS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(' '))
        .collect()
}

/// The templates under `dir` that are an earlier version of the built-in of the same name.
///
/// # Errors
///
/// As [`environment`](super::environment) when a template file cannot be read.
pub fn older_copies(dir: &Path) -> Result<Vec<String>> {
    older_copies_in(dir, &older_builtins())
}

pub(super) fn older_copies_in(dir: &Path, older: &[(&str, &str)]) -> Result<Vec<String>> {
    use sha2::{Digest, Sha256};
    Ok(read_overrides(dir)?
        .into_iter()
        .filter(|(name, text)| {
            let digest = Sha256::digest(text.as_bytes());
            let digest: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            older
                .iter()
                .any(|(older, hash)| older == name && *hash == digest)
        })
        .map(|(name, _)| name)
        .collect())
}
