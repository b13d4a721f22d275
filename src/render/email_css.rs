//! Moves an email's stylesheet into `style` attributes, which is all many mail clients read.
//!
//! css-inline handles any document, but parses it into a full DOM first: that was a quarter
//! of a site build. Most emails, ours included, are plain: their tags nest exactly as written
//! and their stylesheet uses simple selectors. [`inline_css`] inlines those in one pass over
//! the tags, leaving every other byte as written, and hands any other document to css-inline.
//! The tests hold both to the same result.
//!
//! "Plain" means what an HTML parser would build is the tags as written, with nothing moved,
//! closed early or implied except a table's `<tbody>`; and a stylesheet of conditional
//! `@`-rules (`@media`, `@supports`, `@container`, kept as they are) and rules whose
//! selectors are type, class, id and `*` compounds joined by descendant or child combinators.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::error::{Error, Result};

/// Moves the email's CSS into `style` attributes; `@media` rules stay in a `<style>` block.
///
/// # Errors
///
/// [`Error::Template`] when the HTML or CSS cannot be processed.
pub fn inline_css(html: &str) -> Result<String> {
    match inline_plain(html) {
        Some(inlined) => Ok(inlined),
        None => inline_any(html),
    }
}

/// css-inline, for the documents [`inline_plain`] declines.
fn inline_any(html: &str) -> Result<String> {
    css_inline::CSSInliner::options()
        .keep_style_tags(false)
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build()
        .inline(html)
        .map_err(|e| Error::Template {
            name: "email.html".to_owned(),
            detail: format!("cannot inline its CSS: {e}"),
        })
}

/// Inlines a plain document (see the module's documentation) as css-inline would, or
/// `None` when the document is not plain.
fn inline_plain(html: &str) -> Option<String> {
    if html.contains('\0') {
        return None;
    }
    let tags = scan(html)?;
    let css = tags
        .iter()
        .filter(|tag| tag.kind == Kind::Style && !tag.content.is_empty())
        .fold(String::new(), |mut css, tag| {
            css.push_str(&html[tag.content.clone()]);
            css.push('\n');
            css
        });
    let sheet = Sheet::parse(&css)?;
    let mut out = String::with_capacity(html.len() + html.len() / 2);
    let mut copied = 0;
    // The open elements, each with its chain in `styled`.
    let mut stack: Vec<Open<'_>> = Vec::with_capacity(32);
    let mut chains: Vec<usize> = Vec::with_capacity(32);
    let mut styled = Chains::default();
    for tag in &tags {
        match tag.kind {
            Kind::End => {
                // The scan checked the nesting; an implied tbody closes with its table.
                if stack.last().is_some_and(|open| open.implied) {
                    stack.pop();
                    chains.pop();
                }
                stack.pop();
                chains.pop();
            }
            Kind::Style => {
                out.push_str(&html[copied..tag.span.start]);
                copied = tag.span.end;
            }
            Kind::Start { void } => {
                if tag.name == "tr" && stack.last().is_some_and(|open| open.tag == "table") {
                    let tbody = Open {
                        tag: "tbody",
                        id: None,
                        class: None,
                        implied: true,
                    };
                    chains.push(styled.chain(&sheet, &tbody, &stack, chains.last()));
                    stack.push(tbody);
                }
                let open = Open {
                    tag: tag.name,
                    id: tag.id.as_ref().map(|a| a.value(html)),
                    class: tag.class.as_ref().map(|a| a.value(html)),
                    implied: false,
                };
                let chain = styled.chain(&sheet, &open, &stack, chains.last());
                let styles = &styled.styles[chain];
                if !styles.is_empty() {
                    out.push_str(&html[copied..tag.span.start]);
                    match &tag.style {
                        None => {
                            out.push_str(&html[tag.span.start..tag.attributes_end]);
                            out.push_str(" style=\"");
                            out.push_str(&styled.written[chain]);
                            out.push('"');
                            out.push_str(&html[tag.attributes_end..tag.span.end]);
                        }
                        Some(own) => merge_style(&mut out, html, tag, own, styles)?,
                    }
                    copied = tag.span.end;
                }
                if tag.name == "head" && !sheet.at_rules.is_empty() {
                    out.push_str(&html[copied..tag.span.end]);
                    copied = tag.span.end;
                    out.push_str("<style>");
                    for rule in &sheet.at_rules {
                        out.push_str(rule);
                        out.push(' ');
                    }
                    out.push_str("</style>");
                }
                if !void {
                    stack.push(open);
                    chains.push(chain);
                }
            }
        }
    }
    out.push_str(&html[copied..]);
    Some(out)
}

/// The styles of each chain of elements met so far. A chain is an element's tag, id and class
/// under its parent's chain; the selectors a plain document may use look at nothing else, so
/// elements of the same chain get the same styles, and a templated email repeats a few
/// hundred chains thousands of times. Ids and classes no selector names are left out of the
/// chain: a story's unique id would otherwise make every element inside it a chain of its own.
#[derive(Default)]
struct Chains<'h, 'c> {
    /// Chain by its key.
    known: HashMap<ChainKey<'h>, usize>,
    /// Each chain's declarations in order.
    styles: Vec<Vec<(&'c str, &'c str)>>,
    /// The same written out for a `style` attribute.
    written: Vec<String>,
    scratch: Scratch<'c>,
}

/// A parent chain (`usize::MAX` at the root), tag, id and class.
type ChainKey<'h> = (usize, &'h str, Option<&'h str>, Option<&'h str>);

impl<'h, 'c> Chains<'h, 'c> {
    /// The chain of `open`, whose ancestors are `stack` and whose parent's chain is `parent`.
    fn chain(
        &mut self,
        sheet: &Sheet<'c>,
        open: &Open<'h>,
        stack: &[Open<'h>],
        parent: Option<&usize>,
    ) -> usize {
        let key = (
            parent.copied().unwrap_or(usize::MAX),
            open.tag,
            open.id.filter(|id| sheet.named.contains(id)),
            open.class.filter(|class| {
                class
                    .split(is_html_space)
                    .any(|name| sheet.named.contains(name))
            }),
        );
        if let Some(&chain) = self.known.get(&key) {
            return chain;
        }
        sheet.styles_of(open, stack, &mut self.scratch);
        let mut written = String::new();
        for (name, value) in &self.scratch.styles {
            push_declaration(&mut written, name, value);
            written.push(';');
        }
        let chain = self.styles.len();
        self.styles.push(self.scratch.styles.clone());
        self.written.push(written);
        self.known.insert(key, chain);
        chain
    }
}

/// An element open around the current tag.
struct Open<'a> {
    tag: &'a str,
    id: Option<&'a str>,
    class: Option<&'a str>,
    /// A `<tbody>` the parser adds around a table's rows; it has no tag to style.
    implied: bool,
}

