//! The HTTP server (DESIGN §5).

pub mod config;
pub mod routes;
pub mod startup;
pub mod telemetry;
