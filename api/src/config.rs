//! Configuration from the environment; every setting has a default that works on
//! a developer's machine.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use onestop_commands::clock::{Clock, SystemClock};

/// The database used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/onestop";
/// The address served when neither `--bind` nor `ONESTOP_BIND` is given.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
/// Signs tokens when `ONESTOP_JWT_SECRET` is not set: for a developer's machine only.
const DEVELOPMENT_JWT_SECRET: &str = "onestop-development-secret-do-not-use-in-production";

/// Everything the server needs to start.
#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub pool_size: usize,
    /// Longest a request waits for a database connection before a 503.
    pub pool_wait: Duration,
    /// Longest one SQL statement may run (`statement_timeout`); a request whose
    /// statement is cancelled gets a 503, and the connection is freed.
    pub statement_timeout: Duration,
    pub jwt_secret: String,
    /// The blind index's key (`ONESTOP_SEARCH_KEY`, at least 32 characters;
    /// a public development key when unset). Changing it needs a rebuild of
    /// the `applicant_search` read model (`onestop-replay rebuild search`).
    pub search_key: onestop_domain::search::IndexKey,
    /// The key receipts' lookup secrets are derived with (`ONESTOP_RECEIPT_KEY`,
    /// at least 32 characters; a public development key when unset).
    pub receipt_key: onestop_commands::codes::ReceiptKey,
    /// The public base address printed on receipts (`ONESTOP_PUBLIC_URL`; by
    /// default `http://` and the address the server is bound to), without a
    /// trailing `/`.
    pub public_url: Option<String>,
    pub token_ttl: Duration,
    /// Load the demo province at start-up.
    pub demo: bool,
    /// Where commands get the time (the system clock, but for tests).
    pub clock: Arc<dyn Clock>,
    /// Run the projections in this process (several processes may: each batch
    /// is applied by one of them).
    pub run_projections: bool,
    /// Push the provincial feed here, if set.
    pub feed_push: Option<crate::push::PushSettings>,
    /// Keep the national portal up to date through the integration platform, if set.
    pub portal: Option<crate::portal::sync::PortalSettings>,
    /// The notice channels (each off until configured) and the sender's pace.
    pub notices: crate::notify::NoticeSettings,
    /// CORS origins and trusted proxies.
    pub edge: crate::edge::EdgeSettings,
    /// Password checks in the idle scheduling class (`ONESTOP_PASSWORD_CHECKS`:
    /// `idle`, the default, or `normal`).
    pub idle_password_checks: bool,
    /// Tickets taken and slots booked per minute from one address without
    /// signing in (`ONESTOP_KIOSK_PER_MINUTE`, default 30): a hall's kiosk on
    /// its own address takes a ticket every two seconds at most.
    pub kiosk_per_minute: std::num::NonZeroU32,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("pool_size", &self.pool_size)
            .field("token_ttl", &self.token_ttl)
            .field("demo", &self.demo)
            .finish_non_exhaustive()
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid: {expected}")]
    Invalid { name: &'static str, value: String, expected: &'static str },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    /// Reads the environment; `bind` (from `--bind`) overrides `ONESTOP_BIND`.
    pub fn from_env(bind: Option<SocketAddr>, demo: bool) -> Result<Self, ConfigError> {
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let bind = match bind {
            Some(bind) => bind,
            None => {
                let text = var("ONESTOP_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
                text.parse().map_err(|_| ConfigError::Invalid {
                    name: "ONESTOP_BIND",
                    value: text,
                    expected: "an address and port, e.g. 127.0.0.1:8080",
                })?
            }
        };
        let jwt_secret = match var("ONESTOP_JWT_SECRET") {
            Some(secret) if secret.len() >= 32 => secret,
            Some(secret) => {
                return Err(ConfigError::Invalid {
                    name: "ONESTOP_JWT_SECRET",
                    value: "*".repeat(secret.len()),
                    expected: "at least 32 characters",
                });
            }
            None => {
                tracing::warn!(
                    "ONESTOP_JWT_SECRET is not set: tokens are signed with a public development \
                     secret. Set it to a long random value before serving real users."
                );
                eprintln!(
                    "WARNING: ONESTOP_JWT_SECRET is not set; using the DEVELOPMENT secret. \
                     Never run like this in production."
                );
                DEVELOPMENT_JWT_SECRET.into()
            }
        };
        let token_ttl = match var("ONESTOP_TOKEN_TTL_SECONDS") {
            None => Duration::from_secs(8 * 3600),
            Some(text) => {
                text.parse::<u64>().ok().filter(|s| *s > 0).map(Duration::from_secs).ok_or(ConfigError::Invalid {
                    name: "ONESTOP_TOKEN_TTL_SECONDS",
                    value: text,
                    expected: "a positive number of seconds",
                })?
            }
        };
        let pool_size = match var("ONESTOP_DB_POOL_SIZE") {
            None => 16,
            Some(text) => text.parse::<usize>().ok().filter(|n| (1..=512).contains(n)).ok_or(ConfigError::Invalid {
                name: "ONESTOP_DB_POOL_SIZE",
                value: text,
                expected: "a number from 1 to 512",
            })?,
        };
        let pool_wait = millis("ONESTOP_DB_POOL_WAIT_MS", Duration::from_secs(5))?;
        let statement_timeout = millis("ONESTOP_DB_STATEMENT_TIMEOUT_MS", Duration::from_secs(30))?;
        let edge = crate::edge::EdgeSettings {
            cors_origins: cors_origins()?,
            trusted_proxies: trusted_proxies()?,
            forwarded_header: forwarded_header()?,
        };
        let idle_password_checks = match var("ONESTOP_PASSWORD_CHECKS").as_deref() {
            None | Some("idle") => true,
            Some("normal") => false,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "ONESTOP_PASSWORD_CHECKS",
                    value: other.to_owned(),
                    expected: "idle or normal",
                });
            }
        };
        let notices = notice_settings()?;
        let kiosk_per_minute = match var("ONESTOP_KIOSK_PER_MINUTE") {
            None => std::num::NonZeroU32::MIN.saturating_add(29),
            Some(text) => text.parse().ok().ok_or(ConfigError::Invalid {
                name: "ONESTOP_KIOSK_PER_MINUTE",
                value: text,
                expected: "a positive number",
            })?,
        };
        Ok(Self {
            kiosk_per_minute,
            notices,
            edge,
            idle_password_checks,
            database_url,
            bind,
            pool_size,
            pool_wait,
            statement_timeout,
            search_key: server_key(
                "ONESTOP_SEARCH_KEY",
                "the applicants' search index",
                |bytes| onestop_domain::search::IndexKey::new(bytes).ok(),
                onestop_domain::search::IndexKey::development,
            )?,
            receipt_key: server_key(
                "ONESTOP_RECEIPT_KEY",
                "receipts' lookup secrets",
                onestop_commands::codes::ReceiptKey::new,
                onestop_commands::codes::ReceiptKey::development,
            )?,
            public_url: match var("ONESTOP_PUBLIC_URL") {
                None => None,
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    Some(url.trim_end_matches('/').to_owned())
                }
                Some(url) => {
                    return Err(ConfigError::Invalid {
                        name: "ONESTOP_PUBLIC_URL",
                        value: url,
                        expected: "an http:// or https:// address, e.g. https://motcua.tinh.gov.vn",
                    });
                }
            },
            jwt_secret,
            token_ttl,
            demo,
            clock: Arc::new(SystemClock),
            run_projections: true,
            feed_push: match var("FEED_PUSH_URL") {
                None => None,
                Some(url) => Some(crate::push::PushSettings {
                    url,
                    secret: var("FEED_PUSH_SECRET").ok_or(ConfigError::Invalid {
                        name: "FEED_PUSH_SECRET",
                        value: String::new(),
                        expected: "a secret to sign pushed batches, whenever FEED_PUSH_URL is set",
                    })?,
                    batch_size: 100,
                    retry_base: Duration::from_secs(1),
                }),
            },
            portal: portal_from_env()?,
        })
    }
}