impl Open<'_> {
    fn has_class(&self, name: &str) -> bool {
        self.class
            .is_some_and(|class| class.split(is_html_space).any(|c| c == name))
    }
}

fn is_html_space(c: char) -> bool {
    c.is_ascii() && is_space_byte(c as u8)
}

fn is_space_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0c' | b'\r')
}

/// The index of the first byte at or after `i` that is not an HTML space.
fn skip_spaces(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).copied().is_some_and(is_space_byte) {
        i += 1;
    }
    i
}

/// Writes `tag`, which has a `style` attribute, with `styles` merged into it as css-inline
/// does: the element's own declarations win unless only the stylesheet's is `!important`.
fn merge_style(
    out: &mut String,
    html: &str,
    tag: &Tag<'_>,
    attribute: &Attribute,
    styles: &[(&str, &str)],
) -> Option<()> {
    let own = declarations(attribute.value(html))?;
    let mut added: Vec<(&str, &str, bool)> = Vec::new();
    let mut replaced: Vec<Option<&str>> = vec![None; own.len()];
    for &(name, value) in styles {
        match (strip_important(value), own.iter().position(|d| d.0 == name)) {
            (Some(value), Some(at)) => {
                if strip_important(own[at].1).is_none() {
                    replaced[at] = Some(value);
                }
            }
            (Some(value), None) => added.push((name, value, true)),
            (None, None) => added.push((name, value, false)),
            (None, Some(_)) => {}
        }
    }
    out.push_str(&html[tag.span.start..attribute.span.start]);
    out.push_str("style=\"");
    let mut first = true;
    let mut separate = |out: &mut String| {
        if !std::mem::take(&mut first) {
            out.push(';');
        }
    };
    for (name, value, important) in added {
        separate(out);
        push_declaration(out, name, value);
        if important {
            out.push_str(" !important");
        }
    }
    for ((name, value), replacement) in own.iter().zip(replaced) {
        separate(out);
        match replacement {
            Some(value) => {
                push_declaration(out, name, value);
                out.push_str(" !important");
            }
            None => push_declaration(out, name, value),
        }
    }
    out.push('"');
    out.push_str(&html[attribute.span.end..tag.span.end]);
    Some(())
}

/// `name: value`, the value trimmed and its double quotes made single, as css-inline
/// writes declarations into a double-quoted attribute.
fn push_declaration(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    for (i, part) in value.trim().split('"').enumerate() {
        if i > 0 {
            out.push('\'');
        }
        out.push_str(part);
    }
}

/// The value without a final `!important`, when it has one.
fn strip_important(value: &str) -> Option<&str> {
    value
        .trim_end()
        .strip_suffix("!important")
        .map(str::trim_end)
}

/// The declarations of a rule body or `style` attribute, or `None` for anything past
/// `name: value; ...` with quoted strings and parentheses.
fn declarations(body: &str) -> Option<Vec<(&str, &str)>> {
    let mut found = Vec::new();
    for declaration in split_top_level(body, b';')? {
        if declaration.trim().is_empty() {
            continue;
        }
        let (name, value) = declaration.split_once(':')?;
        let name = name.trim();
        let value_start = value.trim_start();
        if !is_identifier(name) || value_start.is_empty() {
            return None;
        }
        // Only `!important` at the end, as written; anything else with `!` is css-inline's.
        if value.contains('!') && strip_important(value).is_none_or(|rest| rest.contains('!')) {
            return None;
        }
        found.push((name, value));
    }
    Some(found)
}

/// `text` split at top-level `separator`s, outside quotes and parentheses; `None` when it
/// holds escapes, comments, braces, `&` or unbalanced quotes and parentheses.
fn split_top_level(text: &str, separator: u8) -> Option<Vec<&str>> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            } else if b == b'\\' || b == b'\n' {
                return None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' => quote = Some(b),
            b'(' => depth += 1,
            b')' => depth = depth.checked_sub(1)?,
            b'\\' | b'{' | b'}' | b'&' | b'<' => return None,
            b'/' if bytes.get(i + 1) == Some(&b'*') => return None,
            _ if b == separator && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quote.is_some() || depth != 0 {
        return None;
    }
    parts.push(&text[start..]);
    Some(parts)
}

/// A CSS identifier without escapes: a property, class, id or element name.
fn is_identifier(name: &str) -> bool {
    let rest = name.strip_prefix('-').unwrap_or(name);
    rest.chars().next().is_some_and(|c| !c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || !c.is_ascii())
}

/// The email's stylesheet: its rules to inline and the `@`-rules to keep.
struct Sheet<'a> {
    /// Selectors in the order css-inline applies them: by rule, then as listed.
    selectors: Vec<Selector<'a>>,
    declarations: Vec<Vec<Declaration<'a>>>,
    at_rules: Vec<&'a str>,
    /// Selectors by what their last compound requires, so an element meets only its own.
    by_class: Index<&'a str>,
    by_id: Index<&'a str>,
    by_tag: Index<String>,
    /// Every class and id a selector names: an element's others cannot change its styles.
    named: HashSet<&'a str>,
}

type Index<K> = HashMap<K, Vec<usize>>;

struct Selector<'a> {
    rule: usize,
    specificity: u32,
    /// Compounds from the left, each with the combinator to its right.
    compounds: Vec<(Compound<'a>, Combinator)>,
}

#[derive(Default)]
struct Compound<'a> {
    tag: Option<String>,
    ids: Vec<&'a str>,
    classes: Vec<&'a str>,
}

#[derive(Clone, Copy, PartialEq)]
enum Combinator {
    Descendant,
    Child,
    /// After the last compound.
    None,
}

impl Compound<'_> {
    fn matches(&self, open: &Open<'_>) -> bool {
        self.tag.as_deref().is_none_or(|tag| tag == open.tag)
            && self.ids.iter().all(|id| open.id == Some(*id))
            && self.classes.iter().all(|class| open.has_class(class))
    }
}

