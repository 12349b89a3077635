//! The monotonic clock every thread shares, and absolute-deadline sleeping.
//!
//! The only users of `clock_gettime`/`clock_nanosleep` (through `sys`). Never allocates.

/// Nanoseconds of `CLOCK_MONOTONIC`.
pub fn now_ns() -> u64 {
    crate::sys::now_ns()
}

/// Sleeps until the monotonic clock reads `deadline_ns` (`TIMER_ABSTIME`: no drift from
/// relative sleeps). Returns at once if the deadline has passed.
pub fn sleep_until_ns(deadline_ns: u64) {
    crate::sys::sleep_until_ns(deadline_ns)
}

/// Busy-waits until `deadline_ns`. Callers bound the wait (see `engine`).
pub fn spin_until_ns(deadline_ns: u64) -> u64 {
    loop {
        let now = now_ns();
        if now >= deadline_ns {
            return now;
        }
        std::hint::spin_loop();
    }
}

/// Seconds since the Unix epoch (for history timestamps).
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Wall-clock time in Unix milliseconds (history records).
pub fn unix_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
