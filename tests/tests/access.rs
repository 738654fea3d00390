//! Who may do what, where: every authenticated endpoint tried by every role,
//! granted the unit the resource belongs to ("own"), a unit beside it ("other")
//! or the unit above it ("parent"), against the policy written out below; and
//! bad tokens refused everywhere.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::sync::atomic::{AtomicUsize, Ordering};

use onestop_api::demo::FINANCE;
use onestop_tests::*;
use serde_json::{Value, json};

/// The unit every resource in the matrix belongs to, one beside it, one above.
const OWN: &str = SERVICE_CENTRE;
const OTHER: &str = FINANCE;
const PARENT: &str = PROVINCE;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Own,
    Other,
    Parent,
}

impl Scope {
    const ALL: [Scope; 3] = [Scope::Own, Scope::Other, Scope::Parent];

    fn unit(self) -> &'static str {
        match self {
            Scope::Own => OWN,
            Scope::Other => OTHER,
            Scope::Parent => PARENT,
        }
    }
}

const ROLES: [&str; 8] =
    ["reception", "specialist", "approver", "leader", "inspector", "statistician", "admin", "feed"];

/// Roles that may read a case: every one but the feed client (the last).
const READERS: &[&str] = ROLES.split_at(7).0;

/// Roles whose grant covers the subtree below the granted unit: those who
/// oversee, and the machine client of an integration platform.
fn oversees(role: &str) -> bool {
    matches!(role, "leader" | "inspector" | "statistician" | "admin" | "feed")
}

/// The policy of a unit-scoped endpoint: one of `roles`, granted the unit or,
/// overseeing, a unit above it.
fn scoped(roles: &'static [&'static str]) -> impl Fn(&str, Scope) -> bool {
    move |role, scope| {
        roles.contains(&role)
            && match scope {
                Scope::Own => true,
                Scope::Parent => oversees(role),
                Scope::Other => false,
            }
    }
}

/// Province-wide actions: an administrator granted the province (the root).
fn province_admin(role: &str, scope: Scope) -> bool {
    role == "admin" && scope == Scope::Parent
}

fn anyone(_: &str, _: Scope) -> bool {
    true
}

/// How a refusal looks.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// 403.
    Forbidden,
    /// 404: the resource is not shown to whoever may not read it.
    Hidden,
    /// 403 for a role that may never, 404 for a role that may but not here.
    ForbiddenThenHidden(&'static [&'static str]),
}

/// Whether a role, granted a unit in some scope, may call an endpoint.
type Policy = Box<dyn Fn(&str, Scope) -> bool>;

struct Endpoint {
    method: &'static str,
    path: String,
    /// The body of the n-th call (creations need fresh names).
    body: Box<dyn Fn(usize) -> Option<Value>>,
    allowed: Policy,
    /// The status when allowed.
    ok: u16,
    refusal: Refusal,
}

fn endpoint(
    method: &'static str,
    path: impl Into<String>,
    body: Option<Value>,
    allowed: impl Fn(&str, Scope) -> bool + 'static,
    ok: u16,
    refusal: Refusal,
) -> Endpoint {
    Endpoint {
        method,
        path: path.into(),
        body: Box::new(move |_| body.clone()),
        allowed: Box::new(allowed),
        ok,
        refusal,
    }
}

/// A GET answering 200 when allowed.
fn read(path: impl Into<String>, allowed: impl Fn(&str, Scope) -> bool + 'static, refusal: Refusal) -> Endpoint {
    endpoint("GET", path, None, allowed, 200, refusal)
}

fn document() -> Value {
    json!({
        "name": "Phiếu xin lỗi", "media_type": "application/pdf", "size_bytes": 1024,
        "sha256": "ab".repeat(32), "storage_ref": "s3://onestop/phieu.pdf"
    })
}

