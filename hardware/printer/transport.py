"""Byte links to a printer: raw TCP (port 9100) and serial; USB lives in usb.py.

One small interface, so that the driver's logic (status before and after each job, typed errors) is the
same on every link. Links raise PrinterUnreachable, never socket or serial errors. We do not use
python-escpos's Network and Serial here: Network.open() leaks its socket when the connection fails (a
kiosk polls an unplugged printer for hours) and neither lets a status read have its own short timeout.
"""

from __future__ import annotations

import socket
from abc import ABC, abstractmethod
from types import TracebackType

import serial

from ..errors import PrinterUnreachable
from .status import status_query


class Link(ABC):
    """An open connection: job bytes out, status bytes in."""

    @abstractmethod
    def write(self, data: bytes, timeout: float) -> None:
        """Send all of data; PrinterUnreachable when the link drops or stalls past timeout."""

    @abstractmethod
    def read(self, timeout: float) -> bytes:
        """One reply byte, b"" when none came within timeout; PrinterUnreachable when the link dropped."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection (never raises)."""

    def discard_input(self) -> None:  # noqa: B027 - a link without an input buffer has nothing to drop
        """Drop replies that came too late for an earlier query, so they are not taken for new ones."""

    def query(self, n: int, timeout: float) -> bytes:
        """DLE EOT n and its reply (b"" when none came)."""
        self.discard_input()
        self.write(status_query(n), timeout)
        return self.read(timeout)

    def __enter__(self) -> Link:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class Transport(ABC):
    """How to reach one printer; description names it in errors and logs."""

    description: str

    @abstractmethod
    def connect(self, timeout: float) -> Link:
        """Open a link, or raise PrinterUnreachable saying why not."""

    def seconds_to_send(self, size: int) -> float:
        """How long size bytes take on the wire (serial only; a network or USB link is instant here)."""
        return 0.0


class TcpTransport(Transport):
    """An Ethernet printer's raw TCP port ("JetDirect", 9100)."""

    def __init__(self, host: str, port: int = 9100) -> None:
        self.host, self.port = host, port
        self.description = f"tcp://{host}:{port}"

    def connect(self, timeout: float) -> Link:
        try:
            return TcpLink(socket.create_connection((self.host, self.port), timeout), self.description)
        except OSError as exc:
            raise PrinterUnreachable(f"cannot connect to the printer at {self.description}: {exc}") from exc


class TcpLink(Link):
    def __init__(self, sock: socket.socket, description: str) -> None:
        self.sock, self.description = sock, description
        # A status query is 3 bytes written right after the job: without this, Nagle's algorithm holds
        # it until the job is acknowledged, and the peer's delayed ACK adds 40 ms to every ticket.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes, timeout: float) -> None:
        try:
            self.sock.settimeout(timeout)
            self.sock.sendall(data)
        except OSError as exc:  # reset, broken pipe, or the printer stopped reading
            raise PrinterUnreachable(f"the connection to {self.description} dropped: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        try:
            self.sock.settimeout(timeout)
            reply = self.sock.recv(1)
        except TimeoutError:
            return b""
        except OSError as exc:
            raise PrinterUnreachable(f"the connection to {self.description} dropped: {exc}") from exc
        if not reply:
            raise PrinterUnreachable(f"the printer at {self.description} closed the connection")
        return reply

    def close(self) -> None:
        self.sock.close()


class SerialTransport(Transport):
    """A serial printer (RS-232 or a USB-serial adapter) at a fixed speed, 8N1."""

    def __init__(self, path: str, baud: int = 9600) -> None:
        self.path, self.baud = path, baud
        self.description = f"serial://{path}?baud={baud}"

    def connect(self, timeout: float) -> Link:
        try:
            return SerialLink(serial.Serial(self.path, self.baud, timeout=timeout, write_timeout=timeout),
                              self.description)
        except (serial.SerialException, OSError) as exc:
            raise PrinterUnreachable(f"cannot open the printer's serial port {self.path}: {exc}") from exc

    def seconds_to_send(self, size: int) -> float:
        return size * 10 / self.baud  # a start bit, 8 data bits and a stop bit per byte


class SerialLink(Link):
    def __init__(self, port: serial.Serial, description: str) -> None:
        self.port, self.description = port, description

    def write(self, data: bytes, timeout: float) -> None:
        try:
            self.port.write_timeout = timeout
            self.port.write(data)
        except (serial.SerialException, OSError) as exc:  # unplugged, or flow control held past timeout
            raise PrinterUnreachable(f"sending to {self.description} failed: {exc}") from exc

    def read(self, timeout: float) -> bytes:
        try:
            self.port.timeout = timeout
            return bytes(self.port.read(1))
        except (serial.SerialException, OSError) as exc:
            raise PrinterUnreachable(f"reading from {self.description} failed: {exc}") from exc

    def discard_input(self) -> None:
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            raise PrinterUnreachable(f"the serial port {self.description} failed: {exc}") from exc

    def close(self) -> None:
        try:
            self.port.close()
        except (serial.SerialException, OSError):
            pass  # the device is already gone
