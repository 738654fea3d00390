//! Notices to applicants through the outbox: a real SMTP server gets the
//! receipt with its Vietnamese subject, an SMS gateway that fails first gets
//! each notice once under one idempotency key, an erased applicant gets
//! nothing and the outbox keeps nothing of them, templates are data an
//! administrator changes (and a wrong placeholder is refused).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use onestop_api::notify::channels::{EmailSettings, ZaloSettings};
use onestop_tests::standins::{SmsGateway, SmtpSink, ZaloZns};
use onestop_tests::{TestApp, land_case, problem, sms_settings};
use serde_json::{Value, json};

/// A land case whose applicant chose `channels`, with consent.
fn case_with_notices(channels: &[&str], name: &str, phone: &str) -> Value {
    let mut case = land_case();
    case["applicant"]["full_name"] = json!(name);
    case["applicant"]["phone"] = json!(phone);
    case["notices"] = json!({ "channels": channels, "consent": true });
    case
}

/// The demo app sending SMS to `gateway`, retrying after 50 ms at first.
async fn sending_sms_to(gateway: &SmsGateway) -> TestApp {
    let url = gateway.url.clone();
    TestApp::spawn_custom(true, |settings| {
        settings.notices.channels.sms = Some(sms_settings(&url));
        settings.notices.retry_base = Duration::from_millis(50);
    })
    .await
}

/// Waits (up to 30 s) until `done` holds.
async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn filed(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app.post(token, "/api/v1/cases", body).await;
    assert_eq!(response.status(), 201, "{:?}", response.text().await);
    response.json().await.unwrap()
}

async fn notices_of(app: &TestApp, token: &str, case: &str) -> Vec<Value> {
    app.get_json(token, &format!("/api/v1/cases/{case}/notices")).await.as_array().unwrap().clone()
}

#[tokio::test]
async fn the_receipt_reaches_a_real_smtp_server_with_its_vietnamese_subject() {
    let smtp = SmtpSink::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_custom(true, |settings| {
        settings.notices.channels.email =
            Some(EmailSettings { url, from: "Một cửa điện tử <motcua@gialai.gov.vn>".to_owned() });
    })
    .await;
    let reception = app.token("reception").await;
    let mut body = land_case();
    body["notices"] = json!({ "channels": ["email"], "consent": true });
    let created = filed(&app, &reception, &body).await;
    let (id, code, secret) = (
        created["id"].as_str().unwrap(),
        created["code"].as_str().unwrap().to_owned(),
        created["lookup_secret"].as_str().unwrap().to_owned(),
    );

    eventually("the mail arrives", async || !smtp.mails().is_empty()).await;
    let mail = smtp.mails().remove(0);
    assert!(mail.to[0].contains("an.nguyen@example.vn"), "{:?}", mail.to);
    // On the wire the subject is 7-bit: RFC 2047 encoded words.
    let raw_subject = mail.data.lines().find(|l| l.to_ascii_lowercase().starts_with("subject:")).unwrap();
    assert!(raw_subject.is_ascii() && raw_subject.contains("=?"), "{raw_subject}");
    let parsed = mailparse::parse_mail(mail.data.as_bytes()).unwrap();
    let subject = parsed.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case("subject")).unwrap().get_value();
    assert_eq!(subject, format!("Hồ sơ {code} đã được tiếp nhận"));
    let text = parsed.get_body().unwrap();
    assert!(text.contains("Kính gửi Ông/Bà Nguyễn Văn An"), "{text}");
    assert!(text.contains(&code) && text.contains(&secret), "{text}");
    assert!(text.contains("Trung tâm Phục vụ hành chính công"), "the receiving unit's name: {text}");
    assert!(text.contains(&format!("/lookup?code={code}&secret={secret}")), "{text}");
    let message_id = parsed.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case("message-id")).unwrap();

    // Officers see it sent, under the id the mail carries.
    let mut shown = Vec::new();
    eventually("the notice shows as sent", async || {
        shown = notices_of(&app, &reception, id).await;
        shown.len() == 1 && shown[0]["state"] == "sent"
    })
    .await;
    assert_eq!(shown[0]["kind"], "received");
    assert_eq!(shown[0]["channel"], "email");
    assert!(message_id.get_value().contains(shown[0]["id"].as_str().unwrap()));
    eventually("/metrics counts it", async || {
        let metrics = app.http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
        metrics.lines().any(|l| {
            l.starts_with("onestop_notices{")
                && l.contains("channel=\"email\"")
                && l.contains("state=\"sent\"")
                && l.ends_with(" 1")
        })
    })
    .await;
}

