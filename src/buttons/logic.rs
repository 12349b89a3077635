//! What the raw edges of the push buttons mean: debouncing and short and long presses. Pure:
//! edges and the time come in, actions go out, so every case is tested without hardware.
//!
//! - stop acts on its first press edge, without waiting for the line to settle (a bounce can
//!   only repeat an idempotent stop, and it is not repeated until the button was released);
//! - up and down act once the press has held still for the debounce time;
//! - down held for the long-press time brings every channel to zero, once per press.

use crate::board::{Button, ButtonEdge};

/// How long a press must hold still, and how long a long press is (from `[buttons]` in the
/// configuration, in ms there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ButtonSettings {
    /// How long up or down must stay pressed without bouncing before it acts (ns).
    pub debounce_ns: u64,
    /// How long down must be held to bring every channel to zero (ns).
    pub long_press_ns: u64,
}

/// What a press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Emergency stop.
    Stop,
    /// Step the selected channels by this many steps.
    Step(i32),
    /// Every channel to zero.
    AllZero,
}

#[derive(Debug, Clone, Copy, Default)]
struct LineState {
    /// The line as last reported, bounces included, and since when.
    raw: bool,
    raw_since: u64,
    /// The debounced state.
    stable: bool,
    /// This press has already acted (stop) or gone long (down).
    done: bool,
}

/// The three buttons' states between edges: feed it edges and the time, it answers actions.
#[derive(Debug, Clone)]
pub struct ButtonLogic {
    settings: ButtonSettings,
    lines: [LineState; 3],
}

fn index(b: Button) -> usize {
    match b {
        Button::Up => 0,
        Button::Down => 1,
        Button::Stop => 2,
    }
}

impl ButtonLogic {
    /// Every button released.
    pub fn new(settings: ButtonSettings) -> ButtonLogic {
        ButtonLogic {
            settings,
            lines: [LineState::default(); 3],
        }
    }

    /// A raw edge. Returns the stop action at once for a stop press.
    pub fn on_edge(&mut self, e: ButtonEdge) -> Option<Action> {
        let l = &mut self.lines[index(e.button)];
        if e.pressed != l.raw {
            l.raw = e.pressed;
            l.raw_since = e.t_ns;
        }
        if e.button == Button::Stop && e.pressed && !l.done {
            l.done = true;
            return Some(Action::Stop);
        }
        None
    }

    /// The actions due at `now`: presses that have settled, and a long press on down.
    pub fn poll(&mut self, now: u64) -> Vec<Action> {
        let s = self.settings;
        let mut out = Vec::new();
        for b in Button::ALL {
            let l = &mut self.lines[index(b)];
            if l.raw != l.stable && now.saturating_sub(l.raw_since) >= s.debounce_ns {
                l.stable = l.raw;
                match (b, l.stable) {
                    (Button::Up, true) => out.push(Action::Step(1)),
                    (Button::Down, true) => {
                        l.done = false;
                        out.push(Action::Step(-1));
                    }
                    _ => {}
                }
            }
            // Stop is ready again once released and still, even after a tap too short to
            // have settled as a press.
            if b == Button::Stop
                && l.done
                && !l.raw
                && now.saturating_sub(l.raw_since) >= s.debounce_ns
            {
                l.done = false;
            }
            if b == Button::Down
                && l.stable
                && l.raw
                && !l.done
                && now.saturating_sub(l.raw_since) >= s.long_press_ns
            {
                l.done = true;
                out.push(Action::AllZero);
            }
        }
        out
    }

