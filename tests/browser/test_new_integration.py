"""A new integration as a person makes one in Chromium on a phone-sized screen, against the
emulator: the module select follows the provider (htmx), an error is shown at its field, then
the preview, the deploy, and its editor."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from emulator.models import Integration as RemoteIntegration
from tests.integrations.conftest import connected_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def project(emulator_api):
    return connected_project(emulator_api)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_new_integration_is_made_previewed_and_deployed_at_390_px(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="New integration…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New integration in local")
    page.wait_for_load_state()  # htmx set up

    page.get_by_label("Name", exact=True).fill("accounts-sync")
    page.get_by_label("Provider").select_option(label="Salesforce (salesforce)")
    module = page.get_by_label("Module")
    expect(module).to_have_value("crm")
    expect(module.locator("option")).to_have_text(
        ["account-engagement", "account-engagement-demo", "crm (default)"]
    )
    page.get_by_label("Proxy only").check()
    expect(page.get_by_label("Object to read")).to_be_hidden()
    page.get_by_label("A first read object").check()
    page.get_by_label("Object to read").fill("Account")
    page.get_by_label("Destination").select_option("defaultWebhook")
    page.get_by_label("Schedule").fill("*/5 * * * *")
    assert fits_the_screen(page)
    page.get_by_role("button", name="Preview…").click()

    schedule = page.get_by_label("Schedule")
    expect(schedule).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_schedule_error")).to_contain_text("at least 10 minutes apart")
    expect(page.get_by_label("Name", exact=True)).to_have_value("accounts-sync")
    expect(page.get_by_label("Module")).to_have_value("crm")
    assert fits_the_screen(page)
    schedule.fill("*/30 * * * *")
    page.get_by_role("button", name="Preview…").click()

    expect(page.locator(".deploy-item")).to_contain_text("New integration")
    expect(page.locator(".amp-yaml")).to_be_visible()  # nothing to diff: the amp.yaml shows
    expect(page.locator(".amp-yaml")).to_contain_text("objectName: Account")
    page.get_by_role("button", name="Deploy").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Deployed")
    remote = RemoteIntegration.objects.get(name="accounts-sync")
    assert remote.latest_revision.content["module"] == "crm"
    page.get_by_role("link", name="Edit it…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit accounts-sync")
    assert console_errors == []
