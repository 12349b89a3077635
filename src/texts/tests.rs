//! The catalogues agree with each other and with the source; texts render in both languages;
//! placements match strictly in both languages.

use super::catalogue::SOURCES;
use super::*;
use fluent_syntax::ast;
use std::collections::{BTreeMap, BTreeSet};

/// Each message's id → the variables it uses (in selectors and placeables, nested too).
fn messages(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    fn pattern(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for e in &p.elements {
            if let ast::PatternElement::Placeable { expression } = e {
                expr(expression, out);
            }
        }
    }
    fn inline(e: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match e {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => expr(expression, out),
            _ => {}
        }
    }
    fn expr(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match e {
            ast::Expression::Select { selector, variants } => {
                inline(selector, out);
                for v in variants {
                    pattern(&v.value, out);
                }
            }
            ast::Expression::Inline(i) => inline(i, out),
        }
    }
    let resource = fluent_syntax::parser::parse(source).expect("the catalogue parses");
    resource
        .body
        .iter()
        .filter_map(|e| match e {
            ast::Entry::Message(m) => {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    pattern(p, &mut vars);
                }
                Some((m.id.name.to_string(), vars))
            }
            _ => None,
        })
        .collect()
}

/// The variables a message uses besides `detail` (the English description a catalogue may
/// show where it has no words of its own).
fn arguments(vars: &BTreeSet<String>) -> BTreeSet<&str> {
    vars.iter()
        .map(String::as_str)
        .filter(|v| *v != "detail")
        .collect()
}

#[test]
fn every_message_exists_in_both_catalogues_with_the_same_arguments() {
    let [(_, nl), (_, en)] = SOURCES;
    let (nl, en) = (messages(nl), messages(en));
    assert!(en.len() > 100, "{}", en.len());
    let only_en: Vec<_> = en.keys().filter(|k| !nl.contains_key(*k)).collect();
    let only_nl: Vec<_> = nl.keys().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        only_en.is_empty() && only_nl.is_empty(),
        "missing in nl: {only_en:?}; missing in en: {only_nl:?}"
    );
    for (id, vars) in &en {
        assert_eq!(
            arguments(vars),
            arguments(&nl[id]),
            "{id}: the catalogues use different arguments"
        );
    }
    for lang in Lang::ALL {
        assert!(super::catalogue::message(lang, "decimal-separator", None).is_some());
    }
}

/// Every code a source file of the library names (a dotted string literal in a file that
/// makes texts) is in the catalogues, and every site has a name.
#[test]
fn every_code_the_source_uses_exists() {
    let en = messages(SOURCES[1].1);
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut used = BTreeSet::new();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            if !path.ends_with("bin") {
                stack.extend(
                    std::fs::read_dir(&path)
                        .unwrap()
                        .flatten()
                        .map(|e| e.path()),
                );
            }
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        if !name.ends_with(".rs") || name.contains("tests") || !text.contains("Text::new") {
            continue;
        }
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for lit in code.split('"').skip(1).step_by(2) {
            let (ns, rest) = lit.split_once('.').unwrap_or_default();
            let is_code = !ns.is_empty()
                && ns.chars().all(|c| c.is_ascii_lowercase())
                && !rest.is_empty()
                && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            if is_code {
                used.insert(lit.to_string());
            }
        }
    }
    assert!(used.len() > 80, "{}: {used:?}", used.len());
    let missing: Vec<_> = used
        .iter()
        .filter(|c| !en.contains_key(&c.replace('.', "-")))
        .collect();
    assert!(missing.is_empty(), "not in the catalogues: {missing:?}");
    for site in crate::model::sites::ALLOWED
        .iter()
        .chain(crate::model::sites::FORBIDDEN.iter().map(|(s, _)| s))
    {
        assert!(
            en.contains_key(&format!("site-{}", site.replace(' ', "_"))),
            "{site}"
        );
    }
}

