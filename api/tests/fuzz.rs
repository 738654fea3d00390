//! Fuzzing: schemathesis (from PyPI, `scripts/requirements-fuzz.txt`) against
//! the OpenAPI document the real server serves, as an administrator of the
//! province: no answer may be a 5xx, and every answer must conform to the
//! document (status, content type, headers, body schema); a method the path
//! does not take must be 405.
//!
//! The default test command runs a bounded number of examples per operation
//! with a fixed seed; longer runs:
//! `ONESTOP_FUZZ_EXAMPLES=500 cargo nextest run -p onestop-api --test fuzz`
//! (`ONESTOP_FUZZ_SEED` picks another seed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod support;

use std::process::Command;

use onestop_migrations::testing::TestDatabase;
use support::Server;

/// Checks that need no knowledge beyond the document. Left out: those that
/// expect any schema-valid body to be accepted (the document cannot say that a
/// unit code must exist) and those that need stateful set-ups.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance,\
                      negative_data_rejection,missing_required_header,unsupported_method";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_document() {
    let examples = std::env::var("ONESTOP_FUZZ_EXAMPLES").unwrap_or_else(|_| "8".into());
    let seed = std::env::var("ONESTOP_FUZZ_SEED").unwrap_or_else(|_| "20261121".into());
    let version = Command::new("schemathesis").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|v| v.status.success()),
        "schemathesis is not installed: python3 -m pip install -r scripts/requirements-fuzz.txt"
    );
    let database = TestDatabase::create().await.unwrap();
    let mut server = Server::new(&database);
    let http = reqwest::Client::new();
    server.start();
    server.wait_ready(&http).await;
    let token = server.login(&http, "admin").await;

    let report = tempfile_path("schemathesis-report");
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .args(["run", &format!("{url}/api-docs/openapi.json")])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--checks", CHECKS])
            .args(["--phases", "examples,coverage,fuzzing"])
            .args(["--max-examples", &examples, "--seed", &seed])
            // One worker: schemathesis 4.32's generator is not safe in threads
            // on CPython 3.11 (it crashed parsing lambdas' sources).
            .args(["--generation-database", "none", "--workers", "1"])
            .args(["--report-dir", &report])
            .env("NO_COLOR", "1")
            // Its cache goes where it runs: not into the source tree.
            .current_dir(std::env::temp_dir())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "{}",
        stdout.lines().rev().take(12).collect::<Vec<_>>().join("\n")
    );
}

/// A fresh directory name under the system's temporary directory.
fn tempfile_path(prefix: &str) -> String {
    std::env::temp_dir()
        .join(format!("{prefix}-{}", uuid::Uuid::new_v4()))
        .display()
        .to_string()
}
