//! The three ways a notice leaves: an SMS gateway over HTTP, SMTP, Zalo ZNS.
//! Each carries the notice's id so that the far side can tell a retry from a
//! new notice: `Idempotency-Key` to the SMS gateway, `tracking_id` to Zalo,
//! the `Message-ID` of the e-mail.

use std::collections::BTreeMap;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message as Email};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use onestop_domain::notice::NoticeChannel;
use uuid::Uuid;

/// Brandname SMS gateways differ in the request they take: the body is a
/// template with `{phone}` (national, `09…`), `{phone84}` (international,
/// `849…`), `{message}` and `{key}` (the idempotency key), each value escaped
/// for the content type (JSON string, or form-urlencoded).
#[derive(Debug, Clone)]
pub struct SmsSettings {
    pub url: String,
    pub body: String,
    pub content_type: String,
    /// The `Authorization` header's value, when the gateway wants one.
    pub authorization: Option<String>,
    /// Text a successful answer contains, for gateways that answer 200 with
    /// an error code in the body; `None`: any 2xx is success.
    pub success_marker: Option<String>,
}

/// The body sent when `ONESTOP_SMS_BODY` is not set.
pub const DEFAULT_SMS_BODY: &str = r#"{"to":"{phone}","message":"{message}","ref":"{key}"}"#;

/// E-mail through an SMTP relay.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// `smtp://host:port` (plain, for a local relay), `smtp://host?tls=required`
    /// (STARTTLS) or `smtps://user:password@host` (implicit TLS), as lettre
    /// reads it.
    pub url: String,
    /// The sender, e.g. `Một cửa điện tử <motcua@example.gov.vn>`.
    pub from: String,
}

/// Zalo Notification Service: a template registered with Zalo, its
/// parameters and the phone number in international form.
#[derive(Debug, Clone)]
pub struct ZaloSettings {
    pub url: String,
    pub access_token: String,
}

/// The address of Zalo's ZNS template message endpoint.
pub const ZALO_URL: &str = "https://business.openapi.zalo.me/message/template";

/// Every channel; `None` is off.
#[derive(Debug, Clone, Default)]
pub struct ChannelSettings {
    pub sms: Option<SmsSettings>,
    pub email: Option<EmailSettings>,
    pub zalo: Option<ZaloSettings>,
}

/// Who a notice is for, opened from their record only for this send.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub name: String,
    /// National form, `0…`.
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A notice worded.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    pub body: String,
    pub zalo_template_id: Option<String>,
    /// The placeholders' values, Zalo's `template_data`.
    pub params: BTreeMap<String, String>,
}

/// Why a send failed; `permanent` when trying again cannot help.
#[derive(Debug, Clone)]
pub struct SendError {
    pub reason: String,
    pub permanent: bool,
}

impl SendError {
    fn retry(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), permanent: false }
    }

    fn permanent(reason: impl Into<String>) -> Self {
        Self { reason: reason.into(), permanent: true }
    }
}

/// The channels set up.
pub struct Channels {
    http: reqwest::Client,
    sms: Option<SmsSettings>,
    email: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    zalo: Option<ZaloSettings>,
}

impl std::fmt::Debug for Channels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channels").field("enabled", &self.enabled()).finish_non_exhaustive()
    }
}

