from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from integrations.ampersand.manifest import load_catalog
from integrations.models import (
    Integration,
    Membership,
    Project,
    Snapshot,
    SyncRun,
    store_catalog,
)
from integrations.sync import start_sync
from tests.integrations.conftest import (
    add_version,
    connected_project,
    integration_json,
    renamed,
    run_worker,
    seed_remote,
    store_integration,
)

SECRET_KEY = "sk-live-do-not-leak-4242"


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Diffs are cached by snapshot ids, which SQLite hands out again after a test's rollback.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api(viewer) -> APIClient:
    client = APIClient()
    client.force_authenticate(viewer)
    return client


@pytest.fixture
def editor_api(editor) -> APIClient:
    client = APIClient()
    client.force_authenticate(editor)
    return client


@pytest.fixture
def versions(project) -> Integration:
    """An integration with two snapshots: its display name changed in between."""
    first = integration_json("zendesk-tickets", displayName="Tickets", provider="zendesk")
    integration = store_integration(project, first)
    add_version(integration, renamed(first, "Support tickets"), source=Snapshot.Source.UPSERT)
    return integration


@pytest.fixture
def foreign(other_project) -> Integration:
    """An integration with two snapshots in a project the viewer is no member of."""
    raw = integration_json("hidden-crm", displayName="Hidden")
    integration = store_integration(other_project, raw)
    add_version(integration, renamed(raw, "Still hidden"))
    return integration


@pytest.mark.parametrize(
    "url",
    ["/api/projects/", "/api/integrations/", "/api/sync-runs/", "/api/projects/1/sync/"],
)
def test_anonymous_requests_are_refused_with_a_json_error(db, url):
    client = APIClient()
    response = client.post(url) if url.endswith("sync/") else client.get(url)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "credentials were not provided" in response.json()["detail"]


def test_project_list_shows_the_users_projects_with_counts_and_last_sync(
    api, project, other_project, versions, foreign
):
    gone = store_integration(project, integration_json("gone"))
    gone.state = Integration.State.REMOVED
    gone.save()
    start_sync(project=project, trigger=SyncRun.Trigger.COMMAND)
    SyncRun.objects.filter(project=project).update(status=SyncRun.Status.SUCCEEDED, fetched=7)
    latest = start_sync(project=project, trigger=SyncRun.Trigger.TASK)

    body = api.get("/api/projects/").json()

    assert body["count"] == 1
    [shown] = body["results"]
    assert shown["id"] == project.pk
    assert shown["name"] == "demo"
    assert shown["ampersand_project"] == "demo"
    assert shown["api_url"] == project.base_url
    assert shown["integration_count"] == 1
    assert shown["last_sync"]["id"] == latest.pk
    assert shown["last_sync"]["status"] == "running"
    assert shown["last_sync"]["finished_at"] is None
    assert datetime.fromisoformat(shown["last_sync"]["started_at"]) == latest.started_at


def test_project_detail_of_a_project_never_synced_has_no_last_sync(api, project):
    body = api.get(f"/api/projects/{project.pk}/").json()
    assert body["name"] == "demo"
    assert body["last_sync"] is None
    assert body["integration_count"] == 0


def test_api_key_appears_in_no_answer(api, editor_api, project, versions):
    project.set_api_key(SECRET_KEY)
    project.save()
    run = start_sync(project=project, trigger=SyncRun.Trigger.COMMAND)
    snapshot = versions.latest_snapshot
    urls = [
        "/api/projects/",
        f"/api/projects/{project.pk}/",
        "/api/integrations/",
        f"/api/integrations/{versions.pk}/",
        f"/api/integrations/{versions.pk}/snapshots/",
        f"/api/integrations/{versions.pk}/snapshots/{snapshot.pk}/",
        f"/api/integrations/{versions.pk}/diff/",
        "/api/sync-runs/",
        f"/api/sync-runs/{run.pk}/",
    ]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert SECRET_KEY not in text, url
        assert project.api_key_encrypted not in text, url
        assert "api_key" not in text, url
    # The 409 answer to a second sync names the project too.
    conflict = editor_api.post(f"/api/projects/{project.pk}/sync/").content.decode()
    assert "already running" in conflict
    assert SECRET_KEY not in conflict
    assert project.api_key_encrypted not in conflict


