"""The editor's changes to an integration's content: pure, nothing else touched."""

from __future__ import annotations

import copy

import pytest

from integrations.ampersand.manifest import Severity, ValidationIssue
from integrations.editing import (
    Backfill,
    FieldRow,
    add_read_object,
    apply_read_object_settings,
    apply_subscribe_object_settings,
    apply_write_object_settings,
    move_row,
    new_subscribe_object,
    ordered,
    place_issues,
    read_object_settings,
    remove_read_object,
    row_path,
    section_objects,
    set_field_rows,
    set_integration,
    set_section_objects,
    set_watch_schema,
    subscribe_object_settings,
    watch_schema_settings,
    write_object_settings,
)
from integrations.presenters import field_rows

OBJECT = {
    "objectName": "contact",
    "destination": "crmWebhook",
    "schedule": "*/30 * * * *",
    "x-team-note": "kept as it is",
    "requiredFields": [
        {"fieldName": "email", "mapToName": "primary_email", "x-extra": 1},
        {"mapToName": "owner", "prompt": "Who owns it?", "default": "me"},
    ],
    "optionalFields": [{"fieldName": "phone"}],
    "backfill": {"defaultPeriod": {"days": 30}},
}
CONTENT = {"name": "crm", "provider": "hubspot", "read": {"objects": [OBJECT]}, "x-top": True}


def test_untouched_settings_and_rows_give_the_object_back_unchanged():
    settings = read_object_settings(OBJECT)

    changed = set_field_rows(apply_read_object_settings(OBJECT, settings), field_rows(OBJECT))

    assert changed == OBJECT
    assert list(changed) == list(OBJECT)


def test_backfill_full_history_replaces_the_days():
    settings = {**read_object_settings(OBJECT), "backfill": Backfill.FULL, "backfill_days": None}

    assert apply_read_object_settings(OBJECT, settings)["backfill"] == {
        "defaultPeriod": {"fullHistory": True}
    }


def test_backfill_none_on_an_object_without_one_adds_nothing():
    bare = {key: value for key, value in OBJECT.items() if key != "backfill"}
    settings = read_object_settings(bare)

    assert settings["backfill"] == Backfill.NONE
    assert "backfill" not in apply_read_object_settings(bare, {**settings, "schedule": "0 * * * *"})


def test_backfill_none_on_an_object_with_one_reads_zero_days():
    settings = {**read_object_settings(OBJECT), "backfill": Backfill.NONE}

    changed = apply_read_object_settings(OBJECT, settings)

    assert changed["backfill"] == {"defaultPeriod": {"days": 0}}


def test_a_cleared_setting_is_removed_and_a_new_one_goes_where_amp_yaml_files_have_it():
    settings = {
        **read_object_settings(OBJECT),
        "destination": "",
        "map_to_name": "people",
        "delivery_mode": "onRequest",
        "page_size": 100,
    }

    changed = apply_read_object_settings(OBJECT, settings)

    assert "destination" not in changed
    assert list(changed)[:4] == ["objectName", "schedule", "x-team-note", "mapToName"]
    assert changed["delivery"] == {"mode": "onRequest", "pageSize": 100}
    assert changed["x-team-note"] == "kept as it is"


def test_rows_keep_their_unknown_keys_when_re_mapped_and_moved_to_the_other_list():
    rows = field_rows(OBJECT)
    email = rows[0]
    moved = [
        FieldRow(**{**email.__dict__, "required": False, "map_to_name": "work_email"}),
        *rows[1:],
    ]

    changed = set_field_rows(OBJECT, ordered(moved))

    assert changed["requiredFields"] == [OBJECT["requiredFields"][1]]
    assert changed["optionalFields"] == [
        {"fieldName": "phone"},
        {"fieldName": "email", "mapToName": "work_email", "x-extra": 1},
    ]


def test_a_customer_picked_mapping_keeps_its_prompt_and_default():
    rows = field_rows(OBJECT)

    assert rows[1].field_name == ""
    assert (rows[1].prompt, rows[1].default) == ("Who owns it?", "me")
    assert set_field_rows(OBJECT, rows)["requiredFields"][1] == OBJECT["requiredFields"][1]


def test_rows_move_only_within_their_own_list():
    rows = field_rows(OBJECT)

    assert move_row(rows, 1, -1) == [rows[1], rows[0], rows[2]]
    assert move_row(rows, 1, 1) == rows  # the next row is optional
    assert move_row(rows, 0, -1) == rows


def test_row_paths_count_within_each_list():
    rows = field_rows(OBJECT)

    assert [row_path(rows, at) for at in range(3)] == [
        "requiredFields[0]",
        "requiredFields[1]",
        "optionalFields[0]",
    ]


