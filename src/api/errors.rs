//! Typed D-Bus errors (`io.stimd.Stimd1.Error.*`): a client can tell each failure apart.

use crate::session::SessionError;

/// Every error a method of `io.stimd.Stimd1` answers with: the variant is the D-Bus error
/// name (`io.stimd.Stimd1.Error.<Variant>`), the text the message for a person.
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "io.stimd.Stimd1.Error")]
pub enum StimdError {
    /// A transport error (client side only).
    #[zbus(error)]
    ZBus(zbus::Error),
    /// An argument has the wrong type, is out of range, or is unknown.
    InvalidArgument(String),
    /// No program has this id.
    UnknownProgram(String),
    /// The request needs a running session.
    NotRunning(String),
    /// A session is already running.
    AlreadyRunning(String),
    /// A latched fault blocks the request.
    FaultActive(String),
    /// The caller may not do this.
    NotPermitted(String),
    /// Refused for the person's safety: a contraindication or a forbidden placement; the
    /// message says why and what would allow it.
    Contraindicated(String),
    /// The profile's dose guidance refuses a session now; the message says when the next one
    /// is allowed.
    DoseLimit(String),
    /// The history could not answer.
    HistoryUnavailable(String),
    /// The caller sends too many calls; it may try again shortly.
    RateLimited(String),
    /// An internal failure.
    Failed(String),
    /// A change (profile, answers, approval, program) could not be written durably to the
    /// state directory; it was refused and the old value stays in force.
    StorageFailed(String),
}

impl From<SessionError> for StimdError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::InvalidArgument(m) => StimdError::InvalidArgument(m),
            SessionError::UnknownProgram(m) => StimdError::UnknownProgram(m),
            SessionError::NotRunning(m) => StimdError::NotRunning(m),
            SessionError::AlreadyRunning(m) => StimdError::AlreadyRunning(m),
            SessionError::FaultActive(m) => StimdError::FaultActive(m),
            SessionError::NotPermitted(m) => StimdError::NotPermitted(m),
            SessionError::Contraindicated(m) => StimdError::Contraindicated(m),
            SessionError::DoseLimit(m) => StimdError::DoseLimit(m),
            SessionError::Failed(m) => StimdError::Failed(m),
            SessionError::StorageFailed(m) => StimdError::StorageFailed(m),
        }
    }
}

impl StimdError {
    /// The D-Bus error name's last part, e.g. `InvalidArgument`.
    pub fn kind(&self) -> &'static str {
        match self {
            StimdError::ZBus(_) => "ZBus",
            StimdError::InvalidArgument(_) => "InvalidArgument",
            StimdError::UnknownProgram(_) => "UnknownProgram",
            StimdError::NotRunning(_) => "NotRunning",
            StimdError::AlreadyRunning(_) => "AlreadyRunning",
            StimdError::FaultActive(_) => "FaultActive",
            StimdError::NotPermitted(_) => "NotPermitted",
            StimdError::Contraindicated(_) => "Contraindicated",
            StimdError::DoseLimit(_) => "DoseLimit",
            StimdError::HistoryUnavailable(_) => "HistoryUnavailable",
            StimdError::RateLimited(_) => "RateLimited",
            StimdError::Failed(_) => "Failed",
            StimdError::StorageFailed(_) => "StorageFailed",
        }
    }

    /// The human-readable message: which argument, the value, the allowed range.
    pub fn message(&self) -> String {
        match self {
            StimdError::InvalidArgument(m)
            | StimdError::UnknownProgram(m)
            | StimdError::NotRunning(m)
            | StimdError::AlreadyRunning(m)
            | StimdError::FaultActive(m)
            | StimdError::NotPermitted(m)
            | StimdError::Contraindicated(m)
            | StimdError::DoseLimit(m)
            | StimdError::HistoryUnavailable(m)
            | StimdError::RateLimited(m)
            | StimdError::Failed(m)
            | StimdError::StorageFailed(m) => m.clone(),
            StimdError::ZBus(zbus::Error::MethodError(_, Some(m), _)) => m.clone(),
            StimdError::ZBus(e) => e.to_string(),
        }
    }
}