def test_objects_of_other_projects_are_404_not_403(api, other_project, foreign):
    run = start_sync(project=other_project, trigger=SyncRun.Trigger.COMMAND)
    snapshot = foreign.latest_snapshot
    urls = [
        f"/api/projects/{other_project.pk}/",
        f"/api/integrations/{foreign.pk}/",
        f"/api/integrations/{foreign.pk}/snapshots/",
        f"/api/integrations/{foreign.pk}/snapshots/{snapshot.pk}/",
        f"/api/integrations/{foreign.pk}/diff/",
        f"/api/sync-runs/{run.pk}/",
    ]
    for url in urls:
        response = api.get(url)
        assert response.status_code == 404, url
        assert "detail" in response.json()
    assert api.post(f"/api/projects/{other_project.pk}/sync/").status_code == 404
    assert SyncRun.objects.count() == 1


def test_integration_list_shows_only_visible_integrations_with_their_latest_snapshot(
    api, project, versions, foreign
):
    body = api.get("/api/integrations/").json()

    assert body["count"] == 1
    [shown] = body["results"]
    latest = versions.latest_snapshot
    assert shown["id"] == versions.pk
    assert shown["project"] == {"id": project.pk, "name": "demo"}
    assert shown["remote_id"] == versions.remote_id
    assert shown["name"] == "zendesk-tickets"
    # The latest version's, as a sync or a deploy stores it (through the one writer).
    assert shown["display_name"] == "Support tickets"
    assert shown["provider"] == "zendesk"
    assert shown["provider_display_name"] == "zendesk"  # not in the catalog: its own name
    assert shown["state"] == "present"
    assert datetime.fromisoformat(shown["first_seen_at"]) == versions.first_seen_at
    assert shown["last_synced_at"] is not None
    assert shown["latest_snapshot"]["id"] == latest.pk
    assert shown["latest_snapshot"]["revision_id"] == latest.revision_id
    assert shown["latest_snapshot"]["revision_created_at"] == "2026-01-05T09:00:00Z"
    assert {"read_count", "write_count", "subscribe_count"} <= shown["latest_snapshot"].keys()
    assert "raw" not in shown["latest_snapshot"]


def test_integrations_name_their_provider_by_the_catalog_ampdash_knows(api, project):
    integration = store_integration(project, integration_json("crm", provider="hubspot"))

    [shown] = api.get("/api/integrations/").json()["results"]
    assert (shown["provider"], shown["provider_display_name"]) == ("hubspot", "HubSpot")

    providers = {**load_catalog().raw}
    providers["hubspot"] = {**providers["hubspot"], "displayName": "HubSpot CRM"}
    store_catalog(project.base_url, providers)
    detail = api.get(f"/api/integrations/{integration.pk}/").json()
    assert (detail["provider"], detail["provider_display_name"]) == ("hubspot", "HubSpot CRM")


def test_integration_list_filters_by_project_provider_state_and_search(
    api, project, viewer, django_user_model
):
    second = Project.objects.create(name="second", ampersand_project="second")
    Membership.objects.create(user=viewer, project=second)
    store_integration(project, integration_json("hubspot-deals", provider="hubspot"))
    store_integration(project, integration_json("sf-leads", displayName="Sales leads"))
    gone = store_integration(second, integration_json("sf-accounts"))
    gone.state = Integration.State.REMOVED
    gone.save()

    def names(**params) -> list[str]:
        response = api.get("/api/integrations/", params)
        assert response.status_code == 200
        return [row["name"] for row in response.json()["results"]]

    assert names() == ["hubspot-deals", "sf-leads", "sf-accounts"]
    assert names(project=second.pk) == ["sf-accounts"]
    assert names(provider="hubspot") == ["hubspot-deals"]
    assert names(state="removed") == ["sf-accounts"]
    assert names(q="SALES") == ["sf-leads"]
    assert names(q="deals") == ["hubspot-deals"]
    assert names(q="sf", state="present") == ["sf-leads"]
    assert names(project="", provider="", state="", q="") == names()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"project": "abc"}, "project", "A valid integer is required."),
        ({"project": "99999999999999999999999"}, "project", "You have no project with id"),
        ({"state": "gone"}, "state", "Unknown state gone; use present or removed."),
        ({"q": "x" * 201}, "q", "no more than 200 characters"),
        ({"provider": "sales\x00force"}, "provider", "Null characters are not allowed."),
    ],
)
def test_bad_integration_filters_answer_400_with_a_clear_message(
    api, project, params, field, message
):
    response = api.get("/api/integrations/", params)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_filtering_by_a_project_of_someone_else_is_a_400(api, other_project, foreign):
    response = api.get("/api/integrations/", {"project": other_project.pk})
    assert response.status_code == 400
    assert response.json() == {"project": [f"You have no project with id {other_project.pk}."]}


