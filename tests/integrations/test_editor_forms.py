# ruff: noqa: F811 (the fixtures imported below are parameters of the same names)
"""The editor's forms: read objects and their fields, saved to the draft as typed (emulator)."""

from __future__ import annotations

import html as html_module
import re

import yaml
from django.test import Client

from integrations.ampersand.manifest import Severity, build_manifest_yaml, validate_manifest
from integrations.models import Draft
from tests.ampersand.validator_cases import CASES
from tests.integrations.test_editor import HTMX, project, reading, seeded  # noqa: F401


def object_url(integration, index: int = 0) -> str:
    return f"/integrations/{integration.pk}/edit/read/{index}/"


def card_fields(html: str) -> dict[str, str]:
    """What a browser would post from the card: inputs, checked boxes, selected options."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]*)"', tag)
        if not name:
            continue
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        fields[name.group(1)] = value.group(1) if value else ("on" if "checked" in tag else "")
    for name, body in re.findall(r'<select name="([^"]*)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    return {key: html_module.unescape(value) for key, value in fields.items()}


def open_card(client, integration, index: int = 0) -> dict[str, str]:
    answer = client.get(object_url(integration, index), **HTMX)
    assert answer.status_code == 200
    return card_fields(answer.content.decode())


def saved_object(editor, index: int = 0):
    return Draft.objects.get(user=editor).content["read"]["objects"][index]


def test_the_editor_lists_read_objects_and_opens_one_as_forms(project, editor_client):
    integration = reading(project)
    objects = integration.latest_snapshot.content["read"]["objects"]

    page = editor_client.get(f"/integrations/{integration.pk}/edit/").content.decode()
    card = editor_client.get(object_url(integration), **HTMX).content.decode()

    for obj in objects:
        assert obj["objectName"] in page
    assert 'name="r0-schedule"' in card
    assert 'name="r0f-TOTAL_FORMS"' in card
    assert 'value="crmWebhook"' in card or "<select" in card  # destinations from the API
    assert not Draft.objects.exists()  # opening changes nothing


def test_changing_the_backfill_saves_to_the_draft_and_answers_only_the_slots(
    project, editor, editor_client
):
    integration = reading(project)
    fields = open_card(editor_client, integration)
    fields.update({"r0-backfill": "full", "r0-backfill_days": ""})

    answer = editor_client.post(object_url(integration), fields, **HTMX)

    assert answer.status_code == 200
    assert answer["HX-Reswap"] == "none"
    assert 'name="r0-schedule"' not in answer.content.decode()  # no input replaced
    assert saved_object(editor)["backfill"] == {"defaultPeriod": {"fullHistory": True}}
    assert "Saved at" in answer.content.decode()


def test_an_invalid_schedule_is_saved_and_the_validators_message_shows_next_to_it(
    project, editor, editor_client
):
    integration = reading(project)
    fields = open_card(editor_client, integration)
    fields["r0-schedule"] = "*/5 * * * *"

    html = editor_client.post(object_url(integration), fields, **HTMX).content.decode()

    slot = re.search(r'<div id="read-0-schedule"[^>]*>(.*?)</div>', html, re.S)
    assert slot is not None
    assert "error" in slot.group(1)
    assert "every 5 minutes" in slot.group(1).lower()  # the schedule read as it is typed
    assert saved_object(editor)["schedule"] == "*/5 * * * *"


def test_re_mapping_a_field_and_adding_one_keep_everything_else(project, editor, editor_client):
    integration = reading(project)
    before = integration.latest_snapshot.content["read"]["objects"][0]
    fields = open_card(editor_client, integration)
    fields["r0f-0-map_to_name"] = "renamed_target"
    fields["r0n-new_field"] = "brand_new_field"

    answer = editor_client.post(object_url(integration), {**fields, "action": "add-field"}, **HTMX)

    assert answer.status_code == 200
    assert answer["HX-Retarget"] == "#read-0"
    assert "brand_new_field" in answer.content.decode()
    after = saved_object(editor)
    first = (before.get("requiredFields") or before["optionalFields"])[0]
    changed = (after.get("requiredFields") or after["optionalFields"])[0]
    assert changed == {**first, "mapToName": "renamed_target"}
    assert after["optionalFields"][-1] == {"fieldName": "brand_new_field"}
    unchanged = {k: v for k, v in before.items() if k not in ("requiredFields", "optionalFields")}
    assert {k: v for k, v in after.items() if k in unchanged} == unchanged


def test_a_field_moves_to_optional_and_is_removed(project, editor, editor_client):
    integration = reading(project)
    fields = open_card(editor_client, integration)
    assert fields["r0f-0-required"] == "required", "the first object starts with a required field"
    name = fields["r0f-0-field_name"]
    fields["r0f-0-required"] = "optional"

    answer = editor_client.post(object_url(integration), fields, **HTMX)

    assert answer["HX-Retarget"] == "#read-0"  # rows reordered: the card is redrawn
    after = saved_object(editor)
    assert after["optionalFields"][-1]["fieldName"] == name
    assert name not in [field.get("fieldName") for field in after.get("requiredFields", [])]

    fields = open_card(editor_client, integration)
    last = int(fields["r0f-TOTAL_FORMS"]) - 1
    editor_client.post(object_url(integration), {**fields, "action": f"remove:{last}"}, **HTMX)

    assert name not in [field.get("fieldName") for field in saved_object(editor)["optionalFields"]]


def test_a_page_size_that_is_not_a_number_is_a_form_error_and_nothing_is_saved(
    project, editor_client
):
    integration = reading(project)
    fields = open_card(editor_client, integration)
    fields["r0-page_size"] = "lots"

    answer = editor_client.post(object_url(integration), fields, **HTMX)

    assert answer.status_code == 200
    assert "Enter a whole number" in answer.content.decode()
    assert not Draft.objects.exists()


def test_the_forms_work_as_plain_posts(project, editor, editor_client):
    integration = reading(project)
    fields = open_card(editor_client, integration)
    fields["r0-backfill"], fields["r0-backfill_days"] = "days", "7"

    answer = editor_client.post(object_url(integration), fields)

    assert answer.status_code == 302
    assert answer["Location"] == object_url(integration) + "#read-0"
    page = editor_client.get(answer["Location"]).content.decode()
    assert '<details id="read-0" class="read-object" open>' in page
    assert saved_object(editor)["backfill"] == {"defaultPeriod": {"days": 7}}


def test_a_stale_card_is_reloaded_not_saved(project, editor_client):
    integration = reading(project)
    fields = {**open_card(editor_client, integration), "object_key": "someOtherObject"}

    answer = editor_client.post(object_url(integration), fields, **HTMX)

    assert answer["HX-Retarget"] == "#read-0"
    assert not Draft.objects.exists()


def test_objects_are_added_and_removed(project, editor, editor_client):
    integration = reading(project)
    count = len(integration.latest_snapshot.content["read"]["objects"])

    answer = editor_client.post(
        f"/integrations/{integration.pk}/edit/read/",
        {"new-object_name": "ticket", "new-destination": "", "new-schedule": "0 * * * *"},
    )

    assert answer["Location"] == object_url(integration, count) + "#read-" + str(count)
    assert saved_object(editor, count) == {"objectName": "ticket", "schedule": "0 * * * *"}
    fields = open_card(editor_client, integration, count)
    answer = editor_client.post(
        object_url(integration, count), {**fields, "action": "remove-object"}, **HTMX
    )
    assert answer["HX-Redirect"] == f"/integrations/{integration.pk}/edit/"
    assert len(Draft.objects.get(user=editor).content["read"]["objects"]) == count


def test_a_new_read_object_is_given_one_of_the_projects_destinations(
    project, editor, editor_client
):
    integration = reading(project)
    count = len(integration.latest_snapshot.content["read"]["objects"])
    page = editor_client.get(f"/integrations/{integration.pk}/edit/").content.decode()

    offered = re.search(r'<select name="new-destination"[^>]*>(.*?)</select>', page, re.S)
    assert offered, "the add form offers the destinations listed by the API"
    assert '<option value="" selected>Choose one</option>' in offered.group(1)
    assert '<option value="crmWebhook">crmWebhook</option>' in offered.group(1)

    editor_client.post(
        f"/integrations/{integration.pk}/edit/read/",
        {"new-object_name": "ticket", "new-destination": "crmWebhook", "new-schedule": ""},
    )
    assert saved_object(editor, count) == {"objectName": "ticket", "destination": "crmWebhook"}


def test_the_integration_form_offers_only_the_providers_modules(project, editor_client):
    integration = reading(project)

    page = editor_client.get(f"/integrations/{integration.pk}/edit/").content.decode()

    from integrations.models import known_catalog

    modules = known_catalog(project.base_url).modules(integration.provider)
    select = re.search(r'<select name="module"[^>]*>(.*?)</select>', page, re.S)
    if modules:
        assert select is not None
        assert re.findall(r'<option value="([^"]+)"', select.group(1)) == modules
    else:
        assert select is None


def test_a_viewer_may_not_use_the_forms(project, viewer_client, editor):
    integration = reading(project)
    editor_client = Client()
    editor_client.force_login(editor)
    fields = open_card(editor_client, integration)

    assert viewer_client.get(object_url(integration), **HTMX).status_code == 403
    assert viewer_client.post(object_url(integration), fields).status_code == 403
    assert viewer_client.post(f"/integrations/{integration.pk}/edit/read/", {}).status_code == 403
    assert not Draft.objects.exists()


def test_every_error_rule_is_shown_by_the_forms_with_the_validators_message(
    project, editor, editor_client
):
    """Each ERROR example of Ampersand's rules, as a draft: the forms page (every read object
    opened) shows each of its errors' messages."""
    integration = reading(project)
    shown_rules = set()
    for rule, severity, invalid, _path, _valid in CASES:
        declared = yaml.safe_load(invalid.replace("# <-", ""))
        entries = declared.get("integrations") if isinstance(declared, dict) else None
        if severity != Severity.ERROR or not isinstance(entries, list) or len(entries) != 1:
            continue  # not one integration: no draft can hold it
        content = {**entries[0], "name": integration.name}
        Draft.objects.filter(user=editor).delete()
        draft = Draft.start(integration, editor)
        # As typed in the amp.yaml view; the forms show what that text says.
        draft.take_amp_yaml(build_manifest_yaml([content]))
        errors = [
            issue
            for issue in validate_manifest(draft.amp_yaml()).issues
            if issue.severity == Severity.ERROR
        ]
        page = editor_client.get(f"/integrations/{integration.pk}/edit/").content.decode()
        for index, _ in enumerate(content.get("read", {}).get("objects", []) or []):
            page += editor_client.get(object_url(integration, index), **HTMX).content.decode()
        shown = html_module.unescape(page)
        for issue in errors:
            assert issue.message in shown, (rule, issue)
        shown_rules.update(issue.rule for issue in errors)
    assert len(shown_rules) >= 50, sorted(shown_rules)


