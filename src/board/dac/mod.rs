//! DAC drivers, generic over `embedded_hal::spi::SpiDevice` (the driver never toggles chip
//! select), and the exact mapping between current and code, calibrated per channel.
//!
//! A channel's output stage turns a code into a current: ideally mid-scale is 0 µA and the
//! codes one step inside each end are ±100 mA (`FULL_SCALE_UA`); a real current source adds a
//! gain error and an offset ([`Transfer`]). [`Transfer::code`] inverts that transfer so that
//! the *current* is what was asked: the rest code is the one nearest 0 µA (not mid-scale),
//! a non-zero request gets the rest code plus whole steps, never further from zero than the
//! request (it can exceed it only by the rest level's residue, at most ½ step, and only for a
//! request smaller than that residue), and the two polarities of a request differ in magnitude
//! by less than one step (balanced charge). [`Transfer::microamps`] is the inverse every
//! read-back uses (the sim board's model, its trace and its probe), so the figures agree with
//! what was written.

pub mod dac8552;
pub mod mcp4922;

use crate::model::limits::ceiling;

/// Full scale of the reference current source: ±100 mA.
pub const FULL_SCALE_UA: i64 = 100_000;

/// Parts per million: the unit of a gain error.
const PPM: i128 = 1_000_000;

/// The largest gain error the arithmetic takes (±50 %); configured values are far inside it
/// (`config`), this only keeps a transfer built by hand from dividing by zero.
const GAIN_CLAMP_PPM: i32 = 500_000;

/// One channel's output stage as its DAC codes see it: the ideal transfer (mid-scale = 0 µA,
/// `FULL_SCALE_UA` one step inside each end) with a gain error and an offset:
/// `I(code) = ideal(code) · (1 + gain_ppm / 10⁶) + offset_ua`.
///
/// The same type describes a board's measured errors (`[calibration]`, which the drivers
/// correct for) and the errors the sim board models (`[sim] analog_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transfer {
    /// The current at mid-scale, µA.
    pub offset_ua: i32,
    /// The slope's deviation from the ideal, parts per million (+20 000 = 2 % too much).
    pub gain_ppm: i32,
}

/// `a / b` rounded towards −∞ (`b > 0`).
fn floor_div(a: i128, b: i128) -> i128 {
    a.div_euclid(b)
}

/// `a / b` rounded towards +∞ (`b > 0`).
fn ceil_div(a: i128, b: i128) -> i128 {
    -(-a).div_euclid(b)
}

/// `a / b` rounded to the nearest, halves away from zero (`b > 0`).
fn round_div(a: i128, b: i128) -> i128 {
    if a >= 0 {
        (a + b / 2) / b
    } else {
        -((-a + b / 2) / b)
    }
}

impl Transfer {
    /// No error: mid-scale is 0 µA, full scale ±100 mA (the mapping of an uncalibrated board).
    pub const IDEAL: Transfer = Transfer {
        offset_ua: 0,
        gain_ppm: 0,
    };

    fn mid(bits: u32) -> i128 {
        1i128 << (bits - 1)
    }

    fn max_code(bits: u32) -> i128 {
        (1i128 << bits) - 1
    }

    /// The denominator every current is expressed over: steps × 10⁶.
    fn den(bits: u32) -> i128 {
        (Self::mid(bits) - 1) * PPM
    }

    /// One code step, over `den`.
    fn step(self) -> i128 {
        let gain = i128::from(self.gain_ppm.clamp(-GAIN_CLAMP_PPM, GAIN_CLAMP_PPM));
        i128::from(FULL_SCALE_UA) * (PPM + gain)
    }

    /// The current at `code`, over `den` (exact).
    fn num(self, code: i128, bits: u32) -> i128 {
        (code - Self::mid(bits)) * self.step() + i128::from(self.offset_ua) * Self::den(bits)
    }

    /// The current `code` produces, µA, truncated towards zero (for an ideal transfer: exactly
    /// what the uncalibrated mapping always decoded).
    pub fn microamps(self, code: u16, bits: u32) -> i32 {
        let v = self.num(i128::from(code), bits) / Self::den(bits);
        v.clamp(i128::from(i32::MIN), i128::from(i32::MAX)) as i32
    }

    /// The current `code` produces, µA, unrounded (for fits and reports).
    pub fn microamps_exact(self, code: u16, bits: u32) -> f64 {
        self.num(i128::from(code), bits) as f64 / Self::den(bits) as f64
    }

    /// One code step of this channel, µA (≈ 48.9 µA for 12 bits, ≈ 3.05 µA for 16, times the
    /// gain).
    pub fn lsb_ua(self, bits: u32) -> f64 {
        self.step() as f64 / Self::den(bits) as f64
    }

    /// The code nearest 0 µA: what "zero" is written as, between pulses and while disarmed.
    pub fn rest_code(self, bits: u32) -> u16 {
        let k = round_div(-i128::from(self.offset_ua) * Self::den(bits), self.step());
        (Self::mid(bits) + k).clamp(0, Self::max_code(bits)) as u16
    }

