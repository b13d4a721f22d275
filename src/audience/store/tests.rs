//! The store's unit tests: each change and what its history says.

use chrono::{DateTime, Utc};

use super::subscribers::{ImportSummary, SignUp};
use super::*;
use crate::audience::address::address_key;
use crate::audience::{Source, Status};

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db/audience.sqlite3")).unwrap();
    (dir, store)
}

fn at(minutes: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
        + chrono::Duration::minutes(minutes)
}

fn record<'a>(email: &'a str, status: &'a str) -> (&'a str, Option<&'a str>, &'a str) {
    (email, None, status)
}

#[test]
fn a_sign_up_is_pending_until_confirmed_and_keeps_its_history() {
    let (_dir, mut store) = store();
    let first = store
        .sign_up("Ann@Example.org", Some("Ann"), at(0))
        .unwrap();
    assert_eq!(
        first,
        SignUp {
            before: None,
            send_confirmation: true
        }
    );
    assert_eq!(
        store.get("ann@example.org").unwrap().unwrap().status,
        Status::Pending
    );
    assert_eq!(
        store.confirm("ann@EXAMPLE.org", at(1)).unwrap(),
        Confirmed::Now
    );
    assert_eq!(
        store.confirm("ann@example.org", at(2)).unwrap(),
        Confirmed::Already
    );
    assert!(
        store
            .unsubscribe("ann@example.org", Source::OneClick, at(3))
            .unwrap()
    );
    assert!(
        !store
            .unsubscribe("ann@example.org", Source::OneClick, at(4))
            .unwrap()
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
fn one_confirmation_per_address_per_ten_minutes() {
    let (_dir, mut store) = store();
    assert!(
        store
            .sign_up("a@example.org", None, at(0))
            .unwrap()
            .send_confirmation
    );
    assert!(
        !store
            .sign_up("a@example.org", None, at(5))
            .unwrap()
            .send_confirmation
    );
    assert!(
        store
            .sign_up("a@example.org", None, at(10))
            .unwrap()
            .send_confirmation
    );
    // A failed message gives the claim back.
    store.release_confirmation("a@example.org").unwrap();
    assert!(
        store
            .sign_up("a@example.org", None, at(11))
            .unwrap()
            .send_confirmation
    );
    // Active readers get no message at all.
    store.confirm("a@example.org", at(12)).unwrap();
    assert!(
        !store
            .sign_up("a@example.org", None, at(30))
            .unwrap()
            .send_confirmation
    );
}

#[test]
fn a_confirmation_link_does_nothing_after_an_unsubscribe() {
    let (_dir, mut store) = store();
    store.sign_up("a@example.org", None, at(0)).unwrap();
    store
        .unsubscribe("a@example.org", Source::Link, at(1))
        .unwrap();
    assert_eq!(
        store.confirm("a@example.org", at(2)).unwrap(),
        Confirmed::NotPending
    );
    assert_eq!(
        store.confirm("nobody@example.org", at(2)).unwrap(),
        Confirmed::NotPending
    );
    assert!(store.get("nobody@example.org").unwrap().is_none());
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
        .import([record("b@example.org", "bounced")], false, at(1))
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
    assert_eq!(store.suppressed().unwrap().len(), 2);
}

#[test]
fn importing_twice_changes_nothing_and_never_reactivates_without_asking() {
    let (_dir, mut store) = store();
    let rows = [
        record("a@example.org", ""),
        record("b@example.org", "subscribed"),
    ];
    let first = store.import(rows, false, at(0)).unwrap();
    assert_eq!(first.added, 2);
    let again = store.import(rows, false, at(1)).unwrap();
    assert_eq!(
        again,
        ImportSummary {
            unchanged: 2,
            ..ImportSummary::default()
        }
    );
    store
        .unsubscribe("a@example.org", Source::OneClick, at(2))
        .unwrap();
    let kept = store.import(rows, false, at(3)).unwrap();
    assert_eq!(kept.kept_inactive, 1);
    assert_eq!(
        store.get("a@example.org").unwrap().unwrap().status,
        Status::Unsubscribed
    );
    let forced = store.import(rows, true, at(4)).unwrap();
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
fn a_forgotten_address_leaves_only_a_hash_and_is_not_imported_again() {
    let (_dir, mut store) = store();
    store
        .add("Ann@Example.org", Some("Ann"), false, at(0))
        .unwrap();
    assert!(store.forget("ann@example.org", at(1)).unwrap());
    assert!(store.get("ann@example.org").unwrap().is_none());
    assert!(store.history("ann@example.org").unwrap().is_empty());
    let events: usize = store
        .conn
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap();
    assert_eq!(events, 0);
    // Nothing in the database names her.
    let dump: String = store
        .conn
        .query_row(
            "SELECT group_concat(address_hash) FROM forgotten",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains("ann"));
    assert!(store.is_forgotten("ANN@example.org").unwrap());
    assert!(
        store
            .suppressed()
            .unwrap()
            .contains(&address_key("ann@example.org"))
    );
    let kept = store
        .import([record("ann@example.org", "")], false, at(2))
        .unwrap();
    assert_eq!(kept.kept_inactive, 1);
    assert!(store.get("ann@example.org").unwrap().is_none());
    // Signing up anew is new consent.
    store.sign_up("ann@example.org", None, at(3)).unwrap();
    assert!(!store.is_forgotten("ann@example.org").unwrap());
    assert!(!store.forget("nobody@example.org", at(4)).unwrap());
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
    store.sign_up("c@example.org", None, at(0)).unwrap();
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
    let err = Store::open(&dir.path().join("db/audience.sqlite3")).unwrap_err();
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
    let err = Store::open(&path).unwrap_err().to_string();
    assert!(err.contains("not an SQLite database"), "{err}");
}
