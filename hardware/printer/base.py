"""The ticket printer interface: what the kiosk and the device pages may ask of any printer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from types import TracebackType

from ..health import Health
from .model import Ticket


class PrinterStatus(Enum):
    """What the printer last told us about itself."""

    OK = "ok"
    NEAR_END = "near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"  # includes an autocutter or unrecoverable error
    UNKNOWN = "unknown"  # no answer: never taken for OK

    @property
    def can_print(self) -> bool:
        """True when a ticket may be sent (near end still prints)."""
        return self in (PrinterStatus.OK, PrinterStatus.NEAR_END)


class Printer(ABC):
    """A ticket printer. Drivers raise PrinterError subclasses, never transport errors."""

    @abstractmethod
    def print_ticket(self, ticket: Ticket) -> None:
        """Print one ticket, or raise a PrinterError saying why it was not (or may not have been) printed."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer for its state; UNKNOWN when it does not answer within a short timeout."""

    @abstractmethod
    def health(self) -> Health:
        """The printer's state as device health: degraded when near end, unknown when silent."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection and anything the printer started."""

    def __enter__(self) -> Printer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
