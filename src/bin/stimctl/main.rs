//! `stimctl`: command-line client of stimd, built on the proxies generated from the daemon's
//! own interface code. No `unsafe`: local dates go through `stimd::clock`.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::collections::HashMap;
use std::process::ExitCode;
use stimd::api::device::DeviceProxy;
use stimd::api::session::SessionProxy;
use stimd::api::{Bus, StimdError};
use zbus::zvariant::{OwnedValue, Value};

mod history;
mod profiles;
mod programs;

#[derive(Parser)]
#[command(
    name = "stimctl",
    version,
    about = "Control the stimd stimulator daemon"
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
    /// Every session as CSV or JSON, on standard output.
    Export {
        #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
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

pub(crate) fn describe(e: impl Into<StimdError>) -> String {
    match e.into() {
        StimdError::ZBus(zbus::Error::MethodError(name, msg, _)) => {
            format!("{}: {}", name.as_str(), msg.unwrap_or_default())
        }
        StimdError::ZBus(e) => format!("cannot reach stimd: {e}"),
        other => format!("{}: {}", other.kind(), other.message()),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let conn = cli
        .bus
        .builder()
        .map_err(|e| format!("cannot reach the bus: {e}"))?
        .build()
        .await
        .map_err(|e| format!("cannot reach the bus: {e}"))?;
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
        Cmd::Profiles => return profiles::profile_cmd(&conn, None).await,
        Cmd::Advice { profile } => return history::advice(&conn, &profile).await,
        Cmd::Profile(p) => return profiles::profile_cmd(&conn, Some(p)).await,
        Cmd::Check { profile, answers } => return profiles::check(&conn, &profile, answers).await,
        other => other,
    };
    let device = DeviceProxy::new(&conn).await.map_err(|e| e.to_string())?;
    let session = SessionProxy::new(&conn).await.map_err(|e| e.to_string())?;
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
        | Cmd::Summary { .. } => {}
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
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stimctl: {e}");
            ExitCode::FAILURE
        }
    }
}
