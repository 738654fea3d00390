//! The HTTP server (DESIGN §5): actix-web, OpenAPI by utoipa, bearer tokens,
//! problem details for every error.

pub mod auth;
pub mod config;
pub mod console;
pub mod csv;
pub mod demo;
pub mod dvcqg;
pub mod edge;
pub mod idempotency;
pub mod links;
pub mod methods;
pub mod metrics;
pub mod middleware;
pub mod notify;
pub mod openapi;
pub mod portal;
pub mod problem;
pub mod push;
pub mod request;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tokens;
