//! Hostile input over the real bus (issue 13): a seeded, structured fuzzer that calls every
//! method of every interface with type-correct random arguments — edges, garbage, unicode,
//! control characters, oversize strings, wrong types, unknown keys, broken program files —
//! mixed with injected faults, contact, battery and button changes. After every step it checks
//! that the daemon lives, still owns its name, answers a property read (and `EmergencyStop`
//! every few steps) and stays under a memory bound; after the run it checks on the trace that
//! no pulse carried more than the device's peak limit or the running session's effective
//! limit, and that no pulse began while the output stage was off. A second test holds the
//! daemon to the issue's memory goal after 20 messages of 20 MB.
//!
//! Replay a failure with the seed it printed:
//! `STIMD_FUZZ_SEED=<seed> cargo test --test system_fuzz -- --nocapture`. The calls a seed makes
//! never depend on the daemon's answers, so a replay sends the same sequence (the daemon's
//! timing, and so its answers, may differ). `STIMD_FUZZ_STEPS` and `STIMD_FUZZ_SECS` lengthen
//! or shorten a run; `STIMD_FUZZ_SHOW=<step>,<step>` prints those steps' calls in full.

mod common;

use common::*;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zbus::zvariant::Value;

/// The seed when `STIMD_FUZZ_SEED` is not set.
const DEFAULT_SEED: u64 = 0x5713_D013_F022_0001;
/// At most this many steps…
const MAX_STEPS: u64 = 10_000;
/// …and at most this long (the loop only; start-up and the trace check come on top).
const MAX_WALL: Duration = Duration::from_secs(60);
/// The daemon's resident memory may not exceed this at any step (the issue's target is 20 MB
/// after huge messages; see `memory_stays_bounded_after_20_messages_of_20_mb`).
const RSS_BOUND_KB: u64 = 64 * 1024;
/// `EmergencyStop` is called (and must answer) every this many steps, and at the end.
const ESTOP_EVERY: u64 = 200;
/// Every this many blocks of `ESTOP_EVERY` steps, one is calm: a sane session is started at
/// a high intensity and left to ramp (reads, intensity changes, keepalives only), one step
/// every `CALM_STEP_PAUSE`, so pulses reach the limits.
const CALM_EVERY_BLOCKS: u64 = 4;
const CALM_STEP_PAUSE: Duration = Duration::from_millis(20);
/// The steps that put things back so that a session can start (see `Gen::restore`).
const RESTORE_STEPS: u64 = 7;
/// The daemon ramps at the ceiling's rise rate (5 mA/s) instead of the default 2 mA/s, so a
/// calm session gets further in the time the run has.
const RISE_RATE_UA_PER_S: &str = "5000";
/// Deadline for the per-step checks (name owner, property read, `EmergencyStop`).
const CHECK_DEADLINE: Duration = Duration::from_secs(5);
/// Deadline for any fuzzed call: generous, a hang is what it catches.
const CALL_DEADLINE: Duration = Duration::from_secs(20);
/// Connections the fuzzed calls rotate over (the daemon limits each sender to 50 calls a
/// second; a `RateLimited` answer is fine, but most calls should get through).
const CONNECTIONS: usize = 6;
/// Whether `InjectFault("over_limit")` is left out of the run. Only ever `true` temporarily,
/// while the known defect (one 100 mA pulse leaves before the trip, and the engine pulses
/// while disarmed) is fixed elsewhere: it must go back to `false`.
const EXCLUDE_OVER_LIMIT: bool = false;
/// The device's peak limit with the default configuration (µA).
const DEVICE_PEAK_UA: i32 = 60_000;
/// The sim board's model thread stamps the output stage switching on when it notices it (it
/// polls every millisecond), so a pulse that begins up to this long before an `enable 1` row
/// may have been inside the enabled window. A pulse this close to an arming is a ramp's
/// first, tiny step; the pulses this check is for (an engine pulsing while disarmed) are not.
const ENABLE_STAMP_SLACK_NS: u64 = 50_000_000;
/// Mid-scale of the sim board's DAC: 0 mA.
const MID: u16 = 2048;

const DEST: &str = "io.stimd.Stimd1";
const PATH: &str = "/io/stimd/Stimd1";
const NAME: &str = "io.stimd.Stimd1";
const DEVICE: &str = "io.stimd.Stimd1.Device";
const SESSION: &str = "io.stimd.Stimd1.Session";
const PROGRAMS: &str = "io.stimd.Stimd1.Programs";
const PROFILES: &str = "io.stimd.Stimd1.Profiles";
const HISTORY: &str = "io.stimd.Stimd1.History";
const SIM: &str = "io.stimd.Stimd1.Sim";
const PROPS: &str = "org.freedesktop.DBus.Properties";

const PRESETS: [&str; 10] = [
    "low-back",
    "neck",
    "shoulder",
    "knee",
    "massage",
    "tapping",
    "nerve-pain",
    "ems-recovery",
    "ems-strength",
    "combi-low-back",
];
/// Ids of the custom programs the fuzzer writes (valid ones get these ids).
const CUSTOM_IDS: usize = 12;
const PROFILE_NAMES: [&str; 6] = ["default", "anna", "fz-p0", "fz-p1", "fz-p2", "fz-p3"];
const PLACEMENTS: [&str; 22] = [
    "neck",
    "shoulder",
    "upper back",
    "low back",
    "arm",
    "elbow",
    "wrist",
    "hand",
    "hip",
    "buttock",
    "thigh",
    "knee",
    "calf",
    "ankle",
    "foot",
    "abdomen",
    "chest",
    "heart",
    "front of neck",
    "head",
    "eyes",
    "face",
];
const FAULT_KINDS: [&str; 7] = [
    "overcurrent",
    "spi_error",
    "gpio_error",
    "engine_stall",
    "supervisor_stall",
    "phase_stall",
    "over_limit",
];
const QUESTIONS: [&str; 5] = ["implant", "epilepsy", "pregnancy", "heart_disease", "skin"];
const START_KEYS: [&str; 6] = [
    "channels",
    "duration",
    "intensity",
    "profile",
    "placement",
    "keepalive",
];
const PROFILE_KEYS: [&str; 11] = [
    "language",
    "max_intensity_ua",
    "electrode_area_cm2",
    "preferred_programs",
    "sessions_per_day",
    "minutes_per_day",
    "min_gap_minutes",
    "dose_counts_after_minutes",
    "habituation",
    "habituation_every_minutes",
    "habituation_margin_ua",
];
const INTERFACES: [&str; 9] = [
    DEVICE,
    SESSION,
    PROGRAMS,
    PROFILES,
    HISTORY,
    SIM,
    PROPS,
    "org.freedesktop.DBus.Peer",
    "org.freedesktop.DBus.Introspectable",
];
const PROPERTIES: [&str; 20] = [
    "State",
    "Fault",
    "Board",
    "Version",
    "Channels",
    "Limits",
    "Battery",
    "Pads",
    "Id",
    "Program",
    "Profile",
    "Elapsed",
    "Remaining",
    "Intensity",
    "Target",
    "Contact",
    "Segment",
    "Status",
    "Nope",
    "",
];
/// Strings that have broken parsers, paths and queries elsewhere.
const NASTY: [&str; 20] = [
    "'; DROP TABLE sessions; --",
    "../fz-escape",
    "../../fz-escape",
    "..",
    ".",
    "/",
    "a/b",
    "%s%s%s%n",
    "{}{0}{:?}",
    "\"quoted\"",
    "\\",
    "${HOME}",
    "$(reboot)",
    "default\n",
    " default",
    "DEFAULT",
    "low-back ",
    "low_back",
    "NaN",
    "-1",
];
const UNICODE: [&str; 8] = [
    "Ünïcødé",
    "日本語のプログラム",
    "🦀🔌⚡",
    "\u{202e}kcab-wol",
    "e\u{301}\u{301}\u{301}",
    "\u{feff}default",
    "ＤＥＦＡＵＬＴ",
    "Ω≈ç√∫˜µ≤≥÷",
];
const CONTROL: [&str; 6] = [
    "a\tb\nc\r",
    "\u{1b}[31mred\u{1b}[0m",
    "\u{7f}\u{8}\u{7}",
    "line\u{2028}sep\u{2029}",
    "\u{85}next",
    "\u{1}\u{2}\u{3}\u{1f}",
];

// ---------------------------------------------------------------------------------------------
// A small deterministic generator.

