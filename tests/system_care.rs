//! System tests of the care rules through the real API: placements that are never allowed,
//! placements stimd does not know, and a placement the program does not recommend (allowed,
//! with a `Notice`).

mod common;

use common::*;
use futures_util::StreamExt;
use zbus::zvariant::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placements_are_refused_allowed_or_noticed() {
    let dir = TempDir::new("placement");
    let bus = Bus::start();
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;

    for (placement, error, says) in [
        ("chest", "Contraindicated", "heart"),
        ("front of neck", "Contraindicated", "airway"),
        ("eyes", "Contraindicated", "eyes"),
        ("left ear", "InvalidArgument", "allowed: neck"),
    ] {
        let e = c
            .session
            .start("neck", opts(vec![("placement", Value::from(placement))]))
            .await
            .unwrap_err();
        assert_eq!(error_name(&e), format!("io.stimd.Stimd1.Error.{error}"));
        assert!(e.to_string().contains(says), "{placement}: {e}");
        assert_eq!(c.device.state().await.unwrap(), "idle");
    }

    // Allowed, but not where the program is meant to go: the session runs, with a notice.
    let mut notices = c.session.receive_notice().await.unwrap();
    let id = c
        .session
        .start("neck", opts(vec![("placement", Value::from("knee"))]))
        .await
        .unwrap();
    let sig = tokio::time::timeout(DEADLINE, notices.next())
        .await
        .expect("Notice")
        .expect("stream");
    let a = sig.args().unwrap();
    assert_eq!(*a.id(), id);
    assert!(a.message().contains("meant for neck"), "{}", a.message());
    c.session.stop().await.unwrap();
    let rows = c.history.sessions(0, 0, 1).await.unwrap();
    assert_eq!(get::<String>(&rows[0], "placement"), "knee");
}

fn ua(v: Vec<u32>) -> zbus::zvariant::OwnedValue {
    Value::from(v).try_into().unwrap()
}

