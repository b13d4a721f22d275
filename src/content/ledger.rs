//! What became of each "What to watch" item, across issues.
//!
//! Takes the assembled issues (so drafts are in only when the build asks for them); returns a
//! [`Ledger`]: every watch item with the stories that followed it up, in date order. Whether an
//! item is open, resolved, overdue or stale is always asked "as of" a date, so the same cards
//! give the same site whatever day it is built. Pure: no I/O, no clock.

use chrono::NaiveDate;

use crate::content::schedule::Issue;
use crate::content::story::{FollowUp, Story, WatchItem};

/// One watch item and what followed it.
#[derive(Debug)]
pub struct Tracked<'s> {
    /// The item.
    pub item: &'s WatchItem,
    /// The story that said to watch it.
    pub story: &'s Story,
    /// Index of that story's issue.
    pub issue: usize,
    /// Every follow-up, oldest first.
    pub mentions: Vec<Mention<'s>>,
    /// The date of the first follow-up that resolved it.
    resolved_on: Option<NaiveDate>,
}

/// A later story's follow-up of an item.
#[derive(Debug, Clone, Copy)]
pub struct Mention<'s> {
    /// The later story.
    pub story: &'s Story,
    /// Index of its issue.
    pub issue: usize,
    /// What it says about the item.
    pub follow_up: &'s FollowUp,
}

/// Where an item stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Settled by a story dated on or before the day.
    Resolved,
    /// Open, and its due date has passed.
    Overdue,
    /// Open, with no due date, and older than the configured number of weeks.
    Stale,
    /// Open.
    Open,
}

impl State {
    /// `resolved`, `overdue`, `stale` or `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Resolved => "resolved",
            State::Overdue => "overdue",
            State::Stale => "stale",
            State::Open => "open",
        }
    }

    /// Whether the item is still open, overdue or not.
    pub fn is_open(self) -> bool {
        self != State::Resolved
    }

    /// Whether the item wants the reader's attention: overdue or stale.
    pub fn needs_attention(self) -> bool {
        matches!(self, State::Overdue | State::Stale)
    }
}

impl Tracked<'_> {
    /// The story that settled the item on or before `as_of`.
    pub fn resolved_by(&self, as_of: NaiveDate) -> Option<&Mention<'_>> {
        self.mentions
            .iter()
            .find(|m| m.follow_up.resolved && m.story.date <= as_of)
    }

    /// Whole weeks from the story's date to `as_of`.
    pub fn age_weeks(&self, as_of: NaiveDate) -> i64 {
        (as_of - self.story.date).num_days().max(0) / 7
    }

    /// Where the item stands on `as_of`. An item with a due date is overdue once the date has
    /// passed; one without is stale after `stale_weeks`.
    pub fn state(&self, as_of: NaiveDate, stale_weeks: u32) -> State {
        // The same answer as `resolved_by`, without walking the mentions: it runs for every
        // earlier item of every issue.
        if self.resolved_on.is_some_and(|day| day <= as_of) {
            return State::Resolved;
        }
        match self.item.due {
            Some(due) if due.last_day() < as_of => State::Overdue,
            Some(_) => State::Open,
            None if self.age_weeks(as_of) >= i64::from(stale_weeks) => State::Stale,
            None => State::Open,
        }
    }
}

/// Every watch item of the published stories, oldest story first.
#[derive(Debug)]
pub struct Ledger<'s> {
    /// The items, by story date, then the story's reading order, then position on the card.
    pub items: Vec<Tracked<'s>>,
    /// Hashed with FxHash: ten thousand cards have tens of thousands of items, and SipHash
    /// was half of making the ledger.
    by_id: rustc_hash::FxHashMap<&'s str, usize>,
}

