//! Headless Chromium, driven through playwright-core (`tests/support/node/browse.mjs`).

use std::process::Command;

use super::tools;

/// What the driver saw.
#[derive(Debug, serde::Deserialize)]
pub struct Seen {
    pub status: Option<u16>,
    pub url: Option<String>,
    pub h1: Option<String>,
    pub text: Option<String>,
    pub problems: Vec<String>,
    pub axe: Option<Vec<serde_json::Value>>,
    pub reloaded: Option<bool>,
    pub evals: Option<Vec<serde_json::Value>>,
    /// Every request the page made: `url` and `bytes` on the wire.
    #[serde(default)]
    pub requests: Vec<serde_json::Value>,
}

/// Runs the driver with `spec` (see `browse.mjs`).
#[track_caller]
pub fn browse(spec: &serde_json::Value) -> Seen {
    let dir = tools::browser();
    let out = Command::new("node")
        .arg(dir.join("browse.mjs"))
        .arg(spec.to_string())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "the driver said {e}: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// A folder for screenshots, kept after the run.
pub fn shots() -> std::path::PathBuf {
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    shots
}
