//! A segment's waveform as the engine runs it: pure functions of the time since the segment
//! began — when the pulses fall, how wide they are, and what share of the person's intensity
//! each one gets. Bursts, sweeps and EMS work/rest cycles are computed here, per pulse, so
//! their timing is exact to the pulse and never depends on a tokio timer.
//!
//! `Copy`, no allocation, no clock: the engine calls it inside its real-time loop. The
//! session publishes it to the engine as `WORDS` plain words (`to_words` / `from_words`).

use crate::model::limits::Shape;
use crate::model::units::{Hertz, Micros};

/// What a modulated pattern sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sweep {
    /// Nothing sweeps: a steady train (or bursts, or an EMS cycle).
    #[default]
    None = 0,
    /// Rate from `period_us` to the period `sweep_to` (µs), linear in Hz.
    Rate = 1,
    /// Phase width from `phase_us` to `sweep_to` (µs).
    Width = 2,
    /// Amplitude from 100 % down to `sweep_to` ‰.
    Amplitude = 3,
}

impl Sweep {
    fn from_u32(v: u32) -> Sweep {
        match v {
            1 => Sweep::Rate,
            2 => Sweep::Width,
            3 => Sweep::Amplitude,
            _ => Sweep::None,
        }
    }
}

/// The waveform. Every field is a whole number so it crosses threads as plain words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pattern {
    /// Pulse period (the inner period of a burst), µs.
    pub period_us: u32,
    /// Width of each of the two phases, µs (the start of a width sweep).
    pub phase_us: u32,
    /// Pulses per burst train; 0 for a steady train.
    pub burst_pulses: u32,
    /// Burst trains start this often, µs.
    pub train_us: u32,
    /// What sweeps, if anything.
    pub sweep: Sweep,
    /// Where the sweep turns: a period or a phase width in µs, or an amplitude share in ‰,
    /// as `sweep` says.
    pub sweep_to: u32,
    /// One sweep, there and back, ms.
    pub sweep_ms: u32,
    /// EMS work/rest cycle: rise from zero to full intensity, ms.
    pub ramp_up_ms: u32,
    /// EMS work/rest cycle: time at full intensity, ms; 0 means no cycle (the other three
    /// are then ignored and every pulse gets the full intensity).
    pub on_ms: u32,
    /// EMS work/rest cycle: fall from full intensity to zero, ms.
    pub ramp_down_ms: u32,
    /// EMS work/rest cycle: rest at zero before the next ramp up, ms.
    pub off_ms: u32,
    /// Pause at zero between the two phases of a pulse, µs (0: none).
    pub gap_us: u32,
}

/// One pulse as the pattern makes it, before the intensity is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PulseShape {
    /// Width of each of the two phases.
    pub phase: Micros,
    /// Pause between the phases.
    pub gap: Micros,
    /// Time to the next pulse of the train (the rate the limits see), µs.
    pub interval: Micros,
    /// Share of the intensity, ‰ (0..=1000).
    pub factor_permille: u32,
}

/// Words a pattern takes when published.
pub const WORDS: usize = 12;

const MS: u64 = 1_000_000;

impl Pattern {
    /// A steady train.
    pub fn steady(period_us: u32, phase_us: u32) -> Pattern {
        Pattern {
            period_us,
            phase_us,
            ..Pattern::default()
        }
    }

    /// Whether the pattern can make pulses at all.
    pub fn is_valid(&self) -> bool {
        self.period_us > 0
            && self.phase_us > 0
            && (self.burst_pulses == 0 || self.train_us > 0)
            && (self.sweep == Sweep::None || (self.sweep_ms > 0 && self.sweep_to > 0))
    }

    /// The pattern as plain words, for publishing to the engine through the shared port;
    /// `from_words` reads them back unchanged.
    pub fn to_words(self) -> [u32; WORDS] {
        [
            self.period_us,
            self.phase_us,
            self.burst_pulses,
            self.train_us,
            self.sweep as u32,
            self.sweep_to,
            self.sweep_ms,
            self.ramp_up_ms,
            self.on_ms,
            self.ramp_down_ms,
            self.off_ms,
            self.gap_us,
        ]
    }

    /// The pattern `to_words` wrote. An unknown sweep word reads as `Sweep::None`.
    pub fn from_words(w: [u32; WORDS]) -> Pattern {
        Pattern {
            period_us: w[0],
            phase_us: w[1],
            burst_pulses: w[2],
            train_us: w[3],
            sweep: Sweep::from_u32(w[4]),
            sweep_to: w[5],
            sweep_ms: w[6],
            ramp_up_ms: w[7],
            on_ms: w[8],
            ramp_down_ms: w[9],
            off_ms: w[10],
            gap_us: w[11],
        }
    }

    fn period_ns(&self) -> u64 {
        u64::from(self.period_us.max(1)) * 1_000
    }

