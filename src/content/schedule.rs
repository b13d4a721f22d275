//! Groups validated stories into weekly issues.
//!
//! Takes stories, `issue.yaml` settings and the config; returns [`Issue`]s in week order, each
//! numbered, its stories ordered (by `order`, then date, then title) and its subject,
//! preheader and intro settled. Pure: no I/O, no clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::content::config::Config;
use crate::content::issue::{IssueId, IssueMeta};
use crate::content::markdown;
use crate::content::story::Story;
use crate::diagnostic::{Diagnostic, Severity};

/// The length inbox previews show; a derived preheader is cut near it.
pub const PREHEADER_CHARS: usize = 95;

/// One weekly issue, ready to render.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    /// The ISO week.
    pub id: IssueId,
    /// The printed number.
    pub number: u32,
    /// Email subject and page title.
    pub subject: String,
    /// The issue's headline on its page and in its email: the `issue.yaml` subject, else the
    /// newsletter's title and the issue's number (the lead story's title is the first story's
    /// heading already).
    pub heading: String,
    /// The inbox preview line.
    pub preheader: String,
    /// The editor's note, Markdown.
    pub intro: Option<String>,
    /// The stories, in reading order; the first is the lead.
    ///
    /// Shared, not copied: `serve` keeps each unchanged card's story between rebuilds, and
    /// comparing two builds' issues is a pointer comparison for those.
    pub stories: Vec<Arc<Story>>,
    /// When `send --due` sends it (`issue.yaml`'s `send_at`, in config's time zone).
    pub send_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Issue {
    /// The stories grouped under their sections, in reading order. Stories without a section
    /// form a group with no name; a group appears where its first story does.
    pub fn sections(&self) -> Vec<(Option<&str>, Vec<&Story>)> {
        let mut groups: Vec<(Option<&str>, Vec<&Story>)> = Vec::new();
        for story in &self.stories {
            let name = story.section.as_deref();
            match groups.iter_mut().find(|(n, _)| *n == name) {
                Some((_, list)) => list.push(story),
                None => groups.push((name, vec![story])),
            }
        }
        groups
    }

    /// The stories as a reader meets them: grouped under their sections.
    pub fn in_reading_order(&self) -> impl Iterator<Item = &Story> {
        self.sections().into_iter().flat_map(|(_, stories)| stories)
    }
}

/// Groups `stories` into issues. Drafts are left out unless `drafts` is true.
///
/// # Errors
///
/// Diagnostics when two issues end up with the same number.
pub fn assemble(
    stories: Vec<Arc<Story>>,
    meta: &BTreeMap<IssueId, IssueMeta>,
    config: &Config,
    drafts: bool,
) -> Result<Vec<Issue>, Vec<Diagnostic>> {
    let mut weeks: BTreeMap<IssueId, Vec<Arc<Story>>> = BTreeMap::new();
    // Moved, not copied: ten thousand cards' text copied on one thread was a pause in builds.
    for story in stories.into_iter().filter(|s| drafts || !s.draft) {
        weeks.entry(story.issue_id()).or_default().push(story);
    }
    let mut issues = Vec::with_capacity(weeks.len());
    let mut next_number = config.first_issue_number;
    let mut numbered: BTreeMap<u32, IssueId> = BTreeMap::new();
    let mut problems = Vec::new();
    for (id, mut stories) in weeks {
        stories.sort_by(|a, b| {
            (a.order.is_none(), a.order, a.date, &a.title).cmp(&(
                b.order.is_none(),
                b.order,
                b.date,
                &b.title,
            ))
        });
        let meta = meta.get(&id);
        let number = meta.and_then(|m| m.number).unwrap_or(next_number);
        next_number = number.saturating_add(1);
        if let Some(other) = numbered.insert(number, id) {
            let (path, pos) = meta.map_or_else(
                || ("briefs".into(), crate::diagnostic::Pos::START),
                |m| (m.path.clone(), m.number_pos),
            );
            problems.push(Diagnostic {
                severity: Severity::Error,
                path,
                pos,
                message: format!("issue {id} would be number {number}, like issue {other}"),
                help: Some(format!(
                    "numbers run on from the last override; set `number:` in briefs/{other}/issue.yaml too, or change this one"
                )),
                line_text: None,
            });
        }
        let lead = &stories[0];
        let subject = meta
            .and_then(|m| m.subject.clone())
            .unwrap_or_else(|| lead.title.clone());
        let preheader = meta
            .and_then(|m| m.preheader.clone())
            .unwrap_or_else(|| derive_preheader(&lead.summary));
        let heading = meta
            .and_then(|m| m.subject.clone())
            .unwrap_or_else(|| format!("{}, issue {number}", config.title));
        let send_at = meta.and_then(|m| {
            let at = m.send_at?;
            at.resolve(config.timezone)
                .map_err(|message| {
                    problems.push(Diagnostic {
                        severity: Severity::Error,
                        path: m.path.clone(),
                        pos: at.pos,
                        message,
                        help: Some(
                            "pick a time the clocks show that day, or give an offset, e.g. `2026-03-29T03:30+02:00`"
                                .to_owned(),
                        ),
                        line_text: None,
                    });
                })
                .ok()
        });
        issues.push(Issue {
            id,
            send_at,
            number,
            subject,
            heading,
            preheader,
            intro: meta.and_then(|m| m.intro.clone()),
            stories,
        });
    }
    if problems.is_empty() {
        Ok(issues)
    } else {
        Err(problems)
    }
}

