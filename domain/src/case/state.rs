//! A case as its events made it: `evolve` folds one event in.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::event::*;
use crate::catalog::{Channel, PauseMode};
use crate::deadline::{ProcessingTime, Progress, Punctuality};
use crate::ids::{ApplicantId, CaseCode, UnitCode, UserId};
use crate::role::Role;

/// Why the clock is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseKind {
    /// Waiting for the applicant's supplement (status 5).
    Supplement,
    /// Waiting for the applicant's fee or tax payment (status 6).
    Payment,
    /// Suspended by the handling unit.
    Suspension,
}

/// Where a case is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// No event yet.
    #[default]
    New,
    Submitted,
    RefusedAtReception,
    /// Received, still at the reception desk.
    Received,
    InProgress,
    Paused(PauseKind),
    Withdrawn,
    Stopped,
    /// The result (or the refusal) is ready to be returned.
    ResultReady,
    Returned,
}

impl Phase {
    /// The National Public Service Portal's status code (TrangThaiHoSo, 1–10).
    pub fn status_code(self) -> Option<u8> {
        Some(match self {
            Phase::New => return None,
            Phase::Submitted => 1,
            Phase::Received => 2,
            Phase::RefusedAtReception => 3,
            Phase::InProgress | Phase::Paused(PauseKind::Suspension) => 4,
            Phase::Paused(PauseKind::Supplement) => 5,
            Phase::Paused(PauseKind::Payment) => 6,
            Phase::Withdrawn => 7,
            Phase::Stopped => 8,
            Phase::ResultReady => 9,
            Phase::Returned => 10,
        })
    }

    /// The state in rule messages: "cannot approve: case is waiting for supplement".
    pub fn describe(self) -> &'static str {
        match self {
            Phase::New => "not yet filed",
            Phase::Submitted => "submitted online and not yet accepted",
            Phase::RefusedAtReception => "refused at reception",
            Phase::Received => "at the reception desk",
            Phase::InProgress => "in progress",
            Phase::Paused(PauseKind::Supplement) => "waiting for supplement",
            Phase::Paused(PauseKind::Payment) => "waiting for payment",
            Phase::Paused(PauseKind::Suspension) => "paused",
            Phase::Withdrawn => "withdrawn",
            Phase::Stopped => "stopped",
            Phase::ResultReady => "finished, waiting to return the result",
            Phase::Returned => "returned",
        }
    }

    /// The status as the portal names it.
    pub fn status_vi(self) -> &'static str {
        self.status_code().map_or("", Self::status_vi_of)
    }

    /// The name of the portal's status `code` (1–10).
    pub fn status_vi_of(code: u8) -> &'static str {
        match Some(code) {
            Some(1) => "Mới đăng ký",
            Some(2) => "Được tiếp nhận",
            Some(3) => "Không được tiếp nhận",
            Some(4) => "Đang xử lý",
            Some(5) => "Yêu cầu bổ sung giấy tờ",
            Some(6) => "Yêu cầu thực hiện nghĩa vụ tài chính",
            Some(7) => "Công dân yêu cầu rút hồ sơ",
            Some(8) => "Dừng xử lý",
            Some(9) => "Đã xử lý xong",
            Some(10) => "Đã trả kết quả",
            _ => "",
        }
    }
}

/// How the case ended, for statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A result was issued.
    Resolved,
    /// Returned as not eligible (trả lại hồ sơ).
    RefusedAsIneligible,
    Withdrawn,
    Stopped,
}

/// One workflow step as it ran: the control slip's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRecord {
    pub index: usize,
    pub name: String,
    pub unit: UnitCode,
    pub role: Role,
    pub assignee: Option<UserId>,
    /// Who handed the file over, and when the step began.
    pub handed_over_by: Option<UserId>,
    pub started_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<UserId>,
    pub due_at: Timestamp,
    /// When the file left this step.
    pub finished_at: Option<Timestamp>,
}

impl StepRecord {
    fn from_start(step: &StepStart, at: Timestamp, by: Option<UserId>) -> Self {
        Self {
            index: step.index,
            name: step.name.clone(),
            unit: step.unit.clone(),
            role: step.role,
            assignee: step.assignee,
            handed_over_by: by,
            started_at: at,
            acknowledged_at: None,
            acknowledged_by: None,
            due_at: step.due_at,
            finished_at: None,
        }
    }

    /// Trước / đúng / quá hạn, once the step is done.
    pub fn punctuality(&self) -> Option<Punctuality> {
        self.finished_at.map(|f| Punctuality::of(f, self.due_at))
    }
}

/// Where the case stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "class")]
pub enum Timeliness {
    Finished(Punctuality),
    InProgress(Progress),
}

