//! Signing in: the password check behind `POST /auth/token`, with the rules of
//! [`onestop_domain::sign_in`] and a record of every attempt.
//!
//! Each account's attempts, locks and unlocks are events of its stream
//! `sign-in-<user id>`; attempts on names no account has go to
//! `sign-in-unknown`. Every process folds an account's stream from where it
//! last read it, so a lock set through one server holds on all of them.
//!
//! Failures are counted per client address too: [`ADDRESS_BURST`] at once,
//! then one a second; past that the address is refused unheard for a while
//! (successes do not count, so an office behind one NAT address can sign in
//! all its officers at half past seven). This count is per process.
//!
//! Password hashes (argon2id, tens of milliseconds of CPU each) are computed at
//! most [`SignInService::new`]'s `hashers` at a time: a login flood queues for
//! them, and past [`HASH_QUEUE_WAIT`] is turned away, instead of taking every
//! core from case commands.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use jiff::{SignedDuration, Timestamp};
use onestop_domain::access::{Actor, Role, User};
use onestop_domain::ids::UserId;
use onestop_domain::sign_in::{
    self, FailureReason, Gate, SignInEvent, SignInState, after_attempt, gate,
};
use onestop_store::{EventStore, ExpectedVersion, NewEvent, StreamId};
use serde_json::json;
use tokio::sync::Semaphore;

use crate::catalog::CatalogCache;
use crate::error::CommandError;
use crate::metadata::RequestMeta;

/// Failures one client address may make at once before it must slow down.
pub const ADDRESS_BURST: u32 = 30;

/// Blocked addresses kept before those whose block ran out are swept.
const MAX_BLOCKED_ADDRESSES: usize = 10_000;

/// How long an attempt waits for a free hasher before it is turned away.
pub const HASH_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// The stream of attempts on names that no account has.
pub const UNKNOWN_STREAM: &str = "sign-in-unknown";

/// An argon2id hash of a random password nobody knows: checked against for
/// unknown names, so timing does not tell which names exist.
const UNKNOWN_USER_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2fBZg3mKjUQbNUAnrwcl2yiDTsPCYrRJA9Nua2Unh8U";

/// The guarded value even if a thread panicked holding the lock: these maps
/// hold no invariant a panic could break.
fn unpoisoned<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn infrastructure(error: serde_json::Error) -> CommandError {
    CommandError::Infrastructure(error.into())
}

/// Stream names made here are always valid; the check stays for the store's sake.
fn infallible_stream(name: String) -> Result<StreamId, CommandError> {
    StreamId::new(name).map_err(|e| CommandError::Infrastructure(e.to_string().into()))
}

/// The stream of one account's sign-ins.
pub fn stream_of(user: &UserId) -> String {
    format!("sign-in-{user}")
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum SignInOutcome {
    /// The right password: issue a token.
    Accepted(User),
    /// Wrong user name or password, or a disabled account.
    Refused,
    /// Not heard, or the account is now locked: try again after this long.
    Throttled(SignedDuration),
    /// Every hasher stayed busy: try again shortly.
    Busy,
}

/// Checks passwords and records attempts.
#[derive(Clone)]
pub struct SignInService {
    store: EventStore,
    catalog: CatalogCache,
    hashers: Arc<Semaphore>,
    /// Per account: the stream version folded so far and the state there.
    folded: Arc<Mutex<HashMap<UserId, (u64, SignInState)>>>,
    /// Failures per client address (GCRA).
    address_failures: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses that ran out of failures, until when.
    address_blocked: Arc<Mutex<HashMap<IpAddr, Instant>>>,
}

impl std::fmt::Debug for SignInService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInService")
            .field("free_hashers", &self.hashers.available_permits())
            .finish_non_exhaustive()
    }
}

