# stimd's texts in English: every error and notice a client sees, by its stable code
# (`dose.too_soon` is the message `dose-too_soon`; docs/texts.md lists them with their
# arguments). Every message here is also in ../nl/stimd.ftl with the same arguments (a test in
# src/texts/tests.rs checks that).

decimal-separator = .

-printable = printable text: no control characters (NUL, tab, line breaks, escape …), no line or paragraph separators and no bidirectional controls


## Body sites (the placements a session may name, and the ones never allowed)
site-neck = neck
site-shoulder = shoulder
site-upper_back = upper back
site-low_back = low back
site-arm = arm
site-elbow = elbow
site-wrist = wrist
site-hand = hand
site-hip = hip
site-buttock = buttock
site-thigh = thigh
site-knee = knee
site-calf = calf
site-ankle = ankle
site-foot = foot
site-abdomen = abdomen
site-chest = chest
site-heart = heart
site-front_of_neck = front of neck
site-head = head
site-eyes = eyes
site-face = face

## Contraindication questions (Profiles.Questions)
question-implant = Do you have a pacemaker, a defibrillator or another electronic implant?
question-epilepsy = Do you have epilepsy?
question-pregnancy = Are you pregnant?
question-heart_disease = Do you have a heart condition?
question-skin = Is the skin where the pads go broken, irritated or numb?

## Starting a session
program-unknown = program = { $program } does not exist (known: { $known })
program-over_limits = program { $program } does not fit the configured limits: { $problems }
program-id_too_long = program id is { $length } characters long (allowed: at most { $max })
start-duration_out_of_range = duration = { $duration } s is out of range (allowed: 1..={ $max } s)
start-intensity_count = intensity has { $given } value(s) but { $channels } channel(s) are in use (one µA value per channel)
start-keepalive_out_of_range = keepalive = { $keepalive } s is out of range (allowed: 0..={ $max } s, 0 = none)
start-channels_count = channels = { $given } must list 1 to { $channels } distinct channel(s) in 0..={ $max }
start-channel_out_of_range = channels: channel { $channel } is out of range (allowed: 0..={ $max })
start-channel_twice = channels: channel { $channel } is listed twice
placement-forbidden = placement = { $placement } is never allowed: { $reason ->
    [heart_rhythm] current across the chest can disturb the heart's rhythm
    [airway] current on the front of the neck can close the airway and drop the blood pressure
    [brain] current through the head can affect the brain and cause seizures
    [eyes] current near the eyes can damage them
   *[face] current on the face reaches the eyes and the brain
  }
placement-unknown = placement = { $placement } is unknown (allowed: { $allowed })
contraindication-unanswered = profile { $profile } has not answered the contraindication questions yet (stimctl check --profile { $name })
contraindication-needs_approval = profile { $profile } answered yes to: { $answers }; a doctor must approve use first, and an administrator must record that approval
contraindication-pregnant_name_placement = profile { $profile } is pregnant: name the placement (not { $not })
contraindication-pregnancy_placement = placement = "{ $placement }" is not allowed during pregnancy (not { $not })
dose-sessions_today = profile { $profile }: { $today } session(s) today already (allowed: { $allowed } a day); the next is allowed tomorrow
dose-minutes_used = profile { $profile }: { $used } of { $allowed } minutes used today; the next session is allowed tomorrow
dose-too_long = profile { $profile }: { $used } of { $allowed } minutes used today: ask for at most { $left_s } s (duration)
dose-too_soon = profile { $profile }: the next session is allowed from { $next } (at least { $gap_min } minutes between sessions)
battery-too_low_to_start = battery at { $percent } %, at or below { $critical } % (battery.critical_percent) where a session ends: charge the device first
fault-latched = fault { $fault } is latched ({ $detail }); acknowledge it once the cause is gone
fault-latched_hardware = fault { $fault } is latched ({ $detail }); fix the hardware or the configuration, then restart stimd
session-already_running = session { $session } is running; stop it first

## A running session
session-not_running = no session is running
channel-no_contact = channel { $channel } has no electrode contact: check the pads, then Resume (it ramps from zero)
channel-out_of_range = channel = { $channel } is out of range (allowed: 0..={ $max })
channel-not_in_use = channel = { $channel } is not in use by this session (in use: { $in_use })

## Faults
fault-latched_while_acknowledging = fault { $fault } latched while acknowledging ({ $detail }); acknowledge it once the cause is gone
fault-ack_hardware_unavailable = cannot acknowledge: { $detail }
fault-ack_engine_not_running = cannot acknowledge: { $detail }
fault-ack_dac_failing = cannot acknowledge: { $detail }
fault-ack_dac_not_zero = cannot acknowledge: { $detail }
fault-ack_level_above_peak = cannot acknowledge: { $detail }
fault-ack_overcurrent_active = cannot acknowledge: { $detail }
fault-ack_overcurrent_unreadable = cannot acknowledge: { $detail }
fault-ack_interlock_failing = cannot acknowledge: { $detail }
supervisor-not_running = the safety supervisor is not running
supervisor-silent = the safety supervisor did not answer

