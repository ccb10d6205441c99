"""A QR scanner in USB-CDC (virtual COM port) mode, read by a background thread with pyserial.

`serial_for_url` opens a device path (`/dev/ttyACM0`, a udev symlink such as `/dev/scanner`) as well as a
serial device server (`rfc2217://host:port`). When the device disappears (USB unplugged: pyserial raises
SerialException) the scanner reports itself offline and reopens the port by itself, with a growing delay.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import serial

from hardware.health import Health, HealthState

from .base import HealthCallback, Scan, ScanCallback, ScanSource
from .frames import FrameSplitter

log = logging.getLogger(__name__)

MAX_FRAME = 4096  # bytes; a QR code holds at most 2953 bytes of data
READ_TIMEOUT = 0.5  # seconds a read waits, so stop() is noticed promptly even without cancel_read
Opener = Callable[..., Any]


class SerialScanner(ScanSource):
    """Reads CR/LF-terminated codes from a serial port and reconnects when the port goes away."""

    def __init__(
        self, url: str, baudrate: int = 9600, *, source: str = "serial", retry_min: float = 0.5,
        retry_max: float = 5.0, max_frame: int = MAX_FRAME, opener: Opener = serial.serial_for_url,
    ) -> None:
        self.url, self.baudrate, self.source = url, baudrate, source
        self.retry_min, self.retry_max, self.max_frame = retry_min, retry_max, max_frame
        self._opener = opener
        self._health = Health(HealthState.UNKNOWN, "starting")
        self._on_scan: ScanCallback = lambda scan: None
        self._on_health: HealthCallback = lambda health: None
        self._stopping = threading.Event()
        self._port: Any = None
        self._thread: threading.Thread | None = None
        self.dropped = 0  # oversize frames thrown away since start

    def start(self, on_scan: ScanCallback, on_health: HealthCallback | None = None) -> None:
        self._on_scan, self._on_health = on_scan, on_health or (lambda health: None)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"scanner {self.url}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        cancel = getattr(self._port, "cancel_read", None)  # rfc2217 ports have none: their reads time out
        if cancel is not None:
            try:
                cancel()
            except OSError:
                pass  # the port was closed meanwhile: the thread is leaving anyway
        if self._thread is not None:
            self._thread.join(timeout=2 * READ_TIMEOUT + 1)
            self._thread = None

    def health(self) -> Health:
        return self._health

    def _run(self) -> None:
        """Open, read until the port fails, wait (longer each time), reopen; until stop()."""
        delay = self.retry_min
        while not self._stopping.is_set():
            try:
                self._port = self._opener(self.url, baudrate=self.baudrate, timeout=READ_TIMEOUT)
            except (serial.SerialException, OSError, ValueError) as error:
                self._set_health(Health(HealthState.OFFLINE, self._offline_reason("unreachable"), str(error)))
            else:
                delay = self.retry_min
                self._read_until_failure()
            self._stopping.wait(delay)
            delay = min(delay * 2, self.retry_max)

    def _offline_reason(self, reason: str) -> str:
        """Keep the first reason while the scanner stays offline: an unplug is one change, not two."""
        return self._health.reason if self._health.state is HealthState.OFFLINE else reason

    def _read_until_failure(self) -> None:
        port = self._port
        self._set_health(Health.ok())
        try:
            self._read_frames(port, FrameSplitter(self.max_frame))
        except Exception as error:  # whatever the driver raises, the reader reports it and reopens
            if not isinstance(error, OSError):  # SerialException is an OSError: an unplug, no traceback
                log.exception("scanner %s: read failed", self.url)
            self._set_health(Health(HealthState.OFFLINE, "disconnected", str(error)))
        finally:
            self._port = None
            with contextlib.suppress(Exception):
                port.close()

    def _read_frames(self, port: Any, frames: FrameSplitter) -> None:
        while not self._stopping.is_set():
            ready = frames.feed(port.read(port.in_waiting or 1))
            if frames.dropped:  # noted before the scans that followed it are delivered
                self._note_dropped(frames.dropped)
                frames.dropped = 0
            for frame in ready:
                self._deliver(frame)

    def _deliver(self, frame: bytes) -> None:
        self._call(self._on_scan, Scan(frame.decode("utf-8", errors="replace"), self.source))

    def _call(self, callback: Callable[[Any], None], value: object) -> None:
        try:
            callback(value)
        except Exception:  # a failing listener must not stop the scanner
            log.exception("scanner %s: listener failed", self.url)

    def _note_dropped(self, count: int) -> None:
        self.dropped += count
        log.warning("scanner %s: dropped %d frame(s) over %d bytes", self.url, count, self.max_frame)
        self._set_health(Health(HealthState.OK, "", f"{self.dropped} oversize frame(s) dropped"))

    def _set_health(self, health: Health) -> None:
        """Remember the state; tell the listener when the state or the reason changed."""
        previous, self._health = self._health, health
        if (previous.state, previous.reason) != (health.state, health.reason):
            self._call(self._on_health, health)
