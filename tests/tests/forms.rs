//! The desk's forms 01–07 as PDF and HTML, read back with the tools a person
//! would check them with: poppler's `pdftotext` and `pdftoppm`, and `zbarimg`
//! for the barcode and the QR code. Page images are kept under
//! `target/forms/` with the test output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::path::PathBuf;
use std::process::Command;

use jiff::SignedDuration;
use onestop_tests::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Where the rendered pages are kept.
fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/forms");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(program: &str, args: &[&str]) -> Vec<u8> {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot run ({e}): .ci/run installs poppler-utils and zbar-tools"));
    assert!(output.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// A PDF checked as a reader would: its text, its first page as an image
/// (not blank), and the codes on that page.
struct Checked {
    text: String,
    codes: Vec<String>,
}

fn check_pdf(name: &str, pdf: &[u8]) -> Checked {
    let dir = output_dir();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).unwrap();
    let path = path.to_str().unwrap();
    let text = String::from_utf8(run("pdftotext", &["-enc", "UTF-8", path, "-"])).unwrap();
    let png = dir.join(format!("{name}-page1"));
    run("pdftoppm", &["-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", path, png.to_str().unwrap()]);
    let png = format!("{}.png", png.to_str().unwrap());
    assert!(std::fs::metadata(&png).unwrap().len() > 1000, "{png} is empty");
    // Not blank: a grey-scale render has a fair share of dark pixels.
    let pgm = run("pdftoppm", &["-gray", "-r", "30", "-f", "1", "-l", "1", "-singlefile", path]);
    let pixels = pgm_pixels(&pgm);
    let dark = pixels.iter().filter(|p| **p < 128).count();
    assert!(dark * 200 > pixels.len(), "{name}: page 1 is blank ({dark} dark of {})", pixels.len());
    // zbarimg exits 4 when it finds no code: that is not a failure here.
    let scanned = Command::new("zbarimg").args(["-q", &png]).output().expect("zbarimg from zbar-tools");
    let codes = String::from_utf8(scanned.stdout).unwrap().lines().map(str::to_owned).collect();
    Checked { text, codes }
}

/// The pixels of a binary PGM (P5) image.
fn pgm_pixels(pgm: &[u8]) -> Vec<u8> {
    assert!(pgm.starts_with(b"P5"), "not a PGM image");
    // Header: magic, width, height, maximum, each after white space.
    let mut fields = 0;
    let mut index = 2;
    while fields < 3 {
        while pgm[index].is_ascii_whitespace() {
            index += 1;
        }
        while !pgm[index].is_ascii_whitespace() {
            index += 1;
        }
        fields += 1;
    }
    pgm[index + 1..].to_vec()
}

async fn form(app: &TestApp, token: &str, case: &str, number: &str, format: &str) -> reqwest::Response {
    app.http
        .get(app.url(&format!("/api/v1/cases/{case}/forms/{number}")))
        .query(&[("format", format)])
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn bytes(app: &TestApp, token: &str, case: &str, number: &str, format: &str) -> Vec<u8> {
    let response = form(app, token, case, number, format).await;
    let status = response.status();
    if status != 200 {
        panic!("form {number}: {status} {}", response.text().await.unwrap());
    }
    response.bytes().await.unwrap().to_vec()
}

fn apology_letter() -> Value {
    json!({
        "name": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        "media_type": "application/pdf",
        "size_bytes": 1024,
        "sha256": "ab".repeat(32),
        "storage_ref": "s3://motcua/apology.pdf"
    })
}

/// Asserts `text` holds every one of `expected`.
fn holds(form: &str, text: &str, expected: &[&str]) {
    // pdftotext may break a long line where the PDF wrapped it.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for piece in expected {
        assert!(flat.contains(piece), "form {form} lacks {piece:?}:\n{text}");
    }
}

