"""A threaded TCP server on 127.0.0.1 for the simulators: each connection goes to `serve(conn)`."""

from __future__ import annotations

import socket
import socketserver
from collections.abc import Callable

Serve = Callable[[socket.socket], None]


class LoopbackServer(socketserver.ThreadingTCPServer):
    """Listens on 127.0.0.1, an ephemeral port; `port` tells which. Never binds another interface."""

    daemon_threads = True
    request_queue_size = 64  # socketserver's 5 overflows under rapid connects, and a dropped SYN costs 1 s

    def __init__(self, serve: Serve) -> None:
        self.serve = serve
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(socketserver.BaseRequestHandler):
    server: LoopbackServer

    def handle(self) -> None:
        self.server.serve(self.request)
