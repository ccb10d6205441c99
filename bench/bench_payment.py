"""Card payments: Dour's own overhead per payment, and the time to settle an unknown payment after a crash.

Figures (JSON lines):
- `phase=terminal`: the Concert V3 driver alone against the loopback simulator answering at once (what the
  terminal exchange costs without Dour);
- `phase=server`: a kiosk paying through the real server (gunicorn), POST then GET until approved: the
  whole payment, and `overhead_ms` = that minus the terminal exchange's median (ledger rows committed before
  and after, ticket issued, HTTP);
- `phase=recovery`: the server is killed (SIGKILL) while the terminal holds a payment it approves; the time
  from the restart's spawn to that payment read back as approved, and the charges in the terminal's ledger.
Every loop is bounded (count and time). Loopback only."""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _server as h  # noqa: E402

from hardware.payment import CaisseApSimulator, CaisseApTerminal, PaymentRequest  # noqa: E402
from hardware.payment.money import new_reference  # noqa: E402

PAYMENTS = 100
DEADLINE_S = 60.0


def figures(name: str, values: list[float], **extra: object) -> None:
    h.emit(phase=name, n=len(values), p50_ms=round(statistics.median(values), 2),
           p95_ms=round(h.percentile(values, 95), 2), max_ms=round(max(values), 2), **extra)


def terminal_alone(simulator: CaisseApSimulator) -> float:
    driver = CaisseApTerminal("127.0.0.1", simulator.port)
    times = []
    for _ in range(PAYMENTS):
        began = time.perf_counter()
        driver.pay(PaymentRequest(new_reference(), 6000))
        times.append((time.perf_counter() - began) * 1000)
    figures("terminal", times)
    return statistics.median(times)


def pay_once(kiosk: h.KeepAlive) -> tuple[float, str]:
    began = time.perf_counter()
    _, started = kiosk.request("POST", "/api/kiosk/payments",
                               {"service": "passport", "request_id": uuid.uuid4().hex})
    reference = started["payment"]["reference"]
    state = started["payment"]["state"]
    while state in ("pending", "sent", "unknown"):
        state = kiosk.request("GET", f"/api/kiosk/payments/{reference}?wait=10")[1]["payment"]["state"]
    return (time.perf_counter() - began) * 1000, state


def through_server(server: h.Server, terminal_ms: float) -> None:
    kiosk = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    deadline = time.monotonic() + DEADLINE_S
    times: list[float] = []
    while len(times) < PAYMENTS and time.monotonic() < deadline:
        elapsed, state = pay_once(kiosk)
        assert state == "approved", state
        times.append(elapsed)
    figures("server", times, terminal_p50_ms=round(terminal_ms, 2),
            overhead_p50_ms=round(statistics.median(times) - terminal_ms, 2),
            overhead_p95_ms=round(h.percentile(times, 95) - terminal_ms, 2), worker=h.worker_name(server))


def recovery(server: h.Server, simulator: CaisseApSimulator) -> None:
    """Kill the server while the terminal holds an approval it has not sent back; restart; time the repair."""
    simulator.script("approve_then_hang")
    kiosk = h.kiosk_session(server)
    started = kiosk.post(f"{server.url}/api/kiosk/payments", timeout=10,
                         json={"service": "passport", "request_id": uuid.uuid4().hex}).json()
    reference = started["payment"]["reference"]
    limit = time.monotonic() + 10
    while not simulator.charges(reference) and time.monotonic() < limit:
        time.sleep(0.005)
    server.kill()
    began = time.monotonic()
    server.start()
    state = "unknown"
    while state != "approved" and time.monotonic() - began < 30:
        answer = kiosk.get(f"{server.url}/api/kiosk/payments/{reference}", timeout=10)
        state = answer.json()["payment"]["state"]
    h.emit(phase="recovery", state=state, restart_to_settled_ms=round((time.monotonic() - began) * 1000, 1),
           server_start_ms=round(server.started_in * 1000, 1), charges=len(simulator.charges(reference)))


def main() -> None:
    args = h.bench_parser(__doc__ or "").parse_args()
    with CaisseApSimulator(slow_seconds=0.0) as simulator:
        terminal_ms = terminal_alone(simulator)
        server = h.server_for(args, "payment")
        server.env["DOUR_DEVICES_PAYMENT"] = simulator.uri
        try:
            server.provision()
            server.start()
            through_server(server, terminal_ms)
            recovery(server, simulator)
        finally:
            h.cleanup(server, args)


if __name__ == "__main__":
    main()
