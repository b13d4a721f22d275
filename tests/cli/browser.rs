//! Built pages in headless Chromium: no console errors, no failed requests, screenshots kept.
//!
//! `.ci/run` installs Debian's `chromium`. When it is missing, this test fails saying what to
//! install, rather than skip: a browser check that quietly skips is no check.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::project::Project;

fn chromium() -> PathBuf {
    let find = || {
        ["chromium", "chromium-browser"]
            .into_iter()
            .find(|name| {
                Command::new(name)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .map(PathBuf::from)
    };
    find().expect("this test needs Chromium: install Debian's `chromium` package (`.ci/run` does)")
}

/// Each request's path and response status.
type RequestLog = Arc<Mutex<Vec<(String, u16)>>>;

/// Serves `dir` on a free loopback port, recording each request's path and status.
fn static_server(dir: &Path) -> (String, RequestLog) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let addr = server.server_addr().to_ip().unwrap().to_string();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (dir, record) = (dir.to_path_buf(), Arc::clone(&log));
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            let path = request.url().split('?').next().unwrap_or("/").to_owned();
            let mut file = dir.join(path.trim_start_matches('/'));
            if path.ends_with('/') {
                file.push("index.html");
            }
            let response = match std::fs::read(&file) {
                Ok(body) if !path.contains("..") => {
                    let kind = match file.extension().and_then(|e| e.to_str()) {
                        Some("css") => "text/css",
                        Some("svg") => "image/svg+xml",
                        Some("xml") => "application/xml",
                        _ => "text/html; charset=utf-8",
                    };
                    tiny_http::Response::from_data(body)
                        .with_header(tiny_http::Header::from_bytes("Content-Type", kind).unwrap())
                        .with_status_code(200)
                }
                _ => tiny_http::Response::from_data(b"missing".to_vec()).with_status_code(404),
            };
            record
                .lock()
                .unwrap()
                .push((path, response.status_code().0));
            let _ = request.respond(response);
        }
    });
    (addr, log)
}

#[test]
fn pages_load_in_headless_chromium_with_no_errors_and_no_failed_requests() {
    let browser = chromium();
    let project = Project::sample();
    assert_eq!(project.run(&["build"]).code, 0);
    let (addr, log) = static_server(&project.path("public"));
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (name, path) in [
        ("issue", "/issues/2026-w25/"),
        (
            "story",
            "/stories/junyang-lin-steps-down-as-tech-lead-of-alibaba-s-qwen/",
        ),
        ("archive", "/archive/"),
        ("email", "/issues/2026-w25/email.html"),
        ("home-narrow", "/"),
    ] {
        log.lock().unwrap().clear();
        let profile = tempfile::tempdir().unwrap();
        let shot = shots.join(format!("{name}.png"));
        let _ = std::fs::remove_file(&shot);
        let width = if name.ends_with("narrow") {
            "320,1200"
        } else {
            "1100,1800"
        };
        let output = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--hide-scrollbars",
                "--enable-logging=stderr",
                "--v=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(format!("--window-size={width}"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("http://{addr}{path}"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
        assert!(
            console.is_empty(),
            "{name}: console messages:\n{}",
            console.join("\n")
        );
        let requests = log.lock().unwrap().clone();
        assert!(
            requests.iter().any(|(p, _)| p == path),
            "{name}: the page was requested: {requests:?}"
        );
        let failed: Vec<_> = requests
            .iter()
            .filter(|(_, status)| *status != 200)
            .collect();
        assert!(failed.is_empty(), "{name}: failed requests {failed:?}");
        if name != "email" {
            assert!(
                requests.iter().any(|(p, _)| p == "/style.css"),
                "{name}: the stylesheet loaded"
            );
        }
        let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 10_000,
            "{name}: screenshot {} is {size} bytes",
            shot.display()
        );
    }
}
