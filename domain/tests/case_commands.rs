//! Given/when/then for every case command: accepted, and each way it is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a panic is a failure

mod common;

use common::*;
use jiff::SignedDuration;
use onestop_domain::case::event::{Proposal, ReturnMethod};
use onestop_domain::case::{CaseCommand, CaseEvent, DomainError, PauseKind, Phase, Timeliness};
use onestop_domain::catalog::{Channel, PauseMode};
use onestop_domain::deadline::{Progress, Punctuality};
use onestop_domain::role::Role;

fn local(t: jiff::Timestamp) -> String {
    onestop_domain::calendar::local(t).strftime("%a %Y-%m-%d %H:%M").to_string()
}

fn refused(case: &Case, actor: &onestop_domain::access::Actor, command: CaseCommand) -> DomainError {
    case.try_as(actor, command).expect_err("the command should be refused")
}

fn receive_in_person() -> CaseCommand {
    CaseCommand::Receive { unit: unit(CENTRE), channel: Channel::InPerson, applicant: applicant(), documents: vec![] }
}

fn submit_online() -> CaseCommand {
    CaseCommand::SubmitOnline { unit: unit(CENTRE), channel: Channel::OnlineFull, applicant: applicant(), portal: None }
}

fn reason(text: &str) -> String {
    text.to_owned()
}

// ---- filing ----------------------------------------------------------------

#[test]
fn receive_issues_the_code_and_the_due_date() {
    let case = Case::received();
    let [CaseEvent::CaseReceived(received)] = case.history.as_slice() else {
        panic!("{:?}", case.history);
    };
    assert_eq!(received.code.to_string(), "000.00.01.H22-260302-0001");
    // Mon 2 Mar 2026 09:00 + 10 working days.
    assert_eq!(local(received.due_at), "Mon 2026-03-16 09:00");
    // The reception step has 4 working hours: 09:00–11:30 and 13:30–15:00.
    assert_eq!(local(received.step.due_at), "Mon 2026-03-02 15:00");
    let state = case.state();
    assert_eq!(state.status_code(), Some(2));
    assert_eq!(state.phase, Phase::Received);
}

#[test]
fn receive_is_refused_for_an_existing_case_an_online_channel_or_no_code() {
    let case = Case::received();
    assert_eq!(refused(&case, &reception(), receive_in_person()), DomainError::CaseAlreadyExists { action: "receive" });
    let online = CaseCommand::Receive {
        unit: unit(CENTRE),
        channel: Channel::OnlineFull,
        applicant: applicant(),
        documents: vec![],
    };
    assert!(matches!(refused(&Case::new(), &reception(), online), DomainError::ChannelNotOffered { .. }));
    let ctx_without_code = {
        let case = Case::new();
        let actor = reception();
        onestop_domain::case::decide(
            &case.state(),
            receive_in_person(),
            &onestop_domain::case::Context {
                now: case.now,
                actor: &actor,
                units: &case.units,
                calendar: &case.calendar,
                procedure: &case.procedure,
                issued: None,
            },
        )
    };
    assert_eq!(ctx_without_code, Err(DomainError::CodeNotIssued { action: "receive" }));
}

#[test]
fn receive_is_refused_outside_the_officers_units_or_role() {
    let elsewhere = actor(Role::Reception, DEPARTMENT);
    assert_eq!(
        refused(&Case::new(), &elsewhere, receive_in_person()),
        DomainError::OutsideScope { action: "receive", unit: unit(CENTRE) }
    );
    assert_eq!(
        refused(&Case::new(), &actor(Role::Specialist, CENTRE), receive_in_person()),
        DomainError::RoleNotAllowed { action: "receive", role: Role::Specialist }
    );
    let unknown = CaseCommand::Receive {
        unit: unit("000.99.99.H22"),
        channel: Channel::InPerson,
        applicant: applicant(),
        documents: vec![],
    };
    let mut case = Case::new();
    case.units = units();
    let anywhere = actor(Role::Reception, "000.99.99.H22");
    assert!(matches!(refused(&case, &anywhere, unknown), DomainError::UnknownUnit { .. }));
}

