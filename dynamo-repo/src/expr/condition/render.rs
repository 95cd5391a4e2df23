//! Conditions rendered into DynamoDB's expression syntax, with placeholders
//! for names and values and a count of operators against the limit.

use super::*;

pub(super) fn render_node(
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
pub(super) fn push_symbol(out: &mut String, op: CmpOp) {
    out.push(' ');
    out.push_str(op.symbol());
    out.push(' ');
}
