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