/// splitmix64: tiny, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A method call body of one of the signatures the API uses (or, sent to the wrong method,
/// one it does not expect).
#[derive(Debug, Clone)]
enum Body {
    Unit,
    U(u32),
    I(i32),
    S(String),
    Uu(u32, u32),
    Ui(u32, i32),
    Ub(u32, bool),
    Sb(String, bool),
    Su(String, u32),
    Ss(String, String),
    Sdict(String, HashMap<String, Value<'static>>),
    Sanswers(String, HashMap<String, bool>),
    Xxu(i64, i64, u32),
    Xu(i64, u32),
    Xx(i64, i64),
    Tyy(u64, u8, u8),
    Ssv(String, String, Value<'static>),
    Dict(HashMap<String, Value<'static>>),
    D(f64),
    Au(Vec<u32>),
    V(Value<'static>),
}

/// What the fuzzer needs to remember about a call besides sending it.
#[derive(Debug, Clone)]
enum Note {
    None,
    /// A `Session.Start` of a program the oracle can look up, for `profile`.
    Start {
        program: String,
        profile: String,
    },
    /// A call that may change a profile's limits.
    ProfileChange(String),
}

#[derive(Debug, Clone)]
struct Action {
    path: String,
    iface: String,
    member: String,
    body: Body,
    note: Note,
}

impl Action {
    fn new(iface: &str, member: &str, body: Body) -> Action {
        Action {
            path: PATH.into(),
            iface: iface.into(),
            member: member.into(),
            body,
            note: Note::None,
        }
    }

    fn describe(&self) -> String {
        let mut s = format!("{}.{} {:?}", self.iface, self.member, self.body);
        if self.path != PATH {
            s = format!("[{}] {s}", self.path);
        }
        if s.len() > 240 {
            let cut = (0..=240)
                .rev()
                .find(|&i| s.is_char_boundary(i))
                .unwrap_or(0);
            s = format!("{}… ({} bytes)", &s[..cut], s.len());
        }
        s
    }

    /// Whether the bus itself refuses this message (a string with NUL is not valid D-Bus, and
    /// the bus drops the connection that sent it): such calls go on a connection of their own.
    fn invalid_on_the_wire(&self) -> bool {
        format!("{:?}", self.body).contains("\\0")
    }
}

struct Gen {
    rng: Rng,
}

impl Gen {
    fn u32_edge(&mut self) -> u32 {
        const EDGES: [u32; 30] = [
            0,
            1,
            2,
            3,
            10,
            16,
            17,
            255,
            256,
            1_000,
            3_600,
            3_601,
            7_200,
            7_201,
            49_999,
            50_000,
            59_999,
            60_000,
            60_001,
            99_999,
            100_000,
            100_001,
            600_000,
            600_001,
            65_535,
            65_536,
            i32::MAX as u32,
            i32::MAX as u32 + 1,
            u32::MAX - 1,
            u32::MAX,
        ];
        match self.rng.below(10) {
            0..=4 => self.rng.pick(&EDGES),
            5..=6 => self.rng.below(200_001) as u32,
            7 => self.rng.below(100) as u32,
            _ => self.rng.next() as u32,
        }
    }

    fn i32_edge(&mut self) -> i32 {
        const EDGES: [i32; 16] = [
            0,
            1,
            -1,
            2,
            -2,
            5,
            15,
            100,
            101,
            -100,
            200,
            -200,
            i32::MAX,
            i32::MIN,
            i32::MAX - 1,
            i32::MIN + 1,
        ];
        match self.rng.below(4) {
            0..=1 => self.rng.pick(&EDGES),
            2 => self.rng.range(0, 400) as i32 - 200,
            _ => self.rng.next() as i32,
        }
    }

    fn i64_edge(&mut self) -> i64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        match self.rng.below(10) {
            0..=2 => 0,
            3 => self
                .rng
                .pick(&[i64::MIN, i64::MAX, -1, 1, i64::MIN + 1, i64::MAX - 1]),
            4..=5 => now - self.rng.below(200_000) as i64,
            6 => now + self.rng.below(200_000) as i64,
            7 => self
                .rng
                .pick(&[253_402_300_800, -62_135_596_800, 4_294_967_296]),
            _ => self.rng.next() as i64,
        }
    }

    fn u64_edge(&mut self) -> u64 {
        match self.rng.below(6) {
            0..=2 => self.rng.below(40),
            3 => self
                .rng
                .pick(&[0, u64::MAX, u64::MAX - 1, i64::MAX as u64, 1 << 63]),
            _ => self.rng.next(),
        }
    }

    fn u8_edge(&mut self) -> u8 {
        match self.rng.below(3) {
            0 => self.rng.below(11) as u8,
            1 => self.rng.pick(&[0, 10, 11, 127, 128, 255]),
            _ => self.rng.next() as u8,
        }
    }

    fn f64_edge(&mut self) -> f64 {
        const EDGES: [f64; 14] = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            4.9,
            5.0,
            25.0,
            1e308,
            -1e308,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        if self.rng.chance(70) {
            self.rng.pick(&EDGES)
        } else {
            f64::from_bits(self.rng.next())
        }
    }

    fn ascii(&mut self, len: usize) -> String {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-_ .ABCXYZ";
        (0..len)
            .map(|_| CHARS[self.rng.below(CHARS.len() as u64) as usize] as char)
            .collect()
    }

    fn long_string(&mut self, min: usize, max: usize) -> String {
        let len = self.rng.range(min as u64, max as u64) as usize;
        let unit = match self.rng.below(4) {
            0 => "a".to_string(),
            1 => self.rng.pick(&UNICODE).to_string(),
            2 => "[[segments]]\n".to_string(),
            _ => self.ascii(7),
        };
        let mut s = String::with_capacity(len + unit.len());
        while s.len() < len {
            s.push_str(&unit);
        }
        s
    }

    /// A string argument: one of `valid` a good part of the time, else something hostile.
    fn string(&mut self, valid: &[&str]) -> String {
        let r = self.rng.below(1000);
        if r < 400 && !valid.is_empty() {
            return self.rng.pick(valid).to_string();
        }
        match r {
            0..=449 => String::new(),
            450..=549 => {
                let n = self.rng.range(1, 24) as usize;
                self.ascii(n)
            }
            550..=629 => self.rng.pick(&UNICODE).to_string(),
            630..=699 => self.rng.pick(&CONTROL).to_string(),
            700..=709 => "a\u{0}b".to_string(),
            710..=799 => self.long_string(256, 4096),
            800..=879 => self.rng.pick(&NASTY).to_string(),
            880..=882 => self.long_string(100 * 1024, 100 * 1024),
            _ => {
                let base = if valid.is_empty() {
                    "default"
                } else {
                    self.rng.pick(valid)
                };
                match self.rng.below(5) {
                    0 => base.to_uppercase(),
                    1 => format!("{base}{base}"),
                    2 => format!("{base}\u{0301}"),
                    3 => base.chars().rev().collect(),
                    _ => format!(" {base}"),
                }
            }
        }
    }

    fn u32_list(&mut self) -> Vec<u32> {
        let len = match self.rng.below(12) {
            0 => 0,
            1..=4 => 1,
            5..=7 => 2,
            8 => 3,
            9 => self.rng.pick(&[16, 17, 64]),
            10 => self.rng.below(200) as usize,
            _ => self.rng.pick(&[1_000, 5_000]),
        };
        (0..len).map(|_| self.u32_edge()).collect()
    }

    /// Any value, of any type.
    fn value(&mut self, depth: u32) -> Value<'static> {
        match self.rng.below(if depth > 2 { 12 } else { 15 }) {
            0 => Value::from(self.u32_edge()),
            1 => Value::from(self.i32_edge()),
            2 => Value::from(self.string(&["default", "low back", "json"])),
            3 => Value::from(self.rng.chance(50)),
            4 => Value::from(self.f64_edge()),
            5 => Value::from(self.u32_list()),
            6 => {
                let n = self.rng.below(20);
                Value::from(
                    (0..n)
                        .map(|_| self.string(&PRESETS))
                        .collect::<Vec<String>>(),
                )
            }
            7 => Value::from(self.u8_edge()),
            8 => Value::from(self.i64_edge()),
            9 => Value::from(self.u64_edge()),
            10 => Value::from(self.rng.next() as i16),
            11 => Value::from(vec![self.i32_edge(), self.i32_edge()]),
            12 => Value::Value(Box::new(self.value(depth + 1))),
            13 => Value::from(self.dict(&START_KEYS, depth + 1)),
            _ => {
                // Variants nested deeper than D-Bus allows (64): the bus should refuse them.
                let levels = self.rng.range(2, 70);
                let mut v = Value::from(1u32);
                for _ in 0..levels {
                    v = Value::Value(Box::new(v));
                }
                v
            }
        }
    }

    /// An `a{sv}` dictionary: known keys with values of the right type (from `right`) or any
    /// type, unknown keys, and sometimes too many entries.
    fn dict_with(
        &mut self,
        keys: &[&str],
        mut right: impl FnMut(&mut Gen, &str) -> Value<'static>,
    ) -> HashMap<String, Value<'static>> {
        let n = match self.rng.below(10) {
            0 => 0,
            1..=7 => self.rng.range(1, 4),
            8 => self.rng.range(5, 17),
            _ => self.rng.range(17, 300),
        };
        let mut d = HashMap::new();
        for _ in 0..n {
            let key = if self.rng.chance(75) {
                self.rng.pick(keys).to_string()
            } else {
                self.string(&["", "Intensity", "channels ", "x"])
            };
            let v = if self.rng.chance(65) {
                right(self, &key)
            } else {
                self.value(1)
            };
            d.insert(key, v);
        }
        d
    }

    fn dict(&mut self, keys: &[&str], depth: u32) -> HashMap<String, Value<'static>> {
        if depth > 2 {
            return HashMap::new();
        }
        self.dict_with(keys, |g, _| g.value(depth + 1))
    }

