//! The two catalogues (`i18n/nl/stimd.ftl`, `i18n/en/stimd.ftl`, compiled in), loaded once,
//! and the rendering of a [`Text`] through them. A code `dose.too_soon` is the Fluent message
//! `dose-too_soon`.

use super::{Arg, Lang, Text};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::sync::OnceLock;

/// The catalogues' sources, by language.
pub(super) const SOURCES: [(Lang, &str); 2] = [
    (Lang::Nl, include_str!("../../i18n/nl/stimd.ftl")),
    (Lang::En, include_str!("../../i18n/en/stimd.ftl")),
];

type Bundle = FluentBundle<FluentResource>;

/// The loaded catalogues; a language whose catalogue does not load (which the tests rule
/// out) renders codes and arguments instead of words.
fn bundles() -> &'static [(Lang, Option<Bundle>)] {
    static BUNDLES: OnceLock<Vec<(Lang, Option<Bundle>)>> = OnceLock::new();
    BUNDLES.get_or_init(|| SOURCES.iter().map(|(l, s)| (*l, load(*l, s))).collect())
}

/// Parses the catalogues now, so the first text rendered later (on the session manager's
/// path) does not pay for it.
pub fn preload() {
    bundles();
}

fn load(lang: Lang, source: &str) -> Option<Bundle> {
    let id: unic_langid::LanguageIdentifier = lang.as_str().parse().ok()?;
    let resource = FluentResource::try_new(source.to_string()).ok()?;
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).ok()?;
    Some(bundle)
}

fn bundle(lang: Lang) -> Option<&'static Bundle> {
    bundles()
        .iter()
        .find(|(l, _)| *l == lang)
        .and_then(|(_, b)| b.as_ref())
}

/// The Fluent message id of a code.
pub(super) fn message_id(code: &str) -> String {
    code.replace('.', "-")
}

/// Message `id` of `lang`'s catalogue with `args`, or `None` if it has none.
pub(super) fn message(lang: Lang, id: &str, args: Option<&FluentArgs<'_>>) -> Option<String> {
    let b = bundle(lang)?;
    let pattern = b.get_message(id)?.value()?;
    let mut errors = Vec::new();
    Some(b.format_pattern(pattern, args, &mut errors).into_owned())
}

fn value(lang: Lang, arg: &Arg) -> FluentValue<'static> {
    let names = |v: &[String]| v.join(", ");
    match arg {
        Arg::Str(s) => FluentValue::from(s.clone()),
        Arg::Quoted(s) => FluentValue::from(crate::model::text::shown(s)),
        // Exact in an f64 up to 2^53; larger as digits (no plural rule needs them).
        Arg::U(n) if *n < 1 << 53 => FluentValue::from(*n as f64),
        Arg::U(n) => FluentValue::from(n.to_string()),
        Arg::I(n) if n.unsigned_abs() < 1 << 53 => FluentValue::from(*n as f64),
        Arg::I(n) => FluentValue::from(n.to_string()),
        Arg::Dec(x) => {
            let sep = message(lang, "decimal-separator", None).unwrap_or_else(|| ".".into());
            FluentValue::from(format!("{x:.1}").replace('.', &sep))
        }
        Arg::List(v) => FluentValue::from(names(v)),
        Arg::Site(s) => FluentValue::from(super::site_name(s, lang)),
        Arg::Sites(v) => FluentValue::from(
            v.iter()
                .map(|s| super::site_name(s, lang))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    }
}

/// `text` in `lang`; a code the catalogue lacks (which the tests rule out) as the code and
/// its arguments.
pub fn render(text: &Text, lang: Lang) -> String {
    let mut args = FluentArgs::new();
    for (k, v) in &text.args {
        args.set(*k, value(lang, v));
    }
    message(lang, &message_id(text.code), Some(&args)).unwrap_or_else(|| {
        let shown: Vec<String> = text
            .args
            .iter()
            .map(|(k, v)| match value(lang, v) {
                FluentValue::String(s) => format!("{k}={s}"),
                FluentValue::Number(n) => format!("{k}={}", n.as_string()),
                _ => format!("{k}=?"),
            })
            .collect();
        format!("{} ({})", text.code, shown.join(", "))
    })
}
