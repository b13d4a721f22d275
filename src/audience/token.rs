//! The signed links mailed to readers. Both kinds are HMAC-SHA256 under the newsletter's
//! secret over the address as mail systems compare it ([`comparable`]) and the list's id, so
//! a token made for one address or list never works for another.
//!
//! - Unsubscribe tokens never expire: a one-click link in a years-old message must still
//!   work (RFC 8058), and an unsubscribe is harmless to repeat.
//! - Confirmation tokens also sign when they were made, and are refused after
//!   [`CONFIRMATION_VALID`]: an old message must not sign someone up.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::audience::address::comparable;

/// How long a confirmation link works.
pub const CONFIRMATION_VALID: chrono::Duration = chrono::Duration::days(7);

fn mac(secret: &[u8], parts: &[&str]) -> Hmac<Sha256> {
    // HMAC takes keys of any length, so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"\n");
        }
        mac.update(part.as_bytes());
    }
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// The opaque reference an unsubscribe link carries instead of the address (which spam
/// filters score, and proxies log): `email` as mail systems compare it, sealed with
/// ChaCha20-Poly1305 under a key derived from the secret, the list's id as associated data,
/// and a nonce derived from the address (so the reference of a reader is the same in every
/// message, and two readers' nonces differ). Unpadded base64url, about 40 characters more
/// than the address.
pub fn unsubscribe_ref(secret: &[u8], email: &str, list_id: &str) -> String {
    use base64::Engine as _;
    let address = comparable(email);
    let nonce_bytes: [u8; 12] = mac(secret, &["unsubscribe-ref-nonce", &address, list_id])
        .finalize()
        .into_bytes()[..12]
        .try_into()
        .unwrap_or([0; 12]);
    let mut sealed = address.into_bytes();
    // A 32-byte key always makes a ChaCha20-Poly1305 key, and sealing in place with a
    // fresh buffer cannot fail but for a message over 256 GB.
    if let Some(key) = ref_key(secret, list_id) {
        let nonce = ring::aead::Nonce::assume_unique_for_key(nonce_bytes);
        if key
            .seal_in_place_append_tag(nonce, ring::aead::Aad::from(list_id), &mut sealed)
            .is_err()
        {
            sealed.clear();
        }
    }
    let mut out = nonce_bytes.to_vec();
    out.extend_from_slice(&sealed);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// The address an unsubscribe reference of `list_id` was made for; `None` when it was not
/// made with this secret for this list (damaged, forged, or another list's).
pub fn open_unsubscribe_ref(secret: &[u8], list_id: &str, reference: &str) -> Option<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(reference.trim())
        .ok()?;
    if bytes.len() < 12 + 16 + 3 || bytes.len() > 12 + 16 + 320 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(12);
    let nonce = ring::aead::Nonce::try_assume_unique_for_key(nonce).ok()?;
    let mut sealed = sealed.to_vec();
    let address = ref_key(secret, list_id)?
        .open_in_place(nonce, ring::aead::Aad::from(list_id), &mut sealed)
        .ok()?;
    String::from_utf8(address.to_vec()).ok()
}

/// The key of unsubscribe references on `list_id`.
fn ref_key(secret: &[u8], list_id: &str) -> Option<ring::aead::LessSafeKey> {
    let key = mac(secret, &["unsubscribe-ref-key", list_id])
        .finalize()
        .into_bytes();
    ring::aead::UnboundKey::new(&ring::aead::CHACHA20_POLY1305, &key)
        .ok()
        .map(ring::aead::LessSafeKey::new)
}

/// The unsubscribe token of `email` on `list_id`: hex HMAC-SHA256 over
/// `comparable(email) + "\n" + list_id`. The `listen` service recomputes it to check a
/// request.
pub fn unsubscribe(secret: &[u8], email: &str, list_id: &str) -> String {
    hex(&mac(secret, &[&comparable(email), list_id])
        .finalize()
        .into_bytes())
}