/// The portal sync's settings: off unless `ONESTOP_PORTAL_SERVICE_URL` is set,
/// and then the sign-in address, the account and the unit code are required.
fn portal_from_env() -> Result<Option<crate::portal::sync::PortalSettings>, ConfigError> {
    let Some(service_url) = var("ONESTOP_PORTAL_SERVICE_URL") else { return Ok(None) };
    let required = |name: &'static str, expected: &'static str| {
        var(name).ok_or(ConfigError::Invalid { name, value: String::new(), expected })
    };
    let millis = |name: &'static str, default: u64| match var(name) {
        None => Ok(Duration::from_millis(default)),
        Some(value) => match value.parse::<u64>() {
            Ok(ms) if ms > 0 => Ok(Duration::from_millis(ms)),
            _ => Err(ConfigError::Invalid { name, value, expected: "a whole number of milliseconds, above 0" }),
        },
    };
    for (name, url) in [
        ("ONESTOP_PORTAL_SERVICE_URL", Some(service_url.clone())),
        ("ONESTOP_PORTAL_AUTH_URL", var("ONESTOP_PORTAL_AUTH_URL")),
    ] {
        if let Some(url) = url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid { name, value: url, expected: "an http:// or https:// address" });
        }
    }
    Ok(Some(crate::portal::sync::PortalSettings {
        lgsp: crate::portal::lgsp::LgspSettings {
            auth_url: required(
                "ONESTOP_PORTAL_AUTH_URL",
                "the platform's sign-in address, whenever ONESTOP_PORTAL_SERVICE_URL is set",
            )?,
            service_url,
            username: required(
                "ONESTOP_PORTAL_USERNAME",
                "the platform account's name, whenever ONESTOP_PORTAL_SERVICE_URL is set",
            )?,
            password: required(
                "ONESTOP_PORTAL_PASSWORD",
                "the platform account's password, whenever ONESTOP_PORTAL_SERVICE_URL is set",
            )?,
            unit: required(
                "ONESTOP_PORTAL_UNIT",
                "the province's code at the platform (madonvi), whenever ONESTOP_PORTAL_SERVICE_URL is set",
            )?,
            timeout: millis("ONESTOP_PORTAL_TIMEOUT_MS", 30_000)?,
        },
        retry_base: millis("ONESTOP_PORTAL_RETRY_BASE_MS", 5_000)?,
    }))
}

