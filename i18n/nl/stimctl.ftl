# De teksten van stimctl in het Nederlands. Elk bericht hier staat ook in ../en/stimctl.ftl
# (een test in src/bin/stimctl/i18n.rs controleert dat). Ids in kebab-case, per commando.

## Gedeeld
decimal-separator = ,
axis-time-ms = tijd (ms)
axis-current-ma = stroom (mA)
axis-day = dag

## Segmentvormen
mode-conventional = conventionele TENS
mode-acupuncture = acupunctuurachtige TENS
mode-burst = burst-TENS
mode-modulated = gemoduleerde TENS
mode-ems = EMS

## stimctl program plot
plot-title = { $name } ({ $id }) bij { $level } mA, kanaal 0
plot-segment = { $index }. { $mode }, { $duration }, { $level } mA
plot-duration-min = { $minutes } min
plot-duration-rest = tot het einde van de sessie
plot-pulse = één puls: fasen van { $phases } µs, pauze { $gap } µs
plot-written = { $file }: { $segments ->
    [one] 1 segment
   *[other] { $segments } segmenten
  } van { $id }

## stimctl changes
changes-none = geen wijzigingen

## stimctl report
report-title = TENS-rapport voor { $profile }
report-title-everyone = TENS-rapport voor iedereen die dit apparaat gebruikt
report-period = Van { $from } tot en met { $to }.
report-no-sessions = Geen sessies in deze periode.
report-made = Gemaakt op { $when } door stimctl.
report-overview = { $sessions ->
    [one] 1 sessie
   *[other] { $sessions } sessies
  }, { $minutes } minuten stimulatie over { $days ->
    [one] 1 dag
   *[other] { $days } dagen
  } ({ $perday } per dag); pijn voor en na genoteerd bij { $rated ->
    [one] 1 sessie
   *[other] { $rated } sessies
  }.
report-use = Gebruik per dag
report-pain = Pijn voor en na elke sessie
report-pain-none = Nog geen sessie beoordeeld. Noteer na een sessie de pijn ervoor en erna met `stimctl rate SESSIE VOOR NA` (0 = geen pijn, 10 = ergst denkbaar).
report-programs = Wat hielp
report-best = { $program } hielp het meest: pijn gemiddeld { $before } → { $after } ({ $reduction } punten minder) over { $rated } beoordeelde sessies.
report-best-none = Nog te weinig gegevens om te zeggen welk programma het meest helpt: elk programma heeft minstens { $min } sessies nodig met pijn voor en na genoteerd, en minder pijn erna.
report-faults = Storingen
report-faults-none = Geen storingen in deze periode.
report-pads = Elektroden nu
report-pads-line = Kanaal { $channel }: { $sessions } sessies, { $minutes } minuten op deze elektroden.
report-pads-worn = Kanaal { $channel }: { $sessions } sessies, { $minutes } minuten op deze elektroden — versleten, vervang ze.
report-pads-note = Het apparaat telt het gebruik sinds de elektroden voor het laatst vervangen zijn.
report-pad-changes = Elektroden vervangen
report-pad-changes-none = Geen elektroden vervangen in deze periode.
report-footer = TENS verlicht pijn, maar helpt niet iedereen even goed. Bespreek de uitkomsten met uw therapeut; verhoog de intensiteit of de sessieduur niet alleen op grond van dit rapport.
report-written = { $file }: rapport over { $sessions ->
    [one] 1 sessie
   *[other] { $sessions } sessies
  }
report-charts-written = { $dir }: { $count } grafieken als SVG
col-program = Programma
col-sessions = Sessies
col-minutes = Minuten
col-rated = Beoordeeld
col-before = Pijn voor
col-after = Pijn na
col-reduction = Minder pijn
col-when = Wanneer
col-code = Code
col-message = Melding
col-channel = Kanaal