impl<'a> Sheet<'a> {
    fn parse(css: &'a str) -> Option<Self> {
        let mut sheet = Sheet {
            selectors: Vec::new(),
            declarations: Vec::new(),
            at_rules: Vec::new(),
            by_class: Index::default(),
            by_id: Index::default(),
            by_tag: Index::default(),
            named: HashSet::default(),
        };
        let mut rest = css;
        loop {
            rest = skip_blanks_and_comments(rest)?;
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix('@') {
                let name_len = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                    .unwrap_or(after.len());
                let name = after[..name_len].to_ascii_lowercase();
                if !matches!(name.as_str(), "media" | "supports" | "container") {
                    return None;
                }
                let end = block_end(rest)?;
                sheet.at_rules.push(rest[..end].trim());
                rest = &rest[end..];
                continue;
            }
            let open = rest.find('{')?;
            let close = open + rest[open..].find('}')?;
            let (prelude, body) = (&rest[..open], &rest[open + 1..close]);
            let rule = sheet.declarations.len();
            let rule_declarations = declarations(body)?
                .into_iter()
                .map(|(name, value)| Declaration {
                    name,
                    value,
                    important: strip_important(value).is_some(),
                })
                .collect();
            sheet.declarations.push(rule_declarations);
            for selector in split_top_level(prelude, b',')? {
                let selector = parse_selector(selector, rule)?;
                for (compound, _) in &selector.compounds {
                    sheet
                        .named
                        .extend(compound.ids.iter().chain(&compound.classes));
                }
                let at = sheet.selectors.len();
                let (last, _) = selector.compounds.last()?;
                if let Some(class) = last.classes.first() {
                    sheet.by_class.entry(class).or_default().push(at);
                } else if let Some(id) = last.ids.first() {
                    sheet.by_id.entry(id).or_default().push(at);
                } else if let Some(tag) = &last.tag {
                    // A tbody the parser implies has no tag to write a style into.
                    if tag == "tbody" {
                        return None;
                    }
                    sheet.by_tag.entry(tag.clone()).or_default().push(at);
                } else {
                    return None;
                }
                sheet.selectors.push(selector);
            }
            rest = &rest[close + 1..];
        }
        Some(sheet)
    }

    /// The declarations for `open`, whose ancestors are `stack`, in css-inline's order:
    /// by specificity, ties in the order applied.
    fn styles_of(&self, open: &Open<'_>, stack: &[Open<'_>], scratch: &mut Scratch<'a>) {
        let Scratch {
            candidates,
            found,
            styles,
        } = scratch;
        candidates.clear();
        found.clear();
        styles.clear();
        if let Some(class) = open.class {
            for name in class.split(is_html_space) {
                candidates.extend(self.by_class.get(name).into_iter().flatten());
            }
        }
        if let Some(id) = open.id {
            candidates.extend(self.by_id.get(id).into_iter().flatten());
        }
        candidates.extend(self.by_tag.get(open.tag).into_iter().flatten());
        if candidates.is_empty() {
            return;
        }
        candidates.sort_unstable();
        candidates.dedup();
        for &at in candidates.iter() {
            let selector = &self.selectors[at];
            if !selector.matches(open, stack) {
                continue;
            }
            let precedence = selector.specificity;
            for declaration in &self.declarations[selector.rule] {
                let Some(entry) = found
                    .iter_mut()
                    .find(|entry| entry.1.name == declaration.name)
                else {
                    found.push((precedence, *declaration));
                    continue;
                };
                let wins = match (declaration.important, entry.1.important) {
                    (false, false) | (true, true) => entry.0 <= precedence,
                    (true, false) => true,
                    (false, true) => false,
                };
                if wins {
                    *entry = (precedence, *declaration);
                }
            }
        }
        found.sort_by_key(|entry| entry.0);
        styles.extend(found.iter().map(|entry| (entry.1.name, entry.1.value)));
    }
}

/// Buffers reused from element to element.
#[derive(Default)]
struct Scratch<'a> {
    candidates: Vec<usize>,
    found: Vec<(u32, Declaration<'a>)>,
    /// The result: name and value, in order.
    styles: Vec<(&'a str, &'a str)>,
}

#[derive(Clone, Copy)]
struct Declaration<'a> {
    name: &'a str,
    /// As written, `!important` included.
    value: &'a str,
    important: bool,
}

impl Selector<'_> {
    fn matches(&self, open: &Open<'_>, stack: &[Open<'_>]) -> bool {
        let Some(((last, _), before)) = self.compounds.split_last() else {
            return false;
        };
        last.matches(open) && matches_ancestors(before, stack, &mut Vec::new())
    }
}

