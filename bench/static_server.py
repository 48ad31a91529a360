"""Serve recorded JSON bodies on loopback: `static_server.py ROUTE FILE [ROUTE FILE ...]`.

Prints the port it listens on, then answers a GET of each ROUTE with its FILE's bytes (404
elsewhere) until its standard input closes (so it ends with the process that started it). It
does no work per request beyond writing those bytes.
"""

from __future__ import annotations

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(bodies: dict[str, bytes]) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY, as HTTP servers set it (Go's, which serves Ampersand's API, does by
        # default): with Nagle's algorithm the body of a small answer, written after its
        # headers, waited for the client's delayed ACK, about 40 ms.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            body = bodies.get(self.path.split("?", 1)[0])
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        server.daemon_threads = True
        print(server.server_address[1], flush=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()
        server.shutdown()
    os._exit(0)


if __name__ == "__main__":
    pairs = sys.argv[1:]
    if not pairs or len(pairs) % 2:
        raise SystemExit(__doc__.splitlines()[0])
    serve(
        {
            route: Path(file).read_bytes()
            for route, file in zip(pairs[::2], pairs[1::2], strict=True)
        }
    )
