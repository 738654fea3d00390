//! Building and running the server.

use std::net::TcpListener;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use governor::{Quota, RateLimiter};
use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::idempotency::IdempotencyStore;
use onestop_commands::registry::RegistryService;
use onestop_projections::notices::NoticesProjection;
use onestop_projections::runner::CATCH_UP_BATCH;
use onestop_projections::{Runner, SearchProjection, StatsProjection, StatusProjection};
use onestop_store::{EventStore, PoolSettings, build_pool};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Settings;
use crate::demo;
use crate::methods::MethodTable;
use crate::problem::{json_error, path_error, query_error};
use crate::routes;
use crate::state::AppState;
use crate::tokens::TokenKeys;

/// Public lookups allowed per client address and minute (bursts up to this many).
const LOOKUPS_PER_MINUTE: NonZeroU32 = NonZeroU32::MIN.saturating_add(19);

/// Largest JSON body accepted.
const MAX_JSON_BODY: usize = 256 * 1024;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot prepare the database")]
    Database(#[from] onestop_migrations::MigrationError),
    #[error(transparent)]
    Pool(#[from] onestop_store::PoolBuildError),
    #[error("cannot read the catalog")]
    Catalog(#[from] onestop_store::StoreError),
    #[error("cannot load the demo province")]
    Demo(#[from] onestop_commands::CommandError),
    #[error("cannot listen on the configured address")]
    Bind(#[from] std::io::Error),
    /// A notice channel's settings cannot work (a bad SMTP address or sender).
    #[error("a notice channel cannot be set up")]
    Notices(#[from] crate::notify::channels::SetupError),
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
    demo: Option<demo::Loaded>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("port", &self.port).finish()
    }
}

impl Application {
    /// Creates and migrates the database, loads the catalog (and the demo province
    /// when asked), binds the address (port 0 picks a free one).
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db_config = onestop_migrations::parse_url(&settings.database_url)?;
        onestop_migrations::prepare_database(&db_config).await?;
        let pool = build_pool(
            &db_config,
            &PoolSettings {
                max_size: settings.pool_size,
                role: Some(onestop_migrations::APPLICATION_ROLE.into()),
                wait_timeout: Some(settings.pool_wait),
                statement_timeout: Some(settings.statement_timeout),
            },
        )?;
        let store = EventStore::new(pool.clone(), db_config);
        let catalog = CatalogCache::load(store.clone()).await?;
        let registry = RegistryService::new(store.clone(), catalog.clone());
        let demo = if settings.demo { Some(demo::load(&registry, &catalog).await?) } else { None };
        // Bound before the state is made: receipts print the address served.
        let listener = TcpListener::bind(settings.bind)?;
        let bound = listener.local_addr()?;
        let port = bound.port();
        let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{bound}"));
        let state = AppState {
            pool: pool.clone(),
            clock: settings.clock.clone(),
            written: Default::default(),
            lookup_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(LOOKUPS_PER_MINUTE))),
            kiosk_limiter: Arc::new(RateLimiter::keyed(Quota::per_minute(settings.kiosk_per_minute))),
            queue: onestop_commands::queue::QueueService::new(store.clone(), catalog.clone(), settings.clock.clone()),
            sign_in: onestop_commands::sign_in::SignInService::new(
                store.clone(),
                catalog.clone(),
                password_hashers(),
                settings.idle_password_checks,
            ),
            cases: CaseService::new(store.clone(), catalog.clone(), settings.clock.clone())
                .with_receipt_key(settings.receipt_key.clone()),
            registry,
            idempotency: IdempotencyStore::new(pool.clone()),
            sessions: onestop_commands::sessions::SessionStore::new(pool.clone()),
            tokens: TokenKeys::new(settings.jwt_secret.as_bytes(), settings.token_ttl),
            catalog: catalog.clone(),
            store,
            search_key: settings.search_key.clone(),
            public_url,
            portal: match &settings.portal {
                Some(portal) => Some(Arc::new(
                    crate::portal::lgsp::LgspClient::new(portal.lgsp.clone()).map_err(std::io::Error::other)?,
                )),
                None => None,
            },
        };
        let mut background = vec![
            catalog.spawn_refresher(Duration::from_secs(2)),
            spawn_idempotency_sweeper(state.idempotency.clone(), state.sessions.clone()),
            spawn_limit_sweeper(state.clone()),
            spawn_queue_wakeups(state.clone()),
        ];
        if settings.run_projections {
            let status = Runner::new(StatusProjection, state.store.clone(), 1000).catch_up_batches(CATCH_UP_BATCH);
            background.push(tokio::spawn(status.run()));
            let stats = Runner::new(StatsProjection, state.store.clone(), 1000).catch_up_batches(CATCH_UP_BATCH);
            background.push(tokio::spawn(stats.run()));
            let search = Runner::new(SearchProjection::new(settings.search_key.clone()), state.store.clone(), 1000);
            background.push(tokio::spawn(search.run()));
            let notices =
                Runner::new(NoticesProjection::with_horizon(settings.notices.max_age), state.store.clone(), 1000);
            background.push(tokio::spawn(notices.run()));
            let queue = Runner::new(onestop_projections::queue::QueueProjection, state.store.clone(), 1000);
            background.push(tokio::spawn(queue.run()));
        }
        // Checked here, so that a setting that cannot work stops the start.
        let channels = crate::notify::channels::Channels::new(&settings.notices.channels)?;
        background.push(tokio::spawn(crate::notify::run(state.clone(), channels, settings.notices.clone())));
        if let Some(push) = &settings.feed_push {
            background.push(tokio::spawn(crate::push::run(state.clone(), push.clone())));
        }
        if let (Some(portal), Some(client)) = (&settings.portal, &state.portal) {
            background.push(tokio::spawn(crate::portal::sync::run(
                crate::portal::sync::Sources { pool: state.pool.clone(), cases: state.cases.clone() },
                client.clone(),
                portal.clone(),
            )));
        }
        let _ = crate::metrics::handle();

        let state = web::Data::new(state);
        let pool = web::Data::new(pool);
        let edge = web::Data::new(settings.edge.clone());
        let methods = web::Data::new(MethodTable::of_document(&crate::openapi::document()));
        let server = HttpServer::new(move || {
            let (app, mut api) = App::new()
                .into_utoipa_app()
                .openapi(crate::openapi::ApiDoc::openapi())
                .app_data(state.clone())
                .app_data(pool.clone())
                .app_data(edge.clone())
                .app_data(methods.clone())
                .app_data(web::JsonConfig::default().limit(MAX_JSON_BODY).error_handler(json_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .configure(routes::configure)
                .split_for_parts();
            crate::openapi::document_common_answers(&mut api);
            // The last wrapped is the first to see a request.
            app.wrap(from_fn(crate::edge::entity_tags))
                .wrap(from_fn(|req, next| crate::middleware::refuse_unstorable_json(req, next, MAX_JSON_BODY)))
                .wrap(from_fn(crate::middleware::refuse_unstorable_text))
                .wrap(from_fn(crate::middleware::observe))
                .wrap(from_fn(crate::edge::head_as_get))
                .wrap(from_fn(crate::edge::cors))
                // gzip, brotli or zstd as the client's Accept-Encoding asks.
                .wrap(actix_web::middleware::Compress::default())
                .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
                // The console last: its scope takes every path the API does not.
                .configure(crate::console::configure)
                .default_service(web::to(crate::problem::no_route))
        })
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        Ok(Self { port, server, demo, background })
    }

    /// Stops the server from outside (tests of a server going away).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What `--demo` loaded, if it was given.
    pub fn demo(&self) -> Option<&demo::Loaded> {
        self.demo.as_ref()
    }

    /// Serves until SIGINT/SIGTERM, letting in-flight requests finish.
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        let outcome = self.server.await;
        for task in self.background {
            task.abort();
        }
        outcome
    }
}

/// Password hashes computed at once: half the cores (their threads take only
/// idle CPU besides).
fn password_hashers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// Forgets, each minute, the per-address counts of addresses not seen lately,
/// so that many addresses passing by do not grow memory without end.
fn spawn_limit_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticker.tick().await;
            state.lookup_limiter.retain_recent();
            state.kiosk_limiter.retain_recent();
            state.sign_in.sweep();
        }
    })
}

/// Passes the log's append notifications (from other server processes too)
/// to the live streams of queue calls, at most twenty times a second: the
/// log's appends are mostly cases', and each wake-up costs every open stream
/// a read.
fn spawn_queue_wakeups(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut wakeups = state.store.wakeups();
        loop {
            wakeups.mark_seen();
            if wakeups.wait(Duration::from_secs(60)).await {
                state.queue.note_foreign_append();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
}

/// Forgets idempotency keys after a day, and console sessions a day after
/// they ended, hourly.
fn spawn_idempotency_sweeper(
    store: IdempotencyStore,
    sessions: onestop_commands::sessions::SessionStore,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(3600));
        loop {
            ticker.tick().await;
            if let Err(error) = store.purge_older_than(Duration::from_secs(24 * 3600)).await {
                tracing::warn!(%error, "could not purge old idempotency keys");
            }
            if let Err(error) = sessions.purge().await {
                tracing::warn!(%error, "could not purge ended console sessions");
            }
        }
    })
}
