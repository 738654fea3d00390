//! The applicant's personal data (Decree 13/2023/NĐ-CP). It never enters case
//! events: they carry only an [`ApplicantId`](crate::ids::ApplicantId), and the
//! write side keeps this record encrypted with a per-applicant key, so that
//! destroying the key erases the data everywhere without rewriting the log.

use serde::{Deserialize, Serialize};

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
    use super::is_email;

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
}
