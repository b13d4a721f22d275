//! Processes a test starts: killed when the test ends, passed or failed.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running process, killed and reaped when dropped.
pub struct Running {
    child: Child,
    /// Where its standard error goes, when a file.
    log: Option<PathBuf>,
}

impl Running {
    /// Guards `child`.
    pub fn new(child: Child) -> Running {
        Running { child, log: None }
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The process itself, to wait for it or read its pipes.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// What it wrote to standard error so far, when that went to a log file.
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` and waits for the first line of its standard output (a server's
/// "listening on" line, a port): the guard and that line. Standard error goes to `log`, or
/// nowhere.
#[track_caller]
pub fn spawn_ready(mut command: Command, log: Option<PathBuf>) -> (Running, String) {
    command.stdout(Stdio::piped());
    match &log {
        Some(path) => command.stderr(std::fs::File::create(path).unwrap()),
        None => command.stderr(Stdio::null()),
    };
    let mut child = command.spawn().expect("the program starts");
    let stdout = child.stdout.take().unwrap();
    let running = Running { child, log };
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    (running, line)
}

/// `briefing serve --port 0` for the folder at `root`: the guard and the address it serves.
#[track_caller]
pub fn serve(root: &std::path::Path) -> (Running, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_briefing"));
    command.arg("-C").arg(root).args(["serve", "--port", "0"]);
    serve_with(command, None)
}

/// `briefing serve --port 0` run from inside the folder at `root`, with no `-C`, as the
/// Quick start runs it.
#[track_caller]
pub fn serve_inside(root: &std::path::Path) -> (Running, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_briefing"));
    command.current_dir(root).args(["serve", "--port", "0"]);
    serve_with(command, None)
}

/// `command` (a `serve --port 0`) started, its standard error kept in the file at `log`
/// if given ([`spawn_ready`]): the guard and the address it serves.
#[track_caller]
pub fn serve_with(command: Command, log: Option<PathBuf>) -> (Running, String) {
    let (running, line) = spawn_ready(command, log);
    let addr = line
        .strip_prefix("serving http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .to_owned();
    (running, addr)
}