/// Whether `token` is `email`'s unsubscribe token on `list_id`, compared in constant time.
pub fn unsubscribe_is_valid(secret: &[u8], email: &str, list_id: &str, token: &str) -> bool {
    unhex(token.trim()).is_some_and(|bytes| {
        mac(secret, &[&comparable(email), list_id])
            .verify_slice(&bytes)
            .is_ok()
    })
}

/// The confirmation token of `email` on `list_id`, made at `issued` (Unix seconds), as
/// earlier versions put in their links (`confirm?email=…&issued=…&token=…`).
#[cfg(test)]
pub fn confirmation(secret: &[u8], email: &str, list_id: &str, issued: i64) -> String {
    hex(&mac(
        secret,
        &["confirm", &comparable(email), list_id, &issued.to_string()],
    )
    .finalize()
    .into_bytes())
}

/// The check of the confirmation link of sign-up `id` (whose random nonce is `nonce`) on
/// `list_id`: the link names the sign-up and carries this, so it confirms that sign-up and no
/// other, once.
pub fn sign_up_check(secret: &[u8], list_id: &str, id: i64, nonce: &str) -> String {
    hex(&mac(secret, &["sign-up", list_id, &id.to_string(), nonce])
        .finalize()
        .into_bytes()[..16])
}

/// Whether `check` is [`sign_up_check`] of sign-up `id`, compared in constant time.
pub fn sign_up_check_is_valid(
    secret: &[u8],
    list_id: &str,
    id: i64,
    nonce: &str,
    check: &str,
) -> bool {
    unhex(check.trim()).is_some_and(|bytes| {
        bytes.len() == 16
            && mac(secret, &["sign-up", list_id, &id.to_string(), nonce])
                .verify_truncated_left(&bytes)
                .is_ok()
    })
}

/// Why a confirmation link was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token of this address, list and time: mistyped, cut short or forged.
    Invalid,
    /// Older than [`CONFIRMATION_VALID`] (or from the future).
    Expired,
}

/// Checks a confirmation link's token: made for `email` on `list_id` at `issued`, and not
/// expired at `now`.
///
/// # Errors
///
/// Why it is refused.
pub fn check_confirmation(
    secret: &[u8],
    (email, list_id): (&str, &str),
    issued: i64,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let signed = unhex(token.trim()).is_some_and(|bytes| {
        mac(
            secret,
            &["confirm", &comparable(email), list_id, &issued.to_string()],
        )
        .verify_slice(&bytes)
        .is_ok()
    });
    if !signed {
        return Err(Refused::Invalid);
    }
    let age = now.timestamp() - issued;
    // A minute of clock skew between the machine that sent and the one that checks.
    if age > CONFIRMATION_VALID.num_seconds() || age < -60 {
        return Err(Refused::Expired);
    }
    Ok(())
}

/// The token of a VERP return path (`bounces+<token>@...`) for `email` on `list_id` in the
/// issue `week` (e.g. `2026w25`): `<week>.<tag>.<check>`, where the tag identifies the
/// address (a keyed hash, so the address is not readable from it) and the check signs week
/// and tag, so a bounce sent to a made-up address cannot mark anyone bounced. 45 characters
/// with `bounces+`: well inside the 64 a local part may have.
pub fn verp(secret: &[u8], email: &str, list_id: &str, week: &str) -> String {
    let tag = verp_tag(secret, email, list_id);
    let check = hex(&mac(secret, &["verp-check", week, &tag])
        .finalize()
        .into_bytes()[..4]);
    format!("{week}.{tag}.{check}")
}

/// The address part of a VERP token: the same for every issue.
pub fn verp_tag(secret: &[u8], email: &str, list_id: &str) -> String {
    hex(&mac(secret, &["verp", &comparable(email), list_id])
        .finalize()
        .into_bytes()[..10])
}

