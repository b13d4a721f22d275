//! DKIM signatures (RFC 6376) over the bytes a message is sent as.
//!
//! Takes a built message's bytes and returns them with one `DKIM-Signature` header per key in
//! front. Signing the bytes as written (rather than lettre's header list) means every header
//! named in `h=` is hashed exactly as a verifier will see it, the multipart `Content-Type`
//! included; mail-auth, the signer of the Stalwart mail server, does the cryptography and the
//! canonicalisation. Keys are read through [`load::read_key`], the same guarded reader as
//! every other file: no FIFO, no device, at most a few kilobytes.

use std::path::Path;

use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::HeaderWriter as _;
use mail_auth::dkim::{Canonicalization, DkimSigner, Done};
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject as _;

use crate::content::config::{Dkim, DkimAlgorithm};
use crate::content::load::{self, Content};
use crate::error::{Error, Result};

/// The headers each signature covers. Those a relay or a forwarder could add a second copy
/// of, and that change what a reader sees or what an unsubscribe does, are listed twice: the
/// second, absent copy is signed as empty (RFC 6376 section 8.15, "oversigning"), so a copy
/// added in transit breaks the signature. RFC 8058 requires `List-Unsubscribe` and
/// `List-Unsubscribe-Post` to be signed.
pub const SIGNED_HEADERS: &[&str] = &[
    "From",
    "From",
    "To",
    "Subject",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "List-Unsubscribe-Post",
];

/// One signing key, ready to sign.
enum Key {
    Rsa(DkimSigner<RsaKey<Sha256>, Done>),
    Ed25519(DkimSigner<Ed25519Key, Done>),
}

/// The configured DKIM keys. Its `Debug` names the selectors, never the keys.
pub struct Signer {
    keys: Vec<(String, Key)>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let selectors: Vec<&str> = self.keys.iter().map(|(s, _)| s.as_str()).collect();
        f.debug_struct("Signer")
            .field("selectors", &selectors)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// The signer of `dkim`, its key read from `root` (or from an absolute path).
    ///
    /// # Errors
    ///
    /// [`Error::ReadDkimKey`] when the key file cannot be read, [`Error::BadDkimKey`] when it
    /// holds no key of its algorithm.
    pub fn load(dkim: &Dkim, root: &Path) -> Result<Signer> {
        let path = root.join(&dkim.key_file);
        let text = match load::read_key(&path) {
            Content::Text(text) => text,
            other => {
                let reason = other
                    .problem()
                    .map_or_else(|| "it cannot be read".to_owned(), |(message, _)| message);
                return Err(Error::ReadDkimKey {
                    path,
                    source: std::io::Error::other(reason),
                });
            }
        };
        let key = parse_key(dkim, &text).map_err(|detail| Error::BadDkimKey {
            path: path.clone(),
            algorithm: match dkim.algorithm {
                DkimAlgorithm::Ed25519 => "Ed25519",
                DkimAlgorithm::Rsa => "RSA",
            },
            detail,
        })?;
        Ok(Signer {
            keys: vec![(dkim.selector.clone(), key)],
        })
    }

    /// `message` with a `DKIM-Signature` header per key in front of it.
    ///
    /// # Errors
    ///
    /// The signer's message when a signature cannot be made (a message without headers).
    pub fn sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, String> {
        let mut headers = String::new();
        for (_, key) in &self.keys {
            let signature = match key {
                Key::Rsa(signer) => signer.sign(message),
                Key::Ed25519(signer) => signer.sign(message),
            }
            .map_err(|e| format!("cannot sign the message: {e}"))?;
            // mail-auth folds a long `b=` value so that the closing `;` starts a line of its
            // own. RFC 6376 deletes the whitespace around the value before verifying, but
            // dkimpy keeps that fold and rejects every RSA signature: keeping the `;` on the
            // value's line reads the same under both.
            headers.push_str(&signature.to_header().replace("\r\n\t;\r\n", ";\r\n"));
        }
        let mut signed = Vec::with_capacity(headers.len() + message.len());
        signed.extend_from_slice(headers.as_bytes());
        signed.extend_from_slice(message);
        Ok(signed)
    }
}

/// The signing key in `text`, as `dkim` says it is made.
fn parse_key(dkim: &Dkim, text: &str) -> std::result::Result<Key, String> {
    let text = text.trim();
    match dkim.algorithm {
        DkimAlgorithm::Rsa => {
            let der = PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| {
                format!("no PEM private key in it ({e}); `openssl genrsa 2048` writes one")
            })?;
            let key = RsaKey::<Sha256>::from_key_der(der).map_err(|e| e.to_string())?;
            Ok(Key::Rsa(signer(dkim, key)))
        }
        DkimAlgorithm::Ed25519 => {
            let key = if text.starts_with("-----BEGIN") {
                let der = PrivateKeyDer::from_pem_slice(text.as_bytes())
                    .map_err(|e| format!("no PEM private key in it ({e})"))?;
                Ed25519Key::from_pkcs8_der(der.secret_der()).map_err(|e| e.to_string())?
            } else {
                use base64::Engine as _;
                let seed = base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|e| format!("not base64: {e}"))?;
                let seed: [u8; 32] = seed
                    .try_into()
                    .map_err(|bytes: Vec<u8>| format!("{} bytes, not 32", bytes.len()))?;
                let public = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
                Ed25519Key::from_seed_and_public_key(&seed, public.as_bytes())
                    .map_err(|e| e.to_string())?
            };
            Ok(Key::Ed25519(signer(dkim, key)))
        }
    }
}

fn signer<K: SigningKey>(dkim: &Dkim, key: K) -> DkimSigner<K, Done> {
    DkimSigner::from_key(key)
        .domain(dkim.domain.clone())
        .selector(dkim.selector.clone())
        .headers(SIGNED_HEADERS.iter().copied())
        .header_canonicalization(Canonicalization::Relaxed)
        .body_canonicalization(Canonicalization::Relaxed)
}
