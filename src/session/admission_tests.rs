//! Admission, one test per refusal, without tokio, threads or files.

use super::*;
use crate::care::profile::{screening, QUESTIONS};
use crate::model::limits::tests::default_limits;
use crate::model::units::Hertz;
use crate::program::find_preset;

pub(in crate::session) fn config() -> Config {
    Config {
        limits: default_limits(),
        channels: 2,
        session_default_s: 1_800,
        session_max_s: 3_600,
        battery_low_percent: 15,
        battery_critical_percent: 5,
    }
}

/// A person who answered every question "no", with the leaflet's dose guidance.
pub(in crate::session) fn anna() -> Profile {
    let mut p = Profile::new("anna", "en");
    let no = QUESTIONS.iter().map(|q| (q.to_string(), false)).collect();
    p.screening = Some(screening(&no, 0).unwrap());
    p
}

pub(in crate::session) fn facts(program: &str, profile: Profile) -> Facts<'static> {
    Facts {
        program: find_preset(program).map_or(
            ProgramLookup::Unknown {
                known: vec!["low-back".into(), "neck".into()],
            },
            ProgramLookup::Found,
        ),
        profile: ProfileLookup::Found(Box::new(profile)),
        recent: &[],
        now_unix: 1_000_000,
        midnight: 1_000_000 - 3_600,
        clock: |t| format!("t={t}"),
        battery: 80,
        fault: None,
        running: None,
    }
}

/// A refusal's kind and its English text.
fn english(e: SessionError) -> (&'static str, String) {
    let kind = match &e {
        SessionError::NotPermitted(_) => "NotPermitted",
        SessionError::FaultActive(_) => "FaultActive",
        SessionError::AlreadyRunning(_) => "AlreadyRunning",
        _ => "other",
    };
    (kind, e.text().render_in(Lang::En))
}

fn refused(o: StartOptions, f: Facts<'_>) -> SessionError {
    admit("low-back", o, f, &config()).expect_err("admitted")
}

fn invalid(e: SessionError, text: &str) {
    match e {
        SessionError::InvalidArgument(m) => assert!(m.contains(text), "{m:?} lacks {text:?}"),
        e => panic!("{e:?} is not InvalidArgument({text:?})"),
    }
}

#[test]
fn admits_a_plain_start_with_the_persons_limits() {
    let mut p = anna();
    p.max_intensity_ua = [8_000, 0];
    p.comfort.insert("low-back".into(), [3_000, 4_000]);
    let plan = admit(
        "low-back",
        StartOptions::default(),
        facts("low-back", p),
        &config(),
    )
    .unwrap();
    assert_eq!(plan.channels, [0, 1]);
    assert_eq!(plan.duration_s, 1_800);
    assert_eq!(plan.targets, Some(vec![3_000, 4_000]), "settled intensity");
    assert_eq!(plan.armed.peak[0], MicroAmps(8_000));
    assert_eq!(plan.armed.peak[1], default_limits().peak_current);
    assert_eq!(plan.notice, None);
}

#[test]
fn refuses_an_unknown_program() {
    let e = admit(
        "nope",
        StartOptions::default(),
        facts("nope", anna()),
        &config(),
    );
    assert!(
        matches!(&e, Err(SessionError::UnknownProgram(t))
            if t.code == "program.unknown"
                && t.contains("program = \"nope\" does not exist (known: low-back, neck)")),
        "{e:?}"
    );
}

#[test]
fn refuses_a_program_over_the_limits() {
    let mut c = config();
    c.limits.max_rate = Hertz(50.0);
    let e = admit(
        "low-back",
        StartOptions::default(),
        facts("low-back", anna()),
        &c,
    );
    invalid(e.unwrap_err(), "does not fit the configured limits");
}

#[test]
fn refuses_bad_channels() {
    let o = |c: Vec<u32>| StartOptions {
        channels: Some(c),
        ..StartOptions::default()
    };
    invalid(
        refused(o(vec![5]), facts("low-back", anna())),
        "channel 5 is out of range",
    );
    invalid(
        refused(o(vec![0, 0]), facts("low-back", anna())),
        "listed twice",
    );
    invalid(
        refused(o(vec![]), facts("low-back", anna())),
        "must list 1 to 2",
    );
}

#[test]
fn refuses_a_duration_out_of_range() {
    for d in [0, 3_601] {
        let o = StartOptions {
            duration_s: Some(d),
            ..StartOptions::default()
        };
        invalid(refused(o, facts("low-back", anna())), "allowed: 1..=3600 s");
    }
}

#[test]
fn refuses_an_intensity_per_channel_mismatch() {
    let o = StartOptions {
        intensity: Some(vec![1_000]),
        ..StartOptions::default()
    };
    invalid(
        refused(o, facts("low-back", anna())),
        "one µA value per channel",
    );
}

