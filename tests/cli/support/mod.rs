//! What the integration tests share: one process guard and one way to start a server and
//! wait for it ([`process`]), one HTTP client ([`http`]), the mail side (an outbox reader, an
//! SMTP server, a small disk: [`mail`]), and the checks that a test's outside tools are there
//! ([`tools`]).

pub mod browser;
pub mod http;
pub mod mail;
pub mod process;
pub mod tools;

/// The token secret every test that sends or listens gives `briefing`.
pub const SECRET: (&str, &str) = (
    "BRIEFING_UNSUBSCRIBE_SECRET",
    "0123456789abcdef0123456789abcdef",
);

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
