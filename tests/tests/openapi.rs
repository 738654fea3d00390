//! The committed `openapi/openapi.json` is the API the code serves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use onestop_tests::TestApp;

const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");

#[test]
fn the_committed_document_matches_the_code() {
    let generated = onestop_api::openapi::document().to_pretty_json().unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(COMMITTED, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date with the code; regenerate it with\n\
         UPDATE_OPENAPI=1 cargo test -p onestop-tests --test openapi"
    );
}

#[tokio::test]
async fn the_server_serves_the_document_and_swagger_ui() {
    let app = TestApp::spawn_with(false).await;
    let client = reqwest::Client::new();
    let served: serde_json::Value =
        client.get(format!("{}/api-docs/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
    let committed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap();
    assert_eq!(served, committed);

    let ui = client.get(format!("{}/swagger-ui/", app.address)).send().await.unwrap();
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("swagger"));
}

/// What generators need of the document: a description on every response, an
/// ASCII title (it becomes a package name), every named pattern resolved, and
/// every `limit` bounded.
#[test]
fn the_document_is_complete_for_client_generators() {
    let document: serde_json::Value =
        serde_json::from_str(&onestop_api::openapi::document().to_json().unwrap()).unwrap();
    let title = document["info"]["title"].as_str().unwrap();
    assert!(title.is_ascii(), "{title}");
    let mut responses = 0;
    // Generators name methods after operation ids, and links name their
    // target by id: each must be unique.
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(ids.insert(id.to_owned()), "operation id {id:?} of {method} {path} is not unique");
            for (status, response) in operation["responses"].as_object().unwrap() {
                let description = response["description"].as_str().unwrap_or_default();
                assert!(!description.is_empty(), "{method} {path} {status}");
                responses += 1;
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["name"] == "limit" {
                    let schema = &parameter["schema"];
                    assert!(
                        schema["minimum"].is_number() && schema["maximum"].is_number(),
                        "{method} {path}: {schema}"
                    );
                }
            }
        }
    }
    assert!(responses > 300, "{responses}");
    fn patterns(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    match (key.as_str(), item) {
                        ("pattern", serde_json::Value::String(p)) => out.push(p.clone()),
                        _ => patterns(item, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|i| patterns(i, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    patterns(&document, &mut found);
    assert!(found.len() > 50);
    for pattern in found {
        assert!(pattern.starts_with('^') && pattern.ends_with('$'), "{pattern}");
    }
}
