//! Spawning the real application for black-box tests: its own database, port 0,
//! the demo province, and a clock the test moves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test support: a panic is a failure

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use onestop_api::config::Settings;
use onestop_api::startup::Application;
use onestop_commands::clock::ManualClock;
use onestop_migrations::testing::TestDatabase;
use serde_json::{Value, json};

pub mod browser;
pub mod fake_portal;
pub mod measure;
pub mod standins;

pub use onestop_api::demo::{AGRICULTURE_ENVIRONMENT, COMMUNE_AN_BINH, LAND_REGISTRY, PROVINCE, SERVICE_CENTRE};

/// Land-change registration: 10 working days, shift mode, handled by the land registry.
pub const LAND_CHANGE: &str = "1.004227";

/// A running server on a free port with its own database, stopped when dropped.
#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub database: TestDatabase,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    server: tokio::task::JoinHandle<Result<(), std::io::Error>>,
}

/// A second server over a [`TestApp`]'s database, stopped when dropped.
#[derive(Debug)]
pub struct OtherServer {
    pub address: String,
    server: tokio::task::JoinHandle<Result<(), std::io::Error>>,
    handle: actix_web::dev::ServerHandle,
}

impl OtherServer {
    /// Stops it at once, dropping its open connections, as a crash would.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

impl Drop for OtherServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Monday 2 March 2026, 09:00 in Vietnam: an ordinary working morning.
pub fn monday_morning() -> Timestamp {
    "2026-03-02T09:00:00+07:00".parse().unwrap()
}

impl TestApp {
    /// The application with the demo province, its clock at [`monday_morning`].
    pub async fn spawn() -> Self {
        Self::spawn_with(true).await
    }

    pub async fn spawn_with(demo: bool) -> Self {
        Self::spawn_configured(demo, true).await
    }

    /// With or without the demo province, with or without the server's own
    /// projection runners (tests that drive runners themselves turn them off).
    pub async fn spawn_configured(demo: bool, run_projections: bool) -> Self {
        Self::spawn_custom(demo, |settings| settings.run_projections = run_projections).await
    }

    /// With the demo province or not, and any other setting changed by `adjust`.
    pub async fn spawn_custom(demo: bool, adjust: impl FnOnce(&mut Settings)) -> Self {
        // Server logs show with a failing test's output (RUST_LOG, default: warnings).
        onestop_api::telemetry::init_with_default("warn");
        let database = TestDatabase::create().await.unwrap();
        let clock = ManualClock::new(monday_morning());
        let mut settings = test_settings(database.url(), demo, &clock);
        adjust(&mut settings);
        let app = Application::build(&settings).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let server = tokio::spawn(app.run_until_stopped());
        Self { address, database, clock, http: reqwest::Client::new(), server }
    }