## Notices (Session.Notice and Session.NoticeRaised)
notice-placement_not_meant = program { $program } is meant for { $meant_for }, not for the { $placement }
notice-worn_pads_lost_contact = channel { $channel } lost contact; its pads have had { $sessions } sessions (worn after { $uses }): fit new pads, then Device.PadsReplaced({ $channel })
notice-battery_low = battery at { $percent } %: the session ends at { $critical } %; connect the charger to go on
notice-battery_low_minutes = battery at { $percent } %: the session ends at { $critical } %, in about { $minutes } minute(s) at this rate; connect the charger to go on

## Advice (History.Advice)
advice-best = for { $profile }, { $program } helped most: pain { $before } → { $after } on average ({ $reduction } points less) over { $rated } rated sessions
advice-not_enough = not enough to go on yet for { $profile }: rate the pain before and after at least { $min } sessions of a program

## Options and calls
option-wrong_type = option { $option } must have type { $want }, got { $got }
option-too_many_entries = option { $option } has { $given } entries (allowed: at most { $max })
option-too_many = { $given } options given (allowed: at most { $max })
option-unknown = unknown option { $option } (allowed: channels, duration, intensity, profile, placement, keepalive)
call-rate_limited = too many calls from { $sender } (allowed: { $per_second } a second, bursts of { $burst }); try again in { $wait_ms } ms
text-too_long = { $key } = { $value } is longer than { $max } characters (allowed: at most { $max } characters of { -printable })
text-refused_character = { $key } = { $value } contains { $character } at character { $at } (allowed: { -printable }; at most { $max } characters)
internal-failed = { $detail }
manager-not_running = the session manager is not running
manager-silent = the session manager did not answer
storage-worker_gone = the storage worker is not running
pads-not_stored = { $detail }; the pad counts of channel { $channel } are unchanged

## Profiles
profiles-unavailable = the profiles are unavailable
profile-bad_name = name = { $name } is not a profile name (1 to 32 of a-z, 0-9, - and _, starting with a letter)
profile-exists = profile { $name } already exists; use Update
profile-unknown = profile = { $name } does not exist (profiles: { $known })
profile-damaged = profile = { $name } is not available: its file is damaged ({ $why }); an administrator may remove it (Profiles.Remove) and create the profile again
profile-full = { $count } profiles are stored (allowed: at most { $max }); remove one first
profile-default_stays = the default profile cannot be removed
profile-not_serialisable = { $detail }
profile-not_stored = { $detail }
profile-not_removed = { $detail }
profile-not_a_name = profile = { $profile } is not a profile name
approval-nothing_to_approve = profile { $profile } has no "yes" answer to approve
admin-only = { $action ->
    [set_limits] setting a person's limits
    [remove_profile] removing a profile
   *[approve] recording a doctor's approval
  } is for root and members of the group { $group } only
language-unknown = language = { $language } (allowed: nl, en)
setting-too_many = settings has { $given } entries (allowed: at most { $max }, one per key: { $keys })
setting-unknown = unknown setting { $key } (allowed: { $keys })
setting-too_long = { $detail }
setting-wrong_type = { $key }: expected { $expected }
setting-not_allowed = { $detail }
setting-out_of_range = { $key } = { $value } is out of range (allowed: { $min }..={ $max })
setting-too_many_programs = preferred_programs: { $given } programs (allowed: at most { $max })
setting-no_such_program = preferred_programs: program { $program } does not exist
answers-too_many = answers has { $given } entries (allowed: at most { $max }, one per question)
answers-not_a_question = answers: { $key } is not a question (questions: { $questions })
answers-missing = answers: every question needs an answer; missing: { $missing }
answers-clears_yes = answers: profile { $profile } answered yes to [{ $cleared }] before; only an administrator may change a "yes" to "no" (it is what allows sessions again)

## Programs
programs-unavailable = the program catalogue is unavailable
program-bad_text = { $detail }
program-refused = program refused: { $problems }
program-is_preset = id = { $program } is a built-in program; presets cannot be replaced (choose another id)
program-exists = id = { $program } is already a custom program; remove it first to replace it
program-full = { $count } custom programs are stored (allowed: at most { $max }); remove one first
program-built_in = program { $program } is built in and cannot be removed
program-not_custom = program = { $program } is not a custom program (custom: { $custom })
program-not_stored = { $detail }
program-not_removed = { $detail }

## History
history-no_such_session = id = { $id } is not a session in the history
history-unavailable = { $detail }
history-bad_period = since = { $since }, until = { $until }: Unix seconds, 0 = unbounded, until ≥ since
history-pain_out_of_range = { $name } = { $value } is out of range (allowed: 0..=10)
history-unknown_format = format = { $format } is not supported (allowed: { $allowed })
history-export_failed = { $detail }

## The sim board (development and tests)
sim-unknown_button = button = { $button } is unknown (allowed: up, down, stop)
sim-battery_out_of_range = percent = { $percent } is out of range (allowed: -1..=100)
sim-fault_duration_out_of_range = duration_ms = { $duration_ms } is out of range (allowed: 1..={ $max })
sim-inject_failed = cannot inject { $kind }: { $detail }
sim-unknown_fault = kind = { $kind } is unknown (allowed: { $allowed })
