from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from integrations.diff import (
    FIELD,
    FIELD_SETTING,
    OBJECT,
    SETTING,
    Change,
    IntegrationDiff,
    describe_backfill,
    diff_contents,
)


def read_object(name: str = "account", **overrides: Any) -> dict[str, Any]:
    return {
        "objectName": name,
        "destination": "accountWebhook",
        "schedule": "*/10 * * * *",
        "requiredFields": [{"fieldName": "Id"}],
        "optionalFields": [],
        **overrides,
    }


def write_object(name: str = "account", **overrides: Any) -> dict[str, Any]:
    return {"objectName": name, "inheritMapping": True, **overrides}


def subscribe_object(name: str = "account", **overrides: Any) -> dict[str, Any]:
    return {
        "objectName": name,
        "destination": "accountEvents",
        "createEvent": {"enabled": "always"},
        **overrides,
    }


def content(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "readAccounts",
        "provider": "salesforce",
        "displayName": "Salesforce Accounts",
        "module": "crm",
        **overrides,
    }


def with_read(*objects: dict[str, Any]) -> dict[str, Any]:
    return content(read={"objects": list(objects)})


def only_change(old: Any, new: Any) -> Change:
    diff = diff_contents(old, new)
    assert len(diff.changes) == 1, [change.summary for change in diff.changes]
    return diff.changes[0]


def assert_change(change: Change, kind: str, path: str, old: Any, new: Any, summary: str) -> None:
    assert (change.kind, change.path, change.old, change.new, change.summary) == (
        kind,
        path,
        old,
        new,
        summary,
    )


# -- no change ---------------------------------------------------------------------------------


def test_identical_contents_give_an_empty_diff() -> None:
    full = content(
        read={"objects": [read_object(backfill={"defaultPeriod": {"days": 30}})]},
        write={"objects": [write_object()]},
        subscribe={"objects": [subscribe_object()]},
        proxy={"enabled": True},
        watchSchema={"destination": "schemaWatch", "allObjects": {}},
        somethingNew={"a": [1, 2]},
    )

    diff = diff_contents(full, copy.deepcopy(full))

    assert diff.is_empty
    assert diff.changes == []
    assert diff.summary_line() == "no change"
    assert diff.by_section() == {}
    assert diff.by_read_object() == {}


def test_key_order_does_not_matter() -> None:
    old = with_read(read_object(delivery={"mode": "auto", "pageSize": 100}))
    reordered = {key: old[key] for key in reversed(old)}
    reordered["read"] = {
        "objects": [dict(reversed(read_object(delivery={"pageSize": 100, "mode": "auto"}).items()))]
    }

    assert diff_contents(old, reordered).is_empty


@pytest.mark.parametrize(
    ("old_value", "new_value", "changed"),
    [
        (True, 1, True),  # true is not 1 in JSON
        (1, 1.0, False),  # one number, written two ways
        ([1, {"a": 1, "b": None}], [1, {"b": None, "a": 1}], False),
        ([1, 2], (1, 2), False),
        (None, float("nan"), True),  # orjson writes NaN as null too
        (None, float("inf"), True),
        ({"1": "x"}, {1: "x"}, True),  # a YAML key may be a number
        ("\ud800", "\ud800", False),  # a lone surrogate from a YAML escape
        ("\ud800", "\udc00", True),
    ],
)
def test_sameness_is_json_sameness(old_value: Any, new_value: Any, changed: bool) -> None:
    old = with_read(read_object(delivery={"pageSize": {"x": old_value}}))
    new = with_read(read_object(delivery={"pageSize": {"x": new_value}}))

    assert diff_contents(old, new).is_empty is not changed


def test_reordering_objects_and_fields_is_not_a_change() -> None:
    old = with_read(
        read_object("account", requiredFields=[{"fieldName": "Id"}, {"fieldName": "Name"}]),
        read_object("contact"),
    )
    new = with_read(
        read_object("contact"),
        read_object("account", requiredFields=[{"fieldName": "Name"}, {"fieldName": "Id"}]),
    )

    assert diff_contents(old, new).is_empty


def test_true_and_one_are_different_values() -> None:
    change = only_change(content(proxy={"enabled": True}), content(proxy={"enabled": 1}))

    assert_change(
        change, "changed", "proxy.enabled", True, 1, "proxy enabled changed to 1 (was true)"
    )


# -- integration level -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "old_value", "new_value", "summary"),
    [
        (
            "displayName",
            "SF Accounts",
            "Salesforce Accounts",
            'display name changed to "Salesforce Accounts" (was "SF Accounts")',
        ),
        ("module", "crm", "marketing", "module changed to marketing (was crm)"),
        ("provider", "salesforce", "hubspot", "provider changed to hubspot (was salesforce)"),
        ("name", "readAccounts", "syncAccounts", "name changed to syncAccounts (was readAccounts)"),
    ],
)
def test_integration_level_setting_changed(
    key: str, old_value: str, new_value: str, summary: str
) -> None:
    change = only_change(content(**{key: old_value}), content(**{key: new_value}))

    assert_change(change, "changed", key, old_value, new_value, summary)
    assert change.section == "integration"


def test_display_name_added_and_removed() -> None:
    without = content()
    del without["displayName"]

    added = only_change(without, content())
    removed = only_change(content(), without)

    assert_change(
        added,
        "added",
        "displayName",
        None,
        "Salesforce Accounts",
        'display name set to "Salesforce Accounts"',
    )
    assert_change(
        removed,
        "removed",
        "displayName",
        "Salesforce Accounts",
        None,
        'display name removed (was "Salesforce Accounts")',
    )


# -- proxy ------------------------------------------------------------------------------------


