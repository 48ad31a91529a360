from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from integrations import secrets
from integrations.models import Project


def test_a_key_encrypted_under_a_rotated_secret_key_still_decrypts(settings):
    settings.SECRET_KEY = "old-secret"
    token = secrets.encrypt("sk-live-123")
    settings.SECRET_KEY = "new-secret"
    settings.SECRET_KEY_FALLBACKS = ["old-secret"]
    assert secrets.decrypt(token) == "sk-live-123"


def test_a_key_under_a_secret_key_no_longer_listed_is_undecryptable(settings):
    settings.SECRET_KEY = "old-secret"
    token = secrets.encrypt("sk-live-123")
    settings.SECRET_KEY = "new-secret"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(secrets.UndecryptableKey):
        secrets.decrypt(token)


def test_reencrypt_api_keys_moves_every_stored_key_to_the_current_secret_key(db, settings):
    settings.SECRET_KEY = "old-secret"
    for name in ("a", "b"):
        project = Project.objects.create(name=name, ampersand_project=name)
        project.set_api_key(f"key-{name}")
        project.save()
    Project.objects.create(name="env", ampersand_project="env")  # no stored key: untouched
    settings.SECRET_KEY = "new-secret"
    settings.SECRET_KEY_FALLBACKS = ["old-secret"]
    out = io.StringIO()

    call_command("reencrypt_api_keys", stdout=out)

    assert out.getvalue().strip() == "reencrypted projects=2"
    settings.SECRET_KEY_FALLBACKS = []
    assert [p.get_api_key() for p in Project.objects.exclude(api_key_encrypted="")] == [
        "key-a",
        "key-b",
    ]


def test_reencrypt_api_keys_names_a_key_it_cannot_open_and_fails(db, settings):
    settings.SECRET_KEY = "lost-secret"
    project = Project.objects.create(name="lost", ampersand_project="lost")
    project.set_api_key("key")
    project.save()
    settings.SECRET_KEY = "new-secret"
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="1 project"):
        call_command("reencrypt_api_keys", stdout=out, stderr=err)

    assert out.getvalue().strip() == "reencrypted projects=0"
    assert "undecryptable project=lost" in err.getvalue()
