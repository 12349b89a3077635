//! `stimctl start`, `set`, `step`, `pause`, `resume` and `stop`: steering the session, and
//! saying when and why stimd limited a request (the target it returned or reports, and the
//! limit its `Clamped` signal names).

use crate::fail::{describe, unreachable};
use crate::json;
use crate::say::{clean, milliamps, n, s, text, text_args};
use futures_util::StreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use stimd::api::device::{ClampedStream, DeviceProxy};
use stimd::api::session::SessionProxy;
use zbus::proxy::CacheProperties;
use zbus::zvariant::{OwnedValue, Value};

/// How long stimctl waits for the `Clamped` signal of a request it knows was limited (the
/// signal and the method's reply travel separately).
const CLAMPED_WAIT: Duration = Duration::from_secs(5);

/// What `start` was asked for.
pub struct StartArgs {
    pub program: String,
    pub intensity: Option<f64>,
    pub duration: Option<u32>,
    pub profile: Option<String>,
    pub placement: Option<String>,
}

/// A request stimd lowered: channel, asked, applied, the limit's name (empty if unknown).
struct Limited {
    channel: u32,
    requested: u32,
    applied: u32,
    limit: String,
}

impl Limited {
    fn line(&self) -> String {
        let reason = match self.limit.as_str() {
            "profile_max" | "peak_current" | "rms_current" | "current_density"
            | "charge_per_phase" => text(&format!("limit-{}", self.limit)),
            "" => text("limit-unknown"),
            other => clean(other),
        };
        text_args(
            "limited",
            &[
                ("channel", n(self.channel)),
                ("level", s(&milliamps(self.applied))),
                ("requested", s(&milliamps(self.requested))),
                ("reason", s(&reason)),
            ],
        )
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "channel": self.channel,
            "requested_ua": self.requested,
            "applied_ua": self.applied,
            "limit": if self.limit.is_empty() { None } else { Some(&self.limit) },
        })
    }
}

/// Waits (at most `CLAMPED_WAIT`) for the `Clamped` signal of `channel`; its limit's name, or
/// empty when none came.
async fn clamp_reason(stream: &mut ClampedStream, channel: u32) -> String {
    let wait = async {
        while let Some(signal) = stream.next().await {
            if let Ok(a) = signal.args() {
                if a.channel == channel {
                    return a.limit.to_string();
                }
            }
        }
        String::new()
    };
    tokio::time::timeout(CLAMPED_WAIT, wait)
        .await
        .unwrap_or_default()
}

pub fn milliamps_to_ua(arg: &str, ma: f64) -> Result<u32, String> {
    if !(0.0..=100.0).contains(&ma) || !ma.is_finite() {
        return Err(text_args(
            "error-milliamps-range",
            &[("arg", s(arg)), ("value", s(&ma.to_string()))],
        ));
    }
    Ok((ma * 1000.0).round() as u32)
}

async fn proxies(
    conn: &zbus::Connection,
) -> Result<(DeviceProxy<'static>, SessionProxy<'static>), String> {
    let device = DeviceProxy::builder(conn)
        .cache_properties(CacheProperties::No)
        .build()
        .await
        .map_err(unreachable)?;
    let session = SessionProxy::builder(conn)
        .cache_properties(CacheProperties::No)
        .build()
        .await
        .map_err(unreachable)?;
    Ok((device, session))
}

fn owned(v: Value<'_>) -> Result<OwnedValue, String> {
    v.try_into()
        .map_err(|e: zbus::zvariant::Error| e.to_string())
}

