"""Display page and its snapshot API. Ticket numbers only, never names."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_babel import force_locale, gettext

from core.errors import N_, Forbidden, NotAuthenticated
from core.web import current_device, current_user, site

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/display")

MAX_SCREEN_LANGUAGES = 3
# The words the screen alternates between its languages ("A-042 → Guichet 5 / شباك 5 / Counter 5").
SCREEN_WORDS = {
    "counter": N_("Counter"),
    "now_calling": N_("Now calling"),
    "last_calls": N_("Last calls"),
    "waiting": N_("Waiting"),
}


def _require_screen() -> None:
    device = current_device()
    user = current_user()
    if device is None and user is None:
        raise NotAuthenticated(N_("This device is not enrolled. Ask staff to enrol it."))
    if not ((device and device["kind"] == "display") or (user and user["role"] == "supervisor")):
        raise Forbidden(N_("This device may not do that."))


def service_names() -> dict[str, dict[str, str]]:
    return {code: dict(service.names) for code, service in site().config.services.items()}


@bp.get("/display")
def display_page() -> Any:
    try:
        _require_screen()
    except (NotAuthenticated, Forbidden):
        return render_template("not_enrolled.html", lang="fr", rtl=False), 401
    config = site().config
    languages = screen_languages(config.site["languages"], request.args.get("languages", ""))
    prefixes = {code: service.prefix for code, service in config.services.items()}
    with force_locale(languages[0]):  # staff hints (sound, connection) in the screen's first language
        return render_template("display.html", site=config.site, services=service_names(),
                               prefixes=prefixes, languages=languages, words=screen_words(languages))


def screen_languages(offered: list[str], asked: str) -> list[str]:
    """The 2-3 languages a screen alternates: `?languages=ar,fr,en` if given, else the site's first ones."""
    chosen = [code for code in asked.split(",") if code in offered] or list(offered)
    return list(dict.fromkeys(chosen))[:MAX_SCREEN_LANGUAGES]


def screen_words(languages: list[str]) -> dict[str, dict[str, str]]:
    """SCREEN_WORDS translated into each of the screen's languages."""
    words = {}
    for lang in languages:
        with force_locale(lang):
            words[lang] = {key: gettext(text) for key, text in SCREEN_WORDS.items()}
    return words


@bp.get("/api/display/snapshot")
def snapshot() -> Any:
    _require_screen()
    return jsonify({**site().screen_snapshot(), "services": service_names()})
