"""The kiosk's audio guide, server side: what checking and saying its sentences costs (docs/accessibility.md).

Figures (JSON lines), in-process with the Flask test client (no network), espeak-ng as the site runs it:
- `figure=site_words`: building one language's list of the site's words (once per language and process);
- `figure=say`: POST /api/kiosk/speech of one sentence of the kiosk's catalog (a different one each time),
  cold (checked and made by espeak-ng) and warm (the same again: checked, found in the cache), per language;
- `figure=ticket_screen`: the ticket screen's utterance (number, service, wait, people ahead, print state),
  cold and warm;
- `figure=wav`: seconds of audio and bytes per sentence said (the cache's growth);
- `figure=trim`: a scan of the cache when it holds 2,000 sentences (kiosk/speech.py does one at start and
  then each time the cache passes its size), and removing the older half.
Every loop is bounded in count. Loopback only.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_babel import force_locale, get_translations  # noqa: E402

from core import config as site_config  # noqa: E402
from core import devices  # noqa: E402
from core.app import create_app  # noqa: E402
from hardware.voice import SpeechCache  # noqa: E402
from kiosk.speech import SpeechBudget  # noqa: E402
from kiosk.speech_routes import SPEECH, site_words  # noqa: E402

SAMPLES = 20
LANGUAGES = ("ar", "fr", "de")
TRIM_FILES = 2000


def emit(**figure: Any) -> None:
    print(json.dumps(figure, ensure_ascii=False), flush=True)


def ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2)}


def kiosk_client(app: Any) -> Any:
    with app.extensions["dour.site"].store.write() as db:
        token = devices.add_device(db, "bench-kiosk", "kiosk")
    client = app.test_client()
    client.environ_base.update({"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_ORIGIN": "http://localhost"})
    return client


def catalog_sentences(app: Any, lang: str) -> list[str]:
    with app.test_request_context(), force_locale(lang):
        catalog = getattr(get_translations(), "_catalog", {})
    return sorted({text for text in catalog.values() if 20 < len(text) < 200 and "%" not in text})[:SAMPLES]


def timed_posts(client: Any, bodies: list[dict[str, Any]]) -> tuple[list[float], list[str]]:
    seconds, urls = [], []
    for body in bodies:
        start = time.perf_counter()
        answer = client.post("/api/kiosk/speech", json=body)
        seconds.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.json
        urls += [clip["url"] for clip in answer.json["clips"]]
    return seconds, urls


def bench_words(app: Any) -> None:
    for lang in LANGUAGES:
        with app.test_request_context():
            start = time.perf_counter()
            words = site_words(lang)
        seconds = time.perf_counter() - start
        emit(figure="site_words", lang=lang, words=len(words), ms=round(seconds * 1000, 1))


def bench_say(app: Any, client: Any) -> list[str]:
    urls = []
    for lang in LANGUAGES:
        bodies = [{"lang": lang, "say": [{"text": text}]} for text in catalog_sentences(app, lang)]
        cold, made = timed_posts(client, bodies)
        warm, _ = timed_posts(client, bodies)
        emit(figure="say", lang=lang, sentences=len(bodies), cold=ms(cold), warm=ms(warm))
        urls += made
    return urls


def bench_ticket(client: Any) -> None:
    def body(number: int) -> dict[str, Any]:
        return {"lang": "fr", "say": [
            {"text": "Votre numéro est {code}.", "code": f"A-{number:03d}"}, {"text": "Passeport"},
            {"text": f"Attente estimée en minutes : de {number % 30} à {number % 30 + 10}."},
            {"text": f"Personnes avant vous : {number % 40}."}, {"text": "Impression de votre ticket…"}]}

    cold, _ = timed_posts(client, [body(number) for number in range(1, SAMPLES + 1)])
    warm, _ = timed_posts(client, [body(number) for number in range(1, SAMPLES + 1)])
    emit(figure="ticket_screen", sentences=5, cold=ms(cold), warm=ms(warm))


def bench_wav(client: Any, urls: list[str]) -> None:
    seconds, sizes = [], []
    for url in urls:
        data = client.get(url).data
        sizes.append(len(data))
        with wave.open(io.BytesIO(data), "rb") as reader:
            seconds.append(reader.getnframes() / reader.getframerate())
    emit(figure="wav", sentences=len(urls), median_seconds=round(statistics.median(seconds), 2),
         median_bytes=int(statistics.median(sizes)),
         sentences_per_100_mb=int(100 * 2**20 / statistics.mean(sizes)))


def bench_trim(sample: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        cache = SpeechCache(Path(folder))
        for index in range(TRIM_FILES):
            (Path(folder) / f"{index:064x}.wav").write_bytes(sample)
        start = time.perf_counter()
        cache.trim(10**12)  # nothing to remove: the cost paid after each new sentence
        scan = time.perf_counter() - start
        start = time.perf_counter()
        left = cache.trim(len(sample) * TRIM_FILES // 2)
        removing = time.perf_counter() - start
        emit(figure="trim", files=TRIM_FILES, scan_ms=round(scan * 1000, 1),
             removed=TRIM_FILES - left // len(sample), remove_ms=round(removing * 1000, 1))


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(site_config.load(env={}), str(Path(folder) / "bench.db"), start_devices=False)
        app.extensions[SPEECH].budget = SpeechBudget(burst=10**6)
        client = kiosk_client(app)
        bench_words(app)
        urls = bench_say(app, client)
        bench_ticket(client)
        bench_wav(client, urls)
        bench_trim(client.get(urls[0]).data)


if __name__ == "__main__":
    main()