/// A profile's own limit, its contraindication check with a doctor's approval, pregnancy's
/// placements, and the intensity it settled on, through the real bus. The tests run as root,
/// an administrator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_limits_checks_and_remembers() {
    let dir = TempDir::new("profiles");
    let bus = Bus::start();
    let state = dir.0.join("state");
    let mut daemon = Daemon::start(&bus, &state, &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;
    let settings = |pairs: Vec<(&str, zbus::zvariant::OwnedValue)>| {
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<std::collections::HashMap<_, _>>()
    };
    c.profiles
        .create(
            "anna",
            settings(vec![
                ("max_intensity_ua", ua(vec![20_000, 20_000])),
                // Dose guidance has a test of its own.
                ("sessions_per_day", 0u32.into()),
                ("minutes_per_day", 0u32.into()),
                ("min_gap_minutes", 0u32.into()),
            ]),
        )
        .await
        .unwrap();
    let start = |placement: &'static str, intensity: Option<Vec<u32>>| {
        let mut o = opts(vec![("profile", Value::from("anna"))]);
        if !placement.is_empty() {
            o.insert(
                "placement".into(),
                Value::from(placement).try_into().unwrap(),
            );
        }
        if let Some(i) = intensity {
            o.insert("intensity".into(), ua(i));
        }
        c.session.start("low-back", o)
    };
    let refused = |r: Result<u64, stimd::api::StimdError>, says: &str| {
        let e = r.unwrap_err();
        assert_eq!(
            error_name(&e),
            "io.stimd.Stimd1.Error.Contraindicated",
            "{e}"
        );
        assert!(e.to_string().contains(says), "{e}");
    };

    // Not screened yet; then epilepsy: refused until an administrator records the approval.
    refused(start("", None).await, "stimctl check");
    let mut answers = no_contraindications();
    answers.insert("epilepsy".into(), true);
    c.profiles.record_screening("anna", answers).await.unwrap();
    refused(start("", None).await, "epilepsy");
    c.profiles
        .approve("anna", "dr. Jansen, 2026-11-20")
        .await
        .unwrap();
    let got = c.profiles.get("anna").await.unwrap();
    assert!(get::<bool>(&got, "approved"));
    assert_eq!(get::<Vec<String>>(&got, "answered_yes"), ["epilepsy"]);

    // Her own maximum is a limit layer below the device's: clamped and signalled.
    let mut clamps = c.device.receive_clamped().await.unwrap();
    start("low back", Some(vec![30_000, 10_000])).await.unwrap();
    let sig = tokio::time::timeout(DEADLINE, clamps.next())
        .await
        .expect("Clamped")
        .expect("stream");
    let a = sig.args().unwrap();
    assert_eq!(
        (
            *a.channel(),
            *a.requested_ua(),
            *a.applied_ua(),
            a.limit().to_string()
        ),
        (0, 30_000, 20_000, "profile_max".to_string())
    );
    assert_eq!(c.session.target().await.unwrap(), [20_000, 10_000]);
    assert_eq!(c.session.profile().await.unwrap(), "anna");
    c.session.stop().await.unwrap();

    // Asked for, ramped towards for a moment, never held: nothing is remembered as comfortable
    // (a level held for a minute is; `a_level_held_for_a_minute_is_offered_next_time`).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let comfort: std::collections::HashMap<String, Vec<u32>> =
        get(&c.profiles.get("anna").await.unwrap(), "comfort");
    assert!(!comfort.contains_key("low-back"), "{comfort:?}");

    // Pregnancy: new answers clear the approval; approved, the abdomen and low back stay out.
    let mut answers = no_contraindications();
    answers.insert("pregnancy".into(), true);
    c.profiles.record_screening("anna", answers).await.unwrap();
    refused(start("neck", None).await, "pregnancy");
    c.profiles.approve("anna", "midwife agreed").await.unwrap();
    refused(start("abdomen", None).await, "pregnancy");
    refused(start("low back", None).await, "pregnancy");
    refused(start("", None).await, "pregnant");
    start("neck", None).await.unwrap();
    c.session.stop().await.unwrap();

    // Unknown profiles and bad settings are named.
    let e = c
        .session
        .start("low-back", opts(vec![("profile", Value::from("bob"))]))
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("profile = \"bob\" does not exist"),
        "{e}"
    );
    let e = c
        .profiles
        .update(
            "anna",
            settings(vec![("max_intensity_ua", ua(vec![90_000, 0]))]),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("0..=60000"), "{e}");
    let e = c
        .profiles
        .update(
            "anna",
            settings(vec![(
                "habituation",
                Value::from("yes").try_into().unwrap(),
            )]),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("habituation: expected b"), "{e}");

    // Every change to her limits, answers and approval is in the history, with who made it.
    assert!(daemon.terminate().success());
    let db = rusqlite::Connection::open_with_flags(
        state.join("history.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let rows: Vec<(String, String)> = db
        .prepare("SELECT actor, change FROM profile_changes WHERE profile = 'anna' ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let me = format!("uid:{}", unsafe { libc::getuid() });
    assert!(rows.iter().all(|(actor, _)| *actor == me), "{rows:?}");
    assert!(
        rows[0]
            .1
            .starts_with("created (max_intensity_ua [20000, 20000]"),
        "{rows:?}"
    );
    assert!(rows
        .iter()
        .any(|(_, ch)| ch.contains("approved despite [epilepsy]")));
    assert_eq!(rows.len(), 5, "{rows:?}");
}

/// Dose guidance: a profile allowed one session a day is refused a second, with when the next
/// is allowed, also after a restart (the day's sessions come from the history).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dose_guidance_counts_the_day_across_a_restart() {
    let dir = TempDir::new("dose");
    let bus = Bus::start();
    let state = dir.0.join("state");
    let mut daemon = Daemon::start(&bus, &state, &dir.0.join("t1.csv")).await;
    let c = Client::new(&bus).await;
    let once: std::collections::HashMap<String, zbus::zvariant::OwnedValue> = [
        ("sessions_per_day", 1u32),
        ("minutes_per_day", 30),
        ("min_gap_minutes", 0),
        // Every session counts, however short (the default counts five minutes of therapy;
        // `a_session_stopped_early_does_not_lock_the_person_out`).
        ("dose_counts_after_minutes", 0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into()))
    .collect();
    c.profiles.create("ben", once).await.unwrap();
    c.profiles
        .record_screening("ben", no_contraindications())
        .await
        .unwrap();
    let start = || {
        c.session.start(
            "neck",
            opts(vec![
                ("profile", Value::from("ben")),
                ("duration", Value::U32(600)),
            ]),
        )
    };
    let e = c
        .session
        .start(
            "neck",
            opts(vec![
                ("profile", Value::from("ben")),
                ("duration", Value::U32(3_600)),
            ]),
        )
        .await
        .unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.DoseLimit", "{e}");
    assert!(e.to_string().contains("at most 1800 s"), "{e}");
    start().await.unwrap();
    c.session.stop().await.unwrap();
    let e = start().await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.DoseLimit", "{e}");
    assert!(e.to_string().contains("tomorrow"), "{e}");
    // Another profile is not affected.
    c.session.start("neck", Default::default()).await.unwrap();
    c.session.stop().await.unwrap();

    assert!(daemon.terminate().success());
    let _d = Daemon::start(&bus, &state, &dir.0.join("t2.csv")).await;
    let c = Client::new(&bus).await;
    let e = c
        .session
        .start(
            "neck",
            opts(vec![
                ("profile", Value::from("ben")),
                ("duration", Value::U32(600)),
            ]),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("tomorrow"), "after a restart: {e}");
}

/// Dose guidance counts therapy, not attempts: under the default dose (two sessions a day, two
/// hours apart, counting after five minutes of stimulation) a session stopped after seconds —
/// or cut by an emergency stop — does not block the next start, and the history says how
/// long each stimulated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_stopped_early_does_not_lock_the_person_out() {
    retry_on_timing_trip("dose-early", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        c.profiles.create("dora", Default::default()).await.unwrap();
        c.profiles
            .record_screening("dora", no_contraindications())
            .await
            .unwrap();
        let start = || {
            c.session.start(
                "neck",
                opts(vec![
                    ("profile", Value::from("dora")),
                    ("duration", Value::U32(600)),
                    ("intensity", Value::from(vec![4_000u32, 4_000])),
                ]),
            )
        };
        for round in 0..3 {
            start()
                .await
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
            let deadline = std::time::Instant::now() + DEADLINE;
            while c.session.intensity().await.unwrap()[0] == 0 {
                assert!(std::time::Instant::now() < deadline, "no stimulation");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            if round == 1 {
                c.device.emergency_stop().await.unwrap();
                c.device.acknowledge_fault().await.ok();
            } else {
                c.session.stop().await.unwrap();
            }
        }
        let rows = c.history.sessions(0, 0, 0).await.unwrap();
        assert_eq!(rows.len(), 3);
        for r in &rows {
            let (stimulated, duration) = (get::<u32>(r, "stimulated"), get::<u32>(r, "duration"));
            assert!(stimulated <= duration && stimulated < 300, "{r:?}");
        }
        c.session.stop().await.ok();
    })
    .await;
}

