"""Which customers a change touches (pure), among the installations ampdash keeps."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.utils import timezone

from integrations.deploy.blast_radius import (
    FIRST_NAMES_SHOWN,
    blast_radius,
    touched_installations,
)
from integrations.diff import diff_contents
from integrations.models import Installation, Project
from tests.integrations.conftest import integration_json, store_integration


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


def installation(name: str, **objects: dict[str, Any]) -> Installation:
    """A kept installation (unsaved) of the group `name` that selected `objects` to read."""
    return Installation(
        remote_id=f"inst-{name}",
        group_name=name,
        group_ref=name.lower(),
        config={"content": {"read": {"objects": objects}}},
    )


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
    writer = Installation(
        remote_id="i-1",
        group_ref="acme",
        config={"content": {"write": {"objects": {"account": {}}}}},
    )

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


def test_malformed_configs_are_ignored_and_installations_named_as_well_as_possible():
    new = content()
    del new["read"]["objects"][1]
    odd = [
        Installation(remote_id="i-1", config=None),
        Installation(remote_id="i-2", config={"content": {"read": {"objects": []}}}),
        Installation(remote_id="i-3", config="junk"),
    ]

    radius = touched_installations(diff_contents(content(), new), odd)

    assert radius.touched == []
    assert radius.installation_count == 3
    assert str(Installation(remote_id="i-9", group_name="")) == "i-9"


def test_an_unchanged_copy_touches_nobody():
    radius = touched_installations(
        diff_contents(content(), copy.deepcopy(content())), [installation("Acme")]
    )

    assert radius.touched == []
    assert radius.installation_count == 1


# --- the kept installations ---------------------------------------------------------------------


@pytest.fixture
def crm(db):
    project = Project.objects.create(
        # Nothing listens on port 9: a blast radius that asked the API would fail.
        name="demo",
        ampersand_project="demo",
        api_url="http://127.0.0.1:9/v1",
    )
    defined = content()
    return store_integration(
        project, integration_json("crm", read=defined["read"], write=defined["write"])
    )


def keep(integration, kept: Installation, *, removed: bool = False) -> None:
    now = timezone.now()
    kept.project_id = integration.project_id
    kept.integration = integration
    kept.config_hash = kept.remote_id
    kept.first_seen_at = kept.config_seen_at = kept.seen_changed_at = now
    kept.removed_at = now if removed else None
    kept.save()


def test_the_blast_radius_names_the_kept_installations_a_remapped_field_touches(crm):
    new = content()
    new["read"]["objects"][0]["requiredFields"][1]["mapToName"] = "accountName"
    keep(crm, installation("Acme", account=account("Id", "Name")))
    keep(crm, installation("Bluth", account=account("Name")))
    keep(crm, installation("Globex", account=account("Id")))
    keep(crm, installation("Gone", account=account("Name")), removed=True)

    radius = blast_radius(diff_contents(content(), new), crm.pk)

    assert [customer.name for customer in radius.touched] == ["Acme", "Bluth"]
    assert radius.installation_count == 3
    assert radius.unknown_for is None


def test_the_blast_radius_of_an_integration_never_synced_is_unknown(crm):
    new = content()
    del new["read"]["objects"][1]

    radius = blast_radius(diff_contents(content(), new), crm.pk)

    assert radius.unknown_for == crm.pk
    assert radius.reasons
    assert radius.touched == []


def test_an_integration_whose_installations_were_all_removed_touches_nobody(crm):
    new = content()
    del new["read"]["objects"][1]
    keep(crm, installation("Gone", contact={}), removed=True)

    radius = blast_radius(diff_contents(content(), new), crm.pk)

    assert radius.unknown_for is None
    assert (radius.touched, radius.installation_count) == ([], 0)


def test_a_change_that_takes_nothing_reads_no_installation(crm, django_assert_num_queries):
    new = content()
    new["read"]["objects"][0]["schedule"] = "0 * * * *"

    with django_assert_num_queries(0):
        radius = blast_radius(diff_contents(content(), new), crm.pk)

    assert (radius.reasons, radius.unknown_for) == ([], None)
