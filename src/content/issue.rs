//! Weekly issues: their key (an ISO week) and the optional `issue.yaml` that dresses one up.

use std::fmt;
use std::path::PathBuf;

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday,
};

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
    /// When `send --due` sends the issue.
    pub send_at: Option<SendAt>,
}

/// An issue's `send_at`, as written: a wall-clock time in the newsletter's `timezone`, or a
/// time with an offset of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendAt {
    /// The date and time written.
    pub local: NaiveDateTime,
    /// The offset written with it (`Z`, `+01:00`), if any.
    pub offset: Option<FixedOffset>,
    /// Where it is written.
    pub pos: Pos,
}

impl SendAt {
    /// Reads `2026-12-07T07:00` (or with a space, with seconds, with `Z` or `+01:00`).
    pub fn parse(text: &str, pos: Pos) -> Option<SendAt> {
        let text = text.trim();
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(SendAt {
                local: at.naive_local(),
                offset: Some(*at.offset()),
                pos,
            });
        }
        let (body, offset) = match text.strip_suffix(['Z', 'z']) {
            Some(body) => (body, FixedOffset::east_opt(0)),
            None => match text
                .len()
                .checked_sub(6)
                .filter(|at| text.is_char_boundary(*at))
            {
                Some(at)
                    if text[at..].starts_with(['+', '-']) && text.as_bytes()[at + 3] == b':' =>
                {
                    let offset = DateTime::parse_from_str(
                        &format!("2000-01-01T00:00{}", &text[at..]),
                        "%Y-%m-%dT%H:%M%:z",
                    )
                    .ok()?;
                    (&text[..at], Some(*offset.offset()))
                }
                _ => (text, None),
            },
        };
        let local = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(body, format).ok())?;
        Some(SendAt { local, offset, pos })
    }

    /// The instant, reading a time without an offset in `zone`. A time that falls in a
    /// daylight-saving gap does not exist there: that is an error naming the zone; one that
    /// falls twice (the hour the clocks go back) is the first.
    ///
    /// # Errors
    ///
    /// The sentence to report when the time does not exist in `zone`.
    pub fn resolve(&self, zone: chrono_tz::Tz) -> Result<DateTime<Utc>, String> {
        if let Some(offset) = self.offset {
            return match offset.from_local_datetime(&self.local) {
                LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
                _ => Err(format!("`send_at` {} is not a time", self.local)),
            };
        }
        match zone.from_local_datetime(&self.local) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => Ok(at.with_timezone(&Utc)),
            LocalResult::None => Err(format!(
                "`send_at` {} does not exist in {}: the clocks skip it",
                self.local.format("%Y-%m-%d %H:%M"),
                zone.name()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn send_at_reads_local_times_in_the_zone_and_offsets_as_written() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let utc = |text: &str| {
            SendAt::parse(text, Pos::START)
                .unwrap_or_else(|| panic!("{text}"))
                .resolve(berlin)
                .map(|at| at.to_rfc3339())
        };
        // Summer and winter time; the written offset wins over the zone.
        assert_eq!(
            utc("2026-06-22T07:00").unwrap(),
            "2026-06-22T05:00:00+00:00"
        );
        assert_eq!(
            utc("2026-12-07 07:00").unwrap(),
            "2026-12-07T06:00:00+00:00"
        );
        assert_eq!(
            utc("2026-12-07T07:00:30Z").unwrap(),
            "2026-12-07T07:00:30+00:00"
        );
        assert_eq!(
            utc("2026-12-07T07:00-05:00").unwrap(),
            "2026-12-07T12:00:00+00:00"
        );
        assert_eq!(
            utc("2026-12-07T07:00:00+05:30").unwrap(),
            "2026-12-07T01:30:00+00:00"
        );
        // The hour the clocks go back happens twice: the first; the skipped hour never.
        assert_eq!(
            utc("2026-10-25T02:30").unwrap(),
            "2026-10-25T00:30:00+00:00"
        );
        assert!(
            utc("2026-03-29T02:30")
                .unwrap_err()
                .contains("the clocks skip it")
        );
        for bad in [
            "monday",
            "2026-12-07",
            "2026-13-07T07:00",
            "07:00",
            "2026-12-07T07:00+5",
            "",
        ] {
            assert_eq!(SendAt::parse(bad, Pos::START), None, "{bad}");
        }
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
