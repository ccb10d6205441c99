"""Spoken calls: what a sentence costs to make, what a day's cache weighs, and how soon a display speaks.

Figures (JSON lines):
- `figure=synthesis`: espeak-ng, per language, 20 different calls ("Ticket A 42, guichet 5"): time per
  sentence (subprocess included), seconds of audio, WAV size;
- `figure=clips`: the recorded-clip path on a clip set (French, cut from espeak-ng, 22,050 Hz mono 16-bit):
  time to join one sentence's clips, same 20 calls;
- `figure=cache_day`: 600 calls (10 % recalled) × 2 languages (ar, fr) on the demo site's services and
  counters: distinct sentences, cache size at espeak-ng's 22,050 Hz, and what 16 kHz would weigh;
- `figure=call_to_speech`: Chromium (sound allowed, as systemd/dour-display.service runs it) showing
  /display?speech=fr; the agent's call request → the chime starts, → the sentence's `playing` event, and the
  wait after the chime; warm cache (the sentence made beforehand) and cold (made on demand during the chime);
- `figure=burst`: 10 calls within a second on a display speaking ar,fr: from the first call request to the end
  of the last sentence, in order and without overlap;
- `figure=loop_stall`: /api/health latency (every 5 ms) alone; as on a site (per call, 20 displays ask for its
  two sentences at once; 20 calls 0.5 s apart), cold (made then) and warm (cached): the difference is what
  synthesis costs the other requests; and under stress (4 clients asking for 60 new sentences back to back).
  The clients run on the same cores as the server.
Every loop is bounded in count and time. Loopback only.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _server as h  # noqa: E402

from core import announcements  # noqa: E402
from core import config as site_config  # noqa: E402
from hardware.voice import ClipVoice, EspeakVoice, read_wav  # noqa: E402

SAMPLES = 20
DAY_CALLS, RECALL_SHARE, DAY_LANGUAGES = 600, 0.10, ("ar", "fr")
WARM_CALLS, COLD_CALLS, BURST_CALLS = 20, 10, 10
STALL_SENTENCES, STALL_CLIENTS = 60, 4
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--autoplay-policy=no-user-gesture-required"]
TARGET_RATE = 16000


@dataclass(frozen=True)
class Piece:
    kind: str
    text: str
    clip: str


def ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(h.percentile(values, 50), 1), "p95_ms": round(h.percentile(values, 95), 1),
            "max_ms": round(max(values, default=0.0), 1)}


def sample_calls(rng: random.Random) -> list[tuple[str, int]]:
    return [(f"{rng.choice('ABCDEF')}-{rng.randint(1, 150):03d}", rng.randint(1, 8)) for _ in range(SAMPLES)]


def synthesis(templates: dict[str, str], calls: list[tuple[str, int]]) -> dict[str, float]:
    """Per language: time per sentence; returns the average WAV bytes per language."""
    voice = EspeakVoice()
    sizes = {}
    for lang, template in templates.items():
        times, seconds, size = [], [], []
        for number, counter in calls:
            parts = announcements.sentence(template, lang, number, counter).parts
            began = time.perf_counter()
            data = voice.render(lang, parts)
            times.append((time.perf_counter() - began) * 1000)
            fmt, frames = read_wav(data)
            seconds.append(fmt.seconds(frames))
            size.append(len(data))
        sizes[lang] = statistics.mean(size)
        h.emit(bench="speech", figure="synthesis", engine=f"espeak-ng {voice.version()}", lang=lang,
               sentences=len(times), **ms(times), audio_s=round(statistics.mean(seconds), 2),
               wav_kb=round(sizes[lang] / 1024, 1), rate_hz=fmt.rate)
    return sizes


def clips(templates: dict[str, str], calls: list[tuple[str, int]]) -> None:
    """A French clip set cut from espeak-ng (each clip said alone), then the same calls joined from it."""
    voice = EspeakVoice()
    with tempfile.TemporaryDirectory(prefix="dour-clips-") as folder:
        sentences = [announcements.sentence(templates["fr"], "fr", number, counter).parts
                     for number, counter in calls]
        wanted = {part.clip: part for parts in sentences for part in parts if part.clip}
        for name, part in wanted.items():
            target = Path(folder) / "fr" / f"{name}.wav"
            target.parent.mkdir(parents=True, exist_ok=True)
            alone = Piece(part.kind, part.text.strip(" ,،"), "")
            target.write_bytes(voice.render("fr", [alone]))
        recorded = ClipVoice(Path(folder), None)
        times = []
        for parts in sentences:
            began = time.perf_counter()
            recorded.render("fr", parts)
            times.append((time.perf_counter() - began) * 1000)
    h.emit(bench="speech", figure="clips", lang="fr", sentences=len(times), clips=len(wanted), **ms(times))


def cache_day(config: site_config.SiteConfig, sizes: dict[str, float]) -> None:
    rng = random.Random(9)
    issued: dict[str, int] = {}
    sentences: set[tuple[str, str, int]] = set()
    served_by = {code: [c.number for c in config.counters.values() if code in c.services]
                 for code in config.services}
    codes = [code for code, counters in served_by.items() if counters]
    calls = 0
    while calls < DAY_CALLS:
        code = rng.choice(codes)
        prefix = config.services[code].prefix
        issued[prefix] = issued.get(prefix, 0) + 1
        number, counter = f"{prefix}-{issued[prefix]:03d}", rng.choice(served_by[code])
        for _ in range(2 if rng.random() < RECALL_SHARE else 1):  # a recall says the same sentence
            calls += 1
            sentences.update((lang, number, counter) for lang in DAY_LANGUAGES)
    size = sum(sizes[lang] for lang, _number, _counter in sentences)
    h.emit(bench="speech", figure="cache_day", calls=calls, languages=",".join(DAY_LANGUAGES),
           distinct_sentences=len(sentences), mb_22050hz=round(size / 2**20, 1),
           mb_16khz_projected=round(size * TARGET_RATE / 22050 / 2**20, 1))


# --- in Chromium ------------------------------------------------------------------------------------------
SPOKEN = """n => (window.dourAnnouncements || []).some(e => e.kind === 'speech' && e.number === n && e.end)"""


def issue(server: h.Server, count: int) -> None:
    kiosk = h.kiosk_session(server)
    for _ in range(count):
        answer = kiosk.post(f"{server.url}/api/kiosk/tickets", json={"service": "passport"}, timeout=10)
        answer.raise_for_status()


def open_display(browser: Any, server: h.Server, query: str) -> Any:
    page = browser.new_page()
    page.goto(f"{server.url}/enrol?token={server.display_token}&next=/display%3F{query.replace('&', '%26')}")
    page.wait_for_function("() => document.body.dataset.lastSeq !== undefined")
    return page


def call_to_speech(server: h.Server, browser: Any, worker: str) -> bool:
    page = open_display(browser, server, "speech=fr")
    display = requests.Session()
    display.headers["Authorization"] = f"Bearer {server.display_token}"
    agent = h.agent_session(server)
    issue(server, WARM_CALLS + COLD_CALLS)
    ok = True
    for cache, count, first in (("warm", WARM_CALLS, 1), ("cold", COLD_CALLS, WARM_CALLS + 1)):
        chime_ms, playing_ms, after_chime_ms = [], [], []
        for index in range(first, first + count):
            number = f"A-{index:03d}"
            if cache == "warm":
                display.get(f"{server.url}/display/speech/fr/{number}/1.wav", timeout=10).raise_for_status()
            sent = time.time() * 1000
            ticket = agent.post(f"{server.url}/api/counter/next", timeout=10).json()["ticket"]
            assert ticket["number"] == number, ticket
            page.wait_for_function(SPOKEN, arg=number, timeout=30_000)
            log = page.evaluate("n => window.dourAnnouncements.filter(e => e.number === n)", number)
            chime = next(e for e in log if e["kind"] == "chime")
            spoken = next(e for e in log if e["kind"] == "speech")
            ok = ok and spoken["outcome"] == "played"
            chime_ms.append(chime["start"] - sent)
            playing_ms.append(spoken["playing"] - sent)
            after_chime_ms.append(spoken["playing"] - chime["end"])
            agent.post(f"{server.url}/api/counter/tickets/{ticket['id']}/no-show", timeout=10)
        h.emit(bench="speech", figure="call_to_speech", cache=cache, calls=count, worker=worker,
               to_chime=ms(chime_ms), to_speech_playing=ms(playing_ms), after_chime=ms(after_chime_ms))
    agent.post(f"{server.url}/api/counter/close", timeout=10)
    page.close()
    return ok


def burst(server: h.Server, browser: Any) -> bool:
    page = open_display(browser, server, "languages=ar,fr&speech=ar,fr")
    issue(server, BURST_CALLS)
    agent = h.agent_session(server, counter=2, username="agent2")
    began = time.time() * 1000
    numbers = []
    for index in range(BURST_CALLS):
        ticket = agent.post(f"{server.url}/api/counter/next", timeout=10).json()["ticket"]
        numbers.append(ticket["number"])
        if index < BURST_CALLS - 1:
            agent.post(f"{server.url}/api/counter/tickets/{ticket['id']}/no-show", timeout=10)
    called_in = time.time() * 1000 - began
    page.wait_for_function(
        "n => (window.dourAnnouncements || []).filter(e => e.kind === 'speech' && e.outcome).length >= n",
        arg=2 * BURST_CALLS, timeout=240_000)
    log = page.evaluate("() => window.dourAnnouncements")
    heard = [(e["start"] if e["kind"] == "chime" else e.get("playing", e["start"]), e["end"]) for e in log]
    overlaps = sum(1 for (_s, end), (start, _e) in zip(heard, heard[1:], strict=False) if start < end)
    in_order = [e["number"] for e in log if e["kind"] == "chime"] == numbers
    played = all(e["outcome"] == "played" for e in log)
    h.emit(bench="speech", figure="burst", calls=BURST_CALLS, languages="ar,fr",
           called_in_ms=round(called_in),
           all_said_after_s=round((log[-1]["end"] - began) / 1000, 1),
           per_call_s=round((log[-1]["end"] - log[0]["start"]) / 1000 / BURST_CALLS, 2),
           in_order=in_order, overlaps=overlaps, all_played=played)
    page.close()
    return in_order and overlaps == 0 and played


def poll_health(server: h.Server, stop: threading.Event, out: list[float]) -> None:
    session = requests.Session()
    while not stop.is_set():
        began = time.perf_counter()
        session.get(f"{server.url}/api/health", timeout=10)
        out.append((time.perf_counter() - began) * 1000)
        time.sleep(0.005)


def fetch_all(server: h.Server, urls: list[str], clients: int, took: list[float]) -> None:
    """`clients` threads, each a display (keep-alive session), taking URLs from `urls` until none is left."""
    def fetch() -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {server.display_token}"
        while True:
            try:
                url = urls.pop()
            except IndexError:
                return
            began = time.perf_counter()
            session.get(url, timeout=30).raise_for_status()
            took.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=fetch) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def during(server: h.Server, work: Any) -> list[float]:
    """/api/health latencies while `work()` runs."""
    latencies: list[float] = []
    stop = threading.Event()
    poller = threading.Thread(target=poll_health, args=(server, stop, latencies))
    poller.start()
    try:
        work()
    finally:
        stop.set()
        poller.join()
    return latencies


def loop_stall(server: h.Server, worker: str) -> None:
    """Alone; then as on a site: per call, 20 displays ask at once for its two sentences, one call every
    0.5 s, first new sentences (cold: made then), then the same again (warm: from the cache), so that the
    difference is the synthesis; then a stress: 4 clients asking for new sentences back to back."""
    alone = during(server, lambda: time.sleep(2.0))
    took: dict[str, list[float]] = {"cold": [], "warm": []}

    def calls(cache: str) -> None:
        for index in range(20):
            urls = [f"{server.url}/display/speech/{lang}/C-{300 + index}/4.wav"
                    for lang in DAY_LANGUAGES] * 20
            fetch_all(server, urls, 20, took[cache])
            time.sleep(0.5)

    cold = during(server, lambda: calls("cold"))
    warm = during(server, lambda: calls("warm"))
    langs = site_config.LANGUAGES
    stress_urls = [f"{server.url}/display/speech/{langs[i % len(langs)]}/B-{500 + i}/3.wav"
                   for i in range(STALL_SENTENCES)]
    stress_took: list[float] = []
    began = time.perf_counter()
    stress = during(server, lambda: fetch_all(server, stress_urls, STALL_CLIENTS, stress_took))
    seconds = time.perf_counter() - began
    h.emit(bench="speech", figure="loop_stall", worker=worker, cpus=os.cpu_count(), health_alone=ms(alone),
           health_20_displays_cold=ms(cold), health_20_displays_warm=ms(warm),
           speech_request_cold=ms(took["cold"]), speech_request_warm=ms(took["warm"]),
           health_stress=ms(stress), stress_sentences_per_s=round(len(stress_took) / seconds, 1))


def main() -> int:
    args = h.bench_parser(__doc__ or "").parse_args()
    config = site_config.load(env={})
    templates = announcements.templates(config.site["announcements"])
    calls = sample_calls(random.Random(42))
    sizes = synthesis(templates, calls)
    clips(templates, calls)
    cache_day(config, sizes)
    server = h.server_for(args, "speech")
    ok = True
    try:
        server.provision()
        server.add_user("agent2", h.AGENT_PASSWORD)
        server.start()
        worker = h.worker_name(server)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            ok = call_to_speech(server, browser, worker)
            ok = burst(server, browser) and ok
            browser.close()
        loop_stall(server, worker)
    finally:
        h.cleanup(server, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
