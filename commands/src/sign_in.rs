//! Signing in: the password check behind `POST /auth/token`, with the rules of
//! [`onestop_domain::sign_in`] and a record of every attempt.
//!
//! Each account's attempts, locks and unlocks are events of its stream
//! `sign-in-<user id>`; a name no account has gets the same rules on a stream
//! of its own, `sign-in-name-<hash of the name>`, so that the answers do not
//! tell which names exist. Every process folds a stream from where it last read
//! it and appends at the version it folded (re-deciding if another process
//! came first); attempts on one name in one process are taken one at a time,
//! so a burst of guesses cannot all pass the same open gate.
//!
//! Failures are counted per client address too (IPv6 by /64, which one
//! subscriber holds): [`ADDRESS_BURST`] at once, then one a second; past that
//! the address is refused unheard for a while, without a record (a refusal at
//! the door, counted in the metrics) and without charging the account.
//! Successes do not count, so an office behind one NAT address can sign in all
//! its officers at half past seven. This count is per process.
//!
//! Password hashes (argon2id, tens of milliseconds of CPU each) are computed on
//! [`SignInService::new`]'s `hashers` threads of the idle scheduling class
//! (Linux's `SCHED_IDLE`): they run only on CPU that case commands, projections
//! and PostgreSQL leave free. A login flood queues for them (at most
//! [`HASH_QUEUE`] waiting) and an attempt not checked within
//! [`HASH_QUEUE_WAIT`] is turned away (503), instead of taking cores from the
//! office's work. Where the class cannot be set the threads run at normal
//! priority, with a warning.
//!
//! A name no account has costs no hash: its check holds a hasher for as long
//! as real checks take (the mean of the last ones, measured on the hasher
//! threads) and sleeps there instead of computing. It queues like a real
//! check, is turned away when the queue is full like one, and is answered as
//! late, so neither the time nor the 503 tells which names exist; but a flood
//! of made-up names, the cheapest guessing there is, takes no CPU from the
//! office. The first such check, before any real one was timed, is real.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use jiff::{SignedDuration, Timestamp};
use onestop_domain::access::{Actor, User};
use onestop_domain::ids::UserId;
use onestop_domain::sign_in::{self, FailureReason, Gate, SignInEvent, SignInState, after_attempt, gate};
use onestop_store::{EventStore, ExpectedVersion, NewEvent, StreamId};
use serde_json::json;

use crate::catalog::CatalogCache;
use crate::error::CommandError;
use crate::metadata::RequestMeta;

/// Failures one client address may make at once before it must slow down.
pub const ADDRESS_BURST: u32 = 30;

/// Streams whose standing is kept in memory before the cache starts afresh.
const MAX_FOLDED_STREAMS: usize = 100_000;

/// Blocked addresses kept before those whose block ran out are swept.
const MAX_BLOCKED_ADDRESSES: usize = 10_000;

/// How long an attempt waits for its password check before it is turned away.
pub const HASH_QUEUE_WAIT: Duration = Duration::from_secs(2);

/// Password checks waiting at most; more are turned away at once.
pub const HASH_QUEUE: usize = 64;

/// Attempts on one name are taken one at a time per process, by one of these
/// locks (chosen by the name's hash: bounded memory whatever the names).
const NAME_LOCKS: usize = 64;

/// An argon2id hash of a random password nobody knows: checked against for an
/// unknown name while no real check has been timed yet.
const UNKNOWN_USER_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2fBZg3mKjUQbNUAnrwcl2yiDTsPCYrRJA9Nua2Unh8U";

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

/// The stream of attempts on a name no account has (by a hash of the name as
/// typed, lower-cased: no stream is named by what a stranger typed).
pub fn unknown_stream_of(username: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(username.to_lowercase().as_bytes());
    format!("sign-in-name-{}", hex::encode(&digest[..16]))
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
    hashers: Hashers,
    /// Per stream: the version folded so far and the state there.
    folded: Arc<Mutex<HashMap<String, (u64, SignInState)>>>,
    /// One attempt at a time per name (striped).
    name_locks: Arc<Vec<tokio::sync::Mutex<()>>>,
    /// Failures per client address (GCRA).
    address_failures: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Addresses that ran out of failures, until when.
    address_blocked: Arc<Mutex<HashMap<IpAddr, Instant>>>,
}

