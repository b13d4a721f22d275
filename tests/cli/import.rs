//! `subscribers import` on exports shaped like those of the tools publishers leave
//! (fixtures in tests/fixtures/import, written from each tool's documented columns).

use crate::project::Project;
use crate::support::SECRET;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/import/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `(status, detail)` of each event of `email`, read with SQLite itself.
fn events(project: &Project, email: &str) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open(project.path(".briefing/audience.sqlite3")).unwrap();
    let mut statement = db
        .prepare(
            "SELECT e.status, coalesce(e.detail, '') FROM events e
             JOIN subscribers s ON s.id = e.subscriber_id WHERE s.address_key = ?1 ORDER BY e.id",
        )
        .unwrap();
    statement
        .query_map([email], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// An address, the status it gets, and what its history adds after "imported from …".
type Expected<'a> = (&'a str, &'a str, &'a str);

#[test]
fn every_tools_export_keeps_who_left_out_and_records_consent() {
    let cases: &[(&str, &str, &[Expected])] = &[
        (
            "mailchimp-cleaned.csv",
            "a Mailchimp cleaned export",
            &[(
                "dan@example.org",
                "bounced",
                "; opted in 2023-01-01 00:00 UTC; cleaned 2023-03-01 00:00 UTC",
            )],
        ),
        (
            "buttondown-subscribers.csv",
            "a Buttondown export",
            &[
                (
                    "eve@example.org",
                    "active",
                    "; subscribed 2024-03-01 09:00 UTC",
                ),
                (
                    "fay@example.org",
                    "unsubscribed",
                    "; subscribed 2024-03-02 09:00 UTC",
                ),
                (
                    "gus@example.org",
                    "pending",
                    "; subscribed 2024-03-03 09:00 UTC",
                ),
                (
                    "hal@example.org",
                    "active",
                    "; subscribed 2024-03-04 09:00 UTC",
                ),
                (
                    "ivy@example.org",
                    "unsubscribed",
                    "; subscribed 2024-03-05 09:00 UTC",
                ),
            ],
        ),
        (
            "substack.csv",
            "a Substack export",
            &[
                (
                    "jon@example.org",
                    "active",
                    "; subscribed 2024-04-01 12:00 UTC",
                ),
                (
                    "kim@example.org",
                    "active",
                    "; subscribed 2024-04-02 12:00 UTC",
                ),
                (
                    "lou@example.org",
                    "unsubscribed",
                    "; subscribed 2024-04-03 12:00 UTC",
                ),
            ],
        ),
        (
            "ghost-members.csv",
            "a Ghost export",
            &[
                ("max@example.org", "active", "; joined 2024-05-01 10:00 UTC"),
                (
                    "nia@example.org",
                    "unsubscribed",
                    "; joined 2024-05-02 10:00 UTC",
                ),
                (
                    "oli@example.org",
                    "unsubscribed",
                    "; joined 2024-05-03 10:00 UTC",
                ),
            ],
        ),
        (
            "listmonk.csv",
            "a listmonk export",
            &[
                (
                    "pat@example.org",
                    "active",
                    "; created 2024-06-01 04:30 UTC",
                ),
                (
                    "quinn@example.org",
                    "unsubscribed",
                    "; created 2024-06-02 10:00 UTC",
                ),
                (
                    "rae@example.org",
                    "unsubscribed",
                    "; created 2024-06-03 10:00 UTC",
                ),
            ],
        ),
        (
            "kit.csv",
            "a Kit export",
            &[
                (
                    "sam@example.org",
                    "active",
                    "; subscribed 2024-07-01 10:00 UTC",
                ),
                (
                    "tia@example.org",
                    "unsubscribed",
                    "; subscribed 2024-07-02 10:00 UTC; cancelled 2024-08-01 10:00 UTC",
                ),
                (
                    "uma@example.org",
                    "pending",
                    "; subscribed 2024-07-03 10:00 UTC",
                ),
                (
                    "vic@example.org",
                    "bounced",
                    "; subscribed 2024-07-04 10:00 UTC",
                ),
                (
                    "wes@example.org",
                    "complained",
                    "; subscribed 2024-07-05 10:00 UTC",
                ),
            ],
        ),
        (
            "beehiiv.csv",
            "a beehiiv export",
            &[
                (
                    "xia@example.org",
                    "active",
                    "; subscribed 2024-08-01 10:00 UTC",
                ),
                (
                    "yan@example.org",
                    "unsubscribed",
                    "; subscribed 2024-08-02 10:00 UTC",
                ),
                (
                    "zed@example.org",
                    "pending",
                    "; subscribed 2024-08-03 10:00 UTC",
                ),
                (
                    "abe@example.org",
                    "bounced",
                    "; subscribed 2024-08-04 10:00 UTC",
                ),
            ],
        ),
        (
            "mailerlite.csv",
            "a MailerLite export",
            &[
                (
                    "bea@example.org",
                    "active",
                    "; signed up 2024-09-01 10:00 UTC from 203.0.113.20; opted in 2024-09-01 10:02 UTC from 203.0.113.20",
                ),
                (
                    "cal@example.org",
                    "unsubscribed",
                    "; signed up 2024-09-02 10:00 UTC; opted in 2024-09-02 10:01 UTC; unsubscribed 2024-10-01 10:00 UTC",
                ),
                (
                    "dee@example.org",
                    "pending",
                    "; signed up 2024-09-03 10:00 UTC",
                ),
                (
                    "elm@example.org",
                    "bounced",
                    "; signed up 2024-09-04 10:00 UTC",
                ),
                (
                    "fox@example.org",
                    "complained",
                    "; signed up 2024-09-05 10:00 UTC",
                ),
            ],
        ),
    ];
    for (file, described, rows) in cases {
        let project = Project::sample();
        let path = fixture(file);
        let dry = project.run_with(&["subscribers", "import", &path, "--dry-run"], &[SECRET]);
        assert_eq!(dry.code, 0, "{file}: {dry:?}");
        assert!(
            !project.path(".briefing/audience.sqlite3").exists(),
            "{file}: a dry run creates no store"
        );
        let run = project.run_with(&["subscribers", "import", &path], &[SECRET]);
        assert_eq!(run.code, 0, "{file}: {run:?}");
        assert!(
            run.stdout.contains(&format!("as {described}:")),
            "{file}: {}",
            run.stdout
        );
        for (email, status, consent) in *rows {
            assert_eq!(
                events(&project, email),
                [(
                    status.to_string(),
                    format!("imported from {described}{consent}")
                )],
                "{file}: {email}"
            );
        }
        // The same file again changes nothing.
        let again = project.run_with(&["subscribers", "import", &path], &[SECRET]);
        assert!(
            again.stdout.contains(" 0 added, 0 updated,"),
            "{file}: {}",
            again.stdout
        );
        // A send mails exactly the active ones.
        let outbox = project.path("out");
        let sent = project.run_with(
            &[
                "send",
                "--yes",
                "--latest",
                "--outbox",
                outbox.to_str().unwrap(),
            ],
            &[SECRET],
        );
        assert_eq!(sent.code, 0, "{file}: {sent:?}");
        let mut mailed: Vec<String> = crate::support::mail::outbox_messages(&outbox)
            .iter()
            .map(|raw| crate::support::mail::to_address(raw))
            .collect();
        mailed.sort();
        let mut active: Vec<String> = rows
            .iter()
            .filter(|(_, status, _)| *status == "active")
            .map(|(email, ..)| (*email).to_owned())
            .collect();
        active.sort();
        assert_eq!(mailed, active, "{file}");
    }
}