def test_proxy_enabled_changed() -> None:
    change = only_change(content(proxy={"enabled": True}), content(proxy={"enabled": False}))

    assert_change(
        change, "changed", "proxy.enabled", True, False, "proxy enabled changed to false (was true)"
    )
    assert change.section == "proxy"


def test_proxy_use_module_added() -> None:
    change = only_change(
        content(proxy={"enabled": True}), content(proxy={"enabled": True, "useModule": True})
    )

    assert_change(change, "added", "proxy.useModule", None, True, "proxy useModule set to true")


def test_proxy_added_and_removed_whole() -> None:
    proxy = {"enabled": True, "useModule": False}

    added = only_change(content(), content(proxy=proxy))
    removed = only_change(content(proxy=proxy), content())

    assert_change(
        added, "added", "proxy", None, proxy, "proxy added ({enabled: true, useModule: false})"
    )
    assert_change(removed, "removed", "proxy", proxy, None, "proxy removed")


# -- watchSchema -------------------------------------------------------------------------------


def watch(**overrides: Any) -> dict[str, Any]:
    return {"destination": "schemaWatch", "schedule": "0 */24 * * *", "allObjects": {}, **overrides}


@pytest.mark.parametrize(
    ("key", "label", "old_value", "new_value"),
    [
        ("destination", "destination", "schemaWatch", "schemaAlerts"),
        ("schedule", "schedule", "0 */24 * * *", "0 */6 * * *"),
    ],
)
def test_watch_schema_setting_changed(key: str, label: str, old_value: str, new_value: str) -> None:
    change = only_change(
        content(watchSchema=watch()), content(watchSchema=watch(**{key: new_value}))
    )

    assert_change(
        change,
        "changed",
        f"watchSchema.{key}",
        old_value,
        new_value,
        f"schema watch {label} changed to {new_value} (was {old_value})",
    )
    assert change.section == "watchSchema"


@pytest.mark.parametrize(
    ("event", "label"),
    [
        ("fieldCreated", "field-created event"),
        ("fieldDeleted", "field-deleted event"),
        ("fieldChanged", "field-changed event"),
    ],
)
def test_watch_schema_event_added_changed_removed(event: str, label: str) -> None:
    without = content(watchSchema=watch())
    enabled = content(watchSchema=watch(allObjects={event: {"enabled": "always"}}))
    odd = content(watchSchema=watch(allObjects={event: {"enabled": "never"}}))

    assert_change(
        only_change(without, enabled),
        "added",
        f"watchSchema.allObjects.{event}",
        None,
        {"enabled": "always"},
        f"schema watch {label} added ({{enabled: always}})",
    )
    assert_change(
        only_change(enabled, odd),
        "changed",
        f"watchSchema.allObjects.{event}.enabled",
        "always",
        "never",
        f"schema watch {label} enabled changed to never (was always)",
    )
    assert_change(
        only_change(enabled, without),
        "removed",
        f"watchSchema.allObjects.{event}",
        {"enabled": "always"},
        None,
        f"schema watch {label} removed",
    )


def test_watch_schema_added_and_removed_whole() -> None:
    schema_watch = {"destination": "w", "allObjects": {}}

    added = only_change(content(), content(watchSchema=schema_watch))
    removed = only_change(content(watchSchema=schema_watch), content())

    assert_change(
        added,
        "added",
        "watchSchema",
        None,
        schema_watch,
        "schema watch added ({destination: w, allObjects: {}})",
    )
    assert_change(removed, "removed", "watchSchema", schema_watch, None, "schema watch removed")


# -- read objects ------------------------------------------------------------------------------


def test_read_object_added() -> None:
    contact = read_object("contact")

    change = only_change(with_read(read_object()), with_read(read_object(), contact))

    assert_change(change, "added", "read.contact", None, contact, "read object contact added")
    assert (change.section, change.subject, change.object_name) == ("read", OBJECT, "contact")


def test_read_object_removed() -> None:
    contact = read_object("contact")

    change = only_change(with_read(read_object(), contact), with_read(read_object()))

    assert_change(change, "removed", "read.contact", contact, None, "read object contact removed")


def test_read_section_added_reports_each_object() -> None:
    diff = diff_contents(content(), with_read(read_object("account"), read_object("contact")))

    assert [(c.kind, c.path) for c in diff.changes] == [
        ("added", "read.account"),
        ("added", "read.contact"),
    ]


def test_renamed_read_object_is_removed_plus_added() -> None:
    diff = diff_contents(with_read(read_object("account")), with_read(read_object("accounts")))

    assert [(c.kind, c.path, c.summary) for c in diff.changes] == [
        ("removed", "read.account", "read object account removed"),
        ("added", "read.accounts", "read object accounts added"),
    ]


@pytest.mark.parametrize(
    ("key", "old_value", "new_value", "summary"),
    [
        (
            "schedule",
            "*/10 * * * *",
            "0 * * * *",
            "schedule changed to 0 * * * * (was */10 * * * *)",
        ),
        (
            "destination",
            "accountWebhook",
            "crmWebhook",
            "destination changed to crmWebhook (was accountWebhook)",
        ),
        ("mapToName", "people", "persons", "mapped object name changed to persons (was people)"),
        (
            "mapToDisplayName",
            "People",
            "Persons",
            'mapped object display name changed to "Persons" (was "People")',
        ),
        ("enabled", "always", "never", "enabled changed to never (was always)"),
        ("optionalFieldsAuto", "all", "none", "optional fields auto changed to none (was all)"),
    ],
)
def test_read_object_setting_changed(
    key: str, old_value: str, new_value: str, summary: str
) -> None:
    change = only_change(
        with_read(read_object(**{key: old_value})), with_read(read_object(**{key: new_value}))
    )

    assert_change(
        change, "changed", f"read.account.{key}", old_value, new_value, f"read account: {summary}"
    )
    assert (change.section, change.object_name, change.subject) == ("read", "account", SETTING)


