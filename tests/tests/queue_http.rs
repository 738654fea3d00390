//! Queue tickets over HTTP: the kiosk without signing in, counters, bookings,
//! refusals that name their rule and write nothing, the live stream of calls
//! resumed across a server going away, and the statistics of a scripted day
//! against the ground truth computed here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use onestop_commands::clock::Clock as _;
use onestop_tests::{COMMUNE_AN_BINH, SERVICE_CENTRE, TestApp};
use serde_json::{Value, json};

fn queue_path(unit: &str, rest: &str) -> String {
    format!("/api/v1/units/{unit}/queue{rest}")
}

/// Groups A (bookable, one place per half-day) and B; counter 1 serves A,
/// counter 2 both, counter 3 B, counter 9 nothing (closed).
fn setup() -> Value {
    json!({
        "groups": [
            { "code": "A", "name": "Đất đai", "booking_capacity": 1 },
            { "code": "B", "name": "Hộ tịch, chứng thực" }
        ],
        "counters": [
            { "number": 1, "name": "Quầy 1", "groups": ["A"] },
            { "number": 2, "name": "Quầy 2", "groups": ["A", "B"] },
            { "number": 3, "name": "Quầy 3", "groups": ["B"] },
            { "number": 9, "name": "Quầy 9", "groups": [] }
        ]
    })
}

async fn set_up(app: &TestApp, unit: &str, body: &Value) {
    let admin = app.token("admin").await;
    let response = app.put(&admin, &queue_path(unit, "/setup"), body).await;
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// Takes a ticket at the kiosk, without a token.
async fn take(app: &TestApp, body: Value) -> reqwest::Response {
    app.http.post(app.url(&queue_path(SERVICE_CENTRE, "/tickets"))).json(&body).send().await.unwrap()
}

async fn take_number(app: &TestApp, group: &str, priority: Option<&str>) -> String {
    let response = take(app, json!({ "group": group, "priority": priority })).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned()
}

/// Books a slot, without a token.
async fn book(app: &TestApp, group: &str, date: &str, half: &str) -> reqwest::Response {
    let body = json!({ "group": group, "date": date, "half": half });
    app.http.post(app.url(&queue_path(SERVICE_CENTRE, "/bookings"))).json(&body).send().await.unwrap()
}

async fn at_counter(app: &TestApp, token: &str, counter: u16, action: &str, body: Value) -> reqwest::Response {
    app.post(token, &queue_path(SERVICE_CENTRE, &format!("/counters/{counter}/{action}")), &body).await
}

/// The queue's and the bookings' events in the log.
async fn queue_events(app: &TestApp) -> i64 {
    let client = app.database.superuser().await.unwrap();
    client
        .query_one("SELECT count(*) FROM events WHERE stream_id LIKE 'queue-%' OR stream_id LIKE 'booking-%'", &[])
        .await
        .unwrap()
        .get(0)
}

/// Asserts a refusal: its status, the rule it names, and an unchanged log.
async fn refused(app: &TestApp, response: reqwest::Response, status: u16, rule: &str, before: i64) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    if !rule.is_empty() {
        assert_eq!(body["rule"], rule, "{body}");
    }
    assert_eq!(queue_events(app).await, before, "a refusal wrote to the log: {body}");
}

