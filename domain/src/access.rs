//! Who may do or read what, where: the one place the product decides it.
//!
//! Every permission is a pure function of the actor (role and granted units),
//! the unit tree, and the thing asked for (where a case has been, an account's
//! units, a unit). Handlers, the write side and the operators' tool ask these
//! functions and decide nothing themselves. Read top to bottom:
//!
//! 1. people: [`User`], [`Actor`], and what a grant reaches ([`Actor::reaches`]);
//! 2. cases: the command table ([`roles_for`], [`case_action`]), reading a case
//!    ([`may_read_case`]), its audit trail ([`case_audit`]);
//! 3. across cases: work queues and audit queries ([`visible_units`]), the
//!    provincial feed ([`feed`]), reports ([`reports`]);
//! 4. administration: the catalog and accounts ([`administer`],
//!    [`may_see_account`]), province-wide acts ([`province_wide`]), exporting
//!    personal data ([`may_export_personal_data`]).

use serde::{Deserialize, Serialize};

use crate::catalog::{Unit, UnitTree};
use crate::ids::{UnitCode, UserId};
use crate::role::Role;

// ---- 1. People --------------------------------------------------------------

/// A user account: an officer, an administrator or a machine client. The
/// password hash and login state live with the write side's account store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// Units the user acts in (with their subtrees for overseeing roles).
    pub units: Vec<UnitCode>,
    pub active: bool,
    /// Where reminders of the files the officer holds go (due tomorrow,
    /// overdue); none, no reminders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl User {
    /// The user as the actor of a command.
    pub fn actor(&self) -> Actor {
        Actor { user_id: self.id, name: self.full_name.clone(), role: self.role, units: self.units.clone() }
    }
}

/// The user behind a command, as the write side authenticated them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: UserId,
    pub name: String,
    pub role: Role,
    /// Units the user was granted.
    pub units: Vec<UnitCode>,
}

impl Actor {
    /// Whether the user's grants reach `unit`: one of them exactly, or, for
    /// overseeing roles, a unit above it.
    pub fn reaches(&self, unit: &UnitCode, tree: &UnitTree) -> bool {
        self.units
            .iter()
            .any(|granted| granted == unit || (self.role.covers_subtree() && tree.is_within(unit, granted)))
    }

    /// Whether the user oversees the whole tree: an overseeing role granted a
    /// unit at its top (the province). Province-wide actions — the working
    /// calendar, erasing an applicant's personal data, reading the whole
    /// provincial feed as an administrator — need it; an administrator of a
    /// commune manages only the commune.
    pub fn oversees_everything(&self, tree: &UnitTree) -> bool {
        self.role.covers_subtree()
            && self.units.iter().any(|granted| tree.get(granted).is_some_and(|u| u.parent.is_none()))
    }
}

/// The unit an officer acted as (the feed's PhongBanXuLy, the inspectors'
/// "by unit"): of the units granted to them, the one the file was at when they
/// acted, else the one it went to, else the one that received it; an officer
/// acting on a unit below their grant (a leader stopping a commune's file)
/// acts as their own unit, the first granted. `None` without grants.
pub fn acting_unit<'a>(grants: &'a [String], places: &[Option<&str>]) -> Option<&'a str> {
    places.iter().flatten().find_map(|place| grants.iter().find(|g| g == place)).or(grants.first()).map(String::as_str)
}

// ---- 2. Cases ---------------------------------------------------------------

/// What can be done to a case: one per command (DESIGN §3, case lifecycle).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseAction {
    SubmitOnline,
    Receive,
    AcceptOnline,
    RefuseAtReception,
    Transfer,
    AcknowledgeHandover,
    RecordAppraisal,
    RequestSupplement,
    ReceiveSupplement,
    RequestPayment,
    RecordPayment,
    SubmitForApproval,
    Approve,
    SendBackForRework,
    Extend,
    Pause,
    Resume,
    RefuseAsIneligible,
    Withdraw,
    Stop,
    RecordResult,
    ReturnResult,
    Comment,
    RateSatisfaction,
    AttachDocument,
    IssueForm,
}

