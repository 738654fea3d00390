//! The real `onestop` binary, run as an operator runs it, for tests that kill
//! it or fuzz it from outside.
#![allow(dead_code)] // each test file uses its own part

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onestop_migrations::testing::TestDatabase;
use serde_json::{Value, json};

/// Waits, polling every 20 ms, until `done` holds; fails naming `what` after `seconds`.
pub async fn until(what: &str, seconds: u64, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting until {what}");
}

pub const SECRET: &str = "a test secret long enough to sign tokens";

/// The server as an operator runs it, on a fixed port across restarts.
pub struct Server {
    pub url: String,
    port: u16,
    database_url: String,
    child: Option<Child>,
    /// Where every run's errors go, to tell why a start failed.
    log: std::path::PathBuf,
    /// Settings beyond the defaults, for every start.
    env: Vec<(String, String)>,
}

impl Server {
    /// On a free port, over `database`; not started yet.
    pub fn new(database: &TestDatabase) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self {
            url: format!("http://127.0.0.1:{port}"),
            port,
            database_url: database.url(),
            child: None,
            env: Vec::new(),
            log: std::env::temp_dir().join(format!("onestop-{}-{port}.log", database.name())),
        }
    }

    /// With the environment variable `name` set to `value` at every start.
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Started over `database` and ready, with a client to call it.
    pub async fn running(database: &TestDatabase) -> (Self, reqwest::Client) {
        let mut server = Self::new(database);
        let http = reqwest::Client::new();
        server.start();
        server.wait_ready(&http).await;
        (server, http)
    }

    /// Sends `request` and reads the JSON answer, whatever its status.
    pub async fn json(request: reqwest::RequestBuilder) -> Value {
        request.send().await.unwrap().json().await.unwrap()
    }

    fn log_file(&self) -> std::fs::File {
        std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap()
    }

    /// A token for a demo user (password `demo`).
    pub async fn login(&self, http: &reqwest::Client, username: &str) -> String {
        let body = Self::json(
            http.post(format!("{}/api/v1/auth/token", self.url))
                .json(&json!({ "username": username, "password": "demo" })),
        )
        .await;
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub fn start(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_onestop"))
            .args(["serve", "--demo", "--bind", &format!("127.0.0.1:{}", self.port)])
            .env("DATABASE_URL", &self.database_url)
            .env("ONESTOP_JWT_SECRET", SECRET)
            .env("RUST_LOG", "error")
            // The tests' own load would starve idle-class password checks.
            .env("ONESTOP_PASSWORD_CHECKS", "normal")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::null())
            .stderr(self.log_file())
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown, no flush, connections dropped mid-transaction.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    pub async fn readiness(&self, http: &reqwest::Client) -> Option<(u16, Value)> {
        let response = http.get(format!("{}/readyz", self.url)).timeout(Duration::from_secs(5)).send().await.ok()?;
        let status = response.status().as_u16();
        Some((status, response.json().await.ok()?))
    }

    pub async fn wait_ready(&mut self, http: &reqwest::Client) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some((200, _)) = self.readiness(http).await {
                return;
            }
            // A server that could not start (its port taken meanwhile, say)
            // says why in its log.
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                panic!("the server exited with {status}: {log}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the server did not become ready");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
