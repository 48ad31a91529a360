"""The editor as a person uses it in Chromium, against the emulator."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from emulator.models import Integration as RemoteIntegration
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.models import Draft
from integrations.services import sync_project
from tests.integrations.conftest import connected_project, seed_remote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def project(emulator_api):
    project = connected_project(seed_remote(emulator_api, integrations=2, seed=21))
    sync_project(project=project)
    return project


def reading(project):
    for integration in project.integrations.select_related("latest_snapshot").order_by("name"):
        # Snowflake and Google Calendar have backfill rules of their own.
        if integration.latest_snapshot.content.get("read") and integration.provider not in (
            "snowflake",
            "google",
        ):
            return integration
    raise AssertionError("no integration that reads")


def test_a_backfill_changed_in_the_amp_yaml_is_autosaved_previewed_and_deployed(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    old_revision = integration.latest_snapshot.revision_id
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": 23}}

    page.goto(f"{live_server.url}/integrations/{integration.pk}/")
    page.get_by_role("link", name="Edit…").click()
    page.wait_for_url(f"**/integrations/{integration.pk}/edit/")
    page.get_by_role("link", name="amp.yaml", exact=True).click()
    page.wait_for_url(f"**/integrations/{integration.pk}/edit/?view=yaml")
    page.wait_for_load_state()  # htmx set up
    page.get_by_label("amp.yaml of your draft").fill(build_manifest_yaml([content]))

    # Two CPUs shared by several test runs: the validator may take a while.
    expect(page.locator("#autosave-status")).to_contain_text("Saved to your draft", timeout=15_000)
    assert Draft.objects.get().content["read"]["objects"][0]["backfill"]["defaultPeriod"] == {
        "days": 23
    }
    page.reload()
    expect(page.get_by_label("amp.yaml of your draft")).to_have_value(
        build_manifest_yaml([content])
    )
    page.get_by_role("button", name="Preview and deploy…").click()
    expect(page.locator(".diff-table")).to_contain_text("last 23 days")
    page.get_by_role("button", name="Deploy").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Deployed")
    remote = RemoteIntegration.objects.get(name=integration.name).latest_revision
    assert remote.id != old_revision
    expect(page.locator("main")).to_contain_text(remote.id)
    assert not Draft.objects.exists()
    assert console_errors == []


def test_a_write_object_is_added_saved_as_typed_and_enter_never_presses_remove(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = project.integrations.get(provider="salesforce")
    page.goto(f"{live_server.url}/integrations/{integration.pk}/edit/")
    page.wait_for_load_state()  # htmx set up
    section = page.locator("#write-objects")

    section.get_by_label("Object to write").fill("Account")
    section.get_by_role("button", name="Add object").click()
    expect(section.locator("#write-0 legend")).to_have_text("Account")
    section.get_by_label("Inherit the field mapping of the read object").check()
    expect(page.locator("#write-objects-status")).to_contain_text("Saved at", timeout=15_000)
    section.get_by_label("Object", exact=True).press("Enter")
    page.wait_for_load_state("networkidle")

    expect(section.locator("#write-0 legend")).to_have_text("Account")
    write = Draft.objects.get().content["write"]
    assert write == {"objects": [{"objectName": "Account", "inheritMapping": True}]}
    assert console_errors == []