/// The intensity remembered for a program is the level each channel held for a minute —
/// reached, not asked — and it is offered (as a target, ramping from zero) next time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_held_for_a_minute_is_offered_next_time() {
    retry_on_timing_trip("held", |dir| async move {
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;
        let none: std::collections::HashMap<String, zbus::zvariant::OwnedValue> =
            [("sessions_per_day", 0u32), ("min_gap_minutes", 0)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.into()))
                .collect();
        c.profiles.create("cleo", none).await.unwrap();
        c.profiles
            .record_screening("cleo", no_contraindications())
            .await
            .unwrap();
        let start = |intensity: Option<Vec<u32>>| {
            let mut o = opts(vec![("profile", Value::from("cleo"))]);
            if let Some(i) = intensity {
                o.insert("intensity".into(), ua(i));
            }
            c.session.start("low-back", o)
        };
        start(Some(vec![6_000, 4_000])).await.unwrap();
        let deadline = std::time::Instant::now() + DEADLINE;
        while c.session.intensity().await.unwrap() != [6_000, 4_000] {
            assert!(std::time::Instant::now() < deadline, "not reached");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        tokio::time::sleep(std::time::Duration::from_secs(62)).await;
        c.session.stop().await.unwrap();
        let deadline = std::time::Instant::now() + DEADLINE;
        loop {
            let got = c.profiles.get("cleo").await.unwrap();
            let comfort: std::collections::HashMap<String, Vec<u32>> = get(&got, "comfort");
            if comfort.get("low-back") == Some(&vec![6_000, 4_000]) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "comfort {comfort:?}");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        start(None).await.unwrap();
        assert_eq!(c.session.target().await.unwrap(), [6_000, 4_000]);
        assert!(
            c.session.intensity().await.unwrap()[0] < 6_000,
            "not ramped"
        );
        c.session.stop().await.unwrap();
    })
    .await;
}

