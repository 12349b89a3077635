//! Who may change a person's limits and record a doctor's approval: root, or a member of the
//! administrators' group (`stimd-admin` by default: the therapist or the parent).

use std::ffi::{CStr, CString};

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
    let want = group_id(group)?;
    let (name, primary) = user(uid)?;
    if primary == want {
        return Some(true);
    }
    let mut n: libc::c_int = 64;
    loop {
        let mut groups = vec![0 as libc::gid_t; n as usize];
        let before = n;
        // SAFETY: `groups` holds `n` entries; getgrouplist writes at most that many and
        // updates `n`.
        let r = unsafe { libc::getgrouplist(name.as_ptr(), primary, groups.as_mut_ptr(), &mut n) };
        if r >= 0 {
            groups.truncate(n as usize);
            return Some(groups.contains(&want));
        }
        if n <= before || n > 65_536 {
            return None;
        }
    }
}

/// The user's name and primary group.
fn user(uid: u32) -> Option<(CString, libc::gid_t)> {
    let mut buf = vec![0 as libc::c_char; 16_384];
    // SAFETY: plain-old-data out parameters and a buffer of the stated size.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    let r = unsafe { libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if r != 0 || out.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points into `buf`, NUL-terminated.
    let name = unsafe { CStr::from_ptr(pw.pw_name) }.to_owned();
    Some((name, pw.pw_gid))
}

fn group_id(group: &str) -> Option<libc::gid_t> {
    let c = CString::new(group).ok()?;
    let mut buf = vec![0 as libc::c_char; 16_384];
    // SAFETY: as in `user`.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    let r = unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut out) };
    (r == 0 && !out.is_null()).then_some(gr.gr_gid)
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
        assert!(is_admin(65_534, "nogroup") || group_id("nogroup").is_none());
    }
}
