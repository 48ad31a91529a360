"""No API key on a page, an API answer, an error page or a log line.

Every URL pattern of dashboard/urls.py, its ids filled with real objects, is requested with
GET and POST as each kind of user; the stored key, its encrypted form and the environment's
key must appear in no body, header or log record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import ApiToken
from emulator.models import Project as RemoteProject
from integrations.models import DeployRecord, Membership, Project, SyncRun
from tests.integrations.conftest import add_version, integration_json, store_integration

ENVIRONMENT_KEY = "sk-environment-SECRET-4c1d9e"
STORED_KEY = "sk-stored-SECRET-7a2f30"
# Nothing listens there: views that call the API fail fast, after sending the key.
UNREACHABLE_API = "http://127.0.0.1:9/v1"
PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>([^)]*)\)")


def url_patterns(patterns=None, prefix: str = "") -> Iterator[str]:
    """Every pattern's route, prefixes included, e.g. "integrations/<int:pk>/history/"."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern).lstrip("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, route)
        else:
            assert isinstance(pattern, URLPattern)
            yield route


def filled(route: str, objects: dict[str, str]) -> list[str]:
    """`route` as URLs, its parameters filled with the ids of real objects."""
    admin_model = re.match(r"admin/(\w+)/(\w+)/", route)
    urls = [route]
    for match in PARAMETER.finditer(route):
        name = match.group(1) or match.group(2)
        if name == "pk":
            kind = re.match(r"(?:api/)?([\w-]+)/", route).group(1)
            values = [objects[kind]]
        elif name == "object_id" and admin_model:
            model = apps.get_model(*admin_model.groups())
            first = model._default_manager.order_by("pk").first()
            values = [str(first.pk) if first else "1"]
        elif match.group(3) and "|" in match.group(3):  # a choice: each of them
            values = match.group(3).split("|")
        else:
            values = [objects.get(name, "x")]
        urls = [url.replace(match.group(0), value, 1) for url in urls for value in values]
    return ["/" + url.replace("\\", "") for url in urls]


@pytest.fixture
def secrets_everywhere(db, settings, django_user_model):
    settings.AMPERSAND_API_URL = UNREACHABLE_API
    settings.AMPERSAND_API_KEY = ENVIRONMENT_KEY
    project = Project.objects.create(name="demo", ampersand_project="demo")
    project.set_api_key(STORED_KEY)
    project.save()
    Project.objects.create(name="env", ampersand_project="env")  # uses the environment's key
    raw = integration_json("crm-sync", read={"objects": [{"objectName": "account"}]})
    integration = store_integration(project, raw)
    raw["latestRevision"]["id"] = "rev-next"
    older, newer = integration.latest_snapshot, add_version(integration, raw)
    run = SyncRun.objects.create(project=project, worker="test:1")
    record = DeployRecord.objects.create(project=project, amp_yaml="specVersion: 1.0.0\n")
    remote = RemoteProject.objects.create(
        name="remote", app_name="Remote", create_time=run.started_at
    )
    users = {"anonymous": None}
    for role in Membership.Role.values:
        users[role] = django_user_model.objects.create_user(role, password=f"pw-{role}-1")
        Membership.objects.create(user=users[role], project=project, role=role)
    users["superuser"] = django_user_model.objects.create_superuser("root", password="pw-root-1")
    token, token_key = ApiToken.objects.create(
        user=users["viewer"], expiry=timedelta(days=7), name="ci"
    )
    objects = {
        "accounts": str(token.pk),
        "projects": str(project.pk),
        "integrations": str(integration.pk),
        "deploys": str(record.pk),
        "sync-runs": str(run.pk),
        "snapshot_pk": str(older.pk),
        "app_label": "integrations",
        "content_type_id": str(ContentType.objects.get_for_model(Project).pk),
        "project_id_or_name": remote.name,
        "uidb64": "MQ",
        "token": "set-password",
        "id": str(users["superuser"].pk),
    }
    assert newer.pk != older.pk
    secrets = [ENVIRONMENT_KEY, STORED_KEY, project.api_key_encrypted, token_key, token.digest]
    return users, objects, secrets


def test_no_page_answer_or_log_line_shows_an_api_key(secrets_everywhere, caplog):
    users, objects, secrets = secrets_everywhere
    for logger in ("", "httpx", "httpcore", "django", "integrations", "emulator"):
        caplog.set_level(logging.DEBUG, logger=logger)
    urls = sorted({url for route in url_patterns() for url in filled(route, objects)})
    assert len(urls) > 100
    seen, leaks, server_errors = 0, [], []
    for who, user in users.items():
        for url in urls:
            for method in ("get", "post"):
                client = Client(raise_request_exception=False)
                if user is not None:
                    client.force_login(user)
                response = getattr(client, method)(url)
                seen += 1
                if response.status_code >= 500:
                    server_errors.append(f"{who} {method.upper()} {url}")
                if response.streaming:
                    body = b"".join(response.streaming_content)
                else:
                    body = response.content
                headers = repr(sorted(response.headers.items())) + str(response.cookies)
                for secret in secrets:
                    if secret.encode() in body or secret in headers:
                        leaks.append(f"{who} {method.upper()} {url} -> {response.status_code}")
    logged = caplog.text + "".join(record.getMessage() for record in caplog.records)
    assert [secret for secret in secrets if secret in logged] == []
    assert leaks == []
    assert server_errors == []
    assert seen == len(users) * len(urls) * 2
