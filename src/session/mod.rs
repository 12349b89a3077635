//! Sessions: whether one may start, the running session, and the handle the API and the
//! buttons use to talk to it.
//!
//! Built sans-IO: `admission` (pure: a start request and what it needs to know → a plan or a
//! refusal) and `core` (pure: requests and ticks with the time → typed effects) decide;
//! `outbox` performs (levels and arming on `Shared`, history, signals, files); `manager` is
//! the task that gathers inputs and runs them. Owns validation of requests, the limit
//! layering and clamping of targets, the ramp, the session's end, and what the rest of the
//! daemon is told. Never touches the board: it writes levels and arms or disarms, and the
//! supervisor decides.
//!
//! Public to the rest of the crate and beyond: the handle, the status, the events and the
//! errors. The core, admission, the outbox and the manager's wiring are the crate's own.

mod admission;
pub(crate) mod core;
mod delivered;
mod effect;
mod end_reason;
mod gather;
mod handle;
mod manager;
mod outbox;
mod ramp;
mod state;

use crate::model::units::MicroAmps;
use crate::texts::Text;
pub use effect::{Actor, Event, Notice};
pub(crate) use handle::Request;
pub use handle::SessionHandle;
pub(crate) use manager::Manager;
pub use state::EndReason;
use tokio::sync::oneshot;

/// The device state as the `State` property shows it (the core derives it; see
/// `Core::status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceState {
    /// No session runs and no fault is latched: a session may start.
    #[default]
    Idle,
    /// A session runs and its levels follow their targets.
    Running,
    /// A session runs with every level at zero: paused by a client, or after lost contact.
    Paused,
    /// A fault is latched (the `Fault` property names it) and no session runs (a trip ends
    /// it): no session may start until the fault is acknowledged.
    Fault,
}

impl DeviceState {
    /// The spelling on D-Bus: `idle`, `running`, `paused` or `fault`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Idle => "idle",
            DeviceState::Running => "running",
            DeviceState::Paused => "paused",
            DeviceState::Fault => "fault",
        }
    }
}

/// A snapshot of everything the `Device` and `Session` properties show. Written only by the
/// session manager (through its outbox, when it changed); the API reads it from a `watch`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// The `Device.State` property.
    pub state: DeviceState,
    /// The latched fault as `(code, message)` (e.g. `("overcurrent", "…")`); both empty when
    /// none is latched.
    pub fault: (String, String),
    /// The running session's id, 0 when none runs.
    pub session_id: u64,
    /// The running session's program id, empty when none runs.
    pub program: String,
    /// The running session's profile name, empty when none runs.
    pub profile: String,
    /// Whole seconds since the running session started (0 when none runs).
    pub elapsed_s: u32,
    /// Whole seconds until the running session ends by itself (0 when none runs).
    pub remaining_s: u32,
    /// Each device channel's level as the ramp has it, µA (zero on channels not in use).
    pub intensity: Vec<u32>,
    /// Each device channel's target after every limit, µA (zero on channels not in use).
    pub target: Vec<u32>,
    /// Per device channel: whether the engine senses current through the electrodes (false
    /// while unknown).
    pub contact: Vec<bool>,
    /// Per device channel: `on`, `off` or `unknown` (not measured since the session started or
    /// resumed).
    pub contact_state: Vec<String>,
    /// The running segment's mode, empty when no session runs.
    pub segment: String,
    /// Battery charge in percent, −1 when unknown.
    pub battery: i32,
    /// Per channel: sessions and minutes on its pad set, and whether it is worn.
    pub pads: Vec<(u32, u32, bool)>,
}

/// Options of `Start` (already type-checked by the API layer; ranges are checked by
/// admission). `None` means the option was not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartOptions {
    /// Device channels to use, each at most once (default: every channel).
    pub channels: Option<Vec<u32>>,
    /// Length of the session, s, in `1..=session_max_s` (default: `session_default_s`).
    pub duration_s: Option<u32>,
    /// Target per channel in use, µA, one value each, reached by ramping from zero and
    /// clamped to every limit (default: the profile's comfortable intensity, else zero).
    pub intensity: Option<Vec<u32>>,
    /// Profile name (default: the default profile).
    pub profile: Option<String>,
    /// Body site the pads are on (`care::placement`'s names); empty or absent: not given.
    pub placement: Option<String>,
    /// Keepalive interval, s, `0..=3600` (0 or absent: none); a session not kept alive within
    /// it plus 1 s ends with `keepalive_lost`.
    pub keepalive_s: Option<u32>,
}

