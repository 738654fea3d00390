//! Signing in (đăng nhập): how password guessing is slowed, then stopped.
//!
//! Per account, counting failed attempts since the last success or unlock:
//! - the first [`FREE_FAILURES`] are answered at once;
//! - after that each attempt must wait, after the last failure, a delay that
//!   doubles with every failure (1 s after the 4th, 2 s after the 5th … up to
//!   [`MAX_DELAY`]); an attempt made sooner is refused
//!   unheard and counts as a failure, so guessing faster only brings the lock
//!   closer;
//! - at [`LOCK_AFTER`] failures the account is locked for [`LOCK_FOR`], or until
//!   an administrator unlocks it; while locked even the right password is
//!   refused. A lock that ran out leaves the count as it was: the next failure
//!   locks again at once, and only a success or an unlock clears it.
//!
//! The decision is pure: the service folds the account's sign-in events into a
//! [`SignInState`] and asks [`gate`] before checking a password and
//! [`after_attempt`] after.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// Failures answered without delay.
pub const FREE_FAILURES: u32 = 4;
/// Failures that lock the account.
pub const LOCK_AFTER: u32 = 10;
/// The longest delay between attempts before the lock.
pub const MAX_DELAY: SignedDuration = SignedDuration::from_secs(60);
/// How long a lock lasts unless lifted sooner.
pub const LOCK_FOR: SignedDuration = SignedDuration::from_secs(30 * 60);

/// Why an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    WrongPassword,
    UnknownUser,
    DisabledAccount,
    /// Sent before the delay after the previous failure had passed.
    TooSoon,
    /// Sent while the account was locked.
    Locked,
    /// Sent from an address that failed too often (counted per address, not
    /// against the account).
    TooManyFromAddress,
}

/// What the log records about signing in, per account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SignInEvent {
    /// `SignInSucceeded`: a token was issued.
    SignInSucceeded { at: Timestamp, username: String },
    /// `SignInFailed`: no token; see the reason.
    SignInFailed { at: Timestamp, username: String, reason: FailureReason },
    /// `AccountLocked`: too many failures.
    AccountLocked { at: Timestamp, username: String, until: Timestamp, failures: u32 },
    /// `AccountUnlocked`: an administrator lifted the lock.
    AccountUnlocked { at: Timestamp, username: String, by: UserId },
}

impl SignInEvent {
    /// Every stored type name.
    pub const TYPES: [&'static str; 4] = ["SignInSucceeded", "SignInFailed", "AccountLocked", "AccountUnlocked"];

    /// The stored `event_type`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::SignInSucceeded { .. } => "SignInSucceeded",
            Self::SignInFailed { .. } => "SignInFailed",
            Self::AccountLocked { .. } => "AccountLocked",
            Self::AccountUnlocked { .. } => "AccountUnlocked",
        }
    }
}

/// An account's sign-in standing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignInState {
    /// Failures since the last success or unlock.
    pub failures: u32,
    pub last_failure: Option<Timestamp>,
    pub locked_until: Option<Timestamp>,
}

/// Folds one event.
pub fn apply(state: SignInState, event: &SignInEvent) -> SignInState {
    match event {
        SignInEvent::SignInSucceeded { .. } | SignInEvent::AccountUnlocked { .. } => SignInState::default(),
        SignInEvent::SignInFailed { at, reason, .. } => {
            if matches!(reason, FailureReason::Locked | FailureReason::TooManyFromAddress) {
                return state;
            }
            SignInState { failures: state.failures.saturating_add(1), last_failure: Some(*at), ..state }
        }
        SignInEvent::AccountLocked { until, .. } => SignInState { locked_until: Some(*until), ..state },
    }
}

/// Whether an attempt may be heard now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Too soon after the last failure: try again after this long.
    Wait(SignedDuration),
    /// Locked until then.
    Locked(Timestamp),
}

/// The delay owed after `failures` failures, if any.
pub fn delay_after(failures: u32) -> Option<SignedDuration> {
    let over = failures.checked_sub(FREE_FAILURES)?;
    let seconds = 1_i64.checked_shl(over.min(30)).unwrap_or(i64::MAX);
    Some(SignedDuration::from_secs(seconds).min(MAX_DELAY))
}

/// Whether an attempt at `now` is heard.
pub fn gate(state: &SignInState, now: Timestamp) -> Gate {
    if let Some(until) = state.locked_until.filter(|until| *until > now) {
        return Gate::Locked(until);
    }
    match (delay_after(state.failures), state.last_failure) {
        (Some(delay), Some(last)) if now < last + delay => Gate::Wait((last + delay).duration_since(now)),
        _ => Gate::Open,
    }
}

