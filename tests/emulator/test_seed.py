"""`manage.py seed_emulator`: deterministic, valid, realistic demo data for the emulator."""

from __future__ import annotations

import io
import json
import random
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from emulator import demo_data
from emulator.demo_builder import Sizes, build_demo
from emulator.models import (
    ApiKey,
    Destination,
    Installation,
    Integration,
    Operation,
    Project,
    Revision,
)
from integrations.ampersand.manifest import validate_manifest
from integrations.ampersand.manifest.cron import parse_cron
from tests.contract.openapi import schema_errors

SUMMARY = re.compile(
    r"^seeded project=(?P<project>\S+) integrations=(?P<integrations>\d+) "
    r"providers=(?P<providers>\d+) objects=(?P<objects>\d+) fields=(?P<fields>\d+) "
    r"installations=(?P<installations>\d+) operations=(?P<operations>\d+)$"
)


def seed(**options: Any) -> str:
    out = io.StringIO()
    options.setdefault("api_key", f"key-{options.get('project', 'demo')}")
    call_command("seed_emulator", stdout=out, **options)
    return out.getvalue().strip()


def project_json(name: str) -> str:
    project = Project.objects.get(name=name)
    return json.dumps(
        {
            "project": project.to_api(),
            "keys": sorted(ApiKey.objects.filter(project=project).values_list("key", flat=True)),
            "destinations": [d.to_api() for d in project.destinations.order_by("name")],
            "integrations": [
                i.to_api()
                for i in project.integrations.select_related("latest_revision").order_by("name")
            ],
            "revisions": [
                r.to_api()
                for r in Revision.objects.filter(integration__project=project).order_by("id")
            ],
            "installations": [i.to_api() for i in project.installations.order_by("id")],
            "operations": [o.to_api() for o in project.operations.order_by("id")],
        },
        sort_keys=True,
    )


def content_errors(content: dict[str, Any], *, destinations: set[str] | None = None) -> list[str]:
    result = validate_manifest(
        {"specVersion": "1.0.0", "integrations": [content]}, destinations=destinations
    )
    return [f"{issue.rule} {issue.path}: {issue.message}" for issue in result.errors]


def contents_of(name: str) -> list[dict[str, Any]]:
    return [
        integration.latest_revision.content
        for integration in Integration.objects.filter(project__name=name)
        .select_related("latest_revision")
        .order_by("name")
    ]


def built_demo(seed_value: int, integrations: int = 24, **sizes: int):
    ids = random.Random(f"test:{seed_value}")
    return build_demo(
        random.Random(seed_value),
        lambda: str(uuid.UUID(int=ids.getrandbits(128), version=4)),
        project_id="project-id",
        base_time=datetime(2026, 1, 5, 9, tzinfo=UTC),
        integrations=integrations,
        installations=3,
        sizes=Sizes(**sizes),
    )


