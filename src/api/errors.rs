//! Typed D-Bus errors (`io.stimd.Stimd1.Error.*`): a client can tell each failure apart. The
//! reply's body is `(s message, s code, a{sv} args)`: the message in the person's language
//! first (what every D-Bus client shows), then the stable code and its arguments
//! (docs/texts.md) for a client that words it itself.

use crate::session::SessionError;
use crate::texts::{Lang, Text};
use std::collections::HashMap;
use zbus::message::{Header, Message};
use zbus::names::ErrorName;
use zbus::zvariant::OwnedValue;
use zbus::DBusError;

/// What an error says: the message as sent, its code and its arguments.
#[derive(Debug, PartialEq)]
pub struct Said {
    /// The message for a person.
    pub message: String,
    /// The stable code, e.g. `dose.too_soon`; empty if the sender sent none.
    pub code: String,
    /// The code's arguments.
    pub args: HashMap<String, OwnedValue>,
    /// The typed text it was rendered from (on stimd's side; `None` for an error read from the
    /// bus).
    pub text: Option<Box<Text>>,
}

impl Said {
    /// Rendered again in `lang`, unless its text has a language already.
    fn in_lang(self, lang: Lang) -> Said {
        match self.text {
            Some(t) => t.in_lang(lang).into(),
            None => self,
        }
    }
}

impl From<Text> for Said {
    fn from(t: Text) -> Said {
        Said {
            message: t.render(),
            code: t.code.to_string(),
            args: t.dbus_args(),
            text: Some(Box::new(t)),
        }
    }
}

impl From<&Message> for Said {
    fn from(m: &Message) -> Said {
        let body = m.body();
        if let Ok((message, code, args)) =
            body.deserialize::<(String, String, HashMap<String, OwnedValue>)>()
        {
            return Said {
                message,
                code,
                args,
                text: None,
            };
        }
        Said {
            message: body.deserialize::<String>().unwrap_or_default(),
            code: String::new(),
            args: HashMap::new(),
            text: None,
        }
    }
}

/// Every error a method of `io.stimd.Stimd1` answers with: the variant is the D-Bus error
/// name (`io.stimd.Stimd1.Error.<Variant>`).
#[derive(Debug)]
pub enum StimdError {
    /// A transport error (client side only).
    ZBus(zbus::Error),
    /// An argument has the wrong type, is out of range, or is unknown.
    InvalidArgument(Said),
    /// No program has this id.
    UnknownProgram(Said),
    /// The request needs a running session.
    NotRunning(Said),
    /// A session is already running.
    AlreadyRunning(Said),
    /// A latched fault blocks the request.
    FaultActive(Said),
    /// The caller may not do this.
    NotPermitted(Said),
    /// Refused for the person's safety: a contraindication or a forbidden placement; the
    /// message says why and what would allow it.
    Contraindicated(Said),
    /// The profile's dose guidance refuses a session now; the message says when the next one
    /// is allowed.
    DoseLimit(Said),
    /// The history could not answer.
    HistoryUnavailable(Said),
    /// The caller sends too many calls; it may try again shortly.
    RateLimited(Said),
    /// An internal failure.
    Failed(Said),
    /// A change (profile, answers, approval, program) could not be written durably to the
    /// state directory; it was refused and the old value stays in force.
    StorageFailed(Said),
}

/// The variants with a body, by their name's last part.
macro_rules! variants {
    ($m:ident) => {
        $m!(
            InvalidArgument,
            UnknownProgram,
            NotRunning,
            AlreadyRunning,
            FaultActive,
            NotPermitted,
            Contraindicated,
            DoseLimit,
            HistoryUnavailable,
            RateLimited,
            Failed,
            StorageFailed
        )
    };
}

