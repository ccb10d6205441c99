"""Typed errors of the payment terminal layer; all derive from hardware.errors.HardwareError.

A payment's outcome is never an exception: pay(), cancel() and refund() return a PaymentResult whose state
says what is known (approved, declined, abandoned, failed, unknown). Exceptions are for misuse (a second
operation while one is running) and for questions that could not be answered (query() when the terminal
cannot be reached): "I could not ask" must never be confused with "the terminal has no such payment".
"""

from __future__ import annotations

from ..errors import HardwareError


class PaymentError(HardwareError):
    """The payment terminal could not do what was asked; reason is the stable code put in terminal_code."""

    reason = "error"


class TerminalBusy(PaymentError):
    """Another operation is running on this terminal; one operation at a time."""

    reason = "busy"


class TerminalUnreachable(PaymentError):
    """No connection could be made to the terminal (refused, timed out, unplugged)."""

    reason = "unreachable"


class TerminalNoAnswer(PaymentError):
    """The terminal took the question but gave no complete answer in time."""

    reason = "no_answer"


class ProtocolError(PaymentError):
    """The bytes received do not follow the protocol (malformed, truncated or corrupted)."""

    reason = "malformed_answer"


class NotSupported(PaymentError):
    """The protocol or the terminal offers no such operation (see PaymentTerminal.capabilities)."""

    reason = "not_supported"


class SendInterrupted(PaymentError):
    """The line failed while the request was being sent: the terminal may or may not have it."""

    reason = "send_interrupted"
