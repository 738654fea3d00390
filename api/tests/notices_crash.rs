//! The real `onestop` binary killed with SIGKILL while it is delivering
//! notices, then started again: every notice reaches the SMS gateway, each
//! under one key only, with the same words on every attempt, and the outbox
//! made each notice once.
//!
//! A notice the gateway took just before the kill, whose outcome the server
//! could not record, is sent again after the restart: with the same
//! idempotency key, which the gateway (like every brandname gateway) answers
//! as the message it already sent. That is the only way a delivery over HTTP
//! can be both lossless and free of doubles; this test holds the server to it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

#[path = "../../tests/src/standins.rs"]
#[allow(dead_code)] // the SMTP server is for other tests
mod standins;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use onestop_migrations::testing::TestDatabase;
use serde_json::{Value, json};
use standins::SmsGateway;
use support::{Server, until};

const CASES: usize = 30;

#[tokio::test]
async fn a_server_killed_mid_delivery_loses_and_doubles_no_notice() {
    let gateway = SmsGateway::start(0).await;
    // Answers come one by one, 40 ms apart, so the kill falls among them.
    gateway.set_delay(Duration::from_millis(200), Duration::from_millis(40));
    let database = TestDatabase::create().await.unwrap();
    let mut server = Server::new(&database)
        .with_env("ONESTOP_SMS_URL", &gateway.url)
        .with_env("ONESTOP_NOTICE_RETRY_BASE_MS", "50")
        .with_env("ONESTOP_NOTICE_LEASE_MS", "1500");
    let http = reqwest::Client::new();
    server.start();
    server.wait_ready(&http).await;
    let token = server.login(&http, "reception").await;
    for i in 0..CASES {
        let body = json!({
            "procedure_code": "1.004227", "unit": "000.00.01.H22", "channel": "in_person",
            "applicant": { "full_name": format!("Nguyễn Văn {i}"), "id_number": format!("0010990{i:05}"),
                           "phone": format!("09120{i:05}") },
            "notices": { "channels": ["sms"], "consent": true }
        });
        let response =
            http.post(format!("{}/api/v1/cases", server.url)).bearer_auth(&token).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201);
    }

    until("the gateway has taken a few notices", 30, async || gateway.sent().len() >= 5).await;
    server.kill();
    let taken_before = gateway.sent().len();
    assert!(taken_before < CASES, "the kill came mid-delivery ({taken_before} of {CASES} taken)");

    gateway.set_delay(Duration::ZERO, Duration::ZERO);
    server.start();
    server.wait_ready(&http).await;
    until("every notice is taken", 60, async || gateway.sent().len() == CASES).await;
    let client = database.superuser().await.unwrap();
    until("the outbox shows every notice sent", 30, async || {
        let row = client.query_one("SELECT count(*) FILTER (WHERE state = 'sent') FROM notices", &[]).await.unwrap();
        row.get::<_, i64>(0) == CASES as i64
    })
    .await;

    // Made once: one notice per case, whatever the kill interrupted.
    let ids: BTreeSet<String> =
        client.query("SELECT id::text FROM notices", &[]).await.unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(ids.len(), CASES);
    // Sent under those keys only, each key always with the same words.
    let sent = gateway.sent();
    assert_eq!(sent.keys().cloned().collect::<BTreeSet<_>>(), ids);
    for call in gateway.calls() {
        let key = call.key.unwrap();
        assert_eq!(sent[&key], call.body, "every attempt of {key} says the same");
    }
    // And every applicant got exactly one message.
    let mut keys_by_phone: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (key, body) in &sent {
        let body: Value = serde_json::from_str(body).unwrap();
        keys_by_phone.entry(body["to"].as_str().unwrap().to_owned()).or_default().insert(key.clone());
    }
    assert_eq!(keys_by_phone.len(), CASES);
    assert!(keys_by_phone.values().all(|keys| keys.len() == 1));
}
