//! The one HTTP/1.1 client of the tests: raw bytes out, status, head and body back, so a
//! test can send exactly what a mail provider or a broken client sends.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// An answer.
#[derive(Debug)]
pub struct Answer {
    /// The status line's code (0 when there was none).
    pub status: u16,
    /// The status line and headers.
    pub head: String,
    /// The body.
    pub body: String,
}

/// Sends `request` as it is to `addr` and reads the whole answer (the request should say
/// `Connection: close`).
pub fn send(addr: &str, request: &[u8]) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// Status and body of a GET to `http://addr{path}`; the path is sent as given (no cleanup).
pub fn get(addr: &str, path: &str) -> (u16, String) {
    get_as(addr, addr, path)
}

/// [`get`] with `host` in the `Host` header, as a page of another site would send it.
pub fn get_as(addr: &str, host: &str, path: &str) -> (u16, String) {
    let answer = send(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    (answer.status, answer.body)
}