    /// Another server process over this app's database, with its own runners
    /// and senders and the same clock, its settings changed by `adjust`.
    pub async fn another_server(&self, adjust: impl FnOnce(&mut Settings)) -> OtherServer {
        let mut settings = test_settings(self.database.url(), true, &self.clock);
        adjust(&mut settings);
        let app = Application::build(&settings).await.unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        OtherServer { address, server: tokio::spawn(app.run_until_stopped()), handle }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A bearer token for a demo user (password `demo`).
    /// A fresh app, a token of `username`, and a land case that account received.
    pub async fn with_case(username: &str) -> (Self, String, String) {
        let app = Self::spawn().await;
        let token = app.token(username).await;
        let id = app.receive_land_case(&token).await;
        (app, token, id)
    }

    pub async fn token(&self, username: &str) -> String {
        self.login(username, "demo").await.unwrap()
    }

    /// Tokens of several demo accounts, in the order named.
    pub async fn tokens<const N: usize>(&self, usernames: [&str; N]) -> [String; N] {
        let mut tokens = [const { String::new() }; N];
        for (token, username) in tokens.iter_mut().zip(usernames) {
            *token = self.token(username).await;
        }
        tokens
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<String, reqwest::StatusCode> {
        login_at(&self.http, &self.address, username, password).await
    }

    pub async fn get(&self, token: &str, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    pub async fn post(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.http.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    pub async fn put(&self, token: &str, path: &str, body: &Value) -> reqwest::Response {
        self.http.put(self.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    /// GETs `path`, requires a success, and returns the JSON body.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let response = self.get(token, path).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(status.is_success(), "GET {path}: {status} {body}");
        serde_json::from_str(&body).unwrap()
    }

    /// POSTs `body` to `path`, requires a success, and returns the JSON body.
    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> Value {
        let response = self.post(token, path, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Files a land case at the service centre; returns its id.
    pub async fn receive_land_case(&self, token: &str) -> String {
        let response = self.post(token, "/api/v1/cases", &land_case()).await;
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    /// The store over this app's database, for tests that drive projections.
    pub async fn store(&self) -> onestop_store::EventStore {
        let pool = onestop_store::build_pool(
            self.database.config(),
            &onestop_store::PoolSettings {
                role: Some(onestop_migrations::APPLICATION_ROLE.into()),
                ..Default::default()
            },
        )
        .unwrap();
        onestop_store::EventStore::new(pool, self.database.config().clone())
    }

    /// How many events a case's stream holds.
    pub async fn count_case_events(&self, case_id: &str) -> i64 {
        let client = self.database.superuser().await.unwrap();
        client
            .query_one("SELECT count(*) FROM events WHERE stream_id = $1", &[&format!("case-{case_id}")])
            .await
            .unwrap()
            .get(0)
    }

    /// Creates an account (password `demo`) as the demo administrator; returns it.
    pub async fn create_user(&self, username: &str, role: &str, unit: &str) -> Value {
        let admin = self.token("admin").await;
        self.post_json(
            &admin,
            "/api/v1/users",
            &json!({ "username": username, "full_name": "Cán bộ thử nghiệm", "role": role,
                     "units": [unit], "password": "demo" }),
        )
        .await
    }

    /// The applicant of a case, as its filing event names them.
    pub async fn applicant_of(&self, case_id: &str) -> String {
        let client = self.database.superuser().await.unwrap();
        client
            .query_one(
                "SELECT payload::jsonb->>'applicant' FROM events \
                 WHERE stream_id = $1 AND stream_version = 1",
                &[&format!("case-{case_id}")],
            )
            .await
            .unwrap()
            .get(0)
    }

    /// Asks for an applicant's personal data to be erased.
    pub async fn erase_applicant(&self, token: &str, applicant: &str) -> reqwest::Response {
        self.post(token, &format!("/api/v1/applicants/{applicant}/erase"), &json!({})).await
    }

    /// Every event in the log.
    pub async fn count_all_events(&self) -> i64 {
        self.number("SELECT count(*) FROM events").await
    }

    /// The `bigint` a query of no parameters answers, read as the superuser.
    pub async fn number(&self, sql: &str) -> i64 {
        let client = self.database.superuser().await.unwrap();
        client.query_one(sql, &[]).await.unwrap().get(0)
    }

    /// POSTs `body` as JSON text exactly as given (for bodies a `Value` cannot hold).
    pub async fn post_text(&self, token: &str, path: &str, body: &'static str) -> reqwest::Response {
        let request = self.http.post(self.url(path)).bearer_auth(token).header("content-type", "application/json");
        request.body(body).send().await.unwrap()
    }
}

/// The settings a test server runs with: port 0, the test keys, `clock`.
pub fn test_settings(database_url: String, demo: bool, clock: &ManualClock) -> Settings {
    Settings {
        database_url,
        bind: "127.0.0.1:0".parse().unwrap(),
        pool_size: 16,
        pool_wait: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(30),
        jwt_secret: "a test secret that is long enough to sign tokens".into(),
        search_key: search_key(),
        receipt_key: onestop_commands::codes::ReceiptKey::development(),
        public_url: None,
        token_ttl: Duration::from_secs(3600),
        demo,
        clock: Arc::new(clock.clone()),
        run_projections: true,
        feed_push: None,
        portal: None,
        notices: Default::default(),
        edge: Default::default(),
        // The tests' own load would starve idle-class checks.
        idle_password_checks: false,
        kiosk_per_minute: std::num::NonZeroU32::new(10_000).unwrap(),
    }
}

/// The blind index key the test servers run with.
pub fn search_key() -> onestop_domain::search::IndexKey {
    onestop_domain::search::IndexKey::new(*b"the tests' blind index key, 32B!").unwrap()
}

/// A land-change case received in person at the service centre.
pub fn land_case() -> Value {
    json!({
        "procedure_code": LAND_CHANGE,
        "unit": SERVICE_CENTRE,
        "channel": "in_person",
        "applicant": {
            "full_name": "Nguyễn Văn An",
            "id_number": "001099012345",
            "phone": "0912345678",
            "address": "Thôn Đông, xã An Bình",
            "email": "an.nguyen@example.vn"
        },
        "documents": ["Đơn đăng ký biến động đất đai", "Giấy chứng nhận"]
    })
}

/// A problem-details response: its status and body (and it must be one).
pub async fn problem(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert_eq!(content_type, "application/problem+json", "status {status}");
    (status, response.json().await.unwrap())
}

/// Logs in at the server at `base` (`http://host:port`); the bearer token, or
/// the status of a refused login.
pub async fn login_at(
    http: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<String, reqwest::StatusCode> {
    let response = http
        .post(format!("{base}/api/v1/auth/token"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap();
    if !response.status().is_success() {
        return Err(response.status());
    }
    let body: Value = response.json().await.unwrap();
    Ok(body["access_token"].as_str().unwrap().to_owned())
}

/// The SMS channel sending to a gateway (a stand-in's) at `url`, JSON bodies.
/// The portal sync's settings for a [`fake_portal::FakePortal`]: answers
/// waited for `timeout`, retries from 20 ms.
pub fn portal_settings(
    portal: &fake_portal::FakePortal,
    timeout: Duration,
) -> onestop_api::portal::sync::PortalSettings {
    onestop_api::portal::sync::PortalSettings {
        lgsp: onestop_api::portal::lgsp::LgspSettings {
            auth_url: portal.auth_url.clone(),
            service_url: portal.service_url.clone(),
            username: fake_portal::USERNAME.into(),
            password: fake_portal::PASSWORD.into(),
            unit: fake_portal::UNIT.into(),
            timeout,
        },
        retry_base: Duration::from_millis(20),
    }
}

pub fn sms_settings(url: &str) -> onestop_api::notify::channels::SmsSettings {
    onestop_api::notify::channels::SmsSettings {
        url: url.to_owned(),
        body: onestop_api::notify::channels::DEFAULT_SMS_BODY.to_owned(),
        content_type: "application/json".to_owned(),
        authorization: None,
        success_marker: None,
    }
}

/// A benchmark's server: the demo province on the system clock, every
/// projection running, a pool of 32, no limit a load from one address meets.
pub fn bench_settings(database_url: String) -> Settings {
    Settings {
        database_url,
        bind: "127.0.0.1:0".parse().unwrap(),
        pool_size: 32,
        pool_wait: Duration::from_secs(5),
        statement_timeout: Duration::from_secs(30),
        jwt_secret: "a benchmark secret that is long enough to sign tokens".into(),
        search_key: onestop_domain::search::IndexKey::development(),
        receipt_key: onestop_commands::codes::ReceiptKey::development(),
        public_url: None,
        token_ttl: Duration::from_secs(3600),
        demo: true,
        clock: Arc::new(onestop_commands::clock::SystemClock),
        run_projections: true,
        feed_push: None,
        portal: None,
        notices: Default::default(),
        edge: Default::default(),
        idle_password_checks: true,
        kiosk_per_minute: std::num::NonZeroU32::new(1_000_000).unwrap(),
    }
}
