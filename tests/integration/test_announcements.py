"""Spoken calls: the sentences (core/announcements.py), the route a display fetches them from, its checks
(never a 500), its cache beside the database, per-display voices, and the display page's sound settings."""

from __future__ import annotations

import io
import json
import math
import re
import struct
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import announcements
from core import config as site_config
from core.app import create_app
from core.errors import InvalidInput
from display.routes import SPEECH
from hardware.voice import EspeakVoice, joined

TEMPLATES = announcements.templates({})
URL = "/display/speech/{lang}/{number}/{counter}.wav"


def sentence(lang: str, number: str = "A-042", counter: int = 5) -> str:
    return joined(announcements.sentence(TEMPLATES[lang], lang, number, counter).parts)


# --- the sentences ----------------------------------------------------------------------------------------
def test_a_call_is_said_letter_then_number_without_zeros() -> None:
    assert sentence("fr") == "Ticket A 42, guichet 5"
    assert sentence("en", "B-117", 12) == "Ticket B 117, counter 12"
    assert sentence("ar") == "التذكرة رقم A 42، الشباك رقم 5"
    assert sentence("de", "J-007", 3) == "Nummer J 7, Schalter 3"
    assert sentence("nl", "P-100", 8) == "Nummer P 100, loket 8"


def test_every_language_has_a_default_sentence() -> None:
    assert set(TEMPLATES) == set(site_config.LANGUAGES)


def test_each_part_names_its_recording() -> None:
    parts = announcements.sentence(TEMPLATES["ar"], "ar", "C-010", 4).parts
    assert [(part.kind, part.clip) for part in parts] == [
        ("words", "ticket"), ("letter", "letter_c"), ("number", "number_10"), ("words", "counter"),
        ("number", "number_4")]
    trailing = announcements.sentence("{ticket}, au guichet {counter}, merci", "fr", "A-001", 2).parts
    assert [part.clip for part in trailing] == ["letter_a", "number_1", "counter", "number_2", "end"]
    bare = announcements.sentence("{ticket} → {counter}", "fr", "A-001", 2).parts
    assert [part.clip for part in bare] == ["letter_a", "number_1", "", "number_2"]  # no words, no recording


@pytest.mark.parametrize("template", [
    "Ticket {ticket}", "Guichet {counter}", "{ticket} {ticket} {counter}", "{ticket} {counter} {name}",
    "{ticket!r} {counter}", "{ticket:>5} {counter}", "{ticket} {counter", "{} {counter}"])
def test_a_template_needs_ticket_and_counter_once_each(template: str) -> None:
    with pytest.raises(ValueError, match="site.announcements.fr"):
        announcements.check_template("fr", template)


def test_a_site_that_rewords_one_language_keeps_the_others() -> None:
    templates = announcements.templates({"fr": "Numéro {ticket}, au guichet {counter}"})
    assert templates["fr"] == "Numéro {ticket}, au guichet {counter}" and templates["en"] == TEMPLATES["en"]


@pytest.mark.parametrize("number", ["A042", "a-042", "A-", "-042", "A-04 2", "ABCD-1", "A-1234567", "١-٤٢",
                                    "A-042\n", ""])
def test_malformed_ticket_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidInput):
        announcements.parse_ticket(number)


# --- the route --------------------------------------------------------------------------------------------
@pytest.fixture
def screen(app: Any, display_token: str) -> Any:
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {display_token}"
    return client


def audio(response: Any) -> tuple[float, float]:
    """Duration (s) and RMS of a WAV answer."""
    with wave.open(io.BytesIO(response.data), "rb") as reader:
        frames = reader.readframes(reader.getnframes())
        duration = reader.getnframes() / reader.getframerate()
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)
    return duration, math.sqrt(sum(s * s for s in samples) / len(samples))


@pytest.mark.parametrize("lang", site_config.LANGUAGES)
def test_a_display_gets_the_call_as_audio_in_each_language(screen: Any, lang: str) -> None:
    answer = screen.get(URL.format(lang=lang, number="A-042", counter=5))
    assert answer.status_code == 200 and answer.mimetype == "audio/wav"
    duration, rms = audio(answer)
    assert 1.0 <= duration <= 6.0 and rms > 1000


