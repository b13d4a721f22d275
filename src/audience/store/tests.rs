//! The store's unit tests: each change and what its history says.

use chrono::{DateTime, Utc};

use super::subscribers::{ImportSummary, QueuedSignUp};
use super::*;
use crate::audience::secret::Key;
use crate::audience::{Source, Status};

fn key() -> Key {
    Key::new(b"0123456789abcdef0123456789abcdef".to_vec())
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db/audience.sqlite3"), key()).unwrap();
    (dir, store)
}

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::minutes(minutes)
}

fn record(email: &str, status: Status) -> ImportRow {
    ImportRow {
        email: email.to_owned(),
        name: None,
        status,
        consent: None,
    }
}

/// Queues a sign-up and lets the worker decide it: the request a confirmation is due for.
fn sign_up(store: &mut Store, email: &str, name: Option<&str>, minutes: i64) -> QueuedSignUp {
    store.queue_sign_up(email, name, at(minutes)).unwrap();
    let decided = store.next_sign_up(at(minutes)).unwrap().unwrap();
    assert!(
        store.next_sign_up(at(minutes)).unwrap().is_none(),
        "one queued, one taken"
    );
    decided
}

fn status(store: &Store, email: &str) -> Option<Status> {
    store.get(email).unwrap().map(|s| s.status)
}

const WEEK: chrono::Duration = chrono::Duration::days(7);

#[test]
fn a_sign_up_is_pending_until_its_link_is_confirmed_and_keeps_its_history() {
    let (_dir, mut store) = store();
    let first = sign_up(&mut store, "Ann@Example.org", Some("Ann"), 0);
    let pending = first.pending.expect("a confirmation is due");
    assert_eq!(status(&store, "ann@example.org"), Some(Status::Pending));
    // The name comes with the confirmation, not the sign-up.
    assert_eq!(store.get("ann@example.org").unwrap().unwrap().name, None);
    assert_eq!(
        store
            .confirm_sign_up(pending.id, WEEK, at(1), false)
            .unwrap(),
        Confirmed::Now
    );
    assert_eq!(
        store
            .get("ann@example.org")
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("Ann")
    );
    // The link works once.
    assert_eq!(
        store
            .confirm_sign_up(pending.id, WEEK, at(2), false)
            .unwrap(),
        Confirmed::Already
    );
    assert!(
        store
            .unsubscribe("ann@example.org", Source::OneClick, at(3))
            .unwrap()
    );
    assert_eq!(
        store
            .confirm_sign_up(pending.id, WEEK, at(4), false)
            .unwrap(),
        Confirmed::NotPending,
        "an old link never undoes an unsubscribe"
    );
    let history: Vec<(Status, Source)> = store
        .history("ann@example.org")
        .unwrap()
        .into_iter()
        .map(|e| (e.status, e.source))
        .collect();
    assert_eq!(
        history,
        [
            (Status::Pending, Source::Form),
            (Status::Active, Source::Link),
            (Status::Unsubscribed, Source::OneClick),
        ]
    );
    // The address as first written is kept.
    assert_eq!(
        store.get("ann@example.org").unwrap().unwrap().email,
        "Ann@Example.org"
    );
}

#[test]
fn a_strangers_sign_up_leaves_those_who_left_as_they_are_until_they_confirm() {
    let (_dir, mut store) = store();
    store
        .import(
            &[
                record("u@example.org", Status::Unsubscribed),
                record("b@example.org", Status::Bounced),
                record("c@example.org", Status::Complained),
            ],
            false,
            true,
            at(0),
        )
        .unwrap();
    store.add("f@example.org", None, false, at(0)).unwrap();
    store.forget("f@example.org", at(0)).unwrap();
    let before = store.suppressed().unwrap();
    let mut links = Vec::new();
    for (n, email) in ["u", "b", "c", "f"].iter().enumerate() {
        let email = format!("{email}@example.org");
        let decided = sign_up(&mut store, &email, Some("Stranger"), n as i64);
        links.push((email, decided.pending.expect("its owner may confirm")));
    }
    for (email, _) in &links {
        assert!(store.suppressed().unwrap().contains(email), "{email}");
        assert!(before.contains(email));
    }
    assert_eq!(status(&store, "u@example.org"), Some(Status::Unsubscribed));
    assert_eq!(status(&store, "b@example.org"), Some(Status::Bounced));
    assert_eq!(status(&store, "c@example.org"), Some(Status::Complained));
    assert_eq!(status(&store, "f@example.org"), None);
    assert!(store.is_forgotten("f@example.org").unwrap());
    // The owner's confirmation is consent again.
    for (email, pending) in &links {
        assert_eq!(
            store
                .confirm_sign_up(pending.id, WEEK, at(10), false)
                .unwrap(),
            Confirmed::Now
        );
        assert_eq!(status(&store, email), Some(Status::Active), "{email}");
        assert!(!store.suppressed().unwrap().contains(email));
    }
    assert!(!store.is_forgotten("f@example.org").unwrap());
}

