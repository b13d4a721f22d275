//! Subscriber lists: a CSV with a header row (`email`, optional `name` and `status`; other
//! columns are ignored, so exports from other tools work as they are).
//!
//! A list is read twice, streaming both times: [`validate`] reports every bad row with its
//! line before anything is sent, then [`Rows`] yields the rows to mail. Neither holds the list
//! in memory; de-duplication keeps a 128-bit hash per address (16 bytes, so a million
//! addresses cost about 30 MB).

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::audience::secret::Key;
use crate::diagnostic::Pos;
use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;

pub use crate::audience::address::{address_key, look_alike, valid_address};

/// Statuses that mean "do not mail" (`pending`: signed up, not confirmed yet).
const INACTIVE: [&str; 6] = [
    "unsubscribed",
    "bounced",
    "complained",
    "cleaned",
    "pending",
    "unconfirmed",
];
/// Statuses that mean "mail".
const ACTIVE: [&str; 4] = ["", "subscribed", "active", "confirmed"];

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The address, as validated.
    pub email: String,
    /// Display name, if the list has one.
    pub name: Option<String>,
}

/// Why a row is not mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// `status` says unsubscribed, bounced, complained or cleaned.
    Inactive,
    /// The address is in the suppression file.
    Suppressed,
    /// The address appeared earlier in the list.
    Duplicate,
}

/// One row to consider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    /// Mail this recipient.
    Send(Recipient),
    /// Do not, for this reason.
    Skip(String, Skip),
}

/// Column positions of a list.
#[derive(Debug, Clone, Copy)]
struct Columns {
    email: usize,
    name: Option<usize>,
    status: Option<usize>,
}

/// A CSV reader for the list at `path`: a byte-order mark skipped, the separator (`,`, `;`
/// as spreadsheets in many European locales write it, or a tab) taken from the header row.
pub(crate) fn reader(path: &Path) -> std::io::Result<csv::Reader<BufReader<File>>> {
    let file = File::open(path)?;
    let mut buffered = BufReader::with_capacity(64 * 1024, file);
    // A byte-order mark would become part of the first column's name.
    if buffered
        .fill_buf()
        .is_ok_and(|b| b.starts_with(b"\xef\xbb\xbf"))
    {
        buffered.consume(3);
    }
    let delimiter = separator(buffered.fill_buf()?);
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(buffered))
}

