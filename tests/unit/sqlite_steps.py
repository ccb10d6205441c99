"""How much work SQLite does for a call: its virtual machine's steps, counted through a progress handler.
Steady where a cost must not grow with the waiting line, whatever the machine's speed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlite_utils


def steps(db: sqlite_utils.Database, function: Callable[..., Any], *args: Any) -> int:
    """SQLite virtual machine steps (in tens) that `function(db, *args)` runs."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    db.conn.set_progress_handler(count, 10)
    try:
        function(db, *args)
    finally:
        db.conn.set_progress_handler(None, 10)
    return counted[0]
