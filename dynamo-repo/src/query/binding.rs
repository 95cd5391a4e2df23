//! What a keyed cursor is bound to: a canonical SHA-256 digest of the query
//! (table, index, entity, expressions, placeholders and values, order), so
//! a cursor signed for one query cannot resume another.

use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};

/// A canonical, unambiguous digest of what a cursor is bound to: every
/// part is tagged and length-prefixed, maps and sets are sorted.
pub(crate) struct Binding(Sha256);

impl Binding {
    pub(crate) fn new(domain: &str) -> Self {
        let mut b = Binding(Sha256::new());
        b.text(domain);
        b
    }

    fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.0.update([tag]);
        self.0.update((bytes.len() as u64).to_be_bytes());
        self.0.update(bytes);
    }

    /// Adds a string.
    pub(crate) fn text(&mut self, text: &str) {
        self.bytes(b's', text.as_bytes());
    }

    /// Adds an optional string (absent differs from empty).
    pub(crate) fn optional(&mut self, text: Option<&str>) {
        match text {
            Some(t) => self.text(t),
            None => self.0.update([b'-']),
        }
    }

    /// Adds another digest.
    pub(crate) fn digest(&mut self, digest: &[u8; 32]) {
        self.bytes(b'd', digest);
    }

    /// Adds a flag.
    pub(crate) fn flag(&mut self, flag: bool) {
        self.0.update([b'f', u8::from(flag)]);
    }

    /// Adds a map of placeholders to names, in sorted order.
    pub(crate) fn names<'a>(&mut self, names: impl Iterator<Item = (&'a String, &'a String)>) {
        let mut names: Vec<_> = names.collect();
        names.sort();
        self.0.update([b'n']);
        self.0.update((names.len() as u64).to_be_bytes());
        for (placeholder, name) in names {
            self.text(placeholder);
            self.text(name);
        }
    }

    /// Adds a map of placeholders to values, in sorted order.
    pub(crate) fn values<'a>(
        &mut self,
        values: impl Iterator<Item = (&'a String, &'a AttributeValue)>,
    ) {
        let mut values: Vec<_> = values.collect();
        values.sort_by(|a, b| a.0.cmp(b.0));
        self.0.update([b'v']);
        self.0.update((values.len() as u64).to_be_bytes());
        for (placeholder, value) in values {
            self.text(placeholder);
            self.value(value, 0);
        }
    }

    fn value(&mut self, value: &AttributeValue, depth: usize) {
        // Values were checked against DynamoDB's 32 levels when rendered;
        // the bound only keeps hostile input from recursing without end.
        if depth > 64 {
            self.0.update([b'!']);
            return;
        }
        match value {
            AttributeValue::S(s) => self.bytes(b'S', s.as_bytes()),
            AttributeValue::N(n) => self.bytes(b'N', n.as_bytes()),
            AttributeValue::B(b) => self.bytes(b'B', b.as_ref()),
            AttributeValue::Bool(b) => self.0.update([b'?', u8::from(*b)]),
            AttributeValue::Null(_) => self.0.update([b'0']),
            AttributeValue::Ss(set) | AttributeValue::Ns(set) => {
                let tag = if matches!(value, AttributeValue::Ss(_)) {
                    b'1'
                } else {
                    b'2'
                };
                let mut set: Vec<&String> = set.iter().collect();
                set.sort();
                self.0.update([tag]);
                self.0.update((set.len() as u64).to_be_bytes());
                for s in set {
                    self.text(s);
                }
            }
            AttributeValue::Bs(set) => {
                let mut set: Vec<&[u8]> = set.iter().map(|b| b.as_ref()).collect();
                set.sort();
                self.0.update([b'3']);
                self.0.update((set.len() as u64).to_be_bytes());
                for b in set {
                    self.bytes(b'B', b);
                }
            }
            AttributeValue::L(list) => {
                self.0.update([b'L']);
                self.0.update((list.len() as u64).to_be_bytes());
                for v in list {
                    self.value(v, depth + 1);
                }
            }
            AttributeValue::M(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                self.0.update([b'M']);
                self.0.update((entries.len() as u64).to_be_bytes());
                for (k, v) in entries {
                    self.text(k);
                    self.value(v, depth + 1);
                }
            }
            _ => self.0.update([b'?', b'?']),
        }
    }

    pub(crate) fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}
