//! Lock-free publication of multi-word values: a sequence lock over atomic words (`WordCell`)
//! and the running pattern published through one (`PatternCell`). One writer; readers never
//! wait and never block the engine.

use crate::pulse::pattern::{self, Pattern};
use std::sync::atomic::{fence, AtomicU32, Ordering};

/// The pattern as published: the waveform, when its time 0 is (monotonic ns), and a generation
/// that changes with every publication (the engine restarts its schedule on a change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternCommand {
    /// The waveform every channel runs.
    pub pattern: Pattern,
    /// The pattern's time 0 (monotonic ns); each channel's onsets count from here plus its
    /// offset.
    pub start_ns: u64,
    /// 1 for the first publication, one more for each after it.
    pub generation: u32,
}

const CELL_WORDS: usize = pattern::WORDS + 2;

/// The running pattern, published through a `WordCell`.
#[derive(Default)]
pub struct PatternCell(WordCell<CELL_WORDS>);

impl PatternCell {
    /// Publishes a new pattern starting at `start_ns`. Single writer only.
    pub fn publish(&self, p: Pattern, start_ns: u64) {
        let mut w = [0u32; CELL_WORDS];
        for (slot, v) in w.iter_mut().zip(
            p.to_words()
                .into_iter()
                .chain([start_ns as u32, (start_ns >> 32) as u32]),
        ) {
            *slot = v;
        }
        self.0.publish(w);
    }

    /// A consistent copy, or `None` if nothing was published yet or a write was under way
    /// (after a few tries).
    pub fn read(&self) -> Option<PatternCommand> {
        let (w, generation) = self.0.read()?;
        let mut pw = [0u32; pattern::WORDS];
        pw.copy_from_slice(&w[..pattern::WORDS]);
        Some(PatternCommand {
            pattern: Pattern::from_words(pw),
            start_ns: u64::from(w[pattern::WORDS]) | u64::from(w[pattern::WORDS + 1]) << 32,
            generation,
        })
    }
}

/// A sequence lock over plain atomic words: one writer, readers that never wait. A reader that
/// meets a write in progress gets `None` and keeps what it had; it never blocks the engine.
pub struct WordCell<const N: usize> {
    seq: AtomicU32,
    words: [AtomicU32; N],
}

impl<const N: usize> Default for WordCell<N> {
    fn default() -> Self {
        WordCell {
            seq: AtomicU32::new(0),
            words: std::array::from_fn(|_| AtomicU32::new(0)),
        }
    }
}

impl<const N: usize> WordCell<N> {
    /// Publishes new words. Single writer only.
    pub fn publish(&self, w: [u32; N]) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for (slot, v) in self.words.iter().zip(w) {
            slot.store(v, Ordering::Relaxed);
        }
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// A consistent copy and its generation (1 for the first publication), or `None` if
    /// nothing was published yet or a write was under way (after a few tries).
    pub fn read(&self) -> Option<([u32; N], u32)> {
        for _ in 0..4 {
            let s1 = self.seq.load(Ordering::Acquire);
            if s1 % 2 == 1 {
                std::hint::spin_loop();
                continue;
            }
            let mut w = [0u32; N];
            for (v, slot) in w.iter_mut().zip(&self.words) {
                *v = slot.load(Ordering::Relaxed);
            }
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != s1 {
                continue;
            }
            if s1 == 0 {
                return None;
            }
            return Some((w, s1 / 2));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_cell_round_trips_and_counts_generations() {
        let c = PatternCell::default();
        assert_eq!(c.read(), None);
        let p = Pattern {
            burst_pulses: 8,
            train_us: 500_000,
            ..Pattern::steady(10_000, 200)
        };
        c.publish(p, 5_000_000_000_123);
        let r = c.read().unwrap();
        assert_eq!(
            (r.pattern, r.start_ns, r.generation),
            (p, 5_000_000_000_123, 1)
        );
        c.publish(p, 7);
        assert_eq!(c.read().unwrap().generation, 2);
    }

    #[test]
    fn readers_never_see_a_torn_pattern() {
        let c = std::sync::Arc::new(PatternCell::default());
        let a = Pattern::steady(12_500, 200);
        let b = Pattern {
            burst_pulses: 10,
            train_us: 250_000,
            ..Pattern::steady(10_000, 100)
        };
        let w = c.clone();
        let writer = std::thread::spawn(move || {
            for i in 0..20_000u64 {
                w.publish(if i % 2 == 0 { a } else { b }, i);
                // Back to back (reads overlap writes), and now and then a pause (the manager
                // publishes rarely) so readers get windows even under an emulator.
                if i % 16 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(50));
                } else {
                    for _ in 0..200 {
                        std::hint::spin_loop();
                    }
                }
            }
        });
        let mut seen = 0;
        while !writer.is_finished() {
            if let Some(r) = c.read() {
                assert!(r.pattern == a || r.pattern == b, "torn: {:?}", r.pattern);
                assert_eq!(
                    r.pattern == a,
                    r.start_ns % 2 == 0,
                    "pattern and start torn"
                );
                seen += 1;
            }
        }
        writer.join().unwrap();
        assert!(seen > 0, "a reader never got a consistent copy");
        assert_eq!(c.read().map(|r| r.start_ns), Some(19_999));
    }
}