#[test]
fn one_confirmation_per_mailbox_per_ten_minutes_plus_and_dot_variants_counted_together() {
    let (_dir, mut store) = store();
    assert!(
        sign_up(&mut store, "ann@example.org", None, 0)
            .pending
            .is_some()
    );
    for (variant, minutes) in [
        ("ann@example.org", 5),
        ("ann+1@example.org", 6),
        ("a.nn+x@example.org", 7),
    ] {
        assert!(
            sign_up(&mut store, variant, None, minutes)
                .pending
                .is_none(),
            "{variant}"
        );
    }
    let later = sign_up(&mut store, "ann+2@example.org", None, 11);
    let pending = later.pending.expect("ten minutes on");
    // A failed message gives the claim back.
    store.release_sign_up(&pending).unwrap();
    assert!(
        sign_up(&mut store, "ann@example.org", None, 12)
            .pending
            .is_some()
    );
    // Active readers get no message at all.
    store.add("bob@example.org", None, false, at(0)).unwrap();
    assert!(
        sign_up(&mut store, "bob@example.org", None, 30)
            .pending
            .is_none()
    );
}

#[test]
fn a_confirmation_link_expires_and_a_legacy_link_confirms_only_what_is_pending() {
    let (_dir, mut store) = store();
    let pending = sign_up(&mut store, "a@example.org", None, 0)
        .pending
        .unwrap();
    assert_eq!(
        store
            .confirm_sign_up(pending.id, WEEK, at(60 * 24 * 8), false)
            .unwrap(),
        Confirmed::Expired
    );
    assert_eq!(status(&store, "a@example.org"), Some(Status::Pending));
    assert_eq!(
        store.confirm_sign_up(9999, WEEK, at(1), false).unwrap(),
        Confirmed::NotPending
    );
    // Links of earlier versions: pending becomes active; nothing else moves.
    assert_eq!(
        store.confirm("a@example.org", at(2), false).unwrap(),
        Confirmed::Now
    );
    store
        .unsubscribe("a@example.org", Source::Link, at(3))
        .unwrap();
    assert_eq!(
        store.confirm("a@example.org", at(4), false).unwrap(),
        Confirmed::NotPending
    );
    assert_eq!(
        store.confirm("nobody@example.org", at(2), false).unwrap(),
        Confirmed::NotPending
    );
    assert!(store.get("nobody@example.org").unwrap().is_none());
}

#[test]
fn a_queued_sign_up_survives_a_restart() {
    let (dir, mut store) = store();
    store.queue_sign_up("q@example.org", None, at(0)).unwrap();
    drop(store);
    let mut store = Store::open(&dir.path().join("db/audience.sqlite3"), key()).unwrap();
    let decided = store.next_sign_up(at(1)).unwrap().unwrap();
    assert_eq!(decided.email, "q@example.org");
    assert!(decided.pending.is_some());
}

#[test]
fn unsubscribing_an_unknown_address_remembers_it_and_bounces_stay_bounces() {
    let (_dir, mut store) = store();
    assert!(
        store
            .unsubscribe("csv@example.org", Source::OneClick, at(0))
            .unwrap()
    );
    assert_eq!(
        store.get("csv@example.org").unwrap().unwrap().status,
        Status::Unsubscribed
    );
    store
        .import(
            &[record("b@example.org", Status::Bounced)],
            false,
            true,
            at(1),
        )
        .unwrap();
    assert!(
        !store
            .unsubscribe("b@example.org", Source::Link, at(2))
            .unwrap()
    );
    assert_eq!(
        store.get("b@example.org").unwrap().unwrap().status,
        Status::Bounced
    );
    let suppressed = store.suppressed().unwrap();
    assert!(suppressed.contains("csv@example.org") && suppressed.contains("B@example.org"));
    assert!(!suppressed.contains("other@example.org"));
}

