//! The record of sign-in attempts, locks and unlocks.

use actix_web::web::Query;
use actix_web::{HttpResponse, get};
use jiff::Timestamp;
use onestop_domain::access::{self};
use onestop_domain::ids::UserId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::openapi::answers;
use crate::problem::Problem;
use crate::routes::{Answer, State};

use super::{page_size, period};

#[derive(Debug, Deserialize, IntoParams)]
pub struct SignInQuery {
    /// An account's id: its attempts, locks and unlocks only.
    pub user: Option<Uuid>,
    /// Start of the period; 31 days before its end when absent.
    pub from: Option<Timestamp>,
    /// End of the period (exclusive); when absent, up to now included.
    pub to: Option<Timestamp>,
    /// From the previous page's `next_after`.
    pub after: Option<i64>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// One sign-in attempt, lock or unlock.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInEntry {
    /// The event's place in the log: pass the last one as `after`.
    pub position: i64,
    pub at: Timestamp,
    /// `SignInSucceeded`, `SignInFailed`, `AccountLocked` or `AccountUnlocked`.
    #[schema(example = "SignInFailed")]
    pub event_type: String,
    /// The name typed (for unknown names too).
    #[schema(example = "reception.anbinh")]
    pub username: String,
    /// The account, when the name is one.
    pub user_id: Option<Uuid>,
    /// Why an attempt failed: `wrong_password`, `unknown_user`,
    /// `disabled_account`, `too_soon`, `locked`.
    #[schema(example = "wrong_password")]
    pub reason: Option<String>,
    /// Until when a lock holds.
    pub locked_until: Option<Timestamp>,
    /// The administrator who unlocked.
    pub unlocked_by: Option<Uuid>,
    /// Where the attempt came from.
    #[schema(example = "203.0.113.7")]
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInPage {
    pub items: Vec<SignInEntry>,
    /// Pass as `after` for the next page.
    pub next_after: i64,
}

/// Sign-in attempts, locks and unlocks in a period (inspectors, leaders and
/// administrators: accounts of the units they reach; names no account has only
/// for those overseeing the whole province).
#[utoipa::path(tag = "audit", params(SignInQuery), responses((status = 200, description = "One page of sign-in records, oldest first", body = SignInPage), answers::Forbidden, answers::OutOfBounds), security(("bearer" = [])))]
#[get("/audit/sign-ins")]
pub async fn sign_ins(state: State, auth: Authenticated, params: Query<SignInQuery>) -> Answer {
    use onestop_domain::sign_in::SignInEvent;

    access::audits(&auth.0, "read sign-in records")?;
    let limit = page_size(params.limit)?;
    let (from, to) = period(params.from, params.to, state.clock.now())?;
    let stream = match params.user {
        None => None,
        Some(id) => Some(
            onestop_store::StreamId::new(onestop_commands::sign_in::stream_of(&UserId(id)))
                .map_err(|e| Problem::malformed(e.to_string()))?,
        ),
    };
    let after = params.after.unwrap_or(0);
    let found = state
        .store
        .read_types_between(
            &SignInEvent::TYPES,
            stream.as_ref(),
            (from, to),
            after,
            usize::try_from(limit).unwrap_or(100),
        )
        .await
        .map_err(onestop_commands::CommandError::from)?;
    let catalog = state.catalog.snapshot();
    let next_after = found.last().map_or(after, |e| e.global_position);
    let mut items = Vec::with_capacity(found.len());
    for recorded in &found {
        let Ok(event) = recorded.payload.decode::<SignInEvent>() else {
            continue;
        };
        let user_id = recorded.stream_id.as_str().strip_prefix("sign-in-").and_then(|id| id.parse::<Uuid>().ok());
        let visible = match &user_id {
            None => access::may_see_unknown_name_sign_ins(&auth.0, &catalog.units),
            Some(id) => catalog
                .account(&UserId(*id))
                .is_some_and(|account| access::may_see_sign_ins_of(&auth.0, &account.user, &catalog.units)),
        };
        if !visible {
            continue;
        }
        let metadata = recorded.metadata.to_value().unwrap_or_default();
        let text = |key: &str| metadata.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let (at, username, reason, locked_until, unlocked_by) = match event {
            SignInEvent::SignInSucceeded { at, username } => (at, username, None, None, None),
            SignInEvent::SignInFailed { at, username, reason } => (
                at,
                username,
                serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned)),
                None,
                None,
            ),
            SignInEvent::AccountLocked { at, username, until, .. } => (at, username, None, Some(until), None),
            SignInEvent::AccountUnlocked { at, username, by } => (at, username, None, None, Some(by.0)),
        };
        items.push(SignInEntry {
            position: recorded.global_position,
            at,
            event_type: recorded.event_type.clone(),
            username,
            user_id,
            reason,
            locked_until,
            unlocked_by,
            client_ip: text("client_ip"),
            request_id: text("request_id"),
        });
    }
    Ok(HttpResponse::Ok().json(SignInPage { items, next_after }))
}
