"""Start-up time and memory: `dour serve` spawn → first HTTP 200 on /api/health (median of 5 starts on the
same database), then the resident memory (RSS, gunicorn master + worker, psutil) idle and with 50 connected
display clients, and after 2,000 tickets.

Figures (JSON lines): `figure=start` and `figure=rss` (idle, 50 displays, after 2,000 tickets). The worker's
own RSS and the PSS (shared pages split between master and worker) are given too.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _server as h  # noqa: E402

STARTS = 5
DISPLAYS = 50
SETTLE_SECONDS = 1.0
TICKETS = 2000  # the peer's "RSS after 2,000 tickets"


def memory(server: h.Server) -> dict[str, float]:
    processes = server.processes()
    worker = processes[-1]
    figures = {"rss_mb": round(server.rss_mb(), 1),
               "worker_rss_mb": round(worker.memory_info().rss / 2**20, 1)}
    try:
        figures["pss_mb"] = round(sum(p.memory_full_info().pss for p in processes) / 2**20, 1)
    except (AttributeError, OSError):
        pass  # PSS needs /proc/<pid>/smaps_rollup
    return figures


def issue(server: h.Server, count: int) -> None:
    kiosk = h.KeepAlive(server, {"Authorization": f"Bearer {server.kiosk_token}"})
    for i in range(count):
        status, data = kiosk.request("POST", "/api/kiosk/tickets",
                                     {"service": ("passport", "cnie")[i % 2], "request_id": uuid.uuid4().hex})
        if status != 201:
            raise RuntimeError(f"issue failed: {status} {data}")
    kiosk.close()


def main() -> int:
    parser = h.bench_parser(__doc__.splitlines()[0])
    args = parser.parse_args()
    server = h.server_for(args, "memory")
    displays: list[h.Display] = []
    try:
        server.provision()
        worker = h.worker_name(server)
        first = server.start()  # a fresh database: the schema migrations run in this one
        server.stop()
        starts = []
        for _ in range(STARTS):
            starts.append(server.start())
            server.stop()
        h.emit(bench="memory_start", figure="start", fresh_db_s=round(first, 3),
               median_s=round(statistics.median(starts), 3), min_s=round(min(starts), 3),
               max_s=round(max(starts), 3), starts=STARTS, worker=worker)
        server.start()
        time.sleep(SETTLE_SECONDS)
        h.emit(bench="memory_start", figure="rss", displays=0, **memory(server), worker=worker)
        displays = [h.Display(server).connect(h.health_seq(server)) for _ in range(DISPLAYS)]
        time.sleep(SETTLE_SECONDS)
        connected = sum(display.sio.connected for display in displays)
        h.emit(bench="memory_start", figure="rss", displays=connected, **memory(server), worker=worker)
        for display in displays:
            display.close()
        displays = []
        issue(server, TICKETS)
        time.sleep(SETTLE_SECONDS)
        h.emit(bench="memory_start", figure="rss", displays=0, after_tickets=TICKETS, **memory(server),
               worker=worker)
        return 0
    finally:
        for display in displays:
            display.close()
        h.cleanup(server, args)


if __name__ == "__main__":
    sys.exit(main())