/// A setting that cannot work.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("ONESTOP_SMTP_URL: {0}")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error("ONESTOP_SMTP_FROM is not an address: {0}")]
    From(#[source] lettre::address::AddressError),
    #[error("the HTTP client cannot be built: {0}")]
    Http(#[source] reqwest::Error),
}

impl Channels {
    pub fn new(settings: &ChannelSettings) -> Result<Self, SetupError> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().map_err(SetupError::Http)?;
        let email = match &settings.email {
            None => None,
            Some(email) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&email.url)
                    .map_err(SetupError::SmtpUrl)?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Some((transport, email.from.parse().map_err(SetupError::From)?))
            }
        };
        Ok(Self { http, sms: settings.sms.clone(), email, zalo: settings.zalo.clone() })
    }

    /// The channels that are on.
    pub fn enabled(&self) -> Vec<NoticeChannel> {
        let mut on = Vec::new();
        if self.sms.is_some() {
            on.push(NoticeChannel::Sms);
        }
        if self.email.is_some() {
            on.push(NoticeChannel::Email);
        }
        if self.zalo.is_some() {
            on.push(NoticeChannel::Zalo);
        }
        on
    }

    /// Sends one notice.
    pub async fn send(
        &self,
        channel: NoticeChannel,
        id: Uuid,
        to: &Recipient,
        message: &Message,
    ) -> Result<(), SendError> {
        match channel {
            NoticeChannel::Sms => self.sms(id, to, message).await,
            NoticeChannel::Email => self.email(id, to, message).await,
            NoticeChannel::Zalo => self.zalo(id, to, message).await,
        }
    }

    async fn sms(&self, id: Uuid, to: &Recipient, message: &Message) -> Result<(), SendError> {
        let Some(sms) = &self.sms else { return Err(SendError::retry("SMS is not configured")) };
        let Some(phone) = &to.phone else { return Err(SendError::permanent("no phone number to send to")) };
        let key = id.to_string();
        let body = sms_body(sms, phone, &message.body, &key);
        let mut request = self
            .http
            .post(&sms.url)
            .header("content-type", &sms.content_type)
            .header("idempotency-key", &key)
            .body(body);
        if let Some(authorization) = &sms.authorization {
            request = request.header("authorization", authorization);
        }
        let response =
            request.send().await.map_err(|e| SendError::retry(format!("the SMS gateway cannot be reached: {e}")))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            let reason = format!("the SMS gateway answered {status}: {}", clip(&text));
            return Err(if is_permanent(status) { SendError::permanent(reason) } else { SendError::retry(reason) });
        }
        match &sms.success_marker {
            Some(marker) if !text.contains(marker.as_str()) => {
                Err(SendError::retry(format!("the SMS gateway refused it: {}", clip(&text))))
            }
            _ => Ok(()),
        }
    }

    async fn email(&self, id: Uuid, to: &Recipient, message: &Message) -> Result<(), SendError> {
        let Some((transport, from)) = &self.email else { return Err(SendError::retry("e-mail is not configured")) };
        let Some(address) = &to.email else { return Err(SendError::permanent("no e-mail address to send to")) };
        let address =
            address.parse().map_err(|e| SendError::permanent(format!("the e-mail address is not valid: {e}")))?;
        let domain = from.email.domain().to_owned();
        // lettre writes a non-ASCII subject as RFC 2047 encoded words and the
        // UTF-8 body with a transfer encoding that survives 7-bit relays.
        let email = Email::builder()
            .from(from.clone())
            .to(Mailbox::new(Some(to.name.clone()), address))
            .subject(message.subject.clone())
            .message_id(Some(format!("<{id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| SendError::permanent(format!("the e-mail cannot be written: {e}")))?;
        match transport.send(email).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => {
                Err(SendError::permanent(format!("the mail server refused it: {error}")))
            }
            Err(error) => Err(SendError::retry(format!("the mail server did not take it: {error}"))),
        }
    }

    async fn zalo(&self, id: Uuid, to: &Recipient, message: &Message) -> Result<(), SendError> {
        let Some(zalo) = &self.zalo else { return Err(SendError::retry("Zalo is not configured")) };
        let Some(phone) = &to.phone else { return Err(SendError::permanent("no phone number to send to")) };
        let Some(template) = &message.zalo_template_id else {
            return Err(SendError::permanent("no ZNS template id is set for this notice"));
        };
        let body = serde_json::json!({
            "phone": international(phone),
            "template_id": template,
            "template_data": message.params,
            "tracking_id": id.to_string(),
        });
        let response = self
            .http
            .post(&zalo.url)
            .header("access_token", &zalo.access_token)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::retry(format!("Zalo cannot be reached: {e}")))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(SendError::retry(format!("Zalo answered {status}: {}", clip(&text))));
        }
        // ZNS answers 200 with `error` 0 on success, a negative code otherwise.
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        match answer.get("error").and_then(serde_json::Value::as_i64) {
            Some(0) => Ok(()),
            Some(code) => Err(SendError::retry(format!(
                "Zalo refused it (error {code}): {}",
                answer.get("message").and_then(serde_json::Value::as_str).unwrap_or_default()
            ))),
            None => Err(SendError::retry(format!("Zalo's answer is not understood: {}", clip(&text)))),
        }
    }
}

/// 4xx answers other than timeouts, conflicts and rate limits will not change.
fn is_permanent(status: reqwest::StatusCode) -> bool {
    status.is_client_error() && ![408, 409, 425, 429].contains(&status.as_u16())
}

fn clip(text: &str) -> String {
    text.chars().take(200).collect()
}

/// `0912345678` → `84912345678`.
pub fn international(national: &str) -> String {
    national.strip_prefix('0').map_or_else(|| national.to_owned(), |rest| format!("84{rest}"))
}

/// The gateway's request body: the template with each variable escaped for
/// the content type.
pub fn sms_body(sms: &SmsSettings, phone: &str, message: &str, key: &str) -> String {
    let json = sms.content_type.contains("json");
    let form = sms.content_type.contains("x-www-form-urlencoded");
    let escape = |value: &str| -> String {
        if json {
            let quoted = serde_json::Value::String(value.to_owned()).to_string();
            quoted[1..quoted.len() - 1].to_owned()
        } else if form {
            percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
        } else {
            value.to_owned()
        }
    };
    let phone84 = international(phone);
    let variables = [("{phone84}", phone84.as_str()), ("{phone}", phone), ("{message}", message), ("{key}", key)];
    // One pass, so a message that contains `{key}` is not filled in again.
    let mut out = String::with_capacity(sms.body.len() + message.len() * 2);
    let mut rest = sms.body.as_str();
    'scan: while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        for (name, value) in variables {
            if let Some(after) = tail.strip_prefix(name) {
                out.push_str(&escape(value));
                rest = after;
                continue 'scan;
            }
        }
        out.push('{');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sms(body: &str, content_type: &str) -> SmsSettings {
        SmsSettings {
            url: String::new(),
            body: body.into(),
            content_type: content_type.into(),
            authorization: None,
            success_marker: None,
        }
    }

    #[test]
    fn json_bodies_escape_the_message() {
        let body = sms_body(&sms(DEFAULT_SMS_BODY, "application/json"), "0912345678", "Ho so \"A\"\n{key}", "k-1");
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["to"], "0912345678");
        assert_eq!(parsed["message"], "Ho so \"A\"\n{key}");
        assert_eq!(parsed["ref"], "k-1");
    }

    #[test]
    fn form_bodies_are_url_encoded_and_numbers_can_be_international() {
        let body = sms_body(
            &sms("Phone={phone84}&Content={message}&RequestId={key}", "application/x-www-form-urlencoded"),
            "0912345678",
            "Hồ sơ & kết quả",
            "k",
        );
        assert_eq!(
            body,
            "Phone=84912345678&Content=H%E1%BB%93%20s%C6%A1%20%26%20k%E1%BA%BFt%20qu%E1%BA%A3&RequestId=k"
        );
    }
}