impl std::fmt::Debug for SignInService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInService").field("hashers", &self.hashers.threads).finish_non_exhaustive()
    }
}

/// One sign-in attempt as it arrived.
struct Attempt<'a> {
    username: &'a str,
    password: String,
    now: Timestamp,
    address: IpAddr,
}

impl SignInService {
    /// `hashers`: how many password hashes may be computed at once; `idle`:
    /// whether their threads take the idle scheduling class (production), or
    /// run at normal priority (tests, whose own load would starve them).
    pub fn new(store: EventStore, catalog: CatalogCache, hashers: usize, idle: bool) -> Self {
        Self {
            store,
            catalog,
            hashers: Hashers::start(hashers.max(1), idle),
            folded: Arc::default(),
            name_locks: Arc::new((0..NAME_LOCKS).map(|_| tokio::sync::Mutex::new(())).collect()),
            address_failures: Arc::new(RateLimiter::keyed(
                Quota::per_second(NonZeroU32::MIN)
                    .allow_burst(NonZeroU32::new(ADDRESS_BURST).unwrap_or(NonZeroU32::MIN)),
            )),
            address_blocked: Arc::default(),
        }
    }

    /// An account's standing now.
    pub async fn state_of(&self, user: &UserId) -> Result<SignInState, CommandError> {
        Ok(self.fold(&stream_of(user)).await?.1)
    }

    /// A stream's version and standing now, folding what it gained since the
    /// last look.
    async fn fold(&self, stream: &str) -> Result<(u64, SignInState), CommandError> {
        let id = infallible_stream(stream.to_owned())?;
        let (mut version, mut state) = unpoisoned(&self.folded).get(stream).copied().unwrap_or_default();
        let events = self.store.read_stream(&id, version, usize::MAX).await?;
        for recorded in &events {
            if let Ok(event) = recorded.payload.decode::<SignInEvent>() {
                state = sign_in::apply(state, &event);
            }
            version = version.max(recorded.stream_version);
        }
        let mut folded = unpoisoned(&self.folded);
        // Many names at once (a spread attack): start the cache afresh; every
        // stream can be folded again from the log.
        if folded.len() >= MAX_FOLDED_STREAMS {
            folded.clear();
        }
        let entry = folded.entry(stream.to_owned()).or_default();
        if version >= entry.0 {
            *entry = (version, state);
        }
        Ok((version, state))
    }

