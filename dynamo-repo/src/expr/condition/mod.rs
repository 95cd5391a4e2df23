//! Conditions (for conditional writes and filters) and sort-key conditions.

use super::{Path, Placeholders, UntypedPath, ValueFor};
use crate::error::{ValidationError, ValidationErrorKind};
use aws_sdk_dynamodb::types::AttributeValue;
use std::marker::PhantomData;

/// DynamoDB's longest expression string, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;
/// DynamoDB's largest number of operators and functions in one expression.
pub const MAX_OPERATORS: usize = 300;
/// DynamoDB's largest `IN` list.
pub const MAX_IN_OPERANDS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// The right-hand side of a comparison: a value, or another attribute.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A value, sent as a `:placeholder`.
    Value(AttributeValue),
    /// Another attribute of the same item.
    Path(UntypedPath),
}

/// DynamoDB's attribute types, for [`Path::has_type`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    /// String
    S,
    /// Number
    N,
    /// Binary
    B,
    /// Boolean
    Bool,
    /// Null
    Null,
    /// List
    L,
    /// Map
    M,
    /// String set
    Ss,
    /// Number set
    Ns,
    /// Binary set
    Bs,
}

impl AttributeType {
    fn code(self) -> &'static str {
        match self {
            AttributeType::S => "S",
            AttributeType::N => "N",
            AttributeType::B => "B",
            AttributeType::Bool => "BOOL",
            AttributeType::Null => "NULL",
            AttributeType::L => "L",
            AttributeType::M => "M",
            AttributeType::Ss => "SS",
            AttributeType::Ns => "NS",
            AttributeType::Bs => "BS",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Compare(UntypedPath, CmpOp, Operand),
    Size(UntypedPath, CmpOp, AttributeValue),
    Between(UntypedPath, AttributeValue, AttributeValue),
    In(UntypedPath, Vec<AttributeValue>),
    Exists(UntypedPath),
    NotExists(UntypedPath),
    HasType(UntypedPath, AttributeType),
    BeginsWith(UntypedPath, AttributeValue),
    Contains(UntypedPath, AttributeValue),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

/// A condition on the attributes of an `E` item: for conditional puts,
/// updates and deletes, and for query and scan filters.
///
/// Built from typed paths, so a value of the wrong type does not compile,
/// and combined with `&`, `|`, `!` or [`Condition::all`] / [`Condition::any`].
///
/// ```
/// # use dynamo_repo::{Entity, expr::{Condition, Placeholders}};
/// #[derive(Entity)]
/// #[dynamo(table = "users")]
/// struct User { #[dynamo(partition_key)] id: String, name: String, status: String, age: u32 }
///
/// let f = User::fields();
/// let cond = f.status.eq("active") & (f.age.ge(18) | f.name.begins_with("A"));
/// let mut p = Placeholders::new();
/// assert_eq!(
///     cond.render(&mut p, "f").unwrap().unwrap(),
///     "#f0 = :f0 AND (#f1 >= :f1 OR begins_with(#f2, :f2))"
/// );
/// let names = p.names().unwrap();
/// assert_eq!(names["#f0"], "status"); // a reserved word, safe behind its placeholder
/// ```
#[must_use]
pub struct Condition<E> {
    node: Node,
    _entity: PhantomData<fn() -> E>,
}

impl<E> Clone for Condition<E> {
    fn clone(&self) -> Self {
        Condition::from_node(self.node.clone())
    }
}

impl<E> std::fmt::Debug for Condition<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Condition").field(&self.node).finish()
    }
}

impl<E> PartialEq for Condition<E> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<E> Condition<E> {
    fn from_node(node: Node) -> Self {
        Condition {
            node,
            _entity: PhantomData,
        }
    }

