//! `onestop-replay verify`: every stream's hash chain and the latest seal.

use std::process::ExitCode;

use super::{exit_status, open_store};

/// Exit 0 when the log is intact, 1 naming each break, 2 when it cannot be read.
pub async fn run(url: &str) -> ExitCode {
    let report = match async { Ok(open_store(url)?.verify().await?) }.await {
        Ok(report) => report,
        Err(error) => return exit_status(Err(error)),
    };
    for broken in &report.breaks {
        println!("BROKEN {broken}");
    }
    println!("{} streams, {} events, {} broken", report.streams, report.events, report.breaks.len());
    if report.is_intact() { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