    fn start_value(&mut self, key: &str) -> Value<'static> {
        match key {
            "channels" => {
                let n = self.rng.below(4);
                let list: Vec<u32> = if self.rng.chance(70) {
                    (0..n).map(|_| self.rng.below(3) as u32).collect()
                } else {
                    self.u32_list()
                };
                Value::from(list)
            }
            "duration" => Value::from(if self.rng.chance(60) {
                self.rng.range(1, 120) as u32
            } else {
                self.u32_edge()
            }),
            "intensity" => Value::from(if self.rng.chance(60) {
                let n = self.rng.range(1, 2);
                (0..n).map(|_| self.intensity()).collect()
            } else {
                self.u32_list()
            }),
            "profile" => Value::from(self.string(&PROFILE_NAMES)),
            "placement" => Value::from(self.string(&PLACEMENTS)),
            "keepalive" => Value::from(if self.rng.chance(60) {
                self.rng.range(0, 5) as u32
            } else {
                self.u32_edge()
            }),
            _ => self.value(1),
        }
    }

    fn intensity(&mut self) -> u32 {
        match self.rng.below(10) {
            0..=3 => self.rng.range(1_000, 30_000) as u32,
            4..=6 => self
                .rng
                .pick(&[59_999, 60_000, 60_001, 70_000, 100_000, 100_001]),
            7 => self.rng.pick(&[0, 1, 499, 500, 501]),
            _ => self.u32_edge(),
        }
    }

    fn profile_value(&mut self, key: &str) -> Value<'static> {
        match key {
            "language" => Value::from(self.string(&["nl", "en"])),
            "max_intensity_ua" => Value::from(if self.rng.chance(70) {
                let n = self.rng.range(1, 2);
                (0..n)
                    .map(|_| {
                        self.rng
                            .pick(&[0, 1, 500, 1_000, 2_000, 3_000, 5_000, 20_000, 60_000])
                    })
                    .collect()
            } else {
                self.u32_list()
            }),
            "electrode_area_cm2" => Value::from(if self.rng.chance(50) {
                self.rng.pick(&[1.0, 4.0, 9.0, 16.0, 25.0, 100.0])
            } else {
                self.f64_edge()
            }),
            "preferred_programs" => Value::from(
                (0..self.rng.below(5))
                    .map(|_| self.string(&PRESETS))
                    .collect::<Vec<String>>(),
            ),
            "habituation" => Value::from(self.rng.chance(50)),
            _ => Value::from(if self.rng.chance(50) {
                self.rng.below(30) as u32
            } else {
                self.u32_edge()
            }),
        }
    }

    fn program_id(&mut self) -> String {
        if self.rng.chance(50) {
            self.rng.pick(&PRESETS).to_string()
        } else if self.rng.chance(80) {
            format!("fz-{}", self.rng.below(CUSTOM_IDS as u64))
        } else {
            self.string(&["low-back", "fz-0"])
        }
    }

    /// A program file: a valid-looking one with parameters in or out of range, often broken
    /// on purpose afterwards.
    fn program_toml(&mut self) -> String {
        let id = if self.rng.chance(85) {
            format!("fz-{}", self.rng.below(CUSTOM_IDS as u64))
        } else {
            self.string(&PRESETS)
        };
        let kind = self.string(&["tens", "ems", "combi"]);
        let mut t = format!("id = {}\nkind = {}\n", toml_str(&id), toml_str(&kind));
        if self.rng.chance(60) {
            let n = self.rng.pick(&[0, 1, 2, 16, 17]);
            let list: Vec<String> = (0..n)
                .map(|_| toml_str(&self.string(&PLACEMENTS)))
                .collect();
            t += &format!("placements = [{}]\n", list.join(", "));
        }
        let names = [self.string(&["Fuzz"]), self.string(&["Fuzz"])];
        t += &format!(
            "\n[name]\nnl = {}\nen = {}\n",
            toml_str(&names[0]),
            toml_str(&names[1])
        );
        let sums = [
            self.string(&["Voor de test."]),
            self.string(&["For the test."]),
        ];
        t += &format!(
            "\n[summary]\nnl = {}\nen = {}\n",
            toml_str(&sums[0]),
            toml_str(&sums[1])
        );
        let segments = match self.rng.below(10) {
            0 => 0,
            1..=6 => 1,
            7..=8 => self.rng.range(2, 3),
            _ => self.rng.pick(&[16, 17]),
        };
        for i in 0..segments {
            t += &self.segment(i + 1 < segments);
        }
        if self.rng.chance(25) {
            t = self.break_toml(t);
        }
        t
    }

    fn segment(&mut self, needs_length: bool) -> String {
        let modes = ["conventional", "acupuncture", "burst", "modulated", "ems"];
        let mode = if self.rng.chance(90) {
            self.rng.pick(&modes).to_string()
        } else {
            self.string(&modes)
        };
        let mut s = format!("\n[[segments]]\nmode = {}\n", toml_str(&mode));
        // (key, allowed range): in range most of the time, else just outside or anything.
        let params: &[(&str, u64, u64)] = match mode.as_str() {
            "conventional" => &[("rate_hz", 80, 150), ("phase_us", 50, 250)],
            "acupuncture" => &[("rate_hz", 1, 5), ("phase_us", 200, 250)],
            "burst" => &[
                ("rate_hz", 1, 4),
                ("pulses", 7, 10),
                ("inner_rate_hz", 80, 120),
                ("phase_us", 50, 250),
            ],
            "modulated" => &[
                ("rate_hz", 2, 150),
                ("phase_us", 50, 300),
                ("period_s", 1, 30),
            ],
            "ems" => &[
                ("rate_hz", 20, 50),
                ("phase_us", 100, 400),
                ("ramp_up_s", 0, 5),
                ("on_s", 1, 30),
                ("ramp_down_s", 0, 5),
                ("off_s", 0, 60),
            ],
            _ => &[("rate_hz", 1, 200), ("phase_us", 20, 1000)],
        };
        for &(key, lo, hi) in params {
            if self.rng.chance(4) {
                continue; // a missing key
            }
            s += &format!("{key} = {}\n", self.toml_number(lo, hi));
        }
        if mode == "modulated" {
            match self.rng.below(4) {
                0 => {
                    s += &format!(
                        "sweep = \"rate\"\nsweep_to_hz = {}\n",
                        self.toml_number(2, 150)
                    )
                }
                1 => {
                    s += &format!(
                        "sweep = \"width\"\nsweep_to_us = {}\n",
                        self.toml_number(50, 300)
                    )
                }
                2 => {
                    s += &format!(
                        "sweep = \"amplitude\"\namplitude_min_percent = {}\n",
                        self.toml_number(20, 90)
                    )
                }
                _ => s += &format!("sweep = {}\n", toml_str(&self.string(&["rate"]))),
            }
        }
        if needs_length || self.rng.chance(30) {
            if self.rng.chance(50) {
                s += &format!("minutes = {}\n", self.toml_number(1, 120));
            } else {
                s += &format!("seconds = {}\n", self.toml_number(1, 7200));
            }
        }
        if self.rng.chance(20) {
            s += &format!("intensity_percent = {}\n", self.toml_number(1, 100));
        }
        if self.rng.chance(15) {
            s += &format!("interphase_us = {}\n", self.toml_number(0, 100));
        }
        s
    }

    fn toml_number(&mut self, lo: u64, hi: u64) -> String {
        match self.rng.below(24) {
            0..=17 => self.rng.range(lo, hi).to_string(),
            18 => (hi + 1).to_string(),
            19 => lo.saturating_sub(1).to_string(),
            20 => format!("{}.5", self.rng.range(lo, hi)),
            21 => self
                .rng
                .pick(&[
                    "-1",
                    "4294967296",
                    "1e999",
                    "nan",
                    "inf",
                    "-0",
                    "0x10",
                    "1_000",
                ])
                .to_string(),
            22 => toml_str(&self.rng.range(lo, hi).to_string()),
            _ => self
                .rng
                .pick(&["[1, 2]", "{ a = 1 }", "true", "1979-05-27T07:32:00Z"])
                .to_string(),
        }
    }

    /// Breaks a program file the ways a careless or hostile client would.
    fn break_toml(&mut self, t: String) -> String {
        let lines: Vec<&str> = t.lines().collect();
        match self.rng.below(9) {
            0 if !lines.is_empty() => {
                let i = self.rng.below(lines.len() as u64) as usize;
                let mut l = lines.clone();
                l.remove(i);
                l.join("\n")
            }
            1 if !lines.is_empty() => {
                let i = self.rng.below(lines.len() as u64) as usize;
                let mut l = lines.clone();
                l.insert(i, lines[i]);
                l.join("\n")
            }
            2 => format!("{t}unknown_key = 1\n"),
            3 => {
                let cut = self.rng.below(t.len() as u64 + 1) as usize;
                let cut = (0..=cut)
                    .rev()
                    .find(|&i| t.is_char_boundary(i))
                    .unwrap_or(0);
                t[..cut].to_string()
            }
            4 => {
                // Nesting as deep as the size limit lets it be.
                let depth = self.rng.pick(&[64, 1_000, 8_000]);
                format!("{t}deep = {}{}\n", "[".repeat(depth), "]".repeat(depth))
            }
            5 => {
                let depth = self.rng.pick(&[64, 1_000, 5_000]);
                format!(
                    "{t}deep = {}1{}\n",
                    "{ a = ".repeat(depth),
                    " }".repeat(depth)
                )
            }
            6 => format!("{t}{}", self.long_string(16 * 1024 - 10, 16 * 1024 + 10)),
            7 => t.replace('=', self.rng.pick(&["==", ":", ""])),
            _ => format!(
                "{}\n{t}",
                self.string(&["[name]", "[[segments]]", "id = \"x\""])
            ),
        }
    }

    fn fault_kind(&mut self) -> String {
        loop {
            let k = self.string(&FAULT_KINDS);
            if !(EXCLUDE_OVER_LIMIT && k == "over_limit") {
                return k;
            }
        }
    }

    /// A fault's duration: mostly valid and short (a valid 10-minute stall or overcurrent
    /// would only leave the rest of the run latched), sometimes out of range.
    fn fault_ms(&mut self, kind: &str) -> u32 {
        if self.rng.chance(8) {
            return self.rng.pick(&[0, 600_001, 1_000_000, u32::MAX]);
        }
        if !FAULT_KINDS.contains(&kind) {
            return self.u32_edge();
        }
        let max = match kind {
            "engine_stall" | "phase_stall" => 200,
            "supervisor_stall" => 100,
            _ => 3_000,
        };
        self.rng.range(1, max) as u32
    }

    /// A sane `Session.Start`: a real program, the options right, a high target.
    fn sane_start(&mut self, high: bool) -> Action {
        let program = if self.rng.chance(80) {
            self.rng.pick(&PRESETS).to_string()
        } else {
            format!("fz-{}", self.rng.below(CUSTOM_IDS as u64))
        };
        let mut o: HashMap<String, Value<'static>> = HashMap::new();
        let target = if high {
            self.rng.pick(&[60_000, 80_000, 100_000, u32::MAX])
        } else {
            self.intensity()
        };
        match self.rng.below(4) {
            0 => {
                let ch = self.rng.below(2) as u32;
                o.insert("channels".into(), Value::from(vec![ch]));
                o.insert("intensity".into(), Value::from(vec![target]));
            }
            _ => {
                o.insert("intensity".into(), Value::from(vec![target, target]));
            }
        }
        if self.rng.chance(50) {
            let d = if high {
                600
            } else {
                self.rng.range(1, 90) as u32
            };
            o.insert("duration".into(), Value::from(d));
        }
        if self.rng.chance(30) {
            let p = self.rng.pick(&PLACEMENTS[..16]);
            o.insert("placement".into(), Value::from(p.to_string()));
        }
        if !high && self.rng.chance(15) {
            o.insert("keepalive".into(), Value::from(self.rng.range(1, 3) as u32));
        }
        let profile = if self.rng.chance(85) {
            "default".to_string()
        } else {
            self.rng.pick(&PROFILE_NAMES).to_string()
        };
        if profile != "default" || self.rng.chance(20) {
            o.insert("profile".into(), Value::from(profile.clone()));
        }
        let mut a = Action::new(SESSION, "Start", Body::Sdict(program.clone(), o));
        a.note = Note::Start { program, profile };
        a
    }

    /// Puts things back so that sessions can run again: the `which`th of the steps that do.
    fn restore(&mut self, which: u64) -> Action {
        let default_update = |d: HashMap<String, Value<'static>>| {
            let mut a = Action::new(PROFILES, "Update", Body::Sdict("default".into(), d));
            a.note = Note::ProfileChange("default".into());
            a
        };
        match which % RESTORE_STEPS {
            0 => Action::new(DEVICE, "AcknowledgeFault", Body::Unit),
            1 => Action::new(SIM, "SetBattery", Body::I(100)),
            2 => Action::new(SIM, "SetContact", Body::Ub(0, true)),
            3 => Action::new(SIM, "SetContact", Body::Ub(1, true)),
            4 => Action::new(
                PROFILES,
                "RecordScreening",
                Body::Sanswers(
                    "default".into(),
                    QUESTIONS.iter().map(|q| (q.to_string(), false)).collect(),
                ),
            ),
            5 => default_update(
                ["sessions_per_day", "minutes_per_day", "min_gap_minutes"]
                    .into_iter()
                    .map(|k| (k.to_string(), Value::from(0u32)))
                    .collect(),
            ),
            _ => {
                // The person's own maximum: none, or one low enough for a session to reach
                // (so that the trace shows pulses at a profile's limit).
                let max = if self.rng.chance(50) {
                    vec![0u32, 0]
                } else {
                    let mut low = || self.rng.pick(&[1_000u32, 2_500, 4_000, 7_000, 12_000]);
                    vec![low(), low()]
                };
                let mut d = HashMap::new();
                d.insert("max_intensity_ua".to_string(), Value::from(max));
                d.insert("electrode_area_cm2".to_string(), Value::from(0.0f64));
                default_update(d)
            }
        }
    }

    fn restore_any(&mut self) -> Action {
        let which = self.rng.below(RESTORE_STEPS + 1);
        // The first, acknowledging a fault, twice as often.
        self.restore(which.min(RESTORE_STEPS) % RESTORE_STEPS)
    }

    /// Any body, for calling a method with the wrong signature.
    fn any_body(&mut self) -> Body {
        match self.rng.below(12) {
            0 => Body::Unit,
            1 => Body::U(self.u32_edge()),
            2 => Body::I(self.i32_edge()),
            3 => Body::S(self.string(&["low-back"])),
            4 => Body::Ss(self.string(&[]), self.string(&[])),
            5 => Body::Dict(self.dict(&START_KEYS, 0)),
            6 => Body::D(self.f64_edge()),
            7 => Body::Au(self.u32_list()),
            8 => Body::V(self.value(0)),
            9 => Body::Tyy(self.u64_edge(), self.u8_edge(), self.u8_edge()),
            10 => Body::Xx(self.i64_edge(), self.i64_edge()),
            _ => Body::Sdict(self.string(&[]), self.dict(&START_KEYS, 0)),
        }
    }

    /// A step during a calm block: reads, intensity up, keepalives.
    fn calm(&mut self) -> Action {
        match self.rng.below(20) {
            0..=2 => Action::new(
                SESSION,
                "SetIntensity",
                Body::Uu(self.rng.below(2) as u32, self.intensity()),
            ),
            3..=4 => Action::new(
                SESSION,
                "StepIntensity",
                Body::Ui(self.rng.below(2) as u32, self.rng.range(1, 200) as i32),
            ),
            5..=7 => Action::new(SESSION, "Keepalive", Body::Unit),
            8..=10 => Action::new(
                PROPS,
                "Get",
                Body::Ss(
                    self.rng.pick(&[DEVICE, SESSION]).into(),
                    self.rng.pick(&PROPERTIES[..17]).into(),
                ),
            ),
            11 => Action::new(PROGRAMS, "List", Body::Unit),
            12 => Action::new(PROGRAMS, "Get", Body::S(self.program_id())),
            13 => Action::new(PROFILES, "Get", Body::S(self.string(&PROFILE_NAMES))),
            14 => Action::new(
                HISTORY,
                "Sessions",
                Body::Xxu(0, 0, self.rng.below(20) as u32),
            ),
            15 => Action::new(HISTORY, "Faults", Body::Xu(0, self.rng.below(20) as u32)),
            16 => Action::new(HISTORY, "Summary", Body::Xx(0, 0)),
            17 => Action::new(PROPS, "GetAll", Body::S(SESSION.into())),
            18 => self.restore_any(),
            _ => self.sane_start(true),
        }
    }

    /// One hostile step.
    fn action(&mut self) -> Action {
        let r = self.rng.below(100);
        let mut a = match r {
            // Session
            0..=5 => self.sane_start(false),
            6..=7 => {
                let program = self.program_id();
                let d = self.dict_with(&START_KEYS, Gen::start_value);
                Action::new(SESSION, "Start", Body::Sdict(program, d))
            }
            8..=12 => Action::new(
                SESSION,
                "SetIntensity",
                Body::Uu(
                    if self.rng.chance(70) {
                        self.rng.below(3) as u32
                    } else {
                        self.u32_edge()
                    },
                    if self.rng.chance(50) {
                        self.intensity()
                    } else {
                        self.u32_edge()
                    },
                ),
            ),
            13..=15 => Action::new(
                SESSION,
                "StepIntensity",
                Body::Ui(
                    if self.rng.chance(70) {
                        self.rng.below(3) as u32
                    } else {
                        self.u32_edge()
                    },
                    self.i32_edge(),
                ),
            ),
            16 => Action::new(SESSION, "Stop", Body::Unit),
            17..=18 => Action::new(SESSION, "Pause", Body::Unit),
            19..=20 => Action::new(SESSION, "Resume", Body::Unit),
            21..=22 => Action::new(SESSION, "Keepalive", Body::Unit),
            // Device
            23..=25 => Action::new(DEVICE, "AcknowledgeFault", Body::Unit),
            26 => Action::new(DEVICE, "PadsReplaced", Body::U(self.u32_edge())),
            27 => Action::new(DEVICE, "EmergencyStop", Body::Unit),
            // Programs
            28 => Action::new(PROGRAMS, "List", Body::Unit),
            29..=31 => Action::new(PROGRAMS, "Get", Body::S(self.program_id())),
            32..=37 => Action::new(PROGRAMS, "Add", Body::S(self.program_toml())),
            38..=39 => Action::new(PROGRAMS, "Remove", Body::S(self.program_id())),
            // Profiles
            40 => Action::new(PROFILES, "List", Body::Unit),
            41..=42 => Action::new(PROFILES, "Get", Body::S(self.string(&PROFILE_NAMES))),
            43..=47 => {
                let member = if r <= 44 { "Create" } else { "Update" };
                let name = self.string(&PROFILE_NAMES);
                let d = self.dict_with(&PROFILE_KEYS, Gen::profile_value);
                let mut a = Action::new(PROFILES, member, Body::Sdict(name.clone(), d));
                a.note = Note::ProfileChange(name);
                a
            }
            48 => {
                let name = self.string(&PROFILE_NAMES);
                let mut a = Action::new(PROFILES, "Remove", Body::S(name.clone()));
                a.note = Note::ProfileChange(name);
                a
            }
            49 => Action::new(PROFILES, "Questions", Body::S(self.string(&["nl", "en"]))),
            50 => {
                let name = self.string(&PROFILE_NAMES);
                let n = self.rng.below(8);
                let answers = (0..n)
                    .map(|_| {
                        let q = self.string(&QUESTIONS);
                        (q, self.rng.chance(if name == "default" { 10 } else { 40 }))
                    })
                    .collect();
                Action::new(PROFILES, "RecordScreening", Body::Sanswers(name, answers))
            }
            51 => Action::new(
                PROFILES,
                "Approve",
                Body::Ss(self.string(&PROFILE_NAMES), self.string(&["dr. X"])),
            ),
            // History
            52 => Action::new(
                HISTORY,
                "Sessions",
                Body::Xxu(self.i64_edge(), self.i64_edge(), self.u32_edge()),
            ),
            53 => Action::new(
                HISTORY,
                "Changes",
                Body::Xxu(self.i64_edge(), self.i64_edge(), self.u32_edge()),
            ),
            54 => Action::new(
                HISTORY,
                "Faults",
                Body::Xu(self.i64_edge(), self.u32_edge()),
            ),
            55..=56 => Action::new(
                HISTORY,
                "RatePain",
                Body::Tyy(self.u64_edge(), self.u8_edge(), self.u8_edge()),
            ),
            57 => Action::new(
                HISTORY,
                "Summary",
                Body::Xx(self.i64_edge(), self.i64_edge()),
            ),
            58 => Action::new(HISTORY, "Advice", Body::S(self.string(&PROFILE_NAMES))),
            59 => Action::new(
                HISTORY,
                "Export",
                Body::S(self.string(&["json", "csv", "fhir"])),
            ),
            // Sim
            60..=62 => Action::new(
                SIM,
                "SetContact",
                Body::Ub(
                    if self.rng.chance(80) {
                        self.rng.below(3) as u32
                    } else {
                        self.u32_edge()
                    },
                    self.rng.chance(50),
                ),
            ),
            63..=64 => Action::new(SIM, "SetBattery", Body::I(self.i32_edge())),
            65..=67 => Action::new(
                SIM,
                "SetButton",
                Body::Sb(self.string(&["up", "down", "stop"]), self.rng.chance(50)),
            ),
            68..=69 => {
                let kind = self.fault_kind();
                let ms = self.fault_ms(&kind);
                Action::new(SIM, "InjectFault", Body::Su(kind, ms))
            }
            // Properties and the standard interfaces
            70..=73 => Action::new(
                PROPS,
                "Get",
                Body::Ss(self.string(&INTERFACES), self.string(&PROPERTIES)),
            ),
            74..=75 => Action::new(PROPS, "GetAll", Body::S(self.string(&INTERFACES))),
            76..=77 => Action::new(
                PROPS,
                "Set",
                Body::Ssv(
                    self.string(&INTERFACES),
                    self.string(&PROPERTIES),
                    self.value(0),
                ),
            ),
            78 => Action::new(
                "org.freedesktop.DBus.Introspectable",
                "Introspect",
                Body::Unit,
            ),
            79 => Action::new(
                "org.freedesktop.DBus.Peer",
                self.rng.pick(&["Ping", "GetMachineId"]),
                Body::Unit,
            ),
            // Wrong signatures, unknown members, unknown interfaces and paths
            80..=83 => {
                let (iface, member) = self.rng.pick(&[
                    (SESSION, "Start"),
                    (SESSION, "SetIntensity"),
                    (SESSION, "StepIntensity"),
                    (SESSION, "Stop"),
                    (DEVICE, "EmergencyStop"),
                    (DEVICE, "PadsReplaced"),
                    (PROGRAMS, "Add"),
                    (PROGRAMS, "Get"),
                    (PROFILES, "Create"),
                    (PROFILES, "RecordScreening"),
                    (HISTORY, "Sessions"),
                    (HISTORY, "RatePain"),
                    (SIM, "InjectFault"),
                    (SIM, "SetContact"),
                    (PROPS, "Get"),
                    (PROPS, "Set"),
                ]);
                Action::new(iface, member, self.any_body())
            }
            84 => {
                let iface = self.rng.pick(&INTERFACES);
                let member = self
                    .rng
                    .pick(&["Nope", "start", "StartX", "Start2", "Remove_", "X"]);
                Action::new(iface, member, self.any_body())
            }
            85 => Action::new(
                self.rng.pick(&[
                    "io.stimd.Stimd1.Nope",
                    "io.stimd.Stimd2.Session",
                    "io.stimd.Stimd1",
                ]),
                "Start",
                self.any_body(),
            ),
            86 => {
                let mut a = Action::new(
                    SESSION,
                    "Start",
                    Body::Sdict("low-back".into(), HashMap::new()),
                );
                a.path = self
                    .rng
                    .pick(&["/", "/io/stimd", "/io/stimd/Stimd1/x", "/io/stimd/Stimd2"])
                    .into();
                a
            }
            // Putting things back, so that sessions keep running
            _ => self.restore_any(),
        };
        if self.rng.chance(1) {
            // Rarely, the right method with a body of the wrong shape.
            a.body = self.any_body();
            a.note = Note::None;
        }
        a
    }
}

