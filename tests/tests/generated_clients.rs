//! Clients generated from the document the server serves work unmodified:
//! openapi-python-client's walks a case from filing to the returned result
//! with every answer parsed into its typed model (`tests/clients/python`), and
//! openapi-typescript's types compile under `tsc --strict` with a usage file
//! that reads a feed record's fields (`tests/clients/typescript`).
//!
//! The generators are pinned: `scripts/requirements-clients.txt` (a virtualenv
//! at `ONESTOP_CLIENTS_VENV`, default `~/.cache/onestop-clients-venv`) and the
//! TypeScript folder's `package-lock.json` (`npm ci` there). `.ci/run`
//! installs both.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use onestop_tests::*;

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

fn venv() -> PathBuf {
    std::env::var_os("ONESTOP_CLIENTS_VENV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/onestop-clients-venv")
    })
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A fresh directory under the system's temporary directory.
fn scratch(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_python_client_walks_a_case_to_its_returned_result() {
    let generator = venv().join("bin/openapi-python-client");
    assert!(
        generator.exists(),
        "openapi-python-client is not installed: python3 -m venv {0} && \
         {0}/bin/pip install -r scripts/requirements-clients.txt",
        venv().display()
    );
    let app = TestApp::spawn().await;
    let out = scratch("onestop-python-client");
    std::fs::write(out.join("config.yaml"), "post_hooks: []\n").unwrap();
    let url = app.url("/api-docs/openapi.json");
    let generated = out.clone();
    tokio::task::spawn_blocking(move || {
        run(Command::new(&generator)
            .args(["generate", "--url", &url, "--config", "config.yaml", "--fail-on-warning"])
            .args(["--output-path", "client"])
            .current_dir(&generated));
    })
    .await
    .unwrap();
    let output = {
        let python = venv().join("bin/python");
        let script = clients_dir().join("python/walk.py");
        let address = app.address.clone();
        let client = out.join("client");
        tokio::task::spawn_blocking(move || {
            run(Command::new(python)
                .arg(script)
                .args([&address, SERVICE_CENTRE, LAND_REGISTRY, LAND_CHANGE])
                .arg("2026-03-02")
                .env("PYTHONPATH", client)
                .env("PYTHONDONTWRITEBYTECODE", "1"))
        })
        .await
        .unwrap()
    };
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(said.contains("walked case 000.00.01.H22-260302-0001"), "{said}");
    let _ = std::fs::remove_dir_all(out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_typescript_types_compile_strictly_with_a_feed_reader() {
    let folder = clients_dir().join("typescript");
    let bin = folder.join("node_modules/.bin");
    assert!(
        bin.join("openapi-typescript").exists() && bin.join("tsc").exists(),
        "the TypeScript tools are not installed: (cd {} && npm ci)",
        folder.display()
    );
    let app = TestApp::spawn_with(false).await;
    let url = app.url("/api-docs/openapi.json");
    tokio::task::spawn_blocking(move || {
        run(Command::new(bin.join("openapi-typescript"))
            .args([&url, "--output", "generated/schema.d.ts"])
            .current_dir(&folder));
        run(Command::new(bin.join("tsc")).args(["-p", "tsconfig.json", "--strict"]).current_dir(&folder));
    })
    .await
    .unwrap();
}