    /// All the given conditions (`None`s are left out): the way to combine
    /// parts known only at run time. With no parts it is no condition at all.
    pub fn all<I, C>(parts: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Option<Condition<E>>>,
    {
        Self::from_node(Node::And(
            parts
                .into_iter()
                .filter_map(|c| c.into())
                .map(|c| c.node)
                .collect(),
        ))
    }

    /// Any of the given conditions (`None`s are left out). With no parts it
    /// matches nothing, which DynamoDB cannot express: rendering it is a
    /// validation error.
    pub fn any<I, C>(parts: I) -> Self
    where
        I: IntoIterator<Item = C>,
        C: Into<Option<Condition<E>>>,
    {
        Self::from_node(Node::Or(
            parts
                .into_iter()
                .filter_map(|c| c.into())
                .map(|c| c.node)
                .collect(),
        ))
    }

    /// Both conditions.
    pub fn and(self, other: Condition<E>) -> Self {
        let mut parts = match self.node {
            Node::And(parts) => parts,
            node => {
                // Room for a few more parts: chains of `&` / `|` are common.
                let mut parts = Vec::with_capacity(4);
                parts.push(node);
                parts
            }
        };
        match other.node {
            Node::And(more) => parts.extend(more),
            node => parts.push(node),
        }
        Self::from_node(Node::And(parts))
    }

    /// Either condition.
    pub fn or(self, other: Condition<E>) -> Self {
        let mut parts = match self.node {
            Node::Or(parts) => parts,
            node => {
                // Room for a few more parts: chains of `&` / `|` are common.
                let mut parts = Vec::with_capacity(4);
                parts.push(node);
                parts
            }
        };
        match other.node {
            Node::Or(more) => parts.extend(more),
            node => parts.push(node),
        }
        Self::from_node(Node::Or(parts))
    }

    /// The top-level attributes the condition reads.
    pub fn attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        walk_roots(&self.node, &mut |name| {
            out.push(name);
            false
        });
        out
    }

    /// The first top-level attribute read by the condition that `wanted`
    /// accepts, without collecting them.
    pub(crate) fn find_attribute(&self, mut wanted: impl FnMut(&str) -> bool) -> Option<&str> {
        let mut found = None;
        walk_roots(&self.node, &mut |name| {
            let hit = wanted(name);
            if hit {
                found = Some(name);
            }
            hit
        });
        found
    }

    /// Whether this is `all()` of nothing (no condition).
    pub fn is_empty(&self) -> bool {
        matches!(&self.node, Node::And(parts) if parts.is_empty())
    }

    /// Renders the condition, putting its names and values into
    /// `placeholders` with the given prefix. `None` when there is no condition.
    /// Checks DynamoDB's limits: 4 KB of text, 300 operators, 100 `IN` operands.
    pub fn render(
        &self,
        placeholders: &mut Placeholders,
        prefix: &str,
    ) -> Result<Option<String>, ValidationError> {
        if self.is_empty() {
            return Ok(None);
        }
        let mut out = String::with_capacity(64);
        let mut operators = 0;
        render_node(&self.node, placeholders, prefix, &mut out, &mut operators)?;
        check_limits(&out, operators)?;
        Ok(Some(out))
    }
}

/// Calls `visit` with the top-level attribute of every path in `node`, until
/// it returns true; returns whether it did.
fn walk_roots<'a>(node: &'a Node, visit: &mut dyn FnMut(&'a str) -> bool) -> bool {
    let root =
        |p: &'a UntypedPath, visit: &mut dyn FnMut(&'a str) -> bool| match p.elements().first() {
            Some(super::PathElement::Attribute(name)) => visit(name),
            _ => false,
        };
    match node {
        Node::Compare(p, _, Operand::Path(q)) => root(p, visit) || root(q, visit),
        Node::Compare(p, _, _)
        | Node::Size(p, _, _)
        | Node::Between(p, _, _)
        | Node::In(p, _)
        | Node::Exists(p)
        | Node::NotExists(p)
        | Node::HasType(p, _)
        | Node::BeginsWith(p, _)
        | Node::Contains(p, _) => root(p, visit),
        Node::And(parts) | Node::Or(parts) => parts.iter().any(|n| walk_roots(n, visit)),
        Node::Not(inner) => walk_roots(inner, visit),
    }
}