/// Whether `compounds` (each with the combinator to its right) match up the `stack`, whose
/// top is the parent of the element the compound after them matched. `failed` remembers
/// the (compounds, stack) heights already tried, so descendant combinators over a deep
/// document do not try the same ancestors again and again.
fn matches_ancestors(
    compounds: &[(Compound<'_>, Combinator)],
    stack: &[Open<'_>],
    failed: &mut Vec<(usize, usize)>,
) -> bool {
    let Some(((compound, combinator), before)) = compounds.split_last() else {
        return true;
    };
    let state = (compounds.len(), stack.len());
    if failed.contains(&state) {
        return false;
    }
    let matched = match combinator {
        Combinator::Child => stack.split_last().is_some_and(|(parent, above)| {
            compound.matches(parent) && matches_ancestors(before, above, failed)
        }),
        _ => (0..stack.len()).rev().any(|at| {
            compound.matches(&stack[at]) && matches_ancestors(before, &stack[..at], failed)
        }),
    };
    if !matched {
        failed.push(state);
    }
    matched
}

/// One complex selector of type, class, id and `*` compounds with descendant and child
/// combinators; `None` for anything else.
fn parse_selector(text: &str, rule: usize) -> Option<Selector<'_>> {
    let mut compounds: Vec<(Compound<'_>, Combinator)> = Vec::new();
    let mut rest = text.trim();
    let (mut ids, mut classes, mut types) = (0u32, 0u32, 0u32);
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| is_html_space(c) || c == '>')
            .unwrap_or(rest.len());
        let compound = parse_compound(&rest[..end])?;
        ids += compound.ids.len() as u32;
        classes += compound.classes.len() as u32;
        types += u32::from(compound.tag.is_some());
        rest = &rest[end..];
        let trimmed = rest.trim_start_matches(is_html_space);
        let combinator = if let Some(after) = trimmed.strip_prefix('>') {
            rest = after.trim_start_matches(is_html_space);
            if rest.is_empty() {
                return None;
            }
            Combinator::Child
        } else if trimmed.is_empty() {
            rest = trimmed;
            Combinator::None
        } else {
            rest = trimmed;
            Combinator::Descendant
        };
        compounds.push((compound, combinator));
    }
    if compounds.is_empty() {
        return None;
    }
    // As the selectors crate packs it: ten bits each.
    let specificity = ids.min(1023) << 20 | classes.min(1023) << 10 | types.min(1023);
    Some(Selector {
        rule,
        specificity,
        compounds,
    })
}

fn parse_compound(text: &str) -> Option<Compound<'_>> {
    let mut compound = Compound::default();
    let mut rest = text;
    if let Some(after) = rest.strip_prefix('*') {
        rest = after;
    } else if !rest.starts_with(['.', '#']) {
        let end = rest.find(['.', '#']).unwrap_or(rest.len());
        let name = &rest[..end];
        if !is_identifier(name) || !name.is_ascii() {
            return None;
        }
        compound.tag = Some(name.to_ascii_lowercase());
        rest = &rest[end..];
    }
    while !rest.is_empty() {
        let (is_class, body) = match (rest.strip_prefix('.'), rest.strip_prefix('#')) {
            (Some(body), _) => (true, body),
            (_, Some(body)) => (false, body),
            _ => return None,
        };
        let end = body.find(['.', '#']).unwrap_or(body.len());
        let name = &body[..end];
        if !is_identifier(name) {
            return None;
        }
        if is_class {
            compound.classes.push(name);
        } else {
            compound.ids.push(name);
        }
        rest = &body[end..];
    }
    if compound.tag.is_none() && compound.ids.is_empty() && compound.classes.is_empty() {
        // `*` alone would style the tbody a table implies.
        return None;
    }
    Some(compound)
}

/// `text` past blanks and top-level comments; `None` for an unclosed comment.
fn skip_blanks_and_comments(mut text: &str) -> Option<&str> {
    loop {
        text = text.trim_start_matches(is_html_space);
        let Some(comment) = text.strip_prefix("/*") else {
            return Some(text);
        };
        text = &comment[comment.find("*/")? + 2..];
    }
}

/// The end of the `@`-rule at the start of `text`, after its block's closing brace;
/// `None` when it has no block, holds escapes or strings, or its braces do not balance.
fn block_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            b';' if depth == 0 => return None,
            b'\\' | b'"' | b'\'' => return None,
            b'/' if text.as_bytes().get(i + 1) == Some(&b'*') => return None,
            _ => {}
        }
    }
    None
}

/// A tag of the document, and where it is.
struct Tag<'a> {
    kind: Kind,
    /// Lowercase.
    name: &'a str,
    /// The whole tag; for a `<style>` element, the element.
    span: std::ops::Range<usize>,
    /// For a `<style>` element, its text.
    content: std::ops::Range<usize>,
    /// Where the last attribute ends: a new one goes there.
    attributes_end: usize,
    /// Whether it has attributes other than these three.
    has_others: bool,
    class: Option<Attribute>,
    id: Option<Attribute>,
    style: Option<Attribute>,
    /// Written `<.../>`.
    self_closing: bool,
    /// A `<link>` whose `rel` names a stylesheet.
    links_stylesheet: bool,
}

impl<'a> Tag<'a> {
    fn new(kind: Kind, name: &'a str, span: std::ops::Range<usize>) -> Tag<'a> {
        Tag {
            kind,
            name,
            attributes_end: span.end,
            span,
            content: 0..0,
            has_others: false,
            links_stylesheet: false,
            class: None,
            id: None,
            style: None,
            self_closing: false,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Start {
        void: bool,
    },
    End,
    /// A `<style>` element: its CSS goes into the attributes, the element goes.
    Style,
}

#[derive(Clone)]
struct Attribute {
    span: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

impl Attribute {
    fn value<'a>(&self, html: &'a str) -> &'a str {
        &html[self.value.clone()]
    }
}

/// Where the scan is in the document's required outline.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Place {
    BeforeDoctype,
    BeforeHtml,
    BeforeHead,
    InHead,
    AfterHead,
    InBody,
    AfterBody,
    AfterHtml,
}

/// Elements without content or end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

/// What may stand inside a `<p>` without the parser closing the paragraph first.
fn is_phrasing(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "b"
            | "bdi"
            | "bdo"
            | "br"
            | "cite"
            | "code"
            | "data"
            | "del"
            | "dfn"
            | "em"
            | "i"
            | "img"
            | "ins"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "u"
            | "var"
            | "wbr"
            | "font"
            | "big"
            | "tt"
            | "strike"
            | "label"
    )
}

/// Elements whose start tags the parser treats specially in ways a plain document does
/// not need (closing others, moving content, other namespaces, raw text).
fn is_declined(name: &str) -> bool {
    matches!(
        name,
        "html"
            | "head"
            | "body"
            | "frameset"
            | "frame"
            | "template"
            | "svg"
            | "math"
            | "select"
            | "option"
            | "optgroup"
            | "image"
            | "isindex"
            | "plaintext"
            | "caption"
            | "colgroup"
            | "col"
            | "rb"
            | "rp"
            | "rt"
            | "rtc"
            | "nobr"
            | "form"
            | "button"
            | "dd"
            | "dt"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
            | "script"
            | "textarea"
            | "title"
            | "listing"
            | "pre"
            | "keygen"
            | "param"
            | "basefont"
            | "bgsound"
            | "menuitem"
            | "applet"
            | "object"
            | "marquee"
            | "input"
            | "embed"
            | "area"
    )
}

/// Stands in the scan for the `<tbody>` the parser adds around rows written straight in a
/// table; later `<tbody>`, `<thead>` or `<tfoot>` tags would be its siblings, so a plain
/// document has none.
const IMPLIED_TBODY: &str = "#tbody";

/// Deeper documents go to css-inline: selector matching here walks the open elements.
const MAX_DEPTH: usize = 256;

