//! `stimctl watch`: follows the running session live. Driven by the bus, not by polling: it
//! subscribes to `PropertiesChanged` on stimd's object (the `Device` and `Session`
//! properties) and to `Session.Ended`, reads every property once, then redraws on each
//! change (`view`), shows the session's `Notice`s as stimd words them, and ends with the
//! session's end reason. No session: says so, exit 1.

mod view;

use crate::device::properties;
use crate::fail::{describe, refused, unreachable};
use crate::say::text;
use crate::snapshot::Snapshot;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::Duration;
use stimd::api::session::SessionProxy;
use tokio::time::Instant;
use view::View;

/// After `Id` went to another value, how long to wait for the `Ended` signal with the end
/// reason (it travels separately from the property change) before ending without it.
const ENDED_GRACE: Duration = Duration::from_secs(5);

pub async fn watch(conn: &zbus::Connection, as_json: bool) -> Result<(), String> {
    let props = properties(conn).await?;
    let session = SessionProxy::builder(conn)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .map_err(unreachable)?;
    // Subscribed before the first read, so no change falls between the two.
    let mut changes = props
        .receive_properties_changed()
        .await
        .map_err(unreachable)?;
    let mut ended = session.receive_ended().await.map_err(unreachable)?;
    let mut notices = session.receive_notice().await.map_err(unreachable)?;
    let mut owner = session
        .inner()
        .receive_owner_changed()
        .await
        .map_err(unreachable)?;
    let mut snap = Snapshot::read(&props).await.map_err(describe)?;
    let id = snap.id();
    if id == 0 {
        return Err(refused(text("watch-no-session")));
    }
    let mut view = View::new(as_json);
    view.draw(&snap);
    let mut give_up: Option<Instant> = None;
    loop {
        let deadline = give_up.unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
        tokio::select! {
            Some(signal) = changes.next() => {
                let Ok(args) = signal.args() else { continue };
                let changed: HashMap<String, _> = args
                    .changed_properties()
                    .iter()
                    .filter_map(|(k, v)| Some((k.to_string(), v.try_to_owned().ok()?)))
                    .collect();
                if snap.apply(args.interface_name().as_str(), changed) {
                    if snap.id() != id && give_up.is_none() {
                        give_up = Some(Instant::now() + ENDED_GRACE);
                    }
                    if snap.id() == id {
                        view.draw(&snap);
                    }
                }
            }
            Some(signal) = ended.next() => {
                let Ok(args) = signal.args() else { continue };
                if args.id == id {
                    view.end(id, args.reason);
                    return Ok(());
                }
            }
            Some(signal) = notices.next() => {
                let Ok(args) = signal.args() else { continue };
                if args.id == id {
                    view.notice(args.message);
                    view.draw(&snap);
                }
            }
            Some(new_owner) = owner.next() => {
                if new_owner.is_none() {
                    view.end(id, "");
                    return Err(unreachable(text("watch-stimd-gone")));
                }
            }
            _ = tokio::time::sleep_until(deadline), if give_up.is_some() => {
                view.end(id, "");
                return Ok(());
            }
            else => return Err(unreachable(text("watch-stimd-gone"))),
        }
    }
}