/// Checks an expression against DynamoDB's size and operator limits.
pub(crate) fn check_limits(expression: &str, operators: usize) -> Result<(), ValidationError> {
    if expression.len() > MAX_EXPRESSION_BYTES {
        return Err(ValidationError::new(
            ValidationErrorKind::ExpressionTooLarge,
            format!(
                "the expression is {} bytes; DynamoDB's limit is {MAX_EXPRESSION_BYTES}",
                expression.len()
            ),
        ));
    }
    if operators > MAX_OPERATORS {
        return Err(ValidationError::new(
            ValidationErrorKind::ExpressionTooLarge,
            format!("the expression has {operators} operators and functions; DynamoDB's limit is {MAX_OPERATORS}"),
        ));
    }
    Ok(())
}

fn render_node(
    node: &Node,
    p: &mut Placeholders,
    prefix: &str,
    out: &mut String,
    operators: &mut usize,
) -> Result<(), ValidationError> {
    *operators += 1;
    // Stop as soon as a limit is passed: the rest would be refused anyway,
    // and stopping bounds the recursion of a deeply nested condition.
    if *operators > MAX_OPERATORS {
        return Err(ValidationError::new(
            ValidationErrorKind::ExpressionTooLarge,
            format!("the expression has more than {MAX_OPERATORS} operators and functions, DynamoDB's limit"),
        ));
    }
    if out.len() > MAX_EXPRESSION_BYTES {
        return Err(ValidationError::new(
            ValidationErrorKind::ExpressionTooLarge,
            format!("the expression is over {MAX_EXPRESSION_BYTES} bytes, DynamoDB's limit"),
        ));
    }
    let path = |p: &mut Placeholders, out: &mut String, path: &UntypedPath| {
        p.push_path(out, prefix, path.elements())
    };
    // A value DynamoDB would refuse (NaN, infinity, a number out of range,
    // an empty set) is refused here, naming the attribute it is compared with.
    let value = |p: &mut Placeholders,
                 out: &mut String,
                 at: &UntypedPath,
                 value: &AttributeValue|
     -> Result<(), ValidationError> {
        crate::validate::check_operand(at, value)?;
        p.push_value(out, prefix, value.clone());
        Ok(())
    };
    // `function(path, value)`
    let call = |p: &mut Placeholders,
                out: &mut String,
                function: &str,
                at: &UntypedPath,
                v: &AttributeValue|
     -> Result<(), ValidationError> {
        out.push_str(function);
        out.push('(');
        path(p, out, at);
        out.push_str(", ");
        value(p, out, at, v)?;
        out.push(')');
        Ok(())
    };
    match node {
        Node::Compare(left, op, rhs) => {
            path(p, out, left);
            push_symbol(out, *op);
            match rhs {
                Operand::Value(v) => value(p, out, left, v)?,
                Operand::Path(other) => path(p, out, other),
            }
        }
        Node::Size(at, op, v) => {
            *operators += 1;
            out.push_str("size(");
            path(p, out, at);
            out.push(')');
            push_symbol(out, *op);
            value(p, out, at, v)?;
        }
        Node::Between(at, low, high) => {
            path(p, out, at);
            out.push_str(" BETWEEN ");
            value(p, out, at, low)?;
            out.push_str(" AND ");
            value(p, out, at, high)?;
        }
        Node::In(at, values) => {
            if values.is_empty() || values.len() > MAX_IN_OPERANDS {
                return Err(ValidationError::new(
                    ValidationErrorKind::ExpressionTooLarge,
                    format!(
                        "IN takes 1 to {MAX_IN_OPERANDS} operands; {} were given",
                        values.len()
                    ),
                )
                .attribute(at.to_string()));
            }
            path(p, out, at);
            out.push_str(" IN (");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                value(p, out, at, v)?;
            }
            out.push(')');
        }
        Node::Exists(at) => {
            out.push_str("attribute_exists(");
            path(p, out, at);
            out.push(')');
        }
        Node::NotExists(at) => {
            out.push_str("attribute_not_exists(");
            path(p, out, at);
            out.push(')');
        }
        Node::HasType(at, ty) => call(
            p,
            out,
            "attribute_type",
            at,
            &AttributeValue::S(ty.code().into()),
        )?,
        Node::BeginsWith(at, v) => call(p, out, "begins_with", at, v)?,
        Node::Contains(at, v) => call(p, out, "contains", at, v)?,
        Node::And(parts) | Node::Or(parts) => {
            let joiner = if matches!(node, Node::And(_)) {
                " AND "
            } else {
                " OR "
            };
            if parts.is_empty() {
                return Err(ValidationError::new(
                    ValidationErrorKind::Other,
                    if matches!(node, Node::And(_)) {
                        "an empty all() inside another condition has no meaning"
                    } else {
                        "an empty any() matches nothing, which DynamoDB cannot express"
                    },
                ));
            }
            *operators += parts.len().saturating_sub(2);
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    out.push_str(joiner);
                }
                let group = matches!(part, Node::And(_) | Node::Or(_)) && parts.len() > 1;
                if group {
                    out.push('(');
                }
                render_node(part, p, prefix, out, operators)?;
                if group {
                    out.push(')');
                }
            }
        }
        Node::Not(inner) => {
            out.push_str("NOT (");
            render_node(inner, p, prefix, out, operators)?;
            out.push(')');
        }
    }
    Ok(())
}

