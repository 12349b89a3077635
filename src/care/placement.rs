//! Where electrodes may go. A session names its placement; some sites are never allowed
//! (across the chest and heart, the front of the neck, the head and the eyes), and pregnancy
//! rules out the abdomen and the low back. Programs recommend placements; a session elsewhere
//! is allowed but reported.
//!
//! The names of the sites (and the leaflet's reason each forbidden one is) are vocabulary in
//! `model::sites`; the rules for a session are here.

use crate::model::sites::{self, SiteError};
pub use crate::model::sites::{ALLOWED, FORBIDDEN};

/// Placements ruled out during pregnancy.
pub const NOT_IN_PREGNANCY: [&str; 2] = ["abdomen", "low back"];

/// Why a placement is refused, or `None` if it is allowed. Unknown names are refused too.
pub fn problem(placement: &str) -> Option<Refusal> {
    match sites::check(placement) {
        Ok(()) => None,
        Err(e @ SiteError::Forbidden { .. }) => Some(Refusal::Forbidden(e.to_string())),
        Err(e @ SiteError::Unknown { .. }) => Some(Refusal::Unknown(e.to_string())),
    }
}

/// A refused placement: a safety refusal or a name stimd does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A body site where stimulation is never allowed (`model::sites::FORBIDDEN`, e.g. the
    /// chest); the message names the site and why.
    Forbidden(String),
    /// A name that is not one of the body sites stimd knows; the message lists them.
    Unknown(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_known_and_unknown_placements() {
        assert_eq!(problem("low back"), None);
        let Some(Refusal::Forbidden(m)) = problem("chest") else {
            panic!("chest allowed");
        };
        assert!(m.contains("heart"), "{m}");
        assert!(matches!(
            problem("front of neck"),
            Some(Refusal::Forbidden(_))
        ));
        assert!(matches!(problem("eyes"), Some(Refusal::Forbidden(_))));
        let Some(Refusal::Unknown(m)) = problem("elbowz") else {
            panic!("unknown allowed");
        };
        assert!(m.contains("allowed: neck, shoulder"), "{m}");
        for p in NOT_IN_PREGNANCY {
            assert!(ALLOWED.contains(&p));
        }
    }

    #[test]
    fn every_preset_recommends_only_allowed_placements() {
        for p in crate::program::presets() {
            for pl in &p.placements {
                assert_eq!(problem(pl), None, "{}: {pl}", p.id);
            }
        }
    }
}
