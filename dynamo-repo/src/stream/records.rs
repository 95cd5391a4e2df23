//! Records of the Streams API's own SDK types turned into [`StreamRecord`]s
//! with the DynamoDB SDK's attribute values.

use super::change::ViewType;
use super::decode::{EventName, StreamRecord};
use super::error::StreamError;
use crate::value::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodbstreams::types as st;
use std::time::SystemTime;

/// A Streams API record as a [`StreamRecord`].
pub(super) fn from_sdk_record(
    record: st::Record,
    shard_id: &str,
) -> Result<StreamRecord, StreamError> {
    let Some(change) = record.dynamodb else {
        return Err(StreamError::Malformed {
            sequence_number: None,
            problem: "the record has no dynamodb part",
        });
    };
    let Some(sequence_number) = change.sequence_number else {
        return Err(StreamError::Malformed {
            sequence_number: None,
            problem: "the record has no SequenceNumber",
        });
    };
    let malformed = |problem| StreamError::Malformed {
        sequence_number: Some(sequence_number.clone()),
        problem,
    };
    let event_name = match record.event_name {
        Some(st::OperationType::Insert) => EventName::Insert,
        Some(st::OperationType::Modify) => EventName::Modify,
        Some(st::OperationType::Remove) => EventName::Remove,
        _ => return Err(malformed("the eventName is not INSERT, MODIFY or REMOVE")),
    };
    let item = |image: Option<std::collections::HashMap<String, st::AttributeValue>>| {
        image
            .filter(|i| !i.is_empty())
            .map(convert_item)
            .transpose()
            .map_err(|()| malformed("an attribute value of an unknown type"))
    };
    let keys = item(change.keys)?.ok_or_else(|| malformed("the record has no Keys"))?;
    let new_image = item(change.new_image)?;
    let old_image = item(change.old_image)?;
    Ok(StreamRecord {
        event_name,
        keys,
        new_image,
        old_image,
        approximate_creation_time: change
            .approximate_creation_date_time
            .and_then(|t| SystemTime::try_from(t).ok()),
        user_identity: record.user_identity.map(|u| {
            (
                u.r#type.unwrap_or_default(),
                u.principal_id.unwrap_or_default(),
            )
        }),
        view_type: change
            .stream_view_type
            .and_then(|v| ViewType::parse(v.as_str())),
        shard_id: Some(shard_id.to_owned()),
        sequence_number,
    })
}

fn convert_item(item: std::collections::HashMap<String, st::AttributeValue>) -> Result<Item, ()> {
    item.into_iter()
        .map(|(k, v)| Ok((k, convert(v)?)))
        .collect()
}

/// The Streams SDK's `AttributeValue` as the DynamoDB SDK's (DynamoDB nests
/// at most 32 levels, so the recursion is bounded).
fn convert(value: st::AttributeValue) -> Result<AttributeValue, ()> {
    Ok(match value {
        st::AttributeValue::S(s) => AttributeValue::S(s),
        st::AttributeValue::N(n) => AttributeValue::N(n),
        st::AttributeValue::B(b) => AttributeValue::B(b),
        st::AttributeValue::Bool(b) => AttributeValue::Bool(b),
        st::AttributeValue::Null(b) => AttributeValue::Null(b),
        st::AttributeValue::Ss(v) => AttributeValue::Ss(v),
        st::AttributeValue::Ns(v) => AttributeValue::Ns(v),
        st::AttributeValue::Bs(v) => AttributeValue::Bs(v),
        st::AttributeValue::L(l) => {
            AttributeValue::L(l.into_iter().map(convert).collect::<Result<_, _>>()?)
        }
        st::AttributeValue::M(m) => AttributeValue::M(convert_item(m)?),
        _ => return Err(()),
    })
}
