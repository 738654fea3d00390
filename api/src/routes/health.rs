//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{HttpResponse, get, web};
use onestop_store::Pool;
use serde::Serialize;
use utoipa::ToSchema;

/// The state of the process and what it depends on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `ready` or `not ready`.
    pub status: &'static str,
    /// `ok` or `unreachable`; absent from the liveness answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(tag = "ops", responses((status = 200, description = "Alive", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// The database answers; until it does, traffic should go elsewhere.
#[utoipa::path(
    tag = "ops",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable", body = Health),
    )
)]
#[get("/readyz")]
pub async fn readyz(pool: web::Data<Pool>) -> HttpResponse {
    let reachable = match pool.get().await {
        Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    if reachable {
        HttpResponse::Ok().json(Health {
            status: "ready",
            database: Some("ok"),
        })
    } else {
        HttpResponse::ServiceUnavailable().json(Health {
            status: "not ready",
            database: Some("unreachable"),
        })
    }
}
