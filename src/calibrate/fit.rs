//! The pure part of a calibration: the test current the limits allow, a typed reading and
//! whether it can be right, and the straight line through a channel's three readings.

use crate::board::dac::Transfer;
use crate::config::{CalibrationConfig as Cal, Config};
use std::fmt;

/// The DC test current asked for when the limits allow it, µA: 5 V across a 1 kΩ test load.
pub const TEST_CURRENT_UA: u32 = 5_000;

/// Below this the limits leave too little current to measure the gain with a multimeter.
pub const MIN_TEST_CURRENT_UA: u32 = 1_000;

/// The largest current a board that can be calibrated drives when `ideal_ua` is asked: the
/// ideal plus the largest gain error and offset a calibration corrects.
pub fn worst_case_ua(ideal_ua: f64) -> f64 {
    ideal_ua.abs() * (1.0 + f64::from(Cal::GAIN_MAX_PPM) / 1e6) + f64::from(Cal::OFFSET_MAX_UA)
}

/// The test current: `TEST_CURRENT_UA`, lowered so that a board with the largest correctable
/// errors still stays within the configured limits on DC (peak, rms, and the current density
/// over the electrode area: a DC current is its own peak and rms). An error if that leaves
/// less than `MIN_TEST_CURRENT_UA`.
pub fn test_current_ua(config: &Config) -> Result<u32, String> {
    let l = &config.limits;
    let density = (f64::from(l.current_density_ua_per_cm2) * config.electrodes.area_cm2) as u32;
    let cap = l.peak_current_ua.min(l.rms_current_ua).min(density);
    let gain = 1.0 + f64::from(Cal::GAIN_MAX_PPM) / 1e6;
    let safe = (f64::from(cap) - f64::from(Cal::OFFSET_MAX_UA)) / gain;
    let safe = if safe > 0.0 { safe as u32 } else { 0 };
    let test = TEST_CURRENT_UA.min(safe);
    if test < MIN_TEST_CURRENT_UA {
        return Err(format!(
            "the configured limits allow at most {cap} µA of DC (the lowest of \
             limits.peak_current_ua, limits.rms_current_ua and the current density over \
             electrodes.area_cm2); a test current of {MIN_TEST_CURRENT_UA} µA on a board with \
             the largest correctable error needs {:.0} µA: raise them for the calibration",
            worst_case_ua(f64::from(MIN_TEST_CURRENT_UA)).ceil()
        ));
    }
    Ok(test)
}

/// Why a typed reading was not taken.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadingError {
    /// Nothing typed.
    Empty,
    /// Not a number and a unit.
    NotANumber(String),
    /// A number without its unit.
    NoUnit(String),
    /// A decimal comma.
    Comma(String),
    /// Far from anything a board that can be calibrated gives at this step.
    Implausible {
        /// The reading, µA.
        got_ua: f64,
        /// The ideal current of the step, µA.
        ideal_ua: f64,
        /// How far a reading may be from the ideal, µA.
        within_ua: f64,
    },
}

impl fmt::Display for ReadingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadingError::Empty => {
                write!(f, "nothing typed: type the meter's reading and its unit")
            }
            ReadingError::NotANumber(t) => write!(
                f,
                "{t:?} is not a reading: type a number and its unit, e.g. 312 uA, -4.98 mA or \
                 312 mV"
            ),
            ReadingError::NoUnit(t) => write!(
                f,
                "{t:?} has no unit: type it with its unit, e.g. {t} uA, {t} mA or {t} mV"
            ),
            ReadingError::Comma(t) => write!(
                f,
                "{t:?}: use a point as the decimal separator (e.g. 4.98 mA)"
            ),
            ReadingError::Implausible {
                got_ua,
                ideal_ua,
                within_ua,
            } => write!(
                f,
                "{got_ua:.1} µA cannot be right at this step: a board that can be calibrated \
                 gives {ideal_ua:.0} µA ± {within_ua:.0} µA here. Check the unit, the meter's \
                 range and function (DC), the probes' polarity and that the meter is on this \
                 channel's load"
            ),
        }
    }
}

/// A reading as typed: a number (point as the decimal separator) and its unit, `uA`/`µA`,
/// `mA` or `A` for a meter in series, `mV` or `V` for a meter across a load of `load_ohms`.
/// Returns µA.
pub fn parse_reading(text: &str, load_ohms: u32) -> Result<f64, ReadingError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(ReadingError::Empty);
    }
    if t.contains(',') {
        return Err(ReadingError::Comma(t.to_string()));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.')))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| ReadingError::NotANumber(t.to_string()))?;
    // Across the load: 1 mV across R Ω is 1000 / R µA.
    let ohms = f64::from(load_ohms.max(1));
    let scale = match unit.trim() {
        "" => return Err(ReadingError::NoUnit(t.to_string())),
        "uA" | "µA" | "ua" | "µa" => 1.0,
        "mA" | "ma" => 1_000.0,
        "A" | "a" => 1_000_000.0,
        "mV" | "mv" => 1_000.0 / ohms,
        "V" | "v" => 1_000_000.0 / ohms,
        _ => return Err(ReadingError::NotANumber(t.to_string())),
    };
    Ok(value * scale)
}

