//! Spawning the real application for black-box tests: its own database, port 0.

use onestop_api::config::Settings;
use onestop_api::startup::Application;
use onestop_migrations::testing::TestDatabase;

/// A running server on a free port with its own database, stopped when dropped.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub database: TestDatabase,
    server: tokio::task::JoinHandle<Result<(), std::io::Error>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    /// Starts the application against a fresh database.
    pub async fn spawn() -> Result<Self, Box<dyn std::error::Error>> {
        let database = TestDatabase::create().await?;
        let settings = Settings {
            database_url: database.url(),
            bind: "127.0.0.1:0".parse()?,
            pool_size: 8,
        };
        let app = Application::build(&settings).await?;
        let address = format!("http://127.0.0.1:{}", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        Ok(Self {
            address,
            database,
            server,
        })
    }
}
