"""Caisse-AP / Concert V3 over TCP: TLV codec, driver and loopback simulator."""

from .driver import CaisseApTerminal
from .messages import Station
from .simulator import CaisseApSimulator
from .tlv import TlvError, TlvReader, decode, encode

__all__ = ["CaisseApSimulator", "CaisseApTerminal", "Station", "TlvError", "TlvReader", "decode", "encode"]
