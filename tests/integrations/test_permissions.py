from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

from integrations.access import (
    get_integration_for_user,
    get_project_for_user,
    get_sync_run_for_user,
)
from integrations.models import Integration, Membership, Project, SyncRun
from integrations.permissions import (
    Action,
    can,
    can_anywhere,
    projects_where,
    require,
    role_of,
)
from tests.integrations.conftest import integration_json, store_integration

CAST = ["anonymous", "outsider", "viewer", "editor", "ops", "superuser"]

# Who may take each action in `project`; every other member of the cast may not.
ALLOWED = {
    Action.VIEW: {"viewer", "editor", "ops", "superuser"},
    Action.SYNC: {"editor", "ops", "superuser"},
    Action.DEPLOY: {"editor", "ops", "superuser"},
    Action.MANAGE: {"ops", "superuser"},
}


@pytest.fixture
def cast(request, db):
    def member(name: str):
        return AnonymousUser() if name == "anonymous" else request.getfixturevalue(name)

    return member


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("action", list(Action))
def test_role_table(cast, project, who, action):
    assert can(cast(who), action, project) is (who in ALLOWED[action])


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("action", list(Action))
def test_projects_where_agrees_with_can(cast, project, other_project, who, action):
    user = cast(who)
    expected = {p for p in (project, other_project) if can(user, action, p)}
    assert set(projects_where(user, action)) == expected


@pytest.mark.parametrize("who", CAST)
@pytest.mark.parametrize("action", list(Action))
def test_can_anywhere_agrees_with_can(cast, project, other_project, who, action):
    user = cast(who)
    expected = any(can(user, action, p) for p in (project, other_project))
    assert can_anywhere(user, action) is expected


def test_actions_may_be_given_as_strings(editor, project):
    assert can(editor, "sync", project)
    assert not can(editor, "manage", project)
    assert list(projects_where(editor, "deploy")) == [project]
    with pytest.raises(ValueError, match="'publish' is not a valid Action"):
        can(editor, "publish", project)


@pytest.mark.parametrize(
    ("who", "role"),
    [
        ("anonymous", None),
        ("outsider", None),
        ("viewer", "viewer"),
        ("editor", "editor"),
        ("ops", "ops"),
        ("superuser", None),
    ],
)
def test_role_of_is_the_membership_role_or_none(cast, project, who, role):
    assert role_of(cast(who), project) == role


def test_a_user_with_different_roles_in_two_projects_may_do_what_each_role_allows(
    django_user_model, project, other_project
):
    user = django_user_model.objects.create_user("both", password="pw-both-1")
    Membership.objects.create(user=user, project=project, role=Membership.Role.VIEWER)
    Membership.objects.create(user=user, project=other_project, role=Membership.Role.OPS)

    assert (role_of(user, project), role_of(user, other_project)) == ("viewer", "ops")
    assert not can(user, Action.SYNC, project)
    assert can(user, Action.SYNC, other_project)
    assert can(user, Action.MANAGE, other_project)
    assert set(projects_where(user, Action.VIEW)) == {project, other_project}
    assert list(projects_where(user, Action.SYNC)) == [other_project]
    assert list(projects_where(user, Action.MANAGE)) == [other_project]


def test_projects_where_lists_each_project_once_and_filters_further(editor, project):
    Project.objects.create(name="zzz", ampersand_project="zzz")
    projects = projects_where(editor, Action.SYNC)
    assert projects.count() == 1
    assert list(projects.filter(name="demo")) == [project]