#[test]
fn importing_twice_changes_nothing_and_never_reactivates_without_asking() {
    let (_dir, mut store) = store();
    let rows = [
        record("a@example.org", Status::Active),
        record("b@example.org", Status::Active),
    ];
    let first = store.import(&rows, false, true, at(0)).unwrap();
    assert_eq!(first.added, 2);
    let again = store.import(&rows, false, true, at(1)).unwrap();
    assert_eq!(
        again,
        ImportSummary {
            unchanged: 2,
            by_status: [(Status::Active, 2)].into(),
            ..ImportSummary::default()
        }
    );
    store
        .unsubscribe("a@example.org", Source::OneClick, at(2))
        .unwrap();
    let kept = store.import(&rows, false, true, at(3)).unwrap();
    assert_eq!(kept.kept_inactive, 1);
    assert_eq!(
        store.get("a@example.org").unwrap().unwrap().status,
        Status::Unsubscribed
    );
    let forced = store.import(&rows, true, true, at(4)).unwrap();
    assert_eq!(forced.updated, 1);
    assert_eq!(
        store.get("a@example.org").unwrap().unwrap().status,
        Status::Active
    );
    assert_eq!(store.history("a@example.org").unwrap().len(), 3);
}

#[test]
fn add_refuses_to_reactivate_without_the_flag() {
    let (_dir, mut store) = store();
    assert_eq!(
        store.add("a@example.org", None, false, at(0)).unwrap(),
        None
    );
    assert!(store.remove("a@example.org", at(1)).unwrap());
    assert!(matches!(
        store.add("a@example.org", None, false, at(2)),
        Err(Error::Reactivate { .. })
    ));
    assert_eq!(
        store.add("a@example.org", None, true, at(3)).unwrap(),
        Some(Status::Unsubscribed)
    );
    assert!(!store.remove("never@example.org", at(4)).unwrap());
}

#[test]
fn a_forgotten_address_leaves_only_a_keyed_hash_and_is_not_imported_again() {
    let (dir, mut store) = store();
    store
        .add("Ann@Example.org", Some("Ann"), false, at(0))
        .unwrap();
    store.queue_sign_up("ann@example.org", None, at(0)).unwrap();
    assert!(store.forget("ann@example.org", at(1)).unwrap());
    assert!(store.get("ann@example.org").unwrap().is_none());
    assert!(store.history("ann@example.org").unwrap().is_empty());
    let events: usize = store
        .conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 0);
    assert!(store.is_forgotten("ANN@example.org").unwrap());
    assert!(store.suppressed().unwrap().contains("ann@example.org"));
    // Another secret cannot test an address against the record.
    let other = Store::open(
        &dir.path().join("db/audience.sqlite3"),
        Key::new(b"another secret, another newsletter".to_vec()),
    )
    .unwrap();
    assert!(!other.is_forgotten("ann@example.org").unwrap());
    drop(other);
    let kept = store
        .import(
            &[record("ann@example.org", Status::Active)],
            false,
            true,
            at(2),
        )
        .unwrap();
    assert_eq!(kept.kept_inactive, 1);
    assert!(store.get("ann@example.org").unwrap().is_none());
    assert!(!store.forget("nobody@example.org", at(4)).unwrap());
    drop(store);
    // No byte of the database, its WAL or its index names her.
    for entry in std::fs::read_dir(dir.path().join("db")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        assert!(!text.contains("ann@example.org"));
    }
}

#[test]
fn erasure_records_of_earlier_versions_are_keyed_when_the_store_opens() {
    let (dir, store) = store();
    let old = format!(
        "{:032x}",
        crate::audience::address::address_key("eve@example.org")
    );
    store
        .conn
        .execute(
            "INSERT INTO forgotten (address_hash, at, keyed) VALUES (?1, 'then', 0)",
            [&old],
        )
        .unwrap();
    drop(store);
    let store = Store::open(&dir.path().join("db/audience.sqlite3"), key()).unwrap();
    let stored: String = store
        .conn
        .query_row("SELECT address_hash FROM forgotten", [], |r| r.get(0))
        .unwrap();
    assert_ne!(stored, old, "the unkeyed hash is gone");
    assert!(store.is_forgotten("Eve@example.org").unwrap());
    assert!(store.suppressed().unwrap().contains("eve@example.org"));
}

