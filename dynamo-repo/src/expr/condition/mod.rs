//! Conditions (for conditional writes and filters) and sort-key conditions.

use super::{Path, Placeholders, UntypedPath, ValueFor};
use crate::error::{ValidationError, ValidationErrorKind};
use aws_sdk_dynamodb::types::AttributeValue;
use std::marker::PhantomData;

mod builders;
mod key;
mod render;

use render::render_node;

pub use builders::{Prefixable, SizeOf};
pub use key::{KeyCondition, SortKey};

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
