//! Body sites in both languages: a site's name as a person reads it (`onderrug` for `low
//! back`), and a placement a person typed, in either language, matched to a site's id.
//!
//! Matching is strict for allowed sites (the exact name, lower case, single spaces) and wide
//! for forbidden ones (any case and spacing): `Borst` is refused as the chest, never taken as
//! another site or waved through. Control characters and over-long names match nothing.

use super::catalogue::message;
use super::Lang;
use crate::model::sites::{ALLOWED, FORBIDDEN};

/// The longest placement name matched (longer ones are unknown).
const MAX_NAME: usize = 64;

/// A body site stimd knows, by its id (the English name).
pub type Site = &'static str;

/// What a placement name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteMatch {
    /// An allowed site.
    Allowed(Site),
    /// A site that is never allowed, with the reason's code (`heart_rhythm`, `airway`,
    /// `brain`, `eyes`, `face`).
    Forbidden(Site, &'static str),
    /// Not a site stimd knows.
    Unknown,
}

/// The reason code of a forbidden site.
fn reason(site: &str) -> &'static str {
    match site {
        "chest" | "heart" => "heart_rhythm",
        "front of neck" => "airway",
        "head" => "brain",
        "eyes" => "eyes",
        _ => "face",
    }
}

/// `site`'s name in `lang` (the id itself if the catalogue has none).
pub fn site_name(site: &str, lang: Lang) -> String {
    message(lang, &format!("site-{}", site.replace(' ', "_")), None)
        .unwrap_or_else(|| site.to_string())
}

/// `name` folded for the forbidden check: lower case, single spaces, trimmed.
fn folded(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What `name` (as a person typed it, in Dutch or English) is.
pub fn match_site(name: &str) -> SiteMatch {
    if name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return SiteMatch::Unknown;
    }
    let wide = folded(name);
    for (site, _) in FORBIDDEN {
        if Lang::ALL
            .iter()
            .any(|&l| folded(&site_name(site, l)) == wide)
        {
            return SiteMatch::Forbidden(site, reason(site));
        }
    }
    for site in ALLOWED {
        if Lang::ALL.iter().any(|&l| site_name(site, l) == name) {
            return SiteMatch::Allowed(site);
        }
    }
    SiteMatch::Unknown
}
