//! Configuration from the environment; every setting has a default that works on
//! a developer's machine.

use std::net::SocketAddr;

/// The database used when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/onestop";
/// The address served when neither `--bind` nor `ONESTOP_BIND` is given.
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub pool_size: usize,
}

impl Settings {
    /// Reads `DATABASE_URL` and `ONESTOP_BIND`; `bind` overrides the latter.
    pub fn from_env(bind: Option<SocketAddr>) -> Result<Self, ConfigError> {
        let database_url =
            std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE_URL.into());
        let bind = match bind {
            Some(bind) => bind,
            None => {
                let text = std::env::var("ONESTOP_BIND").unwrap_or_else(|_| DEFAULT_BIND.into());
                text.parse().map_err(|_| ConfigError::Invalid {
                    name: "ONESTOP_BIND",
                    value: text,
                })?
            }
        };
        Ok(Self {
            database_url,
            bind,
            pool_size: 16,
        })
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}={value:?} is not valid")]
    Invalid { name: &'static str, value: String },
}