/// How far a reading may be from the ideal current of its step: twice the largest error a
/// calibration corrects, so that a board somewhat beyond it still reaches the fit (which says
/// it needs repair), while a wrong unit, range or polarity is caught at once.
pub fn plausible(got_ua: f64, ideal_ua: f64) -> Result<f64, ReadingError> {
    let within_ua = 2.0 * (worst_case_ua(ideal_ua) - ideal_ua.abs());
    if (got_ua - ideal_ua).abs() <= within_ua {
        Ok(got_ua)
    } else {
        Err(ReadingError::Implausible {
            got_ua,
            ideal_ua,
            within_ua,
        })
    }
}

/// One channel's measured transfer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fit {
    /// The calibration values, rounded to whole µA and ppm.
    pub transfer: Transfer,
    /// The largest distance of a reading from the line through the outermost two, µA.
    pub residual_ua: f64,
}

/// Why a channel's readings do not give a calibration.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// The readings are not on one straight line.
    NotLinear {
        /// The largest distance of a reading from the line, µA.
        residual_ua: f64,
        /// What is allowed, µA.
        allowed_ua: f64,
    },
    /// The offset is beyond what a calibration corrects.
    Offset(i64),
    /// The gain error is beyond what a calibration corrects.
    Gain(i64),
}

impl fmt::Display for FitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FitError::NotLinear {
                residual_ua,
                allowed_ua,
            } => write!(
                f,
                "the readings are not on one straight line (the 0 mA reading is \
                 {residual_ua:.0} µA off the line through the other two, at most \
                 {allowed_ua:.0} µA allowed): a reading was mistyped, or the meter's range or \
                 the load changed between them"
            ),
            FitError::Offset(o) => write!(
                f,
                "an offset of {o} µA is beyond what a calibration corrects (±{} µA): the \
                 output stage needs repair",
                Cal::OFFSET_MAX_UA
            ),
            FitError::Gain(g) => write!(
                f,
                "a gain error of {g} ppm ({:.2} %) is beyond what a calibration corrects \
                 (±{} ppm): the output stage needs repair",
                *g as f64 / 1e4,
                Cal::GAIN_MAX_PPM
            ),
        }
    }
}

/// The straight line through (ideal current, reading) points, least squares, as a calibration
/// for a DAC of `bits`. Refused if a reading between the outermost two is more than
/// `max(2 LSB, 50 µA)` off the straight line through them (a mistyped reading, or a meter
/// whose range changed), or if the offset or gain is beyond the correctable range.
pub fn fit(points: &[(f64, f64)], bits: u32) -> Result<Fit, FitError> {
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 1.0 };
    let offset = my - slope * mx;
    let mut sorted = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let residual_ua = match (sorted.first(), sorted.last()) {
        (Some(&(x0, y0)), Some(&(x1, y1))) if x1 > x0 => sorted
            .iter()
            .map(|&(x, y)| (y - (y0 + (y1 - y0) * (x - x0) / (x1 - x0))).abs())
            .fold(0.0, f64::max),
        _ => 0.0,
    };
    let allowed_ua = (2.0 * Transfer::IDEAL.lsb_ua(bits)).max(50.0);
    if residual_ua > allowed_ua {
        return Err(FitError::NotLinear {
            residual_ua,
            allowed_ua,
        });
    }
    let offset_ua = offset.round() as i64;
    let gain_ppm = ((slope - 1.0) * 1e6).round() as i64;
    if offset_ua.abs() > i64::from(Cal::OFFSET_MAX_UA) {
        return Err(FitError::Offset(offset_ua));
    }
    if gain_ppm.abs() > i64::from(Cal::GAIN_MAX_PPM) {
        return Err(FitError::Gain(gain_ppm));
    }
    Ok(Fit {
        transfer: Transfer {
            offset_ua: offset_ua as i32,
            gain_ppm: gain_ppm as i32,
        },
        residual_ua,
    })
}

/// The `[calibration]` section for these channels, to paste into the configuration.
pub fn section(transfers: &[Transfer]) -> String {
    let list = |f: fn(&Transfer) -> i32| {
        transfers
            .iter()
            .map(|t| f(t).to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "[calibration]\noffset_ua = [{}]\ngain_ppm = [{}]\n",
        list(|t| t.offset_ua),
        list(|t| t.gain_ppm)
    )
}