#[tokio::test]
async fn every_form_prints_the_case_in_vietnamese_with_working_codes_and_the_same_bytes_twice() {
    let app = TestApp::spawn().await;
    let [reception, specialist, approver] = app.tokens(["reception", "specialist", "approver"]).await;
    let created = app.post_json(&reception, "/api/v1/cases", &land_case()).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let code = created["code"].as_str().unwrap().to_owned();
    let secret = created["lookup_secret"].as_str().unwrap().to_owned();
    let procedure = "Đăng ký biến động quyền sử dụng đất";
    let common = [code.as_str(), "Nguyễn Văn An", procedure, "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG TỈNH"];
    let nation = ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"];

    // 01: the receipt, with the due date and the codes.
    let receipt = bytes(&app, &reception, &id, "01", "pdf").await;
    let checked = check_pdf("form-01", &receipt);
    holds("01", &checked.text, &common);
    holds("01", &checked.text, &nation);
    holds(
        "01",
        &checked.text,
        &["ngày 02 tháng 3 năm 2026", "09 giờ 00 phút, ngày 02/03/2026", "09 giờ 00 phút, ngày 16/03/2026"],
    );
    holds("01", &checked.text, &["Đơn đăng ký biến động đất đai", "Giấy chứng nhận", "Nguyễn Thị Lan", &secret]);
    holds("01", &checked.text, &["Trung tâm Phục vụ hành chính công tỉnh", "10 ngày làm việc"]);
    assert!(checked.codes.contains(&format!("CODE-128:{code}")), "{:?}", checked.codes);
    let link = checked.codes.iter().find_map(|c| c.strip_prefix("QR-Code:")).expect("a QR code").to_owned();
    assert_eq!(link, format!("{}/lookup?code={code}&secret={secret}", app.address));
    let looked_up = app.http.get(&link).send().await.unwrap();
    assert_eq!(looked_up.status(), 200);
    // It opens the public lookup page filled in, showing the case.
    let page = looked_up.text().await.unwrap();
    assert!(page.contains(&format!("Hồ sơ {code}")) && page.contains("Được tiếp nhận"), "{page}");
    // Printed again: the very same bytes, and the digest says so.
    let again = form(&app, &reception, &id, "01", "pdf").await;
    let digest = again.headers()["repr-digest"].to_str().unwrap().to_owned();
    assert_eq!(again.headers()["content-type"], "application/pdf");
    let again = again.bytes().await.unwrap();
    assert_eq!(receipt, again.to_vec(), "two renders differ");
    use base64::Engine as _;
    let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&receipt));
    assert_eq!(digest, format!("sha-256=:{expected}:"));

    // The forms the case has not reached are refused, naming the rule.
    for (number, rule) in [
        ("02", "no supplement was requested"),
        ("03", "was not refused"),
        ("04", "deadline was not extended"),
        ("05", "was not stopped"),
    ] {
        let (status, body) = problem(form(&app, &reception, &id, number, "pdf").await).await;
        assert_eq!(status, 409, "form {number}");
        assert_eq!(body["rule"], "form_not_reached");
        assert!(body["detail"].as_str().unwrap().contains(rule), "{body}");
    }

    // Through a supplement, an extension and a stop.
    let act = |token: String, action: &'static str, body: Value| {
        let app = &app;
        let id = id.clone();
        async move { app.post_json(&token, &format!("/api/v1/cases/{id}/{action}"), &body).await }
    };
    app.clock.advance(SignedDuration::from_hours(1));
    act(reception.clone(), "transfer", json!({ "to_unit": LAND_REGISTRY })).await;
    act(specialist.clone(), "acknowledge-handover", json!({})).await;
    app.clock.advance(SignedDuration::from_hours(24));
    act(
        specialist.clone(),
        "request-supplement",
        json!({ "reason": "Thiếu bản đồ địa chính thửa đất", "documents": ["Trích lục bản đồ địa chính"] }),
    )
    .await;
    let version_at_supplement =
        app.get_json(&reception, &format!("/api/v1/cases/{id}")).await["version"].as_u64().unwrap();
    app.clock.advance(SignedDuration::from_hours(48));
    act(reception.clone(), "receive-supplement", json!({ "documents": ["Trích lục bản đồ địa chính"] })).await;
    act(
        approver.clone(),
        "extend",
        json!({
            "new_due_at": "2026-03-27T16:00:00+07:00",
            "reason": "Cần xác minh thực địa ranh giới thửa đất",
            "apology_letter": apology_letter()
        }),
    )
    .await;
    app.clock.advance(SignedDuration::from_hours(24));
    act(approver.clone(), "stop", json!({ "reason": "Thửa đất đang có tranh chấp được Tòa án thụ lý" })).await;

    let checked = check_pdf("form-02", &bytes(&app, &reception, &id, "02", "pdf").await);
    holds("02", &checked.text, &common);
    holds("02", &checked.text, &["Trích lục bản đồ địa chính", "Thiếu bản đồ địa chính thửa đất", "Trần Văn Minh"]);
    holds("02", &checked.text, &["ngày 03 tháng 3 năm 2026", "02/03/2026"]);
    let checked = check_pdf("form-04", &bytes(&app, &reception, &id, "04", "pdf").await);
    holds("04", &checked.text, &common);
    holds("04", &checked.text, &["Cần xác minh thực địa", "16 giờ 00 phút, ngày 27/03/2026", "xin lỗi ông/bà"]);
    holds("04", &checked.text, &["09 giờ 00 phút, ngày 18/03/2026"]);
    let checked = check_pdf("form-05", &bytes(&app, &reception, &id, "05", "pdf").await);
    holds("05", &checked.text, &common);
    holds("05", &checked.text, &["Thửa đất đang có tranh chấp", "ngày 06 tháng 3 năm 2026", "Lê Quang Huy"]);
    let checked = check_pdf("form-06", &bytes(&app, &reception, &id, "06", "pdf").await);
    holds("06", &checked.text, &common);
    holds("06", &checked.text, &["Văn phòng Đăng ký đất đai", "Trần Văn Minh", "Tiếp nhận", "Thẩm định"]);

    // A form as the case was at an earlier version: the supplement request
    // printed then and now is one document.
    let at_version = |number: &'static str, version: u64| {
        let path = format!("/api/v1/cases/{id}/forms/{number}?format=pdf&version={version}");
        let request = app.http.get(app.url(&path)).bearer_auth(&reception);
        async move { request.send().await.unwrap().bytes().await.unwrap().to_vec() }
    };
    assert_eq!(at_version("02", version_at_supplement).await, bytes(&app, &reception, &id, "02", "pdf").await);
    // The receipt printed at version 1, after all that, is still the receipt.
    let first = at_version("01", 1).await;
    assert_eq!(first, receipt);

    // 03 on a case refused as not eligible.
    let other = app.post_json(&reception, "/api/v1/cases", &land_case()).await;
    let other_code = other["code"].as_str().unwrap().to_owned();
    let other = other["id"].as_str().unwrap().to_owned();
    app.post_json(&reception, &format!("/api/v1/cases/{other}/transfer"), &json!({ "to_unit": LAND_REGISTRY })).await;
    app.post_json(
        &approver,
        &format!("/api/v1/cases/{other}/refuse"),
        &json!({ "reason": "Thửa đất không thuộc địa bàn của tỉnh" }),
    )
    .await;
    let checked = check_pdf("form-03", &bytes(&app, &reception, &other, "03", "pdf").await);
    holds("03", &checked.text, &["Nguyễn Văn An", procedure, "Thửa đất không thuộc địa bàn của tỉnh"]);
    holds("03", &checked.text, &nation);

    // 07: the register of the day.
    let register = app
        .http
        .get(app.url(&format!("/api/v1/units/{SERVICE_CENTRE}/register")))
        .query(&[("from", "2026-03-01"), ("to", "2026-03-31")])
        .header("Accept", "application/pdf")
        .bearer_auth(&reception)
        .send()
        .await
        .unwrap();
    assert_eq!(register.status(), 200);
    let register = register.bytes().await.unwrap().to_vec();
    let checked = check_pdf("form-07", &register);
    holds("07", &checked.text, &common);
    holds("07", &checked.text, &["SỔ THEO DÕI HỒ SƠ", "Từ ngày 01/03/2026 đến ngày 31/03/2026", "Dừng xử lý"]);
    holds("07", &checked.text, &[&code, &other_code, "Đã xử lý xong"]);

    // HTML: the same words, escaped, with the codes drawn inline.
    for number in ["01", "02", "03", "04", "05", "06"] {
        let case = if number == "03" { &other } else { &id };
        let html = String::from_utf8(bytes(&app, &reception, case, number, "html").await).unwrap();
        assert!(html.starts_with("<!DOCTYPE html><html lang=\"vi\">"), "{number}");
        for piece in ["Nguyễn Văn An", procedure, "Độc lập - Tự do - Hạnh phúc"] {
            assert!(html.contains(piece), "HTML form {number} lacks {piece:?}");
        }
        assert_eq!(html, String::from_utf8(bytes(&app, &reception, case, number, "html").await).unwrap());
    }
    let receipt_html = String::from_utf8(bytes(&app, &reception, &id, "01", "html").await).unwrap();
    assert!(receipt_html.contains(&format!("aria-label=\"Mã vạch {code}\"")));
    assert!(receipt_html.contains("aria-label=\"Mã QR tra cứu hồ sơ\""));
}

