//! `io.stimd.Stimd1.History`: the usage history, newest first; pain ratings, a summary of what
//! helps, an export, and the history's own health (`Status`).

use super::StimdError;
use crate::history::export::{export, FORMATS};
use crate::history::{ChangeRow, HistoryError, HistoryHandle, SessionRow, Summary};
use crate::texts::Text;
use std::collections::HashMap;
use tokio::sync::watch;
use zbus::interface;
use zbus::zvariant::{OwnedValue, Value};

/// The `History` D-Bus interface: translates calls into history queries and rows into
/// `a{sv}` dictionaries; the history itself owns the data and its rules.
pub struct History {
    /// Per-sender bounds on calls (shared by every interface).
    pub limiter: std::sync::Arc<super::limiter::Limiter>,
    /// The history thread's handle, asked for every query.
    pub history: HistoryHandle,
    /// The history's status, shown as the `Status` property.
    pub status: watch::Receiver<String>,
    /// A profile's language (its advice is in it; the device's for an unknown profile).
    pub language_of: std::sync::Arc<dyn Fn(&str) -> crate::texts::Lang + Send + Sync>,
}

fn entry(v: Value<'_>) -> Result<OwnedValue, StimdError> {
    v.try_into().map_err(|e: zbus::zvariant::Error| {
        StimdError::Failed(
            Text::new("internal.failed")
                .arg("detail", e.to_string())
                .into(),
        )
    })
}

fn session_dict(r: SessionRow) -> Result<HashMap<String, OwnedValue>, StimdError> {
    let duration = r.duration_s();
    let mut d = HashMap::from([
        ("id".to_string(), entry(Value::U64(r.id))?),
        ("program".to_string(), entry(Value::from(r.program))?),
        ("profile".to_string(), entry(Value::from(r.profile))?),
        ("placement".to_string(), entry(Value::from(r.placement))?),
        ("start".to_string(), entry(Value::I64(r.start))?),
        ("end".to_string(), entry(Value::I64(r.end))?),
        ("duration".to_string(), entry(Value::U32(duration as u32))?),
        ("end_reason".to_string(), entry(Value::from(r.end_reason))?),
        ("channels".to_string(), entry(Value::from(r.channels))?),
        (
            "max_intensity".to_string(),
            entry(Value::from(r.max_intensity))?,
        ),
        (
            "mean_intensity".to_string(),
            entry(Value::from(r.mean_intensity))?,
        ),
        ("segments".to_string(), entry(Value::from(r.segments))?),
        (
            "stimulated".to_string(),
            entry(Value::U32(
                r.stimulated_s.clamp(0, i64::from(u32::MAX)) as u32
            ))?,
        ),
    ]);
    if let (Some(b), Some(a)) = (r.pain_before, r.pain_after) {
        d.insert("pain_before".into(), entry(Value::U8(b))?);
        d.insert("pain_after".into(), entry(Value::U8(a))?);
    }
    Ok(d)
}

fn change_dict(r: ChangeRow) -> Result<HashMap<String, OwnedValue>, StimdError> {
    Ok(HashMap::from([
        ("time".to_string(), entry(Value::I64(r.time()))?),
        ("time_ms".to_string(), entry(Value::I64(r.time_ms))?),
        ("session".to_string(), entry(Value::U64(r.session_id))?),
        ("actor".to_string(), entry(Value::from(r.actor))?),
        ("kind".to_string(), entry(Value::from(r.kind))?),
        ("channel".to_string(), entry(Value::U32(r.channel))?),
        ("from".to_string(), entry(Value::U32(r.from))?),
        ("to".to_string(), entry(Value::U32(r.to))?),
        ("profile".to_string(), entry(Value::from(r.profile))?),
        ("detail".to_string(), entry(Value::from(r.detail))?),
    ]))
}

fn summary_dict(s: Summary) -> Result<HashMap<String, OwnedValue>, StimdError> {
    let programs = s
        .programs
        .into_iter()
        .map(|p| {
            Ok(HashMap::from([
                ("program".to_string(), entry(Value::from(p.program))?),
                ("sessions".to_string(), entry(Value::U32(p.sessions))?),
                ("minutes".to_string(), entry(Value::U32(p.minutes))?),
                ("rated".to_string(), entry(Value::U32(p.rated))?),
                ("mean_before".to_string(), entry(Value::F64(p.mean_before))?),
                ("mean_after".to_string(), entry(Value::F64(p.mean_after))?),
                (
                    "mean_reduction".to_string(),
                    entry(Value::F64(p.mean_reduction))?,
                ),
            ]))
        })
        .collect::<Result<Vec<HashMap<String, OwnedValue>>, StimdError>>()?;
    Ok(HashMap::from([
        ("sessions".to_string(), entry(Value::U32(s.sessions))?),
        ("minutes".to_string(), entry(Value::U32(s.minutes))?),
        ("days".to_string(), entry(Value::U32(s.days))?),
        (
            "sessions_per_day".to_string(),
            entry(Value::F64(s.sessions_per_day))?,
        ),
        ("programs".to_string(), entry(Value::from(programs))?),
    ]))
}