def test_objects_are_added_and_removed_without_touching_the_rest():
    added = add_read_object(CONTENT, object_name="deal", destination="", schedule="0 * * * *")

    assert added["read"]["objects"][1] == {"objectName": "deal", "schedule": "0 * * * *"}
    assert remove_read_object(added, 1) == CONTENT
    assert CONTENT["read"]["objects"] == [OBJECT]  # the input is never changed


def test_the_integration_form_sets_display_name_module_and_proxy():
    original = copy.deepcopy(CONTENT)

    changed = set_integration(CONTENT, display_name="CRM", module="crm", proxy=True)

    assert list(changed)[:5] == ["name", "provider", "displayName", "module", "read"]
    assert changed["proxy"] == {"enabled": True}
    assert set_integration(changed, display_name="", module=None, proxy=False) == {
        **original,
        "module": "crm",
    }
    assert original == CONTENT


def issue(path: str) -> ValidationIssue:
    return ValidationIssue(Severity.ERROR, "rule", path, "message")


@pytest.mark.parametrize(
    ("path", "slot"),
    [
        ("integrations[0].read.objects[0].schedule", "schedule"),
        ("integrations[0].read.objects[0].backfill.defaultPeriod.days", "backfill"),
        ("integrations[0].read.objects[0].delivery.pageSize", "delivery.pageSize"),
        ("integrations[0].read.objects[0].delivery", "delivery"),
        ("integrations[0].read.objects[0].requiredFields[1].mapToName", "requiredFields[1]"),
        ("integrations[0].read.objects[0].requiredFields", "requiredFields"),
        ("integrations[0].read.objects[0]", ""),
        ("integrations[0].read.objects[0].somethingElse", ""),
    ],
)
def test_issues_go_to_the_slot_naming_the_most_of_their_path(path, slot):
    slots = ["schedule", "backfill", "delivery", "delivery.pageSize", "requiredFields"]
    slots += ["requiredFields[1]", "requiredFields[10]"]

    placed = place_issues([issue(path)], "integrations[0].read.objects[0]", slots)

    assert placed == {slot: [issue(path)]}


def test_issues_of_other_objects_are_not_placed():
    placed = place_issues(
        [issue("integrations[0].read.objects[10].schedule")],
        "integrations[0].read.objects[1]",
        ["schedule"],
    )

    assert placed == {}


# --- Write, subscribe and schema watch ---------------------------------------------------------

WRITE = {
    "objectName": "contact",
    "x-note": "kept",
    "inheritMapping": False,
    "valueDefaults": {"allowAnyFields": True, "x-more": 1},
}
SUBSCRIBE = {
    "objectName": "contact",
    "destination": "events",
    "inheritFieldsAndMapping": True,
    "x-note": "kept",
    "createEvent": {"enabled": "always"},
    "updateEvent": {"enabled": "always", "requiredWatchFields": ["email", 7], "x-u": 1},
    "associationChangeEvent": {"enabled": "always", "includeFullRecords": False},
    "otherEvents": ["object.merged"],
}
WATCH = {
    "x-first": 1,
    "destination": "schemaWatch",
    "schedule": "0 */6 * * *",
    "allObjects": {"fieldDeleted": {"enabled": "always", "x-e": 2}, "x-all": 3},
}
SECTIONS = {
    "name": "crm",
    "provider": "hubspot",
    "read": {"objects": [OBJECT]},
    "write": {"objects": [WRITE, "not an object"], "x-w": True},
    "proxy": {"enabled": True},
    "subscribe": {"objects": [SUBSCRIBE]},
    "watchSchema": WATCH,
}


def test_untouched_sections_give_the_content_back_unchanged_in_its_key_order():
    write = [apply_write_object_settings(obj, write_object_settings(obj)) for obj in WRITE_LIST]
    subscribe = [apply_subscribe_object_settings(SUBSCRIBE, subscribe_object_settings(SUBSCRIBE))]

    changed = set_section_objects(SECTIONS, "write", write)
    changed = set_section_objects(changed, "subscribe", subscribe)
    changed = set_watch_schema(changed, watch_schema_settings(WATCH))

    assert changed == SECTIONS
    assert list(changed) == list(SECTIONS)
    assert list(changed["subscribe"]["objects"][0]) == list(SUBSCRIBE)
    assert list(changed["watchSchema"]) == list(WATCH)


WRITE_LIST = SECTIONS["write"]["objects"]


def test_a_write_setting_changes_only_its_key():
    settings = write_object_settings(WRITE)

    inherit = apply_write_object_settings(WRITE, {**settings, "inherit_mapping": True})
    no_defaults = apply_write_object_settings(WRITE, {**settings, "allow_any_fields": False})

    assert inherit == {**WRITE, "inheritMapping": True}
    assert list(inherit) == list(WRITE)
    assert no_defaults == {**WRITE, "valueDefaults": {"x-more": 1}}
    bare = apply_write_object_settings({"objectName": "deal"}, {**settings, "object_name": "deal"})
    assert bare == {"objectName": "deal", "valueDefaults": {"allowAnyFields": True}}


