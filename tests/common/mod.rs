//! Test harness for system tests: a private `dbus-daemon`, the real `stimd` binary on the sim
//! board with a temporary state directory and trace file, and a parser for the trace.
//!
//! Waits poll with generous deadlines; nothing here asserts on timing.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use stimd::api::device::DeviceProxy;
use stimd::api::history::HistoryProxy;
use stimd::api::profiles::ProfilesProxy;
use stimd::api::programs::ProgramsProxy;
use stimd::api::session::SessionProxy;
use stimd::api::sim::SimProxy;

/// A generous deadline for anything a test waits for.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "stimd-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("STIMD_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A private message bus.
pub struct Bus {
    child: Child,
    pub address: String,
    pub dir: TempDir,
}

impl Bus {
    pub fn start() -> Bus {
        Bus::start_with_policy("<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>")
    }

    /// A bus whose configuration holds `policy` (XML) after the listen address.
    pub fn start_with_policy(policy: &str) -> Bus {
        let dir = TempDir::new("bus");
        let socket = dir.0.join("bus");
        let conf = dir.0.join("bus.conf");
        let xml = format!(
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
             \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
             <busconfig><type>session</type><listen>unix:path={}</listen><auth>EXTERNAL</auth>{policy}</busconfig>\n",
            socket.display()
        );
        std::fs::write(&conf, xml).expect("write bus config");
        let child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", conf.display()))
            .args(["--nofork", "--nopidfile", "--nosyslog"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon must be installed (the README's test command installs it)");
        // The socket file appears at bind(), before listen(): wait until it accepts.
        let start = Instant::now();
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(
                start.elapsed() < DEADLINE,
                "dbus-daemon did not listen on its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Bus {
            child,
            address: format!("unix:path={}", socket.display()),
            dir,
        }
    }

    pub async fn connect(&self) -> zbus::Connection {
        zbus::connection::Builder::address(self.address.as_str())
            .expect("address")
            .build()
            .await
            .expect("connect to the test bus")
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real `stimd` binary on the sim board.
pub struct Daemon {
    child: Option<Child>,
    pub state_dir: PathBuf,
    pub trace: PathBuf,
    pub log: PathBuf,
}

impl Daemon {
    /// Starts stimd with `state_dir` and waits until it serves its API.
    pub async fn start(bus: &Bus, state_dir: &Path, trace: &Path) -> Daemon {
        Daemon::start_with(bus, state_dir, trace, &[]).await
    }

    pub async fn start_with(
        bus: &Bus,
        state_dir: &Path,
        trace: &Path,
        env: &[(&str, &str)],
    ) -> Daemon {
        Daemon::start_sim(bus, state_dir, trace, env, "").await
    }

    /// Starts stimd on the sim board with `config` (TOML) as its configuration file: for what
    /// the environment cannot set (lists such as `[calibration]`).
    pub async fn start_with_config(
        bus: &Bus,
        state_dir: &Path,
        trace: &Path,
        config: &str,
    ) -> Daemon {
        Daemon::start_sim(bus, state_dir, trace, &[], config).await
    }

    /// Starts stimd on the sim board writing `trace`, with `env` and `config` (TOML, "" for
    /// none); its log goes beside the trace (the state directory may be unwritable on purpose).
    async fn start_sim(
        bus: &Bus,
        state_dir: &Path,
        trace: &Path,
        env: &[(&str, &str)],
        config: &str,
    ) -> Daemon {
        let log_dir = trace.parent().unwrap_or(state_dir);
        let args = [
            "--board".as_ref(),
            "sim".as_ref(),
            "--trace".as_ref(),
            trace.as_os_str(),
        ];
        let mut d = Daemon::spawn(bus, state_dir, log_dir, &args, env, config).await;
        d.trace = trace.into();
        d
    }

    /// Starts stimd on the linux board (which this machine does not have), log in `log_dir`.
    pub async fn start_linux(
        bus: &Bus,
        state_dir: &Path,
        log_dir: &Path,
        env: &[(&str, &str)],
    ) -> Daemon {
        let args = ["--board".as_ref(), "linux".as_ref()];
        Daemon::spawn(bus, state_dir, log_dir, &args, env, "").await
    }

    async fn spawn(
        bus: &Bus,
        state_dir: &Path,
        log_dir: &Path,
        args: &[&std::ffi::OsStr],
        env: &[(&str, &str)],
        config_text: &str,
    ) -> Daemon {
        let log = log_dir.join(format!("stimd-{}.log", chrono_tag()));
        let _ = std::fs::create_dir_all(state_dir);
        let logfile = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stimd"));
        // A file of its own (empty: defaults), so a machine's /etc/stimd/stimd.toml never leaks in.
        let config = if config_text.is_empty() {
            log_dir.join("stimd-empty.toml")
        } else {
            log_dir.join(format!("stimd-{}.toml", chrono_tag()))
        };
        std::fs::write(&config, english_unless_told(config_text)).expect("write config");
        cmd.arg("--config")
            .arg(&config)
            .args(["--bus", &bus.address])
            .args(args)
            .arg("--state-dir")
            .arg(state_dir)
            .env("STIMD_LOG", "info")
            .stdout(Stdio::null())
            .stderr(logfile);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn stimd");
        let d = Daemon {
            child: Some(child),
            state_dir: state_dir.into(),
            trace: PathBuf::new(),
            log,
        };
        let client = Client::new(bus).await;
        let start = Instant::now();
        loop {
            if client.device.state().await.is_ok() {
                break;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "stimd did not come up; log:\n{}",
                d.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The default profile answers "no" to every contraindication question, as a person
        // would before their first session, and (set as root, an administrator) has no dose
        // limit, since tests run many sessions in a row; tests of these rules use profiles of
        // their own.
        client
            .profiles
            .record_screening("default", no_contraindications())
            .await
            .expect("RecordScreening");
        let unlimited: std::collections::HashMap<String, zbus::zvariant::OwnedValue> =
            ["sessions_per_day", "minutes_per_day", "min_gap_minutes"]
                .into_iter()
                .map(|k| (k.to_string(), zbus::zvariant::OwnedValue::from(0u32)))
                .collect();
        client
            .profiles
            .update("default", unlimited)
            .await
            .expect("no dose limit for the tests");
        d
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// SIGKILL, as a crash or power loss.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits until the daemon exits by itself (generous deadline) and returns its status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        let start = Instant::now();
        loop {
            if let Some(st) = c.try_wait().expect("wait") {
                return st;
            }
            if start.elapsed() > DEADLINE {
                let _ = c.kill();
                panic!("stimd did not exit by itself; log:\n{}", self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut c = self.child.take().expect("running");
        // SAFETY: sending a signal to our own child process.
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        loop {
            if let Some(st) = c.try_wait().expect("wait") {
                return st;
            }
            assert!(start.elapsed() < DEADLINE, "stimd did not exit on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

fn chrono_tag() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Proxies on one connection.
pub struct Client {
    pub conn: zbus::Connection,
    pub device: DeviceProxy<'static>,
    pub session: SessionProxy<'static>,
    pub history: HistoryProxy<'static>,
    pub programs: ProgramsProxy<'static>,
    pub profiles: ProfilesProxy<'static>,
    pub sim: SimProxy<'static>,
}

impl Client {
    pub async fn new(bus: &Bus) -> Client {
        use zbus::proxy::CacheProperties::No;
        let conn = bus.connect().await;
        // Uncached: every property read asks the daemon, so a test never sees a stale value.
        Client {
            device: DeviceProxy::builder(&conn)
                .cache_properties(No)
                .build()
                .await
                .expect("device proxy"),
            session: SessionProxy::builder(&conn)
                .cache_properties(No)
                .build()
                .await
                .expect("session proxy"),
            history: HistoryProxy::builder(&conn)
                .cache_properties(No)
                .build()
                .await
                .expect("history proxy"),
            programs: ProgramsProxy::builder(&conn)
                .cache_properties(No)
                .build()
                .await
                .expect("programs proxy"),
            profiles: ProfilesProxy::builder(&conn)
                .cache_properties(No)
                .build()
                .await
                .expect("profiles proxy"),
            sim: SimProxy::builder(&conn)
                .cache_properties(No)
                .build()
                .await
                .expect("sim proxy"),
            conn,
        }
    }

    /// Polls the device state until it is `want`.
    pub async fn wait_state(&self, want: &str) {
        let start = Instant::now();
        loop {
            let s = self.device.state().await.expect("State");
            if s == want {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "State stayed {s:?}, wanted {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The monotonic clock the daemon stamps its trace with.
pub fn monotonic_ns() -> u64 {
    stimd::clock::now_ns()
}

/// One trace row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Row {
    Dac {
        t_ns: u64,
        channel: usize,
        code: u16,
        microamps: i32,
    },
    Enable {
        t_ns: u64,
        on: bool,
    },
    Contact {
        t_ns: u64,
        channel: usize,
        present: bool,
    },
}

/// Reads the CSV trace (rows written so far).
pub fn read_trace(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).expect("trace file");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("t_ns,event,channel,code,microamps,millivolts"),
        "trace header"
    );
    lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            match f.get(1).copied() {
                Some("dac") => Some(Row::Dac {
                    t_ns: f[0].parse().ok()?,
                    channel: f[2].parse().ok()?,
                    code: f[3].parse().ok()?,
                    microamps: f[4].parse().ok()?,
                }),
                Some("contact") => Some(Row::Contact {
                    t_ns: f[0].parse().ok()?,
                    channel: f[2].parse().ok()?,
                    present: f[3] == "1",
                }),
                Some("enable") => Some(Row::Enable {
                    t_ns: f[0].parse().ok()?,
                    on: f[3] == "1",
                }),
                Some("dropped") => panic!("the trace dropped rows: {l}"),
                _ => None,
            }
        })
        .collect()
}

/// A biphasic pulse reconstructed from the trace.
#[derive(Debug, Clone, Copy)]
pub struct Pulse {
    pub onset_ns: u64,
    pub phase1_ua: i32,
    pub phase1_ns: u64,
    pub phase2_ua: i32,
    pub phase2_ns: u64,
    pub code1: u16,
    pub code2: u16,
}

/// The pulses of one channel: zero → +a → −a → zero.
pub fn pulses(rows: &[Row], channel: usize) -> Vec<Pulse> {
    const MID: u16 = 2048;
    let dac: Vec<(u64, u16, i32)> = rows
        .iter()
        .filter_map(|r| match *r {
            Row::Dac {
                t_ns,
                channel: c,
                code,
                microamps,
            } if c == channel => Some((t_ns, code, microamps)),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for w in dac.windows(3) {
        let [(t1, c1, a1), (t2, c2, a2), (t3, c3, _)] = [w[0], w[1], w[2]];
        if c1 != MID && c2 != MID && c3 == MID && c1 > MID && c2 < MID {
            out.push(Pulse {
                onset_ns: t1,
                phase1_ua: a1,
                phase1_ns: t2 - t1,
                phase2_ua: a2,
                phase2_ns: t3 - t2,
                code1: c1,
                code2: c2,
            });
        }
    }
    out
}

pub fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

/// Writes `text` to a file in `dir` and returns its path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).expect("create");
    f.write_all(text.as_bytes()).expect("write");
    p
}

/// Trips that a stalled virtual CPU causes: the daemon was right to trip (the DAC really held
/// a phase too long, or a thread really stopped), but the test's subject is something else.
const TIMING_TRIPS: [&str; 3] = [
    "code=\"stuck_phase\"",
    "code=\"engine_heartbeat\"",
    "code=\"supervisor_stall\"",
];

fn timing_trip_in(dir: &Path) -> Option<String> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "log") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                if let Some(line) = text
                    .lines()
                    .find(|l| TIMING_TRIPS.iter().any(|t| l.contains(t)))
                {
                    return Some(line.to_string());
                }
            }
        }
    }
    None
}

/// Runs a scenario in its own directory. If it fails *and* the daemon logged a timing trip
/// (this machine's virtual CPUs stall real-time threads for milliseconds), the scenario is run
/// again, at most three times in all, with the trip printed. Any other failure fails at once.
pub async fn retry_on_timing_trip<F, Fut>(name: &str, scenario: F)
where
    F: Fn(PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    for attempt in 1..=3 {
        let dir = TempDir::new(name);
        let result = tokio::spawn(scenario(dir.0.clone())).await;
        let Err(e) = result else {
            return;
        };
        let Ok(panic) = e.try_into_panic() else {
            panic!("{name}: scenario cancelled");
        };
        match timing_trip_in(&dir.0) {
            Some(trip) if attempt < 3 => {
                eprintln!("{name}: attempt {attempt} failed after a timing trip on a stalled CPU, retrying:\n  {trip}");
            }
            _ => std::panic::resume_unwind(panic),
        }
    }
}

/// `a{sv}` options from key/value pairs.
pub fn opts(
    pairs: Vec<(&str, zbus::zvariant::Value<'static>)>,
) -> std::collections::HashMap<String, zbus::zvariant::OwnedValue> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.try_into().expect("owned")))
        .collect()
}

/// A typed entry of an `a{sv}` dictionary.
pub fn get<T: TryFrom<zbus::zvariant::OwnedValue>>(
    row: &std::collections::HashMap<String, zbus::zvariant::OwnedValue>,
    key: &str,
) -> T {
    T::try_from(
        row.get(key)
            .unwrap_or_else(|| panic!("no {key}"))
            .try_clone()
            .expect("clone"),
    )
    .unwrap_or_else(|_| panic!("{key} has the wrong type"))
}

/// The last DAC code written to `channel` in the trace, if any.
pub fn last_dac_code(rows: &[Row], channel: usize) -> Option<u16> {
    rows.iter().rev().find_map(|r| match *r {
        Row::Dac {
            channel: c, code, ..
        } if c == channel => Some(code),
        _ => None,
    })
}

/// Runs a command; returns whether it succeeded and its stdout followed by its stderr.
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// `config` with `[device] locale = "en"` added unless it names a locale: the daemon under
/// test speaks English (its texts in the tests are English) unless a test asks for Dutch.
fn english_unless_told(config: &str) -> String {
    if config.contains("locale") {
        config.to_string()
    } else if config.contains("[device]") {
        config.replacen("[device]", "[device]\nlocale = \"en\"", 1)
    } else {
        format!("{config}\n[device]\nlocale = \"en\"\n")
    }
}

/// The D-Bus error name of a failed call, e.g. `io.stimd.Stimd1.Error.InvalidArgument`.
pub fn error_name(e: &stimd::api::StimdError) -> String {
    match e {
        stimd::api::StimdError::ZBus(zbus::Error::MethodError(name, _, _)) => {
            name.as_str().to_string()
        }
        other => format!("io.stimd.Stimd1.Error.{}", other.kind()),
    }
}

/// "No" to every contraindication question.
pub fn no_contraindications() -> std::collections::HashMap<String, bool> {
    ["implant", "epilepsy", "pregnancy", "heart_disease", "skin"]
        .into_iter()
        .map(|q| (q.to_string(), false))
        .collect()
}

/// Every pulse onset in the trace (a DAC code leaving mid-scale) happened while the output
/// stage was enabled: the engine starts pulses only while output is armed. (A pulse already
/// under way when a trip cuts the stage may finish its phases after the cut: no current flows
/// then.)
pub fn assert_onsets_only_while_enabled(rows: &[Row]) {
    let mut enabled = false;
    let mut last = [2048u16; 2];
    for r in rows {
        match *r {
            Row::Enable { on, .. } => enabled = on,
            Row::Dac {
                t_ns,
                channel,
                code,
                ..
            } if channel < 2 => {
                if last[channel] == 2048 && code != 2048 {
                    assert!(
                        enabled,
                        "channel {channel}: a pulse started at {t_ns} ns with the output stage off"
                    );
                }
                last[channel] = code;
            }
            _ => {}
        }
    }
}
