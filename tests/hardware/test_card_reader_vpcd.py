"""The vpcd socket protocol of our virtual card, byte for byte, against a stand-in for vpcd; and the pyscard
driver when pcscd is not there (a subprocess whose PC/SC client library points at a socket nobody serves)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.card_reader import AgentBadge, PaymentCard
from hardware.card_reader.badge import GET_BADGE_ID, SELECT_BADGE
from hardware.card_reader.vpcd_card import VpcdCard, frame, receive

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def vpcd() -> Iterator[socket.socket]:
    """A listening socket playing vpcd's side (vpcd is the server, the card connects to it)."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(5)
        yield server


def ask(link: socket.socket, message: bytes) -> bytes | None:
    link.sendall(frame(message))
    return receive(link)


def test_card_answers_atr_and_apdus_in_length_prefixed_frames(vpcd: socket.socket) -> None:
    card = VpcdCard(AgentBadge("AGENT-0042"), vpcd.getsockname()[1]).insert()
    link, _ = vpcd.accept()
    with link:
        link.settimeout(5)
        assert ask(link, b"\x04") == AgentBadge.atr
        link.sendall(frame(b"\x01"))  # power on: no answer expected, the next reply is the APDU's
        assert ask(link, SELECT_BADGE) == b"\x90\x00"
        link.sendall(frame(GET_BADGE_ID))
        raw = link.recv(64)
        assert raw == b"\x00\x0cAGENT-0042\x90\x00"  # 2-byte big-endian length, then the R-APDU
        card.remove()
        assert link.recv(16) == b""  # vpcd sees the connection close: the card was removed


def test_reset_from_vpcd_deselects_the_application(vpcd: socket.socket) -> None:
    model = AgentBadge("AGENT-0042")
    card = VpcdCard(model, vpcd.getsockname()[1]).insert()
    link, _ = vpcd.accept()
    with link:
        link.settimeout(5)
        assert ask(link, SELECT_BADGE) == b"\x90\x00"
        link.sendall(frame(b"\x02"))
        assert ask(link, GET_BADGE_ID) == bytes.fromhex("6985")
    card.remove()


def test_card_waits_for_vpcd_to_listen_then_gives_up() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        VpcdCard(PaymentCard(), port).insert(timeout=0.2)


def test_pyscard_driver_without_pcscd_reports_offline(tmp_path: Path) -> None:
    script = ("import json, time\n"
              "from hardware.card_reader import open_card_reader\n"
              "reader = open_card_reader('pcsc://?reader=Virtual PCD')\n"
              "seen = []\n"
              "reader.start(print, seen.append)\n"
              "deadline = time.monotonic() + 5\n"
              "while not seen and time.monotonic() < deadline:\n"
              "    time.sleep(0.02)\n"
              "reader.close()\n"
              "print(json.dumps([[h.state, h.reason] for h in seen]))\n")
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=30, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == [["offline", "pcscd_unavailable"]]
