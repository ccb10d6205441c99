"""This machine's own limits, first in every `make bench` run: durable SQLite commits per second and the CPU
of one commit (a ticket row and a journal row per transaction, the site's pragmas), and a loopback websocket
round trip. One JSON line (`bench=limits`); the scripts that follow read it from a file of the temporary
folder and print each figure's ratios to it (bench/_limits.py, docs/serving.md "Comparing machines")."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _limits  # noqa: E402

if __name__ == "__main__":
    _limits.measure_and_keep()
