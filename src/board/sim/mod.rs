//! The simulated board: the same parts as the reference board, modelled in memory.
//!
//! Models the MCP4922 DAC (decoding real SPI frames), each channel's analog output stage with
//! its offset and gain error (`[sim] analog_offset_ua`, `analog_gain_ppm`; none by default),
//! the electrode load, contact sense, the overcurrent comparator, the HV enable and the
//! interlock monostable that cuts the output when its heartbeat stops for 10 ms. It can write
//! every DAC code and every output-enable change with its timestamp to a trace (CSV, or VCD for waveform viewers), and it
//! takes scripted contact loss, battery levels and injected faults. Its model thread plays the
//! part of the hardware: it never calls into the daemon.

mod pins;
pub mod registers;
mod spi;
mod trace;
mod trace_vcd;

use crate::board::dac::mcp4922::{Mcp4922, BITS};
use crate::board::dac::Transfers;
use crate::board::{Board, Button, ButtonEdge, EngineIo, SafetyIo};
use crate::clock::now_ns;
use registers::{Backing, Reg, Registers};
pub use registers::{INTERLOCK_TIMEOUT_NS, MID};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
pub use trace::TraceFormat;

/// Board fault kinds `InjectFault` takes. `phase_stall` stalls the engine inside the DAC
/// transfer that latched a phase, so the phase is held too long (a stuck phase);
/// `supervisor_stall` stalls the supervisor as it drives the interlock.
pub const FAULT_KINDS: [&str; 5] = [
    "overcurrent",
    "spi_error",
    "gpio_error",
    "phase_stall",
    "supervisor_stall",
];

/// State of the simulated hardware, shared by its pins, its SPI device and its model thread:
/// the registers (see `registers`) and the trace.
pub struct SimState {
    regs: Backing,
    trace: Option<trace::TraceSink>,
    buttons: tokio::sync::mpsc::UnboundedSender<ButtonEdge>,
    /// Each channel's output stage: code → ideal current → gain and offset error.
    analog: Transfers,
}

impl SimState {
    /// The registers, named.
    fn regs(&self) -> Registers<'_> {
        self.regs.registers()
    }

    /// The current channel `ch`'s output stage drives at `code` (µA, the modelled analog
    /// current: what a meter in series with the load would read while the stage is on).
    fn analog_microamps(&self, ch: usize, code: u16) -> i32 {
        self.analog.get(ch).microamps(code, BITS)
    }

    /// Whether `code` drives a current on channel `ch`: it is not the code nearest 0 µA on the
    /// modelled hardware (mid-scale on an ideal board).
    fn drives_current(&self, ch: usize, code: u16) -> bool {
        code != self.analog.get(ch).rest_code(BITS)
    }

    /// Whether an injected fault lasting until `deadline` (monotonic ns) is present now.
    fn active_until(deadline: &Reg<'_, u64>) -> bool {
        now_ns() < deadline.load(Ordering::Acquire)
    }
}

/// A cloneable handle on the simulated board for the `Sim` D-Bus interface and tests.
#[derive(Clone)]
pub struct SimHandle(Arc<SimState>);

impl SimHandle {
    /// Puts a channel's pads on the skin (`true`) or takes them off.
    pub fn set_contact(&self, channel: usize, present: bool) {
        if let Some(p) = self.0.regs().pads_on.get(channel) {
            p.store(present, Ordering::Release);
            if let Some(t) = &self.0.trace {
                t.push(trace::Event::contact(now_ns(), channel as u8, present));
            }
        }
    }

    /// Presses (`true`) or releases a push button: one raw edge, as the line would give.
    pub fn set_button(&self, button: Button, pressed: bool) {
        let _ = self.0.buttons.send(ButtonEdge {
            button,
            pressed,
            t_ns: now_ns(),
        });
    }

    /// Sets the battery level the board reports (percent, −1 = unknown).
    pub fn set_battery(&self, percent: i32) {
        self.0.regs().battery.store(percent, Ordering::Release);
    }

    /// Whether the output stage passes current now (HV on and the interlock fresh).
    pub fn output_enabled(&self) -> bool {
        self.0.regs().output_enabled(now_ns())
    }

    /// When the output stage was last cut after `since_ns`: by the HV enable going off, or by
    /// the interlock monostable expiring 10 ms after its last toggle. `None` if not yet.
    pub fn output_cut_after(&self, since_ns: u64) -> Option<u64> {
        let s = &self.0;
        let hv = s.regs().hv_cut_ns.load(Ordering::Acquire);
        let expiry = s.regs().interlock_expiry_ns();
        let now = now_ns();
        [hv, expiry]
            .into_iter()
            .filter(|&t| t > since_ns && t <= now)
            .min()
    }

    /// When an SPI transfer first failed since `clear_spi_failure` (the moment an injected
    /// `spi_error` actually hit the engine).
    pub fn spi_failure_ns(&self) -> Option<u64> {
        Some(self.0.regs().spi_failed_ns.load(Ordering::Acquire)).filter(|&t| t != 0)
    }

    /// Forgets the first SPI failure, so `spi_failure_ns` reports the next one.
    pub fn clear_spi_failure(&self) {
        self.0.regs().spi_failed_ns.store(0, Ordering::Release);
    }

