//! Body sites: the placements a program may recommend and a session may name, and the sites
//! that are never allowed with the leaflet's reason for each.
//!
//! Vocabulary only; `care::placement` decides what a session may do with them (pregnancy, the
//! refusal a client sees). Imports nothing of the crate.

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

/// Why a placement name cannot be used: a site that is never allowed, or a name that is not
/// a site.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    /// A site that is never allowed, with the leaflet's reason.
    #[error("placement = {name:?} is never allowed: {why}")]
    Forbidden {
        /// The placement as it was given.
        name: String,
        /// The leaflet's reason, from `FORBIDDEN`.
        why: &'static str,
    },
    /// Not a site stimd knows (the name is cut to 40 characters).
    #[error("placement = {name:?} is unknown (allowed: {})", ALLOWED.join(", "))]
    Unknown {
        /// The placement as it was given, cut to 40 characters.
        name: String,
    },
}

/// Whether `placement` is an allowed site; unknown names are refused too.
pub fn check(placement: &str) -> Result<(), SiteError> {
    if let Some((_, why)) = FORBIDDEN.iter().find(|(p, _)| *p == placement) {
        return Err(SiteError::Forbidden {
            name: placement.to_string(),
            why,
        });
    }
    if !ALLOWED.contains(&placement) {
        return Err(SiteError::Unknown {
            name: placement.chars().take(40).collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sites_are_allowed_forbidden_or_unknown() {
        assert_eq!(check("low back"), Ok(()));
        let e = check("chest").unwrap_err();
        assert!(matches!(e, SiteError::Forbidden { .. }));
        assert!(e.to_string().contains("heart's rhythm"), "{e}");
        let e = check("elbowz").unwrap_err().to_string();
        assert!(
            e.starts_with("placement = \"elbowz\" is unknown (allowed: neck, shoulder"),
            "{e}"
        );
        for (name, _) in FORBIDDEN {
            assert!(!ALLOWED.contains(&name), "{name}");
        }
    }
}
