//! The web console in a real browser (headless Chromium through WebDriver):
//! the demo users click a case through its whole life, a citizen follows the
//! receipt's link, and the console keeps to the same rules as the API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use onestop_tests::browser::Browser;
use onestop_tests::{COMMUNE_AN_BINH, LAND_CHANGE, TestApp};
use serde_json::Value;

/// Where a test's screenshots go: `target/tmp/screenshots/<test>/`.
fn shots(test: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots").join(test)
}

/// The case's id from its page's address (`/cases/{id}…`).
fn case_id_of(path: &str) -> String {
    path.trim_start_matches("/cases/").split(['?', '/']).next().unwrap().to_owned()
}

async fn status_of(app: &TestApp, id: &str) -> Value {
    let admin = app.token("inspector").await;
    app.get_json(&admin, &format!("/api/v1/cases/{id}")).await
}

#[tokio::test]
async fn the_demo_users_click_a_land_case_through_its_whole_life() {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.address, shots("whole_life")).await;

    // The desk: find the procedure by words of its name, tick the checklist,
    // take the applicant, receive.
    browser.sign_in("reception", "demo").await;
    assert_eq!(browser.path().await, "/desk");
    browser.shot("desk").await;
    browser.fill("find", "bien dong dat").await;
    browser.click("form[action='/desk'] button").await;
    browser.click(&format!("a[href='/desk?procedure={LAND_CHANGE}']")).await;
    let checklist = browser.find_all("input[name=documents]").await;
    assert!(checklist.len() >= 2, "the procedure's documents are listed");
    browser.fill("full_name", "Nguyễn Văn An").await;
    browser.fill("id_number", "001099012345").await;
    browser.fill("phone", "0912345678").await;
    browser.fill("address", "Thôn Đông, xã An Bình").await;
    browser.shot("desk-receive-form").await;
    browser.click("form[action='/desk/cases'] button[type=submit]").await;
    let path = browser.path().await;
    assert!(path.ends_with("?done=receive"), "{path}");
    let id = case_id_of(&path);
    let text = browser.text().await;
    assert!(text.contains("000.00.01.H22-260302-0001"), "{text}");
    assert!(text.contains("Được tiếp nhận"), "{text}");
    // Ten working days from Monday 2 March 09:00.
    assert!(text.contains("16/03/2026 09:00"), "{text}");
    browser.shot("case-received").await;

    // Transfer to the land registry.
    browser.act("transfer", &[("note", "Chuyển Văn phòng Đăng ký đất đai")]).await;
    assert!(browser.text().await.contains("Đã thực hiện: Chuyển bước tiếp theo"));
    assert_eq!(status_of(&app, &id).await["handover_pending"], true);
    browser.sign_out().await;
    assert_eq!(browser.path().await, "/sign-in");

    // The specialist finds it in their work, acknowledges, asks for a supplement.
    browser.sign_in("specialist", "demo").await;
    assert_eq!(browser.path().await, "/work");
    let work = browser.text().await;
    assert!(work.contains("000.00.01.H22-260302-0001"), "{work}");
    browser.shot("specialist-work").await;
    browser.click(&format!("a[href='/cases/{id}']")).await;
    browser.act("acknowledge-handover", &[]).await;
    browser.act("request-supplement", &[("reason", "Thiếu bản đồ địa chính"), ("documents", "Bản đồ địa chính")]).await;
    assert_eq!(status_of(&app, &id).await["status"], 5);
    browser.shot("case-supplement-requested").await;
    browser.sign_out().await;

    // The desk takes the supplement.
    browser.sign_in("reception", "demo").await;
    browser.goto(&format!("/cases/{id}")).await;
    browser.act("receive-supplement", &[("documents", "Bản đồ địa chính")]).await;
    assert_eq!(status_of(&app, &id).await["status"], 4);
    browser.sign_out().await;

    // Appraisal, submission.
    browser.sign_in("specialist", "demo").await;
    browser.goto(&format!("/cases/{id}")).await;
    browser.act("appraisal", &[("opinion", "Hồ sơ đủ điều kiện")]).await;
    browser.act("submit-for-approval", &[]).await;
    assert_eq!(status_of(&app, &id).await["awaiting_approval"], true);
    browser.sign_out().await;

    // Approval and result.
    browser.sign_in("approver", "demo").await;
    browser.goto(&format!("/cases/{id}")).await;
    browser.shot("approver-case").await;
    browser.act("approve", &[("note", "Đồng ý")]).await;
    browser.act("result", &[("summary", "Đã chỉnh lý biến động trên Giấy chứng nhận")]).await;
    assert_eq!(status_of(&app, &id).await["status"], 9);
    browser.sign_out().await;

    // The desk returns the result.
    browser.sign_in("reception", "demo").await;
    browser.goto(&format!("/cases/{id}")).await;
    browser.act("return", &[]).await;
    let case = status_of(&app, &id).await;
    assert_eq!(case["status"], 10);
    assert_eq!(case["version"], 10, "one event per click: {case}");
    let text = browser.text().await;
    assert!(text.contains("Đã trả kết quả"), "{text}");
    // Every step against its deadline on the page.
    for step in ["Tiếp nhận hồ sơ", "Thẩm định hồ sơ", "Phê duyệt, ký kết quả", "Trả kết quả"]
    {
        assert!(text.contains(step), "{step}: {text}");
    }
    assert!(text.contains("Trước hạn") || text.contains("Đúng hạn"), "{text}");
    browser.shot("case-returned").await;
    browser.close().await;
}

