//! `stimd bench history`: what the usage history costs. Commit latency of the records that are
//! written at once with `synchronous=FULL` (session start and end), the bytes one hour of
//! stimulation writes to storage at the worst (every intensity changing every second), what an
//! idle daemon writes (nothing), and how long `Sessions` and `Summary` take on ten years of
//! twice-daily use. A benchmark prints figures; it does not pass or fail.

use super::bench::BenchError;
use crate::history::{IntensityRow, Op, SessionFigures, SessionRow, Store};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The command line of `stimd bench history`.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Where to put the scratch databases (default: a new directory in the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

fn quantile(sorted: &[u64], q: f64) -> u64 {
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(idx).copied().unwrap_or(0)
}

/// Bytes this process has caused to be written to storage so far (`/proc/self/io`).
fn write_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| {
                    l.strip_prefix("write_bytes: ")
                        .map(|v| v.trim().parse().ok())
                })
                .flatten()
        })
        .unwrap_or(0)
}

fn files_size(path: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .map(|ext| {
            let mut p = path.as_os_str().to_owned();
            p.push(ext);
            std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
        })
        .sum()
}

fn figures(max: u32) -> SessionFigures {
    SessionFigures {
        max_intensity: vec![max, max],
        mean_intensity: vec![max / 2, max / 2],
        segments: vec!["conventional".into()],
        stimulated_s: 0,
    }
}

fn err(e: rusqlite::Error) -> BenchError {
    BenchError::History(e)
}