impl SignInService {
    /// `hashers`: how many password hashes may be computed at once.
    pub fn new(store: EventStore, catalog: CatalogCache, hashers: usize) -> Self {
        Self {
            store,
            catalog,
            hashers: Arc::new(Semaphore::new(hashers.max(1))),
            folded: Arc::default(),
            address_failures: Arc::new(RateLimiter::keyed(
                Quota::per_second(NonZeroU32::MIN)
                    .allow_burst(NonZeroU32::new(ADDRESS_BURST).unwrap_or(NonZeroU32::MIN)),
            )),
            address_blocked: Arc::default(),
        }
    }

    /// The account's standing now, folding what its stream gained since the
    /// last look.
    pub async fn state_of(&self, user: &UserId) -> Result<SignInState, CommandError> {
        let stream = infallible_stream(stream_of(user))?;
        let (mut version, mut state) = self.cached(user);
        let events = self.store.read_stream(&stream, version, usize::MAX).await?;
        for recorded in &events {
            if let Ok(event) = recorded.payload.decode::<SignInEvent>() {
                state = sign_in::apply(state, &event);
            }
            version = version.max(recorded.stream_version);
        }
        self.remember(user, version, state);
        Ok(state)
    }

    fn cached(&self, user: &UserId) -> (u64, SignInState) {
        unpoisoned(&self.folded)
            .get(user)
            .copied()
            .unwrap_or_default()
    }

    fn remember(&self, user: &UserId, version: u64, state: SignInState) {
        let mut folded = unpoisoned(&self.folded);
        let entry = folded.entry(*user).or_default();
        if version >= entry.0 {
            *entry = (version, state);
        }
    }

    /// One attempt to sign in as `username` with `password` at `now`, from
    /// `address`.
    pub async fn sign_in(
        &self,
        username: &str,
        password: String,
        now: Timestamp,
        address: IpAddr,
        meta: &RequestMeta,
    ) -> Result<SignInOutcome, CommandError> {
        let outcome = self.attempt(username, password, now, address, meta).await?;
        if matches!(
            outcome,
            SignInOutcome::Refused | SignInOutcome::Throttled(_)
        ) && let Err(not_until) = self.address_failures.check_key(&address)
        {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            let now = Instant::now();
            let mut blocked = unpoisoned(&self.address_blocked);
            // Many addresses at once (a spread attack): forget those served out.
            if blocked.len() >= MAX_BLOCKED_ADDRESSES {
                blocked.retain(|_, until| *until > now);
            }
            blocked.insert(address, now + wait.max(Duration::from_secs(1)));
        }
        Ok(outcome)
    }

    /// How long `address` is still refused, if it is.
    fn address_wait(&self, address: IpAddr) -> Option<Duration> {
        let mut blocked = unpoisoned(&self.address_blocked);
        let until = *blocked.get(&address)?;
        let now = Instant::now();
        if until <= now {
            blocked.remove(&address);
            return None;
        }
        Some(until - now)
    }

    async fn attempt(
        &self,
        username: &str,
        password: String,
        now: Timestamp,
        address: IpAddr,
        meta: &RequestMeta,
    ) -> Result<SignInOutcome, CommandError> {
        let account = self
            .catalog
            .snapshot()
            .account_by_username(username)
            .cloned();
        if let Some(wait) = self.address_wait(address) {
            let events = after_attempt(
                &SignInState::default(),
                now,
                username,
                Err(FailureReason::TooManyFromAddress),
            );
            let (stream, user) = match &account {
                Some(account) => (stream_of(&account.user.id), Some(&account.user)),
                None => (UNKNOWN_STREAM.to_owned(), None),
            };
            self.record(stream, user, &events, meta).await?;
            return Ok(SignInOutcome::Throttled(
                SignedDuration::try_from(wait).unwrap_or(SignedDuration::from_secs(1)),
            ));
        }
        let Some(account) = account else {
            let heard = self.check(password, UNKNOWN_USER_HASH.to_owned()).await;
            if heard.is_none() {
                return Ok(SignInOutcome::Busy);
            }
            let events = after_attempt(
                &SignInState::default(),
                now,
                username,
                Err(FailureReason::UnknownUser),
            );
            self.record(UNKNOWN_STREAM.to_owned(), None, &events, meta)
                .await?;
            return Ok(SignInOutcome::Refused);
        };
        let user = account.user.clone();
        let state = self.state_of(&user.id).await?;
        let (heard, wait) = match gate(&state, now) {
            Gate::Locked(until) => (Err(FailureReason::Locked), Some(until.duration_since(now))),
            Gate::Wait(wait) => (Err(FailureReason::TooSoon), Some(wait)),
            Gate::Open => {
                let Some(matches) = self.check(password, account.password_hash.clone()).await
                else {
                    return Ok(SignInOutcome::Busy);
                };
                if user.active {
                    (Ok(matches), None)
                } else {
                    (Err(FailureReason::DisabledAccount), None)
                }
            }
        };
        let events = after_attempt(&state, now, &user.username, heard);
        self.record(stream_of(&user.id), Some(&user), &events, meta)
            .await?;
        let locked = events.iter().find_map(|event| match event {
            SignInEvent::AccountLocked { until, .. } => Some(until.duration_since(now)),
            _ => None,
        });
        Ok(match (heard, locked.or(wait)) {
            (Ok(true), _) => SignInOutcome::Accepted(user),
            (_, Some(wait)) => SignInOutcome::Throttled(wait),
            _ => SignInOutcome::Refused,
        })
    }