/// The separator the header row at the start of `text` uses most, outside quotes: `,`
/// unless `;` or a tab is more frequent.
fn separator(text: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &byte in text {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let [comma, semicolon, tab] = counts;
    if semicolon > comma && semicolon >= tab {
        b';'
    } else if tab > comma && tab > semicolon {
        b'\t'
    } else {
        b','
    }
}

fn columns(reader: &mut csv::Reader<BufReader<File>>) -> Result<Columns, String> {
    let headers = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .clone();
    let find = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let email = find("email")
        .or_else(|| find("e-mail"))
        .or_else(|| find("email_address"))
        .ok_or_else(|| {
            format!(
                "the header row has no `email` column (found {})",
                headers
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    Ok(Columns {
        email,
        name: find("name"),
        status: find("status"),
    })
}

/// What [`validate`] found in a clean list.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ListStats {
    /// Rows read.
    pub rows: usize,
    /// Rows to mail (before the journal is consulted).
    pub to_send: usize,
    /// Rows skipped for their status.
    pub inactive: usize,
    /// Rows skipped for the suppression file.
    pub suppressed: usize,
    /// Rows skipped as repeats.
    pub duplicates: usize,
}

/// The addresses never to mail: those the store has as unsubscribed, bounced or complained,
/// a suppression file's, and those erased on request (kept only as keyed hashes, so testing an
/// address takes the secret).
#[derive(Debug, Clone, Default)]
pub struct Suppression {
    addresses: HashSet<u128>,
    erased: HashSet<String>,
    key: Option<Key>,
}

impl Suppression {
    /// Never mail `email`.
    pub fn add_address(&mut self, email: &str) {
        self.addresses.insert(address_key(email));
    }

    /// Never mail the addresses of a suppression file ([`read_suppression`]).
    pub fn add_keys(&mut self, keys: HashSet<u128>) {
        self.addresses.extend(keys);
    }

    /// Never mail the erased addresses whose hashes, made with `key`, are `hashes`.
    pub fn add_erased(&mut self, hashes: impl IntoIterator<Item = String>, key: Key) {
        self.erased.extend(hashes);
        self.key = Some(key);
    }

    /// Takes in everything `other` suppresses.
    pub fn merge(&mut self, other: Suppression) {
        self.addresses.extend(other.addresses);
        self.erased.extend(other.erased);
        self.key = self.key.take().or(other.key);
    }

    /// Whether `email` is never to be mailed.
    pub fn contains(&self, email: &str) -> bool {
        if self.addresses.contains(&address_key(email)) {
            return true;
        }
        match &self.key {
            Some(key) if !self.erased.is_empty() => {
                crate::audience::token::erasure_hashes(key.as_bytes(), email)
                    .iter()
                    .any(|hash| self.erased.contains(hash))
            }
            _ => false,
        }
    }
}

/// Reads a suppression file: one address per line (or a CSV with an `email` column); blank
/// lines and `#` comments are ignored.
///
/// # Errors
///
/// [`Error::ReadList`] when the file cannot be read.
pub fn read_suppression(path: &Path) -> Result<HashSet<u128>, Error> {
    let failed = |source| Error::ReadList {
        path: path.to_path_buf(),
        source,
    };
    // Streamed line by line: memory holds the 16-byte keys, not the file.
    let mut reader = BufReader::new(File::open(path).map_err(failed)?);
    let mut keys = HashSet::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        // A line is an address: anything longer than a kilobyte is cut there.
        let read = (&mut reader)
            .take(1024)
            .read_until(b'\n', &mut line)
            .map_err(failed)?;
        if read == 0 {
            break;
        }
        if line.last() != Some(&b'\n') && read == 1024 {
            // Skip the rest of an overlong line.
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest).map_err(failed)?;
        }
        let text = String::from_utf8_lossy(&line);
        let address = text.split(',').next().unwrap_or("").trim();
        if address.contains('@') && !address.starts_with('#') {
            keys.insert(address_key(address));
        }
    }
    Ok(keys)
}

/// Checks every row of the list at `path`, shown as `shown` in messages.
///
/// # Errors
///
/// Every bad row as a diagnostic with its line; nothing may be sent until the list is clean.
pub fn validate(
    path: &Path,
    shown: &Path,
    suppressed: &Suppression,
) -> Result<ListStats, Vec<Diagnostic>> {
    let fail = |pos: Pos, message: String, help: &str| Diagnostic {
        severity: Severity::Error,
        path: shown.to_path_buf(),
        pos,
        message,
        help: Some(help.to_owned()),
        line_text: None,
    };
    let mut reader = reader(path).map_err(|e| {
        vec![fail(
            Pos::START,
            format!("cannot read the list: {e}"),
            "check the path",
        )]
    })?;
    let columns = columns(&mut reader).map_err(|m| {
        vec![fail(
            Pos::START,
            m,
            "the first row names the columns: `email,name,status`",
        )]
    })?;
    let mut stats = ListStats::default();
    let mut seen = HashSet::new();
    let problems = each_row(&mut reader, path, shown, |record| {
        stats.rows += 1;
        match classify(record, columns, suppressed, &mut seen)? {
            Row::Send(_) => stats.to_send += 1,
            Row::Skip(_, Skip::Inactive) => stats.inactive += 1,
            Row::Skip(_, Skip::Suppressed) => stats.suppressed += 1,
            Row::Skip(_, Skip::Duplicate) => stats.duplicates += 1,
        }
        Ok(())
    });
    if problems.is_empty() {
        Ok(stats)
    } else {
        Err(problems)
    }
}

/// Reads every row of `reader` (the CSV at `path`, shown as `shown`) and gives each to
/// `take`; the rows it refuses and those the reader cannot read become errors at the line
/// each row starts on. Past the first [`MAX_ERRORS`], rows are only counted (a list of a
/// million bad rows must not become a million messages), and one last error says how many.
pub(crate) fn each_row(
    reader: &mut csv::Reader<BufReader<File>>,
    path: &Path,
    shown: &Path,
    mut take: impl FnMut(&csv::StringRecord) -> Result<(), (String, &'static str)>,
) -> Vec<Diagnostic> {
    let fail = |line: u64, message: String, help: &str| Diagnostic {
        severity: Severity::Error,
        path: shown.to_path_buf(),
        pos: at(line),
        message,
        help: Some(help.to_owned()),
        line_text: None,
    };
    let mut problems = Vec::new();
    // Where each reported row starts, in bytes: lines are worked out from these at the end.
    let mut offsets = Vec::new();
    let mut more = 0usize;
    let mut record = csv::StringRecord::new();
    let mut last = (1, 0);
    loop {
        let before = reader.position().clone();
        let outcome = match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let at_row = record.position().unwrap_or(&before);
                last = (at_row.line(), at_row.byte());
                take(&record)
            }
            Err(e) => {
                let at_row = e.position().unwrap_or(&before);
                last = (at_row.line(), at_row.byte());
                Err(row_error(&e))
            }
        };
        match outcome {
            Ok(()) => {}
            Err((message, help)) if problems.len() < MAX_ERRORS => {
                problems.push(fail(last.0, message, help));
                offsets.push(last.1);
            }
            Err(_) => more += 1,
        }
    }
    if more > 0 {
        problems.push(fail(
            last.0,
            format!(
                "{more} more row{} {} errors; only the first {MAX_ERRORS} are listed",
                if more == 1 { "" } else { "s" },
                if more == 1 { "has" } else { "have" }
            ),
            "fix the rows above and run again to see the rest",
        ));
        offsets.push(last.1);
    }
    place(path, &mut problems, &offsets);
    problems
}