/// Every case command, with a body that passes validation, and the roles the
/// domain lets act (decide.rs). On a withdrawn file every allowed command is a
/// 409 (the file is closed) but a comment, which is always possible.
fn case_commands(case: &str) -> Vec<Endpoint> {
    let reason = json!({ "reason": "Lý do" });
    let commands: [(&str, Value, &'static [&'static str]); 23] = [
        ("accept", json!({}), &["reception"]),
        ("refuse-at-reception", reason.clone(), &["reception"]),
        ("transfer", json!({ "to_unit": LAND_REGISTRY }), &["reception", "specialist", "approver"]),
        ("acknowledge-handover", json!({}), &["reception", "specialist", "approver"]),
        ("appraisal", json!({ "opinion": "Đủ điều kiện", "proposal": "grant" }), &["specialist"]),
        ("request-supplement", reason.clone(), &["reception", "specialist"]),
        ("receive-supplement", json!({ "documents": ["Bản sao"] }), &["reception", "specialist"]),
        ("request-payment", json!({ "amount_vnd": 50000, "description": "Lệ phí" }), &["reception", "specialist"]),
        ("record-payment", json!({ "amount_vnd": 50000, "receipt": "BL-1" }), &["reception", "specialist"]),
        ("submit-for-approval", json!({}), &["specialist"]),
        ("approve", json!({}), &["approver"]),
        ("send-back", reason.clone(), &["approver"]),
        (
            "extend",
            json!({ "new_due_at": "2026-04-30T17:00:00+07:00", "reason": "Chờ xác minh",
                    "apology_letter": document() }),
            &["approver", "leader"],
        ),
        ("pause", reason.clone(), &["specialist", "approver"]),
        ("resume", json!({}), &["specialist", "approver"]),
        ("refuse", reason.clone(), &["approver"]),
        ("withdraw", reason.clone(), &["reception"]),
        ("stop", reason.clone(), &["approver", "leader"]),
        ("result", json!({ "summary": "Đã cấp" }), &["specialist", "approver"]),
        ("return", json!({ "method": "at_desk" }), &["reception"]),
        ("comments", json!({ "text": "Ghi chú" }), &["reception", "specialist", "approver", "leader"]),
        ("rating", json!({ "score": 5 }), &["reception", "feed"]),
        ("documents", json!({ "document": document() }), &["reception", "specialist", "approver"]),
    ];
    commands
        .into_iter()
        .map(|(action, body, roles)| {
            let ok = if action == "comments" { 200 } else { 409 };
            endpoint(
                "POST",
                format!("/api/v1/cases/{case}/{action}"),
                Some(body),
                scoped(roles),
                ok,
                Refusal::Forbidden,
            )
        })
        .collect()
}

/// What the matrix acts on, made by the demo's own officers.
struct World {
    /// A file received at `OWN` and withdrawn: closed, so no command changes it.
    case: String,
    code: String,
    /// An applicant to erase (of another file).
    applicant: String,
    /// An account granted `OWN`, for the account endpoints.
    account: Value,
    /// The land procedure, to publish variants of.
    procedure: Value,
}

async fn world(app: &TestApp) -> World {
    let [reception, admin] = app.tokens(["reception", "admin"]).await;
    let case = app.receive_land_case(&reception).await;
    app.post_json(&reception, &format!("/api/v1/cases/{case}/withdraw"), &json!({ "reason": "Công dân rút hồ sơ" }))
        .await;
    let view = app.get_json(&reception, &format!("/api/v1/cases/{case}")).await;
    let other = app.receive_land_case(&reception).await;
    let applicant = app.applicant_of(&other).await;
    let account = app.create_user("target.account", "specialist", OWN).await;
    let procedure = app.get_json(&admin, &format!("/api/v1/procedures/{LAND_CHANGE}")).await;
    World { case, code: view["code"].as_str().unwrap().to_owned(), applicant, account, procedure }
}