/// Everything decisions about a case need.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseState {
    pub phase: Phase,
    pub code: Option<CaseCode>,
    /// Hash of the lookup secret printed on the receipt.
    pub lookup_secret_hash: Option<String>,
    pub procedure: Option<ProcedureRef>,
    pub field_code: Option<String>,
    /// The unit that received the file and returns the result.
    pub receiving_unit: Option<UnitCode>,
    pub channel: Option<Channel>,
    pub applicant: Option<ApplicantId>,
    pub submitted_at: Option<Timestamp>,
    pub received_at: Option<Timestamp>,
    pub counting_from: Option<Timestamp>,
    pub processing_time: Option<ProcessingTime>,
    pub pause_mode: Option<PauseMode>,
    pub due_at: Option<Timestamp>,
    pub original_due_at: Option<Timestamp>,
    pub extended: bool,
    /// When the clock stopped, while it is stopped.
    pub paused_since: Option<Timestamp>,
    /// What the case was doing before the pause (received or in progress).
    pub phase_before_pause: Option<Phase>,
    pub paused_minutes: i64,
    pub steps: Vec<StepRecord>,
    pub handover_pending: bool,
    pub appraisal: Option<Proposal>,
    pub awaiting_approval: bool,
    pub approved: bool,
    pub outcome: Option<Outcome>,
    pub finished_at: Option<Timestamp>,
    pub returned_at: Option<Timestamp>,
    pub return_method: Option<ReturnMethod>,
    pub satisfaction: Option<u8>,
    pub documents: Vec<DocumentRef>,
    pub comments: u32,
    /// Events folded in.
    pub version: u64,
}

impl CaseState {
    /// The step the file is at now.
    pub fn current_step(&self) -> Option<&StepRecord> {
        self.steps.last()
    }

    /// The unit holding the file now.
    pub fn current_unit(&self) -> Option<&UnitCode> {
        self.current_step().map(|s| &s.unit).or(self.receiving_unit.as_ref())
    }

    /// Where the file is and has been, for the access policy.
    pub fn places(&self) -> crate::access::CasePlaces<'_> {
        crate::access::CasePlaces {
            filing: None,
            receiving: self.receiving_unit.as_ref(),
            current: self.current_unit(),
            visited: self.receiving_unit.iter().chain(self.steps.iter().map(|s| &s.unit)).collect(),
        }
    }

    pub fn status_code(&self) -> Option<u8> {
        self.phase.status_code()
    }

    /// Whether the case is done with (nothing but notes and ratings may follow).
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::RefusedAtReception | Phase::Withdrawn | Phase::Stopped | Phase::Returned)
    }

    /// On-time class at `now`. Finished cases compare their finish with the due
    /// date by day; returned-as-ineligible, withdrawn and stopped files count as
    /// on time. A paused case is judged at the moment its clock stopped. Files
    /// not (yet) received have none.
    pub fn timeliness(&self, now: Timestamp) -> Option<Timeliness> {
        let due = self.due_at?;
        if let (Some(finished), Some(outcome)) = (self.finished_at, self.outcome) {
            return Some(Timeliness::Finished(match outcome {
                Outcome::Resolved => Punctuality::of(finished, due),
                _ => Punctuality::OnTime,
            }));
        }
        let judged_at = self.paused_since.map_or(now, |since| since.min(now));
        Some(Timeliness::InProgress(Progress::at(judged_at, due)))
    }

    fn finish(&mut self, at: Timestamp, outcome: Outcome) {
        self.finished_at = Some(at);
        self.outcome = Some(outcome);
        // Refused, withdrawn or stopped while with the approver: nothing waits
        // for a signature any more.
        self.awaiting_approval = false;
        self.close_step(at);
    }

    fn close_step(&mut self, at: Timestamp) {
        if let Some(step) = self.steps.last_mut()
            && step.finished_at.is_none()
        {
            step.finished_at = Some(at);
        }
    }

    fn start_step(&mut self, step: &StepStart, at: Timestamp, by: Option<UserId>) {
        self.close_step(at);
        self.steps.push(StepRecord::from_start(step, at, by));
    }

    /// Steps begun without a handover to confirm (approval, rework, return).
    fn acknowledge_current(&mut self, at: Timestamp) {
        if let Some(step) = self.steps.last_mut() {
            step.acknowledged_at = Some(at);
        }
        self.handover_pending = false;
    }

    fn restart_clock(&mut self, clock: &ClockRestarted) {
        self.paused_minutes += clock.paused_minutes;
        self.due_at = Some(clock.due_at);
        if let Some(step) = self.steps.last_mut() {
            step.due_at = clock.step_due_at;
        }
        self.paused_since = None;
        self.phase = self.phase_before_pause.take().unwrap_or(Phase::InProgress);
    }

    fn pause(&mut self, kind: PauseKind, at: Timestamp) {
        self.phase_before_pause = Some(self.phase);
        self.phase = Phase::Paused(kind);
        self.paused_since = Some(at);
    }
}