/// A server key from the environment variable `name` (at least 32 bytes), or
/// the public development key with a warning when it is not set.
fn server_key<K>(
    name: &'static str,
    protects: &str,
    make: impl FnOnce(Vec<u8>) -> Option<K>,
    development: impl FnOnce() -> K,
) -> Result<K, ConfigError> {
    match var(name) {
        Some(key) => {
            let length = key.len();
            make(key.into_bytes()).ok_or(ConfigError::Invalid {
                name,
                value: "*".repeat(length),
                expected: "at least 32 characters",
            })
        }
        None => {
            tracing::warn!(
                "{name} is not set: {protects} use a public development key. Set it to a long random value \
                 before serving real users."
            );
            Ok(development())
        }
    }
}

/// The notice channels, each on when its address is set:
/// - SMS: `ONESTOP_SMS_URL`, with `ONESTOP_SMS_BODY` (the request body's
///   template, see [`crate::notify::channels::SmsSettings`]; JSON by default),
///   `ONESTOP_SMS_CONTENT_TYPE` (default `application/json`),
///   `ONESTOP_SMS_AUTHORIZATION` and `ONESTOP_SMS_SUCCESS_MARKER`;
/// - e-mail: `ONESTOP_SMTP_URL` and `ONESTOP_SMTP_FROM`;
/// - Zalo ZNS: `ONESTOP_ZALO_ACCESS_TOKEN`, with `ONESTOP_ZALO_URL`;
/// - the sender: `ONESTOP_NOTICE_RETRY_BASE_MS` (default 5000),
///   `ONESTOP_NOTICE_MAX_ATTEMPTS` (default 8), `ONESTOP_NOTICE_LEASE_MS`
///   (default 60000: how long a notice being sent is kept from other
///   processes; a process killed mid-send leaves it to others after that).
fn notice_settings() -> Result<crate::notify::NoticeSettings, ConfigError> {
    use crate::notify::channels::{
        ChannelSettings, DEFAULT_SMS_BODY, EmailSettings, SmsSettings, ZALO_URL, ZaloSettings,
    };
    let sms = var("ONESTOP_SMS_URL").map(|url| SmsSettings {
        url,
        body: var("ONESTOP_SMS_BODY").unwrap_or_else(|| DEFAULT_SMS_BODY.to_owned()),
        content_type: var("ONESTOP_SMS_CONTENT_TYPE").unwrap_or_else(|| "application/json".to_owned()),
        authorization: var("ONESTOP_SMS_AUTHORIZATION"),
        success_marker: var("ONESTOP_SMS_SUCCESS_MARKER"),
    });
    let email = match var("ONESTOP_SMTP_URL") {
        None => None,
        Some(url) => Some(EmailSettings {
            url,
            from: var("ONESTOP_SMTP_FROM").ok_or(ConfigError::Invalid {
                name: "ONESTOP_SMTP_FROM",
                value: String::new(),
                expected: "the sender's address, e.g. Một cửa <motcua@tinh.gov.vn>, whenever ONESTOP_SMTP_URL is set",
            })?,
        }),
    };
    let zalo = var("ONESTOP_ZALO_ACCESS_TOKEN").map(|access_token| ZaloSettings {
        url: var("ONESTOP_ZALO_URL").unwrap_or_else(|| ZALO_URL.to_owned()),
        access_token,
    });
    let defaults = crate::notify::NoticeSettings::default();
    let max_attempts = match var("ONESTOP_NOTICE_MAX_ATTEMPTS") {
        None => defaults.max_attempts,
        Some(text) => text.parse::<i32>().ok().filter(|n| (1..=100).contains(n)).ok_or(ConfigError::Invalid {
            name: "ONESTOP_NOTICE_MAX_ATTEMPTS",
            value: text,
            expected: "a number from 1 to 100",
        })?,
    };
    Ok(crate::notify::NoticeSettings {
        channels: ChannelSettings { sms, email, zalo },
        retry_base: millis("ONESTOP_NOTICE_RETRY_BASE_MS", defaults.retry_base)?,
        lease: millis("ONESTOP_NOTICE_LEASE_MS", defaults.lease)?,
        max_attempts,
        ..defaults
    })
}