/// ` op `, spaced.
fn push_symbol(out: &mut String, op: CmpOp) {
    out.push(' ');
    out.push_str(op.symbol());
    out.push(' ');
}

impl<E> std::ops::BitAnd for Condition<E> {
    type Output = Condition<E>;
    fn bitand(self, rhs: Self) -> Self {
        self.and(rhs)
    }
}

impl<E> std::ops::BitOr for Condition<E> {
    type Output = Condition<E>;
    fn bitor(self, rhs: Self) -> Self {
        self.or(rhs)
    }
}

impl<E> std::ops::Not for Condition<E> {
    type Output = Condition<E>;
    fn not(self) -> Self {
        Condition::from_node(Node::Not(Box::new(self.node)))
    }
}

fn encode<V>(value: impl ValueFor<V>) -> AttributeValue {
    value.encode().unwrap_or(AttributeValue::Null(true))
}

impl<E, V> Path<E, V> {
    fn compare(&self, op: CmpOp, value: AttributeValue) -> Condition<E> {
        Condition::from_node(Node::Compare(self.untyped(), op, Operand::Value(value)))
    }

    /// `path = value`
    pub fn eq(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Eq, encode(value))
    }
    /// `path <> value`
    pub fn ne(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Ne, encode(value))
    }
    /// `path < value`
    pub fn lt(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Lt, encode(value))
    }
    /// `path <= value`
    pub fn le(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Le, encode(value))
    }
    /// `path > value`
    pub fn gt(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Gt, encode(value))
    }
    /// `path >= value`
    pub fn ge(&self, value: impl ValueFor<V>) -> Condition<E> {
        self.compare(CmpOp::Ge, encode(value))
    }
    /// `path BETWEEN low AND high` (both ends included).
    pub fn between(&self, low: impl ValueFor<V>, high: impl ValueFor<V>) -> Condition<E> {
        Condition::from_node(Node::Between(self.untyped(), encode(low), encode(high)))
    }
    /// `path IN (v1, v2, ...)`: 1 to 100 values, checked when rendered.
    pub fn is_in<I: IntoIterator>(&self, values: I) -> Condition<E>
    where
        I::Item: ValueFor<V>,
    {
        Condition::from_node(Node::In(
            self.untyped(),
            values.into_iter().map(encode).collect(),
        ))
    }
    /// `path = other`: compares with another attribute of the same type.
    pub fn eq_attribute(&self, other: &Path<E, V>) -> Condition<E> {
        Condition::from_node(Node::Compare(
            self.untyped(),
            CmpOp::Eq,
            Operand::Path(other.untyped()),
        ))
    }
    /// `path < other`, with another attribute of the same type.
    pub fn lt_attribute(&self, other: &Path<E, V>) -> Condition<E> {
        Condition::from_node(Node::Compare(
            self.untyped(),
            CmpOp::Lt,
            Operand::Path(other.untyped()),
        ))
    }
    /// `path > other`, with another attribute of the same type.
    pub fn gt_attribute(&self, other: &Path<E, V>) -> Condition<E> {
        Condition::from_node(Node::Compare(
            self.untyped(),
            CmpOp::Gt,
            Operand::Path(other.untyped()),
        ))
    }
    /// `attribute_exists(path)`
    pub fn exists(&self) -> Condition<E> {
        Condition::from_node(Node::Exists(self.untyped()))
    }
    /// `attribute_not_exists(path)`
    pub fn not_exists(&self) -> Condition<E> {
        Condition::from_node(Node::NotExists(self.untyped()))
    }
    /// `attribute_type(path, type)`
    pub fn has_type(&self, ty: AttributeType) -> Condition<E> {
        Condition::from_node(Node::HasType(self.untyped(), ty))
    }
    /// `size(path)`, to compare: the length of a string, binary, list, map or set.
    pub fn size(&self) -> SizeOf<E> {
        SizeOf {
            path: self.untyped(),
            _entity: PhantomData,
        }
    }
}