#[test]
fn mailchimps_unsubscribed_file_wins_in_either_order() {
    for order in [
        ["mailchimp-subscribed.csv", "mailchimp-unsubscribed.csv"],
        ["mailchimp-unsubscribed.csv", "mailchimp-subscribed.csv"],
    ] {
        let project = Project::sample();
        for file in order {
            let run = project.run_with(&["subscribers", "import", &fixture(file)], &[SECRET]);
            assert_eq!(run.code, 0, "{run:?}");
        }
        let bob = events(&project, "bob@example.org");
        assert_eq!(bob.last().unwrap().0, "unsubscribed", "{order:?}: {bob:?}");
        assert_eq!(events(&project, "ann@example.org")[0].0, "active");
    }
}

#[test]
fn spreadsheet_files_are_read_and_unknown_layouts_are_explained() {
    let project = Project::sample();
    project.write(
        "semi.csv",
        "\u{feff}Email Address;First Name;Last Name;OPTIN_TIME;NOTES\r\n\
         ann@example.org;Ann;Lee;2024-01-01 10:00:00;\"two\r\nlines; here\"\r\n\
         bob@example.org;Bob;;;\r\n\r\n\r\n",
    );
    let run = project.run_with(
        &[
            "subscribers",
            "import",
            project.path("semi.csv").to_str().unwrap(),
        ],
        &[SECRET],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("Mailchimp subscribed export: 2 addresses"),
        "{}",
        run.stdout
    );

    project.write(
        "latin.csv",
        b"email,name\r\nok@example.org,Ok\r\nzoe@example.org,Zo\xeb\r\n".as_slice(),
    );
    let latin = project.run_with(
        &[
            "subscribers",
            "import",
            project.path("latin.csv").to_str().unwrap(),
        ],
        &[SECRET],
    );
    assert_eq!(latin.code, 1);
    assert!(
        latin
            .stderr
            .contains("latin.csv:3:1: error: this row is not UTF-8"),
        "{}",
        latin.stderr
    );
    assert!(latin.stderr.contains("iconv"), "{}", latin.stderr);
    assert!(
        events(&project, "ok@example.org").is_empty(),
        "nothing imported"
    );

    project.write(
        "odd.csv",
        "Mail,Who,State\nann@example.org,Ann,on\ncy@example.org,Cy,off\ndi@example.org,Di,maybe\n",
    );
    let odd = project.path("odd.csv");
    let refused = project.run_with(&["subscribers", "import", odd.to_str().unwrap()], &[SECRET]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("(found `mail`, `who`, `state`)"),
        "{}",
        refused.stderr
    );
    assert!(
        refused
            .stderr
            .contains("Mailchimp, Buttondown, Substack, Ghost, listmonk"),
        "{}",
        refused.stderr
    );
    let named = [
        "subscribers",
        "import",
        odd.to_str().unwrap(),
        "--email-column",
        "Mail",
        "--name-column",
        "Who",
        "--status-column",
        "State",
        "--status-map",
        "on=active,off=unsubscribed",
    ];
    let unmapped = project.run_with(&named, &[SECRET]);
    assert_eq!(unmapped.code, 1);
    assert!(
        unmapped
            .stderr
            .contains("odd.csv:4:1: error: `state` is `maybe`"),
        "{}",
        unmapped.stderr
    );
    project.write(
        "odd.csv",
        "Mail,Who,State\nann@example.org,Ann,on\ncy@example.org,Cy,off\n",
    );
    let imported = project.run_with(&named, &[SECRET]);
    assert_eq!(imported.code, 0, "{imported:?}");
    assert_eq!(events(&project, "cy@example.org")[0].0, "unsubscribed");
    // Ann was active from the first file; `on` keeps her so.
    assert_eq!(events(&project, "ann@example.org").len(), 1);

    // A file with no status column from a tool that exports one status per file must say.
    project.write(
        "ml.csv",
        "email,name,subscribed_at,signup_ip\nhe@example.org,He,2024-01-01 10:00:00,\n",
    );
    let ml = project.path("ml.csv");
    let unsaid = project.run_with(&["subscribers", "import", ml.to_str().unwrap()], &[SECRET]);
    assert_eq!(unsaid.code, 1);
    assert!(
        unsaid.stderr.contains("cannot say who left"),
        "{}",
        unsaid.stderr
    );
    let said = project.run_with(
        &[
            "subscribers",
            "import",
            ml.to_str().unwrap(),
            "--status",
            "unsubscribed",
        ],
        &[SECRET],
    );
    assert_eq!(said.code, 0, "{said:?}");
    assert_eq!(events(&project, "he@example.org")[0].0, "unsubscribed");

    let history = project.run_with(&["subscribers", "export", "--history"], &[SECRET]);
    let mut reader = csv::Reader::from_reader(history.stdout.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec!["email", "at", "status", "source", "detail"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(
        rows.iter()
            .any(|r| &r[0] == "ann@example.org" && r[4].contains("opted in 2024-01-01 10:00 UTC")),
        "{}",
        history.stdout
    );
}
