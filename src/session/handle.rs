//! The cloneable handle the API and the buttons use, and the requests it sends the manager.
//!
//! Owns the only lock-free shortcut: an emergency stop (and a lost bus) disarms through
//! `Shared` before the request is even queued. Every other request is decided by the manager.

use super::{Actor, Reply, SessionError, StartOptions};
use crate::shared::Shared;
use crate::texts::Text;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Requests to the manager; each carries the sender its answer goes to (an `Err` says why it
/// was refused, in the D-Bus error's words).
pub enum Request {
    /// Start a session; answered with its id once admitted, the targets set and armed.
    Start {
        /// The catalogue's program id.
        program: String,
        /// The client's options, ranges still unchecked.
        options: StartOptions,
        /// Who asked, recorded with every target the start sets.
        actor: Actor,
        /// Gets the new session's id.
        reply: Reply<u64>,
    },
    /// End the running session (`stopped`); `Ok` also when none runs.
    Stop {
        /// Gets `Ok` once the end is performed.
        reply: Reply<()>,
    },
    /// Levels to zero at once, targets kept; the session's clock keeps running.
    Pause {
        /// Gets `NotRunning` when no session runs.
        reply: Reply<()>,
    },
    /// Ramp again from zero; contact is judged afresh.
    Resume {
        /// Gets `NotRunning` when no session runs.
        reply: Reply<()>,
    },
    /// Set a channel's target.
    SetIntensity {
        /// Device channel, in use by the running session.
        channel: u32,
        /// Requested target, µA, clamped to every limit and the person's maximum.
        microamps: u32,
        /// Who asked, recorded with the target.
        actor: Actor,
        /// Gets the target applied, µA.
        reply: Reply<u32>,
    },
    /// Move a channel's target by whole intensity steps (`limits.intensity_step`).
    StepIntensity {
        /// Device channel, in use by the running session.
        channel: u32,
        /// Steps up (positive) or down (negative) from the current target, rounded to a step.
        steps: i32,
        /// Who asked, recorded with the target.
        actor: Actor,
        /// Gets the target applied, µA.
        reply: Reply<u32>,
    },
    /// The client is still there (sessions started with a keepalive interval).
    Keepalive {
        /// Gets `NotRunning` when no session runs.
        reply: Reply<()>,
    },
    /// Output is already off (the handle disarmed); end the session with `emergency_stop`.
    EmergencyStop {
        /// Gets `Ok` once the end is performed.
        reply: Reply<()>,
    },
    /// The D-Bus connection is gone: end the session (`bus_lost`).
    BusLost {
        /// Gets `Ok` once the end is performed.
        reply: Reply<()>,
    },
    /// Clear the latched fault if the supervisor agrees its cause is gone. Answered when the
    /// supervisor answers (within 2 s), without holding up the manager meanwhile; a second
    /// one while the supervisor is being asked gets the same answer as the first.
    AcknowledgeFault {
        /// Gets `Ok` (also when no fault is latched), `FaultActive` with the supervisor's
        /// reason, or `Failed` when the supervisor is gone or silent.
        reply: Reply<()>,
    },
    /// A fresh pad set was fitted on a channel: its use counts start again.
    PadsReplaced {
        /// Device channel.
        channel: u32,
        /// Gets `Ok` once the new counts are stored durably, `Failed` if they cannot be.
        reply: Reply<()>,
    },
}

/// A cloneable handle on the session manager. Each call queues a request and waits for its
/// answer; `Failed` means the manager is gone.
#[derive(Clone)]
pub struct SessionHandle {
    tx: mpsc::Sender<Request>,
    shared: Arc<Shared>,
}

impl SessionHandle {
    /// A handle sending to the manager on `tx`; `shared` is for the lock-free disarm.
    pub(crate) fn new(tx: mpsc::Sender<Request>, shared: Arc<Shared>) -> Self {
        SessionHandle { tx, shared }
    }

    async fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, SessionError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(make(reply))
            .await
            .map_err(|_| SessionError::Failed(Text::new("manager.not_running")))?;
        rx.await
            .map_err(|_| SessionError::Failed(Text::new("manager.silent")))?
    }

    /// Starts a session. `actor` is who asked (`uid:<n>`, `button`, …): it is recorded with
    /// every intensity the request sets.
    pub async fn start(
        &self,
        program: String,
        options: StartOptions,
        actor: String,
    ) -> Result<u64, SessionError> {
        self.start_by(program, options, Actor::parse(&actor)).await
    }
    /// `start` with a typed actor.
    pub async fn start_by(
        &self,
        program: String,
        options: StartOptions,
        actor: Actor,
    ) -> Result<u64, SessionError> {
        self.call(|reply| Request::Start {
            program,
            options,
            actor,
            reply,
        })
        .await
    }
    /// Ends the running session (`stopped`); `Ok` also when none runs.
    pub async fn stop(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::Stop { reply }).await
    }
    /// Levels to zero at once, targets kept; `NotRunning` when no session runs.
    pub async fn pause(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::Pause { reply }).await
    }
    /// Ramps again from zero to the targets; `NotRunning` when no session runs.
    pub async fn resume(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::Resume { reply }).await
    }
    /// Sets `channel`'s target to `microamps` (µA), clamped to every limit; returns the
    /// target applied. `actor` is recorded with it, as for `start`.
    pub async fn set_intensity(
        &self,
        channel: u32,
        microamps: u32,
        actor: String,
    ) -> Result<u32, SessionError> {
        let actor = Actor::parse(&actor);
        self.call(|reply| Request::SetIntensity {
            channel,
            microamps,
            actor,
            reply,
        })
        .await
    }
    /// Moves `channel`'s target by `steps` whole intensity steps; returns the target applied.
    pub async fn step_intensity(
        &self,
        channel: u32,
        steps: i32,
        actor: String,
    ) -> Result<u32, SessionError> {
        let actor = Actor::parse(&actor);
        self.call(|reply| Request::StepIntensity {
            channel,
            steps,
            actor,
            reply,
        })
        .await
    }
    /// Keeps a session started with a keepalive interval going.
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
    /// Clears the latched fault once the supervisor agrees its cause is gone (`Ok` when none
    /// is latched); `FaultActive` says what is still wrong.
    pub async fn acknowledge_fault(&self) -> Result<(), SessionError> {
        self.call(|reply| Request::AcknowledgeFault { reply }).await
    }
}
