//! Signing in and out. The password check is the API's own
//! (`SignInService`): the same throttling, locks and record of every attempt.

use actix_web::http::header;
use actix_web::web::Query;
use actix_web::{HttpRequest, HttpResponse, get, post};
use maud::{Markup, html};
use onestop_commands::sign_in::SignInOutcome;
use serde::Deserialize;

use super::error::Failure;
use super::form::Posted;
use super::layout::{self, banner, csrf};
use super::session::{self, Officer, SESSION_COOKIE, VISITOR_COOKIE, signed_in};
use super::{Page, html_page};
use crate::problem::Problem;
use crate::request::meta;
use crate::routes::State;

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// Only a path of this site: never an address elsewhere (`//host`, `https:`).
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// `/`: the officer's home, or the sign-in page.
#[get("/")]
pub async fn root(req: HttpRequest) -> Page {
    Ok(match signed_in(&req).await? {
        Some(officer) => see_other(layout::home_of(officer.user.role)),
        None => see_other("/sign-in"),
    })
}

fn form(token: &str, next: Option<&str>, username: &str, message: Option<Markup>) -> Markup {
    layout::bare(
        "Đăng nhập",
        html! {
            section.card style="max-width: 28rem; margin: 2rem auto;" {
                h1 { "Đăng nhập" }
                @if let Some(message) = message { (message) }
                form method="post" action="/sign-in" {
                    (csrf(token))
                    @if let Some(next) = next { input type="hidden" name="next" value=(next); }
                    label for="username" { "Tên đăng nhập" }
                    input #username type="text" name="username" value=(username) autocomplete="username" required autofocus;
                    label for="password" { "Mật khẩu" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    button type="submit" { "Đăng nhập" }
                }
                p.muted { "Công dân tra cứu hồ sơ không cần đăng nhập: " a href="/lookup" { "tra cứu hồ sơ" } "." }
            }
        },
    )
}

#[get("/sign-in")]
pub async fn sign_in_page(req: HttpRequest, query: Query<Next>) -> Page {
    let next = safe_next(query.next.as_deref());
    if let Some(officer) = signed_in(&req).await? {
        return Ok(see_other(next.unwrap_or(layout::home_of(officer.user.role))));
    }
    let (token, visitor) = session::form_token(&req, None)?;
    let mut response = html_page(form(&token, next, "", None));
    if let Some(visitor) = visitor {
        response.add_cookie(&visitor).map_err(|_| Problem::internal())?;
    }
    Ok(response)
}

#[post("/sign-in")]
pub async fn sign_in(state: State, req: HttpRequest, posted: Posted) -> Page {
    let username = posted.text("username").unwrap_or_default().to_owned();
    let password = posted.raw("password").to_owned();
    let next = safe_next(posted.text("next")).map(str::to_owned);
    let (token, _) = session::form_token(&req, None)?;
    let refused = |status: u16, text: String| -> Page {
        let mut response = html_page(form(&token, next.as_deref(), &username, Some(banner("error", html! { (text) }))));
        *response.status_mut() = actix_web::http::StatusCode::from_u16(status).unwrap_or_default();
        Ok(response)
    };
    if username.is_empty() || password.is_empty() || username.len() > 64 || password.len() > 200 {
        return refused(422, "Hãy nhập tên đăng nhập và mật khẩu.".into());
    }
    let outcome = state
        .sign_in
        .sign_in(
            &username,
            password,
            state.clock.now(),
            crate::edge::rate_key(crate::edge::client_address(&req)),
            &meta(&req)?,
        )
        .await
        .map_err(Problem::from)?;
    match outcome {
        SignInOutcome::Accepted(user) => {
            let secret = state.sessions.start(user.id.0).await.map_err(Problem::from)?;
            let mut response = see_other(next.as_deref().unwrap_or(layout::home_of(user.role)));
            response.add_cookie(&session::cookie(&req, SESSION_COOKIE, secret)).map_err(|_| Problem::internal())?;
            response.add_removal_cookie(&session::removal(&req, VISITOR_COOKIE)).map_err(|_| Problem::internal())?;
            Ok(response)
        }
        SignInOutcome::Refused => refused(401, "Sai tên đăng nhập hoặc mật khẩu.".into()),
        SignInOutcome::Throttled(wait) => refused(
            429,
            format!(
                "Đã nhập sai quá nhiều lần. Hãy thử lại sau {} giây; nếu tài khoản bị khóa, hãy liên hệ quản trị hệ thống.",
                wait.as_secs().max(1)
            ),
        ),
        SignInOutcome::Busy => Err(Failure::from(Problem::unavailable())),
    }
}

#[post("/sign-out")]
pub async fn sign_out(state: State, req: HttpRequest, officer: Officer, _posted: Posted) -> Page {
    state.sessions.end(&officer.secret).await.map_err(Problem::from)?;
    let mut response = see_other("/sign-in");
    response.add_removal_cookie(&session::removal(&req, SESSION_COOKIE)).map_err(|_| Problem::internal())?;
    Ok(response)
}