#[test]
fn after_the_cutoff_counting_starts_the_next_working_day() {
    let case = Case::new().at(at(2026, 2, 12, 16, 0)).then_as(&reception(), receive_in_person());
    let state = case.state();
    assert_eq!(local(state.counting_from.unwrap()), "Fri 2026-02-13 07:30");
    // Ten working days after Fri 13: 23 Feb – 6 Mar (Tết and weekends
    // skipped), at the opening, where counting started.
    assert_eq!(local(state.due_at.unwrap()), "Fri 2026-03-06 07:30");
}

#[test]
fn online_submission_then_acceptance() {
    let case = Case::new().then_as(&reception(), submit_online());
    assert_eq!(case.state().status_code(), Some(1));
    assert_eq!(case.state().due_at, None);
    let case = case.then_as(&reception(), CaseCommand::AcceptOnline);
    let state = case.state();
    assert_eq!(state.status_code(), Some(2));
    assert!(state.due_at.is_some());
    assert_eq!(state.channel, Some(Channel::OnlineFull));
}

#[test]
fn online_submission_is_refused_for_desk_channels_and_other_roles() {
    let by_post =
        CaseCommand::SubmitOnline { unit: unit(CENTRE), channel: Channel::Post, applicant: applicant(), portal: None };
    assert!(matches!(refused(&Case::new(), &reception(), by_post), DomainError::ChannelNotOffered { .. }));
    assert!(matches!(refused(&Case::new(), &specialist(), submit_online()), DomainError::RoleNotAllowed { .. }));
    let partial_not_offered = CaseCommand::SubmitOnline {
        unit: unit(CENTRE),
        channel: Channel::OnlinePartial,
        applicant: applicant(),
        portal: None,
    };
    assert!(matches!(refused(&Case::new(), &reception(), partial_not_offered), DomainError::ChannelNotOffered { .. }));
    assert_eq!(
        refused(&Case::received(), &reception(), submit_online()),
        DomainError::CaseAlreadyExists { action: "submit online" }
    );
}

#[test]
fn accepting_needs_an_online_submission() {
    assert_eq!(
        refused(&Case::new(), &reception(), CaseCommand::AcceptOnline),
        DomainError::CaseNotFound { action: "accept the online submission" }
    );
    assert_eq!(
        refused(&Case::received(), &reception(), CaseCommand::AcceptOnline).to_string(),
        "cannot accept the online submission: case is at the reception desk"
    );
}

#[test]
fn refusal_at_reception_only_before_receipt_and_with_a_reason() {
    let submitted = Case::new().then_as(&reception(), submit_online());
    let case = submitted.then_as(&reception(), CaseCommand::RefuseAtReception { reason: reason("Thiếu giấy tờ") });
    assert_eq!(case.state().status_code(), Some(3));
    assert!(case.state().timeliness(case.now).is_none());

    let submitted = Case::new().then_as(&reception(), submit_online());
    assert_eq!(
        refused(&submitted, &reception(), CaseCommand::RefuseAtReception { reason: reason("  ") }),
        DomainError::InvalidField { action: "refuse at reception", field: "reason", problem: "must not be empty" }
    );
    assert!(matches!(
        refused(&Case::received(), &reception(), CaseCommand::RefuseAtReception { reason: reason("x") }),
        DomainError::InvalidState { .. }
    ));
}

// ---- handovers ---------------------------------------------------------------

#[test]
fn transfer_starts_the_next_step_with_its_own_deadline() {
    let case = Case::received().transferred();
    let Some(CaseEvent::CaseTransferred(t)) = case.history.last() else { panic!() };
    assert_eq!(t.step.index, 1);
    assert_eq!(t.step.unit, unit(DEPARTMENT));
    // Transferred Mon 2 Mar 10:00; appraisal has 7 working days.
    assert_eq!(local(t.step.due_at), "Wed 2026-03-11 10:00");
    let state = case.state();
    assert_eq!(state.status_code(), Some(4));
    assert!(state.handover_pending);
    // The reception step is closed at the handover.
    assert_eq!(state.steps[0].finished_at, Some(t.at));
}

