//! What `stimctl program plot` draws, as numbers: the pulses of one representative stretch of
//! a segment, walked with the same pure pattern code the engine runs (`Pattern::pulse_at`,
//! `first_at_or_after`, `next_after`), and the level each segment reaches from a first one.
//! Pure: no bus, no files, no drawing.

use stimd::model::limits::ceiling;
use stimd::model::limits::Limits;
use stimd::model::units::{MicroAmps, SquareCm};
use stimd::program::Segment;
use stimd::pulse::pattern::{Pattern, Sweep};

/// At most this many pulses are drawn for one stretch (a 10 s sweep at 150 Hz is 1500).
pub const MAX_PULSES: usize = 4_000;

const NS_PER_MS: f64 = 1e6;

/// One pulse of a stretch, in the units of the picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pulse {
    /// Onset, ms after the segment began.
    pub t_ms: f64,
    /// Peak current of each phase, mA (the segment's level times the pattern's share).
    pub ma: f64,
    /// Width of each phase, ms.
    pub phase_ms: f64,
    /// Pause at zero between the phases, ms.
    pub gap_ms: f64,
}

impl Pulse {
    /// Corner points of the biphasic pulse, starting at `offset_ms` on the time axis: up to
    /// +`ma` for one phase, the gap at zero, down to −`ma` for the other, back to zero.
    pub fn outline(&self, offset_ms: f64) -> [(f64, f64); 8] {
        let t0 = self.t_ms - offset_ms;
        let t1 = t0 + self.phase_ms;
        let t2 = t1 + self.gap_ms;
        let t3 = t2 + self.phase_ms;
        [
            (t0, 0.0),
            (t0, self.ma),
            (t1, self.ma),
            (t1, 0.0),
            (t2, 0.0),
            (t2, -self.ma),
            (t3, -self.ma),
            (t3, 0.0),
        ]
    }
}

/// How long a representative stretch of `p` is, ns: one EMS work/rest cycle, one sweep
/// period, two burst trains, or five pulse periods of a steady train.
pub fn stretch_ns(p: &Pattern) -> u64 {
    let ms = |v: u32| u64::from(v) * 1_000_000;
    if p.on_ms > 0 {
        ms(p.ramp_up_ms) + ms(p.on_ms) + ms(p.ramp_down_ms) + ms(p.off_ms)
    } else if p.sweep != Sweep::None && p.sweep_ms > 0 {
        ms(p.sweep_ms)
    } else if p.burst_pulses > 0 {
        2 * u64::from(p.train_us) * 1_000
    } else {
        5 * u64::from(p.period_us) * 1_000
    }
}

/// The pulses of channel 0 in the first `until_ns` of a segment whose level is `level`, in
/// the order the engine walks them (at most `MAX_PULSES`). Each gets `level` times the
/// pattern's share, as the engine computes it.
pub fn pulses(p: &Pattern, level: MicroAmps, until_ns: u64) -> Vec<Pulse> {
    let mut out = Vec::new();
    if !p.is_valid() {
        return out;
    }
    let mut t = p.first_at_or_after(0);
    while t < until_ns && out.len() < MAX_PULSES {
        let s = p.pulse_at(t);
        let ua = u64::from(level.0) * u64::from(s.factor_permille) / 1000;
        out.push(Pulse {
            t_ms: t as f64 / NS_PER_MS,
            ma: ua as f64 / 1000.0,
            phase_ms: f64::from(s.phase.0) / 1000.0,
            gap_ms: f64::from(s.gap.0) / 1000.0,
        });
        let next = p.next_after(t);
        if next <= t {
            break;
        }
        t = next;
    }
    out
}

/// The pulses the close-up shows: the first with the highest current and, when a width sweep
/// makes some wider, the widest (first of each).
pub fn close_up(pulses: &[Pulse]) -> Vec<Pulse> {
    let mut out = Vec::new();
    let strongest = pulses.iter().fold(None::<&Pulse>, |best, p| match best {
        Some(b) if b.ma >= p.ma => Some(b),
        _ => Some(p),
    });
    let widest = pulses.iter().fold(None::<&Pulse>, |best, p| match best {
        Some(b) if b.phase_ms >= p.phase_ms => Some(b),
        _ => Some(p),
    });
    if let Some(s) = strongest {
        out.push(*s);
        if let Some(w) = widest.filter(|w| w.phase_ms > s.phase_ms) {
            out.push(*w);
        }
    }
    out
}

