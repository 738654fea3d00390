//! The database schema: the event log and the read models, as SQL migrations in
//! `migrations/sql/`, embedded in the binary and applied at start-up.
//!
//! [refinery] runs them: it records what was applied and refuses a database whose
//! applied migrations diverge from the embedded ones. Two processes starting together
//! are serialised by a PostgreSQL advisory lock held around the whole run.

use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Config, NoTls};

#[cfg(feature = "testing")]
pub mod testing;

mod embedded {
    refinery::embed_migrations!("sql");
}

/// The role the application works as once connected (see `V1__event_store.sql`):
/// it may read and append events but never change or remove them.
pub const APPLICATION_ROLE: &str = "onestop_app";

/// Key of the advisory lock that serialises migration runs within one database.
const MIGRATION_LOCK_KEY: i64 = 0x6f6e_6573_746f_7001;

/// What went wrong while preparing the database.
#[derive(Debug, thiserror::Error)]
pub enum MigrationError {
    #[error("invalid database connection string: {0}")]
    InvalidUrl(#[source] tokio_postgres::Error),
    #[error("database error while preparing the schema")]
    Database(#[from] tokio_postgres::Error),
    #[error("a migration failed")]
    Migration(#[from] refinery::Error),
}

/// Parses a `postgres://` connection string.
pub fn parse_url(url: &str) -> Result<Config, MigrationError> {
    url.parse::<Config>().map_err(MigrationError::InvalidUrl)
}

/// Opens one connection and drives it on the current tokio runtime.
pub async fn connect(config: &Config) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "database connection closed with an error");
        }
    });
    Ok(client)
}

/// Creates the database named in `config` if the server does not have it yet.
///
/// Connects to the `postgres` maintenance database to do so; losing a race with
/// another process creating the same database is not an error.
pub async fn ensure_database(config: &Config) -> Result<(), MigrationError> {
    let Some(name) = config.get_dbname() else {
        return Ok(()); // the server's default database always exists
    };
    let mut maintenance = config.clone();
    maintenance.dbname("postgres");
    let client = connect(&maintenance).await?;
    let exists = client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await?.is_some();
    if exists {
        return Ok(());
    }
    match client.batch_execute(&format!("CREATE DATABASE {}", quote_identifier(name))).await {
        Ok(()) => {
            tracing::info!(database = name, "created database");
            Ok(())
        }
        Err(error) if error.code() == Some(&SqlState::DUPLICATE_DATABASE) => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Applies every migration not yet applied, holding the migration lock meanwhile.
///
/// Returns the names of the migrations this call applied (empty when the schema
/// was already current).
pub async fn migrate(client: &mut Client) -> Result<Vec<String>, MigrationError> {
    client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY]).await?;
    let outcome = embedded::migrations::runner().run_async(client).await;
    // Unlock even when the run failed, so a retry in this session can take the lock.
    client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY]).await?;
    let report = outcome?;
    let applied: Vec<String> = report.applied_migrations().iter().map(ToString::to_string).collect();
    for name in &applied {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(applied)
}

/// Creates the database if missing and brings its schema up to date.
pub async fn prepare_database(config: &Config) -> Result<Vec<String>, MigrationError> {
    ensure_database(config).await?;
    let mut client = connect(config).await?;
    migrate(&mut client).await
}

/// The versions of the embedded migrations: `/readyz` checks they were all applied.
pub fn expected_versions() -> Vec<i64> {
    embedded::migrations::runner().get_migrations().iter().map(|m| i64::from(m.version())).collect()
}

/// Whether every embedded migration has been applied to the database behind
/// `client` (`/readyz`).
pub async fn all_applied(client: &Client) -> Result<bool, tokio_postgres::Error> {
    let row = client.query_one("SELECT count(*) FROM refinery_schema_history", &[]).await?;
    Ok(row.get::<_, i64>(0) >= expected_versions().len() as i64)
}

/// A stable fingerprint of the embedded migrations: changes whenever one is added
/// or edited. Test templates are keyed by it.
pub fn fingerprint() -> String {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| format!("{}:{}:{:016x}", m.version(), m.name(), m.checksum()))
        .collect::<Vec<_>>()
        .join(";")
}

/// Quotes an SQL identifier (a database name) for use in a statement.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
