//! Sending with a seatbelt: a send to a list asks first (and refuses with nobody to ask),
//! proofs go as often as wanted and leave no trace.

use std::path::Path;
use std::process::Command;

use mail_parser::MessageParser;

use crate::project::Project;
use crate::support::{SECRET, tools};

/// The sample newsletter with a list of `n` readers; the list's path.
fn with_list(n: usize) -> (Project, String) {
    let project = Project::sample();
    let mut csv = String::from("email,name\n");
    for i in 0..n {
        csv.push_str(&format!("reader{i}@example.com,Reader {i}\n"));
    }
    project.write("subscribers.csv", csv);
    let list = project.path("subscribers.csv").display().to_string();
    (project, list)
}

/// The messages in `dir` (none when it does not exist), parsed: recipient and subject.
fn outbox(dir: &Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = entries
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .filter_map(|raw| {
            let message = MessageParser::default().parse(&raw)?;
            let to = message.to()?.first()?.address()?.to_owned();
            Some((to, message.subject()?.to_owned()))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_send_to_a_list_without_a_terminal_needs_yes() {
    let (project, list) = with_list(3);
    let run = project.run_with(&["send", "--latest", "--list", &list], &[SECRET]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "this would send 3 messages, and there is no terminal to ask on: run it in one to \
             be asked, or pass `--yes`"
        ),
        "{}",
        run.stderr
    );
    assert!(outbox(&project.path("outbox/2026-w25")).is_empty());
    let journaled = std::fs::read_dir(project.path(".briefing/sends"))
        .map(|entries| {
            entries
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect::<String>()
        })
        .unwrap_or_default();
    assert!(
        !journaled.contains("attempt\t") && !journaled.contains("delivered\t"),
        "nothing is journaled: {journaled}"
    );

    // A dry run sends nothing, so it does not ask; `--yes` sends.
    let dry = project.run_with(
        &["send", "--latest", "--list", &list, "--dry-run"],
        &[SECRET],
    );
    assert_eq!(dry.code, 0, "{dry:?}");
    let yes = project.run_with(&["send", "--latest", "--list", &list, "-y"], &[SECRET]);
    assert_eq!(yes.code, 0, "{yes:?}");
    assert_eq!(outbox(&project.path("outbox/2026-w25")).len(), 3);

    // Addresses typed on the command line are the sender's own choice: no question.
    let me_dir = project.path("me").display().to_string();
    let me = project.run_with(
        &[
            "send",
            "--latest",
            "--to",
            "me@example.org",
            "--outbox",
            &me_dir,
        ],
        &[SECRET],
    );
    assert_eq!(me.code, 0, "{me:?}");
    assert_eq!(outbox(&project.path("me")).len(), 1);
}

#[test]
fn proofs_go_as_often_as_asked_and_the_real_send_still_mails_their_readers() {
    let (project, list) = with_list(2);
    let subject = "Ex-Qwen lead’s new lab raises at a $2B valuation";
    for _ in 0..2 {
        let proof = project.run_with(
            &["send", "--latest", "--proof", "--to", "reader0@example.com"],
            &[SECRET],
        );
        assert_eq!(proof.code, 0, "{proof:?}");
        assert!(proof.stdout.contains("sent 1 message"), "{}", proof.stdout);
    }
    let proofs = outbox(&project.path("outbox/2026-w25"));
    assert_eq!(
        proofs,
        vec![
            (
                "reader0@example.com".to_owned(),
                format!("[Proof] {subject}")
            );
            2
        ]
    );
    // No proof is a delivery: the real send mails both readers, under the real subject.
    std::fs::remove_dir_all(project.path("outbox/2026-w25")).unwrap();
    let real = project.run_with(&["send", "--latest", "--list", &list, "--yes"], &[SECRET]);
    assert_eq!(real.code, 0, "{real:?}");
    assert_eq!(
        outbox(&project.path("outbox/2026-w25")),
        vec![
            ("reader0@example.com".to_owned(), subject.to_owned()),
            ("reader1@example.com".to_owned(), subject.to_owned()),
        ]
    );
    // `--proof` is for addresses given with `--to`.
    let wrong = project.run_with(&["send", "--latest", "--list", &list, "--proof"], &[SECRET]);
    assert_eq!(wrong.code, 2, "{wrong:?}");
    assert!(wrong.stderr.contains("--proof"), "{}", wrong.stderr);
}

/// Runs `briefing args…` on a pseudo-terminal, answering `answer` when it asks; the exit
/// code and everything it printed.
fn on_a_terminal(project: &Project, args: &[&str], answer: &str) -> (i32, String) {
    // Python's pty module gives the child a real terminal for stdin and stderr.
    let driver = r#"
import os, pty, sys
answer = sys.argv[1]
argv = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen = b""
answered = False
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if not answered and b"[y/N]" in seen:
        os.write(fd, answer.encode() + b"\n")
        answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut command = Command::new("python3");
    command
        .arg("-c")
        .arg(driver)
        .arg(answer)
        .arg(env!("CARGO_BIN_EXE_briefing"))
        .arg("-C")
        .arg(project.root())
        .args(args)
        .env(SECRET.0, SECRET.1)
        .env_remove("NO_COLOR");
    let output = command.output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
#[ignore = "needs python3 (its pty module gives briefing a terminal): run scripts/test"]
fn on_a_terminal_a_send_shows_what_it_will_do_and_only_yes_sends() {
    tools::python(&["pty"]);
    let (project, list) = with_list(3);
    let args = ["send", "--latest", "--list", &list];
    let (code, printed) = on_a_terminal(&project, &args, "n");
    assert_eq!(code, 1, "{printed}");
    assert!(
        printed.contains(
            "About to send 2026-W25 “Ex-Qwen lead’s new lab raises at a $2B valuation” to 3 \
             readers through outbox "
        ),
        "{printed}"
    );
    assert!(
        printed.contains("nothing was sent: the answer was not yes"),
        "{printed}"
    );
    assert!(outbox(&project.path("outbox/2026-w25")).is_empty());

    let (code, printed) = on_a_terminal(&project, &args, "y");
    assert_eq!(code, 0, "{printed}");
    assert!(printed.contains("sent 3 messages"), "{printed}");
    assert_eq!(outbox(&project.path("outbox/2026-w25")).len(), 3);

    // A second run says who is already done before it asks.
    let mut csv = project.read("subscribers.csv");
    csv.push_str("late@example.com,Late\n");
    project.write("subscribers.csv", csv);
    let (code, printed) = on_a_terminal(&project, &args, "yes");
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.contains("An earlier run already delivered it to 3: they are skipped."),
        "{printed}"
    );
    assert!(printed.contains("sent 1 message"), "{printed}");
    assert_eq!(outbox(&project.path("outbox/2026-w25")).len(), 4);
}

#[test]
fn send_names_the_pages_a_build_would_change_before_it_asks() {
    let (project, list) = with_list(1);
    let send = ["send", "--latest", "--list", &list, "--dry-run"];
    // Never built: each of the issue's files is named, with the way out.
    let unbuilt = project.run_with(&send, &[SECRET]);
    assert_eq!(unbuilt.code, 0, "{unbuilt:?}");
    for file in ["digest.md", "index.html", "email.html", "email.txt"] {
        assert!(
            unbuilt
                .stderr
                .contains(&format!("/public/issues/2026-w25/{file} is not built\n")),
            "{}",
            unbuilt.stderr
        );
    }
    assert!(
        unbuilt.stderr.contains("run `briefing build`"),
        "{}",
        unbuilt.stderr
    );

    // Built: the dry run says what it checked, and nothing is named.
    assert_eq!(project.run(&["build"]).code, 0);
    let built = project.run_with(&send, &[SECRET]);
    assert!(
        built
            .stderr
            .contains("/public are what `briefing build` writes now"),
        "{}",
        built.stderr
    );
    assert!(!built.stderr.contains("warning:"), "{}", built.stderr);

    // A card edited without a rebuild: its issue's pages are stale, named before the
    // question (here, the refusal for want of a terminal), and nothing else is.
    let path = "briefs/2026-W25/lin-new-lab-funding.yaml";
    let card = project.read(path);
    project.write(path, card.replace("title: Former", "title: Edited, former"));
    let stale = project.run_with(&["send", "--latest", "--list", &list], &[SECRET]);
    assert_eq!(stale.code, 1, "{stale:?}");
    let warning = stale
        .stderr
        .find("/public/issues/2026-w25/index.html is older than the cards")
        .unwrap_or_else(|| panic!("{}", stale.stderr));
    let refusal = stale.stderr.find("no terminal to ask on").unwrap();
    assert!(warning < refusal, "{}", stale.stderr);
    let named = stale.stderr.matches("warning:").count();
    assert_eq!(named, 4, "the issue's four files: {}", stale.stderr);
    assert_eq!(project.run(&["build"]).code, 0);
    let rebuilt = project.run_with(&send, &[SECRET]);
    assert!(!rebuilt.stderr.contains("warning:"), "{}", rebuilt.stderr);
}