/// Runs `stimd bench history` with `a` (scratch databases, removed when it succeeds) and prints
/// its figures on standard output.
pub fn history(a: &HistoryArgs) -> Result<(), BenchError> {
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("stimd-bench-history-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|source| BenchError::Io {
        what: dir.display().to_string(),
        source,
    })?;
    println!("scratch databases in {}", dir.display());

    // 1. Commit latency of session start and end (each its own FULL commit).
    let path = dir.join("commit.sqlite");
    let mut store = Store::open(&path).map_err(err)?;
    let mut lat = Vec::new();
    for id in 1..=300u64 {
        let t = Instant::now();
        store
            .apply_now(Op::Started(SessionRow::starting(
                id,
                "low-back",
                "default",
                "",
                id as i64,
                vec![0, 1],
            )))
            .map_err(err)?;
        lat.push(t.elapsed().as_micros() as u64);
        let t = Instant::now();
        store
            .apply_now(Op::Ended {
                id,
                end: id as i64 + 1_800,
                reason: "completed".into(),
                figures: figures(20_000),
            })
            .map_err(err)?;
        lat.push(t.elapsed().as_micros() as u64);
    }
    lat.sort_unstable();
    println!(
        "commit latency, session start/end (synchronous=FULL, {} commits): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.len(),
        quantile(&lat, 0.5) as f64 / 1e3,
        quantile(&lat, 0.99) as f64 / 1e3,
        quantile(&lat, 1.0) as f64 / 1e3
    );

    // 2. One hour of stimulation, as the session manager records it: progress every 5 s (and
    //    every second while a ramp raises the maximum),
    //    levels at most once a second while they change, targets as they are set. Typical: ten
    //    adjustments an hour, each ramping for 5 s. Worst: every level changing every second.
    for (name, changes_every_s, ramp_s) in [("typical", 360i64, 5i64), ("worst case", 1, 1)] {
        let path = dir.join(format!("hour-{}.sqlite", changes_every_s));
        let mut store = Store::open(&path).map_err(err)?;
        store
            .apply_now(Op::Started(SessionRow::starting(
                1,
                "low-back",
                "default",
                "low back",
                0,
                vec![0, 1],
            )))
            .map_err(err)?;
        store.checkpoint().map_err(err)?;
        let (bytes0, size0) = (write_bytes(), files_size(&path));
        let (mut rows, mut commits) = (0, 0);
        for s in 0..3_600i64 {
            let mut batch = Vec::new();
            let since_change = s % changes_every_s;
            for ch in 0..2 {
                if since_change == 0 {
                    batch.push(Op::Intensity(IntensityRow {
                        time_ms: s * 1_000,
                        session_id: 1,
                        channel: ch,
                        kind: "target",
                        microamps: 15_000 + (s as u32 % 7) * 500,
                        actor: "uid:1000".into(),
                    }));
                }
                if since_change < ramp_s {
                    batch.push(Op::Intensity(IntensityRow {
                        time_ms: s * 1_000,
                        session_id: 1,
                        channel: ch,
                        kind: "level",
                        microamps: 10_000 + (s as u32 % 50) * 100,
                        actor: "ramp".into(),
                    }));
                }
            }
            if s % 5 == 0 || since_change < ramp_s {
                batch.push(Op::Progress {
                    id: 1,
                    time: s,
                    figures: figures(15_000),
                });
            }
            if !batch.is_empty() {
                rows += batch.len();
                commits += 1;
                store.apply_batch(&mut batch).map_err(err)?;
            }
        }
        store
            .apply_now(Op::Ended {
                id: 1,
                end: 3_600,
                reason: "completed".into(),
                figures: figures(15_000),
            })
            .map_err(err)?;
        store.checkpoint().map_err(err)?;
        let written = write_bytes().saturating_sub(bytes0);
        let grown = files_size(&path).saturating_sub(size0);
        println!(
            "one hour running, {name} ({rows} records, {commits} commits): {:.2} MB written to storage, database grew {:.3} MB",
            written as f64 / 1e6,
            grown as f64 / 1e6
        );
    }

    // 3. Idle: the history thread with nothing to write.
    let idle = dir.join("idle");
    let (h, _) = crate::history::HistoryHandle::open(&idle, crate::history::Retention::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| BenchError::Io {
            what: "tokio runtime".into(),
            source,
        })?;
    rt.block_on(h.flush(Duration::from_secs(5)));
    let (b0, s0) = (write_bytes(), files_size(&idle.join("history.sqlite")));
    std::thread::sleep(Duration::from_secs(10));
    println!(
        "idle, 10 s: {} bytes written, database grew {} bytes (an idle daemon sends no records)",
        write_bytes().saturating_sub(b0),
        files_size(&idle.join("history.sqlite")).saturating_sub(s0)
    );
    drop(h);

    // 4. Ten years of twice-daily use: 7,300 sessions, half of them rated, 20 intensity rows
    //    each; then the queries a client makes.
    let path = dir.join("decade.sqlite");
    let mut store = Store::open(&path).map_err(err)?;
    let programs = ["low-back", "neck", "massage", "nerve-pain", "ems-strength"];
    let now = 3_650 * 86_400i64;
    let mut batch = Vec::new();
    for id in 1..=7_300u64 {
        let start = (id as i64 - 1) * 43_200;
        let mut row = SessionRow::starting(
            id,
            programs[id as usize % 5],
            "default",
            "low back",
            start,
            vec![0, 1],
        );
        row.end = start + 1_800;
        row.end_reason = "completed".into();
        batch.push(Op::Started(row));
        for k in 0..20 {
            batch.push(Op::Intensity(IntensityRow {
                time_ms: (start + k * 60) * 1_000,
                session_id: id,
                channel: (k % 2) as u32,
                kind: "level",
                microamps: 15_000,
                actor: "ramp".into(),
            }));
        }
        if id % 500 == 0 {
            store.apply_batch(&mut batch).map_err(err)?;
        }
    }
    store.apply_batch(&mut batch).map_err(err)?;
    for id in (1..=7_300u64).step_by(2) {
        store.rate_pain(id, 6, (id % 5) as u8).map_err(err)?;
    }
    println!(
        "ten years, twice a day: {:.1} MB on disk",
        files_size(&path) as f64 / 1e6
    );
    let time =
        |f: &mut dyn FnMut() -> Result<usize, BenchError>| -> Result<(f64, usize), BenchError> {
            let mut t = Vec::new();
            let mut n = 0;
            for _ in 0..7 {
                let s = Instant::now();
                n = f()?;
                t.push(s.elapsed().as_micros() as u64);
            }
            t.sort_unstable();
            Ok((t[3] as f64 / 1e3, n))
        };
    let (ms, n) = time(&mut || store.sessions(0, 0, 0).map(|v| v.len()).map_err(err))?;
    println!("  Sessions(all): {n} sessions in {ms:.2} ms (median of 7)");
    let (ms, n) = time(&mut || {
        store
            .sessions(now - 30 * 86_400, 0, 0)
            .map(|v| v.len())
            .map_err(err)
    })?;
    println!("  Sessions(last 30 days): {n} sessions in {ms:.2} ms");
    let (ms, n) = time(&mut || store.sessions(0, 0, 20).map(|v| v.len()).map_err(err))?;
    println!("  Sessions(newest 20): {n} sessions in {ms:.2} ms");
    let (ms, _) = time(&mut || {
        store
            .summary(0, 0, now)
            .map(|s| s.sessions as usize)
            .map_err(err)
    })?;
    println!("  Summary(all): {ms:.2} ms");
    let (ms, _) = time(&mut || {
        store
            .summary(now - 365 * 86_400, 0, now)
            .map(|s| s.sessions as usize)
            .map_err(err)
    })?;
    println!("  Summary(last year): {ms:.2} ms");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