/// Puts each of `problems` at the line its row starts on, from the byte offsets (ascending)
/// the CSV reader gave: the reader's own line count is off after a CRLF line end or a blank
/// line (BurntSushi/rust-csv#395 and #208), and Windows spreadsheets write CRLF. One pass
/// over the file; if it cannot be read again, the reader's lines stay.
pub(crate) fn place(path: &Path, problems: &mut [Diagnostic], offsets: &[u64]) {
    let Ok(file) = File::open(path) else { return };
    let mut bytes = BufReader::new(file).bytes().peekable();
    // Offsets count from after the byte-order mark the reader skipped.
    let bom: u64 = if bytes
        .peek()
        .is_some_and(|b| b.as_ref().is_ok_and(|b| *b == 0xef))
    {
        3
    } else {
        0
    };
    let mut line = 1u64;
    let mut next = 0;
    for (position, byte) in (0u64..).zip(bytes) {
        let Ok(byte) = byte else { return };
        // A row starts at the first byte at or past its offset that is not a line end.
        while next < offsets.len()
            && position >= offsets[next] + bom
            && byte != b'\r'
            && byte != b'\n'
        {
            problems[next].pos = at(line);
            next += 1;
        }
        if next == offsets.len() {
            return;
        }
        if byte == b'\n' {
            line += 1;
        }
    }
    for problem in &mut problems[next..] {
        problem.pos = at(line);
    }
}

/// What is wrong with a row the CSV reader refused, and what to do about it.
pub(crate) fn row_error(error: &csv::Error) -> (String, &'static str) {
    match error.kind() {
        csv::ErrorKind::Utf8 { err, .. } => (
            format!(
                "this row is not UTF-8 text (field {} at byte {})",
                err.field() + 1,
                err.valid_up_to() + 1
            ),
            "save the file as UTF-8 (a spreadsheet's \"CSV UTF-8\"), or convert it: \
             `iconv -f WINDOWS-1252 -t UTF-8 old.csv > new.csv`",
        ),
        _ => (format!("cannot read this row: {error}"), "fix the quoting"),
    }
}

