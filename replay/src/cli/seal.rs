//! `onestop-replay seal`: a digest of every stream's head, appended to the log.

use std::process::ExitCode;

use super::{Failure, exit_status, open_store};

pub async fn run(url: &str) -> ExitCode {
    exit_status(seal(url).await)
}

async fn seal(url: &str) -> Result<(), Failure> {
    let seal = open_store(url)?.seal().await?;
    println!(
        "sealed {} events in {} streams up to transaction {} position {}: {}",
        seal.events, seal.streams, seal.up_to.tx_id, seal.up_to.global_position, seal.heads_digest
    );
    Ok(())
}
