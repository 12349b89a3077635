//! The sim board's trace: every DAC code change and every output-enable change, timestamped
//! with the monotonic clock, written by a thread of its own as CSV (a `.csv` file) or as a
//! Value Change Dump for waveform viewers (a `.vcd` file, see `trace_vcd`).
//!
//! CSV columns: `t_ns,event,channel,code,microamps,millivolts`. `dac` rows carry the channel, the
//! code, the current the modelled output stage drives at that code (code → ideal current →
//! the channel's gain and offset error, `[sim] analog_*`; computed where the code is latched)
//! and the voltage that current develops across the modelled electrode load; `enable` rows
//! carry 1 or 0 in `code` (output stage on or cut); `contact` rows carry the channel and 1 or
//! 0 (pads put on or taken off).
//! Pushing an event is lock-free and allocation-free, so the engine may do it.

use crossbeam_queue::ArrayQueue;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CAPACITY: usize = 1 << 16;

/// The trace's file formats, chosen by the file name's extension (DESIGN: VCD for `.vcd`,
/// CSV otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFormat {
    /// Any name but `.vcd`: one row per event (see the module's documentation).
    Csv,
    /// `.vcd`: a Value Change Dump, one signal per line and channel (see `trace_vcd`).
    Vcd,
}

impl TraceFormat {
    /// The format for `path`: VCD for a `.vcd` extension (in any case), CSV otherwise.
    pub fn for_path(path: &Path) -> TraceFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("vcd") => TraceFormat::Vcd,
            _ => TraceFormat::Csv,
        }
    }
}

/// Where the writer thread puts the events.
enum Output {
    Csv(std::io::BufWriter<std::fs::File>, u32),
    Vcd(super::trace_vcd::VcdOut<std::io::BufWriter<std::fs::File>>),
}

impl Output {
    fn event(&mut self, e: Event) {
        match self {
            Output::Csv(out, load_ohms) => {
                let _ = write_row(out, e, *load_ohms);
            }
            Output::Vcd(v) => v.push(e),
        }
    }

    fn dropped(&mut self, lost: u64) {
        let _ = match self {
            Output::Csv(out, _) => writeln!(out, "{},dropped,,{lost},,", crate::clock::now_ns()),
            Output::Vcd(v) => v.dropped(lost),
        };
    }

    /// Writes what is due (`last`: everything held, and the VCD's end) and flushes.
    fn flush(&mut self, last: bool) {
        let now = crate::clock::now_ns();
        let _ = match self {
            Output::Csv(out, _) => out.flush(),
            Output::Vcd(v) if last => v.finish(now),
            Output::Vcd(v) => v.write_due(now),
        };
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A DAC code change on a channel.
    Dac,
    /// The output stage switched on (1) or was cut (0).
    Enable,
    /// A channel's pads were put on (1) or taken off (0) by the `Sim` interface.
    Contact,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub t_ns: u64,
    pub kind: Kind,
    pub channel: u8,
    pub code: u16,
    /// `Dac`: the modelled analog current at `code`, µA.
    pub microamps: i32,
}

impl Event {
    pub fn dac(t_ns: u64, channel: u8, code: u16, microamps: i32) -> Event {
        Event {
            t_ns,
            kind: Kind::Dac,
            channel,
            code,
            microamps,
        }
    }
    pub fn enable(t_ns: u64, on: bool) -> Event {
        Event {
            t_ns,
            kind: Kind::Enable,
            channel: 0,
            code: u16::from(on),
            microamps: 0,
        }
    }
    pub fn contact(t_ns: u64, channel: u8, present: bool) -> Event {
        Event {
            t_ns,
            kind: Kind::Contact,
            channel,
            code: u16::from(present),
            microamps: 0,
        }
    }
}

pub struct TraceSink {
    queue: Arc<ArrayQueue<Event>>,
    dropped: Arc<AtomicU64>,
    /// The writer thread: `RUNNING`, asked to write everything and stop (`CLOSING`), or done.
    writer: Arc<AtomicU8>,
}

const RUNNING: u8 = 0;
const CLOSING: u8 = 1;
const CLOSED: u8 = 2;

impl TraceSink {
    /// Creates the file (CSV or VCD by its extension) and starts the writer thread.
    pub fn create(path: &Path, load_ohms: u32) -> std::io::Result<TraceSink> {
        let format = TraceFormat::for_path(path);
        let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut out = match format {
            TraceFormat::Csv => {
                writeln!(file, "t_ns,event,channel,code,microamps,millivolts")?;
                file.flush()?;
                Output::Csv(file, load_ohms)
            }
            TraceFormat::Vcd => Output::Vcd(super::trace_vcd::VcdOut::new(
                file,
                crate::clock::now_ns(),
                load_ohms,
            )?),
        };
        let queue = Arc::new(ArrayQueue::new(CAPACITY));
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = Arc::new(AtomicU8::new(RUNNING));
        let (q, d, w) = (queue.clone(), dropped.clone(), writer.clone());
        std::thread::Builder::new()
            .name("sim-trace".into())
            .spawn(move || loop {
                let closing = w.load(Ordering::Acquire) == CLOSING;
                while let Some(e) = q.pop() {
                    out.event(e);
                }
                let lost = d.swap(0, Ordering::AcqRel);
                if lost > 0 {
                    out.dropped(lost);
                }
                out.flush(closing);
                if closing {
                    w.store(CLOSED, Ordering::Release);
                    return;
                }
                std::thread::sleep(Duration::from_millis(5));
            })?;
        Ok(TraceSink {
            queue,
            dropped,
            writer,
        })
    }

    /// Writes every event pushed so far (the VCD's held ones too) and stops the writer; waits
    /// for it at most `timeout`. Events pushed later are not written.
    pub fn finish(&self, timeout: Duration) {
        self.writer.store(CLOSING, Ordering::Release);
        let start = std::time::Instant::now();
        while self.writer.load(Ordering::Acquire) != CLOSED && start.elapsed() < timeout {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn push(&self, e: Event) {
        if self.queue.push(e).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn write_row(out: &mut impl Write, e: Event, load_ohms: u32) -> std::io::Result<()> {
    match e.kind {
        Kind::Dac => {
            let ua = e.microamps;
            let mv = i64::from(ua) * i64::from(load_ohms) / 1000;
            writeln!(out, "{},dac,{},{},{ua},{mv}", e.t_ns, e.channel, e.code)
        }
        Kind::Enable => writeln!(out, "{},enable,,{},,", e.t_ns, e.code),
        Kind::Contact => writeln!(out, "{},contact,{},{},,", e.t_ns, e.channel, e.code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_carry_current_and_load_voltage() {
        let mut out = Vec::new();
        write_row(&mut out, Event::dac(5, 1, 4095, 100_000), 1_000).unwrap();
        write_row(&mut out, Event::enable(6, false), 1_000).unwrap();
        write_row(&mut out, Event::contact(7, 1, false), 1_000).unwrap();
        // full scale: 100 mA through 1 kΩ is 100 V
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "5,dac,1,4095,100000,100000\n6,enable,,0,,\n7,contact,1,0,,\n"
        );
    }

    #[test]
    fn the_extension_names_the_format() {
        for (name, want) in [
            ("t.csv", TraceFormat::Csv),
            ("dir.d/T.VCD", TraceFormat::Vcd),
            ("t.vcd.txt", TraceFormat::Csv),
            ("t", TraceFormat::Csv),
            ("vcd", TraceFormat::Csv),
        ] {
            assert_eq!(TraceFormat::for_path(Path::new(name)), want, "{name}");
        }
    }
}
