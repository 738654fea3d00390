//! Building and running the server.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use onestop_store::{PoolSettings, build_pool};

use crate::config::Settings;
use crate::routes;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot prepare the database")]
    Database(#[from] onestop_migrations::MigrationError),
    #[error(transparent)]
    Pool(#[from] onestop_store::PoolBuildError),
    #[error("cannot listen on the configured address")]
    Bind(#[from] std::io::Error),
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish()
    }
}

impl Application {
    /// Creates and migrates the database, binds the address (port 0 picks a free one).
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db_config = onestop_migrations::parse_url(&settings.database_url)?;
        onestop_migrations::prepare_database(&db_config).await?;
        let pool = build_pool(
            &db_config,
            &PoolSettings {
                max_size: settings.pool_size,
                role: Some(onestop_migrations::APPLICATION_ROLE.into()),
                ..PoolSettings::default()
            },
        )?;
        let listener = TcpListener::bind(settings.bind)?;
        let port = listener.local_addr()?.port();
        let pool = web::Data::new(pool);
        let server = HttpServer::new(move || {
            let (app, api) = App::new()
                .into_utoipa_app()
                .openapi(routes::ApiDoc::openapi())
                .app_data(pool.clone())
                .configure(routes::configure)
                .split_for_parts();
            app.service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
        })
        .listen(listener)?
        .run();
        Ok(Self { port, server })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, letting in-flight requests finish.
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        self.server.await
    }
}
