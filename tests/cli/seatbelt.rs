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

/// The sample with a store of `n` readers, and 2026-W25 scheduled for `send_at` in
/// Europe/Berlin.
fn scheduled(n: usize, send_at: &str) -> Project {
    let (project, list) = with_list(n);
    let import = project.run_with(&["subscribers", "import", &list], &[SECRET]);
    assert_eq!(import.code, 0, "{import:?}");
    project.reconfigure(&[], "timezone: Europe/Berlin\n");
    project.write(
        "briefs/2026-W25/issue.yaml",
        format!("send_at: {send_at}\n"),
    );
    project
}

fn due(project: &Project, as_of: &str) -> crate::project::Run {
    project.run_with(&["send", "--due", "--yes", "--as-of", as_of], &[SECRET])
}

#[test]
fn send_due_sends_the_issue_once_when_its_time_comes_in_the_newsletters_zone() {
    let project = scheduled(3, "2026-06-22T07:00");
    let check = project.run(&["check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    let sent = || outbox(&project.path("outbox/2026-w25")).len();

    // 06:59 in Berlin (04:59 UTC in summer): not yet, and it says when.
    let early = due(&project, "2026-06-22T06:59");
    assert_eq!(early.code, 0, "{early:?}");
    assert_eq!(
        early.stdout,
        "nothing is due: 2026-W25 goes at 2026-06-22 07:00 CEST\n"
    );
    let early_utc = due(&project, "2026-06-22T04:59:59Z");
    assert!(
        early_utc.stdout.starts_with("nothing is due"),
        "{early_utc:?}"
    );
    assert_eq!(sent(), 0);

    // At the minute, given in UTC: sent to every active reader.
    let at = due(&project, "2026-06-22T05:00:00Z");
    assert_eq!(at.code, 0, "{at:?}");
    assert!(
        at.stdout.starts_with("sent 3 messages of 2026-W25"),
        "{}",
        at.stdout
    );
    assert_eq!(sent(), 3);

    // Later runs, and a reader who joins after the send: nothing more goes out.
    project.run_with(&["subscribers", "add", "late@example.com"], &[SECRET]);
    for as_of in ["2026-06-22T07:00", "2026-06-22T07:01", "2026-06-22T18:00"] {
        let again = due(&project, as_of);
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(again.stdout, "nothing is due: 2026-W25 was sent\n");
    }
    assert_eq!(sent(), 3);
}

#[test]
fn send_due_leaves_an_issue_whose_time_is_long_past_to_its_curator() {
    let project = scheduled(2, "2026-06-22T07:00");
    let late = due(&project, "2026-06-24T07:00");
    assert_eq!(late.code, 1, "{late:?}");
    assert!(
        late.stderr.contains(
            "2026-W25 was due at 2026-06-22 07:00 CEST, more than 24 hours ago \
             (`send.due_within_hours`), and was not sent"
        ),
        "{}",
        late.stderr
    );
    assert!(outbox(&project.path("outbox/2026-w25")).is_empty());
    // A manual send of the issue counts as its send: the timer does not send it again.
    assert_eq!(
        project
            .run_with(&["send", "--week", "2026-W25", "--yes"], &[SECRET])
            .code,
        0
    );
    let after = due(&project, "2026-06-24T07:00");
    assert_eq!(
        after.stdout, "nothing is due: 2026-W25 was sent\n",
        "{after:?}"
    );
    assert_eq!(outbox(&project.path("outbox/2026-w25")).len(), 2);
}

#[test]
fn two_timers_at_once_send_each_reader_one_message() {
    // At the default 10 messages a second the first run takes 3 s: the others start meanwhile.
    let project = scheduled(30, "2026-06-22T07:00");
    let children: Vec<_> = (0..4)
        .map(|_| {
            project
                .command(
                    &["send", "--due", "--yes", "--as-of", "2026-06-22T07:30"],
                    &[SECRET],
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut said = Vec::new();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        said.push(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    said.sort();
    // One sent; the others found it being sent (or, had they started late, sent).
    assert!(
        said[0].starts_with("2026-W25 is being sent by another run"),
        "{said:?}"
    );
    assert_eq!(
        said.iter()
            .filter(|s| s.starts_with("sent 30 messages"))
            .count(),
        1,
        "{said:?}"
    );
    let mut readers: Vec<String> = outbox(&project.path("outbox/2026-w25"))
        .into_iter()
        .map(|(to, _)| to)
        .collect();
    readers.sort();
    let expected: Vec<String> = {
        let mut all: Vec<String> = (0..30).map(|i| format!("reader{i}@example.com")).collect();
        all.sort();
        all
    };
    assert_eq!(readers, expected);
}

#[test]
fn send_at_problems_are_located_in_issue_yaml() {
    let project = Project::sample();
    project.reconfigure(&[], "timezone: europe/berlin\n");
    let zone = project.run(&["check"]);
    assert_eq!(zone.code, 1);
    assert!(
        zone.stderr
            .contains("error: `timezone` `europe/berlin` is not an IANA time zone"),
        "{}",
        zone.stderr
    );
    assert!(
        zone.stderr.contains("did you mean `Europe/Berlin`?"),
        "{}",
        zone.stderr
    );

    project.reconfigure(&["timezone"], "timezone: Europe/Berlin\n");
    let cases = [
        (
            "send_at: next monday\n",
            "briefs/2026-W25/issue.yaml:1:10: error: `send_at` `next monday` is not a date and time",
        ),
        // The clocks skip 02:30 on 2026-03-29 in Berlin.
        (
            "send_at: 2026-03-29T02:30\n",
            "briefs/2026-W25/issue.yaml:1:10: error: `send_at` 2026-03-29 02:30 does not exist in Europe/Berlin: the clocks skip it",
        ),
        (
            "send_at: 2025-06-22T07:00\n",
            "briefs/2026-W25/issue.yaml:1:10: warning: `send_at` 2025-06-22 is far from the issue's week, 2026-W25 (2026-06-15 to 2026-06-21)",
        ),
    ];
    for (yaml, expected) in cases {
        project.write("briefs/2026-W25/issue.yaml", yaml);
        let run = project.run(&["check"]);
        assert!(
            run.headlines().contains(&expected),
            "{yaml}: {}",
            run.stderr
        );
    }
    let bad = project.run_with(&["send", "--due", "--as-of", "soon", "--yes"], &[SECRET]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("`soon` is not a date and time"),
        "{}",
        bad.stderr
    );
}
