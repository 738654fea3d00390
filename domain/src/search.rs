//! Finding a citizen's files by who they are while their personal data stays
//! encrypted: a keyed blind index (chỉ mục mù).
//!
//! An applicant is indexed under *terms*: keyed hashes (HMAC-SHA-256, cut to
//! 16 bytes) of their normalised ID number, their normalised phone number,
//! each word of their name and each beginning of a word. A query is turned
//! into terms with the same key and matched term for term, so the index
//! holds no name, number or phone, and without the key (kept outside the
//! database, in the server's configuration) its terms cannot be tested
//! against a guess. Everything here is pure: the read model that stores the
//! terms and deletes them on erasure lives in `projections`.
//!
//! Normalisation is what a desk officer expects: names match without regard
//! to case, tone or vowel marks (`nguyen van an` finds `Nguyễn Văn An`, and
//! `đ` is `d`); a word matches a whole word unless a prefix search is asked
//! for (`an` does not find `Anh` then, `an*` does); phone numbers match in
//! their national form (`+84 912 345 678`, `84912345678` and `0912345678`
//! are one number); ID numbers match without spaces or case.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

use crate::personal::Applicant;

/// The shortest word beginning indexed: one letter would match too much.
pub const MIN_PREFIX: usize = 2;

/// A word beginning longer than this is indexed as this long (names are short).
pub const MAX_PREFIX: usize = 12;

/// The key used when none is configured: public, for development and
/// demonstrations only (the server and the replay tool warn when they use it).
pub const DEVELOPMENT_KEY: &[u8; 32] = b"onestop development search key!!";

/// The key of the blind index (at least 32 bytes).
#[derive(Clone)]
pub struct IndexKey(Vec<u8>);

impl std::fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IndexKey(…)")
    }
}

/// Why a key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the blind index key must be at least 32 bytes, not {0}")]
pub struct ShortKey(pub usize);

impl IndexKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Result<Self, ShortKey> {
        let bytes = bytes.into();
        if bytes.len() < 32 { Err(ShortKey(bytes.len())) } else { Ok(Self(bytes)) }
    }

    /// [`DEVELOPMENT_KEY`].
    pub fn development() -> Self {
        Self(DEVELOPMENT_KEY.to_vec())
    }

    /// `ONESTOP_SEARCH_KEY` as configured, or `None` for the development key.
    pub fn configured(text: Option<String>) -> Result<Self, ShortKey> {
        text.map_or_else(|| Ok(Self::development()), |key| Self::new(key.into_bytes()))
    }

    /// Every term `applicant` is found under, each once.
    pub fn terms_of(&self, applicant: &Applicant) -> Vec<Term> {
        let mut terms = Vec::new();
        if let Some(id) = id_number(&applicant.id_number) {
            terms.push(self.term(TermKind::IdNumber, &id));
        }
        if let Some(phone) = applicant.phone.as_deref().and_then(phone_number) {
            terms.push(self.term(TermKind::Phone, &phone));
        }
        for word in name_words(&applicant.full_name) {
            terms.push(self.term(TermKind::Word, &word));
            for prefix in prefixes(&word) {
                terms.push(self.term(TermKind::Prefix, prefix));
            }
        }
        terms.sort_unstable();
        terms.dedup();
        terms
    }

    /// The terms a search for `text` must all match; `None` when it has
    /// nothing to search by. A query of digits (with spaces, dots, dashes or a
    /// leading `+`) is a phone or ID number; anything else is a name, whose
    /// words ending in `*` are searched as beginnings.
    pub fn query(&self, text: &str) -> Option<Query> {
        let looks_numeric = text.chars().any(|c| c.is_ascii_digit())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || " .-+".contains(c));
        if looks_numeric {
            let mut any_of = Vec::new();
            if let Some(id) = id_number(text) {
                any_of.push(self.term(TermKind::IdNumber, &id));
            }
            if let Some(phone) = phone_number(text) {
                any_of.push(self.term(TermKind::Phone, &phone));
            }
            return (!any_of.is_empty()).then_some(Query::AnyOf(any_of));
        }
        let mut all_of = Vec::new();
        for raw in text.split_whitespace() {
            let prefix = raw.ends_with('*');
            for word in name_words(raw.trim_end_matches('*')) {
                if prefix {
                    let cut = truncate(&word, MAX_PREFIX);
                    if cut.chars().count() < MIN_PREFIX {
                        return None;
                    }
                    all_of.push(self.term(TermKind::Prefix, cut));
                } else {
                    all_of.push(self.term(TermKind::Word, &word));
                }
            }
        }
        all_of.sort_unstable();
        all_of.dedup();
        (!all_of.is_empty()).then_some(Query::AllOf(all_of))
    }

    fn term(&self, kind: TermKind, value: &str) -> Term {
        // An HMAC takes a key of any length, so this cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) else {
            unreachable!("HMAC accepts keys of every length")
        };
        mac.update(&[kind as u8]);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut term = [0_u8; 16];
        term.copy_from_slice(&digest[..16]);
        Term(term)
    }
}

