"""Encryption at rest for the Ampersand API keys that projects store.

The Fernet key is derived from SECRET_KEY, so a database dump alone does not reveal them.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class ApiKeyUnavailable(Exception):
    """No API key may be sent for the project; nothing is sent."""

    # Read like an AmpersandError's problem where pages show one.
    title = "API key unusable"
    request_id = ""

    @property
    def message(self) -> str:
        return str(self)

    detail = message


class UndecryptableKey(ApiKeyUnavailable):
    """The stored key was encrypted under another SECRET_KEY: set it again."""


def _fernet() -> Fernet:
    digest = hashlib.sha256(f"ampdash-api-keys:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(raw: str) -> str:
    return _fernet().encrypt(raw.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableKey(
            "The stored API key cannot be decrypted (SECRET_KEY changed?): set it again."
        ) from None