/// A history failure as the D-Bus error clients see: a rating for a session that does not
/// exist is a bad argument; anything else means the history could not answer.
impl From<HistoryError> for StimdError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::NoSuchSession(id) => StimdError::InvalidArgument(
                Text::new("history.no_such_session").arg("id", id).into(),
            ),
            _ => StimdError::HistoryUnavailable(
                Text::new("history.unavailable")
                    .arg("detail", e.to_string())
                    .into(),
            ),
        }
    }
}

fn check_period(since: i64, until: i64) -> Result<(), StimdError> {
    if since < 0 || until < 0 || (until != 0 && until < since) {
        return Err(StimdError::InvalidArgument(
            Text::new("history.bad_period")
                .arg("since", since)
                .arg("until", until)
                .into(),
        ));
    }
    Ok(())
}

#[interface(
    name = "io.stimd.Stimd1.History",
    proxy(
        default_service = "io.stimd.Stimd1",
        default_path = "/io/stimd/Stimd1",
        gen_blocking = false
    )
)]
impl History {
    /// Sessions started between `since` and `until` (Unix s, 0 = unbounded), at most `limit`
    /// (0 = all). Keys: id t, program s, profile s, placement s, start x, end x (0 while
    /// running), duration u (s), end_reason s, channels au, max_intensity au, mean_intensity
    /// au (µA), segments as (the modes run), stimulated u (s of stimulation at a non-zero
    /// level: what the dose guidance counts), and pain_before y, pain_after y when rated.
    async fn sessions(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        since: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<HashMap<String, OwnedValue>>, StimdError> {
        self.limiter.take(&hdr)?;
        check_period(since, until)?;
        let rows = self.history.sessions(since, until, limit).await?;
        rows.into_iter().map(session_dict).collect()
    }

    /// Faults since `since` (Unix s, 0 = unbounded), at most `limit` (0 = all). Keys: time x,
    /// code s, message s, session t (0 when none ran).
    async fn faults(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        since: i64,
        limit: u32,
    ) -> Result<Vec<HashMap<String, OwnedValue>>, StimdError> {
        self.limiter.take(&hdr)?;
        check_period(since, 0)?;
        let rows = self.history.faults(since, limit).await?;
        rows.into_iter()
            .map(|r| {
                Ok(HashMap::from([
                    ("time".to_string(), entry(Value::I64(r.time))?),
                    ("code".to_string(), entry(Value::from(r.code))?),
                    ("message".to_string(), entry(Value::from(r.message))?),
                    ("session".to_string(), entry(Value::U64(r.session_id))?),
                ]))
            })
            .collect()
    }

    /// The audit trail: who changed what, between `since` and `until` (Unix s, 0 =
    /// unbounded, `until`'s whole second included), newest first, at most `limit` (0 = all).
    /// Keys: time x (Unix s), time_ms x, session t (0 when none ran), actor s (`uid:<n>`,
    /// `client`, `button`, `ramp`, `habituation`, `program`, `safety`, `safety:<reason>`), kind
    /// s, channel u, from u, to u (µA; 0 where not meaningful), profile s, detail s. Kinds:
    /// `intensity` (a new target; from = the channel's previous target in the session),
    /// `level` (the level the ramp reached, at most once a second; from = the previous level),
    /// `clamp` (a limit held a request down: from = asked, to = applied, detail = the limit),
    /// `profile_created`, `profile_limits`, `profile_removed`, `screening`,
    /// `screening_refused`, `approval` (detail = what changed), `pads_replaced` (channel; detail
    /// = the old set's use), `program_added`, `program_removed` (detail = the program id);
    /// `profile` for a profile change recorded before kinds were kept.
    async fn changes(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        since: i64,
        until: i64,
        limit: u32,
    ) -> Result<Vec<HashMap<String, OwnedValue>>, StimdError> {
        self.limiter.take(&hdr)?;
        check_period(since, until)?;
        let rows = self.history.changes(since, until, limit).await?;
        rows.into_iter().map(change_dict).collect()
    }

    /// Records how much it hurt before and after session `id` (0–10 each; a new rating
    /// replaces the old one).
    async fn rate_pain(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        id: u64,
        before: u8,
        after: u8,
    ) -> Result<(), StimdError> {
        self.limiter.take(&hdr)?;
        for (name, v) in [("before", before), ("after", after)] {
            if v > 10 {
                return Err(StimdError::InvalidArgument(
                    Text::new("history.pain_out_of_range")
                        .arg("name", name)
                        .arg("value", v as u32)
                        .into(),
                ));
            }
        }
        Ok(self.history.rate_pain(id, before, after).await?)
    }

    /// Use over `since`..`until` (Unix s, 0 = unbounded): sessions u, minutes u, days u,
    /// sessions_per_day d, and programs aa{sv} (program s, sessions u, minutes u, rated u,
    /// mean_before d, mean_after d, mean_reduction d — pain points, over rated sessions).
    async fn summary(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        since: i64,
        until: i64,
    ) -> Result<HashMap<String, OwnedValue>, StimdError> {
        self.limiter.take(&hdr)?;
        check_period(since, until)?;
        let s = self.history.summary(since, until).await?;
        summary_dict(s)
    }

    /// What works for `profile`: sessions u, programs aa{sv} (as in `Summary`, this
    /// profile's sessions only), recommended s (the program with the largest mean pain
    /// reduction among those with at least 3 rated sessions; "" if none yet), reduction d,
    /// rated u, and message s (the advice in words, with the numbers).
    async fn advice(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        profile: &str,
    ) -> Result<HashMap<String, OwnedValue>, StimdError> {
        self.limiter.take(&hdr)?;
        if !crate::care::profile::valid_name(profile) {
            return Err(StimdError::InvalidArgument(
                Text::new("profile.not_a_name")
                    .quoted("profile", profile)
                    .into(),
            ));
        }
        let s = self.history.profile_summary(profile).await?;
        let best = crate::care::advice::recommend(&s).cloned();
        let lang = (self.language_of)(profile);
        let text = crate::care::advice::text(profile, &s).in_lang(lang);
        let message = text.render();
        let mut d = summary_dict(s)?;
        let put = |d: &mut HashMap<String, OwnedValue>, k: &str, v: Value<'_>| {
            d.insert(
                k.into(),
                v.try_into().unwrap_or_else(|_| OwnedValue::from(0u8)),
            );
        };
        put(
            &mut d,
            "recommended",
            Value::from(best.as_ref().map_or(String::new(), |b| b.program.clone())),
        );
        put(
            &mut d,
            "reduction",
            Value::F64(best.as_ref().map_or(0.0, |b| b.mean_reduction)),
        );
        put(
            &mut d,
            "rated",
            Value::U32(best.as_ref().map_or(0, |b| b.rated)),
        );
        put(&mut d, "message", Value::from(message));
        put(&mut d, "code", Value::from(text.code));
        put(&mut d, "args", Value::from(text.dbus_args()));
        Ok(d)
    }

