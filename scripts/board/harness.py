#!/usr/bin/env python3
"""The host side of scripts/board-test.sh: boots the emulated board, answers the guest, checks
QEMU's trace of the PL061 outputs.

Each boot runs qemu-system-aarch64 (TCG) with the serial console on a pipe, QEMU's qtest socket
(to drive the PL061 input lines) and a QMP socket (to find the PL061 in QEMU's object tree),
and the `pl061_set_output` trace event, timestamped, in a file. The guest's /init
(scripts/board/init.sh) prints `BOARD ...` lines: results, figures, marks (stamped here with
the host's clock, the clock of the trace) and requests to drive a line. After the boot, the
trace is decoded: SPI frames from SCK/MOSI/CS (mode 0, MSB first) as MCP4922 commands, HV
enable, the interlock. Timing is checked with wide tolerances (TCG is not real time) and
printed as figures. Python's standard library only.

STIMD_BOARD_CPU replaces the guest's clock options (`-icount shift=2,sleep=off`: the guest's
clock runs by instruction count, so the host's load cannot stall it); STIMD_BOARD_TIMEOUT_S
the time a boot may take (300 s).
"""

import argparse
import bisect
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

# PL061 lines (examples/board-qemu-virt.toml, scripts/board/board.dtsi).
SCK, MOSI, CS, HV, INTERLOCK = 0, 1, 2, 3, 4
# The MCP4922's codes (src/board/dac/mod.rs): mid-scale is 0 mA, ±2047 steps over ±100 mA.
MID, STEPS, FULL_SCALE_UA = 2048, 2047, 100_000
# The guest's session: low-back (conventional, 80 Hz, 200 µs phases) at 6 mA on both channels.
# (Phase widths are not checked here: the interlock's 500 µs edges are too coarse a clock for
# them; the sim board's tests check them.)
TARGET_UA = 6000
RATE_HZ = 80.0
BOOT_TIMEOUT_S = int(os.environ.get("STIMD_BOARD_TIMEOUT_S", "300"))

TRACE_RE = re.compile(r"^\d+@(\d+)\.(\d+):pl061_set_output \S+ setting output (\d+) to (\d+)")


def code_for(ua):
    """The DAC code for a current (as src/board/dac/mod.rs::code_for, rounding towards zero)."""
    return MID + int(ua * STEPS / FULL_SCALE_UA)


class Results:
    """What the guest and the host's checks said."""

    def __init__(self):
        self.ok, self.failed, self.figures = [], [], []

    def check(self, name, passed, why=""):
        (self.ok if passed else self.failed).append(name if passed else f"{name}: {why}")
        if not passed:
            print(f"board-test: FAIL {name}: {why}", file=sys.stderr)

    def figure(self, name, value):
        self.figures.append((name, value))


