//! The files a newsletter is made of, attacked: symlinks out of the folder, FIFOs, devices,
//! and templates that never end. Each is a located error, promptly, and
//! nothing from outside the folder appears anywhere.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::project::{Project, tree};

const SECRET: &str = "FAKE-SMTP-PASSWORD-0c7e1d";

/// A file outside the newsletter folder holding a secret, in its own temporary folder.
fn outside_secret() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("environ"),
        format!("title: {SECRET}\ndate: 2026-06-17\nsummary: {SECRET}\n"),
    )
    .unwrap();
    dir
}

/// Replaces whatever is at `link` with a symlink to `target`.
fn symlink(target: &Path, link: &Path) {
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Replaces whatever is at `path` with a FIFO.
fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success(), "mkfifo");
}

/// Runs briefing with `args` in `project`, failing if it takes longer than `limit`.
#[track_caller]
fn run_within(project: &Project, args: &[&str], limit: Duration) -> (i32, String, String) {
    let mut child = project
        .command(args, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("`briefing {}` did not end within {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every output file's text, joined: where a leaked secret would be.
fn everything_written(project: &Project) -> String {
    ["public", ".briefing"]
        .iter()
        .filter(|dir| project.path(dir).exists())
        .flat_map(|dir| tree(&project.path(dir)).into_values())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

#[test]
fn a_card_linked_to_a_file_outside_is_refused_unread() {
    let project = Project::sample();
    let outside = outside_secret();
    symlink(
        &outside.path().join("environ"),
        &project.path("briefs/2026-W25/leak.yaml"),
    );
    for command in ["check", "build"] {
        let (code, stdout, stderr) = run_within(&project, &[command], Duration::from_secs(20));
        assert_eq!(code, 1, "{command}: {stderr}");
        assert!(
            stderr.contains(
                "briefs/2026-W25/leak.yaml:1:1: error: file is a symlink that leads out of the newsletter folder; it was not read"
            ),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("help: copy the file into the folder instead of linking to it"),
            "{stderr}"
        );
        assert!(
            !stdout.contains(SECRET) && !stderr.contains(SECRET),
            "{command} leaked it"
        );
    }
    assert!(!everything_written(&project).contains(SECRET));
}

#[test]
fn a_card_linked_inside_the_folder_is_read() {
    let project = Project::sample();
    std::fs::create_dir_all(project.path("drafts")).unwrap();
    std::fs::rename(
        project.path("briefs/2026-W25/lin-new-lab-funding.yaml"),
        project.path("drafts/lin.yaml"),
    )
    .unwrap();
    symlink(
        &project.path("drafts/lin.yaml"),
        &project.path("briefs/2026-W25/lin-new-lab-funding.yaml"),
    );
    let (code, _, stderr) = run_within(&project, &["check"], Duration::from_secs(20));
    assert_eq!(code, 0, "{stderr}");
    // Read, not skipped: every card counted, and the linked one published.
    assert!(
        stderr.starts_with("check ok: 11 cards (10 published in 5 issues, 1 draft)"),
        "{stderr}"
    );
    let (code, _, stderr) = run_within(&project, &["build"], Duration::from_secs(20));
    assert_eq!(code, 0, "{stderr}");
    let page = project.read("public/issues/2026-w25/index.html");
    assert!(page.contains("new AI lab raises at a $2 billion valuation"));
}

#[test]
fn a_template_linked_to_a_file_outside_is_refused_and_published_nowhere() {
    let project = Project::sample();
    let outside = outside_secret();
    std::fs::create_dir_all(project.path("templates/partials")).unwrap();
    symlink(
        &outside.path().join("environ"),
        &project.path("templates/partials/footer.html"),
    );
    let (code, stdout, stderr) = run_within(&project, &["build"], Duration::from_secs(20));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("templates/partials/footer.html`: file is a symlink that leads out of the newsletter folder"),
        "{stderr}"
    );
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    assert!(!everything_written(&project).contains(SECRET));
}

#[test]
fn a_config_linked_outside_is_refused() {
    let project = Project::sample();
    let outside = outside_secret();
    std::fs::remove_file(project.path("config.yaml")).unwrap();
    symlink(
        &outside.path().join("environ"),
        &project.path("config.yaml"),
    );
    let (code, stdout, stderr) = run_within(&project, &["check"], Duration::from_secs(20));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("config.yaml:1:1: error: file is a symlink that leads out"),
        "{stderr}"
    );
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
}

#[test]
fn fifos_and_devices_are_refused_without_waiting_on_them() {
    let project = Project::sample();
    mkfifo(&project.path("briefs/2026-W25/pipe.yaml"));
    let (code, _, stderr) = run_within(&project, &["check"], Duration::from_secs(20));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("briefs/2026-W25/pipe.yaml:1:1: error: file is a FIFO (named pipe), not a regular file; it was not read"),
        "{stderr}"
    );
    std::fs::remove_file(project.path("briefs/2026-W25/pipe.yaml")).unwrap();

    // A FIFO template would block the build; a link to /dev/zero would be read without end.
    std::fs::create_dir_all(project.path("templates")).unwrap();
    mkfifo(&project.path("templates/issue.html"));
    let (code, _, stderr) = run_within(&project, &["build"], Duration::from_secs(20));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("templates/issue.html`: file is a FIFO (named pipe)"),
        "{stderr}"
    );
    std::fs::remove_file(project.path("templates/issue.html")).unwrap();
    symlink(
        Path::new("/dev/zero"),
        &project.path("templates/issue.html"),
    );
    let (code, _, stderr) = run_within(&project, &["build"], Duration::from_secs(20));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("templates/issue.html`: file is a symlink that leads out"),
        "{stderr}"
    );
}

#[test]
fn a_template_that_loops_too_long_fails_naming_its_line() {
    let project = Project::sample();
    project.write(
        "templates/robots.txt",
        "User-agent: *\n{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}\n",
    );
    let (code, _, stderr) = run_within(&project, &["build"], Duration::from_secs(60));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("template `robots.txt`, line 2: the template ran too long"),
        "{stderr}"
    );
}
