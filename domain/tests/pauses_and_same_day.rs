//! Pauses in shift mode and procedures handled "in the day" (trong ngày), over
//! the real `decide` and the shipped calendar.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod common;

use common::*;
use jiff::civil::time;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::calendar::{OfficeHours, Schedule, WorkingCalendar, local};
use onestop_domain::case::{CaseCommand, CaseEvent};
use onestop_domain::catalog::{Channel, PauseMode};
use onestop_domain::deadline::ProcessingTime;
use proptest::prelude::*;

fn show(t: Timestamp) -> String {
    local(t).strftime("%a %Y-%m-%d %H:%M").to_string()
}

fn receive() -> CaseCommand {
    CaseCommand::Receive { unit: unit(CENTRE), channel: Channel::InPerson, applicant: applicant(), documents: vec![] }
}

fn request_supplement() -> CaseCommand {
    CaseCommand::RequestSupplement {
        reason: "Thiếu bản sao giấy chứng nhận".into(),
        documents: vec!["Giấy chứng nhận".into()],
    }
}

fn supplement() -> CaseCommand {
    CaseCommand::ReceiveSupplement { documents: vec!["Giấy chứng nhận".into()] }
}

/// The land procedure with `days` working days and the 15:00 cutoff.
fn procedure(days: u32) -> onestop_domain::catalog::Procedure {
    let mut p = land_procedure(PauseMode::Shift);
    p.processing_time = ProcessingTime::working_days(days);
    p
}

/// Received at `received`, a supplement asked for at `asked` and brought at
/// `brought`: the due dates before and after, and the paused minutes recorded.
fn pause(
    days: u32,
    received: Timestamp,
    asked: Timestamp,
    brought: Timestamp,
) -> (Timestamp, Timestamp, i64, Timestamp) {
    let case = Case::with_procedure(procedure(days))
        .at(received)
        .then_as(&reception(), receive())
        .at(asked)
        .then_as(&reception(), request_supplement());
    let before = case.state().due_at.unwrap();
    let counting_from = case.state().counting_from.unwrap();
    let case = case.at(brought).then_as(&reception(), supplement());
    let Some(CaseEvent::SupplementReceived(e)) = case.history.last() else {
        panic!("no supplement event");
    };
    (before, e.clock.due_at, e.clock.paused_minutes, counting_from)
}

#[test]
fn a_supplement_asked_for_before_counting_began_costs_only_time_after_it() {
    // Received Fri 13 Feb 2026 15:30, after the 15:00 cutoff: counting starts
    // Mon 23 Feb 07:30 (Tết and a weekend between). The supplement asked for at
    // once and brought Tue 24 Feb 09:00 stopped 7.5 h on Monday and 1.5 h on
    // Tuesday: 540 minutes, not the 630 that would count Friday's last 1.5 h.
    let (_, _, paused, start) = pause(3, at(2026, 2, 13, 15, 30), at(2026, 2, 13, 15, 30), at(2026, 2, 24, 9, 0));
    assert_eq!(show(start), "Mon 2026-02-23 07:30");
    assert_eq!(paused, 540);

    // Brought Mon 23 Feb 16:30: 7 working hours lost; three days from Monday's
    // opening fell due Thu 26 07:30, now Thu 26 16:30.
    let (before, after, paused, _) =
        pause(3, at(2026, 2, 13, 15, 30), at(2026, 2, 13, 15, 30), at(2026, 2, 23, 16, 30));
    assert_eq!(paused, 420);
    assert_eq!(show(before), "Thu 2026-02-26 07:30");
    assert_eq!(show(after), "Thu 2026-02-26 16:30");
}

/// A working instant of 2024–2027 (minutes since 1 Jan 2024 00:00 in UTC+7).
fn instant_in_years() -> impl Strategy<Value = Timestamp> {
    (0i64..4 * 365 * 24 * 60).prop_map(|m| at(2024, 1, 1, 0, 0) + SignedDuration::from_mins(m))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// In shift mode the due date moves by exactly the working time from the
    /// later of the pause and the counting start to the supplement.
    #[test]
    fn a_shift_moves_the_due_date_by_the_working_time_the_clock_stood(
        received in instant_in_years(),
        asked_after in 0i64..20 * 24 * 60,
        paused_for in 0i64..40 * 24 * 60,
        days in 1u32..15,
    ) {
        let asked = received + SignedDuration::from_mins(asked_after);
        let brought = asked + SignedDuration::from_mins(paused_for);
        let (before, after, paused, start) = pause(days, received, asked, brought);
        let calendar = WorkingCalendar::vietnam();
        let hours = OfficeHours::default();
        let schedule = Schedule::new(&calendar, &hours);
        let stood = schedule.working_minutes_between(asked.max(start), brought);
        prop_assert_eq!(paused, stood);
        prop_assert_eq!(schedule.working_minutes_between(before, after), stood);
        prop_assert!(after >= before);
    }

    /// A same-day file received before the cutoff on a working day, in office
    /// hours (or before they open), is due at that day's close; otherwise at the
    /// close of the next working day.
    #[test]
    fn a_same_day_file_is_due_the_day_it_counts_as_received(received in instant_in_years()) {
        let mut p = land_procedure(PauseMode::Shift);
        p.processing_time = ProcessingTime::same_day();
        let case = Case::with_procedure(p).at(received).then_as(&reception(), receive());
        let due = local(case.state().due_at.unwrap());
        let calendar = WorkingCalendar::vietnam();
        let here = local(received);
        let counts_today = calendar.is_working_day(here.date()) && here.time() < time(15, 0, 0, 0);
        let expected_day = if counts_today {
            here.date()
        } else {
            calendar.working_day_on_or_after(here.date().tomorrow().unwrap())
        };
        prop_assert_eq!(due.date(), expected_day);
        prop_assert_eq!(due.time(), time(17, 0, 0, 0));
    }
}

#[test]
fn a_same_day_file_before_and_after_the_cutoff() {
    let mut p = land_procedure(PauseMode::Shift);
    p.processing_time = ProcessingTime::same_day();
    let due = |received| {
        let case = Case::with_procedure(p.clone()).at(received).then_as(&reception(), receive());
        show(case.state().due_at.unwrap())
    };
    assert_eq!(due(at(2026, 3, 2, 9, 0)), "Mon 2026-03-02 17:00");
    assert_eq!(due(at(2026, 3, 2, 14, 59)), "Mon 2026-03-02 17:00");
    assert_eq!(due(at(2026, 3, 2, 15, 0)), "Tue 2026-03-03 17:00");
    // Friday after the cutoff: Monday.
    assert_eq!(due(at(2026, 3, 6, 15, 30)), "Mon 2026-03-09 17:00");
}
