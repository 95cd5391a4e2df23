//! Page cursors: the encoding, signing and encryption of a `LastEvaluatedKey`,
//! and [`CursorKey`]. What they guarantee is told in the
//! [query module guide](crate::query#page-cursors).
//!
//! # Layout (before base64url)
//!
//! Version byte, mode byte (0 checksum, 1 signed, 2 encrypted), then
//! - mode 0: the key values, then 8 bytes of SHA-256 over scope and bytes;
//! - mode 1: the key values, then the 32-byte HMAC-SHA256 tag;
//! - mode 2: a 24-byte nonce, then the encrypted key values and their tag.
//!
//! The key values are each a 2-byte length and the bytes, in the order of
//! the query's key attributes (whose types the schema gives).

#[cfg(test)]
use super::binding::Binding;
use crate::entity::KeyType;
use crate::error::{Error, Result, ValidationError, ValidationErrorKind};
use crate::value::Item;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

const VERSION: u8 = 2;
const MODE_CHECKSUM: u8 = 0;
const MODE_SIGNED: u8 = 1;
const MODE_ENCRYPTED: u8 = 2;
const CHECKSUM_LEN: usize = 8;
const TAG_LEN: usize = 32;
const NONCE_LEN: usize = 24;

/// The application's secret for page cursors: authenticates them
/// (HMAC-SHA256) and, made with [`CursorKey::encrypting`], encrypts them.
///
/// Configure it once with [`Client::with_cursor_key`](crate::Client::with_cursor_key);
/// see the [module guide](crate::query#page-cursors) for what it guarantees. Cloning is cheap, and
/// `Debug` never shows the secret.
#[derive(Clone)]
pub struct CursorKey {
    /// The key cursors are made with, then older keys still accepted.
    keys: Arc<[DerivedKey]>,
}

struct DerivedKey {
    encrypt: bool,
    mac: [u8; 32],
    cipher: [u8; 32],
}

impl CursorKey {
    /// The shortest secret accepted, in bytes.
    pub const MIN_SECRET_LEN: usize = 32;

    /// A key that signs cursors: they cannot be forged, altered or used by
    /// another query, but the keys inside stay readable (base64).
    ///
    /// `secret` must be at least [`CursorKey::MIN_SECRET_LEN`] bytes of
    /// random data (not a password); a shorter one is a
    /// [`ValidationErrorKind::InvalidCursorKey`] error. The secret is not
    /// kept: two keys are derived from it (HKDF-SHA256) and wiped on drop.
    pub fn signing(secret: impl AsRef<[u8]>) -> Result<Self> {
        Self::derive(secret.as_ref(), false)
    }

    /// A key that signs and encrypts cursors: they cannot be forged, altered,
    /// used by another query, or read.
    ///
    /// `secret` must be at least [`CursorKey::MIN_SECRET_LEN`] bytes of
    /// random data; a shorter one is a
    /// [`ValidationErrorKind::InvalidCursorKey`] error.
    pub fn encrypting(secret: impl AsRef<[u8]>) -> Result<Self> {
        Self::derive(secret.as_ref(), true)
    }

    /// Whether cursors made with this key are encrypted.
    pub fn encrypts(&self) -> bool {
        self.keys.first().is_some_and(|k| k.encrypt)
    }

    /// This key, still accepting cursors made with `previous` (and the keys
    /// `previous` accepts): for rotating the secret without breaking the
    /// cursors clients hold. New cursors are made with `self` only.
    pub fn also_accepting(self, previous: CursorKey) -> Self {
        let keys: Vec<DerivedKey> = self
            .keys
            .iter()
            .chain(previous.keys.iter())
            .map(DerivedKey::clone_key)
            .collect();
        CursorKey { keys: keys.into() }
    }

