//! Tamper evidence: each event's hash is `SHA-256(prev_hash || canonical bytes)`,
//! chained per stream.
//!
//! Payload and metadata are written in one canonical JSON form (keys sorted by
//! their bytes, no spaces, numbers as described at [`canonical_json`]) and stored
//! as that very text in `json` columns, so the bytes hashed are the bytes stored
//! and verification needs no re-encoding.

use std::fmt::Write as _;

use serde_json::{Number, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Version tag of the canonical encoding, hashed first: a future encoding gets a
/// new tag instead of silently changing what old hashes mean.
const ENCODING_TAG: &[u8] = b"onestop.event.v1";

/// The hashed content of one event.
#[derive(Debug, Clone, Copy)]
pub struct HashedFields<'a> {
    pub stream_id: &'a str,
    pub stream_version: u64,
    pub event_id: Uuid,
    pub event_type: &'a str,
    pub schema_version: i32,
    /// Canonical JSON text of the payload.
    pub payload: &'a str,
    /// Canonical JSON text of the metadata.
    pub metadata: &'a str,
    /// Microseconds since the Unix epoch (PostgreSQL's precision).
    pub recorded_at_micros: i64,
}

/// `SHA-256(prev_hash || canonical bytes of the event)`; the first event of a
/// stream has no predecessor and hashes only its own bytes.
pub fn event_hash(prev_hash: Option<&[u8; 32]>, fields: &HashedFields<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    if let Some(prev) = prev_hash {
        hasher.update(prev);
    }
    let mut put = |bytes: &[u8]| {
        // Length prefixes keep field boundaries unambiguous.
        hasher.update((bytes.len() as u32).to_be_bytes());
        hasher.update(bytes);
    };
    put(ENCODING_TAG);
    put(fields.stream_id.as_bytes());
    put(&fields.stream_version.to_be_bytes());
    put(fields.event_id.as_bytes());
    put(fields.event_type.as_bytes());
    put(&fields.schema_version.to_be_bytes());
    put(fields.payload.as_bytes());
    put(fields.metadata.as_bytes());
    put(&fields.recorded_at_micros.to_be_bytes());
    hasher.finalize().into()
}

/// Why a JSON value cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalJsonError {
    #[error("text may not contain the NUL character (\\u0000), which PostgreSQL cannot store")]
    NulCharacter,
}

/// Writes `value` in canonical form.
///
/// Numbers: integers in the 64-bit range are written as integers; so is a float
/// with no fractional part inside that range (PostgreSQL keeps `1e16` as
/// `10000000000000000`, which reads back as an integer); every other float is
/// written in its shortest round-trip form. `-0.0` becomes `0`.
pub fn canonical_json(value: &Value) -> Result<String, CanonicalJsonError> {
    let mut out = String::with_capacity(128);
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut String) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(number, out),
        Value::String(text) => write_string(text, out)?,
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out)?;
                out.push(':');
                write_value(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_number(number: &Number, out: &mut String) {
    if let Some(i) = number.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = number.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = number.as_f64() {
        // 2^63 and 2^64 are exact in f64, so these bounds test exactly.
        const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
        const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
        if f.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&f) {
            let _ = write!(out, "{}", f as i64);
        } else if f.fract() == 0.0 && (0.0..TWO_POW_64).contains(&f) {
            let _ = write!(out, "{}", f as u64);
        } else {
            let _ = write!(out, "{number}");
        }
    }
}

fn write_string(text: &str, out: &mut String) -> Result<(), CanonicalJsonError> {
    if text.contains('\0') {
        return Err(CanonicalJsonError::NulCharacter);
    }
    // serde_json's escaping is deterministic: quotes, backslashes and control
    // characters only.
    let _ = write!(out, "{}", Value::String(text.to_owned()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_spacing_removed() {
        let text = canonical_json(&json!({"b": 1, "a": [true, null, "x"], "ab": {"z": 0, "y": -1}})).unwrap();
        assert_eq!(text, r#"{"a":[true,null,"x"],"ab":{"y":-1,"z":0},"b":1}"#);
    }

    #[test]
    fn integral_floats_are_written_as_integers() {
        assert_eq!(canonical_json(&json!(3.0)).unwrap(), "3");
        assert_eq!(canonical_json(&json!(-0.0)).unwrap(), "0");
        assert_eq!(canonical_json(&json!(1e16)).unwrap(), "10000000000000000");
        assert_eq!(canonical_json(&json!(0.1)).unwrap(), "0.1");
        assert_eq!(canonical_json(&json!(1e300)).unwrap(), "1e+300");
    }

    #[test]
    fn nul_characters_are_refused() {
        assert_eq!(canonical_json(&json!({"a": "x\u{0}y"})), Err(CanonicalJsonError::NulCharacter));
        assert_eq!(canonical_json(&json!({"\u{0}": 1})), Err(CanonicalJsonError::NulCharacter));
    }

    #[test]
    fn hash_depends_on_predecessor_and_every_field() {
        let fields = HashedFields {
            stream_id: "case-1",
            stream_version: 1,
            event_id: Uuid::nil(),
            event_type: "CaseReceived",
            schema_version: 1,
            payload: "{}",
            metadata: "{}",
            recorded_at_micros: 0,
        };
        let first = event_hash(None, &fields);
        assert_ne!(first, event_hash(Some(&[0; 32]), &fields));
        let changed = HashedFields { payload: r#"{"a":1}"#, ..fields };
        assert_ne!(first, event_hash(None, &changed));
        let moved = HashedFields { stream_version: 2, ..fields };
        assert_ne!(first, event_hash(None, &moved));
    }
}