def test_adding_a_field_without_a_name_says_so_beside_the_input(project, editor_client):
    integration = reading(project)
    fields = {**open_card(editor_client, integration), "action": "add-field", "r0n-new_field": ""}

    html = editor_client.post(object_url(integration), fields, **HTMX).content.decode()

    slot = re.search(r'<div id="read-0-add"[^>]*hx-swap-oob="true"[^>]*>(.*?)</div>', html, re.S)
    assert slot is not None
    assert "Type or pick the field to add." in slot.group(1)


def test_a_formset_count_with_an_empty_extra_row_saves_the_rows_it_has(
    project, editor, editor_client
):
    # A count above the rows sent (a stale page, a hand-made post) adds an empty extra row,
    # which Django leaves without cleaned values: it is no field, not a 500.
    integration = reading(project)
    fields = open_card(editor_client, integration)
    rows = int(fields["r0f-TOTAL_FORMS"])
    fields["r0f-TOTAL_FORMS"] = str(rows + 1)
    fields["r0-backfill"], fields["r0-backfill_days"] = "days", "7"

    answer = editor_client.post(object_url(integration), fields, **HTMX)

    assert answer.status_code == 200
    saved = saved_object(editor)
    assert saved["backfill"]["defaultPeriod"] == {"days": 7}
    before = integration.latest_snapshot.content["read"]["objects"][0]
    count = lambda obj: len(obj.get("requiredFields", [])) + len(obj.get("optionalFields", []))  # noqa: E731
    assert count(saved) == count(before) == rows
