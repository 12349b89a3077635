//! `stimctl`: command-line client of stimd, built on the proxies generated from the daemon's
//! own interface code. `cli` defines the command line, this file sends each command to the
//! module that owns it; texts come from the Fluent catalogues (`say`, `i18n`). No `unsafe`:
//! local dates go through `stimd::clock`.
#![forbid(unsafe_code)]

use clap::Parser;
use cli::{Cli, Cmd};
use std::process::ExitCode;

mod cli;
mod control;
mod device;
mod fail;
#[cfg(test)]
mod gen_docs;
mod history;
mod history_json;
mod i18n;
mod json;
mod names;
mod plot;
mod profiles;
mod programs;
mod report;
mod say;
mod snapshot;
mod watch;

pub(crate) use cli::{ProfileCmd, ProfileSettings, ProgramCmd};
pub(crate) use control::milliamps_to_ua;
pub(crate) use fail::{describe, unreachable};

/// µA as `8.0 mA` (in the person's language).
pub(crate) fn ma(ua: u32) -> String {
    say::text_args("milliamps", &[("level", say::s(&say::milliamps(ua)))])
}

/// Checks what can be checked without stimd, so a bad argument never waits for the bus.
fn precheck(command: &Cmd) -> Result<(), String> {
    match command {
        Cmd::Program(ProgramCmd::Plot {
            output, intensity, ..
        }) => plot::check(output, *intensity).map(|_| ()),
        Cmd::Report(r) => report::check(r),
        Cmd::Set { milliamps, .. } => milliamps_to_ua("MILLIAMPS", *milliamps).map(|_| ()),
        Cmd::Start {
            intensity: Some(m), ..
        } => milliamps_to_ua("--intensity", *m).map(|_| ()),
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
    let conn = &conn;
    match cli.command {
        Cmd::Status { out } => device::status(conn, out.json).await,
        Cmd::Watch { out } => watch::watch(conn, out.json).await,
        Cmd::Pads { replaced, out } => device::pads(conn, replaced, out.json).await,
        Cmd::Estop => device::estop(conn).await,
        Cmd::Ack => device::ack(conn).await,
        Cmd::Start {
            program,
            intensity,
            duration,
            profile,
            placement,
            out,
        } => {
            let args = control::StartArgs {
                program,
                intensity,
                duration,
                profile,
                placement,
            };
            control::start(conn, args, out.json).await
        }
        Cmd::Set {
            channel,
            milliamps,
            out,
        } => {
            let ua = milliamps_to_ua("MILLIAMPS", milliamps)?;
            control::set(conn, channel, control::Change::To(ua), out.json).await
        }
        Cmd::Step {
            channel,
            steps,
            out,
        } => control::set(conn, channel, control::Change::By(steps), out.json).await,
        Cmd::Pause => control::simple(conn, "pause").await,
        Cmd::Resume => control::simple(conn, "resume").await,
        Cmd::Stop => control::simple(conn, "stop").await,
        Cmd::Programs { out } => programs::program_cmd(conn, None, out.json).await,
        Cmd::Program(p) => programs::program_cmd(conn, Some(p), false).await,
        Cmd::History { since, json } => history::list(conn, since, json).await,
        Cmd::Changes { since, out } => history::changes(conn, since, out.json).await,
        Cmd::Rate {
            session,
            before,
            after,
        } => history::rate(conn, session, before, after).await,
        Cmd::Export { format } => history::export(conn, &format).await,
        Cmd::Summary { since, until, out } if out.json => {
            history_json::summary(conn, since, until).await
        }
        Cmd::Summary { since, until, .. } => history::summary(conn, since, until).await,
        Cmd::Report(r) => report::report(conn, r).await,
        Cmd::Profiles { out } => profiles::profile_cmd(conn, None, out.json).await,
        Cmd::Advice { profile, out } if out.json => history_json::advice(conn, &profile).await,
        Cmd::Advice { profile, .. } => history::advice(conn, &profile).await,
        Cmd::Profile(p) => profiles::profile_cmd(conn, Some(p), false).await,
        Cmd::Check { profile, answers } => profiles::check(conn, &profile, answers).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = &result {
        eprintln!("stimctl: {e}");
    }
    ExitCode::from(fail::code(&result))
}