#[test]
fn the_database_is_its_owners_alone() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, mut store) = store();
    store.add("a@example.org", None, false, at(0)).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join("db")), 0o700);
    for name in [
        "audience.sqlite3",
        "audience.sqlite3-wal",
        "audience.sqlite3-shm",
    ] {
        assert_eq!(mode(&dir.path().join("db").join(name)), 0o600, "{name}");
    }
}

#[test]
fn history_cannot_be_rewritten() {
    let (_dir, mut store) = store();
    store.add("a@example.org", None, false, at(0)).unwrap();
    let changed = store
        .conn
        .execute("UPDATE events SET source = 'import'", []);
    assert!(
        changed
            .unwrap_err()
            .to_string()
            .contains("events are history")
    );
}

#[test]
fn stats_count_by_status_and_week() {
    let (_dir, mut store) = store();
    store.add("a@example.org", None, false, at(0)).unwrap();
    store.add("b@example.org", None, false, at(0)).unwrap();
    sign_up(&mut store, "c@example.org", None, 0);
    store
        .unsubscribe("a@example.org", Source::Link, at(60 * 24 * 7))
        .unwrap();
    let stats = store.stats().unwrap();
    assert_eq!(stats.by_status[&Status::Active], 1);
    assert_eq!(stats.by_status[&Status::Pending], 1);
    assert_eq!(stats.by_status[&Status::Unsubscribed], 1);
    assert_eq!(stats.weeks["2026-W49"], (2, 0));
    assert_eq!(stats.weeks["2026-W50"], (0, 1));
}