def test_integration_detail_carries_the_latest_snapshots_exact_json(api, versions):
    body = api.get(f"/api/integrations/{versions.pk}/").json()
    latest = versions.latest_snapshot
    assert body["latest_snapshot"]["id"] == latest.pk
    assert body["latest_snapshot"]["raw"] == latest.raw
    assert body["latest_snapshot"]["raw"]["latestRevision"]["content"]["displayName"] == (
        "Support tickets"
    )


def test_snapshot_list_is_newest_first_without_the_json(api, versions, viewer):
    newest, oldest = versions.snapshots.order_by("-taken_at", "-id")

    body = api.get(f"/api/integrations/{versions.pk}/snapshots/").json()

    assert body["count"] == 2
    assert [row["id"] for row in body["results"]] == [newest.pk, oldest.pk]
    assert [row["source"] for row in body["results"]] == ["upsert", "sync"]
    assert all("raw" not in row and "content" not in row for row in body["results"])
    assert body["results"][0]["taken_by"] is None


def test_snapshot_detail_has_raw_and_content(api, versions):
    oldest = versions.snapshots.order_by("taken_at", "id").first()

    body = api.get(f"/api/integrations/{versions.pk}/snapshots/{oldest.pk}/").json()

    assert body["id"] == oldest.pk
    assert body["integration"] == versions.pk
    assert body["raw"] == oldest.raw
    assert body["content"] == oldest.content
    assert body["content"]["displayName"] == "Tickets"


def test_snapshot_of_another_integration_is_not_found_under_this_one(api, project, versions):
    elsewhere = store_integration(project, integration_json("other-one"))
    url = f"/api/integrations/{versions.pk}/snapshots/{elsewhere.latest_snapshot.pk}/"
    assert api.get(url).status_code == 404


def test_diff_defaults_to_the_last_two_snapshots(api, versions):
    newest, oldest = versions.snapshots.order_by("-taken_at", "-id")

    body = api.get(f"/api/integrations/{versions.pk}/diff/").json()

    assert body["from"]["id"] == oldest.pk
    assert body["to"]["id"] == newest.pk
    assert body["summary"] == newest.diff(oldest).summary_line()
    [change] = body["changes"]
    assert change["kind"] == "changed"
    assert change["section"] == "integration"
    assert change["path"] == "displayName"
    assert change["old"] == "Tickets"
    assert change["new"] == "Support tickets"
    assert change["summary"]
    assert {"object_name", "field_name"} <= change.keys()


def test_diff_of_picked_snapshots_accepts_them_in_either_order(api, versions):
    newest, oldest = versions.snapshots.order_by("-taken_at", "-id")
    url = f"/api/integrations/{versions.pk}/diff/"

    forwards = api.get(url, {"from": oldest.pk, "to": newest.pk}).json()
    backwards = api.get(url, {"from": newest.pk, "to": oldest.pk}).json()
    same = api.get(url, {"from": newest.pk, "to": newest.pk}).json()

    assert forwards == backwards
    assert forwards["changes"][0]["new"] == "Support tickets"
    assert same["changes"] == []
    assert same["summary"] == "no change"


def test_diff_of_an_integration_with_one_snapshot_has_nothing_to_compare(api, project):
    integration = store_integration(project, integration_json("single"))
    body = api.get(f"/api/integrations/{integration.pk}/diff/").json()
    assert body["from"] is None
    assert body["to"] is None
    assert body["changes"] == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "abc", "to": "1"}, "from", "A valid integer is required."),
        ({"from": "-3", "to": "1"}, "from", "has no snapshot -3."),
    ],
)
def test_bad_diff_parameters_answer_400(api, versions, params, field, message):
    response = api.get(f"/api/integrations/{versions.pk}/diff/", params)
    assert response.status_code == 400
    assert message in response.json()[field][0]


def test_diff_with_blank_ends_compares_the_last_two(api, versions):
    url = f"/api/integrations/{versions.pk}/diff/"
    assert api.get(url, {"from": "", "to": ""}).json() == api.get(url).json()


