"""The payment terminal: one interface, Concert V3 (TCP) and V2 (serial) drivers, simulators, a fake.

The layers above use PaymentTerminal, PaymentRequest, PaymentResult and open_terminal(uri); tests of
those layers use FakeTerminal; tests of the drivers use the protocol simulators.
"""

from .base import (
    ABORT,
    QUERY,
    REFUND,
    TOTALS,
    VOID,
    BatchTotals,
    LastTransaction,
    Match,
    PaymentProgress,
    PaymentRequest,
    PaymentResult,
    PaymentState,
    PaymentTerminal,
    ProgressCallback,
)
from .caisse_ap import CaisseApSimulator, CaisseApTerminal
from .concert_v2 import ConcertV2Simulator, ConcertV2Terminal
from .errors import (
    NotSupported,
    PaymentError,
    ProtocolError,
    TerminalBusy,
    TerminalNoAnswer,
    TerminalUnreachable,
)
from .fake import FakeTerminal
from .money import mask_pan, new_reference
from .simulation import Outcome
from .uri import SimulatedCaisseApTerminal, SimulatedConcertV2Terminal, open_terminal

__all__ = [
    "ABORT",
    "QUERY",
    "REFUND",
    "TOTALS",
    "VOID",
    "BatchTotals",
    "CaisseApSimulator",
    "CaisseApTerminal",
    "ConcertV2Simulator",
    "ConcertV2Terminal",
    "FakeTerminal",
    "LastTransaction",
    "Match",
    "NotSupported",
    "Outcome",
    "PaymentError",
    "PaymentProgress",
    "PaymentRequest",
    "PaymentResult",
    "PaymentState",
    "PaymentTerminal",
    "ProgressCallback",
    "ProtocolError",
    "SimulatedCaisseApTerminal",
    "SimulatedConcertV2Terminal",
    "TerminalBusy",
    "TerminalNoAnswer",
    "TerminalUnreachable",
    "mask_pan",
    "new_reference",
    "open_terminal",
]
