//! URL-safe identifiers derived from free text: story slugs and tag slugs.

/// The longest slug derived from a title, in bytes; longer ones are cut at a dash.
pub const MAX_LEN: usize = 72;

/// Derives a slug from `text`: transliterated to ASCII (`Zürich` → `zurich`, `北京` →
/// `bei-jing`), lowercased, with every run of other characters turned into one dash. An
/// apostrophe after a letter or digit is dropped, so words keep their shape: `T-Head's` →
/// `t-heads`, not `t-head-s`.
///
/// Returns an empty string when nothing of `text` survives (only symbols or emoji).
pub fn slugify(text: &str) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    for c in text.chars() {
        let apostrophe = matches!(c, '\'' | '\u{2019}' | '\u{02bc}');
        if !(apostrophe && previous.is_some_and(char::is_alphanumeric)) {
            kept.push(c);
        }
        previous = Some(c);
    }
    slugify_legacy(&kept)
}

/// The slug earlier versions derived, which made every apostrophe a dash (`t-head-s`).
/// Stories whose slug changed keep a redirect from this one, and `follows_up` accepts watch
/// item ids made from it.
pub fn slugify_legacy(text: &str) -> String {
    // ASCII transliterates to itself (DEL aside, which it drops): most titles and tags need
    // no transliteration.
    let ascii = if text.bytes().all(|b| b < 0x7f) {
        std::borrow::Cow::Borrowed(text)
    } else {
        // Symbols and emoji would transliterate to words (`🚀` → `rocket`); drop them instead.
        let letters: String = text
            .chars()
            .map(|c| {
                if c.is_ascii() || c.is_alphanumeric() {
                    c
                } else {
                    ' '
                }
            })
            .collect();
        std::borrow::Cow::Owned(deunicode::deunicode_with_tofu(&letters, "-"))
    };
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if c == '+' {
            // `c++` and `c` must not collide as tags.
            slug.push_str("-plus-");
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug = slug
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if slug.len() > MAX_LEN {
        let cut = slug[..MAX_LEN].rfind('-').unwrap_or(MAX_LEN);
        slug.truncate(cut);
    }
    slug
}

/// The URL name of a tag: its slug, or for a tag of only symbols (`🚀`) a name built from its
/// bytes, so that every tag gets a page of its own.
pub fn tag_slug(tag: &str) -> String {
    let slug = slugify(tag);
    if !slug.is_empty() {
        return slug;
    }
    let hex: String = tag.bytes().take(16).map(|b| format!("{b:02x}")).collect();
    format!("tag-{hex}")
}

/// Whether `slug` has the shape `[a-z0-9]+(-[a-z0-9]+)*`.
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugifies_titles() {
        assert_eq!(
            slugify("Alibaba's Qwen Lead Launches AI Lab, Targets $2B Valuation"),
            "alibabas-qwen-lead-launches-ai-lab-targets-2b-valuation"
        );
        assert_eq!(slugify("T-Head\u{2019}s Zhenwu"), "t-heads-zhenwu");
        assert_eq!(
            slugify("Rock 'n' roll, the students' view"),
            "rock-n-roll-the-students-view"
        );
        assert_eq!(
            slugify_legacy("Alibaba's Qwen"),
            "alibaba-s-qwen",
            "what earlier versions made"
        );
        assert_eq!(slugify("  Zürich: Café résumé  "), "zurich-cafe-resume");
        assert_eq!(slugify("北京"), "bei-jing");
        assert_eq!(slugify("c++"), "c-plus-plus");
        assert_eq!(slugify("C"), "c");
        assert_eq!(slugify("🚀🚀"), "");
    }

    #[test]
    fn ascii_is_its_own_transliteration() {
        // `slugify` skips transliterating ASCII text below DEL; that is only right while each
        // of those characters transliterates to itself.
        let all: String = (0u8..0x7f).map(char::from).collect();
        assert_eq!(deunicode::deunicode_with_tofu(&all, "-"), all);
        assert_eq!(deunicode::deunicode_with_tofu("a\x7fb", "-"), "ab");
        assert_eq!(slugify("a\x7fb"), "ab");
    }

    #[test]
    fn every_tag_gets_a_url_safe_slug() {
        assert_eq!(tag_slug("c++"), "c-plus-plus");
        assert_eq!(tag_slug("AI Labs"), "ai-labs");
        assert_eq!(tag_slug("人工智能"), "ren-gong-zhi-neng");
        assert_eq!(tag_slug("🚀"), "tag-f09f9a80");
        assert!(is_valid(&tag_slug("🚀")));
    }

    #[test]
    fn long_titles_are_cut_at_a_dash() {
        let slug = slugify(&"word ".repeat(40));
        assert!(slug.len() <= MAX_LEN);
        assert!(is_valid(&slug));
    }

    #[test]
    fn validates_slug_shape() {
        assert!(is_valid("qwen-3-5-small"));
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "ä"] {
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
