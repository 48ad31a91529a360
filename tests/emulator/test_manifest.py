"""amp.yaml validation: the published schema plus the rules the Ampersand API enforces."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from emulator.manifest import (
    MAX_ISSUES,
    ManifestError,
    ManifestIssue,
    minimum_interval_minutes,
    parse_cron,
    parse_manifest,
    validate_integration_content,
)

DESTINATIONS = {"defaultWebhook", "eventsStream"}

VALID_MANIFEST = """\
specVersion: 1.0.0
integrations:
  - name: salesforce-crm-sync
    displayName: Salesforce CRM sync
    provider: salesforce
    module: crm
    read:
      objects:
        - objectName: account
          destination: defaultWebhook
          schedule: "*/30 * * * *"
          mapToName: company
          mapToDisplayName: Company
          requiredFields:
            - fieldName: Name
            - fieldName: BillingCity
              mapToName: city
              mapToDisplayName: City
            - mapToName: segment
              mapToDisplayName: Customer segment
              prompt: Which field holds the customer segment?
              default: Type
          optionalFields:
            - fieldName: $['address']['city']
              mapToName: address_city
          optionalFieldsAuto: all
          backfill:
            defaultPeriod:
              days: 30
          delivery:
            mode: onRequest
            pageSize: 100
          enabled: always
        - objectName: contact
          destination: defaultWebhook
          schedule: "0 */6 * * *"
          requiredFields:
            - fieldName: Email
          backfill:
            defaultPeriod:
              fullHistory: true
    write:
      objects:
        - objectName: account
          inheritMapping: true
          valueDefaults:
            allowAnyFields: true
    subscribe:
      objects:
        - objectName: account
          destination: eventsStream
          inheritFieldsAndMapping: true
          createEvent: {enabled: always}
          updateEvent:
            enabled: always
            requiredWatchFields: [Name]
          deleteEvent: {enabled: always}
          associationChangeEvent: {enabled: always, includeFullRecords: true}
          otherEvents: [object.merged]
    proxy:
      enabled: true
      useModule: true
    watchSchema:
      destination: eventsStream
      schedule: "0 * * * *"
      allObjects:
        fieldCreated: {enabled: always}
        fieldDeleted: {enabled: always}
        fieldChanged: {enabled: always}
  - name: hubspot-proxy
    provider: hubspot
    proxy:
      enabled: true
