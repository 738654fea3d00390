//! A fresh, migrated database for each test.
//!
//! The migrations run once, into a template database named after their
//! [`fingerprint`](crate::fingerprint); each test then gets a copy made with
//! `CREATE DATABASE … TEMPLATE`, which takes milliseconds. The copy is dropped when
//! the [`TestDatabase`] is dropped (set `ONESTOP_KEEP_TEST_DB=1` to keep it for a
//! look), and copies left behind by killed test runs are swept after a few hours.
//!
//! The server comes from `DATABASE_URL` (its host, port, user and password; the
//! database name in it is ignored), defaulting to the local server.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use tokio_postgres::Config;

use crate::{MigrationError, connect, migrate, parse_url, quote_identifier};

/// The server used when `DATABASE_URL` is not set.
pub const DEFAULT_SERVER_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

const TEST_PREFIX: &str = "onestop_test_";
const TEMPLATE_PREFIX: &str = "onestop_tpl_";
/// Serialises template builds across test processes (taken in the `postgres` database).
const TEMPLATE_LOCK_KEY: i64 = 0x6f6e_6573_746f_7002;
/// Copies older than this are taken to be left over from a killed run.
const STALE_AFTER: Duration = Duration::from_secs(3 * 3600);

/// One test's own database, dropped with this value.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    config: Config,
    maintenance: Config,
    keep: bool,
}

impl TestDatabase {
    /// Creates a migrated database for one test.
    pub async fn create() -> Result<Self, MigrationError> {
        Self::new(true).await
    }

    /// Creates an empty database, not yet migrated, for tests of migrating itself.
    pub async fn empty() -> Result<Self, MigrationError> {
        Self::new(false).await
    }

    async fn new(migrated: bool) -> Result<Self, MigrationError> {
        let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_SERVER_URL.into());
        let server = parse_url(&url)?;
        let mut maintenance = server.clone();
        maintenance.dbname("postgres");

        let template = if migrated { ensure_template(&maintenance).await? } else { "template0".to_owned() };

        let created = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("{TEST_PREFIX}{created}_{}", &unique[..12]);
        let admin = connect(&maintenance).await?;
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_identifier(&name),
                quote_identifier(&template)
            ))
            .await?;

        let mut config = server;
        config.dbname(&name);
        Ok(Self { name, config, maintenance, keep: std::env::var_os("ONESTOP_KEEP_TEST_DB").is_some_and(|v| v == "1") })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection settings for the database, as the server's superuser.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A `postgres://` URL for the database, for code that takes one.
    pub fn url(&self) -> String {
        let host = self
            .config
            .get_hosts()
            .first()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                #[cfg(unix)]
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .unwrap_or_else(|| "127.0.0.1".into());
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let user = self.config.get_user().unwrap_or("postgres");
        let password =
            self.config.get_password().map(|p| format!(":{}", String::from_utf8_lossy(p))).unwrap_or_default();
        format!("postgres://{user}{password}@{host}:{port}/{}", self.name)
    }

    /// A superuser connection, for tests that must reach behind the application's back.
    pub async fn superuser(&self) -> Result<tokio_postgres::Client, MigrationError> {
        Ok(connect(&self.config).await?)
    }

    /// A superuser connection to the maintenance database, for acting on this
    /// database from outside it (refusing its connections, say).
    pub async fn maintenance(&self) -> Result<tokio_postgres::Client, MigrationError> {
        Ok(connect(&self.maintenance).await?)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("keeping test database {}", self.name);
            return;
        }
        // Drop cannot await; a short-lived runtime on its own thread does the work.
        let name = self.name.clone();
        let maintenance = self.maintenance.clone();
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(client) = connect(&maintenance).await {
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&name)))
                        .await;
                }
            });
        });
        let _ = dropper.join();
    }
}

/// Makes sure the template for the current migrations exists, building it if not.
async fn ensure_template(maintenance: &Config) -> Result<String, MigrationError> {
    let digest = Sha256::digest(crate::fingerprint().as_bytes());
    let template = format!("{TEMPLATE_PREFIX}{}", &hex::encode(digest)[..16]);

    let admin = connect(maintenance).await?;
    if database_exists(&admin, &template).await? {
        return Ok(template);
    }

    admin.execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK_KEY]).await?;
    let built = async {
        if database_exists(&admin, &template).await? {
            return Ok(());
        }
        sweep_stale(&admin).await?;
        // Built under another name and renamed when complete, so a run killed
        // half-way never leaves a half-migrated template behind.
        let building = format!("{template}_building");
        // Two statements, two calls: neither may run inside a transaction block.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&building))).await?;
        admin.batch_execute(&format!("CREATE DATABASE {}", quote_identifier(&building))).await?;
        {
            let mut config = maintenance.clone();
            config.dbname(&building);
            let mut client = connect(&config).await?;
            migrate(&mut client).await?;
        }
        // The migration connection closes in the background; wait until it has.
        for _ in 0..100 {
            let others = admin
                .query_one("SELECT count(*) FROM pg_stat_activity WHERE datname = $1", &[&building])
                .await?
                .get::<_, i64>(0);
            if others == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {} RENAME TO {}",
                quote_identifier(&building),
                quote_identifier(&template)
            ))
            .await?;
        Ok::<_, MigrationError>(())
    }
    .await;
    admin.execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK_KEY]).await?;
    built?;
    Ok(template)
}

async fn database_exists(admin: &tokio_postgres::Client, name: &str) -> Result<bool, tokio_postgres::Error> {
    Ok(admin.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).await?.is_some())
}

/// Drops test databases left behind by runs that were killed before cleaning up.
async fn sweep_stale(admin: &tokio_postgres::Client) -> Result<(), MigrationError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let rows =
        admin.query("SELECT datname FROM pg_database WHERE datname LIKE $1", &[&format!("{TEST_PREFIX}%")]).await?;
    for row in rows {
        let name: String = row.get(0);
        let created = name
            .strip_prefix(TEST_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|c| now.saturating_sub(c) > STALE_AFTER.as_secs()) {
            admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", quote_identifier(&name))).await?;
        }
    }
    Ok(())
}
