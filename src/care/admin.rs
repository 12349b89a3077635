//! Who may change a person's limits and record a doctor's approval: root, or a member of the
//! administrators' group (`stimd-admin` by default: the therapist or the parent).

/// What only root and administrators may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Set a person's limits (intensity, electrode area, dose, habituation).
    SetLimits,
    /// Remove a profile (and with it that person's limits).
    RemoveProfile,
    /// Record a doctor's approval despite a "yes" to a contraindication question.
    Approve,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Action::SetLimits => "setting a person's limits",
            Action::RemoveProfile => "removing a profile",
            Action::Approve => "recording a doctor's approval",
        })
    }
}

/// An administrator's action refused to someone else. The D-Bus edge names the
/// administrators' group in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is for root and administrators only")]
pub struct AdminOnly(pub Action);

/// Refuses `action` unless the caller is an administrator (`admin`: see [`is_admin`]).
pub fn require(admin: bool, action: Action) -> Result<(), AdminOnly> {
    if admin {
        Ok(())
    } else {
        Err(AdminOnly(action))
    }
}

/// Whether `uid` is root or in the group `group` (primary or supplementary).
pub fn is_admin(uid: u32, group: &str) -> bool {
    uid == 0 || in_group(uid, group).unwrap_or(false)
}

fn in_group(uid: u32, group: &str) -> Option<bool> {
    let want = crate::sys::group_id(group)?;
    let groups = crate::sys::groups_of_user(uid)?;
    Some(groups.contains(&want))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_admin_nobody_is_not() {
        assert!(is_admin(0, "stimd-admin"));
        // nobody (65534) is in no administrators' group; a group that does not exist
        // makes nobody an administrator.
        assert!(!is_admin(65_534, "stimd-admin"));
        assert!(!is_admin(65_534, "no-such-group-here"));
        // A user is in their own primary group.
        assert!(is_admin(65_534, "nogroup") || crate::sys::group_id("nogroup").is_none());
    }
}
