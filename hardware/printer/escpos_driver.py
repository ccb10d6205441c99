"""EscposPrinter: tickets rendered with python-escpos and sent over raw TCP (port 9100)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from escpos.printer import Dummy, Network

from ..errors import PrinterUnreachable, PrintFailed
from .base import Printer, PrinterStatus, TicketPrint
from .status import ensure_printable, read_status, status_query

# One fixed Latin code page (Latin-1 plus the euro sign) covers French, English, Spanish,
# Italian, German and Dutch. Lines it cannot encode (Arabic) are skipped for now: code pages
# cannot shape Arabic, so those lines will be printed as raster images (hardware.md §1.5).
CODE_PAGE = "CP858"
DEFAULT_PROFILE = "TM-T20II"  # a common 80 mm kiosk printer; selects widths and code pages
NUMBER_SCALE = 4  # the ticket number is printed 4x wide and 4x high
QR_DOT_SIZE = 6


def printable_text(text: str) -> str | None:
    """The text if the code page can print it, else None (the line is skipped)."""
    try:
        text.encode(CODE_PAGE.lower())
    except UnicodeEncodeError:
        return None
    return text


def _line(out: Dummy, text: str) -> None:
    printable = printable_text(text)
    if printable is not None:
        out.textln(printable)


def _body_lines(ticket: TicketPrint) -> list[str]:
    return [
        ticket.service,
        ticket.issued_at,
        f"{ticket.ahead_label}: {ticket.people_ahead}",
        f"{ticket.wait_label}: {ticket.wait_minutes} min",
        *ticket.lines,
    ]


def render_ticket(ticket: TicketPrint, profile: str = DEFAULT_PROFILE) -> bytes:
    """The ESC/POS bytes of one ticket, from printer reset to cut."""
    out = Dummy(profile=profile)
    out.hw("INIT")
    out.charcode(CODE_PAGE)
    out.set(align="center", bold=True)
    _line(out, ticket.site_name)
    out.set(bold=False)
    out.ln()
    out.set(custom_size=True, width=NUMBER_SCALE, height=NUMBER_SCALE)
    _line(out, ticket.number)
    out.set(custom_size=True, width=1, height=1)
    out.ln()
    for text in _body_lines(ticket):
        _line(out, text)
    if ticket.url:
        out.ln()
        out.qr(ticket.url, native=True, size=QR_DOT_SIZE)
    out.cut()
    return bytes(out.output)


class EscposPrinter(Printer):
    """An ESC/POS printer on raw TCP; one short connection per status query or ticket."""

    def __init__(
        self,
        host: str,
        port: int = 9100,
        *,
        profile: str = DEFAULT_PROFILE,
        connect_timeout: float = 2.0,
        status_timeout: float = 0.5,
        send_timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.profile = profile
        self.connect_timeout = connect_timeout
        self.status_timeout = status_timeout
        self.send_timeout = send_timeout

    def status(self) -> PrinterStatus:
        """Query DLE EOT 1/2/4; UNKNOWN when unreachable or silent."""
        try:
            with self._connection() as network:
                return self._read_status(network)
        except PrinterUnreachable:
            return PrinterStatus.UNKNOWN

    def print_ticket(self, ticket: TicketPrint) -> None:
        """Check the status on the same connection, then send the whole ticket at once."""
        job = render_ticket(ticket, self.profile)
        with self._connection() as network:
            ensure_printable(self._read_status(network))
            self._socket(network).settimeout(self.send_timeout)
            try:
                network._raw(job)
            except OSError as exc:
                raise PrintFailed(f"sending the ticket to {self._address} failed: {exc}") from exc

    def close(self) -> None:
        """Nothing to release: no connection is kept open between jobs."""

    @property
    def _address(self) -> str:
        return f"{self.host}:{self.port}"

    @contextmanager
    def _connection(self) -> Iterator[Network]:
        network = Network(self.host, self.port, timeout=self.connect_timeout, profile=self.profile)
        # Connect here rather than with Network.open(): in python-escpos 3.1 it leaks the
        # socket when the connection fails, and a kiosk polls an unplugged printer for hours.
        try:
            network.device = socket.create_connection((self.host, self.port), self.connect_timeout)
        except OSError as exc:
            raise PrinterUnreachable(f"cannot connect to the printer at {self._address}: {exc}") from exc
        try:
            yield network
        finally:
            network.close()

    def _read_status(self, network: Network) -> PrinterStatus:
        sock = self._socket(network)
        sock.settimeout(self.status_timeout)
        return read_status(lambda n: _query(sock, n))

    @staticmethod
    def _socket(network: Network) -> socket.socket:
        sock = network.device
        assert isinstance(sock, socket.socket)
        return sock


def _query(sock: socket.socket, n: int) -> bytes:
    """Send DLE EOT n on the raw socket; b"" when no reply comes within the socket timeout."""
    try:
        sock.sendall(status_query(n))
        return sock.recv(1)
    except OSError:  # includes the timeout of a mute printer
        return b""