    fn derive(secret: &[u8], encrypt: bool) -> Result<Self> {
        if secret.len() < Self::MIN_SECRET_LEN {
            return Err(ValidationError::new(
                ValidationErrorKind::InvalidCursorKey,
                format!(
                    "a cursor key needs at least {} bytes of secret, got {}",
                    Self::MIN_SECRET_LEN,
                    secret.len()
                ),
            )
            .into());
        }
        let hkdf = hkdf::Hkdf::<Sha256>::new(Some(b"dynamo-repo cursor key"), secret);
        let mut key = DerivedKey {
            encrypt,
            mac: [0; 32],
            cipher: [0; 32],
        };
        // Two independent keys: expanding 32 bytes never fails for SHA-256.
        let expanded = hkdf
            .expand(b"mac", &mut key.mac)
            .and_then(|()| hkdf.expand(b"cipher", &mut key.cipher));
        if expanded.is_err() {
            return Err(ValidationError::new(
                ValidationErrorKind::InvalidCursorKey,
                "the cursor key could not be derived",
            )
            .into());
        }
        Ok(CursorKey {
            keys: vec![key].into(),
        })
    }

    fn current(&self) -> Option<&DerivedKey> {
        self.keys.first()
    }
}

impl Drop for DerivedKey {
    // The derived keys are as secret as the application's secret.
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.mac.zeroize();
        self.cipher.zeroize();
    }
}

impl DerivedKey {
    fn clone_key(&self) -> DerivedKey {
        DerivedKey {
            encrypt: self.encrypt,
            mac: self.mac,
            cipher: self.cipher,
        }
    }

    fn mode(&self) -> u8 {
        if self.encrypt {
            MODE_ENCRYPTED
        } else {
            MODE_SIGNED
        }
    }

    fn hmac(&self, header: &[u8], binding: &[u8; 32], body: &[u8]) -> Option<Hmac<Sha256>> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.mac).ok()?;
        mac.update(header);
        mac.update(binding);
        mac.update(body);
        Some(mac)
    }

    fn cipher(&self) -> Option<XChaCha20Poly1305> {
        XChaCha20Poly1305::new_from_slice(&self.cipher).ok()
    }
}

impl fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CursorKey")
            .field("encrypts", &self.encrypts())
            .field("accepted_keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// Where a cursor belongs, and with which key it is made and checked.
pub(crate) struct CursorScope<'a> {
    /// Digest of table, index, entity and operation: what an unkeyed
    /// cursor's checksum covers.
    pub scope: [u8; 32],
    /// Digest of the whole query (scope, conditions, values, order): what a
    /// keyed cursor is bound to. Computed only when there is a key.
    pub query: Option<[u8; 32]>,
    /// The key attributes a `LastEvaluatedKey` here holds, with their types.
    pub key_attributes: &'a [(&'a str, KeyType)],
    /// The application's key, if any.
    pub key: Option<&'a CursorKey>,
}

fn invalid(message: impl Into<String>) -> ValidationError {
    ValidationError::new(ValidationErrorKind::InvalidCursor, message)
}

fn checksum(scope: &[u8; 32], header: &[u8], body: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut hash = Sha256::new();
    hash.update(scope);
    hash.update(header);
    hash.update(body);
    let digest: [u8; 32] = hash.finalize().into();
    let mut out = [0; CHECKSUM_LEN];
    out.copy_from_slice(&digest[..CHECKSUM_LEN]);
    out
}

