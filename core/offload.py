"""Blocking work (a password hash, a speech synthesis, a forecast) off the gevent loop, and a background
computation's way to let the requests through.

A thread that runs Python without pause holds the GIL for up to the interpreter's switch interval (5 ms)
each time another thread asks for it; a request that releases the GIL a dozen times (each SQLite statement,
each socket write) then waits up to 5 ms a dozen times: 80 ms instead of 2 (the convoy effect,
bench/bench_cpu.py). `breathe()`, called every few hundred microseconds by such a computation, hands the GIL
over at once to whoever waits for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _original_sleep() -> Callable[[float], None]:
    """time.sleep as Python has it (gevent's would switch greenlets in a thread of its pool)."""
    try:
        from gevent import monkey
    except ImportError:
        return time.sleep
    return monkey.get_original("time", "sleep")  # type: ignore[no-any-return]


_sleep = _original_sleep()


def breathe() -> None:
    """Release the GIL for a moment: a thread waiting for it (the server's requests) goes first."""
    _sleep(0)


def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run a CPU-bound call in gevent's thread pool when gevent serves this process, else here."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return function(*args)
    if not monkey.is_module_patched("threading"):
        return function(*args)
    return get_hub().threadpool.apply(function, args)  # type: ignore[no-any-return]
