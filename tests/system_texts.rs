//! Texts through the real bus: an error and a notice in the profile's language, Dutch and
//! English, each with its stable code and arguments beside the message; placements in Dutch.

mod common;

use common::*;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::Instant;
use zbus::zvariant::{OwnedValue, Value};

/// A profile `name` in `language` without dose limits, its questions answered "no".
async fn person(c: &Client, name: &str, language: &str) {
    let settings: HashMap<String, OwnedValue> = opts(vec![
        ("language", Value::from(language.to_string())),
        ("sessions_per_day", Value::U32(0)),
        ("minutes_per_day", Value::U32(0)),
        ("min_gap_minutes", Value::U32(0)),
    ]);
    c.profiles.create(name, settings).await.unwrap();
    c.profiles
        .record_screening(name, no_contraindications())
        .await
        .unwrap();
}

fn start_opts(profile: &str, placement: &str) -> HashMap<String, OwnedValue> {
    opts(vec![
        ("profile", Value::from(profile.to_string())),
        ("placement", Value::from(placement.to_string())),
        ("intensity", Value::from(vec![5_000u32, 5_000])),
    ])
}

fn arg<T: TryFrom<OwnedValue>>(e: &stimd::api::StimdError, key: &str) -> T {
    let said = e.said().expect("stimd's error");
    let v = said
        .args
        .get(key)
        .unwrap_or_else(|| panic!("{key} in {:?}", said.args));
    T::try_from(v.try_clone().unwrap()).unwrap_or_else(|_| panic!("{key} has another type: {v:?}"))
}

async fn set_battery(c: &Client, percent: i32) {
    c.sim.set_battery(percent).await.unwrap();
    let start = Instant::now();
    while c.device.battery().await.unwrap() != percent {
        assert!(
            start.elapsed() < DEADLINE,
            "Battery never showed {percent} %"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// `borst` is refused as the chest, in the person's language, with the code and its
/// arguments; `onderrug` is the low back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_placement_is_refused_in_the_persons_language_with_its_code() {
    let dir = TempDir::new("texts-error");
    let bus = Bus::start();
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;
    person(&c, "oma", "nl").await;
    person(&c, "ben", "en").await;

    for (profile, placement, message) in [
        (
            "oma",
            "borst",
            "plaats = \"borst\" is nooit toegestaan: stroom door de borst kan het hartritme verstoren",
        ),
        (
            "ben",
            "borst",
            "placement = \"borst\" is never allowed: current across the chest can disturb the heart's rhythm",
        ),
        (
            "oma",
            " Chest",
            "plaats = \" Chest\" is nooit toegestaan: stroom door de borst kan het hartritme verstoren",
        ),
    ] {
        let e = c
            .session
            .start("neck", start_opts(profile, placement))
            .await
            .unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.Contraindicated");
        assert_eq!(e.message(), message);
        assert_eq!(e.code(), "placement.forbidden");
        assert_eq!(arg::<String>(&e, "placement"), placement);
        assert_eq!(arg::<String>(&e, "site"), "chest");
        assert_eq!(arg::<String>(&e, "reason"), "heart_rhythm");
    }
    assert_eq!(c.session.id().await.unwrap(), 0, "nothing started");

    // A profile's refusals are in its language too.
    for (profile, message) in [
        ("oma", "preferred_programs: programma \"nope\" bestaat niet"),
        ("ben", "preferred_programs: program \"nope\" does not exist"),
    ] {
        let settings = opts(vec![(
            "preferred_programs",
            Value::from(vec!["nope".to_string()]),
        )]);
        let e = c.profiles.update(profile, settings).await.unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.InvalidArgument");
        assert_eq!(
            (e.code(), e.message().as_str()),
            ("setting.no_such_program", message)
        );
        assert_eq!(arg::<String>(&e, "program"), "nope");
    }

    // A number argument, and a refusal that names the range.
    let mut o = start_opts("oma", "nek");
    o.insert("duration".into(), OwnedValue::from(0u32));
    let e = c.session.start("neck", o).await.unwrap_err();
    assert_eq!(e.code(), "start.duration_out_of_range");
    assert_eq!(
        e.message(),
        "duur = 0 s valt buiten het bereik (toegestaan: 1..=3600 s)"
    );
    assert_eq!(arg::<u64>(&e, "duration"), 0);
    assert_eq!(arg::<u64>(&e, "max"), 3600);

    // Dutch placement names are sites; the history keeps the English id.
    let id = c
        .session
        .start("low-back", start_opts("oma", "onderrug"))
        .await
        .unwrap();
    c.session.stop().await.unwrap();
    c.wait_state("idle").await;
    let e = c
        .session
        .start("low-back", start_opts("oma", "Onderrug"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "placement.unknown", "{}", e.message());
    assert!(
        e.message().contains("bovenrug, onderrug, arm"),
        "{}",
        e.message()
    );
    let start = Instant::now();
    loop {
        let rows = c.history.sessions(0, 0, 0).await.unwrap();
        if let Some(r) = rows.iter().find(|r| get::<u64>(r, "id") == id) {
            assert_eq!(get::<String>(r, "placement"), "low back");
            break;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "session {id} not in the history"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The low-battery notice in Dutch for a Dutch profile's session and in English for an
/// English one, each followed by `NoticeRaised` with its code and arguments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_battery_notice_comes_in_the_sessions_language_with_its_code() {
    retry_on_timing_trip("texts-notice", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        person(&c, "oma", "nl").await;
        person(&c, "ben", "en").await;
        let mut notices = c.session.receive_notice().await.unwrap();
        let mut raised = c.session.receive_notice_raised().await.unwrap();
        for (profile, text) in [
            ("oma", "batterij op 12 %: de sessie stopt bij 5 %"),
            ("ben", "battery at 12 %: the session ends at 5 %"),
        ] {
            set_battery(&c, 50).await;
            let id = c
                .session
                .start("neck", start_opts(profile, ""))
                .await
                .unwrap();
            set_battery(&c, 12).await;
            let sig = tokio::time::timeout(DEADLINE, notices.next())
                .await
                .expect("Notice")
                .expect("stream");
            let a = sig.args().unwrap();
            assert_eq!(*a.id(), id);
            assert!(a.message().starts_with(text), "{}", a.message());
            let sig = tokio::time::timeout(DEADLINE, raised.next())
                .await
                .expect("NoticeRaised")
                .expect("stream");
            let a = sig.args().unwrap();
            assert_eq!(*a.id(), id);
            assert!(a.code().starts_with("notice.battery_low"), "{}", a.code());
            let n = |k: &str| u64::try_from(a.args()[k].try_clone().unwrap()).unwrap();
            assert_eq!((n("percent"), n("critical")), (12, 5));
            c.session.stop().await.unwrap();
            c.wait_state("idle").await;
        }
    })
    .await;
}
