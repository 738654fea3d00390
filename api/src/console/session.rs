//! Who is using the console: the session cookie, and the CSRF token every
//! form carries.
//!
//! The cookie (`onestop_session`) holds a random secret; the database keeps
//! its hash ([`onestop_commands::sessions`]). It is HttpOnly and
//! SameSite=Strict, and Secure when the console is served over HTTPS. Each
//! request reads the account afresh from the catalog, as the API does with a
//! token, so a disabled account or a changed grant takes effect at once.
//!
//! CSRF: every form carries a token derived from the secret the form's
//! reader holds — the session cookie once signed in, before that a visitor
//! cookie (`onestop_visitor`) — and `Posted` (the form module) refuses a post
//! whose token does not match, or that a browser marks as cross-site. A page
//! elsewhere can neither read the cookie nor compute the token.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use onestop_domain::access::{Actor, User};
use onestop_domain::ids::UserId;
use sha2::{Digest, Sha256};

use super::error::Failure;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "onestop_session";
pub const VISITOR_COOKIE: &str = "onestop_visitor";
/// The name of the hidden field that carries the token.
pub const CSRF_FIELD: &str = "csrf";

/// The CSRF token of forms read by the holder of `secret`.
pub fn csrf_token(secret: &str) -> String {
    let digest = Sha256::new().chain_update(b"onestop console csrf\0").chain_update(secret.as_bytes()).finalize();
    hex::encode(&digest[..16])
}

/// Whether `given` is the token for `secret`, compared in constant time.
pub fn csrf_matches(secret: &str, given: &str) -> bool {
    let wanted = csrf_token(secret);
    wanted.len() == given.len() && wanted.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// A cookie of the console's: HttpOnly, SameSite=Strict, for the whole site,
/// Secure when served over HTTPS.
pub fn cookie<'c>(req: &HttpRequest, name: &'c str, value: String) -> Cookie<'c> {
    let state = req.app_data::<web::Data<AppState>>();
    let secure =
        req.connection_info().scheme() == "https" || state.is_some_and(|s| s.public_url.starts_with("https://"));
    Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Strict).secure(secure).finish()
}

/// The same cookie, expired: the browser drops it.
pub fn removal(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    let mut gone = cookie(req, name, String::new());
    gone.make_removal();
    gone
}

/// A signed-in officer.
#[derive(Debug, Clone)]
pub struct Officer {
    pub user: User,
    pub actor: Actor,
    /// The token this officer's forms carry.
    pub csrf: String,
    /// The session's secret (to end it at sign-out).
    pub(super) secret: String,
}

impl FromRequest for Officer {
    type Error = Failure;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Failure>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(&req).await?.ok_or_else(|| Failure::sign_in(&req)) })
    }
}

/// The officer whose session the request carries, if it has a live one.
pub async fn signed_in(req: &HttpRequest) -> Result<Option<Officer>, Failure> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(Failure::from(crate::problem::Problem::internal()));
    };
    let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
        return Ok(None);
    };
    let Some(session) = state.sessions.find(&secret).await.map_err(crate::problem::Problem::from)? else {
        return Ok(None);
    };
    let catalog = state.catalog.snapshot();
    let Some(account) = catalog.account(&UserId(session.user_id)).filter(|a| a.user.active) else {
        return Ok(None);
    };
    Ok(Some(Officer { actor: account.user.actor(), user: account.user.clone(), csrf: csrf_token(&secret), secret }))
}

/// The CSRF token for a page's forms: the officer's, or else the visitor's
/// (a new visitor cookie is returned to be set).
pub fn form_token(req: &HttpRequest, officer: Option<&Officer>) -> Result<(String, Option<Cookie<'static>>), Failure> {
    if let Some(officer) = officer {
        return Ok((officer.csrf.clone(), None));
    }
    if let Some(visitor) = req.cookie(VISITOR_COOKIE) {
        return Ok((csrf_token(visitor.value()), None));
    }
    let secret = onestop_commands::sessions::new_secret().map_err(crate::problem::Problem::from)?;
    let token = csrf_token(&secret);
    Ok((token, Some(cookie(req, VISITOR_COOKIE, secret))))
}