#[tokio::test]
async fn the_kiosk_takes_tickets_without_signing_in_and_a_counter_calls_and_finishes_them_naming_the_case() {
    let app = TestApp::spawn().await;
    set_up(&app, SERVICE_CENTRE, &setup()).await;
    let reception = app.token("reception").await;
    assert_eq!(take_number(&app, "A", None).await, "A-0001");
    assert_eq!(take_number(&app, "B", None).await, "B-0001");
    assert_eq!(take_number(&app, "A", Some("elderly")).await, "A-0002");

    let queue = app.get_json(&reception, &queue_path(SERVICE_CENTRE, "")).await;
    assert_eq!(queue["groups"][0]["next"], json!(["A-0002", "A-0001"]), "{queue}");
    let mine = app.get_json("", &queue_path(SERVICE_CENTRE, "/tickets/A-0001")).await;
    assert_eq!((mine["status"].as_str(), mine["ahead"].as_u64()), (Some("waiting"), Some(1)));

    let called: Value = at_counter(&app, &reception, 1, "call", json!({})).await.json().await.unwrap();
    assert_eq!((called["number"].as_str(), called["counter"].as_u64()), (Some("A-0002"), Some(1)));
    let case = app.receive_land_case(&reception).await;
    let finished = at_counter(&app, &reception, 1, "finish", json!({ "cases": [case] })).await;
    assert_eq!(finished.status(), 200);
    assert_eq!(finished.json::<Value>().await.unwrap()["status"], "finished");

    // The projection keeps the case with the ticket.
    let leader = app.token("admin").await;
    let today = "2026-03-02";
    let stats = app.get_json(&leader, &queue_path(SERVICE_CENTRE, &format!("/stats?from={today}&to={today}"))).await;
    assert_eq!(stats["rows"].as_array().unwrap().last().unwrap()["served"], 1, "{stats}");
    let client = app.database.superuser().await.unwrap();
    let cases: Vec<uuid::Uuid> =
        client.query_one("SELECT cases FROM queue_tickets WHERE number = 'A-0002'", &[]).await.unwrap().get(0);
    assert_eq!(cases, vec![case.parse::<uuid::Uuid>().unwrap()]);
}

