//! Due dates around real holidays, with the 2026 published arrangement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

use jiff::Timestamp;
use jiff::civil::{date, time};
use onestop_domain::calendar::{OfficeHours, Schedule, WorkingCalendar, instant, local};
use onestop_domain::deadline::{ProcessingTime, Progress, Punctuality};

fn at(y: i16, m: i8, d: i8, h: i8, min: i8) -> Timestamp {
    instant(date(y, m, d).at(h, min, 0, 0))
}

fn show(t: Timestamp) -> String {
    local(t).strftime("%a %Y-%m-%d %H:%M").to_string()
}

#[test]
fn three_working_days_received_after_the_cutoff_before_tet_2026() {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    // Thursday 12 Feb 2026, 16:00, after a 15:00 cutoff: the file counts as
    // received at the opening of Friday 13 Feb; 16–20 Feb are Tết and 21–22 a
    // weekend, so the three working days after Friday are Mon 23, Tue 24 and
    // Wed 25, due at the time counting started.
    let received = at(2026, 2, 12, 16, 0);
    let start = schedule.counting_start(received, Some(time(15, 0, 0, 0)));
    assert_eq!(show(start), "Fri 2026-02-13 07:30");
    let due = schedule.due_date(received, ProcessingTime::working_days(3), Some(time(15, 0, 0, 0)));
    assert_eq!(show(due), "Wed 2026-02-25 07:30");

    // Before the cutoff, counting starts at receipt: Thu 14:00 → Fri 13, Mon 23,
    // Tue 24 at 14:00.
    let due = schedule.due_date(at(2026, 2, 12, 14, 0), ProcessingTime::working_days(3), Some(time(15, 0, 0, 0)));
    assert_eq!(show(due), "Tue 2026-02-24 14:00");
}

#[test]
fn five_working_days_across_hung_kings_day_made_up_on_monday() {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    // Giỗ Tổ (10/3 lunar) is Sunday 26 Apr 2026, made up on Monday 27; 30 Apr and
    // 1 May are holidays too. Received Thursday 23 Apr at 09:00: the five days are
    // Thu 23 (from 09:00), Fri 24, Tue 28, Wed 29, Mon 4 May, ending Tue 5 May 09:00.
    let due = schedule.due_date(at(2026, 4, 23, 9, 0), ProcessingTime::working_days(5), None);
    assert_eq!(show(due), "Tue 2026-05-05 09:00");
    assert!(!calendar.is_working_day(date(2026, 4, 27)));
}

#[test]
fn a_pause_across_tet_stops_only_working_time() {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    // Paused Friday 13 Feb 10:00, resumed Tuesday 24 Feb 10:00: the paused working
    // time is Fri 13 from 10:00 (1.5 h + 3.5 h), Mon 23 (7.5 h), Tue 24 until
    // 10:00 (2.5 h) = 15 h; Tết and the weekends do not count.
    let paused = schedule.working_minutes_between(at(2026, 2, 13, 10, 0), at(2026, 2, 24, 10, 0));
    assert_eq!(paused, 15 * 60);
    // A due date of Wed 25 Feb 17:00 shifted by 15 working hours: two whole days.
    let shifted = schedule.add_working_minutes(at(2026, 2, 25, 17, 0), paused);
    assert_eq!(show(shifted), "Fri 2026-02-27 17:00");
}

#[test]
fn saturdays_worked_by_swap_count_and_swapped_days_off_do_not() {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    // Fri 2 Jan 2026 is off (swapped with Sat 10 Jan, which is worked). After
    // hours on 31 Dec the file counts as received on Mon 5 Jan: one working
    // day after it is Tue 6 Jan.
    let due = schedule.due_date(at(2025, 12, 31, 17, 30), ProcessingTime::working_days(1), None);
    assert_eq!(show(due), "Tue 2026-01-06 07:30");
    let due = schedule.due_date(at(2026, 1, 9, 8, 0), ProcessingTime::working_days(1), None);
    assert_eq!(show(due), "Sat 2026-01-10 08:00");
}

#[test]
fn working_hours_skip_lunch_and_nights() {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    // 11:00 Monday + 8 working hours: 0.5 h before lunch, 3.5 h afternoon, then
    // 4 h on Tuesday morning.
    let due = schedule.due_date(at(2026, 3, 2, 11, 0), ProcessingTime::working_hours(8), None);
    assert_eq!(show(due), "Tue 2026-03-03 11:30");
    // Received during lunch: counting starts at 13:30.
    assert_eq!(show(schedule.counting_start(at(2026, 3, 2, 12, 15), None)), "Mon 2026-03-02 13:30");
}

#[test]
fn calendar_days_end_on_a_working_day() {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    // 10 calendar days from Mon 9 Feb 2026 end on Thu 19 Feb, in Tết: the period
    // ends with the next working day, Mon 23 Feb.
    let due = schedule.due_date(at(2026, 2, 9, 9, 0), ProcessingTime::calendar_days(10), None);
    assert_eq!(show(due), "Mon 2026-02-23 17:00");
}

#[test]
fn finished_work_is_early_on_time_or_late_by_day() {
    let due = at(2026, 2, 24, 17, 0);
    assert_eq!(Punctuality::of(at(2026, 2, 23, 16, 0), due), Punctuality::Early);
    assert_eq!(Punctuality::of(at(2026, 2, 24, 8, 0), due), Punctuality::OnTime);
    assert_eq!(Punctuality::of(at(2026, 2, 25, 8, 0), due), Punctuality::Late);
    // In progress, by day too: within the deadline to the end of its day, as
    // finishing then would be on time.
    assert_eq!(Progress::at(at(2026, 2, 24, 16, 59), due), Progress::WithinDeadline);
    assert_eq!(Progress::at(at(2026, 2, 24, 23, 59), due), Progress::WithinDeadline);
    assert_eq!(Progress::at(at(2026, 2, 25, 0, 0), due), Progress::Overdue);
}

#[test]
fn a_due_date_at_an_opening_keeps_its_day_when_shifted_and_working_hours_do_not_jump() {
    let calendar = WorkingCalendar::vietnam();
    let hours = OfficeHours::default();
    let schedule = Schedule::new(&calendar, &hours);
    // Due Wed 4 Mar 2026 07:30 (counted from a receipt after the cutoff), paused
    // one working day: Thu 07:30, the day after, not Wed 17:00.
    let due = at(2026, 3, 4, 7, 30);
    assert_eq!(show(schedule.shift_due(due, 450)), "Thu 2026-03-05 07:30");
    assert_eq!(show(schedule.shift_due(due, 420)), "Wed 2026-03-04 16:30");
    assert_eq!(show(schedule.shift_due(at(2026, 3, 4, 14, 0), 450)), "Thu 2026-03-05 14:00");
    // 7.5 working hours from an opening end at that day's close.
    assert_eq!(show(schedule.add_working_minutes(due, 450)), "Wed 2026-03-04 17:00");
}
