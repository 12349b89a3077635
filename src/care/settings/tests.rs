//! Unit tests of the settings table, their checks and whole changes.

use super::*;
use crate::care::admin::Action;

/// `key` set to `v` in `p`, checked; on error `p` is unchanged.
fn apply(p: &mut Profile, key: &str, v: SettingValue, ctx: &Context) -> Result<(), SettingError> {
    let s = setting(key).ok_or_else(|| SettingError::Unknown { key: key.into() })?;
    s.check(&v, ctx)?;
    (s.set)(p, v);
    Ok(())
}

fn ctx() -> Context {
    Context {
        peak_ua: 60_000,
        programs: vec!["neck".into(), "knee".into()],
    }
}

/// A value of the right type and in range for each key.
fn good(s: &Setting) -> SettingValue {
    match s.key {
        "language" => SettingValue::Text("en".into()),
        "max_intensity_ua" => SettingValue::U32s(vec![20_000, 10_000]),
        "electrode_area_cm2" => SettingValue::F64(16.0),
        "preferred_programs" => SettingValue::Texts(vec!["knee".into()]),
        "habituation" => SettingValue::Bool(true),
        _ => match &s.allowed {
            Allowed::Within(r) => SettingValue::U32(*r.end()),
            other => panic!("{}: {other:?}", s.key),
        },
    }
}

/// A value of the right type that is not allowed, for each key that has one.
fn out_of_range(s: &Setting) -> Option<(SettingValue, &'static str)> {
    Some(match s.key {
        "language" => (
            SettingValue::Text("de".into()),
            "language = \"de\" (allowed: nl, en)",
        ),
        "max_intensity_ua" => (
            SettingValue::U32s(vec![90_000, 0]),
            "max_intensity_ua = [90000, 0] (allowed: 2 values in 0..=60000 µA; 0 = the device's limits)",
        ),
        "electrode_area_cm2" => (
            SettingValue::F64(0.5),
            "electrode_area_cm2 = 0.5 (allowed: 0 = the device's setting, or 1..=400)",
        ),
        "preferred_programs" => (
            SettingValue::Texts(vec!["neck".into(), "nope".into()]),
            "preferred_programs: program \"nope\" does not exist",
        ),
        "habituation" => return None,
        _ => match &s.allowed {
            Allowed::Within(r) => (SettingValue::U32(r.end() + 1), "is out of range (allowed: "),
            other => panic!("{}: {other:?}", s.key),
        },
    })
}

/// A value of another type for each key.
fn wrong_type(s: &Setting) -> SettingValue {
    match s.ty {
        SettingType::Bool => SettingValue::Text("yes".into()),
        SettingType::Text => SettingValue::U32(1),
        SettingType::U32 => SettingValue::F64(1.0),
        SettingType::F64 => SettingValue::U32(16),
        SettingType::U32s => SettingValue::Texts(vec!["1".into(), "2".into()]),
        SettingType::Texts => SettingValue::List(1),
    }
}

#[test]
fn every_key_takes_a_good_value_and_reads_it_back() {
    for s in &SETTINGS {
        let mut p = Profile::new("anna", "nl");
        apply(&mut p, s.key, good(s), &ctx()).unwrap_or_else(|e| panic!("{}: {e}", s.key));
        let back = values(&p).find(|(k, _)| *k == s.key).unwrap().1;
        assert_eq!(back, good(s), "{}", s.key);
    }
}

#[test]
fn every_key_refuses_a_wrong_type_and_changes_nothing() {
    for s in &SETTINGS {
        let mut p = Profile::new("anna", "nl");
        let before = p.clone();
        let e = apply(&mut p, s.key, wrong_type(s), &ctx()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: expected {}", s.key, s.ty.signature())
        );
        let e = apply(&mut p, s.key, SettingValue::Other, &ctx()).unwrap_err();
        assert!(matches!(e, SettingError::WrongType { .. }), "{e}");
        assert_eq!(p, before, "{}", s.key);
    }
}