/// The document's tags, checked to nest as written; `None` when it is not plain.
fn scan(html: &str) -> Option<Vec<Tag<'_>>> {
    let bytes = html.as_bytes();
    // About one tag per 30 bytes in a templated email; growing the list copies it whole.
    let mut tags = Vec::with_capacity(html.len() / 24);
    let mut open: Vec<&str> = Vec::with_capacity(32);
    let mut place = Place::BeforeDoctype;
    let mut at = 0;
    let mut in_paragraph = 0usize;
    let mut in_link = 0usize;
    loop {
        let text_end = memchr::memchr(b'<', &bytes[at..]).map_or(html.len(), |i| at + i);
        let text = &html[at..text_end];
        let table_context = matches!(
            open.last(),
            Some(&("table" | "tbody" | "thead" | "tfoot" | "tr" | IMPLIED_TBODY))
        );
        if (place != Place::InBody || table_context) && !text.chars().all(is_html_space) {
            return None;
        }
        at = text_end;
        if at == html.len() {
            return (place >= Place::AfterBody).then_some(tags);
        }
        let rest = &html[at..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            if comment.starts_with('>') || comment.starts_with("->") {
                return None;
            }
            let end = comment.find("-->")?;
            if comment[..end].contains("--!") {
                return None;
            }
            at += 4 + end + 3;
            continue;
        }
        if rest.starts_with("<!") {
            let end = rest.find('>')?;
            let doctype = rest[2..end].to_ascii_lowercase();
            let words: Vec<&str> = doctype
                .split(is_html_space)
                .filter(|w| !w.is_empty())
                .collect();
            if place != Place::BeforeDoctype || words != ["doctype", "html"] {
                return None;
            }
            place = Place::BeforeHtml;
            at += end + 1;
            continue;
        }
        let next = rest.as_bytes().get(1).copied();
        let is_end = next == Some(b'/');
        let name_from = at + 1 + usize::from(is_end);
        if !bytes.get(name_from).is_some_and(u8::is_ascii_alphabetic) {
            if is_end || next == Some(b'?') {
                return None;
            }
            // A lone `<` is text.
            if place != Place::InBody || table_context {
                return None;
            }
            at += 1;
            continue;
        }
        let mut tag = read_tag(html, at, is_end)?;
        at = tag.span.end;
        let name = tag.name;
        if is_end {
            match (place, name) {
                (Place::InHead, "head") => place = Place::AfterHead,
                (Place::InBody, "body") => place = Place::AfterBody,
                (Place::AfterBody, "html") => {
                    place = Place::AfterHtml;
                    continue;
                }
                _ if place == Place::InBody => {}
                _ => return None,
            }
            if name == "table" && open.last() == Some(&IMPLIED_TBODY) {
                open.pop();
            }
            if open.last() != Some(&name) {
                return None;
            }
            open.pop();
            in_paragraph -= usize::from(name == "p");
            in_link -= usize::from(name == "a");
            tags.push(tag);
            continue;
        }
        let void = is_void(name);
        if tag.self_closing && !void {
            return None;
        }
        match place {
            Place::BeforeHtml if name == "html" => place = Place::BeforeHead,
            Place::BeforeHead if name == "head" => place = Place::InHead,
            Place::AfterHead if name == "body" => place = Place::InBody,
            Place::InHead if matches!(name, "meta" | "link" | "base" | "style" | "title") => {}
            Place::InBody => {
                let parent = open.last().copied().unwrap_or("");
                let allowed = match parent {
                    "table" => matches!(name, "tbody" | "thead" | "tfoot" | "tr"),
                    "tbody" | "thead" | "tfoot" | IMPLIED_TBODY => name == "tr",
                    "tr" => matches!(name, "td" | "th"),
                    _ => {
                        !matches!(
                            name,
                            "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "style"
                        ) && !is_declined(name)
                    }
                };
                let closes_paragraph = in_paragraph > 0 && !is_phrasing(name);
                let closes_heading = is_heading(name) && is_heading(parent);
                let closes_item = name == "li"
                    && open
                        .iter()
                        .rev()
                        .take_while(|tag| !matches!(**tag, "ul" | "ol" | "menu"))
                        .any(|tag| *tag == "li");
                if !allowed || closes_paragraph || closes_heading || closes_item {
                    return None;
                }
                if name == "a" && in_link > 0 {
                    return None;
                }
            }
            _ => return None,
        }
        if tag.links_stylesheet {
            // A linked stylesheet is css-inline's to drop.
            return None;
        }
        if matches!(name, "style" | "title") {
            // Raw text up to the element's end tag.
            let close = format!("</{name}");
            let lower = &html[at..];
            let end = find_ascii_case_insensitive(lower, &close)?;
            let after = at + end + close.len();
            let terminator = *bytes.get(after)?;
            if terminator != b'>' {
                return None;
            }
            if name == "style" {
                if tag.has_others || tag.class.is_some() || tag.id.is_some() || tag.style.is_some()
                {
                    return None;
                }
                tag.kind = Kind::Style;
                tag.content = at..at + end;
                tag.span.end = after + 1;
                at = after + 1;
                tags.push(tag);
                continue;
            }
            tag.kind = Kind::Start { void: false };
            tags.push(tag);
            tags.push(Tag::new(Kind::End, "title", at + end..after + 1));
            at = after + 1;
            continue;
        }
        if name == "tr" && open.last() == Some(&"table") {
            open.push(IMPLIED_TBODY);
        }
        if !void {
            if open.len() == MAX_DEPTH {
                return None;
            }
            open.push(name);
            in_paragraph += usize::from(name == "p");
            in_link += usize::from(name == "a");
        }
        tag.kind = Kind::Start { void };
        tags.push(tag);
    }
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

