//! Biểu 06 against ground truth: 200 scripted cases across three units, some
//! with a supplement that moves their due date, with every column counted
//! independently from what the script did.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use onestop_api::demo::{COMMUNE_AN_BINH, WARD_DONG_TIEN};
use onestop_domain::deadline::Punctuality;
use onestop_tests::*;
use serde_json::{Value, json};

const MARRIAGE: &str = "1.000894";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    Resolved(Timestamp),
    Refused(Timestamp),
    Withdrawn(Timestamp),
    Open,
}

#[derive(Debug, Clone)]
struct Truth {
    unit: &'static str,
    field: &'static str,
    online: bool,
    received_at: Timestamp,
    due_at: Timestamp,
    ending: Ending,
}

fn ts(value: &Value) -> Timestamp {
    value.as_str().unwrap().parse().unwrap()
}

fn midnight(y: i16, m: i8, d: i8) -> Timestamp {
    onestop_domain::calendar::instant(jiff::civil::date(y, m, d).at(0, 0, 0, 0))
}

/// Columns of one report row, in the report's order.
fn columns(row: &Value) -> Vec<i64> {
    [
        "carried_over",
        "received_online",
        "received_offline",
        "received_total",
        "resolved_early",
        "resolved_on_time",
        "resolved_late",
        "resolved_total",
        "in_progress_within",
        "in_progress_overdue",
        "returned",
        "withdrawn",
    ]
    .iter()
    .map(|c| row[*c].as_i64().unwrap())
    .collect()
}

fn expected(truths: &[&Truth], start: Timestamp, end: Timestamp) -> Vec<i64> {
    let in_period = |t: Timestamp| t >= start && t < end;
    let finished_at = |t: &Truth| match t.ending {
        Ending::Resolved(at) | Ending::Refused(at) | Ending::Withdrawn(at) => Some(at),
        Ending::Open => None,
    };
    let open_at = |t: &Truth, at: Timestamp| t.received_at < at && finished_at(t).is_none_or(|f| f >= at);
    let mut c = vec![0_i64; 12];
    for t in truths {
        if open_at(t, start) {
            c[0] += 1;
        }
        if in_period(t.received_at) {
            if t.online {
                c[1] += 1;
            } else {
                c[2] += 1;
            }
        }
        match t.ending {
            Ending::Resolved(at) if in_period(at) => match Punctuality::of(at, t.due_at) {
                Punctuality::Early => c[4] += 1,
                Punctuality::OnTime => c[5] += 1,
                Punctuality::Late => c[6] += 1,
            },
            Ending::Refused(at) if in_period(at) => c[10] += 1,
            Ending::Withdrawn(at) if in_period(at) => c[11] += 1,
            _ => {}
        }
        if open_at(t, end) {
            if t.due_at < end - SignedDuration::from_micros(1) {
                c[9] += 1;
            } else {
                c[8] += 1;
            }
        }
    }
    c[3] = c[1] + c[2];
    c[7] = c[4] + c[5] + c[6];
    c
}