    /// 0 → 1 → 0 over one sweep period (a triangle), 0 without a sweep.
    fn tri(&self, t_ns: u64) -> f64 {
        if self.sweep == Sweep::None || self.sweep_ms == 0 {
            return 0.0;
        }
        let p = u64::from(self.sweep_ms) * MS;
        let x = (t_ns % p) as f64 / p as f64;
        1.0 - (2.0 * x - 1.0).abs()
    }

    fn cycle_ms(&self) -> u64 {
        u64::from(self.ramp_up_ms)
            + u64::from(self.on_ms)
            + u64::from(self.ramp_down_ms)
            + u64::from(self.off_ms)
    }

    /// The work/rest envelope, ‰: ramp up, on, ramp down, off.
    fn cycle_permille(&self, t_ns: u64) -> u32 {
        if self.on_ms == 0 {
            return 1000;
        }
        let c = (t_ns / 1_000) % (self.cycle_ms() * 1_000); // µs into the cycle
        let up = u64::from(self.ramp_up_ms) * 1_000;
        let on = u64::from(self.on_ms) * 1_000;
        let down = u64::from(self.ramp_down_ms) * 1_000;
        if c < up {
            (c * 1000 / up) as u32
        } else if c < up + on {
            1000
        } else if c < up + on + down {
            (1000 - (c - up - on) * 1000 / down) as u32
        } else {
            0
        }
    }

    /// The pulse period at `t_ns`, ns.
    pub fn interval_ns(&self, t_ns: u64) -> u64 {
        if self.sweep == Sweep::Rate {
            let r0 = 1e9 / self.period_ns() as f64;
            let r1 = 1e9 / (u64::from(self.sweep_to.max(1)) * 1_000) as f64;
            let r = r0 + (r1 - r0) * self.tri(t_ns);
            (1e9 / r).round() as u64
        } else {
            self.period_ns()
        }
    }

    /// The pulse that starts `t_ns` into the segment.
    pub fn pulse_at(&self, t_ns: u64) -> PulseShape {
        let phase = if self.sweep == Sweep::Width {
            let (a, b) = (f64::from(self.phase_us), f64::from(self.sweep_to));
            (a + (b - a) * self.tri(t_ns)).round() as u32
        } else {
            self.phase_us
        };
        let sweep = if self.sweep == Sweep::Amplitude {
            let min = f64::from(self.sweep_to.min(1000));
            (1000.0 - (1000.0 - min) * self.tri(t_ns)).round() as u32
        } else {
            1000
        };
        PulseShape {
            phase: Micros(phase),
            gap: Micros(self.gap_us),
            interval: Micros((self.interval_ns(t_ns) / 1_000) as u32),
            factor_permille: sweep * self.cycle_permille(t_ns) / 1000,
        }
    }

    /// The first onset at or after `t_ns`.
    pub fn first_at_or_after(&self, t_ns: u64) -> u64 {
        let p = self.period_ns();
        if self.burst_pulses > 0 {
            let train = u64::from(self.train_us.max(1)) * 1_000;
            let start = t_ns / train * train;
            let k = (t_ns - start).div_ceil(p);
            if k < u64::from(self.burst_pulses) {
                start + k * p
            } else {
                start + train
            }
        } else if self.sweep == Sweep::Rate {
            t_ns
        } else {
            t_ns.div_ceil(p) * p
        }
    }

    /// The onset after the one at `prev_ns`.
    pub fn next_after(&self, prev_ns: u64) -> u64 {
        if self.burst_pulses > 0 {
            self.first_at_or_after(prev_ns + 1)
        } else {
            prev_ns + self.interval_ns(prev_ns)
        }
    }

    /// Where odd channels sit: half a pulse period later, so the channels never overlap.
    pub fn offset_ns(&self, channel: usize) -> u64 {
        if channel % 2 == 1 {
            self.period_ns() / 2
        } else {
            0
        }
    }

    /// The most demanding shape the pattern ever produces: the widest phase at the highest
    /// rate (the inner rate of a burst). Limits computed for it hold for every pulse.
    pub fn worst_shape(&self) -> Shape {
        let phase = if self.sweep == Sweep::Width {
            self.phase_us.max(self.sweep_to)
        } else {
            self.phase_us
        };
        let period = if self.sweep == Sweep::Rate {
            self.period_us.min(self.sweep_to)
        } else {
            self.period_us
        };
        Shape {
            phase: Micros(phase),
            rate: Hertz(1e6 / f64::from(period.max(1))),
        }
    }
}

#[cfg(test)]
impl Pattern {
    /// The onsets in [0, until) as the engine walks them (for the tests here and in
    /// `program`, which build patterns from a mode).
    pub(crate) fn onsets_until(&self, until: u64) -> Vec<u64> {
        let mut out = Vec::new();
        let mut t = self.first_at_or_after(0);
        while t < until {
            out.push(t);
            t = self.next_after(t);
        }
        out
    }
}

#[cfg(test)]
mod tests;
