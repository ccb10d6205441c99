"""Supervisors' reports computed in a child process of their own (docs/reports.md, "Reports never slow the
floor").

A month of a large post costs about 0.6 s of CPU. Inside the server, even in a thread of its own, the report
shares with the kiosks' requests the GIL, SQLite's library and the heap, and its low priority works against
them: a thread set aside by the scheduler while it holds the GIL makes the server's loop wait for it. In a
child process, the kiosks' requests share nothing with the report but the cores, and the scheduler is asked
to hand those to them first in three ways:
- Linux's `SCHED_IDLE` policy: a request that wakes takes a core from the report at once, rather than after
  the report's time slice as at nice 19 alone;
- a session of its own (so a scheduling group of its own under Linux's autogroups) at nice 19: with the
  report in the server's group, its CPU counted against the server's share of the machine when other
  programs (the sync worker, a browser, a backup) wanted the cores too;
- `REPORT_NICE` where neither exists.
An idle-policy task still gets a small share of a busy machine (a weight of 3 against 1,024), so a report on
a machine the kiosks saturate is slow, not starved; `TIMEOUT_SECONDS` bounds it. docs/reports.md has the
measured effect of each.

One child, started at the first report and kept, computes one report at a time; `MAX_WAITING` more requests
wait their turn and any beyond are refused with `ReportsBusy` (503, a sentence in the person's language), so
a reloading page cannot pile up work or, with the threaded worker, hold the server's threads. A child that
dies is replaced (its report asked once more); one that takes longer than `TIMEOUT_SECONDS` is ended.

Parent and child speak over the child's stdin and stdout, each message a 4-byte length and a pickle: our own
process on a pipe only the two of them hold. The parent waits in `select`, which gevent makes cooperative
(the server's loop goes on), and which blocks only the request's thread under the threaded worker. The
child ends when its stdin closes: when the server's process ends, however it ends.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from core import kept_reports, period_report
from core.config import SiteConfig
from core.errors import N_, DourError
from core.report_queries import Period
from core.store import Store

REPORT_NICE = 19  # the child's niceness: any request of the server goes first when the cores are busy
IDLE_POLICY = getattr(os, "SCHED_IDLE", None)  # Linux: run only on a core nothing else wants
AUTOGROUP = "/proc/self/autogroup"  # Linux: the niceness of the child's session as a whole
MAX_WAITING = 2  # reports that may wait while one is computed; more are refused
TIMEOUT_SECONDS = 300.0  # a quarter of a large post takes seconds: this is a child that hangs
HEADER = struct.Struct(">I")
BUSY = N_("Another report is being prepared. Try again in a minute.")
TOO_LONG = N_("The report took too long to prepare: choose a shorter range or try again later.")


class ReportsBusy(DourError):
    status = 503
    code = "reports_busy"


class ReportFailed(RuntimeError):
    """The child raised while computing (its traceback is the message)."""


def frame(value: Any) -> bytes:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


class ReportProcess:
    """The child that computes reports: `run(function, *args)` calls a module-level `function` there."""

    def __init__(self, command: list[str] | None = None) -> None:
        self.command = command or [sys.executable, "-c", "from core.report_process import main; main()"]
        self._child: subprocess.Popen[bytes] | None = None
        self._to_child = self._from_child = -1
        self._turn = threading.Lock()  # one report on the pipe at a time
        self._count_lock = threading.Lock()
        self._in_flight = 0

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(*args)` in the child (a module-level function; arguments and answer are pickled)."""
        call = (function.__module__, function.__qualname__, args)
        with self._admitted(), self._turn:
            try:
                return self._ask(call)
            except (EOFError, OSError):  # the child died (killed, out of memory): a new one, once
                self.stop()
            return self._ask(call)

    @contextmanager
    def _admitted(self) -> Iterator[None]:
        with self._count_lock:
            if self._in_flight > MAX_WAITING:
                raise ReportsBusy(BUSY)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._count_lock:
                self._in_flight -= 1

    def _ask(self, call: tuple[str, str, tuple[Any, ...]]) -> Any:
        self._start()
        deadline = time.monotonic() + TIMEOUT_SECONDS
        try:
            _write_all(self._to_child, frame(call), deadline)
            status, value = pickle.loads(_read_frame(self._from_child, deadline))
        except TimeoutError:
            self.stop()
            raise ReportsBusy(TOO_LONG) from None
        except BaseException:  # no answer, or half of one (a greenlet killed): the pipe is out of step
            self.stop()
            raise
        if status != "ok":
            raise ReportFailed(value)
        return value

    def _start(self) -> None:
        if self._child is not None and self._child.poll() is None:
            return
        self.stop()
        child_stdin, to_child = os.pipe()
        from_child, child_stdout = os.pipe()
        root = str(Path(__file__).resolve().parents[1])  # where `core` is, installed or not
        paths = [root, os.environ.get("PYTHONPATH")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}
        try:
            self._child = subprocess.Popen(self.command, stdin=child_stdin, stdout=child_stdout, env=env,
                                           start_new_session=True)  # its own scheduling group: see above
        finally:
            os.close(child_stdin)
            os.close(child_stdout)
        self._to_child, self._from_child = to_child, from_child

    def stop(self) -> None:
        """End the child (it would end by itself once the server's end of its pipe closes)."""
        for fd in (self._to_child, self._from_child):
            if fd >= 0:
                with suppress(OSError):
                    os.close(fd)
        self._to_child = self._from_child = -1
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()


