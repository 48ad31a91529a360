# ruff: noqa: F811 (the fixtures imported below are parameters of the same names)
"""Who gets what from every URL of the dashboard: one table, checked against the URL configuration.

Every URL pattern (walked from the root URLconf) must have an entry in EXPECTED, else the test
fails naming it. Each entry gives, per method, the status for each member of the cast. Path
parameters are filled with real objects of `project` (a synced emulator project).

Left out as a whole: /emulator/v1/, the fake Ampersand API, with its own API-key auth and its own
contract tests. The admin is being rebuilt for ops scoping, so its patterns are included
generically with simple expectations: anonymous is sent to the login, a superuser gets the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from accounts.models import ApiToken
from integrations.models import DeployRecord, SyncRun
from integrations.sync import sync_project

# The cast of users, as fixtures; tests take them as parameters of the same names.
from tests.integrations.conftest import (  # noqa: F401
    connected_project,
    editor,
    ops,
    other_project,
    outsider,
    seed_remote,
    superuser,
    viewer,
)

CAST = ("anonymous", "outsider", "viewer", "editor", "ops", "superuser")
EXCLUDED_PREFIXES = ("emulator/v1/",)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(CAST, status)


def members(*, anonymous: int, outsider: int, viewer: int, editor: int, ops: int, superuser: int):
    return dict(
        anonymous=anonymous,
        outsider=outsider,
        viewer=viewer,
        editor=editor,
        ops=ops,
        superuser=superuser,
    )


# A page every logged-in user may open; anonymous users are sent to the login.
LOGGED_IN = members(anonymous=302, outsider=200, viewer=200, editor=200, ops=200, superuser=200)
# A page of `project`: members see it; the outsider (another project's viewer) gets 404.
VIEW = members(anonymous=302, outsider=404, viewer=200, editor=200, ops=200, superuser=200)
# An action in `project` that takes the editor role: a viewer is refused with 403.
DEPLOY = members(anonymous=302, outsider=404, viewer=403, editor=200, ops=200, superuser=200)
# The JSON API: 403 without credentials, 404 outside your projects.
API_ALL = members(anonymous=403, outsider=200, viewer=200, editor=200, ops=200, superuser=200)
API_VIEW = members(anonymous=403, outsider=404, viewer=200, editor=200, ops=200, superuser=200)
ADMIN = {"anonymous": 302, "superuser": 200}

NOT_ALLOWED = everyone(405)
# The editor's write, subscribe and schema watch forms: an empty POST was not drawn from the
# draft, so it saves nothing and leads back to the editor.
SECTION_FORM = {
    "GET": {**NOT_ALLOWED, "anonymous": 302},
    "POST": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
}
# Each URL pattern's route, then per method the status each member of the cast gets.
EXPECTED: dict[str, dict[str, dict[str, int]]] = {
    # Pages and their htmx partials
    "": {"GET": LOGGED_IN},
    "integrations/": {"GET": LOGGED_IN},
    "integrations/where-used/": {"GET": LOGGED_IN},
    "integrations/<int:pk>/": {"GET": VIEW},
    "integrations/^(?P<pk>[0-9]+)/(?P<tab>read|write|subscribe|proxy|raw|installations)/$": {
        "GET": VIEW
    },
    "integrations/<int:pk>/installations/<int:installation_pk>/": {"GET": VIEW},
    "integrations/<int:pk>/history/": {"GET": VIEW},
    "integrations/<int:pk>/diff/": {"GET": VIEW},
    "sync-runs/<int:pk>/": {"GET": VIEW},
    "projects/<int:pk>/deploys/": {"GET": VIEW},
    "deploys/<int:pk>/": {"GET": VIEW},
    # Downloads
    "integrations/<int:pk>/amp.yaml": {"GET": VIEW},
    "projects/<int:pk>/amp.yaml": {"GET": VIEW},
    # Actions: sync, and the deploy forms (an empty POST is answered with the form's errors)
    "projects/<int:pk>/sync/": {
        "GET": {**NOT_ALLOWED, "anonymous": 302},
        "POST": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
    },
    "projects/<int:pk>/import/": {"GET": DEPLOY, "POST": DEPLOY},
    "projects/<int:pk>/integrations/new/": {"GET": DEPLOY, "POST": DEPLOY},
    "integrations/<int:pk>/versions/<int:snapshot_pk>/restore/": {"GET": DEPLOY, "POST": DEPLOY},
    # Refreshing the installations only reads the API: any member may; back to the tab.
    "integrations/<int:pk>/installations/refresh/": {
        "GET": {**NOT_ALLOWED, "anonymous": 302},
        "POST": {**VIEW, "viewer": 302, "editor": 302, "ops": 302, "superuser": 302},
    },
    # The editor: a plain POST saves to the draft and leads back to the editor (an empty display
    # name or amp.yaml is valid input); without a draft, preview and rebase lead back there too.
    "integrations/<int:pk>/edit/": {
        "GET": DEPLOY,
        "POST": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
    },
    # The read object forms: an empty POST is refused (the add form's errors, 400) or shows the
    # object again (its forms were not the page's), saving nothing.
    "integrations/<int:pk>/edit/read/": {
        "GET": {**NOT_ALLOWED, "anonymous": 302},
        "POST": {**DEPLOY, "editor": 400, "ops": 400, "superuser": 400},
    },
    "integrations/<int:pk>/edit/read/<int:index>/": {"GET": DEPLOY, "POST": DEPLOY},
    "integrations/<int:pk>/edit/write/": SECTION_FORM,
    "integrations/<int:pk>/edit/subscribe/": SECTION_FORM,
    "integrations/<int:pk>/edit/watch-schema/": SECTION_FORM,
    "integrations/<int:pk>/edit/autosave/": {
        "GET": {**NOT_ALLOWED, "anonymous": 302},
        "POST": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
    },
    "integrations/<int:pk>/edit/issues/": {
        "GET": DEPLOY,
        "POST": {**NOT_ALLOWED, "anonymous": 302},
    },
    "integrations/<int:pk>/edit/discard/": {
        "GET": {**NOT_ALLOWED, "anonymous": 302},
        "POST": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
    },
    "integrations/<int:pk>/edit/preview/": {
        "GET": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
        "POST": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
    },
    "integrations/<int:pk>/edit/rebase/": {
        "GET": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
        "POST": {**DEPLOY, "editor": 302, "ops": 302, "superuser": 302},
    },
    # The field picker, without the ?object= it needs: 400 once the role allows editing.
    "integrations/<int:pk>/edit/fields/": {
        "GET": {**DEPLOY, "editor": 400, "ops": 400, "superuser": 400},
        "POST": {**NOT_ALLOWED, "anonymous": 302},
    },
    # Copying reads the source (VIEW); the target project is chosen among those you may deploy to.
    "integrations/<int:pk>/copy/": {"GET": VIEW, "POST": VIEW},
    # Accounts: the viewer revokes their own token; it is nobody else's to revoke
    "accounts/session/": {"GET": LOGGED_IN},
    "accounts/tokens/": {"GET": LOGGED_IN, "POST": LOGGED_IN},
    "accounts/tokens/<int:pk>/revoke/": {
        "GET": NOT_ALLOWED,
        "POST": members(
            anonymous=302, outsider=404, viewer=302, editor=404, ops=404, superuser=404
        ),
    },
    "accounts/login/": {"GET": everyone(200), "POST": everyone(200)},
    "accounts/logout/": {"GET": NOT_ALLOWED, "POST": everyone(302)},
    "accounts/password_change/": {"GET": LOGGED_IN, "POST": LOGGED_IN},
    "accounts/password_change/done/": {"GET": LOGGED_IN},
    "accounts/password_reset/": {"GET": everyone(200), "POST": everyone(200)},
    "accounts/password_reset/done/": {"GET": everyone(200)},
    "accounts/reset/<uidb64>/<token>/": {"GET": everyone(200), "POST": everyone(200)},
    "accounts/reset/done/": {"GET": everyone(200)},
    # The JSON API; its index, schema and docs are public
    "api/": {"GET": everyone(200)},
    "api/schema/": {"GET": everyone(200)},
    "api/docs/": {"GET": everyone(200)},
    "api/projects/": {"GET": API_ALL},
    "api/integrations/": {"GET": API_ALL},
    "api/sync-runs/": {"GET": API_ALL},
    "api/projects/<int:pk>/": {"GET": API_VIEW},
    "api/integrations/<int:pk>/": {"GET": API_VIEW},
    "api/integrations/<int:pk>/snapshots/": {"GET": API_VIEW},
    "api/integrations/<int:pk>/snapshots/<int:snapshot_pk>/": {"GET": API_VIEW},
    "api/integrations/<int:pk>/diff/": {"GET": API_VIEW},
    "api/sync-runs/<int:pk>/": {"GET": API_VIEW},
    "api/projects/<int:pk>/sync/": {
        "GET": {**NOT_ALLOWED, "anonymous": 403},
        "POST": members(
            anonymous=403, outsider=404, viewer=403, editor=202, ops=202, superuser=202
        ),
    },
    "api/projects/<int:pk>/deploys/": {
        "GET": API_VIEW,
        # An empty body: 400 once the role allows the deploy.
        "POST": members(
            anonymous=403, outsider=404, viewer=403, editor=400, ops=400, superuser=400
        ),
    },
}


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, Any]]:
    """(route, pattern) of every URL pattern, with its full route from the root."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


