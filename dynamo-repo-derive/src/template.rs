//! Key templates such as `"ORG#{org_id}"`: literal text and `{field}`
//! placeholders, parsed once and checked against the struct's fields. A
//! placeholder may carry a sort-safe format, `{seq:sortable}` or `{seq:08}`
//! (checked here for syntax; which types take it, by the runtime traits).
//!
//! A template must be unambiguous, so that two different sets of values
//! never make the same key and another entity's keys are easy to keep apart:
//! it starts with literal text, and each placeholder ends the template or is
//! followed by `#`. Values never contain `#` (it is escaped), so a key is
//! parsed back by splitting at `#`: the template is one-to-one.

use crate::ctxt::Ctxt;
use syn::LitStr;

/// One piece of a template.
#[derive(Clone, PartialEq, Eq)]
pub enum Segment {
    /// Text copied into the key as it is.
    Literal(String),
    /// `{field}`: the field's value, escaped.
    Field(String),
}

/// How a placeholder's value is written: `{field}`, `{field:sortable}` or
/// `{field:08}` (see `dynamo_repo::sortable`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    /// Its key text, escaped.
    Plain,
    /// Sort-safe at the type's own width.
    Sortable,
    /// Sort-safe at this many digits (an integer).
    Width(usize),
}

/// The widest explicit width: the digits of `u128::MAX`.
const MAX_WIDTH: usize = 39;

/// A parsed key template, with the literal it came from (for spans).
#[derive(Clone)]
pub struct Template {
    pub lit: LitStr,
    pub segments: Vec<Segment>,
    /// The format of each segment (`Plain` for literals), beside `segments`.
    pub formats: Vec<Format>,
    /// False for a stand-in of a template that did not parse (its errors are
    /// already recorded; no further checks should pile on).
    pub ok: bool,
}

