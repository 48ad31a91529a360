from __future__ import annotations

import pytest

from integrations.models import Installation
from integrations.presenters import (
    field_count,
    field_rows,
    find_uses,
    installation_difference_count,
    installation_differences,
    present_content,
    readable_field_name,
)

ACCOUNT = {
    "objectName": "account",
    "destination": "crmWebhook",
    "schedule": "*/30 * * * *",
    "mapToName": "company",
    "mapToDisplayName": "Company",
    "requiredFields": [
        {"fieldName": "Id"},
        {
            "mapToName": "externalId",
            "mapToDisplayName": "External ID",
            "prompt": "Which field?",
            "default": "Id",
        },
    ],
    "optionalFields": [
        {
            "fieldName": "$['address']['city']",
            "mapToName": "address_city",
            "mapToDisplayName": "Address city",
        },
        {"fieldName": "BillingCity", "mapToName": "billing_city"},
        {"fieldName": "Industry"},
    ],
    "optionalFieldsAuto": "all",
    "backfill": {"defaultPeriod": {"days": 30}},
    "delivery": {"mode": "onRequest", "pageSize": 200},
    "enabled": "always",
}
CONTACT = {
    "objectName": "contact",
    "destination": "crmWebhook",
    "schedule": "0 9 * * 1-5",
    "requiredFields": [{"fieldName": "Email"}],
    "backfill": {"defaultPeriod": {"fullHistory": True}},
}
CONTENT = {
    "name": "crm-sync",
    "provider": "salesforce",
    "module": "crm",
    "read": {"objects": [ACCOUNT, CONTACT]},
    "write": {
        "objects": [
            {
                "objectName": "account",
                "inheritMapping": True,
                "valueDefaults": {"allowAnyFields": True},
            },
            {"objectName": "contact"},
            {"objectName": "lead", "inheritMapping": True},
        ]
    },
    "subscribe": {
        "objects": [
            {
                "objectName": "account",
                "destination": "eventsWebhook",
                "inheritFieldsAndMapping": True,
                "createEvent": {"enabled": "always"},
                "updateEvent": {"enabled": "always", "requiredWatchFields": ["Industry", "Id"]},
                "deleteEvent": {"enabled": "always"},
                "associationChangeEvent": {"enabled": "always", "includeFullRecords": True},
                "otherEvents": ["object.merged"],
            },
            {
                "objectName": "contact",
                "destination": "eventsWebhook",
                "updateEvent": {"enabled": "always", "watchFieldsAuto": "all"},
            },
        ]
    },
    "proxy": {"enabled": True, "useModule": False},
    "watchSchema": {
        "destination": "schemaWebhook",
        "schedule": "0 */6 * * *",
        "allObjects": {
            "fieldCreated": {"enabled": "always"},
            "fieldDeleted": {"enabled": "always"},
        },
    },
}


@pytest.mark.parametrize(
    ("name", "readable"),
    [
        ("$['address']['city']", "address \u203a city"),
        ('$["properties"]["Property 7"]', "properties \u203a Property 7"),
        ("$.address.city", "address \u203a city"),
        ("$['lines'][0]['sku']", "lines \u203a 0 \u203a sku"),
        ("$['it\\'s']", "it's"),
        ("BillingCity", "BillingCity"),
        ("$", "$"),
        ("$['unterminated", "$['unterminated"),
        ("$['a']junk", "$['a']junk"),
        ("", ""),
    ],
)
def test_json_path_names_read_as_their_steps(name, readable):
    assert readable_field_name(name) == readable


def test_read_card_describes_the_object():
    card = present_content(CONTENT).read[0]

    assert card.object_name == "account"
    assert (card.map_to_name, card.map_to_display_name) == ("company", "Company")
    assert card.destination == "crmWebhook"
    assert (card.schedule, card.schedule_text) == ("*/30 * * * *", "every 30 minutes")
    assert card.delivery_text == "on request, pages of 200 records"
    assert card.enabled_text == "always"
    assert card.always_enabled
    assert card.backfill_text == "last 30 days"
    assert card.optional_fields_auto.startswith("all")
    assert (card.required_count, card.optional_count, card.user_picked_count) == (2, 3, 1)


def test_read_card_defaults_when_settings_are_absent():
    card = present_content(CONTENT).read[1]

    assert card.schedule_text == "at 09:00 on weekdays"
    assert card.delivery_text == "automatic (default)"
    assert card.enabled_text == "when the customer turns it on"
    assert not card.always_enabled
    assert card.backfill_text == "full history"
    assert card.optional_fields_auto == ""


