//! `stimd bench timing`: runs the real engine and supervisor on the sim board and prints the
//! pulse-onset and phase-width errors, the CPU they cost and the RSS, beside `cyclictest`
//! run on the same machine in the same invocation. A benchmark prints figures; it does not
//! pass or fail.

use crate::board::sim;
use crate::config::{Config, ConfigError};
use crate::engine::EngineSettings;
use crate::model::limits::Shape;
use crate::model::units::{Hertz, MicroAmps, Micros};
use crate::pulse::Setpoint;
use crate::safety::core::{CoreConfig, CoreLinks, SafetyCore, StartError};
use crate::safety::inject::FaultInjection;
use crate::safety::supervisor::SupervisorSettings;
use crate::shared::Shared;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The default configuration's limits are invalid.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The sim board could not be built.
    #[error("sim board: {0}")]
    Board(#[source] std::io::Error),
    /// The sim board came without its handle (pads, battery, faults).
    #[error("the sim board has no handle")]
    NoSimHandle,
    /// The safety core (engine and supervisor) could not start.
    #[error(transparent)]
    SafetyCore(#[from] StartError),
    /// A file, directory or runtime the bench needs could not be made.
    #[error("{what}: {source}")]
    Io {
        /// What it was making (a path, `tokio runtime`).
        what: String,
        /// Why it failed.
        #[source]
        source: std::io::Error,
    },
    /// A scratch history database failed.
    #[error("{0}")]
    History(#[from] rusqlite::Error),
}

/// The command line of `stimd bench timing`.
#[derive(Debug, Clone, clap::Args)]
pub struct TimingArgs {
    /// Pulse rate, Hz.
    #[arg(long, default_value_t = 150.0)]
    pub rate: f64,
    /// Phase width, µs.
    #[arg(long, default_value_t = 200)]
    pub phase: u32,
    /// Channels (1 or 2).
    #[arg(long, default_value_t = 2)]
    pub channels: usize,
    /// Seconds to run the engine (and cyclictest).
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Skip cyclictest.
    #[arg(long)]
    pub no_cyclictest: bool,
}

fn cpu_seconds() -> f64 {
    crate::sys::process_cpu_seconds()
}

/// CPU seconds per thread name (threads of one name summed), from /proc/self/task.
fn thread_cpu() -> Vec<(String, f64)> {
    let hz = crate::sys::clock_ticks_per_second() as f64;
    let mut out: Vec<(String, f64)> = Vec::new();
    for task in std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
    {
        let p = task.path();
        let name = std::fs::read_to_string(p.join("comm"))
            .unwrap_or_default()
            .trim()
            .to_string();
        let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
        // Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
        let rest = stat.rsplit_once(')').map_or("", |r| r.1);
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
            + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 += ticks / hz,
            None => out.push((name, ticks / hz)),
        }
    }
    out
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Runs cyclictest for `seconds` on one SCHED_FIFO thread; returns its summary lines.
fn cyclictest(seconds: u64) -> String {
    let out = Command::new("cyclictest")
        .args(["-m", "-q", "-p", "80", "-i", "1000", "-h", "5000", "-D"])
        .arg(format!("{seconds}s"))
        .output();
    match out {
        Err(e) => format!("cyclictest not available ({e}); install rt-tests"),
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            let mut hist: Vec<(u64, u64)> = Vec::new();
            let mut max = String::new();
            for line in text.lines() {
                if let Some(rest) = line.strip_prefix("# Max Latencies:") {
                    // Printed zero-padded, one column per thread.
                    max = rest
                        .split_whitespace()
                        .filter_map(|v| v.parse::<u64>().ok())
                        .max()
                        .map_or_else(String::new, |m| m.to_string());
                } else if !line.starts_with('#') {
                    let mut it = line.split_whitespace();
                    if let (Some(a), Some(b)) = (it.next(), it.next()) {
                        if let (Ok(us), Ok(n)) = (a.parse(), b.parse()) {
                            hist.push((us, n));
                        }
                    }
                }
            }
            let total: u64 = hist.iter().map(|h| h.1).sum();
            let q = |p: f64| {
                let rank = ((p * total as f64).ceil() as u64).max(1);
                let mut seen = 0;
                hist.iter()
                    .find(|(_, n)| {
                        seen += n;
                        seen >= rank
                    })
                    .map_or(0, |h| h.0)
            };
            format!(
                "cyclictest latency (µs): p50 {} p99 {} p99.9 {} max {} ({} samples)",
                q(0.5),
                q(0.99),
                q(0.999),
                max,
                total
            )
        }
    }
}

/// The engine and the supervisor on a sim board, started as the daemon starts them
/// (`SafetyCore::start`).
pub(super) struct Core {
    pub shared: Arc<Shared>,
    pub sim: sim::SimHandle,
    pub trips: tokio::sync::mpsc::UnboundedReceiver<crate::safety::fault::Trip>,
    pub supervisor: std::sync::mpsc::Sender<crate::safety::supervisor::Command>,
    /// The safety core's software-fault hooks.
    pub faults: FaultInjection,
    /// The peak-current limit the supervisor enforces.
    pub peak_limit: MicroAmps,
    /// The device limits output is armed with.
    pub limits: crate::model::limits::Limits,
    core: SafetyCore,
}

impl Core {
    pub(super) fn start(channels: usize, max_rate: Hertz) -> Result<Core, BenchError> {
        let cfg = Config::default();
        let mut limits = cfg.limits()?;
        limits.max_rate = max_rate;
        let board = sim::build(cfg.sim.load_ohms, Default::default()).map_err(BenchError::Board)?;
        let sim = board.sim.clone().ok_or(BenchError::NoSimHandle)?;
        let shared = Arc::new(Shared::new());
        let peak_limit = limits.peak_current;
        let (core, CoreLinks { trips, commands }) = SafetyCore::start(
            &shared,
            board.engine,
            board.safety,
            CoreConfig {
                limits: limits.clone(),
                engine: EngineSettings {
                    lead: Micros(cfg.engine.lead_us),
                    rt_priority: cfg.engine.rt_priority,
                    channels,
                },
                supervisor: SupervisorSettings {
                    period_ns: 500_000,
                    rt_priority: cfg.supervisor.rt_priority,
                    channels,
                },
                hw_watchdog: None,
                hardware_unavailable: None,
            },
        )?;
        Ok(Core {
            shared,
            sim,
            trips,
            supervisor: commands,
            faults: core.faults(),
            peak_limit,
            limits,
            core,
        })
    }

    pub(super) fn stop(self) {
        self.core.stop();
    }
}

/// Ramps every channel from zero to 1 mA at 1 mA/s (inside the 2 mA/s rise limit).
fn ramp_up(shared: &Shared, channels: usize, shape: Shape) {
    for step in 1..=20u32 {
        for ch in 0..channels {
            shared.set_setpoint(ch, Setpoint::new(MicroAmps(step * 50), shape));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Acknowledges a trip once its cause is gone (retrying for up to 5 s).
pub(super) fn recover(sup: &std::sync::mpsc::Sender<crate::safety::supervisor::Command>) {
    for _ in 0..100 {
        let (reply, rx) = tokio::sync::oneshot::channel();
        if sup
            .send(crate::safety::supervisor::Command::Acknowledge(reply))
            .is_err()
        {
            return;
        }
        if let Ok(Ok(())) = rx.blocking_recv() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `stimd bench timing` with `a` and prints its figures on standard output.
pub fn timing(a: &TimingArgs) -> Result<(), BenchError> {
    let channels = a.channels.clamp(1, 2);
    println!(
        "stimd bench timing: {} channel(s), {} Hz, {} µs phases, {} s",
        channels, a.rate, a.phase, a.seconds
    );
    if !a.no_cyclictest {
        println!("running cyclictest for {} s …", a.seconds);
        println!("{}", cyclictest(a.seconds));
    }
    let mut core = Core::start(channels, Hertz(200.0))?;
    let shared = core.shared.clone();

    // Idle CPU first.
    let idle_before = thread_cpu();
    let (c0, t0) = (cpu_seconds(), Instant::now());
    std::thread::sleep(Duration::from_secs(5));
    let idle_secs = t0.elapsed().as_secs_f64();
    let idle = (cpu_seconds() - c0) / idle_secs * 100.0;
    let idle_after = thread_cpu();

    // Arm and ramp within the rise limit, then measure. A machine that stalls real-time
    // threads makes the supervisor trip (correctly); the bench then does what a person would:
    // acknowledge, ramp from zero again, and count the trip.
    shared.arm(&crate::safety::armed::ArmedLimits::device(&core.limits));
    let shape = Shape {
        phase: Micros(a.phase),
        rate: Hertz(a.rate),
    };
    ramp_up(&shared, channels, shape);
    let st = shared.observe().stats();
    st.onset_error.reset();
    st.phase_error.reset();
    st.spin_ns.store(0, Ordering::Relaxed);
    let pulses_before: u64 = (0..channels).map(|c| shared.observe().pulses(c)).sum();
    let threads_before = thread_cpu();
    let (c0, t0) = (cpu_seconds(), Instant::now());
    let mut trips: Vec<String> = Vec::new();
    while t0.elapsed() < Duration::from_secs(a.seconds) {
        std::thread::sleep(Duration::from_millis(50));
        if let Ok(trip) = core.trips.try_recv() {
            trips.push(format!("{}: {}", trip.code.as_str(), trip.message));
            shared.zero_all();
            recover(&core.supervisor);
            ramp_up(&shared, channels, shape);
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let running = (cpu_seconds() - c0) / secs * 100.0;
    let threads_after = thread_cpu();
    let spin = shared.observe().stats().spin_ns.load(Ordering::Relaxed) as f64 / 1e9 / secs * 100.0;
    core.stop();
    println!(
        "supervisor trips during the run (each followed by acknowledge and a new ramp): {}",
        trips.len()
    );
    for t in &trips {
        println!("  {t}");
    }
    let st = shared.observe().stats();
    let pulses: u64 = (0..channels)
        .map(|c| shared.observe().pulses(c))
        .sum::<u64>()
        - pulses_before;
    println!(
        "pulses delivered: {pulses} ({:.2} per second per channel)",
        pulses as f64 / secs / channels as f64
    );
    println!("onset error (µs):       {}", st.onset_error.summary());
    println!("phase-width error (µs): {}", st.phase_error.summary());
    println!("CPU, whole process (includes the sim board's own model and trace threads):");
    println!(
        "  idle {idle:.2} % of one core; running {running:.1} % (engine spinning {spin:.1} %)"
    );
    println!("CPU per thread, % of one core:   idle    running");
    for (name, _) in &threads_after {
        let per = |a: &[(String, f64)], b: &[(String, f64)], s: f64| {
            let x = a.iter().find(|(n, _)| n == name).map_or(0.0, |t| t.1);
            let y = b.iter().find(|(n, _)| n == name).map_or(0.0, |t| t.1);
            (x - y) / s * 100.0
        };
        let i = per(&idle_after, &idle_before, idle_secs);
        let r = per(&threads_after, &threads_before, secs);
        println!("  {name:<28} {i:>6.2}  {r:>8.2}");
    }
    println!("RSS high-water mark: {:.1} MiB", rss_kib() as f64 / 1024.0);
    println!("(histogram buckets are 1 µs wide; a quantile is the bucket's upper edge)");
    Ok(())
}