class Qmp:
    """A QMP client: enough to look the PL061 up in QEMU's object tree."""

    def __init__(self, path):
        self.sock = connect(path)
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # greeting
        self.call("qmp_capabilities")

    def call(self, command, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(f"QMP {command}: {reply['error']}")

    def find(self, type_name, root="/machine"):
        """The QOM path of the first object of `type_name` under `root` (two levels deep)."""
        for entry in self.call("qom-list", path=root):
            if entry["type"] == f"child<{type_name}>":
                return f"{root}/{entry['name']}"
        for entry in self.call("qom-list", path=root):
            if entry["type"].startswith("child<") and entry["name"] in ("unattached", "peripheral", "peripheral-anon"):
                found = self.find(type_name, f"{root}/{entry['name']}")
                if found:
                    return found
        return None


def connect(path, deadline_s=30):
    end = time.time() + deadline_s
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.time() > end:
                raise
            time.sleep(0.05)


class Boot:
    """One boot of the emulated board, and what happened in it."""

    def __init__(self, args, name, initramfs, dtb, results):
        self.name, self.results = name, results
        run = args.run
        self.trace_path = f"{run}/trace-{name}.log"
        self.console_path = f"{run}/console-{name}.log"
        qtest, qmp = f"{run}/qtest-{name}.sock", f"{run}/qmp-{name}.sock"
        for p in (self.trace_path, qtest, qmp):
            if os.path.exists(p):
                os.unlink(p)
        self.cmd = (
            ["qemu-system-aarch64"]
            + os.environ["BOARD_QEMU_MACHINE"].split()
            + ["-accel", "tcg", "-display", "none", "-monitor", "none",
               "-serial", "stdio", "-no-reboot", "-nic", "none",
               "-kernel", args.kernel, "-initrd", initramfs, "-dtb", dtb,
               "-append", "console=ttyAMA0 loglevel=3 panic=-1",
               "-trace", f"enable=pl061_set_output,file={self.trace_path}", "-msg", "timestamp=on",
               "-qtest", f"unix:{qtest},server=on,wait=off",
               "-qmp", f"unix:{qmp},server=on,wait=off"]
            + os.environ.get("STIMD_BOARD_CPU", "-icount shift=2,sleep=off").split()
        )
        self.qtest_path, self.qmp_path = qtest, qmp
        self.marks, self.drives = {}, []
        self.done = False

    def run(self):
        t0 = time.time()
        with open(self.console_path, "w") as console:
            qemu = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True, errors="replace")
            try:
                self.pl061 = Qmp(self.qmp_path).find("pl061")
                if not self.pl061:
                    raise RuntimeError("no pl061 in QEMU's object tree")
                qtest = connect(self.qtest_path)
                self.qtest = qtest.makefile("rw")
                reader = threading.Thread(target=self.read_console, args=(qemu.stdout, console))
                reader.start()
                reader.join(BOOT_TIMEOUT_S)
                if reader.is_alive():
                    self.results.check(f"{self.name}_boot_finishes", False,
                                       f"no end after {BOOT_TIMEOUT_S} s; console: {self.console_path}")
                    qemu.kill()
                    reader.join(10)
                qemu.wait(30)
            finally:
                if qemu.poll() is None:
                    qemu.kill()
                    qemu.wait()
        self.results.figure(f"boot_{self.name}_s", f"{time.time() - t0:.1f}")
        self.results.check(f"{self.name}_guest_done", self.done, f"the guest did not finish; console: {self.console_path}")

    def read_console(self, stream, console):
        for raw in stream:
            now = time.time()
            line = raw.rstrip("\r\n")
            console.write(f"{now:.6f} {line}\n")
            i = line.find("BOARD ")
            if i < 0:
                continue
            words = line[i + 6:].split(" ", 2)
            kind = words[0]
            if kind == "ok":
                self.results.check(f"{self.name}:{words[1]}", True)
            elif kind == "fail":
                self.results.check(f"{self.name}:{words[1].rstrip(':')}", False, " ".join(words[2:]))
            elif kind == "figure":
                self.results.figure(words[1], words[2] if len(words) > 2 else "")
            elif kind == "mark":
                self.marks[words[1]] = now
            elif kind == "host" and words[1] == "set":
                offset, level = words[2].split()
                self.drive(int(offset), int(level))
            elif kind == "info":
                print(f"board-test: {self.name}: {' '.join(words[1:])}", file=sys.stderr)
            elif kind == "done":
                self.done = True

    def drive(self, offset, level):
        t = time.time()
        self.qtest.write(f"set_irq_in {self.pl061} unnamed-gpio-in {offset} {level}\n")
        self.qtest.flush()
        reply = self.qtest.readline().strip()
        if not reply.startswith("OK"):
            self.results.check(f"{self.name}:qtest_set_{offset}_{level}", False, reply)
        self.drives.append((t, offset, level))

    # --- the trace -------------------------------------------------------------------------

    def load_trace(self):
        """Every output change, in order: (time s, line, level)."""
        events = []
        with open(self.trace_path) as f:
            for line in f:
                m = TRACE_RE.match(line)
                if m:
                    events.append((int(m[1]) + int(m[2]) / 1e6, int(m[3]), int(m[4])))
        self.events = events
        self.frames = decode_spi(events)
        self.results.figure(f"trace_events_{self.name}", len(events))
        self.results.figure(f"spi_frames_{self.name}", len(self.frames))

    def edges(self, line, a, b):
        return [t for t, ln, _ in self.events if ln == line and a <= t < b]

    def level_at(self, line, t):
        level = 0
        for te, ln, lv in self.events:
            if te > t:
                break
            if ln == line:
                level = lv
        return level

    def frames_in(self, a, b, channel=None):
        return [f for f in self.frames if a <= f[0] < b and (channel is None or f[1] == channel)]

    def window(self, name):
        """A window between two marks, or None (and a failed check) if the guest never ran it."""
        a, b = self.marks.get(f"{name}_begin"), self.marks.get(f"{name}_end")
        if a is None or b is None or b < a:
            self.results.check(f"{self.name}:{name}_window", False, "the guest did not run this window to its end")
            return None
        return a, b


