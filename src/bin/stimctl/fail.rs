//! stimctl's exit codes and the one line it prints for an error from stimd or the bus: the
//! daemon's own message as it sent it (control characters removed), or a sentence a person
//! can act on when the bus refused (`AccessDenied`) or nobody serves stimd (`ServiceUnknown`).

use crate::say::{clean, s, text, text_args};
use std::sync::atomic::{AtomicU8, Ordering};
use stimd::api::StimdError;

/// Exit codes, as `stimctl --help` lists them.
pub mod exit {
    /// Refused by stimd (a limit, a fault, a dose rule, bad input it checked), or `watch`
    /// found no session.
    pub const REFUSED: u8 = 1;
    /// A usage error: bad arguments or a file stimctl could not read (clap also uses 2).
    pub const USAGE: u8 = 2;
    /// `status` found the device in fault.
    pub const FAULT: u8 = 3;
    /// stimd not reachable, or the caller not permitted.
    pub const UNREACHABLE: u8 = 4;
}

/// The class of the last error from stimd or the bus (0: none, so an error is a usage error).
static ERROR_CLASS: AtomicU8 = AtomicU8::new(0);

/// Records the exit code the run ends with (`exit::FAULT` for a successful `status`).
pub fn set_class(class: u8) {
    ERROR_CLASS.store(class, Ordering::Relaxed);
}

/// The exit code for a run that ended with `result`.
pub fn code(result: &Result<(), String>) -> u8 {
    let class = ERROR_CLASS.load(Ordering::Relaxed);
    match result {
        Ok(()) if class == exit::FAULT => exit::FAULT,
        Ok(()) => 0,
        Err(_) if class == 0 || class == exit::FAULT => exit::USAGE,
        Err(_) => class,
    }
}

/// A D-Bus error's name and message, when the call got an error reply (typed for the
/// `org.freedesktop.DBus.*` interfaces' own proxies, by name for stimd's).
fn error_reply(e: &StimdError) -> Option<(String, String)> {
    use zbus::DBusError;
    match e {
        StimdError::ZBus(zbus::Error::MethodError(name, msg, _)) => {
            Some((name.as_str().to_string(), msg.clone().unwrap_or_default()))
        }
        StimdError::ZBus(zbus::Error::FDO(fdo)) => Some((
            fdo.name().as_str().to_string(),
            fdo.description().unwrap_or_default().to_string(),
        )),
        _ => None,
    }
}

/// `NotPermitted` codes that refuse the caller rather than the request: exit 4.
const CALLER_REFUSALS: [&str; 2] = ["admin.only", "answers.clears_yes"];

/// One line for an error from stimd or the bus; records its exit code.
pub fn describe(e: impl Into<StimdError>) -> String {
    let e = e.into();
    let (class, line) = match (error_reply(&e), e) {
        (Some((name, msg)), _) => match name.as_str() {
            "org.freedesktop.DBus.Error.AccessDenied" => {
                (exit::UNREACHABLE, text("error-access-denied"))
            }
            "org.freedesktop.DBus.Error.ServiceUnknown"
            | "org.freedesktop.DBus.Error.NameHasNoOwner" => {
                (exit::UNREACHABLE, text("error-service-unknown"))
            }
            other => (exit::REFUSED, format!("{}: {}", clean(other), clean(&msg))),
        },
        (None, StimdError::ZBus(e)) => (
            exit::UNREACHABLE,
            text_args(
                "error-cannot-reach",
                &[("error", s(&clean(&e.to_string())))],
            ),
        ),
        // The caller may not (exit 4); the device will not now — battery, contact, presets,
        // a full store — is a refusal (exit 1).
        (None, other @ StimdError::NotPermitted(_)) if CALLER_REFUSALS.contains(&other.code()) => (
            exit::UNREACHABLE,
            format!("{}: {}", other.kind(), clean(&other.message())),
        ),
        (None, other) => (
            exit::REFUSED,
            format!("{}: {}", other.kind(), clean(&other.message())),
        ),
    };
    set_class(class);
    line
}

/// A refusal stimctl decides itself from what stimd said (e.g. `watch` with no session).
pub fn refused(line: String) -> String {
    set_class(exit::REFUSED);
    line
}

/// A bus that cannot be reached at all.
pub fn unreachable(e: impl std::fmt::Display) -> String {
    set_class(exit::UNREACHABLE);
    text_args("error-no-bus", &[("error", s(&clean(&e.to_string())))])
}
