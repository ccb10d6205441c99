"""The kiosk's audio guide, server side: its sentences said by the site's offline voice.

POST /api/kiosk/speech takes what the page wants said (the sentences of its screen, a few at a time) and
answers where each one's WAV is; GET /api/kiosk/speech/<digest>.wav plays it. Two steps because the pages'
Content-Security-Policy lets media come from the site's own addresses only (no `blob:`), and so that a
sentence said before is fetched from the cache without being checked and made again. docs/accessibility.md.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, jsonify, send_file, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import force_locale, get_translations

from core.errors import N_, NotFound
from core.offload import off_loop
from core.web import LANGUAGE_NAMES, current_device, json_body, require_device, site
from hardware.voice import VoiceError
from kiosk.speech import (
    KioskSpeech,
    Said,
    SpeechUnavailable,
    configured_names,
    kiosk_voice,
    parse_items,
    words_of,
)

log = logging.getLogger(__name__)
bp = Blueprint("kiosk_speech", __name__)
SPEECH = "dour.kiosk_speech"
DIGEST = re.compile(r"[0-9a-f]{64}")


@bp.record_once
def set_up(state: BlueprintSetupState) -> None:
    site_ = state.app.extensions["dour.site"]
    voice = kiosk_voice(str(site_.config.devices["voice"]))
    state.app.extensions[SPEECH] = KioskSpeech(voice, cache_folder(site_.store.path), site_words)


def cache_folder(database: str) -> Path:
    """`<folder of the database>/cache/kiosk-speech`, beside the displays' calls (a temporary folder for an
    in-memory database)."""
    base = Path(tempfile.gettempdir()) / "dour" if database == ":memory:" else Path(database).parent
    return base / "cache" / "kiosk-speech"


def site_words(lang: str) -> frozenset[str]:
    """The words a kiosk may say in `lang`: its catalog's, and the names the site's configuration gives."""
    with force_locale(lang):
        catalog: dict[Any, str] = getattr(get_translations(), "_catalog", {})  # gettext's msgid → msgstr
    return words_of([*catalog.values(), *configured_names(site().config), *LANGUAGE_NAMES.values()])


def speech() -> KioskSpeech:
    return current_app.extensions[SPEECH]  # type: ignore[no-any-return]


@bp.post("/api/kiosk/speech")
@require_device("kiosk")
def say() -> Any:
    """Where to play each sentence; a sentence with a word the site does not use is skipped (its index in
    `skipped`), the others are said."""
    items = parse_items(json_body(), list(site().config.site["languages"]))
    kiosk = str((current_device() or {}).get("id"))
    clips, skipped = [], []
    for index, item in enumerate(items):
        if not speech().sayable(item):
            skipped.append(index)
            continue
        clips.append({"url": url_for("kiosk_speech.clip", digest=_said(item, kiosk).stem), "lang": item.lang})
    return jsonify({"clips": clips, "skipped": skipped})


def _said(item: Said, kiosk: str) -> Path:
    try:
        # In gevent's thread pool, as the displays' calls are: the loop goes on serving meanwhile.
        return speech().clip(item, kiosk, off_loop)
    except VoiceError as error:
        log.error("kiosk sentence in %s not synthesised: %s", item.lang, error)
        raise SpeechUnavailable(N_("The audio guide cannot speak right now: please ask a member of staff for "
                                   "help.")) from error


@bp.get("/api/kiosk/speech/<digest>.wav")
@require_device("kiosk")
def clip(digest: str) -> Any:
    """A sentence said before (POST /api/kiosk/speech gives its address)."""
    path = speech().cache.folder / f"{digest}.wav"
    if not DIGEST.fullmatch(digest) or not path.is_file():
        raise NotFound(N_("This sentence is no longer ready: ask for it again."))
    response = send_file(path, mimetype="audio/wav", conditional=True, etag=digest, max_age=86400)
    response.cache_control.private = True
    response.cache_control.public = False
    return response

