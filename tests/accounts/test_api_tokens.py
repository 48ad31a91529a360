"""Personal API tokens: the page that makes and revokes them, and the API accepting them."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken


def token_client(key: str, scheme: str = "Token") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {key}")
    return client


@pytest.fixture
def viewer_key(viewer) -> str:
    _token, key = ApiToken.objects.create(
        user=viewer, name="nightly-export", expiry=timedelta(days=7)
    )
    return key


def test_the_tokens_page_needs_a_login(client, db):
    answer = client.get("/accounts/tokens/")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/accounts/login/")


def test_a_created_token_is_shown_once_and_stored_only_as_a_digest(viewer_client, viewer):
    answer = viewer_client.post("/accounts/tokens/", {"name": "  CI   deploy ", "expires_in": "90"})

    assert answer.status_code == 201
    key = answer.context["new_key"]
    assert key in answer.content.decode()
    assert answer["Cache-Control"].startswith("max-age=0")
    token = ApiToken.objects.get(user=viewer)
    assert token.name == "CI deploy"
    assert key not in (token.digest, token.token_key)
    assert token.expiry - timezone.now() > timedelta(days=89)
    listed = viewer_client.get("/accounts/tokens/").content.decode()
    assert "CI deploy" in listed
    assert key not in listed


def test_a_token_without_a_name_is_not_created(viewer_client, viewer):
    answer = viewer_client.post("/accounts/tokens/", {"name": " ", "expires_in": "30"})
    assert answer.status_code == 200
    assert answer.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_a_token_works_as_token_and_as_bearer_with_the_users_roles(viewer_key, project):
    for scheme in ("Token", "Bearer"):
        client = token_client(viewer_key, scheme)
        assert client.get(f"/api/projects/{project.pk}/").status_code == 200
        refused = client.post(f"/api/projects/{project.pk}/sync/")
        assert refused.status_code == 403
        assert "needs the editor or ops role" in refused.json()["detail"]


def test_a_token_never_appears_in_api_answers_or_logs(viewer_key, project, caplog):
    with caplog.at_level(logging.DEBUG):
        answers = [
            token_client(viewer_key).get(url).content.decode()
            for url in ("/api/", "/api/projects/", f"/api/projects/{project.pk}/", "/api/schema/")
        ]
    assert not any(viewer_key in answer for answer in answers)
    assert viewer_key not in caplog.text


def test_revoking_a_token_stops_it(viewer_client, viewer, viewer_key, project):
    token = ApiToken.objects.get(user=viewer)

    answer = viewer_client.post(f"/accounts/tokens/{token.pk}/revoke/")

    assert answer.status_code == 302
    assert not ApiToken.objects.exists()
    refused = token_client(viewer_key).get("/api/projects/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"


def test_another_users_token_cannot_be_revoked(outsider_client, viewer, viewer_key):
    token = ApiToken.objects.get(user=viewer)
    assert outsider_client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert outsider_client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_an_expired_token_answers_401_and_leaves_the_list(viewer_client, viewer, viewer_key):
    ApiToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    assert token_client(viewer_key, "Bearer").get("/api/projects/").status_code == 401
    assert "nightly-export" not in viewer_client.get("/accounts/tokens/").content.decode()


@pytest.mark.parametrize("header", ["Token", "Token a b", "Bearer nothex", "Token caf\u00e9"])
def test_a_malformed_token_answers_401_not_500(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/projects/").status_code == 401


def test_without_credentials_the_api_still_answers_403(db):
    answer = APIClient().get("/api/projects/")
    assert answer.status_code == 403
    assert "WWW-Authenticate" not in answer