def test_read_object_enabled_added_and_removed() -> None:
    added = only_change(with_read(read_object()), with_read(read_object(enabled="always")))
    removed = only_change(with_read(read_object(enabled="always")), with_read(read_object()))

    assert_change(
        added,
        "added",
        "read.account.enabled",
        None,
        "always",
        "read account: enabled set to always",
    )
    assert_change(
        removed,
        "removed",
        "read.account.enabled",
        "always",
        None,
        "read account: enabled removed (was always)",
    )


@pytest.mark.parametrize(
    ("old_delivery", "new_delivery", "kind", "path", "old_value", "new_value", "summary"),
    [
        (
            {"mode": "auto"},
            {"mode": "onRequest"},
            "changed",
            "delivery.mode",
            "auto",
            "onRequest",
            "delivery mode changed to onRequest (was auto)",
        ),
        (
            {"mode": "auto", "pageSize": 100},
            {"mode": "auto", "pageSize": 500},
            "changed",
            "delivery.pageSize",
            100,
            500,
            "delivery page size changed to 500 (was 100)",
        ),
        (
            {"mode": "auto"},
            {"mode": "auto", "pageSize": 50},
            "added",
            "delivery.pageSize",
            None,
            50,
            "delivery page size set to 50",
        ),
        (
            {"mode": "onRequest"},
            {},
            "removed",
            "delivery.mode",
            "onRequest",
            None,
            "delivery mode removed (was onRequest)",
        ),
    ],
    ids=["mode changed", "pageSize changed", "pageSize added", "mode removed"],
)
def test_read_object_delivery_changed(
    old_delivery: dict[str, Any],
    new_delivery: dict[str, Any],
    kind: str,
    path: str,
    old_value: Any,
    new_value: Any,
    summary: str,
) -> None:
    change = only_change(
        with_read(read_object(delivery=old_delivery)), with_read(read_object(delivery=new_delivery))
    )

    assert_change(
        change, kind, f"read.account.{path}", old_value, new_value, f"read account: {summary}"
    )


def test_read_object_delivery_added_whole() -> None:
    change = only_change(
        with_read(read_object()), with_read(read_object(delivery={"mode": "onRequest"}))
    )

    assert_change(
        change,
        "added",
        "read.account.delivery",
        None,
        {"mode": "onRequest"},
        "read account: delivery added ({mode: onRequest})",
    )


# -- backfill ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backfill", "description"),
    [
        ({"defaultPeriod": {"days": 30}}, "last 30 days"),
        ({"defaultPeriod": {"days": 1}}, "last 1 day"),
        ({"defaultPeriod": {"days": 0}}, "none"),
        ({"defaultPeriod": {"fullHistory": True}}, "full history"),
        ({"defaultPeriod": {"fullHistory": True, "days": 5}}, "full history"),
        ({"defaultPeriod": {"fullHistory": False}}, "none"),
        ({"days": 7}, "last 7 days"),
        ({"defaultPeriod": {}}, "none"),
        ({"defaultPeriod": {"days": -3}}, "none"),
        ({"defaultPeriod": {"days": "30"}}, "none"),
        ({"defaultPeriod": {"days": True}}, "none"),
        ({"defaultPeriod": "all"}, "none"),
        ([30], "none"),
        (None, "none"),
    ],
)
def test_describe_backfill(backfill: Any, description: str) -> None:
    assert describe_backfill(backfill) == description


def test_backfill_days_to_full_history() -> None:
    old_backfill = {"defaultPeriod": {"days": 30}}
    new_backfill = {"defaultPeriod": {"fullHistory": True}}

    change = only_change(
        with_read(read_object(backfill=old_backfill)), with_read(read_object(backfill=new_backfill))
    )

    assert_change(
        change,
        "changed",
        "read.account.backfill",
        old_backfill,
        new_backfill,
        "read account: backfill changed to full history (was last 30 days)",
    )


def test_backfill_added_and_removed() -> None:
    backfill = {"defaultPeriod": {"days": 90}}

    added = only_change(with_read(read_object()), with_read(read_object(backfill=backfill)))
    removed = only_change(with_read(read_object(backfill=backfill)), with_read(read_object()))

    assert_change(
        added,
        "added",
        "read.account.backfill",
        None,
        backfill,
        "read account: backfill set to last 90 days",
    )
    assert_change(
        removed,
        "removed",
        "read.account.backfill",
        backfill,
        None,
        "read account: backfill removed (was last 90 days)",
    )


def test_backfill_change_with_same_description_is_reported_by_path() -> None:
    diff = diff_contents(
        with_read(read_object(backfill={"defaultPeriod": {"days": 0}})),
        with_read(read_object(backfill={"defaultPeriod": {"fullHistory": False}})),
    )

    assert [(c.kind, c.path, c.old, c.new, c.summary) for c in diff.changes] == [
        (
            "removed",
            "read.account.backfill.defaultPeriod.days",
            0,
            None,
            "read account: backfill.defaultPeriod.days removed (was 0)",
        ),
        (
            "added",
            "read.account.backfill.defaultPeriod.fullHistory",
            None,
            False,
            "read account: backfill.defaultPeriod.fullHistory set to false",
        ),
    ]


# -- fields ------------------------------------------------------------------------------------


def with_fields(
    required: list[Any] | None = None, optional: list[Any] | None = None
) -> dict[str, Any]:
    return with_read(read_object(requiredFields=required or [], optionalFields=optional or []))