/// The key values of `key`, in the scope's order.
fn body(scope: &CursorScope, key: &Item) -> Result<Vec<u8>, ValidationError> {
    let mut out = Vec::with_capacity(64);
    for (name, _) in scope.key_attributes {
        let bytes: &[u8] = match key.get(*name) {
            Some(AttributeValue::S(s)) => s.as_bytes(),
            Some(AttributeValue::N(n)) => n.as_bytes(),
            Some(AttributeValue::B(b)) => b.as_ref(),
            _ => {
                return Err(invalid(format!(
                    "the last key read lacks the key attribute `{name}`, so no cursor can be made"
                )))
            }
        };
        let len = u16::try_from(bytes.len()).map_err(|_| {
            invalid(format!(
                "the key attribute `{name}` is too long for a cursor"
            ))
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(bytes);
    }
    Ok(out)
}

/// Encodes a `LastEvaluatedKey` (or the key of the last row returned) as a
/// cursor, signed or encrypted when the scope has a key.
pub(crate) fn encode(scope: &CursorScope, key: &Item) -> Result<String> {
    encode_with(scope, key, false)
}

/// [`encode`], encrypted whenever the scope has a key (signing or
/// encrypting): for a key the caller may not have received, such as where
/// a read stopped by its budget resumes.
pub(crate) fn encode_sealed(scope: &CursorScope, key: &Item) -> Result<String> {
    encode_with(scope, key, true)
}

fn encode_with(scope: &CursorScope, key: &Item, seal: bool) -> Result<String> {
    let body = body(scope, key)?;
    let out = match (scope.key.and_then(CursorKey::current), scope.query) {
        (None, _) => {
            let header = [VERSION, MODE_CHECKSUM];
            let sum = checksum(&scope.scope, &header, &body);
            [&header[..], &body, &sum].concat()
        }
        (Some(derived), Some(binding)) => {
            let encrypt = derived.encrypt || seal;
            let mode = if encrypt { MODE_ENCRYPTED } else { MODE_SIGNED };
            let header = [VERSION, mode];
            if encrypt {
                let cipher = derived.cipher().ok_or_else(|| invalid("bad cursor key"))?;
                let nonce = XNonce::try_generate().map_err(|_| {
                    Error::from(invalid(
                        "the system's random number generator failed; no cursor was made",
                    ))
                })?;
                let aad = [&header[..], &binding].concat();
                let sealed = cipher
                    .encrypt(
                        &nonce,
                        Payload {
                            msg: &body,
                            aad: &aad,
                        },
                    )
                    .map_err(|_| invalid("the cursor could not be encrypted"))?;
                [&header[..], nonce.as_slice(), &sealed].concat()
            } else {
                let mac = derived
                    .hmac(&header, &binding, &body)
                    .ok_or_else(|| invalid("bad cursor key"))?;
                let tag: [u8; TAG_LEN] = mac.finalize().into_bytes().into();
                [&header[..], &body, &tag].concat()
            }
        }
        (Some(_), None) => return Err(invalid("the cursor's query binding is missing").into()),
    };
    Ok(URL_SAFE_NO_PAD.encode(out))
}

/// Decodes a cursor into an `ExclusiveStartKey`, refusing any cursor that is
/// not one this query (with this key) produced.
pub(crate) fn decode(scope: &CursorScope, cursor: &str) -> Result<Item, ValidationError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid("the cursor is not valid base64url text"))?;
    let (header, rest) = match bytes.split_first_chunk::<2>() {
        Some((header, rest)) => (*header, rest),
        None => return Err(invalid("the cursor is truncated")),
    };
    if header[0] != VERSION {
        return Err(invalid(
            "the cursor comes from another version of dynamo-repo",
        ));
    }
    let body = match (header[1], scope.key) {
        (MODE_CHECKSUM, None) => {
            let (body, sum) = rest
                .split_at_checked(rest.len().saturating_sub(CHECKSUM_LEN))
                .filter(|(_, sum)| sum.len() == CHECKSUM_LEN)
                .ok_or_else(|| invalid("the cursor is truncated"))?;
            if checksum(&scope.scope, &header, body) != sum {
                return Err(invalid(
                    "the cursor was altered or truncated, or belongs to another query (checksum mismatch)",
                ));
            }
            body.to_vec()
        }
        (MODE_CHECKSUM, Some(_)) => {
            return Err(invalid(
                "the cursor is not signed, and this query accepts only cursors signed with its cursor key",
            ))
        }
        (MODE_SIGNED | MODE_ENCRYPTED, None) => {
            return Err(invalid(
                "the cursor is signed, but no cursor key is configured for this query",
            ))
        }
        (mode @ (MODE_SIGNED | MODE_ENCRYPTED), Some(key)) => {
            let binding = scope
                .query
                .ok_or_else(|| invalid("the cursor's query binding is missing"))?;
            open(key, mode, &header, &binding, rest).ok_or_else(|| {
                invalid(
                    "the cursor was forged, altered or truncated, or belongs to another query or key",
                )
            })?
        }
        _ => return Err(invalid("the cursor is corrupted")),
    };
    read_body(scope, &body)
}