impl CaseAction {
    /// The action's name in rule messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::SubmitOnline => "submit online",
            Self::Receive => "receive",
            Self::AcceptOnline => "accept the online submission",
            Self::RefuseAtReception => "refuse at reception",
            Self::Transfer => "transfer",
            Self::AcknowledgeHandover => "acknowledge the handover",
            Self::RecordAppraisal => "record an appraisal",
            Self::RequestSupplement => "request a supplement",
            Self::ReceiveSupplement => "receive a supplement",
            Self::RequestPayment => "request payment",
            Self::RecordPayment => "record payment",
            Self::SubmitForApproval => "submit for approval",
            Self::Approve => "approve",
            Self::SendBackForRework => "send back for rework",
            Self::Extend => "extend the deadline",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::RefuseAsIneligible => "refuse as not eligible",
            Self::Withdraw => "withdraw",
            Self::Stop => "stop",
            Self::RecordResult => "record the result",
            Self::ReturnResult => "return the result",
            Self::Comment => "comment",
            Self::RateSatisfaction => "rate satisfaction",
            Self::AttachDocument => "attach a document",
            Self::IssueForm => "issue a form",
        }
    }
}

/// The roles that may take each action.
pub fn roles_for(action: CaseAction) -> &'static [Role] {
    use CaseAction::*;
    use Role::{Approver, Feed, Leader, Reception, Specialist};
    match action {
        SubmitOnline => &[Reception, Feed],
        Receive | AcceptOnline | RefuseAtReception | ReturnResult | Withdraw => &[Reception],
        Transfer | AcknowledgeHandover | AttachDocument => &[Reception, Specialist, Approver],
        RecordAppraisal | SubmitForApproval => &[Specialist],
        RequestSupplement | RequestPayment | ReceiveSupplement | RecordPayment => &[Reception, Specialist],
        Approve | SendBackForRework | RefuseAsIneligible => &[Approver],
        Extend | Stop => &[Approver, Leader],
        Pause | Resume | RecordResult => &[Specialist, Approver],
        Comment | IssueForm => &[Reception, Specialist, Approver, Leader],
        RateSatisfaction => &[Reception, Feed],
    }
}

/// Where a case is, as far as permissions go.
#[derive(Debug, Clone, Default)]
pub struct CasePlaces<'a> {
    /// For a file being filed: the unit the command files it at.
    pub filing: Option<&'a UnitCode>,
    /// The unit that received it (the desk).
    pub receiving: Option<&'a UnitCode>,
    /// The unit holding it now.
    pub current: Option<&'a UnitCode>,
    /// Every unit it has been at: the desk, then each step's.
    pub visited: Vec<&'a UnitCode>,
}

/// Why an action on a case is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseRefusal {
    /// The actor's role may not take it.
    Role,
    /// There is no case to act on (no unit to act in).
    NoCase,
    /// The actor's grants do not reach the unit that must be reached.
    OutsideScope(UnitCode),
}

/// Whether `actor` may take `action` on a case at `places`: a role allowed it
/// (see [`roles_for`]) whose grants reach the unit the action happens in.
pub fn case_action(
    actor: &Actor,
    action: CaseAction,
    places: &CasePlaces<'_>,
    tree: &UnitTree,
) -> Result<(), CaseRefusal> {
    use CaseAction::*;
    if !roles_for(action).contains(&actor.role) {
        return Err(CaseRefusal::Role);
    }
    // The units one of which the grants must reach.
    let units: Vec<&UnitCode> = match action {
        SubmitOnline | Receive => places.filing.into_iter().collect(),
        // The desk deals with the applicant: filing, results, withdrawal.
        ReturnResult | AcceptOnline | RefuseAtReception | Withdraw | RateSatisfaction => {
            places.receiving.into_iter().collect()
        }
        // What the applicant brings may arrive at the desk or at the handling
        // unit; notes and documents come from either.
        ReceiveSupplement | RecordPayment | Comment | AttachDocument | IssueForm => {
            places.current.into_iter().chain(places.receiving).collect()
        }
        _ => places.current.into_iter().collect(),
    };
    match units.first() {
        None => Err(CaseRefusal::NoCase),
        Some(_) if units.iter().any(|u| actor.reaches(u, tree)) => Ok(()),
        Some(first) => Err(CaseRefusal::OutsideScope((*first).clone())),
    }
}