#[test]
fn a_text_renders_in_both_languages_with_its_arguments() {
    let t = Text::new("dose.too_soon")
        .quoted("profile", "oma")
        .arg("next", "12:05")
        .arg("gap_min", 120u32);
    assert_eq!(
        t.render_in(Lang::En),
        "profile \"oma\": the next session is allowed from 12:05 (at least 120 minutes between sessions)"
    );
    assert_eq!(
        t.render_in(Lang::Nl),
        "profiel \"oma\": de volgende sessie mag vanaf 12:05 (minstens 120 minuten tussen sessies)"
    );
    assert_eq!(
        t.clone().in_lang(Lang::Nl).in_lang(Lang::En).language(),
        Lang::Nl
    );
    let args = t.dbus_args();
    assert_eq!(args["gap_min"], OwnedValue::from(120u64));
    assert_eq!(
        args["next"],
        OwnedValue::try_from(Value::from("12:05")).unwrap()
    );
    let advice = Text::new("advice.best")
        .arg("profile", "anna")
        .arg("program", "massage")
        .arg("before", 6.0)
        .arg("after", 2.25)
        .arg("reduction", 3.75)
        .arg("rated", 3u32);
    assert!(advice
        .render_in(Lang::Nl)
        .contains("pijn gemiddeld 6,0 → 2,2"));
    assert!(advice.render_in(Lang::En).contains("pain 6.0 → 2.2"));
}

#[test]
fn a_value_someone_sent_is_shown_escaped_and_cut() {
    let t = Text::new("placement.unknown")
        .quoted("placement", "bo\u{1b}rst\u{202e}")
        .sites("allowed", &["low back".to_string()]);
    assert_eq!(
        t.render_in(Lang::En),
        "placement = \"bo\\u{1b}rst\\u{202e}\" is unknown (allowed: low back)"
    );
    assert_eq!(
        t.render_in(Lang::Nl),
        "plaats = \"bo\\u{1b}rst\\u{202e}\" is onbekend (toegestaan: onderrug)"
    );
    let long = "x".repeat(500);
    let shown = Text::new("placement.unknown")
        .quoted("placement", &long)
        .render_in(Lang::En);
    assert!(
        shown.contains(&format!("\"{}\"…", "x".repeat(64))),
        "{shown}"
    );
    assert!(shown.len() < 200);
}

#[test]
fn a_code_missing_from_a_catalogue_still_says_something() {
    let t = Text::new("no.such_code").arg("n", 3u32);
    assert_eq!(t.render_in(Lang::En), "no.such_code (n=3)");
}

#[test]
fn placements_match_in_both_languages_strictly() {
    assert_eq!(match_site("low back"), SiteMatch::Allowed("low back"));
    assert_eq!(match_site("onderrug"), SiteMatch::Allowed("low back"));
    assert_eq!(match_site("knie"), SiteMatch::Allowed("knee"));
    assert_eq!(
        match_site("voorkant van de hals"),
        SiteMatch::Forbidden("front of neck", "airway")
    );
    // Forbidden sites in any case and spacing, in either language.
    for chest in ["borst", "Borst", " BORST ", "chest", "Chest"] {
        assert_eq!(
            match_site(chest),
            SiteMatch::Forbidden("chest", "heart_rhythm"),
            "{chest:?}"
        );
    }
    assert_eq!(
        match_site("Voorkant  van de\thals"),
        SiteMatch::Unknown,
        "a tab is a control character"
    );
    assert_eq!(
        match_site("Voorkant  van de hals"),
        SiteMatch::Forbidden("front of neck", "airway")
    );
    assert_eq!(match_site("ogen"), SiteMatch::Forbidden("eyes", "eyes"));
    // Allowed sites only exactly.
    for odd in [
        "Onderrug",
        "onderrug ",
        "onder rug",
        "onder\u{1b}rug",
        "low  back",
        "",
        "b\u{0}orst",
    ] {
        assert_eq!(match_site(odd), SiteMatch::Unknown, "{odd:?}");
    }
    assert_eq!(match_site(&"borst ".repeat(20)), SiteMatch::Unknown);
    assert_eq!(site_name("low back", Lang::Nl), "onderrug");
    assert_eq!(site_name("low back", Lang::En), "low back");
}

#[test]
fn a_latched_fault_is_named_in_dutch() {
    let t = Text::new("fault.latched")
        .arg("fault", "overcurrent")
        .arg("detail", "the overcurrent comparator fired");
    assert_eq!(
        t.render_in(Lang::En),
        "fault overcurrent is latched (the overcurrent comparator fired); acknowledge it once the cause is gone"
    );
    assert_eq!(
        t.render_in(Lang::Nl),
        "er is een storing (overstroom): de uitgang is uit; bevestig de storing zodra de oorzaak weg is"
    );
}
