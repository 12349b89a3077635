//! The cloneable handle the API and the buttons use, and the requests it sends the manager.

use super::{Actor, Reply, SessionError, StartOptions};
use crate::shared::Shared;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Requests to the manager.
pub enum Request {
    Start {
        program: String,
        options: StartOptions,
        actor: Actor,
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
        actor: Actor,
        reply: Reply<u32>,
    },
    StepIntensity {
        channel: u32,
        steps: i32,
        actor: Actor,
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
        let actor = Actor::parse(&actor);
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
        let actor = Actor::parse(&actor);
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
