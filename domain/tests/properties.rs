//! Properties of the case aggregate over random command sequences: whatever
//! `decide` accepts, `evolve` folds; due dates never precede receipt; pauses never
//! bring a due date forward; a finished case's on-time class never changes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use onestop_domain::access::Actor;
use onestop_domain::case::event::{Proposal, ReturnMethod};
use onestop_domain::case::{CaseCommand, CaseEvent, CaseState, Timeliness, evolve, fold};
use onestop_domain::catalog::{Channel, PauseMode};
use onestop_domain::role::Role;
use proptest::prelude::*;

/// One random step: which command, how much later, and a byte of variety.
type Step = (u8, u32, u8);

/// The command numbered `which`, and an officer likely (not certain) to be allowed it.
fn command_for(which: u8, variety: u8, state: &CaseState, now: Timestamp) -> (Actor, CaseCommand) {
    let text = |s: &str| s.to_owned();
    let current_actor = || state.current_step().map(|s| actor(s.role, s.unit.as_str())).unwrap_or_else(reception);
    let (natural, command) = match which % 26 {
        0 => (
            reception(),
            CaseCommand::Receive {
                unit: unit(CENTRE),
                channel: if variety.is_multiple_of(2) { Channel::InPerson } else { Channel::Post },
                applicant: applicant(),
                documents: vec![],
            },
        ),
        1 => (
            reception(),
            CaseCommand::SubmitOnline {
                unit: unit(CENTRE),
                channel: Channel::OnlineFull,
                applicant: applicant(),
                portal: None,
            },
        ),
        2 => (reception(), CaseCommand::AcceptOnline),
        3 => (reception(), CaseCommand::RefuseAtReception { reason: text("Thiếu giấy tờ") }),
        4 | 5 => (
            current_actor(),
            CaseCommand::Transfer {
                to_unit: unit(if which % 26 == 4 { DEPARTMENT } else { CENTRE }),
                assignee: None,
                note: None,
            },
        ),
        6 => (current_actor(), CaseCommand::AcknowledgeHandover),
        7 => (
            specialist(),
            CaseCommand::RecordAppraisal {
                opinion: text("Đủ điều kiện"),
                proposal: if variety.is_multiple_of(3) { Proposal::Refuse } else { Proposal::Grant },
            },
        ),
        8 => (specialist(), CaseCommand::RequestSupplement { reason: text("Thiếu"), documents: vec![] }),
        9 => (reception(), CaseCommand::ReceiveSupplement { documents: vec![] }),
        10 => (
            specialist(),
            CaseCommand::RequestPayment { amount_vnd: u64::from(variety) * 1000, description: text("Lệ phí") },
        ),
        11 => (
            reception(),
            CaseCommand::RecordPayment { amount_vnd: u64::from(variety) * 1000, receipt: text("BL"), online: false },
        ),
        12 => (specialist(), CaseCommand::SubmitForApproval { note: None }),
        13 => (approver(), CaseCommand::Approve { note: None }),
        14 => (approver(), CaseCommand::SendBackForRework { reason: text("Làm lại") }),
        15 => (
            leader(),
            CaseCommand::Extend {
                new_due_at: state.due_at.unwrap_or(now) + SignedDuration::from_hours(i64::from(variety) - 20),
                reason: text("Xác minh"),
                apology_letter: document("xin-loi.pdf"),
            },
        ),
        16 => (specialist(), CaseCommand::Pause { reason: text("Chờ") }),
        17 => (specialist(), CaseCommand::Resume),
        18 => (approver(), CaseCommand::RefuseAsIneligible { reason: text("Không đủ") }),
        19 => (reception(), CaseCommand::Withdraw { reason: text("Rút") }),
        20 => (leader(), CaseCommand::Stop { reason: text("Dừng") }),
        21 => (approver(), CaseCommand::RecordResult { summary: text("Xong"), document: None, result_code: None }),
        22 => (reception(), CaseCommand::ReturnResult { method: ReturnMethod::AtDesk }),
        23 => (leader(), CaseCommand::Comment { text: text("Ghi chú") }),
        24 => (reception(), CaseCommand::RateSatisfaction { score: variety % 7, comment: None }),
        _ => (specialist(), CaseCommand::AttachDocument { document: document("a.pdf"), origin: None }),
    };
    // Now and then, someone else tries: the rules must refuse or allow, never break.
    let actor = if variety.is_multiple_of(9) {
        let role = Role::ALL[usize::from(variety / 9) % Role::ALL.len()];
        actor(role, [CENTRE, DEPARTMENT, OTHER_DEPARTMENT, PROVINCE][usize::from(variety) % 4])
    } else {
        natural
    };
    (actor, command)
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    // Biased toward the usual path so that long lives are common.
    let which = prop_oneof![
        3 => Just(0u8), 1 => Just(1), 1 => Just(2), 4 => Just(4), 2 => Just(5), 5 => Just(6),
        3 => Just(7), 2 => Just(8), 2 => Just(9), 1 => Just(10), 1 => Just(11), 3 => Just(12),
        3 => Just(13), 1 => Just(14), 1 => Just(15), 1 => Just(16), 1 => Just(17), 1 => Just(18),
        1 => Just(19), 1 => Just(20), 3 => Just(21), 2 => Just(22), 2 => Just(23), 1 => Just(24),
        1 => Just(25), 1 => Just(3),
    ];
    prop::collection::vec((which, 0..6000u32, any::<u8>()), 1..45)
}

