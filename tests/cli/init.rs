//! `briefing init` and `briefing new`: a new user's first minutes.

use crate::project::Project;

#[test]
fn init_then_check_passes() {
    let project = Project::empty();
    let run = project.run(&["init", "news"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("created a newsletter in"),
        "{}",
        run.stdout
    );
    for file in [
        "config.yaml",
        ".gitignore",
        "briefs/2026-W25/lin-new-lab-funding.yaml",
    ] {
        assert!(project.path("news").join(file).is_file(), "{file}");
    }
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .current_dir(project.path("news"))
        .arg("check")
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn init_ships_the_repository_sample_byte_for_byte() {
    let project = Project::sample();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for rel in [
        "config.yaml",
        "briefs/2026-W10/qwen-tech-lead-steps-down.yaml",
    ] {
        assert_eq!(
            project.read(rel),
            std::fs::read_to_string(repo.join(rel)).unwrap(),
            "{rel}"
        );
    }
}

#[test]
fn init_refuses_a_non_empty_folder_without_force() {
    let project = Project::empty();
    project.write("notes.txt", "mine");
    let run = project.run(&["init"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("is not empty; pass `--force`"),
        "{}",
        run.stderr
    );
    assert!(!project.path("config.yaml").exists());
    let forced = project.run(&["init", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);

    assert_eq!(
        project.read("notes.txt"),
        "mine",
        "unrelated files survive --force"
    );
}

#[test]
fn new_then_check_points_at_exactly_the_fields_to_fill_in() {
    let project = Project::sample();
    let run = project.run(&["new", "Some title", "--date", "2026-11-23"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("wrote briefs/2026-W48/some-title.yaml\n"),
        "{}",
        run.stdout
    );
    let check = project.run(&["check"]);
    assert_eq!(check.code, 1);
    assert_eq!(
        check.headlines(),
        [
            "briefs/2026-W48/some-title.yaml:10:1: error: `summary` is empty",
            "briefs/2026-W48/some-title.yaml:14:5: error: `tldr` item 1 is empty",
            "briefs/2026-W48/some-title.yaml:17:1: error: `why_it_matters` is empty",
            "briefs/2026-W48/some-title.yaml:27:1: error: `what_to_watch` is empty",
        ]
    );
    let card = project.read("briefs/2026-W48/some-title.yaml");
    let lines: Vec<&str> = card.lines().collect();
    assert_eq!(lines[9], "summary: \"\"");
    assert_eq!(lines[26], "what_to_watch: \"\"");
}

#[test]
fn a_filled_in_skeleton_passes() {
    let project = Project::sample();
    project.run(&[
        "new",
        "Filled in",
        "--date",
        "2026-11-23",
        "--section",
        "Models",
    ]);
    let card = project
        .read("briefs/2026-W48/filled-in.yaml")
        .replacen("summary: \"\"", "summary: Done.", 1)
        .replacen("  - \"\"", "  - One", 1)
        .replacen("why_it_matters: \"\"", "why_it_matters: Because.", 1)
        .replacen("what_to_watch: \"\"", "what_to_watch: Next.", 1)
        .replacen("  # - title", "  - title", 1)
        .replacen("  #   url", "    url", 1);
    project.write("briefs/2026-W48/filled-in.yaml", card);
    let check = project.run(&["check", "--strict"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
}

#[test]
fn new_refuses_to_overwrite_or_reuse_a_slug() {
    let project = Project::sample();
    assert_eq!(
        project.run(&["new", "Twice", "--date", "2026-11-23"]).code,
        0
    );
    let again = project.run(&["new", "Twice", "--date", "2026-11-23"]);
    assert_eq!(again.code, 1);
    assert!(
        again
            .stderr
            .contains("briefs/2026-W48/twice.yaml` already exists"),
        "{}",
        again.stderr
    );
    let other_week = project.run(&["new", "Alibaba releases Qwen 3.5 small open-weight models"]);
    assert_eq!(other_week.code, 1);
    assert!(
        other_week
            .stderr
            .contains("briefs/2026-W10/qwen-3-5-small-models.yaml"),
        "{}",
        other_week.stderr
    );
}

#[test]
fn new_rejects_bad_dates_and_titles() {
    let project = Project::sample();
    let run = project.run(&["new", "X", "--date", "2026-02-30"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`--date 2026-02-30` is not a date"),
        "{}",
        run.stderr
    );
    let run = project.run(&["new", "🚀"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("pass `--slug"), "{}", run.stderr);
}

#[test]
fn help_shows_examples() {
    let run = Project::empty().run(&["--help"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Examples:") && run.stdout.contains("briefing init news"));
}

#[test]
fn init_in_the_current_folder_does_not_say_cd() {
    let project = Project::empty();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_briefing"))
        .current_dir(project.root())
        .arg("init")
        .output()
        .unwrap();
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert!(run.status.success());
    assert!(
        stdout.starts_with("created a newsletter in . (")
            && stdout.contains("next:\n  briefing check\n"),
        "{stdout}"
    );
}
