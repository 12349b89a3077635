//! The sim board's trace: every DAC code change and every output-enable change, timestamped
//! with the monotonic clock, written as CSV by a thread of its own.
//!
//! Columns: `t_ns,event,channel,code,microamps,millivolts`. `dac` rows carry the channel, the
//! code, the current the modelled output stage drives at that code (code → ideal current →
//! the channel's gain and offset error, `[sim] analog_*`; computed where the code is latched)
//! and the voltage that current develops across the modelled electrode load; `enable` rows
//! carry 1 or 0 in `code` (output stage on or cut); `contact` rows carry the channel and 1 or
//! 0 (pads put on or taken off).
//! Pushing an event is lock-free and allocation-free, so the engine may do it.

use crossbeam_queue::ArrayQueue;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CAPACITY: usize = 1 << 16;

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
}

impl TraceSink {
    /// Creates the file and starts the writer thread.
    pub fn create(path: &Path, load_ohms: u32) -> std::io::Result<TraceSink> {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        writeln!(out, "t_ns,event,channel,code,microamps,millivolts")?;
        out.flush()?;
        let queue = Arc::new(ArrayQueue::new(CAPACITY));
        let dropped = Arc::new(AtomicU64::new(0));
        let (q, d) = (queue.clone(), dropped.clone());
        std::thread::Builder::new()
            .name("sim-trace".into())
            .spawn(move || loop {
                while let Some(e) = q.pop() {
                    let _ = write_row(&mut out, e, load_ohms);
                }
                let lost = d.swap(0, Ordering::AcqRel);
                if lost > 0 {
                    let _ = writeln!(out, "{},dropped,,{lost},,", crate::clock::now_ns());
                }
                let _ = out.flush();
                std::thread::sleep(Duration::from_millis(5));
            })?;
        Ok(TraceSink { queue, dropped })
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
}