@pytest.mark.parametrize(
    ("required", "optional", "path", "field", "summary"),
    [
        (
            [{"fieldName": "BillingCity"}],
            [],
            "fields.BillingCity",
            {"fieldName": "BillingCity"},
            "required field BillingCity",
        ),
        (
            [],
            [{"fieldName": "Phone"}],
            "fields.Phone",
            {"fieldName": "Phone"},
            "optional field Phone",
        ),
        (
            [],
            [{"mapToName": "priority", "prompt": "Which field holds priority?"}],
            "mappings.priority",
            {"mapToName": "priority", "prompt": "Which field holds priority?"},
            "optional user-picked mapping priority",
        ),
        (
            [{"fieldName": "BillingCity", "mapToName": "city"}],
            [],
            "fields.BillingCity",
            {"fieldName": "BillingCity", "mapToName": "city"},
            "required field BillingCity",
        ),
    ],
)
def test_field_added_and_removed(
    required: list[Any], optional: list[Any], path: str, field: dict[str, Any], summary: str
) -> None:
    suffix = " (maps to city)" if "mapToName" in field and "fieldName" in field else ""

    added = only_change(with_fields(), with_fields(required, optional))
    removed = only_change(with_fields(required, optional), with_fields())

    assert_change(
        added,
        "added",
        f"read.account.{path}",
        None,
        field,
        f"read account: {summary} added{suffix}",
    )
    assert_change(
        removed,
        "removed",
        f"read.account.{path}",
        field,
        None,
        f"read account: {summary} removed{suffix}",
    )
    assert (added.subject, added.object_name, added.field_name) == (
        FIELD,
        "account",
        path.split(".")[1],
    )


def test_field_moved_from_required_to_optional() -> None:
    change = only_change(
        with_fields(required=[{"fieldName": "BillingCity"}]),
        with_fields(optional=[{"fieldName": "BillingCity"}]),
    )

    assert_change(
        change,
        "moved",
        "read.account.fields.BillingCity",
        "required",
        "optional",
        "read account: field BillingCity moved from required to optional",
    )


def test_user_picked_mapping_moved_from_optional_to_required() -> None:
    mapping = {"mapToName": "priority"}

    change = only_change(with_fields(optional=[mapping]), with_fields(required=[mapping]))

    assert_change(
        change,
        "moved",
        "read.account.mappings.priority",
        "optional",
        "required",
        "read account: user-picked mapping priority moved from optional to required",
    )


def test_field_remapped() -> None:
    change = only_change(
        with_fields([{"fieldName": "BillingCity", "mapToName": "city"}]),
        with_fields([{"fieldName": "BillingCity", "mapToName": "billing_city"}]),
    )

    assert_change(
        change,
        "changed",
        "read.account.fields.BillingCity.mapToName",
        "city",
        "billing_city",
        "read account: field BillingCity now maps to billing_city (was city)",
    )
    assert (change.subject, change.field_name) == (FIELD_SETTING, "BillingCity")


def test_field_given_a_target_for_the_first_time_is_remapped_from_its_own_name() -> None:
    change = only_change(
        with_fields([{"fieldName": "BillingCity"}]),
        with_fields([{"fieldName": "BillingCity", "mapToName": "billing_city"}]),
    )

    assert_change(
        change,
        "changed",
        "read.account.fields.BillingCity.mapToName",
        None,
        "billing_city",
        "read account: field BillingCity now maps to billing_city (was BillingCity)",
    )


def test_field_losing_its_target_maps_back_to_its_own_name() -> None:
    change = only_change(
        with_fields([{"fieldName": "BillingCity", "mapToName": "billing_city"}]),
        with_fields([{"fieldName": "BillingCity"}]),
    )

    assert_change(
        change,
        "changed",
        "read.account.fields.BillingCity.mapToName",
        "billing_city",
        None,
        "read account: field BillingCity now maps to BillingCity (was billing_city)",
    )


def test_field_explicitly_mapped_to_its_own_name_is_reported_plainly() -> None:
    change = only_change(
        with_fields([{"fieldName": "Name"}]),
        with_fields([{"fieldName": "Name", "mapToName": "Name"}]),
    )

    assert_change(
        change,
        "added",
        "read.account.fields.Name.mapToName",
        None,
        "Name",
        "read account: field Name mapToName set to Name",
    )


def test_field_display_name_changed() -> None:
    change = only_change(
        with_fields([{"fieldName": "BillingCity", "mapToDisplayName": "City"}]),
        with_fields([{"fieldName": "BillingCity", "mapToDisplayName": "Billing City"}]),
    )

    assert_change(
        change,
        "changed",
        "read.account.fields.BillingCity.mapToDisplayName",
        "City",
        "Billing City",
        'read account: field BillingCity display name changed to "Billing City" (was "City")',
    )


def test_remapped_field_differs_from_removed_plus_added_field() -> None:
    remapped = diff_contents(
        with_fields([{"fieldName": "BillingCity", "mapToName": "city"}]),
        with_fields([{"fieldName": "BillingCity", "mapToName": "billing_city"}]),
    )
    replaced = diff_contents(
        with_fields([{"fieldName": "BillingCity", "mapToName": "city"}]),
        with_fields([{"fieldName": "ShippingCity", "mapToName": "city"}]),
    )

    assert [(c.kind, c.path) for c in remapped.changes] == [
        ("changed", "read.account.fields.BillingCity.mapToName")
    ]
    assert [(c.kind, c.path, c.summary) for c in replaced.changes] == [
        (
            "removed",
            "read.account.fields.BillingCity",
            "read account: required field BillingCity removed (maps to city)",
        ),
        (
            "added",
            "read.account.fields.ShippingCity",
            "read account: required field ShippingCity added (maps to city)",
        ),
    ]
    assert remapped.summary_line() == "1 field changed"
    assert replaced.summary_line() == "1 field added, 1 field removed"