def test_the_answer_is_cached_and_revalidated(screen: Any, app: Any, tmp_path: Path) -> None:
    url = URL.format(lang="fr", number="B-007", counter=3)
    first = screen.get(url)
    etag = first.headers["ETag"].strip('"')
    assert re.fullmatch(r"[0-9a-f]{64}", etag)
    assert set(first.headers["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-cache"}
    cached = tmp_path / "cache" / "speech" / f"{etag}.wav"  # beside the database (t.db)
    assert cached.read_bytes() == first.data
    again = screen.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    cached.write_bytes(first.data[:100])  # a power cut mid-write, say: made again
    assert screen.get(url).data == first.data


def test_range_requests_are_answered(screen: Any) -> None:
    answer = screen.get(URL.format(lang="fr", number="A-042", counter=5), headers={"Range": "bytes=0-43"})
    assert answer.status_code == 206 and answer.data.startswith(b"RIFF") and len(answer.data) == 44


@pytest.mark.parametrize(("lang", "number", "counter", "status", "error"), [
    ("xx", "A-042", "5", 404, "not_found"),
    ("FR", "A-042", "5", 404, "not_found"),
    ("fr", "A042", "5", 400, "invalid_input"),
    ("fr", "a-042", "5", 400, "invalid_input"),
    ("fr", "Z-042", "5", 404, "not_found"),  # no service has the letter Z
    ("fr", "A-042", "99", 400, "invalid_input"),  # no counter 99
    ("fr", "A-042", "x", 400, "invalid_input"),
    ("fr", "A-042", "-1", 400, "invalid_input"),
    ("fr", "A-042", "99999999999999999999999", 400, "invalid_input"),
    ("fr", "A-%00", "5", 400, "invalid_input"),
    ("fr", "A-" + "4" * 500, "5", 400, "invalid_input"),
    ("fr", "%D9%A1-%D9%A4", "5", 400, "invalid_input"),
    ("fr", "..", "5", 400, "invalid_input"),
])
def test_every_part_of_the_address_is_checked(
    screen: Any, lang: str, number: str, counter: str, status: int, error: str,
) -> None:
    url = URL.format(lang=lang, number=number, counter=counter)
    answer = screen.get(url, headers={"Accept-Language": "en"})
    assert answer.status_code == status
    assert answer.json["error"] == error and answer.json["message"].endswith(".")


def test_only_displays_and_supervisors_may_listen(
    app: Any, kiosk_client: Callable[..., Any], supervisor_client: Callable[..., Any],
) -> None:
    url = URL.format(lang="fr", number="A-042", counter=5)
    assert app.test_client().get(url).status_code == 401
    assert kiosk_client(app).get(url).status_code == 403
    assert supervisor_client(app).get(url).status_code == 200


def test_a_failing_engine_is_a_503_with_a_sentence(screen: Any, app: Any) -> None:
    speech = app.extensions[SPEECH]
    speech.voices["espeak://"] = EspeakVoice(binary="/nonexistent/espeak-ng")
    answer = screen.get(URL.format(lang="fr", number="A-042", counter=5), headers={"Accept-Language": "en"})
    assert answer.status_code == 503 and answer.json["error"] == "speech_unavailable"
    assert "still shown" in answer.json["message"]


# --- voices per display -----------------------------------------------------------------------------------
def write_clips(folder: Path, names: list[str]) -> None:
    """A French clip set of short tones (16 kHz mono)."""
    for index, name in enumerate(names):
        path = folder / "fr" / f"{name}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        frames = struct.pack("<1600h", *(int(6000 * math.sin(i * (index + 1) / 5)) for i in range(1600)))
        with wave.open(str(path), "wb") as writer:
            writer.setnchannels(1)
            writer.setsampwidth(2)
            writer.setframerate(16000)
            writer.writeframes(frames)


def app_with(tmp_path: Path, toml: str) -> Any:
    path = tmp_path / "site.toml"
    path.write_text(toml, encoding="utf-8")
    return create_app(site_config.load(path, env={}), str(tmp_path / "site.db"), start_devices=False)


def test_a_display_can_have_its_own_recorded_voice(
    tmp_path: Path, enrol: Callable[..., str], caplog: pytest.LogCaptureFixture,
) -> None:
    write_clips(tmp_path / "voice", ["ticket", "letter_a", "number_42", "counter", "number_5"])
    app = app_with(tmp_path, f'[devices.displays."hall-tv"]\nvoice = "clips://{tmp_path}/voice"\n')
    site = app.extensions["dour.site"]
    clients = {}
    for name in ("hall-tv", "corridor"):
        clients[name] = app.test_client()
        clients[name].environ_base["HTTP_AUTHORIZATION"] = f"Bearer {enrol(site, 'display', name)}"
    url = URL.format(lang="fr", number="A-042", counter=5)
    recorded = clients["hall-tv"].get(url)
    assert audio(recorded)[0] == pytest.approx(0.5)  # five clips of 0.1 s
    assert audio(clients["corridor"].get(url))[0] > 1.0  # espeak-ng, the site's voice
    with caplog.at_level("WARNING"):
        missing = clients["hall-tv"].get(URL.format(lang="fr", number="A-043", counter=5))
    assert missing.status_code == 200 and audio(missing)[0] > 1.0  # all espeak-ng, never half and half
    assert "number_43.wav" in caplog.text


def test_a_voice_that_cannot_work_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="voice URI"):
        app_with(tmp_path, '[devices]\nvoice = "clips:///nonexistent/voice"\n')


def test_a_bad_sentence_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="site.announcements.fr"):
        app_with(tmp_path, '[site.announcements]\nfr = "Ticket {ticket}, guichet {numero}"\n')


# --- the display page's sound settings ----------------------------------------------------------------------
def screen_config(screen: Any, query: str) -> dict[str, Any]:
    page = screen.get(f"/display{query}").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="screen-config">(.*?)</script>', page, re.S)
    assert found
    return dict(json.loads(found.group(1))["speech"])


@pytest.mark.parametrize(("query", "expected"), [
    ("?languages=ar,fr", {"languages": ["ar", "fr"], "volume": 100, "muted": False}),
    ("?languages=ar,fr&speech=fr", {"languages": ["fr"], "volume": 100, "muted": False}),
    ("?speech=en,ar,xx,en&volume=80", {"languages": ["en", "ar"], "volume": 80, "muted": False}),
    ("?languages=ar,fr&speech=none", {"languages": [], "volume": 100, "muted": False}),
    ("?languages=de&speech=xx&volume=150&mute=1", {"languages": ["de"], "volume": 100, "muted": True}),
    ("?languages=nl&volume=-3&mute=no", {"languages": ["nl"], "volume": 100, "muted": False}),
])
def test_what_a_screen_says_is_set_in_its_address(screen: Any, query: str, expected: dict[str, Any]) -> None:
    assert screen_config(screen, query) == expected