#[test]
fn transfer_is_refused_to_the_wrong_unit_before_acknowledgement_or_past_the_last_step() {
    let wrong = CaseCommand::Transfer { to_unit: unit(OTHER_DEPARTMENT), assignee: None, note: None };
    assert!(matches!(refused(&Case::received(), &reception(), wrong), DomainError::WrongUnitForStep { .. }));
    let onward = CaseCommand::Transfer { to_unit: unit(DEPARTMENT), assignee: None, note: None };
    assert_eq!(
        refused(&Case::received().transferred(), &specialist(), onward.clone()),
        DomainError::HandoverPending { action: "transfer" }
    );
    // Through approval (step 2) and back to reception (step 3): no step 4.
    let at_return = Case::in_progress()
        .then_as(&specialist(), onward.clone())
        .then_as(&approver(), CaseCommand::AcknowledgeHandover)
        .then_as(&approver(), CaseCommand::Transfer { to_unit: unit(CENTRE), assignee: None, note: None })
        .then_as(&reception(), CaseCommand::AcknowledgeHandover);
    let to_centre = CaseCommand::Transfer { to_unit: unit(CENTRE), assignee: None, note: None };
    assert_eq!(refused(&at_return, &reception(), to_centre), DomainError::NoFurtherStep);
}

#[test]
fn transfer_is_refused_while_waiting_for_a_supplement() {
    let waiting = Case::in_progress()
        .then_as(&specialist(), CaseCommand::RequestSupplement { reason: reason("Thiếu bản đồ"), documents: vec![] });
    let error = refused(
        &waiting,
        &specialist(),
        CaseCommand::Transfer { to_unit: unit(DEPARTMENT), assignee: None, note: None },
    );
    assert_eq!(error.to_string(), "cannot transfer: case is waiting for supplement");
}

#[test]
fn acknowledging_a_handover() {
    let case = Case::in_progress();
    let state = case.state();
    assert!(!state.handover_pending);
    assert_eq!(state.steps[1].acknowledged_by, Some(specialist().user_id));
    assert_eq!(refused(&case, &specialist(), CaseCommand::AcknowledgeHandover), DomainError::NoHandoverPending);
    let pending = Case::received().transferred();
    assert!(matches!(
        refused(&pending, &actor(Role::Specialist, OTHER_DEPARTMENT), CaseCommand::AcknowledgeHandover),
        DomainError::OutsideScope { .. }
    ));
    assert!(matches!(
        refused(&pending, &actor(Role::Statistician, PROVINCE), CaseCommand::AcknowledgeHandover),
        DomainError::RoleNotAllowed { .. }
    ));
}

// ---- appraisal and approval ----------------------------------------------------

#[test]
fn appraisal_needs_the_file_in_hand_and_an_opinion() {
    let appraise = |opinion: &str| CaseCommand::RecordAppraisal { opinion: opinion.into(), proposal: Proposal::Grant };
    assert_eq!(Case::in_progress().appraised().state().appraisal, Some(Proposal::Grant));
    assert_eq!(
        refused(&Case::received().transferred(), &specialist(), appraise("ok")),
        DomainError::HandoverPending { action: "record an appraisal" }
    );
    assert!(matches!(refused(&Case::in_progress(), &specialist(), appraise("")), DomainError::InvalidField { .. }));
    assert!(matches!(refused(&Case::in_progress(), &approver(), appraise("ok")), DomainError::RoleNotAllowed { .. }));
}

#[test]
fn submitting_for_approval_needs_an_appraisal_once() {
    let submit = CaseCommand::SubmitForApproval { note: None };
    assert_eq!(refused(&Case::in_progress(), &specialist(), submit.clone()), DomainError::AppraisalMissing);
    let submitted = Case::in_progress().appraised().submitted_for_approval();
    assert!(submitted.state().awaiting_approval);
    assert!(matches!(refused(&submitted, &specialist(), submit), DomainError::InvalidState { .. }));
}

#[test]
fn approval_needs_a_submission_and_no_pending_supplement() {
    let approve = CaseCommand::Approve { note: None };
    assert_eq!(
        refused(&Case::in_progress().appraised(), &approver(), approve.clone()),
        DomainError::NotSubmittedForApproval { action: "approve" }
    );
    let waiting = Case::in_progress()
        .appraised()
        .submitted_for_approval()
        .then_as(&specialist(), CaseCommand::RequestSupplement { reason: reason("Thiếu chữ ký"), documents: vec![] });
    assert_eq!(
        refused(&waiting, &approver(), approve.clone()).to_string(),
        "cannot approve: case is waiting for supplement"
    );
    assert!(matches!(
        refused(&Case::in_progress().appraised().submitted_for_approval(), &specialist(), approve),
        DomainError::RoleNotAllowed { .. }
    ));
    assert!(Case::in_progress().appraised().submitted_for_approval().approved().state().approved);
}

