//! Watches the daemon's D-Bus connection. Without it no client can stop a session, so losing
//! it is a fault: the caller takes output off and ends the session (`bus_lost`), and the
//! supervisor stops petting the watchdogs at once.
//!
//! Owns the liveness check only; never touches output itself beyond the lock-free disarm.

use crate::shared::Shared;
use std::sync::Arc;
use std::time::Duration;

/// How often the bus is asked whether stimd still owns its name.
const PING_EVERY: Duration = Duration::from_secs(1);
/// How long one answer may take (a bus busy with a flood of messages may be slow).
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// Unanswered pings in a row that count as a lost bus.
const PING_MISSES: u32 = 3;

/// Returns, with the reason, once the connection is closed, the bus says another connection
/// (or none) owns `io.stimd.Stimd1`, or the bus stops answering. Before returning it disarms
/// output and marks the bus dead, so the watchdogs are no longer petted.
pub async fn watch(conn: zbus::Connection, shared: Arc<Shared>) -> String {
    let why = tokio::select! {
        _ = conn.closed() => "the connection to the bus closed".to_string(),
        why = ping(&conn) => why,
    };
    shared.mark_bus_lost();
    why
}

async fn ping(conn: &zbus::Connection) -> String {
    let Some(me) = conn.unique_name().map(|n| n.to_string()) else {
        return "the connection has no unique name".into();
    };
    let mut misses = 0;
    loop {
        tokio::time::sleep(PING_EVERY).await;
        let call = conn.call_method(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus"),
            "GetNameOwner",
            &(crate::api::BUS_NAME,),
        );
        match tokio::time::timeout(PING_TIMEOUT, call).await {
            Ok(Ok(reply)) => match reply.body().deserialize::<String>() {
                Ok(owner) if owner == me => misses = 0,
                Ok(owner) => {
                    return format!(
                        "{} is owned by {owner}, not by stimd ({me})",
                        crate::api::BUS_NAME
                    )
                }
                Err(e) => return format!("the bus's GetNameOwner answer is unreadable: {e}"),
            },
            Ok(Err(zbus::Error::MethodError(name, _, _))) => {
                return format!("stimd no longer owns {} ({name})", crate::api::BUS_NAME)
            }
            Ok(Err(e)) => return format!("the bus failed a liveness check: {e}"),
            Err(_) => {
                misses += 1;
                if misses >= PING_MISSES {
                    return format!(
                        "the bus did not answer {misses} liveness checks in a row ({} s each)",
                        PING_TIMEOUT.as_secs()
                    );
                }
            }
        }
    }
}