#[tokio::test]
async fn a_gateway_failing_three_times_gets_each_notice_once_under_one_key() {
    let gateway = SmsGateway::start(3).await;
    let app = sending_sms_to(&gateway).await;
    let reception = app.token("reception").await;
    let mut cases = Vec::new();
    for (name, phone) in
        [("Nguyễn Văn An", "0912000001"), ("Trần Thị Bình", "0912000002"), ("Lê Văn Cường", "0912000003")]
    {
        cases.push(filed(&app, &reception, &case_with_notices(&["sms"], name, phone)).await);
    }
    // A supplement request makes a second notice on the first case.
    let specialist = app.token("specialist").await;
    let first = cases[0]["id"].as_str().unwrap().to_owned();
    for (token, action, body) in [
        (&reception, "transfer", json!({ "to_unit": onestop_tests::LAND_REGISTRY })),
        (&specialist, "acknowledge-handover", json!({})),
        (&specialist, "request-supplement", json!({ "reason": "Thiếu bản sao", "documents": ["Bản sao CCCD"] })),
    ] {
        app.post_json(token, &format!("/api/v1/cases/{first}/{action}"), &body).await;
    }

    eventually("four messages are sent", async || gateway.sent().len() == 4).await;
    // Give a wrongly repeated send the time to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = gateway.calls();
    let accepted: Vec<&str> = calls.iter().filter(|c| c.accepted).map(|c| c.key.as_deref().unwrap()).collect();
    let keys: BTreeSet<&str> = accepted.iter().copied().collect();
    assert_eq!(accepted.len(), 4, "no notice is sent again once the gateway took it: {calls:?}");
    assert_eq!(keys.len(), 4);
    let failed: Vec<&str> = calls.iter().filter(|c| !c.accepted).map(|c| c.key.as_deref().unwrap()).collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|k| keys.contains(k)), "retries carry the first attempt's key");

    let sent = gateway.sent();
    let bodies: Vec<Value> = sent.values().map(|b| serde_json::from_str(b).unwrap()).collect();
    let to_first: Vec<&Value> = bodies.iter().filter(|b| b["to"] == "0912000001").collect();
    assert_eq!(to_first.len(), 2, "the receipt and the supplement request");
    assert!(to_first.iter().any(|b| b["message"].as_str().unwrap().contains("Bản sao CCCD")));
    for (key, body) in &sent {
        assert_eq!(serde_json::from_str::<Value>(body).unwrap()["ref"], *key, "the body names its key too");
    }

    let mut shown = Vec::new();
    eventually("every notice shows as sent", async || {
        shown = notices_of(&app, &reception, &first).await;
        shown.len() == 2 && shown.iter().all(|n| n["state"] == "sent")
    })
    .await;
    let retried: i64 = app.number("SELECT count(*) FROM notices WHERE attempts > 1").await;
    assert!(retried >= 1, "the failed calls were retries of notices");
    assert_eq!(app.number("SELECT sum(attempts)::int8 FROM notices").await, 7);
}

