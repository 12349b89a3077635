//! Edge events from gpio-cdev lines, read by tokio tasks: the overcurrent comparator feeds an
//! `EdgeState` the supervisor reads, the push buttons feed the `buttons` task.

use super::LinuxError;
use crate::board::edge::EdgeState;
use crate::board::{Button, ButtonEdge};
use crate::clock::now_ns;
use futures_util::StreamExt;
use gpio_cdev::{AsyncLineEventHandle, EventType, LineEventHandle};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;

/// Streams a line's edges to `on_edge` (true = now active) on a tokio task; `on_error` runs
/// once if the events can no longer be read.
fn watch(
    handle: LineEventHandle,
    at: String,
    mut on_edge: impl FnMut(bool) -> bool + Send + 'static,
    on_error: impl FnOnce() + Send + 'static,
) -> Result<(), LinuxError> {
    let runtime = match tokio::runtime::Handle::try_current() {
        Ok(r) => r,
        Err(source) => return Err(LinuxError::NoRuntime { at, source }),
    };
    let mut events = match AsyncLineEventHandle::new(handle) {
        Ok(e) => e,
        Err(source) => return Err(LinuxError::Line { at, source }),
    };
    runtime.spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                Ok(e) => {
                    if !on_edge(e.event_type() == EventType::RisingEdge) {
                        return;
                    }
                }
                Err(e) => {
                    tracing::error!("{at}: edge events failed: {e}");
                    on_error();
                    return;
                }
            }
        }
    });
    Ok(())
}

/// The overcurrent comparator as an edge-reported input.
pub fn overcurrent(handle: LineEventHandle, at: String) -> Result<Arc<EdgeState>, LinuxError> {
    let level = match handle.get_value() {
        Ok(v) => v,
        Err(source) => return Err(LinuxError::Line { at, source }),
    };
    let state = EdgeState::new(level != 0);
    let (s1, s2) = (state.clone(), state.clone());
    watch(
        handle,
        at,
        move |active| {
            s1.record(active);
            true
        },
        move || s2.fail(),
    )?;
    Ok(state)
}

/// A push button's raw edges (bounces included) to `tx`.
pub fn button(
    handle: LineEventHandle,
    at: String,
    button: Button,
    tx: UnboundedSender<ButtonEdge>,
) -> Result<(), LinuxError> {
    watch(
        handle,
        at,
        move |pressed| {
            tx.send(ButtonEdge {
                button,
                pressed,
                t_ns: now_ns(),
            })
            .is_ok()
        },
        || {},
    )
}