/// The week and address tag of a VERP token whose check is right; `None` when it is not a
/// token of ours (damaged, or made up).
pub fn check_verp(secret: &[u8], token: &str) -> Option<(String, String)> {
    let mut parts = token.split('.');
    let (week, tag, check) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || tag.len() != 20 {
        return None;
    }
    let bytes = unhex(&check.to_ascii_lowercase())?;
    let expected = mac(secret, &["verp-check", week, &tag.to_ascii_lowercase()])
        .finalize()
        .into_bytes();
    // Constant time is not needed for a 4-byte check that only filters out noise, but the
    // comparison is cheap either way.
    (bytes.len() == 4 && bytes[..] == expected[..4])
        .then(|| (week.to_owned(), tag.to_ascii_lowercase()))
}

/// The signature of a counted link ([`crate::mail::clicks`]): 128 bits of HMAC-SHA256 over
/// the list, the issue, the story and the target URL, unpadded base64url (22 characters). The
/// link is the same for every reader, so it names nobody; the signature makes `listen`
/// redirect only to a URL the newsletter itself sent.
pub fn click(secret: &[u8], list_id: &str, week: &str, story: &str, target: &str) -> String {
    use base64::Engine as _;
    let bytes = mac(secret, &["click", list_id, week, story, target])
        .finalize()
        .into_bytes();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..16])
}

/// Whether `signature` is [`click`]'s for these values, compared in constant time; a
/// truncated or padded signature is refused.
pub fn click_is_valid(
    secret: &[u8],
    list_id: &str,
    (week, story, target): (&str, &str, &str),
    signature: &str,
) -> bool {
    use base64::Engine as _;
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else {
        return false;
    };
    bytes.len() == 16
        && mac(secret, &["click", list_id, week, story, target])
            .verify_truncated_left(&bytes)
            .is_ok()
}

/// The check of the issue an unsubscribe link came from (`i=<week>.<check>`): 64 bits of
/// HMAC over the list, the reader's address and the issue, so the count of "left after issue
/// 12" cannot be moved by editing the link. A link without it still unsubscribes.
pub fn unsubscribe_issue(secret: &[u8], email: &str, list_id: &str, week: &str) -> String {
    hex(&mac(
        secret,
        &["unsubscribe-issue", list_id, &comparable(email), week],
    )
    .finalize()
    .into_bytes()[..8])
}

/// The issue of an unsubscribe link's `i` value when its check is right for `email`.
pub fn check_unsubscribe_issue(
    secret: &[u8],
    email: &str,
    list_id: &str,
    value: &str,
) -> Option<String> {
    let (week, check) = value.rsplit_once('.')?;
    let bytes = unhex(check)?;
    let valid = bytes.len() == 8
        && week.len() <= 16
        && mac(
            secret,
            &["unsubscribe-issue", list_id, &comparable(email), week],
        )
        .verify_truncated_left(&bytes)
        .is_ok();
    valid.then(|| week.to_owned())
}

/// The hashes an erased address is kept as: a keyed hash of the address as mail systems
/// compare it, and (for records made before they were keyed) a keyed hash of the unkeyed
/// 128-bit hash earlier versions kept, to which `Store::open` re-keys those records. Without
/// the secret, nobody can test an address against them.
pub fn erasure_hashes(secret: &[u8], email: &str) -> [String; 2] {
    [
        hex(&mac(secret, &["forgotten", &comparable(email)])
            .finalize()
            .into_bytes()),
        legacy_erasure_hash(
            secret,
            &format!("{:032x}", crate::audience::address::address_key(email)),
        ),
    ]
}

/// An erasure record of an earlier version (`old`, an unkeyed hash), keyed.
pub fn legacy_erasure_hash(secret: &[u8], old: &str) -> String {
    hex(&mac(secret, &["forgotten-v1", old]).finalize().into_bytes())
}

