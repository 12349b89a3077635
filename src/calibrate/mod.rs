//! `stimd calibrate`: measures each channel's output-stage offset and gain error with a test
//! load and a multimeter, and prints the `[calibration]` lines that correct them.
//!
//! Owns the technician's procedure. It drives the board directly, without the engine and the
//! supervisor (a DC reading takes seconds; the supervisor would rightly trip on a phase held
//! that long), so it is fail-closed on its own terms (`rig`): nothing is switched on before the
//! technician has typed that a test load and no person is connected; one channel at a time
//! carries a DC test current of at most 5 mA, lowered so that even a board with the largest
//! correctable error stays within the configured limits (`fit::test_current_ua`); the HV
//! enable is on only while a reading is awaited, and off after it, after `HOLD` without one,
//! on Ctrl-C, SIGTERM or SIGHUP, on the overcurrent input and on every error. Codes are the
//! ideal transfer's (any `[calibration]` already configured is ignored: the raw board is
//! measured). Each reading is typed with its unit and checked (a wrong unit, range or
//! polarity is asked again); each channel's three readings must lie on a straight line whose
//! offset and gain a calibration may correct (`CalibrationConfig`), else the channel is
//! measured again, three times at most.

pub mod fit;
pub mod rig;

use crate::board::dac::{Transfer, Transfers};
use crate::board::{self, Board};
use crate::config::Config;
use crate::daemon::BoardKind;
use fit::{Fit, FitError, ReadingError};
use rig::{Rig, Stop};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

/// How long the output stays on waiting for one reading.
pub const HOLD: Duration = Duration::from_secs(300);

/// Times a channel is measured before it is given up as needing repair.
pub const ATTEMPTS: u32 = 3;

/// What `stimd calibrate` was asked to do.
pub struct Options {
    /// The validated configuration (channels, limits, the board's wiring, the sim's model).
    pub config: Config,
    /// Which board.
    pub board: BoardKind,
    /// A trace of the sim board (`--trace`).
    pub trace: Option<PathBuf>,
    /// The test load, Ω, for readings in mV or V (default: 1000, on the sim board its
    /// `load_ohms`).
    pub load_ohms: Option<u32>,
}

/// Why no calibration was printed. The output is off in every case.
#[derive(Debug, thiserror::Error)]
pub enum CalError {
    /// The technician did not confirm the test load.
    #[error("not confirmed that a test load and no person is connected: nothing was switched on")]
    NotConfirmed,
    /// Standard input ended before the procedure did.
    #[error("the input ended before every reading was typed: output off, nothing printed")]
    InputEnded,
    /// The limits leave no safe test current.
    #[error("{0}")]
    Limits(String),
    /// The board could not be opened.
    #[error("board: {0}")]
    Board(String),
    /// The output went off by itself (interrupt, overcurrent, GPIO or SPI error).
    #[error("output off: {0}; nothing printed")]
    Output(Stop),
    /// A channel could not be calibrated.
    #[error("channel {channel}: {problem} (measured {ATTEMPTS} times); nothing printed")]
    Channel {
        /// The channel.
        channel: usize,
        /// What was wrong the last time.
        problem: FitError,
    },
    /// Talking to the technician failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl CalError {
    /// The exit code: 130 for an interrupt (as a shell reports Ctrl-C), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CalError::Output(Stop::Interrupted) => 130,
            _ => 1,
        }
    }
}

/// What the procedure works with.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The board's name (`sim`, `linux`).
    pub board: &'static str,
    /// The DAC's name.
    pub dac: &'static str,
    /// The DAC's resolution.
    pub bits: u32,
    /// Channels to calibrate (`device.channels`).
    pub channels: usize,
    /// The DC test current, µA.
    pub test_ua: u32,
    /// The test load, Ω (readings in mV or V).
    pub load_ohms: u32,
}

/// Runs `stimd calibrate` on the terminal: the conversation on standard error, the answers
/// from standard input. Returns the lines for the configuration (for standard output).
/// An interrupt switches the output off and exits the process with 130.
pub fn main(o: Options) -> Result<String, CalError> {
    let test_ua = fit::test_current_ua(&o.config).map_err(CalError::Limits)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let _in_runtime = runtime.enter();
    let (board, setup) = open(&o, test_ua)?;
    let rig = Rig::new(board.engine.dac, board.safety, setup.channels, HOLD)?;
    let kill = rig.kill_switch();
    use tokio::signal::unix::{signal, SignalKind};
    let mut signals = [
        signal(SignalKind::interrupt())?,
        signal(SignalKind::terminate())?,
        signal(SignalKind::hangup())?,
        // Ctrl-\ and Ctrl-Z too: a suspended calibration must not leave the test current on.
        signal(SignalKind::quit())?,
        signal(SignalKind::from_raw(libc::SIGTSTP))?,
    ];
    runtime.spawn(async move {
        let [a, b, c, d, e] = &mut signals;
        tokio::select! {
            _ = a.recv() => {}
            _ = b.recv() => {}
            _ = c.recv() => {}
            _ = d.recv() => {}
            _ = e.recv() => {}
        }
        kill.trip();
        eprintln!("\nstimd calibrate: interrupted: output off, nothing printed");
        std::process::exit(130);
    });
    let transfers = procedure(
        &setup,
        &rig,
        &mut std::io::stdin().lock(),
        &mut std::io::stderr(),
    )?;
    drop(rig);
    Ok(lines(&setup, &transfers))
}

