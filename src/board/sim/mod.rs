//! The simulated board: the same parts as the reference board, modelled in memory.
//!
//! Models the MCP4922 DAC (decoding real SPI frames), the electrode load, contact sense, the
//! overcurrent comparator, the HV enable and the interlock monostable that cuts the output when
//! its heartbeat stops for 10 ms. It can write every DAC code and every output-enable change
//! with its timestamp to a CSV trace, and it takes scripted contact loss, battery levels and
//! injected faults. Its model thread plays the part of the hardware: it never calls into the
//! daemon.

mod pins;
mod spi;
pub mod trace;

use crate::board::dac::mcp4922::Mcp4922;
use crate::board::{Board, EngineIo, SafetyIo};
use crate::clock::now_ns;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU16, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long the interlock monostable holds the output enabled after its last toggle.
pub const INTERLOCK_TIMEOUT_NS: u64 = 10_000_000;

/// Fault kinds `InjectFault` takes.
pub const FAULT_KINDS: [&str; 5] = [
    "overcurrent",
    "spi_error",
    "gpio_error",
    "engine_stall",
    "supervisor_stall",
];

/// State of the simulated hardware, shared by its pins, its SPI device and its model thread.
pub struct SimState {
    codes: [AtomicU16; 2],
    pads_on: [AtomicBool; 2],
    hv_enable: AtomicBool,
    /// When the HV enable last went from on to off (monotonic ns).
    hv_cut_ns: AtomicU64,
    interlock_level: AtomicBool,
    interlock_toggled_ns: AtomicU64,
    overcurrent_until_ns: AtomicU64,
    spi_error_until_ns: AtomicU64,
    /// When a transfer first failed since the last `clear_spi_failure` (0 = none).
    spi_failed_ns: AtomicU64,
    gpio_error_until_ns: AtomicU64,
    engine_stall_ms: AtomicU32,
    supervisor_stall_ms: AtomicU32,
    battery: AtomicI32,
    trace: Option<trace::TraceSink>,
}

impl SimState {
    fn output_enabled(&self, now: u64) -> bool {
        self.hv_enable.load(Ordering::Acquire)
            && now.saturating_sub(self.interlock_toggled_ns.load(Ordering::Acquire))
                < INTERLOCK_TIMEOUT_NS
    }

    fn active_until(deadline: &AtomicU64) -> bool {
        now_ns() < deadline.load(Ordering::Acquire)
    }
}

/// A cloneable handle on the simulated board for the `Sim` D-Bus interface and tests.
#[derive(Clone)]
pub struct SimHandle(Arc<SimState>);

impl SimHandle {
    /// Puts a channel's pads on the skin (`true`) or takes them off.
    pub fn set_contact(&self, channel: usize, present: bool) {
        if let Some(p) = self.0.pads_on.get(channel) {
            p.store(present, Ordering::Release);
            if let Some(t) = &self.0.trace {
                t.push(trace::Event::contact(now_ns(), channel as u8, present));
            }
        }
    }

    pub fn set_battery(&self, percent: i32) {
        self.0.battery.store(percent, Ordering::Release);
    }

    /// Whether the output stage passes current now (HV on and the interlock fresh).
    pub fn output_enabled(&self) -> bool {
        self.0.output_enabled(now_ns())
    }

    /// When the output stage was last cut after `since_ns`: by the HV enable going off, or by
    /// the interlock monostable expiring 10 ms after its last toggle. `None` if not yet.
    pub fn output_cut_after(&self, since_ns: u64) -> Option<u64> {
        let s = &self.0;
        let hv = s.hv_cut_ns.load(Ordering::Acquire);
        let expiry = s.interlock_toggled_ns.load(Ordering::Acquire) + INTERLOCK_TIMEOUT_NS;
        let now = now_ns();
        [hv, expiry]
            .into_iter()
            .filter(|&t| t > since_ns && t <= now)
            .min()
    }