/// Whether a search for `text` is for part of a case code
/// (`000.00.01.H22-260302-0001`) rather than for an applicant: no space, only
/// the code's characters (ASCII letters and digits, `.`, `-`), at least one
/// digit, dot or dash, and no run of more than six digits (the code's longest;
/// an ID number or a phone has nine or more). `260302`, `0017`, `H22-2603`
/// are code fragments; `0912345678`, `001099012345`, `nguyen van an` are not.
pub fn is_code_fragment(text: &str) -> bool {
    let allowed = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let marked = text.chars().any(|c| c.is_ascii_digit() || c == '.' || c == '-');
    let longest_digits = text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
    !text.is_empty() && allowed && marked && longest_digits <= 6
}

/// A keyed hash under which an applicant is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term(pub [u8; 16]);

/// What a search matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A phone or ID number: an applicant under any of these terms.
    AnyOf(Vec<Term>),
    /// Name words: an applicant under all of these terms.
    AllOf(Vec<Term>),
}

/// What a term stands for; its byte opens the hashed text, so that the same
/// text as a word and as a number gives different terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum TermKind {
    IdNumber = 1,
    Phone = 2,
    Word = 3,
    Prefix = 4,
}

/// `text` in lower case without tone or vowel marks, `đ` as `d`, and every
/// character that is not a letter or digit as a space.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'đ' | 'Đ' => 'd',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a name, folded.
pub fn name_words(name: &str) -> Vec<String> {
    fold(name).split_whitespace().map(str::to_owned).collect()
}

/// A phone number in its national form (`0` and 9 or 10 digits), from the
/// ways people write it; `None` when it is not one.
pub fn phone_number(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("84") {
        Some(rest) if (9..=10).contains(&rest.len()) && !digits.starts_with('0') => format!("0{rest}"),
        _ => digits,
    };
    (national.starts_with('0') && (10..=11).contains(&national.len())).then_some(national)
}

/// An ID number (CCCD, passport, business registration) without spaces,
/// dots or dashes, in upper case; `None` when under 6 or over 20 characters
/// remain, or when it has other characters.
pub fn id_number(text: &str) -> Option<String> {
    let kept: String = text.chars().filter(|c| !" .-".contains(*c)).flat_map(char::to_uppercase).collect();
    let valid = (6..=20).contains(&kept.len()) && kept.chars().all(|c| c.is_ascii_alphanumeric());
    valid.then_some(kept)
}

/// Each beginning of `word` from [`MIN_PREFIX`] to [`MAX_PREFIX`] characters.
fn prefixes(word: &str) -> impl Iterator<Item = &str> {
    let ends: Vec<usize> = word.char_indices().map(|(i, _)| i).skip(1).chain([word.len()]).collect();
    ends.into_iter()
        .enumerate()
        .filter(|(n, _)| (MIN_PREFIX..=MAX_PREFIX).contains(&(n + 1)))
        .map(move |(_, end)| &word[..end])
}

