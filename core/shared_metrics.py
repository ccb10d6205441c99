"""One server's metrics across its gunicorn workers: prometheus_client's multiprocess mode.

With `server.workers > 1`, each worker keeps its in-process figures (request latencies, connected screens)
in files of one directory, and whichever worker answers `/metrics` reports their sum (core/metrics.py).
gunicorn's master prepares the directory before it forks: one per server instance, beside the database
(`metrics/<port>/`), emptied of the last run's files, named in `PROMETHEUS_MULTIPROC_DIR`, which
prometheus_client reads when it is first imported, in the worker. When a worker ends, the master drops its
live gauges (`mark_process_dead`); its counters and histograms stay in the sum. docs/monitoring.md.

One worker (the default) sets none of this up. Imported by gunicorn's master: prometheus_client is imported
only once a worker has ended, never before the fork of the first ones.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
FILES = "*.db"  # what prometheus_client writes there: nothing else is ever deleted


def directory(database: str, port: int) -> Path:
    """The folder of one server instance: several `dour serve` on several ports share a database folder."""
    return Path(database).resolve().parent / "metrics" / str(port)


def prepare(path: Path) -> None:
    """In gunicorn's master, before the workers are forked: an empty folder, named to the workers."""
    if "prometheus_client" in sys.modules:  # it would already have chosen its in-memory values
        raise RuntimeError("prometheus_client was imported before its multiprocess folder was set")
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob(FILES):  # the last run's workers: their figures would add up with the new ones
        stale.unlink()
    os.environ[VARIABLE] = str(path)


def worker_gone(pid: int) -> None:
    """In the master, once a worker has ended (gracefully or not): its connected screens count no more."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
