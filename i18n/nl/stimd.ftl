# De teksten van stimd in het Nederlands: elke fout en elke melding die een client ziet, per
# vaste code (`dose.too_soon` is het bericht `dose-too_soon`; docs/texts.md noemt ze met hun
# argumenten). Elk bericht hier staat ook in ../en/stimd.ftl met dezelfde argumenten (een test
# in src/texts/tests.rs controleert dat). `$detail` is de Engelse omschrijving: alleen waar
# een tekst voor de installateur is (opslag, programmabestanden) staat die hier nog.

decimal-separator = ,

-printable = leesbare tekst: geen stuurtekens (NUL, tab, regeleinden, escape …), geen regel- of alineascheidingstekens en geen tekens die de schrijfrichting sturen


## Plaatsen op het lichaam (waar een sessie mag, en waar nooit)
site-neck = nek
site-shoulder = schouder
site-upper_back = bovenrug
site-low_back = onderrug
site-arm = arm
site-elbow = elleboog
site-wrist = pols
site-hand = hand
site-hip = heup
site-buttock = bil
site-thigh = dij
site-knee = knie
site-calf = kuit
site-ankle = enkel
site-foot = voet
site-abdomen = buik
site-chest = borst
site-heart = hart
site-front_of_neck = voorkant van de hals
site-head = hoofd
site-eyes = ogen
site-face = gezicht

## Vragen over contra-indicaties (Profiles.Questions)
question-implant = Heeft u een pacemaker, een defibrillator of een ander elektronisch implantaat?
question-epilepsy = Heeft u epilepsie?
question-pregnancy = Bent u zwanger?
question-heart_disease = Heeft u een hartaandoening?
question-skin = Is de huid waar de elektroden komen beschadigd, geïrriteerd of gevoelloos?

## Een sessie starten
program-unknown = programma = { $program } bestaat niet (bekend: { $known })
program-over_limits = programma { $program } past niet binnen de ingestelde grenzen: { $problems }
program-id_too_long = het programma-id is { $length } tekens lang (toegestaan: hoogstens { $max })
start-duration_out_of_range = duur = { $duration } s valt buiten het bereik (toegestaan: 1..={ $max } s)
start-intensity_count = intensiteit heeft { $given } waarde(n) maar er zijn { $channels } kanaal/kanalen in gebruik (één µA-waarde per kanaal)
start-keepalive_out_of_range = keepalive = { $keepalive } s valt buiten het bereik (toegestaan: 0..={ $max } s, 0 = geen)
start-channels_count = kanalen = { $given } moet 1 tot { $channels } verschillende kanalen noemen uit 0..={ $max }
start-channel_out_of_range = kanalen: kanaal { $channel } valt buiten het bereik (toegestaan: 0..={ $max })
start-channel_twice = kanalen: kanaal { $channel } staat er twee keer in
placement-forbidden = plaats = { $placement } is nooit toegestaan: { $reason ->
    [heart_rhythm] stroom door de borst kan het hartritme verstoren
    [airway] stroom op de voorkant van de hals kan de luchtweg afsluiten en de bloeddruk laten dalen
    [brain] stroom door het hoofd kan de hersenen beïnvloeden en aanvallen veroorzaken
    [eyes] stroom bij de ogen kan ze beschadigen
   *[face] stroom op het gezicht bereikt de ogen en de hersenen
  }
placement-unknown = plaats = { $placement } is onbekend (toegestaan: { $allowed })
contraindication-unanswered = profiel { $profile } heeft de vragen over contra-indicaties nog niet beantwoord (stimctl check --profile { $name })
contraindication-needs_approval = profiel { $profile } antwoordde ja op: { $answers }; eerst moet een arts het gebruik goedkeuren, en een beheerder moet die goedkeuring vastleggen
contraindication-pregnant_name_placement = profiel { $profile } is zwanger: noem de plaats van de elektroden (niet { $not })
contraindication-pregnancy_placement = plaats = "{ $placement }" is niet toegestaan tijdens de zwangerschap (niet { $not })
dose-sessions_today = profiel { $profile }: vandaag al { $today } sessie(s) (toegestaan: { $allowed } per dag); de volgende mag morgen
dose-minutes_used = profiel { $profile }: { $used } van de { $allowed } minuten van vandaag gebruikt; de volgende sessie mag morgen
dose-too_long = profiel { $profile }: { $used } van de { $allowed } minuten van vandaag gebruikt: vraag hoogstens { $left_s } s (duur)
dose-too_soon = profiel { $profile }: de volgende sessie mag vanaf { $next } (minstens { $gap_min } minuten tussen sessies)
battery-too_low_to_start = batterij op { $percent } %, op of onder { $critical } % (battery.critical_percent) waar een sessie stopt: laad het apparaat eerst op
fault-latched = er is een storing ({ $fault ->
    [over_limit] stroom boven de grens
    [rise_rate] te snel stijgende stroom
    [stuck_phase] een puls die bleef hangen
    [engine_heartbeat] pulsgenerator reageert niet
    [overcurrent] overstroom
    [spi_error] fout in de verbinding met de DAC (SPI)
    [gpio_error] fout in een stuurlijn (GPIO)
    [supervisor_stall] veiligheidsbewaking te laat
    [hardware_unavailable] hardware niet beschikbaar
   *[other] { $fault }
  }): de uitgang is uit; bevestig de storing zodra de oorzaak weg is
