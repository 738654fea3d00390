//! `onestop`: the one-stop shop's server.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use onestop_api::config::Settings;
use onestop_api::startup::Application;
use onestop_api::{demo, telemetry};

#[derive(Parser)]
#[command(version, about = "Một cửa điện tử: the one-stop shop's backend")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (creates and migrates the database first).
    Serve {
        /// Address to listen on; overrides ONESTOP_BIND (default 127.0.0.1:8080).
        #[arg(long)]
        bind: Option<SocketAddr>,
        /// Load the demo province (idempotent) and print the demo users.
        #[arg(long)]
        demo: bool,
    },
    /// Create the database if missing and apply the migrations, then exit.
    Migrate,
}

// The projection runner folds and frees large batches while catching up; the
// catch-up benchmark runs with mimalloc, and so does the server.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let outcome = match Cli::parse().command {
        Command::Serve { bind, demo } => serve(bind, demo).await,
        Command::Migrate => migrate().await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let message = onestop_store::error_chain(error.as_ref());
            tracing::error!(error = %message, "onestop stopped");
            eprintln!("onestop: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(bind: Option<SocketAddr>, with_demo: bool) -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env(bind, with_demo)?;
    let app = Application::build(&settings).await?;
    if let Some(loaded) = app.demo() {
        println!(
            "Demo province ready ({} units, {} procedures, {} users, {} queues added). Log in with:",
            loaded.units, loaded.procedures, loaded.users, loaded.queues
        );
        for (username, role) in &loaded.credentials {
            println!("  {username:<13} password {:<5} role {role}", demo::DEMO_PASSWORD);
        }
    }
    println!("Serving on http://{}:{} (Swagger UI at /swagger-ui/)", settings.bind.ip(), app.port());
    if app.demo().is_some() {
        println!("Hall display: http://{}:{}/display/{}", settings.bind.ip(), app.port(), demo::SERVICE_CENTRE);
    }
    tracing::info!(address = %settings.bind.ip(), port = app.port(), "serving");
    app.run_until_stopped().await?;
    Ok(())
}

async fn migrate() -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env(None, false)?;
    let config = onestop_migrations::parse_url(&settings.database_url)?;
    let applied = onestop_migrations::prepare_database(&config).await?;
    println!("{} migration(s) applied", applied.len());
    Ok(())
}
