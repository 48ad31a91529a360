"""Signals the emulator sends, so tests can check every answer against the contract."""

from __future__ import annotations

from django.dispatch import Signal

# Sent once per answered API request with: request, response, operation_id (str | None),
# fault (str | None: the injected fault kind, when the answer was deliberately broken).
response_served = Signal()
