//! Queue tickets at a reception unit (bốc số thứ tự): a citizen takes a number
//! in a service group, a counter (quầy) calls the next one, and the day's
//! waiting and service times come from the events.
//!
//! One stream per reception unit and Vietnamese day, `queue-<unit>-<yyyymmdd>`:
//! numbers are gapless per group and day because each is the stream's own
//! count, and two counters calling at once cannot get the same ticket because
//! both decide on the same stream version and the second append conflicts (the
//! write side then decides again on the new version). A new day is a new
//! stream, so numbering restarts at `A-0001` each day in Vietnam's time.
//!
//! Served first, as the law wants the elderly, persons with disabilities,
//! pregnant women and people with small children to be: any priority ticket
//! before every ordinary one, and within each, first come
//! first served. A ticket marked absent that comes back later is queued again
//! from the moment it comes back (it does not jump the queue it missed), keeping
//! its priority.
//!
//! Pure, as the rest of the domain: the unit's groups and counters come in
//! through [`QueueContext`].

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::booking::{Booking, BookingCode};
use crate::calendar::OfficeHours;
pub use crate::ids::GroupCode;
use crate::ids::{CaseId, UserId};

/// A ticket's number: its group and its place in the group's day, `A-0001`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TicketNumber {
    pub group: GroupCode,
    pub seq: u32,
}

impl TicketNumber {
    /// Parses `A-0001` (at least four digits; a day past 9999 tickets in a
    /// group prints five).
    pub fn parse(text: &str) -> Option<Self> {
        let (group, seq) = text.split_once('-')?;
        if seq.len() < 4 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let seq: u32 = seq.parse().ok().filter(|n| *n > 0)?;
        let number = Self { group: GroupCode::new(group)?, seq };
        (number.to_string() == text).then_some(number)
    }
}

impl std::fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{:04}", self.group.as_str(), self.seq)
    }
}

/// Who is served first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityClass {
    Elderly,
    Disability,
    Pregnant,
    SmallChildren,
}

/// A service group of a unit (nhóm dịch vụ): its letter and name, e.g. `A` —
/// Đất đai.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceGroup {
    pub code: GroupCode,
    pub name: String,
    /// Places per half-day for online bookings (đặt lịch hẹn); none: the
    /// group takes no bookings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking_capacity: Option<u16>,
}

/// A counter (quầy) and the groups it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterSetup {
    pub number: u16,
    pub name: String,
    pub groups: Vec<GroupCode>,
}

/// A reception unit's queue: its groups and counters, recorded in the stream
/// `queue-setup-<unit>` like every catalog change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueSetup {
    pub groups: Vec<ServiceGroup>,
    pub counters: Vec<CounterSetup>,
}

/// A setup the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("group {0} is listed twice")]
    DuplicateGroup(String),
    #[error("counter {0} is listed twice")]
    DuplicateCounter(u16),
    #[error("counter {counter} serves group {group}, which is not a group of this unit")]
    UnknownGroup { counter: u16, group: String },
    #[error("the group {0} needs a name")]
    NoName(String),
}

impl QueueSetup {
    /// Checks that groups and counters are each listed once, named, and that
    /// counters serve the unit's own groups. A counter serving no group is
    /// allowed (closed for now); calling at it is refused.
    pub fn check(&self) -> Result<(), SetupError> {
        let mut seen = std::collections::BTreeSet::new();
        for group in &self.groups {
            if !seen.insert(&group.code) {
                return Err(SetupError::DuplicateGroup(group.code.as_str().to_owned()));
            }
            if group.name.trim().is_empty() {
                return Err(SetupError::NoName(group.code.as_str().to_owned()));
            }
        }
        let mut counters = std::collections::BTreeSet::new();
        for counter in &self.counters {
            if !counters.insert(counter.number) {
                return Err(SetupError::DuplicateCounter(counter.number));
            }
            if let Some(group) = counter.groups.iter().find(|g| !seen.contains(g)) {
                return Err(SetupError::UnknownGroup { counter: counter.number, group: group.as_str().to_owned() });
            }
        }
        Ok(())
    }

