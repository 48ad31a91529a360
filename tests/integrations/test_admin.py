from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from integrations.models import (
    DeployRecord,
    Integration,
    Membership,
    Project,
    SyncRun,
)
from tests.integrations.conftest import (
    add_version,
    connected_project,
    integration_json,
    renamed,
    seed_remote,
    store_integration,
)


def test_project_admin_never_shows_the_stored_api_key(admin_client, db):
    project = Project.objects.create(name="prod", ampersand_project="prod")
    project.set_api_key("sk-live-very-secret")
    project.save()

    html = admin_client.get(f"/admin/integrations/project/{project.pk}/change/").content.decode()

    assert "sk-live-very-secret" not in html
    assert project.api_key_encrypted not in html


def test_project_admin_sets_the_key_write_only(admin_client, db):
    project = Project.objects.create(name="prod", ampersand_project="prod")
    form = {
        "name": "prod",
        "ampersand_project": "prod",
        "api_url": "",
        "api_key": "sk-new",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/integrations/project/{project.pk}/change/", form)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.get_api_key() == "sk-new"

    form["api_key"] = ""
    admin_client.post(f"/admin/integrations/project/{project.pk}/change/", form)
    project.refresh_from_db()
    assert project.get_api_key() == "sk-new"


def test_ops_pages_list_sync_runs_snapshots_and_memberships(admin_client, project, viewer):
    store_integration(project, integration_json("in-admin"))
    SyncRun.objects.create(project=project, trigger=SyncRun.Trigger.COMMAND, status="failed")
    for model in ("syncrun", "snapshot", "membership", "integration", "project"):
        response = admin_client.get(f"/admin/integrations/{model}/")
        assert response.status_code == 200, model


def test_snapshots_cannot_be_edited_or_deleted_in_the_admin(admin_client, project):
    snapshot = store_integration(project, integration_json("kept")).latest_snapshot
    page = admin_client.get(f"/admin/integrations/snapshot/{snapshot.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    deleted = admin_client.post(
        f"/admin/integrations/snapshot/{snapshot.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403


def test_deploy_records_are_read_only_history_in_the_admin(admin_client, project):
    record = DeployRecord.objects.create(
        project=project, amp_yaml="specVersion: 1.0.0\n", outcome=DeployRecord.Outcome.INVALID
    )

    assert admin_client.get("/admin/integrations/deployrecord/").status_code == 200
    page = admin_client.get(f"/admin/integrations/deployrecord/{record.pk}/change/")
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    assert admin_client.get("/admin/integrations/deployrecord/add/").status_code == 403
    deleted = admin_client.post(
        f"/admin/integrations/deployrecord/{record.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert DeployRecord.objects.filter(pk=record.pk).exists()


# --- The site: its name and who enters it -------------------------------------------------------

MODELS = ["project", "membership", "integration", "snapshot", "syncrun", "deployrecord"]
HISTORY = ["integration", "snapshot", "syncrun", "deployrecord"]


@pytest.fixture
def rows(project, other_project, ops, outsider):
    """One row of each model in the ops user's project and in another one, by project id."""
    rows = {}
    for each in (project, other_project):
        integration = store_integration(each, integration_json(f"in-{each.name}"))
        rows[each.pk] = {
            "project": each,
            "membership": each.memberships.get(),
            "integration": integration,
            "snapshot": integration.latest_snapshot,
            "syncrun": SyncRun.objects.create(
                project=each, trigger=SyncRun.Trigger.COMMAND, status="failed"
            ),
            "deployrecord": DeployRecord.objects.create(
                project=each, amp_yaml="specVersion: 1.0.0\n", outcome="invalid"
            ),
        }
    return rows


def in_content_main(response) -> str:
    return response.content.decode().split('id="content-main"')[1]


def test_the_admin_is_branded_ampdash_ops(ops_client):
    html = ops_client.get("/admin/").content.decode()

    assert "<title>Projects, members and history | ampdash ops</title>" in html
    assert '<a href="/admin/">ampdash ops</a>' in html


def test_ops_enter_without_is_staff_and_see_their_models_but_not_accounts(ops_client, ops):
    assert not ops.is_staff
    index = ops_client.get("/admin/")

    assert index.status_code == 200
    html = index.content.decode()
    for model in MODELS:
        assert f'href="/admin/integrations/{model}/"' in html
    assert "/admin/auth/user/" not in html
    assert ops_client.get("/admin/auth/user/").status_code == 403
    assert ops_client.get("/admin/auth/group/").status_code == 403


def test_superusers_manage_accounts(superuser_client):
    assert superuser_client.get("/admin/auth/user/").status_code == 200


@pytest.mark.parametrize("who", ["viewer", "editor", "outsider", "staff_without_ops"])
def test_users_without_the_ops_role_cannot_enter(client, request, django_user_model, who):
    if who == "staff_without_ops":
        user = django_user_model.objects.create_user("staff", password="pw-staff-1", is_staff=True)
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)

    for url in ("/admin/", "/admin/integrations/project/", "/admin/integrations/syncrun/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/")


def test_ops_log_in_through_the_admin_and_viewers_are_refused(client, ops, viewer):
    refused = client.post("/admin/login/", {"username": "viewer", "password": "pw-viewer-1"})
    assert refused.status_code == 200
    assert "Please enter the correct username and password" in refused.content.decode()

    entered = client.post("/admin/login/", {"username": "ops", "password": "pw-ops-1"})
    assert entered.status_code == 302
    assert client.get("/admin/").status_code == 200


# --- Each user sees their projects only --------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_ops_see_only_rows_of_projects_they_hold_ops_on(ops_client, rows, project, model):
    response = ops_client.get(f"/admin/integrations/{model}/")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [rows[project.pk][model]]


@pytest.mark.parametrize("model", MODELS)
def test_superusers_see_every_projects_rows(client, superuser, rows, model):
    client.force_login(superuser)

    response = client.get(f"/admin/integrations/{model}/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2


@pytest.mark.parametrize("model", MODELS)
def test_another_projects_objects_are_not_found_for_ops(ops_client, rows, other_project, model):
    obj = rows[other_project.pk][model]
    url = f"/admin/integrations/{model}/{obj.pk}"

    assert ops_client.get(f"{url}/change/").status_code == 404
    assert ops_client.post(f"{url}/change/", {}).status_code == 404
    assert ops_client.post(f"{url}/delete/", {"post": "yes"}).status_code == 404
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_project_filters_offer_only_the_ops_users_projects(ops_client, rows, other_project):
    for model in ("membership", "integration", "syncrun", "deployrecord"):
        html = ops_client.get(f"/admin/integrations/{model}/").content.decode()
        assert f"project__id__exact={other_project.pk}" not in html, model
    html = ops_client.get("/admin/integrations/snapshot/").content.decode()
    assert f"integration__project__id__exact={other_project.pk}" not in html


def test_ops_change_their_project_but_neither_add_nor_delete_projects(ops_client, project):
    url = f"/admin/integrations/project/{project.pk}"

    assert ops_client.get(f"{url}/change/").status_code == 200
    assert ops_client.get("/admin/integrations/project/add/").status_code == 403
    assert ops_client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_memberships_can_only_be_given_in_the_ops_users_projects(
    ops_client, project, other_project, django_user_model
):
    newcomer = django_user_model.objects.create_user("newcomer", password="pw-newcomer-1")
    page = ops_client.get("/admin/integrations/membership/add/")
    assert list(page.context["adminform"].form.fields["project"].queryset) == [project]

    elsewhere = {"user": newcomer.pk, "project": other_project.pk, "role": "ops"}
    refused = ops_client.post("/admin/integrations/membership/add/", elsewhere)
    assert refused.status_code == 200
    assert not Membership.objects.filter(user=newcomer).exists()

    here = {**elsewhere, "project": project.pk, "role": "viewer"}
    assert ops_client.post("/admin/integrations/membership/add/", here).status_code == 302
    assert Membership.objects.get(user=newcomer).project == project


# --- History is read-only ----------------------------------------------------------------------


@pytest.mark.parametrize("model", HISTORY)
def test_history_is_read_only(ops_client, rows, project, model):
    obj = rows[project.pk][model]
    url = f"/admin/integrations/{model}/{obj.pk}"

    page = ops_client.get(f"{url}/change/")
    assert page.status_code == 200
    assert 'type="submit"' not in in_content_main(page)
    changelist = ops_client.get(f"/admin/integrations/{model}/")
    assert 'name="action"' not in in_content_main(changelist)
    assert ops_client.get(f"/admin/integrations/{model}/add/").status_code == 403
    assert ops_client.post(f"{url}/change/", {}).status_code == 403
    assert ops_client.post(f"{url}/delete/", {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_adding_an_integration_is_refused_instead_of_failing(superuser_client):
    assert superuser_client.get("/admin/integrations/integration/add/").status_code == 403
    response = superuser_client.post(
        "/admin/integrations/integration/add/", {"name": "x", "remote_id": "x"}
    )
    assert response.status_code == 403
    assert not Integration.objects.exists()


def test_a_snapshots_page_shows_its_amp_yaml_and_links_to_its_diff_and_integration(
    ops_client, project
):
    integration = store_integration(project, integration_json("shown"))
    first = integration.latest_snapshot
    second = add_version(integration, renamed(first.raw, "Shown again"))

    html = ops_client.get(f"/admin/integrations/snapshot/{second.pk}/change/").content.decode()

    assert escape(second.amp_yaml()) in html
    assert "Shown again" in html
    assert f'href="/integrations/{integration.pk}/diff/?from={first.pk}&amp;to={second.pk}"' in html
    assert f'href="/integrations/{integration.pk}/"' in html
    oldest = ops_client.get(f"/admin/integrations/snapshot/{first.pk}/change/").content.decode()
    assert "/diff/" not in oldest
    assert "the first version" in oldest


# --- Actions: Test connection and Sync now -----------------------------------------------------


def run_action(client, action: str, *projects: Project):
    return client.post(
        "/admin/integrations/project/",
        {"action": action, "_selected_action": [each.pk for each in projects]},
    )


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def connected(emulator_api, ops):
    project = connected_project(seed_remote(emulator_api, integrations=3, seed=5))
    Membership.objects.create(user=ops, project=project, role=Membership.Role.OPS)
    return project


def test_test_connection_reports_the_remote_project_and_its_integration_count(
    ops_client, connected
):
    response = run_action(ops_client, "test_connection", connected)

    assert response.status_code == 302
    assert messages_of(response) == [
        ("success", "local: connected to Ampersand project seeded, 3 integrations.")
    ]


def test_test_connection_reports_the_problem_the_api_answered(ops_client, connected, settings):
    settings.AMPERSAND_EMULATOR_FAULTS = "kinds=500"

    response = run_action(ops_client, "test_connection", connected)

    [(level, text)] = messages_of(response)
    assert level == "error"
    assert text.startswith("local: ")
    assert "Internal Server Error: Injected fault: 500 answer." in text
    assert re.search(r"\(requestId [0-9a-f-]{36}\)", text)


def test_test_connection_reports_a_refused_key(ops_client, connected):
    connected.set_api_key("not-a-key")
    connected.save()

    [(level, text)] = messages_of(run_action(ops_client, "test_connection", connected))

    assert level == "error"
    assert "Unauthorized" in text
    assert "requestId" in text


def test_sync_now_enqueues_a_sync_and_reports_one_already_running(
    ops_client, ops, project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        started = run_action(ops_client, "sync_now", project)

    run = SyncRun.objects.get(project=project)
    assert (run.status, run.trigger, run.started_by) == ("running", "button", ops)
    [task] = DBTaskResult.objects.all()
    assert task.task_path == "integrations.tasks.sync_project_task"
    assert task.args_kwargs["args"] == [run.pk]
    [(level, text)] = messages_of(started)
    assert level == "success"
    assert f'Sync of demo started: <a href="/sync-runs/{run.pk}/">follow it</a>.' == text

    with django_capture_on_commit_callbacks(execute=True):
        refused = run_action(ops_client, "sync_now", project)

    # The first answer's message, not shown yet, comes first.
    (level, text) = messages_of(refused)[-1]
    assert level == "warning"
    assert "A sync of project demo is already running" in text
    assert SyncRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_actions_never_reach_another_projects(ops_client, project, other_project):
    run_action(ops_client, "sync_now", other_project)
    run_action(ops_client, "test_connection", other_project)

    assert not SyncRun.objects.exists()