#[tokio::test]
async fn an_erased_applicant_gets_nothing_and_the_outbox_keeps_nothing_of_them() {
    let gateway = SmsGateway::start(0).await;
    gateway.set_down(true);
    let app = sending_sms_to(&gateway).await;
    let reception = app.token("reception").await;
    let admin = app.token("admin").await;
    let erased = filed(&app, &reception, &case_with_notices(&["sms"], "Phạm Thị Dung", "0987654321")).await;
    let erased_id = erased["id"].as_str().unwrap().to_owned();
    // The gateway is down: the notice waits, failing.
    eventually("a first attempt fails", async || gateway.calls().iter().any(|c| !c.accepted)).await;
    let applicant = app.applicant_of(&erased_id).await;
    assert_eq!(app.erase_applicant(&admin, &applicant).await.status(), 204);
    eventually("the notice is dropped", async || {
        notices_of(&app, &reception, &erased_id).await.iter().all(|n| n["state"] == "dropped")
    })
    .await;

    // The gateway comes back; another applicant's notice goes out, theirs not.
    gateway.set_down(false);
    let other = filed(&app, &reception, &case_with_notices(&["sms"], "Võ Văn Em", "0911111111")).await;
    eventually("the other applicant's notice is sent", async || gateway.sent().len() == 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = gateway.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent.values().all(|b| b.contains("0911111111")), "{sent:?}");
    assert!(gateway.calls().iter().filter(|c| c.accepted).all(|c| !c.body.contains("0987654321")));
    assert_eq!(notices_of(&app, &reception, other["id"].as_str().unwrap()).await[0]["state"], "sent");

    // A notice of a later event of the erased applicant's case is not even made.
    app.post_json(
        &reception,
        &format!("/api/v1/cases/{erased_id}/transfer"),
        &json!({ "to_unit": onestop_tests::LAND_REGISTRY }),
    )
    .await;
    let specialist = app.token("specialist").await;
    app.post_json(&specialist, &format!("/api/v1/cases/{erased_id}/acknowledge-handover"), &json!({})).await;
    app.post_json(
        &specialist,
        &format!("/api/v1/cases/{erased_id}/request-supplement"),
        &json!({ "reason": "Thiếu bản sao", "documents": ["Bản sao CCCD"] }),
    )
    .await;
    let shown = notices_of(&app, &reception, &erased_id).await;
    assert_eq!(shown.len(), 1, "{shown:?}");

    // Nothing of anyone's contact details or name is in the outbox's tables.
    let client = app.database.superuser().await.unwrap();
    for table in ["notices", "notice_cases", "notice_choices"] {
        let rows = client.query(&format!("SELECT row_to_json(t)::text FROM {table} t"), &[]).await.unwrap();
        assert!(!rows.is_empty() || table == "notice_choices");
        for row in rows {
            let text: String = row.get(0);
            for personal in ["0987654321", "0911111111", "Phạm", "Dung", "Võ Văn", "an.nguyen", "001099012345"] {
                assert!(!text.contains(personal), "{table} holds {personal}: {text}");
            }
        }
    }
    assert_eq!(app.number(&format!("SELECT count(*) FROM notice_choices WHERE applicant_id = '{applicant}'")).await, 0);
}

