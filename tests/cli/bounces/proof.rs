//! What proves a report is a reader's, and the forgeries that must change nobody. The bounce
//! address is public (it is every message's envelope sender), so a report changes a
//! subscriber only when it arrived at that subscriber's VERP address, or quotes the original
//! message we sent them: its keyed Message-ID, or its unsubscribe link. Each forgery is
//! ingested as a dry run, for real, and again as a second delivery: it changes nobody every
//! time, and is counted as unverified with its reason.

use super::*;

/// A delivery report anyone could write: it names `victim`, and nothing in it is ours.
fn hand_written_dsn(victim: &str, to: &str) -> Vec<u8> {
    format!(
        "From: MAILER-DAEMON@relay.example.net\nTo: {to}\nSubject: Undelivered Mail Returned to \
         Sender\nDate: Mon, 22 Jun 2026 09:14:07 +0000\nMessage-ID: <forged.1@relay.example.net>\n\
         MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; \
         boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nYour message could not be \
         delivered (this is relay.example.net, for {to}).\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; \
         relay.example.net\n\nFinal-Recipient: rfc822; {victim}\nAction: failed\nStatus: \
         5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--b--\n"
    )
    .into_bytes()
}

/// A feedback report naming `victim` in `Original-Rcpt-To`, with `original` (headers) or no
/// original at all.
fn hand_written_arf(victim: &str, original: Option<&str>) -> Vec<u8> {
    let original = original.map_or(String::new(), |headers| {
        format!("--b\nContent-Type: text/rfc822-headers\n\n{headers}\n\n")
    });
    format!(
        "From: feedback@arf.example.net\nTo: fbl@news.example.org\nSubject: FBL abuse report\n\
         Date: Fri, 26 Jun 2026 04:12:00 +0000\nMessage-ID: <arf.1@arf.example.net>\n\
         MIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; \
         boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nThis is an abuse report.\n\n--b\n\
         Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: Forger/1.0\n\
         Version: 1\nOriginal-Rcpt-To: <{victim}>\n\n{original}--b--\n"
    )
    .into_bytes()
}

/// Ingests `raw` as `file` (a dry run first, then for real, then another copy of it) and
/// checks that it changed nobody each time and was counted as unverified because `why`.
#[track_caller]
fn assert_changes_nobody(project: &Project, file: &str, raw: &[u8], why: &str) {
    let before = statuses(project);
    let events = count(project, "SELECT count(*) FROM events");
    let bounces = count(project, "SELECT count(*) FROM bounces");
    project.write(file, raw);
    let unverified = format!("{file}: unverified, changes nobody: {why}");

    let dry = ingest(project, &[&path(project, file), "--dry-run"]);
    assert_eq!(
        summary(&dry),
        format!("dry run: {}", counts([1, 0, 0, 0, 1, 0, 0, 0])),
        "{dry:?}"
    );
    assert!(
        dry.stderr.contains(&unverified),
        "{unverified}\n{}",
        dry.stderr
    );

    let real = ingest(project, &[&path(project, file)]);
    assert_eq!(summary(&real), counts([1, 0, 0, 0, 1, 0, 0, 0]), "{real:?}");
    assert!(
        real.stderr.contains(&unverified),
        "{unverified}\n{}",
        real.stderr
    );
    assert!(!real.stdout.contains(" is now "), "{}", real.stdout);

    let copy = format!("copy-{file}");
    project.write(&copy, raw);
    let again = ingest(project, &[&path(project, &copy)]);
    assert_eq!(
        summary(&again),
        counts([1, 0, 0, 0, 0, 0, 1, 0]),
        "{again:?}"
    );

    assert_eq!(statuses(project), before, "{file}");
    assert_eq!(count(project, "SELECT count(*) FROM events"), events);
    assert_eq!(count(project, "SELECT count(*) FROM bounces"), bounces);
}

const NO_PROOF: &str =
    "no valid VERP address and no original message of ours: anyone could have written it";

#[test]
fn forgery_a_hand_written_delivery_report_at_the_plain_address_changes_nobody() {
    let project = list_project("");
    assert_changes_nobody(
        &project,
        "forged.eml",
        &hand_written_dsn("bob@example.org", "bounces@news.example.org"),
        NO_PROOF,
    );
    // With a VERP address made up (a real one, with another week), or damaged.
    let real = verp("bob@example.org", WEEK);
    for (file, token) in [
        ("made-up.eml", real.replace(WEEK, "2026w26")),
        ("damaged.eml", format!("{}0", &real[..real.len() - 1])),
    ] {
        assert_changes_nobody(
            &project,
            file,
            &hand_written_dsn(
                "bob@example.org",
                &format!("bounces+{token}@news.example.org"),
            ),
            &format!("its VERP address `+{token}` has a bad signature"),
        );
    }
    // The real fixtures, at the plain address they were written to, quote Message-IDs that
    // are not ours: unverified, every one.
    for (file, _, _, _) in REPORTS.iter().filter(|r| r.0 != "postfix-delayed.eml") {
        let project = list_project("");
        assert_changes_nobody(&project, file, &fixture_bytes(file), NO_PROOF);
    }
}

