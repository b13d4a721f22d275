//! Mailman's bounce corpus: the real bounce messages in the tests of flufl.bounce 6.0.0
//! (Mailman's bounce detector), with the addresses and kinds its `test_detectors.py` expects.
//! `scripts/test` downloads the source distribution from PyPI into `target/test-data/` (or
//! `BRIEFING_BOUNCE_CORPUS` names another folder); nothing of it is copied here.
//!
//! Every message is ingested twice, each expected address on the list: as it is, at the
//! plain bounce address, where nothing in it proves whose it is, so it must change nobody;
//! and with a `Delivered-To` of the first expected reader's VERP address on top (as the
//! receiving server adds it), where it must count for that reader, permanent where Mailman
//! says permanent.

use std::collections::HashMap;

use sha2::Digest as _;

use super::*;

/// One entry of `DETECTORS`: the message file, the addresses expected, and whether Mailman
/// calls the failure temporary.
struct Expected {
    file: String,
    addresses: Vec<String>,
    temporary: bool,
}

/// The entries of `DETECTORS = [...]` in `test_detectors.py` that expect addresses: tuples
/// of a module, a file, a list of byte strings and `True` or `False`.
fn detectors(source: &str) -> Vec<Expected> {
    let start = source
        .find("DETECTORS = [")
        .expect("DETECTORS in test_detectors.py");
    let end = start + source[start..].find("\n]\n").expect("the end of DETECTORS");
    let block: String = source[start + "DETECTORS = [".len()..end]
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut entries = Vec::new();
    let mut rest = block.as_str();
    while let Some(open) = rest.find('(') {
        let close = open + rest[open..].find(')').expect("a closed tuple");
        let tuple = &rest[open + 1..close];
        rest = &rest[close + 1..];
        let quoted: Vec<&str> = tuple
            .split(['\'', '"'])
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect();
        let Some((_, [file, addresses @ ..])) = quoted.split_first() else {
            panic!("an entry without a file: {tuple}");
        };
        entries.push(Expected {
            file: (*file).to_owned(),
            addresses: addresses.iter().map(|a| (*a).to_owned()).collect(),
            temporary: tuple.trim_end().trim_end_matches(',').ends_with("True"),
        });
    }
    entries.retain(|e| !e.addresses.is_empty());
    entries
}

/// The message of `file`, without the mbox `From ` line some of them start with.
fn message(corpus: &Path, file: &str) -> Vec<u8> {
    let raw = std::fs::read(corpus.join("tests/data").join(file)).unwrap();
    match raw.strip_prefix(b"From ") {
        Some(rest) => rest[rest.iter().position(|&b| b == b'\n').unwrap() + 1..].to_vec(),
        None => raw,
    }
}

/// The digest of a message's body (after its first empty line): one report delivered twice
/// is the same report.
fn body_digest(raw: &[u8]) -> Vec<u8> {
    let at = raw
        .windows(2)
        .position(|w| w == b"\n\n")
        .map_or(0, |at| at + 2);
    sha2::Sha256::digest(&raw[at..]).to_vec()
}

