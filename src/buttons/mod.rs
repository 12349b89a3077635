//! The board's push buttons, working without any client: up and down step the selected
//! channels through the session manager (the same limits, ramp and history as a D-Bus call,
//! recorded with the actor `button`); stop is an emergency stop and wins over everything; a
//! long press on down brings every channel to zero. `logic` decides what a press means.

mod logic;

pub use logic::ButtonSettings;

use logic::{Action, ButtonLogic};

use crate::board::ButtonEdge;
use crate::clock::now_ns;
use crate::model::limits::ceiling;
use crate::session::{SessionError, SessionHandle};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// Who the history records for a button press.
const ACTOR: &str = "button";

/// Runs until the board's edge channel closes.
pub async fn run(
    mut edges: UnboundedReceiver<ButtonEdge>,
    session: SessionHandle,
    settings: ButtonSettings,
    channels: Vec<u32>,
) {
    let mut logic = ButtonLogic::new(settings);
    loop {
        let edge = match logic.next_deadline() {
            None => match edges.recv().await {
                Some(e) => Some(e),
                None => return,
            },
            Some(deadline) => {
                let wait = Duration::from_nanos(deadline.saturating_sub(now_ns()));
                match tokio::time::timeout(wait, edges.recv()).await {
                    Ok(Some(e)) => Some(e),
                    Ok(None) => return,
                    Err(_) => None,
                }
            }
        };
        let mut actions = Vec::new();
        if let Some(e) = edge {
            tracing::debug!(
                button = e.button.as_str(),
                pressed = e.pressed,
                "button edge"
            );
            actions.extend(logic.on_edge(e));
        }
        actions.extend(logic.poll(now_ns()));
        for a in actions {
            perform(&session, a, &channels).await;
        }
    }
}

async fn perform(session: &SessionHandle, action: Action, channels: &[u32]) {
    match action {
        Action::Stop => {
            tracing::warn!("emergency stop by the stop button");
            if let Err(e) = session.emergency_stop().await {
                tracing::error!("stop button: {e}");
            }
        }
        Action::Step(steps) => {
            for &ch in channels {
                match session.step_intensity(ch, steps, ACTOR.into()).await {
                    Ok(target) => tracing::info!(channel = ch, steps, target, "button step"),
                    Err(SessionError::NotRunning(_)) => {
                        tracing::info!("button step ignored: no session is running");
                        return;
                    }
                    // A channel the session does not use.
                    Err(SessionError::InvalidArgument(m)) => tracing::debug!("button: {m}"),
                    Err(e) => tracing::warn!(channel = ch, "button step: {e}"),
                }
            }
        }
        Action::AllZero => {
            tracing::info!("long press on down: every channel to zero");
            for ch in 0..ceiling::CHANNELS as u32 {
                match session.set_intensity(ch, 0, ACTOR.into()).await {
                    Ok(_) | Err(SessionError::InvalidArgument(_)) => {}
                    Err(SessionError::NotRunning(_)) => return,
                    Err(e) => tracing::warn!(channel = ch, "button zero: {e}"),
                }
            }
        }
    }
}