impl Template {
    /// Parses `lit`, recording every syntax error at its span.
    pub fn parse(cx: &Ctxt, lit: &LitStr) -> Option<Template> {
        let text = lit.value();
        let mut segments = Vec::new();
        let mut formats = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars();
        let mut ok = true;
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        cx.error_spanned_by(
                            lit,
                            "unclosed `{` in key template; a placeholder is `{field}`",
                        );
                        ok = false;
                        break;
                    }
                    let (name, format) = match name.split_once(':') {
                        Some((name, spec)) => (name, Some(spec.trim())),
                        None => (name.as_str(), None),
                    };
                    let name = name.trim().to_owned();
                    let format = match format.map(|spec| parse_format(&name, spec)) {
                        None => Format::Plain,
                        Some(Ok(format)) => format,
                        Some(Err(message)) => {
                            cx.error_spanned_by(lit, message);
                            ok = false;
                            continue;
                        }
                    };
                    if syn::parse_str::<syn::Ident>(&name).is_err() {
                        cx.error_spanned_by(
                            lit,
                            format!("`{{{name}}}` is not a placeholder; a placeholder names a field: `{{field}}`"),
                        );
                        ok = false;
                        continue;
                    }
                    if !literal.is_empty() {
                        segments.push(Segment::Literal(std::mem::take(&mut literal)));
                        formats.push(Format::Plain);
                    }
                    segments.push(Segment::Field(name));
                    formats.push(format);
                }
                '}' => {
                    cx.error_spanned_by(lit, "unmatched `}` in key template");
                    ok = false;
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
            formats.push(Format::Plain);
        }
        if ok && segments.is_empty() {
            cx.error_spanned_by(
                lit,
                "a key template cannot be empty: DynamoDB keys are never empty",
            );
            ok = false;
        }
        ok.then(|| Template {
            lit: lit.clone(),
            segments,
            formats,
            ok: true,
        })
    }

    /// The placeholder text of segment `i` as written (`{seq:08}`), for
    /// errors.
    pub fn placeholder_text(&self, i: usize) -> String {
        match (&self.segments[i], self.formats[i]) {
            (Segment::Literal(text), _) => text.clone(),
            (Segment::Field(f), Format::Plain) => format!("{{{f}}}"),
            (Segment::Field(f), Format::Sortable) => format!("{{{f}:sortable}}"),
            (Segment::Field(f), Format::Width(w)) => format!("{{{f}:0{w}}}"),
        }
    }

    /// The field names of the placeholders, in order, each once.
    pub fn fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.segments {
            if let Segment::Field(f) = s {
                if !out.contains(&f.as_str()) {
                    out.push(f);
                }
            }
        }
        out
    }

    /// Whether the template has at least one placeholder.
    pub fn has_placeholder(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Field(_)))
    }

    /// The segments up to the `n`-th placeholder (exclusive), plus the
    /// literal that follows the placeholder before them: the prefix shared by
    /// every key whose first `n` placeholders have given values.
    pub fn prefix(&self, n: usize) -> &[Segment] {
        let mut seen = 0;
        for (i, s) in self.segments.iter().enumerate() {
            if let Segment::Field(_) = s {
                if seen == n {
                    return &self.segments[..i];
                }
                seen += 1;
            }
        }
        &self.segments
    }

    /// The number of placeholders (repeated ones counted each time).
    pub fn placeholder_count(&self) -> usize {
        self.segments
            .iter()
            .filter(|s| matches!(s, Segment::Field(_)))
            .count()
    }

    /// Why this template is ambiguous, one sentence per fault (none when it
    /// starts with literal text and each placeholder ends it or is followed
    /// by `#`).
    pub fn ambiguities(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(Segment::Field(first)) = self.segments.first() {
            out.push(format!(
                "this key template starts with the placeholder `{{{first}}}`, so its keys can be \
                 any text, including another entity's keys; start it with literal text naming the \
                 entity, such as \"{}#{{{first}}}\"",
                first.to_uppercase()
            ));
        }
        for pair in self.segments.windows(2) {
            match pair {
                [Segment::Field(a), Segment::Field(b)] => out.push(format!(
                    "placeholders `{{{a}}}` and `{{{b}}}` are adjacent, so different values make \
                     the same key (\"x\" + \"yz\" and \"xy\" + \"z\"); put `#` between them: \
                     `{{{a}}}#{{{b}}}`"
                )),
                [Segment::Field(a), Segment::Literal(next)] if !next.starts_with('#') => {
                    let c = next.chars().next().unwrap_or_default();
                    out.push(format!(
                        "placeholder `{{{a}}}` is followed by `{c}`, which values may contain, so \
                         different values can make the same key; end the template with the \
                         placeholder or follow it with `#`, the separator escaped in values"
                    ))
                }
                _ => {}
            }
        }
        out
    }
}

/// The format after the `:` of placeholder `{name:spec}`.
fn parse_format(name: &str, spec: &str) -> Result<Format, String> {
    let usage = format!(
        "a placeholder is `{{{name}}}`, `{{{name}:sortable}}` (sort-safe: integers, date-times) or `{{{name}:08}}` (an integer zero-padded to 8 digits)"
    );
    if spec == "sortable" {
        return Ok(Format::Sortable);
    }
    if spec.is_empty() || !spec.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{{{name}:{spec}}}` has an unknown format; {usage}"
        ));
    }
    if !spec.starts_with('0') {
        return Err(format!(
            "`{{{name}:{spec}}}`: a fixed width is written with a leading zero, `{{{name}:0{spec}}}`, since it pads with zeros"
        ));
    }
    match spec.parse::<usize>() {
        Ok(0) => Err(format!(
            "`{{{name}:{spec}}}` has width 0; a fixed width is 1 to {MAX_WIDTH} digits"
        )),
        Ok(width) if width <= MAX_WIDTH => Ok(Format::Width(width)),
        _ => Err(format!(
            "`{{{name}:{spec}}}` is wider than {MAX_WIDTH} digits, more than any integer has; use `{{{name}:sortable}}`"
        )),
    }
}