def test_moved_and_remapped_field_reports_both() -> None:
    diff = diff_contents(
        with_fields(required=[{"fieldName": "BillingCity"}]),
        with_fields(optional=[{"fieldName": "BillingCity", "mapToName": "city"}]),
    )

    assert [(c.kind, c.path) for c in diff.changes] == [
        ("moved", "read.account.fields.BillingCity"),
        ("changed", "read.account.fields.BillingCity.mapToName"),
    ]
    assert diff.summary_line() == "1 field moved, 1 field changed"


@pytest.mark.parametrize(
    ("attribute", "old_value", "new_value", "kind", "summary"),
    [
        (
            "prompt",
            "Pick a field",
            "Pick the priority field",
            "changed",
            'prompt changed to "Pick the priority field" (was "Pick a field")',
        ),
        (
            "default",
            "Priority",
            "Urgency",
            "changed",
            'default changed to "Urgency" (was "Priority")',
        ),
        (
            "mapToDisplayName",
            "Priority",
            "Urgency",
            "changed",
            'display name changed to "Urgency" (was "Priority")',
        ),
        ("prompt", None, "Pick one", "added", 'prompt set to "Pick one"'),
        ("default", "Priority", None, "removed", 'default removed (was "Priority")'),
    ],
)
def test_user_picked_mapping_changed(
    attribute: str, old_value: str | None, new_value: str | None, kind: str, summary: str
) -> None:
    def mapping(value: str | None) -> dict[str, Any]:
        return {"mapToName": "priority"} | ({attribute: value} if value is not None else {})

    change = only_change(
        with_fields(optional=[mapping(old_value)]), with_fields(optional=[mapping(new_value)])
    )

    assert_change(
        change,
        kind,
        f"read.account.mappings.priority.{attribute}",
        old_value,
        new_value,
        f"read account: user-picked mapping priority {summary}",
    )


def test_fixed_field_turned_into_user_picked_mapping() -> None:
    fixed = {"fieldName": "Industry", "mapToName": "industry"}
    picked = {"mapToName": "industry", "prompt": "Which field is the industry?"}

    change = only_change(with_fields(optional=[fixed]), with_fields(optional=[picked]))

    assert_change(
        change,
        "changed",
        "read.account.fields.Industry",
        fixed,
        picked,
        "read account: field Industry is now a user-picked mapping to industry",
    )
    assert change.subject == FIELD


def test_user_picked_mapping_turned_into_fixed_field_that_also_moved() -> None:
    picked = {"mapToName": "industry"}
    fixed = {"fieldName": "industry"}

    diff = diff_contents(with_fields(optional=[picked]), with_fields(required=[fixed]))

    assert [(c.kind, c.path, c.old, c.new, c.summary) for c in diff.changes] == [
        (
            "changed",
            "read.account.fields.industry",
            picked,
            fixed,
            "read account: user-picked mapping industry is now fixed to field industry",
        ),
        (
            "moved",
            "read.account.fields.industry",
            "optional",
            "required",
            "read account: field industry moved from optional to required",
        ),
    ]


def test_fixed_field_and_unrelated_mapping_are_not_paired() -> None:
    diff = diff_contents(
        with_fields([{"fieldName": "Industry"}]), with_fields([{"mapToName": "sector"}])
    )

    assert [(c.kind, c.path) for c in diff.changes] == [
        ("removed", "read.account.fields.Industry"),
        ("added", "read.account.mappings.sector"),
    ]


def test_unknown_key_in_field_is_diffed_by_path() -> None:
    change = only_change(
        with_fields([{"fieldName": "Id"}]), with_fields([{"fieldName": "Id", "sensitive": True}])
    )

    assert_change(
        change,
        "added",
        "read.account.fields.Id.sensitive",
        None,
        True,
        "read account: field Id.sensitive set to true",
    )


# -- write objects -----------------------------------------------------------------------------


def with_write(*objects: dict[str, Any]) -> dict[str, Any]:
    return content(write={"objects": list(objects)})


def test_write_object_added_and_removed() -> None:
    contact = write_object("contact")

    added = only_change(with_write(write_object()), with_write(write_object(), contact))
    removed = only_change(with_write(write_object(), contact), with_write(write_object()))

    assert_change(added, "added", "write.contact", None, contact, "write object contact added")
    assert_change(
        removed, "removed", "write.contact", contact, None, "write object contact removed"
    )
    assert added.section == "write"


def test_write_inherit_mapping_changed() -> None:
    change = only_change(
        with_write(write_object(inheritMapping=True)),
        with_write(write_object(inheritMapping=False)),
    )

    assert_change(
        change,
        "changed",
        "write.account.inheritMapping",
        True,
        False,
        "write account: inherit mapping changed to false (was true)",
    )


def test_write_allow_any_fields_changed() -> None:
    change = only_change(
        with_write(write_object(valueDefaults={"allowAnyFields": False})),
        with_write(write_object(valueDefaults={"allowAnyFields": True})),
    )

    assert_change(
        change,
        "changed",
        "write.account.valueDefaults.allowAnyFields",
        False,
        True,
        "write account: allow any fields for value defaults changed to true (was false)",
    )


def test_write_value_defaults_added() -> None:
    change = only_change(
        with_write(write_object()), with_write(write_object(valueDefaults={"allowAnyFields": True}))
    )

    assert_change(
        change,
        "added",
        "write.account.valueDefaults",
        None,
        {"allowAnyFields": True},
        "write account: value defaults added ({allowAnyFields: true})",
    )


# -- subscribe objects -------------------------------------------------------------------------


def with_subscribe(*objects: dict[str, Any]) -> dict[str, Any]:
    return content(subscribe={"objects": list(objects)})


