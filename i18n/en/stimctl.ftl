# stimctl's texts in English. Every message here also exists in ../nl/stimctl.ftl (a test in
# src/bin/stimctl/i18n.rs checks it). Ids are kebab-case, grouped by command.

## Shared
decimal-separator = .
axis-time-ms = time (ms)
axis-current-ma = current (mA)
axis-day = day

## Segment modes
mode-conventional = conventional TENS
mode-acupuncture = acupuncture-like TENS
mode-burst = burst TENS
mode-modulated = modulated TENS
mode-ems = EMS

## stimctl program plot
plot-title = { $name } ({ $id }) at { $level } mA, channel 0
plot-segment = { $index }. { $mode }, { $duration }, { $level } mA
plot-duration-min = { $minutes } min
plot-duration-rest = to the end of the session
plot-pulse = one pulse: phases of { $phases } µs, gap { $gap } µs
plot-written = { $file }: { $segments ->
    [one] 1 segment
   *[other] { $segments } segments
  } of { $id }

## stimctl changes
changes-none = no changes

## stimctl report
report-title = TENS report for { $profile }
report-title-everyone = TENS report for everyone using this device
report-period = From { $from } to { $to }.
report-no-sessions = No sessions in this period.
report-made = Made on { $when } by stimctl.
report-overview = { $sessions ->
    [one] 1 session
   *[other] { $sessions } sessions
  }, { $minutes } minutes of stimulation over { $days ->
    [one] 1 day
   *[other] { $days } days
  } ({ $perday } a day); pain rated before and after { $rated ->
    [one] 1 session
   *[other] { $rated } sessions
  }.
report-use = Use per day
report-pain = Pain before and after each session
report-pain-none = No session has been rated yet. After a session, record the pain before and after with `stimctl rate SESSION BEFORE AFTER` (0 = no pain, 10 = worst).
report-programs = What helped
report-best = { $program } helped most: pain { $before } → { $after } on average ({ $reduction } points less) over { $rated } rated sessions.
report-best-none = Not enough to say yet which program helps most: each program needs at least { $min } sessions rated before and after, with less pain afterwards.
report-faults = Faults
report-faults-none = No faults in this period.
report-pads = Pads now
report-pads-line = Channel { $channel }: { $sessions } sessions, { $minutes } minutes on these pads.
report-pads-worn = Channel { $channel }: { $sessions } sessions, { $minutes } minutes on these pads — worn, replace them.
report-pads-note = The device counts use since the pads were last replaced.
report-pad-changes = Pads replaced
report-pad-changes-none = No pads replaced in this period.
report-footer = TENS relieves pain but helps people differently. Talk the results over with your therapist; do not raise intensities or session lengths on the strength of this report alone.
report-written = { $file }: report on { $sessions ->
    [one] 1 session
   *[other] { $sessions } sessions
  }
report-charts-written = { $dir }: { $count } charts as SVG
col-program = Program
col-sessions = Sessions
col-minutes = Minutes
col-rated = Rated
col-before = Pain before
col-after = Pain after
col-reduction = Less pain
col-when = When
col-code = Code
col-message = Message
col-channel = Channel

## The report's charts
chart-sessions = Sessions per day
chart-sessions-axis = sessions
chart-minutes = Minutes of stimulation per day
chart-minutes-axis = minutes
chart-pain = Pain before and after each rated session
chart-pain-sessions = rated sessions, oldest first
chart-pain-axis = pain (0–10)
pain-before = before
pain-after = after
chart-programs = Mean pain reduction per program
chart-programs-axis = points less pain
chart-programs-bar = −{ $reduction } (n = { $rated })
chart-programs-unrated = not rated

## Errors stimctl words itself (stimd's own messages are printed as it sends them)
error-access-denied = you may not do this: steering the stimulator is for members of the group `stimd`, changing a person's limits for `stimd-admin`; ask whoever set up the device to add you (AccessDenied)
error-service-unknown = stimd is not running and could not be started (nobody owns io.stimd.Stimd1 on this bus); try `systemctl status stimd` (ServiceUnknown)
error-cannot-reach = cannot reach stimd: { $error }
error-no-bus = cannot reach the bus: { $error }
error-milliamps-range = { $arg } = { $value } mA is out of range (allowed: 0..=100 mA)
error-duration-range = --duration = { $value } min is too large (allowed: at most 71582788 min; stimd allows far less)
error-max-format = --max = "{ $value }": mA per channel, e.g. 20,20
error-file-unreadable = { $arg } = { $file }: { $error }
error-program-unknown = PROGRAM = "{ $value }" is neither a program id nor a program's name (known: { $known })
error-program-ambiguous = PROGRAM = "{ $value }" names more than one program ({ $ids }): give the id
error-answers-count = --answers: { $count } answers needed (yes/no, in order: { $order })
error-answer = { $question }: answer "{ $value }" (allowed: yes or no)
error-no-answer = no answer on standard input