#[test]
fn sending_back_for_rework_returns_to_the_appraisal_step() {
    let case = Case::in_progress()
        .appraised()
        .submitted_for_approval()
        .then_as(&approver(), CaseCommand::SendBackForRework { reason: reason("Bổ sung căn cứ pháp lý") });
    let state = case.state();
    assert!(!state.awaiting_approval && !state.approved && state.appraisal.is_none());
    // Reception, appraisal, approval, and appraisal again.
    assert_eq!(state.current_step().unwrap().index, 1);
    assert_eq!(state.steps.len(), 4);
    assert_eq!(
        refused(&Case::in_progress().appraised(), &approver(), CaseCommand::SendBackForRework { reason: reason("x") }),
        DomainError::NotSubmittedForApproval { action: "send back for rework" }
    );
}

// ---- the clock ------------------------------------------------------------------

#[test]
fn a_supplement_in_shift_mode_moves_the_due_date_by_the_paused_working_time() {
    let case = Case::in_progress();
    let due_before = case.state().due_at.unwrap();
    let case = case.at(at(2026, 3, 3, 10, 0)).then_as(
        &specialist(),
        CaseCommand::RequestSupplement {
            reason: reason("Thiếu bản đồ địa chính"), documents: vec!["Bản đồ".into()]
        },
    );
    assert_eq!(case.state().status_code(), Some(5));
    // Paused from Tue 3 Mar 10:00 to Thu 5 Mar 10:00: 15 working hours.
    let case = case
        .at(at(2026, 3, 5, 10, 0))
        .then_as(&reception(), CaseCommand::ReceiveSupplement { documents: vec!["Bản đồ".into()] });
    let state = case.state();
    assert_eq!(state.status_code(), Some(4));
    assert_eq!(state.paused_minutes, 15 * 60);
    assert_eq!(local(due_before), "Mon 2026-03-16 09:00");
    assert_eq!(local(state.due_at.unwrap()), "Wed 2026-03-18 09:00");
}

#[test]
fn a_supplement_in_restart_mode_restarts_the_whole_processing_time() {
    let case = Case::with_procedure(land_procedure(PauseMode::Restart));
    let case = Case { ..case }
        .then_as(&reception(), receive_in_person())
        .transferred()
        .acknowledged()
        .at(at(2026, 3, 3, 10, 0))
        .then_as(&specialist(), CaseCommand::RequestSupplement { reason: reason("Thiếu bản đồ"), documents: vec![] })
        .at(at(2026, 3, 9, 14, 0))
        .then_as(&reception(), CaseCommand::ReceiveSupplement { documents: vec![] });
    // Ten working days again from Mon 9 Mar 14:00.
    assert_eq!(local(case.state().due_at.unwrap()), "Mon 2026-03-23 14:00");
}

#[test]
fn receiving_a_supplement_needs_a_request() {
    assert!(matches!(
        refused(&Case::in_progress(), &reception(), CaseCommand::ReceiveSupplement { documents: vec![] }),
        DomainError::InvalidState { .. }
    ));
    let waiting = Case::in_progress()
        .then_as(&specialist(), CaseCommand::RequestSupplement { reason: reason("x"), documents: vec![] });
    assert_eq!(
        refused(&waiting, &specialist(), CaseCommand::RequestSupplement { reason: reason("again"), documents: vec![] })
            .to_string(),
        "cannot request a supplement: case is waiting for supplement"
    );
}

#[test]
fn payment_stops_the_clock_until_paid() {
    let case = Case::in_progress().then_as(
        &specialist(),
        CaseCommand::RequestPayment { amount_vnd: 500_000, description: "Lệ phí trước bạ".into() },
    );
    assert_eq!(case.state().phase, Phase::Paused(PauseKind::Payment));
    assert_eq!(case.state().status_code(), Some(6));
    assert!(matches!(
        refused(
            &case,
            &reception(),
            CaseCommand::RecordPayment { amount_vnd: 0, receipt: "BL-1".into(), online: false }
        ),
        DomainError::InvalidField { .. }
    ));
    let paid = case.then_as(
        &reception(),
        CaseCommand::RecordPayment { amount_vnd: 500_000, receipt: "BL-1".into(), online: false },
    );
    assert_eq!(paid.state().status_code(), Some(4));
    assert!(matches!(
        refused(
            &Case::in_progress(),
            &specialist(),
            CaseCommand::RequestPayment { amount_vnd: 0, description: "x".into() }
        ),
        DomainError::InvalidField { .. }
    ));
    assert!(matches!(
        refused(
            &Case::in_progress(),
            &reception(),
            CaseCommand::RecordPayment { amount_vnd: 1, receipt: "x".into(), online: false }
        ),
        DomainError::InvalidState { .. }
    ));
}

