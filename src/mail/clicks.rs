//! Counted links (`audience.clicks`): every web link of an issue's email, in the HTML part
//! and the text part, made to go through `briefing listen`, which counts it and redirects.
//!
//! A counted link is `{audience.url}c/<issue>/<story>/<signature>?to=<target>`: the issue,
//! the story it sits in (`-` outside the stories) and the target, signed with the
//! newsletter's secret ([`token::click`]), so `listen` redirects only to a URL the
//! newsletter sent. The link is the same in every reader's copy: rewriting happens once per
//! send, before any reader's name or unsubscribe link is filled in, so nothing in it can tell
//! readers apart. The published web pages keep their links as they are.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::audience::token;
use crate::error::{Error, Result};
use crate::mail::message::{Envelope, query_value};
use crate::publish::render::email::Letter;

/// The story segment of a link outside every story.
pub const NO_STORY: &str = "-";

/// Makes counted links for one newsletter.
pub struct Counter<'a> {
    /// `audience.url`, ending in `/`.
    base: &'a str,
    envelope: &'a Envelope,
}

impl<'a> Counter<'a> {
    /// Links that go through the `listen` at `base` (`audience.url`), signed with the key of
    /// `envelope`.
    pub fn new(base: &'a str, envelope: &'a Envelope) -> Counter<'a> {
        Counter { base, envelope }
    }

    /// The counted link of `target` in story `story` (its slug, or [`NO_STORY`]) of issue
    /// `week`.
    pub fn link(&self, week: &str, story: &str, target: &str) -> String {
        let signature = token::click(
            self.envelope.secret.as_bytes(),
            &self.envelope.list_id,
            week,
            story,
            target,
        );
        format!(
            "{}c/{}/{}/{signature}?to={}",
            self.base,
            query_value(week),
            query_value(story),
            query_value(target)
        )
    }

    /// Whether a link to `target` is counted: web links only, and not the service's own
    /// (the unsubscribe link counts its issue itself) nor a reader's placeholder.
    fn counts(&self, target: &str) -> bool {
        crate::content::url::check(target).is_ok()
            && !target.starts_with(self.base)
            && !target.contains("%%")
    }

    /// `letter` with every web link counted: in its HTML parts each `<a href>` and `<area
    /// href>` (the story is the `class="story"` element with an `id` around it), in its text
    /// parts every URL the HTML links to, where it stands as a URL of its own.
    ///
    /// # Errors
    ///
    /// [`Error::CountLinks`] when the HTML cannot be rewritten.
    pub fn count(&self, mut letter: Letter) -> Result<Letter> {
        let mut stories = HashMap::new();
        letter.named.0 = self.html(&letter.week, &letter.named.0, &mut stories)?;
        letter.anonymous.0 = self.html(&letter.week, &letter.anonymous.0, &mut stories)?;
        letter.named.1 = self.text(&letter.week, &letter.named.1, &stories);
        letter.anonymous.1 = self.text(&letter.week, &letter.anonymous.1, &stories);
        Ok(letter)
    }

    /// `html` with its links counted; each target's first story goes into `stories`.
    fn html(
        &self,
        week: &str,
        html: &str,
        stories: &mut HashMap<String, String>,
    ) -> Result<String> {
        use lol_html::{RewriteStrSettings, element, rewrite_str};
        let story: Rc<RefCell<Option<String>>> = Rc::default();
        let found = RefCell::new(std::mem::take(stories));
        let settings = RewriteStrSettings::new()
            .append_element_content_handler(element!(".story[id]", |el| {
                *story.borrow_mut() = el.get_attribute("id");
                let story = Rc::clone(&story);
                el.on_end_tag(lol_html::end_tag!(move |_| {
                    *story.borrow_mut() = None;
                    Ok(())
                }))?;
                Ok(())
            }))
            .append_element_content_handler(element!("a[href], area[href]", |el| {
                let Some(href) = el.get_attribute("href") else {
                    return Ok(());
                };
                // lol_html gives the value as written, entities and all.
                let target = html_escape::decode_html_entities(&href).into_owned();
                if !self.counts(&target) {
                    return Ok(());
                }
                let here = story
                    .borrow()
                    .clone()
                    .unwrap_or_else(|| NO_STORY.to_owned());
                found
                    .borrow_mut()
                    .entry(target.clone())
                    .or_insert_with(|| here.clone());
                el.set_attribute("href", &self.link(week, &here, &target))?;
                Ok(())
            }));
        let out = rewrite_str(html, settings).map_err(|e| Error::CountLinks {
            detail: e.to_string(),
        })?;
        *stories = found.into_inner();
        Ok(out)
    }

    /// `text` with each URL of `stories` counted where it stands on its own: after the start,
    /// a space or an opening bracket, and before the end, a space, a closing bracket or a
    /// sentence's last stop. Longer URLs first, so one that begins another is not taken
    /// from inside it.
    fn text(&self, week: &str, text: &str, stories: &HashMap<String, String>) -> String {
        let mut targets: Vec<(&String, &String)> = stories.iter().collect();
        targets.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        // (start, end, replacement), none overlapping.
        let mut found: Vec<(usize, usize, String)> = Vec::new();
        for (target, story) in targets {
            for start in memchr::memmem::find_iter(text.as_bytes(), target.as_bytes()) {
                let end = start + target.len();
                let taken = found.iter().any(|&(s, e, _)| start < e && s < end);
                if !taken && stands_alone(text, start, end) {
                    found.push((start, end, self.link(week, story, target)));
                }
            }
        }
        found.sort_by_key(|&(start, _, _)| start);
        let mut out = String::with_capacity(text.len() + found.len() * 100);
        let mut at = 0;
        for (start, end, link) in found {
            out.push_str(&text[at..start]);
            out.push_str(&link);
            at = end;
        }
        out.push_str(&text[at..]);
        out
    }
}

