//! System tests of the safety path through the real API: faults injected on the sim board
//! trip the supervisor, cut the output, latch, refuse sessions, and clear only once the cause
//! is gone.

mod common;

use common::*;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use zbus::zvariant::{OwnedValue, Value};

fn running_opts() -> HashMap<String, OwnedValue> {
    [(
        "intensity".to_string(),
        Value::from(vec![5_000u32, 5_000])
            .try_into()
            .expect("owned"),
    )]
    .into()
}

/// Injects `kind` for `ms` during a session and checks the whole reaction.
async fn trips_and_latches(
    dir: std::path::PathBuf,
    kind: &'static str,
    ms: u32,
    code: &'static str,
) {
    let bus = Bus::start();
    let trace = dir.join("t.csv");
    let _d = Daemon::start(&bus, &dir.join("state"), &trace).await;
    let c = Client::new(&bus).await;
    let mut faults = c.device.receive_fault_raised().await.unwrap();
    let mut ended = c.session.receive_ended().await.unwrap();
    let id = c.session.start("low-back", running_opts()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;

    let injected = monotonic_ns();
    c.sim.inject_fault(kind, ms).await.unwrap();
    let sig = tokio::time::timeout(DEADLINE, faults.next())
        .await
        .expect("FaultRaised")
        .expect("stream");
    assert_eq!(*sig.args().unwrap().code(), code);
    let sig = tokio::time::timeout(DEADLINE, ended.next())
        .await
        .expect("Ended")
        .expect("stream");
    let a = sig.args().unwrap();
    assert_eq!(
        (*a.id(), a.reason().to_string()),
        (id, format!("fault:{code}"))
    );
    c.wait_state("fault").await;
    assert_eq!(c.device.fault().await.unwrap().0, code);

    // Latched: no new session; acknowledging fails while the cause is present.
    let e = c
        .session
        .start("low-back", HashMap::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "FaultActive");
    if ms >= 5_000 {
        // The cause lasts 5 s from the injection; this runs well within that.
        let e = c.device.acknowledge_fault().await.unwrap_err();
        assert_eq!(
            e.kind(),
            "FaultActive",
            "acknowledged while the cause was present"
        );
    }

    // Output off in the trace: the output stage cut after the injection, DAC back at zero.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rows = read_trace(&trace);
    assert!(
        rows.iter()
            .any(|r| matches!(*r, Row::Enable { t_ns, on: false } if t_ns >= injected)),
        "output stage not cut after {kind}"
    );
    for ch in 0..2 {
        let last = rows.iter().rev().find_map(|r| match *r {
            Row::Dac { channel, code, .. } if channel == ch => Some(code),
            _ => None,
        });
        assert!(
            matches!(last, Some(2048) | None),
            "channel {ch} left non-zero"
        );
    }

    // Once the cause is gone, acknowledging works and a session may start again.
    let start = Instant::now();
    loop {
        match c.device.acknowledge_fault().await {
            Ok(()) => break,
            Err(e) => {
                assert_eq!(e.kind(), "FaultActive");
                assert!(start.elapsed() < DEADLINE, "fault never cleared");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    c.wait_state("idle").await;
    assert_eq!(
        c.device.fault().await.unwrap(),
        (String::new(), String::new())
    );

    // The fault is in the history.
    let f = c.history.faults(0, 0).await.unwrap();
    assert_eq!(f.len(), 1);
    let got: String = f[0]
        .get("code")
        .unwrap()
        .try_clone()
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(got, code);
    let id2 = c.session.start("low-back", HashMap::new()).await.unwrap();
    assert!(id2 > id);
    c.session.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overcurrent_trips_and_latches_until_gone() {
    retry_on_timing_trip("oc", |d| {
        trips_and_latches(d, "overcurrent", 5_000, "overcurrent")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spi_error_trips_and_latches_until_gone() {
    retry_on_timing_trip("spi", |d| {
        trips_and_latches(d, "spi_error", 5_000, "spi_error")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_stall_trips_on_missing_heartbeat() {
    retry_on_timing_trip("stall", |d| {
        trips_and_latches(d, "engine_stall", 100, "engine_heartbeat")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisor_stall_is_cut_by_the_interlock_and_latched() {
    retry_on_timing_trip("sstall", |d| {
        trips_and_latches(d, "supervisor_stall", 50, "supervisor_stall")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpio_error_trips_and_latches_until_gone() {
    retry_on_timing_trip("gpio", |d| {
        trips_and_latches(d, "gpio_error", 5_000, "gpio_error")
    })
    .await;
}
