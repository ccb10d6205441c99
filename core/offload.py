"""Blocking work (a password hash, a speech synthesis, a forecast) off the gevent loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def off_loop(function: Callable[..., T], *args: Any) -> T:
    """Run a CPU-bound call in gevent's thread pool when gevent serves this process, else here."""
    try:
        from gevent import get_hub, monkey
    except ImportError:
        return function(*args)
    if not monkey.is_module_patched("threading"):
        return function(*args)
    return get_hub().threadpool.apply(function, args)  # type: ignore[no-any-return]