fn find_ascii_case_insensitive(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    (0..=h.len().checked_sub(n.len())?).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// A start or end tag read from `at`, `None` for one a plain document would not hold.
fn read_tag(html: &str, at: usize, is_end: bool) -> Option<Tag<'_>> {
    let bytes = html.as_bytes();
    let name_from = at + 1 + usize::from(is_end);
    let mut i = name_from;
    while i < bytes.len() && !is_space_byte(bytes[i]) && !matches!(bytes[i], b'/' | b'>') {
        i += 1;
    }
    let name = &html[name_from..i];
    // Lowercase names only: the rest of the scan compares them as they are.
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return None;
    }
    let mut tag = Tag::new(Kind::End, name, at..at);
    tag.attributes_end = i;
    loop {
        i = skip_spaces(bytes, i);
        match bytes.get(i)? {
            b'>' => {
                i += 1;
                break;
            }
            b'/' if bytes.get(i + 1) == Some(&b'>') => {
                tag.self_closing = true;
                i += 2;
                break;
            }
            _ if is_end => return None,
            b'/' | b'=' | b'"' | b'\'' | b'<' => return None,
            _ => {}
        }
        let start = i;
        while i < bytes.len() && !is_space_byte(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=')
        {
            if matches!(bytes[i], b'"' | b'\'' | b'<') {
                return None;
            }
            i += 1;
        }
        let attribute_name = &html[start..i];
        let mut j = skip_spaces(bytes, i);
        let value = if bytes.get(j) == Some(&b'=') {
            j = skip_spaces(bytes, j + 1);
            match *bytes.get(j)? {
                q @ (b'"' | b'\'') => {
                    let end = j + 1 + memchr::memchr(q, &bytes[j + 1..])?;
                    i = end + 1;
                    j + 1..end
                }
                b'>' => return None,
                _ => {
                    let from = j;
                    while j < bytes.len() && !is_space_byte(bytes[j]) && bytes[j] != b'>' {
                        if matches!(bytes[j], b'"' | b'\'' | b'<' | b'=' | b'`') {
                            return None;
                        }
                        j += 1;
                    }
                    i = j;
                    from..j
                }
            }
        } else {
            i..i
        };
        let attribute = Attribute {
            span: start..i,
            value,
        };
        let slot = if attribute_name.eq_ignore_ascii_case("class") {
            &mut tag.class
        } else if attribute_name.eq_ignore_ascii_case("id") {
            &mut tag.id
        } else if attribute_name.eq_ignore_ascii_case("style") {
            &mut tag.style
        } else if attribute_name.eq_ignore_ascii_case("data-css-inline") {
            return None;
        } else {
            tag.links_stylesheet |= name == "link"
                && attribute_name.eq_ignore_ascii_case("rel")
                && attribute
                    .value(html)
                    .to_ascii_lowercase()
                    .contains("stylesheet");
            tag.has_others = true;
            tag.attributes_end = i;
            continue;
        };
        // Entities would need decoding; a repeat is ignored by the parser.
        if slot.is_some() || attribute.value(html).contains('&') {
            return None;
        }
        *slot = Some(attribute);
        tag.attributes_end = i;
    }
    if is_end && tag.self_closing {
        return None;
    }
    tag.span = at..i;
    Some(tag)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::markdown::tests::Random;

    /// What a mail client would see: every node the HTML parser builds, with attributes
    /// as a set and `style` as its declarations.
    fn outline(html: &str) -> Vec<String> {
        let document = scraper::Html::parse_document(html);
        document
            .tree
            .root()
            .descendants()
            .map(|node| match node.value() {
                scraper::Node::Element(element) => {
                    let mut attributes: Vec<(&str, &str)> = element
                        .attrs()
                        .filter(|(name, _)| *name != "style")
                        .collect();
                    attributes.sort_unstable();
                    let style = element.attr("style").map(declared);
                    format!("<{} {attributes:?} {style:?}>", element.name())
                }
                scraper::Node::Text(text) => format!("{:?}", &**text),
                scraper::Node::Comment(comment) => format!("<!--{}-->", &**comment),
                scraper::Node::Doctype(doctype) => format!("<!doctype {}>", doctype.name()),
                _ => String::new(),
            })
            .collect()
    }

    fn declared(style: &str) -> BTreeMap<String, String> {
        style
            .split(';')
            .filter(|declaration| !declaration.trim().is_empty())
            .map(|declaration| {
                let (name, value) = declaration.split_once(':').unwrap_or((declaration, ""));
                let value = value
                    .trim()
                    .replace('"', "'")
                    .replace(" !important", "!important");
                (name.trim().to_owned(), value)
            })
            .collect()
    }

    /// Inlines `html` both ways and holds the results to the same document.
    fn assert_same_as_css_inline(html: &str) -> bool {
        let reference = inline_any(html).map(|inlined| outline(&inlined));
        let plain = inline_plain(html);
        if let Some(plain) = &plain {
            match &reference {
                Ok(reference) => {
                    let ours = outline(plain);
                    if let Some(at) = (0..ours.len().max(reference.len()))
                        .find(|&i| ours.get(i) != reference.get(i))
                    {
                        panic!(
                            "differs from css-inline at node {at}:\n  ours:       {:?}\n  css-inline: {:?}\n\ninput:\n{html}\n\nours:\n{plain}",
                            ours.get(at),
                            reference.get(at)
                        );
                    }
                }
                Err(e) => panic!("css-inline fails ({e}) but the plain path did not:\n{html}"),
            }
        }
        plain.is_some()
    }

    fn document(css: &str, body: &str) -> String {
        format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>T &amp; t</title>\n<style>\n{css}\n</style>\n</head>\n<body class=\"email\">\n{body}\n</body>\n</html>\n"
        )
    }

    const DECLARATIONS: &[&str] = &[
        "color: red",
        "color: blue !important",
        "margin: 0",
        "margin: 4px!important",
        "padding: 1px 2px",
        "font-family: \"Segoe UI\", Arial",
        "width: 100%",
        "color: green",
        "background: url(a.png) no-repeat",
        "--gap: 2px",
        "padding-left: var(--gap)",
    ];

    fn random_css(random: &mut Random) -> String {
        let selectors = [
            "p",
            "a",
            ".x",
            ".y",
            "#i",
            "td",
            "table",
            ".x a",
            ".y > p",
            "div .x",
            "table > tr",
            "tr > td",
            "tbody td",
            "ul li",
            "li > a",
            "h1",
            ".x.y",
            "p.x",
            "body",
            "html body .x",
            "*.x",
            "div#i",
            "TD",
            "table td > p",
        ];
        // Selectors css-inline alone handles: one stylesheet in ten has one.
        let declined = [
            "a:hover",
            "p + p",
            ".x ~ .y",
            "tbody",
            "*",
            "li:first-child",
            "[href]",
        ];
        let mut css = String::new();
        for _ in 0..3 + random.below(8) {
            let chosen: Vec<&str> = (0..1 + random.below(3))
                .map(|_| {
                    if random.below(40) == 0 {
                        random.pick(&declined)
                    } else {
                        random.pick(&selectors)
                    }
                })
                .collect();
            let body: Vec<&str> = (0..1 + random.below(3))
                .map(|_| random.pick(DECLARATIONS))
                .collect();
            css.push_str(&format!(
                "{} {{ {}; }}\n",
                chosen.join(", "),
                body.join("; ")
            ));
            match random.below(40) {
                0..=3 => css
                    .push_str("@media (max-width: 600px) {\n  .x { color: red !important; }\n}\n"),
                4..=6 => css.push_str("/* a comment */\n"),
                7 => css.push_str("@layer base { p { color: red; } }\n"),
                8 => css.push_str("@font-face { font-family: F; src: url(f.woff); }\n"),
                _ => {}
            }
        }
        css
    }

    fn random_attributes(random: &mut Random) -> String {
        let mut attributes = String::new();
        match random.below(6) {
            0 => attributes.push_str(" class=\"x\""),
            1 => attributes.push_str(" class=\"x  y\""),
            2 => attributes.push_str(" class=y"),
            3 => attributes.push_str(" id=\"i\""),
            _ => {}
        }
        match random.below(6) {
            0 => attributes.push_str(" style=\"color: black\""),
            1 => attributes.push_str(" style='margin: 1px !important; color: olive;'"),
            2 => attributes.push_str(" style=\"display:none\""),
            _ => {}
        }
        if random.below(4) == 0 {
            attributes.push_str(" title=\"a &amp; b\"");
        }
        attributes
    }

    /// Mostly well-nested HTML; now and then something a parser would rearrange.
    fn random_body(random: &mut Random, depth: usize, inside_paragraph: bool) -> String {
        let mut body = String::new();
        for _ in 0..1 + random.below(4) {
            let attributes = random_attributes(random);
            let nested = |random: &mut Random, p: bool| {
                if depth == 0 {
                    "text".to_owned()
                } else {
                    random_body(random, depth - 1, p)
                }
            };
            match random.below(if inside_paragraph { 6 } else { 16 }) {
                0 => body.push_str("words &amp; more &lt;x&gt; &nbsp;"),
                1 => body.push_str(&format!("<a href=\"https://e.org/?a=1&amp;b\"{attributes}>link</a>")),
                2 => body.push_str(&format!("<strong{attributes}>{}</strong>", nested(random, inside_paragraph))),
                3 => body.push_str(&format!("<span{attributes}>{}</span>", nested(random, inside_paragraph))),
                4 => body.push_str("<br>"),
                5 => body.push_str(&format!("<img src=\"a.png\" alt=\"\"{attributes}/>")),
                6 => body.push_str(&format!("<p{attributes}>{}</p>\n", nested(random, true))),
                7 | 8 => body.push_str(&format!("<div{attributes}>\n{}</div>\n", nested(random, false))),
                9 => body.push_str(&format!(
                    "<ul{attributes}>\n<li>{}</li>\n<li class=\"x\"><a href=\"#\">a</a></li>\n</ul>\n",
                    nested(random, false)
                )),
                10 => body.push_str(&format!(
                    "<table{attributes}>\n<tr><td class=\"y\">{}</td></tr>\n<tr><td>b</td></tr>\n</table>\n",
                    nested(random, false)
                )),
                11 => body.push_str(&format!(
                    "<table>\n<tbody><tr><td{attributes}><p>{}</p></td></tr></tbody>\n</table>\n",
                    nested(random, true)
                )),
                12 => body.push_str(&format!("<h1{attributes}>{}</h1>\n", nested(random, true))),
                13 => body.push_str("<!-- note -->"),
                // Things an HTML parser rearranges: plain documents hold none of them.
                14 if random.below(8) == 0 => body.push_str(match random.below(8) {
                    0 => "<p>one <div>two</div></p>",
                    1 => "<a href=\"#\">one <a href=\"#\">two</a></a>",
                    2 => "<table><td>cell</td></table>",
                    3 => "<ul><li>one<li>two</ul>",
                    4 => "<table><tr><td>a</td></tr><tbody><tr><td>b</td></tr></tbody></table>",
                    5 => "<b><i>x</b></i>",
                    6 => "<table>stray<tr><td>a</td></tr></table>",
                    _ => "<pre>\ncode</pre>",
                }),
                _ => body.push_str(&format!("<blockquote{attributes}>{}</blockquote>\n", nested(random, false))),
            }
        }
        body
    }

    #[test]
    fn inlines_plain_documents_as_css_inline_does() {
        let mut random = Random(0x2545_f491_4f6c_dd1d);
        let (mut plain, total) = (0, 3000);
        for _ in 0..total {
            let css = random_css(&mut random);
            let body = random_body(&mut random, 3, false);
            plain += usize::from(assert_same_as_css_inline(&document(&css, &body)));
        }
        // Both paths are exercised: most documents are plain, a good share are not.
        assert!(
            plain > total / 5 && plain < total * 9 / 10,
            "{plain} of {total} plain"
        );
    }

    #[test]
    fn inlines_card_markdown_in_the_default_email_as_css_inline_does() {
        let css = crate::templates::BUILTINS
            .iter()
            .find_map(|(name, source)| (*name == "email.css").then_some(*source))
            .expect("built in");
        let pieces = [
            "- ",
            "1. ",
            "> ",
            "\n",
            "\n\n",
            "*",
            "**",
            "_",
            "`",
            "[a](https://e.org/)",
            "![b](x.png)",
            "<",
            "&",
            "word ",
            "ünï ",
            "\u{a0}",
            "  \n",
            "# ",
        ];
        let mut plain = 0;
        let texts = crate::markdown::tests::random_texts(&pieces, 12, 2000, 0x9e37_79b9_7f4a_7c15);
        for text in texts {
            let story = format!(
                "<table role=\"presentation\" class=\"container\" width=\"600\">\n<tr><td class=\"content\">\n<h2 class=\"headline\"><a href=\"#\">T</a></h2>\n<div class=\"summary\">{}</div>\n<ul class=\"arrows\"><li><span class=\"arrow\">→</span> {}</li></ul>\n</td></tr>\n</table>",
                crate::markdown::to_html(&text),
                crate::markdown::to_inline_html(&text),
            );
            plain += usize::from(assert_same_as_css_inline(&document(css, &story)));
        }
        assert!(plain > 1000, "{plain} of 2000 plain");
    }

    #[test]
    fn edited_documents_never_break_either_path() {
        let mut random = Random(0x5851_f42d_4c95_7f2d);
        let edits = [
            "<", ">", "</p>", "<p>", "\"", "'", "=", "&", "é", "*é", "{", "}", ";", ":", "!", "/*",
            "-->", "<!--", "</", "<a>", " ", "\n", "<td>", "</table>", ".", "#", "@media",
        ];
        let mut plain = 0;
        for _ in 0..1500 {
            let css = random_css(&mut random);
            let body = random_body(&mut random, 2, false);
            let mut html = document(&css, &body);
            for _ in 0..1 + random.below(3) {
                let mut at = random.below(html.len());
                while !html.is_char_boundary(at) {
                    at -= 1;
                }
                if random.below(3) == 0 {
                    let mut end = (at + random.below(8)).min(html.len());
                    while !html.is_char_boundary(end) {
                        end -= 1;
                    }
                    html.replace_range(at..end, "");
                } else {
                    html.insert_str(at, random.pick(&edits));
                }
            }
            plain += usize::from(assert_same_as_css_inline(&html));
        }
        assert!(plain > 100, "{plain} of 1500 edited documents plain");
    }

    #[test]
    fn deep_documents_stay_quick() {
        let css = "div div div div div div div div .x { color: red } div > div > p { margin: 0 }";
        let deep = |depth: usize| {
            document(
                css,
                &format!(
                    "{}<p class=\"x\">a</p>{}",
                    "<div>".repeat(depth),
                    "</div>".repeat(depth)
                ),
            )
        };
        assert!(assert_same_as_css_inline(&deep(200)));
        assert!(
            inline_plain(&deep(300)).is_none(),
            "css-inline takes the deepest"
        );
    }

    #[test]
    fn the_bundled_emails_take_the_plain_path() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let paths = crate::project::Paths::new(root);
        let prepared = crate::pipeline::prepare(&paths, false).expect("the sample builds");
        let env = crate::templates::environment(&paths.templates, &prepared.config.language)
            .expect("templates");
        let publication = super::super::Publication::new(&env, &prepared.config, &prepared.issues);
        for index in 0..prepared.issues.len() {
            let issue = publication.view(index);
            let context =
                super::super::issue::IssueContext::web(&publication, index, &issue, &issue.path)
                    .absolute();
            let html = publication.render("email.html", &context).expect("renders");
            assert!(
                assert_same_as_css_inline(&html),
                "{} is not plain",
                issue.week
            );
        }
    }

    #[test]
    fn merges_into_an_element_own_style_as_css_inline_does() {
        let html = document(
            "p { color: red; margin: 0 !important; padding: 1px } .x { color: blue !important }",
            "<p style=\"color: black; margin: 2px; padding: 3px !important\">a</p><p class=\"x\" style=\"color: black\">b</p>",
        );
        let inlined = inline_plain(&html).expect("plain");
        assert!(
            inlined.contains(
                "<p style=\"color: black;margin: 0 !important;padding: 3px !important\">a</p>"
            ),
            "{inlined}"
        );
        assert!(
            inlined.contains("<p class=\"x\" style=\"margin: 0 !important;padding: 1px;color: blue !important\">b</p>"),
            "{inlined}"
        );
        assert!(
            !inlined.contains("<style>"),
            "no @-rules, no style block: {inlined}"
        );
        assert_same_as_css_inline(&html);
    }

    #[test]
    fn hands_documents_a_parser_would_rearrange_to_css_inline() {
        let css = "p { color: red }";
        for (why, html) in [
            ("no doctype", "<html><head></head><body><p>a</p></body></html>".to_owned()),
            ("quirks doctype", "<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\"><html><head></head><body></body></html>".to_owned()),
            ("no head", "<!doctype html><html><body><p>a</p></body></html>".to_owned()),
            ("unclosed body", "<!doctype html><html><head></head><body><p>a</p>".to_owned()),
            ("div in p", document(css, "<p>a<div>b</div></p>")),
            ("p in p", document(css, "<p>a<p>b</p></p>")),
            ("unclosed p", document(css, "<div><p>a</div>")),
            ("a in a", document(css, "<a href=\"#\"><a href=\"#\">b</a></a>")),
            ("li in li", document(css, "<ul><li>a<li>b</li></li></ul>")),
            ("cell in table", document(css, "<table><td>a</td></table>")),
            ("text in table", document(css, "<table>a<tr><td>b</td></tr></table>")),
            ("tbody after rows", document(css, "<table><tr><td>a</td></tr><tbody></tbody></table>")),
            ("misnested", document(css, "<b><i>a</b></i>")),
            ("uppercase tag", document(css, "<P>a</P>")),
            ("entity in class", document(css, "<p class=\"a&amp;b\">a</p>")),
            ("repeated class", document(css, "<p class=\"a\" class=\"b\">a</p>")),
            ("self-closed div", document(css, "<div/>a")),
            ("svg", document(css, "<svg><p>a</p></svg>")),
            ("style in body", document(css, "<style>p { color: blue }</style>")),
            ("linked stylesheet", "<!doctype html><html><head><link rel=\"stylesheet\" href=\"s.css\"></head><body></body></html>".to_owned()),
            ("ignored by css-inline", document(css, "<p data-css-inline=\"ignore\">a</p>")),
            ("pseudo-class", document("a:hover { color: red }", "")),
            ("sibling", document("p + p { color: red }", "")),
            ("attribute selector", document("[href] { color: red }", "")),
            ("universal", document("* { color: red }", "")),
            ("tbody", document("tbody { color: red }", "")),
            ("layer", document("@layer a { p { color: red } }", "")),
            ("import", document("@import url(a.css);", "")),
            ("comment in a rule", document("p { color: /* red */ blue }", "")),
            ("escape", document(".a\\:b { color: red }", "")),
            ("unclosed rule", document("p { color: red", "")),
            ("bang", document("p { color: red !ie }", "")),
        ] {
            assert!(inline_plain(&html).is_none(), "{why} taken as plain:\n{html}");
            // And css-inline inlines it.
            inline_css(&html).unwrap_or_else(|e| panic!("{why}: {e}"));
        }
    }
}
