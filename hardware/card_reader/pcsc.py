"""The badge reader through pcscd, with pyscard's low-level `smartcard.scard` API (imported on first use).

One thread per reader polls the slot every `poll_seconds` with a zero-timeout SCardGetStatusChange, so no
call ever blocks: under gunicorn's gevent worker the thread is a greenlet and a blocking C call would stall
every request. pcsc-lite keeps an event counter in the upper 16 bits of the reader state; a change of it while
a card is present means the card was swapped between two polls, reported as removed then inserted.

Health: ok while pcscd answers and a reader matching `reader` (a part of its name, any case) is there;
offline `pcscd_unavailable` (no pcscd: "Service not available"), offline `reader_missing`, offline
`pyscard_missing`. Losing pcscd or the reader while a card is in also reports the card removed: the desk
locks rather than trust a card nobody can see.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..health import Health, HealthState
from .base import CardChange, CardEvent, CardReader, CardReaderError, NoCard, Response

log = logging.getLogger(__name__)
POLL_SECONDS = 0.2
RETRY_SECONDS = 2.0
NO_SERVICE = {0x8010001D, 0x8010001E, 0x80100003}  # no service, service stopped, invalid context handle
NO_READER = {0x8010002E, 0x80100009, 0x80100017}  # no readers, unknown reader, reader unavailable
CARD_GONE = {0x80100069, 0x8010000C, 0x80100068}  # removed, no smart card, reset by someone else
TIMEOUT = 0x8010000A


class _Failure(Exception):
    """A PC/SC call failed: the health to report and whether the context must be established again."""

    def __init__(self, health: Health, drop_context: bool) -> None:
        super().__init__(health.detail)
        self.health = health
        self.drop_context = drop_context


class PcscCardReader(CardReader):
    """The first PC/SC reader whose name contains `reader` ("" takes the first reader pcscd lists)."""

    def __init__(self, reader: str = "", poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__()
        self.wanted = reader
        self.poll_seconds = poll_seconds
        self._scard: Any = None
        self._context: Any = None
        self._name: str | None = None
        self._card: Any = None
        self._protocol = 0
        self._atr: bytes | None = None
        self._changes = -1
        self._io = threading.Lock()  # one PC/SC call on our handles at a time
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pcsc-{reader or 'first'}", daemon=True)

    def _begin(self) -> None:
        self._thread.start()

    @property
    def atr(self) -> bytes | None:
        return self._atr

    def transmit(self, apdu: bytes) -> Response:
        with self._io:
            if self._card is None:
                raise NoCard("no card in the reader")
            hresult, response = self._scard.SCardTransmit(self._card, self._protocol, list(apdu))
        code = hresult & 0xFFFFFFFF
        if code in CARD_GONE:
            raise NoCard(self._message(hresult))
        if code:
            raise CardReaderError(f"transmit failed: {self._message(hresult)}")
        return Response.parse(bytes(response))

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    # --- the polling thread ------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            from smartcard import scard
        except ImportError as error:
            self._health_changed(Health(HealthState.OFFLINE, "pyscard_missing", str(error)))
            return
        self._scard = scard
        while not self._stop.is_set():
            self._stop.wait(self.poll_seconds if self._poll_once() else RETRY_SECONDS)
        self._release(tell=False, drop_context=True)

    def _poll_once(self) -> bool:
        """Look at the slot once; False when pcscd or the reader is missing (then retry less often)."""
        try:
            seen = self._slot_state()
        except _Failure as failure:
            self._release(tell=True, drop_context=failure.drop_context)
            self._health_changed(failure.health)
            return False
        self._health_changed(Health(HealthState.OK, "", self._name or ""))
        if seen is not None:
            self._follow(*seen)
        return True

    def _slot_state(self) -> tuple[int, bytes] | None:
        """The reader's state word and the card's ATR; None when pcscd had nothing new to say."""
        scard = self._scard
        with self._io:
            if self._context is None:
                self._context = self._checked(scard.SCardEstablishContext(scard.SCARD_SCOPE_USER))
            if self._name is None:
                self._name = self._pick(self._checked(scard.SCardListReaders(self._context, [])))
            hresult, states = scard.SCardGetStatusChange(self._context, 0, [(self._name, 0)])
        if hresult & 0xFFFFFFFF == TIMEOUT:
            return None
        self._checked((hresult, None))
        _, state, atr = states[0]
        return int(state), bytes(atr)

    def _follow(self, state: int, atr: bytes) -> None:
        """Turn the slot's state into removed / inserted events."""
        present = bool(state & self._scard.SCARD_STATE_PRESENT) and not state & self._scard.SCARD_STATE_MUTE
        changes = state >> 16
        if self._atr is not None and (not present or changes != self._changes):
            self._release(tell=True, drop_context=False)
        if present and self._atr is None and changes != self._changes and self._connect(changes, atr):
            self._card_changed(CardEvent(CardChange.INSERTED, atr))

    def _connect(self, changes: int, atr: bytes) -> bool:
        scard = self._scard
        protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
        with self._io:
            hresult, card, protocol = scard.SCardConnect(self._context, self._name, scard.SCARD_SHARE_SHARED,
                                                         protocols)
            self._changes = changes  # a card that cannot be connected is tried once per insertion
            if hresult:
                log.info("card in %s not connected: %s", self._name, self._message(hresult))
                return False
            self._card, self._protocol, self._atr = card, protocol, atr
        return True

    def _release(self, tell: bool, drop_context: bool) -> None:
        """Let go of the card (reporting it removed if `tell`), and of the context if it is dead."""
        with self._io:
            card, had_card = self._card, self._atr is not None
            self._card, self._atr = None, None
            if card is not None:
                self._scard.SCardDisconnect(card, self._scard.SCARD_LEAVE_CARD)
            if drop_context:
                self._drop_context()
        if tell and had_card:
            self._card_changed(CardEvent(CardChange.REMOVED))

    def _drop_context(self) -> None:
        if self._context is not None:
            self._scard.SCardReleaseContext(self._context)
        self._context, self._name, self._changes = None, None, -1  # a new pcscd counts events from 0

    def _pick(self, readers: list[str]) -> str:
        for name in readers:
            if self.wanted.lower() in name.lower():
                return name
        detail = f"no reader named like {self.wanted!r} among {readers}"
        raise _Failure(Health(HealthState.OFFLINE, "reader_missing", detail), drop_context=False)

    def _checked(self, result: tuple[Any, ...]) -> Any:
        """The value of a (hresult, value) pair, or _Failure with the health that error means."""
        hresult, value = result
        code = hresult & 0xFFFFFFFF
        if code in NO_SERVICE:
            raise _Failure(Health(HealthState.OFFLINE, "pcscd_unavailable", self._message(hresult)), True)
        if code in NO_READER:
            self._name, self._changes = None, -1  # a replugged reader counts events from 0
            detail = f"{self.wanted or 'reader'}: {self._message(hresult)}"
            raise _Failure(Health(HealthState.OFFLINE, "reader_missing", detail), drop_context=False)
        if code:
            raise _Failure(Health(HealthState.UNKNOWN, "pcsc_error", self._message(hresult)), True)
        return value

    def _message(self, hresult: int) -> str:
        return f"{self._scard.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"