/// The bounces rows added since row `after`: (address, kind).
fn rows_after(project: &Project, after: i64) -> Vec<(String, String)> {
    let db = db(project);
    let mut statement = db
        .prepare("SELECT address_key, kind FROM bounces WHERE id > ?1 ORDER BY id")
        .unwrap();
    statement
        .query_map([after], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn last_row(project: &Project) -> i64 {
    db(project)
        .query_row("SELECT coalesce(max(id), 0) FROM bounces", [], |r| r.get(0))
        .unwrap()
}

/// A project with every expected address on the list.
fn corpus_project(expected: &[Expected]) -> Project {
    let project = list_project("");
    let mut addresses: Vec<String> = expected
        .iter()
        .flat_map(|e| e.addresses.iter().map(|a| a.to_lowercase()))
        .collect();
    addresses.sort();
    addresses.dedup();
    project.write("corpus.csv", format!("email\n{}\n", addresses.join("\n")));
    let imported = run(
        &project,
        &["subscribers", "import", &path(&project, "corpus.csv")],
    );
    assert_eq!(imported.code, 0, "{imported:?}");
    project
}

#[test]
#[ignore = "needs Mailman's bounce corpus (flufl.bounce 6.0.0 from PyPI): run scripts/test"]
fn mailmans_corpus_counts_for_the_right_reader_at_a_verp_address_and_for_nobody_without() {
    // Where scripts/test puts it, unless named otherwise.
    let corpus = std::env::var_os("BRIEFING_BOUNCE_CORPUS")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-data/flufl_bounce-6.0.0"),
            PathBuf::from,
        );
    let detectors_file = corpus.join("tests/test_detectors.py");
    let source = std::fs::read_to_string(&detectors_file).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run scripts/test, which downloads flufl.bounce 6.0.0",
            detectors_file.display()
        )
    });
    let expected = detectors(&source);
    assert_eq!(expected.len(), 111, "the entries of flufl.bounce 6.0.0");

    // At the plain address: nobody changes, whatever the message says.
    let plain = corpus_project(&expected);
    let before = statuses(&plain);
    let mut outcomes: HashMap<&str, usize> = HashMap::new();
    for (i, entry) in expected.iter().enumerate() {
        let file = format!("plain-{i:03}.eml");
        plain.write(&file, message(&corpus, &entry.file));
        let ingested = ingest(&plain, &[&path(&plain, &file)]);
        let line = summary(&ingested);
        let outcome = [
            ", 1 unverified",
            ", 1 not a report",
            ", 1 ingested before",
            ", 1 unreadable",
        ]
        .into_iter()
        .find(|o| line.contains(o))
        .unwrap_or_else(|| panic!("{}: {line}", entry.file));
        *outcomes.entry(outcome).or_default() += 1;
    }
    assert_eq!(
        statuses(&plain),
        before,
        "the plain address changed somebody"
    );
    assert_eq!(count(&plain, "SELECT count(*) FROM bounces"), 0);

    // At the first expected reader's VERP address: counted for that reader, of the kind
    // Mailman expects.
    let at_verp_project = corpus_project(&expected);
    let mut wrong = Vec::new();
    let mut seen: HashMap<(String, Vec<u8>), &str> = HashMap::new();
    let (mut counted, mut permanent) = (0, 0);
    for (i, entry) in expected.iter().enumerate() {
        let reader = entry.addresses[0].to_lowercase();
        let raw = message(&corpus, &entry.file);
        let file = format!("verp-{i:03}.eml");
        at_verp_project.write(&file, at_verp(&reader, &raw));
        let after = last_row(&at_verp_project);
        let ingested = ingest(&at_verp_project, &[&path(&at_verp_project, &file)]);
        let rows = rows_after(&at_verp_project, after);
        let kind = if entry.temporary { "soft" } else { "hard" };
        let again = seen.insert((reader.clone(), body_digest(&raw)), &entry.file);
        match (rows.as_slice(), again) {
            ([(address, got)], None) if *address == reader => {
                counted += 1;
                if got == kind {
                    permanent += usize::from(kind == "hard");
                } else {
                    wrong.push(format!("{}: {got}, Mailman says {kind}", entry.file));
                }
            }
            // The same report as an earlier file, for the same reader: counted once.
            ([], Some(earlier)) if summary(&ingested).contains(", 1 ingested before") => {
                counted += 1;
                permanent += usize::from(kind == "hard");
                println!("{} is {earlier} again: counted once", entry.file);
            }
            _ => wrong.push(format!(
                "{}: {rows:?} for {reader}: {}{}",
                entry.file,
                summary(&ingested),
                ingested.stderr
            )),
        }
    }
    let hard_expected = expected.iter().filter(|e| !e.temporary).count();
    println!(
        "Mailman's corpus, {} messages: at the plain address, 0 changed anyone ({}); at a VERP \
         address, {counted} counted for the right reader, {permanent} of {hard_expected} \
         permanent ones permanent",
        expected.len(),
        {
            let mut o: Vec<String> = outcomes
                .iter()
                .map(|(k, v)| format!("{v}{}", &k[3..]))
                .collect();
            o.sort();
            o.join(",")
        }
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(counted, expected.len());
}
