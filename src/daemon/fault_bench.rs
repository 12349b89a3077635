//! `stimd bench faults`: fault-to-output-off latency on the sim board. Each fault is injected
//! many times into the real engine and supervisor while output is on; the figure is the time
//! from the injection to the moment the output stage was cut (HV enable off, or the interlock
//! monostable expiring); for `spi_error`, from the first transfer that failed. A benchmark
//! prints figures; it does not pass or fail.

use super::bench::{recover, Core};
use crate::clock::now_ns;
use crate::pulse::Setpoint;
use crate::safety::limits::Shape;
use crate::units::{Hertz, MicroAmps, Micros};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, clap::Args)]
pub struct FaultArgs {
    /// Injections per fault kind.
    #[arg(long, default_value_t = 1000)]
    pub injections: u32,
}

/// (kind, how long the cause lasts in ms, goal for p99 in µs).
const KINDS: [(&str, u32, u64); 4] = [
    ("overcurrent", 2, 2_000),
    ("spi_error", 20, 2_000),
    ("engine_stall", 40, 20_000),
    ("supervisor_stall", 20, 10_000),
];

fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

/// Arms one channel at 100 µA (within the rise envelope's slack) and waits for output.
fn arm(core: &Core) -> bool {
    let shape = Shape {
        phase: Micros(200),
        rate: Hertz(150.0),
    };
    core.shared
        .set_setpoint(0, Setpoint::new(MicroAmps(100), shape));
    core.shared.armed.store(true, Ordering::Release);
    let start = Instant::now();
    let pulses = core.shared.telemetry[0].pulses.load(Ordering::Acquire);
    while start.elapsed() < Duration::from_secs(2) {
        if core.sim.output_enabled()
            && core.shared.telemetry[0].pulses.load(Ordering::Acquire) > pulses
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

pub fn faults(a: &FaultArgs) -> Result<(), String> {
    println!(
        "stimd bench faults: {} injections per kind, 1 channel, 150 Hz, output on",
        a.injections
    );
    println!("latency = injection → output stage cut (HV off, or interlock expiry), µs");
    let mut core = Core::start(1, Hertz(150.0))?;
    for (kind, cause_ms, goal_us) in KINDS {
        let mut lat = Vec::with_capacity(a.injections as usize);
        let mut other_trips = 0;
        for _ in 0..a.injections {
            if !arm(&core) {
                other_trips += 1;
                core.shared.zero_all();
                recover(&core.supervisor);
                continue;
            }
            core.sim.clear_spi_failure();
            let t0 = now_ns();
            core.sim.inject(kind, cause_ms);
            let start = Instant::now();
            let cut = loop {
                if let Some(t) = core.sim.output_cut_after(t0) {
                    break Some(t);
                }
                if start.elapsed() > Duration::from_secs(2) {
                    break None;
                }
                std::thread::sleep(Duration::from_micros(200));
            };
            // An SPI error hits at the engine's next transfer: measure from that transfer.
            let from = if kind == "spi_error" {
                core.sim.spi_failure_ns().unwrap_or(t0)
            } else {
                t0
            };
            if let Some(t) = cut {
                lat.push(t.saturating_sub(from) / 1_000);
            }
            // Wait for the trip report, then clear it once the cause is gone.
            let _ = wait_trip(&mut core);
            core.shared.zero_all();
            core.shared.armed.store(false, Ordering::Release);
            std::thread::sleep(Duration::from_millis(u64::from(cause_ms)));
            recover(&core.supervisor);
            while core.trips.try_recv().is_ok() {}
        }
        lat.sort_unstable();
        println!(
            "{kind:<17} n={:<5} p50 {:>6} p99 {:>6} max {:>6}   (goal p99 ≤ {goal_us}){}",
            lat.len(),
            quantile(&lat, 0.5),
            quantile(&lat, 0.99),
            lat.last().copied().unwrap_or(0),
            if other_trips > 0 {
                format!("; {other_trips} rounds lost to other trips")
            } else {
                String::new()
            },
        );
    }
    core.stop();
    Ok(())
}

fn wait_trip(core: &mut Core) -> Option<crate::safety::fault::Trip> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) {
        if let Ok(t) = core.trips.try_recv() {
            return Some(t);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}
