//! The D-Bus API benchmark (prints figures; it passes or fails nothing):
//!
//! ```sh
//! cargo test --release --test bench_api -- --ignored --nocapture
//! ```
//!
//! Method round trips through a real `dbus-daemon` to the real daemon on the sim board
//! (`Get` of a property, `SetIntensity`), and the pulse-onset error measured on the trace while
//! eight clients flood the daemon with calls, beside the same figure without them.

mod common;

use common::*;
use std::time::{Duration, Instant};
use zbus::zvariant::Value;

fn pct(sorted: &[u64], q: f64) -> u64 {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn report(name: &str, mut v: Vec<u64>, elapsed: Duration) {
    let n = v.len();
    v.sort_unstable();
    println!(
        "{name}: {n} calls, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, {:.0} calls/s",
        pct(&v, 0.5) as f64 / 1e3,
        pct(&v, 0.99) as f64 / 1e3,
        pct(&v, 1.0) as f64 / 1e3,
        n as f64 / elapsed.as_secs_f64()
    );
}

/// Onset errors (µs) of channel 0's pulses after `from_ns`: each onset against the 80 Hz grid
/// the engine schedules on, relative to the earliest (least delayed) pulse.
fn onset_errors(trace: &std::path::Path, from_ns: u64, to_ns: u64) -> Vec<u64> {
    let p: Vec<u64> = pulses(&read_trace(trace), 0)
        .into_iter()
        .map(|p| p.onset_ns)
        .filter(|&t| t >= from_ns && t <= to_ns)
        .collect();
    let period = 12_500_000i64;
    let t0 = p[0] as i64;
    let residual: Vec<i64> = p
        .iter()
        .map(|&t| {
            let d = t as i64 - t0;
            d - (d as f64 / period as f64).round() as i64 * period
        })
        .collect();
    let base = *residual.iter().min().unwrap_or(&0);
    let mut e: Vec<u64> = residual
        .iter()
        .map(|r| ((r - base) / 1_000) as u64)
        .collect();
    e.sort_unstable();
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn bench_api() {
    let bus = Bus::start();
    let dir = TempDir::new("bench-api");
    let trace = dir.0.join("t.csv");
    let _d = Daemon::start(&bus, &dir.0.join("state"), &trace).await;
    let c = Client::new(&bus).await;

    // Property reads (not rate-limited).
    let mut lat = Vec::new();
    let start = Instant::now();
    for _ in 0..5_000 {
        let t = Instant::now();
        c.device.state().await.unwrap();
        lat.push(t.elapsed().as_micros() as u64);
    }
    report("Get(Device.State)", lat, start.elapsed());

    // SetIntensity at 40 calls a second (one client may make 50 a second).
    c.session
        .start(
            "low-back",
            opts(vec![
                ("intensity", Value::from(vec![1_000u32, 1_000])),
                ("duration", Value::U32(600)),
            ]),
        )
        .await
        .unwrap();
    let mut lat = Vec::new();
    let start = Instant::now();
    for k in 0..400u32 {
        let t = Instant::now();
        c.session
            .set_intensity(k % 2, 1_000 + (k % 4) * 500)
            .await
            .unwrap();
        lat.push(t.elapsed().as_micros() as u64);
        tokio::time::sleep_until((start + Duration::from_millis(25 * u64::from(k + 1))).into())
            .await;
    }
    report("SetIntensity (paced at 40/s)", lat, start.elapsed());

    // Onset error: 10 s quiet, then 10 s with 8 clients flooding calls.
    let quiet_from = monotonic_ns();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let quiet_to = monotonic_ns();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut floods = Vec::new();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    for i in 0..8u32 {
        let fc = Client::new(&bus).await;
        let (stop, calls) = (stop.clone(), calls.clone());
        floods.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = fc.device.state().await;
                let _ = fc.session.set_intensity(i % 2, 1_500).await;
                calls.fetch_add(2, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    let flood_from = monotonic_ns();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let flood_to = monotonic_ns();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for f in floods {
        let _ = f.await;
    }
    c.session.stop().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (name, from, to) in [
        ("onset error, quiet", quiet_from, quiet_to),
        ("onset error, 8 clients flooding", flood_from, flood_to),
    ] {
        let e = onset_errors(&trace, from, to);
        println!(
            "{name}: {} pulses, p50 {} µs, p99 {} µs, max {} µs",
            e.len(),
            pct(&e, 0.5),
            pct(&e, 0.99),
            pct(&e, 1.0)
        );
    }
    println!(
        "flood: {:.0} calls/s from 8 clients (SetIntensity beyond 50/s per client refused with RateLimited)",
        calls.load(std::sync::atomic::Ordering::Relaxed) as f64 / 10.0
    );
}