    /// When the DAC latched the code of the phase a `phase_stall` held, since
    /// `clear_phase_stall`.
    pub fn phase_stalled_ns(&self) -> Option<u64> {
        Some(self.0.regs().phase_stalled_ns.load(Ordering::Acquire)).filter(|&t| t != 0)
    }

    /// Forgets the stalled phase, so `phase_stalled_ns` reports the next one.
    pub fn clear_phase_stall(&self) {
        self.0.regs().phase_stalled_ns.store(0, Ordering::Release);
    }

    /// Watches for the first DAC code whose modelled current is at least `microamps` (either
    /// polarity); 0 stops.
    pub fn probe_current(&self, microamps: u32) {
        self.0.regs().probe_hit_ns.store(0, Ordering::Release);
        self.0.regs().probe_ua.store(microamps, Ordering::Release);
    }

    /// When the probe saw its current, if it has.
    pub fn probe_hit_ns(&self) -> Option<u64> {
        Some(self.0.regs().probe_hit_ns.load(Ordering::Acquire)).filter(|&t| t != 0)
    }

    /// At shutdown, once the output is off: lets the hardware model record the last
    /// output-enable change (it polls every millisecond), then writes everything the trace
    /// holds and stops its writer (at most `timeout`). Without a trace it does nothing.
    pub fn finish_trace(&self, timeout: Duration) {
        if let Some(t) = &self.0.trace {
            std::thread::sleep(Duration::from_millis(10));
            t.finish(timeout);
        }
    }

    /// Battery level in percent, −1 when unknown.
    pub fn battery(&self) -> i32 {
        self.0.regs().battery.load(Ordering::Acquire)
    }

    /// Makes the fault `kind` present for `duration_ms`. Returns false for an unknown kind.
    /// Stalls take effect at the next use of the stalled part (an SPI transfer for the engine,
    /// an interlock toggle for the supervisor).
    pub fn inject(&self, kind: &str, duration_ms: u32) -> bool {
        let until = now_ns() + u64::from(duration_ms) * 1_000_000;
        let s = &self.0;
        match kind {
            "overcurrent" => s
                .regs()
                .overcurrent_until_ns
                .store(until, Ordering::Release),
            "spi_error" => s.regs().spi_error_until_ns.store(until, Ordering::Release),
            "gpio_error" => s.regs().gpio_error_until_ns.store(until, Ordering::Release),
            "phase_stall" => s
                .regs()
                .phase_stall_ms
                .store(duration_ms, Ordering::Release),
            "supervisor_stall" => s
                .regs()
                .supervisor_stall_ms
                .store(duration_ms, Ordering::Release),
            _ => return false,
        }
        true
    }
}

/// Where the simulated board's state goes besides memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimOutputs<'a> {
    /// Every DAC write and output-enable change: CSV for a `.csv` file, a Value Change Dump
    /// for `.vcd` (see [`TraceFormat`]).
    pub trace: Option<&'a Path>,
    /// The registers in a shared-memory file another process can watch (see `registers`).
    pub hardware_file: Option<&'a Path>,
}

/// What the simulated hardware is: its load, its analog errors, and the calibration its DAC
/// driver corrects for.
#[derive(Debug, Clone, Copy)]
pub struct SimSettings {
    /// The electrode load, Ω (the trace's voltage column).
    pub load_ohms: u32,
    /// Each channel's modelled output-stage errors (`[sim] analog_*`).
    pub analog: Transfers,
    /// The calibration the DAC driver maps currents through (`[calibration]`).
    pub calibration: Transfers,
}

/// Builds an ideal, uncalibrated simulated board, with the voltage each current develops
/// across an electrode load of `load_ohms` in the trace.
pub fn build(load_ohms: u32, out: SimOutputs<'_>) -> std::io::Result<Board> {
    build_with(
        SimSettings {
            load_ohms,
            analog: Transfers::IDEAL,
            calibration: Transfers::IDEAL,
        },
        out,
    )
}

/// Builds the simulated board as `settings` describe it.
pub fn build_with(settings: SimSettings, out: SimOutputs<'_>) -> std::io::Result<Board> {
    let trace = out
        .trace
        .map(|p| trace::TraceSink::create(p, settings.load_ohms))
        .transpose()?;
    let (buttons, button_edges) = tokio::sync::mpsc::unbounded_channel();
    let state = Arc::new(SimState {
        regs: Backing::new(out.hardware_file)?,
        trace,
        buttons,
        analog: settings.analog,
    });
    if let Some(t) = &state.trace {
        // The trace starts from the DAC's power-on codes and the current they drive (with an
        // analog offset, mid-scale is not 0 µA).
        let now = now_ns();
        for ch in 0..2u8 {
            let ua = state.analog_microamps(usize::from(ch), MID);
            t.push(trace::Event::dac(now, ch, MID, ua));
        }
    }
    spawn_model(state.clone())?;
    let dac = Mcp4922::new(spi::SimSpi(state.clone())).calibrated(settings.calibration);
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
        buttons: Some(button_edges),
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
                let on = state.regs().output_enabled(now);
                if on != enabled {
                    enabled = on;
                    let at = if on {
                        now
                    } else {
                        state.regs().interlock_expiry_ns().min(now)
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
