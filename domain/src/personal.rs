//! The applicant's personal data (Decree 13/2023/NĐ-CP). It never enters case
//! events: they carry only an [`ApplicantId`](crate::ids::ApplicantId), and the
//! write side keeps this record encrypted with a per-applicant key, so that
//! destroying the key erases the data everywhere without rewriting the log.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};

use crate::ids::ApplicantId;

/// Who filed a case (chủ hồ sơ): a citizen or a business's representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub full_name: String,
    /// Số định danh cá nhân / CCCD, or a business registration number.
    pub id_number: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub email: Option<String>,
}

/// The e-mail addresses accepted for notices, as an ECMA-262 regular
/// expression: a plain `local@domain.tld`, which every mail system delivers
/// (quoted local parts and address literals are refused on purpose).
pub const EMAIL_PATTERN: &str = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$";

/// Whether `text` matches [`EMAIL_PATTERN`].
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    let Some((host, top)) = domain.rsplit_once('.') else {
        return false;
    };
    let local_ok = !local.is_empty() && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b));
    let host_ok = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let top_ok = top.len() >= 2 && top.bytes().all(|b| b.is_ascii_alphabetic());
    local_ok && host_ok && top_ok
}

impl Applicant {
    /// The name as the provincial feed shows it: each word's first letter kept,
    /// the rest masked, e.g. `Nguyễn Văn An` → `N***** V** A*`.
    pub fn masked_name(&self) -> String {
        self.full_name
            .split_whitespace()
            .map(|word| {
                let mut chars = word.chars();
                let first = chars.next().map(String::from).unwrap_or_default();
                first + &"*".repeat(chars.count())
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The event types of an applicant's stream (`applicant-<id>`).
pub const APPLICANT_RECORDED: &str = "ApplicantRecorded";
pub const APPLICANT_ERASED: &str = "ApplicantErased";

/// An applicant's record as the log keeps it (the payload of
/// `ApplicantRecorded`): sealed with ChaCha20-Poly1305 under the applicant's
/// own key and bound to their id, so that destroying the key erases it. The
/// write side seals (it draws the key and the nonce); the read models that
/// need the data (the search index) open it while the key exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedApplicant {
    nonce: String,
    ciphertext: String,
}

/// A record that cannot be sealed or opened: a wrong key, or a corrupt record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the applicant record cannot be {0}")]
pub struct SealError(&'static str);

impl SealedApplicant {
    /// Seals `applicant` under `key` with a fresh random `nonce`.
    pub fn seal(id: ApplicantId, key: &[u8; 32], nonce: [u8; 12], applicant: &Applicant) -> Result<Self, SealError> {
        let plaintext = serde_json::to_vec(applicant).map_err(|_| SealError("written"))?;
        let ciphertext = ChaCha20Poly1305::new(Key::from_slice(key))
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: &plaintext, aad: id.0.as_bytes() })
            .map_err(|_| SealError("sealed"))?;
        Ok(Self { nonce: BASE64.encode(nonce), ciphertext: BASE64.encode(ciphertext) })
    }

    /// The applicant, with the key the record was sealed under.
    pub fn open(&self, id: ApplicantId, key: &[u8]) -> Result<Applicant, SealError> {
        let corrupt = SealError("opened");
        let nonce = BASE64.decode(&self.nonce).map_err(|_| corrupt.clone())?;
        let ciphertext = BASE64.decode(&self.ciphertext).map_err(|_| corrupt.clone())?;
        if nonce.len() != 12 || key.len() != 32 {
            return Err(corrupt);
        }
        let plaintext = ChaCha20Poly1305::new(Key::from_slice(key))
            .decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: id.0.as_bytes() })
            .map_err(|_| corrupt.clone())?;
        serde_json::from_slice(&plaintext).map_err(|_| corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_masked_word_by_word() {
        let applicant = Applicant {
            full_name: "Nguyễn Văn An".into(),
            id_number: "001099000001".into(),
            phone: None,
            address: None,
            email: None,
        };
        assert_eq!(applicant.masked_name(), "N***** V** A*");
    }
}

#[cfg(test)]
mod email_tests {
    use super::{Applicant, SealedApplicant, is_email};
    use crate::ids::ApplicantId;

    #[test]
    fn plain_addresses_only() {
        assert!(is_email("an.nguyen@example.vn"));
        assert!(is_email("a+b%c@mail.so-tu-phap.gov.vn"));
        assert!(!is_email("an@example"));
        assert!(!is_email("an@@example.vn"));
        assert!(!is_email("@example.vn"));
        assert!(!is_email("an@.vn"));
        assert!(!is_email("an@example.v1"));
        assert!(!is_email("\"an\"@example.vn"));
        assert!(!is_email("an nguyen@example.vn"));
    }

    #[test]
    fn a_sealed_record_opens_only_with_its_key_and_its_applicant() {
        let applicant = Applicant {
            full_name: "Nguyễn Văn An".into(),
            id_number: "001099012345".into(),
            phone: None,
            address: None,
            email: None,
        };
        let id = ApplicantId(uuid::Uuid::from_u128(7));
        let key = [7_u8; 32];
        let sealed = SealedApplicant::seal(id, &key, [1; 12], &applicant).unwrap();
        assert_eq!(sealed.open(id, &key), Ok(applicant));
        assert!(sealed.open(id, &[8; 32]).is_err(), "another key");
        assert!(sealed.open(ApplicantId(uuid::Uuid::from_u128(8)), &key).is_err(), "another applicant");
        let text = serde_json::to_string(&sealed).unwrap();
        assert!(!text.contains("Nguy") && text.contains("\"nonce\"") && text.contains("\"ciphertext\""));
    }
}
