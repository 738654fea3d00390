//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{HttpResponse, get, web};
use onestop_store::Pool;

/// The process is up.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The database answers; until it does, traffic should go elsewhere.
#[get("/readyz")]
pub async fn readyz(pool: web::Data<Pool>) -> HttpResponse {
    let reachable = match pool.get().await {
        Ok(client) => client.simple_query("SELECT 1").await.is_ok(),
        Err(_) => false,
    };
    if reachable {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ready", "database": "ok" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "not ready", "database": "unreachable" }))
    }
}
