//! Tests of the waveform each program mode makes (`Mode::pattern`): bursts, sweeps and EMS
//! cycles, with property tests over every mode a valid program can make. They live with
//! `program` because they build the waveform from a `Mode`; `model::pattern`'s own tests build
//! it field by field.

use crate::model::pattern::Pattern;
use crate::model::units::{Hertz, Micros};
use crate::program::{Mode, Sweep as ModeSweep};
use proptest::prelude::*;

const MS: u64 = 1_000_000;

#[test]
fn bursts_have_their_count_inner_spacing_and_repetition() {
    let p = Mode::Burst {
        rate_hz: 2.0,
        pulses: 8,
        inner_rate_hz: 100.0,
        phase_us: 200,
    }
    .pattern();
    let o = p.onsets_until(1_000 * MS);
    assert_eq!(o.len(), 16);
    let first: Vec<u64> = (0..8).map(|k| k * 10 * MS).collect();
    assert_eq!(o[..8], first[..]);
    assert_eq!(o[8], 500 * MS);
    assert_eq!(p.pulse_at(o[3]).interval, Micros(10_000));
    assert_eq!(p.worst_shape().rate, Hertz(100.0));
}

#[test]
fn ems_cycle_ramps_holds_and_rests() {
    let p = Mode::Ems {
        rate_hz: 50.0,
        phase_us: 300,
        ramp_up_s: 1.0,
        on_s: 2.0,
        ramp_down_s: 1.0,
        off_s: 2.0,
    }
    .pattern();
    let f = |ms: u64| p.pulse_at(ms * MS).factor_permille;
    assert_eq!(f(0), 0);
    assert_eq!(f(500), 500);
    assert_eq!(f(1_000), 1000);
    assert_eq!(f(2_999), 1000);
    assert_eq!(f(3_500), 500);
    assert_eq!(f(4_000), 0);
    assert_eq!(f(5_999), 0);
    assert_eq!(f(6_000), 0, "next cycle starts its ramp from zero");
    assert_eq!(f(6_500), 500);
}

#[test]
fn sweeps_go_there_and_back_once_per_period() {
    let rate = Mode::Modulated {
        rate_hz: 80.0,
        phase_us: 150,
        period_s: 4.0,
        sweep: ModeSweep::Rate { to_hz: 150.0 },
    }
    .pattern();
    let hz = |ms: u64| 1e9 / rate.interval_ns(ms * MS) as f64;
    assert!((hz(0) - 80.0).abs() < 0.1);
    assert!((hz(2_000) - 150.0).abs() < 0.1);
    assert!((hz(4_000) - 80.0).abs() < 0.1);
    assert_eq!(rate.worst_shape().rate, Hertz(1e6 / 6_667.0));

    let width = Mode::Modulated {
        rate_hz: 100.0,
        phase_us: 100,
        period_s: 2.0,
        sweep: ModeSweep::Width { to_us: 250 },
    }
    .pattern();
    assert_eq!(width.pulse_at(0).phase, Micros(100));
    assert_eq!(width.pulse_at(1_000 * MS).phase, Micros(250));
    assert_eq!(width.worst_shape().phase, Micros(250));

    let amp = Mode::Modulated {
        rate_hz: 100.0,
        phase_us: 100,
        period_s: 2.0,
        sweep: ModeSweep::Amplitude { min_percent: 40 },
    }
    .pattern();
    assert_eq!(amp.pulse_at(0).factor_permille, 1000);
    assert_eq!(amp.pulse_at(1_000 * MS).factor_permille, 400);
}

fn any_mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        (80.0f64..=150.0, 50u32..=250)
            .prop_map(|(rate_hz, phase_us)| Mode::Conventional { rate_hz, phase_us }),
        (1.0f64..=5.0, 200u32..=250)
            .prop_map(|(rate_hz, phase_us)| Mode::Acupuncture { rate_hz, phase_us }),
        (1.0f64..=4.0, 7u32..=10, 80.0f64..=120.0, 50u32..=250).prop_map(
            |(rate_hz, pulses, inner_rate_hz, phase_us)| Mode::Burst {
                rate_hz,
                pulses,
                inner_rate_hz,
                phase_us
            }
        ),
        (
            2.0f64..=150.0,
            50u32..=300,
            1.0f64..=30.0,
            2.0f64..=150.0,
            50u32..=300,
            20u32..=90,
            0..3
        )
            .prop_map(
                |(rate_hz, phase_us, period_s, to_hz, to_us, min_percent, which)| {
                    Mode::Modulated {
                        rate_hz,
                        phase_us,
                        period_s,
                        sweep: match which {
                            0 => ModeSweep::Rate { to_hz },
                            1 => ModeSweep::Width { to_us },
                            _ => ModeSweep::Amplitude { min_percent },
                        },
                    }
                }
            ),
        (
            20.0f64..=50.0,
            100u32..=400,
            0.0f64..=5.0,
            1.0f64..=30.0,
            0.0f64..=5.0,
            0.0f64..=60.0
        )
            .prop_map(|(rate_hz, phase_us, ramp_up_s, on_s, ramp_down_s, off_s)| {
                Mode::Ems {
                    rate_hz,
                    phase_us,
                    ramp_up_s,
                    on_s,
                    ramp_down_s,
                    off_s,
                }
            }),
    ]
}