#[tokio::test]
async fn bad_input_is_refused_naming_the_rule_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    set_up(&app, SERVICE_CENTRE, &setup()).await;
    set_up(
        &app,
        COMMUNE_AN_BINH,
        &json!({ "groups": [{ "code": "D", "name": "Chứng thực" }],
                 "counters": [{ "number": 1, "name": "Quầy 1", "groups": ["D"] }] }),
    )
    .await;
    let reception = app.token("reception").await;
    take_number(&app, "A", None).await;
    let before = queue_events(&app).await;

    // A counter that serves no group, and one that does not exist.
    refused(&app, at_counter(&app, &reception, 9, "call", json!({})).await, 409, "counter_serves_no_group", before)
        .await;
    refused(&app, at_counter(&app, &reception, 7, "call", json!({})).await, 409, "unknown_counter", before).await;
    // A group of another unit.
    refused(&app, take(&app, json!({ "group": "D" })).await, 409, "unknown_group", before).await;
    let to_other = at_counter(&app, &reception, 1, "transfer", json!({ "to_group": "D" })).await;
    refused(&app, to_other, 409, "unknown_group", before).await;
    // A counter's setup naming a group of another unit.
    let admin = app.token("admin").await;
    let mut crossed = setup();
    crossed["counters"][0]["groups"] = json!(["D"]);
    let response = app.put(&admin, &queue_path(SERVICE_CENTRE, "/setup"), &crossed).await;
    refused(&app, response, 422, "", before).await;
    // An unknown ticket.
    let response = app.post(&reception, &queue_path(SERVICE_CENTRE, "/tickets/A-0099/return"), &json!({})).await;
    refused(&app, response, 409, "unknown_ticket", before).await;
    // Nothing at the counter, and a case that does not exist.
    refused(&app, at_counter(&app, &reception, 1, "finish", json!({})).await, 409, "nothing_at_counter", before).await;
    at_counter(&app, &reception, 1, "call", json!({})).await;
    let before = queue_events(&app).await;
    let ghost = json!({ "cases": [uuid::Uuid::now_v7()] });
    refused(&app, at_counter(&app, &reception, 1, "finish", ghost).await, 409, "unknown_case", before).await;
    // Malformed requests, and officers who do not work these counters.
    refused(&app, take(&app, json!({ "group": "a" })).await, 422, "", before).await;
    refused(&app, take(&app, json!({ "group": "A", "booking_code": "K7MX2QPA" })).await, 422, "", before).await;
    refused(&app, take(&app, json!({})).await, 422, "", before).await;
    let anonymous = app.http.post(app.url(&queue_path(SERVICE_CENTRE, "/counters/1/call"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let specialist = app.token("specialist").await;
    refused(&app, at_counter(&app, &specialist, 2, "call", json!({})).await, 403, "", before).await;
    let elsewhere = app.post(&reception, &queue_path(COMMUNE_AN_BINH, "/counters/1/call"), &json!({})).await;
    refused(&app, elsewhere, 403, "", before).await;
    let no_queue = app.http.post(app.url(&queue_path("000.00.07.H22", "/tickets"))).json(&json!({"group": "A"}));
    refused(&app, no_queue.send().await.unwrap(), 404, "", before).await;

    // Slots: full, over, on a day off, too far ahead, a group without bookings.
    assert_eq!(book(&app, "A", "2026-03-03", "morning").await.status(), 201);
    let before = queue_events(&app).await;
    refused(&app, book(&app, "A", "2026-03-03", "morning").await, 409, "slot_full", before).await;
    refused(&app, book(&app, "A", "2026-02-27", "afternoon").await, 409, "slot_in_the_past", before).await;
    app.clock.set("2026-03-02T11:30:00+07:00".parse().unwrap());
    refused(&app, book(&app, "A", "2026-03-02", "morning").await, 409, "slot_in_the_past", before).await;
    refused(&app, book(&app, "A", "2026-03-07", "morning").await, 409, "not_a_working_day", before).await;
    refused(&app, book(&app, "A", "2026-06-01", "morning").await, 409, "too_far_ahead", before).await;
    refused(&app, book(&app, "B", "2026-03-03", "morning").await, 409, "group_not_bookable", before).await;
    refused(&app, book(&app, "D", "2026-03-03", "morning").await, 409, "unknown_group", before).await;
    // A booking code that is none of today's.
    refused(&app, take(&app, json!({ "booking_code": "K7MX2QPA" })).await, 409, "unknown_booking", before).await;
    refused(&app, take(&app, json!({ "booking_code": "0000" })).await, 409, "unknown_booking", before).await;
}

#[tokio::test]
async fn a_booking_is_checked_in_once_on_its_day_and_served_after_priority_before_walk_ins() {
    let app = TestApp::spawn().await;
    set_up(&app, SERVICE_CENTRE, &setup()).await;
    let reception = app.token("reception").await;
    let slots = app.get_json("", &queue_path(SERVICE_CENTRE, "/slots?date=2026-03-02")).await;
    let morning = |slots: &Value| slots["slots"].as_array().unwrap()[0]["available"].as_u64().unwrap();
    assert_eq!(morning(&slots), 1, "{slots}");
    let booking: Value = book(&app, "A", "2026-03-02", "morning").await.json().await.unwrap();
    let code = booking["code"].as_str().unwrap().to_owned();
    assert_eq!(morning(&app.get_json("", &queue_path(SERVICE_CENTRE, "/slots?date=2026-03-02")).await), 0);

    take_number(&app, "A", None).await; // A-0001, a walk-in
    let checked_in = take(&app, json!({ "booking_code": code.to_lowercase() })).await;
    assert_eq!(checked_in.status(), 201);
    let ticket: Value = checked_in.json().await.unwrap();
    assert_eq!((ticket["number"].as_str(), ticket["booked"].as_bool()), (Some("A-0002"), Some(true)));
    let before = queue_events(&app).await;
    refused(&app, take(&app, json!({ "booking_code": code })).await, 409, "already_checked_in", before).await;
    take_number(&app, "A", Some("pregnant")).await; // A-0003

    let mut order = Vec::new();
    for _ in 0..3 {
        let called: Value = at_counter(&app, &reception, 1, "call", json!({})).await.json().await.unwrap();
        order.push(called["number"].as_str().unwrap().to_owned());
        at_counter(&app, &reception, 1, "finish", json!({})).await;
    }
    assert_eq!(order, ["A-0003", "A-0002", "A-0001"]);

    // Cancelled, the place is free again.
    let tomorrow: Value = book(&app, "A", "2026-03-03", "afternoon").await.json().await.unwrap();
    let cancel = app
        .http
        .post(app.url(&queue_path(SERVICE_CENTRE, &format!("/bookings/{}/cancel", tomorrow["code"].as_str().unwrap()))))
        .json(&json!({ "date": "2026-03-03" }))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 204);
    let slots = app.get_json("", &queue_path(SERVICE_CENTRE, "/slots?date=2026-03-03")).await;
    assert_eq!(slots["slots"].as_array().unwrap()[1]["available"], 1, "{slots}");
}

/// A Server-Sent Events reader over a streamed response.
struct Sse {
    response: reqwest::Response,
    buffer: String,
}

/// One message: its id and its data.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    id: String,
    data: Value,
}

