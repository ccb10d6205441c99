"""Display page, its snapshot API and the spoken calls. Ticket numbers only, never names."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request, send_file
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale, gettext
from werkzeug.datastructures import MultiDict

from core import announcements, device_health, zones
from core.errors import N_, DourError, Forbidden, InvalidInput, NotAuthenticated, NotFound
from core.offload import off_loop
from core.web import current_device, current_user, field, json_body, site
from hardware.voice import EspeakVoice, SpeechCache, Voice, VoiceError, open_voice

log = logging.getLogger(__name__)
bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/display")

MAX_SCREEN_LANGUAGES = 3
# The words the screen alternates between its languages ("A-042 → Guichet 5 / شباك 5 / Counter 5").
SCREEN_WORDS = {
    "counter": N_("Counter"),
    "now_calling": N_("Now calling"),
    "last_calls": N_("Last calls"),
    "waiting": N_("Waiting"),
    "minutes": N_("min"),  # after a service's waiting-time range, "15–25 min"
}
SPEECH = "dour.speech"
SPEECH_OFF = ("", "none", "off")
TRUE = ("1", "true", "yes", "on")
FULL_VOLUME = 100


class SpeechUnavailable(DourError):
    status = 503
    code = "speech_unavailable"


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
    speech = speech_settings(config.site["languages"], languages, request.args)
    zone = screen_zone()
    with force_locale(languages[0]):  # staff hints (sound, connection) in the screen's first language
        return render_template("display.html", site=config.site, services=service_names(),
                               prefixes=prefixes, languages=languages, words=screen_words(languages),
                               speech=speech, zone=zone.to_dict(), tiles=zone.panel(list(config.services)))


def screen_languages(offered: list[str], asked: str) -> list[str]:
    """The 2-3 languages a screen alternates: `?languages=ar,fr,en` if given, else the site's first ones."""
    chosen = [code for code in asked.split(",") if code in offered] or list(offered)
    return list(dict.fromkeys(chosen))[:MAX_SCREEN_LANGUAGES]


def speech_settings(offered: list[str], screen: list[str], args: MultiDict[str, str]) -> dict[str, Any]:
    """What a screen says aloud, from its URL: `speech=ar,fr` (the languages, in order; default: the screen's
    languages; `speech=none`: the chime only), `volume=0..100` (default 100), `mute=1` (no sound at all)."""
    asked = args.get("speech")
    if asked is None:
        spoken = list(screen)
    elif asked.strip().lower() in SPEECH_OFF:
        spoken = []
    else:
        spoken = list(dict.fromkeys(code for code in asked.split(",") if code in offered)) or list(screen)
    volume = args.get("volume", "")
    level = min(int(volume), FULL_VOLUME) if volume.isdigit() else FULL_VOLUME
    return {"languages": spoken[:MAX_SCREEN_LANGUAGES], "volume": level,
            "muted": args.get("mute", "").lower() in TRUE}


def screen_words(languages: list[str]) -> dict[str, dict[str, str]]:
    """SCREEN_WORDS translated into each of the screen's languages."""
    words = {}
    for lang in languages:
        with force_locale(lang):
            words[lang] = {key: gettext(text) for key, text in SCREEN_WORDS.items()}
    return words


@bp.get("/api/display/snapshot")
def snapshot() -> Any:
    """What the screen shows; a zoned display's calls, counts and estimates only (core/zones.py)."""
    _require_screen()
    zone = screen_zone()
    estimates = site().forecasts.to_json()
    return jsonify({**site().screen_snapshot(zone), "zone": zone.to_dict(), "services": service_names(),
                    "estimates": {code: estimates[code] for code in zone.panel(list(estimates))}})


def screen_zone() -> zones.Zone:
    """The zone of the display asking (a supervisor's page: the whole site)."""
    device = current_device()
    return zones.of_display(site().store.read(), device["name"]) if device else zones.EVERYWHERE


# --- whether the screen can play sound (docs/speech.md) ----------------------------------------------------
SOUND_REPORTS = {"ok": ("ok", ""), "blocked": ("degraded", "sound_blocked"),
                 "failed": ("degraded", "sound_failed")}


