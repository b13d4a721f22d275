//! A minijinja error as ours: the innermost template and line it happened at, with the lines
//! around it and the offending expression underlined.

use std::fmt::Write as _;

use minijinja::{Error as JinjaError, ErrorKind};

use super::FUEL;
use crate::error::Error;

/// Describes a minijinja error by the innermost template and line it happened at (an error
/// inside an included partial names the partial), with the lines around it.
pub fn template_error(name: &str, error: &JinjaError) -> Error {
    let mut innermost = error;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(inner) = cause.downcast_ref::<JinjaError>()
            && inner.line().is_some()
        {
            innermost = inner;
        }
        source = cause.source();
    }
    let message = match (innermost.kind(), innermost.detail()) {
        (ErrorKind::OutOfFuel, _) => format!(
            "the template ran too long (over {FUEL} steps): look for a loop that never ends, \
             or loops inside loops over large ranges"
        ),
        (ErrorKind::WriteFailure, _) => format!(
            "{} (more than any page needs): look for a string that grows in a loop, such as \
             `{{% set s = s ~ s %}}`",
            super::OUTPUT_TOO_LARGE
        ),
        (kind, Some(detail)) => format!("{kind}: {detail}"),
        (kind, None) => kind.to_string(),
    };
    let mut detail = match innermost.line() {
        Some(line) => format!("line {line}: {message}"),
        None => message,
    };
    if let (Some(source), Some(line)) = (innermost.template_source(), innermost.line()) {
        let first = line.saturating_sub(2).max(1);
        let mut line_start = 0;
        for (number, text) in source
            .split_inclusive('\n')
            .enumerate()
            .map(|(i, t)| (i + 1, t))
        {
            if number >= first && number <= line + 1 {
                let marker = if number == line { ">" } else { " " };
                let _ = write!(detail, "\n{marker} {number:>4} | {}", text.trim_end());
            }
            // Underline the offending expression when the error knows its span.
            if number == line
                && let Some(range) = innermost.range()
                && range.start >= line_start
                && range.start < line_start + text.len()
            {
                let col = source[line_start..range.start].chars().count();
                let width = source[range.start..range.end.min(line_start + text.len())]
                    .chars()
                    .count()
                    .max(1);
                let _ = write!(
                    detail,
                    "\n       | {}{}",
                    " ".repeat(col),
                    "^".repeat(width)
                );
            }
            line_start += text.len();
        }
    }
    Error::Template {
        name: innermost.name().unwrap_or(name).to_owned(),
        detail,
    }
}
