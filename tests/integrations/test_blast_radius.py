"""Which customers a change touches (pure), and the preview that names them (emulator)."""

from __future__ import annotations

import copy
from typing import Any

from integrations.deploy.blast_radius import (
    FIRST_NAMES_SHOWN,
    installation_name,
    touched_installations,
)
from integrations.diff import diff_contents


def content() -> dict[str, Any]:
    return {
        "name": "crm",
        "provider": "salesforce",
        "read": {
            "objects": [
                {
                    "objectName": "account",
                    "destination": "defaultWebhook",
                    "requiredFields": [{"fieldName": "Id"}, {"fieldName": "Name"}],
                    "optionalFields": [
                        {"fieldName": "Phone", "mapToName": "phone"},
                        {"mapToName": "industry", "default": "Industry"},
                    ],
                },
                {"objectName": "contact", "destination": "defaultWebhook"},
            ]
        },
        "write": {"objects": [{"objectName": "account"}]},
    }


def installation(name: str, **objects: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"inst-{name}",
        "group": {"groupName": name, "groupRef": name.lower()},
        "config": {"content": {"read": {"objects": objects}}},
    }


def account(*fields: str, **mappings: str) -> dict[str, Any]:
    return {"selectedFields": dict.fromkeys(fields, True), "selectedFieldMappings": mappings}


def test_a_removed_read_object_touches_those_who_selected_it():
    new = content()
    del new["read"]["objects"][1]
    customers = [
        installation("Acme", account=account("Id"), contact={}),
        installation("Globex", account=account("Id")),
    ]

    radius = touched_installations(diff_contents(content(), new), customers)

    assert [customer.name for customer in radius.touched] == ["Acme"]
    assert radius.touched[0].reasons == ("read object contact removed",)
    assert radius.installation_count == 2


def test_a_removed_field_touches_only_those_who_selected_the_field():
    new = content()
    new["read"]["objects"][0]["optionalFields"].pop(0)  # Phone
    customers = [
        installation("Acme", account=account("Id", "Phone", phone="Phone")),
        installation("Globex", account=account("Id", "Name")),
    ]

    radius = touched_installations(diff_contents(content(), new), customers)

    assert [customer.name for customer in radius.touched] == ["Acme"]


def test_a_remapped_field_touches_those_who_selected_it():
    new = content()
    new["read"]["objects"][0]["requiredFields"][1]["mapToName"] = "accountName"
    customers = [installation("Acme", account=account("Id", "Name")), installation("Initech")]

    radius = touched_installations(diff_contents(content(), new), customers)

    assert [customer.name for customer in radius.touched] == ["Acme"]
    assert "Name" in radius.touched[0].reasons[0]


def test_a_removed_user_picked_mapping_touches_those_who_mapped_it():
    new = content()
    new["read"]["objects"][0]["optionalFields"].pop(1)  # industry
    customers = [
        installation("Acme", account=account("Id", industry="Sector__c")),
        installation("Globex", account=account("Id")),
    ]

    radius = touched_installations(diff_contents(content(), new), customers)

    assert [customer.name for customer in radius.touched] == ["Acme"]


def test_a_removed_write_object_touches_those_who_write_it():
    new = content()
    del new["write"]
    writer = {
        "id": "i-1",
        "group": {"groupRef": "acme"},
        "config": {"content": {"write": {"objects": {"account": {}}}}},
    }

    radius = touched_installations(diff_contents(content(), new), [writer, installation("Globex")])

    assert [customer.name for customer in radius.touched] == ["acme"]


def test_additions_and_setting_changes_touch_nobody():
    new = content()
    new["read"]["objects"][0]["requiredFields"].append({"fieldName": "Website"})
    new["read"]["objects"][0]["schedule"] = "0 * * * *"
    customers = [installation("Acme", account=account("Id", "Name", "Phone"), contact={})]

    radius = touched_installations(diff_contents(content(), new), customers)

    assert radius.reasons == []
    assert radius.touched == []


def test_only_the_first_names_are_listed_with_a_count_of_the_rest():
    new = content()
    del new["read"]["objects"][1]
    customers = [installation(f"Customer {n}", contact={}) for n in range(FIRST_NAMES_SHOWN + 3)]

    radius = touched_installations(diff_contents(content(), new), customers)

    assert len(radius.first_touched) == FIRST_NAMES_SHOWN
    assert radius.more_touched == 3


def test_malformed_installations_are_ignored_and_named_as_well_as_possible():
    new = content()
    del new["read"]["objects"][1]
    odd = [{"config": None}, {"config": {"content": {"read": {"objects": []}}}}, "junk"]

    radius = touched_installations(
        diff_contents(content(), new), [o for o in odd if isinstance(o, dict)]
    )

    assert radius.touched == []
    assert installation_name({}) == "unnamed installation"
    assert installation_name({"id": "i-9", "group": {"groupName": ""}}) == "i-9"


def test_an_unchanged_copy_touches_nobody():
    radius = touched_installations(
        diff_contents(content(), copy.deepcopy(content())), [installation("Acme")]
    )

    assert radius.touched == []
    assert radius.installation_count == 1