pub async fn start(conn: &zbus::Connection, a: StartArgs, as_json: bool) -> Result<(), String> {
    let requested = a
        .intensity
        .map(|m| milliamps_to_ua("--intensity", m))
        .transpose()?;
    let (device, session) = proxies(conn).await?;
    let program = crate::names::program_id(conn, &a.program).await?;
    let channels = device.channels().await.map_err(describe)?;
    let mut options: HashMap<String, OwnedValue> = HashMap::new();
    if let Some(ua) = requested {
        options.insert(
            "intensity".into(),
            owned(Value::from(vec![ua; channels as usize]))?,
        );
    }
    if let Some(min) = a.duration {
        let secs = min
            .checked_mul(60)
            .ok_or(text_args("error-duration-range", &[("value", n(min))]))?;
        options.insert("duration".into(), OwnedValue::from(secs));
    }
    for (key, value) in [("profile", a.profile), ("placement", a.placement)] {
        if let Some(v) = value {
            options.insert(key.into(), owned(Value::from(v))?);
        }
    }
    let mut clamped = device.receive_clamped().await.map_err(unreachable)?;
    let id = session.start(&program, options).await.map_err(describe)?;
    let targets = session.target().await.map_err(describe)?;
    let mut limited = Vec::new();
    if let Some(ua) = requested {
        for (ch, &t) in targets.iter().enumerate() {
            if t < ua {
                let ch = ch as u32;
                let limit = clamp_reason(&mut clamped, ch).await;
                limited.push(Limited {
                    channel: ch,
                    requested: ua,
                    applied: t,
                    limit,
                });
            }
        }
    }
    if as_json {
        let doc = json!({
            "session": id,
            "program": program,
            "targets_ua": targets,
            "limited": limited.iter().map(Limited::json).collect::<Vec<_>>(),
        });
        json::print(&doc, true);
        return Ok(());
    }
    println!(
        "{}",
        text_args(
            "start-done",
            &[("id", n(id as f64)), ("program", s(&clean(&program)))]
        )
    );
    for l in &limited {
        println!("{}", l.line());
    }
    Ok(())
}

/// What `set` and `step` ask for.
pub enum Change {
    /// `set`: this target, µA.
    To(u32),
    /// `step`: this many intensity steps up (down when negative).
    By(i32),
}

/// `set` or `step`: the target stimd applied, and why it is lower than asked when it is.
pub async fn set(
    conn: &zbus::Connection,
    channel: u32,
    change: Change,
    as_json: bool,
) -> Result<(), String> {
    let (device, session) = proxies(conn).await?;
    let mut clamped = device.receive_clamped().await.map_err(unreachable)?;
    let (applied, requested) = match change {
        Change::To(ua) => (
            session.set_intensity(channel, ua).await.map_err(describe)?,
            ua,
        ),
        Change::By(steps) => {
            let before = session.target().await.map_err(describe)?;
            let limits = device.limits().await.map_err(describe)?;
            let step: u32 = limits
                .get("intensity_step_ua")
                .and_then(|v| u32::try_from(v.try_clone().ok()?).ok())
                .unwrap_or(0);
            let applied = session
                .step_intensity(channel, steps)
                .await
                .map_err(describe)?;
            let from = before.get(channel as usize).copied().unwrap_or(0);
            let asked = i64::from(from) + i64::from(steps) * i64::from(step);
            // A step rounds to whole steps first: only more than half a step short is a limit.
            let requested = if steps > 0 && i64::from(applied) + i64::from(step / 2) < asked {
                u32::try_from(asked).unwrap_or(u32::MAX)
            } else {
                applied
            };
            (applied, requested)
        }
    };
    let limited = if applied < requested {
        Some(Limited {
            channel,
            requested,
            applied,
            limit: clamp_reason(&mut clamped, channel).await,
        })
    } else {
        None
    };
    if as_json {
        let doc = json!({
            "channel": channel,
            "target_ua": applied,
            "limited": limited.as_ref().map(Limited::json),
        });
        json::print(&doc, true);
        return Ok(());
    }
    match limited {
        Some(l) => println!("{}", l.line()),
        None => println!(
            "{}",
            text_args(
                "target-set",
                &[("channel", n(channel)), ("level", s(&milliamps(applied)))]
            )
        ),
    }
    Ok(())
}

/// `pause`, `resume` or `stop`.
pub async fn simple(conn: &zbus::Connection, what: &str) -> Result<(), String> {
    let (_, session) = proxies(conn).await?;
    match what {
        "pause" => session.pause().await,
        "resume" => session.resume().await,
        _ => session.stop().await,
    }
    .map_err(describe)?;
    println!("{}", text(&format!("{what}-done")));
    Ok(())
}