def test_field_rows_keep_order_and_tell_fixed_from_user_picked_fields():
    rows = present_content(CONTENT).read[0].fields

    assert [(row.required, row.user_picked, row.field_name) for row in rows] == [
        (True, False, "Id"),
        (True, True, ""),
        (False, False, "$['address']['city']"),
        (False, False, "BillingCity"),
        (False, False, "Industry"),
    ]
    picked = rows[1]
    assert (picked.map_to_name, picked.prompt, picked.default) == (
        "externalId",
        "Which field?",
        "Id",
    )
    nested = rows[2]
    assert nested.field_is_path
    assert nested.field_label == "address \u203a city"
    assert nested.destination_name == "address_city"
    assert rows[4].destination_name == "Industry"
    assert not rows[4].is_mapped


@pytest.mark.parametrize(
    "obj",
    [
        CONTENT["read"]["objects"][0],
        {},
        {"requiredFields": "not a list", "optionalFields": [None, 3, {"fieldName": "x"}]},
        {"requiredFields": [{}, {"mapToName": "picked"}], "optionalFields": None},
    ],
)
def test_field_count_counts_the_rows_field_rows_gives(obj):
    assert field_count(obj) == len(field_rows(obj))


def test_write_card_lists_the_read_mappings_it_inherits():
    account, contact, lead = present_content(CONTENT).write

    assert account.inherit_mapping is True
    assert account.allow_any_fields is True
    assert [row.map_to_name for row in account.inherited] == [
        "externalId",
        "address_city",
        "billing_city",
    ]
    assert contact.inherit_mapping is None
    assert contact.inherited == ()
    assert contact.read_object_found
    assert lead.inherit_mapping is True
    assert not lead.read_object_found
    assert lead.inherited == ()


def test_subscribe_cards_describe_each_event():
    view = present_content(CONTENT)
    account, contact = view.subscribe

    assert account.inherit_fields_and_mapping is True
    assert [(event.label, event.enabled, event.details) for event in account.events] == [
        ("create", "always", ()),
        ("update", "always", ("watches Industry, Id",)),
        ("delete", "always", ()),
        ("association change", "always", ("with full records",)),
    ]
    assert account.other_events == ("object.merged",)
    assert [(event.label, event.details) for event in contact.events] == [
        ("update", ("watches every field",))
    ]
    assert contact.inherit_fields_and_mapping is None


def test_watch_schema_and_proxy():
    view = present_content(CONTENT)

    assert view.watch_schema.destination == "schemaWebhook"
    assert view.watch_schema.schedule_text == "every 6 hours"
    assert [(event.label, event.enabled) for event in view.watch_schema.events] == [
        ("field created", "always"),
        ("field deleted", "always"),
    ]
    assert (view.proxy.enabled, view.proxy.use_module) == (True, False)
    assert view.module == "crm"
    assert view.field_count == 6


def test_empty_content_presents_nothing():
    view = present_content({"name": "bare", "provider": "hubspot"})

    assert (view.read, view.write, view.subscribe) == ((), (), ())
    assert view.watch_schema is None
    assert view.proxy is None


@pytest.mark.parametrize(
    "content",
    [
        None,
        "text",
        {"read": "nope"},
        {"read": {"objects": "nope"}},
        {"read": {"objects": [None, 3, {"objectName": 7, "requiredFields": [None, "x", {}]}]}},
        {"read": {"objects": [{"schedule": 5, "backfill": [], "delivery": "fast"}]}},
        {
            "write": {"objects": [{"valueDefaults": "x"}]},
            "subscribe": {"objects": [{"updateEvent": 1}]},
        },
        {"watchSchema": {"allObjects": {"fieldCreated": None}}, "proxy": []},
    ],
)
def test_malformed_content_never_raises(content):
    view = present_content(content)
    assert isinstance(view.field_count, int)
    assert find_uses(content, field_name="x", map_to_name="y") == []


def test_find_uses_by_provider_field_includes_user_picked_defaults():
    uses = find_uses(CONTENT, field_name="Id")

    assert [(use.object_name, use.how) for use in uses] == [
        ("account", "reads it"),
        ("account", "default of a user-picked mapping"),
    ]