proptest! {
    /// For every mode: onsets strictly increase and are never closer than the worst shape's
    /// period; every pulse's width, rate and share stay within the worst shape and 100 %; the
    /// pattern survives being published as words.
    #[test]
    fn every_pulse_stays_within_the_worst_shape(mode in any_mode(), start in 0u64..120_000) {
        let p = mode.pattern();
        prop_assert!(p.is_valid());
        prop_assert_eq!(Pattern::from_words(p.to_words()), p);
        let worst = p.worst_shape();
        let min_gap = (1e9 / worst.rate.0).floor() as u64 - 1_000;
        let mut t = p.first_at_or_after(start * MS);
        prop_assert!(t >= start * MS);
        for _ in 0..400 {
            let s = p.pulse_at(t);
            prop_assert!(s.phase <= worst.phase && s.phase.0 > 0);
            prop_assert!(f64::from(s.interval.0) >= 1e6 / worst.rate.0 - 1.0);
            prop_assert!(s.factor_permille <= 1000);
            let next = p.next_after(t);
            prop_assert!(next > t);
            prop_assert!(next - t >= min_gap, "{} ns between onsets", next - t);
            t = next;
        }
    }

    /// For every mode and any requested intensity: once clamped for the pattern's worst
    /// shape, every pulse it makes — each with its own width, rate and share — is within every
    /// limit, and its two phases carry equal and opposite charge.
    #[test]
    fn every_pulse_of_a_clamped_intensity_is_within_the_limits(
        mode in any_mode(),
        requested in 0u32..=100_000,
        area in 1.0f64..=50.0,
        peak in 1_000u32..=100_000,
        rms in 1_000u32..=50_000,
        charge_nc in 1_000u64..=40_000,
    ) {
        // Limits anywhere below the ceilings, so that each of them binds in some cases.
        let mut l = crate::model::limits::tests::default_limits();
        l.electrode_area = crate::model::units::SquareCm(area);
        l.peak_current = crate::model::units::MicroAmps(peak);
        l.rms_current = crate::model::units::MicroAmps(rms);
        l.charge_per_phase = crate::model::units::NanoCoulombs(charge_nc);
        let p = mode.pattern();
        let (level, _) = l.clamp(crate::model::units::MicroAmps(requested), p.worst_shape());
        // Pulses all over a minute: every sweep and cycle reaches both of its ends.
        for k in 0..2_000u64 {
            let s = p.pulse_at(k * 30 * MS + k % 7 * MS);
            let amp = crate::model::units::MicroAmps((u64::from(level.0) * u64::from(s.factor_permille) / 1000) as u32);
            let sp = crate::pulse::Setpoint { amplitude: amp, phase: s.phase, period: s.interval };
            prop_assert!(l.permits(amp, sp.shape()).is_ok(), "{sp:?} breaks a limit");
            let [(a1, w1), (a2, w2)] = sp.phases();
            prop_assert_eq!(i64::from(a1) * i64::from(w1.0) + i64::from(a2) * i64::from(w2.0), 0);
        }
    }

    /// A rate that was given is the rate delivered: the mean over whole periods is exact.
    #[test]
    fn steady_rates_are_exact(rate in 1.0f64..=150.0) {
        let p = Mode::Conventional { rate_hz: rate, phase_us: 100 }.pattern();
        let o = p.onsets_until(20_000 * MS);
        let mean = (o.len() - 1) as f64 / ((o[o.len() - 1] - o[0]) as f64 / 1e9);
        prop_assert!((mean - rate).abs() / rate < 0.001, "{mean} vs {rate}");
    }
}