#[test]
fn pause_and_resume() {
    let paused =
        Case::in_progress().then_as(&specialist(), CaseCommand::Pause { reason: reason("Chờ ý kiến liên ngành") });
    assert_eq!(paused.state().phase, Phase::Paused(PauseKind::Suspension));
    assert_eq!(paused.state().status_code(), Some(4));
    assert!(matches!(
        refused(&paused, &specialist(), CaseCommand::Pause { reason: reason("x") }),
        DomainError::InvalidState { .. }
    ));
    let resumed = paused.then_as(&specialist(), CaseCommand::Resume);
    assert_eq!(resumed.state().phase, Phase::InProgress);
    assert!(matches!(refused(&resumed, &specialist(), CaseCommand::Resume), DomainError::InvalidState { .. }));
}

#[test]
fn one_extension_with_an_apology_letter() {
    let case = Case::in_progress();
    let due = case.state().due_at.unwrap();
    let extend = |new_due| CaseCommand::Extend {
        new_due_at: new_due,
        reason: reason("Cần xác minh thực địa"),
        apology_letter: document("phieu-xin-loi.pdf"),
    };
    assert_eq!(refused(&case, &approver(), extend(due)), DomainError::ExtensionNotLater);
    let mut bad_letter = document("x.pdf");
    bad_letter.sha256 = "xyz".into();
    assert!(matches!(
        refused(
            &case,
            &approver(),
            CaseCommand::Extend {
                new_due_at: due + SignedDuration::from_hours(48),
                reason: reason("x"),
                apology_letter: bad_letter
            }
        ),
        DomainError::InvalidField { .. }
    ));
    let later = due + SignedDuration::from_hours(72);
    let extended = case.then_as(&approver(), extend(later));
    assert_eq!(extended.state().due_at, Some(later));
    assert_eq!(
        refused(&extended, &leader(), extend(later + SignedDuration::from_hours(24))),
        DomainError::AlreadyExtended
    );
    assert!(matches!(refused(&Case::in_progress(), &specialist(), extend(later)), DomainError::RoleNotAllowed { .. }));
}

// ---- endings -------------------------------------------------------------------

#[test]
fn the_whole_life_ends_returned_and_on_time() {
    let case = Case::in_progress().appraised().submitted_for_approval().approved();
    assert_eq!(
        refused(
            &Case::in_progress().appraised(),
            &approver(),
            CaseCommand::RecordResult { summary: "x".into(), document: None, result_code: None }
        ),
        DomainError::NotApproved
    );
    let done = case.at(at(2026, 3, 10, 9, 0)).result_recorded();
    let state = done.state();
    assert_eq!(state.status_code(), Some(9));
    assert_eq!(state.timeliness(done.now), Some(Timeliness::Finished(Punctuality::Early)));
    let returned = done.returned();
    assert_eq!(returned.state().status_code(), Some(10));
    assert!(matches!(
        refused(&returned, &reception(), CaseCommand::ReturnResult { method: ReturnMethod::ByPost }),
        DomainError::InvalidState { .. }
    ));
}

#[test]
fn returning_needs_a_result_and_the_receiving_unit() {
    assert!(matches!(
        refused(&Case::in_progress(), &reception(), CaseCommand::ReturnResult { method: ReturnMethod::AtDesk }),
        DomainError::InvalidState { .. }
    ));
    let ready = Case::in_progress().appraised().submitted_for_approval().approved().result_recorded();
    assert!(matches!(
        refused(
            &ready,
            &actor(Role::Reception, DEPARTMENT),
            CaseCommand::ReturnResult { method: ReturnMethod::AtDesk }
        ),
        DomainError::OutsideScope { .. }
    ));
}

