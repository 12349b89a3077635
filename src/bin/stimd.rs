//! `stimd`: the stimulator daemon. See README.md.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use stimd::api::Bus;
use stimd::config::{Config, FileRule, DEFAULT_PATH, ENV_PREFIX};
use stimd::daemon::{self, bench, fault_bench, history_bench, BoardKind};

#[derive(Parser)]
#[command(name = "stimd", version, about = "TENS/EMS stimulator daemon")]
struct Cli {
    /// Configuration file; it must be a readable regular file. Without this option
    /// /etc/stimd/stimd.toml is read, and only then may it be absent (built-in defaults).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Board backend.
    #[arg(long, value_enum, default_value_t = BoardKind::Linux, global = true)]
    board: BoardKind,
    /// `system`, `session` or a D-Bus address.
    #[arg(long, default_value = "system")]
    bus: Bus,
    /// Where the history lives (default: $STATE_DIRECTORY, else /var/lib/stimd).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Write every DAC code and output-stage change with its timestamp to this file (sim
    /// board): a Value Change Dump for waveform viewers if it ends in .vcd, else CSV.
    #[arg(long, global = true)]
    trace: Option<PathBuf>,
    /// Print the effective, validated configuration and exit.
    #[arg(long)]
    check_config: bool,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
    },
    /// Measure each channel's offset and gain error with a test load and a multimeter (never
    /// with a person connected), and print the [calibration] lines for the configuration.
    Calibrate {
        /// The test load, Ω, for readings typed in mV or V (default 1000; on the sim board
        /// its [sim] load_ohms).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        load_ohms: Option<u32>,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// Pulse timing, CPU and RSS of the engine on the sim board, beside cyclictest.
    Timing(bench::TimingArgs),
    /// Fault-to-output-off latency for each injectable fault on the sim board.
    Faults(fault_bench::FaultArgs),
    /// Commit latency, bytes written and query times of the usage history.
    History(history_bench::HistoryArgs),
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("STIMD_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    // Colour only on a terminal: logs in files and the journal stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // Under systemd the journal adds its own timestamps, and reads each line's priority from a
    // `<N>` prefix (sd-daemon(3)), so `journalctl -p warning` shows stimd's warnings and errors.
    if stderr_is_the_journal() {
        let format = tracing_subscriber::fmt::format().without_time();
        builder.event_format(JournalPriority(format)).init();
    } else if std::env::var_os("INVOCATION_ID").is_some() {
        builder.without_time().init();
    } else {
        builder.init();
    }
}

/// Whether standard error is the journal's stream: `JOURNAL_STREAM` ("device:inode", set by
/// systemd) names the very file standard error is (systemd.exec(5)); an inherited variable
/// with stderr redirected elsewhere does not count.
fn stderr_is_the_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = stream.to_str().and_then(|s| s.split_once(':')) else {
        return false;
    };
    let (Ok(dev), Ok(ino)) = (dev.parse::<u64>(), ino.parse::<u64>()) else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| m.dev() == dev && m.ino() == ino)
}

/// Prefixes each log line with its syslog priority for the journal: `<3>` error, `<4>` warning,
/// `<6>` info, `<7>` debug and trace. (A multi-line message's further lines are logged at
/// the journal's default, info; stimd's messages are one line.)
struct JournalPriority<F>(F);

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for JournalPriority<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let priority = match *event.metadata().level() {
            tracing::Level::ERROR => 3,
            tracing::Level::WARN => 4,
            tracing::Level::INFO => 6,
            _ => 7,
        };
        write!(writer, "<{priority}>")?;
        self.0.format_event(ctx, writer, event)
    }
}

/// The configuration, and whether it came from a file (else built-in defaults).
fn load_config(path: &Path, rule: FileRule) -> Result<(Config, bool), String> {
    let env = config_env()?;
    let text = Config::read_file(path, rule).map_err(|e| e.to_string())?;
    let config =
        Config::from_layers(text.as_deref().map(|t| (path, t)), env).map_err(|e| e.to_string())?;
    Ok((config, text.is_some()))
}

/// The `STIMD__…` variables; one that is not UTF-8 is refused rather than guessed at
/// (`std::env::vars` would panic on it).
fn config_env() -> Result<Vec<(String, String)>, String> {
    let mut vars = Vec::new();
    for (k, v) in std::env::vars_os() {
        if !k.as_encoded_bytes().starts_with(ENV_PREFIX.as_bytes()) {
            continue;
        }
        match (k.into_string(), v.into_string()) {
            (Ok(k), Ok(v)) => vars.push((k, v)),
            (Ok(k), Err(v)) => {
                return Err(format!(
                    "invalid configuration:\n  {k} = {v:?} is not UTF-8 text"
                ))
            }
            (Err(k), _) => {
                return Err(format!(
                    "invalid configuration:\n  {k:?} is not a UTF-8 variable name"
                ))
            }
        }
    }
    Ok(vars)
}

fn main() -> ExitCode {
    stimd::engine::rt::bound_allocator();
    let cli = Cli::parse();
    init_logging();
    if let Some(Cmd::Bench { which }) = &cli.command {
        let result = match which {
            BenchCmd::Timing(args) => bench::timing(args),
            BenchCmd::Faults(args) => fault_bench::faults(args),
            BenchCmd::History(args) => history_bench::history(args),
        };
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("stimd bench: {e}");
                ExitCode::FAILURE
            }
        };
    }
    // Named on the command line: it must be there. The default path may be absent.
    let (path, rule) = match &cli.config {
        Some(p) => (p.as_path(), FileRule::Required),
        None => (Path::new(DEFAULT_PATH), FileRule::Optional),
    };
    let (config, from_file) = match load_config(path, rule) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("stimd: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Cmd::Calibrate { load_ohms }) = cli.command {
        if cli.trace.is_some() && cli.board != BoardKind::Sim {
            eprintln!("stimd: --trace needs --board sim");
            return ExitCode::from(2);
        }
        let options = stimd::calibrate::Options {
            config,
            board: cli.board,
            trace: cli.trace,
            load_ohms,
        };
        return match stimd::calibrate::main(options) {
            Ok(lines) => {
                print!("{lines}");
                eprintln!(
                    "\nPut the [calibration] lines above into {} (replacing any [calibration] \
                     there), check it with `stimd --check-config`, restart stimd, and check the \
                     rest level at 0 mA on the test load (docs/deploy.md §8).",
                    path.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("\nstimd calibrate: {e}");
                ExitCode::from(e.exit_code())
            }
        };
    }
    if cli.check_config {
        let file = if from_file {
            path.display().to_string()
        } else {
            format!("(no file: {} does not exist)", path.display())
        };
        print!(
            "# effective configuration (built-in defaults ← {file} ← STIMD__* environment)\n{}",
            config.to_toml()
        );
        return ExitCode::SUCCESS;
    }
    if cli.trace.is_some() && cli.board != BoardKind::Sim {
        eprintln!("stimd: --trace needs --board sim");
        return ExitCode::from(2);
    }
    let state_dir = cli
        .state_dir
        .or_else(|| {
            std::env::var_os("STATE_DIRECTORY").map(|s| {
                // systemd may pass several, colon-separated; the first is ours.
                PathBuf::from(s.to_string_lossy().split(':').next().unwrap_or_default())
            })
        })
        .unwrap_or_else(|| PathBuf::from("/var/lib/stimd"));
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("stimd: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let options = daemon::Options {
        config,
        board: cli.board,
        bus: cli.bus,
        state_dir,
        trace: cli.trace,
    };
    match runtime.block_on(daemon::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
