"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.utils import timezone

# Live-server and Playwright tests run Django code from an event loop's thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _emulator_on(settings):
    settings.AMPERSAND_EMULATOR = True


@dataclass(frozen=True)
class EmulatorApi:
    """Where the emulator listens during a test, and the project and key it knows."""

    base_url: str
    api_key: str
    project: str


@pytest.fixture
def emulator_project(transactional_db):
    from emulator.models import ApiKey, Destination, Project

    project = Project.objects.create(
        name="test-project", app_name="Test App", create_time=timezone.now()
    )
    ApiKey.objects.create(key="test-key", project=project, label="tests")
    Destination.objects.create(
        project=project,
        name="defaultWebhook",
        type="webhook",
        metadata={"url": "https://example.com/hooks/ampersand"},
        create_time=timezone.now(),
    )
    return project


@pytest.fixture
def emulator_api(live_server, emulator_project) -> EmulatorApi:
    """The emulator served over a real socket by pytest-django's live server."""
    return EmulatorApi(
        base_url=f"{live_server.url}/emulator/v1",
        api_key="test-key",
        project=emulator_project.name,
    )