@pytest.fixture
def project(emulator_api):
    project = connected_project(seed_remote(emulator_api, integrations=2, seed=3))
    sync_project(project=project)
    return project


@pytest.fixture
def objects(project, viewer, editor, superuser) -> dict[str, Any]:
    """Real objects of `project` for the path parameters."""
    integration = project.integrations.select_related("latest_snapshot").order_by("pk").first()
    record = DeployRecord.objects.create(
        project=project,
        user=editor,
        kind=DeployRecord.Kind.DEPLOY,
        outcome=DeployRecord.Outcome.SUCCEEDED,
        amp_yaml="specVersion: 1.0.0\n",
        base_revisions={},
        finished_at=timezone.now(),
    )
    token, _key = ApiToken.objects.create(user=viewer, name="matrix")
    return {
        "project": project.pk,
        "integration": integration.pk,
        "snapshot": integration.latest_snapshot_id,
        "sync_run": project.sync_runs.get().pk,
        "deploy": record.pk,
        "token": token.pk,
        "installation": integration.installations.order_by("pk").first().pk,
    }


def admin_expected(route: str) -> dict[str, dict[str, int]] | None:
    """The admin's entries, by rule: its index, app lists, and each model's changelist and add
    (403 where the model admin allows no adding) open to the superuser; every other admin page
    sends anonymous users to the login."""
    if not route.startswith("admin/"):
        return None
    if route == "admin/login/":
        return {"GET": {"anonymous": 200, "superuser": 302}}
    if route == "admin/" or route.startswith("admin/^(?P<app_label>"):
        return {"GET": ADMIN}
    request = RequestFactory().get("/admin/")
    request.user = _Superuser()
    for model, model_admin in admin.site._registry.items():
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        if route == base:
            return {"GET": ADMIN}
        if route == base + "add/":
            return {
                "GET": {
                    **ADMIN,
                    "superuser": 200 if model_admin.has_add_permission(request) else 403,
                }
            }
    return {"GET": {"anonymous": 302}}


