//! Connection pooling (deadpool-postgres: small, async, with a per-connection
//! statement cache so every query the store sends is prepared once).

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::{Config, NoTls};

/// How the pool connects.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections open at once.
    pub max_size: usize,
    /// Role every connection takes on (`SET ROLE` at connection start). The
    /// application works as a role that may only read and append events.
    pub role: Option<String>,
    /// Longest a statement may run before the server cancels it.
    pub statement_timeout: Option<Duration>,
    /// Longest a caller waits for a free connection.
    pub wait_timeout: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            role: None,
            statement_timeout: Some(Duration::from_secs(30)),
            wait_timeout: Some(Duration::from_secs(5)),
        }
    }
}

/// Could not build the pool.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the connection pool: {0}")]
pub struct PoolBuildError(String);

/// Builds a pool; connections are opened lazily, on first use.
pub fn build_pool(config: &Config, settings: &PoolSettings) -> Result<Pool, PoolBuildError> {
    let mut config = config.clone();
    // Startup options apply before the first statement, so no connection is ever
    // handed out with the wrong role; a later RESET ROLE returns to this one.
    let mut options: Vec<String> = config.get_options().map(str::to_owned).into_iter().collect();
    if let Some(role) = &settings.role {
        options.push(format!("-c role={role}"));
    }
    if let Some(timeout) = settings.statement_timeout {
        options.push(format!("-c statement_timeout={}", timeout.as_millis()));
    }
    // Every statement here is short or walks an index; the planner's cost
    // estimates for a long index walk (a catch-up's batch) would otherwise make
    // PostgreSQL compile it to machine code first, tens of milliseconds a time.
    options.push("-c jit=off".to_owned());
    if !options.is_empty() {
        config.options(options.join(" "));
    }
    if config.get_application_name().is_none() {
        config.application_name("onestop");
    }
    let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(settings.wait_timeout)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .map_err(|e| PoolBuildError(e.to_string()))
}
