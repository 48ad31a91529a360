"""Playwright on Debian's Chromium. Never `playwright install`: no downloads here."""

from __future__ import annotations

import copy
import os
import warnings

import pytest
from playwright.sync_api import expect

from integrations.ampersand.manifest import build_manifest_yaml
from integrations.deploy.service import deploy
from integrations.models import DeployRecord
from integrations.sync import sync_project
from tests.integrations.conftest import connected_project, seed_remote

CHROMIUM = os.environ.get("AMPDASH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MISSING = (
    f"!!! BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM}. "
    "Install Debian's chromium (`apt-get install -y chromium`, or `make test` as root). !!!"
)


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    warnings.warn(MISSING, stacklevel=1)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=MISSING))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture
def console_errors(page):
    """Every console error and uncaught page error during the test."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def demo(emulator_api):
    """Demo integrations as `make run` seeds them, synced with their installations."""
    api = seed_remote(emulator_api, integrations=24, seed=1, name="demo")
    project = connected_project(api, name="demo")
    sync_project(project=project)
    return project


@pytest.fixture
def logged_in_page(page, live_server, django_user_model):
    user = django_user_model.objects.create_superuser("browser", password="browser-pass-1")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("browser")
    page.get_by_label("Password").fill("browser-pass-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/integrations/")
    page.user = user
    return page


# htmx's classes while it requests, swaps and settles. What it swapped in has no triggers bound
# until its settle, 20 ms after the swap.
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def wait_for_htmx(page) -> None:
    """Wait until htmx has settled what it swapped in. On a fast host a test acting at once
    reached elements whose triggers were not bound yet: a typed value was never saved (CI, once
    in 1,719 tests); a link or form would be followed without htmx."""
    page.wait_for_function(f"() => !document.querySelector({HTMX_BUSY!r})")


def open_read_card(page, index: int):
    """Open the editor's read object `index` (its card is fetched on opening) and return it."""
    page.locator(f"#read-{index} > summary").click()
    card = page.locator(f"#read-{index}")
    expect(card.locator("form.read-card")).to_be_visible()
    wait_for_htmx(page)
    return card


def assert_spans_its_row(cell, row) -> None:
    """`cell` takes a line of its own across `row` (a row laid out for a narrow column)."""
    assert cell.bounding_box()["width"] > 0.9 * row.bounding_box()["width"]


def assert_named_above_the_two_compared(row) -> None:
    """A row of three columns laid out for a narrow column: what the row names (a diff's change,
    a setting) spans the row, and the two compared (before and after, the definition and an
    installation's choice) share the line under it (three narrow columns broke words letter by
    letter, or hid the third)."""
    cells = row.locator(":scope > th, :scope > td").all()
    assert_spans_its_row(cells[0], row)
    what, before, after = (cell.bounding_box() for cell in cells)
    assert before["y"] == after["y"] >= what["y"] + what["height"]
    assert before["width"] > 0.4 * what["width"]


def deploy_changed(integration, user, change) -> DeployRecord:
    """Deploy the latest content of `integration` as `change` edits it (a dict in place)."""
    content = copy.deepcopy(integration.latest_snapshot.content)
    change(content)
    record = deploy(
        project=integration.project,
        user=user,
        amp_yaml=build_manifest_yaml([content]),
        base_revisions={integration.name: integration.latest_snapshot.revision_id},
    )
    assert record.outcome == "succeeded", record.problem_detail
    return record
