//! The history's rows and figures: what is recorded (sessions, intensity changes, faults,
//! clamps, profile changes), what queries return (rows, summaries), and how long it is kept.

use serde::Serialize;

/// A session row as `History.Sessions` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    /// The session id (from 1, never repeated; see `ids`).
    pub id: u64,
    /// The program's id in the catalogue, e.g. `low-back`.
    pub program: String,
    /// The profile (person) the session ran for.
    pub profile: String,
    /// Where the pads were, as the client named it (may be empty).
    pub placement: String,
    /// When it started, Unix seconds.
    pub start: i64,
    /// When it ended, Unix seconds; 0 while running.
    pub end: i64,
    /// Why it ended (`completed`, `stopped`, `emergency_stop`, `fault:<code>`, …;
    /// `interrupted` when a crash or power loss cut it short); empty while running.
    pub end_reason: String,
    /// The output channels used (0-based); the per-channel lists below follow this order.
    pub channels: Vec<u32>,
    /// The highest intensity reached per channel, µA.
    pub max_intensity: Vec<u32>,
    /// Time-weighted mean intensity per channel over the session, µA.
    pub mean_intensity: Vec<u32>,
    /// The modes of the segments run, in order.
    pub segments: Vec<String>,
    /// Pain score 0–10 before the session, when rated (`History.RatePain`).
    pub pain_before: Option<u8>,
    /// Pain score 0–10 after the session, when rated.
    pub pain_after: Option<u8>,
    /// Seconds of stimulation at a non-zero level so far (sessions recorded before this was
    /// kept: their whole duration).
    pub stimulated_s: i64,
}

impl SessionRow {
    /// A fresh row for a session starting now.
    pub fn starting(
        id: u64,
        program: &str,
        profile: &str,
        placement: &str,
        start: i64,
        channels: Vec<u32>,
    ) -> SessionRow {
        let n = channels.len();
        SessionRow {
            id,
            program: program.into(),
            profile: profile.into(),
            placement: placement.into(),
            start,
            end: 0,
            end_reason: String::new(),
            channels,
            max_intensity: vec![0; n],
            mean_intensity: vec![0; n],
            segments: Vec::new(),
            pain_before: None,
            pain_after: None,
            stimulated_s: 0,
        }
    }

    /// Seconds from start to end (0 while running).
    pub fn duration_s(&self) -> i64 {
        if self.end == 0 {
            0
        } else {
            (self.end - self.start).max(0)
        }
    }
}

/// A fault row as `History.Faults` returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultRow {
    /// When it happened, Unix seconds.
    pub time: i64,
    /// The fault code, e.g. `overcurrent`, `hardware_unavailable`.
    pub code: String,
    /// What happened, in words.
    pub message: String,
    /// The session running at the time; 0 when none ran.
    pub session_id: u64,
}

/// An intensity request that a limit held down: what was asked, what was applied, and which
/// limit decided.
#[derive(Debug, Clone, PartialEq)]
pub struct ClampRow {
    /// When, Unix seconds.
    pub time: i64,
    /// The session it happened in.
    pub session_id: u64,
    /// The output channel (0-based).
    pub channel: u32,
    /// The intensity asked for, µA.
    pub requested: u32,
    /// The intensity applied instead, µA.
    pub applied: u32,
    /// The limit that held it down, e.g. `peak_current`, `profile_max`.
    pub limit: String,
}

/// A change to a profile's limits, answers or approval, with who made it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileChangeRow {
    /// When, Unix seconds.
    pub time: i64,
    /// The profile changed.
    pub profile: String,
    /// Who changed it, e.g. `uid:1000`.
    pub actor: String,
    /// What kind of change, a stable word for `History.Changes`: `profile_created`,
    /// `profile_limits`, `profile_removed`, `screening`, `screening_refused` or `approval`.
    pub kind: &'static str,
    /// What changed, in words (`created (…)`, `limits: …`, `removed`, or a refusal).
    pub change: String,
}

