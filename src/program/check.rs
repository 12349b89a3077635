//! Validation of a program against each mode's ranges (`ranges`) narrowed by the effective
//! limits: every problem is listed with its key, value and allowed range.

use super::{ranges, Mode, Program, Sweep};
use crate::model::limits::Limits;
use std::ops::RangeInclusive;

impl Mode {
    /// Every out-of-range parameter, as `segments[i].key = value is out of range (allowed: …)`.
    fn problems(&self, at: &str, limits: &Limits, out: &mut Vec<String>) {
        use ranges::*;
        let rate = |out: &mut Vec<String>, key: &str, v: f64, r: RangeInclusive<f64>| {
            let r = narrow_f(r, limits.min_rate.0..=limits.max_rate.0);
            check_f(out, &format!("{at}.{key}"), v, r);
        };
        let phase = |out: &mut Vec<String>, key: &str, v: u32, r: RangeInclusive<u32>| {
            let r = narrow_u(r, limits.min_phase_width.0..=limits.max_phase_width.0);
            check_u(out, &format!("{at}.{key}"), v, r);
        };
        match *self {
            Mode::Conventional { rate_hz, phase_us } => {
                rate(out, "rate_hz", rate_hz, CONVENTIONAL_RATE_HZ);
                phase(out, "phase_us", phase_us, CONVENTIONAL_PHASE_US);
            }
            Mode::Acupuncture { rate_hz, phase_us } => {
                rate(out, "rate_hz", rate_hz, ACUPUNCTURE_RATE_HZ);
                phase(out, "phase_us", phase_us, ACUPUNCTURE_PHASE_US);
            }
            Mode::Burst {
                rate_hz,
                pulses,
                inner_rate_hz,
                phase_us,
            } => {
                check_f(out, &format!("{at}.rate_hz"), rate_hz, BURST_RATE_HZ);
                check_u(out, &format!("{at}.pulses"), pulses, BURST_PULSES);
                rate(out, "inner_rate_hz", inner_rate_hz, BURST_INNER_RATE_HZ);
                phase(out, "phase_us", phase_us, BURST_PHASE_US);
            }
            Mode::Modulated {
                rate_hz,
                phase_us,
                period_s,
                sweep,
            } => {
                rate(out, "rate_hz", rate_hz, MODULATED_RATE_HZ);
                phase(out, "phase_us", phase_us, MODULATED_PHASE_US);
                check_f(out, &format!("{at}.period_s"), period_s, MODULATED_PERIOD_S);
                match sweep {
                    Sweep::Rate { to_hz } => rate(out, "sweep_to_hz", to_hz, MODULATED_RATE_HZ),
                    Sweep::Width { to_us } => phase(out, "sweep_to_us", to_us, MODULATED_PHASE_US),
                    Sweep::Amplitude { min_percent } => check_u(
                        out,
                        &format!("{at}.amplitude_min_percent"),
                        min_percent,
                        MODULATED_AMPLITUDE_MIN_PERCENT,
                    ),
                }
            }
            Mode::Ems {
                rate_hz,
                phase_us,
                ramp_up_s,
                on_s,
                ramp_down_s,
                off_s,
            } => {
                let band = if rate_hz < 15.0 {
                    EMS_RELAX_RATE_HZ
                } else {
                    EMS_RATE_HZ
                };
                let lim = narrow_f(band, limits.min_rate.0..=limits.max_rate.0);
                if !lim.contains(&rate_hz) {
                    out.push(format!(
                        "{at}.rate_hz = {rate_hz} is out of range (allowed: {}..={} for contraction or {}..={} for relaxation)",
                        EMS_RATE_HZ.start(), EMS_RATE_HZ.end(), EMS_RELAX_RATE_HZ.start(), EMS_RELAX_RATE_HZ.end()
                    ));
                }
                phase(out, "phase_us", phase_us, EMS_PHASE_US);
                check_f(out, &format!("{at}.ramp_up_s"), ramp_up_s, EMS_RAMP_S);
                check_f(out, &format!("{at}.on_s"), on_s, EMS_ON_S);
                check_f(out, &format!("{at}.ramp_down_s"), ramp_down_s, EMS_RAMP_S);
                check_f(out, &format!("{at}.off_s"), off_s, EMS_OFF_S);
            }
        }
    }
}

fn narrow_f(a: RangeInclusive<f64>, b: RangeInclusive<f64>) -> RangeInclusive<f64> {
    a.start().max(*b.start())..=a.end().min(*b.end())
}

fn narrow_u(a: RangeInclusive<u32>, b: RangeInclusive<u32>) -> RangeInclusive<u32> {
    *a.start().max(b.start())..=*a.end().min(b.end())
}

fn check_f(out: &mut Vec<String>, key: &str, v: f64, r: RangeInclusive<f64>) {
    if !r.contains(&v) {
        out.push(format!(
            "{key} = {v} is out of range (allowed: {}..={})",
            r.start(),
            r.end()
        ));
    }
}

fn check_u(out: &mut Vec<String>, key: &str, v: u32, r: RangeInclusive<u32>) {
    if !r.contains(&v) {
        out.push(format!(
            "{key} = {v} is out of range (allowed: {}..={})",
            r.start(),
            r.end()
        ));
    }
}

impl Program {
    /// Checks every segment against its mode's ranges and the effective limits; lists each
    /// problem with the key, value and allowed range.
    pub fn check(&self, limits: &Limits) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !ranges::SEGMENTS.contains(&self.segments.len()) {
            problems.push(format!(
                "segments: {} segment(s) (allowed: {}..={})",
                self.segments.len(),
                ranges::SEGMENTS.start(),
                ranges::SEGMENTS.end()
            ));
        }
        for (i, seg) in self.segments.iter().enumerate() {
            let at = format!("segments[{i}]");
            seg.mode.problems(&at, limits, &mut problems);
            if let Some(s) = seg.seconds {
                check_u(
                    &mut problems,
                    &format!("{at}.seconds"),
                    s,
                    ranges::SEGMENT_S,
                );
            } else if i + 1 < self.segments.len() {
                problems.push(format!(
                    "{at}: needs `minutes` or `seconds` (only the last segment may run to the end of the session)"
                ));
            }
            check_u(
                &mut problems,
                &format!("{at}.interphase_us"),
                seg.interphase_us,
                ranges::INTERPHASE_US,
            );
            check_u(
                &mut problems,
                &format!("{at}.intensity_percent"),
                seg.intensity_percent,
                ranges::INTENSITY_PERCENT,
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}
