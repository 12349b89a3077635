//! The D-Bus API v1 (`io.stimd.Stimd1`): one object, one interface per concern, typed errors,
//! and the task that turns status changes and events into signals.
//!
//! The interface structs only translate: they validate argument types, call the session
//! manager or the history through their handles and map errors. No business logic, no board
//! access. Each `#[interface]` also generates the client proxy `stimctl` and the tests use.

pub mod device;
pub mod errors;
pub mod history;
pub mod limiter;
pub mod options;
pub mod profiles;
pub mod programs;
pub mod session;
pub mod signals;
pub mod sim;

pub use errors::StimdError;

/// The well-known bus name.
pub const BUS_NAME: &str = "io.stimd.Stimd1";
/// The one object path.
pub const OBJECT_PATH: &str = "/io/stimd/Stimd1";

/// Who sent a method call, as the history records it: `uid:<n>`, the sender's Unix user as
/// the bus daemon knows it (never what the client claims), or `client` if the bus cannot say.
pub async fn caller(conn: &zbus::Connection, hdr: &zbus::message::Header<'_>) -> String {
    let Some(sender) = hdr.sender() else {
        return "client".into();
    };
    let Ok(dbus) = zbus::fdo::DBusProxy::new(conn).await else {
        return "client".into();
    };
    match dbus
        .get_connection_unix_user(zbus::names::BusName::Unique(sender.to_owned()))
        .await
    {
        Ok(uid) => format!("uid:{uid}"),
        Err(_) => "client".into(),
    }
}

/// The caller's Unix user id, as the bus knows it.
pub async fn caller_uid(conn: &zbus::Connection, hdr: &zbus::message::Header<'_>) -> Option<u32> {
    let sender = hdr.sender()?;
    let dbus = zbus::fdo::DBusProxy::new(conn).await.ok()?;
    dbus.get_connection_unix_user(zbus::names::BusName::Unique(sender.to_owned()))
        .await
        .ok()
}

/// Logs who made a change that the history does not record per actor (stop, pause, resume,
/// emergency stop, acknowledge, ratings): the journal keeps it.
pub async fn log_caller(conn: &zbus::Connection, hdr: &zbus::message::Header<'_>, what: &str) {
    let actor = caller(conn, hdr).await;
    tracing::info!(actor, "{what}");
}

/// Which bus to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bus {
    /// The system bus (the device's normal service).
    System,
    /// The user's session bus (development, tests).
    Session,
    /// A bus at this D-Bus address (e.g. a private `dbus-daemon` of a test).
    Address(String),
}

impl std::str::FromStr for Bus {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Bus, Self::Err> {
        Ok(match s {
            "system" => Bus::System,
            "session" => Bus::Session,
            other => Bus::Address(other.to_string()),
        })
    }
}

impl Bus {
    /// A connection builder for this bus.
    pub fn builder(&self) -> zbus::Result<zbus::connection::Builder<'static>> {
        Ok(match self {
            Bus::System => zbus::connection::Builder::system()?,
            Bus::Session => zbus::connection::Builder::session()?,
            Bus::Address(a) => zbus::connection::Builder::address(a.as_str())?,
        })
    }
}
