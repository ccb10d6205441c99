from __future__ import annotations

import pytest

from core.throttle import LoginThrottle, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_locks_a_user_name_after_the_limit_then_frees_it_after_the_window() -> None:
    clock = Clock()
    throttle = LoginThrottle(limit=3, window=60, clock=clock)
    for _ in range(3):
        throttle.check("Amina")
        throttle.failed("Amina")
    with pytest.raises(TooManyAttempts):
        throttle.check("amina")  # user names are compared without case
    throttle.check("someone-else")
    clock.now += 61
    throttle.check("amina")


def test_success_clears_the_failures() -> None:
    throttle = LoginThrottle(limit=2, window=60, clock=Clock())
    throttle.failed("amina")
    throttle.succeeded("amina")
    throttle.failed("amina")
    throttle.check("amina")
