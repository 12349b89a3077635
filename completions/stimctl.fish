# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_stimctl_global_optspecs
    string join \n bus= h/help V/version
end

function __fish_stimctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_stimctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_stimctl_using_subcommand
    set -l cmd (__fish_stimctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c stimctl -n "__fish_stimctl_needs_command" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_needs_command" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_needs_command" -s V -l version -d 'Print version'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "status" -d 'Device and session state: why a session is paused, battery, pads, profile'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "watch" -d 'Follow the running session live until it ends (its end reason last)'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "start" -d 'Start a program (intensity ramps up from zero to the target)'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "set" -d 'Set a channel\'s target intensity in mA (channels count from 0)'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "step" -d 'Move a channel\'s target by whole intensity steps, e.g. `step 0 2` or `step 1 -1`'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "pause" -d 'Pause the session: output ramps to zero, the session and its targets stay'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "resume" -d 'Resume a paused session: intensity ramps up from zero to the targets again'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "stop" -d 'Stop the session'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "estop" -d 'Emergency stop: output to zero at once'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "ack" -d 'Acknowledge a latched fault once its cause is gone'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "programs" -d 'List the programs (presets and custom)'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "program" -d 'Show, add or remove a program'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "history" -d 'Past sessions, newest first'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "changes" -d 'Who changed what, and when: intensities (by whom: a user id, a button, the ramp, a safety clamp), profiles, screening answers, approvals, programs and pads; newest first'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "rate" -d 'Record how much it hurt before and after a session (0 = no pain, 10 = worst)'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "export" -d 'Every session as CSV, JSON or FHIR R4 (a Bundle for a clinic\'s system), on standard output'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "pads" -d 'How worn each channel\'s pads are; `--replaced CH` after fitting new ones'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "advice" -d 'What works for a profile: the program that helped most, from its rated sessions'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "profiles" -d 'List the profiles'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "profile" -d 'Show, add, change, remove or approve a profile'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "check" -d 'Answer the contraindication questions for a profile (asked in its language)'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "report" -d 'A report for the person and their therapist as one HTML file (charts inside, nothing fetched from the network), in the profile\'s language'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "summary" -d 'What helps: sessions, minutes and pain reduction per program'
complete -c stimctl -n "__fish_stimctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stimctl -n "__fish_stimctl_using_subcommand status" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand status" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand status" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand watch" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand watch" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand watch" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand start" -l intensity -d 'Target intensity in mA for every channel' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand start" -l duration -d 'Session length in minutes' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand start" -l profile -d 'Whose session (default: the `default` profile)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand start" -l placement -d 'Where the pads are, e.g. `low back`, `neck`, `knee`' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand start" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand start" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand start" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand set" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand set" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand set" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand step" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand step" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand step" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand pause" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand pause" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand resume" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand resume" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand stop" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand stop" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand estop" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand estop" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand ack" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand ack" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand programs" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand programs" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand programs" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and not __fish_seen_subcommand_from show add rm plot help" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and not __fish_seen_subcommand_from show add rm plot help" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and not __fish_seen_subcommand_from show add rm plot help" -f -a "show" -d 'Show a program: its segments and its program file'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and not __fish_seen_subcommand_from show add rm plot help" -f -a "add" -d 'Add a custom program from a program file (see docs/programs.md)'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and not __fish_seen_subcommand_from show add rm plot help" -f -a "rm" -d 'Remove a custom program'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and not __fish_seen_subcommand_from show add rm plot help" -f -a "plot" -d 'Draw a program\'s shapes as SVG: per segment a representative stretch (a burst train, an EMS cycle, a sweep period) and its biphasic pulse, in mA over ms, as stimd would deliver it on channel 0 (before a profile\'s own maximum)'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and not __fish_seen_subcommand_from show add rm plot help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from show" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from show" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from add" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from rm" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from plot" -l output -d 'The SVG file to write' -r -F
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from plot" -l intensity -d 'The first segment\'s intensity in mA; later segments carry it over as a session does, each capped at the most the device permits for it' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from plot" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from plot" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a program: its segments and its program file'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a custom program from a program file (see docs/programs.md)'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a custom program'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from help" -f -a "plot" -d 'Draw a program\'s shapes as SVG: per segment a representative stretch (a burst train, an EMS cycle, a sweep period) and its biphasic pulse, in mA over ms, as stimd would deliver it on channel 0 (before a profile\'s own maximum)'
complete -c stimctl -n "__fish_stimctl_using_subcommand program; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stimctl -n "__fish_stimctl_using_subcommand history" -l since -d 'Only sessions from this day on (YYYY-MM-DD, local time)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand history" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand history" -l json -d 'Print the sessions as JSON'
complete -c stimctl -n "__fish_stimctl_using_subcommand history" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand changes" -l since -d 'Only changes from this day on (YYYY-MM-DD, local time)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand changes" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand changes" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand changes" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand rate" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand rate" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand export" -l format -r -f -a "csv\t''
json\t''
fhir\t''"
complete -c stimctl -n "__fish_stimctl_using_subcommand export" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand export" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand pads" -l replaced -r
complete -c stimctl -n "__fish_stimctl_using_subcommand pads" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand pads" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand pads" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand advice" -l profile -r
complete -c stimctl -n "__fish_stimctl_using_subcommand advice" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand advice" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand advice" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profiles" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profiles" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand profiles" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -f -a "show" -d 'A profile: limits, answers, approval, settled intensities'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -f -a "add" -d 'Add a profile (`--max` and `--area` are for administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -f -a "set" -d 'Change a profile (the same options as `add`)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -f -a "rm" -d 'Remove a profile (administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -f -a "approve" -d 'Record a doctor\'s approval despite a "yes" (administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and not __fish_seen_subcommand_from show add set rm approve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from show" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from show" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from add" -l language -r -f -a "nl\t''
en\t''"
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from add" -l max -d 'The person\'s own maximum, mA per channel, e.g. `20,20` (administrators)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from add" -l area -d 'Their smallest electrode, cm² (administrators)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from add" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from set" -l language -r -f -a "nl\t''
en\t''"
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from set" -l max -d 'The person\'s own maximum, mA per channel, e.g. `20,20` (administrators)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from set" -l area -d 'Their smallest electrode, cm² (administrators)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from set" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from rm" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from approve" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from approve" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "show" -d 'A profile: limits, answers, approval, settled intensities'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "add" -d 'Add a profile (`--max` and `--area` are for administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "set" -d 'Change a profile (the same options as `add`)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Remove a profile (administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "approve" -d 'Record a doctor\'s approval despite a "yes" (administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stimctl -n "__fish_stimctl_using_subcommand check" -l profile -r
complete -c stimctl -n "__fish_stimctl_using_subcommand check" -l answers -d 'Answers without asking, in question order, e.g. `no,no,no,no,no`' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand check" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand check" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand report" -l profile -d 'Whose sessions (default: every profile\'s, in the `default` profile\'s language)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand report" -l since -d 'From this day on (YYYY-MM-DD, local time)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand report" -l output -d 'The HTML file to write' -r -F
complete -c stimctl -n "__fish_stimctl_using_subcommand report" -l charts -d 'Also write each chart as an SVG file into this directory' -r -F
complete -c stimctl -n "__fish_stimctl_using_subcommand report" -l language -d '`nl` or `en` instead of the profile\'s language' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand report" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand report" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand summary" -l since -d 'From this day (YYYY-MM-DD, local time)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand summary" -l until -d 'Up to and including this day (YYYY-MM-DD, local time)' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand summary" -l bus -d '`system`, `session` or a D-Bus address' -r
complete -c stimctl -n "__fish_stimctl_using_subcommand summary" -l json -d 'Print JSON (stable keys, see the README) instead of text'
complete -c stimctl -n "__fish_stimctl_using_subcommand summary" -s h -l help -d 'Print help'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "status" -d 'Device and session state: why a session is paused, battery, pads, profile'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "watch" -d 'Follow the running session live until it ends (its end reason last)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "start" -d 'Start a program (intensity ramps up from zero to the target)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "set" -d 'Set a channel\'s target intensity in mA (channels count from 0)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "step" -d 'Move a channel\'s target by whole intensity steps, e.g. `step 0 2` or `step 1 -1`'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "pause" -d 'Pause the session: output ramps to zero, the session and its targets stay'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "resume" -d 'Resume a paused session: intensity ramps up from zero to the targets again'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "stop" -d 'Stop the session'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "estop" -d 'Emergency stop: output to zero at once'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "ack" -d 'Acknowledge a latched fault once its cause is gone'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "programs" -d 'List the programs (presets and custom)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "program" -d 'Show, add or remove a program'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "history" -d 'Past sessions, newest first'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "changes" -d 'Who changed what, and when: intensities (by whom: a user id, a button, the ramp, a safety clamp), profiles, screening answers, approvals, programs and pads; newest first'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "rate" -d 'Record how much it hurt before and after a session (0 = no pain, 10 = worst)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "export" -d 'Every session as CSV, JSON or FHIR R4 (a Bundle for a clinic\'s system), on standard output'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "pads" -d 'How worn each channel\'s pads are; `--replaced CH` after fitting new ones'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "advice" -d 'What works for a profile: the program that helped most, from its rated sessions'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "profiles" -d 'List the profiles'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "profile" -d 'Show, add, change, remove or approve a profile'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "check" -d 'Answer the contraindication questions for a profile (asked in its language)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "report" -d 'A report for the person and their therapist as one HTML file (charts inside, nothing fetched from the network), in the profile\'s language'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "summary" -d 'What helps: sessions, minutes and pain reduction per program'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and not __fish_seen_subcommand_from status watch start set step pause resume stop estop ack programs program history changes rate export pads advice profiles profile check report summary help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from program" -f -a "show" -d 'Show a program: its segments and its program file'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from program" -f -a "add" -d 'Add a custom program from a program file (see docs/programs.md)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from program" -f -a "rm" -d 'Remove a custom program'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from program" -f -a "plot" -d 'Draw a program\'s shapes as SVG: per segment a representative stretch (a burst train, an EMS cycle, a sweep period) and its biphasic pulse, in mA over ms, as stimd would deliver it on channel 0 (before a profile\'s own maximum)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "show" -d 'A profile: limits, answers, approval, settled intensities'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "add" -d 'Add a profile (`--max` and `--area` are for administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "set" -d 'Change a profile (the same options as `add`)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "rm" -d 'Remove a profile (administrators)'
complete -c stimctl -n "__fish_stimctl_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "approve" -d 'Record a doctor\'s approval despite a "yes" (administrators)'