    /// When an SPI transfer first failed since `clear_spi_failure` (the moment an injected
    /// `spi_error` actually hit the engine).
    pub fn spi_failure_ns(&self) -> Option<u64> {
        Some(self.0.spi_failed_ns.load(Ordering::Acquire)).filter(|&t| t != 0)
    }

    pub fn clear_spi_failure(&self) {
        self.0.spi_failed_ns.store(0, Ordering::Release);
    }

    /// Battery level in percent, −1 when unknown.
    pub fn battery(&self) -> i32 {
        self.0.battery.load(Ordering::Acquire)
    }

    /// Makes the fault `kind` present for `duration_ms`. Returns false for an unknown kind.
    /// Stalls take effect at the next use of the stalled part (an SPI transfer for the engine,
    /// an interlock toggle for the supervisor).
    pub fn inject(&self, kind: &str, duration_ms: u32) -> bool {
        let until = now_ns() + u64::from(duration_ms) * 1_000_000;
        let s = &self.0;
        match kind {
            "overcurrent" => s.overcurrent_until_ns.store(until, Ordering::Release),
            "spi_error" => s.spi_error_until_ns.store(until, Ordering::Release),
            "gpio_error" => s.gpio_error_until_ns.store(until, Ordering::Release),
            "engine_stall" => s.engine_stall_ms.store(duration_ms, Ordering::Release),
            "supervisor_stall" => s.supervisor_stall_ms.store(duration_ms, Ordering::Release),
            _ => return false,
        }
        true
    }
}

const MID: u16 = 2048;

/// Builds the simulated board; with `trace`, every DAC write and output-enable change goes to
/// that CSV file, with the voltage the current develops across an electrode load of
/// `load_ohms`.
pub fn build(load_ohms: u32, trace_path: Option<&Path>) -> std::io::Result<Board> {
    let trace = trace_path
        .map(|p| trace::TraceSink::create(p, load_ohms))
        .transpose()?;
    let state = Arc::new(SimState {
        codes: [AtomicU16::new(MID), AtomicU16::new(MID)],
        pads_on: [AtomicBool::new(true), AtomicBool::new(true)],
        hv_enable: AtomicBool::new(false),
        hv_cut_ns: AtomicU64::new(0),
        interlock_level: AtomicBool::new(false),
        interlock_toggled_ns: AtomicU64::new(0),
        overcurrent_until_ns: AtomicU64::new(0),
        spi_error_until_ns: AtomicU64::new(0),
        spi_failed_ns: AtomicU64::new(0),
        gpio_error_until_ns: AtomicU64::new(0),
        engine_stall_ms: AtomicU32::new(0),
        supervisor_stall_ms: AtomicU32::new(0),
        battery: AtomicI32::new(100),
        trace,
    });
    spawn_model(state.clone())?;
    let dac = Mcp4922::new(spi::SimSpi(state.clone()));
    Ok(Board {
        name: "sim",
        engine: EngineIo {
            dac: Box::new(dac),
            contacts: (0..2)
                .map(|ch| Box::new(pins::ContactPin(state.clone(), ch)) as _)
                .collect(),
        },
        safety: SafetyIo {
            interlock: Box::new(pins::InterlockPin(state.clone())),
            hv_enable: Box::new(pins::HvEnablePin(state.clone())),
            overcurrent: Box::new(pins::OvercurrentPin(state.clone())),
        },
        sim: Some(SimHandle(state)),
    })
}

/// The hardware model: watches the output-enable path and records each change at the moment
/// it happened (for the monostable, 10 ms after the last toggle).
fn spawn_model(state: Arc<SimState>) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("sim-model".into())
        .spawn(move || {
            let mut enabled = false;
            loop {
                let now = now_ns();
                let on = state.output_enabled(now);
                if on != enabled {
                    enabled = on;
                    let at = if on {
                        now
                    } else {
                        let cut = state.interlock_toggled_ns.load(Ordering::Acquire)
                            + INTERLOCK_TIMEOUT_NS;
                        cut.min(now)
                    };
                    if let Some(t) = &state.trace {
                        t.push(trace::Event::enable(at, on));
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })?;
    Ok(())
}
