//! Where electrodes may go. A session names its placement; some sites are never allowed
//! (across the chest and heart, the front of the neck, the head and the eyes), and pregnancy
//! rules out the abdomen and the low back. Programs recommend placements; a session elsewhere
//! is allowed but reported.
//!
//! The names of the sites (and the leaflet's reason each forbidden one is) are vocabulary in
//! `model::sites`; the rules for a session are here.

pub use crate::model::sites::{ALLOWED, FORBIDDEN};
use crate::texts::{match_site, SiteMatch, Text};

/// Placements ruled out during pregnancy.
pub const NOT_IN_PREGNANCY: [&str; 2] = ["abdomen", "low back"];

/// The site a placement names (in Dutch or English), or why it is refused. Unknown names are
/// refused too.
pub fn site(placement: &str) -> Result<&'static str, Refusal> {
    match match_site(placement) {
        SiteMatch::Allowed(site) => Ok(site),
        SiteMatch::Forbidden(site, reason) => Err(Refusal::Forbidden(
            Text::new("placement.forbidden")
                .quoted("placement", placement)
                .site("site", site)
                .arg("reason", reason),
        )),
        SiteMatch::Unknown => Err(Refusal::Unknown(
            Text::new("placement.unknown")
                .quoted("placement", placement)
                .sites(
                    "allowed",
                    &ALLOWED.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                ),
        )),
    }
}

/// Why a placement is refused, or `None` if it is allowed.
pub fn problem(placement: &str) -> Option<Refusal> {
    site(placement).err()
}

/// A refused placement: a safety refusal or a name stimd does not know.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A body site where stimulation is never allowed (`model::sites::FORBIDDEN`, e.g. the
    /// chest, `borst`); the text names the site and why.
    Forbidden(Text),
    /// A name that is not one of the body sites stimd knows; the text lists them.
    Unknown(Text),
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
        let m = m.render_in(crate::texts::Lang::En);
        assert!(m.contains("heart"), "{m}");
        assert!(matches!(
            problem("front of neck"),
            Some(Refusal::Forbidden(_))
        ));
        assert!(matches!(problem("eyes"), Some(Refusal::Forbidden(_))));
        let Some(Refusal::Unknown(m)) = problem("elbowz") else {
            panic!("unknown allowed");
        };
        let m = m.render_in(crate::texts::Lang::En);
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
