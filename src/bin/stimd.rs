//! `stimd`: the stimulator daemon. See README.md.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use stimd::api::Bus;
use stimd::config::{Config, DEFAULT_PATH};
use stimd::daemon::{self, bench, fault_bench, history_bench, BoardKind};

#[derive(Parser)]
#[command(name = "stimd", version, about = "TENS/EMS stimulator daemon")]
struct Cli {
    /// Configuration file (a missing file means built-in defaults).
    #[arg(long, default_value = DEFAULT_PATH)]
    config: PathBuf,
    /// Board backend.
    #[arg(long, value_enum, default_value_t = BoardKind::Linux)]
    board: BoardKind,
    /// `system`, `session` or a D-Bus address.
    #[arg(long, default_value = "system")]
    bus: Bus,
    /// Where the history lives (default: $STATE_DIRECTORY, else /var/lib/stimd).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Write every DAC code with its timestamp to this CSV file (sim board).
    #[arg(long)]
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
    // Under systemd the journal adds its own timestamps.
    if std::env::var_os("JOURNAL_STREAM").is_some() || std::env::var_os("INVOCATION_ID").is_some() {
        builder.without_time().init();
    } else {
        builder.init();
    }
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
    let config = match Config::load(&cli.config, std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("stimd: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.check_config {
        print!(
            "# effective configuration (defaults ← {} ← STIMD__* environment)\n{}",
            cli.config.display(),
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
