//! The sim board's trace as a Value Change Dump (IEEE 1364 §18) for waveform viewers such as
//! GTKWave and PulseView: the same events as the CSV trace, as signals.
//!
//! Signals, all in the scope `stimd` (flat, so every name is unique, as PulseView wants):
//! - `enable` (1 bit): the output stage passes current (HV on and the interlock fresh);
//! - per channel N: `chN_dac_code` (12-bit vector; 2048 is mid-scale, 0 mA on an ideal
//!   output stage), `chN_current_mA` (real, **milliamperes**: the current the modelled output
//!   stage drives at the code, with `[sim] analog_*` errors; phases signed), `chN_voltage_V` (real, volts across the modelled electrode load),
//!   `chN_pads_on` (1 bit: the pads are on the skin, as `Sim.SetContact` sets them) and
//!   `chN_contact` (1 bit: the current-sense comparator line, high while current flows: pads
//!   on, output stage enabled and more than half a DAC step of current, as at any code but the
//!   modelled rest code).
//!
//! Time is `$timescale 1 ns` and **relative**: time 0 is the moment the trace was opened (the
//! power-on state: DAC at mid-scale, pads on, output off). The header's `$comment` gives that
//! moment on the monotonic clock, the clock of the CSV trace's `t_ns` and of stimd's own
//! timestamps: add it to a VCD time to compare.
//!
//! Events come from several threads (the engine's DAC writes, the hardware model's enable
//! changes — an interlock cut is dated when the monostable ran out, up to a poll later —, the
//! `Sim` interface's pads), so they reach the queue slightly out of order. A VCD's times must
//! not go backwards: events are held [`HOLD_NS`] and written in time order; one later still is
//! written at the time already reached. This runs on the trace's writer thread only, never on
//! the real-time path; it allocates and sorts freely.

use super::trace::{Event, Kind};
use super::MID;
use crate::board::dac::mcp4922::BITS;
use std::io::{self, Write};
use vcd::{IdCode, SimulationCommand, TimescaleUnit, Value};

/// How long an event is held before it is written, so that late arrivals from other threads
/// still go in their place (ns).
pub const HOLD_NS: u64 = 50_000_000;

/// Half a step of the MCP4922's 12 bits over ±100 mA, µA: the most current the rest code
/// leaves flowing on a calibrated stage.
const HALF_STEP_UA: u32 = 24;

/// The sim board's DAC channels.
const CHANNELS: usize = 2;

/// One channel's signal ids.
struct ChannelIds {
    code: IdCode,
    current: IdCode,
    voltage: IdCode,
    pads_on: IdCode,
    contact: IdCode,
}

/// What the lines show now, to write only changes (and derive the contact line).
#[derive(Clone, Copy)]
struct ChannelState {
    code: u16,
    /// The current the modelled output stage drives at `code` (the event's), µA.
    microamps: i32,
    pads_on: bool,
    contact: bool,
}

/// A VCD being written: the header at once, then each event in time order.
pub struct VcdOut<W: Write> {
    w: vcd::Writer<W>,
    t0_ns: u64,
    load_ohms: u32,
    enable_id: IdCode,
    ids: Vec<ChannelIds>,
    enable: bool,
    ch: [ChannelState; CHANNELS],
    pending: Vec<Event>,
    /// The last time written, relative to `t0_ns`.
    at: u64,
}