## De grafieken van het rapport
chart-sessions = Sessies per dag
chart-sessions-axis = sessies
chart-minutes = Minuten stimulatie per dag
chart-minutes-axis = minuten
chart-pain = Pijn voor en na elke beoordeelde sessie
chart-pain-sessions = beoordeelde sessies, oudste eerst
chart-pain-axis = pijn (0–10)
pain-before = voor
pain-after = na
chart-programs = Gemiddelde pijnvermindering per programma
chart-programs-axis = punten minder pijn
chart-programs-bar = −{ $reduction } (n = { $rated })
chart-programs-unrated = niet beoordeeld

## Fouten die stimctl zelf verwoordt (stimd's eigen meldingen worden getoond zoals stimd ze stuurt)
error-access-denied = dit mag u niet: de stimulator bedienen is voor leden van de groep `stimd`, de grenzen van een persoon wijzigen voor `stimd-admin`; vraag wie het apparaat heeft ingericht u toe te voegen (AccessDenied)
error-service-unknown = stimd draait niet en kon niet worden gestart (niemand bezit io.stimd.Stimd1 op deze bus); probeer `systemctl status stimd` (ServiceUnknown)
error-cannot-reach = stimd is niet bereikbaar: { $error }
error-no-bus = de bus is niet bereikbaar: { $error }
error-milliamps-range = { $arg } = { $value } mA valt buiten het bereik (toegestaan: 0..=100 mA)
error-duration-range = --duration = { $value } min is te groot (toegestaan: hoogstens 71582788 min; stimd staat veel minder toe)
error-max-format = --max = "{ $value }": mA per kanaal, bijvoorbeeld 20,20
error-file-unreadable = { $arg } = { $file }: { $error }
error-program-unknown = PROGRAM = "{ $value }" is geen programma-id en geen naam van een programma (bekend: { $known })
error-program-ambiguous = PROGRAM = "{ $value }" noemt meer dan één programma ({ $ids }): geef het id
error-answers-count = --answers: { $count } antwoorden nodig (ja/nee, in deze volgorde: { $order })
error-answer = { $question }: antwoord "{ $value }" (toegestaan: ja of nee)
error-no-answer = geen antwoord op standaardinvoer

error-report-html = --output = { $file }: het rapport is HTML (toegestaan: een bestandsnaam die eindigt op .html)
error-not-a-directory = { $arg } = { $file }: geen map
error-file-write = { $arg } = { $file }: { $error }
error-chart = kan de afbeelding niet tekenen: { $error }

## Gedeelde woorden
milliamps = { $level } mA
state-idle = in rust
state-running = bezig
state-paused = gepauzeerd
state-fault = storing
contact-on = contact goed
contact-off = geen contact
contact-unknown = contact nog niet gemeten
battery-unknown = onbekend
battery-percent = { $percent } %

## stimctl status
label-state = toestand
label-fault = storing
label-board = bord
label-battery = batterij
label-pads = elektroden
label-session = sessie
label-profile = profiel
label-paused = pauze
label-elapsed = verstreken
status-session = { $id } ({ $program }, segment { $segment })
status-elapsed = { $elapsed } s, nog { $remaining } s
status-channel = kanaal { $channel }: { $level } mA (doel { $target } mA), { $contact }
paused-by-hand = met de hand gepauzeerd (stimctl, een app of de knop); `stimctl resume` bouwt weer op
paused-contact-lost = contact verloren op { $count ->
    [one] kanaal
   *[other] kanalen
  } { $channels }: druk de elektroden goed aan of vervang ze, daarna `stimctl resume`

## stimctl pads
pads-line = kanaal { $channel }: { $sessions } sessies, { $minutes } min
pads-worn = kanaal { $channel }: { $sessions } sessies, { $minutes } min — versleten, vervang de elektroden
pads-replaced = kanaal { $channel }: nieuwe elektroden, telling opnieuw begonnen

