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
