//! The shape of the code that review relies on: no module cycles inside a
//! crate, route modules small enough to read, `decide` a dispatch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn no_crate_has_a_module_cycle() {
    let output = Command::new("python3").arg("scripts/module-cycles.py").current_dir(workspace()).output().unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{report}{}", String::from_utf8_lossy(&output.stderr));
    assert!(report.contains("no module cycles in domain, store, commands, projections, api, replay"), "{report}");
}

#[test]
fn no_route_module_is_over_four_hundred_lines() {
    let routes = rust_files(&workspace().join("api/src/routes"));
    assert!(routes.len() >= 15, "only {} route files found", routes.len());
    for file in routes {
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        assert!(lines <= 400, "{} has {lines} lines", file.display());
    }
}

#[test]
fn each_arm_of_decide_is_at_most_forty_lines() {
    let text = std::fs::read_to_string(workspace().join("domain/src/case/decide/mod.rs")).unwrap();
    let start = text.find("let event = match command {").expect("decide's dispatch");
    let end = start + text[start..].find("\n    }?;").expect("the dispatch's end");
    let dispatch: Vec<&str> = text[start..end].lines().skip(1).collect();
    let arm_starts: Vec<usize> = dispatch
        .iter()
        .enumerate()
        .filter(|(_, line)| line.starts_with("        CaseCommand::"))
        .map(|(i, _)| i)
        .collect();
    assert!(arm_starts.len() >= 25, "only {} arms found", arm_starts.len());
    for (n, &first) in arm_starts.iter().enumerate() {
        let last = arm_starts.get(n + 1).copied().unwrap_or(dispatch.len());
        assert!(last - first <= 40, "the arm at `{}` has {} lines", dispatch[first].trim(), last - first);
    }
}