def decode_spi(events):
    """The 16-bit words the DAC would receive: (start s, channel, code, raw word, bits)."""
    level = {SCK: 0, MOSI: 0, CS: 0}
    frames, bits, start = [], None, 0.0
    for t, line, lv in events:
        if line not in level:
            continue
        before = level[line]
        level[line] = lv
        if line == CS and before == 1 and lv == 0:
            bits, start = [], t
        elif line == CS and before == 0 and lv == 1 and bits is not None:
            word = 0
            for b in bits:
                word = word << 1 | b
            frames.append((start, word >> 15 & 1, word & 0x0FFF, word, len(bits)))
            bits = None
        elif line == SCK and before == 0 and lv == 1 and bits is not None:
            bits.append(level[MOSI])
    return frames


def pulses(frames):
    """Pulses of one channel: a code above mid-scale, its mirror image, then zero, in a row.
    Returns (pulses as (onset, code, first phase s, second phase s), frames that fit none)."""
    found, odd, i = [], 0, 0
    # A window may begin inside a pulse: its tail (the mirror phase) is not a frame out of order.
    while i < len(frames) and frames[i][2] < MID:
        i += 1
    while i < len(frames):
        f = frames[i]
        if f[2] == MID:
            i += 1
            continue
        if (i + 2 < len(frames) and f[2] > MID and frames[i + 1][2] == 2 * MID - f[2]
                and frames[i + 2][2] == MID):
            found.append((f[0], f[2], frames[i + 1][0] - f[0], frames[i + 2][0] - frames[i + 1][0]))
            i += 3
        elif f[2] > MID and (i + 1 == len(frames)
                             or (i + 2 == len(frames) and frames[i + 1][2] == 2 * MID - f[2])):
            # ... and end inside one: the start of a pulse whose end is after the window.
            break
        else:
            odd += 1
            i += 1
    return found, odd


def ms(seconds):
    return f"{seconds * 1000:.1f}"


class GuestClock:
    """The guest's time, read off the trace: under -icount the guest's clock runs by instruction
    count, not with the host's, so host timestamps measure nothing in the guest. While output
    is armed the supervisor toggles the interlock once per loop (`supervisor.period_us`, 500 µs,
    to absolute deadlines of the guest's clock): its edges are the guest's clock, and a moment
    between two edges is placed by linear interpolation."""

    PERIOD_S = 500e-6

    def __init__(self, edges):
        self.edges = edges

    def at(self, t):
        """Guest seconds since the first edge, or None outside the edges."""
        i = bisect.bisect_right(self.edges, t) - 1
        if i == len(self.edges) - 1 and t == self.edges[i]:
            return i * self.PERIOD_S
        if i < 0 or i + 1 >= len(self.edges):
            return None
        a, b = self.edges[i], self.edges[i + 1]
        return (i + (t - a) / (b - a)) * self.PERIOD_S

    def span(self, t0, t1):
        a, b = self.at(t0), self.at(t1)
        return None if a is None or b is None else b - a


def spans(clock, pairs):
    out = [clock.span(a, b) for a, b in pairs]
    return [x for x in out if x is not None]


def last_drive(boot, offset, level, before):
    times = [t for t, o, lv in boot.drives if o == offset and lv == level and t < before]
    return times[-1] if times else None


def check_idle(boot, r, name, hv=HV, hv_off=0):
    """A window with output off: HV enable at its off level, the interlock still, DAC at zero."""
    w = boot.window(name)
    if not w:
        return
    a, b = w
    n = boot.name
    r.check(f"{n}:{name}_hv_off", boot.level_at(hv, a) == hv_off and not boot.edges(hv, a, b),
            "HV enable not at its off level")
    r.check(f"{n}:{name}_interlock_still", not boot.edges(INTERLOCK, a, b),
            f"{len(boot.edges(INTERLOCK, a, b))} interlock edges")
    r.check(f"{n}:{name}_dac_zero", all(f[2] == MID for f in boot.frames_in(a, b)), "a non-zero code")


