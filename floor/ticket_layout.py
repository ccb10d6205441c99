"""What a queue ticket says: an issued ticket turned into the printer's blocks, in two languages.

The ticket is bilingual: the visitor's language first, then a second language so that staff and companions
can read it too: Arabic, or, for an Arabic-speaking visitor, the site's default language (French for our
posts, the host country's language elsewhere). The service, people ahead and wait are in both; the hint
under the QR code only in the visitor's language (each Arabic line is a raster image of 0.3 to 2 KB, which
a 9600-baud serial printer takes up to 2 s to receive). The printer driver prints Arabic lines as raster
images. A priority ticket (elderly, disabled, pregnant) carries the word "Priority" in white on black
under its number, as the kiosk's screen shows it, so that an usher sees it at a glance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.errors import N_
from core.site import IssuedTicket, Site
from hardware.printer import Align, Block, Feed, Qr, Text, Ticket

Translate = Callable[[str, str], str]  # (language, message id) -> sentence
SECOND_LANGUAGE = "ar"
FALLBACK_LANGUAGE = "fr"  # the second language of an Arabic ticket when the site's default is Arabic too
SCAN_HINT = "Scan this code with your phone to follow your turn."
NUMBER_SCALE = 4  # the ticket number is printed 4x wide and 4x high
PRIORITY = N_("Priority")
WAIT_RANGE = N_("about %(low)s–%(high)s min")


def second_language(site: Site, lang: str) -> str:
    """Arabic, or for an Arabic ticket the site's default language."""
    if lang != SECOND_LANGUAGE:
        return SECOND_LANGUAGE
    default = str(site.config.site["default_language"])
    return default if default != SECOND_LANGUAGE else FALLBACK_LANGUAGE


def centred(text: str, scale: int = 1, bold: bool = False) -> Text:
    return Text(text, Align.CENTER, scale, bold)


def in_both(languages: tuple[str, str], line: Callable[[str], str]) -> list[Block]:
    """A line in the visitor's language, then in the second language (once if both read the same)."""
    first, second = (line(lang) for lang in languages)
    return [centred(first)] if first == second else [centred(first), centred(second)]


def layout_ticket(site: Site, issued: IssuedTicket, translate: Translate) -> Ticket:
    """The ticket's blocks: site, number, service, date, people ahead, wait, QR of the visitor's page."""
    config, ticket = site.config, issued.ticket
    languages = (ticket.lang, second_language(site, ticket.lang))
    service = config.service(ticket.service)
    issued_at = datetime.fromisoformat(ticket.arrived_at).astimezone(config.tz)

    def minutes(lang: str) -> str:
        if issued.estimate is not None:  # the forecast's range (core/forecasts.py), when there is one
            low, high = issued.estimate.shown
            return translate(lang, WAIT_RANGE) % {"low": low, "high": high}
        return translate(lang, "%(minutes)s min") % {"minutes": issued.wait_minutes}

    return Ticket([
        centred(str(config.site["name"]), bold=True),
        Feed(),
        centred(translate(ticket.lang, "Your number")),
        centred(ticket.number, NUMBER_SCALE, bold=True),
        *(priority_mark(languages, translate) if ticket.priority else []),
        *in_both(languages, service.name),
        centred(issued_at.strftime("%d/%m/%Y %H:%M")),
        *appointment_lines(site, issued, translate, languages),
        Feed(),
        *in_both(languages, lambda lang: f"{translate(lang, 'People ahead of you')}: {issued.people_ahead}"),
        *in_both(languages, lambda lang: f"{translate(lang, 'Estimated wait')}: {minutes(lang)}"),
        Feed(),
        Qr(site.ticket_url(ticket.id)),
        Feed(),
        centred(translate(ticket.lang, SCAN_HINT)),
    ])


def priority_mark(languages: tuple[str, str], translate: Translate) -> list[Block]:
    """"PRIORITAIRE" white on black at twice the size, then in the second language at the normal size."""
    first, second = (translate(lang, PRIORITY).upper() for lang in languages)
    mark: list[Block] = [Text(first, Align.CENTER, scale=2, bold=True, invert=True)]
    return mark if first == second else [*mark, Text(second, Align.CENTER, bold=True, invert=True)]


APPOINTMENT_AT = N_("Appointment at %(time)s")


def appointment_lines(site: Site, issued: IssuedTicket, translate: Translate,
                      languages: tuple[str, str]) -> list[Block]:
    """An appointment ticket prints its slot (the time the visitor was given), in both languages."""
    if issued.ticket.slot_at is None:
        return []
    slot = datetime.fromisoformat(issued.ticket.slot_at.replace("Z", "+00:00")).astimezone(site.config.tz)
    return in_both(languages, lambda lang: translate(lang, APPOINTMENT_AT) % {"time": slot.strftime("%H:%M")})
