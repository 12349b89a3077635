//! Per-sender rate limiting: a client flooding calls gets `RateLimited` instead of filling the
//! session manager's queue, so it cannot delay other clients (the pulses never depended on
//! it: the engine and the supervisor do not wait for anything on the bus). `EmergencyStop` is
//! never limited.

use super::StimdError;
use crate::texts::Text;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Calls a sender may make in a burst.
const BURST: f64 = 50.0;
/// Calls a sender may make per second once its burst is spent.
const PER_SECOND: f64 = 50.0;
/// Senders remembered at most; idle ones are forgotten first.
const MAX_SENDERS: usize = 256;

/// A token bucket per D-Bus sender.
#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Limiter {
    /// Takes one call's token for `sender` at `now`, or says how long to wait.
    pub fn take_at(&self, sender: &str, now: Instant) -> Result<(), StimdError> {
        let Ok(mut b) = self.buckets.lock() else {
            return Ok(());
        };
        if b.len() >= MAX_SENDERS && !b.contains_key(sender) {
            b.retain(|_, (tokens, at)| {
                *tokens < BURST - 1.0 || now.duration_since(*at).as_secs() < 10
            });
            if b.len() >= MAX_SENDERS {
                if let Some(oldest) = b
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(k, _)| k.clone())
                {
                    b.remove(&oldest);
                }
            }
        }
        let (tokens, at) = b.entry(sender.to_string()).or_insert((BURST, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * PER_SECOND).min(BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait_ms = ((1.0 - *tokens) / PER_SECOND * 1000.0).ceil();
            Err(StimdError::RateLimited(
                Text::new("call.rate_limited")
                    .arg("sender", sender.to_string())
                    .arg("per_second", PER_SECOND as u32)
                    .arg("burst", BURST as u32)
                    .arg("wait_ms", wait_ms as u32)
                    .into(),
            ))
        }
    }

    /// Takes a token for the sender of the call `hdr` belongs to.
    pub fn take(&self, hdr: &zbus::message::Header<'_>) -> Result<(), StimdError> {
        match hdr.sender() {
            Some(s) => self.take_at(s.as_str(), Instant::now()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_flooding_sender_is_limited_and_others_are_not() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for _ in 0..50 {
            l.take_at(":1.7", t0).unwrap();
        }
        let e = l.take_at(":1.7", t0).unwrap_err();
        assert!(
            e.message().contains("too many calls from :1.7"),
            "{}",
            e.message()
        );
        l.take_at(":1.8", t0)
            .expect("another client is not affected");
        // Tokens come back at 50 a second.
        l.take_at(":1.7", t0 + Duration::from_millis(21)).unwrap();
        assert!(l.take_at(":1.7", t0 + Duration::from_millis(22)).is_err());
    }

    #[test]
    fn the_table_of_senders_stays_bounded() {
        let l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..1_000 {
            l.take_at(&format!(":1.{i}"), t0 + Duration::from_millis(i))
                .unwrap();
        }
        assert!(l.buckets.lock().unwrap().len() <= MAX_SENDERS);
    }
}
