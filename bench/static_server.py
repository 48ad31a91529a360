"""Serve one recorded JSON body on loopback: `static_server.py FILE ROUTE`.

Prints the port it listens on, then answers GET ROUTE with the file's bytes (404 elsewhere)
until its standard input closes (so it ends with the process that started it). It does no
work per request beyond writing those bytes.
"""

from __future__ import annotations

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(body: bytes, route: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != route:
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
    serve(Path(sys.argv[1]).read_bytes(), sys.argv[2])
