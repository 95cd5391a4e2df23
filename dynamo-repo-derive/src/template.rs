//! Key templates such as `"ORG#{org_id}"`: literal text and `{field}`
//! placeholders, parsed once and checked against the struct's fields.
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

/// A parsed key template, with the literal it came from (for spans).
#[derive(Clone)]
pub struct Template {
    pub lit: LitStr,
    pub segments: Vec<Segment>,
    /// False for a stand-in of a template that did not parse (its errors are
    /// already recorded; no further checks should pile on).
    pub ok: bool,
}

impl Template {
    /// Parses `lit`, recording every syntax error at its span.
    pub fn parse(cx: &Ctxt, lit: &LitStr) -> Option<Template> {
        let text = lit.value();
        let mut segments = Vec::new();
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
                    let name = name.trim().to_owned();
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
                    }
                    segments.push(Segment::Field(name));
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
            ok: true,
        })
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
