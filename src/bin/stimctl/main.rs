//! `stimctl`: command-line client of stimd, built on the proxies generated from the daemon's
//! own interface code. No `unsafe`: local dates go through `stimd::clock`.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};
use stimd::api::device::DeviceProxy;
use stimd::api::session::SessionProxy;
use stimd::api::{Bus, StimdError};
use zbus::zvariant::{OwnedValue, Value};

mod history;
mod i18n;
mod plot;
mod profiles;
mod programs;
mod report;

#[derive(Parser)]
#[command(
    name = "stimctl",
    version,
    about = "Control the stimd stimulator daemon",
    after_help = "Exit codes: 0 done; 1 refused by stimd (a limit, a fault, a dose rule); \
                  2 usage (bad arguments, an unreadable file); 3 `status` found the device in \
                  fault; 4 stimd not reachable, or you are not permitted."
)]
struct Cli {
    /// `system`, `session` or a D-Bus address.
    #[arg(long, global = true, default_value = "system", env = "STIMCTL_BUS")]
    bus: Bus,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Device and session state.
    Status,
    /// Start a program (intensity ramps up from zero to the target).
    Start {
        /// Program id, e.g. `low-back`.
        program: String,
        /// Target intensity in mA for every channel.
        #[arg(long)]
        intensity: Option<f64>,
        /// Session length in minutes.
        #[arg(long)]
        duration: Option<u32>,
        /// Whose session (default: the `default` profile).
        #[arg(long)]
        profile: Option<String>,
        /// Where the pads are, e.g. `low back`, `neck`, `knee`.
        #[arg(long)]
        placement: Option<String>,
    },
    /// Set a channel's target intensity in mA (channels count from 0).
    Set { channel: u32, milliamps: f64 },
    /// Move a channel's target by whole intensity steps, e.g. `step 0 2` or `step 1 -1`.
    Step {
        channel: u32,
        /// Steps up (positive) or down (negative); one step is the device's intensity step.
        #[arg(allow_negative_numbers = true)]
        steps: i32,
    },
    /// Pause the session: output ramps to zero, the session and its targets stay.
    Pause,
    /// Resume a paused session: intensity ramps up from zero to the targets again.
    Resume,
    /// Stop the session.
    Stop,
    /// Emergency stop: output to zero at once.
    Estop,
    /// Acknowledge a latched fault once its cause is gone.
    Ack,
    /// List the programs (presets and custom).
    Programs,
    /// Show, add or remove a program.
    #[command(subcommand)]
    Program(ProgramCmd),
    /// Past sessions, newest first.
    History {
        /// Only sessions from this day on (YYYY-MM-DD, local time).
        #[arg(long)]
        since: Option<String>,
        /// Print the sessions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record how much it hurt before and after a session (0 = no pain, 10 = worst).
    Rate { session: u64, before: u8, after: u8 },
    /// Every session as CSV, JSON or FHIR R4 (a Bundle for a clinic's system), on standard
    /// output.
    Export {
        #[arg(long, default_value = "csv", value_parser = ["csv", "json", "fhir"])]
        format: String,
    },
    /// How worn each channel's pads are; `--replaced CH` after fitting new ones.
    Pads {
        #[arg(long)]
        replaced: Option<u32>,
    },
    /// What works for a profile: the program that helped most, from its rated sessions.
    Advice {
        #[arg(long, default_value = "default")]
        profile: String,
    },
    /// List the profiles.
    Profiles,
    /// Show, add, change, remove or approve a profile.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Answer the contraindication questions for a profile (asked in its language).
    Check {
        #[arg(long, default_value = "default")]
        profile: String,
        /// Answers without asking, in question order, e.g. `no,no,no,no,no`.
        #[arg(long)]
        answers: Option<String>,
    },
    /// A report for the person and their therapist as one HTML file (charts inside, nothing
    /// fetched from the network), in the profile's language.
    Report(report::Request),
    /// What helps: sessions, minutes and pain reduction per program.
    Summary {
        /// From this day (YYYY-MM-DD, local time).
        #[arg(long)]
        since: Option<String>,
        /// Up to and including this day (YYYY-MM-DD, local time).
        #[arg(long)]
        until: Option<String>,
    },
}

#[derive(Subcommand)]
pub(crate) enum ProfileCmd {
    /// A profile: limits, answers, approval, settled intensities.
    Show { name: String },
    /// Add a profile (`--max` and `--area` are for administrators).
    Add {
        name: String,
        #[command(flatten)]
        settings: ProfileSettings,
    },
    /// Change a profile (the same options as `add`).
    Set {
        name: String,
        #[command(flatten)]
        settings: ProfileSettings,
    },
    /// Remove a profile (administrators).
    Rm { name: String },
    /// Record a doctor's approval despite a "yes" (administrators).
    Approve { name: String, note: String },
}

#[derive(clap::Args)]
pub(crate) struct ProfileSettings {
    #[arg(long, value_parser = ["nl", "en"])]
    pub language: Option<String>,
    /// The person's own maximum, mA per channel, e.g. `20,20` (administrators).
    #[arg(long)]
    pub max: Option<String>,
    /// Their smallest electrode, cm² (administrators).
    #[arg(long)]
    pub area: Option<f64>,
}

#[derive(Subcommand)]
pub(crate) enum ProgramCmd {
    /// Show a program: its segments and its program file.
    Show { id: String },
    /// Add a custom program from a program file (see docs/programs.md).
    Add { file: std::path::PathBuf },
    /// Remove a custom program.
    Rm { id: String },
    /// Draw a program's shapes as SVG: per segment a representative stretch (a burst train,
    /// an EMS cycle, a sweep period) and its biphasic pulse, in mA over ms, as stimd would
    /// deliver it on channel 0 (before a profile's own maximum).
    Plot {
        /// Program id, e.g. `massage` (presets and the device's custom programs).
        id: String,
        /// The SVG file to write.
        #[arg(long)]
        output: std::path::PathBuf,
        /// The first segment's intensity in mA; later segments carry it over as a session
        /// does, each capped at the most the device permits for it.
        #[arg(long, default_value_t = 10.0)]
        intensity: f64,
    },
}

pub(crate) fn milliamps_to_ua(arg: &str, ma: f64) -> Result<u32, String> {
    if !(0.0..=100.0).contains(&ma) || !ma.is_finite() {
        return Err(format!(
            "{arg} = {ma} mA is out of range (allowed: 0..=100 mA)"
        ));
    }
    Ok((ma * 1000.0).round() as u32)
}

pub(crate) fn ma(ua: u32) -> String {
    format!("{:.1} mA", f64::from(ua) / 1000.0)
}

/// Exit codes, as `stimctl --help` lists them.
mod exit {
    /// Refused by stimd (a limit, a fault, a dose rule, bad input it checked).
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

/// One line for an error from stimd or the bus, in words a person can act on; records its
/// exit code.
pub(crate) fn describe(e: impl Into<StimdError>) -> String {
    let (class, text) = match e.into() {
        StimdError::ZBus(zbus::Error::MethodError(name, msg, _)) => match name.as_str() {
            "org.freedesktop.DBus.Error.AccessDenied" => (
                exit::UNREACHABLE,
                "you may not do this: steering the stimulator is for members of the group \
                 `stimd`, changing a person's limits for `stimd-admin`; ask whoever set up the \
                 device to add you (AccessDenied)"
                    .to_string(),
            ),
            "org.freedesktop.DBus.Error.ServiceUnknown"
            | "org.freedesktop.DBus.Error.NameHasNoOwner" => (
                exit::UNREACHABLE,
                "stimd is not running and could not be started (nobody owns io.stimd.Stimd1 \
                 on this bus); try `systemctl status stimd` (ServiceUnknown)"
                    .to_string(),
            ),
            other => (
                exit::REFUSED,
                format!("{other}: {}", msg.unwrap_or_default()),
            ),
        },
        StimdError::ZBus(e) => (exit::UNREACHABLE, format!("cannot reach stimd: {e}")),
        other @ StimdError::NotPermitted(_) => (
            exit::UNREACHABLE,
            format!("{}: {}", other.kind(), other.message()),
        ),
        other => (
            exit::REFUSED,
            format!("{}: {}", other.kind(), other.message()),
        ),
    };
    ERROR_CLASS.store(class, Ordering::Relaxed);
    text
}

/// A bus that cannot be reached at all.
pub(crate) fn unreachable(e: impl std::fmt::Display) -> String {
    ERROR_CLASS.store(exit::UNREACHABLE, Ordering::Relaxed);
    format!("cannot reach the bus: {e}")
}

/// Checks what can be checked without stimd, so a bad argument never waits for the bus.
fn precheck(command: &Cmd) -> Result<(), String> {
    match command {
        Cmd::Program(ProgramCmd::Plot {
            output, intensity, ..
        }) => plot::check(output, *intensity).map(|_| ()),
        Cmd::Report(r) => report::check(r),
        _ => Ok(()),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    precheck(&cli.command)?;
    let conn = cli
        .bus
        .builder()
        .map_err(unreachable)?
        .build()
        .await
        .map_err(unreachable)?;
    let command = match cli.command {
        Cmd::Programs => return programs::program_cmd(&conn, None).await,
        Cmd::Program(p) => return programs::program_cmd(&conn, Some(p)).await,
        Cmd::History { since, json } => return history::list(&conn, since, json).await,
        Cmd::Rate {
            session,
            before,
            after,
        } => return history::rate(&conn, session, before, after).await,
        Cmd::Export { format } => return history::export(&conn, &format).await,
        Cmd::Summary { since, until } => return history::summary(&conn, since, until).await,
        Cmd::Report(r) => return report::report(&conn, r).await,
        Cmd::Profiles => return profiles::profile_cmd(&conn, None).await,
        Cmd::Advice { profile } => return history::advice(&conn, &profile).await,
        Cmd::Profile(p) => return profiles::profile_cmd(&conn, Some(p)).await,
        Cmd::Check { profile, answers } => return profiles::check(&conn, &profile, answers).await,
        other => other,
    };
    let device = DeviceProxy::new(&conn).await.map_err(unreachable)?;
    let session = SessionProxy::new(&conn).await.map_err(unreachable)?;
    match command {
        Cmd::Programs
        | Cmd::Program(_)
        | Cmd::History { .. }
        | Cmd::Rate { .. }
        | Cmd::Export { .. }
        | Cmd::Profiles
        | Cmd::Advice { .. }
        | Cmd::Profile(_)
        | Cmd::Check { .. }
        | Cmd::Summary { .. }
        | Cmd::Report(_) => {}
        Cmd::Pads { replaced } => {
            if let Some(ch) = replaced {
                device.pads_replaced(ch).await.map_err(describe)?;
                println!("channel {ch}: new pads, count reset");
            }
            for (ch, (sessions, minutes, worn)) in device
                .pads()
                .await
                .map_err(describe)?
                .into_iter()
                .enumerate()
            {
                println!(
                    "channel {ch}: {sessions} sessions, {minutes} min{}",
                    if worn {
                        " — worn, replace the pads"
                    } else {
                        ""
                    }
                );
            }
        }
        Cmd::Status => {
            let state = device.state().await.map_err(describe)?;
            let (code, message) = device.fault().await.map_err(describe)?;
            println!("state:     {state}");
            if state == "fault" {
                ERROR_CLASS.store(exit::FAULT, Ordering::Relaxed);
            }
            if !code.is_empty() {
                println!("fault:     {code}: {message}");
            }
            println!(
                "board:     {} (stimd {})",
                device.board().await.map_err(describe)?,
                device.version().await.map_err(describe)?
            );
            let id = session.id().await.map_err(describe)?;
            if id != 0 {
                println!(
                    "session:   {id} ({}, segment {})",
                    session.program().await.map_err(describe)?,
                    session.segment().await.map_err(describe)?
                );
                println!(
                    "elapsed:   {} s, remaining {} s",
                    session.elapsed().await.map_err(describe)?,
                    session.remaining().await.map_err(describe)?
                );
                let actual = session.intensity().await.map_err(describe)?;
                let target = session.target().await.map_err(describe)?;
                for (ch, (a, t)) in actual.iter().zip(&target).enumerate() {
                    println!("channel {ch}: {} (target {})", ma(*a), ma(*t));
                }
            }
        }
        Cmd::Start {
            program,
            intensity,
            duration,
            profile,
            placement,
        } => {
            let channels = device.channels().await.map_err(describe)?;
            let mut options: HashMap<String, OwnedValue> = HashMap::new();
            if let Some(m) = intensity {
                let ua = milliamps_to_ua("--intensity", m)?;
                let v = Value::from(vec![ua; channels as usize]);
                options.insert(
                    "intensity".into(),
                    v.try_into()
                        .map_err(|e: zbus::zvariant::Error| e.to_string())?,
                );
            }
            if let Some(min) = duration {
                let secs = min
                    .checked_mul(60)
                    .ok_or(format!("--duration = {min} min is too large"))?;
                options.insert("duration".into(), OwnedValue::from(secs));
            }
            for (key, value) in [("profile", profile), ("placement", placement)] {
                if let Some(v) = value {
                    options.insert(
                        key.into(),
                        Value::from(v)
                            .try_into()
                            .map_err(|e: zbus::zvariant::Error| e.to_string())?,
                    );
                }
            }
            let id = session.start(&program, options).await.map_err(describe)?;
            println!("session {id} started: {program}");
        }
        Cmd::Set { channel, milliamps } => {
            let ua = milliamps_to_ua("MILLIAMPS", milliamps)?;
            let applied = session.set_intensity(channel, ua).await.map_err(describe)?;
            if applied < ua {
                println!(
                    "channel {channel}: target {} (limited from {})",
                    ma(applied),
                    ma(ua)
                );
            } else {
                println!("channel {channel}: target {}", ma(applied));
            }
        }
        Cmd::Step { channel, steps } => {
            let applied = session
                .step_intensity(channel, steps)
                .await
                .map_err(describe)?;
            println!("channel {channel}: target {}", ma(applied));
        }
        Cmd::Pause => {
            session.pause().await.map_err(describe)?;
            println!("paused: output at zero; `stimctl resume` ramps it up again");
        }
        Cmd::Resume => {
            session.resume().await.map_err(describe)?;
            println!("resumed: ramping up from zero to the targets");
        }
        Cmd::Stop => {
            session.stop().await.map_err(describe)?;
            println!("stopped");
        }
        Cmd::Estop => {
            device.emergency_stop().await.map_err(describe)?;
            println!("emergency stop: output off");
        }
        Cmd::Ack => {
            device.acknowledge_fault().await.map_err(describe)?;
            println!("fault acknowledged");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("stimctl: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    match rt.block_on(run(cli)) {
        // `status` succeeded but found the device in fault.
        Ok(()) => ExitCode::from(match ERROR_CLASS.load(Ordering::Relaxed) {
            exit::FAULT => exit::FAULT,
            _ => 0,
        }),
        Err(e) => {
            eprintln!("stimctl: {e}");
            ExitCode::from(match ERROR_CLASS.load(Ordering::Relaxed) {
                0 | exit::FAULT => exit::USAGE,
                class => class,
            })
        }
    }
}
