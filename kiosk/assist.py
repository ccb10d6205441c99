"""What the kiosk page's audio guide says besides its screens' own text (kiosk/static/audio_assist.js), in the
page's language; on the start screen, the language choice in every language the site offers (a visitor who
cannot read does not know yet which one the page is in). docs/accessibility.md describes the guide."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import force_locale, gettext

from core.web import site

AUDIO_KEY = "F2"  # the keypad key that turns the guide on and off (a site maps its headphone jack to it)


def assist_settings(lang: str, chosen: bool) -> dict[str, Any]:
    return {
        "speechUrl": url_for("kiosk_speech.say"),
        "lang": lang,
        "audioKey": AUDIO_KEY,
        "strings": _strings(),
        "languages": [] if chosen else [_language_choice(code) for code in site().config.site["languages"]],
    }


def _strings() -> dict[str, str]:
    return {
        "help": gettext("Audio guide on. Move between the choices with the arrow keys, choose with OK, go "
                        "back with Back, or press the number of a choice. Zero says the screen again."),
        "off": gettext("Audio guide off."),
        "button": gettext("button, %(index)s of %(total)s", index="{index}", total="{total}"),
        "on": gettext("on, %(index)s of %(total)s", index="{index}", total="{total}"),
        "offState": gettext("off, %(index)s of %(total)s", index="{index}", total="{total}"),
        "unavailable": gettext("unavailable, %(index)s of %(total)s", index="{index}", total="{total}"),
        "ticket": gettext("Your number is %(number)s.", number="{code}"),
        "waitRange": gettext("Estimated wait in minutes: %(low)s to %(high)s.", low="{low}", high="{high}"),
        "waitMinutes": gettext("Estimated wait in minutes: %(minutes)s.", minutes="{minutes}"),
        "ahead": gettext("People ahead of you: %(num)s.", num="{num}"),
        "stillThere": gettext("Are you still there?"),
        "pressForMore": gettext("Press OK for more time."),
        "otherwise": gettext("Otherwise the kiosk returns to the start for the next visitor."),
        "moreTime": gettext("You have more time."),
    }


def _language_choice(lang: str) -> dict[str, str]:
    with force_locale(lang):
        return {"lang": lang, "title": gettext("Choose your language"),
                "button": gettext("button, %(index)s of %(total)s", index="{index}", total="{total}")}
