//! Case codes and the short secret printed on the receipt.
//!
//! The secret is derived from the case code with a server key (HMAC-SHA-256,
//! [`ReceiptKey`]) rather than drawn at random: the log keeps only its hash,
//! yet the receipt (form 01) can be printed again from the events, with the
//! same secret, as often as the desk needs. Without the key the secret of a
//! code cannot be computed. A key that changes leaves old receipts valid (the
//! lookup checks the stored hash) but their secret can then no longer be
//! reprinted.

use onestop_domain::case::IssuedCode;
use onestop_domain::ids::{CaseCode, UnitCode};
use sha2::{Digest, Sha256};
use tokio_postgres::error::SqlState;

use crate::error::CommandError;

/// Letters and digits that cannot be mistaken for one another when read aloud
/// or typed from paper (no 0/O, 1/I/L).
const SECRET_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const SECRET_LENGTH: usize = 8;

/// Takes the next number of `unit`'s day inside the caller's transaction: if the
/// transaction rolls back, so does the number, and no code is ever skipped.
pub async fn allocate(
    transaction: &deadpool_postgres::Transaction<'_>,
    unit: &UnitCode,
    day: jiff::civil::Date,
) -> Result<CaseCode, CommandError> {
    let row = transaction
        .query_one(
            "INSERT INTO case_code_counters (unit_code, day, last_value) VALUES ($1, $2, 1) \
             ON CONFLICT (unit_code, day) \
             DO UPDATE SET last_value = case_code_counters.last_value + 1 \
             RETURNING last_value",
            &[&unit.as_str(), &day],
        )
        .await
        .map_err(|error| {
            if error.code() == Some(&SqlState::CHECK_VIOLATION) {
                CommandError::CodesExhausted { unit: unit.to_string(), day: day.to_string() }
            } else {
                error.into()
            }
        })?;
    let sequence: i16 = row.get(0);
    CaseCode::new(unit.clone(), day, sequence.unsigned_abs())
        .map_err(|e| CommandError::Invalid { field: "case code", reason: e.to_string() })
}

/// The key receipts' secrets are derived with (`ONESTOP_RECEIPT_KEY`, at
/// least 32 bytes), kept in the server's configuration, not in the database.
#[derive(Clone)]
pub struct ReceiptKey(Vec<u8>);

impl std::fmt::Debug for ReceiptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptKey(…)")
    }
}

/// The key used when none is configured: public, for development only.
const DEVELOPMENT_RECEIPT_KEY: &[u8; 32] = b"onestop development receipt key!";

impl ReceiptKey {
    /// `None` when `bytes` is shorter than 32 bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Option<Self> {
        let bytes = bytes.into();
        (bytes.len() >= 32).then_some(Self(bytes))
    }

    pub fn development() -> Self {
        Self(DEVELOPMENT_RECEIPT_KEY.to_vec())
    }

    /// The lookup secret of `code`: eight letters and digits of
    /// [`SECRET_ALPHABET`] taken from HMAC-SHA-256(key, code).
    pub fn secret_of(&self, code: &CaseCode) -> String {
        use hmac::{KeyInit, Mac};
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(code.to_string().as_bytes());
        let digest = mac.finalize().into_bytes();
        // 31 letters: a byte's remainder is slightly uneven (8 of 256 values
        // fall twice as often), which costs well under a bit of the 39.6.
        digest
            .iter()
            .take(SECRET_LENGTH)
            .map(|b| char::from(SECRET_ALPHABET[usize::from(*b) % SECRET_ALPHABET.len()]))
            .collect()
    }

    /// The secret of a received case, if it is the one its receipt issued
    /// (`stored_hash`): a case received under another key has none to reprint.
    pub fn reprint(&self, code: &CaseCode, stored_hash: Option<&str>) -> Option<String> {
        let secret = self.secret_of(code);
        (stored_hash == Some(secret_hash(code, &secret).as_str())).then_some(secret)
    }
}

/// The lookup secret for `code` and the code it goes with.
pub fn issue(code: CaseCode, key: &ReceiptKey) -> (IssuedCode, String) {
    let secret = key.secret_of(&code);
    let secret_hash = secret_hash(&code, &secret);
    (IssuedCode { code, secret_hash }, secret)
}

/// The stored form of a lookup secret: bound to its code, so equal secrets of
/// different cases hash differently.
pub fn secret_hash(code: &CaseCode, secret: &str) -> String {
    let normalized = secret.trim().to_uppercase();
    hex::encode(Sha256::digest(format!("{code}:{normalized}").as_bytes()))
}