impl<'s> Ledger<'s> {
    /// The ledger of `issues`. Follow-ups of items not in the issues (validation rules them out
    /// for published cards) are ignored.
    pub fn new(issues: &'s [Issue]) -> Ledger<'s> {
        let count = issues
            .iter()
            .flat_map(|issue| &issue.stories)
            .map(|story| story.what_to_watch.items.len())
            .sum();
        let mut items = Vec::with_capacity(count);
        let mut by_id = rustc_hash::FxHashMap::default();
        by_id.reserve(count);
        for (index, issue) in issues.iter().enumerate() {
            let mut stories: Vec<&Story> = issue.stories.iter().map(|s| &**s).collect();
            stories.sort_by_key(|s| s.date);
            for story in stories {
                for item in &story.what_to_watch.items {
                    by_id.insert(item.id.as_str(), items.len());
                    items.push(Tracked {
                        item,
                        story,
                        issue: index,
                        mentions: Vec::new(),
                        resolved_on: None,
                    });
                }
            }
        }
        let mut ledger = Ledger { items, by_id };
        for (index, issue) in issues.iter().enumerate() {
            for story in &issue.stories {
                for follow_up in &story.follows_up {
                    if let Some(&at) = ledger.by_id.get(follow_up.id.as_str()) {
                        ledger.items[at].mentions.push(Mention {
                            story,
                            issue: index,
                            follow_up,
                        });
                    }
                }
            }
        }
        for tracked in &mut ledger.items {
            tracked
                .mentions
                .sort_by(|a, b| (a.story.date, &a.story.slug).cmp(&(b.story.date, &b.story.slug)));
            tracked.resolved_on = tracked
                .mentions
                .iter()
                .find(|m| m.follow_up.resolved)
                .map(|m| m.story.date);
        }
        ledger
    }

    /// How many items said by `as_of` are open, and how many resolved: the lengths of
    /// [`Ledger::partition`]'s lists, without putting them in order.
    pub fn counts(&self, as_of: NaiveDate) -> (usize, usize) {
        let mut counts = (0, 0);
        for tracked in self.items.iter().filter(|t| t.story.date <= as_of) {
            match tracked.resolved_by(as_of) {
                None => counts.0 += 1,
                Some(_) => counts.1 += 1,
            }
        }
        counts
    }

    /// The items said by `as_of`, split into open ones (those with a due date first, soonest
    /// first; then the newest) and resolved ones (most recently resolved first), as indexes
    /// into `items`.
    pub fn partition(&self, as_of: NaiveDate) -> (Vec<usize>, Vec<usize>) {
        let said = |t: &&Tracked<'_>| t.story.date <= as_of;
        let (mut open, mut resolved): (Vec<usize>, Vec<usize>) = (0..self.items.len())
            .filter(|&i| said(&&self.items[i]))
            .partition(|&i| self.items[i].resolved_by(as_of).is_none());
        // A month (`2026-09`) comes before the days of that month, as its text sorts.
        let due_key = |t: &Tracked<'_>| {
            t.item.due.map(|d| {
                (
                    d.first_day(),
                    matches!(d, crate::content::story::Due::Day(_)),
                )
            })
        };
        open.sort_by(|&a, &b| {
            let (a, b) = (&self.items[a], &self.items[b]);
            (due_key(a).is_none(), due_key(a))
                .cmp(&(due_key(b).is_none(), due_key(b)))
                .then_with(|| match (a.item.due, b.item.due) {
                    // Due the same day: the older item first.
                    (Some(_), Some(_)) => a.story.date.cmp(&b.story.date),
                    // No due date: the newest first.
                    _ => b.story.date.cmp(&a.story.date),
                })
                .then_with(|| a.item.id.cmp(&b.item.id))
        });
        let resolved_on = |i: usize| self.items[i].resolved_by(as_of).map(|m| m.story.date);
        resolved.sort_by(|&a, &b| {
            resolved_on(b)
                .cmp(&resolved_on(a))
                .then_with(|| self.items[a].item.id.cmp(&self.items[b].item.id))
        });
        (open, resolved)
    }

