"""The reports' process (core/report_process.py): calls run in another process at the lowest priority, a child
that dies is replaced, one that hangs is ended, its errors come back, and requests beyond the queue are
refused with a sentence rather than piled up."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import report_process
from core.report_process import ReportFailed, ReportProcess, ReportsBusy


@pytest.fixture
def process() -> Iterator[ReportProcess]:
    child = ReportProcess()
    try:
        yield child
    finally:
        child.stop()


def test_calls_run_in_a_child_at_the_lowest_priority(process: ReportProcess) -> None:
    assert process.run(os.getpid) == process.pid != os.getpid()
    assert process.run(os.getpriority, os.PRIO_PROCESS, 0) == report_process.REPORT_NICE == 19
    assert process.run(os.sched_getscheduler, 0) == os.SCHED_IDLE  # a waking request takes the core at once
    assert process.run(os.getsid, 0) == process.pid != os.getsid(0)  # a scheduling group of its own
    autogroup = process.run(Path.read_text, Path(report_process.AUTOGROUP))
    assert autogroup.rstrip().endswith("nice 19"), autogroup
    assert process.run(os.getpid) == process.pid  # the same child, kept


def test_a_child_that_died_is_replaced(process: ReportProcess) -> None:
    first = process.run(os.getpid)
    os.kill(first, signal.SIGKILL)
    time.sleep(0.1)
    second = process.run(os.getpid)
    assert second != first and second == process.pid


def test_a_child_that_hangs_is_ended_and_the_person_told(
    process: ReportProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    hanging = process.run(os.getpid)  # started before the short timeout: a start is not a hang
    monkeypatch.setattr(report_process, "TIMEOUT_SECONDS", 0.5)
    with pytest.raises(ReportsBusy) as raised:
        process.run(time.sleep, 30)
    assert raised.value.status == 503 and "shorter range" in raised.value.message
    assert process.run(os.getpid) != hanging


def test_an_error_in_the_child_comes_back_with_its_traceback(process: ReportProcess) -> None:
    with pytest.raises(ReportFailed, match="ValueError"):
        process.run(int, "not a number")
    assert process.run(abs, -3) == 3  # the child goes on


def test_requests_beyond_the_queue_are_refused(
    process: ReportProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def held(call: Any) -> str:
        release.wait(10)
        return "done"

    monkeypatch.setattr(process, "_ask", held)
    answers: list[Any] = []
    waiting = [threading.Thread(target=lambda: answers.append(process.run(abs, 1)))
               for _ in range(1 + report_process.MAX_WAITING)]
    for thread in waiting:
        thread.start()
    deadline = time.monotonic() + 10
    while process._in_flight < len(waiting) and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(ReportsBusy) as raised:
        process.run(abs, 1)
    assert raised.value.message == "Another report is being prepared. Try again in a minute."
    release.set()
    for thread in waiting:
        thread.join(10)
    assert answers == ["done"] * len(waiting)
    assert process.run(abs, 1) == "done"  # admitted again once the queue emptied


def test_an_answer_left_unread_never_goes_to_the_next_request(
    process: ReportProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Interrupted(BaseException):  # as gevent's GreenletExit: a request killed while it waits
        pass

    def interrupted(fd: int, deadline: float) -> bytes:
        raise Interrupted

    read_frame = report_process._read_frame
    monkeypatch.setattr(report_process, "_read_frame", interrupted)
    with pytest.raises(Interrupted):
        process.run(abs, -1)  # the child's answer, 1, is left in the pipe
    monkeypatch.setattr(report_process, "_read_frame", read_frame)
    assert process.run(abs, -2) == 2
