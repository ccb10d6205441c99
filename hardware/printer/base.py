"""The ticket printer interface: what the kiosk may ask of any printer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType


class PrinterStatus(Enum):
    """What the printer last told us about itself."""

    OK = "ok"
    NEAR_END = "near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    UNKNOWN = "unknown"

    @property
    def can_print(self) -> bool:
        """True when a ticket may be sent (near end still prints)."""
        return self in (PrinterStatus.OK, PrinterStatus.NEAR_END)


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed on one ticket, already formatted and translated by the caller."""

    site_name: str
    number: str
    service: str
    issued_at: str
    people_ahead: int
    wait_minutes: int
    url: str
    lines: list[str] = field(default_factory=list)
    ahead_label: str = "People ahead"
    wait_label: str = "Estimated wait"


class Printer(ABC):
    """A ticket printer. Drivers raise PrinterError subclasses, never transport errors."""

    @abstractmethod
    def print_ticket(self, ticket: TicketPrint) -> None:
        """Print one ticket, or raise a PrinterError saying why it was not printed."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer for its state; UNKNOWN when it does not answer."""

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
