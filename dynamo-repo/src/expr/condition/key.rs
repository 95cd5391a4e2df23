//! Sort-key conditions of a query, built by [`SortKey`].

use super::builders::encode;
use super::render::push_symbol;
use super::*;

#[derive(Debug, Clone, PartialEq)]
enum KeyOp {
    Compare(CmpOp, AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A condition on the sort key of a query, built by [`SortKey`].
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub struct KeyCondition {
    op: KeyOp,
}

impl KeyCondition {
    /// Refuses a value DynamoDB would refuse, or a key helper's rendering of
    /// a value too wide for its sort-safe placeholder, naming `attribute`.
    pub(crate) fn check(&self, attribute: &str) -> Result<(), ValidationError> {
        let values: &[&AttributeValue] = match &self.op {
            KeyOp::Compare(_, v) | KeyOp::BeginsWith(v) => &[v],
            KeyOp::Between(low, high) => &[low, high],
        };
        values
            .iter()
            .try_for_each(|v| crate::validate::check_operand(&attribute, v))
    }

    /// Appends `sk_name op ...` to `out`, with the given prefix.
    pub(crate) fn render_into(
        &self,
        out: &mut String,
        p: &mut Placeholders,
        prefix: &str,
        attribute: &str,
    ) {
        match &self.op {
            KeyOp::Compare(op, v) => {
                p.push_name(out, prefix, attribute);
                push_symbol(out, *op);
                p.push_value(out, prefix, v.clone());
            }
            KeyOp::Between(low, high) => {
                p.push_name(out, prefix, attribute);
                out.push_str(" BETWEEN ");
                p.push_value(out, prefix, low.clone());
                out.push_str(" AND ");
                p.push_value(out, prefix, high.clone());
            }
            KeyOp::BeginsWith(v) => {
                out.push_str("begins_with(");
                p.push_name(out, prefix, attribute);
                out.push_str(", ");
                p.push_value(out, prefix, v.clone());
                out.push(')');
            }
        }
    }
}

/// The sort key of a query, typed `S`: what the `.sort_key(|k| ...)` closure gets.
pub struct SortKey<S> {
    _key: PhantomData<fn() -> S>,
}

impl<S> SortKey<S> {
    pub(crate) fn new() -> Self {
        SortKey { _key: PhantomData }
    }
    fn compare(self, op: CmpOp, value: impl ValueFor<S>) -> KeyCondition {
        KeyCondition {
            op: KeyOp::Compare(op, encode(value)),
        }
    }
    /// `sk = value`
    pub fn eq(self, value: impl ValueFor<S>) -> KeyCondition {
        self.compare(CmpOp::Eq, value)
    }
    /// `sk < value`
    pub fn lt(self, value: impl ValueFor<S>) -> KeyCondition {
        self.compare(CmpOp::Lt, value)
    }
    /// `sk <= value`
    pub fn le(self, value: impl ValueFor<S>) -> KeyCondition {
        self.compare(CmpOp::Le, value)
    }
    /// `sk > value`
    pub fn gt(self, value: impl ValueFor<S>) -> KeyCondition {
        self.compare(CmpOp::Gt, value)
    }
    /// `sk >= value`
    pub fn ge(self, value: impl ValueFor<S>) -> KeyCondition {
        self.compare(CmpOp::Ge, value)
    }
    /// `sk BETWEEN low AND high`
    pub fn between(self, low: impl ValueFor<S>, high: impl ValueFor<S>) -> KeyCondition {
        KeyCondition {
            op: KeyOp::Between(encode(low), encode(high)),
        }
    }
}

impl<S: Prefixable> SortKey<S> {
    /// `begins_with(sk, prefix)`: only for string and binary sort keys.
    pub fn begins_with(self, prefix: impl ValueFor<S>) -> KeyCondition {
        KeyCondition {
            op: KeyOp::BeginsWith(encode(prefix)),
        }
    }
}