/// The level each segment reaches when the first is set to `first`, as the session carries a
/// target from one segment to the next (`session::state`, `enter_segment`): scaled down for a
/// wider phase (equal charge per phase) and by the segment's `intensity_percent`, then capped
/// at the most the device permits for the segment (`caps`, µA per segment from
/// `Programs.Get`'s `max_intensity_ua`; a missing cap leaves the level as it is).
pub fn segment_levels(segments: &[Segment], first: MicroAmps, caps: &[u32]) -> Vec<MicroAmps> {
    let mut out: Vec<MicroAmps> = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let wanted = match (i, out.last()) {
            (0, _) | (_, None) => first.0,
            (_, Some(prev)) => {
                let old = segments[i - 1].mode.worst_shape().phase.0;
                let new = seg.mode.worst_shape().phase.0.max(1);
                let scale = (f64::from(old) / f64::from(new)).min(1.0);
                let percent = f64::from(seg.intensity_percent.min(100)) / 100.0;
                (f64::from(prev.0) * scale * percent).floor() as u32
            }
        };
        let cap = caps.get(i).copied().unwrap_or(u32::MAX);
        out.push(MicroAmps(wanted.min(cap)));
    }
    out
}

/// The widest limits the hardware allows: the program text a daemon serves was already
/// checked against its own (narrower or equal) limits, so re-reading it never needs more.
pub fn ceiling_limits() -> Limits {
    Limits {
        peak_current: ceiling::PEAK_CURRENT,
        rms_current: ceiling::RMS_CURRENT,
        current_density_ua_per_cm2: ceiling::CURRENT_DENSITY_UA_PER_CM2,
        charge_per_phase: ceiling::CHARGE_PER_PHASE,
        min_phase_width: ceiling::MIN_PHASE_WIDTH,
        max_phase_width: ceiling::MAX_PHASE_WIDTH,
        min_rate: ceiling::MIN_RATE,
        max_rate: ceiling::MAX_RATE,
        rise_rate_ua_per_s: ceiling::RISE_RATE_UA_PER_S,
        intensity_step: MicroAmps(500),
        electrode_area: SquareCm(1_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stimd::program::find_preset;

    fn pattern(id: &str, seg: usize) -> Pattern {
        find_preset(id).expect("a preset").segments[seg].pattern()
    }

    #[test]
    fn a_steady_train_shows_five_periods_of_full_pulses() {
        let p = pattern("low-back", 0); // 80 Hz, 200 µs
        let ps = pulses(&p, MicroAmps(10_000), stretch_ns(&p));
        assert_eq!(ps.len(), 5);
        assert!((ps[1].t_ms - 12.5).abs() < 1e-9);
        assert!(ps.iter().all(|q| q.ma == 10.0 && q.phase_ms == 0.2));
        let o = ps[0].outline(0.0);
        assert_eq!(o[1], (0.0, 10.0));
        assert_eq!(o[5], (0.2, -10.0), "the second phase mirrors the first");
        assert_eq!(o[6], (0.4, -10.0));
    }

    #[test]
    fn an_ems_cycle_ramps_up_holds_and_rests() {
        let seg = find_preset("ems-recovery").unwrap().segments[0].clone();
        let p = seg.pattern();
        let ps = pulses(&p, MicroAmps(20_000), stretch_ns(&p));
        let max = ps.iter().map(|q| q.ma).fold(0.0, f64::max);
        assert_eq!(max, 20.0);
        assert_eq!(ps[0].ma, 0.0, "the ramp starts from zero");
        assert_eq!(ps.last().unwrap().ma, 0.0, "the cycle ends at rest");
    }

    #[test]
    fn a_burst_stretch_holds_two_trains() {
        let p = pattern("massage", 0); // 8 pulses at 100 Hz, twice a second
        let ps = pulses(&p, MicroAmps(10_000), stretch_ns(&p));
        assert_eq!(ps.len(), 2 * p.burst_pulses as usize);
    }

    #[test]
    fn a_width_sweep_closes_up_on_the_narrowest_and_the_widest_pulse() {
        let p = Pattern {
            sweep: Sweep::Width,
            sweep_to: 250,
            sweep_ms: 2_000,
            ..Pattern::steady(10_000, 100)
        };
        let ps = pulses(&p, MicroAmps(10_000), stretch_ns(&p));
        let c = close_up(&ps);
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].phase_ms, c[1].phase_ms), (0.1, 0.25));
    }

    #[test]
    fn levels_carry_over_like_the_session_and_stop_at_the_cap() {
        let prog = find_preset("combi-low-back").unwrap();
        let levels = segment_levels(&prog.segments, MicroAmps(10_000), &[]);
        assert_eq!(levels[0], MicroAmps(10_000));
        let capped = segment_levels(&prog.segments, MicroAmps(10_000), &[4_000]);
        assert_eq!(capped[0], MicroAmps(4_000));
        for (l, seg) in levels.iter().zip(&prog.segments).skip(1) {
            assert!(l.0 <= 10_000 * seg.intensity_percent / 100);
        }
    }
}
