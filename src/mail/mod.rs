//! Mail out and back: one subscriber's message ([`message`]), the send run ([`send`]) with its
//! [`journal`] and [`transport`]s, and the bounce and complaint reports that come back
//! ([`bounces`]); and the DNS records a sending domain needs ([`dns`]).
//!
//! Imports `content`, `publish` (the rendered letter) and `audience`; never `service`.

pub mod bounces;
pub mod clicks;
pub mod dkim;
pub mod dns;
pub mod journal;
pub mod message;
pub mod send;
pub mod transport;
