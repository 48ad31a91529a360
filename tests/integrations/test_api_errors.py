"""Django's own error answers under /api/ are JSON, as the API's views answer; pages keep HTML."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from integrations.api import views


@pytest.fixture
def api(viewer) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(viewer)
    return client


def _detail(response) -> str:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["detail"]
    return body["detail"]


@pytest.mark.parametrize(
    "path", ["/api/nothing/", "/api/integrations/-1/", "/api/projects/1/deploys/x/"]
)
def test_a_path_no_api_operation_answers_is_a_json_404(api, path):
    response = api.get(path)

    assert response.status_code == 404
    assert _detail(response) == "Not found."


def test_an_unknown_page_is_still_an_html_404(viewer_client):
    response = viewer_client.get("/integrations/nothing/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_in_an_api_view_is_a_json_500_without_a_trace(api, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views.ProjectListApi, "get", crash)

    response = api.get("/api/projects/")

    assert response.status_code == 500
    assert "secret internals" not in response.content.decode()
    assert _detail(response).startswith("Server error")


def test_a_crash_in_a_page_is_still_an_html_500(viewer_client, monkeypatch):
    viewer_client.raise_request_exception = False
    monkeypatch.setattr(
        "integrations.views.listing.render",
        lambda *args, **kwargs: (_ for _ in ()).throw(RuntimeError("boom")),
    )

    response = viewer_client.get("/integrations/")

    assert response.status_code == 500
    assert not response["Content-Type"].startswith("application/json")


def test_a_request_django_refuses_before_any_view_is_a_json_400_under_api(api):
    response = api.get("/api/projects/", HTTP_HOST="not-an-allowed-host.example")

    assert response.status_code == 400
    assert _detail(response) == "Bad request."
