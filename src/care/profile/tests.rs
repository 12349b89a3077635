//! Unit tests of profiles: contraindications, answers, approvals, file problems, names.

use super::*;

fn answers(yes: &[&str]) -> BTreeMap<String, bool> {
    QUESTIONS
        .iter()
        .map(|q| (q.to_string(), yes.contains(q)))
        .collect()
}

#[test]
fn every_contraindication_refuses_until_approved() {
    let mut p = Profile::new("anna", "nl");
    assert!(p
        .contraindication("neck")
        .unwrap()
        .contains("stimctl check"));
    p.screening = Some(screening(&answers(&[]), 1).unwrap());
    assert_eq!(p.contraindication("neck"), None);
    for q in QUESTIONS {
        p.screening = Some(screening(&answers(&[q]), 1).unwrap());
        p.approval = None;
        let why = p.contraindication("neck").expect(q);
        assert!(why.contains(q) && why.contains("doctor"), "{why}");
        p.approval = Some(Approval {
            date: 2,
            by: "uid:0".into(),
            note: "dr. Jansen".into(),
        });
        if q != "pregnancy" {
            assert_eq!(p.contraindication("neck"), None, "{q}");
        }
    }
}

#[test]
fn pregnancy_forbids_the_abdomen_and_low_back_even_when_approved() {
    let mut p = Profile::new("anna", "nl");
    p.screening = Some(screening(&answers(&["pregnancy"]), 1).unwrap());
    p.approval = Some(Approval {
        date: 2,
        by: "uid:0".into(),
        note: String::new(),
    });
    assert_eq!(p.contraindication("neck"), None);
    for pl in ["abdomen", "low back", ""] {
        assert!(p.contraindication(pl).unwrap().contains("pregnan"), "{pl}");
    }
}

#[test]
fn answers_must_cover_every_question_and_nothing_else() {
    let mut a = answers(&[]);
    a.remove("skin");
    assert!(screening(&a, 1)
        .unwrap_err()
        .to_string()
        .contains("missing: skin"));
    let mut a = answers(&[]);
    a.insert("diabetes".into(), false);
    assert!(screening(&a, 1)
        .unwrap_err()
        .to_string()
        .contains("\"diabetes\" is not a question"));
}

#[test]
fn only_an_administrator_may_clear_a_yes() {
    let mut p = Profile::new("anna", "nl");
    let at = |yes: &[&str]| screening(&answers(yes), 1).unwrap();
    // First answers and added yeses: anyone.
    p.answer(at(&["implant"]), false).unwrap();
    let c = p.answer(at(&["implant", "pregnancy"]), false).unwrap();
    assert_eq!(c.added, ["pregnancy"]);
    // Clearing one: refused, nothing changes.
    let before = p.clone();
    let e = p.answer(at(&["pregnancy"]), false).unwrap_err().to_string();
    assert!(e.contains("implant") && e.contains("administrator"), "{e}");
    assert_eq!(p, before);
    assert!(p.contraindication("neck").is_some());
    // An approval stays while the yeses are the approved ones; a new yes clears it.
    p.approval = Some(Approval {
        date: 2,
        by: "uid:0".into(),
        note: "dr. J".into(),
    });
    assert!(
        p.answer(at(&["implant", "pregnancy"]), false)
            .unwrap()
            .approval_kept
    );
    assert!(p.approval.is_some());
    let c = p
        .answer(at(&["implant", "pregnancy", "skin"]), false)
        .unwrap();
    assert!(!c.approval_kept && p.approval.is_none());
    // An administrator may clear them.
    let c = p.answer(at(&[]), true).unwrap();
    assert_eq!(c.cleared, ["implant", "pregnancy", "skin"]);
    assert!(c
        .describe()
        .contains("cleared yes [implant, pregnancy, skin]"));
    assert_eq!(p.contraindication("neck"), None);
}

#[test]
fn a_profile_file_with_control_characters_or_gaps_has_problems() {
    let mut p = Profile::new("anna", "nl");
    assert!(p.problems().is_empty());
    p.screening = Some(Screening {
        date: 1,
        answers: BTreeMap::new(),
    });
    p.approval = Some(Approval {
        date: 2,
        by: "uid:0".into(),
        note: "dr.\u{0} X".into(),
    });
    p.language = "e\u{1b}n".into();
    let all = p.problems().join("\n");
    assert!(
        all.contains("screening.answers: every question needs an answer"),
        "{all}"
    );
    assert!(
        all.contains("approval.note = \"dr.\\0 X\" contains U+0000"),
        "{all}"
    );
    assert!(all.contains("language = \"e\\u{1b}n\""), "{all}");
}

#[test]
fn names() {
    for ok in ["default", "anna", "p-2_b"] {
        assert!(valid_name(ok), "{ok}");
    }
    for bad in ["", "Anna", "2nd", "a b", "../x", &"a".repeat(33)] {
        assert!(!valid_name(bad), "{bad}");
    }
}

#[test]
fn questions_are_in_dutch_or_english_only() {
    assert_eq!(
        questions("en").unwrap()[1],
        ("epilepsy", "Do you have epilepsy?".to_string())
    );
    assert_eq!(
        questions("nl").unwrap()[2],
        ("pregnancy", "Bent u zwanger?".to_string())
    );
    assert_eq!(questions("nl").unwrap().len(), QUESTIONS.len());
    assert_eq!(
        questions("deutsch-sprache").unwrap_err().to_string(),
        "language = \"deutsch-\" (allowed: nl, en)"
    );
}

#[test]
fn the_record_says_when_answers_need_an_approval() {
    let mut p = Profile::new("anna", "nl");
    let c = p
        .answer(screening(&answers(&["skin"]), 1).unwrap(), false)
        .unwrap();
    assert_eq!(
        c.describe(),
        "contraindication check: yes to [skin]; added yes [skin]; needs a doctor's approval"
    );
    let c = p
        .answer(screening(&answers(&[]), 1).unwrap(), true)
        .unwrap();
    assert_eq!(
        c.describe(),
        "contraindication check: yes to []; cleared yes [skin]"
    );
}

#[test]
fn arguments_are_checked_for_length_and_control_characters() {
    assert!(check_name_arg("anna").is_ok());
    assert!(check_name_arg(&"a".repeat(65)).is_err());
    assert!(check_name_arg("an\u{0}na").is_err());
    assert!(check_note(&"x".repeat(MAX_NOTE_LEN)).is_ok());
    assert!(check_note(&"x".repeat(MAX_NOTE_LEN + 1)).is_err());
}