#[tokio::test]
async fn templates_are_data_an_administrator_changes_and_a_wrong_placeholder_is_named() {
    let gateway = SmsGateway::start(0).await;
    let app = sending_sms_to(&gateway).await;
    let admin = app.token("admin").await;
    let reception = app.token("reception").await;

    let (status, body) = problem(
        app.put(&admin, "/api/v1/notice-templates/received/sms", &json!({ "body": "Ho so {ma_ho_so}: {so_tien}" }))
            .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["field"], "body", "{body}");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("{so_tien}"), "the placeholder is named: {body}");
    assert_eq!(app.number("SELECT count(*) FROM events WHERE stream_id = 'notice-templates'").await, 0);
    let (status, _) =
        problem(app.put(&admin, "/api/v1/notice-templates/posted/sms", &json!({ "body": "x" })).await).await;
    assert_eq!(status, 404, "an unknown kind");
    let (status, _) = problem(
        app.put(&reception, "/api/v1/notice-templates/received/sms", &json!({ "body": "Ho so {ma_ho_so}" })).await,
    )
    .await;
    assert_eq!(status, 403, "only administrators");

    let response = app
        .put(
            &admin,
            "/api/v1/notice-templates/received/sms",
            &json!({ "body": "UBND tinh: ho so {ma_ho_so} nhan ngay, hen {han_tra}. Ma {ma_tra_cuu}" }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let listed = app.get_json(&admin, "/api/v1/notice-templates").await;
    let received =
        listed.as_array().unwrap().iter().find(|t| t["kind"] == "received" && t["channel"] == "sms").unwrap();
    assert_eq!(received["customised"], true);
    assert!(received["placeholders"].as_array().unwrap().contains(&json!("ma_tra_cuu")));
    // Audited like every catalog change: who changed it is in the log.
    let author = app
        .number(
            "SELECT count(*) FROM events WHERE stream_id = 'notice-templates' \
             AND metadata->'actor'->>'role' = 'admin'",
        )
        .await;
    assert_eq!(author, 1);

    let created = filed(&app, &reception, &case_with_notices(&["sms"], "Nguyễn Văn An", "0912345678")).await;
    eventually("the notice is sent", async || gateway.sent().len() == 1).await;
    let body: Value = serde_json::from_str(gateway.sent().values().next().unwrap()).unwrap();
    let message = body["message"].as_str().unwrap();
    let code = created["code"].as_str().unwrap();
    assert!(message.starts_with(&format!("UBND tinh: ho so {code} nhan ngay, hen ")), "{message}");
    assert!(message.ends_with(created["lookup_secret"].as_str().unwrap()), "{message}");
}

#[tokio::test]
async fn a_channel_needs_consent_and_the_contact_it_uses() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let before = app.count_all_events().await;
    let mut no_consent = land_case();
    no_consent["notices"] = json!({ "channels": ["sms"], "consent": false });
    let mut no_email = land_case();
    no_email["applicant"].as_object_mut().unwrap().remove("email");
    no_email["notices"] = json!({ "channels": ["email"], "consent": true });
    for body in [no_consent, no_email] {
        let (status, problem) = problem(app.post(&reception, "/api/v1/cases", &body).await).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem.to_string().contains("notices"), "{problem}");
    }
    assert_eq!(app.count_all_events().await, before, "nothing written");
}