    /// What the day's decisions need of it, at a unit keeping `hours`.
    pub fn context(&self, now: Timestamp, hours: OfficeHours) -> QueueContext {
        QueueContext {
            now,
            groups: self.groups.iter().map(|g| g.code.clone()).collect(),
            counters: self.counters.iter().map(|c| (c.number, c.groups.clone())).collect(),
            hours,
        }
    }
}

/// The event type of a queue setup, in `queue-setup-<unit>`.
pub const QUEUE_SET_UP: &str = "QueueSetUp";

/// The stream of a unit's queue setup.
pub fn setup_stream(unit: &crate::ids::UnitCode) -> String {
    format!("queue-setup-{unit}")
}

/// What happens to the day's tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueEvent {
    TicketTaken {
        at: Timestamp,
        number: TicketNumber,
        priority: Option<PriorityClass>,
        /// Taken by checking in an online booking.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        booking: Option<CheckIn>,
    },
    TicketCalled {
        at: Timestamp,
        number: TicketNumber,
        counter: u16,
        officer: UserId,
    },
    /// Called again at the same counter (the citizen did not hear it).
    TicketRecalled {
        at: Timestamp,
        number: TicketNumber,
        counter: u16,
    },
    /// Vắng mặt: not there when called.
    TicketMissed {
        at: Timestamp,
        number: TicketNumber,
        counter: u16,
    },
    /// An absent ticket is back, queued again from now.
    TicketReturned {
        at: Timestamp,
        number: TicketNumber,
    },
    /// Sent to another group's queue, keeping its number and its place in time.
    TicketTransferred {
        at: Timestamp,
        number: TicketNumber,
        to_group: GroupCode,
        counter: u16,
    },
    TicketFinished {
        at: Timestamp,
        number: TicketNumber,
        counter: u16,
        /// The cases received from it.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cases: Vec<CaseId>,
    },
}

/// A booking checked in at the kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckIn {
    pub code: BookingCode,
    /// Checked in before its half-day ended: served ahead of walk-ins.
    pub in_slot: bool,
}

/// What officers and the kiosk ask of the day's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueCommand {
    Take {
        group: GroupCode,
        priority: Option<PriorityClass>,
    },
    /// A ticket for a booking of today (found in the day's bookings by the caller).
    CheckIn {
        booking: Booking,
        priority: Option<PriorityClass>,
    },
    CallNext {
        counter: u16,
        officer: UserId,
    },
    Recall {
        counter: u16,
    },
    MarkAbsent {
        counter: u16,
    },
    Return {
        number: TicketNumber,
    },
    Transfer {
        counter: u16,
        to_group: GroupCode,
    },
    /// Done; `cases` were received from the ticket (the caller checks they exist).
    Finish {
        counter: u16,
        cases: Vec<CaseId>,
    },
}

/// The unit's groups and counters, from the catalog.
#[derive(Debug, Clone, Default)]
pub struct QueueContext {
    pub now: Timestamp,
    pub groups: Vec<GroupCode>,
    /// Each counter and the groups it serves.
    pub counters: BTreeMap<u16, Vec<GroupCode>>,
    /// The unit's office hours, which end a booking's half-day.
    pub hours: OfficeHours,
}

/// A rule of the queue that refuses a command; each names itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("group {0} is not a service group of this unit")]
    UnknownGroup(String),
    #[error("counter {0} is not a counter of this unit")]
    UnknownCounter(u16),
    #[error("counter {0} serves no group")]
    CounterServesNoGroup(u16),
    #[error("counter {counter} still has ticket {number}: finish it, mark it absent or transfer it first")]
    CounterBusy { counter: u16, number: String },
    #[error("counter {0} has no ticket called")]
    NothingAtCounter(u16),
    #[error("no ticket is waiting in the groups counter {0} serves")]
    NothingWaiting(u16),
    #[error("ticket {0} was not taken today")]
    UnknownTicket(String),
    #[error("ticket {0} was not marked absent")]
    NotAbsent(String),
    #[error("booking {0} is for another day")]
    BookingNotToday(String),
    #[error("booking {0} was already checked in")]
    AlreadyCheckedIn(String),
    #[error("there is no booking {0} for this unit today")]
    UnknownBooking(String),
    #[error("case {0} does not exist")]
    UnknownCase(String),
}