/// Opens the board uncalibrated (the sim board with its modelled errors).
fn open(o: &Options, test_ua: u32) -> Result<(Board, Setup), CalError> {
    let c = &o.config;
    let channels = c.device.channels as usize;
    let (board, name, dac, bits, load) = match o.board {
        BoardKind::Sim => {
            let file = &c.sim.hardware_file;
            let out = board::sim::SimOutputs {
                trace: o.trace.as_deref(),
                hardware_file: (!file.is_empty()).then(|| std::path::Path::new(file)),
            };
            let settings = board::sim::SimSettings {
                load_ohms: c.sim.load_ohms,
                analog: Transfers::from_lists(&c.sim.analog_offset_ua, &c.sim.analog_gain_ppm),
                calibration: Transfers::IDEAL,
            };
            let b = board::sim::build_with(settings, out)
                .map_err(|e| CalError::Board(format!("sim: {e}")))?;
            (
                b,
                "sim",
                "MCP4922",
                board::dac::mcp4922::BITS,
                c.sim.load_ohms,
            )
        }
        BoardKind::Linux => {
            let b = board::linux::build(&c.linux, Transfers::IDEAL).map_err(|e| {
                CalError::Board(format!(
                    "{e} (if stimd is running, it holds the board: sudo systemctl stop stimd)"
                ))
            })?;
            let (dac, bits) = if c.linux.dac == "dac8552" {
                ("DAC8552", board::dac::dac8552::BITS)
            } else {
                ("MCP4922", board::dac::mcp4922::BITS)
            };
            (b, "linux", dac, bits, 1_000)
        }
    };
    let setup = Setup {
        board: name,
        dac,
        bits,
        channels,
        test_ua,
        load_ohms: o.load_ohms.unwrap_or(load),
    };
    Ok((board, setup))
}

/// The lines to paste into the configuration.
pub fn lines(setup: &Setup, transfers: &[Transfer]) -> String {
    format!(
        "# measured by `stimd calibrate` on the {} board ({}), test current {} µA\n{}",
        setup.board,
        setup.dac,
        setup.test_ua,
        fit::section(transfers)
    )
}

/// Reads one line; `None` at the end of the input.
fn read_line(input: &mut dyn BufRead) -> Result<Option<String>, CalError> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim().to_string()))
}

fn intro(s: &Setup, talk: &mut dyn Write) -> std::io::Result<()> {
    let channels = (0..s.channels)
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    let lsb = Transfer::IDEAL.lsb_ua(s.bits);
    let ma = f64::from(s.test_ua) / 1000.0;
    writeln!(
        talk,
        "stimd calibrate: the {} board, DAC {} ({} bits, one code ≈ {lsb:.1} µA), \
         channel{} {channels}.\n\
         \n\
         Each channel is driven in turn with a direct current through its output stage, at \
         +{ma:.3} mA, 0 mA and −{ma:.3} mA as the DAC codes stand for them (within the \
         configured limits), and you type in what the meter reads: connect it so that it reads \
         positive at the first step. From the three readings stimd works out the channel's \
         offset and gain error and prints the [calibration] lines for the configuration file.\n\
         \n\
         You need:\n\
         \x20 - a test load across each channel's electrode terminals: {} Ω, 0.1 %, at least \
         0.25 W;\n\
         \x20 - a multimeter on DC, in series with the load (µA or mA) or across it (mV; with \
         {} Ω, 1 mV is {:.3} µA);\n\
         \x20 - stimd stopped (sudo systemctl stop stimd).\n\
         The output is on only while a reading is awaited, and off after each reading, after {} \
         minutes without one, on Ctrl-C and on any error.\n\
         \n\
         NO PERSON MAY BE CONNECTED: the test current is direct current, which burns skin.",
        s.board,
        s.dac,
        s.bits,
        if s.channels == 1 { "" } else { "s" },
        s.load_ohms,
        s.load_ohms,
        1_000.0 / f64::from(s.load_ohms.max(1)),
        HOLD.as_secs() / 60,
    )
}