#[test]
fn forgery_a_report_at_the_attackers_own_verp_address_naming_another_changes_nobody() {
    let project = list_project("");
    // kate subscribed, received an issue, and so knows her own VERP address.
    let kate = format!(
        "bounces+{}@news.example.org",
        verp("kate@example.org", WEEK)
    );
    assert_changes_nobody(
        &project,
        "kate-names-bob.eml",
        &hand_written_dsn("bob@example.org", &kate),
        "its proof (its VERP address) is kate@example.org's, but it names bob@example.org, \
         another subscriber: one of the two was written by someone else",
    );
    // The same with a real relay's report, delivered to her address.
    assert_changes_nobody(
        &project,
        "relay-names-bob.eml",
        &at_verp("kate@example.org", &fixture_bytes("postfix-hard.eml")),
        "its proof (its VERP address) is kate@example.org's, but it names bob@example.org",
    );
}

#[test]
fn forgery_a_feedback_report_without_the_original_changes_nobody() {
    let project = list_project("");
    assert_changes_nobody(
        &project,
        "arf.eml",
        &hand_written_arf("grace@example.org", None),
        NO_PROOF,
    );
    // An original made up: a Message-ID of the shape ours had, an unsubscribe link with a
    // token of the right length, a return path that is no VERP address.
    let made_up = format!(
        "From: vff Briefing <briefing@example.org>\nTo: grace@example.org\nReturn-Path: \
         <bounces@news.example.org>\nMessage-ID: <2026-w25.0123456789abcdef@example.org>\n\
         List-Unsubscribe: <https://news.example.org/unsubscribe?email=grace%40example.org&token={}>",
        "ab".repeat(32)
    );
    assert_changes_nobody(
        &project,
        "arf-made-up.eml",
        &hand_written_arf("grace@example.org", Some(&made_up)),
        NO_PROOF,
    );
}

#[test]
fn reports_that_quote_our_original_count_at_the_plain_address() {
    let project = list_project("");
    let sent = send_to_outbox(&project);
    let id = |email: &str| sent[email].message_id.clone();
    let cases: [(&str, Vec<u8>, &str, &str, &str); 7] = [
        // Postfix attaches the original's headers (text/rfc822-headers).
        (
            "postfix.eml",
            swap(
                &fixture_bytes("postfix-hard.eml"),
                "<2026-w25.1a2b3c4d5e6f7a8b@example.org>",
                &id("bob@example.org"),
            ),
            "bob@example.org",
            "bounced",
            "the original's Message-ID",
        ),
        // Exim attaches the whole original (message/rfc822).
        (
            "exim.eml",
            swap(
                &fixture_bytes("exim-hard.eml"),
                "<2026-w25.aaaaaaaaaaaaaaaa@example.org>",
                &id("carol@example.org"),
            ),
            "carol@example.org",
            "bounced",
            "the original's Message-ID",
        ),
        // Gmail too.
        (
            "gmail.eml",
            swap(
                &fixture_bytes("gmail-hard.eml"),
                "<2026-w25.cccccccccccccccc@example.org>",
                &id("erin@example.org"),
            ),
            "erin@example.org",
            "bounced",
            "the original's Message-ID",
        ),
        // A message sent by an earlier version, whose Message-ID was the week and the first
        // 16 hex digits of the reader's unsubscribe token.
        (
            "exchange-earlier.eml",
            swap(
                &fixture_bytes("exchange-hard.eml"),
                "<2026-w25.bbbbbbbbbbbbbbbb@example.org>",
                &format!(
                    "<2026-w25.{}@example.org>",
                    &unsubscribe_token("dave@example.org")[..16]
                ),
            ),
            "dave@example.org",
            "bounced",
            "the original's Message-ID",
        ),
        // A feedback loop (Yahoo, Outlook) with the whole original.
        (
            "arf.eml",
            swap(
                &fixture_bytes("arf-message.eml"),
                "<2026-w25.dddddddddddddddd@example.org>",
                &id("grace@example.org"),
            ),
            "grace@example.org",
            "complained",
            "the original's Message-ID",
        ),
        // One with the original's headers, of which only its unsubscribe link is ours.
        (
            "arf-link.eml",
            swap(
                &fixture_bytes("arf-headers.eml"),
                "Message-ID: <2026-w25.eeeeeeeeeeeeeeee@example.org>",
                &format!(
                    "Message-ID: <x@example.org>\nList-Unsubscribe: {}",
                    sent["heidi@example.org"].list_unsubscribe
                ),
            ),
            "heidi@example.org",
            "complained",
            "the original's unsubscribe link",
        ),
        // One with the recipient redacted, whose only evidence is the original's return path
        // (Outlook.com's).
        (
            "arf-redacted.eml",
            swap(
                &swap(
                    &swap(
                        &fixture_bytes("arf-message.eml"),
                        "To: <grace@example.org>",
                        "To: <redacted@redacted>",
                    ),
                    "Message-ID: <2026-w25.dddddddddddddddd@example.org>",
                    &format!(
                        "Message-ID: <redacted@redacted>\nReturn-Path: <bounces+{}@news.example.org>",
                        verp("judy@example.org", WEEK)
                    ),
                ),
                "fbl.20260625110000.1",
                "fbl.redacted.1",
            ),
            "judy@example.org",
            "complained",
            "its VERP address",
        ),
    ];
    let before = statuses(&project);
    let mut files = Vec::new();
    for (file, raw, _, _, _) in &cases {
        project.write(file, raw);
        files.push(path(&project, file));
    }
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let run = ingest(&project, &args);
    assert_eq!(summary(&run), counts([7, 4, 0, 3, 0, 0, 0, 0]), "{run:?}");
    for (file, _, email, expected, evidence) in &cases {
        assert_eq!(status(&project, email), *expected, "{file}");
        let line = format!("{email} is now {expected}: ");
        let says = run
            .stdout
            .lines()
            .find(|l| l.starts_with(&line))
            .unwrap_or_else(|| panic!("{line}\n{}", run.stdout));
        assert!(says.ends_with(&format!("{file}; {evidence})")), "{says}");
    }
    // Nobody else.
    let changed = before
        .iter()
        .zip(&statuses(&project))
        .filter(|(b, a)| b != a)
        .count();
    assert_eq!(changed, cases.len());
}