/// The first `chars` characters of `word`.
fn truncate(word: &str, chars: usize) -> &str {
    word.char_indices().nth(chars).map_or(word, |(end, _)| &word[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fragments_are_told_from_numbers_and_names() {
        for code in ["260302", "0017", "H22-2603", "000.00.01.H22-260302-0001", "H22"] {
            assert!(is_code_fragment(code), "{code}");
        }
        for other in ["0912345678", "001099012345", "nguyen van an", "an", "", "+84912345678", "An*"] {
            assert!(!is_code_fragment(other), "{other}");
        }
    }

    fn key() -> IndexKey {
        IndexKey::new(*b"a test key of thirty-two bytes!!").unwrap()
    }

    fn applicant(name: &str, id: &str, phone: Option<&str>) -> Applicant {
        Applicant {
            full_name: name.into(),
            id_number: id.into(),
            phone: phone.map(str::to_owned),
            address: None,
            email: None,
        }
    }

    /// Whether a search for `text` finds `who`.
    fn finds(text: &str, who: &Applicant) -> bool {
        let terms = key().terms_of(who);
        match key().query(text) {
            Some(Query::AnyOf(any)) => any.iter().any(|t| terms.contains(t)),
            Some(Query::AllOf(all)) => all.iter().all(|t| terms.contains(t)),
            None => false,
        }
    }

    #[test]
    fn names_fold_to_plain_lower_case_letters() {
        assert_eq!(fold("Nguyễn Văn An"), "nguyen van an");
        assert_eq!(fold("ĐẶNG Thị Hương-Giang"), "dang thi huong giang");
        assert_eq!(name_words("  Lê   Ánh\tNguyệt "), ["le", "anh", "nguyet"]);
        // Composed and decomposed spellings of the same name are one.
        assert_eq!(fold("Nguy\u{1ec5}n"), fold("Nguye\u{302}\u{303}n"));
    }

    #[test]
    fn a_name_search_matches_whole_words_unless_asked_by_prefix() {
        let an = applicant("Nguyễn Văn An", "001099012345", Some("0912345678"));
        let anh = applicant("Nguyễn Văn Anh", "001099054321", None);
        assert!(finds("nguyen van an", &an));
        assert!(finds("AN NGUYỄN", &an), "any order, any case");
        assert!(!finds("nguyen van an", &anh));
        assert!(finds("nguyen van an*", &anh), "a prefix search finds both");
        assert!(finds("nguyen van an*", &an));
        assert!(finds("ng* va*", &anh));
        assert!(!finds("nguyen van binh", &an));
        assert_eq!(key().query("a*"), None, "one letter is too short a beginning");
        assert_eq!(key().query("  "), None);
    }

    #[test]
    fn numbers_match_in_every_usual_spelling() {
        let an = applicant("Nguyễn Văn An", "001 099 012 345", Some("+84 912 345 678"));
        for text in ["001099012345", "001.099.012.345", "0912345678", "84912345678", "+84-912-345-678"] {
            assert!(finds(text, &an), "{text}");
        }
        assert!(!finds("0912345679", &an));
        assert!(!finds("001099012346", &an));
        assert_eq!(phone_number("12345"), None);
        assert_eq!(phone_number("84 24 3825 1234"), Some("02438251234".into()));
        assert_eq!(id_number("c1234567"), Some("C1234567".into()));
        assert_eq!(id_number("12"), None);
    }

    #[test]
    fn terms_are_keyed_and_each_kind_apart() {
        let an = applicant("Nguyễn Văn An", "001099012345", Some("0912345678"));
        let terms = key().terms_of(&an);
        let other = IndexKey::new(*b"another key, also 32 bytes long!").unwrap().terms_of(&an);
        assert!(terms.iter().all(|t| !other.contains(t)), "another key gives other terms");
        // The three words, their beginnings (ng, ngu, nguy, nguye, nguyen; va,
        // van; an), the number and the phone.
        assert_eq!(terms.len(), 3 + 8 + 2);
        // A word is not the same term as a number or a beginning of the same text.
        let word = key().query("an").unwrap();
        let prefix = key().query("an*").unwrap();
        assert_ne!(word, prefix);
        assert!(IndexKey::new(vec![0; 31]).is_err());
    }
}