    /// The code for a signed current (sign = polarity). 0 is the rest code. Otherwise the rest
    /// code plus whole steps towards the request, as many as keep the current no further from
    /// zero than the request (none if the rest level is already beyond it). Requests beyond
    /// what both polarities can deliver (the smaller of the two ends, at most ±100 mA) are
    /// limited to it, so the two polarities stay balanced at full scale too.
    pub fn code(self, microamps: i32, bits: u32) -> u16 {
        let rest = self.rest_code(bits);
        let den = Self::den(bits);
        let ua = i128::from(microamps).clamp(-i128::from(FULL_SCALE_UA), i128::from(FULL_SCALE_UA));
        let reach = self
            .num(Self::max_code(bits), bits)
            .min(-self.num(0, bits))
            .max(0);
        let target = (ua * den).clamp(-reach, reach);
        if target == 0 {
            return rest;
        }
        let from_rest = target - self.num(i128::from(rest), bits);
        let k = if target > 0 {
            floor_div(from_rest, self.step()).max(0)
        } else {
            ceil_div(from_rest, self.step()).min(0)
        };
        (i128::from(rest) + k).clamp(0, Self::max_code(bits)) as u16
    }
}

/// A transfer per channel of the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Transfers(pub [Transfer; ceiling::CHANNELS]);

impl Transfers {
    /// Every channel ideal: no correction (no `[calibration]`), or no modelled error.
    pub const IDEAL: Transfers = Transfers([Transfer::IDEAL; ceiling::CHANNELS]);

    /// From a list of offsets and one of gains, as the configuration has them (one value per
    /// channel in use, or empty: a channel without a value has no such error).
    pub fn from_lists(offset_ua: &[i32], gain_ppm: &[i32]) -> Transfers {
        let mut t = Transfers::IDEAL;
        for (ch, slot) in t.0.iter_mut().enumerate() {
            slot.offset_ua = offset_ua.get(ch).copied().unwrap_or(0);
            slot.gain_ppm = gain_ppm.get(ch).copied().unwrap_or(0);
        }
        t
    }

    /// Channel `ch`'s transfer (ideal for a channel the board does not have).
    pub fn get(&self, ch: usize) -> Transfer {
        self.0.get(ch).copied().unwrap_or(Transfer::IDEAL)
    }