impl<W: Write> VcdOut<W> {
    /// Writes the header and the power-on values at time 0 = `t0_ns` (monotonic).
    pub fn new(out: W, t0_ns: u64, load_ohms: u32) -> io::Result<VcdOut<W>> {
        let mut w = vcd::Writer::new(out);
        w.version(concat!("stimd ", env!("CARGO_PKG_VERSION"), " (sim board)"))?;
        w.comment(&format!(
            "time 0 is {t0_ns} ns on the monotonic clock (CLOCK_MONOTONIC, the CSV trace's \
             t_ns): add it to a time here. Currents in mA, voltages in V across a {load_ohms} \
             ohm load; DAC codes {BITS} bits, {MID} = 0 mA on an ideal output stage (the \
             currents are the modelled stage's)."
        ))?;
        w.timescale(1, TimescaleUnit::NS)?;
        w.add_module("stimd")?;
        let enable_id = w.add_wire(1, "enable")?;
        let mut ids = Vec::with_capacity(CHANNELS);
        for n in 0..CHANNELS {
            ids.push(ChannelIds {
                code: w.add_wire(BITS, &format!("ch{n}_dac_code"))?,
                current: w.add_var(vcd::VarType::Real, 64, &format!("ch{n}_current_mA"), None)?,
                voltage: w.add_var(vcd::VarType::Real, 64, &format!("ch{n}_voltage_V"), None)?,
                pads_on: w.add_wire(1, &format!("ch{n}_pads_on"))?,
                contact: w.add_wire(1, &format!("ch{n}_contact"))?,
            });
        }
        w.upscope()?;
        w.enddefinitions()?;
        let power_on = ChannelState {
            code: MID,
            microamps: 0,
            pads_on: true,
            contact: false,
        };
        let mut v = VcdOut {
            w,
            t0_ns,
            load_ohms,
            enable_id,
            ids,
            enable: false,
            ch: [power_on; CHANNELS],
            pending: Vec::new(),
            at: 0,
        };
        v.w.timestamp(0)?;
        v.w.begin(SimulationCommand::Dumpvars)?;
        v.w.change_scalar(enable_id, false)?;
        for n in 0..CHANNELS {
            v.write_code(n)?;
            v.w.change_scalar(v.ids[n].pads_on, true)?;
            v.w.change_scalar(v.ids[n].contact, false)?;
        }
        v.w.end()?;
        Ok(v)
    }

    /// Takes an event; it is written by the first [`VcdOut::write_due`] after its hold.
    pub fn push(&mut self, e: Event) {
        self.pending.push(e);
    }

    /// Writes, in time order, every held event at least [`HOLD_NS`] older than `now_ns`, then
    /// flushes.
    pub fn write_due(&mut self, now_ns: u64) -> io::Result<()> {
        self.pending.sort_by_key(|e| e.t_ns);
        let due = self
            .pending
            .partition_point(|e| e.t_ns.saturating_add(HOLD_NS) <= now_ns);
        let events: Vec<Event> = self.pending.drain(..due).collect();
        for e in events {
            self.write_event(e)?;
        }
        self.w.flush()
    }

    /// Writes every held event, then the time `now_ns` as the dump's end (so that a viewer
    /// shows the last values for as long as they lasted), and flushes.
    pub fn finish(&mut self, now_ns: u64) -> io::Result<()> {
        self.write_due(u64::MAX)?;
        let end = now_ns.saturating_sub(self.t0_ns);
        if end > self.at {
            self.w.timestamp(end)?;
            self.at = end;
        }
        self.w.flush()
    }

    /// Notes in the dump that `lost` events did not fit in the queue.
    pub fn dropped(&mut self, lost: u64) -> io::Result<()> {
        self.w
            .comment(&format!("dropped {lost} events: the trace queue was full"))
    }

    fn write_event(&mut self, e: Event) -> io::Result<()> {
        let t = e.t_ns.saturating_sub(self.t0_ns).max(self.at);
        if t != self.at {
            self.w.timestamp(t)?;
            self.at = t;
        }
        let n = usize::from(e.channel);
        match e.kind {
            Kind::Enable => {
                self.enable = e.code != 0;
                self.w.change_scalar(self.enable_id, self.enable)?;
            }
            Kind::Dac
                if n < CHANNELS
                    && (self.ch[n].code, self.ch[n].microamps) != (e.code, e.microamps) =>
            {
                self.ch[n].code = e.code;
                self.ch[n].microamps = e.microamps;
                self.write_code(n)?;
            }
            Kind::Contact if n < CHANNELS => {
                self.ch[n].pads_on = e.code != 0;
                self.w.change_scalar(self.ids[n].pads_on, e.code != 0)?;
            }
            Kind::Dac | Kind::Contact => {}
        }
        // The comparator line follows from the rest.
        for n in 0..CHANNELS {
            let c = self.ch[n];
            let contact = self.enable && c.pads_on && c.microamps.unsigned_abs() > HALF_STEP_UA;
            if contact != c.contact {
                self.ch[n].contact = contact;
                self.w.change_scalar(self.ids[n].contact, contact)?;
            }
        }
        Ok(())
    }