    /// When `poll` may next have something to do, if anything is pending.
    pub fn next_deadline(&self) -> Option<u64> {
        let s = self.settings;
        Button::ALL
            .into_iter()
            .filter_map(|b| {
                let l = &self.lines[index(b)];
                if l.raw != l.stable || (b == Button::Stop && l.done && !l.raw) {
                    Some(l.raw_since + s.debounce_ns)
                } else if b == Button::Down && l.stable && !l.done {
                    Some(l.raw_since + s.long_press_ns)
                } else {
                    None
                }
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    fn logic() -> ButtonLogic {
        ButtonLogic::new(ButtonSettings {
            debounce_ns: 30 * MS,
            long_press_ns: 1_500 * MS,
        })
    }

    fn edge(button: Button, pressed: bool, ms: u64) -> ButtonEdge {
        ButtonEdge {
            button,
            pressed,
            t_ns: ms * MS,
        }
    }

    /// Feeds edges and polls every millisecond up to `until_ms`; returns (ms, action).
    fn run(l: &mut ButtonLogic, edges: &[ButtonEdge], until_ms: u64) -> Vec<(u64, Action)> {
        let mut out = Vec::new();
        for ms in 0..=until_ms {
            for e in edges.iter().filter(|e| e.t_ns == ms * MS) {
                if let Some(a) = l.on_edge(*e) {
                    out.push((ms, a));
                }
            }
            out.extend(l.poll(ms * MS).into_iter().map(|a| (ms, a)));
        }
        out
    }

    #[test]
    fn a_bouncing_press_steps_once_after_it_settles() {
        use Button::Up;
        let mut l = logic();
        let edges = [
            edge(Up, true, 10),
            edge(Up, false, 11),
            edge(Up, true, 13),
            edge(Up, false, 14),
            edge(Up, true, 15),
            edge(Up, false, 200),
            edge(Up, true, 201),
            edge(Up, false, 203),
        ];
        // Settled pressed at 15 + 30 ms; the release bounce at 200..203 is a release.
        assert_eq!(run(&mut l, &edges, 400), vec![(45, Action::Step(1))]);
    }

    #[test]
    fn a_glitch_shorter_than_the_debounce_does_nothing() {
        let mut l = logic();
        let edges = [edge(Button::Up, true, 10), edge(Button::Up, false, 25)];
        assert!(run(&mut l, &edges, 200).is_empty());
        assert_eq!(l.next_deadline(), None);
    }

    #[test]
    fn stop_acts_on_the_first_edge_once_per_press() {
        use Button::Stop;
        let mut l = logic();
        let edges = [
            edge(Stop, true, 10),
            edge(Stop, false, 11),
            edge(Stop, true, 12),
            edge(Stop, false, 100),
            edge(Stop, true, 300),
        ];
        assert_eq!(
            run(&mut l, &edges, 400),
            vec![(10, Action::Stop), (300, Action::Stop)]
        );
    }

    #[test]
    fn stop_after_a_quick_tap_still_acts() {
        use Button::Stop;
        let mut l = logic();
        let edges = [
            edge(Stop, true, 10),
            edge(Stop, false, 12),
            edge(Stop, true, 100),
        ];
        assert_eq!(
            run(&mut l, &edges, 200),
            vec![(10, Action::Stop), (100, Action::Stop)]
        );
    }

    #[test]
    fn a_long_press_on_down_steps_then_zeroes_once() {
        use Button::Down;
        let mut l = logic();
        let edges = [
            edge(Down, true, 0),
            edge(Down, false, 3_000),
            edge(Down, true, 3_100),
            edge(Down, false, 3_200),
        ];
        assert_eq!(
            run(&mut l, &edges, 4_000),
            vec![
                (30, Action::Step(-1)),
                (1_500, Action::AllZero),
                (3_130, Action::Step(-1)),
            ]
        );
    }

    #[test]
    fn the_next_deadline_is_the_settling_or_the_long_press() {
        let mut l = logic();
        assert_eq!(l.next_deadline(), None);
        l.on_edge(edge(Button::Down, true, 100));
        assert_eq!(l.next_deadline(), Some(130 * MS));
        l.poll(130 * MS);
        assert_eq!(l.next_deadline(), Some(1_600 * MS));
        l.poll(1_600 * MS);
        assert_eq!(l.next_deadline(), None);
    }
}