/// A TOML basic string holding `s` exactly.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Calls.

async fn send(conn: &zbus::Connection, a: &Action) -> Result<zbus::Message, zbus::Error> {
    macro_rules! call {
        ($b:expr) => {
            conn.call_method(
                Some(DEST),
                a.path.as_str(),
                Some(a.iface.as_str()),
                a.member.as_str(),
                $b,
            )
            .await
        };
    }
    match &a.body {
        Body::Unit => call!(&()),
        Body::U(x) => call!(&(*x,)),
        Body::I(x) => call!(&(*x,)),
        Body::S(s) => call!(&(s.as_str(),)),
        Body::Uu(x, y) => call!(&(*x, *y)),
        Body::Ui(x, y) => call!(&(*x, *y)),
        Body::Ub(x, y) => call!(&(*x, *y)),
        Body::Sb(x, y) => call!(&(x.as_str(), *y)),
        Body::Su(x, y) => call!(&(x.as_str(), *y)),
        Body::Ss(x, y) => call!(&(x.as_str(), y.as_str())),
        Body::Sdict(x, d) => call!(&(x.as_str(), d)),
        Body::Sanswers(x, d) => call!(&(x.as_str(), d)),
        Body::Xxu(x, y, z) => call!(&(*x, *y, *z)),
        Body::Xu(x, y) => call!(&(*x, *y)),
        Body::Xx(x, y) => call!(&(*x, *y)),
        Body::Tyy(x, y, z) => call!(&(*x, *y, *z)),
        Body::Ssv(x, y, v) => call!(&(x.as_str(), y.as_str(), v)),
        Body::Dict(d) => call!(&(d,)),
        Body::D(x) => call!(&(*x,)),
        Body::Au(v) => call!(&(v,)),
        Body::V(v) => call!(&(v,)),
    }
}