/// One entry of the audit trail (`History.Changes`): who changed what, when. Read from the
/// intensity changes, the clamps, the profile changes and the other changes (pads, programs);
/// written as such only for the last (`kind` `pads_replaced`, `program_added`,
/// `program_removed`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeRow {
    /// When, Unix milliseconds (whole seconds ×1000 for changes kept by the second).
    pub time_ms: i64,
    /// The session it happened in; 0 when none.
    #[serde(rename = "session")]
    pub session_id: u64,
    /// Who made it: `uid:<n>`, `client`, `button`, `ramp`, `habituation`, `program`,
    /// `safety` (a limit held it down), `safety:<reason>`.
    pub actor: String,
    /// What kind of change (see `History.Changes`): `intensity`, `level`, `clamp`, the
    /// profile kinds of [`ProfileChangeRow`], `pads_replaced`, `program_added`,
    /// `program_removed`.
    pub kind: String,
    /// The output channel (0-based); 0 where it does not apply.
    pub channel: u32,
    /// The value before, µA (intensity: the channel's previous target or level in the
    /// session; clamp: what was asked); 0 where it does not apply.
    pub from: u32,
    /// The value after, µA; 0 where it does not apply.
    pub to: u32,
    /// The profile concerned (a session's, or the one changed); empty where none.
    pub profile: String,
    /// More, in words (the limit that held it, the profile change, the program id, the pad
    /// set's use); may be empty.
    pub detail: String,
}

impl ChangeRow {
    /// When, Unix seconds.
    pub fn time(&self) -> i64 {
        self.time_ms.div_euclid(1_000)
    }
}

/// One intensity change: a new target (`kind` = `target`) or the level the ramp reached
/// (`level`, at most once a second), with who made it: `uid:<n>` (a D-Bus client's Unix user),
/// `button`, `program` (a segment change), `ramp`, `safety:<reason>`.
#[derive(Debug, Clone, PartialEq)]
pub struct IntensityRow {
    /// When, Unix milliseconds.
    pub time_ms: i64,
    /// The session it belongs to.
    pub session_id: u64,
    /// The output channel (0-based).
    pub channel: u32,
    /// `target` (a new target) or `level` (the level the ramp reached).
    pub kind: &'static str,
    /// The intensity, µA.
    pub microamps: u32,
    /// Who made the change (see above).
    pub actor: String,
}

/// Live figures of a session for its row.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionFigures {
    /// The highest intensity reached so far per channel, µA (in the row's channel order).
    pub max_intensity: Vec<u32>,
    /// The time-weighted mean intensity so far per channel, µA.
    pub mean_intensity: Vec<u32>,
    /// The modes of the segments run so far, in order.
    pub segments: Vec<String>,
    /// Seconds of stimulation at a non-zero level so far.
    pub stimulated_s: u32,
}

/// One program's share of a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgramSummary {
    /// The program's id in the catalogue.
    pub program: String,
    /// Sessions of this program started in the period.
    pub sessions: u32,
    /// Their total running time, whole minutes (sessions still running count 0).
    pub minutes: u32,
    /// Sessions with both pain scores.
    pub rated: u32,
    /// Mean of (before − after) over the rated sessions; 0 when none.
    pub mean_reduction: f64,
    /// Mean pain score before, over the rated sessions; 0 when none.
    pub mean_before: f64,
    /// Mean pain score after, over the rated sessions; 0 when none.
    pub mean_after: f64,
}

/// What a period of use looks like.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Sessions started in the period.
    pub sessions: u32,
    /// Their total running time, whole minutes.
    pub minutes: u32,
    /// Calendar days the period spans (from its first session when unbounded).
    pub days: u32,
    /// `sessions / days`; 0 when there were none.
    pub sessions_per_day: f64,
    /// Each program's share, most sessions first.
    pub programs: Vec<ProgramSummary>,
}

/// How long records are kept, days (0 = for ever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Sessions, faults and clamps.
    pub keep_days: u32,
    /// The intensity changes within sessions.
    pub detail_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep_days: 0,
            detail_days: 730,
        }
    }
}

impl From<&crate::config::HistoryConfig> for Retention {
    /// The retention `[history]` of the configuration sets.
    fn from(c: &crate::config::HistoryConfig) -> Self {
        Retention {
            keep_days: c.keep_days,
            detail_days: c.detail_days,
        }
    }
}
