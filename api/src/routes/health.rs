//! Liveness, readiness and metrics, for load balancers and monitoring.

use actix_web::{HttpResponse, get, web};
use onestop_store::Pool;
use serde::Serialize;
use utoipa::ToSchema;

/// The state of the process and what it depends on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `not ready`.
    pub status: &'static str,
    /// `ok`, `unreachable` or `not migrated`; absent from the liveness answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    /// Each projection's distance behind the log (readiness only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub projections: Vec<ProjectionLag>,
}

/// How far a read model is behind the log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectionLag {
    pub name: String,
    /// Events in the log past the projection's checkpoint.
    pub behind: i64,
    pub events_applied: i64,
}

async fn projection_lags(pool: &Pool) -> Vec<ProjectionLag> {
    match onestop_projections::lags(pool).await {
        Ok(lags) => lags
            .into_iter()
            .map(|lag| {
                ::metrics::gauge!("projection_lag_events", "projection" => lag.name.clone()).set(lag.behind as f64);
                ProjectionLag { name: lag.name, behind: lag.behind, events_applied: lag.events_applied }
            })
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot read projection lag");
            Vec::new()
        }
    }
}

/// The process is up.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok", database: None, projections: Vec::new() })
}

/// The database answers and every migration is applied; until then, traffic
/// should go elsewhere.
#[utoipa::path( tag = "ops", responses( (status = 200, description = "Ready to serve", body = Health), (status = 503, description = "The database is unreachable or not migrated", body = Health), ) )]
#[get("/readyz")]
pub async fn readyz(pool: web::Data<Pool>) -> HttpResponse {
    let database = match pool.get().await {
        Err(_) => "unreachable",
        Ok(client) => match onestop_migrations::all_applied(&client).await {
            Ok(true) => "ok",
            Ok(false) => "not migrated",
            Err(_) => "unreachable",
        },
    };
    if database == "ok" {
        HttpResponse::Ok().json(Health {
            status: "ready",
            database: Some(database),
            projections: projection_lags(&pool).await,
        })
    } else {
        HttpResponse::ServiceUnavailable().json(Health {
            status: "not ready",
            database: Some(database),
            projections: Vec::new(),
        })
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Metrics", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(pool: web::Data<Pool>) -> HttpResponse {
    // Sets the lag gauges as a side effect.
    let _ = projection_lags(&pool).await;
    let body = crate::metrics::handle().map(|h| h.render()).unwrap_or_default();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}