#[test]
fn refusal_as_not_eligible_counts_as_on_time() {
    let case = Case::in_progress()
        .at(at(2026, 4, 30, 9, 0))
        .then_as(&approver(), CaseCommand::RefuseAsIneligible { reason: reason("Đất đang tranh chấp") });
    let state = case.state();
    assert_eq!(state.status_code(), Some(9));
    assert_eq!(state.timeliness(case.now), Some(Timeliness::Finished(Punctuality::OnTime)));
    let approved = Case::in_progress().appraised().submitted_for_approval().approved();
    assert!(matches!(
        refused(&approved, &approver(), CaseCommand::RefuseAsIneligible { reason: reason("x") }),
        DomainError::InvalidState { .. }
    ));
}

#[test]
fn a_file_the_approver_refuses_no_longer_awaits_approval() {
    let submitted = Case::in_progress().appraised().submitted_for_approval();
    assert!(submitted.state().awaiting_approval);
    let refused =
        submitted.then_as(&approver(), CaseCommand::RefuseAsIneligible { reason: reason("Không đủ điều kiện") });
    assert!(!refused.state().awaiting_approval);
    let returned = refused.returned();
    assert_eq!(returned.state().status_code(), Some(10));
    assert!(!returned.state().awaiting_approval);
}

#[test]
fn withdrawal_counts_as_on_time_and_closes_the_case() {
    let case = Case::in_progress().then_as(&reception(), CaseCommand::Withdraw { reason: reason("Công dân xin rút") });
    assert_eq!(case.state().status_code(), Some(7));
    assert_eq!(case.state().timeliness(at(2027, 1, 1, 0, 0)), Some(Timeliness::Finished(Punctuality::OnTime)));
    assert!(matches!(
        refused(&case, &reception(), CaseCommand::Withdraw { reason: reason("again") }),
        DomainError::InvalidState { .. }
    ));
    let ready = Case::in_progress().appraised().submitted_for_approval().approved().result_recorded();
    assert!(matches!(
        refused(&ready, &reception(), CaseCommand::Withdraw { reason: reason("x") }),
        DomainError::InvalidState { .. }
    ));
}

#[test]
fn stopping_processing() {
    let case = Case::in_progress().then_as(&leader(), CaseCommand::Stop { reason: reason("Có quyết định đình chỉ") });
    assert_eq!(case.state().status_code(), Some(8));
    assert!(matches!(
        refused(&Case::in_progress(), &reception(), CaseCommand::Stop { reason: reason("x") }),
        DomainError::RoleNotAllowed { .. }
    ));
    assert!(matches!(
        refused(&case, &leader(), CaseCommand::Stop { reason: reason("x") }),
        DomainError::InvalidState { .. }
    ));
}

#[test]
fn an_overdue_case_in_progress_and_a_late_finish() {
    let case = Case::in_progress();
    let due = case.state().due_at.unwrap();
    assert_eq!(
        case.state().timeliness(due + SignedDuration::from_hours(1)),
        Some(Timeliness::InProgress(Progress::WithinDeadline)),
        "still the due date's day"
    );
    assert_eq!(
        case.state().timeliness(due + SignedDuration::from_hours(24)),
        Some(Timeliness::InProgress(Progress::Overdue))
    );
    let late =
        case.appraised().submitted_for_approval().approved().at(due + SignedDuration::from_hours(24)).result_recorded();
    assert_eq!(late.state().timeliness(late.now), Some(Timeliness::Finished(Punctuality::Late)));
}

// ---- notes, ratings, documents ----------------------------------------------------

#[test]
fn comments_need_a_case_and_text() {
    let commented = Case::in_progress().then_as(&leader(), CaseCommand::Comment { text: "Ưu tiên xử lý".into() });
    assert_eq!(commented.state().comments, 1);
    assert!(matches!(
        refused(&Case::new(), &reception(), CaseCommand::Comment { text: "x".into() }),
        DomainError::CaseNotFound { .. }
    ));
    assert!(matches!(
        refused(&Case::in_progress(), &specialist(), CaseCommand::Comment { text: " ".into() }),
        DomainError::InvalidField { .. }
    ));
    assert!(matches!(
        refused(&Case::in_progress(), &actor(Role::Inspector, PROVINCE), CaseCommand::Comment { text: "x".into() }),
        DomainError::RoleNotAllowed { .. }
    ));
}