#[tokio::test]
async fn the_report_matches_two_hundred_scripted_cases_column_by_column() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    for (unit, tag) in [(COMMUNE_AN_BINH, "anbinh"), (WARD_DONG_TIEN, "dongtien")] {
        for role in ["reception", "specialist", "approver"] {
            let created = app
                .post(
                    &admin,
                    "/api/v1/users",
                    &json!({
                        "username": format!("{role}.{tag}"), "full_name": format!("{role} {tag}"),
                        "role": role, "units": [unit], "password": "demo"
                    }),
                )
                .await;
            assert_eq!(created.status(), 201);
        }
    }
    let mut tokens = BTreeMap::new();
    for name in [
        "reception",
        "specialist",
        "approver",
        "reception.anbinh",
        "specialist.anbinh",
        "approver.anbinh",
        "reception.dongtien",
        "specialist.dongtien",
        "approver.dongtien",
    ] {
        tokens.insert(name, app.token(name).await);
    }

    let first_day = midnight(2026, 2, 16);
    let mut truths = Vec::new();
    let mut moved_due_dates = 0;
    for i in 0..200_i64 {
        let (unit, field, procedure, tag) = match i % 3 {
            0 => (SERVICE_CENTRE, "DD", LAND_CHANGE, ""),
            1 => (COMMUNE_AN_BINH, "HT", MARRIAGE, ".anbinh"),
            _ => (WARD_DONG_TIEN, "HT", MARRIAGE, ".dongtien"),
        };
        let handler = if tag.is_empty() { LAND_REGISTRY } else { unit };
        let token = |role: &str| tokens[format!("{role}{tag}").as_str()].clone();
        let online = i % 4 == 1;
        let channel = match (online, i % 2 == 0 && tag.is_empty()) {
            (true, _) => "online_partial",
            (false, true) => "post",
            (false, false) => "in_person",
        };
        // Receipts spread over eight weeks around March 2026, in office hours.
        let received = first_day + SignedDuration::from_hours(i * 53 / 200 * 24 + 8 + i % 7);
        app.clock.set(received);
        let mut body = land_case();
        body["procedure_code"] = json!(procedure);
        body["unit"] = json!(unit);
        body["channel"] = json!(channel);
        let created = app.post(&token("reception"), "/api/v1/cases", &body).await;
        assert_eq!(created.status(), 201);
        let mut case: Value = created.json().await.unwrap();
        let id = case["id"].as_str().unwrap().to_owned();
        let act = |role: &str, action: &str, body: Value| {
            let (token, path) = (token(role), format!("/api/v1/cases/{id}/{action}"));
            let app = &app;
            async move {
                let response = app.post(&token, &path, &body).await;
                let status = response.status();
                let value: Value = response.json().await.unwrap();
                assert_eq!(status, 200, "{path}: {value}");
                value
            }
        };
        if online {
            case = act("reception", "accept", json!({})).await;
        }
        let received_at = ts(&case["received_at"]);
        let mut due_at = ts(&case["due_at"]);
        // One case in five waits two days for a supplement: its due date moves
        // (the statistics count open and overdue cases by the current one).
        let supplemented = i % 5 == 2;
        let shift = if supplemented { SignedDuration::from_hours(48) } else { SignedDuration::ZERO };
        let step = |minutes: i64| {
            let at = received_at + SignedDuration::from_mins(minutes);
            app.clock.set(if minutes > 25 { at + shift } else { at })
        };
        step(10);
        act("reception", "transfer", json!({ "to_unit": handler })).await;
        step(20);
        act("specialist", "acknowledge-handover", json!({})).await;
        if supplemented {
            step(25);
            act("specialist", "request-supplement", json!({ "reason": "Thiếu giấy tờ", "documents": ["Bản sao"] }))
                .await;
            app.clock.set(received_at + SignedDuration::from_mins(25) + shift);
            let case = act("reception", "receive-supplement", json!({ "documents": ["Bản sao"] })).await;
            if ts(&case["due_at"]) != due_at {
                moved_due_dates += 1;
            }
            due_at = ts(&case["due_at"]);
        }
        let ending = match i % 6 {
            0..=2 => {
                let finish = match i % 6 {
                    0 => received_at + shift + SignedDuration::from_hours(26),
                    1 => {
                        let d = onestop_domain::calendar::local(due_at).date();
                        onestop_domain::calendar::instant(d.at(7, 45, 0, 0))
                            .max(received_at + shift + SignedDuration::from_mins(90))
                    }
                    _ => due_at + SignedDuration::from_hours(50),
                };
                step(30);
                act("specialist", "appraisal", json!({ "opinion": "Hợp lệ", "proposal": "grant" })).await;
                step(40);
                act("specialist", "submit-for-approval", json!({})).await;
                step(50);
                act("approver", "approve", json!({})).await;
                app.clock.set(finish);
                act("approver", "result", json!({ "summary": "Xong" })).await;
                Ending::Resolved(finish)
            }
            3 => {
                step(120);
                act("reception", "withdraw", json!({ "reason": "Rút hồ sơ" })).await;
                Ending::Withdrawn(received_at + shift + SignedDuration::from_mins(120))
            }
            4 => {
                step(180);
                act("approver", "refuse", json!({ "reason": "Không đủ điều kiện" })).await;
                Ending::Refused(received_at + shift + SignedDuration::from_mins(180))
            }
            _ => Ending::Open,
        };
        truths.push(Truth { unit, field, online, received_at, due_at, ending });
    }

    assert!(moved_due_dates > 0, "no supplement moved a due date");

    let statistician = app.token("statistician").await;
    let start = midnight(2026, 3, 1) - SignedDuration::from_micros(1);
    let end = midnight(2026, 4, 1) - SignedDuration::from_micros(1);
    for (group_by, key_of) in
        [("unit", (|t: &Truth| t.unit) as fn(&Truth) -> &'static str), ("field", |t: &Truth| t.field)]
    {
        let report: Value = app
            .get(
                &statistician,
                &format!("/api/v1/stats/report?from=2026-03-01&to=2026-03-31&unit={PROVINCE}&group_by={group_by}"),
            )
            .await
            .json()
            .await
            .unwrap();
        let rows = report["rows"].as_array().unwrap();
        let mut keys: Vec<&str> = truths.iter().map(key_of).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in &keys {
            let row = rows.iter().find(|r| r["key"] == *key).unwrap_or_else(|| panic!("no row for {key}"));
            let mine: Vec<&Truth> = truths.iter().filter(|t| key_of(t) == *key).collect();
            assert_eq!(
                columns(row),
                expected(&mine, start + SignedDuration::from_micros(1), end + SignedDuration::from_micros(1)),
                "{group_by} {key}"
            );
        }
        let total = rows.last().unwrap();
        assert_eq!(total["key"], "TOTAL");
        let all: Vec<&Truth> = truths.iter().collect();
        let expected_total =
            expected(&all, start + SignedDuration::from_micros(1), end + SignedDuration::from_micros(1));
        assert_eq!(columns(total), expected_total);
        // The script does produce every kind of count.
        assert!(expected_total.iter().all(|c| *c > 0), "{expected_total:?}");
    }

    // CSV carries the same numbers.
    let csv = app
        .http
        .get(app.url(&format!("/api/v1/stats/report?from=2026-03-01&to=2026-03-31&unit={PROVINCE}")))
        .bearer_auth(&statistician)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("key,carried_over,received_online"));
    assert_eq!(text.lines().count(), 1 + 3);

    // Reports are not for every role.
    assert_eq!(app.get(&tokens["reception"], "/api/v1/stats/report?from=2026-03-01&to=2026-03-31").await.status(), 403);

    // An official period is the days Decree 09/2019 gives it: March 2026's
    // report runs from 15 February to 14 March.
    for group_by in ["field", "unit", "procedure"] {
        let by_days: Value = app
            .get(
                &statistician,
                &format!("/api/v1/stats/report?from=2026-02-15&to=2026-03-14&unit={PROVINCE}&group_by={group_by}"),
            )
            .await
            .json()
            .await
            .unwrap();
        let by_period = app
            .get(&statistician, &format!("/api/v1/stats/report?period=2026-03&unit={PROVINCE}&group_by={group_by}"))
            .await;
        assert_eq!(by_period.status(), 200);
        let by_period: Value = by_period.json().await.unwrap();
        assert_eq!(by_period["from"], "2026-02-15");
        assert_eq!(by_period["to"], "2026-03-14");
        assert_eq!(by_period["period"], "2026-03");
        assert_eq!(by_period["period_title"], "Tháng 3 năm 2026");
        assert_eq!(by_period["rows"], by_days["rows"], "{group_by}");
        assert!(by_days["rows"].as_array().unwrap().len() > 1, "the period has files");

        // The Biểu II.06a spreadsheet, read back by openpyxl, carries the same figures.
        let xlsx = app
            .http
            .get(app.url(&format!("/api/v1/stats/report?period=2026-03&unit={PROVINCE}&group_by={group_by}")))
            .bearer_auth(&statistician)
            .header("accept", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .send()
            .await
            .unwrap();
        assert_eq!(xlsx.status(), 200);
        assert_eq!(xlsx.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let sheet = read_sheet(&xlsx.bytes().await.unwrap());
        assert_sheet_equals_report(&sheet, &by_period, group_by);
    }
    // `format=` asks the same as `Accept`, and the same report is the same bytes.
    let fetch = |query: &'static str| {
        let (app, statistician) = (&app, statistician.clone());
        async move {
            let response = app.get(&statistician, &format!("/api/v1/stats/report?{query}&unit={PROVINCE}")).await;
            assert_eq!(response.status(), 200, "{query}");
            response.bytes().await.unwrap()
        }
    };
    assert_eq!(fetch("period=2026-03&format=xlsx").await, fetch("period=2026-03&format=xlsx").await);
    assert!(fetch("period=2026-03&format=csv").await.starts_with(b"key,carried_over"));

    // A period and days at once, or a period that is not one, is a 422 naming it.
    for (query, field) in [
        ("period=2026-03&from=2026-02-15&to=2026-03-14", "period"),
        ("period=2026-13", "period"),
        ("period=2026-H2", "period"),
        ("from=2026-02-15", "to"),
        ("", "from"),
    ] {
        let response = app.get(&statistician, &format!("/api/v1/stats/report?{query}&unit={PROVINCE}")).await;
        assert_eq!(response.status(), 422, "{query}");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
}

/// The workbook's first sheet as rows of cell values, read by openpyxl.
fn read_sheet(bytes: &[u8]) -> Vec<Vec<Value>> {
    let venv = std::env::var_os("ONESTOP_SHEETS_VENV").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/onestop-sheets-venv")
    });
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "openpyxl is not installed: python3 -m venv {0} && {0}/bin/pip install -r scripts/requirements-sheets.txt",
        venv.display()
    );
    let path = std::env::temp_dir().join(format!("bieu-{}.xlsx", uuid::Uuid::new_v4()));
    std::fs::write(&path, bytes).unwrap();
    let script = "import json, sys, openpyxl\n\
                  book = openpyxl.load_workbook(sys.argv[1])\n\
                  sheet = book.worksheets[0]\n\
                  merged = [str(r) for r in sheet.merged_cells.ranges]\n\
                  rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]\n\
                  print(json.dumps({'title': sheet.title, 'merged': merged, 'rows': rows}, default=str))\n";
    let output = std::process::Command::new(python).arg("-c").arg(script).arg(&path).output().unwrap();
    std::fs::remove_file(&path).ok();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(read["title"], "Biểu II.06a");
    // The heading's merged cells: the form's title, and the column groups.
    let merged: Vec<&str> = read["merged"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    for range in ["D1:M2", "C5:F5", "G5:M5", "G6:J6", "K6:M6"] {
        assert!(merged.contains(&range), "{range} is not merged: {merged:?}");
    }
    serde_json::from_value(read["rows"].clone()).unwrap()
}