@bp.post("/api/display/sound")
def sound() -> Any:
    """The display page says whether it could play its last sound: `blocked` (the browser refused: autoplay
    policy), `failed` (the audio could not play), `ok` (it played). Kept as the display's device health, so
    staff pages say "Display X cannot play sound" until it plays again. A supervisor's page: ignored."""
    _require_screen()
    state = field(json_body(), "state", str)
    if state not in SOUND_REPORTS:
        raise InvalidInput(N_("Unknown sound state: %(state)s."), state=state)
    device = current_device()
    if device is None:
        return jsonify({"recorded": False})
    health, reason = SOUND_REPORTS[state]
    name = f"display:{device['name']}"
    if state == "ok" and device_health.current(site().store.read(), name) is None:
        # nothing to clear: a display is listed among the devices once it could not play
        return jsonify({"recorded": False})
    return jsonify({"recorded": site().report_device_health(name, "display", health, reason)})


# --- spoken calls (docs/speech.md) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Speech:
    """The site's sentences, its voices by URI and the cache of what they said."""

    templates: dict[str, str]
    voices: dict[str, Voice]
    cache: SpeechCache

    def voice_uri(self, devices: dict[str, Any], display: str | None) -> str:
        """`devices.displays."<name>".voice` of the asking display, else `devices.voice`."""
        own = devices.get("displays", {}).get(display, {}) if display else {}
        return str(own.get("voice") or devices["voice"])


@bp.record_once
def set_up_speech(state: BlueprintSetupState) -> None:
    """At start: a template without {ticket} or {counter}, or a voice URI that cannot work, stops the site
    with a sentence saying so, rather than leaving the waiting room silent."""
    site_ = state.app.extensions["dour.site"]
    config = site_.config
    uris = [str(config.devices["voice"])] + [str(table.get("voice") or config.devices["voice"])
                                             for table in config.devices.get("displays", {}).values()]
    voices = {uri: open_voice(uri) for uri in uris}
    templates = announcements.templates(config.site["announcements"])
    state.app.extensions[SPEECH] = Speech(templates, voices, SpeechCache(cache_folder(site_.store.path)))
    try:
        EspeakVoice().version()  # asked once, now, rather than on the first call
    except VoiceError as error:
        log.error("espeak-ng cannot speak (%s): calls are shown but not announced; `make apt` installs it",
                  error)


def cache_folder(database: str) -> Path:
    """`<folder of the database>/cache/speech` (a temporary folder for an in-memory database)."""
    base = Path(tempfile.gettempdir()) / "dour" if database == ":memory:" else Path(database).parent
    return base / "cache" / "speech"


@bp.get("/display/speech/<lang>/<number>/<counter>.wav")
def speech(lang: str, number: str, counter: str) -> Any:
    """The call of ticket `number` to `counter`, said in `lang` by this display's voice (a WAV)."""
    _require_screen()
    config = site().config
    if lang not in config.site["languages"]:
        raise NotFound(N_("This site does not announce calls in that language."))
    letters, _value = announcements.parse_ticket(number)
    if letters not in {service.prefix for service in config.services.values()}:
        raise NotFound(N_("No service of this site gives tickets with that letter."))
    config.counter(announcements.parse_counter(counter))
    setup: Speech = current_app.extensions[SPEECH]
    sentence = announcements.sentence(setup.templates[lang], lang, number, int(counter))
    device = current_device()
    voice = setup.voices[setup.voice_uri(config.devices, device["name"] if device else None)]
    try:
        identity = voice.identity(lang, sentence.parts)
        # In gevent's thread pool, as password hashes are: the gevent loop goes on serving meanwhile.
        path = setup.cache.get(identity, lambda: off_loop(voice.render, lang, sentence.parts))
    except VoiceError as error:
        log.error("announcement %s counter %s in %s not synthesised: %s", number, counter, lang, error)
        raise SpeechUnavailable(N_("The announcement could not be produced: the call is still shown on the "
                                   "screen. Tell IT staff if this goes on.")) from error
    response = send_file(path, mimetype="audio/wav", conditional=True, etag=path.stem)
    response.cache_control.public = False
    response.cache_control.max_age = None
    response.cache_control.private = True
    response.cache_control.no_cache = True  # revalidated (304): a changed voice or template is heard at once
    return response