/// A D-Bus call with a deadline; `Err` carries what went wrong in words.
async fn call_within<B>(
    conn: &zbus::Connection,
    deadline: Duration,
    dest: &str,
    path: &str,
    iface: &str,
    member: &str,
    body: &B,
) -> Result<zbus::Message, String>
where
    B: serde::Serialize + zbus::zvariant::DynamicType,
{
    match tokio::time::timeout(
        deadline,
        conn.call_method(Some(dest), path, Some(iface), member, body),
    )
    .await
    {
        Err(_) => Err(format!("{iface}.{member}: no answer within {deadline:?}")),
        Ok(Err(e)) => Err(format!("{iface}.{member}: {e}")),
        Ok(Ok(m)) => Ok(m),
    }
}

/// `VmRSS` and `VmLck` of `pid` in kB, or `None` once the process is gone (or a zombie).
fn memory_kb(pid: i32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    let state = text.lines().find(|l| l.starts_with("State:"))?;
    if state.contains("Z (zombie)") || state.contains("X (dead)") {
        return None;
    }
    Some((field("VmRSS:")?, field("VmLck:").unwrap_or(0)))
}

// ---------------------------------------------------------------------------------------------
// What the fuzzer remembers for the trace check.

/// A session the fuzzer started: pulses from `start_ns` until `end_ns` may be its, and none
/// of them may carry more than `limit_ua` (per channel) if the oracle could tell it.
#[derive(Debug, Clone)]
struct Window {
    id: u64,
    start_ns: u64,
    end_ns: Option<u64>,
    profile: String,
    limit_ua: Option<[i32; 2]>,
    step: u64,
}

