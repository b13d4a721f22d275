//! Email addresses as mail systems compare them: shared by the CSV lists, the subscriber
//! store, unsubscribe tokens and the journal.

/// A 128-bit hash of a lowercased address: two FNV-1a passes with different offsets.
pub fn address_key(email: &str) -> u128 {
    let lower = comparable(email);
    let fnv = |offset: u64| {
        lower.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    };
    (u128::from(fnv(0xcbf2_9ce4_8422_2325)) << 64) | u128::from(fnv(0x6c62_272e_07bb_0142))
}

/// `email` as mail systems compare it: the local part NFC-normalised and lower-cased, the
/// domain in its IDNA (punycode, lower-case) form, so `ann@bücher.de` and
/// `ann@xn--bcher-kva.de` are one address. Dedupe, the journal and unsubscribe tokens all
/// key on this.
pub fn comparable(email: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let email = email.trim();
    let Some((local, domain)) = email.rsplit_once('@') else {
        return email.to_lowercase();
    };
    let local: String = local.nfc().collect::<String>().to_lowercase();
    let domain = idna::domain_to_ascii(domain).unwrap_or_else(|_| domain.to_lowercase());
    format!("{local}@{domain}")
}

/// The first character of `email`'s local part that only looks like another (the KELVIN
/// SIGN `K` for `K`, a full-width `Ａ`, a ligature), and what it looks like: two lists
/// could then hold one reader twice, or two readers could share one token.
pub fn look_alike(email: &str) -> Option<(char, String)> {
    use unicode_normalization::UnicodeNormalization;
    let local = email.rsplit_once('@').map_or(email, |(local, _)| local);
    local.chars().find_map(|c| {
        let plain: String = std::iter::once(c).nfkc().collect();
        (plain.chars().ne(std::iter::once(c))).then_some((c, plain))
    })
}

/// Whether `email` is an address we will send to.
pub fn valid_address(email: &str) -> bool {
    !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && email.parse::<lettre::Address>().is_ok()
}
