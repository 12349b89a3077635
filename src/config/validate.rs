//! Range checks of every configuration key against the board's compiled-in ceilings (`model::limits::ceiling`).

use super::Config;
use crate::model::limits::{ceiling, Limits};
use crate::model::units::{Hertz, MicroAmps, Micros, NanoCoulombs, SquareCm};
use std::fmt;

/// One configuration value out of its allowed range.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Dotted, e.g. `limits.peak_current_ua`.
    pub key: &'static str,
    /// The value as configured.
    pub value: String,
    /// What is allowed, e.g. `1..=100000` or `"nl" or "en"`.
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
    /// A list with one value per channel in use (or none), each within `-max..=max`.
    fn per_channel(&mut self, key: &'static str, values: &[i32], max: i32, channels: usize) {
        if !values.is_empty() && values.len() != channels {
            let plural = if channels == 1 { "" } else { "s" };
            self.fail(
                key,
                format!("{values:?}"),
                format!(
                    "{channels} value{plural}, one per channel in use (device.channels = \
                     {channels}), or [] for none"
                ),
            );
        }
        for (ch, &v) in values.iter().enumerate() {
            if !(-max..=max).contains(&v) {
                self.fail(
                    key,
                    format!("{v} (channel {ch})"),
                    format!("{}..={max}", -max),
                );
            }
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
    let channels = c.device.channels as usize;
    use super::{CalibrationConfig as Cal, SimConfig as Sim};
    k.per_channel(
        "sim.analog_offset_ua",
        &c.sim.analog_offset_ua,
        Sim::ANALOG_OFFSET_MAX_UA,
        channels,
    );
    k.per_channel(
        "sim.analog_gain_ppm",
        &c.sim.analog_gain_ppm,
        Sim::ANALOG_GAIN_MAX_PPM,
        channels,
    );
    k.per_channel(
        "calibration.offset_ua",
        &c.calibration.offset_ua,
        Cal::OFFSET_MAX_UA,
        channels,
    );
    k.per_channel(
        "calibration.gain_ppm",
        &c.calibration.gain_ppm,
        Cal::GAIN_MAX_PPM,
        channels,
    );
    linux(&mut k, &c.linux);
    buttons(&mut k, &c.buttons);
    if c.care.admin_group.trim().is_empty() {
        k.fail("care.admin_group", "\"\"", "a group name");
    }
    k.range("care.pad_uses", c.care.pad_uses, 1, 200);
    k.range("battery.low_percent", c.battery.low_percent, 0, 100);
    k.range(
        "battery.critical_percent",
        c.battery.critical_percent,
        0,
        c.battery.low_percent.min(100),
    );
    k.range("watchdog.timeout_s", c.watchdog.timeout_s, 2, 60);
    let wd = &c.watchdog.device;
    if !wd.is_empty() && !wd.starts_with('/') {
        k.fail(
            "watchdog.device",
            format!("{wd:?}"),
            "an absolute path such as \"/dev/watchdog\", or \"\" for none",
        );
    }
    k.range("history.keep_days", c.history.keep_days, 0, 36_500);
    k.range("history.detail_days", c.history.detail_days, 0, 36_500);
    let supply = &c.battery.supply;
    if supply.contains('/') || supply.starts_with('.') {
        k.fail(
            "battery.supply",
            format!("{supply:?}"),
            "a power_supply name such as \"BAT0\"",
        );
    }
    k.0
}

fn linux(k: &mut Checker, l: &super::LinuxConfig) {
    k.range("linux.spi_speed_hz", l.spi_speed_hz, 100_000, 20_000_000);
    // The MCP4922 takes mode 0 or 3; the DAC8552 latches on the falling edge: mode 1 (or 2).
    let modes: &[u8] = if l.dac == "dac8552" { &[1, 2] } else { &[0, 3] };
    if !modes.contains(&l.spi_mode) {
        k.fail(
            "linux.spi_mode",
            l.spi_mode,
            format!("{} or {} for linux.dac = {:?}", modes[0], modes[1], l.dac),
        );
    }
    if l.dac != "mcp4922" && l.dac != "dac8552" {
        k.fail(
            "linux.dac",
            format!("{:?}", l.dac),
            "\"mcp4922\" or \"dac8552\"",
        );
    }
    for (key, path) in [
        ("linux.spi_device", &l.spi_device),
        ("linux.gpio_chip", &l.gpio_chip),
    ] {
        if !path.starts_with("/dev/") {
            k.fail(key, format!("{path:?}"), "a device node under /dev/");
        }
    }
    for (name, key) in [
        ("hv_enable", "linux.hv_enable"),
        ("interlock", "linux.interlock"),
        ("contact0", "linux.contact0"),
        ("contact1", "linux.contact1"),
        ("overcurrent", "linux.overcurrent"),
    ] {
        if l.line(name).is_some_and(|s| !s.is_fitted()) {
            k.fail(key, "\"\"", "a line offset or name (this line is required)");
        }
    }
    let names: Vec<&str> = super::LinuxConfig::line_names().collect();
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            let (Some(sa), Some(sb)) = (l.line(a), l.line(b)) else {
                continue;
            };
            if sa.is_fitted() && sb.is_fitted() && sa.same_line(sb, &l.gpio_chip) {
                k.fail(
                    "linux.lines",
                    format!("{a} = {b} = {sa}"),
                    "a distinct line for every function",
                );
            }
        }
    }
    for name in &names {
        if let Some(super::LineSpec::At { chip, .. }) = l.line(name) {
            if !chip.starts_with("/dev/") {
                k.fail(
                    "linux.lines",
                    format!("{name}.chip = {chip:?}"),
                    "a device node under /dev/",
                );
            }
        }
    }
    for name in &l.active_low {
        if !names.contains(&name.as_str()) {
            k.fail("linux.active_low", format!("{name:?}"), names.join(", "));
        }
    }
}

fn buttons(k: &mut Checker, b: &super::ButtonsConfig) {
    k.range("buttons.debounce_ms", b.debounce_ms, 5, 200);
    k.range("buttons.long_press_ms", b.long_press_ms, 500, 5_000);
    for &ch in &b.channels {
        k.range("buttons.channels", ch, 0, ceiling::CHANNELS as u32 - 1);
    }
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
