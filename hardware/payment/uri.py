"""Opening a payment terminal from its configuration URI, with a sentence saying what is wrong with a bad one.

    caisse-ap+tcp://10.0.0.31:8888?pos=01           Concert V3 over TCP (optional: cj=<12 chars>, timeout=<s>)
    concert2+serial:///dev/ttyACM0?baud=9600&pos=01  Concert V2 on a serial line (optional: timeout=<s>)
    sim://                                          the V3 driver on a fresh loopback V3 simulator
    sim://?protocol=concert2                        the V2 driver on a fresh pty V2 simulator
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import SplitResult, parse_qsl, urlsplit

from . import caisse_ap, concert_v2
from .base import TOTALS, PaymentTerminal
from .caisse_ap import CaisseApSimulator, CaisseApTerminal, Station
from .concert_v2 import ConcertV2Simulator, ConcertV2Terminal
from .simulation import OwnsSimulator

SUPPORTED = ("caisse-ap+tcp://host:port?pos=01, concert2+serial:///dev/ttyACM0?baud=9600&pos=01, sim:// "
             "or sim://?protocol=concert2")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)
Params = dict[str, str]
T = TypeVar("T")


class SimulatedCaisseApTerminal(OwnsSimulator, CaisseApTerminal):
    """The real Concert V3 driver talking to a CaisseApSimulator it owns."""

    capabilities = CaisseApTerminal.capabilities | {TOTALS}
    simulator: CaisseApSimulator

    def __init__(self, simulator: CaisseApSimulator) -> None:
        super().__init__("127.0.0.1", simulator.port)
        self.simulator = simulator


class SimulatedConcertV2Terminal(OwnsSimulator, ConcertV2Terminal):
    """The real Concert V2 driver talking, through a pty, to a ConcertV2Simulator it owns."""

    capabilities = ConcertV2Terminal.capabilities | {TOTALS}
    simulator: ConcertV2Simulator

    def __init__(self, simulator: ConcertV2Simulator) -> None:
        super().__init__(simulator.path)
        self.simulator = simulator


def open_terminal(uri: str) -> PaymentTerminal:
    """The payment terminal a URI names; ValueError with a sentence for a malformed or unsupported URI."""
    parts = urlsplit(uri)
    opener = OPENERS.get(parts.scheme)
    if opener is None:
        raise ValueError(f"unsupported payment terminal URI {uri!r}: expected {SUPPORTED}")
    return opener(uri, parts, _params(uri, parts, ALLOWED[parts.scheme]))


def _params(uri: str, parts: SplitResult, allowed: frozenset[str]) -> Params:
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    names = [name for name, _ in pairs]
    for name in names:
        if name not in allowed:
            raise ValueError(f"payment terminal URI {uri!r} has an unknown parameter {name!r}: "
                             f"expected {', '.join(sorted(allowed)) or 'none'}")
        if names.count(name) > 1:
            raise ValueError(f"payment terminal URI {uri!r} gives {name!r} more than once")
    return dict(pairs)


def _caisse_ap(uri: str, parts: SplitResult, params: Params) -> PaymentTerminal:
    example = "caisse-ap+tcp://host:port?pos=01"
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or not port:
        raise ValueError(f"payment terminal URI {uri!r} needs a host and a port: expected {example}")
    station = _checked(uri, lambda: Station(params.get("pos", "01"), params.get("cj", Station.protocol_id)))
    timeout = _timeout(uri, params, caisse_ap.driver.TRANSACTION_TIMEOUT)
    return CaisseApTerminal(parts.hostname, port, station=station, transaction_timeout=timeout)


def _concert2(uri: str, parts: SplitResult, params: Params) -> PaymentTerminal:
    if parts.netloc or not parts.path.startswith("/"):
        raise ValueError(f"payment terminal URI {uri!r} needs a device path after three slashes: expected "
                         "concert2+serial:///dev/ttyACM0?baud=9600&pos=01")
    baud = params.get("baud", "9600")
    if not baud.isdigit() or int(baud) not in BAUD_RATES:
        raise ValueError(f"payment terminal URI {uri!r} has baud={baud!r}: expected one of {BAUD_RATES}")
    timeout = _timeout(uri, params, concert_v2.driver.TRANSACTION_TIMEOUT)
    pos = params.get("pos", "01")
    return _checked(uri, lambda: ConcertV2Terminal(parts.path, baudrate=int(baud), pos=pos,
                                                   transaction_timeout=timeout))


def _simulator(uri: str, parts: SplitResult, params: Params) -> PaymentTerminal:
    protocol = params.get("protocol", "caisse-ap")
    if protocol == "caisse-ap":
        return SimulatedCaisseApTerminal(CaisseApSimulator().start())
    if protocol == "concert2":
        return SimulatedConcertV2Terminal(ConcertV2Simulator().start())
    raise ValueError(f"payment terminal URI {uri!r} has protocol={protocol!r}: "
                     "expected caisse-ap or concert2")


def _timeout(uri: str, params: Params, default: float) -> float:
    if "timeout" not in params:
        return default
    try:
        seconds = float(params["timeout"])
    except ValueError:
        seconds = 0
    if not 0 < seconds < 3600:
        raise ValueError(f"payment terminal URI {uri!r} has timeout={params['timeout']!r}: expected seconds "
                         "between 0 and 3600, longer than the terminal's own timeout")
    return seconds


def _checked(uri: str, build: Callable[[], T]) -> T:
    """build(), with a parameter's ValueError restated with the URI it came from."""
    try:
        return build()
    except ValueError as exc:
        raise ValueError(f"payment terminal URI {uri!r}: {exc}") from None


Opener = Callable[[str, SplitResult, Params], PaymentTerminal]
OPENERS: dict[str, Opener] = {"caisse-ap+tcp": _caisse_ap, "concert2+serial": _concert2, "sim": _simulator}
ALLOWED = {"caisse-ap+tcp": frozenset({"pos", "cj", "timeout"}),
           "concert2+serial": frozenset({"pos", "baud", "timeout"}), "sim": frozenset({"protocol"})}