/// The key values of a signed or encrypted cursor, if one of `key`'s
/// secrets made it for this binding.
fn open(
    key: &CursorKey,
    mode: u8,
    header: &[u8],
    binding: &[u8; 32],
    rest: &[u8],
) -> Option<Vec<u8>> {
    // Every key opens an encrypted cursor (a signing key seals the cursors
    // of budget stops); only a signing key opens a signed one.
    key.keys
        .iter()
        .filter(|k| k.mode() == mode || mode == MODE_ENCRYPTED)
        .find_map(|k| {
            if mode == MODE_ENCRYPTED {
                let (nonce, sealed) = rest.split_at_checked(NONCE_LEN)?;
                let nonce = XNonce::try_from(nonce).ok()?;
                let aad = [header, binding].concat();
                k.cipher()?
                    .decrypt(
                        &nonce,
                        Payload {
                            msg: sealed,
                            aad: &aad,
                        },
                    )
                    .ok()
            } else {
                let (body, tag) = rest.split_at_checked(rest.len().checked_sub(TAG_LEN)?)?;
                k.hmac(header, binding, body)?.verify_slice(tag).ok()?;
                Some(body.to_vec())
            }
        })
}

fn read_body(scope: &CursorScope, mut bytes: &[u8]) -> Result<Item, ValidationError> {
    let mut key = Item::with_capacity(scope.key_attributes.len());
    for (name, key_type) in scope.key_attributes {
        let (len, rest) = bytes
            .split_first_chunk::<2>()
            .ok_or_else(|| invalid("the cursor is truncated"))?;
        let (value, rest) = rest
            .split_at_checked(usize::from(u16::from_be_bytes(*len)))
            .ok_or_else(|| invalid("the cursor is truncated"))?;
        bytes = rest;
        if value.is_empty() {
            return Err(invalid(format!(
                "the cursor holds an empty key attribute `{name}`"
            )));
        }
        let text =
            || String::from_utf8(value.to_vec()).map_err(|_| invalid("the cursor is corrupted"));
        let value = match key_type {
            KeyType::String => AttributeValue::S(text()?),
            KeyType::Number => AttributeValue::N(text()?),
            KeyType::Binary => AttributeValue::B(Blob::new(value.to_vec())),
        };
        key.insert((*name).to_owned(), value);
    }
    if !bytes.is_empty() {
        return Err(invalid("the cursor has trailing data"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: &[(&str, KeyType)] = &[("pk", KeyType::String), ("sk", KeyType::Number)];

    fn digest(text: &str) -> [u8; 32] {
        let mut b = Binding::new("test");
        b.text(text);
        b.finish()
    }

    fn scope(key: Option<&CursorKey>) -> CursorScope<'_> {
        CursorScope {
            scope: digest("t"),
            query: key.map(|_| digest("t q")),
            key_attributes: KEYS,
            key,
        }
    }

    fn key() -> Item {
        [
            ("pk".to_string(), AttributeValue::S("a/b+c=é".into())),
            ("sk".to_string(), AttributeValue::N("42".into())),
        ]
        .into_iter()
        .collect()
    }

    fn keys() -> Vec<Option<CursorKey>> {
        vec![
            None,
            Some(CursorKey::signing([1; 32]).unwrap()),
            Some(CursorKey::encrypting([2; 40]).unwrap()),
        ]
    }

    #[test]
    fn round_trips_and_is_url_safe_in_every_mode() {
        for k in keys() {
            let cursor = encode(&scope(k.as_ref()), &key()).unwrap();
            assert!(cursor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            assert_eq!(decode(&scope(k.as_ref()), &cursor).unwrap(), key());
        }
    }

    #[test]
    fn every_single_character_change_and_truncation_is_refused() {
        for k in keys() {
            let s = scope(k.as_ref());
            let cursor = encode(&s, &key()).unwrap();
            for i in 0..cursor.len() {
                let mut bytes = cursor.clone().into_bytes();
                bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
                let tampered = String::from_utf8(bytes).unwrap();
                assert!(decode(&s, &tampered).is_err(), "position {i}");
            }
            for len in 0..cursor.len() {
                assert!(decode(&s, &cursor[..len]).is_err(), "truncated to {len}");
            }
        }
    }

    #[test]
    fn another_scope_binding_mode_or_secret_is_refused() {
        for k in keys() {
            let cursor = encode(&scope(k.as_ref()), &key()).unwrap();
            let mut other = scope(k.as_ref());
            other.scope = digest("u");
            other.query = other.query.map(|_| digest("u q"));
            let err = decode(&other, &cursor).unwrap_err();
            assert!(err.message.contains("another query"), "{}", err.message);
        }
        let unkeyed = encode(&scope(None), &key()).unwrap();
        let signing = CursorKey::signing([1; 32]).unwrap();
        assert!(decode(&scope(Some(&signing)), &unkeyed).is_err());
        let signed = encode(&scope(Some(&signing)), &key()).unwrap();
        assert!(decode(&scope(None), &signed).is_err());
        let other_secret = CursorKey::signing([9; 32]).unwrap();
        assert!(decode(&scope(Some(&other_secret)), &signed).is_err());
        let encrypting = CursorKey::encrypting([1; 32]).unwrap();
        assert!(decode(&scope(Some(&encrypting)), &signed).is_err());
    }

    #[test]
    fn a_sealed_cursor_is_encrypted_under_a_signing_key_and_opens_with_it() {
        let k = CursorKey::signing([4; 32]).unwrap();
        let sealed = encode_sealed(&scope(Some(&k)), &key()).unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        assert_eq!(bytes[1], MODE_ENCRYPTED);
        assert!(!bytes.windows(3).any(|w| w == b"a/b"));
        assert_eq!(decode(&scope(Some(&k)), &sealed).unwrap(), key());
        let other = CursorKey::signing([5; 32]).unwrap();
        assert!(decode(&scope(Some(&other)), &sealed).is_err());
        // Without a key there is nothing to seal with: the usual checksum.
        let plain = encode_sealed(&scope(None), &key()).unwrap();
        assert_eq!(decode(&scope(None), &plain).unwrap(), key());
    }

    #[test]
    fn a_rotated_key_still_accepts_the_previous_secret() {
        let old = CursorKey::signing([1; 32]).unwrap();
        let cursor = encode(&scope(Some(&old)), &key()).unwrap();
        let new = CursorKey::encrypting([3; 32]).unwrap().also_accepting(old);
        assert!(new.encrypts());
        assert_eq!(decode(&scope(Some(&new)), &cursor).unwrap(), key());
    }

    #[test]
    fn encrypted_cursors_do_not_show_the_key_and_short_secrets_are_refused() {
        let k = CursorKey::encrypting([5; 32]).unwrap();
        let cursor = encode(&scope(Some(&k)), &key()).unwrap();
        let bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
        assert!(!bytes.windows(3).any(|w| w == b"a/b"));
        assert!(!format!("{k:?}").contains('5'));
        let err = CursorKey::signing([0; 31]).unwrap_err();
        assert_eq!(
            err.as_validation().map(|v| v.kind),
            Some(ValidationErrorKind::InvalidCursorKey)
        );
    }
}