fn endpoints(world: &World) -> Vec<Endpoint> {
    let case = &world.case;
    let auditors: &'static [&'static str] = &["inspector", "leader", "admin"];
    let readers = READERS;
    let mut all = vec![
        read(format!("/api/v1/cases/{case}"), scoped(readers), Refusal::Hidden),
        read(format!("/api/v1/cases/by-code/{}", world.code), scoped(readers), Refusal::Hidden),
        read(
            "/api/v1/stats/report?from=2026-03-01&to=2026-03-31&unit=".to_owned() + OWN,
            scoped(&["statistician", "leader", "inspector", "admin"]),
            Refusal::Forbidden,
        ),
        read("/api/v1/feed", |role: &str, scope| role == "feed" || province_admin(role, scope), Refusal::Forbidden),
        read("/api/v1/units", anyone, Refusal::Forbidden),
        read(format!("/api/v1/units/{OWN}"), anyone, Refusal::Forbidden),
        read("/api/v1/procedures", anyone, Refusal::Forbidden),
        read(format!("/api/v1/procedures/{LAND_CHANGE}"), anyone, Refusal::Forbidden),
        read("/api/v1/calendar/2026", anyone, Refusal::Forbidden),
        read("/api/v1/users", |role: &str, _| role == "admin", Refusal::Forbidden),
        endpoint(
            "PUT",
            format!("/api/v1/units/{OWN}"),
            Some(json!({ "code": OWN, "name": "Trung tâm Phục vụ hành chính công tỉnh",
                         "parent": PROVINCE })),
            scoped(&["admin"]),
            200,
            Refusal::Forbidden,
        ),
        endpoint("PUT", "/api/v1/calendar/2027", Some(json!({})), province_admin, 200, Refusal::Forbidden),
        endpoint(
            "PUT",
            format!("/api/v1/users/{}", world.account["id"].as_str().unwrap()),
            Some(json!({ "username": "target.account", "full_name": "Trần Thị Bích",
                         "role": "specialist", "units": [OWN], "active": true })),
            scoped(&["admin"]),
            200,
            Refusal::Forbidden,
        ),
        endpoint(
            "POST",
            format!("/api/v1/users/{}/password", world.account["id"].as_str().unwrap()),
            Some(json!({ "password": "demo" })),
            scoped(&["admin"]),
            204,
            Refusal::Forbidden,
        ),
        endpoint(
            "POST",
            format!("/api/v1/applicants/{}/erase", world.applicant),
            Some(json!({})),
            province_admin,
            204,
            Refusal::Forbidden,
        ),
    ];
    // History and control slip: whoever reads the case; raw events and
    // verification: auditors.
    for view in ["history", "control-slip"] {
        all.push(read(format!("/api/v1/cases/{case}/{view}"), scoped(readers), Refusal::Hidden));
    }
    for view in ["events", "verify"] {
        all.push(read(
            format!("/api/v1/cases/{case}/{view}"),
            scoped(auditors),
            Refusal::ForbiddenThenHidden(auditors),
        ));
    }
    // Creations: a fresh name each call.
    let counter = std::sync::Arc::new(AtomicUsize::new(0));
    let next = move || counter.fetch_add(1, Ordering::SeqCst);
    let fresh = next.clone();
    all.push(Endpoint {
        method: "POST",
        path: "/api/v1/units".into(),
        body: Box::new(move |_| {
            Some(json!({ "code": format!("000.01.{:02}.H22", fresh() + 1),
                         "name": "Quầy tiếp nhận", "parent": OWN }))
        }),
        allowed: Box::new(scoped(&["admin"])),
        ok: 201,
        refusal: Refusal::Forbidden,
    });
    let fresh = next.clone();
    all.push(Endpoint {
        method: "POST",
        path: "/api/v1/users".into(),
        body: Box::new(move |_| {
            Some(json!({ "username": format!("new.account.{}", fresh()),
                         "full_name": "Lý Văn Cường", "role": "reception",
                         "units": [OWN], "password": "demo" }))
        }),
        allowed: Box::new(scoped(&["admin"])),
        ok: 201,
        refusal: Refusal::Forbidden,
    });
    let fresh = next.clone();
    let procedure = world.procedure.clone();
    all.push(Endpoint {
        method: "POST",
        path: "/api/v1/procedures".into(),
        body: Box::new(move |_| {
            let mut variant = procedure.clone();
            variant["code"] = json!(format!("9.{:06}", fresh() + 1));
            variant["handling_units"] = json!([OWN]);
            Some(variant)
        }),
        allowed: Box::new(scoped(&["admin"])),
        ok: 201,
        refusal: Refusal::Forbidden,
    });
    all.push(endpoint("POST", "/api/v1/cases", Some(land_case()), scoped(&["reception"]), 201, Refusal::Forbidden));
    all.extend(case_commands(case));
    all
}

async fn send(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    let request = match method {
        "GET" => app.http.get(app.url(path)),
        "PUT" => app.http.put(app.url(path)),
        _ => app.http.post(app.url(path)),
    };
    let request = request.bearer_auth(token);
    match body {
        Some(body) => request.json(&body),
        None => request,
    }
    .send()
    .await
    .unwrap()
}