def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        _wait(fd, deadline, write=True)
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    parts, missing = [], size
    while missing:
        _wait(fd, deadline, write=False)
        part = os.read(fd, min(missing, 1 << 20))
        if not part:
            raise EOFError("the report process ended")
        parts.append(part)
        missing -= len(part)
    return b"".join(parts)


def _read_frame(fd: int, deadline: float) -> bytes:
    (size,) = HEADER.unpack(_read_exactly(fd, HEADER.size, deadline))
    return _read_exactly(fd, size, deadline)


def _wait(fd: int, deadline: float, write: bool) -> None:
    """Until `fd` can be read (or written) without blocking: cooperative under gevent (its `select`)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError
    ready = select.select([], [fd], [], remaining) if write else select.select([fd], [], [], remaining)
    if not any(ready):
        raise TimeoutError


# --- reports ------------------------------------------------------------------------------------------------
_process: ReportProcess | None = None
_process_lock = threading.Lock()
_stores: dict[str, Store] = {}  # in the child: the last database asked for


def report(store: Store, config: SiteConfig, period: Period, moment: datetime, today: str) -> dict[str, Any]:
    """The report of `period` as of `moment` (core/period_report.py), computed in the reports' process, or
    given again from there while a past period's figures have not changed (core/kept_reports.py)."""
    global _process
    if store.path == ":memory:":  # no other process can see it (tests)
        with store.reading() as db:
            return period_report.build(db, config, period, moment)
    with _process_lock:
        _process = _process or ReportProcess()
    return dict(_process.run(report_of_file, store.path, config, period, moment, today))


def report_of_file(
    path: str, config: SiteConfig, period: Period, moment: datetime, today: str
) -> dict[str, Any]:
    """In the child: the report, on its own read connection to the database at `path`."""
    if path not in _stores:
        for old in _stores.values():
            old.close()
        _stores.clear()
        _stores[path] = Store(path, schema=lambda _db: None)  # the server migrated it
    return kept_reports.report(_stores[path], config, period, moment, today)


# --- the child ----------------------------------------------------------------------------------------------
def _call(module: str, name: str, args: tuple[Any, ...]) -> Any:
    __import__(module)
    function: Any = sys.modules[module]
    for part in name.split("."):
        function = getattr(function, part)
    return function(*args)


def _read_message(stream: BinaryIO) -> Any:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        raise EOFError
    (size,) = HEADER.unpack(header)
    return pickle.loads(stream.read(size))


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Answer calls until the server's end of the pipe closes."""
    while True:
        try:
            module, name, args = _read_message(stdin)
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = ("ok", _call(module, name, args))
        except Exception:  # the server raises it as ReportFailed: logged, answered 500
            answer = ("error", traceback.format_exc())
        stdout.write(frame(answer))
        stdout.flush()


def lowest_priority() -> None:
    """Nice 19 for the child and for its scheduling group, then the idle scheduling policy, each where the
    system has it (ignored where it cannot be set)."""
    with suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, 0, REPORT_NICE)
    with suppress(OSError), open(AUTOGROUP, "w") as group:
        group.write(str(REPORT_NICE))
    if IDLE_POLICY is not None:
        with suppress(AttributeError, OSError):
            os.sched_setscheduler(0, IDLE_POLICY, os.sched_param(0))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on `dour serve` stops the server; its end stops us
    lowest_priority()
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print goes to the log, not into the answers
    serve(sys.stdin.buffer, answers)