#[tokio::test]
async fn the_officer_holding_a_file_is_reminded_once_a_day_before_and_after_its_due_date() {
    let smtp = SmtpSink::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_custom(true, |settings| {
        settings.notices.channels.email = Some(EmailSettings { url, from: "motcua@gialai.gov.vn".to_owned() });
        settings.notices.reminders_every = Duration::from_millis(50);
    })
    .await;
    let [reception, admin] = app.tokens(["reception", "admin"]).await;
    let users = app.get_json(&admin, "/api/v1/users").await;
    let mut specialist = users.as_array().unwrap().iter().find(|u| u["username"] == "specialist").unwrap().clone();
    specialist["email"] = json!("chuyenvien@gialai.gov.vn");
    let path = format!("/api/v1/users/{}", specialist["id"].as_str().unwrap());
    assert_eq!(app.put(&admin, &path, &specialist).await.status(), 200);

    // Received Monday 2 March 09:00, due Monday 16 March 09:00; no notices
    // asked for by the applicant.
    let created = filed(&app, &reception, &land_case()).await;
    let (id, code) = (created["id"].as_str().unwrap(), created["code"].as_str().unwrap());
    app.post_json(
        &reception,
        &format!("/api/v1/cases/{id}/transfer"),
        &json!({ "to_unit": onestop_tests::LAND_REGISTRY, "assignee": specialist["id"] }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(smtp.mails().is_empty(), "nothing is due yet");

    let subject_of = |mail: &onestop_tests::standins::Mail| {
        let parsed = mailparse::parse_mail(mail.data.as_bytes()).unwrap();
        parsed.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case("subject")).unwrap().get_value()
    };
    // Friday 13 March: the next working day is the due date.
    app.clock.set("2026-03-13T08:00:00+07:00".parse().unwrap());
    eventually("the due-tomorrow reminder arrives", async || smtp.mails().len() == 1).await;
    let mail = &smtp.mails()[0];
    assert!(mail.to[0].contains("chuyenvien@gialai.gov.vn"));
    assert_eq!(subject_of(mail), format!("Hồ sơ {code} đến hạn vào ngày làm việc tới"));
    // Saturday: no reminders on a day off.
    app.clock.set("2026-03-14T08:00:00+07:00".parse().unwrap());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.mails().len(), 1);
    // Tuesday 17 March: overdue.
    app.clock.set("2026-03-17T08:00:00+07:00".parse().unwrap());
    eventually("the overdue reminder arrives", async || smtp.mails().len() == 2).await;
    assert_eq!(subject_of(&smtp.mails()[1]), format!("Hồ sơ {code} đã quá hạn"));
    let body = mailparse::parse_mail(smtp.mails()[1].data.as_bytes()).unwrap().get_body().unwrap();
    assert!(body.contains("09:00 ngày 16/03/2026"), "{body}");
    // Many rounds later the same day: still one reminder of each.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(smtp.mails().len(), 2);
    let shown = notices_of(&app, &reception, id).await;
    assert_eq!(shown.len(), 2);
    assert!(shown.iter().all(|n| n["to_officer"] == true));
}

#[tokio::test]
async fn zalo_gets_the_template_id_and_its_parameters_and_a_refusal_is_retried() {
    let zalo = ZaloZns::start(1).await;
    let (url, access_token) = (zalo.url.clone(), zalo.access_token.clone());
    let app = TestApp::spawn_custom(true, |settings| {
        settings.notices.channels.zalo = Some(ZaloSettings { url, access_token });
        settings.notices.retry_base = Duration::from_millis(50);
    })
    .await;
    let [admin, reception] = app.tokens(["admin", "reception"]).await;
    // Zalo sends only templates registered with it: the notice names one.
    let set = app
        .put(
            &admin,
            "/api/v1/notice-templates/received/zalo",
            &json!({ "body": "Hồ sơ {ma_ho_so}, hẹn trả {han_tra}", "zalo_template_id": "231456" }),
        )
        .await;
    assert_eq!(set.status(), 200);
    let (status, _) =
        problem(app.put(&admin, "/api/v1/notice-templates/refused/zalo", &json!({ "body": "Từ chối {ly_do}" })).await)
            .await;
    assert_eq!(status, 422, "a Zalo template needs its ZNS id");

    let created = filed(&app, &reception, &case_with_notices(&["zalo"], "Nguyễn Văn An", "0912345678")).await;
    eventually("Zalo accepts it", async || zalo.calls().iter().any(|c| c.accepted)).await;
    let calls = zalo.calls();
    assert_eq!(calls.len(), 2, "refused once (rate limit), then taken: {calls:?}");
    let body = &calls[1].body;
    assert_eq!(body["phone"], "84912345678");
    assert_eq!(body["template_id"], "231456");
    assert_eq!(body["template_data"]["ma_ho_so"], created["code"]);
    assert_eq!(body["template_data"]["ma_tra_cuu"], created["lookup_secret"]);
    assert_eq!(body["template_data"]["ho_ten"], "Nguyễn Văn An");
    assert_eq!(calls[0].body["tracking_id"], body["tracking_id"], "the retry is the same message");
    let shown = notices_of(&app, &reception, created["id"].as_str().unwrap()).await;
    assert_eq!(shown[0]["id"], body["tracking_id"]);
    assert_eq!(shown[0]["attempts"], 2);
}

