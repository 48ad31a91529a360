"""API throttles: per user, per anonymous address, and stricter on the sync and deploy POSTs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle


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