/// Pad wear: after `care.pad_uses` sessions a channel's pads are worn (`PadsWorn`, `Pads`),
/// also after a restart; contact loss on a worn set mentions the pads; `PadsReplaced` starts
/// the count again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pads_wear_out_are_remembered_and_replaced() {
    retry_on_timing_trip("pads", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let env = [("STIMD__CARE__PAD_USES", "2")];
        let mut daemon = Daemon::start_with(&bus, &state, &dir.join("t1.csv"), &env).await;
        let c = Client::new(&bus).await;
        let mut worn = c.device.receive_pads_worn().await.unwrap();
        for _ in 0..2 {
            c.session.start("neck", Default::default()).await.unwrap();
            c.session.stop().await.unwrap();
        }
        let mut channels = Vec::new();
        for _ in 0..2 {
            let sig = tokio::time::timeout(DEADLINE, worn.next())
                .await
                .expect("PadsWorn")
                .expect("stream");
            let a = sig.args().unwrap();
            assert_eq!(*a.sessions(), 2);
            channels.push(*a.channel());
        }
        channels.sort();
        assert_eq!(channels, [0, 1]);
        let pads = c.device.pads().await.unwrap();
        assert!(pads.iter().all(|p| p.0 == 2 && p.2), "{pads:?}");

        // Remembered across a restart.
        assert!(daemon.terminate().success());
        let _d = Daemon::start_with(&bus, &state, &dir.join("t2.csv"), &env).await;
        let c = Client::new(&bus).await;
        assert!(c.device.pads().await.unwrap().iter().all(|p| p.2));

        // Contact lost on a worn set: the notice says to replace the pads.
        let mut notices = c.session.receive_notice().await.unwrap();
        let id = c
            .session
            .start(
                "neck",
                opts(vec![("intensity", Value::from(vec![3_000u32, 3_000]))]),
            )
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
        c.sim.set_contact(1, false).await.unwrap();
        let sig = tokio::time::timeout(DEADLINE, notices.next())
            .await
            .expect("Notice")
            .expect("stream");
        let a = sig.args().unwrap();
        assert_eq!(*a.id(), id);
        assert!(
            a.message().contains("channel 1 lost contact"),
            "{}",
            a.message()
        );
        assert!(a.message().contains("PadsReplaced(1)"), "{}", a.message());
        c.session.stop().await.unwrap();

        c.device.pads_replaced(1).await.unwrap();
        let pads = c.device.pads().await.unwrap();
        assert_eq!((pads[1].0, pads[1].2), (0, false), "{pads:?}");
        assert!(pads[0].2);
        let e = c.device.pads_replaced(2).await.unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.InvalidArgument");
    })
    .await;
}

/// What works for me: a profile's rated sessions give the program that helped most, with the
/// numbers, once there are at least three rated sessions of it; others' sessions do not count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advice_comes_from_the_profiles_own_ratings() {
    let dir = TempDir::new("advice");
    let bus = Bus::start();
    let _d = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let c = Client::new(&bus).await;
    let unlimited: std::collections::HashMap<String, zbus::zvariant::OwnedValue> =
        ["sessions_per_day", "minutes_per_day", "min_gap_minutes"]
            .into_iter()
            .map(|k| (k.to_string(), 0u32.into()))
            .collect();
    c.profiles.create("cleo", unlimited).await.unwrap();
    c.profiles
        .record_screening("cleo", no_contraindications())
        .await
        .unwrap();
    let advice = |c: &Client| {
        let h = c.history.clone();
        async move { h.advice("cleo").await.unwrap() }
    };
    let run = |program: &'static str, profile: &'static str, before: u8, after: u8| {
        let c = &c;
        async move {
            let id = c
                .session
                .start(program, opts(vec![("profile", Value::from(profile))]))
                .await
                .unwrap();
            c.session.stop().await.unwrap();
            c.history.rate_pain(id, before, after).await.unwrap();
        }
    };
    for _ in 0..2 {
        run("massage", "cleo", 6, 2).await;
        run("low-back", "cleo", 7, 5).await;
    }
    // Someone else's sessions with a bigger effect do not count for cleo.
    for _ in 0..3 {
        run("neck", "default", 9, 1).await;
    }
    let a = advice(&c).await;
    assert_eq!(
        get::<String>(&a, "recommended"),
        "",
        "two rated sessions are not enough"
    );
    assert!(get::<String>(&a, "message").contains("at least 3"));
    run("massage", "cleo", 6, 2).await;
    run("low-back", "cleo", 7, 5).await;
    let a = advice(&c).await;
    assert_eq!(get::<String>(&a, "recommended"), "massage");
    assert_eq!(get::<u32>(&a, "rated"), 3);
    assert_eq!(get::<f64>(&a, "reduction"), 4.0);
    assert_eq!(get::<u32>(&a, "sessions"), 6, "cleo's sessions only");
    assert!(
        get::<String>(&a, "message").contains("pain 6.0 → 2.0"),
        "{}",
        get::<String>(&a, "message")
    );
}