"""


def valid_content() -> dict[str, Any]:
    return copy.deepcopy(yaml.safe_load(VALID_MANIFEST)["integrations"][0])


def read_object(content: dict[str, Any]) -> dict[str, Any]:
    return content["read"]["objects"][0]


def issues_of(content: object, **kwargs: Any) -> dict[str, str]:
    return {
        issue.name: issue.detail
        for issue in validate_integration_content(content, destinations=DESTINATIONS, **kwargs)
    }


def manifest_issues(source: str, **kwargs: Any) -> list[ManifestIssue]:
    with pytest.raises(ManifestError) as raised:
        parse_manifest(source, **kwargs)
    return raised.value.issues


def test_valid_manifest_parses_to_its_integrations():
    manifest = parse_manifest(VALID_MANIFEST, destinations=DESTINATIONS)

    assert manifest["specVersion"] == "1.0.0"
    assert [content["name"] for content in manifest["integrations"]] == [
        "salesforce-crm-sync",
        "hubspot-proxy",
    ]
    assert manifest["integrations"][0] == valid_content()


def test_valid_content_has_no_issues():
    assert validate_integration_content(valid_content(), destinations=DESTINATIONS) == []


def test_renamed_fixed_field_is_accepted_despite_the_published_one_of():
    content = valid_content()
    read_object(content)["requiredFields"] = [
        {"fieldName": "BillingCity", "mapToName": "city", "mapToDisplayName": "City"}
    ]

    assert issues_of(content) == {}


def test_fixed_field_refuses_keys_of_a_user_mapping():
    content = valid_content()
    read_object(content)["requiredFields"][0]["prompt"] = "Which field?"

    issues = issues_of(content)

    name = "content.read.objects[0].requiredFields[0].prompt"
    assert list(issues) == [name]
    assert "fixed field" in issues[name]


def test_user_mapping_needs_map_to_name():
    content = valid_content()
    read_object(content)["requiredFields"][2] = {"prompt": "Which field?", "default": "Type"}

    issues = issues_of(content)

    assert "needs mapToName" in issues["content.read.objects[0].requiredFields[2].mapToName"]


def test_unknown_key_is_named_by_its_path():
    content = valid_content()
    read_object(content)["backfill"]["defaultPeriod"]["weeks"] = 2
    content["colour"] = "blue"

    issues = issues_of(content)

    assert set(issues) == {"content.read.objects[0].backfill.defaultPeriod.weeks", "content.colour"}
    assert "Unknown key 'colour'" in issues["content.colour"]


def test_missing_required_key_is_named_by_its_path():
    content = valid_content()
    del read_object(content)["destination"]

    assert issues_of(content) == {"content.read.objects[0].destination": "destination is required."}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("destination", 42, "Must be a string, not a number."),
        ("enabled", "sometimes", "Must be one of: 'always'."),
        ("optionalFieldsAuto", "some", "Must be one of: 'all'."),
        ("mapToName", True, "Must be a string, not true/false."),
    ],
)
def test_types_are_exactly_the_schemas(key, value, expected):
    content = valid_content()
    read_object(content)[key] = value

    assert issues_of(content) == {f"content.read.objects[0].{key}": expected}


def test_booleans_must_be_booleans():
    content = valid_content()
    content["proxy"]["enabled"] = "yes"

    assert issues_of(content) == {"content.proxy.enabled": "Must be true or false, not a string."}


def test_whole_numbers_written_with_a_decimal_point_are_refused():
    content = valid_content()
    read_object(content)["backfill"]["defaultPeriod"]["days"] = 30.0

    assert "content.read.objects[0].backfill.defaultPeriod.days" in issues_of(content)


def test_spec_version_must_be_1_0_0():
    issues = manifest_issues(VALID_MANIFEST.replace("specVersion: 1.0.0", "specVersion: 2.0.0"))

    assert [(issue.name, issue.value) for issue in issues] == [("specVersion", "2.0.0")]


def test_integrations_must_not_be_empty():
    issues = manifest_issues("specVersion: 1.0.0\nintegrations: []\n")

    assert [issue.name for issue in issues] == ["integrations"]


def test_integration_names_are_unique_in_a_manifest():
    source = VALID_MANIFEST.replace("name: hubspot-proxy", "name: salesforce-crm-sync")

    issues = manifest_issues(source, destinations=DESTINATIONS)

    assert [issue.name for issue in issues] == ["integrations[1].name"]
    assert "integrations[0]" in issues[0].detail


def test_integration_needs_an_action():
    content = {"name": "nothing", "provider": "salesforce", "displayName": "Nothing"}

    issues = issues_of(content)

    assert "at least one of read, write, subscribe or proxy" in issues["content"]


@pytest.mark.parametrize("schedule", ["*/10 * * * *", "*/30 * * * *", "0 * * * *", "0 */6 * * *"])
def test_schedules_at_least_ten_minutes_apart_are_accepted(schedule):
    content = valid_content()
    read_object(content)["schedule"] = schedule

    assert issues_of(content) == {}


@pytest.mark.parametrize(
    "schedule", ["*/5 * * * *", "* * * * *", "0,5 * * * *", "0,55 * * * *", "0-9 * * * *"]
)
def test_schedules_more_often_than_every_ten_minutes_are_refused(schedule):
    content = valid_content()
    read_object(content)["schedule"] = schedule

    issues = issues_of(content)

    assert list(issues) == ["content.read.objects[0].schedule"]


def test_too_frequent_schedule_explains_the_rule():
    content = valid_content()
    read_object(content)["schedule"] = "*/5 * * * *"

    detail = issues_of(content)["content.read.objects[0].schedule"]

    assert "at most every 10 minutes" in detail
    assert "5 minutes apart" in detail


def test_gap_across_the_hour_counts():
    # 0 and 55 past every hour: 55 → 0 of the next hour is only 5 minutes.
    assert minimum_interval_minutes(parse_cron("0,55 * * * *")) == 5
    assert minimum_interval_minutes(parse_cron("0,30 9-17 * * 1-5")) == 30
    assert minimum_interval_minutes(parse_cron("30 2 * * *")) == 24 * 60


@pytest.mark.parametrize(
    "schedule",
    [
        "* * * *",
        "0 * * * * *",
        "60 * * * *",
        "0 24 * * *",
        "*/0 * * * *",
        "a * * * *",
        "5-1 * * * *",
        "0 0 0 * *",
        "@hourly",
        "",
    ],
)
def test_malformed_cron_schedules_are_refused(schedule):
    content = valid_content()
    read_object(content)["schedule"] = schedule

    issues = issues_of(content)

    assert list(issues) == ["content.read.objects[0].schedule"]


def test_cron_accepts_names_ranges_steps_and_lists():
    fields = parse_cron("15,45 8-18/2 1-15 JAN-MAR mon-fri")

    assert fields[0] == {15, 45}
    assert fields[1] == {8, 10, 12, 14, 16, 18}
    assert fields[3] == {1, 2, 3}
    assert fields[4] == {1, 2, 3, 4, 5}


def test_watch_schema_runs_at_most_hourly():
    content = valid_content()
    content["watchSchema"]["schedule"] = "*/30 * * * *"

    issues = issues_of(content)

    assert "at most once an hour" in issues["content.watchSchema.schedule"]


def test_backfill_refuses_both_days_and_full_history():
    content = valid_content()
    read_object(content)["backfill"]["defaultPeriod"] = {"days": 30, "fullHistory": True}

    issues = issues_of(content)

    assert issues == {
        "content.read.objects[0].backfill.defaultPeriod": (
            "Give either days or fullHistory, not both."
        )
    }


def test_backfill_refuses_neither_days_nor_full_history():
    content = valid_content()
    read_object(content)["backfill"]["defaultPeriod"] = {}

    assert "content.read.objects[0].backfill.defaultPeriod" in issues_of(content)


def test_backfill_days_cannot_be_negative():
    content = valid_content()
    read_object(content)["backfill"]["defaultPeriod"] = {"days": -1}

    assert issues_of(content) == {
        "content.read.objects[0].backfill.defaultPeriod.days": "Must be at least 0."
    }


def test_subscribe_needs_the_object_among_reads():
    content = valid_content()
    content["subscribe"]["objects"][0]["objectName"] = "opportunity"

    issues = issues_of(content)

    assert list(issues) == ["content.subscribe.objects[0].objectName"]


def test_subscribe_without_read_is_refused():
    content = valid_content()
    del content["read"]

    issues = issues_of(content)

    assert "subscribe needs read" in issues["content.subscribe"]


def test_objects_are_unique_within_an_action():
    content = valid_content()
    content["read"]["objects"][1]["objectName"] = "account"
    content["write"]["objects"].append({"objectName": "account"})

    issues = issues_of(content)

    assert set(issues) == {
        "content.read.objects[1].objectName",
        "content.write.objects[1].objectName",
    }


def test_field_names_are_unique_within_an_object():
    content = valid_content()
    read_object(content)["optionalFields"] = [
        {"fieldName": "Name"},
        {"mapToName": "city", "prompt": "Which city?"},
    ]

    issues = issues_of(content)

    assert set(issues) == {
        "content.read.objects[0].optionalFields[0].fieldName",
        "content.read.objects[0].optionalFields[1].mapToName",
    }


def test_auto_delivery_refuses_page_size():
    content = valid_content()
    read_object(content)["delivery"] = {"mode": "auto", "pageSize": 100}
    content["read"]["objects"][1]["delivery"] = {"pageSize": 100}

    issues = issues_of(content)

    assert set(issues) == {
        "content.read.objects[0].delivery.pageSize",
        "content.read.objects[1].delivery.pageSize",
    }


@pytest.mark.parametrize("page_size", [49, 501])
def test_page_size_is_between_50_and_500(page_size):
    content = valid_content()
    read_object(content)["delivery"]["pageSize"] = page_size

    assert list(issues_of(content)) == ["content.read.objects[0].delivery.pageSize"]


def test_destinations_must_exist_when_known():
    content = valid_content()
    read_object(content)["destination"] = "nowhere"
    content["subscribe"]["objects"][0]["destination"] = "nowhere"
    content["watchSchema"]["destination"] = "nowhere"

    issues = issues_of(content)

    assert set(issues) == {
        "content.read.objects[0].destination",
        "content.subscribe.objects[0].destination",
        "content.watchSchema.destination",
    }
    assert validate_integration_content(content) == []


def test_strings_are_capped_by_kind():
    content = valid_content()
    content["name"] = "n" * 201
    content["provider"] = "p" * 101
    content["displayName"] = "d" * 1001

    issues = issues_of(content)

    assert issues == {
        "content.name": "Must be at most 200 characters, not 201.",
        "content.provider": "Must be at most 100 characters, not 101.",
        "content.displayName": "Must be at most 1000 characters, not 1001.",
    }


def test_a_one_megabyte_string_is_an_issue_not_a_crash():
    content = valid_content()
    read_object(content)["requiredFields"][2]["prompt"] = "x" * 1_000_000
    read_object(content)["schedule"] = "*" * 1_000_000

    issues = validate_integration_content(content)

    assert {issue.name for issue in issues} == {
        "content.read.objects[0].requiredFields[2].prompt",
        "content.read.objects[0].schedule",
    }
    assert all(len(json.dumps(issue.value)) < 300 for issue in issues)


def test_manifest_over_one_mebibyte_is_refused():
    source = VALID_MANIFEST + "# " + "x" * (1024 * 1024) + "\n"

    with pytest.raises(ManifestError) as raised:
        parse_manifest(source)

    assert "1 MiB" in raised.value.issues[0].detail


def test_unicode_and_html_names_are_data():
    content = valid_content()
    content["name"] = "<script>alert('x')</script> Ünïcødé 名前 🚀"
    content["displayName"] = "<b>Bold</b> & Söhne"

    assert issues_of(content) == {}


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_name_is_refused(name):
    content = valid_content()
    content["name"] = name

    assert issues_of(content) == {"content.name": "Must not be empty."}


@pytest.mark.parametrize("character", ["\x00", "\n", "\x1b", "\x7f", "\ud800"])
def test_control_characters_in_names_are_refused(character):
    content = valid_content()
    content["name"] = f"bad{character}name"

    issues = issues_of(content)

    assert list(issues) == ["content.name"]
    assert "control characters" in issues["content.name"]
    json.dumps(issue_values(content), ensure_ascii=False).encode()


def issue_values(content: dict[str, Any]) -> list[object]:
    return [issue.value for issue in validate_integration_content(content)]


def test_line_breaks_are_fine_in_a_prompt():
    content = valid_content()
    read_object(content)["requiredFields"][2]["prompt"] = "Which field holds\nthe segment?\n"

    assert issues_of(content) == {}


def test_malformed_yaml_names_line_and_column():
    issues = manifest_issues("specVersion: 1.0.0\nintegrations:\n  - name: [unclosed\n")

    assert len(issues) == 1
    assert issues[0].name == "manifest"
    assert "line 4, column 1" in issues[0].detail


def test_top_level_must_be_a_mapping():
    issues = manifest_issues("- just\n- a list\n")

    assert [issue.name for issue in issues] == ["manifest"]
    assert "must be a mapping" in issues[0].detail


def test_duplicate_yaml_keys_are_refused():
    issues = manifest_issues("specVersion: 1.0.0\nspecVersion: 1.0.0\nintegrations: []\n")

    assert "appears twice" in issues[0].detail


def test_yaml_alias_bomb_is_refused_quickly():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = "a" if level == 1 else f"l{level - 1}"
        lines.append(f"l{level}: &l{level} [" + ",".join([f"*{previous}"] * 9) + "]")

    issues = manifest_issues("\n".join(lines) + "\n")

    assert "aliases" in issues[0].detail


def test_recursive_alias_is_refused():
    issues = manifest_issues("a: &a [*a]\n")

    assert issues[0].name == "manifest"


def test_deep_nesting_is_refused():
    issues = manifest_issues("a: " + "[" * 5000 + "]" * 5000 + "\n")

    assert issues[0].name == "manifest"


def test_python_tags_are_refused():
    issues = manifest_issues("a: !!python/object/apply:os.system ['true']\n")

    assert "line 1" in issues[0].detail


def test_yaml_dates_are_not_strings():
    source = VALID_MANIFEST.replace('schedule: "*/30 * * * *"', "schedule: 2026-01-05")

    issues = manifest_issues(source, destinations=DESTINATIONS)

    assert [issue.name for issue in issues] == ["integrations[0].read.objects[0].schedule"]
    assert issues[0].detail == "Must be a string, not date."
    json.dumps([issue.value for issue in issues])


def test_every_issue_is_reported_up_to_a_cap():
    content = valid_content()
    content["read"]["objects"] = [
        {"objectName": f"o{index}", "destination": "x", "schedule": "* * * * *"}
        for index in range(200)
    ]

    issues = validate_integration_content(content, destinations=DESTINATIONS)

    assert len(issues) == MAX_ISSUES
    assert issues[0].name == "content.read.objects[0].destination"


def test_content_that_is_not_a_mapping_is_one_issue():
    assert issues_of(["not", "a", "mapping"]) == {"content": "Must be a mapping, not a list."}


def test_validation_never_mutates_the_content():
    content = valid_content()
    before = copy.deepcopy(content)

    validate_integration_content(content, destinations=DESTINATIONS)

    assert content == before
