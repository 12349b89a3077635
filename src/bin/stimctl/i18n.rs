//! stimctl's texts in Dutch and English: one Project Fluent catalogue per language
//! (`i18n/<lang>/stimctl.ftl`, compiled in), looked up by message id. New texts go into both
//! catalogues; a test checks that every message exists in each and that every id stimctl's
//! source asks for exists. Numbers are formatted here with the catalogue's decimal separator.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};

/// The languages stimctl speaks, with their catalogues.
const CATALOGUES: [(&str, &str); 2] = [
    ("nl", include_str!("../../../i18n/nl/stimctl.ftl")),
    ("en", include_str!("../../../i18n/en/stimctl.ftl")),
];

/// One language's messages.
pub struct Catalogue {
    language: &'static str,
    bundle: FluentBundle<FluentResource>,
}

impl Catalogue {
    /// The catalogue of `language` (`nl` or `en`); `arg` names the option or setting it came
    /// from, for the error.
    pub fn new(arg: &str, language: &str) -> Result<Catalogue, String> {
        let (language, source) = CATALOGUES
            .iter()
            .find(|(l, _)| *l == language)
            .copied()
            .ok_or_else(|| format!("{arg} = {language:?} is not a language (allowed: nl, en)"))?;
        let id: unic_langid::LanguageIdentifier = language
            .parse()
            .map_err(|e| format!("language {language}: {e}"))?;
        let resource = FluentResource::try_new(source.to_string())
            .map_err(|(_, e)| format!("the {language} catalogue does not parse: {e:?}"))?;
        let mut bundle = FluentBundle::new(vec![id]);
        // Plain text for SVG, HTML and terminals: no Unicode isolation marks around values.
        bundle.set_use_isolating(false);
        bundle
            .add_resource(resource)
            .map_err(|e| format!("the {language} catalogue has errors: {e:?}"))?;
        Ok(Catalogue { language, bundle })
    }

    /// The catalogue `LANG` (or `LC_ALL`, `LC_MESSAGES`) asks for: Dutch for `nl…`, else
    /// English.
    pub fn from_env() -> Result<Catalogue, String> {
        let lang = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .unwrap_or_default();
        Catalogue::new("LANG", if lang.starts_with("nl") { "nl" } else { "en" })
    }

    /// `nl` or `en`.
    pub fn language(&self) -> &'static str {
        self.language
    }

    /// Message `id` without arguments (the id itself if the catalogue lacks it, which the
    /// tests rule out).
    pub fn text(&self, id: &str) -> String {
        self.text_args(id, &[])
    }

    /// Message `id` with its arguments filled in.
    pub fn text_args(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = Vec::new();
        self.bundle
            .format_pattern(pattern, Some(&fargs), &mut errors)
            .into_owned()
    }

    /// `x` with `decimals` digits after the catalogue's decimal separator.
    pub fn number(&self, x: f64, decimals: usize) -> String {
        let text = format!("{x:.decimals$}");
        text.replace('.', &self.text("decimal-separator"))
    }

    /// µA as mA with one decimal, e.g. `10.0` (`10,0` in Dutch).
    pub fn milliamps(&self, ua: u32) -> String {
        self.number(f64::from(ua) / 1000.0, 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_string()).expect("catalogue parses");
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_message_exists_in_every_catalogue() {
        let [(_, nl), (_, en)] = CATALOGUES;
        let (nl, en) = (ids(nl), ids(en));
        assert!(!en.is_empty());
        let only_en: Vec<_> = en.difference(&nl).collect();
        let only_nl: Vec<_> = nl.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_nl.is_empty(),
            "missing in nl: {only_en:?}; missing in en: {only_nl:?}"
        );
        for (lang, _) in CATALOGUES {
            Catalogue::new("test", lang).expect("catalogue loads");
        }
    }

    /// Every literal id stimctl's source passes to `text` or `text_args`, and the ids it
    /// builds (`mode-<name>`), exist.
    #[test]
    fn every_id_the_source_asks_for_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bin/stimctl");
        let mut files = vec![dir];
        let mut wanted = BTreeSet::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(
                    std::fs::read_dir(&path)
                        .unwrap()
                        .flatten()
                        .map(|e| e.path()),
                );
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in ["text(", "text_args("] {
                for (i, _) in text.match_indices(call) {
                    let rest = text[i + call.len()..].trim_start();
                    if let Some(lit) = rest.strip_prefix('"') {
                        let id = &lit[..lit.find('"').unwrap()];
                        let is_id = id
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                        if !id.is_empty() && is_id {
                            wanted.insert(id.to_string());
                        }
                    }
                }
            }
        }
        // Ids the source builds or chooses at run time.
        for mode in ["conventional", "acupuncture", "burst", "modulated", "ems"] {
            wanted.insert(format!("mode-{mode}"));
        }
        for state in ["idle", "running", "paused", "fault"] {
            wanted.insert(format!("state-{state}"));
        }
        for c in ["on", "off", "unknown"] {
            wanted.insert(format!("contact-{c}"));
        }
        for what in ["pause", "resume", "stop"] {
            wanted.insert(format!("{what}-done"));
        }
        for limit in [
            "profile_max",
            "peak_current",
            "rms_current",
            "current_density",
            "charge_per_phase",
        ] {
            wanted.insert(format!("limit-{limit}"));
        }
        for reason in [
            "completed",
            "stopped",
            "emergency_stop",
            "keepalive_lost",
            "contact_lost",
            "battery_low",
            "bus_lost",
            "interrupted",
        ] {
            wanted.insert(format!("ended-{reason}"));
        }
        for label in [
            "state", "fault", "board", "battery", "pads", "session", "profile", "paused",
            "elapsed", "maximum", "pad-size", "check", "approved", "settled",
        ] {
            wanted.insert(format!("label-{label}"));
        }
        for id in [
            "chart-sessions-axis",
            "chart-minutes-axis",
            "report-pads-worn",
            "report-pads-line",
            "pain-before",
            "pain-after",
        ] {
            wanted.insert(id.to_string());
        }
        assert!(wanted.len() > 10, "{wanted:?}");
        let en = ids(CATALOGUES[1].1);
        let missing: Vec<_> = wanted.difference(&en).collect();
        assert!(missing.is_empty(), "not in the catalogues: {missing:?}");
    }

    #[test]
    fn numbers_use_the_language_s_decimal_separator() {
        let nl = Catalogue::new("test", "nl").unwrap();
        let en = Catalogue::new("test", "en").unwrap();
        assert_eq!(nl.milliamps(10_500), "10,5");
        assert_eq!(en.milliamps(10_500), "10.5");
        assert!(Catalogue::new("--language", "de")
            .err()
            .unwrap()
            .contains("--language = \"de\""));
    }
}
