//! The roles of the one-stop shop's users (DESIGN §3).

use serde::{Deserialize, Serialize};

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

    /// Roles whose grant covers the unit's whole subtree: those who oversee,
    /// and the machine client, which serves a province's (or a unit's)
    /// integration platform: it delivers the portal's dossiers for every
    /// desk under it.
    pub fn covers_subtree(self) -> bool {
        matches!(self, Role::Leader | Role::Inspector | Role::Statistician | Role::Admin | Role::Feed)
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