/// Whether `actor` may read a case (its view, its place in lists): officers
/// whose grants reach a unit it went through (overseeing roles: their
/// subtree). Machine clients read the feed instead.
pub fn may_read_case(actor: &Actor, places: &CasePlaces<'_>, tree: &UnitTree) -> bool {
    actor.role != Role::Feed && places.visited.iter().any(|unit| actor.reaches(unit, tree))
}

/// Why something is not shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// The role may never do it; the text says who may.
    Forbidden(String),
    /// Outside the actor's grants: answered as if it did not exist.
    Hidden,
}

/// The roles that read audit trails: inspectors, leaders and administrators.
pub const AUDITORS: [Role; 3] = [Role::Inspector, Role::Leader, Role::Admin];

/// Whether `actor` audits at all (the audit queries, sign-in records);
/// `what` names the record in the refusal.
pub fn audits(actor: &Actor, what: &str) -> Result<(), Denied> {
    if AUDITORS.contains(&actor.role) {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!("only inspectors, leaders and administrators {what}")))
    }
}

/// Whether `actor` may read a case's history in words and its control slip
/// (Phiếu kiểm soát quá trình giải quyết hồ sơ): whoever may read the case.
/// The slip travels with the file from officer to officer (Decree
/// 61/2018/NĐ-CP, Art. 18), so the officers handling it read it as auditors do.
pub fn case_history(actor: &Actor, places: &CasePlaces<'_>, tree: &UnitTree) -> Result<(), Denied> {
    if may_read_case(actor, places, tree) { Ok(()) } else { Err(Denied::Hidden) }
}

/// Whether `actor` may read a case's stored events with their hashes and
/// verify its chain: an auditor whose grants reach a unit it went through.
pub fn case_audit(actor: &Actor, places: &CasePlaces<'_>, tree: &UnitTree) -> Result<(), Denied> {
    audits(actor, "read audit trails")?;
    if places.visited.iter().any(|unit| actor.reaches(unit, tree)) { Ok(()) } else { Err(Denied::Hidden) }
}

// ---- 3. Across cases ----------------------------------------------------------

/// The units whose cases `actor` sees in work queues, lists and audit queries:
/// those the grants reach (none for machine clients).
pub fn visible_units<'t>(actor: &Actor, tree: &'t UnitTree) -> Vec<&'t Unit> {
    if actor.role == Role::Feed {
        return Vec::new();
    }
    tree.units().filter(|u| actor.reaches(&u.code, tree)).collect()
}

/// Whether `actor` reads the provincial feed: it is the whole province's, for
/// its machine client and the province's administrators.
pub fn feed(actor: &Actor, tree: &UnitTree) -> Result<(), Denied> {
    let allowed = match actor.role {
        Role::Feed => true,
        Role::Admin => actor.oversees_everything(tree),
        _ => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Denied::Forbidden("the feed is for the feed client and the province's administrators".into()))
    }
}

/// Whether `actor` may read the statistics of `unit` and its subtree:
/// statisticians, leaders, inspectors and administrators granted it.
pub fn reports(actor: &Actor, unit: &UnitCode, tree: &UnitTree) -> Result<(), Denied> {
    reads_reports(actor)?;
    if actor.reaches(unit, tree) {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!("the user has no grant for unit {unit}")))
    }
}