def test_a_checkbox_cleared_removes_its_key_but_an_explicit_false_stays():
    settings = write_object_settings(WRITE)
    on = apply_write_object_settings(WRITE, {**settings, "inherit_mapping": True})

    off = apply_write_object_settings(on, {**settings, "inherit_mapping": False})

    assert "inheritMapping" not in off
    assert apply_write_object_settings(WRITE, settings)["inheritMapping"] is False


def test_subscribe_events_are_turned_on_and_off_keeping_their_other_keys():
    settings = subscribe_object_settings(SUBSCRIBE)

    changed = apply_subscribe_object_settings(
        SUBSCRIBE,
        {**settings, "create_event": False, "update_event": False, "delete_event": True},
    )

    assert "createEvent" not in changed
    assert changed["updateEvent"] == {"requiredWatchFields": ["email", 7], "x-u": 1}
    assert changed["deleteEvent"] == {"enabled": "always"}
    keys = list(changed)
    assert keys.index("deleteEvent") == keys.index("updateEvent") + 1  # where amp.yaml has it
    assert changed["x-note"] == "kept"


def test_watch_fields_are_written_as_typed_and_a_cleared_list_is_removed():
    settings = subscribe_object_settings(SUBSCRIBE)

    auto = apply_subscribe_object_settings(
        SUBSCRIBE, {**settings, "watch_fields_auto": "all", "required_watch_fields": []}
    )
    listed = apply_subscribe_object_settings(
        SUBSCRIBE, {**settings, "required_watch_fields": ["email", "phone"]}
    )

    assert auto["updateEvent"] == {"enabled": "always", "watchFieldsAuto": "all", "x-u": 1}
    assert listed["updateEvent"]["requiredWatchFields"] == ["email", "phone"]


def test_association_and_other_events():
    settings = subscribe_object_settings(SUBSCRIBE)

    changed = apply_subscribe_object_settings(
        SUBSCRIBE,
        {**settings, "include_full_records": True, "other_events": []},
    )
    off = apply_subscribe_object_settings(
        SUBSCRIBE, {**settings, "association_change_event": False}
    )

    assert changed["associationChangeEvent"] == {"enabled": "always", "includeFullRecords": True}
    assert "otherEvents" not in changed
    assert off["associationChangeEvent"] == {"includeFullRecords": False}


def test_a_new_subscribe_object_inherits_and_enables_no_event():
    assert new_subscribe_object("deal", "") == {
        "objectName": "deal",
        "inheritFieldsAndMapping": True,
    }
    assert list(new_subscribe_object("deal", "events")) == [
        "objectName",
        "destination",
        "inheritFieldsAndMapping",
    ]


def test_objects_of_a_section_are_set_and_the_section_goes_with_the_last_one():
    added = set_section_objects(CONTENT, "write", [{"objectName": "deal"}])
    removed = set_section_objects(SECTIONS, "subscribe", [])

    assert list(added) == ["name", "provider", "read", "x-top", "write"]
    assert section_objects(added, "write") == [{"objectName": "deal"}]
    assert "subscribe" not in removed
    assert set_section_objects(SECTIONS, "write", [])["write"] == {"x-w": True}
    assert set_section_objects({"write": {"objects": []}}, "write", []) == {
        "write": {"objects": []}
    }


def test_a_schema_watch_is_started_edited_and_stopped():
    started = set_watch_schema(
        CONTENT,
        {
            "destination": "schemaWatch",
            "schedule": "",
            "field_created": True,
            "field_deleted": False,
            "field_changed": True,
        },
    )
    settings = watch_schema_settings(WATCH)
    edited = set_watch_schema(
        SECTIONS, {**settings, "schedule": "", "field_deleted": False, "field_created": True}
    )

    assert list(started)[-1] == "watchSchema"  # after x-top: amp.yaml has it last
    assert started["watchSchema"] == {
        "destination": "schemaWatch",
        "allObjects": {
            "fieldCreated": {"enabled": "always"},
            "fieldChanged": {"enabled": "always"},
        },
    }
    assert edited["watchSchema"] == {
        "x-first": 1,
        "destination": "schemaWatch",
        "allObjects": {
            "fieldCreated": {"enabled": "always"},
            "fieldDeleted": {"x-e": 2},
            "x-all": 3,
        },
    }
    assert set_watch_schema(SECTIONS, None) == {
        key: value for key, value in SECTIONS.items() if key != "watchSchema"
    }
    assert SECTIONS["watchSchema"] is WATCH  # the input is never changed
    assert WATCH["schedule"] == "0 */6 * * *"
