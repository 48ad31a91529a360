from __future__ import annotations

import re

import pytest
from django.urls import reverse

from emulator.models import Integration as RemoteIntegration
from integrations.ampersand import AmpersandClient
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.models import Integration, Membership, Snapshot
from integrations.sync import sync_project
from tests.integrations.conftest import (
    add_version,
    connected_project,
    integration_json,
    renamed,
    seed_remote,
    store_integration,
)

CHANGE_ROW = re.compile(r'<tr class="diff-(?:added|removed|changed|moved)"[^>]*>')


def change_rows(html: str) -> int:
    return len(CHANGE_ROW.findall(html))


@pytest.fixture
def versions(project):
    first = integration_json("zendesk-tickets", displayName="Tickets")
    integration = store_integration(project, first)
    second = renamed(first, "Support tickets")
    add_version(integration, second, source=Snapshot.Source.UPSERT)
    return integration


def test_history_lists_every_version_newest_first_with_a_summary_of_each_change(
    viewer_client, versions
):
    html = viewer_client.get(reverse("integrations:history", args=[versions.pk])).content.decode()

    assert "2 versions kept" in html
    assert html.index("Upsert") < html.index("Sync")
    assert "display name changed" in html
    assert "first version seen" in html
    newest, oldest = versions.snapshots.order_by("-taken_at", "-id")
    assert f"?from={oldest.pk}&amp;to={newest.pk}" in html
    assert "Compare selected versions" in html
    assert html.count('type="radio"') == 4


def test_history_of_one_version_offers_no_comparison(viewer_client, project):
    integration = store_integration(project, integration_json("lonely"))

    html = viewer_client.get(reverse("integrations:history", args=[integration.pk])).content
    html = html.decode()

    assert "1 version kept" in html
    assert "first version seen" in html
    assert "Compare selected versions" not in html
    assert 'type="radio"' not in html


def test_diff_defaults_to_the_last_change_and_shows_both_sides(viewer_client, versions):
    html = viewer_client.get(reverse("integrations:diff", args=[versions.pk])).content.decode()

    row = re.search(r'<tr class="diff-changed"[^>]*>(.*?)</tr>', html, re.S)[1]
    assert "Tickets" in row
    assert "Support tickets" in row
    assert change_rows(html) == 1


def test_diff_between_picked_versions_accepts_them_in_either_order(viewer_client, versions):
    newest, oldest = versions.snapshots.order_by("-taken_at", "-id")
    url = reverse("integrations:diff", args=[versions.pk])

    forwards = viewer_client.get(url, {"from": oldest.pk, "to": newest.pk}).content.decode()
    backwards = viewer_client.get(url, {"from": newest.pk, "to": oldest.pk}).content.decode()

    assert "Display name changed" in forwards
    assert change_rows(forwards) == change_rows(backwards) == 1


@pytest.mark.parametrize(
    "params", [{"from": "garbage", "to": "1"}, {"from": "999999", "to": "999998"}, {"to": "x"}]
)
def test_diff_with_bad_picks_explains_instead_of_failing(viewer_client, versions, params):
    response = viewer_client.get(reverse("integrations:diff", args=[versions.pk]), params)
    assert response.status_code == 200
    assert "Pick two versions of this integration" in response.content.decode()


def test_diff_refuses_a_version_of_another_integration(viewer_client, project, versions):
    stranger = store_integration(project, integration_json("other"))
    newest = versions.latest_snapshot
    response = viewer_client.get(
        reverse("integrations:diff", args=[versions.pk]),
        {"from": stranger.latest_snapshot.pk, "to": newest.pk},
    )
    assert "Pick two versions of this integration" in response.content.decode()


def test_history_and_diff_of_another_projects_integration_are_not_found(client, outsider, versions):
    client.force_login(outsider)
    assert client.get(reverse("integrations:history", args=[versions.pk])).status_code == 404
    assert client.get(reverse("integrations:diff", args=[versions.pk])).status_code == 404


def test_single_version_has_nothing_to_compare(viewer_client, project):
    integration = store_integration(project, integration_json("lonely"))
    html = viewer_client.get(reverse("integrations:diff", args=[integration.pk])).content.decode()
    assert "nothing to compare yet" in html


def test_history_runs_a_constant_number_of_queries(
    viewer_client, project, django_assert_max_num_queries
):
    raw = integration_json("busy")
    integration = store_integration(project, raw)
    for number in range(12):
        raw = renamed(raw, f"Name {number}")
        add_version(integration, raw)
    with django_assert_max_num_queries(9):
        response = viewer_client.get(reverse("integrations:history", args=[integration.pk]))
    assert response.content.decode().count("display name changed") == 12


def test_names_are_shown_as_text_in_history_and_diff(viewer_client, project):
    raw = integration_json("<script>alert(1)</script>", displayName="<b>x</b>")
    integration = store_integration(project, raw)
    add_version(integration, renamed(raw, "<img src=x onerror=alert(1)>"))
    for name in ("integrations:history", "integrations:diff"):
        html = viewer_client.get(reverse(name, args=[integration.pk])).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "<img src=x" not in html


def test_upserted_mapping_change_is_named_exactly_on_the_diff_page(
    emulator_api, client, django_user_model
):
    api = seed_remote(emulator_api, integrations=3, seed=9)
    project = connected_project(api)
    user = django_user_model.objects.create_user("member", password="pw-member-1")
    Membership.objects.create(user=user, project=project)
    client.force_login(user)
    sync_project(project=project)

    remote = RemoteIntegration.objects.order_by("name").first()
    content = remote.latest_revision.content
    read_object = content["read"]["objects"][0]
    field = next(f for f in read_object["requiredFields"] if "fieldName" in f)
    field["mapToName"] = "mapped_by_the_test"
    with AmpersandClient(base_url=api.base_url, api_key=api.api_key, project="seeded") as amp:
        amp.batch_upsert(build_manifest_yaml([content]))
    run = sync_project(project=project)
    assert (run.changed, run.unchanged) == (1, 2)

    local = Integration.objects.get(remote_id=remote.id)
    html = client.get(reverse("integrations:diff", args=[local.pk])).content.decode()

    assert change_rows(html) == 1
    assert f"field {field['fieldName']} now maps to mapped_by_the_test" in html
    assert read_object["objectName"] in html