error-report-html = --output = { $file }: the report is HTML (allowed: a file name ending in .html)
error-not-a-directory = { $arg } = { $file }: not a directory
error-file-write = { $arg } = { $file }: { $error }
error-chart = cannot draw the picture: { $error }

## Shared words
milliamps = { $level } mA
state-idle = idle
state-running = running
state-paused = paused
state-fault = fault
contact-on = contact ok
contact-off = no contact
contact-unknown = contact not measured yet
battery-unknown = unknown
battery-percent = { $percent } %

## stimctl status
label-state = state
label-fault = fault
label-board = board
label-battery = battery
label-pads = pads
label-session = session
label-profile = profile
label-paused = paused
label-elapsed = elapsed
status-session = { $id } ({ $program }, segment { $segment })
status-elapsed = { $elapsed } s, remaining { $remaining } s
status-channel = channel { $channel }: { $level } mA (target { $target } mA), { $contact }
paused-by-hand = paused by hand (stimctl, an app or the button); `stimctl resume` ramps up again
paused-contact-lost = contact lost on { $count ->
    [one] channel
   *[other] channels
  } { $channels }: press the pads on firmly or replace them, then `stimctl resume`

## stimctl pads
pads-line = channel { $channel }: { $sessions } sessions, { $minutes } min
pads-worn = channel { $channel }: { $sessions } sessions, { $minutes } min — worn, replace the pads
pads-replaced = channel { $channel }: new pads, count reset

## stimctl start, set, step, pause, resume, stop, estop, ack
start-done = session { $id } started: { $program }
target-set = channel { $channel }: target { $level } mA
limited = channel { $channel }: target { $level } mA (limited from { $requested } mA: { $reason })
limit-profile_max = the profile's maximum
limit-peak_current = the device's peak current limit
limit-rms_current = the device's rms current limit
limit-current_density = the current density limit for the pads' size
limit-charge_per_phase = the charge-per-pulse limit
limit-unknown = a limit of the device
pause-done = paused: output at zero; `stimctl resume` ramps it up again
resume-done = resumed: ramping up from zero to the targets
stop-done = stopped
estop-done = emergency stop: output off
ack-done = fault acknowledged

## stimctl watch
watch-no-session = no session is running (start one with `stimctl start PROGRAM`)
watch-stimd-gone = stimd left the bus while the session was being watched
watch-header = session { $id }: { $program }, segment { $segment }, { $remaining } left, battery { $battery }
watch-channel = channel { $channel }: { $level } / { $target } mA, { $contact }
watch-ended = session { $id } ended: { $reason }
ended-completed = completed
ended-stopped = stopped
ended-emergency_stop = emergency stop
ended-keepalive_lost = the controlling app went away (keepalive lost)
ended-contact_lost = contact lost
ended-battery_low = battery too low
ended-bus_lost = stimd lost the bus
ended-interrupted = interrupted
ended-fault = fault { $code }
ended-unknown = (no reason received)
watch-notice = stimd: { $message }

## stimctl programs, program
program-segments = segments: { $outline }
program-added = program { $id } added
program-removed = program { $id } removed

## stimctl profiles, profile, check
label-maximum = maximum
label-pad-size = pads
label-check = check
label-approved = approved
label-settled = settled
profile-max-device = device
profile-area = { $area } cm²
profile-not-screened = not answered yet (stimctl check)
profile-no-contraindications = no contraindications
profile-answered-yes = yes to { $answers }
profile-approved-by = by { $who }: { $note }
profile-added = profile { $name } added; answer the questions with: stimctl check --profile { $name }
profile-updated = profile { $name } updated
profile-removed = profile { $name } removed
profile-approval-recorded = approval recorded for { $name }
check-recorded = Recorded.
check-recorded-needs-approval = Recorded. Use is possible only once a doctor approves.

## stimctl program plot (arguments)
error-plot-zero = --intensity = { $value } mA draws nothing (allowed: more than 0, at most 100 mA)
error-plot-not-svg = { $arg } = { $file }: only SVG is written (allowed: a file name ending in .svg)

## stimctl history, rate, summary
history-none = no sessions
history-running = running
history-not-rated = not rated
history-pain = pain { $before } → { $after }
history-max = max { $levels } mA
rate-recorded = session { $id }: pain { $before } → { $after } recorded
summary-total = { $sessions ->
    [one] 1 session
   *[other] { $sessions } sessions
  }, { $minutes } minutes, over { $days ->
    [one] 1 day
   *[other] { $days } days
  }: { $per_day } a day
summary-program = { $sessions } sessions { $minutes } min
summary-no-ratings = no ratings yet
summary-effect = pain { $before } → { $after } (−{ $reduction }) over { $rated } rated
error-date = { $arg } = "{ $value }" is not a date (allowed: YYYY-MM-DD)
error-pain-range = { $arg } = { $value } is out of range (allowed: 0..=10)
changes-levels = ch { $channel }  { $from } → { $to } mA
changes-channel = ch { $channel }
