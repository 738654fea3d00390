//! Who may do what, where: roles, unit scopes, and the rules that combine them
//! with a case's state.

use serde::{Deserialize, Serialize};

use crate::catalog::UnitTree;
use crate::ids::{UnitCode, UserId};

/// What a user does in the one-stop shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Cán bộ tiếp nhận: receives files and returns results.
    Reception,
    /// Chuyên viên xử lý: appraises files.
    Specialist,
    /// Lãnh đạo ký duyệt: approves and signs.
    Approver,
    /// Lãnh đạo theo dõi: follows the unit's work.
    Leader,
    /// Thanh tra: audits.
    Inspector,
    /// Thống kê: builds reports.
    Statistician,
    /// Quản trị: manages the catalog, units, users and calendars.
    Admin,
    /// A machine client reading the provincial feed.
    Feed,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Reception,
        Role::Specialist,
        Role::Approver,
        Role::Leader,
        Role::Inspector,
        Role::Statistician,
        Role::Admin,
        Role::Feed,
    ];

    /// Roles that oversee: their grant covers the unit's whole subtree.
    pub fn covers_subtree(self) -> bool {
        matches!(
            self,
            Role::Leader | Role::Inspector | Role::Statistician | Role::Admin
        )
    }

    /// The role's name as stored and sent (`reception`, `specialist`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reception => "reception",
            Role::Specialist => "specialist",
            Role::Approver => "approver",
            Role::Leader => "leader",
            Role::Inspector => "inspector",
            Role::Statistician => "statistician",
            Role::Admin => "admin",
            Role::Feed => "feed",
        }
    }

    /// The Vietnamese title shown in audit trails and the feed (ChucDanh).
    pub fn title_vi(self) -> &'static str {
        match self {
            Role::Reception => "Cán bộ tiếp nhận",
            Role::Specialist => "Chuyên viên xử lý",
            Role::Approver => "Lãnh đạo ký duyệt",
            Role::Leader => "Lãnh đạo",
            Role::Inspector => "Thanh tra",
            Role::Statistician => "Cán bộ thống kê",
            Role::Admin => "Quản trị hệ thống",
            Role::Feed => "Hệ thống đồng bộ",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
}

impl User {
    /// The user as the actor of a command.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            name: self.full_name.clone(),
            role: self.role,
            units: self.units.clone(),
        }
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
        self.units.iter().any(|granted| {
            granted == unit || (self.role.covers_subtree() && tree.is_within(unit, granted))
        })
    }

    /// Whether the user oversees the whole tree: an overseeing role granted a
    /// unit at its top (the province). Province-wide actions — the working
    /// calendar, erasing an applicant's personal data, reading the whole
    /// provincial feed as an administrator — need it; an administrator of a
    /// commune manages only the commune.
    pub fn oversees_everything(&self, tree: &UnitTree) -> bool {
        self.role.covers_subtree()
            && self
                .units
                .iter()
                .any(|granted| tree.get(granted).is_some_and(|u| u.parent.is_none()))
    }
}

/// The unit an officer acted as (the feed's PhongBanXuLy, the inspectors'
/// "by unit"): of the units granted to them, the one the file was at when they
/// acted, else the one it went to, else the one that received it; an officer
/// acting on a unit below their grant (a leader stopping a commune's file)
/// acts as their own unit, the first granted. `None` without grants.
pub fn acting_unit<'a>(grants: &'a [String], places: &[Option<&str>]) -> Option<&'a str> {
    places
        .iter()
        .flatten()
        .find_map(|place| grants.iter().find(|g| g == place))
        .or(grants.first())
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Unit;

    #[test]
    fn an_officer_acts_as_the_granted_unit_where_the_file_is() {
        let grants = vec!["000.00.01.H22".to_owned(), "000.00.12.H22".to_owned()];
        let at = |places: &[Option<&str>]| acting_unit(&grants, places);
        assert_eq!(
            at(&[Some("000.00.12.H22"), Some("000.00.01.H22")]),
            Some("000.00.12.H22")
        );
        assert_eq!(
            at(&[Some("000.00.99.H22"), Some("000.00.01.H22")]),
            Some("000.00.01.H22")
        );
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
        let tree = UnitTree::new([
            unit("000.00.00.H22", None),
            unit("000.00.01.H22", Some("000.00.00.H22")),
        ]);
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
