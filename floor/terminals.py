"""The kiosks' card terminals, opened from the configuration (`devices.payment`, `devices.kiosks`)."""

from __future__ import annotations

import logging

from core.errors import N_, Conflict
from core.site import Site
from floor.card_payments import Approved, KioskTerminal
from floor.per_kiosk import PerKiosk
from hardware.payment.uri import open_terminal

log = logging.getLogger(__name__)


class TerminalService:
    """One KioskTerminal per kiosk that has a terminal; recovery of every one of them at start."""

    def __init__(self, site: Site, on_approved: Approved, enabled: bool = True) -> None:
        self.site = site
        self.on_approved = on_approved
        self.enabled = enabled
        self._terminals = PerKiosk(self._open)

    def terminal(self, kiosk: str) -> KioskTerminal | None:
        return self._terminals.get(kiosk)

    def require(self, kiosk: str) -> KioskTerminal:
        terminal = self.terminal(kiosk)
        if terminal is None:
            raise Conflict(N_("This kiosk takes no card payment. Please pay at a counter."))
        return terminal

    def _open(self, kiosk: str) -> KioskTerminal | None:
        uri = self.site.config.device_uri("payment", kiosk) if self.enabled else ""
        if not uri:
            return None
        timeout = float(self.site.config.devices.get("payment_timeout_seconds", 180))
        return KioskTerminal(kiosk, open_terminal(uri), self.site, self.on_approved, timeout=timeout)

    def recover_all(self, kiosks: list[str]) -> None:
        """At start: settle what a crash left unknown, before any kiosk takes a new payment."""
        for kiosk in kiosks:
            terminal = self.terminal(kiosk)
            if terminal is not None and not terminal.recover():
                log.warning("kiosk %s: unsettled payments wait for a supervisor", kiosk)

    def active(self) -> dict[str, KioskTerminal]:
        return self._terminals.opened()

    def close(self) -> None:
        for terminal in self.active().values():
            terminal.terminal.close()