/// Why a request was refused. Each message names the argument, the value and what is allowed;
/// `api::errors` maps each variant to its D-Bus error name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SessionError {
    /// An argument is out of range or malformed (a channel, a duration, a profile, …).
    #[error("{0}")]
    InvalidArgument(Text),
    /// `Start` named a program the catalogue does not have.
    #[error("{0}")]
    UnknownProgram(Text),
    /// The request needs a running session and none runs.
    #[error("{0}")]
    NotRunning(Text),
    /// `Start` while a session runs.
    #[error("{0}")]
    AlreadyRunning(Text),
    /// A fault is latched (no start until it is acknowledged), or the supervisor refused to
    /// acknowledge it because its cause is still there.
    #[error("{0}")]
    FaultActive(Text),
    /// The device cannot do it now: battery too low, or raising a channel without contact.
    #[error("{0}")]
    NotPermitted(Text),
    /// Refused for the person's safety: a contraindication or a forbidden placement.
    #[error("{0}")]
    Contraindicated(Text),
    /// The profile's dose guidance: too many sessions or minutes today, or too soon.
    #[error("{0}")]
    DoseLimit(Text),
    /// Something inside the daemon did not work (a task gone, a store unavailable, the
    /// supervisor silent); the request may be retried.
    #[error("{0}")]
    Failed(Text),
    /// A change could not be written durably (a full or failing disk): refused, and the old
    /// value stays in force.
    #[error("{0}")]
    StorageFailed(Text),
}

impl SessionError {
    /// The same refusal in `lang` (unless its text has a language already).
    pub fn in_lang(self, lang: crate::texts::Lang) -> SessionError {
        use SessionError as E;
        match self {
            E::InvalidArgument(t) => E::InvalidArgument(t.in_lang(lang)),
            E::UnknownProgram(t) => E::UnknownProgram(t.in_lang(lang)),
            E::NotRunning(t) => E::NotRunning(t.in_lang(lang)),
            E::AlreadyRunning(t) => E::AlreadyRunning(t.in_lang(lang)),
            E::FaultActive(t) => E::FaultActive(t.in_lang(lang)),
            E::NotPermitted(t) => E::NotPermitted(t.in_lang(lang)),
            E::Contraindicated(t) => E::Contraindicated(t.in_lang(lang)),
            E::DoseLimit(t) => E::DoseLimit(t.in_lang(lang)),
            E::Failed(t) => E::Failed(t.in_lang(lang)),
            E::StorageFailed(t) => E::StorageFailed(t.in_lang(lang)),
        }
    }

    /// The refusal's text.
    pub fn text(&self) -> &Text {
        use SessionError as E;
        match self {
            E::InvalidArgument(t)
            | E::UnknownProgram(t)
            | E::NotRunning(t)
            | E::AlreadyRunning(t)
            | E::FaultActive(t)
            | E::NotPermitted(t)
            | E::Contraindicated(t)
            | E::DoseLimit(t)
            | E::Failed(t)
            | E::StorageFailed(t) => t,
        }
    }
}

type Reply<T> = oneshot::Sender<Result<T, SessionError>>;

/// Everything the manager is built from (by the daemon, once).
pub(crate) struct Wiring {
    /// The lock-free state shared with the engine and the supervisor: the outbox writes
    /// levels, the pattern and arming there; ticks read contact and beat the heartbeat.
    pub shared: std::sync::Arc<crate::shared::Shared>,
    /// The limits and session settings admission and the core decide by.
    pub config: core::Config,
    /// Where sessions, intensities, clamps and faults are recorded; also hands out session ids.
    pub history: crate::history::HistoryHandle,
    /// Commands to the safety supervisor (acknowledging a fault).
    pub supervisor: std::sync::mpsc::Sender<crate::safety::supervisor::Command>,
    /// Where the status goes for the D-Bus properties.
    pub status: tokio::sync::watch::Sender<Status>,
    /// Where events go for the D-Bus signals.
    pub events: tokio::sync::broadcast::Sender<Event>,
    /// Reads the battery level (percent, −1 unknown).
    pub battery: Box<dyn Fn() -> i32 + Send>,
    /// Presets and custom programs (shared with the `Programs` interface).
    pub catalog: std::sync::Arc<std::sync::RwLock<crate::catalog::Catalog>>,
    /// People's profiles: their own limits, settled intensities and screening.
    pub profiles: std::sync::Arc<std::sync::RwLock<crate::care::ProfileStore>>,
    /// Sessions of the last two days per profile, for the dose guidance (from the history,
    /// so a restart does not reset a day's count).
    pub recent: Vec<(String, crate::care::dose::Past)>,
    /// The pad sets' use counts (none in unit tests).
    pub pads: Option<crate::care::pads::Pads>,
}

/// A per-channel list of currents as D-Bus shows them.
pub(crate) fn as_u32s(values: &[MicroAmps]) -> Vec<u32> {
    values.iter().map(|v| v.0).collect()
}
