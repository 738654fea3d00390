//! Password guessing is slowed, then stopped; an administrator lifts a lock;
//! every attempt is on the record for inspectors (DESIGN §5, `POST /auth/token`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::*;
use serde_json::{Value, json};

async fn attempt(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.http
        .post(app.url("/api/v1/auth/token"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .unwrap()
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn twenty_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it() {
    let app = TestApp::spawn().await;
    let [admin, inspector] = app.tokens(["admin", "inspector"]).await;
    let users = app.get_json(&admin, "/api/v1/users").await;
    let specialist = users.as_array().unwrap().iter().find(|u| u["username"] == "specialist").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut statuses = Vec::new();
    for n in 0..20 {
        let answer = attempt(&app, "specialist", &format!("guess-{n}")).await;
        let status = answer.status().as_u16();
        if status == 429 {
            assert!(retry_after(&answer) >= 1);
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["status"], 429);
        }
        statuses.push(status);
    }
    // Four are heard at once; guessing faster than the delays after them
    // allow is refused and brings the lock.
    assert_eq!(statuses[..4], [401; 4], "{statuses:?}");
    assert!(statuses[4..].iter().all(|s| *s == 429), "{statuses:?}");

    // Locked: even the right password is refused, for about half an hour.
    let locked = attempt(&app, "specialist", "demo").await;
    assert_eq!(locked.status(), 429);
    let wait = retry_after(&locked);
    assert!((29 * 60..=30 * 60).contains(&wait), "{wait}");

    // Only an administrator reaching the account's units may unlock it.
    let not_allowed = app.post(&inspector, &format!("/api/v1/users/{specialist}/unlock"), &json!({})).await;
    assert_eq!(not_allowed.status(), 403);
    let unlocked = app.post(&admin, &format!("/api/v1/users/{specialist}/unlock"), &json!({})).await;
    assert_eq!(unlocked.status(), 204);
    let signed_in = attempt(&app, "specialist", "demo").await;
    assert_eq!(signed_in.status(), 200);

    // Every attempt, the lock and the unlock, oldest first, with where from.
    let page = app.get_json(&inspector, &format!("/api/v1/audit/sign-ins?user={specialist}")).await;
    let items = page["items"].as_array().unwrap();
    let kinds: Vec<(String, Option<String>)> = items
        .iter()
        .map(|item| (item["event_type"].as_str().unwrap().to_owned(), item["reason"].as_str().map(str::to_owned)))
        .collect();
    let failed = |reason: &str| ("SignInFailed".to_owned(), Some(reason.to_owned()));
    let mut expected = vec![failed("wrong_password"); 4];
    expected.extend(vec![failed("too_soon"); 6]);
    expected.push(("AccountLocked".into(), None));
    expected.extend(vec![failed("locked"); 11]);
    expected.push(("AccountUnlocked".into(), None));
    expected.push(("SignInSucceeded".into(), None));
    assert_eq!(kinds, expected);
    for item in items {
        assert_eq!(item["username"], "specialist");
        assert_eq!(item["user_id"], specialist.as_str());
        assert_eq!(item["client_ip"], "127.0.0.1", "{item}");
    }
    let lock = &items[10];
    assert!(lock["locked_until"].is_string());
    let unlock = &items[22];
    assert!(unlock["unlocked_by"].is_string());

    // Names no account has are recorded too, for the province's inspectors.
    assert_eq!(attempt(&app, "nobody", "whatever").await.status(), 401);
    let all = app.get_json(&admin, "/api/v1/audit/sign-ins").await;
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|item| item["username"] == "nobody" && item["reason"] == "unknown_user"),
        "{all}"
    );
    // Officers other than auditors read none of it.
    let reception = app.token("reception").await;
    assert_eq!(app.get(&reception, "/api/v1/audit/sign-ins").await.status(), 403);
}

