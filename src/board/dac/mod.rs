//! DAC drivers, generic over `embedded_hal::spi::SpiDevice` (the driver never toggles chip
//! select), and the exact mapping between current and code.

pub mod dac8552;
pub mod mcp4922;

/// Full scale of the reference current source: ±100 mA.
pub const FULL_SCALE_UA: i64 = 100_000;

/// Maps a signed current to a code of an `bits`-wide DAC whose mid-scale is 0 mA. Rounds
/// towards zero, so the decoded current is never larger in magnitude than the one asked for.
pub fn code_for(microamps: i32, bits: u32) -> u16 {
    let mid = 1i64 << (bits - 1);
    let steps = mid - 1; // symmetric: ±(mid-1) codes around mid-scale
    let ua = i64::from(microamps).clamp(-FULL_SCALE_UA, FULL_SCALE_UA);
    (mid + ua * steps / FULL_SCALE_UA) as u16
}

/// The current (µA, truncated towards zero) that `code` produces.
pub fn microamps_for(code: u16, bits: u32) -> i32 {
    let mid = 1i64 << (bits - 1);
    let steps = mid - 1;
    ((i64::from(code) - mid) * FULL_SCALE_UA / steps) as i32
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

    #[test]
    fn zero_is_mid_scale() {
        assert_eq!(code_for(0, 12), 2048);
        assert_eq!(code_for(0, 16), 32768);
        assert_eq!(microamps_for(2048, 12), 0);
    }

    #[test]
    fn full_scale_both_ways() {
        assert_eq!(code_for(100_000, 12), 4095);
        assert_eq!(code_for(-100_000, 12), 1);
        assert_eq!(code_for(250_000, 12), 4095, "beyond full scale saturates");
        assert_eq!(microamps_for(4095, 12), 100_000);
    }

    proptest! {
        #[test]
        fn decoded_current_never_exceeds_request(ua in -100_000i32..=100_000, wide in any::<bool>()) {
            let bits = if wide { 16 } else { 12 };
            let back = microamps_for(code_for(ua, bits), bits);
            prop_assert!(back.abs() <= ua.abs());
            prop_assert!(back.signum() == ua.signum() || back == 0);
            // within one LSB
            prop_assert!(i64::from((ua - back).abs()) <= FULL_SCALE_UA / ((1 << (bits - 1)) - 1) + 1);
            // opposite currents give mirrored codes: charge balance survives quantisation
            let mid = 1i32 << (bits - 1);
            prop_assert_eq!(i32::from(code_for(ua, bits)) - mid, mid - i32::from(code_for(-ua, bits)));
        }
    }
}