impl QueueError {
    /// The rule's stable name, for problem details.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::UnknownGroup(_) => "unknown_group",
            Self::UnknownCounter(_) => "unknown_counter",
            Self::CounterServesNoGroup(_) => "counter_serves_no_group",
            Self::CounterBusy { .. } => "counter_busy",
            Self::NothingAtCounter(_) => "nothing_at_counter",
            Self::NothingWaiting(_) => "nothing_waiting",
            Self::UnknownTicket(_) => "unknown_ticket",
            Self::NotAbsent(_) => "not_absent",
            Self::BookingNotToday(_) => "booking_not_today",
            Self::AlreadyCheckedIn(_) => "already_checked_in",
            Self::UnknownBooking(_) => "unknown_booking",
            Self::UnknownCase(_) => "unknown_case",
        }
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatus {
    Waiting,
    AtCounter(u16),
    Absent,
    Finished,
}

/// One ticket of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub number: TicketNumber,
    /// The group whose queue it is in now (a transfer moves it).
    pub group: GroupCode,
    pub priority: Option<PriorityClass>,
    pub taken_at: Timestamp,
    /// Its place in the queue: the order it was queued in (taken, or returned).
    pub queued: u64,
    pub status: TicketStatus,
    /// Checked in from a booking within its half-day.
    pub booked: bool,
}

/// The day's queue, folded from its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueState {
    pub tickets: BTreeMap<TicketNumber, Ticket>,
    /// The last number given in each group.
    pub last_seq: BTreeMap<GroupCode, u32>,
    /// The ticket each counter has called.
    pub at_counter: BTreeMap<u16, TicketNumber>,
    /// Bookings checked in today.
    pub checked_in: std::collections::BTreeSet<BookingCode>,
    queued: u64,
}

impl QueueState {
    /// The next ticket counter `serving` would call: any priority ticket first,
    /// then bookings kept, then by the order queued.
    pub fn next_for(&self, serving: &[GroupCode]) -> Option<&Ticket> {
        self.waiting(serving).next()
    }

    /// The tickets waiting in `groups`, in the order they will be called.
    pub fn waiting(&self, groups: &[GroupCode]) -> std::vec::IntoIter<&Ticket> {
        let mut waiting: Vec<&Ticket> =
            self.tickets.values().filter(|t| t.status == TicketStatus::Waiting && groups.contains(&t.group)).collect();
        waiting.sort_by_key(|t| (t.priority.is_none(), !t.booked, t.queued));
        waiting.into_iter()
    }

    /// How many tickets of its group will be called before `ticket`, while
    /// it waits.
    pub fn ahead_of(&self, ticket: &Ticket) -> Option<usize> {
        if ticket.status != TicketStatus::Waiting {
            return None;
        }
        self.waiting(std::slice::from_ref(&ticket.group)).position(|t| t.number == ticket.number)
    }

    fn at(&self, counter: u16) -> Result<&TicketNumber, QueueError> {
        self.at_counter.get(&counter).ok_or(QueueError::NothingAtCounter(counter))
    }
}