/// The sheet's rows of figures equal the JSON report's, column by column.
fn assert_sheet_equals_report(sheet: &[Vec<Value>], report: &Value, group_by: &str) {
    let text = |row: usize, column: usize| sheet[row][column].as_str().unwrap_or_default().to_owned();
    assert!(text(0, 0).contains("II.06a"), "{:?}", sheet[0]);
    assert!(text(0, 3).starts_with("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"));
    assert!(text(2, 3).contains("Tháng 3 năm 2026 (Từ ngày 15/02/2026 đến ngày 14/03/2026)"), "{}", text(2, 3));
    assert_eq!(text(6, 3), "Số kỳ trước chuyển qua");
    assert_eq!(text(7, 15), "(16)");
    let rows = report["rows"].as_array().unwrap();
    for (i, row) in rows.iter().enumerate() {
        let cells = &sheet[8 + i];
        let n = |key: &str| row[key].as_i64().unwrap();
        let expected = [
            n("carried_over") + n("received_total"),
            n("carried_over"),
            n("received_online"),
            n("received_offline"),
            n("resolved_total"),
            n("resolved_early"),
            n("resolved_on_time"),
            n("resolved_late"),
            n("in_progress_within") + n("in_progress_overdue"),
            n("in_progress_within"),
            n("in_progress_overdue"),
            n("returned"),
            n("withdrawn"),
            n("stopped"),
        ];
        let got: Vec<i64> = cells[2..16].iter().map(|c| c.as_i64().unwrap_or_else(|| panic!("{c}"))).collect();
        assert_eq!(got, expected, "{group_by} row {i}: {cells:?}");
        let key = row["key"].as_str().unwrap();
        if key == "TOTAL" {
            assert_eq!(cells[0].as_str(), Some("Tổng cộng"));
        } else {
            assert_eq!(cells[0].as_i64(), Some(i as i64 + 1));
            assert!(cells[1].as_str().unwrap().ends_with(&format!("({key})")), "{cells:?}");
        }
    }
    // The form's own sums hold on every row: (3) = (7) + (11) + (14..16).
    for cells in &sheet[8..8 + rows.len()] {
        let n = |c: usize| cells[c].as_i64().unwrap();
        assert_eq!(n(2), n(3) + n(4) + n(5));
        assert_eq!(n(2), n(6) + n(10) + n(13) + n(14) + n(15));
    }
}

