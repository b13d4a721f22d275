//! `config.yaml` read: every setting, its default and its located errors.

use super::*;

fn parse_ok(text: &str) -> Config {
    parse(Path::new("config.yaml"), text).unwrap()
}

fn errors(text: &str) -> Vec<String> {
    parse(Path::new("config.yaml"), text)
        .unwrap_err()
        .iter()
        .map(Diagnostic::headline)
        .collect()
}

const MINIMAL: &str =
    "title: vff Briefing\nbase_url: https://example.org/brief\nfrom: Briefing <b@example.org>\n";

#[test]
fn fills_defaults_for_everything_but_identity() {
    let config = parse_ok(MINIMAL);
    assert_eq!(config.base_url, "https://example.org/brief/");
    assert_eq!(config.language, "en");
    assert_eq!(config.author, "vff Briefing");
    assert_eq!(config.output_dir, PathBuf::from("public"));
    assert_eq!(config.first_issue_number, 1);
    assert_eq!(config.smtp, None);
    assert_eq!(config.send.concurrency, 4);
}

#[test]
fn requires_identity_fields() {
    assert_eq!(
        errors("tagline: x\n"),
        [
            "config.yaml:1:1: error: missing required key `title`",
            "config.yaml:1:1: error: missing required key `base_url`",
            "config.yaml:1:1: error: missing required key `from`",
        ]
    );
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    let text = format!("{MINIMAL}titel: x\n");
    let err = parse(Path::new("config.yaml"), &text).unwrap_err();
    assert_eq!(
        err[0].headline(),
        "config.yaml:4:1: error: unknown key `titel`"
    );
    assert_eq!(err[0].help.as_deref(), Some("did you mean `title`?"));
}

#[test]
fn refuses_a_password_in_the_file() {
    let text = format!("{MINIMAL}smtp:\n  host: mail.example.org\n  password: hunter2\n");
    let err = parse(Path::new("config.yaml"), &text).unwrap_err();
    assert_eq!(
        err[0].headline(),
        "config.yaml:6:3: error: passwords do not belong in `config.yaml`"
    );
    let shown = crate::diagnostic::render(&err[0], crate::diagnostic::Style::new(false));
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn reads_smtp_with_port_defaults() {
    let text = format!(
        "{MINIMAL}smtp:\n  host: mail.example.org\n  security: tls\n  password_env: SMTP_PASS\n"
    );
    let smtp = parse_ok(&text).smtp.unwrap();
    assert_eq!(smtp.port, 465);
    assert_eq!(smtp.security, Security::Tls);
    assert_eq!(smtp.password_env.as_deref(), Some("SMTP_PASS"));
}

#[test]
fn plain_smtp_only_to_loopback() {
    let ok = format!("{MINIMAL}smtp:\n  host: 127.0.0.1\n  port: 2525\n  security: none\n");
    assert_eq!(parse_ok(&ok).smtp.unwrap().port, 2525);
    let bad = format!("{MINIMAL}smtp:\n  host: mail.example.org\n  security: none\n");
    assert!(errors(&bad)[0].contains("clear text"));
}

#[test]
fn tag_pages_hold_fifty_stories_unless_told_otherwise() {
    let base = "title: T\nbase_url: https://example.org/\nfrom: a@example.org\n";
    assert_eq!(parse_ok(base).tag_page_size, 50);
    assert_eq!(
        parse_ok(&format!("{base}tag_page_size: 7\n")).tag_page_size,
        7
    );
    assert_eq!(
        errors(&format!("{base}tag_page_size: 0\n")),
        ["config.yaml:4:16: error: `tag_page_size` must be from 1 to 100000, found 0"]
    );
}

#[test]
fn rejects_bad_values_with_their_positions() {
    let text = "title: T\nbase_url: javascript:alert(1)\nfrom: not an address\n\
                    output_dir: .\nsmtp:\n  host: h\n  security: ssl\nsend:\n  concurrency: 0\n";
    assert_eq!(
        errors(text),
        [
            "config.yaml:2:11: error: `base_url`: only http and https links are allowed, found a `javascript:` URL",
            "config.yaml:3:7: error: `from` `not an address` is not an email address",
            "config.yaml:4:13: error: `output_dir` `.` would be replaced on every build",
            "config.yaml:7:13: error: smtp: `security` must be one of `starttls`, `tls` or `none`, found `ssl`",
            "config.yaml:9:16: error: send: `concurrency` must be from 1 to 64, found 0",
        ]
    );
}
