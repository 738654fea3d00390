//! Bearer tokens: HS256 JWTs issued by `POST /auth/token` and checked by the
//! [`Authenticated`](crate::auth::Authenticated) extractor.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use onestop_domain::access::User;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::problem::Problem;

const ISSUER: &str = "onestop";

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub(crate) sub: Uuid,
    name: String,
    role: String,
    iss: String,
    iat: i64,
    exp: i64,
}

/// Signs and checks tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), ttl }
    }

    /// A token for `user`, and its lifetime in seconds.
    pub fn issue(&self, user: &User) -> Result<(String, u64), Problem> {
        let now = jiff::Timestamp::now().as_second();
        let ttl = self.ttl.as_secs();
        let claims = Claims {
            sub: user.id.0,
            name: user.username.clone(),
            role: user.role.as_str().to_owned(),
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
            crate::problem::log_failure(&e);
            Problem::internal()
        })?;
        Ok((token, ttl))
    }

    pub(crate) fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 0;
        decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims)
    }
}
