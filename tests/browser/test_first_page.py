from __future__ import annotations

import pytest

from integrations.models import Project
from tests.integrations.conftest import integration_json, store_integration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_then_list_and_detail_render_without_console_errors(
    logged_in_page, live_server, console_errors
):
    page = logged_in_page
    project = Project.objects.create(name="demo", ampersand_project="demo")
    store_integration(project, integration_json("<script>alert(1)</script>", displayName="Evil"))
    store_integration(project, integration_json("zendesk-tickets", displayName="Zendesk"))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{live_server.url}/integrations/")
    rows = page.locator("tbody tr")
    assert rows.count() == 2
    assert page.get_by_role("link", name="<script>alert(1)</script>").is_visible()

    page.get_by_role("link", name="zendesk-tickets").click()
    page.wait_for_url("**/integrations/*/")
    assert page.get_by_role("heading", name="zendesk-tickets").is_visible()
    page.get_by_role("tab", name="Raw").click()
    page.wait_for_url("**/raw/")
    assert "latestRevision" in page.locator("pre").last.inner_text()

    assert dialogs == []
    assert console_errors == []
