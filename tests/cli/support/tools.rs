//! The outside tools some tests need, checked before they run: a test whose tool is missing
//! fails saying what to install, never skips. Those tests are `#[ignore]`d, so plain
//! `cargo test` runs only what needs Rust alone; `scripts/test` installs the tools and runs
//! them all.

use std::path::{Path, PathBuf};
use std::process::Command;

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Python 3 with each of `modules`.
#[track_caller]
pub fn python(modules: &[&str]) {
    for module in modules {
        assert!(
            runs("python3", &["-c", &format!("import {module}")]),
            "this test needs Python's `{module}`: run scripts/test, which installs it"
        );
    }
}

/// curl, a real HTTP client.
#[track_caller]
pub fn curl() {
    assert!(
        runs("curl", &["--version"]),
        "this test needs curl: run scripts/test, which installs it"
    );
}

/// Chromium and the Node tools that drive it; the tools' folder.
#[track_caller]
pub fn browser() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/node");
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "this test needs playwright-core and axe-core: run scripts/test, which installs them"
    );
    assert!(
        runs("chromium", &["--version"]),
        "this test needs Chromium: run scripts/test, which installs it"
    );
    dir
}

/// Java and the Nu Html Checker; the checker's jar.
#[track_caller]
pub fn vnu() -> PathBuf {
    let jar = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/node/node_modules/vnu-jar/build/dist/vnu.jar");
    assert!(
        jar.is_file(),
        "this test needs the Nu Html Checker: run scripts/test, which installs it"
    );
    assert!(
        runs("java", &["-version"]),
        "this test needs Java: run scripts/test, which installs it"
    );
    jar
}

/// The OpenSSL command line, to make keys.
#[track_caller]
pub fn openssl() {
    assert!(
        runs("openssl", &["version"]),
        "this test needs the openssl command: run scripts/test, which installs it"
    );
}
