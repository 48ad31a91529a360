"""Restore and import, as a person does them in Chromium, against the emulator."""

from __future__ import annotations

import copy

import pytest
from playwright.sync_api import expect

from emulator.models import Integration as RemoteIntegration
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.sync import sync_project
from tests.browser.conftest import (
    assert_named_above_the_two_compared,
    assert_spans_its_row,
    deploy_changed,
)
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


def backfill_of_17_days(content: dict) -> None:
    content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": 17}}


def test_restoring_an_older_version_puts_its_content_back_at_ampersand(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    original = integration.latest_snapshot
    deploy_changed(integration, page.user, backfill_of_17_days)

    page.goto(f"{live_server.url}/integrations/{integration.pk}/history/")
    page.get_by_role("link", name="Restore this version…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Restore")
    expect(page.locator(".diff-table")).to_contain_text("backfill")
    page.get_by_label("Reason").fill("back to the original backfill")
    page.get_by_role("button", name="Deploy").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Deployed")
    remote = RemoteIntegration.objects.get(name=integration.name)
    assert remote.latest_revision.content == original.content
    assert console_errors == []


def test_a_diff_at_390_px_puts_before_and_after_side_by_side_under_the_change(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["displayName"] = "A display name long enough to wrap on a phone screen"
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/projects/{project.pk}/import/")
    page.get_by_label("amp.yaml").fill(build_manifest_yaml([content]))
    page.get_by_role("button", name="Preview").click()

    table = page.get_by_role("table").filter(has_text="display name changed")
    assert_named_above_the_two_compared(
        table.get_by_role("row").filter(has_text="display name changed")
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert console_errors == []


def test_the_history_at_390_px_shows_what_changed_without_scrolling_sideways(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    deploy_changed(integration, page.user, lambda content: content.update(displayName="Renamed"))
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}/integrations/{integration.pk}/history/")

    # Six columns scrolled what changed out of sight; now it spans its own line.
    change = page.get_by_role("link", name="display name changed")
    expect(change).to_be_in_viewport()
    row = page.get_by_role("row").filter(has=change)
    cell = row.get_by_role("cell").filter(has=change)
    assert_spans_its_row(cell, row)
    assert page.get_by_role("radio", name="Compare from this version").count() == 2
    assert page.get_by_role("columnheader", name="What changed").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert console_errors == []


def test_an_import_with_an_error_shows_it_at_its_line(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["read"]["objects"][0]["schedule"] = "*/3 * * * *"
    text = build_manifest_yaml([content])
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "*/3 * * * *" in row)

    page.goto(f"{live_server.url}/projects/{project.pk}/import/")
    page.get_by_label("amp.yaml").fill(text)
    page.get_by_role("button", name="Preview").click()

    issue = page.locator(".issue-error").first
    expect(issue).to_contain_text(f"line {line}")
    issue.get_by_role("link", name=f"line {line}").click()
    marked = page.locator(f"#amp-yaml-line-{line}")
    expect(marked).to_be_visible()
    expect(marked).to_contain_text("*/3 * * * *")
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)
    # What the user typed is still there, to fix.
    expect(page.get_by_label("Fix the amp.yaml and preview again")).to_have_value(text)
    assert console_errors == []