/// Folds one event into the state. Total: any event in any state gives a state,
/// so replaying a log never fails here; whether an event may happen is `decide`'s
/// business.
pub fn evolve(mut state: CaseState, event: &CaseEvent) -> CaseState {
    state.version += 1;
    match event {
        CaseEvent::CaseSubmittedOnline(e) => {
            state.phase = Phase::Submitted;
            state.procedure = Some(e.procedure.clone());
            state.field_code = Some(e.field_code.clone());
            state.receiving_unit = Some(e.unit.clone());
            state.channel = Some(e.channel);
            state.applicant = Some(e.applicant);
            state.submitted_at = Some(e.at);
            if let Some(portal) = &e.portal {
                state.documents.extend(portal.documents.iter().map(|d| d.document.clone()));
            }
        }
        CaseEvent::CaseReceived(e) => {
            state.phase = Phase::Received;
            state.code = Some(e.code.clone());
            state.lookup_secret_hash = Some(e.lookup_secret_hash.clone());
            state.procedure = Some(e.procedure.clone());
            state.field_code = Some(e.field_code.clone());
            state.receiving_unit = Some(e.unit.clone());
            state.channel = Some(e.channel);
            state.applicant = Some(e.applicant);
            state.received_at = Some(e.at);
            state.counting_from = Some(e.counting_from);
            state.processing_time = Some(e.processing_time);
            state.pause_mode = Some(e.pause_mode);
            state.due_at = Some(e.due_at);
            state.original_due_at = Some(e.due_at);
            state.steps = vec![StepRecord::from_start(&e.step, e.at, None)];
        }
        CaseEvent::CaseRefusedAtReception(_) => state.phase = Phase::RefusedAtReception,
        CaseEvent::CaseTransferred(e) => {
            state.start_step(&e.step, e.at, Some(e.by));
            state.phase = Phase::InProgress;
            state.handover_pending = true;
        }
        CaseEvent::HandoverAcknowledged(e) => {
            state.handover_pending = false;
            if let Some(step) = state.steps.last_mut() {
                step.acknowledged_at = Some(e.at);
                step.acknowledged_by = Some(e.by);
            }
        }
        CaseEvent::AppraisalRecorded(e) => state.appraisal = Some(e.proposal),
        CaseEvent::SupplementRequested(e) => state.pause(PauseKind::Supplement, e.at),
        CaseEvent::SupplementReceived(e) => state.restart_clock(&e.clock),
        CaseEvent::PaymentRequested(e) => state.pause(PauseKind::Payment, e.at),
        CaseEvent::PaymentRecorded(e) => state.restart_clock(&e.clock),
        CaseEvent::SubmittedForApproval(e) => {
            state.awaiting_approval = true;
            if let Some(step) = &e.step {
                state.start_step(step, e.at, None);
                state.acknowledge_current(e.at);
            }
        }
        CaseEvent::CaseApproved(_) => {
            state.awaiting_approval = false;
            state.approved = true;
        }
        CaseEvent::SentBackForRework(e) => {
            state.awaiting_approval = false;
            state.approved = false;
            state.appraisal = None;
            state.start_step(&e.step, e.at, None);
            // Rework goes back to the one who did the step; no handover to confirm.
            state.acknowledge_current(e.at);
        }
        CaseEvent::DeadlineExtended(e) => {
            state.extended = true;
            state.due_at = Some(e.due_at);
        }
        CaseEvent::CasePaused(e) => state.pause(PauseKind::Suspension, e.at),
        CaseEvent::CaseResumed(e) => state.restart_clock(&e.clock),
        CaseEvent::CaseRefusedAsIneligible(e) => {
            state.finish(e.at, Outcome::RefusedAsIneligible);
            state.phase = Phase::ResultReady;
        }
        CaseEvent::CaseWithdrawn(e) => {
            if state.received_at.is_some() {
                state.finish(e.at, Outcome::Withdrawn);
            }
            state.paused_since = None;
            state.phase = Phase::Withdrawn;
        }
        CaseEvent::CaseStopped(e) => {
            state.finish(e.at, Outcome::Stopped);
            state.paused_since = None;
            state.phase = Phase::Stopped;
        }
        CaseEvent::ResultRecorded(e) => {
            state.finish(e.at, Outcome::Resolved);
            state.phase = Phase::ResultReady;
            if let Some(document) = &e.document {
                state.documents.push(document.clone());
            }
            if let Some(step) = &e.step {
                state.start_step(step, e.at, None);
                state.acknowledge_current(e.at);
            }
        }
        CaseEvent::ResultReturned(e) => {
            state.close_step(e.at);
            state.phase = Phase::Returned;
            state.returned_at = Some(e.at);
            state.return_method = Some(e.method);
        }
        CaseEvent::CommentAdded(_) => state.comments += 1,
        CaseEvent::SatisfactionRated(e) => state.satisfaction = Some(e.score),
        CaseEvent::DocumentAttached(e) => state.documents.push(e.document.clone()),
        CaseEvent::FormIssued(_) => {}
    }
    state
}

/// Folds a whole history.
pub fn fold<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> CaseState {
    events.into_iter().fold(CaseState::default(), evolve)
}