    /// Sweeps what the per-address counts hold for addresses not seen lately.
    pub fn sweep(&self) {
        self.address_failures.retain_recent();
        let now = Instant::now();
        unpoisoned(&self.address_blocked).retain(|_, until| *until > now);
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
        let outcome = self.attempt(Attempt { username, password, now, address }, meta).await?;
        if matches!(outcome, SignInOutcome::Refused | SignInOutcome::Throttled(_))
            && let Err(not_until) = self.address_failures.check_key(&address)
        {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
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

    async fn attempt(&self, attempt: Attempt<'_>, meta: &RequestMeta) -> Result<SignInOutcome, CommandError> {
        let Attempt { username, password, now, address } = attempt;
        if let Some(wait) = self.address_wait(address) {
            metrics::counter!("sign_in_refused_total", "reason" => "address").increment(1);
            return Ok(SignInOutcome::Throttled(
                SignedDuration::try_from(wait).unwrap_or(SignedDuration::from_secs(1)),
            ));
        }
        let account = self.catalog.snapshot().account_by_username(username).cloned();
        let (stream, user, hash) = match &account {
            Some(account) => (stream_of(&account.user.id), Some(&account.user), Some(account.password_hash.clone())),
            None => (unknown_stream_of(username), None, None),
        };
        let name = user.map_or(username, |u| u.username.as_str());
        let lock = &self.name_locks[stripe(&stream)];
        let _one_at_a_time = lock.lock().await;
        let (mut version, mut state) = self.fold(&stream).await?;
        // The password is checked once, only if the gate is open when first
        // looked at; a retry after another process's append re-decides with it.
        let mut matched: Option<bool> = None;
        for _ in 0..3 {
            let (heard, wait) = match gate(&state, now) {
                Gate::Locked(until) => (Err(FailureReason::Locked), Some(until.duration_since(now))),
                Gate::Wait(wait) => (Err(FailureReason::TooSoon), Some(wait)),
                Gate::Open => {
                    let matches = match matched {
                        Some(matches) => matches,
                        None => match self.check(password.clone(), hash.clone()).await {
                            Some(matches) => *matched.insert(matches),
                            None => return Ok(SignInOutcome::Busy),
                        },
                    };
                    match user {
                        None => (Err(FailureReason::UnknownUser), None),
                        Some(user) if !user.active => (Err(FailureReason::DisabledAccount), None),
                        Some(_) => (Ok(matches), None),
                    }
                }
            };
            let events = after_attempt(&state, now, name, heard);
            match self.record(&stream, version, user, &events, meta).await {
                Err(CommandError::Conflict(_)) => {
                    (version, state) = self.fold(&stream).await?;
                    continue;
                }
                Err(error) => return Err(error),
                Ok(()) => {}
            }
            let locked = events.iter().find_map(|event| match event {
                SignInEvent::AccountLocked { until, .. } => Some(until.duration_since(now)),
                _ => None,
            });
            return Ok(match (heard, user, locked.or(wait)) {
                (Ok(true), Some(user), _) => SignInOutcome::Accepted(user.clone()),
                (_, _, Some(wait)) => SignInOutcome::Throttled(wait),
                _ => SignInOutcome::Refused,
            });
        }
        Err(CommandError::Conflict("sign-in attempts on this name kept racing; retry".into()))
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
            return Err(CommandError::NotFound { what: "user", id: user_id.to_string() });
        };
        for unit in &account.user.units {
            crate::registry::require_admin_of(actor, unit, &catalog.units)?;
        }
        let event =
            SignInEvent::AccountUnlocked { at: now, username: account.user.username.clone(), by: actor.user_id };
        let stream = infallible_stream(stream_of(user_id))?;
        let command_id = meta.command_id(actor, stream.as_str());
        let new = NewEvent::new(event.event_type(), serde_json::to_value(&event).map_err(infrastructure)?)
            .with_id(crate::metadata::event_id(command_id, 0))
            .with_metadata(meta.to_metadata(actor, "unlock", command_id));
        self.store.append(&stream, ExpectedVersion::Any, &[new]).await?;
        Ok(())
    }

    /// Whether `password` matches `hash`, checked on an idle-class thread
    /// (`hash` `None`: a name no account has, never a match, checked by a
    /// stand-in); `None` when the check could not be made within
    /// [`HASH_QUEUE_WAIT`].
    async fn check(&self, password: String, hash: Option<String>) -> Option<bool> {
        let deadline = Instant::now() + HASH_QUEUE_WAIT;
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job { password, hash, deadline, reply };
        if self.hashers.queue.try_send(job).is_err() {
            metrics::counter!("sign_in_refused_total", "reason" => "busy").increment(1);
            return None;
        }
        let answer = tokio::time::timeout_at(deadline.into(), answer).await;
        match answer {
            Ok(Ok(matches)) => Some(matches),
            _ => {
                metrics::counter!("sign_in_refused_total", "reason" => "busy").increment(1);
                None
            }
        }
    }

    /// Appends the events of one attempt at `version` (the one folded): a
    /// conflict means another process recorded an attempt first.
    async fn record(
        &self,
        stream: &str,
        version: u64,
        user: Option<&User>,
        events: &[SignInEvent],
        meta: &RequestMeta,
    ) -> Result<(), CommandError> {
        let id = infallible_stream(stream.to_owned())?;
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
                Ok(NewEvent::new(event.event_type(), serde_json::to_value(event)?).with_metadata(metadata.clone()))
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()
            .map_err(infrastructure)?;
        let expected = match version {
            0 => ExpectedVersion::NoStream,
            v => ExpectedVersion::Exact(v),
        };
        match self.store.append(&id, expected, &batch).await {
            Ok(_) => Ok(()),
            Err(onestop_store::StoreError::WrongExpectedVersion { .. }) => {
                Err(CommandError::Conflict("another attempt came first".into()))
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// Which of the name locks a stream takes.
fn stripe(stream: &str) -> usize {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    stream.hash(&mut hasher);
    usize::try_from(hasher.finish() % NAME_LOCKS as u64).unwrap_or(0)
}

/// One password to check.
struct Job {
    password: String,
    /// `None`: no account, so no hash to check against.
    hash: Option<String>,
    /// Past this, nobody waits for the answer: the check is skipped.
    deadline: Instant,
    reply: tokio::sync::oneshot::Sender<bool>,
}

/// The threads that check passwords, and their queue.
#[derive(Clone)]
struct Hashers {
    queue: std::sync::mpsc::SyncSender<Job>,
    threads: usize,
}

/// How long real checks take: a moving mean of their wall-clock time on the
/// hasher threads, for the stand-in checks of unknown names to match.
#[derive(Default)]
struct CheckTime {
    /// Nanoseconds; 0 until a check was timed.
    mean: std::sync::atomic::AtomicU64,
}

impl CheckTime {
    fn mean(&self) -> Option<Duration> {
        match self.mean.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// Takes in one real check's time, weighing it an eighth.
    fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1);
        let mean = match self.mean() {
            None => took,
            Some(mean) => {
                let mean = u64::try_from(mean.as_nanos()).unwrap_or(u64::MAX);
                mean - mean / 8 + took / 8
            }
        };
        self.mean.store(mean.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Runs one check: a real one, timed, or for an unknown name a sleep as
    /// long as real ones take (a real check against a hash nobody knows the
    /// password of, until one was timed).
    fn check(&self, password: &str, hash: Option<&str>) -> bool {
        match (hash, self.mean()) {
            (None, Some(mean)) => {
                std::thread::sleep(mean);
                false
            }
            (hash, _) => {
                let started = Instant::now();
                let matches = crate::passwords::verify_password(password, hash.unwrap_or(UNKNOWN_USER_HASH));
                self.record(started.elapsed());
                matches && hash.is_some()
            }
        }
    }
}

impl Hashers {
    fn start(threads: usize, idle: bool) -> Self {
        let (queue, jobs) = std::sync::mpsc::sync_channel::<Job>(HASH_QUEUE);
        let jobs = Arc::new(Mutex::new(jobs));
        let timing = Arc::new(CheckTime::default());
        for n in 0..threads {
            let jobs = jobs.clone();
            let timing = timing.clone();
            let started = std::thread::Builder::new().name(format!("password-check-{n}")).spawn(move || {
                if idle {
                    idle_class();
                }
                loop {
                    let job = match unpoisoned(&jobs).recv() {
                        Ok(job) => job,
                        Err(_) => return, // the service is gone
                    };
                    if Instant::now() >= job.deadline || job.reply.is_closed() {
                        continue;
                    }
                    let matches = timing.check(&job.password, job.hash.as_deref());
                    let _ = job.reply.send(matches);
                }
            });
            if let Err(error) = started {
                tracing::error!(%error, "cannot start a password-check thread");
            }
        }
        Self { queue, threads }
    }
}

/// Moves the calling thread to the idle scheduling class.
fn idle_class() {
    use thread_priority::unix::{
        NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
    };
    let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
    if let Err(error) = set_thread_priority_and_policy(thread_native_id(), thread_priority::ThreadPriority::Min, idle) {
        tracing::warn!(?error, "password checks run at normal priority");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_password_check_thread_takes_the_idle_class() {
        use thread_priority::unix::{NormalThreadSchedulePolicy, ThreadSchedulePolicy};
        let policy = std::thread::spawn(|| {
            super::idle_class();
            thread_priority::unix::thread_schedule_policy()
        })
        .join()
        .unwrap_or(Err(thread_priority::Error::Priority("panicked")));
        assert_eq!(policy.ok(), Some(ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle)));
    }

    #[test]
    fn an_unknown_name_is_checked_for_real_only_until_a_check_was_timed() {
        let timing = super::CheckTime::default();
        assert_eq!(timing.mean(), None);
        // Nobody's password matches the stand-in hash, not even its own input.
        assert!(!timing.check("demo", None));
        let first = timing.mean();
        assert!(first.is_some());
        // From now on an unknown name sleeps: the mean is left as it was.
        assert!(!timing.check("demo", None));
        assert_eq!(timing.mean(), first);
        // A real check is timed and counts.
        let hash = crate::passwords::hash_password("demo").unwrap();
        assert!(timing.check("demo", Some(&hash)));
        assert!(!timing.check("Demo", Some(&hash)));
        assert_ne!(timing.mean(), None);
    }
}