impl From<SessionError> for StimdError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::InvalidArgument(t) => StimdError::InvalidArgument(t.into()),
            SessionError::UnknownProgram(t) => StimdError::UnknownProgram(t.into()),
            SessionError::NotRunning(t) => StimdError::NotRunning(t.into()),
            SessionError::AlreadyRunning(t) => StimdError::AlreadyRunning(t.into()),
            SessionError::FaultActive(t) => StimdError::FaultActive(t.into()),
            SessionError::NotPermitted(t) => StimdError::NotPermitted(t.into()),
            SessionError::Contraindicated(t) => StimdError::Contraindicated(t.into()),
            SessionError::DoseLimit(t) => StimdError::DoseLimit(t.into()),
            SessionError::Failed(t) => StimdError::Failed(t.into()),
            SessionError::StorageFailed(t) => StimdError::StorageFailed(t.into()),
        }
    }
}

impl From<zbus::Error> for StimdError {
    /// On the client side: one of stimd's errors by its name, with its code and arguments;
    /// anything else stays a transport error.
    fn from(e: zbus::Error) -> Self {
        macro_rules! by_name {
            ($($v:ident),*) => {
                if let zbus::Error::MethodError(name, _, msg) = &e {
                    let said = || Said::from(msg);
                    match name.as_str().strip_prefix("io.stimd.Stimd1.Error.") {
                        $(Some(stringify!($v)) => return StimdError::$v(said()),)*
                        _ => {}
                    }
                }
            };
        }
        variants!(by_name);
        StimdError::ZBus(e)
    }
}

impl StimdError {
    /// The D-Bus error name's last part, e.g. `InvalidArgument`.
    pub fn kind(&self) -> &'static str {
        macro_rules! kind {
            ($($v:ident),*) => {
                match self {
                    StimdError::ZBus(_) => "ZBus",
                    $(StimdError::$v(_) => stringify!($v),)*
                }
            };
        }
        variants!(kind)
    }

    /// What the error says (none for a transport error).
    pub fn said(&self) -> Option<&Said> {
        macro_rules! said {
            ($($v:ident),*) => {
                match self {
                    StimdError::ZBus(_) => None,
                    $(StimdError::$v(s) => Some(s),)*
                }
            };
        }
        variants!(said)
    }

    /// The human-readable message: which argument, the value, the allowed range.
    pub fn message(&self) -> String {
        match (self, self.said()) {
            (_, Some(s)) => s.message.clone(),
            (StimdError::ZBus(zbus::Error::MethodError(_, Some(m), _)), _) => m.clone(),
            (StimdError::ZBus(e), _) => e.to_string(),
            _ => String::new(),
        }
    }

    /// The same error in `lang` (unless its text has a language already).
    pub fn in_lang(self, lang: Lang) -> StimdError {
        macro_rules! in_lang {
            ($($v:ident),*) => {
                match self {
                    StimdError::ZBus(e) => StimdError::ZBus(e),
                    $(StimdError::$v(s) => StimdError::$v(s.in_lang(lang)),)*
                }
            };
        }
        variants!(in_lang)
    }

    /// The stable code (docs/texts.md), empty for a transport error.
    pub fn code(&self) -> &str {
        self.said().map_or("", |s| s.code.as_str())
    }
}

impl DBusError for StimdError {
    fn name(&self) -> ErrorName<'_> {
        macro_rules! name {
            ($($v:ident),*) => {
                match self {
                    StimdError::ZBus(_) => "org.freedesktop.zbus.Error",
                    $(StimdError::$v(_) => concat!("io.stimd.Stimd1.Error.", stringify!($v)),)*
                }
            };
        }
        ErrorName::from_static_str_unchecked(variants!(name))
    }

    fn description(&self) -> Option<&str> {
        self.said().map(|s| s.message.as_str())
    }

    fn create_reply(&self, call: &Header<'_>) -> zbus::Result<Message> {
        match self.said() {
            Some(s) => Message::error(call, self.name())?.build(&(
                s.message.as_str(),
                s.code.as_str(),
                &s.args,
            )),
            None => Message::error(call, self.name())?.build(&(self.message(),)),
        }
    }
}

impl std::fmt::Display for StimdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.name(), self.message())
    }
}

impl std::error::Error for StimdError {}
