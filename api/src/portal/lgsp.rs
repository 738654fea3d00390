//! The client of the province's integration platform (LGSP) in the protocol
//! local systems use to reach the national portal: sign in with a user name
//! and password for a `session`, then POST `{session, madonvi, service, …}` to
//! the service address. An answer succeeds when its `error_code` is 0 or "00"
//! (both are seen). A session the platform no longer takes is renewed once
//! within the same call, whatever code it is refused with: the code for an
//! expired session differs between platforms.
//!
//! Failures say whether the platform may have acted ([`PortalError::uncertain`]):
//! an answer that never came (a timeout after the request was sent, a dropped
//! connection) may hide a request it applied, so the caller asks before
//! sending again; a refusal or an unreachable platform did nothing.

use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

/// Where the platform is and who we are to it.
#[derive(Debug, Clone)]
pub struct LgspSettings {
    /// The sign-in address (POST `{username, password}`).
    pub auth_url: String,
    /// The service address (POST `{session, madonvi, service, …}`).
    pub service_url: String,
    pub username: String,
    pub password: String,
    /// `madonvi`: the province's code at the platform.
    pub unit: String,
    /// How long an answer may take.
    pub timeout: Duration,
}

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PortalError {
    /// The platform answered with an error code.
    #[error("the platform refused {service}: error_code {code}: {message}")]
    Refused { service: String, code: String, message: String },
    /// Nothing reached the platform (no connection).
    #[error("the platform cannot be reached: {0}")]
    Unreachable(String),
    /// The request went out and no answer came back.
    #[error("no answer from the platform to {service}: {reason}")]
    NoAnswer { service: String, reason: String },
    /// The answer was not the protocol's.
    #[error("the platform's answer to {service} is not understood: {reason}")]
    Garbled { service: String, reason: String },
}

impl PortalError {
    /// Whether the platform may have done what was asked.
    pub fn uncertain(&self) -> bool {
        matches!(self, Self::NoAnswer { .. } | Self::Garbled { .. })
    }

    /// Whether the platform says the dossier exists already (a create that
    /// must be an update): its message says so, in Vietnamese or English.
    pub fn already_exists(&self) -> bool {
        match self {
            Self::Refused { message, .. } => {
                let message = message.to_lowercase();
                message.contains("đã tồn tại") || message.contains("already exist")
            }
            _ => false,
        }
    }
}

/// Whether an `error_code` means success.
fn succeeded(answer: &Value) -> bool {
    match answer.get("error_code") {
        Some(Value::Number(n)) => n.as_i64() == Some(0),
        Some(Value::String(s)) => s == "0" || s == "00",
        _ => false,
    }
}

fn code_and_message(answer: &Value) -> (String, String) {
    let code = match answer.get("error_code") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "missing".into(),
    };
    let message = ["message", "error_message", "msg"]
        .iter()
        .find_map(|k| answer.get(*k).and_then(Value::as_str))
        .unwrap_or_default()
        .to_owned();
    (code, message)
}

/// A client holding the current session.
#[derive(Debug)]
pub struct LgspClient {
    settings: LgspSettings,
    http: reqwest::Client,
    session: Mutex<Option<String>>,
}

impl LgspClient {
    pub fn new(settings: LgspSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder().timeout(settings.timeout).build()?;
        Ok(Self { settings, http, session: Mutex::new(None) })
    }

    /// POSTs `body` to `url`; the answer as JSON.
    async fn post(&self, url: &str, service: &str, body: &Value) -> Result<Value, PortalError> {
        let response = self.http.post(url).json(body).send().await.map_err(|error| {
            if error.is_connect() {
                PortalError::Unreachable(error.to_string())
            } else {
                PortalError::NoAnswer { service: service.into(), reason: error.to_string() }
            }
        })?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| PortalError::NoAnswer { service: service.into(), reason: error.to_string() })?;
        serde_json::from_str(&text).map_err(|_| {
            if status.is_server_error() {
                // A proxy's error page: the platform behind it did not act.
                PortalError::Refused { service: service.into(), code: status.as_u16().to_string(), message: text }
            } else {
                PortalError::Garbled { service: service.into(), reason: format!("HTTP {status}: {text:.200}") }
            }
        })
    }

    /// Signs in for a new session.
    async fn sign_in(&self) -> Result<String, PortalError> {
        let body = json!({ "username": self.settings.username, "password": self.settings.password });
        let answer = self.post(&self.settings.auth_url, "sign-in", &body).await.map_err(|error| match error {
            // Signing in changes nothing: an unanswered one is only a failure.
            PortalError::NoAnswer { reason, .. } | PortalError::Garbled { reason, .. } => {
                PortalError::Unreachable(format!("sign-in: {reason}"))
            }
            other => other,
        })?;
        match answer.get("session").and_then(Value::as_str) {
            Some(session) if succeeded(&answer) && !session.is_empty() => Ok(session.to_owned()),
            _ => {
                let (code, message) = code_and_message(&answer);
                Err(PortalError::Refused { service: "sign-in".into(), code, message })
            }
        }
    }

    /// The current session, signing in when there is none.
    async fn session(&self) -> Result<String, PortalError> {
        let mut held = self.session.lock().await;
        if let Some(session) = held.as_ref() {
            return Ok(session.clone());
        }
        let session = self.sign_in().await?;
        *held = Some(session.clone());
        Ok(session)
    }

    /// Calls `service` with `fields`; a refusal is tried once more under a new
    /// session, since an expired session is refused like anything else.
    pub async fn call(&self, service: &str, fields: Map<String, Value>) -> Result<Value, PortalError> {
        let mut renewed = false;
        loop {
            let session = self.session().await?;
            let mut body = fields.clone();
            body.insert("session".into(), Value::String(session.clone()));
            body.insert("madonvi".into(), Value::String(self.settings.unit.clone()));
            body.insert("service".into(), Value::String(service.into()));
            let answer = self.post(&self.settings.service_url, service, &Value::Object(body)).await?;
            if succeeded(&answer) {
                return Ok(answer);
            }
            let (code, message) = code_and_message(&answer);
            let refused = PortalError::Refused { service: service.into(), code, message };
            if renewed || refused.already_exists() {
                return Err(refused);
            }
            // Renew only if nobody else has meanwhile.
            let mut held = self.session.lock().await;
            if held.as_deref() == Some(session.as_str()) {
                *held = None;
            }
            drop(held);
            renewed = true;
        }
    }
}
