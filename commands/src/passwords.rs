//! Password hashing with argon2id (the current OWASP recommendation), stored as
//! PHC strings so the parameters travel with each hash.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::CommandError;

/// Hashes a password with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, CommandError> {
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt).map_err(|e| CommandError::Infrastructure(e.to_string().into()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| CommandError::Infrastructure(e.to_string().into()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| CommandError::Infrastructure(e.to_string().into()))
}

/// Whether `password` matches the stored hash. A malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("demo").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("demo", &hash));
        assert!(!verify_password("Demo", &hash));
        assert!(!verify_password("demo", "not a hash"));
    }
}
