//! What the session core hands back: typed effects for the outbox to perform, and the typed
//! values they carry (who acted, what happened, what the history records). No strings here
//! that the edges would have to parse back: the outbox and `api::signals` turn these into
//! history rows and D-Bus texts.

use super::state::{Clamp, EndReason};
use crate::model::limits::{ceiling::CHANNELS, LimitKind};
use crate::model::units::MicroAmps;
use crate::pulse::pattern::Pattern;
use crate::safety::armed::ArmedLimits;
use crate::safety::fault::FaultCode;
use crate::texts::{Lang, Text};
use std::fmt;

/// The time a request or tick happens at: the monotonic clock the session runs on, and the
/// wall clock the history stamps records with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Milliseconds on the manager's monotonic clock.
    pub ms: u64,
    /// Unix time in milliseconds.
    pub unix_ms: i64,
}

impl Now {
    /// Unix seconds.
    pub fn unix(&self) -> i64 {
        self.unix_ms.div_euclid(1_000)
    }
}

/// Who changed an intensity (recorded with every change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A D-Bus client, by its Unix user id.
    Uid(u32),
    /// A D-Bus client whose user the bus did not tell.
    Client,
    /// The device's push buttons.
    Button,
    /// The ramp limiter, moving a level towards its target.
    Ramp,
    /// Habituation compensation, one step up.
    Habituation,
    /// The program, entering a segment.
    Program,
    /// The session manager after the engine reported lost electrode contact.
    ContactLost,
}

impl Actor {
    /// Reads the edges' spelling (`uid:<n>`, `button`); anything else is an unnamed client.
    pub fn parse(text: &str) -> Actor {
        match text {
            "button" => Actor::Button,
            _ => text
                .strip_prefix("uid:")
                .and_then(|n| n.parse().ok())
                .map_or(Actor::Client, Actor::Uid),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Uid(uid) => write!(f, "uid:{uid}"),
            Actor::Client => f.write_str("client"),
            Actor::Button => f.write_str("button"),
            Actor::Ramp => f.write_str("ramp"),
            Actor::Habituation => f.write_str("habituation"),
            Actor::Program => f.write_str("program"),
            Actor::ContactLost => f.write_str("safety:contact_lost"),
        }
    }
}

/// Something a person should know about a session that was allowed anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The program recommends other placements.
    PlacementNotMeant {
        /// The program's id.
        program: String,
        /// The body sites the program is meant for.
        meant_for: Vec<String>,
        /// The body site the session was started on.
        placement: String,
    },
    /// Contact lost on a channel whose pads are worn.
    WornPadsLostContact {
        /// Device channel.
        channel: usize,
        /// Sessions the channel's pad set has had.
        sessions: u32,
        /// Sessions after which a pad set counts as worn (`care.pad_uses`).
        uses: u32,
    },
    /// The battery fell to `battery.low_percent` during the session.
    BatteryLow {
        /// The battery level, %.
        percent: u32,
        /// The level at which the session ends (`battery.critical_percent`), %.
        critical: u32,
        /// Minutes until then at the drain seen so far, when it could be estimated.
        minutes_left: Option<u32>,
    },
}

impl Notice {
    /// What to tell, as a text with a stable code (docs/texts.md).
    pub fn text(&self) -> Text {
        match self {
            Notice::PlacementNotMeant {
                program,
                meant_for,
                placement,
            } => Text::new("notice.placement_not_meant")
                .quoted("program", program)
                .sites("meant_for", meant_for)
                .site("placement", placement),
            Notice::WornPadsLostContact {
                channel,
                sessions,
                uses,
            } => Text::new("notice.worn_pads_lost_contact")
                .arg("channel", *channel)
                .arg("sessions", *sessions)
                .arg("uses", *uses),
            Notice::BatteryLow {
                percent,
                critical,
                minutes_left,
            } => {
                let t = Text::new(match minutes_left {
                    Some(_) => "notice.battery_low_minutes",
                    None => "notice.battery_low",
                })
                .arg("percent", *percent)
                .arg("critical", *critical);
                match minutes_left {
                    Some(m) => t.arg("minutes", *m),
                    None => t,
                }
            }
        }
    }
}

/// In English, for the journal.
impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text().render_in(Lang::En))
    }
}

