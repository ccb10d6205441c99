"""Login under attack: what a kiosk's ticket latency becomes while 4 clients hammer the login.

scrypt costs ~60 ms of CPU per attempt on purpose; under gunicorn's gevent worker (the site default) every
request shares one thread, so where the hash runs decides whether the kiosks wait for it. Figures (JSON
lines), each phase 10 s on one server, one kiosk issuing a ticket every 50 ms throughout:
- `load=none`: the kiosk alone;
- `load=guessing`: 4 clients, each from its own loopback address (127.0.0.2-5), guessing passwords of made-up
  names back to back; `answers` counts their HTTP statuses (401 per attempt, 429 once an address is refused);
- `load=logins`: 4 clients (127.0.0.6-9) logging in with the right password of their own account: a scrypt
  on every request and never throttled, so it shows what hashing alone costs the kiosk.
Run it on another tree (PYTHONPATH=<tree> python bench/bench_login.py) to compare before and after.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

SECONDS = 10.0
KIOSK_INTERVAL = 0.05
CLIENTS = 4
PASSWORD = "bench-password-{index}-staple"


def kiosk(server: h.Server, stop: threading.Event, latencies_ms: list[float], errors: list[str]) -> None:
    client = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    due = time.monotonic()
    while not stop.is_set():
        began = time.perf_counter()
        try:
            status, data = client.request("POST", "/api/kiosk/tickets",
                                          {"service": "passport", "request_id": uuid.uuid4().hex})
        except Exception as error:  # noqa: BLE001 - counted and reported
            errors.append(type(error).__name__)
        else:
            if status == 201:
                latencies_ms.append((time.perf_counter() - began) * 1000)
            else:
                errors.append(f"HTTP {status}: {data}")
        due += KIOSK_INTERVAL
        time.sleep(max(0.0, due - time.monotonic()))
    client.close()


def login_loop(server: h.Server, index: int, guessing: bool, stop: threading.Event, answers: Counter[int],
               lock: threading.Lock) -> None:
    """Back-to-back logins, each client from its own loopback address (the guessers' are not reused, since
    the server refuses them for 5 minutes): wrong guesses on made-up names, or the right password."""
    address = f"127.0.0.{index + (2 if guessing else 2 + CLIENTS)}"
    conn = http.client.HTTPConnection(h.HOST, server.port, timeout=30, source_address=(address, 0))
    attempt = 0
    while not stop.is_set():
        attempt += 1
        body = ({"username": f"guess{index}-{attempt}", "password": f"wrong guess {attempt}"} if guessing
                else {"username": f"bench{index}", "password": PASSWORD.format(index=index)})
        try:
            conn.request("POST", "/api/auth/login", body=json.dumps(body),
                         headers={"Content-Type": "application/json", "Origin": server.url})
            answer = conn.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException):
            conn.close()
            continue
        with lock:
            answers[answer.status] += 1
    conn.close()


def phase(server: h.Server, load: str) -> None:
    stop, lock = threading.Event(), threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    answers: Counter[int] = Counter()
    threads = [threading.Thread(target=kiosk, args=(server, stop, latencies, errors), daemon=True)]
    if load != "none":
        guessing = load == "guessing"
        threads += [threading.Thread(target=login_loop, args=(server, i, guessing, stop, answers, lock),
                                     daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(SECONDS)
    stop.set()
    for thread in threads:
        thread.join(60)
    h.emit(bench="login", worker=h.worker_name(server), load=load, clients=CLIENTS if load != "none" else 0,
           seconds=SECONDS, tickets=len(latencies), errors=len(errors),
           p50_ms=round(h.percentile(latencies, 50), 1), p99_ms=round(h.percentile(latencies, 99), 1),
           max_ms=round(max(latencies, default=0.0), 1),
           logins_per_s=round(sum(answers.values()) / SECONDS, 1),
           answers={str(status): count for status, count in sorted(answers.items())})


def main() -> int:
    args = h.bench_parser(__doc__.splitlines()[0]).parse_args()
    server = h.server_for(args, "login")
    try:
        server.provision()
        for index in range(CLIENTS):
            server.add_user(f"bench{index}", PASSWORD.format(index=index))
        server.start()
        for load in ("none", "guessing", "logins"):
            phase(server, load)
    finally:
        h.cleanup(server, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