/// The start of `summary` as plain text, cut at a word boundary near [`PREHEADER_CHARS`].
pub fn derive_preheader(summary: &str) -> String {
    preheader_of_line(&markdown::to_plain_line(summary))
}

/// The start of `text`, a summary as [`markdown::to_plain_line`] makes it, cut as
/// [`derive_preheader`] cuts it.
pub fn preheader_of_line(text: &str) -> String {
    if text.chars().count() <= PREHEADER_CHARS {
        return text.to_owned();
    }
    let mut cut = String::new();
    let mut cut_chars = 0;
    for word in text.split(' ') {
        let word_chars = word.chars().count();
        if cut_chars + word_chars + 1 > PREHEADER_CHARS - 1 {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
            cut_chars += 1;
        }
        cut.push_str(word);
        cut_chars += word_chars;
    }
    let cut = cut.trim_end_matches([',', ';', ':', '.', '-', '—', '–']);
    format!("{cut}…")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The stories as `assemble` takes them.
    pub(crate) fn shared(stories: &[Story]) -> Vec<Arc<Story>> {
        stories.iter().cloned().map(Arc::new).collect()
    }

    pub(crate) fn story(
        title: &str,
        date: &str,
        order: Option<i64>,
        section: Option<&str>,
    ) -> Story {
        Story {
            order,
            section: section.map(str::to_owned),
            ..Story::example(title, date)
        }
    }

    pub(crate) fn config(first: u32) -> Config {
        let mut config = crate::content::config::parse(
            std::path::Path::new("config.yaml"),
            "title: T\nbase_url: https://example.org/\nfrom: T <t@example.org>\n",
        )
        .unwrap();
        config.first_issue_number = first;
        config
    }

    #[test]
    fn groups_by_iso_week_across_the_year_boundary_and_numbers_in_order() {
        let stories = [
            story("Late", "2027-01-01", None, None),
            story("Early", "2026-12-20", None, None),
            story("Boundary", "2025-12-30", None, None),
        ];
        let issues = assemble(shared(&stories), &BTreeMap::new(), &config(7), false).unwrap();
        let found: Vec<(String, u32)> = issues
            .iter()
            .map(|i| (i.id.to_string(), i.number))
            .collect();
        assert_eq!(
            found,
            [
                ("2026-W01".into(), 7),
                ("2026-W51".into(), 8),
                ("2026-W53".into(), 9)
            ]
        );
    }

    #[test]
    fn orders_by_order_then_date_then_title() {
        let stories = [
            story("B", "2026-06-16", None, None),
            story("A", "2026-06-16", None, None),
            story("Z", "2026-06-18", Some(2), None),
            story("Y", "2026-06-19", Some(1), None),
            story("C", "2026-06-15", None, None),
        ];
        let issues = assemble(shared(&stories), &BTreeMap::new(), &config(1), false).unwrap();
        let titles: Vec<&str> = issues[0].stories.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Y", "Z", "C", "A", "B"]);
        assert_eq!(
            issues[0].subject, "Y",
            "the lead story's title is the default subject"
        );
    }

    #[test]
    fn drafts_are_left_out_unless_asked_for() {
        let mut draft = story("Draft", "2026-06-16", None, None);
        draft.draft = true;
        let stories = [story("Published", "2026-06-16", None, None), draft];
        let without = assemble(shared(&stories), &BTreeMap::new(), &config(1), false).unwrap();
        assert_eq!(without[0].stories.len(), 1);
        let with = assemble(shared(&stories), &BTreeMap::new(), &config(1), true).unwrap();
        assert_eq!(with[0].stories.len(), 2);
    }

    #[test]
    fn issue_files_override_number_subject_and_preheader() {
        let stories = [
            story("A", "2026-06-16", None, None),
            story("B", "2026-06-23", None, None),
        ];
        let id = IssueId::parse("2026-W25").unwrap();
        let meta = BTreeMap::from([(
            id,
            IssueMeta {
                subject: Some("Custom".into()),
                preheader: Some("Pre".into()),
                number: Some(40),
                ..IssueMeta::default()
            },
        )]);
        let issues = assemble(shared(&stories), &meta, &config(1), false).unwrap();
        assert_eq!(
            (issues[0].number, issues[0].subject.as_str()),
            (40, "Custom")
        );
        assert_eq!(issues[1].number, 41, "numbers run on from an override");
        assert_eq!(issues[1].preheader, "Summary of B.");
    }

    #[test]
    fn a_number_going_backwards_onto_another_issue_is_an_error() {
        let stories = [
            story("A", "2026-06-16", None, None),
            story("B", "2026-06-23", None, None),
        ];
        let meta = BTreeMap::from([(
            IssueId::parse("2026-W26").unwrap(),
            IssueMeta {
                number: Some(1),
                path: "briefs/2026-W26/issue.yaml".into(),
                ..IssueMeta::default()
            },
        )]);
        let problems = assemble(shared(&stories), &meta, &config(1), false).unwrap_err();
        assert_eq!(
            problems[0].headline(),
            "briefs/2026-W26/issue.yaml:1:1: error: issue 2026-W26 would be number 1, like issue 2026-W25"
        );
    }

    #[test]
    fn sections_group_in_order_of_first_appearance() {
        let stories = [
            story("A", "2026-06-15", Some(1), Some("Models")),
            story("B", "2026-06-15", Some(2), Some("Chips")),
            story("C", "2026-06-15", Some(3), Some("Models")),
        ];
        let issues = assemble(shared(&stories), &BTreeMap::new(), &config(1), false).unwrap();
        let sections: Vec<(Option<&str>, usize)> = issues[0]
            .sections()
            .iter()
            .map(|(n, s)| (*n, s.len()))
            .collect();
        assert_eq!(sections, [(Some("Models"), 2), (Some("Chips"), 1)]);
    }

    #[test]
    fn derived_preheaders_are_cut_at_a_word() {
        let long = "Junyang Lin, who led Alibaba's **Qwen** models until March, has founded an AI lab that raised several hundred million dollars.";
        let pre = derive_preheader(long);
        assert!(pre.chars().count() <= PREHEADER_CHARS, "{pre}");
        assert!(
            pre.ends_with('…') && pre.starts_with("Junyang Lin, who led Alibaba\u{2019}s Qwen"),
            "{pre}"
        );
    }
}