#[test]
fn satisfaction_is_rated_once_after_return() {
    let rate = |score| CaseCommand::RateSatisfaction { score, comment: None };
    let returned = Case::in_progress().appraised().submitted_for_approval().approved().result_recorded().returned();
    assert!(matches!(refused(&Case::in_progress(), &reception(), rate(5)), DomainError::InvalidState { .. }));
    assert!(matches!(refused(&returned, &reception(), rate(6)), DomainError::InvalidField { .. }));
    let rated = returned.then_as(&reception(), rate(5));
    assert_eq!(rated.state().satisfaction, Some(5));
    assert_eq!(refused(&rated, &reception(), rate(4)), DomainError::AlreadyRated);
}

#[test]
fn documents_are_attached_by_reference_until_the_case_closes() {
    let case = Case::in_progress()
        .then_as(&specialist(), CaseCommand::AttachDocument { document: document("bien-ban.pdf"), origin: None });
    assert_eq!(case.state().documents.len(), 1);
    let mut bad = document("x.pdf");
    bad.storage_ref = String::new();
    assert!(matches!(
        refused(&case, &specialist(), CaseCommand::AttachDocument { document: bad, origin: None }),
        DomainError::InvalidField { .. }
    ));
    let returned = Case::in_progress().appraised().submitted_for_approval().approved().result_recorded().returned();
    assert!(matches!(
        refused(&returned, &reception(), CaseCommand::AttachDocument { document: document("y.pdf"), origin: None }),
        DomainError::InvalidState { .. }
    ));
}

#[test]
fn a_case_decided_under_another_procedure_version_is_refused() {
    let mut case = Case::in_progress();
    case.procedure.version = 2;
    assert!(matches!(
        refused(&case, &specialist(), CaseCommand::Comment { text: "x".into() }),
        DomainError::ProcedureMismatch { .. }
    ));
}

#[test]
fn events_round_trip_through_their_stored_form() {
    let case = Case::in_progress().appraised().submitted_for_approval().approved().result_recorded().returned();
    for event in &case.history {
        let stored = event.payload().to_string();
        let decoded = CaseEvent::decode(event.event_type(), CaseEvent::SCHEMA_VERSION, &stored).unwrap();
        assert_eq!(&decoded, event);
    }
    assert!(CaseEvent::decode("Nope", 1, "{}").is_err());
    assert!(CaseEvent::decode("CaseApproved", 2, "{}").is_err());
}