def test_diff_with_only_one_end_answers_400(api, versions):
    response = api.get(
        f"/api/integrations/{versions.pk}/diff/", {"from": versions.latest_snapshot.pk}
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Give both from and to, or neither."]}


def test_diff_with_a_snapshot_of_another_integration_answers_400(api, versions, foreign):
    newest = versions.latest_snapshot
    stranger = foreign.latest_snapshot
    response = api.get(
        f"/api/integrations/{versions.pk}/diff/", {"from": stranger.pk, "to": newest.pk}
    )
    assert response.status_code == 400
    assert response.json() == {
        "from": [f"Integration {versions.pk} has no snapshot {stranger.pk}."]
    }


def test_sync_runs_list_and_detail(api, project, viewer, other_project):
    older = start_sync(project=project, trigger=SyncRun.Trigger.COMMAND)
    SyncRun.objects.filter(pk=older.pk).update(
        status=SyncRun.Status.FAILED,
        error_title="Service Unavailable",
        error_detail="the API is down",
        error_request_id="req-123",
        failed_items=[{"name": "broken", "error": "bad"}],
        progress_done=1,
        progress_total=4,
    )
    newer = start_sync(project=project, trigger=SyncRun.Trigger.BUTTON, user=viewer)
    start_sync(project=other_project, trigger=SyncRun.Trigger.COMMAND)

    listed = api.get("/api/sync-runs/", {"project": project.pk}).json()
    detail = api.get(f"/api/sync-runs/{older.pk}/").json()

    assert [run["id"] for run in listed["results"]] == [newer.pk, older.pk]
    assert listed["results"][0]["started_by"] == "viewer"
    assert listed["results"][0]["trigger"] == "button"
    assert api.get("/api/sync-runs/").json()["count"] == 2
    assert detail["status"] == "failed"
    assert detail["started_by"] is None
    assert detail["project"] == {"id": project.pk, "name": "demo"}
    assert detail["progress"] == {"done": 1, "total": 4, "percent": 25}
    assert detail["failed_items"] == [{"name": "broken", "error": "bad"}]
    assert detail["error_title"] == "Service Unavailable"
    assert detail["error_detail"] == "the API is down"
    assert detail["error_request_id"] == "req-123"
    assert {"fetched", "new", "changed", "unchanged", "removed", "finished_at"} <= detail.keys()


def test_sync_runs_of_a_project_of_someone_else_cannot_be_listed(api, other_project):
    response = api.get("/api/sync-runs/", {"project": other_project.pk})
    assert response.status_code == 400
    assert "You have no project with id" in response.json()["project"][0]


@pytest.fixture
def seeded_project(emulator_api, editor):
    project = connected_project(seed_remote(emulator_api, integrations=3, seed=4))
    Membership.objects.create(user=editor, project=project, role=Membership.Role.EDITOR)
    return project


def test_sync_post_starts_a_background_sync_and_points_to_its_run(
    editor_api, seeded_project, editor
):
    response = editor_api.post(f"/api/projects/{seeded_project.pk}/sync/")

    run = SyncRun.objects.get()
    assert response.status_code == 202
    assert response["Location"] == f"/api/sync-runs/{run.pk}/"
    assert response.json()["id"] == run.pk
    assert response.json()["status"] == "running"
    assert run.trigger == SyncRun.Trigger.BUTTON
    assert run.started_by == editor

    run_worker()

    done = editor_api.get(response["Location"]).json()
    assert done["status"] == "succeeded"
    assert (done["fetched"], done["new"]) == (3, 3)
    assert datetime.fromisoformat(done["finished_at"]) >= datetime.fromisoformat(done["started_at"])
    assert editor_api.get("/api/integrations/", {"project": seeded_project.pk}).json()["count"] == 3


def test_sync_post_while_a_sync_runs_answers_409(editor_api, project):
    running = start_sync(project=project, trigger=SyncRun.Trigger.TASK)

    response = editor_api.post(f"/api/projects/{project.pk}/sync/")

    assert response.status_code == 409
    assert "already running" in response.json()["detail"]
    assert response.json()["running_sync_run"] == running.pk
    assert list(SyncRun.objects.all()) == [running]


def test_sync_needs_a_post(api, project):
    assert api.get(f"/api/projects/{project.pk}/sync/").status_code == 405


def test_session_post_without_csrf_token_is_refused(editor, project):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)

    response = client.post(f"/api/projects/{project.pk}/sync/")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not SyncRun.objects.exists()


