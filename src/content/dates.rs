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
    push_number(out, day);
    out.push_str(joiner);
    out.push_str(month);
}

/// Writes `number` in decimal: dates are written for every story on every page, and the
/// formatting machinery costs more than the digits.
fn push_number(out: &mut String, mut number: u32) {
    let mut digits = [0u8; 10];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (number % 10) as u8;
        number /= 10;
        if number == 0 {
            break;
        }
    }
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

fn month_name(date: NaiveDate, language: Language) -> &'static str {
    months(language)[date.month0() as usize]
}

/// Writes ` 2026`, or ` de 2026` where the language says so.
fn push_year(out: &mut String, year: i32, language: Language) {
    let joiner = if language.says_de() { " de " } else { " " };
    out.push_str(joiner);
    match u32::try_from(year) {
        Ok(year) => push_number(out, year),
        Err(_) => {
            let _ = write!(out, "{year}");
        }
    }
}

/// A date written exactly `YYYY-MM-DD`, read without the format machinery (every card's dates
/// are read, and templates format every source's date); `None` for anything else.
pub fn parse_iso(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |number, &digit| {
            digit
                .is_ascii_digit()
                .then(|| number * 10 + u32::from(digit - b'0'))
        })
    };
    let year = i32::try_from(number(&bytes[..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&bytes[5..7])?, number(&bytes[8..])?)
}

/// Whether `date` is one a newsletter can carry: years 1900 to 2999. Dates outside make ISO
/// weeks and calendar entries that no reader or calendar app takes (`-1-W52`,
/// `+100000101`).
pub fn in_range(date: NaiveDate) -> bool {
    (1900..=2999).contains(&date.year())
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
    fn writes_any_day_and_year_as_the_formatter_would() {
        for year in [-44, 0, 5, 99, 999, 1000, 2026, 9999, 10_000, 262_000] {
            for day in [1, 9, 10, 28] {
                assert_eq!(
                    long(d(year, 2, day), "en"),
                    format!("{day} February {year}")
                );
                assert_eq!(
                    long(d(year, 2, day), "es"),
                    format!("{day} de febrero de {year}")
                );
            }
        }
    }

    #[test]
    fn reads_exact_iso_dates_as_chrono_does() {
        let digits = ["0", "1", "2", "9"];
        let mut tried = 0;
        for y in ["2026", "2024", "0000", "1900", "9999"] {
            for m1 in digits {
                for m2 in digits {
                    for d1 in digits {
                        for d2 in digits {
                            let text = format!("{y}-{m1}{m2}-{d1}{d2}");
                            let chrono = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
                            assert_eq!(parse_iso(&text), chrono, "{text}");
                            tried += usize::from(chrono.is_some());
                        }
                    }
                }
            }
        }
        assert!(tried > 100, "{tried}");
        for text in [
            "2026-6-17",
            "2026-06-1x",
            "2026/06/17",
            " 2026-06-17",
            "",
            "+202-06-17",
        ] {
            assert_eq!(parse_iso(text), None, "{text}");
        }
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