fn run(steps: &[Step], pause_mode: PauseMode) -> Result<(), TestCaseError> {
    let mut case = Case::with_procedure(land_procedure(pause_mode));
    let mut state = CaseState::default();
    let mut finished_class: Option<Timeliness> = None;
    for &(which, minutes, variety) in steps {
        case.now += SignedDuration::from_mins(i64::from(minutes));
        let (actor, command) = command_for(which, variety, &state, case.now);
        let Ok(events) = case.try_as(&actor, command) else {
            continue;
        };
        for event in &events {
            let before = state.clone();
            state = evolve(state, event);
            // Pauses never bring the due date forward.
            let restarted = match event {
                CaseEvent::SupplementReceived(e) => Some(&e.clock),
                CaseEvent::PaymentRecorded(e) => Some(&e.clock),
                CaseEvent::CaseResumed(e) => Some(&e.clock),
                _ => None,
            };
            if let (Some(clock), Some(previous)) = (restarted, before.due_at) {
                prop_assert!(clock.due_at >= previous, "{event:?}");
                prop_assert!(clock.paused_minutes >= 0);
            }
            if let CaseEvent::DeadlineExtended(e) = event {
                prop_assert!(e.due_at > e.previous_due_at);
            }
        }
        case.history.extend(events);
        // Folding the whole history gives the state built step by step.
        prop_assert_eq!(&fold(&case.history), &state);
        prop_assert!(state.status_code().is_some());

        // A due date is never before receipt; nor is a step's before its start.
        if let (Some(received), Some(due)) = (state.received_at, state.due_at) {
            prop_assert!(due >= received);
            prop_assert!(state.counting_from.unwrap() >= received);
        }
        for step in &state.steps {
            prop_assert!(step.due_at >= step.started_at, "{step:?}");
        }

        // Once finished, the on-time class is fixed, whatever follows and whenever asked.
        if state.finished_at.is_some() {
            let now_class = state.timeliness(case.now);
            let later_class = state.timeliness(case.now + SignedDuration::from_hours(24 * 400));
            prop_assert_eq!(now_class, later_class);
            match finished_class {
                None => finished_class = now_class,
                Some(class) => prop_assert_eq!(Some(class), now_class),
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn decided_histories_fold_and_keep_their_promises_shift_mode(steps in steps()) {
        run(&steps, PauseMode::Shift)?;
    }

    #[test]
    fn decided_histories_fold_and_keep_their_promises_restart_mode(steps in steps()) {
        run(&steps, PauseMode::Restart)?;
    }
}

/// The generator does reach the end of a case's life often enough to matter.
#[test]
fn random_histories_reach_every_status() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..400 {
        let steps = proptest::strategy::ValueTree::current(
            &proptest::strategy::Strategy::new_tree(&steps(), &mut runner).unwrap(),
        );
        let mut case = Case::new();
        for (which, minutes, variety) in steps {
            case.now += SignedDuration::from_mins(i64::from(minutes));
            let state = case.state();
            let (actor, command) = command_for(which, variety, &state, case.now);
            if let Ok(events) = case.try_as(&actor, command) {
                case.history.extend(events);
                seen.insert(case.state().status_code().unwrap());
            }
        }
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), (1..=10).collect::<Vec<u8>>());
}
