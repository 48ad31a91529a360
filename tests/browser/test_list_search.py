from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from integrations.models import Project
from tests.integrations.conftest import integration_json, store_integration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def integrations(db) -> Project:
    project = Project.objects.create(name="demo", ampersand_project="demo")
    store_integration(
        project,
        integration_json(
            "zendesk-tickets",
            displayName="Zendesk",
            read={"objects": [{"objectName": "ticket", "mapToName": "support_case"}]},
        ),
    )
    store_integration(project, integration_json("hubspot-deals", displayName="HubSpot"))
    store_integration(project, integration_json("<script>alert(1)</script>", displayName="Evil"))
    return project


def test_typing_narrows_the_list_and_keeps_the_search_in_the_url(
    logged_in_page, live_server, integrations, console_errors
):
    page = logged_in_page
    page.goto(f"{live_server.url}/integrations/")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Search", exact=True).press_sequentially("support_ca", delay=30)

    expect(rows).to_have_count(1)
    expect(page.get_by_role("link", name="zendesk-tickets")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?q=support_ca$"))
    assert "q=" in page.url

    page.reload()
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Search", exact=True)).to_have_value("support_ca")

    assert console_errors == []


def test_back_and_forward_restore_the_previous_results(
    logged_in_page, live_server, integrations, console_errors
):
    page = logged_in_page
    page.goto(f"{live_server.url}/integrations/")
    rows = page.locator("tbody tr")
    page.get_by_label("Search", exact=True).fill("hubspot")
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=hubspot"))

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/integrations/")
    expect(rows).to_have_count(3)
    expect(page.get_by_label("Search", exact=True)).to_have_value("")

    page.go_forward()
    expect(page).to_have_url(re.compile(r"q=hubspot"))
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Search", exact=True)).to_have_value("hubspot")

    assert console_errors == []


def test_filters_sort_and_pages_swap_the_results_in_place(
    logged_in_page, live_server, integrations, console_errors
):
    page = logged_in_page
    page.goto(f"{live_server.url}/integrations/")
    rows = page.locator("tbody tr")

    page.get_by_role("link", name=re.compile(r"^Name")).click()
    expect(page).to_have_url(re.compile(r"sort=-name"))
    expect(rows.first).to_contain_text("zendesk-tickets")

    # The search keeps the order chosen by the column header.
    page.get_by_label("Search", exact=True).fill("s")
    expect(page).to_have_url(re.compile(r"q=s&sort=-name"))
    expect(rows.first).to_contain_text("zendesk-tickets")

    page.get_by_label("State").select_option("removed")
    expect(page.get_by_text("No integration matches")).to_be_visible()
    expect(page).to_have_url(re.compile(r"state=removed"))

    assert console_errors == []


def test_a_name_holding_a_script_shows_as_text_and_runs_nothing(
    logged_in_page, live_server, integrations, console_errors
):
    page = logged_in_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/integrations/")

    page.get_by_label("Search", exact=True).fill("<script>")

    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(page.get_by_role("link", name="<script>alert(1)</script>")).to_be_visible()
    expect(page.locator("#results")).to_contain_text("matching “<script>”")
    assert dialogs == []
    assert console_errors == []


def test_a_name_breaks_at_its_hyphens_not_inside_a_word(
    logged_in_page, live_server, integrations, console_errors
):
    name = "attio-deal-writeback"
    # A long display name beside it, which the table would rather give the width to.
    display_name = "Attio deal write-back: every stage change and owner note since the deal opened"
    store_integration(integrations, integration_json(name, displayName=display_name))
    page = logged_in_page
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/integrations/")

    lines = page.get_by_role("link", name=name).evaluate("link => link.getClientRects().length")

    # One line box per piece at most: "attio-", "deal-", "writeback" (it once read "writebac", "k").
    assert lines <= len(name.split("-"))
    assert console_errors == []
