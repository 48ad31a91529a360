from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from integrations import admin, tasks
from integrations.api import views as api_views
from integrations.models import Integration, Membership, Project, SyncRun
from integrations.sync import start_sync
from integrations.views import sync as sync_views
from tests.integrations.conftest import (
    connected_project,
    integration_json,
    run_worker,
    seed_remote,
    store_integration,
)

HTMX = {"HX-Request": "true"}


@pytest.fixture
def seeded_project(emulator_api, django_user_model):
    return connected_project(seed_remote(emulator_api, integrations=4, seed=5))


@pytest.fixture
def member_client(client, django_user_model, seeded_project):
    user = django_user_model.objects.create_user("member", password="pw-member-1")
    Membership.objects.create(user=user, project=seeded_project, role=Membership.Role.EDITOR)
    client.force_login(user)
    client.user = user
    return client


def test_sync_now_starts_a_background_sync_whose_progress_is_polled(member_client, seeded_project):
    response = member_client.post(reverse("project-sync", args=[seeded_project.pk]), headers=HTMX)

    run = SyncRun.objects.get()
    html = response.content.decode()
    assert response.status_code == 200
    assert run.is_running
    assert run.trigger == SyncRun.Trigger.BUTTON
    assert run.started_by == member_client.user
    assert f'hx-get="/sync-runs/{run.pk}/"' in html
    assert 'hx-trigger="every 1s"' in html
    assert "by member, waiting for the task worker…" in html
    assert "<progress" in html
    assert "<html" not in html

    run_worker()

    done = member_client.get(reverse("sync-run", args=[run.pk]), headers=HTMX).content.decode()
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert "fetched 4 · new 4 · changed 0 · unchanged 0 · removed 0" in done
    assert "hx-trigger" not in done
    assert "Sync now" in done
    assert Integration.objects.filter(project=seeded_project).count() == 4


def queued_sync(project: Project) -> dict[str, Any]:
    """The one sync queued for `project`, and its task, as db_worker will find them."""
    run = project.sync_runs.get()
    [task] = DBTaskResult.objects.all()
    assert task.args_kwargs == {"args": [run.pk], "kwargs": {}}
    return {
        "run": (run.status, run.trigger, run.started_by.get_username(), run.worker),
        "task": (task.task_path, task.status),
    }


def test_the_page_the_api_and_the_admin_start_a_sync_through_one_function():
    assert sync_views.start_background_sync is tasks.start_background_sync
    assert api_views.start_background_sync is tasks.start_background_sync
    assert admin.start_background_sync is tasks.start_background_sync


def test_sync_now_and_the_api_queue_the_same_sync(member_client, seeded_project):
    member_client.post(reverse("project-sync", args=[seeded_project.pk]), headers=HTMX)
    from_the_page = queued_sync(seeded_project)
    SyncRun.objects.all().delete()
    DBTaskResult.objects.all().delete()

    response = member_client.post(f"/api/projects/{seeded_project.pk}/sync/")

    assert response.status_code == 202
    assert queued_sync(seeded_project) == from_the_page
    assert from_the_page == {
        # Waiting for a worker to claim it: no worker yet.
        "run": ("running", "button", "member", ""),
        "task": ("integrations.tasks.sync_project_task", "READY"),
    }


def test_sync_now_while_a_sync_runs_is_refused_with_a_clear_message(member_client, seeded_project):
    running = start_sync(project=seeded_project, trigger=SyncRun.Trigger.TASK)

    response = member_client.post(reverse("project-sync", args=[seeded_project.pk]), headers=HTMX)

    assert "already running" in response.content.decode()
    assert list(SyncRun.objects.all()) == [running]


def test_sync_now_without_javascript_redirects_to_the_run_page(member_client, seeded_project):
    response = member_client.post(reverse("project-sync", args=[seeded_project.pk]))
    run = SyncRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sync-run", args=[run.pk])
    page = member_client.get(response["Location"]).content.decode()
    assert "<html" in page
    assert "Sync of local" in page


def test_failed_sync_shows_the_problem(member_client, seeded_project):
    seeded_project.set_api_key("wrong-key")
    seeded_project.save()
    member_client.post(reverse("project-sync", args=[seeded_project.pk]), headers=HTMX)
    run_worker()

    run = SyncRun.objects.get()
    html = member_client.get(reverse("sync-run", args=[run.pk]), headers=HTMX).content.decode()
    assert run.status == SyncRun.Status.FAILED
    assert "Failed" in html
    assert run.error_request_id in html


def test_outsider_can_neither_sync_nor_watch_another_projects_sync(client, outsider, project):
    run = start_sync(project=project, trigger=SyncRun.Trigger.COMMAND)
    client.force_login(outsider)

    assert client.post(reverse("project-sync", args=[project.pk])).status_code == 404
    assert client.get(reverse("sync-run", args=[run.pk])).status_code == 404
    assert SyncRun.objects.count() == 1


def test_sync_now_needs_a_post(viewer_client, project):
    assert viewer_client.get(reverse("project-sync", args=[project.pk])).status_code == 405


def test_home_lists_projects_with_counts_last_sync_and_what_needs_attention(
    viewer_client, project, viewer
):
    store_integration(project, integration_json("kept"))
    gone = store_integration(project, integration_json("gone-remotely"))
    gone.state = Integration.State.REMOVED
    gone.save()
    SyncRun.objects.create(
        project=project,
        trigger=SyncRun.Trigger.COMMAND,
        status=SyncRun.Status.FAILED,
        error_title="Service Unavailable",
        error_detail="the API is down",
    )

    html = viewer_client.get("/").content.decode()

    assert "demo" in html
    assert "1 integration<" in html
    assert "Needs attention" in html
    assert "Service Unavailable" in html
    assert "gone-remotely" in html
    assert "Sync now" not in html  # a viewer may not sync


def test_home_runs_a_constant_number_of_queries(
    viewer_client, project, django_user_model, django_assert_max_num_queries
):
    for number in range(5):
        other = Project.objects.create(name=f"p{number}", ampersand_project=f"p{number}")
        Membership.objects.create(
            user=django_user_model.objects.get(username="viewer"), project=other
        )
        SyncRun.objects.create(project=other, trigger=SyncRun.Trigger.COMMAND, status="succeeded")
    with django_assert_max_num_queries(7):
        assert viewer_client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("ago", "words"),
    [(timedelta(seconds=20), r"2\d\sseconds ago"), (timedelta(minutes=5), r"5\sminutes ago")],
)
def test_the_last_sync_says_how_long_ago_it_ended_in_words(viewer_client, project, ago, words):
    # Django's timesince said "0 minutes ago" for a sync that had just ended.
    SyncRun.objects.create(
        project=project,
        trigger=SyncRun.Trigger.COMMAND,
        status=SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now() - ago,
    )

    html = viewer_client.get("/").content.decode()

    assert re.search(rf"<time datetime=[^>]+>{words}</time>", html)
    assert not re.search(r"0\sminutes", html)