class _Superuser:
    is_active = is_staff = is_superuser = is_authenticated = True

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True


def kwargs_for(route: str, names: set[str], objects: dict[str, Any]) -> dict[str, Any]:
    if route.startswith("admin/"):
        return {name: "integrations" if name == "app_label" else "0" for name in names}
    if route.startswith(("api/sync-runs/", "sync-runs/")):
        return {"pk": objects["sync_run"]}
    if route.startswith("deploys/"):
        return {"pk": objects["deploy"]}
    if route.startswith("accounts/tokens/"):
        return {"pk": objects["token"]}
    if route.startswith("accounts/reset/"):
        return {"uidb64": "MQ", "token": "set-password"}
    if route.startswith(("api/integrations/", "integrations/")):
        filled = {
            "pk": objects["integration"],
            "snapshot_pk": objects["snapshot"],
            "tab": "raw",
            "index": 0,
            "installation_pk": objects["installation"],
        }
        return {name: filled[name] for name in names}
    return {name: objects["project"] for name in names}


def path_of(route: str, kwargs: dict[str, Any]) -> str:
    path = route.replace("^", "").replace("$", "")
    for name, value in kwargs.items():
        path = re.sub(rf"<(?:\w+:)?{name}>|\(\?P<{name}>[^)]*\)", str(value), path)
    return "/" + path


def test_every_url_answers_each_member_of_the_cast_as_the_table_says(
    objects, outsider, viewer, editor, ops, superuser
):
    users = dict(outsider=outsider, viewer=viewer, editor=editor, ops=ops, superuser=superuser)
    clients = {"anonymous": Client()}
    for role, user in users.items():
        clients[role] = Client()
        clients[role].force_login(user)

    missing, wrong = [], []
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith(EXCLUDED_PREFIXES):
            continue
        expected = EXPECTED.get(route) or admin_expected(route)
        if expected is None:
            missing.append(route)
            continue
        path = path_of(route, kwargs_for(route, set(pattern.pattern.regex.groupindex), objects))
        for method, statuses in expected.items():
            for role, status in statuses.items():
                # Each sync starts afresh: one still running would answer the next with 409.
                SyncRun.objects.filter(status=SyncRun.Status.RUNNING).update(
                    status=SyncRun.Status.FAILED
                )
                got = getattr(clients[role], method.lower())(path).status_code
                if method == "POST" and role in users:  # in case it logged them out
                    clients[role].force_login(users[role])
                if got != status:
                    wrong.append(f"{method} {path} ({route}) as {role}: {got}, expected {status}")

    assert not missing, "URL patterns with no entry in EXPECTED: " + ", ".join(missing)
    assert not wrong, "\n".join(wrong)