def check_pulses(boot, r, name, target_ua, tag, traced_interlock=True):
    """A window while armed at `target_ua`: HV on, the interlock toggling, and on each channel
    pulses of the expected code, mirrored, then zero, at the program's rate in guest time
    (without a traced interlock, as in the button boot, the codes only)."""
    w = boot.window(name)
    if not w:
        return
    a, b = w
    n = boot.name
    hv = HV_OF.get(n, HV)
    r.check(f"{n}:{name}_hv_on", boot.level_at(hv, a) == HV_ON.get(n, 1) and not boot.edges(hv, a, b),
            "HV enable not on throughout")
    clock = None
    if traced_interlock:
        il = boot.edges(INTERLOCK, a, b)
        r.check(f"{n}:{name}_interlock_toggles", len(il) > 100,
                f"{len(il)} interlock edges in {b - a:.2f} s")
        if len(il) < 3:
            return
        clock = GuestClock(il)
        a, b = il[0], il[-1]
        r.figure(f"{tag}guest_s_per_host_s", f"{clock.span(a, b) / (b - a):.2f}")
        r.figure(f"{tag}interlock_max_gap_host_ms", ms(max(y - x for x, y in zip(il, il[1:]))))
    expected = code_for(target_ua)
    onsets = {}
    for ch in (0, 1):
        found, odd = pulses(boot.frames_in(a, b, ch))
        onsets[ch] = [p[0] for p in found]
        codes = sorted({p[1] for p in found})
        r.check(f"{n}:{name}_channel{ch}_mirrored_then_zero", found and odd == 0,
                f"{len(found)} pulses, {odd} frames that are not (+k, -k, 0)")
        r.check(f"{n}:{name}_channel{ch}_code_{expected}_for_{target_ua}ua", codes == [expected],
                f"codes {codes[:5]}, expected {expected} (and {2 * MID - expected})")
        if clock and len(found) > 2:
            periods = spans(clock, zip(onsets[ch], onsets[ch][1:]))
            rate = 1 / statistics.median(periods)
            r.figure(f"{tag}channel{ch}_rate_hz_guest", f"{rate:.1f}")
            r.figure(f"{tag}channel{ch}_pulses", len(found))
            r.check(f"{n}:{name}_channel{ch}_rate_{RATE_HZ:.0f}hz_within_10pct",
                    abs(rate - RATE_HZ) < RATE_HZ * 0.1, f"{rate:.1f} Hz in guest time")
    if clock and len(onsets[0]) > 2 and len(onsets[1]) > 2:
        pairs = []
        for t in onsets[1]:
            before = [x for x in onsets[0] if x <= t]
            if before:
                pairs.append((before[-1], t))
        offsets = spans(clock, pairs)
        if offsets:
            r.figure(f"{tag}channel1_offset_ms_guest_median", f"{statistics.median(offsets) * 1e3:.2f}")


# HV enable: line 3 active-high in the main boot; line 6 active-low in the button boot.
HV_OF = {"buttons": 6}
HV_ON = {"buttons": 0}