/// Whether `actor` may read the register (sổ theo dõi hồ sơ, form 07) of
/// `unit`: its desk keeps it, and those who oversee the unit read it.
pub fn reads_register(actor: &Actor, unit: &UnitCode, tree: &UnitTree) -> Result<(), Denied> {
    let role_reads =
        matches!(actor.role, Role::Reception | Role::Leader | Role::Inspector | Role::Statistician | Role::Admin);
    if !role_reads {
        return Err(Denied::Forbidden(
            "a unit's register is kept by its desk and read by leaders, inspectors, statisticians and administrators"
                .into(),
        ));
    }
    if actor.reaches(unit, tree) {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!("the user has no grant for unit {unit}")))
    }
}

/// Whether `actor` works a counter of `unit`'s queue (calls, recalls, marks
/// absent, transfers, finishes tickets): the unit's reception officers.
/// Taking a ticket needs no account at all (the hall's kiosk).
pub fn works_counter(actor: &Actor, unit: &UnitCode, tree: &UnitTree) -> Result<(), Denied> {
    if actor.role != Role::Reception {
        return Err(Denied::Forbidden("only reception officers work the counters".into()));
    }
    if actor.reaches(unit, tree) {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!("the user has no grant for unit {unit}")))
    }
}

/// Whether `actor`'s role reads reports at all.
pub fn reads_reports(actor: &Actor) -> Result<(), Denied> {
    if !matches!(actor.role, Role::Statistician | Role::Leader | Role::Inspector | Role::Admin) {
        return Err(Denied::Forbidden("reports are for statisticians, leaders, inspectors and administrators".into()));
    }
    Ok(())
}

/// Whether `actor` delivers dossiers filed on the national portal: the
/// integration platform's machine account only (officers file at the desk,
/// where the portal's id and content hash mean nothing). The unit the dossier
/// is filed at is then checked as for any filing.
pub fn delivers_portal_dossiers(actor: &Actor) -> Result<(), Denied> {
    if actor.role != Role::Feed {
        return Err(Denied::Forbidden("portal dossiers are delivered by the integration platform's account".into()));
    }
    Ok(())
}

/// Whether `actor` watches the national portal's sync (its state, each case's,
/// and the reconciliation with the portal): administrators.
pub fn oversees_portal_sync(actor: &Actor) -> Result<(), Denied> {
    if actor.role != Role::Admin {
        return Err(Denied::Forbidden("the portal sync is watched by administrators".into()));
    }
    Ok(())
}

// ---- 4. Administration ----------------------------------------------------------

/// Whether `actor` administers `unit`: changes it, its procedures and the
/// accounts granted it. Administrators act on the units their grants reach.
pub fn administer(actor: &Actor, unit: &UnitCode, tree: &UnitTree) -> Result<(), String> {
    if actor.role != Role::Admin {
        return Err(format!("only an administrator may change the catalog, not a {}", actor.role));
    }
    if actor.reaches(unit, tree) { Ok(()) } else { Err(format!("the user has no grant for unit {unit}")) }
}

/// Whether `actor` is an administrator at all (the accounts list).
pub fn is_administrator(actor: &Actor) -> Result<(), String> {
    if actor.role == Role::Admin { Ok(()) } else { Err(format!("only a {} may do this", Role::Admin)) }
}

/// Whether an administrator sees an account: one of its units is within
/// their grants.
pub fn may_see_account(actor: &Actor, account: &User, tree: &UnitTree) -> bool {
    account.units.iter().any(|unit| actor.reaches(unit, tree))
}

/// Whether an auditor reads the sign-in records of `account`: those of
/// accounts within their grants, or any for those who oversee the province.
pub fn may_see_sign_ins_of(actor: &Actor, account: &User, tree: &UnitTree) -> bool {
    actor.oversees_everything(tree) || may_see_account(actor, account, tree)
}

/// Whether an auditor reads the attempts on names no account has: only those
/// who oversee the whole province (the names may be anyone's mistyped password).
pub fn may_see_unknown_name_sign_ins(actor: &Actor, tree: &UnitTree) -> bool {
    actor.oversees_everything(tree)
}

