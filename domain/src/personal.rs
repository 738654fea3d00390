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
