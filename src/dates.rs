//! Dates as readers see them, in the newsletter's language.

use chrono::{Datelike, NaiveDate};

/// The primary subtag of a language tag, lowercased: `en-GB` → `en`.
fn primary(language: &str) -> String {
    language
        .split('-')
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase()
}

/// Month names for the languages we know; anything else reads in English.
fn months(language: &str) -> [&'static str; 12] {
    match primary(language).as_str() {
        "de" => [
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
        "fr" => [
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
        "es" => [
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
        "it" => [
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
        "nl" => [
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
        "pt" => [
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
        _ => [
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

/// Day-then-month joiner: German writes `17. Juni`, Spanish `17 de junio`.
fn day_month(day: u32, month: &str, language: &str) -> String {
    match primary(language).as_str() {
        "de" => format!("{day}. {month}"),
        "es" | "pt" => format!("{day} de {month}"),
        _ => format!("{day} {month}"),
    }
}

fn month_name(date: NaiveDate, language: &str) -> &'static str {
    months(language)[date.month0() as usize]
}

/// A long date: `17 June 2026`, `17. Juni 2026`, `17 juin 2026`.
pub fn long(date: NaiveDate, language: &str) -> String {
    let head = day_month(date.day(), month_name(date, language), language);
    match primary(language).as_str() {
        "es" | "pt" => format!("{head} de {}", date.year()),
        _ => format!("{head} {}", date.year()),
    }
}

/// A month: `September 2026`, `September 2026` (de), `septiembre de 2026`.
pub fn month(date: NaiveDate, language: &str) -> String {
    let name = month_name(date, language);
    match primary(language).as_str() {
        "es" | "pt" => format!("{name} de {}", date.year()),
        _ => format!("{name} {}", date.year()),
    }
}

/// A range of days, sharing what the ends share: `15–21 June 2026`,
/// `29 June – 5 July 2026`, `28 December 2026 – 3 January 2027`.
pub fn range(start: NaiveDate, end: NaiveDate, language: &str) -> String {
    if start.year() != end.year() {
        return format!("{} – {}", long(start, language), long(end, language));
    }
    if start.month() != end.month() {
        let first = day_month(start.day(), month_name(start, language), language);
        return format!("{first} – {}", long(end, language));
    }
    let day = if primary(language) == "de" {
        format!("{}.", start.day())
    } else {
        start.day().to_string()
    };
    format!("{day}–{}", long(end, language))
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
    }
}
