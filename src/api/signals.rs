//! Turns status changes into `PropertiesChanged` (coalesced to at most 10 a second) and
//! events into signals. Reads only; decides nothing.

use super::{device::Device, session::Session, OBJECT_PATH};
use crate::session::{Event, Status};
use std::time::Duration;
use tokio::sync::{broadcast, watch};
use zbus::object_server::InterfaceRef;

const COALESCE: Duration = Duration::from_millis(100);

/// Runs until the connection or the status channel goes away.
pub async fn publish(
    conn: zbus::Connection,
    mut status: watch::Receiver<Status>,
    mut events: broadcast::Receiver<Event>,
) {
    let server = conn.object_server();
    let (Ok(device), Ok(session)) = (
        server.interface::<_, Device>(OBJECT_PATH).await,
        server.interface::<_, Session>(OBJECT_PATH).await,
    ) else {
        tracing::error!("signals: interfaces not registered");
        return;
    };
    let events_task = {
        let (device, session) = (device.clone(), session.clone());
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(e) => emit_event(&device, &session, e).await,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!("signals: {n} event(s) lost")
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        })
    };
    let mut last = status.borrow_and_update().clone();
    while status.changed().await.is_ok() {
        let now = status.borrow_and_update().clone();
        if let Err(e) = emit_changes(&device, &session, &last, &now).await {
            tracing::warn!("signals: PropertiesChanged failed: {e}");
        }
        last = now;
        tokio::time::sleep(COALESCE).await;
    }
    events_task.abort();
}

async fn emit_event(device: &InterfaceRef<Device>, session: &InterfaceRef<Session>, e: Event) {
    let r = match &e {
        Event::Clamped {
            channel,
            requested,
            applied,
            limit,
        } => {
            Device::clamped(
                device.signal_emitter(),
                *channel,
                requested.0,
                applied.0,
                limit.as_str(),
            )
            .await
        }
        Event::FaultRaised { code, message } => {
            Device::fault_raised(device.signal_emitter(), code.as_str(), message).await
        }
        Event::Ended { id, reason } => {
            Session::ended(session.signal_emitter(), *id, &reason.as_string()).await
        }
        Event::PadsWorn { channel, sessions } => {
            Device::pads_worn(device.signal_emitter(), *channel, *sessions).await
        }
        Event::Notice { id, notice, lang } => {
            let text = notice.text().in_lang(*lang);
            let e = session.signal_emitter();
            match Session::notice(e, *id, &text.render()).await {
                Ok(()) => Session::notice_raised(e, *id, text.code, text.dbus_args()).await,
                err => err,
            }
        }
    };
    if let Err(err) = r {
        tracing::warn!("signals: cannot emit {e:?}: {err}");
    }
}

async fn emit_changes(
    device: &InterfaceRef<Device>,
    session: &InterfaceRef<Session>,
    a: &Status,
    b: &Status,
) -> zbus::Result<()> {
    let d = device.get().await;
    let de = device.signal_emitter();
    if a.state != b.state {
        d.state_changed(de).await?;
    }
    if a.fault != b.fault {
        d.fault_changed(de).await?;
    }
    if a.battery != b.battery {
        d.battery_changed(de).await?;
    }
    if a.pads != b.pads {
        d.pads_changed(de).await?;
    }
    drop(d);
    let s = session.get().await;
    let se = session.signal_emitter();
    if a.session_id != b.session_id {
        s.id_changed(se).await?;
    }
    if a.program != b.program {
        s.program_changed(se).await?;
    }
    if a.profile != b.profile {
        s.profile_changed(se).await?;
    }
    if a.elapsed_s != b.elapsed_s {
        s.elapsed_changed(se).await?;
    }
    if a.remaining_s != b.remaining_s {
        s.remaining_changed(se).await?;
    }
    if a.intensity != b.intensity {
        s.intensity_changed(se).await?;
    }
    if a.target != b.target {
        s.target_changed(se).await?;
    }
    if a.contact != b.contact {
        s.contact_changed(se).await?;
    }
    if a.contact_state != b.contact_state {
        s.contact_state_changed(se).await?;
    }
    if a.segment != b.segment {
        s.segment_changed(se).await?;
    }
    Ok(())
}

/// `PropertiesChanged` for `History.Status` whenever the history's health changes.
pub async fn publish_history_status(conn: zbus::Connection, mut status: watch::Receiver<String>) {
    let Ok(history) = conn
        .object_server()
        .interface::<_, super::history::History>(OBJECT_PATH)
        .await
    else {
        tracing::error!("signals: History interface not registered");
        return;
    };
    while status.changed().await.is_ok() {
        let iface = history.get().await;
        if let Err(e) = iface.status_changed(history.signal_emitter()).await {
            tracing::warn!("signals: PropertiesChanged (History.Status) failed: {e}");
        }
    }
}
