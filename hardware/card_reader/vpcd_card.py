"""A card model (cards.py) plugged into vsmartcard's virtual reader, so pcscd and pyscard see a real card.

vpcd is a pcscd driver (Debian `vsmartcard-vpcd`) that listens on TCP, port `CHANNELID` for its first slot
("Virtual PCD 00 00") and the next port for the second. A virtual card connects to it as a client:
connecting is inserting the card, closing the connection is removing it. Each message, either way, is a
2-byte big-endian length and a payload. A 1-byte payload from vpcd is a control: 00 power off, 01 power on,
02 reset, 04 "send your ATR" (the only one answered); a longer one is a command APDU, answered with the
response APDU (vsmartcard's virtualsmartcard/src/vpcd/vpcd.c).

⚠ vpcd listens on 0.0.0.0: anyone on the network could plug a card into it. It is a test and development
tool: never install vsmartcard-vpcd on a production desk PC.

Run by hand against a local pcscd: `python -m hardware.card_reader.vpcd_card --badge AGENT-0042`.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time

from .cards import AgentBadge, CardModel

VPCD_PORT = 0x8C7B  # 35963, Debian's /etc/reader.conf.d/vpcd
POWER_OFF, POWER_ON, RESET, GET_ATR = 0x00, 0x01, 0x02, 0x04
CONNECT_RETRY = 0.05


class VpcdCard:
    """One card in vpcd's slot: `insert()` connects and serves it from a thread, `remove()` disconnects."""

    def __init__(self, card: CardModel, port: int = VPCD_PORT, host: str = "127.0.0.1") -> None:
        self.card = card
        self.address = (host, port)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def insert(self, timeout: float = 5.0) -> VpcdCard:
        """Connect to vpcd (waiting up to `timeout` seconds for it to listen) and start answering."""
        self._sock = _connect(self.address, timeout)
        self._thread = threading.Thread(target=self._serve, args=(self._sock,), name="vpcd-card", daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        """Disconnect: pcscd sees the card removed."""
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # vpcd already closed its side
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def _serve(self, sock: socket.socket) -> None:
        try:
            while (message := receive(sock)) is not None:
                reply = self.answer(message)
                if reply is not None:
                    sock.sendall(frame(reply))
        except OSError:
            pass  # removed while vpcd was talking to us

    def answer(self, message: bytes) -> bytes | None:
        """The card's reply to one vpcd message: the ATR, a response APDU, or nothing for a control."""
        if len(message) != 1:
            return self.card.handle(message)
        if message[0] == GET_ATR:
            return self.card.atr
        if message[0] in (POWER_ON, RESET):
            self.card.reset()
        return None


def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(2, "big") + payload


def receive(sock: socket.socket) -> bytes | None:
    """One length-prefixed message, or None when vpcd closed the connection."""
    header = _exactly(sock, 2)
    return None if header is None else _exactly(sock, int.from_bytes(header, "big"))


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _connect(address: tuple[str, int], timeout: float) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        try:
            sock = socket.create_connection(address, timeout=timeout)
            sock.settimeout(None)  # then wait for vpcd as long as the card is in
            return sock
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(CONNECT_RETRY)


def main() -> None:
    parser = argparse.ArgumentParser(description="Plug a virtual agent badge into vpcd until Ctrl-C.")
    parser.add_argument("--badge", default="AGENT-0042", help="the badge id the card returns")
    parser.add_argument("--port", type=int, default=VPCD_PORT, help="vpcd's port (slot 0: 35963)")
    args = parser.parse_args()
    card = VpcdCard(AgentBadge(args.badge), args.port).insert()
    print(f"badge {args.badge} inserted in vpcd on port {args.port}; Ctrl-C removes it")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        card.remove()


if __name__ == "__main__":
    main()