/// Folds one event in.
pub fn evolve(mut state: QueueState, event: &QueueEvent) -> QueueState {
    let set = |state: &mut QueueState, number: &TicketNumber, status: TicketStatus| {
        if let Some(ticket) = state.tickets.get_mut(number) {
            ticket.status = status;
        }
    };
    match event {
        QueueEvent::TicketTaken { at, number, priority, booking } => {
            state.queued += 1;
            if let Some(check_in) = booking {
                state.checked_in.insert(check_in.code.clone());
            }
            state.last_seq.insert(number.group.clone(), number.seq);
            state.tickets.insert(
                number.clone(),
                Ticket {
                    number: number.clone(),
                    group: number.group.clone(),
                    priority: *priority,
                    taken_at: *at,
                    queued: state.queued,
                    status: TicketStatus::Waiting,
                    booked: booking.as_ref().is_some_and(|b| b.in_slot),
                },
            );
        }
        QueueEvent::TicketCalled { number, counter, .. } => {
            set(&mut state, number, TicketStatus::AtCounter(*counter));
            state.at_counter.insert(*counter, number.clone());
        }
        QueueEvent::TicketRecalled { .. } => {}
        QueueEvent::TicketMissed { number, counter, .. } => {
            set(&mut state, number, TicketStatus::Absent);
            state.at_counter.remove(counter);
        }
        QueueEvent::TicketReturned { number, .. } => {
            state.queued += 1;
            let queued = state.queued;
            if let Some(ticket) = state.tickets.get_mut(number) {
                ticket.status = TicketStatus::Waiting;
                ticket.queued = queued;
            }
        }
        QueueEvent::TicketTransferred { number, to_group, counter, .. } => {
            if let Some(ticket) = state.tickets.get_mut(number) {
                ticket.status = TicketStatus::Waiting;
                ticket.group = to_group.clone();
            }
            state.at_counter.remove(counter);
        }
        QueueEvent::TicketFinished { number, counter, .. } => {
            set(&mut state, number, TicketStatus::Finished);
            state.at_counter.remove(counter);
        }
    }
    state
}

impl QueueEvent {
    /// The ticket it is about.
    pub fn number(&self) -> &TicketNumber {
        match self {
            Self::TicketTaken { number, .. }
            | Self::TicketCalled { number, .. }
            | Self::TicketRecalled { number, .. }
            | Self::TicketMissed { number, .. }
            | Self::TicketReturned { number, .. }
            | Self::TicketTransferred { number, .. }
            | Self::TicketFinished { number, .. } => number,
        }
    }
}

crate::registry::stored_names!(QueueEvent {
    TicketTaken,
    TicketCalled,
    TicketRecalled,
    TicketMissed,
    TicketReturned,
    TicketTransferred,
    TicketFinished
});

/// Decides a command on the day's queue.
pub fn decide(state: &QueueState, command: QueueCommand, ctx: &QueueContext) -> Result<Vec<QueueEvent>, QueueError> {
    let at = ctx.now;
    let serving = |counter: u16| -> Result<&Vec<GroupCode>, QueueError> {
        let groups = ctx.counters.get(&counter).ok_or(QueueError::UnknownCounter(counter))?;
        if groups.is_empty() { Err(QueueError::CounterServesNoGroup(counter)) } else { Ok(groups) }
    };
    let known_group = |group: &GroupCode| {
        if ctx.groups.contains(group) { Ok(()) } else { Err(QueueError::UnknownGroup(group.as_str().to_owned())) }
    };
    let event = match command {
        QueueCommand::Take { group, priority } => {
            known_group(&group)?;
            let seq = state.last_seq.get(&group).copied().unwrap_or(0) + 1;
            QueueEvent::TicketTaken { at, number: TicketNumber { group, seq }, priority, booking: None }
        }
        QueueCommand::CheckIn { booking, priority } => {
            known_group(&booking.group)?;
            if booking.day != crate::calendar::local(at).date() {
                return Err(QueueError::BookingNotToday(booking.code.to_string()));
            }
            if state.checked_in.contains(&booking.code) {
                return Err(QueueError::AlreadyCheckedIn(booking.code.to_string()));
            }
            let in_slot = at < booking.half.ends(booking.day, &ctx.hours);
            let seq = state.last_seq.get(&booking.group).copied().unwrap_or(0) + 1;
            QueueEvent::TicketTaken {
                at,
                number: TicketNumber { group: booking.group, seq },
                priority,
                booking: Some(CheckIn { code: booking.code, in_slot }),
            }
        }
        QueueCommand::CallNext { counter, officer } => {
            let groups = serving(counter)?;
            if let Some(number) = state.at_counter.get(&counter) {
                return Err(QueueError::CounterBusy { counter, number: number.to_string() });
            }
            let next = state.next_for(groups).ok_or(QueueError::NothingWaiting(counter))?;
            QueueEvent::TicketCalled { at, number: next.number.clone(), counter, officer }
        }
        QueueCommand::Recall { counter } => {
            serving(counter)?;
            QueueEvent::TicketRecalled { at, number: state.at(counter)?.clone(), counter }
        }
        QueueCommand::MarkAbsent { counter } => {
            serving(counter)?;
            QueueEvent::TicketMissed { at, number: state.at(counter)?.clone(), counter }
        }
        QueueCommand::Return { number } => {
            let ticket = state.tickets.get(&number).ok_or_else(|| QueueError::UnknownTicket(number.to_string()))?;
            if ticket.status != TicketStatus::Absent {
                return Err(QueueError::NotAbsent(number.to_string()));
            }
            QueueEvent::TicketReturned { at, number }
        }
        QueueCommand::Transfer { counter, to_group } => {
            serving(counter)?;
            known_group(&to_group)?;
            QueueEvent::TicketTransferred { at, number: state.at(counter)?.clone(), to_group, counter }
        }
        QueueCommand::Finish { counter, cases } => {
            serving(counter)?;
            QueueEvent::TicketFinished { at, number: state.at(counter)?.clone(), counter, cases }
        }
    };
    Ok(vec![event])
}