impl Sse {
    async fn open(http: &reqwest::Client, url: &str, last_event_id: Option<&str>) -> Self {
        let mut request = http.get(url).header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { response, buffer: String::new() }
    }

    /// The next message with data (pings and the retry line skipped); `None`
    /// when the server closed the stream.
    async fn next(&mut self) -> Option<Message> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut data, mut event) = (None, None, None);
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id: ") {
                        id = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = Some(v.to_owned());
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        event = Some(v.to_owned());
                    }
                }
                if let (Some(id), Some(data), None) = (id, data, event) {
                    return Some(Message { id, data: serde_json::from_str(&data).unwrap() });
                }
            }
            // A bound on how long the test waits, not a measure of speed.
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk()).await.expect("no event");
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// Messages until `calls` calls have come.
    async fn until_calls(&mut self, calls: usize) -> Vec<Message> {
        let mut out = Vec::new();
        while out.iter().filter(|m: &&Message| m.data["kind"] == "called").count() < calls {
            out.push(self.next().await.expect("the stream ended"));
        }
        out
    }
}

#[tokio::test]
async fn a_stream_client_gets_every_call_in_order_and_resumes_after_its_server_goes_away() {
    let app = TestApp::spawn().await;
    set_up(&app, SERVICE_CENTRE, &setup()).await;
    let reception = app.token("reception").await;
    for i in 0..12 {
        take_number(&app, ["A", "B", "A"][i % 3], None).await;
    }
    let first = app.another_server(|_| {}).await;
    let url = |base: &str| format!("{base}{}", queue_path(SERVICE_CENTRE, "/calls"));
    let mut stream = Sse::open(&app.http, &url(&first.address), None).await;
    let state = stream.next().await.unwrap();
    assert_eq!((state.id.as_str(), &state.data["kind"]), ("20260302.12", &json!("state")));

    // Calls made through the other server reach this one's stream.
    let call_and_finish = |counter: u16| {
        let (app, reception) = (&app, &reception);
        async move {
            at_counter(app, reception, counter, "call", json!({})).await;
            if counter != 3 {
                at_counter(app, reception, counter, "recall", json!({})).await;
            }
            at_counter(app, reception, counter, "finish", json!({})).await;
        }
    };
    for counter in [1, 2, 3, 1, 2, 3] {
        call_and_finish(counter).await;
    }
    let mut received = stream.until_calls(6).await;
    // The server goes away: the stream ends.
    first.stop().await;
    while stream.next().await.is_some() {}
    for counter in [2, 1, 3, 2, 1, 1] {
        call_and_finish(counter).await;
    }
    let last = received.last().unwrap().id.clone();
    let mut resumed = Sse::open(&app.http, &url(&app.address), Some(&last)).await;
    received.extend(resumed.until_calls(6).await);
    // Everything written, in the log's order, once: 12 calls, 9 recalls, 12
    // finishes.
    while received.len() < 33 {
        received.push(resumed.next().await.unwrap());
    }

    let store = app.store().await;
    let stream_id = onestop_store::StreamId::new("queue-000.00.01.H22-20260302").unwrap();
    let log: Vec<(String, String)> = store
        .read_stream(&stream_id, 12, usize::MAX)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            let payload: Value = serde_json::from_str(e.payload.as_str()).unwrap();
            let number = &payload["number"];
            (
                format!("20260302.{}", e.stream_version),
                format!("{}-{:04}", number["group"].as_str().unwrap(), number["seq"].as_u64().unwrap()),
            )
        })
        .collect();
    let seen: Vec<(String, String)> =
        received.iter().map(|m| (m.id.clone(), m.data["number"].as_str().unwrap().to_owned())).collect();
    assert_eq!(seen, log);
    let kinds: Vec<&str> = received.iter().map(|m| m.data["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "called").count(), 12);
    assert_eq!(kinds.iter().filter(|k| **k == "recalled").count(), 9);
    assert_eq!(received[0].data["counter_name"], "Quầy 1");

    // Following one counter: only its events.
    let one = format!("{}?counter=3&last_event_id=20260302.12", url(&app.address));
    let mut counter_three = Sse::open(&app.http, &one, None).await;
    let theirs = counter_three.until_calls(3).await;
    assert!(theirs.iter().all(|m| m.data["counter"] == 3), "{theirs:?}");
}

#[tokio::test]
async fn the_display_page_is_self_contained_and_follows_the_units_stream() {
    let app = TestApp::spawn().await;
    set_up(&app, SERVICE_CENTRE, &setup()).await;
    let response = app.http.get(app.url(&format!("/display/{SERVICE_CENTRE}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    let unit = app.get_json(&app.token("admin").await, &format!("/api/v1/units/{SERVICE_CENTRE}")).await;
    assert!(page.contains(unit["name"].as_str().unwrap()), "{page}");
    assert!(page.contains(&format!("data-unit=\"{SERVICE_CENTRE}\"")));
    assert!(page.contains("new EventSource(url)") && page.contains("last_event_id"));
    // Nothing from elsewhere: no external scripts, styles, fonts or images.
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!page.contains(external), "the page fetches {external}");
    }
    let missing = app.http.get(app.url("/display/000.00.07.H22")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Không tìm thấy hàng đợi"));
}

/// One visit to a counter, as the test's own model counts it.
#[derive(Debug, Clone)]
struct Visit {
    number: String,
    group: String,
    counter: u16,
    officer: String,
    queued_at: Timestamp,
    called_at: Timestamp,
    ended_at: Option<Timestamp>,
    outcome: &'static str,
}

/// A ticket as the model knows it.
#[derive(Debug, Clone)]
struct Modelled {
    group_taken: String,
    group: String,
    taken_at: Timestamp,
    queued_at: Timestamp,
    absent: bool,
}

/// `percentile_cont`: linear interpolation between the nearest ranks.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = p * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64))
}

fn hour(at: Timestamp) -> String {
    onestop_domain::calendar::local(at).strftime("%H").to_string()
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

#[tokio::test]
async fn the_statistics_of_a_scripted_day_equal_the_ground_truth() {
    let app = TestApp::spawn().await;
    set_up(&app, SERVICE_CENTRE, &setup()).await;
    app.create_user("tiepnhan.hai", "reception", SERVICE_CENTRE).await;
    let users = app.get_json(&app.token("admin").await, "/api/v1/users").await;
    let id_of = |username: &str| {
        let user = users.as_array().unwrap().iter().find(|u| u["username"] == username).unwrap();
        user["id"].as_str().unwrap().to_owned()
    };
    let officers = [app.token("reception").await, app.token("tiepnhan.hai").await];
    let officer_ids = [id_of("reception"), id_of("tiepnhan.hai")];
    // Counter 1 is the first officer's; counters 2 and 3 the second's.
    let officer_of = |counter: u16| usize::from(counter != 1);

    let mut tickets: BTreeMap<String, Modelled> = BTreeMap::new();
    let mut visits: Vec<Visit> = Vec::new();
    let mut at_counters: BTreeMap<u16, usize> = BTreeMap::new();
    let mut random = Lcg(20_260_302);
    app.clock.set("2026-03-02T07:30:00+07:00".parse().unwrap());
    for _ in 0..260 {
        app.clock.advance(SignedDuration::from_secs(10 + random.below(170) as i64));
        let now = app.clock.now();
        let roll = random.below(100);
        if roll < 30 && tickets.len() < 60 {
            let group = if random.below(3) == 0 { "B" } else { "A" };
            let priority = (random.below(6) == 0).then_some("disability");
            let number = take_number(&app, group, priority).await;
            tickets.insert(
                number,
                Modelled {
                    group_taken: group.into(),
                    group: group.into(),
                    taken_at: now,
                    queued_at: now,
                    absent: false,
                },
            );
            continue;
        }
        if roll < 34 {
            // An absent citizen comes back.
            if let Some((number, ticket)) = tickets.iter_mut().find(|(_, t)| t.absent) {
                let path = queue_path(SERVICE_CENTRE, &format!("/tickets/{number}/return"));
                let response = app.post(&officers[0], &path, &json!({})).await;
                assert_eq!(response.status(), 200);
                ticket.absent = false;
                ticket.queued_at = now;
            }
            continue;
        }
        let counter = [1_u16, 2, 3][random.below(3) as usize];
        let token = &officers[officer_of(counter)];
        match at_counters.get(&counter).copied() {
            None => {
                let response = at_counter(&app, token, counter, "call", json!({})).await;
                if response.status() == 409 {
                    continue; // nothing waiting for this counter
                }
                let called: Value = response.json().await.unwrap();
                let number = called["number"].as_str().unwrap().to_owned();
                let ticket = &tickets[&number];
                visits.push(Visit {
                    number: number.clone(),
                    group: ticket.group.clone(),
                    counter,
                    officer: officer_ids[officer_of(counter)].clone(),
                    queued_at: ticket.queued_at,
                    called_at: now,
                    ended_at: None,
                    outcome: "open",
                });
                at_counters.insert(counter, visits.len() - 1);
            }
            Some(visit) => {
                let choice = random.below(10);
                let (action, outcome, body) = match choice {
                    0 => ("recall", "open", json!({})),
                    1 => ("absent", "absent", json!({})),
                    2 => ("transfer", "transferred", json!({ "to_group": if counter == 3 { "A" } else { "B" } })),
                    _ => ("finish", "finished", json!({})),
                };
                let response = at_counter(&app, token, counter, action, body.clone()).await;
                assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
                if outcome == "open" {
                    continue;
                }
                let v = &mut visits[visit];
                v.ended_at = Some(now);
                v.outcome = outcome;
                let ticket = tickets.get_mut(&v.number).unwrap();
                match outcome {
                    "absent" => ticket.absent = true,
                    "transferred" => {
                        ticket.group = body["to_group"].as_str().unwrap().to_owned();
                        ticket.queued_at = now;
                    }
                    _ => {}
                }
                at_counters.remove(&counter);
            }
        }
    }
    assert!(visits.len() > 40 && visits.iter().any(|v| v.outcome == "absent"), "a poor script: {visits:?}");
    assert!(visits.iter().any(|v| v.outcome == "transferred"));

    // The ground truth, row by row.
    let truth = |key_of_visit: &dyn Fn(&Visit) -> String, key_of_ticket: Option<&dyn Fn(&Modelled) -> String>| {
        let mut keys: BTreeSet<String> = visits.iter().map(key_of_visit).collect();
        if let Some(of) = key_of_ticket {
            keys.extend(tickets.values().map(of));
        }
        keys.into_iter()
            .map(|key| {
                let mine: Vec<&Visit> = visits.iter().filter(|v| key_of_visit(v) == key).collect();
                let count = |outcome: &str| mine.iter().filter(|v| v.outcome == outcome).count() as i64;
                let waits: Vec<f64> =
                    mine.iter().map(|v| v.called_at.duration_since(v.queued_at).as_secs_f64()).collect();
                let services: Vec<f64> = mine
                    .iter()
                    .filter(|v| v.outcome == "finished")
                    .map(|v| v.ended_at.unwrap().duration_since(v.called_at).as_secs_f64())
                    .collect();
                let taken = match key_of_ticket {
                    Some(of) => tickets.values().filter(|t| of(t) == key).count() as i64,
                    None => mine.iter().map(|v| &v.number).collect::<BTreeSet<_>>().len() as i64,
                };
                json!({
                    "key": key,
                    "tickets": taken,
                    "called": mine.len(),
                    "served": count("finished"),
                    "absent": count("absent"),
                    "transferred": count("transferred"),
                    "wait_median_seconds": percentile(&waits, 0.5),
                    "wait_p90_seconds": percentile(&waits, 0.9),
                    "service_median_seconds": percentile(&services, 0.5),
                    "service_p90_seconds": percentile(&services, 0.9),
                })
            })
            .collect::<Vec<Value>>()
    };
    let by_group = truth(&|v| v.group.clone(), Some(&|t| t.group_taken.clone()));
    let by_counter = truth(&|v| v.counter.to_string(), None);
    let by_officer = truth(&|v| v.officer.clone(), None);
    let by_hour = truth(&|v| hour(v.called_at), Some(&|t| hour(t.taken_at)));
    let total = truth(&|_| "TOTAL".into(), Some(&|_| "TOTAL".into()));
    let leader = app.token("leader").await;
    for (by, mut expected) in [("group", by_group), ("counter", by_counter), ("officer", by_officer), ("hour", by_hour)]
    {
        if by == "officer" {
            expected.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
        }
        expected.extend(total.clone());
        let path = queue_path(SERVICE_CENTRE, &format!("/stats?from=2026-03-02&to=2026-03-02&by={by}"));
        let report = app.get_json(&leader, &path).await;
        let rows = report["rows"].as_array().unwrap();
        assert_eq!(rows.len(), expected.len(), "by {by}: {report}");
        for (row, want) in rows.iter().zip(&expected) {
            for field in ["key", "tickets", "called", "served", "absent", "transferred"] {
                assert_eq!(row[field], want[field], "by {by}, {field}: {row} against {want}");
            }
            for field in ["wait_median_seconds", "wait_p90_seconds", "service_median_seconds", "service_p90_seconds"] {
                match (row[field].as_f64(), want[field].as_f64()) {
                    (Some(got), Some(wanted)) => assert!((got - wanted).abs() < 1e-6, "by {by}, {field}: {row} {want}"),
                    (got, wanted) => assert_eq!(got, wanted, "by {by}, {field}"),
                }
            }
        }
    }
    // The same as CSV; another day counts nothing.
    let csv = app
        .http
        .get(app.url(&queue_path(SERVICE_CENTRE, "/stats?from=2026-03-02&to=2026-03-02&by=counter")))
        .bearer_auth(&leader)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let last = csv.lines().last().unwrap();
    assert!(last.starts_with(&format!("TOTAL,Tổng cộng,{},{}", total[0]["tickets"], total[0]["called"])), "{csv}");
    let other_day = app.get_json(&leader, &queue_path(SERVICE_CENTRE, "/stats?from=2026-03-03&to=2026-03-31")).await;
    assert_eq!(other_day["rows"].as_array().unwrap().last().unwrap()["called"], 0);
}

#[tokio::test]
async fn a_citizen_who_left_a_phone_is_told_once_when_their_turn_nears_and_the_number_stays_out_of_the_log() {
    // The gateway refuses the first message: it is sent again.
    let gateway = onestop_tests::standins::SmsGateway::start(1).await;
    let url = gateway.url.clone();
    let app = TestApp::spawn_custom(true, |settings| {
        settings.notices.channels.sms = Some(onestop_tests::sms_settings(&url));
    })
    .await;
    set_up(&app, SERVICE_CENTRE, &setup()).await;
    let reception = app.token("reception").await;
    for _ in 0..4 {
        take_number(&app, "A", None).await;
    }
    let mine = take(&app, json!({ "group": "A", "phone": "0912 345 678" })).await;
    assert_eq!(mine.json::<Value>().await.unwrap()["number"], "A-0005");
    refused(&app, take(&app, json!({ "group": "A", "phone": "12345 6789" })).await, 422, "", queue_events(&app).await)
        .await;
    // Four ahead: not yet (two of the sender's rounds pass).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(gateway.sent().is_empty(), "{:?}", gateway.calls());
    // Three ahead once A-0001 is called.
    at_counter(&app, &reception, 1, "call", json!({})).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while gateway.sent().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sent = gateway.sent();
    assert_eq!(sent.len(), 1, "{:?}", gateway.calls());
    let body = sent.values().next().unwrap();
    assert!(body.contains("A-0005") && body.contains("con 3 so") && body.contains("912345678"), "{body}");
    assert!(gateway.calls().len() >= 2, "the refused first attempt was not retried");
    // Nearer still: no second message.
    for _ in 0..2 {
        at_counter(&app, &reception, 1, "finish", json!({})).await;
        at_counter(&app, &reception, 1, "call", json!({})).await;
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(gateway.sent().len(), 1);
    // The number is nowhere in the log.
    let client = app.database.superuser().await.unwrap();
    let in_log: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE payload::text LIKE '%345678%' OR metadata::text LIKE '%345678%'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_log, 0);
    // A day later it is gone from the table too.
    app.clock.advance(SignedDuration::from_hours(24));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let kept: i64 = client.query_one("SELECT count(*) FROM queue_contacts", &[]).await.unwrap().get(0);
        if kept == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "yesterday's phone numbers were kept");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
