//! Why a session ended: the reasons `Ended` carries and the history keeps, and which of them
//! tell anything about what the person found comfortable or count as therapy.

use crate::safety::fault::FaultCode;

/// Why a session ended (the `Ended` reasons; the history keeps the same spelling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// It ran its whole duration (`completed`).
    Completed,
    /// A client called `Stop`, or the daemon shut down (`stopped`).
    Stopped,
    /// `Device.EmergencyStop` or the stop button (`emergency_stop`).
    EmergencyStop,
    /// The client that asked for a keepalive interval stopped calling `Keepalive`
    /// (`keepalive_lost`).
    KeepaliveLost,
    /// `contact_lost`: part of the D-Bus contract, but nothing ends a session with it now —
    /// lost contact zeroes that channel's target and pauses the session instead.
    ContactLost,
    /// The battery fell to the critical level (`battery_low`).
    BatteryLow,
    /// The daemon lost its D-Bus connection: no client could stop the session any more.
    BusLost,
    /// The supervisor tripped (`fault:<code>`).
    Fault(FaultCode),
}

impl EndReason {
    /// The spelling on D-Bus and in the history: `completed`, `stopped`, `emergency_stop`,
    /// `keepalive_lost`, `contact_lost`, `battery_low`, `bus_lost` or `fault:<code>`.
    pub fn as_string(&self) -> String {
        match self {
            EndReason::Completed => "completed".into(),
            EndReason::Stopped => "stopped".into(),
            EndReason::EmergencyStop => "emergency_stop".into(),
            EndReason::KeepaliveLost => "keepalive_lost".into(),
            EndReason::ContactLost => "contact_lost".into(),
            EndReason::BatteryLow => "battery_low".into(),
            EndReason::BusLost => "bus_lost".into(),
            EndReason::Fault(code) => format!("fault:{}", code.as_str()),
        }
    }

    /// Only a session that ended normally tells what was comfortable: never the level an
    /// emergency stop, a fault or lost contact cut short.
    pub fn tells_comfort(&self) -> bool {
        matches!(self, EndReason::Completed | EndReason::Stopped)
    }
}

impl std::fmt::Display for EndReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_string())
    }
}
