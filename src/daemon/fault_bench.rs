//! `stimd bench faults`: fault-to-output-off latency on the sim board. Each fault is injected
//! many times into the real engine and supervisor while output is on; the figure is the time
//! from the fault to the moment the output stage was cut (HV enable off, or the interlock
//! monostable expiring). The fault's moment is the injection, except where the fault takes
//! effect later: for `spi_error` the first transfer that failed, for `over_limit` the first
//! over-limit current the DAC latched (none should: the engine refuses such a pulse before
//! writing it, so the figure is from the defect's write of the level), for `phase_stall` the latch of the phase the engine then
//! held, for `engine_stall` the engine's last heartbeat (it stalls at the top of its next
//! loop). Each round also checks that the trip had the expected code. A benchmark prints
//! figures; it does not pass or fail.

use super::bench::{recover, BenchError, Core};
use crate::clock::now_ns;
use crate::model::limits::Shape;
use crate::model::units::{Hertz, MicroAmps, Micros};
use crate::pulse::Setpoint;
use std::time::{Duration, Instant};

/// The command line of `stimd bench faults`.
#[derive(Debug, Clone, clap::Args)]
pub struct FaultArgs {
    /// Injections per fault kind.
    #[arg(long, default_value_t = 1000)]
    pub injections: u32,
}

/// (injected kind, the trip code it must cause, how long the cause lasts in ms, goal for p99
/// in µs).
const KINDS: [(&str, &str, u32, u64); 6] = [
    ("over_limit", "over_limit", 0, 2_000),
    ("phase_stall", "stuck_phase", 20, 2_000),
    ("overcurrent", "overcurrent", 2, 2_000),
    ("spi_error", "spi_error", 20, 2_000),
    ("engine_stall", "engine_heartbeat", 40, 20_000),
    ("supervisor_stall", "supervisor_stall", 20, 10_000),
];

/// How long the `over_limit` defect may last; it ends at the trip.
const DEFECT_MS: u32 = 2_000;

/// Makes `kind` happen: a board fault on the sim, or a software fault through the safety
/// core's hooks (`over_limit`: a level one step above the armed limit written past the session
/// manager, as a software defect would; `engine_stall`).
fn inject(core: &Core, kind: &str, cause_ms: u32) {
    core.sim.clear_spi_failure();
    core.sim.clear_phase_stall();
    match kind {
        "over_limit" => {
            core.sim.probe_current(core.peak_limit.0 + 1);
            if let Err(e) = core.faults.over_limit(DEFECT_MS) {
                eprintln!("cannot inject over_limit: {e}");
            }
        }
        "engine_stall" => core.faults.engine_stall(cause_ms),
        _ => {
            core.sim.inject(kind, cause_ms);
        }
    }
}

/// When the injected fault took effect, if later than the injection at `t0`. Read as soon as
/// the output is cut, while the cause still lasts.
fn effective_from(core: &Core, kind: &str, t0: u64) -> u64 {
    match kind {
        "spi_error" => core.sim.spi_failure_ns(),
        // The engine refuses the over-limit pulse at its onset (nothing reaches the DAC): the
        // trip is measured from that moment, when the output would have gone above the limit.
        "over_limit" => Some(core.shared.observe().refused_at_ns(0))
            .filter(|&t| t != 0)
            .or_else(|| core.sim.probe_hit_ns()),
        "phase_stall" => core.sim.phase_stalled_ns(),
        "engine_stall" => Some(core.shared.observe().engine_heartbeat_ns()),
        _ => None,
    }
    .map_or(t0, |t| t.max(t0))
}

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
    core.shared
        .arm(&crate::safety::armed::ArmedLimits::device(&core.limits));
    let start = Instant::now();
    let pulses = core.shared.observe().pulses(0);
    while start.elapsed() < Duration::from_secs(2) {
        if core.sim.output_enabled() && core.shared.observe().pulses(0) > pulses {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    false
}

/// Runs `stimd bench faults` with `a` and prints each fault kind's latency figures on
/// standard output.
pub fn faults(a: &FaultArgs) -> Result<(), BenchError> {
    println!(
        "stimd bench faults: {} injections per kind, 1 channel, 150 Hz, output on",
        a.injections
    );
    println!("latency = fault → output stage cut (HV off, or interlock expiry), µs; the fault's");
    println!("moment: the injection, or the failed transfer (spi_error), the engine's refusal of the over-limit pulse");
    println!(
        "(over_limit), the held phase's latch (phase_stall), the last heartbeat (engine_stall)"
    );
    let mut core = Core::start(1, Hertz(150.0))?;
    for (kind, code, cause_ms, goal_us) in KINDS {
        let mut lat = Vec::with_capacity(a.injections as usize);
        let mut other_trips = 0;
        let mut wrong_code = 0;
        // Over-limit currents the DAC latched (over_limit only): the engine checks each pulse
        // against the armed limits before writing, so this must stay 0.
        let mut reached_dac = 0;
        for _ in 0..a.injections {
            if !arm(&core) {
                other_trips += 1;
                core.shared.zero_all();
                recover(&core.supervisor);
                continue;
            }
            let t0 = now_ns();
            inject(&core, kind, cause_ms);
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
            let from = effective_from(&core, kind, t0);
            if let Some(t) = cut {
                lat.push(t.saturating_sub(from) / 1_000);
            }
            // Wait for the trip report, then clear it once the cause is gone.
            if wait_trip(&mut core).is_none_or(|t| t.code.as_str() != code) {
                wrong_code += 1;
            }
            if kind == "over_limit" && core.sim.probe_hit_ns().is_some() {
                reached_dac += 1;
            }
            core.sim.probe_current(0);
            core.shared.disarm();
            std::thread::sleep(Duration::from_millis(u64::from(cause_ms)));
            recover(&core.supervisor);
            while core.trips.try_recv().is_ok() {}
        }
        lat.sort_unstable();
        println!(
            "{:<36} n={:<5} p50 {:>6} p99 {:>6} max {:>6}   (goal p99 ≤ {goal_us}){}{}",
            format!("{kind} → {code}"),
            lat.len(),
            quantile(&lat, 0.5),
            quantile(&lat, 0.99),
            lat.last().copied().unwrap_or(0),
            if other_trips > 0 {
                format!("; {other_trips} rounds lost to other trips")
            } else {
                String::new()
            },
            if wrong_code > 0 {
                format!("; {wrong_code} tripped with another code")
            } else {
                String::new()
            },
        );
        if kind == "over_limit" {
            println!(
                "{:<36} over-limit currents latched by the DAC: {reached_dac}",
                ""
            );
        }
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
