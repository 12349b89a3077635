//! The monotonic clock every thread shares, absolute-deadline sleeping, and local dates.
//!
//! The only users of `clock_gettime`/`clock_nanosleep` (through `sys`); the monotonic part
//! never allocates. Local dates and days (dose guidance, `stimctl history`) go through `jiff`
//! in 64-bit seconds, so they hold past 2038 on 32-bit `time_t` (armv7) too; they are never
//! used on the real-time path.

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

/// The local time zone: `TZ` if set, else `/etc/localtime`, with zone names from
/// `/usr/share/zoneinfo` (cached by `jiff` for five minutes). UTC if neither can be read, as
/// the C library does. A system with neither `TZ` nor `/etc/localtime` runs on UTC by
/// convention (glibc, systemd), which is said once at debug level; a `TZ` or `/etc/localtime`
/// that is there but cannot be used is a warning, the first time.
fn local_zone() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::try_system().unwrap_or_else(|e| {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| {
            let configured = std::env::var_os("TZ").is_some()
                || std::fs::symlink_metadata("/etc/localtime").is_ok();
            let msg = format!(
                "no usable local time zone ({e}): local dates and days are in UTC; set TZ or \
                 install /etc/localtime and /usr/share/zoneinfo"
            );
            match (configured, tracing::dispatcher::has_been_set()) {
                (false, true) => tracing::debug!("{msg}"),
                (false, false) => {}
                (true, true) => tracing::warn!("{msg}"),
                (true, false) => eprintln!("warning: {msg}"),
            }
        });
        jiff::tz::TimeZone::UTC
    })
}

fn zoned(t: i64, tz: jiff::tz::TimeZone) -> Option<jiff::ZonedDateTime> {
    Some(jiff::Timestamp::from_second(t).ok()?.to_zoned_datetime(tz))
}

/// The start of the local day that contains `t` (Unix seconds); `None` out of range.
pub fn local_day_start(t: i64) -> Option<i64> {
    day_start_in(t, local_zone())
}

fn day_start_in(t: i64, tz: jiff::tz::TimeZone) -> Option<i64> {
    Some(zoned(t, tz)?.start_of_day().ok()?.timestamp().as_second())
}

/// `HH:MM`, the local time of day at `t` (Unix seconds); `None` out of range.
pub fn local_hour_minute(t: i64) -> Option<String> {
    hour_minute_in(t, local_zone())
}

fn hour_minute_in(t: i64, tz: jiff::tz::TimeZone) -> Option<String> {
    let z = zoned(t, tz)?;
    Some(format!("{:02}:{:02}", z.hour(), z.minute()))
}

/// `YYYY-MM-DD HH:MM`, the local date and time at `t` (Unix seconds); `None` out of range.
pub fn local_date_minute(t: i64) -> Option<String> {
    date_minute_in(t, local_zone())
}

fn date_minute_in(t: i64, tz: jiff::tz::TimeZone) -> Option<String> {
    let z = zoned(t, tz)?;
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        z.year(),
        z.month(),
        z.day(),
        z.hour(),
        z.minute()
    ))
}

/// The start of the local day `YYYY-MM-DD` (years 1970 to 9999), as Unix seconds; `None` if
/// `text` is no such date or its day starts before 1970-01-01 00:00 UTC.
pub fn parse_local_date(text: &str) -> Option<i64> {
    parse_date_in(text, local_zone())
}