def check_main(boot, r):
    n = boot.name
    valid = [f for f in boot.frames if f[4] == 16 and f[3] & 0x7000 == 0x3000]
    r.check(f"{n}:spi_frames_are_mcp4922_commands", len(valid) == len(boot.frames) and boot.frames,
            f"{len(boot.frames) - len(valid)} of {len(boot.frames)} frames are not 16-bit write commands "
            "(gain 1x, active, unbuffered)")
    first = boot.frames[:2]
    r.check(f"{n}:startup_writes_zero_to_both_channels",
            sorted(f[1] for f in first) == [0, 1] and all(f[2] == MID for f in first),
            f"first frames: {[(f[1], f[2]) for f in first]}")

    check_idle(boot, r, "idle")
    check_pulses(boot, r, "steady", TARGET_UA, "")
    check_idle(boot, r, "stopped")

    # Contact lost on channel 0: its pulses stop, within a few pulses.
    back = boot.marks.get("contact_back")
    lost = last_drive(boot, 5, 0, back) if back else None
    if lost:
        nonzero = [f for f in boot.frames_in(lost, back, 0) if f[2] != MID]
        found, _ = pulses(boot.frames_in(lost, back, 0))
        r.figure("contact_lost_channel0_pulses_after", len(found))
        paused = boot.marks.get("contact_paused", back)
        r.check(f"{n}:contact_lost_stops_channel0", not [f for f in nonzero if f[0] >= paused],
                "channel 0 still pulsing after the session paused")
    else:
        r.check(f"{n}:contact_lost_stops_channel0", False, "the guest did not drive the contact line")

    # Overcurrent: HV off and the interlock still, without a client.
    tripped, end = boot.marks.get("overcurrent_tripped"), boot.marks.get("after_trip_end")
    over = last_drive(boot, 7, 1, tripped) if tripped else None
    if over and end:
        hv_off = boot.edges(HV, over, end)
        r.check(f"{n}:overcurrent_cuts_hv", bool(hv_off) and boot.level_at(HV, tripped) == 0,
                "HV enable not low after the overcurrent edge")
        if hv_off:
            r.figure("overcurrent_to_hv_off_host_ms", ms(hv_off[0] - over))
        il = boot.edges(INTERLOCK, over, end)
        if il:
            r.figure("overcurrent_to_last_interlock_edge_host_ms", ms(il[-1] - over))
        r.check(f"{n}:overcurrent_stops_interlock", not boot.edges(INTERLOCK, tripped, end),
                "the interlock toggled after the trip")
        r.check(f"{n}:overcurrent_dac_zero", all(f[2] == MID for f in boot.frames_in(tripped, end)),
                "a non-zero code after the trip")
    else:
        r.check(f"{n}:overcurrent_cuts_hv", False, "the guest did not reach the overcurrent step")
    check_idle(boot, r, "after_trip")

    # SIGKILL while armed: the interlock stops by itself; the restart is disarmed.
    check_pulses(boot, r, "armed_before_kill", TARGET_UA, "before_kill_")
    kill, killed = boot.marks.get("kill"), boot.marks.get("killed")
    restart = boot.marks.get("restarted_begin")
    if kill and killed and restart:
        r.figure("interlock_edges_after_sigkill", len(boot.edges(INTERLOCK, kill, killed)))
        # The restarted stimd requests the line inactive: at most that one falling edge.
        late = [(t, lv) for t, ln, lv in boot.events if ln == INTERLOCK and killed <= t < restart]
        r.check(f"{n}:sigkill_stops_interlock", len(late) <= 1 and all(lv == 0 for _, lv in late),
                f"interlock edges after the daemon died: {len(late)}")
        r.figure("hv_enable_after_sigkill", boot.level_at(HV, killed))
        last = boot.frames_in(kill - 1, killed)
        r.figure("dac_codes_after_sigkill", "/".join(
            str(next((f[2] for f in reversed(last) if f[1] == ch), MID)) for ch in (0, 1)))
        zeros = boot.frames_in(killed, restart)
        r.check(f"{n}:restart_writes_zero", len(zeros) >= 2 and all(f[2] == MID for f in zeros),
                f"frames at restart: {[(f[1], f[2]) for f in zeros][:6]}")
    else:
        r.check(f"{n}:sigkill_stops_interlock", False, "the guest did not reach the SIGKILL step")
    check_idle(boot, r, "restarted")


def check_buttons(boot, r):
    n = boot.name
    hv = HV_OF[n]
    first = min(boot.drives)[0] if boot.drives else None
    r.check(f"{n}:active_low_hv_high_while_idle", first is not None and boot.level_at(hv, first) == 1,
            "HV enable (active-low) not high before the session")
    # The interlock is on the RAM-backed chip here, which QEMU does not trace.
    check_pulses(boot, r, "stepped_up", TARGET_UA + 500, "buttons_", traced_interlock=False)
    stop, stopped = boot.marks.get("stop"), boot.marks.get("stopped")
    if stop and stopped:
        nonzero = [f for f in boot.frames_in(stop, stopped) if f[2] != MID]
        if nonzero:
            r.figure("stop_button_to_last_pulse_host_ms", ms(nonzero[-1][0] - stop))
    else:
        r.check(f"{n}:stop_button", False, "the guest did not reach the stop button")
    check_idle(boot, r, "stopped", hv=hv, hv_off=1)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", required=True)
    p.add_argument("--kernel", required=True)
    p.add_argument("--boot", action="append", required=True, help="NAME:INITRAMFS:DTB")
    args = p.parse_args()
    r = Results()
    for spec in args.boot:
        name, initramfs, dtb = spec.split(":", 2)
        boot = Boot(args, name, initramfs, dtb, r)
        boot.run()
        boot.load_trace()
        {"main": check_main, "buttons": check_buttons}[name](boot, r)
    print("---- checks on the emulated board ----")
    for name in r.ok:
        print(f"ok   {name}")
    for name in r.failed:
        print(f"FAIL {name}")
    print("---- figures ----")
    for name, value in r.figures:
        print(f"{name} {value}")
    print(f"board-test: {len(r.ok)} passed, {len(r.failed)} failed")
    return 1 if r.failed or not r.ok else 0


if __name__ == "__main__":
    sys.exit(main())
