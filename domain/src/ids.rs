//! Identifiers and codes, each checked when made.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A code or id that does not have the required form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {value:?} is not valid: {expected}")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A case file (hồ sơ); its events are the stream `case-<uuid>`.
    CaseId
);
uuid_id!(
    /// An officer or machine client; stream `user-<uuid>`.
    UserId
);
uuid_id!(
    /// An applicant (chủ hồ sơ), whose personal data is kept apart, encrypted.
    ApplicantId
);

/// `s` as a code when `valid`; else why not.
fn checked<T>(
    s: &str,
    valid: bool,
    code: fn(String) -> T,
    kind: &'static str,
    expected: &'static str,
) -> Result<T, InvalidId> {
    if valid { Ok(code(s.to_owned())) } else { Err(InvalidId { kind, value: s.to_owned(), expected }) }
}

/// What a code kept as its checked text has alike: it is read by its
/// [`FromStr`] check (`$valid`, refused as a `$kind` that should be
/// `$expected`), built from a `String` the same way, stored as that text, and
/// shown as it.
macro_rules! text_code {
    ($(#[$doc:meta])* $code:ident, $pattern:literal, $kind:literal, $expected:literal, $valid:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $code(String);

        impl $code {
            /// The form [`FromStr`] accepts, as an ECMA-262 regular expression
            /// (for the API's document).
            pub const PATTERN: &'static str = $pattern;

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $code {
            type Err = InvalidId;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let valid: fn(&str) -> bool = $valid;
                checked(s, valid(s), Self, $kind, $expected)
            }
        }

        impl TryFrom<String> for $code {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$code> for String {
            fn from(code: $code) -> Self {
                code.0
            }
        }

        impl fmt::Display for $code {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_code!(
    /// An administrative unit's code as in QĐ 20/2020/QĐ-TTg, e.g. `000.00.01.H22`:
    /// three digits, two, two, then a letter and two digits (the province).
    UnitCode,
    r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$",
    "unit code",
    "the form 000.00.01.H22",
    |s| {
        let parts: Vec<&str> = s.split('.').collect();
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        parts.len() == 4
            && digits(parts[0], 3)
            && digits(parts[1], 2)
            && digits(parts[2], 2)
            && parts[3].len() == 3
            && parts[3].as_bytes()[0].is_ascii_uppercase()
            && digits(&parts[3][1..], 2)
    }
);

text_code!(
    /// A code of the national procedure catalog (mã thủ tục), e.g. `1.004227` or
    /// `2.000894.000.00.00.H22`: digits, dots, letters, at most 50 characters.
    ProcedureCode,
    r"^[A-Za-z0-9._-]{1,50}$",
    "procedure code",
    "1 to 50 letters, digits, dots, dashes or underscores",
    |s| {
        !s.is_empty()
            && s.len() <= 50
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    }
);

/// A case code (mã hồ sơ): `{unit code}-{yyMMdd}-{4-digit daily sequence per unit}`,
/// e.g. `000.00.01.H22-260212-0007`. Short enough for a barcode or QR code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseCode {
    pub unit: UnitCode,
    pub date: Date,
    pub sequence: u16,
}

impl CaseCode {
    /// The shape [`FromStr`] accepts, as an ECMA-262 regular expression (the
    /// date must also be a real day).
    pub const PATTERN: &'static str = r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}-[0-9]{6}-[0-9]{4}$";

    /// Sequences run 1–9999 per unit and day.
    pub fn new(unit: UnitCode, date: Date, sequence: u16) -> Result<Self, InvalidId> {
        if (1..=9999).contains(&sequence) && (2000..2100).contains(&date.year()) {
            Ok(Self { unit, date, sequence })
        } else {
            Err(InvalidId {
                kind: "case code",
                value: format!("{unit}-{date}-{sequence}"),
                expected: "a sequence from 1 to 9999 and a date in 2000–2099",
            })
        }
    }
}

impl fmt::Display for CaseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{:02}{:02}{:02}-{:04}",
            self.unit,
            self.date.year() % 100,
            self.date.month(),
            self.date.day(),
            self.sequence
        )
    }
}

impl FromStr for CaseCode {
    type Err = InvalidId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid =
            || InvalidId { kind: "case code", value: s.to_owned(), expected: "the form 000.00.01.H22-260212-0007" };
        let mut parts = s.rsplitn(3, '-');
        let (Some(sequence), Some(day), Some(unit)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        let number = |text: &str, len: usize| {
            (text.len() == len && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse::<u16>().ok()).flatten()
        };
        let sequence = number(sequence, 4).ok_or_else(invalid)?;
        let (yy, mm, dd) = (
            number(day.get(0..2).unwrap_or(""), 2),
            number(day.get(2..4).unwrap_or(""), 2),
            number(day.get(4..6).unwrap_or(""), 2),
        );
        let (Some(yy), Some(mm), Some(dd)) = (yy, mm, dd) else {
            return Err(invalid());
        };
        if day.len() != 6 {
            return Err(invalid());
        }
        let date = Date::new(2000 + yy as i16, mm as i8, dd as i8).map_err(|_| invalid())?;
        let unit: UnitCode = unit.parse().map_err(|_| invalid())?;
        CaseCode::new(unit, date, sequence).map_err(|_| invalid())
    }
}

impl TryFrom<String> for CaseCode {
    type Error = InvalidId;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CaseCode> for String {
    fn from(code: CaseCode) -> Self {
        code.to_string()
    }
}

/// A service group's letter(s), e.g. `A` (Đất đai), `B` (Hộ tịch, chứng thực).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GroupCode(String);

impl GroupCode {
    /// One to three capital letters.
    pub fn new(text: &str) -> Option<Self> {
        let valid = (1..=3).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_uppercase());
        valid.then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn unit_codes_follow_the_national_form() {
        assert!("000.00.01.H22".parse::<UnitCode>().is_ok());
        assert!("000.26.31.H22".parse::<UnitCode>().is_ok());
        for bad in ["", "000.00.01", "000.00.01.h22", "00.00.01.H22", "000.00.01.H2X"] {
            assert!(bad.parse::<UnitCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn case_codes_print_and_parse() {
        let code = CaseCode::new("000.00.01.H22".parse().unwrap(), date(2026, 2, 12), 7).unwrap();
        assert_eq!(code.to_string(), "000.00.01.H22-260212-0007");
        assert_eq!("000.00.01.H22-260212-0007".parse::<CaseCode>(), Ok(code));
        for bad in [
            "000.00.01.H22-260230-0007",
            "000.00.01.H22-260212-0000",
            "000.00.01.H22-2602120-0007",
            "000.00.01-260212-0007",
            "x",
        ] {
            assert!(bad.parse::<CaseCode>().is_err(), "{bad}");
        }
    }
}