def test_one_query_decides_every_project_of_a_request(
    viewer, project, other_project, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert can(viewer, Action.VIEW, project)
        assert not can(viewer, Action.VIEW, other_project)
        assert not can(viewer, Action.SYNC, project)


def test_superusers_and_anonymous_users_cost_no_query(
    superuser, project, django_assert_num_queries
):
    with django_assert_num_queries(0):
        assert can(superuser, Action.MANAGE, project)
        assert not can(AnonymousUser(), Action.VIEW, project)


def test_require_names_the_role_held_and_the_roles_needed(viewer, outsider, project):
    with pytest.raises(PermissionDenied) as refusal:
        require(viewer, Action.SYNC, project)
    assert str(refusal.value) == (
        "Your role in demo is viewer; starting a sync needs the editor or ops role."
    )
    with pytest.raises(PermissionDenied, match="You have no role in demo; viewing it needs"):
        require(outsider, Action.VIEW, project)
    require(viewer, Action.VIEW, project)


# --- The access helpers: 404 outside the user's projects, 403 for an action the role lacks ------


@pytest.fixture
def run(project) -> SyncRun:
    return SyncRun.objects.create(project=project, trigger=SyncRun.Trigger.COMMAND)


@pytest.fixture
def integration(project) -> Integration:
    return store_integration(project, integration_json("crm"))


@pytest.mark.parametrize("helper", ["project", "integration", "run"])
def test_access_helpers_answer_404_to_an_outsider_and_403_to_a_role_too_low(
    request, helper, outsider, viewer, editor
):
    get = {
        "project": get_project_for_user,
        "integration": get_integration_for_user,
        "run": get_sync_run_for_user,
    }[helper]
    pk = request.getfixturevalue(helper).pk

    with pytest.raises(Http404):
        get(outsider, pk)
    with pytest.raises(Http404):
        get(outsider, pk, Action.SYNC)
    assert get(viewer, pk).pk == pk
    with pytest.raises(PermissionDenied, match="Your role in demo is viewer"):
        get(viewer, pk, Action.SYNC)
    assert get(editor, pk, Action.SYNC).pk == pk
    with pytest.raises(PermissionDenied, match="managing it needs the ops role"):
        get(editor, pk, "manage")


def test_access_helpers_take_the_request_or_the_user(rf, viewer, project):
    request = rf.get("/")
    request.user = viewer
    assert get_project_for_user(request, project.pk) == get_project_for_user(viewer, project.pk)


def test_viewing_costs_no_query_beyond_the_object(viewer, integration, django_assert_num_queries):
    with django_assert_num_queries(1):
        get_integration_for_user(viewer, integration.pk)


# --- Sync now: the page, the API and the button ---------------------------------------------------


def test_sync_page_refuses_a_viewer_with_403_and_says_why(viewer_client, project):
    response = viewer_client.post(reverse("project-sync", args=[project.pk]))

    assert response.status_code == 403
    assert "starting a sync needs the editor or ops role" in response.content.decode()
    assert not SyncRun.objects.exists()


@pytest.mark.parametrize("who", ["editor_client", "ops_client", "superuser_client"])
def test_sync_page_accepts_an_editor_and_up(request, who, project):
    response = request.getfixturevalue(who).post(reverse("project-sync", args=[project.pk]))

    run = SyncRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sync-run", args=[run.pk])


def test_sync_page_is_404_for_an_outsider(outsider_client, project):
    assert outsider_client.post(reverse("project-sync", args=[project.pk])).status_code == 404
    assert not SyncRun.objects.exists()


def test_sync_api_refuses_a_viewer_with_403_json(viewer, project):
    api = APIClient()
    api.force_authenticate(viewer)

    response = api.post(f"/api/projects/{project.pk}/sync/")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Your role in demo is viewer; starting a sync needs the editor or ops role."
    }
    assert not SyncRun.objects.exists()


def test_sync_api_accepts_an_editor_and_is_404_for_an_outsider(editor, outsider, project):
    api = APIClient()
    api.force_authenticate(outsider)
    assert api.post(f"/api/projects/{project.pk}/sync/").status_code == 404

    api.force_authenticate(editor)
    response = api.post(f"/api/projects/{project.pk}/sync/")
    assert response.status_code == 202
    assert SyncRun.objects.get().started_by == editor


def test_sync_now_button_is_hidden_from_a_viewer(viewer_client, project, run):
    run.status = SyncRun.Status.SUCCEEDED
    run.save()
    assert "Sync now" not in viewer_client.get("/").content.decode()
    assert "Sync now" not in viewer_client.get(reverse("sync-run", args=[run.pk])).content.decode()


def test_sync_now_button_is_shown_to_an_editor(editor_client, project, run):
    run.status = SyncRun.Status.SUCCEEDED
    run.save()
    home = editor_client.get("/").content.decode()
    assert f'action="{reverse("project-sync", args=[project.pk])}"' in home
    assert "Sync now" in editor_client.get(reverse("sync-run", args=[run.pk])).content.decode()


def test_the_button_shows_per_project_by_the_role_held_there(
    client, django_user_model, project, other_project
):
    user = django_user_model.objects.create_user("both", password="pw-both-1")
    Membership.objects.create(user=user, project=project, role=Membership.Role.VIEWER)
    Membership.objects.create(user=user, project=other_project, role=Membership.Role.EDITOR)
    client.force_login(user)

    home = client.get("/").content.decode()

    assert reverse("project-sync", args=[other_project.pk]) in home
    assert reverse("project-sync", args=[project.pk]) not in home