/// The most a pulse of `program` may carry for `profile` on each channel: the largest
/// `max_intensity_ua` of its segments (the device's limits for its shapes), narrowed by the
/// profile's `max_intensity_ua`. `None` if the daemon would not say.
async fn oracle_limit(c: &Client, program: &str, profile: &str) -> Option<[i32; 2]> {
    let g = tokio::time::timeout(CHECK_DEADLINE, c.programs.get(program))
        .await
        .ok()?
        .ok()?;
    let segs: Vec<HashMap<String, zbus::zvariant::OwnedValue>> =
        g.get("segments")?.try_clone().ok()?.try_into().ok()?;
    let mut program_max = 0u32;
    for s in &segs {
        let m: u32 = s
            .get("max_intensity_ua")?
            .try_clone()
            .ok()?
            .try_into()
            .ok()?;
        program_max = program_max.max(m);
    }
    if segs.is_empty() {
        return None;
    }
    let p = tokio::time::timeout(CHECK_DEADLINE, c.profiles.get(profile))
        .await
        .ok()?
        .ok()?;
    let person: Vec<u32> = p
        .get("max_intensity_ua")?
        .try_clone()
        .ok()?
        .try_into()
        .ok()?;
    let mut out = [program_max as i32; 2];
    for (ch, lim) in out.iter_mut().enumerate() {
        if let Some(&m) = person.get(ch).filter(|&&m| m > 0) {
            *lim = (*lim).min(m as i32);
        }
    }
    Some(out)
}

