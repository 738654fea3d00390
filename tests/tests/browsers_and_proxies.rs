//! What browsers and reverse proxies need (DESIGN §5): CORS for configured
//! origins only, compressed answers, entity tags and 304 on catalog reads,
//! HEAD on every GET, and client addresses from forwarding headers only when a
//! trusted proxy sent them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::io::Read as _;

use onestop_tests::*;
use serde_json::json;

const ALLOWED: &str = "https://motcua.example.gov.vn";

async fn with_origins() -> TestApp {
    TestApp::spawn_custom(true, |settings| {
        settings.edge.cors_origins = vec![ALLOWED.to_owned()];
    })
    .await
}

#[tokio::test]
async fn a_preflight_from_an_allowed_origin_succeeds_and_another_origin_gets_no_cors_headers() {
    let app = with_origins().await;
    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/cases"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type, idempotency-key")
            .send()
    };
    let allowed = preflight(ALLOWED).await.unwrap();
    assert_eq!(allowed.status(), 204);
    let headers = allowed.headers();
    assert_eq!(headers["access-control-allow-origin"], ALLOWED);
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST") && methods.contains("GET"), "{methods}");
    let asked = headers["access-control-allow-headers"].to_str().unwrap();
    for header in ["authorization", "content-type", "idempotency-key", "if-match"] {
        assert!(asked.contains(header), "{header} in {asked}");
    }
    assert!(headers.contains_key("access-control-max-age"));

    let other = preflight("https://evil.example.com").await.unwrap();
    assert!(!other.headers().keys().any(|name| name.as_str().starts_with("access-control-")), "{:?}", other.headers());
    assert!(!other.status().is_success());

    // The actual request: the allowed origin may read the answer and its tags.
    let token = app.token("reception").await;
    let answer =
        app.http.get(app.url("/api/v1/units")).bearer_auth(&token).header("Origin", ALLOWED).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["access-control-allow-origin"], ALLOWED);
    assert!(answer.headers()["access-control-expose-headers"].to_str().unwrap().contains("etag"));
    let foreign = app
        .http
        .get(app.url("/api/v1/units"))
        .bearer_auth(&token)
        .header("Origin", "https://evil.example.com")
        .send()
        .await
        .unwrap();
    // Served (a same-origin page sends Origin too), but not to a foreign page.
    assert_eq!(foreign.status(), 200);
    assert!(!foreign.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn with_origins_configured_every_answer_varies_by_origin() {
    // A cache must not serve an answer made for one origin (or none) to another.
    let app = with_origins().await;
    let token = app.token("reception").await;
    let plain = app.get(&token, "/api/v1/units").await;
    assert!(
        plain.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().contains("Origin")),
        "{:?}",
        plain.headers()
    );
}

#[tokio::test]
async fn without_configured_origins_no_answer_carries_cors_headers() {
    let app = TestApp::spawn().await;
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/units"))
        .header("Origin", ALLOWED)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(!preflight.headers().contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn answers_are_compressed_as_asked_and_decode_to_the_plain_answer() {
    let app = TestApp::spawn().await;
    let token = app.token("reception").await;
    // reqwest here decodes nothing itself: the bytes are as the server sent them.
    let fetch = |encoding: &'static str| {
        app.http.get(app.url("/api/v1/procedures")).bearer_auth(&token).header("Accept-Encoding", encoding).send()
    };
    let plain = fetch("identity").await.unwrap();
    assert!(!plain.headers().contains_key("content-encoding"));
    let plain = plain.bytes().await.unwrap();
    assert!(plain.len() > 10_000, "the catalog is worth compressing");

    let gzip = fetch("gzip").await.unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let gzip = gzip.bytes().await.unwrap();
    assert!(gzip.len() * 3 < plain.len(), "{} of {}", gzip.len(), plain.len());
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gzip[..]).read_to_end(&mut decoded).unwrap();
    assert_eq!(decoded, plain);

    let br = fetch("br").await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    let br = br.bytes().await.unwrap();
    let mut decoded = Vec::new();
    brotli::Decompressor::new(&br[..], 4096).read_to_end(&mut decoded).unwrap();
    assert_eq!(decoded, plain);
}

