from __future__ import annotations

import copy
import itertools
from dataclasses import replace
from typing import Any

import pytest
from django.core.management import call_command

from integrations.models import Integration, Membership, Project, Snapshot
from integrations.snapshots import store_versions
from integrations.sync import sync_project
from tests.conftest import EmulatorApi

_ids = itertools.count(1)


def integration_json(name: str, **content: Any) -> dict[str, Any]:
    """An integration as the API returns it, with the given manifest content."""
    number = next(_ids)
    return {
        "id": f"int-{number}",
        "projectId": "proj-1",
        "name": name,
        "provider": content.pop("provider", "salesforce"),
        "createTime": "2026-01-05T09:00:00.000000Z",
        "latestRevision": {
            "id": f"rev-{number}",
            "specVersion": "1.0.0",
            "createTime": "2026-01-05T09:00:00.000000Z",
            "content": {"name": name, "provider": "salesforce", **content},
        },
    }


def store_integration(project: Project, raw: dict[str, Any]) -> Integration:
    """Store `raw` as a new integration of `project`, by the writer the sync and deploys use."""
    return store_versions(project.pk, [raw], source=Snapshot.Source.SYNC)[0]


def add_version(integration: Integration, raw: dict[str, Any], **fields: Any) -> Snapshot:
    """Store `raw` as the integration's newest snapshot (by the same writer)."""
    stored = store_versions(integration.project_id, [raw], **{"source": "sync", **fields})[0]
    integration.refresh_from_db()
    return stored.latest_snapshot


def renamed(raw: dict[str, Any], display_name: str) -> dict[str, Any]:
    """The next revision of `raw`, with another display name."""
    raw = copy.deepcopy(raw)
    raw["latestRevision"]["id"] += "-next"
    raw["latestRevision"]["content"]["displayName"] = display_name
    return raw


def seed_remote(
    emulator_api: EmulatorApi, *, integrations: int, seed: int, name: str = "seeded"
) -> EmulatorApi:
    """An emulator project `name` seeded with demo integrations, and how to reach it."""
    api_key = f"{name}-key"
    call_command(
        "seed_emulator", project=name, integrations=integrations, seed=seed, api_key=api_key
    )
    return replace(emulator_api, project=name, api_key=api_key)


def connected_project(api: EmulatorApi, name: str = "local") -> Project:
    """A dashboard project connected to the emulator project of `api`, with its key."""
    project = Project.objects.create(name=name, ampersand_project=api.project, api_url=api.base_url)
    project.set_api_key(api.api_key)
    project.save()
    return project


def synced_project(api: EmulatorApi, name: str = "local") -> Project:
    """`connected_project`, synced once, so its integrations are stored."""
    project = connected_project(api, name)
    sync_project(project=project)
    return project


def run_worker() -> None:
    """Process the queued tasks the way `make run`'s db_worker does, then return."""
    call_command("db_worker", batch=True, reload=False, startup_delay=False, verbosity=0)


@pytest.fixture
def project(db) -> Project:
    return Project.objects.create(name="demo", ampersand_project="demo")


@pytest.fixture
def other_project(db) -> Project:
    return Project.objects.create(name="other", ampersand_project="other")


@pytest.fixture
def viewer(django_user_model, project):
    user = django_user_model.objects.create_user("viewer", password="pw-viewer-1")
    Membership.objects.create(user=user, project=project, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def outsider(django_user_model, other_project):
    user = django_user_model.objects.create_user("outsider", password="pw-outsider-1")
    Membership.objects.create(user=user, project=other_project, role=Membership.Role.VIEWER)
    return user


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def _member(django_user_model, username: str, project: Project, role: str):
    user = django_user_model.objects.create_user(username, password=f"pw-{username}-1")
    Membership.objects.create(user=user, project=project, role=role)
    return user


@pytest.fixture
def editor(django_user_model, project):
    return _member(django_user_model, "editor", project, Membership.Role.EDITOR)


@pytest.fixture
def ops(django_user_model, project):
    return _member(django_user_model, "ops", project, Membership.Role.OPS)


@pytest.fixture
def superuser(django_user_model, db):
    return django_user_model.objects.create_superuser("root", password="pw-root-1")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client
