//! `onestop-replay`: turns the event log into answers for operators and statisticians.

use std::process::ExitCode;

use clap::Parser;
use onestop_replay::cli::{Cli, run};

// Replays allocate and free millions of small values; mimalloc keeps that off
// the critical path where the system allocator spent a third of the time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    run(Cli::parse()).await
}
