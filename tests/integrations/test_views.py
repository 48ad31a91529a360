from __future__ import annotations

import pytest
from django.urls import reverse

from tests.integrations.conftest import integration_json, store_integration


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get("/integrations/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/integrations/")


def test_list_shows_name_provider_revision_and_object_counts(viewer_client, project):
    raw = integration_json(
        "salesforce-sync",
        displayName="Salesforce sync",
        read={"objects": [{"objectName": "account"}, {"objectName": "contact"}]},
        write={"objects": [{"objectName": "account"}]},
    )
    store_integration(project, raw)

    response = viewer_client.get("/integrations/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "salesforce-sync" in html
    assert "Salesforce sync" in html
    assert raw["latestRevision"]["id"] in html
    counts = [cell for cell in html.split('<td class="num">')[1:4]]
    assert [c.split("<")[0] for c in counts] == ["2", "1", "0"]


def test_list_hides_integrations_of_projects_the_user_is_not_in(
    client, outsider, project, other_project
):
    store_integration(project, integration_json("secret-integration"))
    store_integration(other_project, integration_json("visible-integration"))
    client.force_login(outsider)

    html = client.get("/integrations/").content.decode()

    assert "visible-integration" in html
    assert "secret-integration" not in html


def test_detail_shows_the_raw_content(viewer_client, project):
    raw = integration_json("hubspot-sync", displayName="<b>HubSpot</b> sync")
    integration = store_integration(project, raw)

    response = viewer_client.get(reverse("integrations:detail", args=[integration.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "hubspot-sync" in html
    assert "&lt;b&gt;HubSpot&lt;/b&gt; sync" in html
    assert "<b>HubSpot</b>" not in html
    assert raw["latestRevision"]["id"] in html


@pytest.mark.parametrize("user_fixture", ["outsider"])
def test_detail_of_another_projects_integration_is_not_found(
    client, request, user_fixture, project
):
    integration = store_integration(project, integration_json("private"))
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(reverse("integrations:detail", args=[integration.pk]))

    assert response.status_code == 404


def test_pages_send_a_content_security_policy(viewer_client, project):
    response = viewer_client.get("/integrations/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self' 'nonce-" in policy


def test_session_check_answers_ok_only_when_logged_in(client, viewer):
    assert client.get("/accounts/session/").status_code == 302
    client.force_login(viewer)
    response = client.get("/accounts/session/")
    assert response.status_code == 200
    assert response.content == b"ok\n"