/// The Message-ID of `email`'s copy of issue `week` (`2026-w25`) on `list_id`, at `domain`:
/// `<2026-w25.<tag>.<check>@domain>`, where the tag is the address's VERP tag (a keyed hash,
/// never the address) and the check signs week and tag in a context of its own. Only someone
/// who received that message can quote it, and [`check_message_id`] tells whose it was. It
/// shares nothing with the unsubscribe token, which stays out of headers that travel. A
/// deliberate re-send (`round`) adds `.r<round>`, which the check ignores.
pub fn message_id(
    secret: &[u8],
    (email, list_id): (&str, &str),
    week: &str,
    round: Option<u64>,
    domain: &str,
) -> String {
    let week = week.to_ascii_lowercase();
    let tag = verp_tag(secret, email, list_id);
    let check = message_id_check(secret, list_id, &week, &tag);
    let round = round.map(|r| format!(".r{r}")).unwrap_or_default();
    format!("<{week}.{tag}.{check}{round}@{domain}>")
}

fn message_id_check(secret: &[u8], list_id: &str, week: &str, tag: &str) -> String {
    hex(&mac(secret, &["message-id", list_id, week, tag])
        .finalize()
        .into_bytes()[..8])
}

/// The issue (as the Message-ID writes it, `2026-w25`) and the VERP tag of the reader a
/// Message-ID of ours ([`message_id`]) was made for, when its check is right; `None` for any
/// other Message-ID.
pub fn check_message_id(secret: &[u8], list_id: &str, id: &str) -> Option<(String, String)> {
    let local = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .split('@')
        .next()?
        .to_ascii_lowercase();
    let mut parts = local.split('.');
    let (week, tag, check) = (parts.next()?, parts.next()?, parts.next()?);
    if !parts.all(|p| p.starts_with('r')) || tag.len() != 20 || check.len() != 16 {
        return None;
    }
    let expected = message_id_check(secret, list_id, week, tag);
    // Compared in constant time: the check is what makes the Message-ID proof.
    let same = expected
        .bytes()
        .zip(check.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    (same == 0).then(|| (week.to_owned(), tag.to_owned()))
}

/// The tag of a Message-ID that earlier versions made: the week, then the first 16 hex
/// digits of the reader's unsubscribe token (`<2026-w25.3f2a9c…@domain>`). Reports that quote
/// messages sent before keyed Message-IDs are still recognised by it.
pub fn legacy_message_id_tag(id: &str) -> Option<String> {
    let local = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .split('@')
        .next()?
        .to_ascii_lowercase();
    let mut parts = local.split('.');
    let (_week, tag) = (parts.next()?, parts.next()?);
    (parts.all(|p| p.starts_with('r'))
        && tag.len() == 16
        && tag.bytes().all(|b| b.is_ascii_hexdigit()))
    .then(|| tag.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn an_unsubscribe_reference_opens_to_its_address_on_its_list_only() {
        let list = "news.example.org";
        let reference = unsubscribe_ref(SECRET, "Ann@Bücher.de", list);
        // Opaque: neither the address nor its domain is in it, and it is URL-safe.
        assert!(!reference.to_lowercase().contains("ann") && !reference.contains("bcher"));
        assert!(
            reference
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_eq!(
            open_unsubscribe_ref(SECRET, list, &reference).as_deref(),
            Some("ann@xn--bcher-kva.de")
        );
        // The same for every message; another reader's differs.
        assert_eq!(
            reference,
            unsubscribe_ref(SECRET, "ann@xn--bcher-kva.de", list)
        );
        assert_ne!(reference, unsubscribe_ref(SECRET, "bob@example.org", list));
        // Another list, another secret, or one changed character: nobody.
        assert_eq!(
            open_unsubscribe_ref(SECRET, "other.example.org", &reference),
            None
        );
        assert_eq!(
            open_unsubscribe_ref(b"another secret, just as long....", list, &reference),
            None
        );
        let mut tampered = reference.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            open_unsubscribe_ref(SECRET, list, &String::from_utf8(tampered).unwrap()),
            None
        );
        for junk in ["", "x", "%%%", &"A".repeat(2000)] {
            assert_eq!(open_unsubscribe_ref(SECRET, list, junk), None, "{junk}");
        }
    }

    #[test]
    fn an_unsubscribe_token_works_for_its_address_only() {
        let token = unsubscribe(SECRET, "Ann@Bücher.de", "news.example.org");
        assert!(unsubscribe_is_valid(
            SECRET,
            "ann@xn--bcher-kva.de",
            "news.example.org",
            &token
        ));
        assert!(!unsubscribe_is_valid(
            SECRET,
            "bob@example.org",
            "news.example.org",
            &token
        ));
        assert!(!unsubscribe_is_valid(
            SECRET,
            "ann@bücher.de",
            "other.example.org",
            &token
        ));
        assert!(!unsubscribe_is_valid(
            b"another secret!!",
            "ann@bücher.de",
            "news.example.org",
            &token
        ));
        assert!(!unsubscribe_is_valid(
            SECRET,
            "ann@bücher.de",
            "news.example.org",
            &token[..62]
        ));
        assert!(!unsubscribe_is_valid(
            SECRET,
            "ann@bücher.de",
            "news.example.org",
            "zz"
        ));
        assert!(!unsubscribe_is_valid(
            SECRET,
            "ann@bücher.de",
            "news.example.org",
            "é"
        ));
    }

    #[test]
    fn a_verp_token_names_its_address_and_week_and_cannot_be_made_up() {
        let token = verp(SECRET, "Ann@Example.org", "l.example.org", "2026w25");
        assert_eq!(format!("bounces+{token}").len(), 45);
        let (week, tag) = check_verp(SECRET, &token).unwrap();
        assert_eq!(week, "2026w25");
        assert_eq!(tag, verp_tag(SECRET, "ann@example.org", "l.example.org"));
        // Mail servers may change the case of a local part.
        assert!(check_verp(SECRET, &token.to_uppercase().replace('W', "w")).is_some());
        let forged = token.replace("2026w25", "2026w26");
        assert_eq!(check_verp(SECRET, &forged), None);
        assert_eq!(check_verp(b"another secret!!", &token), None);
        assert_eq!(check_verp(SECRET, "2026w25.abc.def"), None);
    }

    #[test]
    fn a_message_id_names_its_reader_and_shares_nothing_with_the_unsubscribe_token() {
        let list = "l.example.org";
        let id = message_id(
            SECRET,
            ("Ann@Example.org", list),
            "2026-W25",
            None,
            "news.org",
        );
        assert!(
            id.starts_with("<2026-w25.") && id.ends_with("@news.org>"),
            "{id}"
        );
        assert_eq!(
            check_message_id(SECRET, list, &id),
            Some((
                "2026-w25".to_owned(),
                verp_tag(SECRET, "ann@example.org", list)
            ))
        );
        let resent = message_id(
            SECRET,
            ("ann@example.org", list),
            "2026-w25",
            Some(7),
            "news.org",
        );
        assert_ne!(resent, id);
        assert_eq!(
            check_message_id(SECRET, list, &resent),
            check_message_id(SECRET, list, &id)
        );
        // Made up, or another newsletter's: no reader.
        assert_eq!(check_message_id(b"another secret!!", list, &id), None);
        assert_eq!(check_message_id(SECRET, "other.example.org", &id), None);
        let forged = id.replace("2026-w25", "2026-w26");
        assert_eq!(check_message_id(SECRET, list, &forged), None);
        assert_eq!(check_message_id(SECRET, list, "<abc@example.org>"), None);
        // No run of 8 characters of the unsubscribe token is in the Message-ID.
        for email in ["ann@example.org", "bob@example.org", "zoë@bücher.de"] {
            let id = message_id(SECRET, (email, list), "2026-w25", None, "news.org");
            let token = unsubscribe(SECRET, email, list);
            for start in 0..=token.len() - 8 {
                assert!(
                    !id.contains(&token[start..start + 8]),
                    "{id} shares {token}"
                );
            }
        }
        assert_eq!(
            legacy_message_id_tag("<2026-w25.3f2a9c0d1e2b4a5f@news.org>").as_deref(),
            Some("3f2a9c0d1e2b4a5f")
        );
        assert_eq!(legacy_message_id_tag(&id), None);
    }

    #[test]
    fn a_confirmation_expires_after_seven_days_and_never_unsubscribes() {
        let now = Utc::now();
        let issued = now.timestamp() - 3600;
        let token = confirmation(SECRET, "ann@example.org", "l.example.org", issued);
        let check = |email, issued, token: &str, now| {
            check_confirmation(SECRET, (email, "l.example.org"), issued, token, now)
        };
        assert_eq!(check("ann@example.org", issued, &token, now), Ok(()));
        assert_eq!(
            check("bob@example.org", issued, &token, now),
            Err(Refused::Invalid)
        );
        assert_eq!(
            check("ann@example.org", issued + 1, &token, now),
            Err(Refused::Invalid)
        );
        let later = now + CONFIRMATION_VALID;
        assert_eq!(
            check("ann@example.org", issued, &token, later),
            Err(Refused::Expired)
        );
        // The two kinds of token are never interchangeable.
        assert!(!unsubscribe_is_valid(
            SECRET,
            "ann@example.org",
            "l.example.org",
            &token
        ));
        let unsub = unsubscribe(SECRET, "ann@example.org", "l.example.org");
        assert_eq!(
            check("ann@example.org", issued, &unsub, now),
            Err(Refused::Invalid)
        );
    }

    #[test]
    fn a_click_signature_holds_for_its_own_link_only() {
        let link = ("2026-W25", "qwen", "https://example.org/a?b=1");
        let sig = click(SECRET, "list.example.org", link.0, link.1, link.2);
        assert_eq!(sig.len(), 22);
        assert!(click_is_valid(SECRET, "list.example.org", link, &sig));
        // Another target, story, issue, list or secret; cut short; padded.
        for (secret, list, other) in [
            (
                SECRET,
                "list.example.org",
                ("2026-W25", "qwen", "https://evil.example/"),
            ),
            (SECRET, "list.example.org", ("2026-W25", "other", link.2)),
            (SECRET, "list.example.org", ("2026-W26", "qwen", link.2)),
            (SECRET, "other.example.org", link),
            (
                &b"another newsletter's secret, 32b"[..],
                "list.example.org",
                link,
            ),
        ] {
            assert!(!click_is_valid(secret, list, other, &sig), "{other:?}");
        }
        assert!(!click_is_valid(
            SECRET,
            "list.example.org",
            link,
            &sig[..21]
        ));
        assert!(!click_is_valid(
            SECRET,
            "list.example.org",
            link,
            &format!("{sig}A")
        ));
        assert!(!click_is_valid(SECRET, "list.example.org", link, ""));
    }

    #[test]
    fn an_unsubscribe_issue_check_names_its_issue_for_its_reader_only() {
        let value = format!(
            "2026-W25.{}",
            unsubscribe_issue(SECRET, "Ann@Example.org", "l", "2026-W25")
        );
        assert_eq!(
            check_unsubscribe_issue(SECRET, "ann@example.org", "l", &value).as_deref(),
            Some("2026-W25")
        );
        assert_eq!(
            check_unsubscribe_issue(SECRET, "bob@example.org", "l", &value),
            None
        );
        let moved = value.replace("W25", "W26");
        assert_eq!(
            check_unsubscribe_issue(SECRET, "ann@example.org", "l", &moved),
            None
        );
        assert_eq!(
            check_unsubscribe_issue(SECRET, "ann@example.org", "l", "2026-W25"),
            None
        );
    }
}