def test_session_post_with_csrf_token_is_accepted(editor, project):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(editor)
    token = "a" * 32
    client.cookies["csrftoken"] = token

    response = client.post(f"/api/projects/{project.pk}/sync/", headers={"X-CSRFToken": token})

    assert response.status_code == 202
    assert SyncRun.objects.get().started_by == editor


def test_limit_is_capped_and_bad_paging_values_fall_back_to_defaults(api, project):
    for number in range(3):
        store_integration(project, integration_json(f"int-{number}"))

    huge = api.get("/api/integrations/", {"limit": "9" * 30, "offset": "9" * 30})
    junk = api.get("/api/integrations/", {"limit": "-1", "offset": "x"})
    one = api.get("/api/integrations/", {"limit": 1, "offset": 1})

    assert huge.status_code == 200
    assert huge.json()["results"] == []
    assert len(junk.json()["results"]) == 3
    assert [row["name"] for row in one.json()["results"]] == ["int-1"]
    assert one.json()["count"] == 3


def test_huge_ids_in_the_path_are_404(api, project):
    assert api.get(f"/api/integrations/{'9' * 30}/").status_code == 404
    assert api.get(f"/api/sync-runs/{'9' * 30}/").status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_list_endpoints_run_a_constant_number_of_queries(
    api, project, viewer, size, django_assert_num_queries
):
    for number in range(size):
        integration = store_integration(project, integration_json(f"int-{number}"))
        add_version(integration, renamed(integration.latest_snapshot.raw, "v2"))
        other = Project.objects.create(name=f"p{number}", ampersand_project=f"p{number}")
        Membership.objects.create(user=viewer, project=other)
        store_integration(other, integration_json(f"other-{number}"))
        SyncRun.objects.create(
            project=other, trigger=SyncRun.Trigger.BUTTON, started_by=viewer, status="succeeded"
        )
    first = Integration.objects.filter(project=project).first()

    # count + page (+ the last sync runs of the page's projects, one query for all)
    with django_assert_num_queries(3):
        assert len(api.get("/api/projects/").json()["results"]) == size + 1
    with django_assert_num_queries(2):
        assert len(api.get("/api/integrations/").json()["results"]) == min(2 * size, 50)
    with django_assert_num_queries(3):  # the project filter checks the project first
        assert api.get("/api/integrations/", {"project": project.pk}).json()["count"] == size
    with django_assert_num_queries(3):
        assert api.get(f"/api/integrations/{first.pk}/snapshots/").json()["count"] == 2
    with django_assert_num_queries(2):
        assert len(api.get("/api/sync-runs/").json()["results"]) == size


def test_browsable_api_renders_for_a_logged_in_user_in_debug(
    client, viewer, project, versions, settings
):
    settings.DEBUG = True
    client.force_login(viewer)
    run = start_sync(project=project, trigger=SyncRun.Trigger.COMMAND)
    pages = {
        "/api/projects/": 200,
        f"/api/projects/{project.pk}/": 200,
        f"/api/projects/{project.pk}/sync/": 405,
        "/api/integrations/": 200,
        f"/api/integrations/{versions.pk}/": 200,
        f"/api/integrations/{versions.pk}/snapshots/": 200,
        f"/api/integrations/{versions.pk}/snapshots/{versions.latest_snapshot.pk}/": 200,
        f"/api/integrations/{versions.pk}/diff/": 200,
        "/api/sync-runs/": 200,
        f"/api/sync-runs/{run.pk}/": 200,
    }
    for url, status in pages.items():
        response = client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == status, url
        assert response["Content-Type"].startswith("text/html"), url
        assert "Django REST framework" in response.content.decode(), url
    listing = client.get("/api/integrations/", headers={"Accept": "text/html"})
    assert "zendesk-tickets" in listing.content.decode()


def test_without_debug_the_api_answers_json_even_to_a_browser(client, viewer, versions):
    client.force_login(viewer)

    response = client.get("/api/integrations/", headers={"Accept": "text/html,*/*;q=0.8"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["count"] == 1


def test_the_api_imports_no_page_module():
    # A fresh interpreter, so that modules the test run imported elsewhere do not count.
    code = (
        "import sys, django; django.setup(); import integrations.api.urls; "
        "print(sorted(m for m in sys.modules if m.startswith('integrations.views')))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "dashboard.settings"}
    loaded = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert loaded.stdout.strip() == "[]"
