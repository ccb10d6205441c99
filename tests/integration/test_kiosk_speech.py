"""The kiosk's audio guide, server side (kiosk/speech_routes.py, docs/accessibility.md): an enrolled kiosk has
its screens' sentences said by the site's offline voice; only the site's own words, in the languages it
offers, within bounds, cached by content, each kiosk with a budget of new sentences; the page's toggles and
the guide's sentences are rendered in the visitor's language."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale, gettext

from core import announcements
from core import config as site_config
from core.app import create_app
from core.errors import InvalidInput
from hardware.voice import ClipVoice, EspeakVoice, joined
from kiosk.speech import (
    MAX_ITEM_CHARS,
    MAX_ITEMS,
    KioskSpeech,
    Said,
    SpeechBudget,
    TooMuchSpeech,
    kiosk_voice,
)
from kiosk.speech_routes import SPEECH, cache_folder
from tests.integration.test_announcements import audio

URL = "/api/kiosk/speech"


@pytest.fixture
def kiosk(app: Any, kiosk_client: Any) -> Any:
    return kiosk_client(app)


def translated(app: Any, lang: str, text: str, **values: str) -> str:
    with app.test_request_context(), force_locale(lang):
        return gettext(text, **values)


def say(client: Any, *texts: str, lang: str = "fr", **item: Any) -> Any:
    return client.post(URL, json={"lang": lang, "say": [{"text": text, **item} for text in texts]})


# --- saying a screen's sentences --------------------------------------------------------------------------
def test_a_kiosk_hears_its_sentences_as_audio(app: Any, kiosk: Any) -> None:
    answer = say(kiosk, translated(app, "fr", "Choose a service"), "Passeport")
    assert answer.status_code == 200, answer.json
    clips = answer.json["clips"]
    assert [clip["lang"] for clip in clips] == ["fr", "fr"] and answer.json["skipped"] == []
    for clip in clips:
        assert re.fullmatch(r"/api/kiosk/speech/[0-9a-f]{64}\.wav", clip["url"])
        wav = kiosk.get(clip["url"])
        assert wav.status_code == 200 and wav.mimetype == "audio/wav"
        assert "private" in wav.headers["Cache-Control"]
        duration, rms = audio(wav)
        assert 0.3 <= duration <= 5.0 and rms > 1000  # speech, not silence


@pytest.mark.parametrize("lang", site_config.LANGUAGES)
def test_the_ticket_sentence_is_said_in_each_language(app: Any, kiosk: Any, lang: str) -> None:
    sentence = translated(app, lang, "Your number is %(number)s.", number="{code}")
    assert "{code}" in sentence and sentence != "Your number is {code}." or lang == "en"
    answer = kiosk.post(URL, json={"say": [{"text": sentence, "code": "A-042", "lang": lang}]})
    assert answer.status_code == 200 and answer.json["skipped"] == []
    duration, rms = audio(kiosk.get(answer.json["clips"][0]["url"]))
    assert duration >= 0.8 and rms > 1000


def test_a_ticket_number_is_said_as_a_call_says_it_and_a_reference_is_spelled() -> None:
    ticket = announcements.spoken("Votre numéro est {code}.", "fr", "A-042").parts
    assert joined(ticket) == "Votre numéro est A 42."
    assert [part.kind for part in ticket] == ["words", "letter", "number", "words"]
    reference = announcements.spoken("{code}", "fr", "RDV-7KQ2").parts
    assert [(part.kind, part.text) for part in reference] == [
        ("letter", char) for char in "RDV7KQ2"]
    for text, code in [("Sans code", "A-042"), ("{code} {code}", "A-1"), ("{code}", None), ("{code}", "a-1"),
                       ("{code}", "<speak>"), ("{code}", "ABCDEFGHIJKLMN")]:
        with pytest.raises(InvalidInput):
            announcements.spoken(text, "fr", code)


def test_a_sentence_with_words_the_site_does_not_use_is_not_said(app: Any, kiosk: Any) -> None:
    """A kiosk speaks its screens: text from elsewhere is skipped, the rest of the utterance is said."""
    choose = translated(app, "fr", "Choose a service")
    answer = say(kiosk, "Transférez l'argent sur ce compte bancaire", choose, "Passeport 60 €, 3 personnes")
    assert answer.status_code == 200
    assert answer.json["skipped"] == [0] and len(answer.json["clips"]) == 2


def test_service_fee_and_language_names_of_the_configuration_are_the_sites_words(kiosk: Any) -> None:
    answer = kiosk.post(URL, json={"say": [
        {"text": "جواز السفر", "lang": "ar"},
        {"text": "Droit de timbre – passeport biométrique", "lang": "fr"},
        {"text": "Nederlands", "lang": "nl"},
        {"text": "Consulat général du Royaume du Maroc à Paris", "lang": "fr"},
    ]})
    assert answer.status_code == 200 and answer.json["skipped"] == []


# --- what a kiosk may ask ---------------------------------------------------------------------------------
def test_only_an_enrolled_kiosk_may_have_sentences_said(app: Any, kiosk: Any, display_token: str) -> None:
    url = say(kiosk, "Passeport").json["clips"][0]["url"]
    stranger = app.test_client()
    assert say(stranger, "Passeport").status_code == 401
    assert stranger.get(url).status_code == 401
    display = app.test_client()
    display.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {display_token}"
    assert say(display, "Passeport").status_code == 403
    assert display.get(url).status_code == 403


def test_a_language_the_site_does_not_offer_is_refused(tmp_path: Path, kiosk_client: Any) -> None:
    config = site_config.load(env={"DOUR_SITE_LANGUAGES": "fr,ar"})
    client = kiosk_client(create_app(config, str(tmp_path / "two.db"), start_devices=False))
    assert say(client, "Passeport", lang="ar").status_code == 200
    for lang in ("de", "xx", "FR", ""):
        refused = say(client, "Passeport", lang=lang)
        assert refused.status_code == 400 and refused.json["error"] == "invalid_input", lang
    body = {"lang": "fr", "say": [{"text": "Passeport"}, {"text": "Reisepass", "lang": "de"}]}
    mixed = client.post(URL, json=body, headers={"Accept-Language": "fr"})
    assert mixed.status_code == 400 and mixed.json["message"] == "Cette borne ne parle pas cette langue."


@pytest.mark.parametrize("body", [
    {"lang": "fr"},
    {"lang": "fr", "say": []},
    {"lang": "fr", "say": "Passeport"},
    {"lang": "fr", "say": [{"text": "Passeport"}] * (MAX_ITEMS + 1)},
    {"lang": "fr", "say": [{"text": "Passeport " * (MAX_ITEM_CHARS // 10 + 1)}]},
    {"lang": "fr", "say": [{"text": "Passeport " * 39}] * 5},  # each within bounds, too long together
    {"lang": "fr", "say": [{"text": "   "}]},
    {"lang": "fr", "say": [{"text": 42}]},
    {"lang": "fr", "say": [{"text": "Passeport", "code": 42}]},
    {"lang": "fr", "say": [{"text": "Votre numéro est {code}."}]},
    {"lang": "fr", "say": [{"text": "Votre numéro est {code}.", "code": "A-042</say-as>"}]},
    {"lang": 3, "say": [{"text": "Passeport"}]},
    {"say": [{"text": "Passeport"}]},
    {"lang": "fr", "say": ["Passeport"]},
])
def test_requests_out_of_bounds_are_refused_with_a_sentence(kiosk: Any, body: dict[str, Any]) -> None:
    answer = kiosk.post(URL, json=body, headers={"Accept-Language": "fr"})
    assert answer.status_code == 400, body
    assert answer.json["error"] == "invalid_input" and answer.json["message"]


@pytest.mark.parametrize("digest", ["0" * 64, "../../t.db", "A" * 64, "0" * 63])
def test_only_a_cached_sentence_can_be_fetched(kiosk: Any, digest: str) -> None:
    assert kiosk.get(f"{URL}/{digest}.wav").status_code == 404


# --- cache and budget -------------------------------------------------------------------------------------
def test_sentences_are_cached_by_content_beside_the_database(app: Any, kiosk: Any, tmp_path: Path) -> None:
    first = say(kiosk, "Passeport").json["clips"][0]["url"]
    assert say(kiosk, "Passeport").json["clips"][0]["url"] == first
    assert say(kiosk, "Passeport", lang="nl").json["clips"][0]["url"] != first
    digest = first.rsplit("/", 1)[1]
    assert (tmp_path / "cache" / "kiosk-speech" / digest).is_file()  # beside t.db
    assert cache_folder(":memory:") == Path(tempfile.gettempdir()) / "dour" / "cache" / "kiosk-speech"


def test_each_kiosk_makes_only_so_many_new_sentences_and_cached_ones_are_free(
    app: Any, kiosk: Any, kiosk_client: Any,
) -> None:
    app.extensions[SPEECH].budget = SpeechBudget(burst=2, per_second=0.0)
    assert say(kiosk, "Passeport", "Légalisation").status_code == 200
    for _ in range(3):
        assert say(kiosk, "Passeport").status_code == 200  # cached: no cost
    refused = say(kiosk, "État civil")
    assert refused.status_code == 429 and refused.json["error"] == "too_much_speech"
    other = kiosk_client(app, "hall-2")
    assert say(other, "État civil").status_code == 200  # a budget per kiosk


def test_the_budget_refills_with_time() -> None:
    now = [0.0]
    budget = SpeechBudget(burst=2, per_second=0.5, clock=lambda: now[0])
    budget.spend("k1")
    budget.spend("k1")
    with pytest.raises(TooMuchSpeech):
        budget.spend("k1")
    now[0] = 2.0
    budget.spend("k1")
    with pytest.raises(TooMuchSpeech):
        budget.spend("k1")


def test_the_cache_stays_under_its_size_oldest_first(tmp_path: Path) -> None:
    words = frozenset({"passeport", "état", "civil", "légalisation"})
    speech = KioskSpeech(EspeakVoice(), tmp_path, lambda lang: words, max_bytes=150_000)
    paths = [speech.clip(Said(text, "fr"), "k1", lambda render, *args: render(*args))
             for text in ("Passeport", "État civil", "Légalisation", "Passeport État civil Légalisation")]
    remaining = sorted(tmp_path.glob("*.wav"))
    assert sum(path.stat().st_size for path in remaining) <= 150_000
    assert paths[-1] in remaining and paths[0] not in remaining


def test_a_kiosk_without_espeak_is_told_the_guide_cannot_speak(app: Any, kiosk: Any, tmp_path: Path) -> None:
    words = app.extensions[SPEECH].words
    app.extensions[SPEECH] = KioskSpeech(EspeakVoice(binary="espeak-ng-missing"), tmp_path / "none", words)
    answer = say(kiosk, "Passeport")
    assert answer.status_code == 503 and answer.json["error"] == "speech_unavailable"


def test_the_kiosk_voice_is_espeak_with_the_sites_rate(tmp_path: Path) -> None:
    assert kiosk_voice("espeak://?rate=150").rate == 150  # type: ignore[attr-defined]
    voice = kiosk_voice(f"clips://{tmp_path}?rate=140")
    assert isinstance(voice, EspeakVoice) and not isinstance(voice, ClipVoice) and voice.rate == 140
    assert isinstance(kiosk_voice(f"clips://{tmp_path}?fallback=none"), EspeakVoice)


# --- the page ---------------------------------------------------------------------------------------------
def page_json(html: str, element_id: str) -> Any:
    found = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))


def test_every_kiosk_screen_has_the_toggles_and_the_guides_sentences_in_its_language(
    app: Any, kiosk: Any,
) -> None:
    for url, lang in (("/kiosk?lang=ar", "ar"), ("/kiosk", "fr")):  # the start screen speaks the site's
        html = kiosk.get(url).get_data(as_text=True)
        for toggle in ("audio", "large", "contrast"):
            assert re.search(rf'aria-pressed="false" data-assist-toggle="{toggle}"', html)
        assert 'data-testid="idle-more-time"' in html
        settings = page_json(html, "assist-settings")
        assert settings["lang"] == lang and settings["audioKey"] == "F2"
        ticket = translated(app, lang, "Your number is %(number)s.", number="{code}")
        assert settings["strings"]["ticket"] == ticket
        assert translated(app, lang, "Large text") in html and translated(app, lang, "High contrast") in html
    start = page_json(kiosk.get("/kiosk").get_data(as_text=True), "assist-settings")["languages"]
    assert [choice["lang"] for choice in start] == list(site_config.LANGUAGES)
    assert start[0]["title"] == "اختيار اللغة" and start[2]["button"] == "button, {index} of {total}"


def test_the_sentences_a_screen_says_are_the_sites_words(app: Any, kiosk: Any) -> None:
    """Each sentence of the guide, filled as the page fills it, passes the server's check."""
    app.extensions[SPEECH].budget = SpeechBudget(burst=1000)
    for lang in site_config.LANGUAGES:
        html = kiosk.get(f"/kiosk?lang={lang}").get_data(as_text=True)
        strings = page_json(html, "assist-settings")["strings"].values()
        texts = [re.sub(r"\{(index|total|low|high|minutes|num)\}", "12", text) for text in strings]
        answer = kiosk.post(URL, json={"lang": lang, "say": [{"text": text} for text in texts
                                                              if "{code}" not in text][:MAX_ITEMS]})
        assert answer.status_code == 200 and answer.json["skipped"] == [], lang
