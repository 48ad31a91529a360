"""At 390x844 (a phone), the tables of the pages people read there fit the screen: no column
hidden behind a sideways scroll (the integration list's provider, a field's mapping, how an
installation differs, an operation's error, a deploy's outcome). The integration list, nine
columns, also fits from a tablet to a laptop: a table where it has room, stacked where not."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from integrations.models import Installation, Integration
from integrations.presenters import present_content
from tests.browser.conftest import (
    assert_named_above_the_two_compared,
    assert_spans_its_row,
    deploy_changed,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Each table wider than the box it sits in (which then scrolls it sideways); but amp.yaml's
# numbered lines, which scroll as code does, keeping its indentation.
TABLES_WIDER_THAN_THEIR_BOX = """() => [...document.querySelectorAll("table:not(.amp-yaml-lines)")]
  .filter(table => table.getBoundingClientRect().width > table.parentElement.clientWidth + 1)
  .map(table => table.className)"""


def test_the_tables_people_read_on_a_phone_fit_its_screen(
    logged_in_page, live_server, demo, console_errors
):
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    largest = max(
        Integration.objects.filter(project=demo).select_related("latest_snapshot"),
        key=lambda item: present_content(item.latest_snapshot.content).field_count,
    )
    differing = Installation.objects.filter(project=demo, difference_count__gt=0).first()
    record = deploy_changed(largest, page.user, lambda content: content.update(displayName="New"))
    paths = [
        "/integrations/",
        f"/integrations/{largest.pk}/read/",
        f"/integrations/{differing.integration_id}/installations/",
        f"/integrations/{differing.integration_id}/installations/{differing.pk}/",
        "/integrations/where-used/?field=Name",
        f"/projects/{demo.pk}/deploys/",
        f"/deploys/{record.pk}/",
    ]
    too_wide = {}
    for path in paths:
        page.goto(live_server.url + path)
        assert page.locator("table").count() > 0, path
        if tables := page.evaluate(TABLES_WIDER_THAN_THEIR_BOX):
            too_wide[path] = tables
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    assert too_wide == {}
    assert console_errors == []


@pytest.mark.parametrize(
    ("width", "display"),
    [
        *((768, "flex"), (900, "flex"), (1024, "flex"), (1100, "flex")),
        *((1200, "table-row"), (1280, "table-row"), (1440, "table-row")),
    ],
)
def test_the_integration_list_fits_from_a_tablet_to_a_laptop(
    logged_in_page, live_server, demo, width, display
):
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + "/integrations/")
    assert page.evaluate(TABLES_WIDER_THAN_THEIR_BOX) == []
    first_row = page.locator(".list-table tbody tr").first
    assert first_row.evaluate("row => getComputedStyle(row).display") == display
    expect(first_row.get_by_text("changed", exact=True)).to_be_visible(visible=display == "flex")


def test_an_installation_at_390_px_shows_how_it_differs_and_its_operations_errors(
    logged_in_page, live_server, demo, console_errors
):
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    differing = Installation.objects.filter(project=demo, difference_count__gt=0).first()

    page.goto(f"{live_server.url}/integrations/{differing.integration_id}/installations/")
    # The list's row wraps: the group on a line of its own, then its badges, named.
    group = page.get_by_role("link", name=differing.group_name, exact=True)
    row = page.get_by_role("row").filter(has=group)
    row.scroll_into_view_if_needed()
    expect(row.get_by_text("differ")).to_be_in_viewport()
    cell = row.get_by_role("cell").filter(has=group)
    assert_spans_its_row(cell, row)
    for label in ("Last operation", "Created"):
        expect(row.get_by_role("cell").filter(has_text=label)).to_be_in_viewport()
    assert page.get_by_role("columnheader", name="Against the definition").count() == 1

    group.click()
    page.wait_for_url(f"**/installations/{differing.pk}/")
    # A setting the installation chose otherwise: its name above the definition and the choice.
    choice = page.locator("td.differs").first
    choice.scroll_into_view_if_needed()
    expect(choice).to_be_in_viewport()
    assert_named_above_the_two_compared(choice.locator("xpath=ancestor::tr[1]"))
    # A failed operation's error spans the line under when, what and how it went.
    failure = page.get_by_role("row").filter(has=page.get_by_text("failure", exact=True)).first
    failure.scroll_into_view_if_needed()
    error = failure.get_by_role("cell").last
    expect(error).to_be_in_viewport()
    assert_spans_its_row(error, failure)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert console_errors == []
