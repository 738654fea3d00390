//! Bearer tokens: HS256 JWTs issued by `POST /auth/token`. Every request reads the
//! account afresh from the catalog, so a disabled user or a changed grant takes
//! effect at once, whatever the token says.

use std::future::{Ready, ready};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use onestop_domain::access::{Actor, User};
use onestop_domain::ids::UserId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::problem::Problem;
use crate::state::AppState;

const ISSUER: &str = "onestop";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: Uuid,
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
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
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
        let token =
            encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| {
                crate::problem::log_failure(&e);
                Problem::internal()
            })?;
        Ok((token, ttl))
    }

    fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.leeway = 0;
        decode::<Claims>(token, &self.decoding, &validation).map(|data| data.claims)
    }
}

/// The user behind a request, as an actor for the rules.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Actor);

impl FromRequest for Authenticated {
    type Error = Problem;
    type Future = Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Authenticated, Problem> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(Problem::internal());
    };
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .ok_or_else(|| {
            Problem::unauthorized("send a bearer token: Authorization: Bearer <token>")
        })?;
    let claims = state
        .tokens
        .verify(token.trim())
        .map_err(|_| Problem::unauthorized("the token is invalid or has expired"))?;
    let catalog = state.catalog.snapshot();
    let account = catalog
        .account(&UserId(claims.sub))
        .filter(|a| a.user.active)
        .ok_or_else(|| Problem::unauthorized("the account does not exist or is disabled"))?;
    Ok(Authenticated(account.user.actor()))
}
