"""What a queue ticket says: an issued ticket turned into the printer's input, in the visitor's language."""

from __future__ import annotations

from collections.abc import Callable

from core.clock import now
from core.site import IssuedTicket, Site
from hardware.printer import TicketPrint

Translate = Callable[[str, str], str]  # (language, message id) -> sentence
RASTER_ONLY = {"ar"}


def print_language(site: Site, lang: str) -> str:
    """The printer's code page cannot shape Arabic: until Arabic lines are printed as raster images,
    an Arabic ticket is printed in the site's default language (screen and phone page stay Arabic)."""
    return str(site.config.site["default_language"]) if lang in RASTER_ONLY else lang


def layout_ticket(site: Site, issued: IssuedTicket, translate: Translate) -> TicketPrint:
    config = site.config
    ticket = issued.ticket
    lang = print_language(site, ticket.lang)
    service = config.service(ticket.service)
    local = now().astimezone(config.tz)
    return TicketPrint(
        site_name=str(config.site["name"]),
        number=ticket.number,
        service=service.name(lang),
        issued_at=local.strftime("%d/%m/%Y %H:%M"),
        people_ahead=issued.people_ahead,
        wait_minutes=issued.wait_minutes,
        url=site.ticket_url(ticket.id),
        lines=[],
        ahead_label=translate(lang, "People ahead of you"),
        wait_label=translate(lang, "Estimated wait"),
    )
