//! A minimal HTTP/1.1 GET for talking to local test servers.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Status and body of a GET to `http://addr{path}`; the path is sent as given (no cleanup).
pub fn get(addr: &str, path: &str) -> (u16, String) {
    get_as(addr, addr, path)
}

/// [`get`] with `host` in the `Host` header, as a page of another site would send it.
pub fn get_as(addr: &str, host: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}
