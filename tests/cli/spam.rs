//! What a spam filter makes of our mail: SpamAssassin (`spamassassin -L -t`, local tests only)
//! on an issue sent to an internationalised address and on a confirmation, each scoring under
//! 1.0 of the 5.0 that junks a message.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::project::Project;
use crate::support::process::spawn_ready;
use crate::support::{SECRET, free_port};

/// SpamAssassin's score of `message`, and the rules that fired.
fn score(message: &[u8]) -> (f64, String) {
    let mut child = Command::new("spamassassin")
        .args(["-L", "-t"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("this test needs spamassassin: run scripts/test, which installs it");
    child.stdin.take().unwrap().write_all(message).unwrap();
    let output = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let status = text
        .lines()
        .find(|l| l.starts_with("X-Spam-Status:"))
        .unwrap_or_else(|| panic!("no X-Spam-Status in:\n{text}"));
    let score = status
        .split("score=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{status}"));
    let report = text[text.find("Content analysis details").unwrap_or(0)..].to_owned();
    (score, report)
}

#[test]
#[ignore = "needs spamassassin: run scripts/test"]
fn an_issue_and_a_confirmation_score_under_one_point() {
    // The control: GTUBE, the test string every SpamAssassin junks.
    let gtube = b"Subject: test\r\n\r\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n";
    assert!(score(gtube).0 >= 5.0, "SpamAssassin ran");

    let port = free_port();
    let project = Project::sample();
    project.reconfigure(
        &["unsubscribe_url", "audience"],
        &format!(
            "audience:\n  description: For readers.\n  url: http://127.0.0.1:{port}/\n  \
             bounce_address: bounces@example.org\n"
        ),
    );
    let keys = project.run(&["dkim", "keygen", "--selector", "s"]);
    let setting = &keys.stdout[keys.stdout.find("dkim:\n").unwrap()..];
    let setting = setting[..setting.find("\n\n").unwrap() + 1].to_owned();
    let config = project.read("config.yaml");
    project.write("config.yaml", config + &setting);
    assert_eq!(project.run(&["build"]).code, 0);

    let out = project.path("out").display().to_string();
    let sent = project.run_with(
        &[
            "send",
            "--latest",
            "--to",
            "josé.müller@bücher.de",
            "jose@bücher.de",
            "--outbox",
            &out,
        ],
        &[SECRET],
    );
    assert_eq!(sent.code, 0, "{sent:?}");
    for entry in std::fs::read_dir(project.path("out")).unwrap() {
        let raw = std::fs::read(entry.unwrap().path()).unwrap();
        let (points, report) = score(&raw);
        assert!(points < 1.0, "an issue scored {points}:\n{report}");
    }

    let (_service, line) = spawn_ready(
        project.command(
            &["listen", "--bind", &format!("127.0.0.1:{port}")],
            &[SECRET],
        ),
        None,
    );
    assert!(line.starts_with("listening on"), "{line}");
    let posted = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--data-urlencode",
        ])
        .arg("email=zoë@bücher.de")
        .arg(format!("http://127.0.0.1:{port}/subscribe"))
        .output()
        .expect("curl runs");
    assert_eq!(String::from_utf8_lossy(&posted.stdout), "200");
    let confirmations = project.path("outbox/confirmations");
    let started = std::time::Instant::now();
    let file = loop {
        if let Some(file) = std::fs::read_dir(&confirmations)
            .ok()
            .and_then(|mut d| d.find_map(|e| e.ok().map(|e| e.path())))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        {
            break file;
        }
        assert!(started.elapsed().as_secs() < 10, "no confirmation");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let (points, report) = score(&std::fs::read(file).unwrap());
    assert!(points < 1.0, "the confirmation scored {points}:\n{report}");
}