#[tokio::test]
async fn a_period_not_yet_ended_is_judged_now_as_the_case_view_judges_it() {
    let app = TestApp::spawn().await;
    let [reception, specialist, statistician] = app.tokens(["reception", "specialist", "statistician"]).await;
    // Three land cases received Mon 2 March 2026 09:00, due Mon 16 March 09:00;
    // one waits for a supplement from 3 March.
    let ids = [
        app.receive_land_case(&reception).await,
        app.receive_land_case(&reception).await,
        app.receive_land_case(&reception).await,
    ];
    app.post_json(&reception, &format!("/api/v1/cases/{}/transfer", ids[2]), &json!({ "to_unit": LAND_REGISTRY }))
        .await;
    app.post_json(&specialist, &format!("/api/v1/cases/{}/acknowledge-handover", ids[2]), &json!({})).await;
    app.clock.set("2026-03-03T10:00:00+07:00".parse().unwrap());
    app.post_json(
        &specialist,
        &format!("/api/v1/cases/{}/request-supplement", ids[2]),
        &json!({ "reason": "Thiếu giấy tờ", "documents": ["Bản sao"] }),
    )
    .await;

    let march = |when: &'static str| {
        let (app, statistician) = (&app, statistician.clone());
        async move {
            app.clock.set(when.parse().unwrap());
            let report: Value = app
                .get_json(&statistician, &format!("/api/v1/stats/report?from=2026-03-01&to=2026-03-31&unit={PROVINCE}"))
                .await;
            let total = report["rows"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(total["key"], "TOTAL");
            (
                total["in_progress_within"].as_i64().unwrap(),
                total["in_progress_overdue"].as_i64().unwrap(),
                total["withdrawn"].as_i64().unwrap(),
            )
        }
    };
    // The afternoon of the due date: nothing is late yet.
    assert_eq!(march("2026-03-16T15:00:00+07:00").await, (3, 0, 0));
    let view: Value = app.get_json(&reception, &format!("/api/v1/cases/{}", ids[0])).await;
    assert_eq!(view["timeliness"]["class"], "within_deadline");
    // The next morning: the two running files are; the paused one is not.
    assert_eq!(march("2026-03-17T10:00:00+07:00").await, (1, 2, 0));
    // One is withdrawn that morning: it leaves the overdue at once.
    app.post_json(&reception, &format!("/api/v1/cases/{}/withdraw", ids[0]), &json!({ "reason": "Rút" })).await;
    assert_eq!(march("2026-03-17T12:00:00+07:00").await, (1, 1, 1));
    // Asked after March, the period's end judges the same files.
    assert_eq!(march("2026-04-02T09:00:00+07:00").await, (1, 1, 1));
}

