//! Case codes and the short secret printed on the receipt.

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

/// A fresh lookup secret and the code it goes with.
pub fn issue(code: CaseCode) -> Result<(IssuedCode, String), CommandError> {
    let mut bytes = [0_u8; SECRET_LENGTH];
    getrandom::fill(&mut bytes).map_err(|e| CommandError::Infrastructure(e.to_string().into()))?;
    let secret: String =
        bytes.iter().map(|b| char::from(SECRET_ALPHABET[usize::from(*b) % SECRET_ALPHABET.len()])).collect();
    let secret_hash = secret_hash(&code, &secret);
    Ok((IssuedCode { code, secret_hash }, secret))
}

/// The stored form of a lookup secret: bound to its code, so equal secrets of
/// different cases hash differently.
pub fn secret_hash(code: &CaseCode, secret: &str) -> String {
    let normalized = secret.trim().to_uppercase();
    hex::encode(Sha256::digest(format!("{code}:{normalized}").as_bytes()))
}
