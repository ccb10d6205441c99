"""Run a short external program (espeak-ng) and collect what it writes, from any thread, gevent or not.

`os.posix_spawn` starts it (vfork: nothing of the server's memory is copied; gevent's patched `subprocess`
forks, ~8 ms of page tables, and cannot run in gevent's thread pool: its child watchers live on the main
loop). A selector reads both pipes to their end, then the child is reaped.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import time
from typing import Any, NamedTuple

CHUNK = 65536


class Finished(NamedTuple):
    status: int | None  # the exit code; None when another part of the process reaped the child (below)
    stdout: bytes
    stderr: bytes


def run(command: list[str], timeout: float) -> Finished:
    """FileNotFoundError for a program not on the PATH, TimeoutError (the child killed) after `timeout` s."""
    program = shutil.which(command[0])
    if program is None:
        raise FileNotFoundError(command[0])
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        pid = _posix_spawn()(program, command, os.environ, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out_write, 1),
            (os.POSIX_SPAWN_DUP2, err_write, 2),
        ])
    except BaseException:
        for fd in (out_read, err_read):
            os.close(fd)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    try:
        stdout, stderr = _collect(out_read, err_read, time.monotonic() + timeout)
    except TimeoutError:
        os.kill(pid, signal.SIGKILL)
        _reap(pid)
        raise
    return Finished(_reap(pid), stdout, stderr)


def _posix_spawn() -> Any:
    """The system's posix_spawn: gevent's patched one watches the child from the main thread's loop, and
    fails in gevent's thread pool, where a synthesis runs (display/routes.py)."""
    try:
        from gevent import monkey
    except ImportError:
        return os.posix_spawn
    return monkey.get_original("os", "posix_spawn")


def _collect(out_read: int, err_read: int, deadline: float) -> tuple[bytes, bytes]:
    """Both pipes read to their end (the child closes them when it exits)."""
    received: dict[int, list[bytes]] = {out_read: [], err_read: []}
    with selectors.DefaultSelector() as selector:
        for fd in received:
            selector.register(fd, selectors.EVENT_READ)
        try:
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                for key, _events in selector.select(left):
                    chunk = os.read(key.fd, CHUNK)
                    if chunk:
                        received[key.fd].append(chunk)
                    else:
                        selector.unregister(key.fd)
        finally:
            for fd in received:
                os.close(fd)
    return b"".join(received[out_read]), b"".join(received[err_read])


def _reap(pid: int) -> int | None:
    try:
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    except ChildProcessError:
        return None  # gevent's SIGCHLD handler (libev) may reap any child first: the output tells
