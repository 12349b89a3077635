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

pub mod admission;
pub mod core;
pub mod effect;
mod gather;
mod handle;
mod manager;
mod outbox;
pub mod ramp;
pub mod state;

use crate::model::units::MicroAmps;
pub use effect::{Actor, Event, Notice};
pub use handle::{Request, SessionHandle};
pub use manager::Manager;
pub use state::EndReason;
use tokio::sync::oneshot;

/// The device state as the `State` property shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceState {
    #[default]
    Idle,
    Running,
    Paused,
    Fault,
}

impl DeviceState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Idle => "idle",
            DeviceState::Running => "running",
            DeviceState::Paused => "paused",
            DeviceState::Fault => "fault",
        }
    }
}

/// A snapshot of everything the `Device` and `Session` properties show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    pub state: DeviceState,
    pub fault: (String, String),
    pub session_id: u64,
    pub program: String,
    pub profile: String,
    pub elapsed_s: u32,
    pub remaining_s: u32,
    pub intensity: Vec<u32>,
    pub target: Vec<u32>,
    pub contact: Vec<bool>,
    pub segment: String,
    /// Battery charge in percent, −1 when unknown.
    pub battery: i32,
    /// Per channel: sessions and minutes on its pad set, and whether it is worn.
    pub pads: Vec<(u32, u32, bool)>,
}

/// Options of `Start` (already type-checked by the API layer; ranges are checked here).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StartOptions {
    pub channels: Option<Vec<u32>>,
    pub duration_s: Option<u32>,
    pub intensity: Option<Vec<u32>>,
    pub profile: Option<String>,
    pub placement: Option<String>,
    pub keepalive_s: Option<u32>,
}

/// Why a request was refused. Each message names the argument, the value and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    UnknownProgram(String),
    #[error("{0}")]
    NotRunning(String),
    #[error("{0}")]
    AlreadyRunning(String),
    #[error("{0}")]
    FaultActive(String),
    #[error("{0}")]
    NotPermitted(String),
    /// Refused for the person's safety: a contraindication or a forbidden placement.
    #[error("{0}")]
    Contraindicated(String),
    /// The profile's dose guidance: too many sessions or minutes today, or too soon.
    #[error("{0}")]
    DoseLimit(String),
    #[error("{0}")]
    Failed(String),
}

type Reply<T> = oneshot::Sender<Result<T, SessionError>>;

/// Everything the manager is built from.
pub struct Wiring {
    pub shared: std::sync::Arc<crate::shared::Shared>,
    pub config: core::Config,
    pub history: crate::history::HistoryHandle,
    pub supervisor: std::sync::mpsc::Sender<crate::safety::supervisor::Command>,
    pub status: tokio::sync::watch::Sender<Status>,
    pub events: tokio::sync::broadcast::Sender<Event>,
    /// Reads the battery level (percent, −1 unknown).
    pub battery: Box<dyn Fn() -> i32 + Send>,
    /// Presets and custom programs (shared with the `Programs` interface).
    pub catalog: std::sync::Arc<std::sync::RwLock<crate::program::Catalog>>,
    /// People's profiles: their own limits, settled intensities and screening.
    pub profiles: std::sync::Arc<std::sync::RwLock<crate::care::ProfileStore>>,
    /// Sessions of the last two days per profile, for the dose guidance (from the history,
    /// so a restart does not reset a day's count).
    pub recent: Vec<(String, crate::care::dose::Past)>,
    /// The pad sets' use counts (none in unit tests).
    pub pads: Option<crate::care::pads::Pads>,
}

/// A per-channel list of currents as D-Bus shows them.
pub fn as_u32s(values: &[MicroAmps]) -> Vec<u32> {
    values.iter().map(|v| v.0).collect()
}