def read_objects(contents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for content in contents:
        yield from content.get("read", {}).get("objects", [])


def fields_of(contents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for obj in read_objects(contents):
        yield from obj.get("requiredFields", [])
        yield from obj.get("optionalFields", [])


def action_objects(contents: list[dict[str, Any]], action: str) -> Iterator[dict[str, Any]]:
    for content in contents:
        yield from content.get(action, {}).get("objects", [])


# --- the command --------------------------------------------------------------------------


def test_seed_prints_one_summary_line(db):
    output = seed(project="demo")

    match = SUMMARY.match(output)
    assert match is not None, output
    assert match["project"] == "demo"
    assert int(match["integrations"]) == Integration.objects.filter(project__name="demo").count()
    assert int(match["installations"]) == Installation.objects.filter(project__name="demo").count()
    assert int(match["operations"]) == Operation.objects.filter(project__name="demo").count()
    assert int(match["objects"]) == sum(1 for _ in read_objects(contents_of("demo")))
    assert int(match["fields"]) == sum(1 for _ in fields_of(contents_of("demo")))


def test_same_arguments_give_identical_data(db):
    seed(project="twice", seed=7, integrations=12)
    first = project_json("twice")

    seed(project="twice", seed=7, integrations=12, reset=True)

    assert project_json("twice") == first


def test_same_seed_gives_the_same_content_in_another_project(db):
    seed(project="one", seed=5, integrations=10)
    seed(project="two", seed=5, integrations=10)

    assert contents_of("one") == contents_of("two")
    assert Project.objects.get(name="one").id != Project.objects.get(name="two").id


def test_different_seeds_give_different_data(db):
    seed(project="seed-1", seed=1, integrations=10)
    seed(project="seed-2", seed=2, integrations=10)

    assert contents_of("seed-1") != contents_of("seed-2")


def test_default_demo_has_24_integrations_over_at_least_five_providers(db):
    output = seed(project="demo")

    integrations = Integration.objects.filter(project__name="demo")
    assert integrations.count() == 24
    assert integrations.values("provider").distinct().count() >= 5
    assert int(SUMMARY.match(output)["providers"]) >= 8
    assert "salesforce-crm-sync" in set(integrations.values_list("name", flat=True))


def test_default_demo_contents_all_validate(db):
    seed(project="demo")
    destinations = set(
        Destination.objects.filter(project__name="demo").values_list("name", flat=True)
    )

    for revision in Revision.objects.filter(integration__project__name="demo"):
        assert content_errors(revision.content, destinations=destinations) == []


def test_default_demo_rows_match_the_api_contract(db):
    seed(project="demo")
    project = Project.objects.get(name="demo")

    for destination in project.destinations.all():
        assert (
            schema_errors({"$ref": "#/components/schemas/Destination"}, destination.to_api()) == []
        )
    for integration in project.integrations.select_related("latest_revision"):
        assert (
            schema_errors({"$ref": "#/components/schemas/Integration"}, integration.to_api()) == []
        )
    for installation in project.installations.all():
        assert (
            schema_errors({"$ref": "#/components/schemas/Installation"}, installation.to_api())
            == []
        )
    for operation in project.operations.all():
        assert schema_errors({"$ref": "#/components/schemas/Operation"}, operation.to_api()) == []


def test_if_empty_leaves_a_seeded_project_alone(db):
    seed(project="demo")
    before = project_json("demo")

    output = seed(project="demo", if_empty=True)

    assert output == "project=demo already has 24 integrations; nothing seeded"
    assert project_json("demo") == before


def test_if_empty_seeds_a_missing_project(db):
    output = seed(project="fresh", if_empty=True, integrations=3)

    assert SUMMARY.match(output)["integrations"] == "3"


def test_seeding_a_project_with_integrations_needs_a_flag(db):
    seed(project="demo", integrations=2)

    with pytest.raises(CommandError, match="--reset"):
        seed(project="demo", integrations=2)


def test_reset_replaces_the_projects_data(db):
    seed(project="demo", integrations=30)

    output = seed(project="demo", integrations=4, reset=True)

    assert SUMMARY.match(output)["integrations"] == "4"
    assert Integration.objects.filter(project__name="demo").count() == 4
    assert Revision.objects.filter(integration__project__name="demo").count() >= 4


def test_api_key_is_created_for_the_project(db):
    seed(project="demo", api_key="my-demo-key", integrations=1)

    assert ApiKey.objects.get(key="my-demo-key").project.name == "demo"


def test_api_key_of_another_project_is_refused(db):
    seed(project="first", api_key="shared", integrations=1)

    with pytest.raises(CommandError, match="already used by project=first"):
        seed(project="second", api_key="shared", integrations=1)


def test_the_seed_stores_operations_with_some_failures_that_say_why(db):
    seed(project="demo")
    operations = Operation.objects.filter(project__name="demo")

    assert set(operations.values_list("action_type", flat=True)) == {"read", "write", "subscribe"}
    failures = operations.filter(status="failure")
    assert 0 < failures.count() < operations.count() / 5
    assert not failures.filter(result="").exists()
    for installation in Installation.objects.filter(project__name="demo"):
        newest = installation.operations.order_by("-create_time").first()
        assert (newest.status if newest else "") == installation.last_operation_status


def test_operations_zero_seeds_none(db):
    output = seed(project="demo", integrations=3, operations=0)

    assert SUMMARY.match(output)["operations"] == "0"
    assert not Operation.objects.exists()


def test_if_empty_adds_the_operations_a_project_seeded_without_them_lacks(db):
    seed(project="demo", integrations=6)
    fresh = project_json("demo")
    seed(project="demo", integrations=6, operations=0, reset=True)

    output = seed(project="demo", if_empty=True)

    count = Operation.objects.filter(project__name="demo").count()
    assert output == f"project=demo already has 6 integrations; added {count} operations"
    assert project_json("demo") == fresh


def test_installations_stay_within_the_maximum(db):
    seed(project="demo", integrations=20, installations=2)

    for integration in Integration.objects.filter(project__name="demo"):
        assert 1 <= integration.installations.count() <= 2


def test_large_seed_is_fast(db):
    started = time.monotonic()

    output = seed(project="big", integrations=1000, objects=10, fields=30)

    assert time.monotonic() - started < 50
    summary = SUMMARY.match(output)
    assert summary["integrations"] == "1000"
    objects, fields = int(summary["objects"]), int(summary["fields"])
    assert 25 < fields / objects < 35
    names = Integration.objects.filter(project__name="big").values_list("name", flat=True)
    assert len(set(names)) == 1000


# --- the data -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed_value", [1, 2, 3, 11, 2026])
def test_every_generated_content_validates(seed_value):
    destinations = {name for name, _, _ in demo_data.DESTINATIONS}
    data = built_demo(seed_value, integrations=40)

    for integration in data.integrations:
        for revision in integration.revisions:
            assert content_errors(revision.content, destinations=destinations) == []


@pytest.mark.parametrize(("objects", "fields"), [(1, 2), (7, 40)])
def test_contents_with_chosen_sizes_validate(objects, fields):
    data = built_demo(4, integrations=35, objects=objects, fields=fields)

    for integration in data.integrations:
        assert content_errors(integration.latest.content) == []


def test_synthetic_fields_look_like_the_providers_own():
    data = built_demo(1, integrations=12, fields=40)
    names = {
        content["provider"]: [field.get("fieldName") for field in fields_of([content])]
        for content in (integration.latest.content for integration in data.integrations)
    }

    assert "Custom_Field_17__c" in names["salesforce"]
    assert "custom_property_17" in names["hubspot"]


def test_default_demo_uses_every_manifest_feature():
    contents = [integration.latest.content for integration in built_demo(1).integrations]
    fields = list(fields_of(contents))
    reads = list(read_objects(contents))
    writes = list(action_objects(contents, "write"))
    subscriptions = list(action_objects(contents, "subscribe"))

    assert any("fieldName" in f and "mapToName" not in f for f in fields)
    assert any(
        "fieldName" in f
        and "mapToName" in f
        and "mapToDisplayName" in f
        and not f["fieldName"].startswith("$[")
        for f in fields
    )
    assert any("fieldName" not in f and "prompt" in f and "default" in f for f in fields)
    assert any(f.get("fieldName", "").startswith("$['") for f in fields)
    assert any(obj.get("requiredFields") and obj.get("optionalFields") for obj in reads)
    assert any(obj.get("optionalFieldsAuto") == "all" for obj in reads)
    assert any("days" in obj["backfill"]["defaultPeriod"] for obj in reads)
    assert any(obj["backfill"]["defaultPeriod"].get("fullHistory") for obj in reads)
    assert any(obj.get("delivery", {}).get("mode") == "onRequest" for obj in reads)
    assert any("pageSize" in obj.get("delivery", {}) for obj in reads)
    assert any(obj.get("delivery", {}).get("mode") == "auto" for obj in reads)
    assert any(obj.get("enabled") == "always" for obj in reads)
    assert any("mapToName" in obj and "mapToDisplayName" in obj for obj in reads)
    assert any(w.get("inheritMapping") for w in writes)
    assert any(w.get("valueDefaults", {}).get("allowAnyFields") for w in writes)
    for event in ("createEvent", "updateEvent", "deleteEvent", "associationChangeEvent"):
        assert any(event in s for s in subscriptions)
    assert any(s.get("otherEvents") for s in subscriptions)
    assert any(s.get("inheritFieldsAndMapping") for s in subscriptions)
    assert any(s.get("updateEvent", {}).get("watchFieldsAuto") == "all" for s in subscriptions)
    assert any(s.get("updateEvent", {}).get("requiredWatchFields") for s in subscriptions)
    assert any(c.get("proxy", {}).get("enabled") for c in contents)
    assert any(c.get("proxy", {}).get("useModule") for c in contents)
    assert any(set(c.get("proxy", {})) and set(c) & {"read", "write"} == set() for c in contents)
    watches = [c["watchSchema"] for c in contents if "watchSchema" in c]
    assert watches
    assert set(watches[0]["allObjects"]) == {"fieldCreated", "fieldDeleted", "fieldChanged"}
    assert any(c.get("module") for c in contents)


def test_default_demo_schedules_vary_from_ten_minutes_to_daily():
    contents = [integration.latest.content for integration in built_demo(1).integrations]
    schedules = {obj["schedule"] for obj in read_objects(contents)}

    assert {"*/10 * * * *", "*/15 * * * *", "*/30 * * * *", "0 * * * *"} <= schedules
    assert any(parse_cron(schedule)[1] != set(range(24)) for schedule in schedules)


def test_installations_show_health_and_differences_from_the_definition():
    data = built_demo(1)
    installations = data.installations
    latest_by_integration = {i.id: i for i in data.integrations}

    assert {i.health_status for i in installations} == {"healthy", "unhealthy"}
    assert sum(i.health_status == "healthy" for i in installations) > len(installations) / 2
    differing_backfill = 0
    for installation in installations:
        integration = latest_by_integration[installation.integration_id]
        revision = next(
            r for r in integration.revisions if r.id == installation.config["revisionId"]
        )
        definition = {
            o["objectName"]: o for o in revision.content.get("read", {}).get("objects", [])
        }
        config_objects = installation.config["content"].get("read", {}).get("objects", {})
        assert set(config_objects) <= set(definition)
        for name, config in config_objects.items():
            assert config["objectName"] == name
            if config["backfill"] != definition[name]["backfill"]:
                differing_backfill += 1
        assert installation.connection["group"] == installation.group
        assert (
            installation.created_by
            == f"consumer:{installation.connection['consumer']['consumerRef']}"
        )
    assert differing_backfill > 0
    assert any(
        config["selectedFieldMappings"]
        for installation in installations
        for config in installation.config["content"].get("read", {}).get("objects", {}).values()
    )


def test_catalog_has_realistic_providers():
    assert len(demo_data.PROVIDERS) >= 8
    assert {"salesforce", "hubspot", "zendeskSupport", "pipedrive"} <= {
        p.name for p in demo_data.PROVIDERS
    }
    for provider in demo_data.PROVIDERS:
        assert len(provider.objects) >= 2
        for obj in provider.objects:
            assert 6 <= len(obj.fields) <= 25, obj.name
            assert len(set(obj.fields)) == len(obj.fields), obj.name
    salesforce_account = demo_data.SALESFORCE.objects[0]
    assert {"Name", "BillingCity", "AnnualRevenue"} <= set(salesforce_account.fields)