/// The procedure: confirmation, then each channel's readings and fit. The output is off when
/// this returns, whatever it returns.
pub fn procedure(
    setup: &Setup,
    rig: &Rig,
    input: &mut dyn BufRead,
    talk: &mut dyn Write,
) -> Result<Vec<Transfer>, CalError> {
    intro(setup, talk)?;
    write!(
        talk,
        "Is a test load connected to every channel, and nobody? Type yes to go on: "
    )?;
    talk.flush()?;
    let answer = read_line(input)?.unwrap_or_default();
    if !answer.eq_ignore_ascii_case("yes") {
        return Err(CalError::NotConfirmed);
    }
    let result = (0..setup.channels)
        .map(|ch| channel(setup, rig, ch, input, talk))
        .collect();
    rig.off();
    result
}

/// One channel, measured up to `ATTEMPTS` times until its readings give a calibration.
fn channel(
    setup: &Setup,
    rig: &Rig,
    ch: usize,
    input: &mut dyn BufRead,
    talk: &mut dyn Write,
) -> Result<Transfer, CalError> {
    let test = setup.test_ua as i32;
    let mut attempt = 1;
    loop {
        writeln!(
            talk,
            "\nChannel {ch}: meter on channel {ch}'s test load.{}",
            if attempt > 1 {
                format!(" (Measurement {attempt} of {ATTEMPTS}.)")
            } else {
                String::new()
            }
        )?;
        let mut points = Vec::new();
        // The positive step first: a meter connected the wrong way round is refused there,
        // before the 0 mA reading, whose sign would not show it.
        for (step, ua) in [test, 0, -test].into_iter().enumerate() {
            let reading = measure(setup, rig, ch, step + 1, ua, input, talk)?;
            points.push(reading);
        }
        match fit::fit(&points, setup.bits) {
            Ok(Fit {
                transfer,
                residual_ua,
            }) => {
                writeln!(
                    talk,
                    "Channel {ch}: offset {:+} µA, gain error {:+} ppm ({:+.2} %); the 0 mA \
                     reading is {residual_ua:.1} µA off the line through the other two.",
                    transfer.offset_ua,
                    transfer.gain_ppm,
                    f64::from(transfer.gain_ppm) / 1e4
                )?;
                return Ok(transfer);
            }
            Err(problem) if attempt >= ATTEMPTS => {
                return Err(CalError::Channel {
                    channel: ch,
                    problem,
                })
            }
            Err(problem) => {
                writeln!(
                    talk,
                    "Channel {ch}: {problem}. Measuring channel {ch} again."
                )?;
                attempt += 1;
            }
        }
    }
}

/// One step: the channel driven at `ua` (ideal), the reading asked until it is usable.
/// Returns (ideal current of the code, reading), µA; the output is off again.
fn measure(
    setup: &Setup,
    rig: &Rig,
    ch: usize,
    step: usize,
    ua: i32,
    input: &mut dyn BufRead,
    talk: &mut dyn Write,
) -> Result<(f64, f64), CalError> {
    let code = Transfer::IDEAL.code(ua, setup.bits);
    let ideal = Transfer::IDEAL.microamps_exact(code, setup.bits);
    rig.drive(ch, ua).map_err(CalError::Output)?;
    writeln!(
        talk,
        "Channel {ch}, step {step} of 3: DAC code {code} ({ideal:+.1} µA ideal). Output ON."
    )?;
    let reading = loop {
        write!(
            talk,
            "  Reading (with its unit: 4.98 mA, 4980 uA, 4980 mV): "
        )?;
        talk.flush()?;
        let Some(line) = read_line(input)? else {
            rig.off();
            return Err(CalError::InputEnded);
        };
        match rig.stopped() {
            None => {}
            Some(Stop::Timeout) => {
                // Unattended for minutes: someone may have connected since the last "yes".
                write!(
                    talk,
                    "  The output went off after {} minutes without a reading. Is the test load \
                     still connected, and nobody? Type yes to switch it on again: ",
                    HOLD.as_secs() / 60
                )?;
                talk.flush()?;
                let again = read_line(input)?.unwrap_or_default();
                if !again.eq_ignore_ascii_case("yes") {
                    return Err(CalError::NotConfirmed);
                }
                rig.drive(ch, ua).map_err(CalError::Output)?;
                writeln!(talk, "  Output ON: read the meter once more.")?;
                continue;
            }
            Some(why) => return Err(CalError::Output(why)),
        }
        let checked =
            fit::parse_reading(&line, setup.load_ohms).and_then(|got| fit::plausible(got, ideal));
        match checked {
            Ok(got) => break got,
            Err(e @ (ReadingError::Empty | ReadingError::NotANumber(_))) => {
                writeln!(talk, "  {e}.")?
            }
            Err(e) => writeln!(talk, "  {e}. Type it again.")?,
        }
    };
    rig.off();
    writeln!(talk, "  Output off.")?;
    Ok((ideal, reading))
}

#[cfg(test)]
mod tests;