#[test]
fn a_report_proving_one_reader_but_naming_another_changes_nobody() {
    // Safer than counting it for the reader the proof names: a report of ours names its own
    // reader, so one that names another subscriber was written by someone who has that
    // reader's message (or is that reader). The real report for either, if there is one,
    // arrives at their own VERP address.
    let project = list_project("");
    let sent = send_to_outbox(&project);
    let ann_names_bob = swap(
        &fixture_bytes("postfix-hard.eml"),
        "<2026-w25.1a2b3c4d5e6f7a8b@example.org>",
        &sent["ann@example.org"].message_id,
    );
    assert_changes_nobody(
        &project,
        "ann-names-bob.eml",
        &ann_names_bob,
        "its proof (the original's Message-ID) is ann@example.org's, but it names \
         bob@example.org, another subscriber",
    );
    // A name that is on no list is a forwarding address (ann forwards to another mailbox,
    // which bounced): it counts for ann, and the summary says so.
    let forwarded = swap(
        &ann_names_bob,
        "bob@example.org",
        "ann.forward@elsewhere.example.net",
    );
    project.write("forwarded.eml", &forwarded);
    let run = ingest(&project, &[&path(&project, "forwarded.eml")]);
    assert_eq!(summary(&run), counts([1, 1, 0, 0, 0, 0, 0, 0]), "{run:?}");
    assert!(
        run.stderr.contains(
            "forwarded.eml: names `ann.forward@elsewhere.example.net`, but its proof is \
             ann@example.org's: counted for ann@example.org only"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(status(&project, "ann@example.org"), "bounced");
    assert_eq!(status(&project, "bob@example.org"), "active");
}

#[test]
fn a_copy_of_a_report_at_the_plain_address_cannot_pre_empt_the_real_one() {
    // Reports are known by their content and by whom their proof names: a copy that proves
    // nothing is recorded apart, and the real one still counts when it arrives.
    let project = list_project("");
    project.write("copy.eml", fixture_bytes("postfix-hard.eml"));
    let copy = ingest(&project, &[&path(&project, "copy.eml")]);
    assert_eq!(summary(&copy), counts([1, 0, 0, 0, 1, 0, 0, 0]), "{copy:?}");
    project.write(
        "real.eml",
        at_verp("bob@example.org", &fixture_bytes("postfix-hard.eml")),
    );
    let real = ingest(&project, &[&path(&project, "real.eml")]);
    assert_eq!(summary(&real), counts([1, 1, 0, 0, 0, 0, 0, 0]), "{real:?}");
    assert_eq!(status(&project, "bob@example.org"), "bounced");
}

#[test]
fn a_message_id_shares_nothing_with_the_unsubscribe_token_and_names_nobody() {
    let project = list_project("");
    let sent = send_to_outbox(&project);
    assert_eq!(sent.len(), PEOPLE.len());
    let mut ids = std::collections::HashSet::new();
    for (email, copy) in &sent {
        let token = unsubscribe_token(email);
        assert!(
            copy.list_unsubscribe.contains(&token),
            "{email}: {}",
            copy.list_unsubscribe
        );
        let id = copy.message_id.to_ascii_lowercase();
        let shared: Vec<&str> = (0..=token.len() - 8)
            .map(|at| &token[at..at + 8])
            .filter(|run| id.contains(run))
            .collect();
        assert!(
            shared.is_empty(),
            "{email}: {id} shares {shared:?} with {token}"
        );
        let local = email.split('@').next().unwrap();
        assert!(!id.contains(local), "{id} names {email}");
        assert!(ids.insert(id), "two readers share a Message-ID");
    }
}
