"""Encryption at rest for the Ampersand API keys that projects store.

The Fernet key is derived from SECRET_KEY, so a database dump alone does not reveal them.
Keys encrypted under a SECRET_KEY that was rotated into SECRET_KEY_FALLBACKS still decrypt;
`manage.py reencrypt_api_keys` then encrypts them all under the current SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
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


def _fernet_for(secret_key: str) -> Fernet:
    digest = hashlib.sha256(f"ampdash-api-keys:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _fernet() -> MultiFernet:
    """Encrypts under SECRET_KEY; decrypts under it or any of SECRET_KEY_FALLBACKS."""
    secret_keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([_fernet_for(secret_key) for secret_key in secret_keys])


def encrypt(raw: str) -> str:
    return _fernet().encrypt(raw.encode()).decode()


def reencrypt(token: str) -> str:
    """`token` encrypted again under the current SECRET_KEY."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableKey(
            "The stored API key cannot be decrypted (SECRET_KEY changed?): set it again."
        ) from None


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableKey(
            "The stored API key cannot be decrypted (SECRET_KEY changed?): set it again."
        ) from None