/// How many bad rows of a list are reported one by one.
pub const MAX_ERRORS: usize = 100;

/// `text` as a message shows it: whole when short, else its start and an ellipsis.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{}…", &text[..end]).into(),
        None => text.into(),
    }
}

pub(crate) fn at(line: u64) -> Pos {
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: 1,
    }
}

/// The first characters a spreadsheet reads as the start of a formula (OWASP's list), and
/// the quote that marks a cell escaped.
const FORMULA_STARTS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// `text` as a cell a spreadsheet shows as text: one that would start a formula (`=`, `+`,
/// `-`, `@`, a tab or a carriage return), or that starts with the quote itself, gets a `'`
/// in front (OWASP's advice on CSV injection). [`from_cell`] undoes it exactly.
pub fn to_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

/// A cell read back: the quote [`to_cell`] put in front of a formula character (or of a
/// quote) is taken off; any other cell is as written.
pub fn from_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

fn classify(
    record: &csv::StringRecord,
    columns: Columns,
    suppressed: &Suppression,
    seen: &mut HashSet<u128>,
) -> Result<Row, (String, &'static str)> {
    let field = |column: Option<usize>| {
        column
            .and_then(|i| record.get(i))
            .map(|cell| from_cell(cell.trim()))
    };
    decide(
        field(Some(columns.email)).unwrap_or(""),
        field(columns.name).filter(|n| !n.is_empty()),
        &field(columns.status).unwrap_or("").to_lowercase(),
        suppressed,
        seen,
    )
}

/// Whether to mail `email`: the checks and skips every recipient goes through, from a list
/// row or from `--to`. `status` is lowercase; `seen` collects the addresses decided so far.
///
/// # Errors
///
/// What is wrong with the address, name or status, and what to do about it.
pub fn decide(
    email: &str,
    name: Option<&str>,
    status: &str,
    suppressed: &Suppression,
    seen: &mut HashSet<u128>,
) -> Result<Row, (String, &'static str)> {
    if email.is_empty() {
        return Err((
            "the `email` column is empty".to_owned(),
            "fill it in or delete the row",
        ));
    }
    if !valid_address(email) {
        return Err((
            format!("`{}` is not an email address", shown(email)),
            "fix the address or delete the row",
        ));
    }
    if let Some((c, plain)) = look_alike(email) {
        return Err((
            format!(
                "`{}` contains `{c}` (U+{:04X}), which only looks like `{plain}`",
                shown(email),
                c as u32
            ),
            "write the address with the characters the reader's mail system uses",
        ));
    }
    if email
        .rsplit_once('@')
        .is_some_and(|(_, domain)| idna::domain_to_ascii(domain).is_err())
    {
        return Err((
            format!(
                "the domain of `{}` is not a valid domain name",
                shown(email)
            ),
            "fix the address or delete the row",
        ));
    }
    if let Some(name) = name {
        if name.chars().any(char::is_control) {
            return Err((
                format!("the name of `{email}` contains a line break or control character"),
                "names end up in the To header; keep them on one line",
            ));
        }
        if name.chars().count() > 200 {
            return Err((
                format!("the name of `{email}` is over 200 characters"),
                "shorten it",
            ));
        }
    }
    let key = address_key(email);
    let row = if INACTIVE.contains(&status) {
        Row::Skip(email.to_owned(), Skip::Inactive)
    } else if !ACTIVE.contains(&status) {
        return Err((
            format!("unknown status `{}` for `{}`", shown(status), shown(email)),
            "use `subscribed`, `unsubscribed` or `bounced` (or leave it empty)",
        ));
    } else if suppressed.contains(email) {
        Row::Skip(email.to_owned(), Skip::Suppressed)
    } else if !seen.insert(key) {
        Row::Skip(email.to_owned(), Skip::Duplicate)
    } else {
        Row::Send(Recipient {
            email: email.to_owned(),
            name: name.map(str::to_owned),
        })
    };
    Ok(row)
}