/// Records every change of the sim board's `hv_cut_ns` register (when the HV enable last went
/// off): the trace's `enable 0` rows do not say whether the HV was cut or the interlock ran out.
fn watch_hv_cuts(file: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<u64>> {
    std::thread::spawn(move || {
        use stimd::board::sim::registers::Mapping;
        let map = Mapping::open(&file).expect("the daemon's register file");
        let r = map.registers();
        let mut cuts = Vec::new();
        let mut last = r.hv_cut_ns.load(Ordering::Acquire);
        if last != 0 {
            cuts.push(last);
        }
        while !stop.load(Ordering::Acquire) {
            let c = r.hv_cut_ns.load(Ordering::Acquire);
            if c != last {
                cuts.push(c);
                last = c;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        cuts
    })
}

/// The trace's view of the output stage, refined with the HV cuts: `on` intervals, and the
/// intervals where it was off because the interlock ran out while the supervisor was stalled
/// (the hardware's reaction; the engine is not told until the supervisor trips).
struct OutputTimeline {
    /// (on from, on until) — until is the HV cut or the `enable 0` stamp.
    on: Vec<(u64, u64)>,
    /// (from, until): off by the interlock running out, HV still on.
    expired: Vec<(u64, u64)>,
    ons: Vec<u64>,
}

fn output_timeline(rows: &[Row], cuts: &[u64]) -> OutputTimeline {
    let mut on = Vec::new();
    let mut expired = Vec::new();
    let mut ons = Vec::new();
    let mut since: Option<u64> = None;
    let mut pending_expiry: Option<u64> = None;
    let next_cut_after = |t: u64| cuts.iter().copied().filter(|&c| c > t).min();
    for r in rows {
        let Row::Enable { t_ns, on: up } = *r else {
            continue;
        };
        if up {
            if let Some(from) = pending_expiry.take() {
                expired.push((from, t_ns.min(next_cut_after(from).unwrap_or(u64::MAX))));
            }
            if since.is_none() {
                since = Some(t_ns);
                ons.push(t_ns);
            }
        } else if let Some(from) = since.take() {
            match cuts.iter().copied().find(|&c| c > from && c <= t_ns) {
                Some(c) => on.push((from, c)),
                None => {
                    on.push((from, t_ns));
                    pending_expiry = Some(t_ns);
                }
            }
        }
    }
    if let Some(from) = since {
        on.push((from, u64::MAX));
    }
    if let Some(from) = pending_expiry {
        expired.push((from, next_cut_after(from).unwrap_or(u64::MAX)));
    }
    OutputTimeline { on, expired, ons }
}

impl OutputTimeline {
    fn covers(list: &[(u64, u64)], t: u64) -> bool {
        list.iter().any(|&(a, b)| a <= t && t < b)
    }
    /// Whether a pulse may begin at `t`.
    fn may_pulse(&self, t: u64) -> bool {
        Self::covers(&self.on, t)
            || Self::covers(&self.expired, t)
            || self
                .ons
                .iter()
                .any(|&o| o >= t && o - t <= ENABLE_STAMP_SLACK_NS)
    }
}

/// Every violation of the trace invariants, in words.
fn trace_violations(
    rows: &[Row],
    cuts: &[u64],
    windows: &[Window],
    step_at: &dyn Fn(u64) -> String,
) -> (Vec<String>, TraceFigures) {
    let mut rows = rows.to_vec();
    rows.sort_by_key(|r| match *r {
        Row::Dac { t_ns, .. } | Row::Enable { t_ns, .. } | Row::Contact { t_ns, .. } => t_ns,
    });
    let timeline = output_timeline(&rows, cuts);
    let mut out = Vec::new();
    let mut fig = TraceFigures::default();
    // Whether the phase 1 each channel is in began where a pulse may begin.
    let mut pulse_ok = [true; 2];
    for r in &rows {
        let Row::Dac {
            t_ns,
            channel,
            code,
            microamps,
        } = *r
        else {
            continue;
        };
        if code == MID || channel > 1 {
            continue;
        }
        fig.dac_nonzero += 1;
        fig.max_ua = fig.max_ua.max(microamps.abs());
        if microamps.abs() > DEVICE_PEAK_UA {
            out.push(format!(
                "channel {channel}: {microamps} µA at t={t_ns} ns is above the device's peak \
                 limit {DEVICE_PEAK_UA} µA (code {code}); {}",
                step_at(t_ns)
            ));
        }
        let covering: Vec<&Window> = windows
            .iter()
            .filter(|w| w.start_ns <= t_ns && w.end_ns.is_none_or(|e| t_ns <= e))
            .collect();
        if !covering.is_empty() && covering.iter().all(|w| w.limit_ua.is_some()) {
            let lim = covering
                .iter()
                .filter_map(|w| w.limit_ua.map(|l| l[channel]))
                .max()
                .unwrap_or(i32::MAX);
            fig.checked_against_session += 1;
            if microamps.abs() > lim {
                let w = covering[0];
                out.push(format!(
                    "channel {channel}: {microamps} µA at t={t_ns} ns is above session {}'s \
                     effective limit {lim} µA (profile {:?}, started at step {}); {}",
                    w.id,
                    w.profile,
                    w.step,
                    step_at(t_ns)
                ));
            }
        }
        if code > MID {
            pulse_ok[channel] = timeline.may_pulse(t_ns);
            if !pulse_ok[channel] {
                out.push(format!(
                    "channel {channel}: a pulse began ({microamps} µA, code {code}) at \
                     t={t_ns} ns while the output stage was off; {}",
                    step_at(t_ns)
                ));
            }
        }
    }
    fig.on_intervals = timeline.on.len();
    fig.expired_intervals = timeline.expired.len();
    (out, fig)
}

#[derive(Debug, Default)]
struct TraceFigures {
    dac_nonzero: u64,
    max_ua: i32,
    checked_against_session: u64,
    on_intervals: usize,
    expired_intervals: usize,
}

fn seed() -> u64 {
    match std::env::var("STIMD_FUZZ_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = if let Some(h) = s.strip_prefix("0x") {
                u64::from_str_radix(h, 16)
            } else {
                s.parse()
            };
            parsed.unwrap_or_else(|_| panic!("STIMD_FUZZ_SEED = {s:?} is not a number"))
        }
        Err(_) => DEFAULT_SEED,
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A failure at `step`, with the calls and the daemon's log lines that led to it.
fn failure(step: u64, what: String, recent: &VecDeque<String>, log: &str) -> String {
    let tail: Vec<&str> = log.lines().rev().take(20).collect();
    format!(
        "step {step}: {what}\nlast calls:\n  {}\nlast daemon log lines:\n  {}",
        recent.iter().cloned().collect::<Vec<_>>().join("\n  "),
        tail.into_iter().rev().collect::<Vec<_>>().join("\n  ")
    )
}

/// The fuzz tests share the machine's two cores with the daemons they drive: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------------------------------------
// The fuzzer.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_never_breaks_the_daemon_or_its_safety_invariants() {
    let _one = ONE_AT_A_TIME.lock().await;
    let seed = seed();
    let max_steps = env_number("STIMD_FUZZ_STEPS", MAX_STEPS);
    let max_wall = Duration::from_secs(env_number("STIMD_FUZZ_SECS", MAX_WALL.as_secs()));
    eprintln!(
        "fuzz: seed {seed:#x} (replay: STIMD_FUZZ_SEED={seed:#x}), at most {max_steps} steps \
         or {max_wall:?}{}",
        if EXCLUDE_OVER_LIMIT {
            "; over_limit EXCLUDED"
        } else {
            ""
        }
    );

    let dir = TempDir::new("fuzz");
    let bus = Bus::start();
    let trace = dir.0.join("t.csv");
    let hw = dir.0.join("hardware");
    let env = [
        (
            "STIMD__SIM__HARDWARE_FILE",
            hw.to_str().expect("utf-8 path"),
        ),
        ("STIMD__LIMITS__RISE_RATE_UA_PER_S", RISE_RATE_UA_PER_S),
    ];
    let daemon = Daemon::start_with(&bus, &dir.0.join("state"), &trace, &env).await;
    let pid = daemon.pid();
    let stop_watch = Arc::new(AtomicBool::new(false));
    let watcher = watch_hv_cuts(hw.clone(), stop_watch.clone());

    let observer = bus.connect().await;
    let oracle = Client::new(&bus).await;
    let mut pool = Vec::new();
    for _ in 0..CONNECTIONS {
        pool.push(bus.connect().await);
    }
    let owner_of = |m: zbus::Message| m.body().deserialize::<String>().unwrap_or_default();
    let owner = call_within(
        &observer,
        CHECK_DEADLINE,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "GetNameOwner",
        &(NAME,),
    )
    .await
    .map(owner_of)
    .expect("stimd owns its name");

    let mut g = Gen { rng: Rng(seed) };
    // `STIMD_FUZZ_SHOW=12,345` prints those steps' calls in full (descriptions are cut short).
    let show: Vec<u64> = std::env::var("STIMD_FUZZ_SHOW")
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let mut recent: VecDeque<String> = VecDeque::new();
    let mut steps: Vec<(u64, u64)> = Vec::new(); // (monotonic ns at its start, step)
    let mut descriptions: Vec<String> = Vec::new();
    let mut windows: Vec<Window> = Vec::new();
    let mut errors: HashMap<String, u64> = HashMap::new();
    let mut start_errors: HashMap<String, u64> = HashMap::new();
    let mut samples: HashMap<String, String> = HashMap::new();
    let mut failed_messages: Vec<String> = Vec::new();
    let mut client_side = 0u64;
    let mut max_mem = (0u64, 0u64);
    let (mut started, mut ok_calls) = (0u64, 0u64);
    let began = Instant::now();
    let mut step = 0u64;

    let mut problems: Vec<String> = Vec::new();
    'fuzz: while step < max_steps && began.elapsed() < max_wall {
        step += 1;
        let block = (step - 1) / ESTOP_EVERY;
        let in_block = (step - 1) % ESTOP_EVERY;
        let calm = block % CALM_EVERY_BLOCKS == CALM_EVERY_BLOCKS - 1;
        let action = if calm && in_block < RESTORE_STEPS {
            // Make room for the calm session: fault cleared, battery and pads fine.
            g.restore(in_block)
        } else if calm && in_block == RESTORE_STEPS {
            g.sane_start(true)
        } else if calm {
            tokio::time::sleep(CALM_STEP_PAUSE).await;
            g.calm()
        } else {
            g.action()
        };
        let desc = action.describe();
        if show.contains(&step) {
            eprintln!("fuzz: step {step} in full: {action:?}");
        }
        if recent.len() == 20 {
            recent.pop_front();
        }
        recent.push_back(format!("{step}: {desc}"));
        let t_step = monotonic_ns();
        steps.push((t_step, step));
        descriptions.push(desc);

        // The oracle looks up what a session of this program may carry, before it starts.
        let mut start_limit = None;
        if let Note::Start { program, profile } = &action.note {
            start_limit = oracle_limit(&oracle, program, profile).await;
        }

        // The call itself, on the next connection of the pool (or a throwaway one for a
        // message the bus will refuse and disconnect for).
        let slot = (step as usize) % CONNECTIONS;
        let throwaway;
        let conn = if action.invalid_on_the_wire() {
            throwaway = bus.connect().await;
            &throwaway
        } else {
            &pool[slot]
        };
        let t_call = monotonic_ns();
        let result = match tokio::time::timeout(CALL_DEADLINE, send(conn, &action)).await {
            Ok(r) => r,
            Err(_) => {
                problems.push(failure(
                    step,
                    format!(
                        "no answer within {CALL_DEADLINE:?} to {}",
                        action.describe()
                    ),
                    &recent,
                    &daemon.log_text(),
                ));
                break 'fuzz;
            }
        };
        match result {
            Ok(reply) => {
                ok_calls += 1;
                if let Note::Start { profile, .. } = &action.note {
                    if action.iface == SESSION && action.member == "Start" {
                        if let Ok(id) = reply.body().deserialize::<u64>() {
                            started += 1;
                            for w in windows.iter_mut().filter(|w| w.end_ns.is_none()) {
                                w.end_ns = Some(monotonic_ns());
                            }
                            windows.push(Window {
                                id,
                                start_ns: t_call,
                                end_ns: None,
                                profile: profile.clone(),
                                limit_ua: start_limit,
                                step,
                            });
                        }
                    }
                }
                if let Note::ProfileChange(name) = &action.note {
                    // The session's profile changed under it: only the program's limit holds.
                    for w in windows.iter_mut().filter(|w| w.end_ns.is_none()) {
                        if &w.profile == name {
                            w.limit_ua = None;
                        }
                    }
                }
            }
            Err(zbus::Error::MethodError(name, msg, _)) => {
                *errors.entry(name.to_string()).or_default() += 1;
                samples.entry(name.to_string()).or_insert_with(|| {
                    let m = msg.clone().unwrap_or_default();
                    format!(
                        "{} → {}",
                        action.describe(),
                        m.chars().take(160).collect::<String>()
                    )
                });
                if action.member == "Start" && action.iface == SESSION {
                    *start_errors.entry(name.to_string()).or_default() += 1;
                }
                if name.as_str() == "io.stimd.Stimd1.Error.Failed" && failed_messages.len() < 10 {
                    failed_messages.push(format!(
                        "step {step}: {} → {}",
                        action.describe(),
                        msg.unwrap_or_default()
                    ));
                }
            }
            Err(_) => {
                // Refused before it reached the daemon (the bus or the client library): a
                // connection the bus dropped is replaced.
                client_side += 1;
                if !action.invalid_on_the_wire() {
                    pool[slot] = bus.connect().await;
                }
            }
        }

        // After every step: alive, owns its name, answers, memory bounded.
        let Some(mem) = memory_kb(pid) else {
            {
                problems.push(failure(
                    step,
                    "the daemon process is gone".into(),
                    &recent,
                    &daemon.log_text(),
                ));
                break 'fuzz;
            }
        };
        max_mem = (max_mem.0.max(mem.0), max_mem.1.max(mem.1));
        if mem.0 > RSS_BOUND_KB {
            {
                problems.push(failure(
                    step,
                    format!("VmRSS {} kB is above the bound {RSS_BOUND_KB} kB", mem.0),
                    &recent,
                    &daemon.log_text(),
                ));
                break 'fuzz;
            };
        }
        let now_owner = call_within(
            &observer,
            CHECK_DEADLINE,
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            &(NAME,),
        )
        .await
        .map(owner_of);
        if now_owner.as_deref() != Ok(owner.as_str()) {
            {
                problems.push(failure(
                    step,
                    format!("{NAME} is no longer owned by stimd ({owner}): {now_owner:?}"),
                    &recent,
                    &daemon.log_text(),
                ));
                break 'fuzz;
            };
        }
        let id = call_within(
            &observer,
            CHECK_DEADLINE,
            DEST,
            PATH,
            PROPS,
            "Get",
            &(SESSION, "Id"),
        )
        .await
        .and_then(|m| {
            m.body()
                .deserialize::<zbus::zvariant::OwnedValue>()
                .map_err(|e| e.to_string())
                .and_then(|v| u64::try_from(v).map_err(|e| e.to_string()))
        });
        match id {
            Ok(id) => {
                let now = monotonic_ns();
                for w in windows.iter_mut().filter(|w| w.end_ns.is_none()) {
                    if w.id != id {
                        w.end_ns = Some(now);
                    }
                }
            }
            Err(e) => {
                problems.push(failure(
                    step,
                    format!("Session.Id did not answer: {e}"),
                    &recent,
                    &daemon.log_text(),
                ));
                break 'fuzz;
            }
        }
        if step.is_multiple_of(ESTOP_EVERY) {
            if let Err(e) = call_within(
                &observer,
                CHECK_DEADLINE,
                DEST,
                PATH,
                DEVICE,
                "EmergencyStop",
                &(),
            )
            .await
            {
                {
                    problems.push(failure(
                        step,
                        format!("EmergencyStop failed: {e}"),
                        &recent,
                        &daemon.log_text(),
                    ));
                    break 'fuzz;
                };
            }
            let now = monotonic_ns();
            for w in windows.iter_mut().filter(|w| w.end_ns.is_none()) {
                w.end_ns = Some(now);
            }
        }
    }

    // Always an emergency stop at the end, and it must answer.
    if let Err(e) = call_within(
        &observer,
        CHECK_DEADLINE,
        DEST,
        PATH,
        DEVICE,
        "EmergencyStop",
        &(),
    )
    .await
    {
        let what = format!("the final EmergencyStop failed: {e}");
        let what = if problems.is_empty() {
            failure(step, what, &recent, &daemon.log_text())
        } else {
            what
        };
        problems.push(what);
    }
    let elapsed = began.elapsed();
    let now = monotonic_ns();
    for w in windows.iter_mut().filter(|w| w.end_ns.is_none()) {
        w.end_ns = Some(now);
    }
    // Let the trace writer (every 5 ms) and the HV watcher catch up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_watch.store(true, Ordering::Release);
    let cuts = watcher.join().expect("HV watcher");
    if memory_kb(pid).is_none() {
        problems.push("the daemon process is gone at the end".into());
    }

    let mut errs: Vec<_> = errors.iter().collect();
    errs.sort_by(|a, b| b.1.cmp(a.1));
    eprintln!(
        "fuzz: seed {seed:#x}: {step} steps in {:.1} s ({:.0} steps/s); {ok_calls} calls \
         answered OK, {started} sessions started, {client_side} refused before the daemon; \
         max VmRSS {} kB, max VmLck {} kB (bound {RSS_BOUND_KB} kB)",
        elapsed.as_secs_f64(),
        step as f64 / elapsed.as_secs_f64(),
        max_mem.0,
        max_mem.1
    );
    eprintln!("fuzz: errors returned: {errs:?}");
    eprintln!("fuzz: Session.Start refused with: {start_errors:?}");
    for (name, sample) in &samples {
        eprintln!("fuzz: e.g. {name}: {sample}");
    }
    for m in &failed_messages {
        eprintln!("fuzz: Failed (an internal failure): {m}");
    }

    // The trace: no pulse above a limit, none begun with the output off.
    let rows = read_trace(&trace);
    let step_at = |t: u64| -> String {
        let i = steps.partition_point(|&(s, _)| s <= t);
        let Some(i) = i.checked_sub(1) else {
            return "before the first step".to_string();
        };
        let fault = (0..=i)
            .rev()
            .take(3 * ESTOP_EVERY as usize)
            .find(|&j| descriptions[j].contains("Sim.InjectFault Su(\""))
            .map(|j| {
                format!(
                    "; the last fault injected: step {} ({})",
                    steps[j].1, descriptions[j]
                )
            })
            .unwrap_or_default();
        format!("during step {} ({}){fault}", steps[i].1, descriptions[i])
    };
    let (violations, fig) = trace_violations(&rows, &cuts, &windows, &step_at);
    eprintln!(
        "fuzz: trace: {} rows, {} non-zero DAC codes (max {} µA), {} checked against a \
         session's effective limit, {} output-on intervals, {} cut by the interlock running \
         out, {} HV cuts seen",
        rows.len(),
        fig.dac_nonzero,
        fig.max_ua,
        fig.checked_against_session,
        fig.on_intervals,
        fig.expired_intervals,
        cuts.len()
    );

    // Nothing written outside the state directory (profile names and program ids are paths).
    let strays: Vec<String> = std::fs::read_dir(&dir.0)
        .expect("test dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| {
            !(n == "state"
                || n == "t.csv"
                || n == "hardware"
                || n == "stimd-empty.toml"
                || n.ends_with(".log"))
        })
        .collect();

    let log = daemon.log_text();
    let panics: Vec<&str> = log.lines().filter(|l| l.contains("panicked")).collect();

    if !violations.is_empty() {
        problems.push(format!(
            "{} trace violation(s), the first ones:\n  {}",
            violations.len(),
            violations
                .iter()
                .take(12)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        ));
    }
    if !strays.is_empty() {
        problems.push(format!(
            "files written outside the state directory: {strays:?}"
        ));
    }
    if !panics.is_empty() {
        problems.push(format!(
            "the daemon panicked:\n  {}",
            panics
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        ));
    }
    assert!(
        problems.is_empty(),
        "fuzz seed {seed:#x} ({step} steps): {}",
        problems.join("\n")
    );
    drop(daemon);
}