    /// The item with `id`.
    pub fn get(&self, id: &str) -> Option<&Tracked<'s>> {
        self.by_id.get(id).map(|&at| &self.items[at])
    }

    /// [`Ledger::attention_by_issue`] for issue `index` alone, judged item by item: quicker
    /// when a few issues of a large archive are rendered (`serve` after an edit).
    pub fn attention_of(
        &self,
        issues: &[Issue],
        index: usize,
        stale_weeks: u32,
        limit: usize,
    ) -> Attention {
        let as_of = issues[index].id.sunday();
        let followed = self.followed_in(&issues[index]);
        let mut open: Vec<usize> = (0..self.items.len())
            .filter(|&at| {
                let tracked = &self.items[at];
                tracked.issue < index
                    && tracked.state(as_of, stale_weeks).needs_attention()
                    && followed.binary_search(&at).is_err()
            })
            .collect();
        let total = open.len();
        // Only the first `limit` are shown: the newest issue of a large archive has
        // thousands of stale items, and ordering them all would be most of the work.
        if limit < total {
            open.select_nth_unstable_by_key(limit, |&at| self.attention_key(at));
            open.truncate(limit);
        }
        open.sort_unstable_by_key(|&at| self.attention_key(at));
        Attention { total, shown: open }
    }

    /// The items `issue`'s stories follow up, sorted, each once.
    fn followed_in(&self, issue: &Issue) -> Vec<usize> {
        let mut followed: Vec<usize> = issue
            .stories
            .iter()
            .flat_map(|s| s.follows_up.iter())
            .filter_map(|f| self.by_id.get(f.id.as_str()).copied())
            .collect();
        followed.sort_unstable();
        followed.dedup();
        followed
    }

    /// The order of "still watching" lists: overdue items by due date, then stale ones,
    /// oldest first.
    fn attention_key(&self, at: usize) -> (bool, Option<NaiveDate>, NaiveDate, &str, usize) {
        let t = &self.items[at];
        (
            t.item.due.is_none(),
            t.item.due.map(|d| d.last_day()),
            t.story.date,
            t.item.id.as_str(),
            at,
        )
    }

    /// The issues whose "still watching" list needs item `at`'s attention (`as_of`: each
    /// issue's last day, [`as_of_days`]): from the first issue after its own that is late
    /// enough for it to be overdue or stale, to the first dated on or after its resolution.
    fn attention_span(
        &self,
        at: usize,
        as_of: &[NaiveDate],
        stale_weeks: u32,
    ) -> Option<std::ops::Range<usize>> {
        let tracked = &self.items[at];
        let first_on_or_after = |day: NaiveDate| as_of.partition_point(|&d| d < day);
        // The first day `state` says Overdue or Stale.
        let due_from = match tracked.item.due {
            Some(due) => due.last_day().succ_opt(),
            None if stale_weeks == 0 => Some(NaiveDate::MIN),
            None => tracked
                .story
                .date
                .checked_add_days(chrono::Days::new(7 * u64::from(stale_weeks))),
        }?;
        let start = first_on_or_after(due_from).max(tracked.issue + 1);
        let end = tracked.resolved_on.map_or(as_of.len(), first_on_or_after);
        (start < end).then_some(start..end)
    }

    /// The issues whose "still watching" list (of [`Ledger::attention_by_issue`]) shows one
    /// of `items`. For each item, an issue shows it when it needs attention there, the issue
    /// does not follow it up, and fewer than `limit` of the items ahead of it in the list do:
    /// counted over every issue at once (each item ahead adds one over its span), so a
    /// retitle asks a few linear passes of the ledger instead of every issue's list.
    pub fn issues_showing(
        &self,
        issues: &[Issue],
        items: &[usize],
        stale_weeks: u32,
        limit: usize,
    ) -> std::collections::BTreeSet<usize> {
        let as_of = as_of_days(issues);
        let spans: Vec<Option<std::ops::Range<usize>>> = (0..self.items.len())
            .map(|at| self.attention_span(at, &as_of, stale_weeks))
            .collect();
        let mut showing = std::collections::BTreeSet::new();
        for &at in items {
            let Some(span) = spans.get(at).cloned().flatten() else {
                continue;
            };
            let key = self.attention_key(at);
            let is_ahead = |other: usize| self.attention_key(other) < key;
            // Added where an item's span starts and taken off where it ends: the running sum
            // is how many items ahead of this one each issue's list has.
            let mut ahead_from = vec![0_isize; issues.len() + 1];
            for (other, other_span) in spans.iter().enumerate() {
                if let Some(other_span) = other_span.as_ref().filter(|_| is_ahead(other)) {
                    ahead_from[other_span.start] += 1;
                    ahead_from[other_span.end] -= 1;
                }
            }
            let mut ahead: isize = ahead_from[..span.start].iter().sum();
            for index in span {
                ahead += ahead_from[index];
                let followed = self.followed_in(&issues[index]);
                if followed.binary_search(&at).is_ok() {
                    continue;
                }
                // The items the issue follows up are left out of its list.
                let followed_ahead = followed
                    .iter()
                    .filter(|&&other| {
                        spans[other].as_ref().is_some_and(|s| s.contains(&index)) && is_ahead(other)
                    })
                    .count();
                if usize::try_from(ahead)
                    .unwrap_or(0)
                    .saturating_sub(followed_ahead)
                    < limit
                {
                    showing.insert(index);
                }
            }
        }
        showing
    }

    /// For every issue, the items of earlier issues that need attention as of its last day
    /// (overdue ones first, by due date, then stale ones, oldest first), leaving out those the
    /// issue itself follows up: the first `limit` of them and how many there are in all.
    ///
    /// One sweep over the issues: each item needs attention from the first issue after its
    /// own that is late enough until the first one dated on or after its resolution, so it is
    /// added and removed once instead of being judged again for every later issue.
    pub fn attention_by_issue(
        &self,
        issues: &[Issue],
        stale_weeks: u32,
        limit: usize,
    ) -> Vec<Attention> {
        let as_of = as_of_days(issues);
        let mut starts: Vec<Vec<usize>> = vec![Vec::new(); issues.len() + 1];
        let mut ends: Vec<Vec<usize>> = vec![Vec::new(); issues.len() + 1];
        for at in 0..self.items.len() {
            if let Some(span) = self.attention_span(at, &as_of, stale_weeks) {
                starts[span.start].push(at);
                ends[span.end].push(at);
            }
        }
        let key = |at: usize| self.attention_key(at);
        let mut open = std::collections::BTreeSet::new();
        let mut result = Vec::with_capacity(issues.len());
        for (index, issue) in issues.iter().enumerate() {
            for &at in &ends[index] {
                open.remove(&key(at));
            }
            open.extend(starts[index].iter().map(|&at| key(at)));
            let followed = self.followed_in(issue);
            let shown = open
                .iter()
                .map(|&(.., at)| at)
                .filter(|at| followed.binary_search(at).is_err())
                .take(limit)
                .collect();
            let followed_open = followed
                .iter()
                .filter(|&&at| open.contains(&key(at)))
                .count();
            result.push(Attention {
                shown,
                total: open.len() - followed_open,
            });
        }
        result
    }
}

