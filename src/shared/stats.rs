//! Timing statistics of the pulse engine: fixed-size histograms updated with one atomic add,
//! so the engine can record every pulse without allocating or locking. Held in the shared
//! state: the engine writes them through its port, benches read them through an `Observer`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Buckets of 1 µs up to this many µs; the last bucket collects everything above.
pub const BUCKETS: usize = 5_000;

/// A latency histogram in 1 µs buckets (`BUCKETS` of them, the last one open-ended) with its
/// exact maximum. Recording is lock-free; reading while the engine records gives a close, not
/// an atomic, snapshot.
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    max_ns: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            max_ns: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    /// Counts one sample of `ns` nanoseconds.
    pub fn record_ns(&self, ns: u64) {
        let idx = ((ns / 1_000) as usize).min(BUCKETS - 1);
        self.buckets[idx].fetch_add(1, Ordering::Relaxed);
        self.max_ns.fetch_max(ns, Ordering::Relaxed);
    }

    /// Samples recorded since the last reset.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// The `q` quantile (0..=1) in µs (upper edge of its bucket).
    pub fn quantile_us(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= rank {
                return i as u64 + 1;
            }
        }
        BUCKETS as u64
    }

    /// The largest sample since the last reset, in µs (exact, not bucketed).
    pub fn max_us(&self) -> f64 {
        self.max_ns.load(Ordering::Relaxed) as f64 / 1_000.0
    }

    /// `p50 … p99 … p99.9 … max …` in µs, for reports.
    pub fn summary(&self) -> String {
        format!(
            "p50 {} p99 {} p99.9 {} max {:.1}",
            self.quantile_us(0.5),
            self.quantile_us(0.99),
            self.quantile_us(0.999),
            self.max_us()
        )
    }

    /// Forgets every sample (a bench between its phases).
    pub fn reset(&self) {
        for b in self.buckets.iter() {
            b.store(0, Ordering::Relaxed);
        }
        self.max_ns.store(0, Ordering::Relaxed);
    }
}

/// What the engine measures about itself.
#[derive(Default)]
pub struct TimingStats {
    /// Actual onset minus scheduled onset.
    pub onset_error: Histogram,
    /// |actual phase width − requested phase width|, both phases.
    pub phase_error: Histogram,
    /// ns spent spinning (lead + phases), for the CPU budget.
    pub spin_ns: AtomicU64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let h = Histogram::default();
        for us in 0..100 {
            h.record_ns(us * 1_000 + 500);
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile_us(0.5), 50);
        assert_eq!(h.quantile_us(0.99), 99);
        assert!((h.max_us() - 99.5).abs() < 1e-9);
        h.record_ns(u64::MAX / 2);
        assert_eq!(h.quantile_us(1.0), BUCKETS as u64);
    }
}