## stimctl start, set, step, pause, resume, stop, estop, ack
start-done = sessie { $id } gestart: { $program }
target-set = kanaal { $channel }: doel { $level } mA
limited = kanaal { $channel }: doel { $level } mA (begrensd van { $requested } mA: { $reason })
limit-profile_max = het maximum van het profiel
limit-peak_current = de piekstroomgrens van het apparaat
limit-rms_current = de effectieve-stroomgrens van het apparaat
limit-current_density = de stroomdichtheidsgrens voor de grootte van de elektroden
limit-charge_per_phase = de ladingsgrens per puls
limit-unknown = een grens van het apparaat
pause-done = gepauzeerd: uitgang op nul; `stimctl resume` bouwt weer op
resume-done = hervat: bouwt op van nul naar de doelen
stop-done = gestopt
estop-done = noodstop: uitgang uit
ack-done = storing bevestigd

## stimctl watch
watch-no-session = er loopt geen sessie (start er een met `stimctl start PROGRAMMA`)
watch-stimd-gone = stimd verdween van de bus terwijl de sessie werd gevolgd
watch-header = sessie { $id }: { $program }, segment { $segment }, nog { $remaining }, batterij { $battery }
watch-channel = kanaal { $channel }: { $level } / { $target } mA, { $contact }
watch-ended = sessie { $id } beëindigd: { $reason }
ended-completed = voltooid
ended-stopped = gestopt
ended-emergency_stop = noodstop
ended-keepalive_lost = de bedienende app viel weg (keepalive verloren)
ended-contact_lost = contact verloren
ended-battery_low = batterij te leeg
ended-bus_lost = stimd verloor de bus
ended-interrupted = onderbroken
ended-fault = storing { $code }
ended-unknown = (geen reden ontvangen)
watch-notice = stimd: { $message }

## stimctl programs, program
program-segments = segmenten: { $outline }
program-added = programma { $id } toegevoegd
program-removed = programma { $id } verwijderd

## stimctl profiles, profile, check
label-maximum = maximum
label-pad-size = elektroden
label-check = vragen
label-approved = goedgekeurd
label-settled = gewend
profile-max-device = apparaat
profile-area = { $area } cm²
profile-not-screened = nog niet beantwoord (stimctl check)
profile-no-contraindications = geen contra-indicaties
profile-answered-yes = ja op { $answers }
profile-approved-by = door { $who }: { $note }
profile-added = profiel { $name } toegevoegd; beantwoord de vragen met: stimctl check --profile { $name }
profile-updated = profiel { $name } gewijzigd
profile-removed = profiel { $name } verwijderd
profile-approval-recorded = goedkeuring vastgelegd voor { $name }
check-recorded = Vastgelegd.
check-recorded-needs-approval = Vastgelegd. Gebruik is pas mogelijk als een arts toestemming geeft.

## stimctl program plot (argumenten)
error-plot-zero = --intensity = { $value } mA tekent niets (toegestaan: meer dan 0, hoogstens 100 mA)
error-plot-not-svg = { $arg } = { $file }: alleen SVG wordt geschreven (toegestaan: een bestandsnaam die eindigt op .svg)

## stimctl history, rate, summary
history-none = geen sessies
history-running = loopt
history-not-rated = niet beoordeeld
history-pain = pijn { $before } → { $after }
history-max = max { $levels } mA
rate-recorded = sessie { $id }: pijn { $before } → { $after } vastgelegd
summary-total = { $sessions ->
    [one] 1 sessie
   *[other] { $sessions } sessies
  }, { $minutes } minuten, over { $days ->
    [one] 1 dag
   *[other] { $days } dagen
  }: { $per_day } per dag
summary-program = { $sessions } sessies { $minutes } min
summary-no-ratings = nog niet beoordeeld
summary-effect = pijn { $before } → { $after } (−{ $reduction }) over { $rated } beoordeeld
error-date = { $arg } = "{ $value }" is geen datum (toegestaan: JJJJ-MM-DD)
error-pain-range = { $arg } = { $value } valt buiten het bereik (toegestaan: 0..=10)
changes-levels = kan. { $channel }  { $from } → { $to } mA
changes-channel = kan. { $channel }