// ---------------------------------------------------------------------------------------------
// Memory after huge messages.

/// The issue's goal after 20 messages of 20 MB each.
/// How much the resident set may grow over the 20 huge messages (allocator slack, caches).
const RSS_GROWTH_KB: u64 = 2 * 1024;
const MEMORY_GOAL_KB: u64 = 20 * 1024;
const HUGE_BYTES: usize = 20 * 1024 * 1024;
const HUGE_MESSAGES: usize = 20;

/// 20 messages of 20 MB each (program files and `Start` options), then the daemon's `VmRSS`
/// and `VmLck` must be at most 20 MB each. The bus is configured to carry such messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_after_20_messages_of_20_mb() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("fuzz-mem");
    // dbus-daemon's built-in limit for one message is 32 MiB only when no configuration sets
    // it; say it, and let a connection queue several.
    let bus = Bus::start_with_policy(
        "<limit name=\"max_message_size\">67108864</limit>\
         <limit name=\"max_incoming_bytes\">1000000000</limit>\
         <limit name=\"max_outgoing_bytes\">1000000000</limit>\
         <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
         <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy>",
    );
    let daemon = Daemon::start(&bus, &dir.0.join("state"), &dir.0.join("t.csv")).await;
    let pid = daemon.pid();
    let conn = bus.connect().await;
    let before = memory_kb(pid).expect("stimd runs");
    let mut peak = before;
    let huge = "x".repeat(HUGE_BYTES);
    let mut answers: HashMap<String, u32> = HashMap::new();
    for i in 0..HUGE_MESSAGES {
        let r = if i % 2 == 0 {
            call_within(
                &conn,
                DEADLINE,
                DEST,
                PATH,
                PROGRAMS,
                "Add",
                &(huge.as_str(),),
            )
            .await
        } else {
            let mut o: HashMap<String, Value<'static>> = HashMap::new();
            o.insert("placement".into(), Value::from(huge.clone()));
            call_within(
                &conn,
                DEADLINE,
                DEST,
                PATH,
                SESSION,
                "Start",
                &("low-back", o),
            )
            .await
        };
        let key = match r {
            Ok(_) => "ok".to_string(),
            Err(e) => format!(
                "{} ({} bytes)",
                e.chars().take(100).collect::<String>(),
                e.len()
            ),
        };
        *answers.entry(key).or_default() += 1;
        let m = memory_kb(pid).expect("stimd died during the huge messages");
        peak = (peak.0.max(m.0), peak.1.max(m.1));
        // Any session a message started ends at once.
        call_within(&conn, DEADLINE, DEST, PATH, DEVICE, "EmergencyStop", &())
            .await
            .expect("EmergencyStop answers after a huge message");
    }
    drop(huge);
    // A round trip so that everything sent has been handled.
    call_within(
        &conn,
        DEADLINE,
        DEST,
        PATH,
        PROPS,
        "Get",
        &(DEVICE, "State"),
    )
    .await
    .expect("State answers after the huge messages");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = memory_kb(pid).expect("stimd runs after the huge messages");
    eprintln!(
        "memory: {HUGE_MESSAGES} messages of {} MB: VmRSS {} kB before, {} kB at most, {} kB \
         after; VmLck {} kB before, {} kB at most, {} kB after (goal: ≤ {MEMORY_GOAL_KB} kB \
         each); answers: {answers:?}",
        HUGE_BYTES / (1024 * 1024),
        before.0,
        peak.0,
        after.0,
        before.1,
        peak.1,
        after.1
    );
    // Locked memory never grows with what clients send, and is within the goal in any build.
    assert!(
        after.1 <= before.1 && peak.1 <= before.1 && after.1 <= MEMORY_GOAL_KB,
        "VmLck {} kB before, {} kB at most, {} kB after {HUGE_MESSAGES} messages of 20 MB \
         (goal: no growth, at most {MEMORY_GOAL_KB} kB)",
        before.1,
        peak.1,
        after.1
    );
    // What the messages took is given back: the resident set ends where it began.
    assert!(
        after.0 <= before.0 + RSS_GROWTH_KB,
        "VmRSS {} kB before and {} kB after {HUGE_MESSAGES} messages of 20 MB (allowed growth: \
         {RSS_GROWTH_KB} kB)",
        before.0,
        after.0
    );
    // The goal's absolute resident set is for the release build (the daemon as shipped); a
    // debug build's unoptimised dependencies alone make its locked code larger. Run it with
    // `cargo test --release --test system_fuzz memory -- --nocapture`.
    if !cfg!(debug_assertions) {
        assert!(
            after.0 <= MEMORY_GOAL_KB,
            "after {HUGE_MESSAGES} messages of 20 MB: VmRSS {} kB (goal: at most \
             {MEMORY_GOAL_KB} kB)",
            after.0
        );
    }
    drop(daemon);
}
