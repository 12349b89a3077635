//! What `watch` shows: on a terminal, a block redrawn in place (per channel an intensity bar
//! with its target marked, contact; the segment, time left, battery, why it is paused); else
//! one plain line per change (no escape codes); with `--json` one object per line. Nothing
//! is printed twice in a row; a `Notice` goes above the block.

use crate::device::{battery_word, contact_word, paused_line};
use crate::json;
use crate::say::{clean, milliamps, n, s, text, text_args};
use crate::snapshot::Snapshot;
use serde_json::json;
use std::io::{IsTerminal, Write};

/// Cells in an intensity bar.
const BAR: usize = 24;

pub struct View {
    json: bool,
    terminal: bool,
    /// What was printed last, and over how many lines (to redraw a terminal in place).
    last: String,
    lines: usize,
}

impl View {
    pub fn new(json: bool) -> View {
        View {
            json,
            terminal: !json && std::io::stdout().is_terminal(),
            last: String::new(),
            lines: 0,
        }
    }

    fn emit(&mut self, text: String) {
        if text == self.last {
            return;
        }
        let mut out = std::io::stdout().lock();
        if self.terminal && self.lines > 0 {
            // Up to the block's first line, then clear to the end of the screen.
            let _ = write!(out, "\x1b[{}F\x1b[J", self.lines);
        }
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
        self.lines = text.lines().count();
        self.last = text;
    }

    pub fn draw(&mut self, snap: &Snapshot) {
        let text = if self.json {
            let doc = json!({
                "event": "update",
                "state": snap.state(),
                "battery_percent": snap.battery_json(),
                "session": snap.session_json(),
            });
            serde_json::to_string(&doc).unwrap_or_default()
        } else if self.terminal {
            block(snap)
        } else {
            line(snap)
        };
        self.emit(text);
    }

    /// A `Notice` from stimd, printed as it sent it (control characters replaced), above the
    /// block on a terminal.
    pub fn notice(&mut self, message: &str) {
        if self.json {
            json::print(&json!({"event": "notice", "message": message}), false);
            return;
        }
        println!(
            "{}",
            text_args("watch-notice", &[("message", s(&clean(message)))])
        );
        // The block is drawn again below the notice.
        self.lines = 0;
        self.last.clear();
    }

    /// The session ended (`reason` empty when its `Ended` signal never came).
    pub fn end(&mut self, id: u64, reason: &str) {
        if self.json {
            json::print(
                &json!({"event": "ended", "id": id, "reason": reason}),
                false,
            );
            return;
        }
        self.lines = 0;
        println!(
            "{}",
            text_args(
                "watch-ended",
                &[("id", n(id as f64)), ("reason", s(&reason_word(reason)))]
            )
        );
    }
}

/// An `Ended` reason in words.
pub fn reason_word(reason: &str) -> String {
    match reason {
        "" => text("ended-unknown"),
        "completed" | "stopped" | "emergency_stop" | "keepalive_lost" | "contact_lost"
        | "battery_low" | "bus_lost" | "interrupted" => text(&format!("ended-{reason}")),
        other => match other.strip_prefix("fault:") {
            Some(code) => text_args("ended-fault", &[("code", s(&clean(code)))]),
            None => clean(other),
        },
    }
}

fn clock(seconds: u32) -> String {
    format!("{}:{:02}", seconds / 60, seconds % 60)
}

/// The header: program, segment, time left, battery.
fn header(snap: &Snapshot) -> String {
    text_args(
        "watch-header",
        &[
            ("id", n(snap.id() as f64)),
            ("program", s(&clean(&snap.session_text("Program")))),
            ("segment", s(&clean(&snap.session_text("Segment")))),
            ("remaining", s(&clock(snap.seconds("Remaining")))),
            ("battery", s(&battery_word(snap.battery()))),
        ],
    )
}

/// Per channel: (level, target, contact).
fn channels(snap: &Snapshot) -> Vec<(u32, u32, String)> {
    let (target, contact) = (snap.levels("Target"), snap.contact());
    snap.levels("Intensity")
        .iter()
        .enumerate()
        .map(|(ch, &a)| {
            (
                a,
                target.get(ch).copied().unwrap_or(0),
                contact_word(contact.get(ch).map_or("unknown", |c| c)),
            )
        })
        .collect()
}

fn channel_text(ch: usize, (level, target, contact): &(u32, u32, String)) -> String {
    text_args(
        "watch-channel",
        &[
            ("channel", n(ch as u32)),
            ("level", s(&milliamps(*level))),
            ("target", s(&milliamps(*target))),
            ("contact", s(contact)),
        ],
    )
}

/// The bar: `level` filled, `target` marked with `│`, over `scale` µA.
fn bar(level: u32, target: u32, scale: u32) -> String {
    let cell = |ua: u32| ((u64::from(ua) * BAR as u64) / u64::from(scale.max(1))) as usize;
    let filled = cell(level).min(BAR);
    let mark = cell(target).min(BAR - 1);
    (0..BAR)
        .map(|i| match i {
            i if i == mark && target > 0 => '│',
            i if i < filled => '█',
            _ => '░',
        })
        .collect()
}

fn block(snap: &Snapshot) -> String {
    let chans = channels(snap);
    // The bars' full scale: the highest level or target, rounded up to 10 mA.
    let top = chans.iter().map(|c| c.0.max(c.1)).max().unwrap_or(0);
    let scale = top.div_ceil(10_000).max(1) * 10_000;
    let mut out = vec![header(snap)];
    for (ch, c) in chans.iter().enumerate() {
        out.push(format!("{} {}", bar(c.0, c.1, scale), channel_text(ch, c)));
    }
    if let Some(p) = snap.paused() {
        out.push(paused_line(&p));
    }
    out.join("\n")
}

fn line(snap: &Snapshot) -> String {
    let mut parts = vec![header(snap)];
    parts.extend(
        channels(snap)
            .iter()
            .enumerate()
            .map(|(ch, c)| channel_text(ch, c)),
    );
    if let Some(p) = snap.paused() {
        parts.push(paused_line(&p));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_to_the_level_and_marks_the_target() {
        assert_eq!(bar(0, 0, 10_000), "░".repeat(BAR));
        let b: Vec<char> = bar(5_000, 10_000, 20_000).chars().collect();
        assert_eq!(b.iter().filter(|&&c| c == '█').count(), 6);
        assert_eq!(b[12], '│');
        assert_eq!(bar(30_000, 30_000, 10_000).chars().last(), Some('│'));
    }
}