def test_find_uses_by_mapped_name_counts_unrenamed_fields_under_their_own_name():
    assert [use.row.field_name for use in find_uses(CONTENT, map_to_name="billing_city")] == [
        "BillingCity"
    ]
    assert [use.row.field_name for use in find_uses(CONTENT, map_to_name="Email")] == ["Email"]
    assert find_uses(CONTENT, map_to_name="BillingCity") == []


def _installation(read_objects, **extra):
    return {
        "id": "inst-1",
        "group": {"groupName": "Acme", "groupRef": "acme-1"},
        "healthStatus": "unhealthy",
        "lastOperationStatus": "in_progress",
        "createTime": "2026-01-06T10:00:00Z",
        "createdBy": "consumer:alice",
        "config": {"content": {"provider": "salesforce", "read": {"objects": read_objects}}},
        **extra,
    }


AS_DEFINED = {
    "account": {
        "objectName": "account",
        "schedule": "*/30 * * * *",
        "destination": "crmWebhook",
        "selectedFields": {
            f: True for f in ("Id", "$['address']['city']", "BillingCity", "Industry")
        },
        "selectedFieldMappings": {
            "externalId": "Id",
            "address_city": "$['address']['city']",
            "billing_city": "BillingCity",
        },
        "backfill": {"defaultPeriod": {"days": 30}},
    },
    "contact": {
        "objectName": "contact",
        "selectedFields": {"Email": True},
        "selectedFieldMappings": {},
        "backfill": {"defaultPeriod": {"fullHistory": True}},
    },
}


def test_a_kept_installation_shows_its_health_and_operation_as_badges():
    installation = Installation(health_status="unhealthy", last_operation_status="in_progress")

    assert (installation.health_status, installation.health_badge) == ("unhealthy", "bad")
    assert (installation.last_operation_label, installation.last_operation_badge) == (
        "in progress",
        "info",
    )
    assert installation_differences(CONTENT, _installation(AS_DEFINED)["config"]["content"]) == ()


def test_installation_differences_name_every_choice_that_differs():
    account = {
        **AS_DEFINED["account"],
        "schedule": "0 * * * *",
        "selectedFields": {"Id": True, "BillingCity": True, "Industry": False, "Custom__c": True},
        "selectedFieldMappings": {
            "externalId": "Custom__c",
            "billing_city": "ShippingCity",
            "extra": "$['x']['y']",
        },
        "backfill": {"defaultPeriod": {"fullHistory": True}},
        "disabled": True,
    }
    config = {
        "read": {"objects": {"account": account, "opportunity": {"objectName": "opportunity"}}}
    }

    differences = {d.object_name: d.lines for d in installation_differences(CONTENT, config)}

    assert differences == {
        "account": (
            "turned off",
            "schedule every hour (0 * * * *) instead of every 30 minutes",
            "backfill full history instead of last 30 days",
            "optional fields left out: address \u203a city, Industry",
            "extra fields selected: Custom__c",
            "External ID mapped from Custom__c instead of the default Id",
            "billing_city mapped from ShippingCity instead of BillingCity",
            "extra mapping: extra from x \u203a y",
        ),
        "contact": ("not selected",),
        "opportunity": ("not in the integration's definition",),
    }


def test_a_required_user_picked_mapping_left_empty_is_a_difference():
    account = {**AS_DEFINED["account"], "selectedFieldMappings": {}}
    config = {"read": {"objects": {**AS_DEFINED, "account": account}}}

    (difference,) = installation_differences(CONTENT, config)

    assert difference.lines == ("no field picked for External ID",)


@pytest.mark.parametrize(
    "config",
    [
        None,
        {"read": {"objects": AS_DEFINED}},
        {
            "read": {
                "objects": {**AS_DEFINED, "account": {**AS_DEFINED["account"], "disabled": True}}
            }
        },
        {"read": {"objects": {"account": AS_DEFINED["account"], "other": {}}}},
        {"read": {"objects": {**AS_DEFINED, "contact": {"selectedFieldMappings": {"a": "b"}}}}},
    ],
)
def test_the_difference_count_is_the_number_of_objects_named(config):
    named = installation_differences(CONTENT, config)

    assert installation_difference_count(CONTENT, config) == len(named)


@pytest.mark.parametrize("config_content", [None, {}, "x", _installation("x")["config"]["content"]])
def test_a_malformed_config_never_raises(config_content):
    differences = installation_differences(CONTENT, config_content)
    assert [(d.object_name, d.lines) for d in differences] == [
        ("account", ("not selected",)),
        ("contact", ("not selected",)),
    ]
