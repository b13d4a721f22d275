//! Which templates a template names: what a change to one reaches. `serve` renders again
//! only the pages whose templates reach a changed one.
//!
//! Read from the source's `{% include %}`, `{% extends %}`, `{% import %}` and `{% from %}`
//! tags. A name written out is followed; a name made by an expression (`{% include
//! page.kind ~ ".html" %}`) could be any template, and so could a tag this reading does not
//! make out: then the answer is "any". A tag inside a comment or a `raw` block counts as
//! used, which only renders more.

/// The templates `source` names, or `None` when it may name any.
pub fn named_in(source: &str) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(open) = rest.find("{%") {
        let after = &rest[open + 2..];
        let close = after.find("%}")?;
        let tag = after[..close].trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        rest = &after[close + 2..];
        let (keyword, args) = tag
            .split_once(char::is_whitespace)
            .map_or((tag, ""), |(k, a)| (k, a.trim_start()));
        match keyword {
            "include" => {
                let (mut named, after) = literals(args)?;
                names.append(&mut named);
                let known = ["ignore", "missing", "with", "without", "context"];
                if !after.split_whitespace().all(|word| known.contains(&word)) {
                    return None;
                }
            }
            "extends" => {
                let (mut named, after) = literal(args)?;
                names.append(&mut named);
                if !after.trim().is_empty() {
                    return None;
                }
            }
            "import" => {
                let (mut named, after) = literal(args)?;
                names.append(&mut named);
                let mut words = after.split_whitespace();
                if words.next() != Some("as") || words.next().is_none() || words.next().is_some() {
                    return None;
                }
            }
            "from" => {
                let (mut named, after) = literal(args)?;
                names.append(&mut named);
                if after.split_whitespace().next() != Some("import") {
                    return None;
                }
            }
            _ => {}
        }
    }
    Some(names)
}

/// One string literal at the start of `text`, and what follows it.
fn literal(text: &str) -> Option<(Vec<String>, &str)> {
    let quote = text.chars().next().filter(|&c| c == '"' || c == '\'')?;
    let body = &text[1..];
    let end = body.find(quote)?;
    let name = &body[..end];
    // An escape makes the name something else than it reads: leave it to "any".
    if name.contains('\\') {
        return None;
    }
    Some((vec![name.to_owned()], &body[end + 1..]))
}

/// A string literal or a list of them (`["a.html", "b.html"]`) at the start of `text`.
fn literals(text: &str) -> Option<(Vec<String>, &str)> {
    let Some(mut rest) = text.strip_prefix('[') else {
        return literal(text);
    };
    let mut names = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix(']') {
            return Some((names, after));
        }
        let (mut named, after) = literal(rest)?;
        names.append(&mut named);
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

#[cfg(test)]
mod tests {
    use super::named_in;

    #[test]
    fn names_written_out_are_read_and_expressions_mean_any() {
        let source = r#"{% extends "base.html" %}
{%- import 'macros.html' as m -%}
{% from "partials/x.html" import a, b as c %}
{% block body %}{% include "partials/header.html" %}
{% include ["one.html", 'two.html'] ignore missing without context %}{% endblock %}
{{ "{% include 'in-a-string.html' %}" }}"#;
        assert_eq!(
            named_in(source).unwrap(),
            [
                "base.html",
                "macros.html",
                "partials/x.html",
                "partials/header.html",
                "one.html",
                "two.html",
                "in-a-string.html"
            ]
        );
        assert_eq!(named_in("no tags at all").unwrap(), Vec::<String>::new());
        for dynamic in [
            "{% include page.kind ~ '.html' %}",
            "{% include 'a' ~ x %}",
            "{% extends layout %}",
            "{% extends 'a.html' if x else 'b.html' %}",
            "{% import name as m %}",
            "{% import 'm.html' as m with context and more %}",
            "{% from x import a %}",
            "{% include ['a.html', x] %}",
            "{% include 'a\\'b.html' %}",
            "{% include 'unclosed %}",
            "{% include 'never-closed.html'",
        ] {
            assert_eq!(named_in(dynamic), None, "{dynamic}");
        }
    }
}