/// Accounts for every role and scope, named `<role>.<scope>`; their tokens.
async fn officers(app: &TestApp) -> Vec<(&'static str, Scope, String)> {
    let mut officers = Vec::new();
    for role in ROLES {
        for scope in Scope::ALL {
            let username = format!("{role}.{scope:?}").to_lowercase();
            app.create_user(&username, role, scope.unit()).await;
            officers.push((role, scope, app.token(&username).await));
        }
    }
    officers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_in_every_scope_reaches_exactly_what_the_policy_allows() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let officers = officers(&app).await;
    let endpoints = endpoints(&world);
    let mut calls = 0;
    let mut wrong = Vec::new();
    for endpoint in &endpoints {
        for (role, scope, token) in &officers {
            let body = (endpoint.body)(calls);
            calls += 1;
            let response = send(&app, token, endpoint.method, &endpoint.path, body).await;
            let status = response.status().as_u16();
            let allowed = (endpoint.allowed)(role, *scope);
            let expected = if allowed {
                endpoint.ok
            } else {
                match endpoint.refusal {
                    Refusal::Forbidden => 403,
                    Refusal::Hidden => 404,
                    Refusal::ForbiddenThenHidden(roles) if roles.contains(role) => 404,
                    Refusal::ForbiddenThenHidden(_) => 403,
                }
            };
            if status != expected {
                let text = response.text().await.unwrap_or_default();
                wrong.push(format!(
                    "{} {} as {role} ({scope:?}): {status}, expected {expected}: {text}",
                    endpoint.method, endpoint.path
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {calls} calls:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(calls, endpoints.len() * ROLES.len() * Scope::ALL.len());

    // Lists never refuse; they show what the grant reaches.
    for (role, scope, token) in &officers {
        let page = app.get_json(token, &format!("/api/v1/cases?unit={OWN}&limit=200")).await;
        let listed = page["items"].as_array().unwrap().iter().any(|c| c["id"] == world.case.as_str());
        let readers = scoped(READERS);
        assert_eq!(listed, readers(role, *scope), "GET /cases as {role} ({scope:?})");

        let audit = send(&app, token, "GET", &format!("/api/v1/audit?unit={OWN}"), None).await;
        let auditor = ["inspector", "leader", "admin"].contains(role);
        if auditor {
            let body: Value = audit.json().await.unwrap();
            let seen = !body["entries"].as_array().unwrap().is_empty();
            assert_eq!(seen, *scope != Scope::Other, "GET /audit as {role} ({scope:?})");
        } else {
            assert_eq!(audit.status(), 403, "GET /audit as {role} ({scope:?})");
        }
    }
}

/// A token the server would issue for `user`, but signed with `secret`, with
/// its expiry `exp` (seconds since the epoch).
fn forged(user: &Value, secret: &[u8], exp: i64) -> String {
    use jsonwebtoken::{EncodingKey, Header, encode};
    let now = jiff::Timestamp::now().as_second();
    let claims = json!({ "sub": user["id"], "name": user["username"], "role": user["role"],
                         "iss": "onestop", "iat": now - 60, "exp": exp });
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[tokio::test]
async fn bad_tokens_are_refused_by_every_endpoint_and_change_nothing() {
    use base64::Engine;
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let admin = app.token("admin").await;
    // Bad tokens are forged for an active account, so that only what is
    // wrong with each token can be why it is refused.
    let active = app.create_user("still.active", "admin", PROVINCE).await;
    let user = app.create_user("soon.disabled", "admin", PROVINCE).await;
    let disabled = app.token("soon.disabled").await;
    let mut update = user.clone();
    update["active"] = json!(false);
    let response = app.put(&admin, &format!("/api/v1/users/{}", user["id"].as_str().unwrap()), &update).await;
    assert_eq!(response.status(), 200);
    // Nor can the disabled account log in again.
    assert!(app.login("soon.disabled", "demo").await.is_err());

    let now = jiff::Timestamp::now().as_second();
    let secret = b"a test secret that is long enough to sign tokens";
    let valid = forged(&active, secret, now + 600);
    // The same claims, the signature kept, but the name changed: tampered.
    let tampered = {
        let parts: Vec<&str> = valid.split('.').collect();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut claims: Value = serde_json::from_slice(&engine.decode(parts[1]).unwrap()).unwrap();
        claims["name"] = json!("someone.else");
        format!("{}.{}.{}", parts[0], engine.encode(claims.to_string()), parts[2])
    };
    let unsigned = {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = engine.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let claims = valid.split('.').nth(1).unwrap().to_owned();
        format!("{header}.{claims}.")
    };
    let bad = [
        ("disabled account", disabled),
        ("wrong signature", forged(&active, b"another secret, not the server's", now + 600)),
        ("expired", forged(&active, secret, now - 1)),
        ("tampered claims", tampered),
        ("unsigned (alg none)", unsigned),
        ("not a token", "not-a-jwt".to_owned()),
        ("empty", String::new()),
    ];
    let before = app.count_all_events().await;
    let mut endpoints = endpoints(&world);
    endpoints.push(read("/api/v1/cases", anyone, Refusal::Forbidden));
    endpoints.push(read("/api/v1/audit", anyone, Refusal::Forbidden));
    let mut wrong = Vec::new();
    for endpoint in &endpoints {
        for (label, token) in &bad {
            let response = send(&app, token, endpoint.method, &endpoint.path, (endpoint.body)(0)).await;
            let (status, body) = problem(response).await;
            // Refused for what is wrong with the token, not for something else.
            let why: &[&str] = match *label {
                "disabled account" => &["disabled"],
                // An empty value may reach the server as no token at all.
                "empty" => &["invalid or has expired", "send a bearer token"],
                _ => &["invalid or has expired"],
            };
            let detail = body["detail"].as_str().unwrap_or_default();
            if status != 401 || !why.iter().any(|w| detail.contains(w)) {
                wrong.push(format!("{} {} with {label}: {status} {detail}", endpoint.method, endpoint.path));
            }
        }
        let anonymous = match endpoint.method {
            "GET" => app.http.get(app.url(&endpoint.path)),
            "PUT" => app.http.put(app.url(&endpoint.path)),
            _ => app.http.post(app.url(&endpoint.path)),
        };
        let (status, _) = problem(anonymous.send().await.unwrap()).await;
        if status != 401 {
            wrong.push(format!("{} {} without a token: {status}", endpoint.method, endpoint.path));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(app.count_all_events().await, before, "a refused request wrote something");
    // The same forgery with the server's key, unexpired and untouched, is
    // accepted: each bad token above differs from a good one in one thing.
    assert_eq!(app.get(&valid, "/api/v1/units").await.status(), 200);
}

#[tokio::test]
async fn administrators_cannot_reach_further_by_moving_units_or_taking_over_procedures() {
    let app = TestApp::spawn().await;
    let province = app.token("admin").await;
    app.create_user("admin.centre", "admin", OWN).await;
    let centre = app.token("admin.centre").await;
    let put = async |token: &str, unit: Value| {
        let path = format!("/api/v1/units/{}", unit["code"].as_str().unwrap());
        send(&app, token, "PUT", &path, Some(unit)).await.status()
    };
    let child = json!({ "code": "000.01.50.H22", "name": "Quầy số 5", "parent": OWN });
    assert_eq!(send(&app, &centre, "POST", "/api/v1/units", Some(child.clone())).await.status(), 201);
    // Renamed where it is: allowed. Moved out of reach, or out of the tree
    // (which would make its administrators overseers of "everything"): not.
    let mut renamed = child.clone();
    renamed["name"] = json!("Quầy số 5 (mới)");
    assert_eq!(put(&centre, renamed.clone()).await, 200);
    for parent in [json!(OTHER), Value::Null] {
        let mut moved = renamed.clone();
        moved["parent"] = parent.clone();
        assert_eq!(put(&centre, moved).await, 403, "moved under {parent}");
    }
    let mut detached = json!({ "code": OWN, "name": "Trung tâm Phục vụ hành chính công tỉnh",
                               "parent": Value::Null });
    assert_eq!(put(&centre, detached.clone()).await, 403);
    // Still not an administrator of the whole province.
    assert_eq!(send(&app, &centre, "PUT", "/api/v1/calendar/2027", Some(json!({}))).await.status(), 403);
    // The province's administrator may move it anywhere, even out of the tree.
    detached["code"] = json!("000.01.50.H22");
    detached["name"] = json!("Quầy số 5");
    assert_eq!(put(&province, detached).await, 200);

    // A procedure handled by the land registry cannot be republished by the
    // centre's administrator with the centre as its handler.
    let mut land = app.get_json(&province, &format!("/api/v1/procedures/{LAND_CHANGE}")).await;
    land["handling_units"] = json!([OWN]);
    assert_eq!(send(&app, &centre, "POST", "/api/v1/procedures", Some(land.clone())).await.status(), 403);
    assert_eq!(send(&app, &province, "POST", "/api/v1/procedures", Some(land)).await.status(), 201);
}