#[test]
fn a_database_from_a_newer_briefing_is_refused() {
    let (dir, store) = store();
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let err = Store::open(&dir.path().join("db/audience.sqlite3"), key()).unwrap_err();
    assert!(
        matches!(err, Error::StoreFromNewer { version: 99, .. }),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audience.sqlite3");
    std::fs::write(&path, "email,name\nann@example.org,Ann\n".repeat(100)).unwrap();
    let err = Store::open(&path, key()).unwrap_err().to_string();
    assert!(err.contains("not an SQLite database"), "{err}");
}

// A welcome is owed once per confirmation: queued with it, taken once, kept after a failure
// until the reader opens their link again, dropped when they leave first, never when off.
#[test]
fn a_confirmation_owes_one_welcome_which_a_failure_keeps_until_the_link_is_opened_again() {
    let (_dir, mut store) = store();
    let pending = sign_up(&mut store, "ann@example.org", Some("Ann"), 0)
        .pending
        .unwrap();
    assert_eq!(
        store.next_welcome().unwrap(),
        None,
        "nothing before consent"
    );
    store
        .confirm_sign_up(pending.id, WEEK, at(1), true)
        .unwrap();
    let welcome = store.next_welcome().unwrap().expect("a welcome is due");
    assert_eq!(
        (welcome.email.as_str(), welcome.name.as_deref()),
        ("ann@example.org", Some("Ann"))
    );
    store
        .welcome_failed(welcome.subscriber, "421 try later", at(2))
        .unwrap();
    assert_eq!(store.next_welcome().unwrap(), None, "a failed one waits");
    assert_eq!(store.failed_welcomes().unwrap(), 1);
    // The reader opens the link again: the welcome is tried again, and only once.
    assert_eq!(
        store
            .confirm_sign_up(pending.id, WEEK, at(3), true)
            .unwrap(),
        Confirmed::Already
    );
    assert_eq!(store.failed_welcomes().unwrap(), 0);
    assert_eq!(store.next_welcome().unwrap(), Some(welcome.clone()));
    store.welcomed(welcome.subscriber).unwrap();
    assert_eq!(store.next_welcome().unwrap(), None);
    store
        .confirm_sign_up(pending.id, WEEK, at(4), true)
        .unwrap();
    assert_eq!(
        store.next_welcome().unwrap(),
        None,
        "sent once per confirmation"
    );

    // A reader who leaves before their welcome is sent is not welcomed.
    let pending = sign_up(&mut store, "bob@example.org", None, 10)
        .pending
        .unwrap();
    store
        .confirm_sign_up(pending.id, WEEK, at(11), true)
        .unwrap();
    store
        .unsubscribe("bob@example.org", Source::OneClick, at(12))
        .unwrap();
    assert_eq!(store.next_welcome().unwrap(), None);

    // Turned off: nothing is owed.
    let pending = sign_up(&mut store, "cy@example.org", None, 20)
        .pending
        .unwrap();
    store
        .confirm_sign_up(pending.id, WEEK, at(21), false)
        .unwrap();
    assert_eq!(store.next_welcome().unwrap(), None);
}

fn leaving(email: &str, issue: Option<&str>, minutes: i64) -> Leaving {
    Leaving {
        email: email.to_owned(),
        source: Source::OneClick,
        at: at(minutes),
        issue: issue.map(str::to_owned),
    }
}

#[test]
fn a_reader_leaving_from_an_issues_link_counts_for_it_once() {
    let (_dir, mut store) = store();
    store.add("a@example.org", None, false, at(0)).unwrap();
    store.add("b@example.org", None, false, at(0)).unwrap();
    store
        .unsubscribe_all(&[
            leaving("a@example.org", Some("2026-W25"), 1),
            // The same click twice (a mail client's retry), then from another issue: the
            // reader left once, from the first.
            leaving("a@example.org", Some("2026-W25"), 1),
            leaving("a@example.org", Some("2026-W26"), 2),
            // A link without an issue (an older message) unsubscribes and counts nowhere.
            leaving("b@example.org", None, 2),
        ])
        .unwrap();
    let counts = store.unsubscribes_by_issue().unwrap();
    assert_eq!(counts.get("2026-W25"), Some(&1));
    assert_eq!(counts.get("2026-W26"), None);
    assert_eq!(status(&store, "b@example.org"), Some(Status::Unsubscribed));
}

#[test]
fn a_queued_unsubscribe_keeps_its_issue_and_files_of_earlier_versions_still_apply() {
    let (dir, mut store) = store();
    store.add("a@example.org", None, false, at(0)).unwrap();
    store.add("b@example.org", None, false, at(0)).unwrap();
    let database = store.path().to_path_buf();
    queue_unsubscribe(&database, &leaving("a@example.org", Some("2026-W25"), 1)).unwrap();
    // An earlier version's file: three fields, no issue.
    let folder = dir.path().join("db/audience.sqlite3.unsubscribes");
    std::fs::write(
        folder.join("00000000000000000001-old.unsubscribe"),
        "2026-11-30T12:01:00+00:00\tone-click\tb@example.org\n",
    )
    .unwrap();
    assert_eq!(store.apply_queued_unsubscribes().unwrap(), 2);
    assert_eq!(status(&store, "a@example.org"), Some(Status::Unsubscribed));
    assert_eq!(status(&store, "b@example.org"), Some(Status::Unsubscribed));
    assert_eq!(
        store.unsubscribes_by_issue().unwrap().get("2026-W25"),
        Some(&1)
    );
}

#[test]
fn click_counts_add_up_and_a_burst_found_late_moves_clicks_without_going_below_zero() {
    let (_dir, mut store) = store();
    let link = |story: &str| ClickKey {
        issue: "2026-W25".into(),
        story: story.into(),
        url: "https://example.org/a".into(),
    };
    let batch = |entries: &[(&str, i64, i64)]| {
        entries
            .iter()
            .map(|&(story, readers, automated)| (link(story), ClickCount { readers, automated }))
            .collect::<std::collections::HashMap<_, _>>()
    };
    store
        .add_clicks(&batch(&[("a", 3, 0), ("b", 1, 0)]))
        .unwrap();
    store
        .add_clicks(&batch(&[("a", -1, 1), ("b", -2, 2)]))
        .unwrap();
    let counts = store.clicks("2026-W25").unwrap();
    assert_eq!(
        counts,
        vec![
            (
                link("a"),
                ClickCount {
                    readers: 2,
                    automated: 1
                }
            ),
            (
                link("b"),
                ClickCount {
                    readers: 0,
                    automated: 2
                }
            ),
        ]
    );
    assert!(store.clicks("2026-W26").unwrap().is_empty());
}