    /// The whole history as `json` (an object: `sessions`, the rows of `Sessions`, and
    /// `changes`, the rows of `Changes`, both newest first), `csv` (two tables separated by an
    /// empty line, each with a header row: the sessions, then the changes) or `fhir` (a FHIR
    /// R4 transaction Bundle: a Procedure per session, an Observation per pain score, LOINC
    /// 72514-3; the changes are not in it).
    async fn export(
        &self,
        #[zbus(header)] hdr: zbus::message::Header<'_>,
        format: &str,
    ) -> Result<String, StimdError> {
        self.limiter.take(&hdr)?;
        if !FORMATS.contains(&format) {
            return Err(StimdError::InvalidArgument(
                Text::new("history.unknown_format")
                    .quoted("format", format)
                    .arg("allowed", &FORMATS[..])
                    .into(),
            ));
        }
        let rows = self.history.sessions(0, 0, 0).await?;
        let changes = self.history.changes(0, 0, 0).await?;
        export(&rows, &changes, format).map_err(|e| {
            StimdError::Failed(
                Text::new("history.export_failed")
                    .arg("detail", e.to_string())
                    .into(),
            )
        })
    }

    /// `ok`, or what is wrong with the history: `degraded: …` (writes failing or dropped, or
    /// the database deleted or replaced while in use — stimulation is unaffected), `recovered:
    /// …` (an unreadable database moved aside, a deleted one recreated, or one that could not
    /// be opened at start-up opened later), `unavailable: …` (not open yet; retried every few
    /// seconds, new records kept in memory meanwhile).
    #[zbus(property)]
    fn status(&self) -> String {
        self.status.borrow().clone()
    }
}