fault-latched_hardware = er is een storing ({ $fault ->
    [over_limit] stroom boven de grens
    [rise_rate] te snel stijgende stroom
    [stuck_phase] een puls die bleef hangen
    [engine_heartbeat] pulsgenerator reageert niet
    [overcurrent] overstroom
    [spi_error] fout in de verbinding met de DAC (SPI)
    [gpio_error] fout in een stuurlijn (GPIO)
    [supervisor_stall] veiligheidsbewaking te laat
    [hardware_unavailable] hardware niet beschikbaar
   *[other] { $fault }
  }): herstel de hardware of de configuratie en start stimd opnieuw
session-already_running = sessie { $session } loopt; stop die eerst

## Een lopende sessie
session-not_running = er loopt geen sessie
channel-no_contact = kanaal { $channel } heeft geen contact met de elektroden: controleer de pads en kies dan Hervatten (het loopt op vanaf nul)
channel-out_of_range = kanaal = { $channel } valt buiten het bereik (toegestaan: 0..={ $max })
channel-not_in_use = kanaal = { $channel } wordt niet gebruikt door deze sessie (in gebruik: { $in_use })

## Storingen
fault-latched_while_acknowledging = tijdens het bevestigen trad een nieuwe storing op ({ $fault ->
    [over_limit] stroom boven de grens
    [rise_rate] te snel stijgende stroom
    [stuck_phase] een puls die bleef hangen
    [engine_heartbeat] pulsgenerator reageert niet
    [overcurrent] overstroom
    [spi_error] fout in de verbinding met de DAC (SPI)
    [gpio_error] fout in een stuurlijn (GPIO)
    [supervisor_stall] veiligheidsbewaking te laat
    [hardware_unavailable] hardware niet beschikbaar
   *[other] { $fault }
  }); bevestig die zodra de oorzaak weg is
fault-ack_hardware_unavailable = kan niet bevestigen: de hardware kon bij het starten niet worden geopend; herstel die of de [linux]-configuratie en start stimd opnieuw
fault-ack_engine_not_running = kan niet bevestigen: de pulsgenerator draait niet
fault-ack_dac_failing = kan niet bevestigen: de DAC neemt geen waarden aan
fault-ack_dac_not_zero = kan niet bevestigen: de DAC staat nog niet op nul
fault-ack_level_above_peak = kan niet bevestigen: { $detail }
fault-ack_overcurrent_active = kan niet bevestigen: de overstroombeveiliging is nog actief
fault-ack_overcurrent_unreadable = kan niet bevestigen: { $detail }
fault-ack_interlock_failing = kan niet bevestigen: { $detail }
supervisor-not_running = de veiligheidsbewaking draait niet
supervisor-silent = de veiligheidsbewaking antwoordde niet

## Meldingen (Session.Notice en Session.NoticeRaised)
notice-placement_not_meant = programma { $program } is bedoeld voor { $meant_for }, niet voor de { $placement }
notice-worn_pads_lost_contact = kanaal { $channel } verloor het contact; de pads zijn { $sessions } sessies gebruikt (versleten na { $uses }): plak nieuwe pads en kies dan Device.PadsReplaced({ $channel })
notice-battery_low = batterij op { $percent } %: de sessie stopt bij { $critical } %; sluit de lader aan om door te gaan
notice-battery_low_minutes = batterij op { $percent } %: de sessie stopt bij { $critical } %, bij dit verbruik over ongeveer { $minutes } minuut/minuten; sluit de lader aan om door te gaan

## Advies (History.Advice)
advice-best = voor { $profile } hielp { $program } het meest: pijn gemiddeld { $before } → { $after } ({ $reduction } punten minder) over { $rated } beoordeelde sessies
advice-not_enough = nog te weinig gegevens voor { $profile }: noteer de pijn voor en na minstens { $min } sessies van een programma

