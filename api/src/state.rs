//! What every handler can reach.

use onestop_commands::cases::CaseService;
use onestop_commands::catalog::CatalogCache;
use onestop_commands::idempotency::IdempotencyStore;
use onestop_commands::registry::RegistryService;
use onestop_store::EventStore;

use crate::auth::TokenKeys;

#[derive(Debug, Clone)]
pub struct AppState {
    pub store: EventStore,
    pub catalog: CatalogCache,
    pub cases: CaseService,
    pub registry: RegistryService,
    pub idempotency: IdempotencyStore,
    pub tokens: TokenKeys,
}
