//! What every handler can reach.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use governor::DefaultKeyedRateLimiter;
use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::clock::Clock;
use onestop_commands::idempotency::IdempotencyStore;
use onestop_commands::registry::RegistryService;
use onestop_store::{Checkpoint, EventStore, Pool};

use crate::tokens::TokenKeys;

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: EventStore,
    pub pool: Pool,
    pub catalog: CatalogCache,
    pub cases: CaseService,
    pub registry: RegistryService,
    pub idempotency: IdempotencyStore,
    pub tokens: TokenKeys,
    /// The furthest point of the log this process has written: reads of the
    /// status view wait for it, so a client sees its own commands.
    pub written: Arc<Mutex<Checkpoint>>,
    /// Password checks, throttled and recorded.
    pub sign_in: onestop_commands::sign_in::SignInService,
    /// Public lookups per client address.
    pub lookup_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Tickets taken and slots booked without signing in, per client address.
    pub kiosk_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// The queue tickets and bookings.
    pub queue: onestop_commands::queue::QueueService,
    /// The time the rules see (the system clock, but for tests).
    pub clock: Arc<dyn Clock>,
    /// The key of the applicants' blind index, to turn searches into terms.
    pub search_key: onestop_domain::search::IndexKey,
    /// The public base address printed on receipts, without a trailing `/`.
    pub public_url: String,
    /// The web console's sign-ins.
    pub sessions: onestop_commands::sessions::SessionStore,
    /// The integration platform's client, when the portal sync is configured.
    pub portal: Option<Arc<crate::portal::lgsp::LgspClient>>,
}

impl AppState {
    /// Notes where a command's events landed.
    pub fn note_written(&self, checkpoint: Option<Checkpoint>) {
        if let Some(checkpoint) = checkpoint {
            let mut written = match self.written.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            *written = (*written).max(checkpoint);
        }
    }

    pub fn written(&self) -> Checkpoint {
        match self.written.lock() {
            Ok(guard) => *guard,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}
