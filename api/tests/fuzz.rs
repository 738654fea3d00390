//! Fuzzing: schemathesis (from PyPI, `scripts/requirements-fuzz.txt`) against
//! the OpenAPI document the real server serves, as an administrator of the
//! province: no answer may be a 5xx, and every answer must conform to the
//! document (status, content type, headers, body schema); a method the path
//! does not take must be 405.
//!
//! Every phase runs, stateful included. The default test command runs a
//! bounded number of examples per operation with a fixed seed; longer runs:
//! `ONESTOP_FUZZ_EXAMPLES=500 cargo nextest run -p onestop-api --test fuzz`
//! (`ONESTOP_FUZZ_SEED` picks another seed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod support;

use std::process::Command;

use onestop_migrations::testing::TestDatabase;
use support::Server;

/// The checks, in schemathesis's configuration (a per-operation setting
/// takes effect only there, not beside `--checks`). Those that need no
/// knowledge beyond the document are on. `positive_data_acceptance` fails a
/// schema-valid request answered 400 or 422: every rule the server enforces on
/// a field's form must be in the document. (A valid unit code that names no
/// unit is a 404, a rule of the case's state a 409: the server knowing more
/// than the document, not a form the document hides.) It takes schemathesis's
/// statuses and 412 (a well-formed `If-Match` naming another version), and is
/// off where a rule ties fields together, which a schema cannot say and the
/// server answers with a 422 naming the field: office hours in order (units),
/// a period's start not after its end (reports, audit queries, a unit's
/// register), a holiday rule
/// not overlapping one in force and ended no later than it was, a year's
/// arrangement inside the year.
/// A notice template's rules depend on the kind and channel in its path (the
/// kind's placeholders; a subject for e-mail, a ZNS template id for Zalo):
/// both data checks are off there, since schemathesis also learns constraints
/// from 422 answers (its error feedback) and then expects them of every
/// channel.
/// A queue's setup (counters serve the unit's own groups, each listed once),
/// a ticket (a group or a booking code, not both) and the queue's statistics
/// (a period's start not after its end) tie fields together too, as does
/// filing a case at the desk or from the portal (a notice channel needs the
/// applicant's consent and the contact it uses) and a report's period (an
/// official `period` or `from` and `to`). The stream
/// of a queue's calls is left out: it never ends (its own tests follow it).
/// Off: checks that need a second user or resources made outside the run.
const CONFIG: &str = include_str!("schemathesis.toml");

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
    let (server, http) = Server::running(&database).await;
    let token = server.login(&http, "admin").await;
    // Real records for the paths that name one, so that operations on a case,
    // a unit, a procedure or an account reach their rules and not just a 404.
    let reception = server.login(&http, "reception").await;
    let filed = Server::json(http.post(format!("{}/api/v1/cases", server.url)).bearer_auth(&reception).json(
        &serde_json::json!({
            "procedure_code": "1.004227",
            "unit": onestop_api::demo::SERVICE_CENTRE,
            "channel": "in_person",
            "applicant": { "full_name": "Lê Văn Cường", "id_number": "001099000001" },
            "documents": ["Đơn đăng ký biến động đất đai"]
        }),
    ))
    .await;
    let users = Server::json(http.get(format!("{}/api/v1/users", server.url)).bearer_auth(&token)).await;
    // Not the administrator the run signs in as: fuzzing may disable the account.
    let specialist = users.as_array().unwrap().iter().find(|u| u["username"] == "specialist").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let case = filed["id"].as_str().unwrap();
    let code = filed["code"].as_str().unwrap();
    let unit = onestop_api::demo::COMMUNE_AN_BINH;
    let records: String = [
        (r"^/api/v1/cases/\\{id\\}", "path.id", case),
        ("^/api/v1/cases/by-code/", "path.code", code),
        (r"^/api/v1/users/\\{id\\}", "path.id", &specialist),
        (r"^/api/v1/units/\\{code\\}", "path.code", unit),
        (r"^/api/v1/procedures/\\{code\\}", "path.code", "1.004227"),
    ]
    .iter()
    .map(|(path, parameter, value)| {
        format!("\n[[operations]]\ninclude-path-regex = \"{path}\"\nparameters = {{ \"{parameter}\" = \"{value}\" }}\n")
    })
    .collect();

    let report = tempfile_path("schemathesis-report");
    let config = format!("{}.toml", tempfile_path("schemathesis-config"));
    std::fs::write(&config, format!("{CONFIG}{records}")).unwrap();
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("schemathesis")
            .args(["--config-file", &config])
            .args(["run", &format!("{url}/api-docs/openapi.json")])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            // Stateful: walks cases along the document's links from `POST /cases`.
            .args(["--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--max-examples", &examples, "--seed", &seed])
            // One worker: schemathesis 4.32's generator is not safe in threads
            // on CPython 3.11 (it crashed parsing lambdas' sources).
            .args(["--generation-database", "none", "--workers", "1"])
            // Show header values in reports: the server runs only for this test.
            .args(["--output-sanitize", "false"])
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
    eprintln!("{}", stdout.lines().rev().take(12).collect::<Vec<_>>().join("\n"));
}

/// A fresh directory name under the system's temporary directory.
fn tempfile_path(prefix: &str) -> String {
    std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4())).display().to_string()
}
