from __future__ import annotations

from django.apps import AppConfig


class EmulatorConfig(AppConfig):
    name = "emulator"
    verbose_name = "Ampersand API emulator"

    def ready(self) -> None:
        # Django's own server serves the emulator (and the dashboard) under `make run`
        # (runserver) and in the tests (the live server). It writes an answer's headers and its
        # body in two writes; with Nagle's algorithm on, the body of a small answer on a kept-alive
        # connection waited for the client's delayed ACK, about 40 ms (CPython issue 108736):
        # 44 ms for a 2 KB getProvider, 2 ms with TCP_NODELAY, which gunicorn and Go's servers
        # (Ampersand's API) set. `socketserver.StreamRequestHandler` sets it when asked.
        from django.core.servers.basehttp import WSGIRequestHandler

        WSGIRequestHandler.disable_nagle_algorithm = True
