"""Django's own server, which serves the emulator over real HTTP (runserver under `make run`, the
live server in the tests), sends each answer at once on a kept-alive connection."""

from __future__ import annotations

import socket
import threading

import httpx
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler


def test_djangos_server_turns_nagles_algorithm_off_for_each_connection():
    """Without TCP_NODELAY the body of a small answer, written after its headers, waited for
    the client's delayed ACK: about 40 ms a request after the first on a connection."""
    nodelay: list[int] = []

    class Recording(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            nodelay.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        def log_message(self, *args: object) -> None:
            pass

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    server = ThreadedWSGIServer(("127.0.0.1", 0), Recording)
    server.set_app(app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}") as client:
            answers = [client.get("/").text for _ in range(3)]
    finally:
        server.shutdown()
        server.server_close()

    assert answers == ["ok"] * 3
    assert len(nodelay) == 1  # the three requests on one kept-alive connection
    assert nodelay[0] != 0
