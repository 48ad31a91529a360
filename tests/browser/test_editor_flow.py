"""The editor as a person uses it in Chromium, against the emulator."""

from __future__ import annotations

import copy
import re

import pytest
from playwright.sync_api import expect

from emulator.models import Installation as RemoteInstallation
from emulator.models import Integration as RemoteIntegration
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.deploy.service import deploy
from integrations.editing import FIELD_LISTS
from integrations.models import Draft
from integrations.sync import sync_project
from tests.browser.conftest import (
    assert_named_above_the_two_compared,
    deploy_changed,
    open_read_card,
    wait_for_htmx,
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
    text_area = page.get_by_label("amp.yaml of your draft")
    # The text takes the page's width (it once sat in the forms' narrow first column).
    page_width = page.locator("main").bounding_box()["width"]
    assert text_area.bounding_box()["width"] > 0.9 * page_width
    with page.expect_request("**/edit/autosave/") as autosave:
        text_area.fill(build_manifest_yaml([content]))
    # Sent as multipart, so the server reads the text as typed instead of unescaping it.
    assert autosave.value.headers["content-type"].startswith("multipart/form-data; boundary=")

    # Two CPUs shared by several test runs: the validator may take a while.
    expect(page.locator("#autosave-status")).to_contain_text("Saved to your draft", timeout=15_000)
    # Saved at once; then read against Ampersand's rules, which moves the content along.
    expect(page.locator("#draft-issues")).not_to_contain_text("Checking", timeout=15_000)
    expect(page.locator("#draft-issues")).to_contain_text(re.compile(r"warning|error|No issue"))
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


def test_a_read_object_is_edited_with_the_keyboard_alone_and_saved_as_typed(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    page.goto(f"{live_server.url}/integrations/{integration.pk}/edit/")
    page.evaluate("window.notReloaded = true")

    page.locator("#read-0 > summary").focus()
    page.keyboard.press("Enter")
    schedule = page.locator("#id_r0-schedule")
    expect(schedule).to_be_visible()
    expect(page.locator("#read-0-summary")).to_be_focused()  # kept through the swap
    wait_for_htmx(page)
    page.keyboard.press("Tab")  # the object's name
    expect(page.locator("#id_r0-object_name")).to_be_focused()
    while not page.evaluate("document.activeElement.id === 'id_r0-schedule'"):
        page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("*/5 * * * *")

    # The save answers only the slots: the input keeps the focus and what was typed.
    slot = page.locator("#read-0-schedule")
    expect(slot).to_contain_text("Every 5 minutes", timeout=15_000)
    expect(slot).to_contain_text("schedule-minimum-interval")
    expect(schedule).to_be_focused()
    expect(schedule).to_have_value("*/5 * * * *")
    assert Draft.objects.get().content["read"]["objects"][0]["schedule"] == "*/5 * * * *"

    page.keyboard.press("Control+A")
    page.keyboard.type("0 * * * *")
    expect(slot).not_to_contain_text("schedule-minimum-interval", timeout=15_000)
    expect(slot).to_contain_text("Every hour")

    page.get_by_label("Add a field").first.focus()
    page.keyboard.type("AnotherField")
    page.get_by_role("button", name="Add field").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#read-0 .field-row legend").last).to_have_text("AnotherField")
    assert Draft.objects.get().content["read"]["objects"][0]["optionalFields"][-1] == {
        "fieldName": "AnotherField"
    }
    assert page.evaluate("window.notReloaded") is True  # rows added without a reload
    assert console_errors == []


def test_the_whole_flow_backfill_remap_and_a_picked_field_previewed_with_its_customers(
    logged_in_page, live_server, project, console_errors
):
    """The issue's flow: backfill 30 days -> full history, a field re-mapped, an optional field
    added from the picker; the preview shows exactly those three and names the customers."""
    page = logged_in_page
    integration = reading(project)
    content = copy.deepcopy(integration.latest_snapshot.content)
    obj = content["read"]["objects"][0]
    obj["backfill"] = {"defaultPeriod": {"days": 30}}
    record = deploy(
        project=project,
        user=page.user,
        amp_yaml=build_manifest_yaml([content]),
        base_revisions={integration.name: integration.latest_snapshot.revision_id},
    )
    assert record.outcome == "succeeded", record.problem
    integration.refresh_from_db()
    installations = RemoteInstallation.objects.filter(integration__name=integration.name)
    selected = [
        (i.group.get("groupName") or i.group["groupRef"], i.config["content"]["read"]["objects"])
        for i in installations
    ]
    fixed = [f["fieldName"] for key in FIELD_LISTS for f in obj.get(key, []) if "fieldName" in f]
    field = next(
        name
        for name in fixed
        if any(
            name in (o.get(obj["objectName"]) or {}).get("selectedFields", {}) for _, o in selected
        )
    )
    customers = [
        group
        for group, objects in selected
        if field in (objects.get(obj["objectName"]) or {}).get("selectedFields", {})
    ]
    row = fixed.index(field)

    page.goto(f"{live_server.url}/integrations/{integration.pk}/edit/")
    card = open_read_card(page, 0)
    card.get_by_label("Full history").check()
    card.locator(f"#id_r0f-{row}-map_to_name").fill(f"renamed_{field}")
    expect(card.locator("#read-0-status")).to_contain_text("Saved at", timeout=15_000)

    adding = card.get_by_label("Add a field")
    adding.focus()  # the picker fetches the provider's fields
    picked = card.locator("datalist option")
    expect(card.locator(".field-picker")).to_contain_text("fields from", timeout=15_000)
    offered = picked.evaluate_all("options => options.map(o => o.value)")
    new_field = next(name for name in offered if name not in fixed)
    adding.fill(new_field)
    card.get_by_role("button", name="Add field").click()
    expect(card.locator(".field-row legend").last).to_have_text(new_field)

    page.get_by_role("button", name="Preview and deploy…").click()
    changes = page.locator(".diff-table tbody tr:not(.diff-object)")
    expect(changes).to_have_count(3)
    expect(page.locator(".diff-table")).to_contain_text("full history")
    expect(page.locator(".diff-table")).to_contain_text(f"renamed_{field}")
    expect(page.locator(".diff-table")).to_contain_text(new_field)
    radius = page.locator(".blast-radius")
    for customer in customers[:5]:
        expect(radius).to_contain_text(customer)
    page.get_by_role("button", name="Deploy").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Deployed")
    remote = RemoteIntegration.objects.get(name=integration.name).latest_revision
    assert remote.id != integration.latest_snapshot.revision_id
    expect(page.locator("main")).to_contain_text(remote.id)
    deployed = remote.content["read"]["objects"][0]
    assert deployed["backfill"] == {"defaultPeriod": {"fullHistory": True}}
    assert {"fieldName": new_field} in deployed["optionalFields"]
    assert console_errors == []


def add_write_objects(page, live_server, project, names):
    """The Salesforce integration's editor, with `names` added as write objects: its section."""
    integration = project.integrations.get(provider="salesforce")
    page.goto(f"{live_server.url}/integrations/{integration.pk}/edit/")
    page.wait_for_load_state()  # htmx set up
    section = page.locator("#write-objects")
    for at, name in enumerate(names):
        section.get_by_label("Object to write").fill(name)
        section.get_by_role("button", name="Add object").click()
        expect(section.locator(f"#write-{at} legend")).to_have_text(name)
    return section


def test_the_merge_pages_half_width_diffs_put_before_and_after_under_the_change(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    mine = copy.deepcopy(integration.latest_snapshot.content)
    mine["displayName"] = "My name for it, long enough to wrap in a narrow column"
    Draft.start(integration, page.user).take_amp_yaml(build_manifest_yaml([mine]))
    deploy_changed(
        integration,
        page.user,
        lambda theirs: theirs.update(displayName="Their name, long enough to wrap in a column"),
    )

    page.goto(f"{live_server.url}/integrations/{integration.pk}/edit/rebase/")

    # Even at 1280 px: each side is a half-width column.
    assert page.viewport_size["width"] >= 1280
    assert_named_above_the_two_compared(
        page.get_by_role("row").filter(has_text="Their name, long enough").first
    )
    assert console_errors == []


def test_the_days_of_a_backfill_show_only_beside_the_last_n_days(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    integration = reading(project)
    page.goto(f"{live_server.url}/integrations/{integration.pk}/edit/")
    card = open_read_card(page, 0)
    days = card.get_by_label("Days to backfill")

    card.get_by_label("The last N days").check()
    days.fill("45")
    expect(card.locator("#read-0-status")).to_contain_text("Saved at", timeout=15_000)
    # The save of this choice: leaving the days field also saves the form, before the click.
    with page.expect_response(
        lambda answer: "backfill=full" in (answer.request.post_data or ""), timeout=15_000
    ):
        card.get_by_label("Full history").check()

    expect(days).to_be_hidden()
    backfill = Draft.objects.get().content["read"]["objects"][0]["backfill"]
    assert backfill == {"defaultPeriod": {"fullHistory": True}}
    card.get_by_label("None: only new changes").check()
    expect(days).to_be_hidden()
    card.get_by_label("The last N days").check()
    expect(days).to_be_visible()
    expect(days).to_have_value("45")  # what was typed, back with its choice
    assert console_errors == []


def test_a_write_object_is_added_saved_as_typed_and_enter_never_presses_remove(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    section = add_write_objects(page, live_server, project, ["Account"])
    section.get_by_label("Inherit the field mapping of the read object").check()
    expect(page.locator("#write-objects-status")).to_contain_text("Saved at", timeout=15_000)
    section.get_by_label("Object", exact=True).press("Enter")
    page.wait_for_load_state("networkidle")

    expect(section.locator("#write-0 legend")).to_have_text("Account")
    write = Draft.objects.get().content["write"]
    assert write == {"objects": [{"objectName": "Account", "inheritMapping": True}]}
    assert console_errors == []


def test_write_objects_are_moved_down_and_up_in_the_browser(
    logged_in_page, live_server, project, console_errors
):
    page = logged_in_page
    section = add_write_objects(page, live_server, project, ["Account", "Contact"])
    legends = section.locator("[id^=write-] > legend")
    expect(legends).to_have_text(["Account", "Contact"])

    section.get_by_role("button", name="Move down: Account").click()

    expect(legends).to_have_text(["Contact", "Account"])
    page.wait_for_load_state("networkidle")
    names = [obj["objectName"] for obj in Draft.objects.get().content["write"]["objects"]]
    assert names == ["Contact", "Account"]

    section.get_by_role("button", name="Move up: Account").click()

    expect(legends).to_have_text(["Account", "Contact"])
    assert console_errors == []
