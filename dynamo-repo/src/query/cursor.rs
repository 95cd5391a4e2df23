//! Opaque, URL-safe page cursors that carry a `LastEvaluatedKey`.
//!
//! Layout before base64url: version byte, table, index, entity (each a
//! length-prefixed string), the key attributes (name, type, value), then an
//! FNV-1a checksum of everything before it. Decoding checks the checksum,
//! that the cursor belongs to this table, index and entity, and that it holds
//! exactly the key attributes a `LastEvaluatedKey` of this query would.
//! The checksum catches corruption and casual edits; it is not a signature.

use crate::error::{ValidationError, ValidationErrorKind};
use crate::value::Item;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

const VERSION: u8 = 1;
const SALT: u64 = 0x6479_6e61_6d6f_7265; // "dynamore"

/// Where a cursor belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CursorScope<'a> {
    pub table: &'a str,
    pub index: &'a str,
    pub entity: &'a str,
    /// The key attributes a `LastEvaluatedKey` here holds, with their types.
    pub key_attributes: &'a [(&'a str, crate::entity::KeyType)],
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64 ^ SALT;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Encodes a `LastEvaluatedKey` as a cursor. `None` if the key holds a value
/// type a key cannot have (which DynamoDB never returns).
pub(crate) fn encode(scope: &CursorScope, key: &Item) -> Option<String> {
    let mut out = vec![VERSION];
    put_bytes(&mut out, scope.table.as_bytes());
    put_bytes(&mut out, scope.index.as_bytes());
    put_bytes(&mut out, scope.entity.as_bytes());
    let mut names: Vec<&String> = key.keys().collect();
    names.sort();
    out.push(u8::try_from(names.len()).ok()?);
    for name in names {
        put_bytes(&mut out, name.as_bytes());
        match &key[name] {
            AttributeValue::S(s) => {
                out.push(b'S');
                put_bytes(&mut out, s.as_bytes());
            }
            AttributeValue::N(n) => {
                out.push(b'N');
                put_bytes(&mut out, n.as_bytes());
            }
            AttributeValue::B(b) => {
                out.push(b'B');
                put_bytes(&mut out, b.as_ref());
            }
            _ => return None,
        }
    }
    let sum = checksum(&out);
    out.extend_from_slice(&sum.to_be_bytes());
    Some(URL_SAFE_NO_PAD.encode(out))
}

fn invalid(message: impl Into<String>) -> ValidationError {
    ValidationError::new(ValidationErrorKind::InvalidCursor, message)
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ValidationError> {
        if self.bytes.len() < n {
            return Err(invalid("the cursor is truncated"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, ValidationError> {
        Ok(self.take(1)?[0])
    }

    fn chunk(&mut self) -> Result<&'a [u8], ValidationError> {
        let len = self.take(4)?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        self.take(len)
    }

    fn text(&mut self) -> Result<&'a str, ValidationError> {
        std::str::from_utf8(self.chunk()?).map_err(|_| invalid("the cursor is corrupted"))
    }
}

/// Decodes a cursor into an `ExclusiveStartKey`, refusing any cursor that is
/// not one this query produced.
pub(crate) fn decode(scope: &CursorScope, cursor: &str) -> Result<Item, ValidationError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid("the cursor is not valid base64url text"))?;
    if bytes.len() < 9 {
        return Err(invalid("the cursor is truncated"));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let mut expected = [0u8; 8];
    expected.copy_from_slice(sum);
    if checksum(body) != u64::from_be_bytes(expected) {
        return Err(invalid(
            "the cursor was altered or truncated (checksum mismatch)",
        ));
    }
    let mut r = Reader { bytes: body };
    if r.byte()? != VERSION {
        return Err(invalid(
            "the cursor comes from another version of dynamo-repo",
        ));
    }
    let (table, index, entity) = (r.text()?, r.text()?, r.text()?);
    if (table, index, entity) != (scope.table, scope.index, scope.entity) {
        return Err(invalid(format!(
            "the cursor belongs to another query (table `{table}`, index `{index}`, entity `{entity}`), not table `{}`, index `{}`, entity `{}`",
            scope.table, scope.index, scope.entity
        )));
    }
    let count = r.byte()? as usize;
    let mut key = Item::with_capacity(count);
    for _ in 0..count {
        let name = r.text()?.to_owned();
        let tag = r.byte()?;
        let value = r.chunk()?;
        let value = match tag {
            b'S' => AttributeValue::S(
                String::from_utf8(value.to_vec())
                    .map_err(|_| invalid("the cursor is corrupted"))?,
            ),
            b'N' => AttributeValue::N(
                String::from_utf8(value.to_vec())
                    .map_err(|_| invalid("the cursor is corrupted"))?,
            ),
            b'B' => AttributeValue::B(Blob::new(value.to_vec())),
            _ => return Err(invalid("the cursor is corrupted")),
        };
        key.insert(name, value);
    }
    if !r.bytes.is_empty() {
        return Err(invalid("the cursor has trailing data"));
    }
    let fits = key.len() == scope.key_attributes.len()
        && scope.key_attributes.iter().all(|(name, ty)| {
            matches!(
                (key.get(*name), ty),
                (Some(AttributeValue::S(_)), crate::entity::KeyType::String)
                    | (Some(AttributeValue::N(_)), crate::entity::KeyType::Number)
                    | (Some(AttributeValue::B(_)), crate::entity::KeyType::Binary)
            )
        });
    if !fits {
        return Err(invalid(
            "the cursor does not hold this query's key attributes",
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::KeyType;

    const KEYS: &[(&str, KeyType)] = &[("pk", KeyType::String), ("sk", KeyType::Number)];
    const SCOPE: CursorScope = CursorScope {
        table: "t",
        index: "",
        entity: "E",
        key_attributes: KEYS,
    };

    fn key() -> Item {
        [
            ("pk".to_string(), AttributeValue::S("a/b+c=é".into())),
            ("sk".to_string(), AttributeValue::N("42".into())),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn round_trips_and_is_url_safe() {
        let cursor = encode(&SCOPE, &key()).unwrap();
        assert!(cursor
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(decode(&SCOPE, &cursor).unwrap(), key());
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let cursor = encode(&SCOPE, &key()).unwrap();
        for i in 0..cursor.len() {
            let mut bytes = cursor.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert!(decode(&SCOPE, &tampered).is_err(), "position {i}");
        }
        for len in 0..cursor.len() {
            assert!(
                decode(&SCOPE, &cursor[..len]).is_err(),
                "truncated to {len}"
            );
        }
    }

    #[test]
    fn foreign_cursors_are_refused() {
        let other = CursorScope {
            table: "u",
            ..SCOPE
        };
        let cursor = encode(&other, &key()).unwrap();
        let err = decode(&SCOPE, &cursor).unwrap_err();
        assert!(err.message.contains("another query"), "{}", err.message);
    }
}
