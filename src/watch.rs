//! What became of each "What to watch" item, across issues.
//!
//! Takes the assembled issues (so drafts are in only when the build asks for them); returns a
//! [`Ledger`]: every watch item with the stories that followed it up, in date order. Whether an
//! item is open, resolved, overdue or stale is always asked "as of" a date, so the same cards
//! give the same site whatever day it is built. Pure: no I/O, no clock.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::schedule::Issue;
use crate::story::{FollowUp, Story, WatchItem};

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
    by_id: HashMap<&'s str, usize>,
}

impl<'s> Ledger<'s> {
    /// The ledger of `issues`. Follow-ups of items not in the issues (validation rules them out
    /// for published cards) are ignored.
    pub fn new(issues: &'s [Issue]) -> Ledger<'s> {
        let mut items = Vec::new();
        let mut by_id = HashMap::new();
        for (index, issue) in issues.iter().enumerate() {
            let mut stories: Vec<&Story> = issue.stories.iter().collect();
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
            t.item
                .due
                .map(|d| (d.first_day(), matches!(d, crate::story::Due::Day(_))))
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

    /// The items of issues before `issue` that need attention as of `as_of`, leaving out
    /// those `issue` follows up: the first `limit` of them (overdue ones first, by due date,
    /// then stale ones, oldest first), and how many there are in all.
    pub fn still_watching(
        &self,
        issues: &[Issue],
        issue: usize,
        as_of: NaiveDate,
        stale_weeks: u32,
        limit: usize,
    ) -> (Vec<(&Tracked<'s>, State)>, usize) {
        let followed: Vec<&str> = issues[issue]
            .stories
            .iter()
            .flat_map(|s| s.follows_up.iter().map(|f| f.id.as_str()))
            .collect();
        // Called once per issue over every earlier item: only the best `limit` are kept, in
        // order, rather than collecting and sorting thousands.
        let mut total = 0;
        let mut found: Vec<(&Tracked<'s>, State)> = Vec::with_capacity(limit + 1);
        let key = |t: &Tracked<'_>| {
            (
                t.item.due.is_none(),
                t.item.due.map(|d| d.last_day()),
                t.story.date,
            )
        };
        for tracked in self.items.iter().take_while(|t| t.issue < issue) {
            let state = tracked.state(as_of, stale_weeks);
            if !state.needs_attention() {
                continue;
            }
            if followed.contains(&tracked.item.id.as_str()) {
                continue;
            }
            total += 1;
            let worse = |other: &Tracked<'_>| {
                (key(tracked), &tracked.item.id) >= (key(other), &other.item.id)
            };
            if found.len() == limit && found.last().is_none_or(|(t, _)| worse(t)) {
                continue;
            }
            // Keys are unique (ids are), so this is the first entry the new one beats.
            let at = found.partition_point(|(t, _)| worse(t));
            found.insert(at, (tracked, state));
            found.truncate(limit);
        }
        (found, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::{Due, Watch};

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn story(slug: &str, date: &str, items: Vec<WatchItem>, follows: Vec<FollowUp>) -> Story {
        let mut story = crate::schedule::tests::story(slug, date, None, None);
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
            pos: crate::yaml::Pos::START,
            derived: false,
            text: format!("text of {id}"),
            due,
        }
    }

    fn follow(id: &str, resolved: bool) -> FollowUp {
        FollowUp {
            id: id.to_owned(),
            pos: crate::yaml::Pos::START,
            note: None,
            resolved,
        }
    }

    fn issues(stories: Vec<Story>) -> Vec<Issue> {
        let config = crate::schedule::tests::config(1);
        crate::schedule::assemble(&stories, &Default::default(), &config, false).unwrap()
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
    fn still_watching_keeps_the_same_items_as_a_full_sort() {
        // 40 stories over 40 weeks, each with an undated item and one due on a varied day;
        // some resolved later. Every limit must give the first `limit` of the naive order.
        let mut stories = Vec::new();
        for week in 0..40u64 {
            let date = day("2026-01-05") + chrono::Days::new(week * 7 + week % 3);
            let due = Due::Day(date + chrono::Days::new((week * 37) % 90));
            let mut follows = vec![];
            if week >= 10 && week % 4 == 0 {
                follows.push(follow(&format!("s{:02}-due", week - 10), true));
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
        }
        let issues = issues(stories);
        let ledger = Ledger::new(&issues);
        let last = issues.len() - 1;
        let as_of = issues[last].id.sunday();
        let mut naive: Vec<&Tracked<'_>> = ledger
            .items
            .iter()
            .filter(|t| t.issue < last)
            .filter(|t| t.state(as_of, 6).needs_attention())
            .collect();
        naive.sort_by(|a, b| {
            let key = |t: &Tracked<'_>| {
                (
                    t.item.due.is_none(),
                    t.item.due.map(|d| d.last_day()),
                    t.story.date,
                )
            };
            (key(a), &a.item.id).cmp(&(key(b), &b.item.id))
        });
        assert!(
            naive.len() > 20,
            "the case has enough items: {}",
            naive.len()
        );
        for limit in [0, 1, 3, 8, 100] {
            let (found, total) = ledger.still_watching(&issues, last, as_of, 6, limit);
            assert_eq!(total, naive.len());
            let ids: Vec<&str> = found.iter().map(|(t, _)| t.item.id.as_str()).collect();
            let want: Vec<&str> = naive
                .iter()
                .take(limit)
                .map(|t| t.item.id.as_str())
                .collect();
            assert_eq!(ids, want, "limit {limit}");
        }
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
        let later = issues.len() - 1;
        let (shown, total) =
            ledger.still_watching(&issues, later, issues[later].id.sunday(), 12, 5);
        let shown: Vec<&str> = shown.iter().map(|(t, _)| t.item.id.as_str()).collect();
        assert_eq!(shown, ["y"]);
        assert_eq!(total, 1);
    }
}