/// Acts that are the whole province's (the working calendar, erasing an
/// applicant's personal data, making a unit a top unit): only an
/// administrator overseeing the whole tree. `what` completes "only an
/// administrator of the whole province may …".
pub fn province_wide(actor: &Actor, tree: &UnitTree, what: &str) -> Result<(), String> {
    if actor.role == Role::Admin && actor.oversees_everything(tree) {
        Ok(())
    } else {
        Err(format!("only an administrator of the whole province may {what}"))
    }
}

/// Whether an account may export personal data in the clear (the operators'
/// tool, after its password was checked): an active administrator.
pub fn may_export_personal_data(user: &User) -> bool {
    user.active && user.role == Role::Admin
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Unit;

    #[test]
    fn an_officer_acts_as_the_granted_unit_where_the_file_is() {
        let grants = vec!["000.00.01.H22".to_owned(), "000.00.12.H22".to_owned()];
        let at = |places: &[Option<&str>]| acting_unit(&grants, places);
        assert_eq!(at(&[Some("000.00.12.H22"), Some("000.00.01.H22")]), Some("000.00.12.H22"));
        assert_eq!(at(&[Some("000.00.99.H22"), Some("000.00.01.H22")]), Some("000.00.01.H22"));
        assert_eq!(at(&[Some("000.26.01.H22")]), Some("000.00.01.H22"));
        assert_eq!(acting_unit(&[], &[Some("000.26.01.H22")]), None);
    }

    fn unit(code: &str, parent: Option<&str>) -> Unit {
        Unit {
            code: code.parse().unwrap(),
            name: code.into(),
            parent: parent.map(|p| p.parse().unwrap()),
            office_hours: Default::default(),
            active: true,
        }
    }

    #[test]
    fn overseeing_roles_reach_the_subtree_and_others_only_their_units() {
        let tree = UnitTree::new([
            unit("000.00.00.H22", None),
            unit("000.00.01.H22", Some("000.00.00.H22")),
            unit("000.01.01.H22", Some("000.00.01.H22")),
            unit("000.00.02.H22", Some("000.00.00.H22")),
        ]);
        let actor = |role| Actor {
            user_id: UserId(uuid::Uuid::nil()),
            name: "x".into(),
            role,
            units: vec!["000.00.01.H22".parse().unwrap()],
        };
        let child: UnitCode = "000.01.01.H22".parse().unwrap();
        let own: UnitCode = "000.00.01.H22".parse().unwrap();
        let sibling: UnitCode = "000.00.02.H22".parse().unwrap();
        let parent: UnitCode = "000.00.00.H22".parse().unwrap();
        assert!(actor(Role::Leader).reaches(&child, &tree));
        assert!(actor(Role::Reception).reaches(&own, &tree));
        assert!(!actor(Role::Reception).reaches(&child, &tree));
        for role in Role::ALL {
            assert!(!actor(role).reaches(&sibling, &tree), "{role:?}");
            assert!(!actor(role).reaches(&parent, &tree), "{role:?}");
        }
    }

    #[test]
    fn only_an_overseer_granted_the_top_oversees_everything() {
        let tree = UnitTree::new([unit("000.00.00.H22", None), unit("000.00.01.H22", Some("000.00.00.H22"))]);
        let actor = |role, unit: &str| Actor {
            user_id: UserId(uuid::Uuid::nil()),
            name: "x".into(),
            role,
            units: vec![unit.parse().unwrap()],
        };
        assert!(actor(Role::Admin, "000.00.00.H22").oversees_everything(&tree));
        assert!(actor(Role::Leader, "000.00.00.H22").oversees_everything(&tree));
        assert!(!actor(Role::Admin, "000.00.01.H22").oversees_everything(&tree));
        assert!(!actor(Role::Reception, "000.00.00.H22").oversees_everything(&tree));
        // A grant naming a unit the tree does not know reaches nothing.
        assert!(!actor(Role::Admin, "000.00.09.H22").oversees_everything(&tree));
    }
}