/// A positive number of milliseconds from the environment variable `name`.
fn millis(name: &'static str, default: Duration) -> Result<Duration, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms > 0)
            .map(Duration::from_millis)
            .ok_or(ConfigError::Invalid { name, value: text, expected: "a positive number of milliseconds" }),
    }
}

/// `ONESTOP_CORS_ORIGINS`: comma-separated origins such as
/// `https://motcua.example.gov.vn`; none by default.
fn cors_origins() -> Result<Vec<String>, ConfigError> {
    let expected = "comma-separated origins, each scheme://host[:port] with no path";
    comma_separated("ONESTOP_CORS_ORIGINS", expected, |origin| {
        let (scheme, host) = origin.split_once("://").unwrap_or(("", ""));
        let valid = matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains(['/', '?', '#', ' ']);
        valid.then(|| origin.to_owned())
    })
}

/// A comma-separated list in variable `name`, each item read by `item`
/// (`None`: not acceptable, and the whole value is refused); empty when unset.
fn comma_separated<T>(
    name: &'static str,
    expected: &'static str,
    item: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, ConfigError> {
    let Some(text) = var(name) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(|i| item(i).ok_or_else(|| ConfigError::Invalid { name, value: text.clone(), expected }))
        .collect()
}

/// `ONESTOP_TRUSTED_PROXIES`: comma-separated addresses or CIDR blocks of the
/// reverse proxies in front of the server; none by default.
fn trusted_proxies() -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let expected = "comma-separated addresses or CIDR blocks, e.g. 10.0.0.0/8, ::1";
    comma_separated("ONESTOP_TRUSTED_PROXIES", expected, |proxy| {
        proxy.parse::<ipnet::IpNet>().or_else(|_| proxy.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)).ok()
    })
}

/// `ONESTOP_FORWARDED_HEADER`: `x-forwarded-for` (default) or `forwarded`.
fn forwarded_header() -> Result<crate::edge::ForwardedHeader, ConfigError> {
    use crate::edge::ForwardedHeader;
    match var("ONESTOP_FORWARDED_HEADER") {
        None => Ok(ForwardedHeader::XForwardedFor),
        Some(text) => match text.trim().to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(ForwardedHeader::XForwardedFor),
            "forwarded" => Ok(ForwardedHeader::Forwarded),
            _ => Err(ConfigError::Invalid {
                name: "ONESTOP_FORWARDED_HEADER",
                value: text,
                expected: "x-forwarded-for or forwarded",
            }),
        },
    }
}