fn parse_date_in(text: &str, tz: jiff::tz::TimeZone) -> Option<i64> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let (y, m, d): (i32, i32, i32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // In range for i16/i8 after the checks above; Date::new refuses days past the month's end.
    let date = jiff::civil::Date::new(y as i16, m as i8, d as i8).ok()?;
    let t = match date.to_zoned_datetime(tz.clone()) {
        Ok(z) => z.timestamp().as_second(),
        // The end of 9999 lies past jiff's last instant (9999-12-30 22:00 UTC): the zone's
        // offset there applies, as in the C library.
        Err(_) => {
            let epoch = jiff::civil::Date::constant(1970, 1, 1);
            let offset = tz.to_offset(jiff::Timestamp::MAX).seconds();
            date.duration_since(epoch).as_secs() - i64::from(offset)
        }
    };
    (t >= 0).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    /// Central Europe as a POSIX rule: no zoneinfo files needed, so it runs on every target.
    fn berlin() -> TimeZone {
        TimeZone::posix("CET-1CEST,M3.5.0,M10.5.0/3").unwrap()
    }

    #[test]
    fn dates_past_2038_hold_on_every_target() {
        // 2038-01-19 03:14:07 UTC is the last second of a 32-bit time_t.
        let utc = TimeZone::UTC;
        assert_eq!(
            parse_date_in("2039-01-01", utc.clone()),
            Some(2_177_452_800)
        );
        assert_eq!(
            parse_date_in("2100-01-01", utc.clone()),
            Some(4_102_444_800)
        );
        assert_eq!(
            parse_date_in("2039-01-01", berlin()),
            Some(2_177_452_800 - 3_600)
        );
        assert_eq!(
            date_minute_in(4_102_444_800 + 3_661, utc.clone()).as_deref(),
            Some("2100-01-01 01:01")
        );
        assert_eq!(
            day_start_in(2_177_452_800 + 86_399, utc.clone()),
            Some(2_177_452_800)
        );
        assert_eq!(
            hour_minute_in(2_177_452_800 + 7_260, berlin()).as_deref(),
            Some("03:01")
        );
        // And in this machine's own zone, whatever it is.
        for day in ["2039-01-01", "2100-01-01"] {
            let t = parse_local_date(day).unwrap_or_else(|| panic!("{day} is a date"));
            assert_eq!(local_date_minute(t), Some(format!("{day} 00:00")));
            assert_eq!(local_day_start(t + 12 * 3_600), Some(t));
            assert_eq!(local_hour_minute(t).as_deref(), Some("00:00"));
        }
    }

    #[test]
    fn only_real_dates_from_1970_to_9999_parse() {
        let utc = || TimeZone::UTC;
        assert_eq!(parse_date_in("1970-01-01", utc()), Some(0));
        assert_eq!(parse_date_in("2024-02-29", utc()), Some(1_709_164_800));
        assert_eq!(parse_date_in("2024-3-1", utc()), Some(1_709_251_200));
        assert_eq!(parse_date_in("9999-12-31", utc()), Some(253_402_214_400));
        assert_eq!(
            parse_date_in("9999-12-31", berlin()),
            Some(253_402_214_400 - 3_600)
        );
        for bad in [
            "",
            "2024",
            "2024-01",
            "2024-01-01-01",
            "2024-01-01 10:00",
            "1969-12-31",
            "10000-01-01",
            "2023-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-01-32",
            "yyyy-mm-dd",
        ] {
            assert_eq!(parse_date_in(bad, utc()), None, "{bad:?}");
        }
        // East of Greenwich 1970-01-01 starts before the epoch, as the C library refused too.
        assert_eq!(parse_date_in("1970-01-01", berlin()), None);
        assert_eq!(parse_date_in("1970-01-02", berlin()), Some(86_400 - 3_600));
    }

    #[test]
    fn local_days_follow_daylight_saving_time() {
        // 2024-03-31 is the spring change in Central Europe: the day is 23 hours long.
        let day = parse_date_in("2024-03-31", berlin()).unwrap();
        assert_eq!(day, 1_711_839_600);
        let next = parse_date_in("2024-04-01", berlin()).unwrap();
        assert_eq!(next - day, 23 * 3_600);
        assert_eq!(day_start_in(next - 1, berlin()), Some(day));
        assert_eq!(
            hour_minute_in(day + 2 * 3_600, berlin()).as_deref(),
            Some("03:00")
        );
        assert_eq!(
            date_minute_in(next - 60, berlin()).as_deref(),
            Some("2024-03-31 23:59")
        );
    }
}