#[test]
fn refuses_an_unknown_or_damaged_profile() {
    let mut f = facts("low-back", anna());
    f.profile = ProfileLookup::Refused(
        Text::new("profile.unknown")
            .quoted("name", "lou")
            .arg("known", "anna"),
    );
    invalid(
        refused(StartOptions::default(), f),
        "\"lou\" does not exist",
    );
    let mut f = facts("low-back", anna());
    f.profile = ProfileLookup::Unavailable;
    assert!(matches!(
        refused(StartOptions::default(), f),
        SessionError::Failed(_)
    ));
}

#[test]
fn refuses_a_forbidden_or_unknown_placement_and_notes_an_unusual_one() {
    let at = |p: &str| StartOptions {
        placement: Some(p.into()),
        ..StartOptions::default()
    };
    assert!(matches!(
        refused(at("chest"), facts("low-back", anna())),
        SessionError::Contraindicated(m) if m.contains("never allowed")
    ));
    invalid(
        refused(at("elbowz"), facts("low-back", anna())),
        "is unknown",
    );
    let plan = admit("low-back", at("knee"), facts("low-back", anna()), &config()).unwrap();
    let notice = plan.notice.expect("a notice").to_string();
    assert!(notice.contains("not for the knee"), "{notice}");
}

#[test]
fn refuses_a_contraindication() {
    let mut p = anna();
    p.screening = None;
    assert!(matches!(
        refused(StartOptions::default(), facts("low-back", p)),
        SessionError::Contraindicated(m) if m.contains("has not answered")
    ));
}

#[test]
fn refuses_over_the_dose() {
    let recent = [
        (
            "anna".to_string(),
            Past {
                start: 998_800,
                end: 999_200,
                stimulated_s: 400,
            },
        ),
        (
            "anna".to_string(),
            Past {
                start: 999_300,
                end: 999_700,
                stimulated_s: 400,
            },
        ),
        (
            "bob".to_string(),
            Past {
                start: 999_750,
                end: 999_800,
                stimulated_s: 50,
            },
        ),
    ];
    let mut f = facts("low-back", anna());
    f.recent = &recent;
    match refused(StartOptions::default(), f) {
        SessionError::DoseLimit(m) => {
            let m = m.render_in(Lang::En);
            assert!(m.starts_with("profile \"anna\": 2 session(s)"), "{m}")
        }
        e => panic!("{e:?}"),
    }
}

#[test]
fn refuses_a_keepalive_out_of_range() {
    let o = StartOptions {
        keepalive_s: Some(MAX_KEEPALIVE_S + 1),
        ..StartOptions::default()
    };
    invalid(
        refused(o, facts("low-back", anna())),
        "keepalive = 3601 s is out of range",
    );
}

#[test]
fn refuses_on_a_critical_battery_but_not_a_low_or_unknown_one() {
    for level in [5, 0] {
        let mut f = facts("low-back", anna());
        f.battery = level;
        assert_eq!(
            english(refused(StartOptions::default(), f)),
            (
                "NotPermitted",
                format!("battery at {level} %, at or below 5 % (battery.critical_percent) where a session ends: charge the device first")
            )
        );
    }
    // Between critical (5) and low (15) it starts (the core tells the person); unknown too.
    for level in [6, 14, -1] {
        let mut f = facts("low-back", anna());
        f.battery = level;
        assert!(admit("low-back", StartOptions::default(), f, &config()).is_ok());
    }
}

#[test]
fn refuses_while_a_fault_is_latched_saying_what_clears_it() {
    let fault = |code| Fault {
        code,
        message: "why".into(),
    };
    let latched = fault(FaultCode::Overcurrent);
    let mut f = facts("low-back", anna());
    f.fault = Some(&latched);
    assert_eq!(
        english(refused(StartOptions::default(), f)),
        (
            "FaultActive",
            "fault overcurrent is latched (why); acknowledge it once the cause is gone".into()
        )
    );
    let hw = fault(FaultCode::HardwareUnavailable);
    let mut f = facts("low-back", anna());
    f.fault = Some(&hw);
    assert_eq!(
        english(refused(StartOptions::default(), f)),
        (
            "FaultActive",
            "fault hardware_unavailable is latched (why); fix the hardware or the \
             configuration, then restart stimd"
                .into()
        )
    );
}

#[test]
fn refuses_while_a_session_runs() {
    let mut f = facts("low-back", anna());
    f.running = Some(7);
    assert_eq!(
        english(refused(StartOptions::default(), f)),
        (
            "AlreadyRunning",
            "session 7 is running; stop it first".into()
        )
    );
}

#[test]
fn the_requests_own_faults_come_before_the_devices() {
    let latched = Fault {
        code: FaultCode::Overcurrent,
        message: "why".into(),
    };
    let mut f = facts("low-back", anna());
    f.fault = Some(&latched);
    f.battery = 1;
    f.running = Some(3);
    let o = StartOptions {
        duration_s: Some(0),
        ..StartOptions::default()
    };
    invalid(refused(o, f.clone()), "duration");
    assert!(matches!(
        refused(StartOptions::default(), f),
        SessionError::NotPermitted(_)
    ));
}
