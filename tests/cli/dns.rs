//! `check --dns` against a DNS server on loopback (dnslib's zone resolver, serving a zone
//! file the test writes): what is missing or wrong is named, with the record to publish.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::project::Project;
use crate::support::process::Running;
use crate::support::{free_port, tools};

/// Serves `zone` on loopback until the guard is dropped; its address.
fn dns_server(project: &Project, zone: &str) -> (Running, String) {
    tools::python(&["dnslib"]);
    project.write("zone.txt", zone);
    let port = free_port();
    // Its output goes to a file (it prints the zone as it starts), read until it says it
    // is serving.
    let log = project.path(&format!("dns-{port}.log"));
    let child = Command::new("python3")
        .args(["-u", "-m", "dnslib.zoneresolver", "--zone"])
        .arg(project.path("zone.txt"))
        .args(["--address", "127.0.0.1", "--port", &port.to_string()])
        .arg("--log=-request,-reply,-truncated,-error,-recv,-send,-data")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let running = Running::new(child);
    let started = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("Starting Zone Resolver")
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the DNS server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (running, format!("127.0.0.1:{port}"))
}

/// The zone-file lines `briefing dkim keygen` printed, and the setting it printed.
fn keygen(project: &Project, selector: &str) -> (Vec<String>, String) {
    let made = project.run(&["dkim", "keygen", "--selector", selector]);
    assert_eq!(made.code, 0, "{made:?}");
    let zone = made
        .stdout
        .lines()
        .filter(|l| l.contains(" IN TXT "))
        .map(str::to_owned)
        .collect();
    let setting = &made.stdout[made.stdout.find("dkim:\n").unwrap()..];
    let setting = setting[..setting.find("\n\n").unwrap() + 1].to_owned();
    (zone, setting)
}

#[test]
#[ignore = "needs python3 with dnslib (a DNS server on loopback): run scripts/test"]
fn check_dns_names_each_missing_or_wrong_record_with_the_record_to_publish() {
    let project = Project::sample();
    let (records, setting) = keygen(&project, "s1");
    project.reconfigure(
        &["audience"],
        &format!(
            "{setting}audience:\n  description: Readers.\n  bounce_address: bounces@mail.example.org\n"
        ),
    );
    // The RSA record holds another key (one made for another selector); the Ed25519 one is
    // right; SPF is there for example.org only; no DMARC; the bounce domain has no MX.
    let (other, _) = keygen(&project, "other");
    let wrong_rsa = other
        .iter()
        .find(|l| l.starts_with("other-rsa."))
        .unwrap()
        .replace("other-rsa._domainkey", "s1-rsa._domainkey");
    let ed = records
        .iter()
        .find(|l| l.starts_with("s1-ed25519."))
        .unwrap();
    let zone = format!(
        "{wrong_rsa}\n{ed}\nexample.org. IN TXT \"v=spf1 include:_spf.example.net ~all\"\n"
    );
    let (_server, address) = dns_server(&project, &zone);
    let run = project.run(&["check", "--dns", "--dns-server", &address]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let said = &run.stderr;
    assert!(
        said.contains("dns: ok: SPF record at example.org\n"),
        "{said}"
    );
    assert!(
        said.contains("dns: error: no SPF record at mail.example.org"),
        "the envelope sender's domain needs one too: {said}"
    );
    assert!(
        said.contains(
            "dns: error: the DKIM record at s1-rsa._domainkey.example.org holds another key than `.briefing/dkim/s1-rsa.pem`"
        ),
        "{said}"
    );
    let right_rsa = records.iter().find(|l| l.starts_with("s1-rsa.")).unwrap();
    assert!(
        said.contains(&format!("  publish: {right_rsa}\n")),
        "{said}"
    );
    assert!(
        said.contains("dns: ok: DKIM record at s1-ed25519._domainkey.example.org"),
        "{said}"
    );
    assert!(
        said.contains("dns: error: no DMARC record at _dmarc.example.org"),
        "{said}"
    );
    assert!(
        said.contains(
            "  publish: _dmarc.example.org. IN TXT ( \"v=DMARC1; p=none; rua=mailto:dmarc-reports@example.org\" )"
        ),
        "{said}"
    );
    assert!(
        said.contains("dns: error: no MX record at mail.example.org"),
        "{said}"
    );

    // Publish what it printed: everything passes, with a note about `p=none`.
    let fixed = format!(
        "{right_rsa}\n{ed}\nexample.org. IN TXT \"v=spf1 include:_spf.example.net ~all\"\n\
         mail.example.org. IN TXT \"v=spf1 include:_spf.example.net ~all\"\n\
         mail.example.org. IN MX 10 mx.example.org.\n\
         _dmarc.example.org. IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@example.org\"\n"
    );
    drop(_server);
    let (_server, address) = dns_server(&project, &fixed);
    let run = project.run(&["check", "--dns", "--dns-server", &address]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("dns: error"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("dns: note: DMARC record at _dmarc.example.org, with `p=none`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("dns ok: 6 records looked up, 0 missing or wrong"),
        "{}",
        run.stderr
    );
}
