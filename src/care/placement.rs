//! Where electrodes may go. A session names its placement; some sites are never allowed
//! (across the chest and heart, the front of the neck, the head and the eyes), and pregnancy
//! rules out the abdomen and the low back. Programs recommend placements; a session elsewhere
//! is allowed but reported.

/// Placements a session or a program may name.
pub const ALLOWED: [&str; 16] = [
    "neck",
    "shoulder",
    "upper back",
    "low back",
    "arm",
    "elbow",
    "wrist",
    "hand",
    "hip",
    "buttock",
    "thigh",
    "knee",
    "calf",
    "ankle",
    "foot",
    "abdomen",
];

/// Placements that are always refused, with the reason the leaflet gives.
pub const FORBIDDEN: [(&str, &str); 6] = [
    (
        "chest",
        "current across the chest can disturb the heart's rhythm",
    ),
    (
        "heart",
        "current across the chest can disturb the heart's rhythm",
    ),
    (
        "front of neck",
        "current on the front of the neck can close the airway and drop the blood pressure",
    ),
    (
        "head",
        "current through the head can affect the brain and cause seizures",
    ),
    ("eyes", "current near the eyes can damage them"),
    ("face", "current on the face reaches the eyes and the brain"),
];

/// Placements ruled out during pregnancy.
pub const NOT_IN_PREGNANCY: [&str; 2] = ["abdomen", "low back"];

/// Why a placement is refused, or `None` if it is allowed. Unknown names are refused too.
pub fn problem(placement: &str) -> Option<Refusal> {
    if let Some((_, why)) = FORBIDDEN.iter().find(|(p, _)| *p == placement) {
        return Some(Refusal::Forbidden(format!(
            "placement = {placement:?} is never allowed: {why}"
        )));
    }
    if !ALLOWED.contains(&placement) {
        return Some(Refusal::Unknown(format!(
            "placement = {:?} is unknown (allowed: {})",
            placement.chars().take(40).collect::<String>(),
            ALLOWED.join(", ")
        )));
    }
    None
}

/// A refused placement: a safety refusal or a name stimd does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(String),
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