#[tokio::test]
async fn issuing_a_form_records_its_hash_in_the_history_and_the_hash_is_the_documents() {
    let (app, reception, id) = TestApp::with_case("reception").await;
    let issue = |key: &'static str| {
        app.http
            .post(app.url(&format!("/api/v1/cases/{id}/forms/01/issue?format=pdf")))
            .bearer_auth(&reception)
            .header("Idempotency-Key", key)
            .send()
    };
    let issued: Value = issue("in-quay-1").await.unwrap().json().await.unwrap();
    assert_eq!(issued["form"], "01");
    assert_eq!(issued["of_version"], 1);
    assert_eq!(issued["version"], 2);
    // A retry answers the same and records nothing more.
    let retried: Value = issue("in-quay-1").await.unwrap().json().await.unwrap();
    assert_eq!(retried, issued);
    assert_eq!(app.count_case_events(&id).await, 2);

    let href = issued["href"].as_str().unwrap();
    let document = app.get(&reception, href).await.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&document)), issued["sha256"].as_str().unwrap());
    let inspector = app.token("inspector").await;
    let history = app.get_json(&inspector, &format!("/api/v1/cases/{id}/history")).await;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event_type"], "FormIssued");
    assert!(last["action"].as_str().unwrap().contains(issued["sha256"].as_str().unwrap()), "{last}");
    assert!(last["action"].as_str().unwrap().contains("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"));
    assert_eq!(last["actor_name"], "Nguyễn Thị Lan");

    // Issuing a form the case never reached records nothing.
    let refused = app.post(&reception, &format!("/api/v1/cases/{id}/forms/05/issue"), &json!({})).await;
    let (status, body) = problem(refused).await;
    assert_eq!((status, body["rule"].as_str()), (409, Some("form_not_reached")));
    assert_eq!(app.count_case_events(&id).await, 2);
}

