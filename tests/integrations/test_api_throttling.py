"""API throttles: per user, per anonymous address, and stricter on the sync and deploy POSTs."""

from __future__ import annotations

import os
import random

import pytest
import redis
from django.core.cache import caches
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from dashboard.settings import redis_cache
from tests.dashboard.test_settings import manage


@pytest.fixture
def rates(monkeypatch):
    """Lower a rate for one test (DRF reads the rates table once, at import)."""

    def lower(scope: str, rate: str) -> None:
        monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, scope, rate)

    return lower


def test_a_user_over_the_rate_gets_429_with_retry_after(viewer_client, project, rates):
    rates("user", "2/minute")
    assert viewer_client.get("/api/projects/").status_code == 200
    assert viewer_client.get(f"/api/projects/{project.pk}/").status_code == 200

    refused = viewer_client.get("/api/projects/")

    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "Expected available in" in refused.json()["detail"]


def test_anonymous_requests_are_counted_by_address(db, rates):
    rates("anon", "1/minute")
    assert APIClient().get("/api/").status_code == 200
    assert APIClient().get("/api/").status_code == 429
    assert APIClient(REMOTE_ADDR="10.0.0.7").get("/api/").status_code == 200


def test_the_action_rate_counts_sync_and_deploy_posts_only(editor_client, project, rates):
    rates("api-actions", "1/minute")
    deploys = f"/api/projects/{project.pk}/deploys/"
    assert editor_client.post(deploys, {}, content_type="application/json").status_code == 400

    assert editor_client.post(f"/api/projects/{project.pk}/sync/").status_code == 429
    assert editor_client.get(deploys).status_code == 200
    assert editor_client.get(deploys).status_code == 200


def test_the_default_rates_are_generous(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates == {"anon": "120/minute", "user": "1200/minute", "api-actions": "60/minute"}


# What one process counts another sees: the counts live in Redis when REDIS_URL is set. The
# Redis these machines run (started by .ci/run when down), a database of its own for tests.
REDIS_URL = "redis://127.0.0.1:6379/15"
COUNT_ONE_REQUEST = (
    "from rest_framework.request import Request\n"
    "from rest_framework.test import APIRequestFactory\n"
    "from integrations.api.throttles import AnonRateThrottle\n"
    "request = Request(APIRequestFactory().get('/api/', REMOTE_ADDR='{address}'))\n"
    "print('allowed' if AnonRateThrottle().allow_request(request, None) else 'refused')\n"
)


def shared_redis(settings, url: str) -> None:
    settings.CACHES = {**settings.CACHES, "shared": redis_cache(url)}


def test_a_request_counted_by_another_process_counts_here_through_redis(db, settings, rates):
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as probe:
            probe.ping()
    except redis.RedisError as error:
        pytest.fail(f"no Redis at {REDIS_URL} ({error}): start it (.ci/run does when it is down)")
    address = f"10.{os.getpid() % 250}.{random.randrange(250)}.{random.randrange(250)}"
    other_process = manage(
        "shell", "-c", COUNT_ONE_REQUEST.format(address=address), REDIS_URL=REDIS_URL
    )
    assert other_process.returncode == 0, other_process.stderr
    assert other_process.stdout.strip().endswith("allowed")

    shared_redis(settings, REDIS_URL)
    rates("anon", "1/minute")
    try:
        # The one request a minute this address may make was made by the other process.
        assert APIClient(REMOTE_ADDR=address).get("/api/").status_code == 429
        assert APIClient(REMOTE_ADDR="10.255.0.1").get("/api/").status_code == 200
    finally:
        addresses = (address, "10.255.0.1")
        caches["shared"].delete_many(
            [f"throttle_{scope}_{ip}" for scope in ("anon", "user") for ip in addresses]
        )


def test_an_unreachable_redis_lets_requests_through_and_says_so(db, settings, rates, caplog):
    shared_redis(settings, "redis://127.0.0.1:1/0")  # nothing listens there
    rates("anon", "1/minute")

    answers = [APIClient().get("/api/").status_code for _ in range(2)]

    assert answers == [200, 200]
    assert "API throttle not counted: the shared cache failed" in caplog.text