#[tokio::test]
async fn a_lock_runs_out_by_itself_and_delays_pass_with_time() {
    let app = TestApp::spawn().await;
    for n in 0..4 {
        assert_eq!(attempt(&app, "approver", &format!("x{n}")).await.status(), 401);
    }
    let early = attempt(&app, "approver", "demo").await;
    assert_eq!(early.status(), 429);
    assert_eq!(retry_after(&early), 1);
    app.clock.advance(jiff::SignedDuration::from_secs(3));
    // Five failures now (the early one counts): two seconds after the last.
    assert_eq!(attempt(&app, "approver", "demo").await.status(), 200);

    for n in 0..10 {
        app.clock.advance(jiff::SignedDuration::from_secs(120));
        attempt(&app, "approver", &format!("y{n}")).await;
    }
    app.clock.advance(jiff::SignedDuration::from_secs(60));
    assert_eq!(attempt(&app, "approver", "demo").await.status(), 429);
    app.clock.advance(jiff::SignedDuration::from_secs(30 * 60));
    assert_eq!(attempt(&app, "approver", "demo").await.status(), 200);
}

#[tokio::test]
async fn one_address_may_fail_thirty_times_at_once_whatever_the_names() {
    // Behind a trusted proxy, so that the test can speak from two addresses.
    let app = TestApp::spawn_custom(true, |settings| {
        settings.edge.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    let from = |address: &'static str, username: String, password: &'static str| {
        app.http
            .post(app.url("/api/v1/auth/token"))
            .header("X-Forwarded-For", address)
            .json(&json!({ "username": username, "password": password }))
            .send()
    };
    let mut refused_at = None;
    for n in 0..45 {
        let answer = from("203.0.113.5", format!("nobody-{n}"), "guess").await.unwrap();
        if answer.status() == 429 {
            assert!(retry_after(&answer) >= 1);
            refused_at = Some(n);
            break;
        }
        assert_eq!(answer.status(), 401);
    }
    // Thirty at once, and one a second after that.
    let refused_at = refused_at.expect("the address is throttled");
    assert!((30..40).contains(&refused_at), "{refused_at}");
    // Refused unheard, even the right password of a real account...
    let blocked = from("203.0.113.5", "admin".into(), "demo").await.unwrap();
    assert_eq!(blocked.status(), 429);
    // ...while another address signs in, and the account was not charged.
    let elsewhere = from("203.0.113.6", "admin".into(), "demo").await.unwrap();
    assert_eq!(elsewhere.status(), 200);
}

#[tokio::test]
async fn successes_do_not_count_against_the_address() {
    // An office behind one NAT address: every officer signs in at once.
    let app = TestApp::spawn().await;
    for _ in 0..20 {
        for user in ["reception", "specialist", "approver"] {
            assert_eq!(attempt(&app, user, "demo").await.status(), 200);
        }
    }
}

#[tokio::test]
async fn thirty_guesses_at_once_are_heard_no_more_than_four_at_a_time() {
    let app = TestApp::spawn().await;
    let attempts = (0..30).map(|n| {
        let (http, url) = (app.http.clone(), app.url("/api/v1/auth/token"));
        tokio::spawn(async move {
            http.post(url)
                .json(&json!({ "username": "leader", "password": format!("guess-{n}") }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut statuses = Vec::new();
    for attempt in attempts {
        statuses.push(attempt.await.unwrap());
    }
    let heard = statuses.iter().filter(|s| **s == 401).count();
    assert_eq!(heard, 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 26);
    // The burst locked the account: even the right password waits.
    assert_eq!(attempt(&app, "leader", "demo").await.status(), 429);
}

#[tokio::test]
async fn a_name_no_account_has_is_answered_as_a_real_one_would_be() {
    let app = TestApp::spawn().await;
    let mut real = Vec::new();
    let mut unknown = Vec::new();
    for n in 0..12 {
        real.push(attempt(&app, "statistician", &format!("g{n}")).await.status().as_u16());
        unknown.push(attempt(&app, "statisticain", &format!("g{n}")).await.status().as_u16());
    }
    assert_eq!(real, unknown);
    let locked_real = attempt(&app, "statistician", "x").await;
    let locked_unknown = attempt(&app, "statisticain", "x").await;
    assert_eq!(retry_after(&locked_real), retry_after(&locked_unknown));
}