def test_subscribe_object_added_and_removed() -> None:
    lead = subscribe_object("lead")

    added = only_change(
        with_subscribe(subscribe_object()), with_subscribe(subscribe_object(), lead)
    )
    removed = only_change(
        with_subscribe(subscribe_object(), lead), with_subscribe(subscribe_object())
    )

    assert_change(added, "added", "subscribe.lead", None, lead, "subscribe object lead added")
    assert_change(removed, "removed", "subscribe.lead", lead, None, "subscribe object lead removed")
    assert added.section == "subscribe"


@pytest.mark.parametrize(
    ("overrides_old", "overrides_new", "kind", "path", "old_value", "new_value", "summary"),
    [
        (
            {},
            {"destination": "crmEvents"},
            "changed",
            "destination",
            "accountEvents",
            "crmEvents",
            "destination changed to crmEvents (was accountEvents)",
        ),
        (
            {"inheritFieldsAndMapping": False},
            {"inheritFieldsAndMapping": True},
            "changed",
            "inheritFieldsAndMapping",
            False,
            True,
            "inherit fields and mapping changed to true (was false)",
        ),
        (
            {},
            {"createEvent": {"enabled": "never"}},
            "changed",
            "createEvent.enabled",
            "always",
            "never",
            "create event enabled changed to never (was always)",
        ),
        (
            {"updateEvent": {"watchFieldsAuto": "all"}},
            {"updateEvent": {"watchFieldsAuto": "selected"}},
            "changed",
            "updateEvent.watchFieldsAuto",
            "all",
            "selected",
            "update event watch fields auto changed to selected (was all)",
        ),
        (
            {"updateEvent": {"requiredWatchFields": ["name"]}},
            {"updateEvent": {"requiredWatchFields": ["name", "domain"]}},
            "added",
            "updateEvent.requiredWatchFields.domain",
            None,
            "domain",
            "required watch field domain added",
        ),
        (
            {"updateEvent": {"requiredWatchFields": ["name", "domain"]}},
            {"updateEvent": {"requiredWatchFields": ["domain"]}},
            "removed",
            "updateEvent.requiredWatchFields.name",
            "name",
            None,
            "required watch field name removed",
        ),
        (
            {},
            {"deleteEvent": {"enabled": "always"}},
            "added",
            "deleteEvent",
            None,
            {"enabled": "always"},
            "delete event added ({enabled: always})",
        ),
        (
            {"deleteEvent": {"enabled": "always"}},
            {},
            "removed",
            "deleteEvent",
            {"enabled": "always"},
            None,
            "delete event removed",
        ),
        (
            {"associationChangeEvent": {"enabled": "always"}},
            {"associationChangeEvent": {"enabled": "always", "includeFullRecords": True}},
            "added",
            "associationChangeEvent.includeFullRecords",
            None,
            True,
            "association change event include full records set to true",
        ),
        (
            {"otherEvents": ["object.merged"]},
            {"otherEvents": ["object.merged", "object.restored"]},
            "added",
            "otherEvents.object.restored",
            None,
            "object.restored",
            "other event object.restored added",
        ),
        (
            {"otherEvents": ["object.merged"]},
            {},
            "removed",
            "otherEvents.object.merged",
            "object.merged",
            None,
            "other event object.merged removed",
        ),
    ],
    ids=[
        "destination",
        "inheritFieldsAndMapping",
        "createEvent.enabled",
        "updateEvent.watchFieldsAuto",
        "requiredWatchFields added",
        "requiredWatchFields removed",
        "deleteEvent added",
        "deleteEvent removed",
        "associationChangeEvent.includeFullRecords",
        "otherEvents added",
        "otherEvents removed",
    ],
)
def test_subscribe_object_changed(
    overrides_old: dict[str, Any],
    overrides_new: dict[str, Any],
    kind: str,
    path: str,
    old_value: Any,
    new_value: Any,
    summary: str,
) -> None:
    change = only_change(
        with_subscribe(subscribe_object(**overrides_old)),
        with_subscribe(subscribe_object(**overrides_new)),
    )

    assert_change(
        change,
        kind,
        f"subscribe.account.{path}",
        old_value,
        new_value,
        f"subscribe account: {summary}",
    )
    assert (change.section, change.object_name) == ("subscribe", "account")


def test_reordered_other_events_are_not_a_change() -> None:
    old = with_subscribe(subscribe_object(otherEvents=["a", "b"]))
    new = with_subscribe(subscribe_object(otherEvents=["b", "a"]))

    assert diff_contents(old, new).is_empty


# -- unknown keys ------------------------------------------------------------------------------


def test_unknown_top_level_keys_are_diffed_by_path() -> None:
    old = content(legacy="x", settings={"retries": 3, "region": "eu"})
    new = content(settings={"retries": 5, "region": "eu", "tier": "gold"}, brandNew=[1, 2])

    diff = diff_contents(old, new)

    assert [(c.kind, c.path, c.old, c.new, c.summary) for c in diff.changes] == [
        ("added", "brandNew", None, [1, 2], "brandNew set to [1, 2]"),
        ("removed", "legacy", "x", None, "legacy removed (was x)"),
        ("changed", "settings.retries", 3, 5, "settings.retries changed to 5 (was 3)"),
        ("added", "settings.tier", None, "gold", "settings.tier set to gold"),
    ]
    assert {c.section for c in diff.changes} == {"other"}