#[tokio::test]
async fn an_online_submission_accepted_in_the_same_batch_makes_one_receipt_notice() {
    // The server's runners off: the outbox's projection takes the whole log
    // in one batch, submission and acceptance of each case together.
    let app = TestApp::spawn_configured(true, false).await;
    let reception = app.token("reception").await;
    let mut ids = Vec::new();
    for phone in ["0912000101", "0912000102"] {
        let mut body = case_with_notices(&["sms", "email"], "Đỗ Thị Hoa", phone);
        body["channel"] = json!("online_partial");
        let created = filed(&app, &reception, &body).await;
        let id = created["id"].as_str().unwrap().to_owned();
        app.post_json(&reception, &format!("/api/v1/cases/{id}/accept"), &json!({})).await;
        ids.push(id);
    }
    let store = app.store().await;
    let runner =
        onestop_projections::Runner::new(onestop_projections::notices::NoticesProjection::default(), store, 1000);
    runner.catch_up().await.unwrap();
    runner.catch_up().await.unwrap();
    let client = app.database.superuser().await.unwrap();
    for id in &ids {
        let rows = client
            .query(
                "SELECT n.kind, n.channel, c.code FROM notices n JOIN notice_cases c USING (case_id) \
                 WHERE n.case_id = $1::text::uuid ORDER BY n.channel",
                &[id],
            )
            .await
            .unwrap();
        let found: Vec<(String, String, Option<String>)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found.iter().all(|(kind, _, code)| kind == "received" && code.is_some()), "{found:?}");
    }
}

#[tokio::test]
async fn two_server_processes_on_one_database_make_and_send_each_notice_once() {
    let gateway = SmsGateway::start(0).await;
    // Slow answers keep many notices in flight at once in both processes.
    gateway.set_delay(Duration::from_millis(30), Duration::ZERO);
    let app = sending_sms_to(&gateway).await;
    let url = gateway.url.clone();
    let other = app
        .another_server(|settings| {
            settings.notices.channels.sms = Some(sms_settings(&url));
            settings.notices.retry_base = Duration::from_millis(50);
        })
        .await;
    // Cases filed through both servers.
    let reception = app.token("reception").await;
    let mut filed_through = Vec::new();
    for i in 0..24 {
        let body = case_with_notices(&["sms"], "Bùi Văn Giang", &format!("09130000{i:02}"));
        let base = if i % 2 == 0 { app.address.clone() } else { other.address.clone() };
        let response =
            app.http.post(format!("{base}/api/v1/cases")).bearer_auth(&reception).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 201);
        filed_through.push(base);
    }
    eventually("every notice is sent", async || gateway.sent().len() == 24).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let calls = gateway.calls();
    assert_eq!(calls.len(), 24, "no notice sent twice, by either process: {} calls", calls.len());
    assert_eq!(app.number("SELECT count(*) FROM notices").await, 24, "each made once");
    assert_eq!(app.number("SELECT count(*) FROM notices WHERE state = 'sent'").await, 24);
}

/// A sender address that is no address stops the server at start-up, naming
/// the setting, rather than leaving it running with e-mail silently off.
#[tokio::test]
async fn a_sender_that_is_no_address_stops_the_start() {
    let database = onestop_migrations::testing::TestDatabase::create().await.unwrap();
    let clock = onestop_commands::clock::ManualClock::new(onestop_tests::monday_morning());
    let mut settings = onestop_tests::test_settings(database.url(), false, &clock);
    settings.notices.channels.email = Some(EmailSettings {
        url: "smtp://127.0.0.1:2525".to_owned(),
        from: "Một cửa, không có địa chỉ".to_owned(),
    });
    let Err(error) = onestop_api::startup::Application::build(&settings).await else {
        panic!("the start must fail");
    };
    let chain = onestop_store::error_chain(&error);
    assert!(chain.contains("ONESTOP_SMTP_FROM"), "{chain}");
}
