//! Dates as readers see them, in the newsletter's language.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

/// The languages whose dates we write; anything else reads in English.
#[derive(Clone, Copy, PartialEq)]
enum Language {
    English,
    German,
    French,
    Spanish,
    Italian,
    Dutch,
    Portuguese,
}

impl Language {
    /// By the primary subtag of a language tag, in any case: `en-GB` → English. Pages show
    /// tens of thousands of dates, so this allocates nothing.
    fn of(tag: &str) -> Language {
        let primary = tag.split('-').next().unwrap_or("en");
        [
            ("de", Language::German),
            ("fr", Language::French),
            ("es", Language::Spanish),
            ("it", Language::Italian),
            ("nl", Language::Dutch),
            ("pt", Language::Portuguese),
        ]
        .into_iter()
        .find(|(code, _)| primary.eq_ignore_ascii_case(code))
        .map_or(Language::English, |(_, language)| language)
    }

    /// Whether the year follows `de`: `17 de junio de 2026`.
    fn says_de(self) -> bool {
        matches!(self, Language::Spanish | Language::Portuguese)
    }
}

/// Month names for the languages we know; anything else reads in English.
fn months(language: Language) -> [&'static str; 12] {
    match language {
        Language::German => [
            "Januar",
            "Februar",
            "März",
            "April",
            "Mai",
            "Juni",
            "Juli",
            "August",
            "September",
            "Oktober",
            "November",
            "Dezember",
        ],
        Language::French => [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        Language::Spanish => [
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ],
        Language::Italian => [
            "gennaio",
            "febbraio",
            "marzo",
            "aprile",
            "maggio",
            "giugno",
            "luglio",
            "agosto",
            "settembre",
            "ottobre",
            "novembre",
            "dicembre",
        ],
        Language::Dutch => [
            "januari",
            "februari",
            "maart",
            "april",
            "mei",
            "juni",
            "juli",
            "augustus",
            "september",
            "oktober",
            "november",
            "december",
        ],
        Language::Portuguese => [
            "janeiro",
            "fevereiro",
            "março",
            "abril",
            "maio",
            "junho",
            "julho",
            "agosto",
            "setembro",
            "outubro",
            "novembro",
            "dezembro",
        ],
        Language::English => [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
    }
}

/// Writes day then month: German writes `17. Juni`, Spanish `17 de junio`.
fn push_day_month(out: &mut String, day: u32, month: &str, language: Language) {
    let joiner = match language {
        Language::German => ". ",
        _ if language.says_de() => " de ",
        _ => " ",
    };
    let _ = write!(out, "{day}{joiner}{month}");
}

fn month_name(date: NaiveDate, language: Language) -> &'static str {
    months(language)[date.month0() as usize]
}

/// Writes ` 2026`, or ` de 2026` where the language says so.
fn push_year(out: &mut String, year: i32, language: Language) {
    let joiner = if language.says_de() { " de " } else { " " };
    let _ = write!(out, "{joiner}{year}");
}

/// A long date: `17 June 2026`, `17. Juni 2026`, `17 juin 2026`.
pub fn long(date: NaiveDate, language: &str) -> String {
    let language = Language::of(language);
    let mut out = String::with_capacity(24);
    push_day_month(&mut out, date.day(), month_name(date, language), language);
    push_year(&mut out, date.year(), language);
    out
}

/// A month: `September 2026`, `September 2026` (de), `septiembre de 2026`.
pub fn month(date: NaiveDate, language: &str) -> String {
    let language = Language::of(language);
    let mut out = month_name(date, language).to_owned();
    push_year(&mut out, date.year(), language);
    out
}

/// A range of days, sharing what the ends share: `15–21 June 2026`,
/// `29 June – 5 July 2026`, `28 December 2026 – 3 January 2027`.
pub fn range(start: NaiveDate, end: NaiveDate, tag: &str) -> String {
    let language = Language::of(tag);
    let mut out = String::with_capacity(40);
    if start.year() != end.year() {
        out.push_str(&long(start, tag));
        out.push_str(" – ");
    } else if start.month() != end.month() {
        push_day_month(&mut out, start.day(), month_name(start, language), language);
        out.push_str(" – ");
    } else if language == Language::German {
        let _ = write!(out, "{}.–", start.day());
    } else {
        let _ = write!(out, "{}–", start.day());
    }
    out.push_str(&long(end, tag));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn ranges_share_what_they_can() {
        assert_eq!(
            range(d(2026, 6, 15), d(2026, 6, 21), "en"),
            "15–21 June 2026"
        );
        assert_eq!(
            range(d(2026, 6, 29), d(2026, 7, 5), "en"),
            "29 June – 5 July 2026"
        );
        assert_eq!(
            range(d(2026, 12, 28), d(2027, 1, 3), "en-GB"),
            "28 December 2026 – 3 January 2027"
        );
        assert_eq!(
            range(d(2026, 6, 15), d(2026, 6, 21), "de"),
            "15.–21. Juni 2026"
        );
        assert_eq!(
            range(d(2026, 6, 15), d(2026, 6, 21), "fr"),
            "15–21 juin 2026"
        );
        assert_eq!(long(d(2026, 6, 17), "es"), "17 de junio de 2026");
        assert_eq!(long(d(2026, 6, 17), "xx"), "17 June 2026");
        assert_eq!(month(d(2026, 9, 1), "en"), "September 2026");
        assert_eq!(month(d(2026, 9, 1), "es"), "septiembre de 2026");
        assert_eq!(long(d(2026, 6, 17), "DE-at"), "17. Juni 2026");
        assert_eq!(long(d(2026, 6, 17), "pt-BR"), "17 de junho de 2026");
        assert_eq!(
            range(d(2026, 6, 29), d(2026, 7, 5), "es"),
            "29 de junio – 5 de julio de 2026"
        );
        assert_eq!(
            range(d(2026, 12, 28), d(2027, 1, 3), "de"),
            "28. Dezember 2026 – 3. Januar 2027"
        );
        assert_eq!(month(d(2026, 9, 1), ""), "September 2026");
    }
}