/// `size(path)` of an attribute, compared with a number.
pub struct SizeOf<E> {
    path: UntypedPath,
    _entity: PhantomData<fn() -> E>,
}

impl<E> SizeOf<E> {
    fn compare(self, op: CmpOp, n: u64) -> Condition<E> {
        Condition::from_node(Node::Size(self.path, op, AttributeValue::N(n.to_string())))
    }
    /// `size(path) = n`
    pub fn eq(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Eq, n)
    }
    /// `size(path) <> n`
    pub fn ne(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Ne, n)
    }
    /// `size(path) < n`
    pub fn lt(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Lt, n)
    }
    /// `size(path) <= n`
    pub fn le(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Le, n)
    }
    /// `size(path) > n`
    pub fn gt(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Gt, n)
    }
    /// `size(path) >= n`
    pub fn ge(self, n: u64) -> Condition<E> {
        self.compare(CmpOp::Ge, n)
    }
}

/// Types whose attributes support `begins_with`: strings and binary.
pub trait Prefixable {}
impl Prefixable for String {}
impl Prefixable for Option<String> {}
impl Prefixable for bytes::Bytes {}
impl Prefixable for Option<bytes::Bytes> {}

impl<E, V: Prefixable> Path<E, V> {
    /// `begins_with(path, prefix)`
    pub fn begins_with(&self, prefix: impl ValueFor<V>) -> Condition<E> {
        Condition::from_node(Node::BeginsWith(self.untyped(), encode(prefix)))
    }
}

impl<E> Path<E, String> {
    /// `contains(path, substring)`
    pub fn contains(&self, substring: impl Into<String>) -> Condition<E> {
        Condition::from_node(Node::Contains(
            self.untyped(),
            AttributeValue::S(substring.into()),
        ))
    }
}

impl<E> Path<E, Option<String>> {
    /// `contains(path, substring)`
    pub fn contains(&self, substring: impl Into<String>) -> Condition<E> {
        Condition::from_node(Node::Contains(
            self.untyped(),
            AttributeValue::S(substring.into()),
        ))
    }
}

macro_rules! contains_element {
    ($($collection:ident),*) => {$(
        impl<E, T> Path<E, $collection<T>> {
            /// `contains(path, element)`: whether the list or set holds the element.
            pub fn contains(&self, element: impl ValueFor<T>) -> Condition<E> {
                Condition::from_node(Node::Contains(self.untyped(), encode(element)))
            }
        }
    )*};
}
use std::collections::{BTreeSet, VecDeque};
contains_element!(Vec, VecDeque, BTreeSet);

impl<E, T, S> Path<E, std::collections::HashSet<T, S>> {
    /// `contains(path, element)`: whether the set holds the element.
    pub fn contains(&self, element: impl ValueFor<T>) -> Condition<E> {
        Condition::from_node(Node::Contains(self.untyped(), encode(element)))
    }
}

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