/// The stream of a unit's queue on the Vietnamese day `now` falls on.
pub fn stream_name(unit: &crate::ids::UnitCode, now: Timestamp) -> String {
    format!("queue-{unit}-{}", crate::calendar::local(now).strftime("%Y%m%d"))
}

/// The queue after `events`.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a QueueEvent>) -> QueueState {
    events.into_iter().fold(QueueState::default(), evolve)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(code: &str) -> GroupCode {
        GroupCode::new(code).unwrap()
    }

    fn context() -> QueueContext {
        QueueContext {
            now: "2026-03-02T08:00:00+07:00".parse().unwrap(),
            groups: vec![group("A"), group("B")],
            counters: BTreeMap::from([(1, vec![group("A")]), (2, vec![group("A"), group("B")]), (3, vec![])]),
            hours: OfficeHours::default(),
        }
    }

    /// Given the events, when the command, then the events decided.
    fn when(given: &[QueueEvent], command: QueueCommand) -> Result<Vec<QueueEvent>, QueueError> {
        decide(&fold(given), command, &context())
    }

    fn take(state: &mut Vec<QueueEvent>, code: &str, priority: Option<PriorityClass>) {
        let events = when(state, QueueCommand::Take { group: group(code), priority }).unwrap();
        state.extend(events);
    }

    fn called(events: &[QueueEvent]) -> String {
        match &events[0] {
            QueueEvent::TicketCalled { number, .. } => number.to_string(),
            other => panic!("not a call: {other:?}"),
        }
    }

    const OFFICER: UserId = UserId(uuid::Uuid::from_u128(1));

    #[test]
    fn numbers_read_back_as_printed() {
        for text in ["A-0001", "BC-0420", "A-12345"] {
            assert_eq!(TicketNumber::parse(text).unwrap().to_string(), text);
        }
        for text in ["A-1", "A-0000", "a-0001", "A0001", "A-00001", "ABCD-0001", "A-00x1"] {
            assert_eq!(TicketNumber::parse(text), None, "{text}");
        }
    }

    #[test]
    fn numbers_run_without_gaps_per_group() {
        let mut log = Vec::new();
        for code in ["A", "B", "A", "A", "B"] {
            take(&mut log, code, None);
        }
        let numbers: Vec<String> = fold(&log).tickets.keys().map(ToString::to_string).collect();
        assert_eq!(numbers, ["A-0001", "A-0002", "A-0003", "B-0001", "B-0002"]);
        assert_eq!(
            when(&log, QueueCommand::Take { group: group("C"), priority: None }),
            Err(QueueError::UnknownGroup("C".into()))
        );
    }

    #[test]
    fn priority_first_then_first_come_within_the_counters_groups() {
        let mut log = Vec::new();
        take(&mut log, "A", None); // A-0001
        take(&mut log, "B", Some(PriorityClass::Elderly)); // B-0001
        take(&mut log, "A", None); // A-0002
        take(&mut log, "A", Some(PriorityClass::Pregnant)); // A-0003
        // Counter 1 serves A only: the pregnant woman's A-0003 first.
        let first = when(&log, QueueCommand::CallNext { counter: 1, officer: OFFICER }).unwrap();
        assert_eq!(called(&first), "A-0003");
        log.extend(first);
        // Counter 2 serves A and B: the elderly man's B-0001, then A-0001.
        let second = when(&log, QueueCommand::CallNext { counter: 2, officer: OFFICER }).unwrap();
        assert_eq!(called(&second), "B-0001");
        log.extend(second);
        assert!(matches!(
            when(&log, QueueCommand::CallNext { counter: 2, officer: OFFICER }),
            Err(QueueError::CounterBusy { counter: 2, .. })
        ));
        log.extend(when(&log, QueueCommand::Finish { counter: 2, cases: vec![] }).unwrap());
        assert_eq!(called(&when(&log, QueueCommand::CallNext { counter: 2, officer: OFFICER }).unwrap()), "A-0001");
    }

    #[test]
    fn an_absent_ticket_comes_back_behind_those_waiting() {
        let mut log = Vec::new();
        take(&mut log, "A", None);
        take(&mut log, "A", None);
        log.extend(when(&log, QueueCommand::CallNext { counter: 1, officer: OFFICER }).unwrap());
        log.extend(when(&log, QueueCommand::MarkAbsent { counter: 1 }).unwrap());
        let a1 = TicketNumber { group: group("A"), seq: 1 };
        log.extend(when(&log, QueueCommand::Return { number: a1.clone() }).unwrap());
        assert_eq!(called(&when(&log, QueueCommand::CallNext { counter: 1, officer: OFFICER }).unwrap()), "A-0002");
        assert_eq!(when(&log, QueueCommand::Return { number: a1 }), Err(QueueError::NotAbsent("A-0001".into())));
    }

    #[test]
    fn a_booking_kept_is_served_after_priority_and_before_walk_ins_and_checks_in_once() {
        use crate::booking::{Booking, BookingCode, HalfDay};
        let booking = |n: u8, half| Booking {
            code: BookingCode::from_random([n; 8]),
            group: group("A"),
            day: jiff::civil::date(2026, 3, 2),
            half,
        };
        let mut log = Vec::new();
        take(&mut log, "A", None); // A-0001, a walk-in
        // Checked in at 08:00 for the morning: kept. For the afternoon: kept too.
        log.extend(
            when(&log, QueueCommand::CheckIn { booking: booking(1, HalfDay::Morning), priority: None }).unwrap(),
        );
        take(&mut log, "A", Some(PriorityClass::Disability)); // A-0003
        let order: Vec<String> = fold(&log).waiting(&[group("A")]).map(|t| t.number.to_string()).collect();
        assert_eq!(order, ["A-0003", "A-0002", "A-0001"]);
        assert_eq!(
            when(&log, QueueCommand::CheckIn { booking: booking(1, HalfDay::Morning), priority: None })
                .map_err(|e| e.rule()),
            Err("already_checked_in")
        );
        let late = QueueContext { now: "2026-03-02T14:00:00+07:00".parse().unwrap(), ..context() };
        let events =
            decide(&fold(&log), QueueCommand::CheckIn { booking: booking(2, HalfDay::Morning), priority: None }, &late)
                .unwrap();
        assert!(matches!(&events[0], QueueEvent::TicketTaken { booking: Some(CheckIn { in_slot: false, .. }), .. }));
        let tomorrow = Booking { day: jiff::civil::date(2026, 3, 3), ..booking(3, HalfDay::Morning) };
        assert_eq!(
            when(&log, QueueCommand::CheckIn { booking: tomorrow, priority: None }).map_err(|e| e.rule()),
            Err("booking_not_today")
        );
    }

    #[test]
    fn a_transferred_ticket_waits_in_its_new_group_in_its_place() {
        let mut log = Vec::new();
        take(&mut log, "A", None); // A-0001, taken first
        take(&mut log, "B", None); // B-0001
        log.extend(when(&log, QueueCommand::CallNext { counter: 1, officer: OFFICER }).unwrap());
        log.extend(when(&log, QueueCommand::Transfer { counter: 1, to_group: group("B") }).unwrap());
        let state = fold(&log);
        assert!(state.at_counter.is_empty());
        assert_eq!(state.next_for(&[group("B")]).unwrap().number.to_string(), "A-0001");
    }

    #[test]
    fn events_are_stored_as_their_fields_under_their_names() {
        let mut log = Vec::new();
        take(&mut log, "A", Some(PriorityClass::SmallChildren));
        let stored = log[0].payload().to_string();
        assert_eq!(log[0].event_type(), "TicketTaken");
        assert!(stored.contains("\"priority\":\"small_children\"") && stored.contains("\"seq\":1"), "{stored}");
        assert_eq!(QueueEvent::decode("TicketTaken", &stored).unwrap(), log[0]);
    }

    #[test]
    fn a_setup_lists_each_group_and_counter_once_and_counters_serve_its_groups() {
        let setup = |groups: &[&str], counters: &[(u16, &[&str])]| QueueSetup {
            groups: groups
                .iter()
                .map(|g| ServiceGroup { code: group(g), name: format!("Nhóm {g}"), booking_capacity: None })
                .collect(),
            counters: counters
                .iter()
                .map(|(n, gs)| CounterSetup {
                    number: *n,
                    name: format!("Quầy {n}"),
                    groups: gs.iter().map(|g| group(g)).collect(),
                })
                .collect(),
        };
        assert_eq!(setup(&["A", "B"], &[(1, &["A"]), (2, &["A", "B"]), (3, &[])]).check(), Ok(()));
        assert_eq!(setup(&["A", "A"], &[]).check(), Err(SetupError::DuplicateGroup("A".into())));
        assert_eq!(setup(&["A"], &[(1, &["A"]), (1, &[])]).check(), Err(SetupError::DuplicateCounter(1)));
        assert_eq!(
            setup(&["A"], &[(1, &["B"])]).check(),
            Err(SetupError::UnknownGroup { counter: 1, group: "B".into() })
        );
    }

    #[test]
    fn a_day_is_a_day_in_vietnam() {
        let unit: crate::ids::UnitCode = "000.00.01.H22".parse().unwrap();
        // 23:30 UTC on 1 March is 06:30 on 2 March in Vietnam.
        let early = "2026-03-01T23:30:00Z".parse().unwrap();
        assert_eq!(stream_name(&unit, early), "queue-000.00.01.H22-20260302");
    }

    #[test]
    fn rules_name_themselves() {
        let log = Vec::new();
        let refused = [
            (QueueCommand::CallNext { counter: 3, officer: OFFICER }, "counter_serves_no_group"),
            (QueueCommand::CallNext { counter: 9, officer: OFFICER }, "unknown_counter"),
            (QueueCommand::CallNext { counter: 1, officer: OFFICER }, "nothing_waiting"),
            (QueueCommand::Finish { counter: 1, cases: vec![] }, "nothing_at_counter"),
            (QueueCommand::Return { number: TicketNumber { group: group("A"), seq: 7 } }, "unknown_ticket"),
            (QueueCommand::Transfer { counter: 1, to_group: group("Z") }, "unknown_group"),
        ];
        for (command, rule) in refused {
            assert_eq!(when(&log, command.clone()).map_err(|e| e.rule()), Err(rule), "{command:?}");
        }
    }
}
