"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings

# Live-server and Playwright tests run Django code from an event loop's thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Property tests: example counts are set per test; the emulator answers over a socket, so no
# per-example deadline. Function-scoped fixtures (the database, the live server's project) are
# shared by a test's examples on purpose: each property holds whatever earlier examples stored.
_PROPERTY_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
settings.register_profile("dev", **_PROPERTY_SETTINGS)
# CI draws the same examples every run (a red build is reproducible, a green one not luck) and
# keeps no example database, which a fresh clone would lose anyway.
settings.register_profile("ci", derandomize=True, database=None, **_PROPERTY_SETTINGS)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


def pytest_report_header(config) -> str:
    from django.conf import settings

    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} ({database['NAME']})"


LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    """Cache keys hold database ids, which a rolled-back test hands out again; the throttles'
    counts are each test's own. With REDIS_URL set, the suite still counts in its own memory:
    that Redis is not emptied, it may not be the suite's."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if not isinstance(caches["shared"], LocMemCache):
        settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": LOCMEM, "LOCATION": "shared"}}
    # Held, not looked up again: a test may point "shared" at a Redis meanwhile.
    in_memory = [caches["default"], caches["shared"]]
    for each in in_memory:
        each.clear()
    yield
    for each in in_memory:
        each.clear()


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


# --- Contract checks (owner: emu) ----------------------------------------------------------------
# Every emulator answer during a test, unless a fault broke it on purpose, must match the official
# OpenAPI spec; mismatches fail the test. Tests that hit no emulator pay one signal connection.


@pytest.fixture(autouse=True)
def _emulator_answers_match_contract(request):
    from emulator.signals import response_served

    answers: list[tuple[str, str, int, str, bytes]] = []

    def record_answer(sender, request, response, operation_id, fault, **kwargs):
        if fault is None:
            content_type = response.get("Content-Type", "")
            answers.append(
                (request.method, request.path, response.status_code, content_type, response.content)
            )

    def fail_on_mismatches() -> None:
        checked, answers[:] = list(answers), []
        if not checked:
            return
        from tests.contract.openapi import response_mismatches

        mismatches = [
            f"{method} {path} -> {mismatch}"
            for method, path, status, content_type, body in checked
            for mismatch in response_mismatches(method, path, status, content_type, body)
        ]
        if mismatches:
            pytest.fail(
                "Emulator answers that break the OpenAPI contract:\n  " + "\n  ".join(mismatches),
                pytrace=False,
            )

    request.node.emulator_contract_check = fail_on_mismatches
    response_served.connect(record_answer, weak=False)
    yield
    response_served.disconnect(record_answer)
    fail_on_mismatches()  # answers served while fixtures tore down


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # Checked right after the test body, so a broken answer fails the test itself.
    result = yield
    check = getattr(item, "emulator_contract_check", None)
    if check is not None:
        check()
    return result
