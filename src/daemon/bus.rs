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

/// Why the daemon's connection to the bus counts as lost.
#[derive(Debug, thiserror::Error)]
pub enum BusLost {
    /// The connection closed.
    #[error("the connection to the bus closed")]
    Closed,
    /// The connection has no unique name to compare the name's owner with.
    #[error("the connection has no unique name")]
    NoUniqueName,
    /// Another connection owns `io.stimd.Stimd1`.
    #[error("{} is owned by {owner}, not by stimd ({me})", crate::api::BUS_NAME)]
    OwnedByOther {
        /// The unique name of the connection that owns it.
        owner: String,
        /// stimd's own unique name.
        me: String,
    },
    /// The bus's answer to `GetNameOwner` could not be read.
    #[error("the bus's GetNameOwner answer is unreadable: {0}")]
    Unreadable(#[source] zbus::Error),
    /// The bus says no one owns `io.stimd.Stimd1` (or another error name it answered with).
    #[error("stimd no longer owns {} ({name})", crate::api::BUS_NAME)]
    NotOwner {
        /// The D-Bus error the bus answered with.
        name: zbus::names::OwnedErrorName,
    },
    /// The liveness check failed on the way.
    #[error("the bus failed a liveness check: {0}")]
    CheckFailed(#[source] zbus::Error),
    /// The bus did not answer several liveness checks in a row.
    #[error(
        "the bus did not answer {misses} liveness checks in a row ({} s each)",
        PING_TIMEOUT.as_secs()
    )]
    Unanswered {
        /// How many in a row.
        misses: u32,
    },
}

/// Returns, with the reason, once the connection is closed, the bus says another connection
/// (or none) owns `io.stimd.Stimd1`, or the bus stops answering. Before returning it disarms
/// output and marks the bus dead, so the watchdogs are no longer petted.
pub async fn watch(conn: zbus::Connection, shared: Arc<Shared>) -> BusLost {
    let why = tokio::select! {
        _ = conn.closed() => BusLost::Closed,
        why = ping(&conn) => why,
    };
    shared.mark_bus_lost();
    why
}

async fn ping(conn: &zbus::Connection) -> BusLost {
    let Some(me) = conn.unique_name().map(|n| n.to_string()) else {
        return BusLost::NoUniqueName;
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
                Ok(owner) => return BusLost::OwnedByOther { owner, me },
                Err(e) => return BusLost::Unreadable(e),
            },
            Ok(Err(zbus::Error::MethodError(name, _, _))) => return BusLost::NotOwner { name },
            Ok(Err(e)) => return BusLost::CheckFailed(e),
            Err(_) => {
                misses += 1;
                if misses >= PING_MISSES {
                    return BusLost::Unanswered { misses };
                }
            }
        }
    }
}
