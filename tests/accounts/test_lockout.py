"""Failed logins (django-axes): after 5 wrong passwords every try is refused, with when to retry.

django-axes locks at the limit: the 5th wrong password is answered with the lockout page already.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone


def log_in(client, url: str, username: str, password: str):
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_the_fifth_wrong_password_locks_the_login_and_says_when_to_retry(client, superuser, url):
    for _ in range(4):
        assert log_in(client, url, "root", "wrong").status_code == 200

    refused = log_in(client, url, "root", "wrong")

    assert refused.status_code == 429
    assert log_in(client, url, "root", "wrong").status_code == 429
    assert refused["Retry-After"] == "60"
    page = refused.content.decode()
    assert "Too many failed logins" in page
    assert "Try again after" in page
    # Even the right password waits for the lockout to end.
    assert log_in(client, url, "root", "pw-root-1").status_code == 429


def test_the_right_password_works_once_the_lockout_window_has_passed(client, superuser):
    for _ in range(6):
        log_in(client, "/accounts/login/", "root", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=2))

    answer = log_in(client, "/accounts/login/", "root", "pw-root-1")

    assert answer.status_code == 302
    assert answer["Location"] == "/integrations/"


def test_a_lockout_holds_one_username_from_one_address_only(client, superuser, viewer):
    for _ in range(6):
        log_in(client, "/accounts/login/", "root", "wrong")

    assert log_in(client, "/accounts/login/", "viewer", "pw-viewer-1").status_code == 302
    other_address = client.post(
        "/accounts/login/",
        {"username": "root", "password": "pw-root-1"},
        REMOTE_ADDR="10.0.0.9",
    )
    assert other_address.status_code == 302


def test_force_login_is_not_counted(client, superuser):
    for _ in range(6):
        log_in(client, "/accounts/login/", "root", "wrong")
    client.force_login(superuser)
    assert client.get("/integrations/").status_code == 200
