//! Weekly issues: their key (an ISO week) and the optional `issue.yaml` that dresses one up.

use std::fmt;
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate, Weekday};

use crate::diagnostic::Pos;

/// An ISO 8601 week, the key of an issue. Orders chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IssueId {
    /// The ISO week-numbering year (not always the calendar year of the date).
    pub year: i32,
    /// The week, 1 to 53.
    pub week: u32,
}

impl IssueId {
    /// The ISO week that contains `date`. 2025-12-30 is in 2026-W01.
    pub fn of_date(date: NaiveDate) -> IssueId {
        let iso = date.iso_week();
        IssueId {
            year: iso.year(),
            week: iso.week(),
        }
    }

    /// Parses `2026-W25` (any case), rejecting weeks the year does not have.
    pub fn parse(text: &str) -> Option<IssueId> {
        let (year, week) = text.split_once(['W', 'w'])?;
        let year = year.strip_suffix('-')?;
        if year.len() != 4 || week.len() != 2 {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let week: u32 = week.parse().ok()?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)?;
        Some(IssueId { year, week })
    }

    /// Monday of the week.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon).unwrap_or_default()
    }

    /// Sunday of the week.
    pub fn sunday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Sun).unwrap_or_default()
    }

    /// The lowercase form used in URLs: `2026-w25`.
    pub fn slug(self) -> String {
        format!("{}-w{:02}", self.year, self.week)
    }

    /// Site-relative folder of the issue's page: `issues/2026-w25/`.
    pub fn page_path(self) -> String {
        format!("issues/{}/", self.slug())
    }
}

impl fmt::Display for IssueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-W{:02}", self.year, self.week)
    }
}

/// What an `issue.yaml` may set for its week.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IssueMeta {
    /// The file, relative to the newsletter root.
    pub path: PathBuf,
    /// Email subject and page title.
    pub subject: Option<String>,
    /// Editor's note, Markdown.
    pub intro: Option<String>,
    /// The line inbox previews show after the subject.
    pub preheader: Option<String>,
    /// Overrides the running issue number.
    pub number: Option<u32>,
    /// Where `number` is set, to point at it when two issues share a number.
    pub number_pos: Pos,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dec_30_2025_lands_in_2026_w01() {
        assert_eq!(IssueId::of_date(date(2025, 12, 30)).to_string(), "2026-W01");
    }

    #[test]
    fn jan_1_2027_lands_in_2026_w53() {
        assert_eq!(IssueId::of_date(date(2027, 1, 1)).to_string(), "2026-W53");
    }

    #[test]
    fn parses_weeks_the_year_has_and_no_others() {
        assert_eq!(
            IssueId::parse("2026-W25"),
            Some(IssueId {
                year: 2026,
                week: 25
            })
        );
        assert_eq!(
            IssueId::parse("2026-w53"),
            Some(IssueId {
                year: 2026,
                week: 53
            })
        );
        assert_eq!(IssueId::parse("2025-W53"), None);
        assert_eq!(IssueId::parse("2026-W00"), None);
        assert_eq!(IssueId::parse("2026W25"), None);
        assert_eq!(IssueId::parse("26-W25"), None);
    }

    #[test]
    fn week_bounds_and_slug() {
        let id = IssueId::parse("2026-W25").unwrap();
        assert_eq!(id.monday(), date(2026, 6, 15));
        assert_eq!(id.sunday(), date(2026, 6, 21));
        assert_eq!(id.slug(), "2026-w25");
    }
}