#[tokio::test]
async fn catalog_reads_carry_entity_tags_and_answer_304_until_the_catalog_changes() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    for path in [
        "/api/v1/units",
        &format!("/api/v1/units/{LAND_REGISTRY}"),
        "/api/v1/procedures",
        &format!("/api/v1/procedures/{LAND_CHANGE}"),
        "/api/v1/calendar/2026",
        "/api/v1/users",
        "/api/v1/holiday-rules",
    ] {
        let first = app.get(&admin, path).await;
        assert_eq!(first.status(), 200, "{path}");
        let tag = first.headers()["etag"].to_str().unwrap().to_owned();
        assert!(tag.starts_with("W/\""), "{path}: {tag}");
        let again = app.http.get(app.url(path)).bearer_auth(&admin).header("If-None-Match", &tag).send().await.unwrap();
        assert_eq!(again.status(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
        assert!(again.bytes().await.unwrap().is_empty());
        let stale =
            app.http.get(app.url(path)).bearer_auth(&admin).header("If-None-Match", "W/\"00\"").send().await.unwrap();
        assert_eq!(stale.status(), 200, "{path}");
    }

    // A change to the catalog changes the tag.
    let before = app.get(&admin, "/api/v1/units").await;
    let tag = before.headers()["etag"].to_str().unwrap().to_owned();
    let mut unit = app.get_json(&admin, &format!("/api/v1/units/{COMMUNE_AN_BINH}")).await;
    unit["name"] = json!("UBND xã An Bình (mới)");
    let changed = app.put(&admin, &format!("/api/v1/units/{COMMUNE_AN_BINH}"), &unit).await;
    assert_eq!(changed.status(), 200);
    let mut fresh = None;
    for _ in 0..100 {
        let answer = app
            .http
            .get(app.url("/api/v1/units"))
            .bearer_auth(&admin)
            .header("If-None-Match", &tag)
            .send()
            .await
            .unwrap();
        if answer.status() == 200 {
            fresh = Some(answer);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let fresh = fresh.expect("the changed catalog is served with a new tag");
    assert_ne!(fresh.headers()["etag"].to_str().unwrap(), tag);
}

#[tokio::test]
async fn head_answers_every_get_with_its_headers_and_no_body() {
    let (app, reception, id) = TestApp::with_case("reception").await;
    for path in
        ["/healthz".to_owned(), "/api/v1/units".to_owned(), format!("/api/v1/cases/{id}"), "/api/v1/cases".to_owned()]
    {
        let get = app.get(&reception, &path).await;
        assert_eq!(get.status(), 200, "{path}");
        let get_headers = get.headers().clone();
        let body = get.bytes().await.unwrap();
        let head = app.http.head(app.url(&path)).bearer_auth(&reception).send().await.unwrap();
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(head.headers().get("content-type"), get_headers.get("content-type"), "{path}");
        let length = head.headers().get("content-length");
        assert_eq!(length.map(|l| l.to_str().unwrap().to_owned()), Some(body.len().to_string()), "{path}");
        assert_eq!(head.headers().get("etag"), get_headers.get("etag"), "{path}");
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    // A path that takes no GET lists HEAD only where GET is.
    let wrong = app.http.delete(app.url("/api/v1/units")).bearer_auth(&reception).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
    let allow = wrong.headers()["allow"].to_str().unwrap();
    assert!(allow.contains("HEAD") && allow.contains("GET"), "{allow}");
}

/// Looks up a case from `forwarded` (as `X-Forwarded-For`) until refused;
/// how many answers came before the 429.
async fn lookups_until_refused(app: &TestApp, forwarded: &str) -> usize {
    for n in 0..40 {
        let answer = app
            .http
            .get(app.url("/api/v1/public/lookup?code=000.00.01.H22-260302-0001&secret=x"))
            .header("X-Forwarded-For", forwarded)
            .send()
            .await
            .unwrap();
        match answer.status().as_u16() {
            404 => {}
            429 => {
                assert!(answer.headers().contains_key("retry-after"));
                return n;
            }
            other => panic!("lookup answered {other}"),
        }
    }
    40
}

#[tokio::test]
async fn the_public_lookup_limit_keys_on_the_forwarded_client_only_behind_a_trusted_proxy() {
    // Behind a trusted proxy (the test connects from 127.0.0.1): each citizen
    // has their own allowance.
    let proxied = TestApp::spawn_custom(true, |settings| {
        settings.edge.trusted_proxies = vec!["127.0.0.0/8".parse().unwrap()];
    })
    .await;
    assert_eq!(lookups_until_refused(&proxied, "203.0.113.1").await, 20);
    assert_eq!(lookups_until_refused(&proxied, "203.0.113.2").await, 20);
    // A client cannot dodge it by prepending addresses: the proxy appends the
    // one it saw, and that is the one counted.
    assert_eq!(lookups_until_refused(&proxied, "198.51.100.9, 203.0.113.1").await, 0);

    // Without trusted proxies the header is anyone's to forge and changes nothing.
    let direct = TestApp::spawn().await;
    assert_eq!(lookups_until_refused(&direct, "203.0.113.1").await, 20);
    assert_eq!(lookups_until_refused(&direct, "203.0.113.2").await, 0);
}
