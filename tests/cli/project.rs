//! A newsletter folder in a temp dir, and a way to run `briefing` in it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A throwaway newsletter folder.
pub struct Project {
    dir: tempfile::TempDir,
}

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Project {
    /// An empty folder.
    pub fn empty() -> Project {
        Project {
            dir: tempfile::tempdir().expect("a temp dir can be created"),
        }
    }

    /// A copy of `tests/fixtures/<name>`.
    #[track_caller]
    pub fn fixture(name: &str) -> Project {
        let project = Project::empty();
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_dir(&from, project.root());
        project
    }

    /// A folder made by `briefing init`.
    #[track_caller]
    pub fn sample() -> Project {
        let project = Project::empty();
        let run = project.run(&["init", "."]);
        assert_eq!(run.code, 0, "{run:?}");
        project
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    /// Writes `content` to `rel`, creating folders.
    #[track_caller]
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Project {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().expect("files have a parent")).unwrap();
        fs::write(path, content).unwrap();
        self
    }

    /// Rewrites `config.yaml`: the settings named in `drop` (each a one-line value, as the
    /// sample writes them) taken out, and `extra` appended.
    #[track_caller]
    pub fn reconfigure(&self, drop: &[&str], extra: &str) -> &Project {
        let kept: String = self
            .read("config.yaml")
            .lines()
            .filter(|l| !drop.iter().any(|key| l.starts_with(&format!("{key}:"))))
            .map(|l| format!("{l}\n"))
            .collect();
        self.write("config.yaml", format!("{kept}{extra}"))
    }

    #[track_caller]
    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Runs `briefing -C <root> args…` with no colour and no inherited settings.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    /// The command `run` runs, before it starts.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_briefing"));
        command
            .arg("-C")
            .arg(self.root())
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("TERM")
            .env_remove("BRIEFING_UNSUBSCRIBE_SECRET");
        for (name, value) in env {
            command.env(name, value);
        }
        command
    }

    /// As `run`, with extra environment variables.
    #[track_caller]
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = self.command(args, env).output().expect("the binary runs");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Run {
    /// The `path:line:col: severity: message` lines of stderr.
    pub fn headlines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| {
                l.contains(": error: ") || l.contains(": warning: ") || l.contains(": note: ")
            })
            .collect()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`: its path relative to `dir` (with `/`) and its bytes, sorted.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    files
}
