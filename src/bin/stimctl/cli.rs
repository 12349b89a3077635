//! stimctl's command line: the clap definitions (`Cli`, `Cmd` and their sub-enums), nothing
//! else. Only clap and std types (and `report::Request`, also plain clap), so the completions
//! and the man page can be generated from it (`gen_docs`).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use stimd::api::Bus;

/// What `stimctl --help` says after the commands.
pub const AFTER_HELP: &str = "Exit codes: 0 done; 1 refused by stimd (a limit, a fault, a dose \
     rule); 2 usage (bad arguments, an unreadable file); 3 `status` found the device in fault; \
     4 stimd not reachable, or you are not permitted.\n\
     Language: LC_ALL, LC_MESSAGES or LANG starting with `nl` gives Dutch, anything else English.\n\
     --json: one JSON document on standard output (`watch --json`: one object per line); the \
     keys are listed in the README.";

#[derive(Parser)]
#[command(
    name = "stimctl",
    version,
    about = "Control the stimd stimulator daemon",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// `system`, `session` or a D-Bus address.
    #[arg(
        long,
        global = true,
        default_value = "system",
        env = "STIMCTL_BUS",
        hide_env_values = true
    )]
    pub bus: Bus,
    #[command(subcommand)]
    pub command: Cmd,
}

/// `--json` for commands that print data.
#[derive(Args, Clone, Copy, Default)]
pub struct Json {
    /// Print JSON (stable keys, see the README) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Device and session state: why a session is paused, battery, pads, profile.
    Status {
        #[command(flatten)]
        out: Json,
    },
    /// Follow the running session live until it ends (its end reason last).
    Watch {
        #[command(flatten)]
        out: Json,
    },
    /// Start a program (intensity ramps up from zero to the target).
    Start {
        /// Program id or name as `stimctl programs` shows it, e.g. `low-back` or `rug`.
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
        #[command(flatten)]
        out: Json,
    },
    /// Set a channel's target intensity in mA (channels count from 0).
    Set {
        channel: u32,
        milliamps: f64,
        #[command(flatten)]
        out: Json,
    },
    /// Move a channel's target by whole intensity steps, e.g. `step 0 2` or `step 1 -1`.
    Step {
        channel: u32,
        /// Steps up (positive) or down (negative); one step is the device's intensity step.
        #[arg(allow_negative_numbers = true)]
        steps: i32,
        #[command(flatten)]
        out: Json,
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
    Programs {
        #[command(flatten)]
        out: Json,
    },
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
    /// Who changed what, and when: intensities (by whom: a user id, a button, the ramp, a
    /// safety clamp), profiles, screening answers, approvals, programs and pads; newest first.
    Changes {
        /// Only changes from this day on (YYYY-MM-DD, local time).
        #[arg(long)]
        since: Option<String>,
        #[command(flatten)]
        out: Json,
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
        #[command(flatten)]
        out: Json,
    },
    /// What works for a profile: the program that helped most, from its rated sessions.
    Advice {
        #[arg(long, default_value = "default")]
        profile: String,
        #[command(flatten)]
        out: Json,
    },
    /// List the profiles.
    Profiles {
        #[command(flatten)]
        out: Json,
    },
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
    Report(crate::report::Request),
    /// What helps: sessions, minutes and pain reduction per program.
    Summary {
        /// From this day (YYYY-MM-DD, local time).
        #[arg(long)]
        since: Option<String>,
        /// Up to and including this day (YYYY-MM-DD, local time).
        #[arg(long)]
        until: Option<String>,
        #[command(flatten)]
        out: Json,
    },
}

#[derive(Subcommand)]
pub enum ProfileCmd {
    /// A profile: limits, answers, approval, settled intensities.
    Show {
        name: String,
        #[command(flatten)]
        out: Json,
    },
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

#[derive(Args)]
pub struct ProfileSettings {
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
pub enum ProgramCmd {
    /// Show a program: its segments and its program file.
    Show {
        id: String,
        #[command(flatten)]
        out: Json,
    },
    /// Add a custom program from a program file (see docs/programs.md).
    Add { file: PathBuf },
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
        output: PathBuf,
        /// The first segment's intensity in mA; later segments carry it over as a session
        /// does, each capped at the most the device permits for it.
        #[arg(long, default_value_t = 10.0)]
        intensity: f64,
    },
}