    /// Whether every channel is ideal.
    pub fn is_ideal(&self) -> bool {
        *self == Transfers::IDEAL
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A bus whose every transfer fails with the given kind (embedded-hal-mock's SPI mock
    /// cannot fail one).
    pub struct BrokenBus(pub embedded_hal::spi::ErrorKind);
    impl embedded_hal::spi::ErrorType for BrokenBus {
        type Error = embedded_hal::spi::ErrorKind;
    }
    impl embedded_hal::spi::SpiDevice for BrokenBus {
        fn transaction(
            &mut self,
            _: &mut [embedded_hal::spi::Operation<'_, u8>],
        ) -> Result<(), Self::Error> {
            Err(self.0)
        }
    }

    const IDEAL: Transfer = Transfer::IDEAL;

    /// The mapping before calibration existed, kept here as the reference the ideal transfer
    /// must reproduce code for code.
    fn old_code_for(microamps: i32, bits: u32) -> u16 {
        let mid = 1i64 << (bits - 1);
        let steps = mid - 1;
        let ua = i64::from(microamps).clamp(-FULL_SCALE_UA, FULL_SCALE_UA);
        (mid + ua * steps / FULL_SCALE_UA) as u16
    }

    fn old_microamps_for(code: u16, bits: u32) -> i32 {
        let mid = 1i64 << (bits - 1);
        ((i64::from(code) - mid) * FULL_SCALE_UA / (mid - 1)) as i32
    }

    #[test]
    fn zero_is_mid_scale_without_calibration() {
        assert_eq!(IDEAL.code(0, 12), 2048);
        assert_eq!(IDEAL.code(0, 16), 32768);
        assert_eq!(IDEAL.rest_code(12), 2048);
        assert_eq!(IDEAL.microamps(2048, 12), 0);
    }

    #[test]
    fn full_scale_both_ways() {
        assert_eq!(IDEAL.code(100_000, 12), 4095);
        assert_eq!(IDEAL.code(-100_000, 12), 1);
        assert_eq!(IDEAL.code(250_000, 12), 4095, "beyond full scale saturates");
        assert_eq!(IDEAL.microamps(4095, 12), 100_000);
    }

    #[test]
    fn the_ideal_transfer_is_the_uncalibrated_mapping_code_for_code() {
        for bits in [12, 16] {
            for code in 0..=u16::MAX >> (16 - bits) {
                assert_eq!(IDEAL.microamps(code, bits), old_microamps_for(code, bits));
            }
            for ua in (-120_000..=120_000).step_by(7) {
                assert_eq!(IDEAL.code(ua, bits), old_code_for(ua, bits), "{ua} µA");
            }
        }
    }

    #[test]
    fn an_offset_moves_the_rest_code_and_a_gain_the_step() {
        // +300 µA at mid-scale is 6.14 steps of 48.86 µA: rest 6 codes below mid-scale.
        let t = Transfer {
            offset_ua: 300,
            gain_ppm: 0,
        };
        assert_eq!(t.rest_code(12), 2042);
        assert!(t.microamps_exact(2042, 12).abs() <= t.lsb_ua(12) / 2.0);
        // 10 mA on a board 2 % too strong takes 2 % fewer steps.
        let g = Transfer {
            offset_ua: 0,
            gain_ppm: 20_000,
        };
        let c = g.code(10_000, 12);
        assert_eq!(c, 2048 + 200);
        assert!((9_951..=10_000).contains(&g.microamps(c, 12)));
        assert!(
            IDEAL.microamps(c, 12) < 10_000,
            "the ideal reading is lower"
        );
    }

    #[test]
    fn transfers_from_configured_lists() {
        let t = Transfers::from_lists(&[300, -450], &[20_000]);
        assert_eq!(
            t.get(0),
            Transfer {
                offset_ua: 300,
                gain_ppm: 20_000
            }
        );
        assert_eq!(
            t.get(1),
            Transfer {
                offset_ua: -450,
                gain_ppm: 0
            }
        );
        assert_eq!(t.get(7), IDEAL);
        assert!(Transfers::from_lists(&[], &[]).is_ideal());
    }

    fn transfer() -> impl Strategy<Value = Transfer> {
        (-2_000i32..=2_000, -50_000i32..=50_000).prop_map(|(offset_ua, gain_ppm)| Transfer {
            offset_ua,
            gain_ppm,
        })
    }

    /// Room for f64 rounding in comparisons of exact currents.
    const EPS: f64 = 1e-6;

    proptest! {
        #[test]
        fn decoded_current_never_exceeds_request(ua in -100_000i32..=100_000, wide in any::<bool>()) {
            let bits = if wide { 16 } else { 12 };
            let back = IDEAL.microamps(IDEAL.code(ua, bits), bits);
            prop_assert!(back.abs() <= ua.abs());
            prop_assert!(back.signum() == ua.signum() || back == 0);
            // within one LSB
            prop_assert!(i64::from((ua - back).abs()) <= FULL_SCALE_UA / ((1 << (bits - 1)) - 1) + 1);
            // opposite currents give mirrored codes: charge balance survives quantisation
            let mid = 1i32 << (bits - 1);
            prop_assert_eq!(i32::from(IDEAL.code(ua, bits)) - mid, mid - i32::from(IDEAL.code(-ua, bits)));
        }

        /// On a board whose errors are the calibration's: the current delivered is never
        /// more than the request plus ½ LSB (only a request below the rest level's residue
        /// gets that residue), never the other polarity beyond ½ LSB, within 1 LSB of the
        /// request wherever both polarities reach, and the rest level is 0 ± ½ LSB.
        #[test]
        fn calibrated_current_is_the_request_within_one_lsb(
            t in transfer(), ua in -100_000i32..=100_000, wide in any::<bool>()
        ) {
            let bits = if wide { 16 } else { 12 };
            let lsb = t.lsb_ua(bits);
            let rest = t.microamps_exact(t.rest_code(bits), bits);
            prop_assert!(rest.abs() <= lsb / 2.0 + EPS, "rest {rest} µA, LSB {lsb}");
            let code = t.code(ua, bits);
            let got = t.microamps_exact(code, bits);
            let asked = f64::from(ua);
            prop_assert!(got.abs() <= asked.abs().max(lsb / 2.0) + EPS, "{ua} µA → {got}");
            prop_assert!(got.abs() <= asked.abs() + lsb, "{ua} µA → {got}");
            prop_assert!(got * asked.signum() >= -lsb / 2.0 - EPS, "{ua} µA → {got}: polarity");
            let reach = t
                .microamps_exact(u16::MAX >> (16 - bits), bits)
                .min(-t.microamps_exact(0, bits));
            if asked.abs() <= reach {
                prop_assert!((got - asked).abs() <= lsb + EPS, "{ua} µA → {got}, LSB {lsb}");
            }
            // The integer read-back is never above the request either.
            let back = t.microamps(code, bits);
            prop_assert!(f64::from(back.abs()) <= asked.abs().max(lsb / 2.0) + EPS);
        }

        /// The phases of a pulse (+I then −I) carry charges that cancel within one LSB times
        /// the phase width, whatever the offset and gain.
        #[test]
        fn mirrored_phases_are_balanced_within_one_lsb(
            t in transfer(), ua in 0i32..=120_000, wide in any::<bool>()
        ) {
            let bits = if wide { 16 } else { 12 };
            let plus = t.microamps_exact(t.code(ua, bits), bits);
            let minus = t.microamps_exact(t.code(-ua, bits), bits);
            prop_assert!((plus + minus).abs() <= t.lsb_ua(bits) + EPS, "+{plus} {minus}");
        }

        /// More current asked never gives a lower code.
        #[test]
        fn the_mapping_is_monotonic(
            t in transfer(), a in -110_000i32..=110_000, d in 0i32..=5_000
        ) {
            prop_assert!(t.code(a, 12) <= t.code(a + d, 12));
            prop_assert!(t.code(a, 16) <= t.code(a + d, 16));
        }
    }
}