    /// Lifts a lock (an administrator reaching every unit of the account).
    pub async fn unlock(
        &self,
        actor: &Actor,
        user_id: &UserId,
        now: Timestamp,
        meta: &RequestMeta,
    ) -> Result<(), CommandError> {
        let catalog = self.catalog.snapshot();
        let Some(account) = catalog.account(user_id) else {
            return Err(CommandError::NotFound {
                what: "user",
                id: user_id.to_string(),
            });
        };
        if actor.role != Role::Admin
            || !account
                .user
                .units
                .iter()
                .all(|unit| actor.reaches(unit, &catalog.units))
        {
            return Err(CommandError::Forbidden(
                "only an administrator of every unit of the account may unlock it".into(),
            ));
        }
        let event = SignInEvent::AccountUnlocked {
            at: now,
            username: account.user.username.clone(),
            by: actor.user_id,
        };
        let stream = infallible_stream(stream_of(user_id))?;
        let command_id = meta.command_id(actor, stream.as_str());
        let new = NewEvent::new(
            event.event_type(),
            serde_json::to_value(&event).map_err(infrastructure)?,
        )
        .with_id(crate::metadata::event_id(command_id, 0))
        .with_metadata(meta.to_metadata(actor, "unlock", command_id));
        self.store
            .append(&stream, ExpectedVersion::Any, &[new])
            .await?;
        Ok(())
    }

    /// Whether `password` matches `hash`, once a hasher is free; `None` when
    /// none became free in time.
    async fn check(&self, password: String, hash: String) -> Option<bool> {
        let permit = tokio::time::timeout(HASH_QUEUE_WAIT, self.hashers.clone().acquire_owned())
            .await
            .ok()?
            .ok()?;
        let matches = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            crate::passwords::verify_password(&password, &hash)
        })
        .await;
        Some(matches.unwrap_or(false))
    }

    async fn record(
        &self,
        stream: String,
        user: Option<&User>,
        events: &[SignInEvent],
        meta: &RequestMeta,
    ) -> Result<(), CommandError> {
        let stream = infallible_stream(stream)?;
        let metadata = json!({
            "actor": user.map(|u| json!({
                "user_id": u.id,
                "name": u.full_name,
                "role": u.role,
                "units": u.units,
            })),
            "command": "sign_in",
            "request_id": meta.request_id,
            "client_ip": meta.client_ip,
        });
        let batch = events
            .iter()
            .map(|event| {
                Ok(
                    NewEvent::new(event.event_type(), serde_json::to_value(event)?)
                        .with_metadata(metadata.clone()),
                )
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(infrastructure)?;
        self.store
            .append(&stream, ExpectedVersion::Any, &batch)
            .await?;
        Ok(())
    }
}
