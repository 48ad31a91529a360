from __future__ import annotations

import pytest
from django.core.cache import cache

from integrations.models import Integration, Project
from integrations.presenters import present_content
from integrations.sync import sync_project
from integrations.views import browse
from tests.browser.conftest import wait_for_htmx
from tests.integrations.conftest import (
    connected_project,
    integration_json,
    seed_remote,
    store_integration,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    browse.rendered_tabs.clear()
    yield
    cache.clear()
    browse.rendered_tabs.clear()


def selected_tab(page) -> str:
    return page.locator('[role="tab"][aria-selected="true"]').inner_text().strip()


def test_tabs_switch_without_a_reload_and_follow_back_and_forward(
    logged_in_page, live_server, console_errors
):
    page = logged_in_page
    project = Project.objects.create(
        name="demo", ampersand_project="demo", api_url="http://127.0.0.1:9"
    )
    content = {
        "read": {
            "objects": [
                {
                    "objectName": "account",
                    "destination": "d",
                    "schedule": "0 * * * *",
                    "requiredFields": [{"fieldName": "Id"}],
                }
            ]
        },
        "write": {"objects": [{"objectName": "account", "inheritMapping": True}]},
        "subscribe": {
            "objects": [
                {
                    "objectName": "account",
                    "destination": "eventsHook",
                    "createEvent": {"enabled": "always"},
                }
            ]
        },
    }
    integration = store_integration(project, integration_json("crm-sync", **content))
    base = f"{live_server.url}/integrations/{integration.pk}/"

    page.goto(base)
    assert selected_tab(page) == "Read"
    assert page.get_by_text("every hour").first.is_visible()
    page.evaluate("window.__marker = 'still here'")

    page.get_by_role("tab", name="Write").click()
    page.wait_for_url(f"{base}write/")
    wait_for_htmx(page)
    assert selected_tab(page) == "Write"
    assert page.get_by_text("inherits read mapping").is_visible()

    page.get_by_role("tab", name="Subscribe").click()
    page.wait_for_url(f"{base}subscribe/")
    assert page.get_by_text("eventsHook").is_visible()
    assert page.evaluate("window.__marker") == "still here"

    page.go_back()
    page.wait_for_url(f"{base}write/")
    page.wait_for_selector('[role="tab"][aria-selected="true"]:text("Write")')
    assert page.get_by_text("inherits read mapping").is_visible()

    page.go_back()
    page.wait_for_url(base)
    page.wait_for_selector('[role="tab"][aria-selected="true"]:text("Read")')

    page.go_forward()
    page.wait_for_url(f"{base}write/")
    page.wait_for_selector('[role="tab"][aria-selected="true"]:text("Write")')
    assert page.evaluate("window.__marker") == "still here"

    page.reload()
    assert selected_tab(page) == "Write"
    assert page.evaluate("window.__marker") is None

    page.get_by_role("tab", name="Installations").click()
    page.wait_for_url(f"{base}installations/")
    wait_for_htmx(page)
    assert page.get_by_text("the next sync, or Refresh now, fetches them").is_visible()
    # Nothing listens on the project's API: the refresh says so in place (htmx), no reload.
    page.get_by_role("button", name="Refresh now").click()
    alert = page.get_by_role("alert").get_by_text("Could not refresh the installations")
    alert.wait_for()
    page.get_by_role("tab", name="Raw").click()
    page.wait_for_url(f"{base}raw/")
    assert "latestRevision" in page.locator("pre").nth(1).inner_text()

    assert console_errors == []


def test_every_field_of_the_largest_demo_integration_is_in_the_read_tab(
    logged_in_page, live_server, emulator_api, console_errors
):
    page = logged_in_page
    api = seed_remote(emulator_api, integrations=24, seed=1, name="showcase")
    project = connected_project(api, name="showcase")
    sync_project(project=project)
    integration = max(
        Integration.objects.filter(project=project).select_related("latest_snapshot"),
        key=lambda item: present_content(item.latest_snapshot.content).field_count,
    )
    view = present_content(integration.latest_snapshot.content)
    assert view.field_count > 20

    page.goto(f"{live_server.url}/integrations/{integration.pk}/")
    page.get_by_role("tab", name="Write").click()
    page.wait_for_url("**/write/")
    wait_for_htmx(page)
    page.get_by_role("tab", name="Read").click()
    page.wait_for_url("**/read/")

    cards = page.locator("article.object-card")
    assert cards.count() == len(view.read)
    for index, card in enumerate(view.read):
        text = cards.nth(index).inner_text()
        assert card.object_name in text
        for row in card.fields:
            assert row.destination_name in text
            if row.field_name:
                assert row.field_name in text
                assert row.field_label in text
    assert console_errors == []


def test_the_installations_tab_pages_and_filters_in_place_at_phone_width(
    logged_in_page, live_server, console_errors
):
    from tests.integrations.test_installations import keep_many

    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    project = Project.objects.create(
        name="demo", ampersand_project="demo", api_url="http://127.0.0.1:9"
    )
    integration = store_integration(project, integration_json("crm-sync"))
    keep_many(integration, 120)
    base = f"{live_server.url}/integrations/{integration.pk}/installations/"

    page.goto(base)
    page.evaluate("window.__marker = 'still here'")
    assert page.get_by_text("Page 1 of 3").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(f"{base}?page=2")
    wait_for_htmx(page)
    assert page.get_by_text("Page 2 of 3").is_visible()
    page.get_by_label("Health").select_option("unhealthy")
    page.get_by_role("button", name="Filter").click()
    page.get_by_text("12 shown").wait_for()
    assert "health=unhealthy" in page.url
    assert page.evaluate("window.__marker") == "still here"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="Customer 00010").click()
    page.wait_for_url(f"{live_server.url}/integrations/{integration.pk}/installations/*/")
    assert page.get_by_role("heading", name="Customer 00010").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert console_errors == []
