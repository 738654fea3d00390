//! What the one-stop shop offers: units, and procedures (thủ tục hành chính) with
//! their versioned workflows.

use std::collections::HashMap;

use jiff::civil::Time;
use serde::{Deserialize, Serialize};

use crate::calendar::OfficeHours;
use crate::deadline::ProcessingTime;
use crate::ids::{ProcedureCode, UnitCode};
use crate::role::Role;

/// An administrative unit: a province, a department or service centre, a
/// division, a commune. Levels are not fixed: the tree is what the data says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub code: UnitCode,
    pub name: String,
    pub parent: Option<UnitCode>,
    #[serde(default)]
    pub office_hours: OfficeHours,
    #[serde(default = "active")]
    pub active: bool,
}

fn active() -> bool {
    true
}

/// All units, by code, with their place in the tree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitTree {
    units: HashMap<UnitCode, Unit>,
}

impl UnitTree {
    pub fn new(units: impl IntoIterator<Item = Unit>) -> Self {
        Self { units: units.into_iter().map(|u| (u.code.clone(), u)).collect() }
    }

    pub fn get(&self, code: &UnitCode) -> Option<&Unit> {
        self.units.get(code)
    }

    pub fn insert(&mut self, unit: Unit) {
        self.units.insert(unit.code.clone(), unit);
    }

    pub fn units(&self) -> impl Iterator<Item = &Unit> {
        self.units.values()
    }

    /// The unit's office hours, or the default ones for an unknown unit.
    pub fn office_hours(&self, code: &UnitCode) -> OfficeHours {
        self.units.get(code).map(|u| u.office_hours.clone()).unwrap_or_default()
    }

    /// Whether `unit` is `ancestor` or lies below it.
    pub fn is_within(&self, unit: &UnitCode, ancestor: &UnitCode) -> bool {
        let mut current = Some(unit);
        // The depth bound guards against a cycle in bad data.
        for _ in 0..64 {
            match current {
                Some(code) if code == ancestor => return true,
                Some(code) => current = self.units.get(code).and_then(|u| u.parent.as_ref()),
                None => return false,
            }
        }
        false
    }
}

/// A field of administration (lĩnh vực), e.g. land, business registration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    pub code: String,
    pub name: String,
}

/// How a file reaches the one-stop shop (kênh thực hiện).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Trực tiếp: at the reception desk.
    InPerson,
    /// Trực tuyến toàn trình: fully online.
    OnlineFull,
    /// Trực tuyến một phần: partly online.
    OnlinePartial,
    /// Bưu chính công ích: by post.
    Post,
}

impl Channel {
    pub fn is_online(self) -> bool {
        matches!(self, Self::OnlineFull | Self::OnlinePartial)
    }
}

/// What happens to the deadline while the file waits for the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseMode {
    /// The due date moves by the working time the clock was stopped.
    Shift,
    /// The whole processing time starts again when the complete file arrives.
    Restart,
}

/// A fee or charge (phí, lệ phí).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub name: String,
    pub amount_vnd: u64,
}

/// A document the applicant must supply (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredDocument {
    pub name: String,
    pub copies: u8,
    pub original_required: bool,
}

/// Where a workflow step is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "unit")]
pub enum StepUnit {
    /// The unit that received the file (the reception desk, the return of results).
    Receiving,
    /// One of the procedure's handling units.
    Handling,
    /// A named unit, possibly of another agency: a handover between agencies
    /// (liên thông).
    Fixed(UnitCode),
}

/// One step of a procedure's workflow, with its own time budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowStep {
    pub name: String,
    pub role: Role,
    pub unit: StepUnit,
    pub budget: ProcessingTime,
}

/// A procedure as of one version; a case keeps the version it was received under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Procedure {
    pub code: ProcedureCode,
    pub version: u32,
    pub name: String,
    pub field: Field,
    pub handling_units: Vec<UnitCode>,
    pub processing_time: ProcessingTime,
    /// Files received at or after this time count from the next working day.
    pub cutoff: Option<Time>,
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub fees: Vec<Fee>,
    #[serde(default)]
    pub documents: Vec<RequiredDocument>,
    /// In order; the first step is reception.
    pub workflow: Vec<WorkflowStep>,
    pub pause_mode: PauseMode,
}

/// A procedure definition that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("the procedure needs a name")]
    MissingName,
    #[error("the procedure needs at least one handling unit")]
    NoHandlingUnit,
    #[error("the procedure needs at least one channel")]
    NoChannel,
    #[error("the processing time must be more than zero")]
    ZeroProcessingTime,
    #[error("a processing time \"in the day\" has amount 1")]
    SameDayAmount,
    #[error("the workflow needs at least two steps: reception and handling")]
    WorkflowTooShort,
    #[error("the first workflow step must be reception at the receiving unit")]
    FirstStepNotReception,
    #[error("workflow step {index} has a zero time budget")]
    ZeroStepBudget { index: usize },
}

impl Procedure {
    /// Checks what every case of this procedure relies on.
    pub fn validate(&self) -> Result<(), CatalogError> {
        if self.name.trim().is_empty() {
            return Err(CatalogError::MissingName);
        }
        if self.handling_units.is_empty() {
            return Err(CatalogError::NoHandlingUnit);
        }
        if self.channels.is_empty() {
            return Err(CatalogError::NoChannel);
        }
        if self.processing_time.amount == 0 {
            return Err(CatalogError::ZeroProcessingTime);
        }
        let same_day =
            |t: &crate::deadline::ProcessingTime| t.unit == crate::deadline::TimeUnit::SameDay && t.amount != 1;
        if same_day(&self.processing_time) || self.workflow.iter().any(|s| same_day(&s.budget)) {
            return Err(CatalogError::SameDayAmount);
        }
        if self.workflow.len() < 2 {
            return Err(CatalogError::WorkflowTooShort);
        }
        let first = &self.workflow[0];
        if first.role != Role::Reception || first.unit != StepUnit::Receiving {
            return Err(CatalogError::FirstStepNotReception);
        }
        if let Some(index) = self.workflow.iter().position(|s| s.budget.amount == 0) {
            return Err(CatalogError::ZeroStepBudget { index });
        }
        Ok(())
    }

    /// The units that may take the step at `index` of a case received at
    /// `receiving` (those [`Self::step_accepts`] accepts), in catalog order.
    pub fn units_for_step(&self, index: usize, receiving: &UnitCode) -> Vec<UnitCode> {
        match self.workflow.get(index).map(|s| &s.unit) {
            Some(StepUnit::Receiving) => vec![receiving.clone()],
            Some(StepUnit::Handling) => self.handling_units.clone(),
            Some(StepUnit::Fixed(fixed)) => vec![fixed.clone()],
            None => Vec::new(),
        }
    }

    /// Whether `unit` may take the step at `index` of a case received at `receiving`.
    pub fn step_accepts(&self, index: usize, unit: &UnitCode, receiving: &UnitCode) -> bool {
        match self.workflow.get(index).map(|s| &s.unit) {
            Some(StepUnit::Receiving) => unit == receiving,
            Some(StepUnit::Handling) => self.handling_units.contains(unit),
            Some(StepUnit::Fixed(fixed)) => unit == fixed,
            None => false,
        }
    }
}