/// The events of one attempt at `now`: `heard` is `Ok(true)` for the right
/// password, `Ok(false)` for a wrong one, `Err(reason)` when the attempt was
/// refused unheard.
pub fn after_attempt(
    state: &SignInState,
    now: Timestamp,
    username: &str,
    heard: Result<bool, FailureReason>,
) -> Vec<SignInEvent> {
    let username = username.to_owned();
    let reason = match heard {
        Ok(true) => return vec![SignInEvent::SignInSucceeded { at: now, username }],
        Ok(false) => FailureReason::WrongPassword,
        Err(reason) => reason,
    };
    let mut events = vec![SignInEvent::SignInFailed { at: now, username: username.clone(), reason }];
    let failures = state.failures.saturating_add(1);
    // A name no account has locks too: the answers must not tell it apart.
    let lockable = !matches!(reason, FailureReason::Locked | FailureReason::TooManyFromAddress);
    if lockable && failures >= LOCK_AFTER && state.locked_until.is_none_or(|u| u <= now) {
        events.push(SignInEvent::AccountLocked { at: now, username, until: now + LOCK_FOR, failures });
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    fn fold(events: &[SignInEvent]) -> SignInState {
        events.iter().fold(SignInState::default(), apply)
    }

    /// Given the events so far, when an attempt is made at `now` with `heard`.
    fn attempt(history: &mut Vec<SignInEvent>, now: Timestamp, right: bool) -> Gate {
        let state = fold(history);
        let gate = gate(&state, now);
        let heard = match gate {
            Gate::Open => Ok(right),
            Gate::Wait(_) => Err(FailureReason::TooSoon),
            Gate::Locked(_) => Err(FailureReason::Locked),
        };
        history.extend(after_attempt(&state, now, "admin", heard));
        gate
    }

    #[test]
    fn four_failures_are_answered_at_once_then_delays_double() {
        assert_eq!(delay_after(3), None);
        assert_eq!(delay_after(4), Some(SignedDuration::from_secs(1)));
        assert_eq!(delay_after(5), Some(SignedDuration::from_secs(2)));
        assert_eq!(delay_after(8), Some(SignedDuration::from_secs(16)));
        assert_eq!(delay_after(40), Some(MAX_DELAY));
        let mut history = Vec::new();
        for second in 0..4 {
            assert_eq!(attempt(&mut history, at(second), false), Gate::Open);
        }
        let soon = at(3) + SignedDuration::from_millis(400);
        assert_eq!(attempt(&mut history, soon, false), Gate::Wait(SignedDuration::from_millis(600)));
        assert!(matches!(history.last(), Some(SignInEvent::SignInFailed { reason: FailureReason::TooSoon, .. })));
        // Five failures now: two seconds after the last.
        assert_eq!(
            gate(&fold(&history), soon + SignedDuration::from_secs(1)),
            Gate::Wait(SignedDuration::from_secs(1))
        );
        assert_eq!(gate(&fold(&history), soon + SignedDuration::from_secs(2)), Gate::Open);
    }

    #[test]
    fn twenty_quick_guesses_lock_the_account_and_the_right_password_is_refused() {
        let mut history = Vec::new();
        for _ in 0..20 {
            attempt(&mut history, at(0), false);
        }
        let state = fold(&history);
        assert_eq!(state.locked_until, Some(at(0) + LOCK_FOR));
        let locks = history.iter().filter(|e| e.event_type() == "AccountLocked").count();
        assert_eq!(locks, 1, "one lock, not one per attempt: {history:?}");
        assert_eq!(attempt(&mut history, at(60), true), Gate::Locked(at(0) + LOCK_FOR));
        assert!(matches!(history.last(), Some(SignInEvent::SignInFailed { reason: FailureReason::Locked, .. })));
    }

    #[test]
    fn an_unlock_or_a_success_starts_the_count_again() {
        let mut history = Vec::new();
        for _ in 0..12 {
            attempt(&mut history, at(0), false);
        }
        history.push(SignInEvent::AccountUnlocked {
            at: at(10),
            username: "admin".into(),
            by: UserId(uuid::Uuid::nil()),
        });
        assert_eq!(attempt(&mut history, at(11), true), Gate::Open);
        assert!(matches!(history.last(), Some(SignInEvent::SignInSucceeded { .. })));
        assert_eq!(fold(&history), SignInState::default());
    }

    #[test]
    fn a_lock_expires_by_itself() {
        let mut history = Vec::new();
        for _ in 0..10 {
            attempt(&mut history, at(0), false);
        }
        let later = at(0) + LOCK_FOR + SignedDuration::from_secs(1);
        // Still owed the delay of ten failures, which has long passed.
        assert_eq!(gate(&fold(&history), later), Gate::Open);
    }
}