def test_unknown_keys_inside_known_blocks_are_diffed_by_path() -> None:
    old = content(
        read={"objects": [read_object(delivery={"mode": "auto"})], "defaults": 1},
        subscribe={"objects": [subscribe_object()]},
        proxy={"enabled": True},
    )
    new = content(
        read={
            "objects": [read_object(delivery={"mode": "auto", "compress": True}, priority=2)],
            "defaults": 2,
        },
        subscribe={"objects": [subscribe_object(createEvent={"enabled": "always", "batch": 10})]},
        proxy={"enabled": True, "timeout": 30},
    )

    diff = diff_contents(old, new)

    assert [(c.section, c.kind, c.path, c.summary) for c in diff.changes] == [
        (
            "read",
            "added",
            "read.account.delivery.compress",
            "read account: delivery.compress set to true",
        ),
        ("read", "added", "read.account.priority", "read account: priority set to 2"),
        ("read", "changed", "read.defaults", "read: defaults changed to 2 (was 1)"),
        (
            "subscribe",
            "added",
            "subscribe.account.createEvent.batch",
            "subscribe account: create event.batch set to 10",
        ),
        ("proxy", "added", "proxy.timeout", "proxy.timeout set to 30"),
    ]


# -- malformed input ---------------------------------------------------------------------------


MALFORMED = [
    None,
    "not an integration",
    [1, 2, 3],
    42,
    {},
    {"read": None},
    {"read": []},
    {"read": "everything"},
    {"read": {"objects": None}},
    {"read": {"objects": "account"}},
    {"read": {"objects": [None, 3, "account", [], {}]}},
    {"read": {"objects": [{"objectName": 5}, {"objectName": ""}, {"objectName": None}]}},
    {"read": {"objects": [{"objectName": "account"}, {"objectName": "account", "schedule": "x"}]}},
    {"read": {"objects": [{"objectName": "account", "requiredFields": "Id"}]}},
    {
        "read": {
            "objects": [
                {
                    "objectName": "account",
                    "requiredFields": [None, "Id", 3, {}, {"fieldName": None}],
                }
            ]
        }
    },
    {
        "read": {
            "objects": [
                {
                    "objectName": "account",
                    "optionalFields": [{"fieldName": "Id"}, {"fieldName": "Id"}],
                }
            ]
        }
    },
    {
        "read": {
            "objects": [
                {
                    "objectName": "account",
                    "requiredFields": [{"fieldName": "Id"}],
                    "optionalFields": [{"fieldName": "Id"}],
                }
            ]
        }
    },
    {"read": {"objects": [{"objectName": "account", "backfill": "forever", "delivery": [1]}]}},
    {"read": {"objects": [{"objectName": "account", "backfill": {"defaultPeriod": None}}]}},
    {
        "read": {
            "objects": [
                {
                    "objectName": "account",
                    "requiredFields": [{"fieldName": "Id", "mapToName": ["x"]}],
                }
            ]
        }
    },
    {"write": {"objects": [{"objectName": "account", "valueDefaults": True}]}},
    {"write": ["account"]},
    {
        "subscribe": {
            "objects": [{"objectName": "account", "updateEvent": {"requiredWatchFields": "name"}}]
        }
    },
    {
        "subscribe": {
            "objects": [{"objectName": "account", "updateEvent": "on", "otherEvents": [1, None]}]
        }
    },
    {"proxy": "yes"},
    {"proxy": None},
    {"watchSchema": {"allObjects": ["fieldCreated"]}},
    {"watchSchema": {"allObjects": {"fieldCreated": "always"}}},
    {"displayName": None, "name": 3, 7: "int key"},
]