/// The remaining ways each command is refused, one row each.
#[test]
fn every_other_refusal_names_its_rule() {
    let long = "x".repeat(4001);
    let approved = || Case::in_progress().appraised().submitted_for_approval().approved();
    let waiting_approval = || Case::in_progress().appraised().submitted_for_approval();
    let transfer_to = |u: &str| CaseCommand::Transfer { to_unit: unit(u), assignee: None, note: None };
    let rows: Vec<(&str, Case, onestop_domain::access::Actor, CaseCommand, &str)> = vec![
        (
            "submit at a unit out of scope",
            Case::new(),
            actor(Role::Reception, DEPARTMENT),
            submit_online(),
            "cannot submit online: the user has no grant for unit 000.00.01.H22",
        ),
        (
            "a specialist may not accept an online submission",
            Case::new().then_as(&reception(), submit_online()),
            specialist(),
            CaseCommand::AcceptOnline,
            "cannot accept the online submission: the role specialist may not do that",
        ),
        (
            "transfer to an unknown unit",
            Case::received(),
            reception(),
            transfer_to("000.99.99.H22"),
            "cannot transfer: unit 000.99.99.H22 is unknown",
        ),
        (
            "transfer with an over-long note",
            Case::received(),
            reception(),
            CaseCommand::Transfer { to_unit: unit(DEPARTMENT), assignee: None, note: Some(long.clone()) },
            "cannot transfer: note is longer than 4000 characters",
        ),
        (
            "acknowledge at the desk before any handover",
            Case::received(),
            reception(),
            CaseCommand::AcknowledgeHandover,
            "cannot acknowledge the handover: case is at the reception desk",
        ),
        (
            "appraise at the desk",
            Case::received(),
            actor(Role::Specialist, CENTRE),
            CaseCommand::RecordAppraisal { opinion: "x".into(), proposal: Proposal::Grant },
            "cannot record an appraisal: case is at the reception desk",
        ),
        (
            "appraise again once submitted",
            waiting_approval(),
            specialist(),
            CaseCommand::RecordAppraisal { opinion: "x".into(), proposal: Proposal::Refuse },
            "cannot record an appraisal: case is already submitted for approval",
        ),
        (
            "request a supplement once approved",
            approved(),
            specialist(),
            CaseCommand::RequestSupplement { reason: "x".into(), documents: vec![] },
            "cannot request a supplement: case is approved",
        ),
        (
            "request a supplement without a reason",
            Case::in_progress(),
            specialist(),
            CaseCommand::RequestSupplement { reason: String::new(), documents: vec![] },
            "cannot request a supplement: reason must not be empty",
        ),
        (
            "request payment of a finished case",
            approved().result_recorded(),
            reception(),
            CaseCommand::RequestPayment { amount_vnd: 1, description: "x".into() },
            "cannot request payment: case is finished, waiting to return the result",
        ),
        (
            "submit for approval before the handover is acknowledged",
            Case::received().transferred(),
            specialist(),
            CaseCommand::SubmitForApproval { note: None },
            "cannot submit for approval: the previous handover has not been acknowledged",
        ),
        (
            "submit for approval at the desk",
            Case::received(),
            actor(Role::Specialist, CENTRE),
            CaseCommand::SubmitForApproval { note: None },
            "cannot submit for approval: case is at the reception desk",
        ),
        (
            "send back without a reason",
            waiting_approval(),
            approver(),
            CaseCommand::SendBackForRework { reason: " ".into() },
            "cannot send back for rework: reason must not be empty",
        ),
        (
            "extend a finished case",
            approved().result_recorded(),
            leader(),
            CaseCommand::Extend {
                new_due_at: at(2027, 1, 1, 0, 0),
                reason: "x".into(),
                apology_letter: document("x.pdf"),
            },
            "cannot extend the deadline: case is finished, waiting to return the result",
        ),
        (
            "record a result before approval is given",
            waiting_approval(),
            approver(),
            CaseCommand::RecordResult { summary: "x".into(), document: None, result_code: None },
            "cannot record the result: it has not been approved",
        ),
        (
            "record a result on a returned case",
            approved().result_recorded().returned(),
            actor(Role::Approver, CENTRE),
            CaseCommand::RecordResult { summary: "x".into(), document: None, result_code: None },
            "cannot record the result: case is returned",
        ),
        (
            "attach to a case that does not exist",
            Case::new(),
            reception(),
            CaseCommand::AttachDocument { document: document("x.pdf"), origin: None },
            "cannot attach a document: the case does not exist",
        ),
        (
            "an inspector may not pause",
            Case::in_progress(),
            actor(Role::Inspector, PROVINCE),
            CaseCommand::Pause { reason: "x".into() },
            "cannot pause: the role inspector may not do that",
        ),
        (
            "a specialist of another department may not pause",
            Case::in_progress(),
            actor(Role::Specialist, OTHER_DEPARTMENT),
            CaseCommand::Pause { reason: "x".into() },
            "cannot pause: the user has no grant for unit 000.00.12.H22",
        ),
    ];
    for (what, case, who, command, expected) in rows {
        let error = case.try_as(&who, command).expect_err(&format!("{what}: should be refused"));
        assert_eq!(error.to_string(), expected, "{what}");
    }
}

#[test]
fn each_change_is_placed_where_the_file_was_and_acted_on_by_the_granted_unit() {
    let history = Case::received().transferred().acknowledged().history;
    let mut state = onestop_domain::case::CaseState::default();
    let mut seen = Vec::new();
    for event in &history {
        let change = onestop_domain::case::CaseChange::apply(&mut state, event);
        let granted = vec![PROVINCE.to_owned(), DEPARTMENT.to_owned()];
        seen.push((
            change.unit().map(ToString::to_string),
            change.acting_unit(&[]).map(str::to_owned),
            change.acting_unit(&granted).map(str::to_owned),
        ));
    }
    let place = |unit: &str| Some(unit.to_owned());
    assert_eq!(
        seen,
        [
            // Filed: where it arrived; an officer of the department and the
            // province acted for the department only when the file was there.
            (place(CENTRE), place(CENTRE), place(PROVINCE)),
            // Sent on: done where the file was, received by the department.
            (place(CENTRE), place(CENTRE), place(DEPARTMENT)),
            (place(DEPARTMENT), place(DEPARTMENT), place(DEPARTMENT)),
        ]
    );
    assert_eq!(state.version, 3);
}
