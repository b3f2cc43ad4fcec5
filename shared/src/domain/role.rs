//! Who may do what in a tenant. A caller's role comes from a claim of their token (the claim's name is
//! a deployment setting, like the tenant claim); a missing or unknown role reads as `Viewer`.

use serde::{Deserialize, Serialize};

/// The roles, each allowed everything the one before it is: `Viewer` reads; `Editor` also
/// acknowledges, dismisses and snoozes insights, maps and confirms matches, and starts syncs; `Admin`
/// also changes settings, connections and alert rules, and runs exports and erasures.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[default]
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Editor, Role::Admin];

    pub const fn name(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    /// The role a claim's value names (case and surrounding spaces ignored), `None` for any other.
    pub fn parse(value: &str) -> Option<Role> {
        let value = value.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.name().eq_ignore_ascii_case(value))
    }

    /// Whether this role may do what `required` allows.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_allows_what_the_ones_below_it_allow() {
        assert!(Role::Admin.allows(Role::Editor));
        assert!(Role::Editor.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Admin));
        assert_eq!(Role::parse(" Admin "), Some(Role::Admin));
        assert_eq!(Role::parse("owner"), None);
        assert_eq!(Role::default(), Role::Viewer);
    }
}
