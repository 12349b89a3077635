//! Sessions: the manager task that owns the running session, and the handle the API and the
//! buttons use to talk to it.
//!
//! Owns validation of requests, the limit layering and clamping of targets, the ramp, the
//! session's end, and what the rest of the daemon is told (status, events, history). Never
//! touches the board: it writes setpoints and the armed flag, and the supervisor decides.

mod manager;
pub mod ramp;
pub mod state;

use crate::model::units::MicroAmps;
use crate::shared::Shared;
pub use manager::Manager;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

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

/// Things that happened, for signals.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Clamped {
        channel: u32,
        requested: u32,
        applied: u32,
        limit: String,
    },
    Ended {
        id: u64,
        reason: String,
    },
    /// A channel's pad set has reached `care.pad_uses` sessions.
    PadsWorn {
        channel: u32,
        sessions: u32,
    },
    /// Something the person should know about a session that was allowed anyway.
    Notice {
        id: u64,
        message: String,
    },
    FaultRaised {
        code: String,
        message: String,
    },
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

/// Requests to the manager.
pub enum Request {
    Start {
        program: String,
        options: StartOptions,
        actor: String,
        reply: Reply<u64>,
    },
    Stop {
        reply: Reply<()>,
    },
    Pause {
        reply: Reply<()>,
    },
    Resume {
        reply: Reply<()>,
    },
    SetIntensity {
        channel: u32,
        microamps: u32,
        actor: String,
        reply: Reply<u32>,
    },
    StepIntensity {
        channel: u32,
        steps: i32,
        actor: String,
        reply: Reply<u32>,
    },
    Keepalive {
        reply: Reply<()>,
    },
    EmergencyStop {
        reply: Reply<()>,
    },
    /// The D-Bus connection is gone: end the session (`bus_lost`).
    BusLost {
        reply: Reply<()>,
    },
    AcknowledgeFault {
        reply: Reply<()>,
    },
    PadsReplaced {
        channel: u32,
        reply: Reply<()>,
    },
}

/// A cloneable handle on the session manager.
#[derive(Clone)]
pub struct SessionHandle {
    tx: mpsc::Sender<Request>,
    shared: Arc<Shared>,
}

impl SessionHandle {
    pub fn new(tx: mpsc::Sender<Request>, shared: Arc<Shared>) -> Self {
        SessionHandle { tx, shared }
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, SessionError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| SessionError::Failed("the session manager is not running".into()))?;
        rx.await
            .map_err(|_| SessionError::Failed("the session manager did not answer".into()))?
    }

    /// Starts a session. `actor` is who asked (`uid:<n>`, `button`, …): it is recorded with
    /// every intensity the request sets.
    pub async fn start(
        &self,
        program: String,
        options: StartOptions,
        actor: String,
    ) -> Result<u64, SessionError> {
        self.call(|reply| Request::Start {
            program,
            options,
            actor,
            reply,
        })
        .await
    }
    pub async fn stop(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::Stop { reply }).await
    }
    pub async fn pause(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::Pause { reply }).await
    }
    pub async fn resume(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::Resume { reply }).await
    }
    pub async fn set_intensity(
        &self,
        channel: u32,
        microamps: u32,
        actor: String,
    ) -> Result<u32, SessionError> {
        self.call(|reply| Request::SetIntensity {
            channel,
            microamps,
            actor,
            reply,
        })
        .await
    }
    pub async fn step_intensity(
        &self,
        channel: u32,
        steps: i32,
        actor: String,
    ) -> Result<u32, SessionError> {
        self.call(|reply| Request::StepIntensity {
            channel,
            steps,
            actor,
            reply,
        })
        .await
    }
    pub async fn keepalive(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::Keepalive { reply }).await
    }
    /// Output to zero at once — lock-free, before the request even reaches the manager, so
    /// no queue of other requests can delay it — then the manager ends the session.
    pub async fn emergency_stop(&self) -> Result<(), SessionError> {
        self.shared.disarm();
        self.call(|reply| Request::EmergencyStop { reply }).await
    }
    /// The daemon's D-Bus connection is gone: output to zero at once (lock-free, as for an
    /// emergency stop), then the manager ends the session with `bus_lost`.
    pub async fn bus_lost(&self) -> Result<(), SessionError> {
        self.shared.disarm();
        self.call(|reply| Request::BusLost { reply }).await
    }
    /// A fresh pad set on `channel`: its counts start again.
    pub async fn pads_replaced(&self, channel: u32) -> Result<(), SessionError> {
        self.call(|reply| Request::PadsReplaced { channel, reply })
            .await
    }
    pub async fn acknowledge_fault(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::AcknowledgeFault { reply }).await
    }
}

/// A per-channel list of currents as D-Bus shows them.
pub fn as_u32s(values: &[MicroAmps]) -> Vec<u32> {
    values.iter().map(|v| v.0).collect()
}