/// The rows of a validated list, streamed.
pub struct Rows {
    reader: csv::Reader<BufReader<File>>,
    columns: Columns,
    suppressed: Suppression,
    seen: HashSet<u128>,
    record: csv::StringRecord,
}

impl Rows {
    /// Opens the list at `path` for streaming.
    ///
    /// # Errors
    ///
    /// [`Error::ReadList`] when the file cannot be read.
    pub fn open(path: &Path, suppressed: Suppression) -> Result<Rows, Error> {
        let failed = |source| Error::ReadList {
            path: path.to_path_buf(),
            source,
        };
        let mut reader = reader(path).map_err(failed)?;
        // Validation read the same header row a moment ago; failing now means it changed.
        let columns = columns(&mut reader).map_err(|m| failed(std::io::Error::other(m)))?;
        Ok(Rows {
            reader,
            columns,
            suppressed,
            seen: HashSet::new(),
            record: csv::StringRecord::new(),
        })
    }
}

impl Iterator for Rows {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        loop {
            match self.reader.read_record(&mut self.record) {
                Ok(false) | Err(_) => return None,
                Ok(true) => {}
            }
            // Validation already passed; a row that fails now changed under us and is left out.
            if let Ok(row) = classify(&self.record, self.columns, &self.suppressed, &mut self.seen)
            {
                return Some(row);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::audience::address::comparable;

    fn list(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("subscribers.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn headlines(result: Result<ListStats, Vec<Diagnostic>>) -> Vec<String> {
        result
            .unwrap_err()
            .iter()
            .map(Diagnostic::headline)
            .collect()
    }

    #[test]
    fn reports_every_bad_row_with_its_line() {
        let (_dir, path) = list(
            "email,name,status\nann@example.com,Ann,\nbob@@example.com,Bob,\n,Nobody,\n\
             \"eve@example.com\",\"Eve\r\nBcc: x@example.com\",\nzed@example.com,Zed,maybe\nno-at-sign,,\n",
        );
        assert_eq!(
            headlines(validate(
                &path,
                Path::new("subscribers.csv"),
                &Suppression::default()
            )),
            [
                "subscribers.csv:3:1: error: `bob@@example.com` is not an email address",
                "subscribers.csv:4:1: error: the `email` column is empty",
                "subscribers.csv:5:1: error: the name of `eve@example.com` contains a line break or control character",
                "subscribers.csv:7:1: error: unknown status `maybe` for `zed@example.com`",
                "subscribers.csv:8:1: error: `no-at-sign` is not an email address",
            ]
        );
    }

    // Regression: `ann@bücher.de` and `ann@xn--bcher-kva.de` were both mailed, and
    // `\u{212A}ate@example.com` (KELVIN SIGN) took `kate@example.com`'s token.
    #[test]
    fn addresses_are_compared_as_mail_systems_compare_them() {
        assert_eq!(comparable("Ann@Bücher.DE"), "ann@xn--bcher-kva.de");
        assert_eq!(
            address_key("ann@bücher.de"),
            address_key("ANN@xn--bcher-kva.de")
        );
        // A decomposed é and a precomposed one are one address.
        assert_eq!(
            address_key("e\u{301}lise@example.org"),
            address_key("\u{e9}lise@example.org")
        );
        assert_eq!(
            look_alike("\u{212A}ate@example.com"),
            Some(('\u{212A}', "K".to_owned()))
        );
        assert_eq!(
            look_alike("\u{ff21}nn@example.com"),
            Some(('\u{ff21}', "A".to_owned()))
        );
        assert_eq!(look_alike("zoë@example.com"), None);
        let (_dir, path) = list(
            "email\nann@bücher.de\nann@xn--bcher-kva.de\n\u{212A}ate@example.com\nkate@example.com\n",
        );
        let result = validate(&path, Path::new("l.csv"), &Suppression::default());
        assert_eq!(
            headlines(result),
            [
                "l.csv:4:1: error: `\u{212A}ate@example.com` contains `\u{212A}` (U+212A), which only looks like `K`"
            ]
        );
        let (_dir, path) = list("email\nann@bücher.de\nann@xn--bcher-kva.de\nkate@example.com\n");
        let stats = validate(&path, Path::new("l.csv"), &Suppression::default()).unwrap();
        assert_eq!((stats.to_send, stats.duplicates), (2, 1));
    }

    // Regression: a CSV of a million invalid rows took 666 MB and printed 123 MB.
    #[test]
    fn a_list_of_many_bad_rows_reports_the_first_hundred_and_counts_the_rest() {
        let long = "x".repeat(5000);
        let mut text = String::from("email\n");
        for i in 0..250 {
            text.push_str(&format!("bad{i}-{long}\n"));
        }
        let (_dir, path) = list(&text);
        let lines = headlines(validate(&path, Path::new("l.csv"), &Suppression::default()));
        assert_eq!(lines.len(), MAX_ERRORS + 1);
        assert_eq!(
            lines[0],
            format!(
                "l.csv:2:1: error: `bad0-{}…` is not an email address",
                &long[..75]
            )
        );
        assert_eq!(
            lines[MAX_ERRORS],
            "l.csv:251:1: error: 150 more rows have errors; only the first 100 are listed"
        );
    }

    #[test]
    fn skips_inactive_suppressed_and_duplicate_rows() {
        let (_dir, path) = list(
            "\u{feff}Email,Name,Status,Plan\nann@example.com,Ann,subscribed,pro\nANN@Example.com,Ann again,,\n\
             bob@example.com,,unsubscribed,\ncat@example.com,,bounced,\ndan@example.com,,,\neve@example.com,,,\n",
        );
        let mut suppressed = Suppression::default();
        suppressed.add_address("Dan@example.com");
        let stats = validate(&path, Path::new("l.csv"), &suppressed).unwrap();
        assert_eq!(
            stats,
            ListStats {
                rows: 6,
                to_send: 2,
                inactive: 2,
                suppressed: 1,
                duplicates: 1
            }
        );
        let sent: Vec<String> = Rows::open(&path, suppressed)
            .unwrap()
            .filter_map(|r| match r {
                Row::Send(r) => Some(r.email),
                Row::Skip(..) => None,
            })
            .collect();
        assert_eq!(sent, ["ann@example.com", "eve@example.com"]);
    }

    #[test]
    fn a_cell_that_would_start_a_formula_is_written_as_text_and_read_back_exactly() {
        for text in [
            "=HYPERLINK(\"http://evil.example/\",\"click\")",
            "+1 555",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "'",
            "''=x",
            "'quoted",
            "Ann",
            "",
        ] {
            let cell = to_cell(text);
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{text:?} → {cell:?}"
            );
            assert_eq!(from_cell(&cell), text, "{cell:?}");
        }
        // A cell another tool wrote with a quote of its own is left as written.
        assert_eq!(from_cell("'Ann"), "'Ann");
    }

    #[test]
    fn a_list_without_an_email_column_is_refused() {
        let (_dir, path) = list("address,name\nann@example.com,Ann\n");
        assert_eq!(
            headlines(validate(&path, Path::new("l.csv"), &Suppression::default())),
            ["l.csv:1:1: error: the header row has no `email` column (found `address`, `name`)"]
        );
    }

    #[test]
    fn suppression_files_take_plain_lines_and_comments() {
        let (_dir, path) =
            list("# bounced last week\nBob@Example.com\n\ncat@example.com,2026-01-01\n");
        let set = read_suppression(&path).unwrap();
        assert!(set.contains(&address_key("bob@example.com")));
        assert!(set.contains(&address_key("cat@example.com")));
        assert_eq!(set.len(), 2);
    }
}