/// Each issue's last day: the day its "still watching" list is as of.
fn as_of_days(issues: &[Issue]) -> Vec<NaiveDate> {
    issues.iter().map(|i| i.id.sunday()).collect()
}

/// The items an issue lists as still being watched: see [`Ledger::attention_by_issue`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attention {
    /// The first few, as indexes into [`Ledger::items`], in the order shown.
    pub shown: Vec<usize>,
    /// How many items need attention in all.
    pub total: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::story::{Due, Watch};

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn story(slug: &str, date: &str, items: Vec<WatchItem>, follows: Vec<FollowUp>) -> Story {
        let mut story = crate::content::schedule::tests::story(slug, date, None, None);
        story.what_to_watch = Watch {
            prose: false,
            items,
        };
        story.follows_up = follows;
        story
    }

    fn item(id: &str, due: Option<Due>) -> WatchItem {
        WatchItem {
            id: id.to_owned(),
            pos: crate::diagnostic::Pos::START,
            derived: false,
            text: format!("text of {id}"),
            due,
        }
    }

    fn follow(id: &str, resolved: bool) -> FollowUp {
        FollowUp {
            id: id.to_owned(),
            pos: crate::diagnostic::Pos::START,
            note: None,
            resolved,
        }
    }

    fn issues(stories: Vec<Story>) -> Vec<Issue> {
        let config = crate::content::schedule::tests::config(1);
        let stories = crate::content::schedule::tests::shared(&stories);
        crate::content::schedule::assemble(stories, &Default::default(), &config, false).unwrap()
    }

    #[test]
    fn states_follow_the_as_of_day() {
        let issues = issues(vec![
            story(
                "a",
                "2026-03-03",
                vec![
                    item("due-sept", Some(Due::Month(day("2026-09-01")))),
                    item("no-due", None),
                ],
                vec![],
            ),
            story(
                "b",
                "2026-10-05",
                vec![item("b-1", None)],
                vec![follow("due-sept", true)],
            ),
        ]);
        let ledger = Ledger::new(&issues);
        let due = ledger.get("due-sept").unwrap();
        assert_eq!(due.state(day("2026-09-30"), 12), State::Open);
        assert_eq!(due.state(day("2026-10-01"), 12), State::Overdue);
        assert_eq!(due.state(day("2026-10-05"), 12), State::Resolved);
        let plain = ledger.get("no-due").unwrap();
        assert_eq!(plain.state(day("2026-05-25"), 12), State::Open);
        assert_eq!(plain.state(day("2026-05-26"), 12), State::Stale);
        assert_eq!(plain.age_weeks(day("2026-05-26")), 12);
    }

    #[test]
    fn attention_by_issue_agrees_with_the_definition_for_every_issue() {
        // 40 stories over 40 weeks, each with an undated item and one due on a varied day;
        // some resolved or updated later, some followed up twice in one issue.
        let mut stories = Vec::new();
        for week in 0..40u64 {
            let date = day("2026-01-05") + chrono::Days::new(week * 7 + week % 3);
            let due = if week % 5 == 0 {
                Due::Month(date + chrono::Days::new(40))
            } else {
                Due::Day(date + chrono::Days::new((week * 37) % 90))
            };
            let mut follows = vec![];
            if week >= 10 && week % 4 == 0 {
                follows.push(follow(&format!("s{:02}-due", week - 10), true));
            }
            if week >= 3 && week % 3 == 0 {
                follows.push(follow(&format!("s{:02}-open", week - 3), week % 2 == 0));
            }
            stories.push(story(
                &format!("s{week:02}"),
                &date.to_string(),
                vec![
                    item(&format!("s{week:02}-open"), None),
                    item(&format!("s{week:02}-due"), Some(due)),
                ],
                follows,
            ));
            if week % 3 == 0 && week % 4 == 1 {
                // A second story the same week updating the item the first one follows up.
                stories.push(story(
                    &format!("t{week:02}"),
                    &date.to_string(),
                    vec![],
                    vec![follow(&format!("s{:02}-open", week - 3), false)],
                ));
            }
        }
        let issues = issues(stories);
        let ledger = Ledger::new(&issues);
        let mut busiest = 0;
        for stale_weeks in [0, 1, 6, 12] {
            for limit in [0, 1, 3, 8, 100] {
                let swept = ledger.attention_by_issue(&issues, stale_weeks, limit);
                assert_eq!(swept.len(), issues.len());
                for (index, attention) in swept.iter().enumerate() {
                    // `attention_of` judges each item of one issue by its state: the
                    // definition the sweep must agree with.
                    let want = ledger.attention_of(&issues, index, stale_weeks, limit);
                    assert_eq!(
                        attention, &want,
                        "issue {index}, stale after {stale_weeks} weeks, limit {limit}"
                    );
                    busiest = busiest.max(want.total);
                }
                // The retitle lookup: the issues whose list shows an item, item by item.
                for at in 0..ledger.items.len() {
                    let want: std::collections::BTreeSet<usize> = (0..issues.len())
                        .filter(|&index| swept[index].shown.contains(&at))
                        .collect();
                    assert_eq!(
                        ledger.issues_showing(&issues, &[at], stale_weeks, limit),
                        want,
                        "item {at}, stale after {stale_weeks} weeks, limit {limit}"
                    );
                }
            }
        }
        assert!(busiest > 20, "the case has enough items: {busiest}");
        // The watch pages' count comes from `counts`, their items from `partition`.
        for issue in &issues {
            let as_of = issue.id.sunday();
            let (open, resolved) = ledger.partition(as_of);
            assert_eq!(
                ledger.counts(as_of),
                (open.len(), resolved.len()),
                "{as_of}"
            );
        }
        let (open, resolved) = ledger.counts(issues.last().unwrap().id.sunday());
        assert!(
            open > 10 && resolved > 5,
            "{open} open, {resolved} resolved"
        );
    }

    #[test]
    fn still_watching_leaves_out_what_the_issue_follows_up() {
        let issues = issues(vec![
            story(
                "a",
                "2026-01-05",
                vec![item("x", None), item("y", None)],
                vec![],
            ),
            story(
                "b",
                "2026-06-01",
                vec![item("b-1", None)],
                vec![follow("x", false)],
            ),
        ]);
        let ledger = Ledger::new(&issues);
        let attention = &ledger.attention_by_issue(&issues, 12, 5)[1];
        let shown: Vec<&str> = attention
            .shown
            .iter()
            .map(|&at| ledger.items[at].item.id.as_str())
            .collect();
        assert_eq!(shown, ["y"]);
        assert_eq!(attention.total, 1);
    }
}