#[tokio::test]
async fn a_citizen_opens_the_lookup_from_the_receipts_link() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    // The receipt (form 01) carries the link its QR code encodes.
    let receipt = app.get(&reception, &format!("/api/v1/cases/{id}/forms/01?format=html")).await.text().await.unwrap();
    let start = receipt.find(&format!("{}/lookup?code=", app.address)).expect("the receipt prints the lookup link");
    let link: String = receipt[start..].chars().take_while(|c| !matches!(c, '"' | '<' | ' ')).collect();
    let link = link.replace("&amp;", "&");

    let browser = Browser::start(&app.address, shots("public_lookup")).await;
    browser.client.goto(&link).await.unwrap();
    let text = browser.text().await;
    assert!(text.contains("Hồ sơ 000.00.01.H22-260302-0001"), "{text}");
    assert!(text.contains("Được tiếp nhận"), "{text}");
    assert!(text.contains("16/03/2026 09:00"), "{text}");
    // No one's name on a public page.
    assert!(!text.contains("Nguyễn Văn An"), "{text}");
    browser.shot("lookup-found").await;

    // A wrong secret: the same answer as a wrong code.
    browser.goto("/lookup?code=000.00.01.H22-260302-0001&secret=WRONG123").await;
    let wrong_secret = browser.text().await;
    assert!(wrong_secret.contains("Không tìm thấy hồ sơ"), "{wrong_secret}");
    browser.goto("/lookup?code=000.00.01.H22-260302-0999&secret=WRONG123").await;
    assert!(browser.text().await.contains("Không tìm thấy hồ sơ"));
    browser.shot("lookup-not-found").await;

    // The kiosk asks by typing, in large type.
    browser.goto("/kiosk").await;
    let secret = link.split("secret=").nth(1).unwrap().to_owned();
    browser.fill("code", "000.00.01.H22-260302-0001").await;
    browser.fill("secret", &secret).await;
    browser.click("form[action='/kiosk'] button").await;
    assert!(browser.text().await.contains("Được tiếp nhận"));
    browser.shot("kiosk-found").await;

    // The kiosk gives a queue ticket at a touch, as the API's kiosk does.
    browser.goto(&format!("/kiosk?unit={}", onestop_tests::SERVICE_CENTRE)).await;
    browser.click("form[action='/kiosk/ticket'] button").await;
    let text = browser.text().await;
    let number = text.split("Số của bạn: ").nth(1).expect("a ticket").split_whitespace().next().unwrap().to_owned();
    let ticket =
        app.get_json("", &format!("/api/v1/units/{}/queue/tickets/{number}", onestop_tests::SERVICE_CENTRE)).await;
    assert_eq!(ticket["status"], "waiting", "{ticket}");
    // A button without the page's token takes nothing.
    let forged = app
        .http
        .post(app.url("/kiosk/ticket"))
        .form(&[("unit", onestop_tests::SERVICE_CENTRE), ("group", "A")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    browser.close().await;
}

/// Signs in over plain HTTP as a browser would: the visitor cookie and the
/// sign-in form's token, then the session cookie.
async fn session_of(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let http =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = http.get(app.url("/sign-in")).send().await.unwrap().text().await.unwrap();
    let token = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let signed = http
        .post(app.url("/sign-in"))
        .form(&[("csrf", token.as_str()), ("username", username), ("password", "demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let page = http.get(app.url("/work")).send().await.unwrap().text().await.unwrap();
    let token = page.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    (http, token)
}

#[tokio::test]
async fn a_form_posted_without_its_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    let (http, token) = session_of(&app, "reception").await;
    let transfer = app.url(&format!("/cases/{id}/transfer"));
    let fields = [("to_unit", onestop_tests::LAND_REGISTRY), ("version", "1")];

    // No token, a wrong token, a token from another session, and a post a
    // browser marks as coming from another site: all refused.
    let none = http.post(&transfer).form(&fields).send().await.unwrap();
    assert_eq!(none.status(), 403);
    let page = none.text().await.unwrap();
    assert!(page.contains("Biểu mẫu không hợp lệ"), "{page}");
    let wrong = http
        .post(&transfer)
        .form(&[fields[0], fields[1], ("csrf", "0123456789abcdef0123456789abcdef")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let (_, other_token) = session_of(&app, "reception").await;
    let other =
        http.post(&transfer).form(&[fields[0], fields[1], ("csrf", other_token.as_str())]).send().await.unwrap();
    assert_eq!(other.status(), 403);
    let cross = http
        .post(&transfer)
        .header("sec-fetch-site", "cross-site")
        .form(&[fields[0], fields[1], ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    let elsewhere = http
        .post(&transfer)
        .header("origin", "http://evil.example")
        .form(&[fields[0], fields[1], ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 403);
    assert_eq!(app.count_case_events(&id).await, 1, "nothing was appended");

    // With the page's token the same post goes through.
    let done = http.post(&transfer).form(&[fields[0], fields[1], ("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(app.count_case_events(&id).await, 2);

    // Signing out needs the token too, and then the session is over.
    let out = http.post(app.url("/sign-out")).form(&[("csrf", token.as_str())]).send().await.unwrap();
    assert_eq!(out.status(), 303);
    let after = http.get(app.url("/work")).send().await.unwrap();
    assert_eq!(after.status(), 303);
    assert!(after.headers()["location"].to_str().unwrap().starts_with("/sign-in?next="));
}

#[tokio::test]
async fn a_reception_officer_does_not_see_another_units_cases() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    app.create_user("commune.reception", "reception", COMMUNE_AN_BINH).await;

    let browser = Browser::start(&app.address, shots("other_unit")).await;
    browser.sign_in("commune.reception", "demo").await;
    browser.goto("/cases").await;
    let list = browser.text().await;
    assert!(!list.contains("000.00.01.H22-260302-0001"), "{list}");
    assert!(list.contains("Không có hồ sơ nào"), "{list}");
    browser.goto("/cases?q=000.00.01.H22-260302").await;
    assert!(!browser.text().await.contains("000.00.01.H22-260302-0001"));
    browser.goto("/work").await;
    assert!(!browser.text().await.contains("000.00.01.H22-260302-0001"));
    // Its page is "not found", as the API answers.
    browser.goto(&format!("/cases/{id}")).await;
    let page = browser.text().await;
    assert!(page.contains("Không tìm thấy"), "{page}");
    assert!(!page.contains("Nguyễn Văn An"));
    browser.shot("other-unit-not-found").await;

    // The service centre's officer sees it in both.
    browser.sign_out().await;
    browser.sign_in("reception", "demo").await;
    browser.goto("/cases").await;
    assert!(browser.text().await.contains("000.00.01.H22-260302-0001"));
    browser.close().await;
}

#[tokio::test]
async fn a_leader_sees_the_new_case_on_the_dashboard_and_downloads_bieu_06() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    app.receive_land_case(&reception).await;

    let browser = Browser::start(&app.address, shots("dashboard")).await;
    browser.sign_in("leader", "demo").await;
    assert_eq!(browser.path().await, "/dashboard");
    let text = browser.text().await;
    // Received on 2 March: in the official month of March (15 Feb – 14 Mar).
    assert!(text.contains("Tháng 3 năm 2026"), "{text}");
    let received = browser.find("ul.counts li:first-child strong").await.text().await.unwrap();
    assert_eq!(received, "1", "{text}");
    // The charts are drawn on the server, each with its figures beside it.
    assert_eq!(browser.find_all("figure.chart svg").await.len(), 2);
    assert!(text.contains("Sở Nông nghiệp và Môi trường") || text.contains("Trung tâm Phục vụ hành chính công tỉnh"));
    // Biểu 06 by field: land, one file received in person.
    let total_row = browser.find("#bieu06 ~ div table tbody tr:last-child").await.text().await.unwrap();
    assert!(total_row.starts_with("Tổng cộng"), "{total_row}");
    browser.shot("dashboard").await;

    // The downloads are the report's own bytes.
    let (http, _) = session_of(&app, "leader").await;
    let link = browser.find("a[href*='format=csv']").await.attr("href").await.unwrap().unwrap();
    let csv = http.get(app.url(&link)).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let leader = app.token("leader").await;
    let api = app
        .get(&leader, "/api/v1/stats/report?period=2026-03&unit=000.00.00.H22&group_by=field&format=csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv, api);
    let link = browser.find("a[href*='format=xlsx']").await.attr("href").await.unwrap().unwrap();
    let xlsx = http.get(app.url(&link)).send().await.unwrap();
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"), "a zip (XLSX) file");

    // A specialist does not read reports: the page says so, in their menu.
    browser.sign_out().await;
    browser.sign_in("specialist", "demo").await;
    browser.goto("/dashboard").await;
    let page = browser.text().await;
    assert!(page.contains("Không có quyền"), "{page}");
    browser.close().await;
}

#[tokio::test]
async fn an_administrator_publishes_a_new_version_of_a_procedure() {
    let app = TestApp::spawn().await;
    let browser = Browser::start(&app.address, shots("administration")).await;
    browser.sign_in("admin", "demo").await;
    assert_eq!(browser.path().await, "/admin/units");
    browser.shot("units").await;
    browser.goto("/admin/procedures").await;
    browser.shot("procedures").await;
    browser.click(&format!("a[href='/admin/procedures/{LAND_CHANGE}']")).await;
    // Twelve working days instead of ten, and a new document on the checklist.
    browser.fill("time_amount", "12").await;
    let documents = browser.find("#documents").await;
    documents.send_keys("\nSơ đồ thửa đất").await.unwrap();
    browser.shot("procedure-editor").await;
    browser.click("form[action='/admin/procedures/1.004227'] button[type=submit]").await;
    assert_eq!(browser.path().await, format!("/admin/procedures/{LAND_CHANGE}?published=2"));
    assert!(browser.text().await.contains("Đã ban hành phiên bản 2"));

    let admin = app.token("admin").await;
    let published = app.get_json(&admin, &format!("/api/v1/procedures/{LAND_CHANGE}")).await;
    assert_eq!(published["version"], 2);
    assert_eq!(published["processing_time"]["amount"], 12);
    let names: Vec<&str> =
        published["documents"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Sơ đồ thửa đất"), "{names:?}");
    assert_eq!(published["workflow"].as_array().unwrap().len(), 4, "the workflow is kept");

    // A version the rules refuse (no step left) is not published, and says why.
    browser.goto(&format!("/admin/procedures/{LAND_CHANGE}")).await;
    for i in 0..4 {
        browser.fill(&format!("step-name-{i}"), "").await;
    }
    browser.click("form[action='/admin/procedures/1.004227'] button[type=submit]").await;
    let page = browser.text().await;
    assert!(page.contains("Chưa ban hành"), "{page}");
    assert_eq!(app.get_json(&admin, &format!("/api/v1/procedures/{LAND_CHANGE}")).await["version"], 2);

    // Users and the calendar are there too.
    browser.goto("/admin/users").await;
    assert!(browser.text().await.contains("Nguyễn Thị Lan"));
    browser.shot("users").await;
    browser.goto("/admin/calendar?year=2026").await;
    let calendar = browser.text().await;
    assert!(calendar.contains("17/02/2026"), "Tết 2026: {calendar}");
    browser.shot("calendar").await;
    browser.close().await;
}

#[tokio::test]
async fn an_inspector_searches_the_audit_trail_and_verifies_a_case() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    let browser = Browser::start(&app.address, shots("inspector")).await;
    browser.sign_in("inspector", "demo").await;
    assert_eq!(browser.path().await, "/inspector");
    // By officer: the reception officer's receipt.
    let reception_id = app
        .get_json(&app.token("admin").await, "/api/v1/users")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "reception")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.goto(&format!("/inspector?officer={reception_id}&from=2026-03-01&to=2026-03-02")).await;
    let text = browser.text().await;
    assert!(text.contains("CaseReceived"), "{text}");
    assert!(text.contains("Nguyễn Thị Lan"), "{text}");
    assert!(browser.find(&format!("a[href='/cases/{id}']")).await.attr("href").await.unwrap().is_some());
    // Another period: nothing.
    browser.goto(&format!("/inspector?officer={reception_id}&from=2026-02-01&to=2026-02-28")).await;
    assert!(browser.text().await.contains("Không có thao tác nào"));
    // The case's chain, recomputed.
    browser.fill("verify", "000.00.01.H22-260302-0001").await;
    browser.click("form[aria-label='Kiểm tra tính toàn vẹn'] button").await;
    let text = browser.text().await;
    assert!(text.contains("chuỗi mã băm toàn vẹn, 1 sự kiện"), "{text}");
    browser.shot("verified").await;
    browser.close().await;
}

/// Every page's violations of the WCAG 2.1 A/AA rules axe-core checks, by page.
async fn audit_pages(browser: &Browser, pages: &[String], found: &mut Vec<String>) {
    for page in pages {
        browser.goto(page).await;
        for violation in browser.accessibility_violations().await {
            found.push(format!("{page}: {violation}"));
        }
    }
}

#[tokio::test]
async fn every_page_passes_the_accessibility_rules_and_works_with_the_keyboard() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    let browser = Browser::start(&app.address, shots("accessibility")).await;
    let mut found = Vec::new();

    let public =
        ["/sign-in".to_owned(), "/lookup".to_owned(), "/lookup?code=x&secret=y".to_owned(), "/kiosk".to_owned()];
    audit_pages(&browser, &public, &mut found).await;
    let pages = |role: &str| -> Vec<String> {
        match role {
            // The printed form first: it is a document, without the menu.
            "reception" => vec![
                format!("/cases/{id}/forms/01?format=html"),
                "/desk".into(),
                format!("/desk?find=dat&procedure={LAND_CHANGE}"),
                "/work".into(),
                "/cases".into(),
                format!("/cases/{id}"),
            ],
            "leader" => vec!["/dashboard".into(), "/dashboard?group_by=unit".into()],
            "inspector" => vec!["/inspector".into(), "/inspector?verify=000.00.01.H22-260302-0001".into()],
            _ => vec![
                "/admin/units".into(),
                "/admin/users".into(),
                "/admin/procedures".into(),
                format!("/admin/procedures/{LAND_CHANGE}"),
                "/admin/calendar".into(),
                "/no-such-page".into(),
            ],
        }
    };
    for role in ["reception", "leader", "inspector", "admin"] {
        browser.sign_in(role, "demo").await;
        audit_pages(&browser, &pages(role), &mut found).await;
        browser.sign_out().await;
    }
    assert!(found.is_empty(), "accessibility violations:\n{}", found.join("\n"));

    // The keyboard alone: sign in, then give a command from the case page.
    let enter = char::from(fantoccini::key::Key::Enter).to_string();
    let tab = char::from(fantoccini::key::Key::Tab).to_string();
    browser.goto("/sign-in").await;
    browser.press(&format!("reception{tab}demo")).await;
    browser.press_through(&enter).await;
    assert_eq!(browser.path().await, "/desk");
    browser.goto(&format!("/cases/{id}")).await;
    let button = browser.tab_to("Chuyển bước tiếp theo", 80).await;
    browser.shot("keyboard-focus").await;
    assert_eq!(button.tag_name().await.unwrap(), "summary", "the first stop is the action's disclosure");
    let button = browser.tab_to("Chuyển bước tiếp theo", 10).await;
    assert_eq!(button.tag_name().await.unwrap(), "button");
    let _ = button;
    browser.press_through(&enter).await;
    assert!(browser.path().await.ends_with("?done=transfer"), "{}", browser.path().await);
    assert_eq!(status_of(&app, &id).await["handover_pending"], true);
    browser.close().await;
}

#[tokio::test]
async fn on_a_phone_the_pages_fit_the_screen() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let id = app.receive_land_case(&reception).await;
    let browser = Browser::sized(&app.address, shots("phone"), 390, 844).await;
    browser.sign_in("reception", "demo").await;
    for (page, name) in
        [(format!("/cases/{id}"), "case"), ("/work".to_owned(), "work"), ("/lookup".to_owned(), "lookup")]
    {
        browser.goto(&page).await;
        // Nothing wider than the screen but tables, which scroll in their own box.
        let overflow = browser
            .client
            .execute("return document.documentElement.scrollWidth > document.documentElement.clientWidth;", vec![])
            .await
            .unwrap();
        assert_eq!(overflow, serde_json::Value::Bool(false), "{page} scrolls sideways");
        browser.shot(name).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn the_desk_calls_the_next_ticket_of_the_queue() {
    let app = TestApp::spawn().await;
    let taken = app
        .http
        .post(app.url(&format!("/api/v1/units/{}/queue/tickets", onestop_tests::SERVICE_CENTRE)))
        .json(&serde_json::json!({ "group": "A" }))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 201);
    let number = taken.json::<Value>().await.unwrap()["number"].as_str().unwrap().to_owned();

    let browser = Browser::start(&app.address, shots("queue")).await;
    browser.sign_in("reception", "demo").await;
    browser.click("form[action='/desk/queue/call'] button").await;
    let text = browser.text().await;
    assert!(text.contains(&format!("Mời số {number} đến quầy")), "{text}");
    browser.shot("called").await;
    let ticket =
        app.get_json("", &format!("/api/v1/units/{}/queue/tickets/{number}", onestop_tests::SERVICE_CENTRE)).await;
    assert_eq!((ticket["status"].as_str(), ticket["counter"].as_u64()), (Some("at_counter"), Some(1)), "{ticket}");
    // Nobody else waits: the next call says so, in words.
    browser.click("form[action='/desk/queue/call'] button").await;
    let text = browser.text().await;
    assert!(text.contains("Chưa gọi được số"), "{text}");
    // The hall's display is one link away.
    browser.click(&format!("a[href='/display/{}']", onestop_tests::SERVICE_CENTRE)).await;
    browser.shot("hall-display").await;
    browser.close().await;
}

#[tokio::test]
async fn the_desk_accepts_one_online_submission_and_refuses_another() {
    let app = TestApp::spawn().await;
    let reception = app.token("reception").await;
    let mut online = onestop_tests::land_case();
    online["channel"] = "online_partial".into();
    let first = app.post_json(&reception, "/api/v1/cases", &online).await["id"].as_str().unwrap().to_owned();
    let second = app.post_json(&reception, "/api/v1/cases", &online).await["id"].as_str().unwrap().to_owned();
    assert_eq!(status_of(&app, &first).await["status"], 1);

    let browser = Browser::start(&app.address, shots("online_submissions")).await;
    browser.sign_in("reception", "demo").await;
    assert_eq!(browser.find_all("#online ~ div a[href^='/cases/']").await.len(), 2, "both wait at the desk");
    browser.click(&format!("a[href='/cases/{first}']")).await;
    browser.act("accept", &[]).await;
    let accepted = status_of(&app, &first).await;
    assert_eq!(accepted["status"], 2);
    assert!(browser.text().await.contains(accepted["code"].as_str().unwrap()));

    browser.goto(&format!("/cases/{second}")).await;
    browser.act("refuse-at-reception", &[("reason", "Hồ sơ không đúng thủ tục")]).await;
    assert_eq!(status_of(&app, &second).await["status"], 3);
    browser.goto("/desk").await;
    assert!(browser.find_all("#online ~ div a[href^='/cases/']").await.is_empty(), "none waits any more");
    browser.close().await;
}