/// Whether `text[start..end]` is a URL of its own, not part of a longer one.
fn stands_alone(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let mut after = text[end..].chars();
    let opens = before.is_none_or(|c| c.is_whitespace() || "<([{\"'".contains(c));
    let closes = match after.next() {
        None => true,
        Some(c) if c.is_whitespace() || ">)]}\"'".contains(c) => true,
        Some(c) if ".,;:!?".contains(c) => after.next().is_none_or(char::is_whitespace),
        Some(_) => false,
    };
    opens && closes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audience::secret::Key;

    fn envelope() -> Envelope {
        Envelope {
            from: "vff Briefing <briefing@example.org>".parse().unwrap(),
            reply_to: None,
            list_id: "vff.example.org".into(),
            list_name: "vff Briefing".into(),
            unsubscribe_url: Some("https://news.example.org/list/unsubscribe?u={ref}".into()),
            unsubscribe_mailto: None,
            secret: Key::new(b"0123456789abcdef0123456789abcdef".to_vec()),
            message_id_domain: "example.org".into(),
            bounce_address: None,
            own_unsubscribe: true,
        }
    }

    const BASE: &str = "https://news.example.org/list/";

    fn letter(html: &str, text: &str) -> Letter {
        Letter {
            subject: "s".into(),
            week: "2026-W25".into(),
            named: (html.into(), text.into()),
            anonymous: (html.into(), text.into()),
        }
    }

    #[test]
    fn links_in_stories_name_their_story_and_the_rest_none() {
        let envelope = envelope();
        let counter = Counter::new(BASE, &envelope);
        let html = r#"<p><a href="https://example.org/issue">View</a></p>
<div class="story" id="qwen"><h2><a href="https://example.org/qwen/">Qwen</a></h2>
<p>See <a href="https://src.example/a?x=1&amp;y=2">the paper</a>, <a href="mailto:a@b.c">mail</a>.</p></div>
<p><a href="%%UNSUBSCRIBE_URL%%">Unsubscribe</a> <a href="https://news.example.org/list/subscribe">Sign up</a></p>"#;
        let text = "View: https://example.org/issue\nQwen https://example.org/qwen/.\n\
                    Source: https://src.example/a?x=1&y=2\nNot: https://example.org/issue/more\n";
        let out = counter.count(letter(html, text)).unwrap();
        let story = counter.link("2026-W25", "qwen", "https://src.example/a?x=1&y=2");
        assert!(
            out.named.0.contains(&format!("href=\"{story}\"")),
            "{}",
            out.named.0
        );
        let header = counter.link("2026-W25", NO_STORY, "https://example.org/issue");
        assert!(out.named.0.contains(&header));
        assert!(story.starts_with("https://news.example.org/list/c/2026-W25/qwen/"));
        // Left alone: mail, the reader's placeholder, the service's own pages.
        for kept in [
            "mailto:a@b.c",
            "%%UNSUBSCRIBE_URL%%",
            "https://news.example.org/list/subscribe",
        ] {
            assert!(out.named.0.contains(&format!("href=\"{kept}\"")), "{kept}");
        }
        // The text part: the same links, its own-standing URLs only.
        assert!(out.named.1.contains(&format!("View: {header}\n")));
        assert!(out.named.1.contains(&format!("Source: {story}\n")));
        let page = counter.link("2026-W25", "qwen", "https://example.org/qwen/");
        assert!(
            out.named.1.contains(&format!("Qwen {page}.\n")),
            "{}",
            out.named.1
        );
        assert!(
            out.named
                .1
                .contains("Not: https://example.org/issue/more\n")
        );
        assert_eq!(out.named, out.anonymous);
    }

    #[test]
    fn a_link_names_nobody_and_is_the_same_for_every_reader() {
        let envelope = envelope();
        let counter = Counter::new(BASE, &envelope);
        let html = r#"<a href="https://example.org/">x</a>"#;
        let once = counter.count(letter(html, "")).unwrap();
        let again = counter.count(letter(html, "")).unwrap();
        assert_eq!(once.named.0, again.named.0);
    }

    #[test]
    fn any_entity_in_a_link_is_read_as_the_url_it_stands_for() {
        let envelope = envelope();
        let counter = Counter::new(BASE, &envelope);
        let html = r#"<a href="https://example.org/caf&eacute;?a=1&amp;b=&#50;">x</a>"#;
        let out = counter.count(letter(html, "")).unwrap();
        let link = counter.link("2026-W25", NO_STORY, "https://example.org/café?a=1&b=2");
        assert!(out.named.0.contains(&link), "{}", out.named.0);
    }
}
