//! Safety at the edges, through the real bus on the sim board: losing the bus is a fault, and
//! the engine and the supervisor know the person's limits (issue "Safety at the edges").

mod common;

use common::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use zbus::zvariant::{OwnedValue, Value};

fn intensity(ua: u32) -> HashMap<String, OwnedValue> {
    opts(vec![("intensity", Value::from(vec![ua, ua]))])
}

/// The largest current (µA, either polarity) any DAC write in the trace put out.
fn largest_current_ua(rows: &[Row]) -> u32 {
    rows.iter()
        .filter_map(|r| match *r {
            Row::Dac { microamps, .. } => Some(microamps.unsigned_abs()),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// Waits until channel 0 has delivered pulses of at least `ua` (the ramp reached it).
async fn wait_pulses_at(trace: &std::path::Path, ua: i32) {
    let start = Instant::now();
    loop {
        let rows = read_trace(trace);
        if pulses(&rows, 0).iter().any(|p| p.phase1_ua >= ua) {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "no pulse of {ua} µA");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The daemon's bus dies mid-session: output goes off, the session ends as `bus_lost` in the
/// history, and stimd exits non-zero (so systemd restarts it, disarmed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_bus_takes_output_off_and_ends_the_session_as_bus_lost() {
    retry_on_timing_trip("buslost", |dir| async move {
        let state = dir.join("state");
        let trace = dir.join("t.csv");
        let bus = Bus::start();
        let mut d = Daemon::start(&bus, &state, &trace).await;
        let c = Client::new(&bus).await;
        let id = c.session.start("low-back", intensity(4_000)).await.unwrap();
        wait_pulses_at(&trace, 2_000).await;
        drop(c);
        drop(bus); // SIGKILL to dbus-daemon: the daemon's connection closes.
        let status = d.wait_exit();
        assert!(!status.success(), "stimd exited 0 after losing its bus");
        let log = d.log_text();
        assert!(log.contains("D-Bus connection lost"), "log:\n{log}");

        // Output off: the output stage cut last, every DAC at mid-scale.
        let rows = read_trace(&trace);
        let last_enable = rows.iter().rev().find_map(|r| match *r {
            Row::Enable { on, .. } => Some(on),
            _ => None,
        });
        assert_eq!(last_enable, Some(false), "output stage left on");
        for ch in 0..2 {
            assert_eq!(
                last_dac_code(&rows, ch),
                Some(2048),
                "channel {ch} left non-zero"
            );
        }

        // Up again (disarmed) on a new bus: the session is in the history as bus_lost.
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &state, &dir.join("t2.csv")).await;
        let c = Client::new(&bus).await;
        assert_eq!(c.device.state().await.unwrap(), "idle");
        let rows = c.history.sessions(0, 0, 0).await.unwrap();
        let row = rows
            .iter()
            .find(|r| get::<u64>(r, "id") == id)
            .expect("the session is in the history");
        assert_eq!(get::<String>(row, "end_reason"), "bus_lost");
    })
    .await;
}

/// A child's profile allows 8 mA. A defect between the session manager and the engine
/// (`Sim.InjectFault over_limit`: a level one step above the armed limit) is caught at the
/// person's limit, not at the device's 60 mA: nothing above 8 mA ever reaches the DAC, and the
/// trip names the profile's maximum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_defect_above_a_child_s_maximum_never_reaches_the_dac() {
    retry_on_timing_trip("child", |dir| async move {
        let trace = dir.join("t.csv");
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;
        let settings = opts(vec![(
            "max_intensity_ua",
            Value::from(vec![8_000u32, 8_000]),
        )]);
        c.profiles.create("kind", settings).await.unwrap();
        c.profiles
            .record_screening("kind", no_contraindications())
            .await
            .unwrap();
        let mut o = intensity(8_000);
        o.insert(
            "profile".into(),
            OwnedValue::try_from(Value::from("kind")).unwrap(),
        );
        c.session.start("low-back", o).await.unwrap();
        wait_pulses_at(&trace, 2_000).await;
        c.sim.inject_fault("over_limit", 2_000).await.unwrap();
        c.wait_state("fault").await;
        let (code, message) = c.device.fault().await.unwrap();
        assert_eq!(code, "over_limit");
        assert!(
            message.contains("profile_max") && message.contains("8000"),
            "{message}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let rows = read_trace(&trace);
        let worst = largest_current_ua(&rows);
        assert!(
            worst <= 8_000,
            "{worst} µA reached the DAC under an 8 mA profile"
        );
    })
    .await;
}

/// The output stage is the only way current reaches the skin, and the engine starts a pulse
/// only while output is armed: in a whole session with a trip, every pulse onset (a DAC code
/// leaving mid-scale) lies where the trace shows the output stage enabled, and the device's
/// `over_limit` defect never puts more than the device peak on the DAC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pulses_start_only_while_the_output_stage_is_enabled() {
    retry_on_timing_trip("onsets", |dir| async move {
        let trace = dir.join("t.csv");
        let bus = Bus::start();
        let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
        let c = Client::new(&bus).await;
        c.session.start("low-back", intensity(3_000)).await.unwrap();
        wait_pulses_at(&trace, 1_000).await;
        c.sim.inject_fault("over_limit", 1_000).await.unwrap();
        c.wait_state("fault").await;
        // After the trip the defect keeps writing its level until it gives up; nothing goes out.
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let start = Instant::now();
        while c.device.acknowledge_fault().await.is_err() {
            assert!(start.elapsed() < DEADLINE, "fault never cleared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        c.session.start("low-back", intensity(3_000)).await.unwrap();
        wait_pulses_at(&trace, 2_500).await;
        c.session.stop().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let rows = read_trace(&trace);
        assert_onsets_only_while_enabled(&rows);
        let worst = largest_current_ua(&rows);
        assert!(
            worst <= 60_000,
            "{worst} µA reached the DAC (device peak 60 mA)"
        );
    })
    .await;
}