    /// Writes channel `n`'s code, current and voltage.
    fn write_code(&mut self, n: usize) -> io::Result<()> {
        let code = self.ch[n].code;
        let bits = (0..BITS)
            .rev()
            .map(|b| Value::from(code >> b & 1 == 1))
            .collect::<Vec<_>>();
        self.w.change_vector(self.ids[n].code, bits)?;
        let ua = self.ch[n].microamps;
        self.w
            .change_real(self.ids[n].current, f64::from(ua) / 1e3)?;
        let volts = f64::from(ua) * f64::from(self.load_ohms) / 1e6;
        self.w.change_real(self.ids[n].voltage, volts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The current an ideal board drives at `code`, µA.
    fn microamps_for(code: u16) -> i32 {
        crate::board::dac::Transfer::IDEAL.microamps(code, BITS)
    }
    use vcd::{Command, Parser};

    fn vcd_of(events: &[Event], now_ns: u64) -> String {
        let mut out = VcdOut::new(Vec::new(), 1_000, 1_000).unwrap();
        for &e in events {
            out.push(e);
        }
        out.write_due(now_ns).unwrap();
        String::from_utf8(out.w.writer().clone()).unwrap()
    }

    /// The value changes after the header as (time, signal name, value in words).
    fn changes(text: &str) -> Vec<(u64, String, String)> {
        let mut p = Parser::new(text.as_bytes());
        let header = p.parse_header().unwrap();
        let name = |id: IdCode| {
            header
                .items
                .iter()
                .find_map(|i| match i {
                    vcd::ScopeItem::Scope(s) => s.items.iter().find_map(|v| match v {
                        vcd::ScopeItem::Var(v) if v.code == id => Some(v.reference.clone()),
                        _ => None,
                    }),
                    _ => None,
                })
                .unwrap()
        };
        let mut t = 0;
        let mut out = Vec::new();
        for c in p {
            match c.unwrap() {
                Command::Timestamp(x) => t = x,
                Command::ChangeScalar(id, v) => out.push((t, name(id), v.to_string())),
                Command::ChangeVector(id, v) => out.push((t, name(id), v.to_string())),
                Command::ChangeReal(id, v) => out.push((t, name(id), v.to_string())),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn a_pulse_with_the_output_enabled_in_time_order() {
        let top = 2048 + 1000; // +48.851 mA
        let events = [
            // Out of order, as two threads would push them.
            Event::dac(3_000, 0, top, microamps_for(top)),
            Event::enable(2_000, true),
            Event::dac(3_200, 0, 2048, microamps_for(2048)),
            Event::contact(4_000, 1, false),
            // Not yet due: held.
            Event::enable(HOLD_NS + 10_000, false),
        ];
        let text = vcd_of(&events, HOLD_NS + 5_000);
        assert!(text.contains("$timescale 1 ns $end"), "{text}");
        assert!(text.contains("time 0 is 1000 ns"), "{text}");
        let c = changes(&text);
        let at = |t: u64| {
            c.iter()
                .filter(|x| x.0 == t)
                .map(|x| format!("{}={}", x.1, x.2))
                .collect::<Vec<_>>()
        };
        assert!(at(0).contains(&"enable=0".to_string()), "{c:?}");
        assert!(at(0).contains(&"ch1_dac_code=100000000000".to_string()));
        assert_eq!(at(1_000), ["enable=1"]);
        assert_eq!(
            at(2_000),
            [
                "ch0_dac_code=101111101000",
                "ch0_current_mA=48.851",
                "ch0_voltage_V=48.851",
                "ch0_contact=1"
            ]
        );
        assert_eq!(
            at(2_200),
            [
                "ch0_dac_code=100000000000",
                "ch0_current_mA=0",
                "ch0_voltage_V=0",
                "ch0_contact=0"
            ]
        );
        assert_eq!(at(3_000), ["ch1_pads_on=0"]);
        assert!(c.iter().all(|x| x.0 <= 3_000), "the held event: {c:?}");
        let times: Vec<u64> = c.iter().map(|x| x.0).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn a_late_event_is_written_at_the_time_reached() {
        let mut out = VcdOut::new(Vec::new(), 0, 1_000).unwrap();
        out.push(Event::enable(5_000, true));
        out.write_due(HOLD_NS + 5_000).unwrap();
        out.push(Event::contact(4_000, 0, false));
        out.dropped(3).unwrap();
        out.write_due(HOLD_NS + 9_000).unwrap();
        out.finish(7_000).unwrap();
        out.finish(6_000).unwrap();
        let text = String::from_utf8(out.w.writer().clone()).unwrap();
        assert!(text.contains("dropped 3 events"), "{text}");
        let c = changes(&text);
        assert_eq!(
            c.last().unwrap(),
            &(5_000, "ch0_pads_on".into(), "0".into())
        );
    }
}
