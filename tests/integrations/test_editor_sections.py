"""The editor's write, subscribe and schema watch sections, saved to the draft as typed
(emulator, the demo's full set of integrations)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from integrations.forms import SubscribeEditor, WriteEditor
from integrations.models import Draft
from integrations.sync import sync_project
from tests.integrations.conftest import connected_project, seed_remote
from tests.integrations.test_editor import HTMX
from tests.integrations.test_editor_forms import card_fields


@pytest.fixture
def project(emulator_api):
    project = connected_project(seed_remote(emulator_api, integrations=24, seed=7))
    sync_project(project=project)
    return project


def named(project, name: str):
    return project.integrations.select_related("latest_snapshot").get(name=name)


def section_url(integration, section: str) -> str:
    return f"/integrations/{integration.pk}/edit/{section}/"


def section_html(html: str, section_id: str) -> str:
    match = re.search(
        rf'<section class="editor-form-card" id="{section_id}">(.*?)</section>', html, re.S
    )
    assert match, f"no section {section_id}"
    return match.group(1)


def section_fields(client, integration, section_id: str) -> dict[str, str]:
    """What a browser would post from the section as the editor shows it."""
    page = client.get(f"/integrations/{integration.pk}/edit/").content.decode()
    return card_fields(section_html(page, section_id))


def slot(html: str, slot_id: str) -> str:
    match = re.search(rf'<div id="{slot_id}"[^>]*>(.*?)</div>', html, re.S)
    assert match, f"no slot {slot_id}"
    return match.group(1)


def draft_content(editor):
    return Draft.objects.get(user=editor).content


WRITING, SUBSCRIBING, WATCHING = (
    "hubspot-crm-writeback",
    "hubspot-deal-events",
    "salesforce-schema-watch",
)


def test_the_sections_show_what_the_provider_offers_and_what_the_content_has(
    project, editor_client
):
    writer = named(project, WRITING)
    proxy = named(project, "notion-workspace-proxy")

    page = editor_client.get(f"/integrations/{writer.pk}/edit/").content.decode()
    proxy_page = editor_client.get(f"/integrations/{proxy.pk}/edit/").content.decode()

    write = section_html(page, "write-objects")
    for obj in writer.latest_snapshot.content["write"]["objects"]:
        assert f'value="{obj["objectName"]}"' in write
    assert "No subscribe object yet" in section_html(page, "subscribe-objects")
    assert 'name="subscribe-new-object_name"' in page  # HubSpot subscribes: it may be added
    assert "Start watching the schema" in section_html(page, "watch-schema")
    assert "cannot write objects" in section_html(proxy_page, "write-objects")
    assert "cannot subscribe objects" in section_html(proxy_page, "subscribe-objects")
    assert "no schema to watch" in section_html(proxy_page, "watch-schema")
    assert not Draft.objects.exists()  # showing changes nothing


@pytest.mark.parametrize(
    ("name", "section", "section_id"),
    [
        (WRITING, "write", "write-objects"),
        (SUBSCRIBING, "subscribe", "subscribe-objects"),
        (WATCHING, "watch-schema", "watch-schema"),
    ],
)
def test_an_untouched_section_saves_the_content_as_it_was(
    project, editor, editor_client, name, section, section_id
):
    integration = named(project, name)
    fields = section_fields(editor_client, integration, section_id)

    answer = editor_client.post(section_url(integration, section), fields, **HTMX)

    assert answer.status_code == 200
    assert answer["HX-Reswap"] == "none"
    content = integration.latest_snapshot.content
    assert draft_content(editor) == content
    assert list(draft_content(editor)) == list(content)


def test_a_write_setting_saves_as_typed_and_answers_only_the_slots(project, editor, editor_client):
    integration = named(project, WRITING)
    before = integration.latest_snapshot.content["write"]["objects"]
    fields = section_fields(editor_client, integration, "write-objects")
    assert fields.get("write-0-inherit_mapping") == "on", "the first write object inherits"
    del fields["write-0-inherit_mapping"]

    answer = editor_client.post(section_url(integration, "write"), fields, **HTMX)

    html = answer.content.decode()
    assert answer["HX-Reswap"] == "none"
    assert 'name="write-0-object_name"' not in html  # no input replaced
    assert "Saved at" in html
    after = draft_content(editor)["write"]["objects"]
    assert after[0] == {key: value for key, value in before[0].items() if key != "inheritMapping"}
    assert after[1:] == before[1:]


def test_write_objects_are_added_and_removed_by_the_sections_buttons(
    project, editor, editor_client
):
    integration = named(project, WRITING)
    before = integration.latest_snapshot.content["write"]["objects"]
    fields = section_fields(editor_client, integration, "write-objects")

    answer = editor_client.post(
        section_url(integration, "write"),
        {**fields, "write-new-object_name": "tickets", "action": "add"},
        **HTMX,
    )

    assert answer["HX-Retarget"] == "#write-objects"
    assert 'value="tickets"' in answer.content.decode()
    assert draft_content(editor)["write"]["objects"] == [*before, {"objectName": "tickets"}]

    fields = section_fields(editor_client, integration, "write-objects")
    editor_client.post(section_url(integration, "write"), {**fields, "action": "remove:0"}, **HTMX)

    assert draft_content(editor)["write"]["objects"] == [*before[1:], {"objectName": "tickets"}]


def test_write_objects_are_reordered_by_the_sections_buttons(project, editor, editor_client):
    integration = named(project, WRITING)
    before = integration.latest_snapshot.content["write"]["objects"]
    assert len(before) >= 2
    fields = section_fields(editor_client, integration, "write-objects")
    html = editor_client.get(f"/integrations/{integration.pk}/edit/").content.decode()
    first, last = before[0]["objectName"], before[-1]["objectName"]
    assert f'aria-label="Move up: {first}"' not in html  # nowhere to go
    assert f'aria-label="Move down: {last}"' not in html
    assert f'aria-label="Move down: {first}"' in html

    answer = editor_client.post(
        section_url(integration, "write"), {**fields, "action": "up:1"}, **HTMX
    )

    assert answer["HX-Retarget"] == "#write-objects"
    assert draft_content(editor)["write"]["objects"] == [before[1], before[0], *before[2:]]
    # Without JavaScript too; a move past the end changes nothing.
    fields = section_fields(editor_client, integration, "write-objects")
    editor_client.post(section_url(integration, "write"), {**fields, "action": "down:0"})
    assert draft_content(editor)["write"]["objects"] == before
    fields = section_fields(editor_client, integration, "write-objects")
    last_index = len(before) - 1
    editor_client.post(
        section_url(integration, "write"), {**fields, "action": f"down:{last_index}"}
    )
    assert draft_content(editor)["write"]["objects"] == before


def test_removing_the_last_write_object_removes_write(project, editor, editor_client):
    integration = named(project, WRITING)
    for _ in integration.latest_snapshot.content["write"]["objects"]:
        fields = section_fields(editor_client, integration, "write-objects")
        editor_client.post(section_url(integration, "write"), {**fields, "action": "remove:0"})

    assert "write" not in draft_content(editor)
    page = editor_client.get(f"/integrations/{integration.pk}/edit/").content.decode()
    assert "No write object yet" in section_html(page, "write-objects")


def test_adding_an_object_twice_is_refused_next_to_the_add_form(project, editor_client):
    integration = named(project, WRITING)
    fields = section_fields(editor_client, integration, "write-objects")
    existing = fields["write-0-object_name"]

    answer = editor_client.post(
        section_url(integration, "write"),
        {**fields, "write-new-object_name": existing, "action": "add"},
        **HTMX,
    )

    assert answer["HX-Reswap"] == "none"
    assert "already a write object" in slot(answer.content.decode(), "write-add")
    assert not Draft.objects.exists()


def test_a_subscribe_object_without_inherited_fields_shows_the_validators_error_next_to_it(
    project, editor, editor_client
):
    integration = named(project, SUBSCRIBING)
    fields = section_fields(editor_client, integration, "subscribe-objects")
    del fields["subscribe-0-inherit_fields_and_mapping"]

    html = editor_client.post(
        section_url(integration, "subscribe"), fields, **HTMX
    ).content.decode()

    assert "subscribe-inherit-fields-required" in slot(
        html, "subscribe-0-inherit_fields_and_mapping"
    )
    assert "inheritFieldsAndMapping" not in draft_content(editor)["subscribe"]["objects"][0]


def test_watch_fields_typed_as_a_list_are_saved_and_both_kinds_are_refused_by_the_validator(
    project, editor, editor_client
):
    integration = named(project, SUBSCRIBING)
    fields = section_fields(editor_client, integration, "subscribe-objects")
    fields.update(
        {
            "subscribe-0-update_event": "on",
            "subscribe-0-watch_fields_auto": "all",
            "subscribe-0-required_watch_fields": "dealname, amount,\nclosedate",
        }
    )

    html = editor_client.post(
        section_url(integration, "subscribe"), fields, **HTMX
    ).content.decode()

    update = draft_content(editor)["subscribe"]["objects"][0]["updateEvent"]
    assert update["requiredWatchFields"] == ["dealname", "amount", "closedate"]
    assert update["watchFieldsAuto"] == "all"
    assert "update-event-watch-fields-exclusive" in slot(html, "subscribe-0-watch_fields_auto")


def test_a_subscribe_object_is_added_for_a_read_object(project, editor, editor_client):
    integration = named(project, WRITING)
    read_name = integration.latest_snapshot.content["read"]["objects"][0]["objectName"]
    page = editor_client.get(f"/integrations/{integration.pk}/edit/").content.decode()
    add = re.search(r'<select name="subscribe-new-object_name"[^>]*>(.*?)</select>', page, re.S)
    assert add, "HubSpot's read objects are offered"
    assert f'value="{read_name}"' in add.group(1)
    fields = card_fields(section_html(page, "subscribe-objects"))

    answer = editor_client.post(
        section_url(integration, "subscribe"),
        {
            **fields,
            "subscribe-new-object_name": read_name,
            "subscribe-new-destination": "crmWebhook",
            "action": "add",
        },
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"/integrations/{integration.pk}/edit/#subscribe-objects"
    assert draft_content(editor)["subscribe"] == {
        "objects": [
            {"objectName": read_name, "destination": "crmWebhook", "inheritFieldsAndMapping": True}
        ]
    }
    content = draft_content(editor)
    assert list(content).index("subscribe") > list(content).index("write")


def test_a_schema_watch_too_often_is_saved_with_the_validators_error_next_to_its_schedule(
    project, editor, editor_client
):
    integration = named(project, WATCHING)
    fields = section_fields(editor_client, integration, "watch-schema")
    fields["watch-schedule"] = "*/10 * * * *"

    html = editor_client.post(
        section_url(integration, "watch-schema"), fields, **HTMX
    ).content.decode()

    schedule = slot(html, "watch-schema-schedule")
    assert "error" in schedule
    assert "every 10 minutes" in schedule.lower()
    assert draft_content(editor)["watchSchema"]["schedule"] == "*/10 * * * *"


def test_a_schema_watch_is_started_and_stopped(project, editor, editor_client):
    integration = named(project, WRITING)
    fields = section_fields(editor_client, integration, "watch-schema")
    fields["watch-destination"] = "schemaWatchStream"
    del fields["watch-field_changed"]

    answer = editor_client.post(
        section_url(integration, "watch-schema"), {**fields, "action": "add"}, **HTMX
    )

    assert answer["HX-Retarget"] == "#watch-schema"
    assert draft_content(editor)["watchSchema"] == {
        "destination": "schemaWatchStream",
        "allObjects": {
            "fieldCreated": {"enabled": "always"},
            "fieldDeleted": {"enabled": "always"},
        },
    }
    fields = section_fields(editor_client, integration, "watch-schema")
    editor_client.post(section_url(integration, "watch-schema"), {**fields, "action": "remove"})

    assert draft_content(editor) == integration.latest_snapshot.content


def test_a_blank_object_name_is_a_form_error_and_nothing_is_saved(project, editor_client):
    integration = named(project, WRITING)
    fields = {
        **section_fields(editor_client, integration, "write-objects"),
        "write-0-object_name": "",
    }

    answer = editor_client.post(section_url(integration, "write"), fields, **HTMX)
    page = editor_client.post(section_url(integration, "write"), fields)

    assert "This field is required" in slot(answer.content.decode(), "write-0-object_name")
    assert page.status_code == 400
    assert "This field is required" in section_html(page.content.decode(), "write-objects")
    assert not Draft.objects.exists()


def test_a_section_drawn_from_another_list_of_objects_is_reloaded_not_saved(project, editor_client):
    integration = named(project, WRITING)
    fields = {**section_fields(editor_client, integration, "write-objects"), "section_key": "x"}

    answer = editor_client.post(section_url(integration, "write"), fields, **HTMX)

    assert answer["HX-Retarget"] == "#write-objects"
    assert not Draft.objects.exists()


def test_the_sections_refuse_to_rewrite_unreadable_text(project, editor, editor_client):
    integration = named(project, WRITING)
    fields = section_fields(editor_client, integration, "write-objects")
    editor_client.post(
        f"/integrations/{integration.pk}/edit/autosave/", {"text": "integrations: ["}, **HTMX
    )

    answer = editor_client.post(section_url(integration, "write"), fields, **HTMX)

    assert "cannot read" in slot(answer.content.decode(), "write-general")
    assert Draft.objects.get(user=editor).text == "integrations: ["


def test_a_viewer_may_not_use_the_sections(project, viewer_client, editor):
    integration = named(project, WRITING)
    editor_client = Client()
    editor_client.force_login(editor)
    fields = section_fields(editor_client, integration, "write-objects")

    for section in ("write", "subscribe", "watch-schema"):
        assert viewer_client.post(section_url(integration, section), fields).status_code == 403
    assert not Draft.objects.exists()


@pytest.mark.parametrize("editor_class", [WriteEditor, SubscribeEditor])
def test_every_field_of_a_row_is_shown_in_one_group(editor_class):
    shown = [name for _, names in editor_class.groups for name in names]

    assert sorted(shown) == sorted(editor_class.slot_paths)
    assert sorted(shown) == sorted(editor_class.row_form.base_fields)
