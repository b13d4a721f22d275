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
    /// The signer of every key in `keys`, each read from `root` (or from an absolute path);
    /// `None` when there are none.
    ///
    /// # Errors
    ///
    /// [`Error::ReadDkimKey`] when a key file cannot be read, [`Error::BadDkimKey`] when it
    /// holds no key of its algorithm.
    pub fn load(keys: &[Dkim], root: &Path) -> Result<Option<Signer>> {
        if keys.is_empty() {
            return Ok(None);
        }
        let keys = keys
            .iter()
            .map(|dkim| Ok((dkim.selector.clone(), load_key(dkim, root)?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Signer { keys }))
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

/// The key `dkim` names, read from `root` as `send` and `listen` read it.
///
/// # Errors
///
/// [`Error::ReadDkimKey`] when the file cannot be read, [`Error::BadDkimKey`] when it holds
/// no key of its algorithm.
fn load_key(dkim: &Dkim, root: &Path) -> Result<Key> {
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
    parse_key(dkim, &text).map_err(|detail| Error::BadDkimKey {
        path: path.clone(),
        algorithm: match dkim.algorithm {
            DkimAlgorithm::Ed25519 => "Ed25519",
            DkimAlgorithm::Rsa => "RSA",
        },
        detail,
    })
}

/// Checks that `dkim`'s key loads as `send` will load it: what `check` reports.
///
/// # Errors
///
/// As [`Signer::load`].
pub fn check_key(dkim: &Dkim, root: &Path) -> Result<()> {
    load_key(dkim, root).map(drop)
}

/// The public half of `dkim`'s key: the DNS record that publishes it
/// (`v=DKIM1; k=rsa; p=...`, with the SubjectPublicKeyInfo for RSA, the raw key for Ed25519),
/// and every encoding of the key a published `p=` may rightly hold (RSA also as a bare
/// PKCS#1 RSAPublicKey, which RFC 6376 names and some tools publish).
///
/// # Errors
///
/// As [`Signer::load`].
pub fn public_key(dkim: &Dkim, root: &Path) -> Result<(String, Vec<Vec<u8>>)> {
    use base64::Engine as _;
    use rsa::pkcs1::EncodeRsaPublicKey as _;
    use rsa::pkcs8::EncodePublicKey as _;
    // Loaded as a signer first: the same checks, the same errors.
    load_key(dkim, root)?;
    let path = root.join(&dkim.key_file);
    let text = match load::read_key(&path) {
        Content::Text(text) => text,
        _ => String::new(),
    };
    let text = text.trim();
    let bad = |detail: String| Error::BadDkimKey {
        path: path.clone(),
        algorithm: match dkim.algorithm {
            DkimAlgorithm::Ed25519 => "Ed25519",
            DkimAlgorithm::Rsa => "RSA",
        },
        detail,
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    match dkim.algorithm {
        DkimAlgorithm::Rsa => {
            use rsa::pkcs1::DecodeRsaPrivateKey as _;
            use rsa::pkcs8::DecodePrivateKey as _;
            let key = rsa::RsaPrivateKey::from_pkcs8_pem(text)
                .or_else(|_| rsa::RsaPrivateKey::from_pkcs1_pem(text))
                .map_err(|e| bad(e.to_string()))?;
            let public = key.to_public_key();
            let spki = public
                .to_public_key_der()
                .map_err(|e| bad(e.to_string()))?
                .as_bytes()
                .to_vec();
            let pkcs1 = public
                .to_pkcs1_der()
                .map_err(|e| bad(e.to_string()))?
                .as_bytes()
                .to_vec();
            Ok((
                format!("v=DKIM1; k=rsa; p={}", b64.encode(&spki)),
                vec![spki, pkcs1],
            ))
        }
        DkimAlgorithm::Ed25519 => {
            let seed: [u8; 32] = if text.starts_with("-----BEGIN") {
                use ed25519_dalek::pkcs8::DecodePrivateKey as _;
                ed25519_dalek::SigningKey::from_pkcs8_pem(text)
                    .map_err(|e| bad(e.to_string()))?
                    .to_bytes()
            } else {
                b64.decode(text)
                    .ok()
                    .and_then(|bytes| bytes.try_into().ok())
                    .ok_or_else(|| bad("not a 32-byte base64 seed".to_owned()))?
            };
            let public = ed25519_dalek::SigningKey::from_bytes(&seed)
                .verifying_key()
                .to_bytes()
                .to_vec();
            Ok((
                format!("v=DKIM1; k=ed25519; p={}", b64.encode(&public)),
                vec![public],
            ))
        }
    }
}

/// A key pair made by [`generate`]: the setting that signs with it, and the DNS record that
/// publishes its public half.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The `dkim` entry for `config.yaml`.
    pub dkim: Dkim,
    /// The record's name: `<selector>._domainkey.<domain>`.
    pub record_name: String,
    /// The TXT record's text: `v=DKIM1; k=rsa; p=...`.
    pub record: String,
}

impl NewKey {
    /// The record as a line of a zone file, its text cut into strings of at most 255
    /// characters (the most one TXT string holds; an RSA 2048 key needs two).
    pub fn zone_line(&self) -> String {
        zone_line(&self.record_name, &self.record)
    }
}

/// A TXT record as a line of a zone file, its text cut into strings of at most 255
/// characters (the most one TXT string holds).
pub fn zone_line(name: &str, text: &str) -> String {
    let strings: Vec<String> = text
        .as_bytes()
        .chunks(255)
        .map(|chunk| format!("\"{}\"", String::from_utf8_lossy(chunk)))
        .collect();
    format!("{name}. IN TXT ( {} )", strings.join(" "))
}

/// Makes an RSA 2048 and an Ed25519 key for `domain`, with the selectors `<selector>-rsa` and
/// `<selector>-ed25519`, written as PKCS#8 PEM files (mode 0600) into `dir` under `root`.
/// Refuses to replace a key file: a key already published would stop verifying.
///
/// # Errors
///
/// [`Error::DkimKeyExists`] when a key file is there already; [`Error::WriteDkimKey`] when a
/// file or the folder cannot be written.
pub fn generate(selector: &str, domain: &str, root: &Path, dir: &Path) -> Result<Vec<NewKey>> {
    use base64::Engine as _;
    use ed25519_dalek::pkcs8::EncodePrivateKey as _;
    use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};

    let b64 = base64::engine::general_purpose::STANDARD;
    let rsa_file = dir.join(format!("{selector}-rsa.pem"));
    let ed_file = dir.join(format!("{selector}-ed25519.pem"));
    for file in [&rsa_file, &ed_file] {
        if root.join(file).exists() {
            return Err(Error::DkimKeyExists {
                path: root.join(file),
            });
        }
    }
    let failed = |path: &Path, detail: String| Error::WriteDkimKey {
        path: root.join(path),
        source: std::io::Error::other(detail),
    };
    let rsa_key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .map_err(|e| failed(&rsa_file, e.to_string()))?;
    let rsa_pem = rsa_key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| failed(&rsa_file, e.to_string()))?;
    let rsa_public = rsa_key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| failed(&rsa_file, e.to_string()))?;
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| failed(&ed_file, e.to_string()))?;
    let ed_key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let ed_pem = ed_key
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| failed(&ed_file, e.to_string()))?;

    write_private(root, dir, &rsa_file, rsa_pem.as_bytes())?;
    write_private(root, dir, &ed_file, ed_pem.as_bytes())?;
    let made = |algorithm, file: &Path, suffix: &str, record: String| NewKey {
        dkim: Dkim {
            selector: format!("{selector}-{suffix}"),
            domain: domain.to_owned(),
            key_file: file.to_path_buf(),
            key_file_pos: crate::diagnostic::Pos::START,
            algorithm,
        },
        record_name: format!("{selector}-{suffix}._domainkey.{domain}"),
        record,
    };
    Ok(vec![
        made(
            DkimAlgorithm::Rsa,
            &rsa_file,
            "rsa",
            format!("v=DKIM1; k=rsa; p={}", b64.encode(rsa_public.as_bytes())),
        ),
        made(
            DkimAlgorithm::Ed25519,
            &ed_file,
            "ed25519",
            format!(
                "v=DKIM1; k=ed25519; p={}",
                b64.encode(ed_key.verifying_key().as_bytes())
            ),
        ),
    ])
}

/// Writes a private key that only its owner may read, never over an existing file, synced.
fn write_private(root: &Path, dir: &Path, file: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let error = |source| Error::WriteDkimKey {
        path: root.join(file),
        source,
    };
    let mut folder = std::fs::DirBuilder::new();
    folder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut folder, 0o700);
    folder.create(root.join(dir)).map_err(error)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(root.join(file)).map_err(error)?;
    out.write_all(bytes).map_err(error)?;
    out.sync_all().map_err(error)
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
