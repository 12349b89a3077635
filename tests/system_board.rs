//! System tests of the board layer through the real daemon: the push buttons (on the sim
//! board, whose `Sim.SetButton` gives raw edges, bounces included) and the linux board on a
//! machine without its hardware (`hardware_unavailable`).

mod common;

use common::*;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Polls `Target` until it equals `want`.
async fn wait_target(c: &Client, want: &[u32]) {
    let start = Instant::now();
    loop {
        let t = c.session.target().await.unwrap();
        if t == want {
            return;
        }
        assert!(start.elapsed() < DEADLINE, "target {t:?}, want {want:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A press with a bouncing line, held `hold_ms`, then a bouncing release.
async fn press(c: &Client, button: &str, hold_ms: u64) {
    for pressed in [true, false, true] {
        c.sim.set_button(button, pressed).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(hold_ms)).await;
    for pressed in [false, true, false] {
        c.sim.set_button(button, pressed).await.unwrap();
    }
    // Let the release settle before the next press.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_step_zero_and_stop_like_a_client() {
    retry_on_timing_trip("buttons", |dir| async move {
        let bus = Bus::start();
        let state = dir.join("state");
        let mut daemon = Daemon::start(&bus, &state, &dir.join("t.csv")).await;
        let c = Client::new(&bus).await;

        // No session: a press changes nothing.
        press(&c, "up", 100).await;
        assert_eq!(c.device.state().await.unwrap(), "idle");

        let mut ended = c.session.receive_ended().await.unwrap();
        let id = c.session.start("low-back", HashMap::new()).await.unwrap();
        wait_target(&c, &[0, 0]).await;
        // One bouncing press is one step (0.5 mA) on both channels.
        press(&c, "up", 100).await;
        wait_target(&c, &[500, 500]).await;
        press(&c, "up", 100).await;
        wait_target(&c, &[1_000, 1_000]).await;
        press(&c, "down", 100).await;
        wait_target(&c, &[500, 500]).await;
        press(&c, "up", 100).await;
        wait_target(&c, &[1_000, 1_000]).await;
        // A long press on down: one step, then every channel to zero.
        press(&c, "down", 2_000).await;
        wait_target(&c, &[0, 0]).await;
        assert_eq!(c.device.state().await.unwrap(), "running");

        // Stop is an emergency stop.
        c.sim.set_button("stop", true).await.unwrap();
        let sig = tokio::time::timeout(DEADLINE, ended.next())
            .await
            .expect("Ended")
            .expect("stream");
        let a = sig.args().unwrap();
        assert_eq!(
            (*a.id(), a.reason().to_string()),
            (id, "emergency_stop".into())
        );
        c.sim.set_button("stop", false).await.unwrap();

        let e = c.sim.set_button("select", true).await.unwrap_err();
        assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.InvalidArgument");

        // The history has the presses, recorded as made by the button.
        assert!(daemon.terminate().success());
        let db = rusqlite::Connection::open_with_flags(
            state.join("history.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let targets: Vec<(u32, u32)> = db
            .prepare(
                "SELECT channel, microamps FROM intensity \
                 WHERE actor = 'button' AND kind = 'target' ORDER BY id",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let ch0: Vec<u32> = targets.iter().filter(|t| t.0 == 0).map(|t| t.1).collect();
        assert_eq!(ch0, [500, 1_000, 500, 1_000, 500, 0], "{targets:?}");
    })
    .await;
}

/// The linux board on a machine without its SPI device: the daemon starts anyway, serves
/// D-Bus, reports `hardware_unavailable` with the device and the OS error, refuses sessions,
/// and no acknowledgement clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_hardware_is_reported_and_sessions_are_refused() {
    let dir = TempDir::new("nohw");
    let bus = Bus::start();
    let env = [("STIMD__LINUX__SPI_DEVICE", "/dev/stimd-test-no-spi")];
    let d = Daemon::start_linux(&bus, &dir.0.join("state"), &dir.0, &env).await;
    let c = Client::new(&bus).await;

    assert_eq!(c.device.board().await.unwrap(), "linux");
    c.wait_state("fault").await;
    let (code, message) = c.device.fault().await.unwrap();
    assert_eq!(code, "hardware_unavailable");
    assert!(
        message.contains("/dev/stimd-test-no-spi") && message.contains("No such file"),
        "{message}"
    );

    let e = c
        .session
        .start("low-back", HashMap::new())
        .await
        .unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.FaultActive");
    assert!(e.to_string().contains("restart stimd"), "{e}");
    let e = c.device.acknowledge_fault().await.unwrap_err();
    assert_eq!(error_name(&e), "io.stimd.Stimd1.Error.FaultActive");
    assert_eq!(c.device.fault().await.unwrap().0, "hardware_unavailable");

    // Recorded, and the sim-only interface is not served.
    let f = c.history.faults(0, 0).await.unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(get::<String>(&f[0], "code"), "hardware_unavailable");
    assert!(c.sim.set_battery(50).await.is_err());
    assert!(d.log_text().contains("hardware unavailable"));
}
