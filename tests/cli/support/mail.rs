//! The mail side of the tests: messages in an outbox, a real SMTP server (aiosmtpd) on
//! loopback, links in a message, and a small disk to fill.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mail_parser::MessageParser;

use super::process::Running;
use super::tools;

/// The `.eml` files in `dir`, in name order.
pub fn outbox_messages(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// The first `To` address of the message `raw`, as a MIME parser reads it.
pub fn to_address(raw: &[u8]) -> String {
    let message = MessageParser::default().parse(raw).unwrap();
    message
        .to()
        .unwrap()
        .first()
        .unwrap()
        .address()
        .unwrap()
        .to_owned()
}

/// The first URL in the text part of `raw` that contains `what`.
#[track_caller]
pub fn link_in(raw: &[u8], what: &str) -> String {
    let message = MessageParser::default().parse(raw).unwrap();
    let text = message.body_text(0).unwrap().into_owned();
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(what))
        .unwrap_or_else(|| panic!("no {what} link in:\n{text}"))
        .trim_end_matches(['>', '.', ')'])
        .to_owned()
}

/// A running aiosmtpd (`tests/support/smtp_server.py`); stopped when dropped.
pub struct SmtpServer {
    _running: Running,
    /// Its port on 127.0.0.1.
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

/// Starts the server with `extra` options; fails, never skips, when aiosmtpd is missing.
#[track_caller]
pub fn smtp_server(extra: &[&str]) -> SmtpServer {
    tools::python(&["aiosmtpd"]);
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg("--maildir")
        .arg(&maildir)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let running = Running::new(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no port from the server: {line:?}"));
    SmtpServer {
        _running: running,
        port,
        maildir,
        _dir: dir,
    }
}

impl SmtpServer {
    /// Where the server keeps what it received (and its logs).
    pub fn maildir_path(&self) -> &Path {
        &self.maildir
    }

    /// The raw messages received, in order.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        outbox_messages(&self.maildir)
    }

    /// The `To` address of every message received.
    pub fn recipients(&self) -> Vec<String> {
        self.messages()
            .iter()
            .map(|raw| to_address(raw).to_lowercase())
            .collect()
    }

    /// How often the server saw RCPT for `address`.
    pub fn attempts(&self, address: &str) -> usize {
        std::fs::read_to_string(self.maildir.join("attempts.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == address)
            .count()
    }
}

/// A tmpfs of `kb` kilobytes mounted at `at`, unmounted when dropped: a disk a test can fill.
pub struct SmallDisk(PathBuf);

impl SmallDisk {
    /// Mounts it; fails saying so when this is not root.
    #[track_caller]
    pub fn mount(at: &Path, kb: u32) -> SmallDisk {
        std::fs::create_dir_all(at).unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={kb}k"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            mounted,
            "this test mounts a small tmpfs to fill a disk: run scripts/test as root"
        );
        SmallDisk(at.to_path_buf())
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Verifies `messages` with dkimpy (`tests/support/dkim_verify.py`), an implementation we did
/// not write, given `key` arguments: whether every signature verified, and its output.
pub fn dkimpy(messages: &[PathBuf], key: &[&str]) -> (bool, String) {
    tools::python(&["dkim", "nacl"]);
    run_python("dkim_verify.py", key, messages)
}

/// Parses `messages` with Python's standard `email` package (`tests/support/mime_check.py`):
/// whether each has no defect, decodes, and has a text and an HTML part; and its output.
pub fn python_email(messages: &[PathBuf]) -> (bool, String) {
    tools::python(&["email"]);
    run_python("mime_check.py", &[], messages)
}

/// Runs `tests/support/<script>` with `args` then `messages`: whether it succeeded, and
/// everything it printed.
fn run_python(script: &str, args: &[&str], messages: &[PathBuf]) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(script);
    let output = Command::new("python3")
        .arg(script)
        .args(args)
        .args(messages)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}
