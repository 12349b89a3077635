//! Range checks of every configuration key against the ceilings of DESIGN.md §5.

use super::Config;
use crate::safety::limits::{ceiling, Limits};
use crate::units::{Hertz, MicroAmps, Micros, NanoCoulombs, SquareCm};
use std::fmt;

/// One configuration value out of its allowed range.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub key: &'static str,
    pub value: String,
    pub allowed: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {} is out of range (allowed: {})",
            self.key, self.value, self.allowed
        )
    }
}

struct Checker(Vec<Problem>);

impl Checker {
    fn range<T: PartialOrd + fmt::Display>(&mut self, key: &'static str, value: T, lo: T, hi: T) {
        // `!(a <= b)` also catches NaN.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        if !(lo <= value && value <= hi) {
            self.0.push(Problem {
                key,
                value: value.to_string(),
                allowed: format!("{lo}..={hi}"),
            });
        }
    }
    fn fail(&mut self, key: &'static str, value: impl fmt::Display, allowed: impl Into<String>) {
        self.0.push(Problem {
            key,
            value: value.to_string(),
            allowed: allowed.into(),
        });
    }
}

pub(super) fn problems(c: &Config) -> Vec<Problem> {
    let mut k = Checker(Vec::new());
    let l = &c.limits;
    k.range(
        "device.channels",
        c.device.channels,
        1,
        ceiling::CHANNELS as u32,
    );
    if !matches!(c.device.locale.as_str(), "nl" | "en") {
        k.fail(
            "device.locale",
            format!("{:?}", c.device.locale),
            "\"nl\" or \"en\"",
        );
    }
    k.range(
        "limits.peak_current_ua",
        l.peak_current_ua,
        1,
        ceiling::PEAK_CURRENT.0,
    );
    k.range(
        "limits.rms_current_ua",
        l.rms_current_ua,
        1,
        ceiling::RMS_CURRENT.0,
    );
    k.range(
        "limits.current_density_ua_per_cm2",
        l.current_density_ua_per_cm2,
        1,
        ceiling::CURRENT_DENSITY_UA_PER_CM2,
    );
    k.range(
        "limits.charge_per_phase_nc",
        l.charge_per_phase_nc,
        1,
        ceiling::CHARGE_PER_PHASE.0,
    );
    let (pmin, pmax) = (ceiling::MIN_PHASE_WIDTH.0, ceiling::MAX_PHASE_WIDTH.0);
    k.range(
        "limits.min_phase_width_us",
        l.min_phase_width_us,
        pmin,
        pmax,
    );
    k.range(
        "limits.max_phase_width_us",
        l.max_phase_width_us,
        l.min_phase_width_us.max(pmin),
        pmax,
    );
    let (rmin, rmax) = (ceiling::MIN_RATE.0, ceiling::MAX_RATE.0);
    k.range("limits.min_rate_hz", l.min_rate_hz, rmin, rmax);
    k.range(
        "limits.max_rate_hz",
        l.max_rate_hz,
        l.min_rate_hz.max(rmin),
        rmax,
    );
    k.range(
        "limits.rise_rate_ua_per_s",
        l.rise_rate_ua_per_s,
        1,
        ceiling::RISE_RATE_UA_PER_S,
    );
    // At least 100 steps over the board's range of peak current.
    k.range(
        "limits.intensity_step_ua",
        l.intensity_step_ua,
        1,
        ceiling::PEAK_CURRENT.0 / 100,
    );
    k.range(
        "limits.session_max_min",
        l.session_max_min,
        1,
        ceiling::SESSION_MINUTES,
    );
    k.range(
        "limits.session_default_min",
        l.session_default_min,
        1,
        l.session_max_min.max(1),
    );
    k.range("electrodes.area_cm2", c.electrodes.area_cm2, 1.0, 400.0);
    k.range("engine.lead_us", c.engine.lead_us, 0, 2_000);
    k.range("engine.rt_priority", c.engine.rt_priority, 1, 98);
    // The interlock must toggle at ≥ 1 kHz: one toggle per supervisor loop.
    k.range("supervisor.period_us", c.supervisor.period_us, 100, 1_000);
    k.range(
        "supervisor.rt_priority",
        c.supervisor.rt_priority,
        c.engine.rt_priority + 1,
        99,
    );
    k.range("sim.load_ohms", c.sim.load_ohms, 100, 100_000);
    k.0
}

pub(super) fn limits_of(c: &Config) -> Limits {
    let l = &c.limits;
    Limits {
        peak_current: MicroAmps(l.peak_current_ua),
        rms_current: MicroAmps(l.rms_current_ua),
        current_density_ua_per_cm2: l.current_density_ua_per_cm2,
        charge_per_phase: NanoCoulombs(l.charge_per_phase_nc),
        min_phase_width: Micros(l.min_phase_width_us),
        max_phase_width: Micros(l.max_phase_width_us),
        min_rate: Hertz(l.min_rate_hz),
        max_rate: Hertz(l.max_rate_hz),
        rise_rate_ua_per_s: l.rise_rate_ua_per_s,
        intensity_step: MicroAmps(l.intensity_step_ua),
        electrode_area: SquareCm(c.electrodes.area_cm2),
    }
}