/// The QĐ 766 facts as officers and the portal record them, through the API.
#[tokio::test]
async fn digitization_payments_results_and_ratings_reach_the_report_and_its_indicators() {
    let app = TestApp::spawn().await;
    let [reception, specialist, approver, feed, statistician] =
        app.tokens(["reception", "specialist", "approver", "feed", "statistician"]).await;
    let document = |name: &str| {
        json!({ "name": name, "media_type": "application/pdf", "size_bytes": 1000,
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                "storage_ref": format!("kho://{name}") })
    };
    // At the desk: scanned, one component from the citizen's data store, a fee
    // paid online, an electronic result with its number, a rating of 5.
    let case = app.post_json(&reception, "/api/v1/cases", &land_case()).await;
    let id = case["id"].as_str().unwrap().to_owned();
    let act = |token: &str, action: &str, body: Value| {
        let (app, token, path) = (&app, token.to_owned(), format!("/api/v1/cases/{id}/{action}"));
        async move { app.post_json(&token, &path, &body).await }
    };
    act(&reception, "documents", json!({ "document": document("scan.pdf"), "origin": "digitized_at_desk" })).await;
    act(&reception, "documents", json!({ "document": document("gcn.pdf"), "origin": "reused_from_data_store" })).await;
    act(&reception, "documents", json!({ "document": document("note.pdf") })).await;
    act(&reception, "transfer", json!({ "to_unit": LAND_REGISTRY })).await;
    act(&specialist, "acknowledge-handover", json!({})).await;
    act(&specialist, "request-payment", json!({ "amount_vnd": 100000, "description": "Lệ phí" })).await;
    act(&specialist, "record-payment", json!({ "amount_vnd": 100000, "receipt": "BL-1", "online": true })).await;
    act(&specialist, "appraisal", json!({ "opinion": "Hợp lệ", "proposal": "grant" })).await;
    act(&specialist, "submit-for-approval", json!({})).await;
    act(&approver, "approve", json!({})).await;
    act(
        &approver,
        "result",
        json!({ "summary": "Cấp GCN", "document": document("gcn-moi.pdf"), "result_code": "CS 012345" }),
    )
    .await;
    act(&reception, "return", json!({ "method": "at_desk" })).await;
    act(&reception, "rating", json!({ "score": 5 })).await;
    // From the portal: a component reused from a national database, counted at receipt.
    let delivered = app
        .post_json(
            &feed,
            "/api/v1/portal/dossiers",
            &json!({
                "dossier_id": "G22.99-260302-000901", "procedure_code": LAND_CHANGE, "unit": SERVICE_CENTRE,
                "channel": "online_partial", "submitted_at": "2026-03-02T01:00:00Z",
                "applicant": { "full_name": "Phạm Thị Dung", "id_number": "001077004455" },
                "documents": [{ "document": document("cccd.pdf"), "origin": "from_national_database" }]
            }),
        )
        .await;
    let report_query = format!("/api/v1/stats/report?from=2026-03-01&to=2026-03-31&unit={PROVINCE}");
    let before = app.get_json(&statistician, &report_query).await;
    let total = before["rows"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((total["received_total"].as_i64(), total["reused"].as_i64()), (Some(1), Some(1)), "{total}");
    app.post_json(&reception, &format!("/api/v1/cases/{}/accept", delivered["case_id"].as_str().unwrap()), &json!({}))
        .await;

    let report = app.get_json(&statistician, &report_query).await;
    let total = report["rows"].as_array().unwrap().last().unwrap().clone();
    let n = |k: &str| total[k].as_i64().unwrap();
    assert_eq!(n("received_total"), 2);
    assert_eq!((n("digitized"), n("reused")), (2, 2), "{total}");
    assert_eq!(n("electronic_results"), 1);
    assert_eq!((n("payments"), n("payments_online")), (1, 1));
    assert_eq!((n("ratings"), n("ratings_satisfied")), (1, 1));
    assert_eq!(total["online_score"], 6.0); // 12 × 1 online of 2
    assert_eq!(total["payment_score"], 10.0);
    assert_eq!(total["digitization_score"], 22.0); // every file digitized and reusing, the result electronic
    assert_eq!(total["satisfaction_score"], 18.0);
    // The CSV carries them too.
    let csv = app
        .http
        .get(app.url(&report_query))
        .bearer_auth(&statistician)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let last: Vec<&str> = csv.lines().last().unwrap().split(',').collect();
    let column = |name: &str| last[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!((column("digitized"), column("payments_online"), column("satisfaction_score")), ("2", "1", "18"));
}