/// Things that happened, for signals: the core decides them, the outbox broadcasts them and
/// `api::signals` turns each into its D-Bus signal.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A target was lowered to fit a limit (`Device.Clamped`).
    Clamped {
        /// Device channel.
        channel: u32,
        /// The target asked for (by a client, a segment's carry-over or habituation), µA.
        requested: MicroAmps,
        /// The target applied, µA.
        applied: MicroAmps,
        /// The limit that bound it.
        limit: LimitKind,
    },
    /// A session ended (`Session.Ended`).
    Ended {
        /// The session's id.
        id: u64,
        /// Why it ended.
        reason: EndReason,
    },
    /// A channel's pad set has reached `care.pad_uses` sessions (`Device.PadsWorn`).
    PadsWorn {
        /// Device channel.
        channel: u32,
        /// Sessions the pad set has had.
        sessions: u32,
    },
    /// Something the person should know about a running session (`Session.Notice`).
    Notice {
        /// The session's id.
        id: u64,
        /// What to tell.
        notice: Notice,
        /// In the session's language.
        lang: Lang,
    },
    /// The supervisor tripped and the fault latched (`Device.FaultRaised`).
    FaultRaised {
        /// The fault's code.
        code: FaultCode,
        /// The supervisor's description of the cause.
        message: String,
    },
}

/// A session's figures so far: per channel in use its highest and mean level, and the modes of
/// the segments entered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Per channel in use, the highest level reached, µA.
    pub max_intensity: Vec<u32>,
    /// Per channel in use, the time-weighted mean level since the start, µA.
    pub mean_intensity: Vec<u32>,
    /// The modes of the segments entered so far, in order.
    pub segments: Vec<String>,
    /// Seconds of stimulation at a non-zero level so far.
    pub stimulated_s: u32,
}

/// What the history keeps, typed; the outbox turns each into the history's row.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A session began.
    Started {
        /// The session's id.
        id: u64,
        /// The program's id.
        program: String,
        /// The profile's name.
        profile: String,
        /// The body site, empty when not given.
        placement: String,
        /// Unix seconds.
        start: i64,
        /// Device channels in use.
        channels: Vec<u32>,
        /// The modes of the segments entered so far (the first).
        segments: Vec<String>,
    },
    /// A channel's new target, and who set it.
    Target {
        /// Unix milliseconds.
        time_ms: i64,
        /// The session's id.
        session_id: u64,
        /// Device channel.
        channel: usize,
        /// The target applied, µA.
        target: MicroAmps,
        /// Who set it.
        actor: Actor,
    },
    /// The level the ramp reached (at most once a second while it changes).
    Level {
        /// Unix milliseconds.
        time_ms: i64,
        /// The session's id.
        session_id: u64,
        /// Device channel.
        channel: usize,
        /// The level, µA.
        level: MicroAmps,
    },
    /// A target lowered to fit a limit.
    Clamp {
        /// Unix seconds.
        time: i64,
        /// The session's id.
        session_id: u64,
        /// What was asked, what was applied and which limit bound it.
        clamp: Clamp,
    },
    /// A running session's figures so far (every 30 s), so a crash loses little.
    Progress {
        /// The session's id.
        id: u64,
        /// Unix seconds.
        time: i64,
        /// The figures so far.
        figures: Figures,
    },
    /// A session ended.
    Ended {
        /// The session's id.
        id: u64,
        /// Unix seconds.
        end: i64,
        /// Why it ended.
        reason: EndReason,
        /// The session's final figures.
        figures: Figures,
    },
    /// A fault latched.
    Fault {
        /// Unix seconds.
        time: i64,
        /// The fault's code.
        code: FaultCode,
        /// The supervisor's description of the cause.
        message: String,
        /// The session the trip ended, 0 when none ran.
        session_id: u64,
    },
}

/// What the outbox does for the core, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Every channel's level to the engine (zero for channels not in use).
    Levels([MicroAmps; CHANNELS]),
    /// The running segment's waveform, from now on (only ever while every level is zero).
    Pattern(Pattern),
    /// Contact is judged afresh on every channel.
    ResetContact,
    /// Output enabled with the session's own limits.
    Arm(ArmedLimits),
    /// The one way to go safe: every level to zero, output disarmed.
    Disarm,
    /// Something for the history (queued, never waited for).
    Record(Record),
    /// An event for the D-Bus signals.
    Signal(Event),
    /// The levels a session held for a minute, as its profile's comfortable intensity for
    /// the program (a file write, off the manager's task); `None` keeps a channel's
    /// remembered level as it was.
    SaveComfort {
        profile: String,
        program: String,
        comfort: [Option<u32>; CHANNELS],
    },
    /// A session of `seconds` used the pads of `channels` (a file write, off the manager's
    /// task; the counts come back to the core with `Core::pads_counted`).
    PadsUsed { channels: Vec<usize>, seconds: u32 },
}