@pytest.mark.parametrize("odd", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_input_never_crashes(odd: Any) -> None:
    valid = content(
        read={"objects": [read_object(backfill={"defaultPeriod": {"days": 3}})]},
        write={"objects": [write_object(valueDefaults={"allowAnyFields": True})]},
        subscribe={"objects": [subscribe_object(updateEvent={"requiredWatchFields": ["name"]})]},
        proxy={"enabled": True},
        watchSchema=watch(allObjects={"fieldCreated": {"enabled": "always"}}),
    )

    for old, new in ((odd, valid), (valid, odd), (odd, odd), (odd, copy.deepcopy(odd))):
        diff = diff_contents(old, new)
        assert isinstance(diff.summary_line(), str)
        assert all(isinstance(change.summary, str) and change.path for change in diff.changes)
        diff.by_section()
        diff.by_read_object()
    assert diff_contents(odd, odd).is_empty
    assert not diff_contents(odd, valid).is_empty


def test_non_mapping_integration_is_treated_as_empty() -> None:
    diff = diff_contents(None, content())

    assert [c.path for c in diff.changes] == ["name", "provider", "displayName", "module"]
    assert {c.kind for c in diff.changes} == {"added"}


def test_read_section_of_the_wrong_shape_is_reported_whole() -> None:
    change = only_change(with_read(read_object()), content(read=["account"]))

    assert (change.kind, change.path, change.old, change.new) == (
        "changed",
        "read",
        {"objects": [read_object()]},
        ["account"],
    )
    assert change.summary.startswith("read section changed to [account] (was {objects: [{")
    assert change.summary.endswith("…)")


def test_objects_of_the_wrong_shape_are_reported_whole() -> None:
    change = only_change(with_read(read_object()), content(read={"objects": "account"}))

    assert (change.kind, change.path, change.new) == ("changed", "read.objects", "account")
    assert change.summary.startswith("read: objects changed to account (was [")


def test_unnamed_object_entries_are_compared_by_value() -> None:
    diff = diff_contents(with_read(read_object(), "junk"), with_read(read_object(), 7, "junk"))

    assert [(c.kind, c.path, c.new, c.summary) for c in diff.changes] == [
        ("added", "read.objects[1]", 7, "read: unrecognised read object entry added (7)")
    ]


def test_duplicate_object_names_keep_the_first_and_compare_the_rest_by_value() -> None:
    duplicate = read_object(schedule="0 * * * *")

    diff = diff_contents(with_read(read_object()), with_read(read_object(), duplicate))

    assert [(c.kind, c.path, c.new) for c in diff.changes] == [
        ("added", "read.objects[1]", duplicate)
    ]


def test_field_list_of_the_wrong_shape_is_reported_whole() -> None:
    change = only_change(
        with_fields([{"fieldName": "Id"}]), with_read(read_object(requiredFields="Id"))
    )

    assert_change(
        change,
        "changed",
        "read.account.requiredFields",
        [{"fieldName": "Id"}],
        "Id",
        "read account: requiredFields changed to Id (was [{fieldName: Id}])",
    )


def test_unrecognised_field_entries_are_compared_by_value() -> None:
    diff = diff_contents(
        with_fields([{"fieldName": "Id"}]), with_fields([{"fieldName": "Id"}, "Name", {}])
    )

    assert [(c.kind, c.path, c.summary) for c in diff.changes] == [
        (
            "added",
            "read.account.requiredFields[1]",
            "read account: unrecognised required field entry added (Name)",
        ),
        (
            "added",
            "read.account.requiredFields[2]",
            "read account: unrecognised required field entry added ({})",
        ),
    ]


def test_event_of_the_wrong_shape_is_reported_whole() -> None:
    change = only_change(
        with_subscribe(subscribe_object()), with_subscribe(subscribe_object(createEvent="always"))
    )

    assert_change(
        change,
        "changed",
        "subscribe.account.createEvent",
        {"enabled": "always"},
        "always",
        "subscribe account: create event changed to always (was {enabled: always})",
    )


# -- the diff as a whole ----------------------------------------------------------------------


def test_summary_line_for_one_change() -> None:
    diff = diff_contents(with_fields(), with_fields(optional=[{"fieldName": "Phone"}]))

    assert diff.summary_line() == "1 field added"


def test_summary_line_for_many_changes() -> None:
    old = content(
        read={"objects": [read_object("account"), read_object("contact"), read_object("lead")]},
        write={"objects": [write_object("account")]},
        proxy={"enabled": True},
        legacy=1,
    )
    new = content(
        displayName="Accounts",
        read={
            "objects": [
                read_object(
                    "account", schedule="0 * * * *", optionalFields=[{"fieldName": "Phone"}]
                ),
                read_object("contact", destination="elsewhere"),
                read_object("opportunity"),
            ]
        },
        write={"objects": [write_object("account", inheritMapping=False), write_object("contact")]},
        subscribe={"objects": [subscribe_object("lead")]},
        proxy={"enabled": False},
        watchSchema=watch(),
        legacy=2,
        extra=3,
    )

    diff = diff_contents(old, new)

    assert diff.summary_line() == (
        "display name changed, 1 read object added, 1 read object removed, 2 read objects changed, "
        "1 field added, 1 write object added, 1 write object changed, 1 subscribe object added, "
        "proxy changed, schema watch added, 2 other settings changed"
    )


def test_summary_line_counts_fields_across_objects() -> None:
    old = with_read(read_object("account"), read_object("contact"))
    new = with_read(
        read_object("account", optionalFields=[{"fieldName": "Phone"}, {"fieldName": "Fax"}]),
        read_object("contact", requiredFields=[]),
    )

    assert diff_contents(old, new).summary_line() == "2 fields added, 1 field removed"


def test_changes_come_in_section_order() -> None:
    old = content(other=1, proxy={"enabled": True})
    new = content(
        other=2,
        proxy={"enabled": False},
        watchSchema=watch(),
        subscribe={"objects": [subscribe_object()]},
        write={"objects": [write_object()]},
        read={"objects": [read_object()]},
        module="marketing",
    )

    diff = diff_contents(old, new)

    assert [c.section for c in diff.changes] == [
        "integration",
        "read",
        "write",
        "subscribe",
        "proxy",
        "watchSchema",
        "other",
    ]
    assert list(diff.by_section()) == [c.section for c in diff.changes]


def test_by_read_object_groups_one_object_at_a_time() -> None:
    old = with_read(read_object("account"), read_object("contact"), "junk")
    new = with_read(
        read_object("account", schedule="0 * * * *", optionalFields=[{"fieldName": "Phone"}]),
        read_object("lead"),
    )

    grouped = diff_contents(old, new).by_read_object()

    assert {name: [c.path for c in changes] for name, changes in grouped.items()} == {
        "account": ["read.account.schedule", "read.account.fields.Phone"],
        "contact": ["read.contact"],
        "lead": ["read.lead"],
    }


def test_by_object_groups_write_and_subscribe_objects() -> None:
    old = content(write={"objects": [write_object()]}, subscribe={"objects": [subscribe_object()]})
    new = content(
        write={"objects": [write_object(inheritMapping=False)]},
        subscribe={"objects": [subscribe_object(destination="x")]},
    )

    diff = diff_contents(old, new)

    assert list(diff.by_object("write")) == ["account"]
    assert [c.path for c in diff.by_object("subscribe")["account"]] == [
        "subscribe.account.destination"
    ]


def test_diff_is_frozen_and_does_not_alias_the_input() -> None:
    old = with_read(read_object())
    new = with_read(read_object(), read_object("contact", requiredFields=[{"fieldName": "Id"}]))

    diff = diff_contents(old, new)
    new["read"]["objects"][1]["requiredFields"].append({"fieldName": "Name"})

    assert diff.changes[0].new["requiredFields"] == [{"fieldName": "Id"}]
    with pytest.raises(dataclasses.FrozenInstanceError):
        diff.changes[0].kind = "removed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        diff.changes = []  # type: ignore[misc]


def test_change_renders_as_its_summary() -> None:
    change = only_change(content(module="crm"), content(module="ats"))

    assert str(change) == change.summary == "module changed to ats (was crm)"


def test_empty_diff_object_is_empty() -> None:
    assert IntegrationDiff().is_empty
    assert IntegrationDiff().summary_line() == "no change"
