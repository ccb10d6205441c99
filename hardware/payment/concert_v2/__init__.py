"""Concert V2 on a serial line: link layer (ENQ/ACK/STX/ETX/LRC, NAK), messages, driver, pty simulator."""

from .driver import ConcertV2Terminal
from .frames import V2Answer, V2Request
from .link import Link, lrc
from .simulator import ConcertV2Simulator

__all__ = ["ConcertV2Simulator", "ConcertV2Terminal", "Link", "V2Answer", "V2Request", "lrc"]