#[test]
fn every_key_refuses_a_value_out_of_range_and_changes_nothing() {
    for s in &SETTINGS {
        let Some((v, text)) = out_of_range(s) else {
            assert_eq!(s.ty, SettingType::Bool, "{} has no range", s.key);
            continue;
        };
        let mut p = Profile::new("anna", "nl");
        let before = p.clone();
        let e = apply(&mut p, s.key, v, &ctx()).unwrap_err().to_string();
        assert!(e.contains(text) && e.contains(s.key), "{}: {e}", s.key);
        assert_eq!(p, before, "{}", s.key);
    }
    let e = apply(
        &mut Profile::new("anna", "nl"),
        "sessions_per_day",
        SettingValue::U32(25),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "sessions_per_day = 25 is out of range (allowed: 0..=24)"
    );
}

#[test]
fn limit_keys_are_refused_to_a_caller_who_is_not_an_administrator() {
    let limits = [
        "max_intensity_ua",
        "electrode_area_cm2",
        "sessions_per_day",
        "minutes_per_day",
        "min_gap_minutes",
        "dose_counts_after_minutes",
        "habituation",
        "habituation_every_minutes",
        "habituation_margin_ua",
    ];
    for s in &SETTINGS {
        assert_eq!(s.admin_only, limits.contains(&s.key), "{}", s.key);
        let c = Changes::new(vec![(s.key.into(), good(s))]).unwrap();
        assert_eq!(c.touches_limits(), s.admin_only, "{}", s.key);
        assert_eq!(c.permitted(true), Ok(()), "{}", s.key);
        match c.permitted(false) {
            Ok(()) => assert!(!s.admin_only, "{} allowed to anyone", s.key),
            Err(e) => {
                assert!(s.admin_only, "{} refused: {e}", s.key);
                assert_eq!(e.0, Action::SetLimits);
            }
        }
    }
    // One limit key among others makes the whole change an administrator's.
    let c = Changes::new(vec![
        ("language".into(), SettingValue::Text("en".into())),
        ("habituation".into(), SettingValue::Bool(true)),
    ])
    .unwrap();
    assert!(c.permitted(false).is_err());
}

#[test]
fn the_shape_is_checked_before_anything_else() {
    let many = (0..12)
        .map(|i| (format!("k{i}"), SettingValue::U32(0)))
        .collect();
    let e = Changes::new(many).unwrap_err().to_string();
    assert!(
        e.starts_with(
            "settings has 12 entries (allowed: at most 11, one per key: language, max_intensity_ua"
        ),
        "{e}"
    );
    let e = Changes::new(vec![("bogus\u{1}key".into(), SettingValue::U32(0))])
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("unknown setting \"bogus\\u{1}key\" (allowed: language, "),
        "{e}"
    );
    let e = Changes::new(vec![("max_intensity_ua".into(), SettingValue::List(3))])
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "max_intensity_ua has 3 values (allowed: at most 2, one per channel)"
    );
    let e = Changes::new(vec![(
        "preferred_programs".into(),
        SettingValue::List(100_000),
    )])
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("has 100000 values (allowed: at most 10, program ids)"),
        "{e}"
    );
    let e = Changes::new(vec![(
        "language".into(),
        SettingValue::Text("n\u{7}l".into()),
    )])
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("language = \"n\\u{7}l\" contains U+0007"),
        "{e}"
    );
    let e = Changes::new(vec![(
        "preferred_programs".into(),
        SettingValue::Texts(vec!["neck".into(), "a\u{1b}b".into()]),
    )])
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("preferred_programs[1] = "), "{e}");
}

#[test]
fn a_change_applies_whole_or_not_at_all() {
    let c = Changes::new(vec![
        ("language".into(), SettingValue::Text("en".into())),
        ("min_gap_minutes".into(), SettingValue::U32(9_999)),
    ])
    .unwrap();
    let mut p = Profile::new("anna", "nl");
    let before = p.clone();
    assert!(c.apply(&mut p, &ctx()).is_err());
    assert_eq!(p, before);
    let c = Changes::new(vec![
        ("language".into(), SettingValue::Text("en".into())),
        ("min_gap_minutes".into(), SettingValue::U32(30)),
    ])
    .unwrap();
    c.apply(&mut p, &ctx()).unwrap();
    assert_eq!((p.language.as_str(), p.dose.min_gap_minutes), ("en", 30));
    assert!(!c.names_programs());
}