#[tokio::test]
async fn bad_form_requests_get_clear_problems_and_change_nothing() {
    let (app, reception, id) = TestApp::with_case("reception").await;
    app.create_user("reception.anbinh", "reception", COMMUNE_AN_BINH).await;
    let commune = app.token("reception.anbinh").await;
    for number in ["00", "08", "1a", "001"] {
        let (status, body) = problem(app.get(&reception, &format!("/api/v1/cases/{id}/forms/{number}")).await).await;
        assert_eq!(status, 404, "{number}: {body}");
    }
    let (status, body) = problem(app.get(&reception, &format!("/api/v1/cases/{id}/forms/07")).await).await;
    assert_eq!(status, 404);
    assert!(body["detail"].as_str().unwrap().contains("/register"), "{body}");
    // Neither PDF nor HTML accepted: 406; an unknown format: 400.
    let receipt = format!("/api/v1/cases/{id}/forms/01");
    let accepting =
        |accept: &'static str| app.http.get(app.url(&receipt)).header("Accept", accept).bearer_auth(&reception).send();
    assert_eq!(problem(accepting("image/png").await.unwrap()).await.0, 406);
    let html = accepting("application/pdf;q=0.5, text/html").await.unwrap();
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    let (status, _) = problem(app.get(&reception, &format!("/api/v1/cases/{id}/forms/01?format=docx")).await).await;
    assert_eq!(status, 400);
    let (status, body) = problem(app.get(&reception, &format!("/api/v1/cases/{id}/forms/01?version=9")).await).await;
    assert_eq!(status, 404, "{body}");
    // Another unit's officer learns nothing of the case, nor reads the register.
    let (status, _) = problem(app.get(&commune, &format!("/api/v1/cases/{id}/forms/01")).await).await;
    assert_eq!(status, 404);
    let (status, _) = problem(app.get(&commune, &format!("/api/v1/units/{SERVICE_CENTRE}/register")).await).await;
    assert_eq!(status, 403);
    let (status, _) = problem(
        app.get(&reception, &format!("/api/v1/units/{SERVICE_CENTRE}/register?from=2026-03-05&to=2026-03-01")).await,
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = problem(app.get(&reception, "/api/v1/units/999.99.99.X99/register").await).await;
    assert_eq!(status, 404);
    assert_eq!(app.count_case_events(&id).await, 1);
}