## Opties en aanroepen
option-wrong_type = optie { $option } moet type { $want } hebben, niet { $got }
option-too_many_entries = optie { $option } heeft { $given } items (toegestaan: hoogstens { $max })
option-too_many = { $given } opties gegeven (toegestaan: hoogstens { $max })
option-unknown = onbekende optie { $option } (toegestaan: channels, duration, intensity, profile, placement, keepalive)
call-rate_limited = te veel aanroepen van { $sender } (toegestaan: { $per_second } per seconde, pieken van { $burst }); probeer het over { $wait_ms } ms opnieuw
text-too_long = { $key } = { $value } is langer dan { $max } tekens (toegestaan: hoogstens { $max } tekens { -printable })
text-refused_character = { $key } = { $value } bevat { $character } op teken { $at } (toegestaan: { -printable }; hoogstens { $max } tekens)
internal-failed = { $detail }
manager-not_running = de sessiebeheerder draait niet
manager-silent = de sessiebeheerder antwoordde niet
storage-worker_gone = de opslag draait niet
pads-not_stored = { $detail }; de padtellingen van kanaal { $channel } zijn niet veranderd

## Profielen
profiles-unavailable = de profielen zijn niet beschikbaar
profile-bad_name = naam = { $name } is geen profielnaam (1 tot 32 tekens uit a-z, 0-9, - en _, beginnend met een letter)
profile-exists = profiel { $name } bestaat al; gebruik Update
profile-unknown = profiel = { $name } bestaat niet (profielen: { $known })
profile-damaged = profiel = { $name } is niet beschikbaar: het bestand is beschadigd ({ $why }); een beheerder kan het verwijderen (Profiles.Remove) en het profiel opnieuw aanmaken
profile-full = er zijn { $count } profielen opgeslagen (toegestaan: hoogstens { $max }); verwijder er eerst een
profile-default_stays = het standaardprofiel kan niet worden verwijderd
profile-not_serialisable = { $detail }
profile-not_stored = { $detail }
profile-not_removed = { $detail }
profile-not_a_name = profiel = { $profile } is geen profielnaam
approval-nothing_to_approve = profiel { $profile } heeft geen "ja" om goed te keuren
admin-only = { $action ->
    [set_limits] de grenzen van iemand instellen
    [remove_profile] een profiel verwijderen
   *[approve] de goedkeuring van een arts vastleggen
  } mag alleen root of een lid van de groep { $group }
language-unknown = taal = { $language } (toegestaan: nl, en)
setting-too_many = instellingen heeft { $given } items (toegestaan: hoogstens { $max }, één per sleutel: { $keys })
setting-unknown = onbekende instelling { $key } (toegestaan: { $keys })
setting-too_long = { $detail }
setting-wrong_type = { $key }: type { $expected } verwacht
setting-not_allowed = { $detail }
setting-out_of_range = { $key } = { $value } valt buiten het bereik (toegestaan: { $min }..={ $max })
setting-too_many_programs = preferred_programs: { $given } programma's (toegestaan: hoogstens { $max })
setting-no_such_program = preferred_programs: programma { $program } bestaat niet
answers-too_many = antwoorden heeft { $given } items (toegestaan: hoogstens { $max }, één per vraag)
answers-not_a_question = antwoorden: { $key } is geen vraag (vragen: { $questions })
answers-missing = antwoorden: elke vraag heeft een antwoord nodig; ontbreekt: { $missing }
answers-clears_yes = antwoorden: profiel { $profile } antwoordde eerder ja op [{ $cleared }]; alleen een beheerder mag een "ja" in "nee" veranderen (dat is wat sessies weer toestaat)

## Programma's
programs-unavailable = de programmacatalogus is niet beschikbaar
program-bad_text = { $detail }
program-refused = programma geweigerd: { $problems }
program-is_preset = id = { $program } is een ingebouwd programma; dat kan niet worden vervangen (kies een ander id)
program-exists = id = { $program } is al een eigen programma; verwijder het eerst om het te vervangen
program-full = er zijn { $count } eigen programma's opgeslagen (toegestaan: hoogstens { $max }); verwijder er eerst een
program-built_in = programma { $program } is ingebouwd en kan niet worden verwijderd
program-not_custom = programma = { $program } is geen eigen programma (eigen: { $custom })
program-not_stored = { $detail }
program-not_removed = { $detail }

## Geschiedenis
history-no_such_session = id = { $id } is geen sessie in de geschiedenis
history-unavailable = { $detail }
history-bad_period = since = { $since }, until = { $until }: Unix-seconden, 0 = onbegrensd, until ≥ since
history-pain_out_of_range = { $name } = { $value } valt buiten het bereik (toegestaan: 0..=10)
history-unknown_format = formaat = { $format } wordt niet ondersteund (toegestaan: { $allowed })
history-export_failed = { $detail }

## Het sim-bord (ontwikkeling en tests)
sim-unknown_button = knop = { $button } is onbekend (toegestaan: up, down, stop)
sim-battery_out_of_range = percent = { $percent } valt buiten het bereik (toegestaan: -1..=100)
sim-fault_duration_out_of_range = duration_ms = { $duration_ms } valt buiten het bereik (toegestaan: 1..={ $max })
sim-inject_failed = kan { $kind } niet injecteren: { $detail }
sim-unknown_fault = kind = { $kind } is onbekend (toegestaan: { $allowed })
