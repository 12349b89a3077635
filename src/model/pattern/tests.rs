//! Tests of the pure waveform built field by field: onsets on an absolute grid, the channel
//! offset, and publishing as words. The waveforms of each program mode (bursts, sweeps, EMS
//! cycles, with property tests over every mode a valid program can make) are tested in
//! `program`'s tests, which build them from a `Mode`.

use super::*;

const MS: u64 = 1_000_000;

#[test]
fn steady_train_keeps_absolute_deadlines_and_drops_missed_onsets() {
    let p = Pattern::steady(10_000, 200);
    assert_eq!(p.onsets_until(35 * MS), [0, 10 * MS, 20 * MS, 30 * MS]);
    // Late by 3 ms: the next onset is still on the grid.
    assert_eq!(p.first_at_or_after(3 * MS), 10 * MS);
    // Far behind: resume on the grid, never a burst of missed pulses.
    assert_eq!(p.first_at_or_after(55 * MS), 60 * MS);
    assert_eq!(p.offset_ns(1), 5 * MS);
}

#[test]
fn a_pattern_survives_being_published_as_words() {
    let p = Pattern {
        period_us: 10_000,
        phase_us: 200,
        burst_pulses: 8,
        train_us: 500_000,
        sweep: Sweep::Width,
        sweep_to: 250,
        sweep_ms: 2_000,
        ramp_up_ms: 1_000,
        on_ms: 2_000,
        ramp_down_ms: 1_000,
        off_ms: 2_000,
        gap_us: 50,
    };
    assert_eq!(Pattern::from_words(p.to_words()), p);
    assert_eq!(Pattern::from_words([0; WORDS]), Pattern::default());
}
