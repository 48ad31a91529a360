"""validate_manifest: every rule of Ampersand's spec that applies to a manifest, with its id,
severity, path and YAML line, beside a valid neighbour that passes the same rule."""

from __future__ import annotations

import textwrap
import time

import pytest

from integrations.ampersand.manifest import (
    Severity,
    ValidationResult,
    load_catalog,
    validate_manifest,
)

READ = """\
read:
  objects:
    - objectName: Account
      destination: db
      schedule: "*/30 * * * *"
      requiredFields:
        - fieldName: Id
"""


def manifest(body: str = READ, *, provider: str = "salesforce", extra: str = "") -> str:
    """A one-integration amp.yaml; `body` is the integration's actions, written unindented."""
    return (
        'specVersion: "1.0.0"\n'
        f"{extra}"
        "integrations:\n"
        "  - name: sync\n"
        f"    provider: {provider}\n" + textwrap.indent(body, "    ")
    )


def marked_line(text: str) -> int:
    """The 1-based line holding the `# <-` marker."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if "# <-" in line)


def rules(result: ValidationResult) -> set[str]:
    return {issue.rule for issue in result.issues}


def only(result: ValidationResult, rule: str):
    found = [issue for issue in result.issues if issue.rule == rule]
    assert len(found) == 1, result.issues
    return found[0]


# (rule, severity, invalid amp.yaml with `# <-` on the offending line, path, valid neighbour)
CASES = [
    (
        "spec-version",
        Severity.ERROR,
        manifest().replace('specVersion: "1.0.0"', 'specVersion: "2.0.0"  # <-'),
        "specVersion",
        manifest(),
    ),
    (
        "integration-action-required",
        Severity.ERROR,
        manifest("", extra="").replace("  - name: sync", "  - name: sync  # <-"),
        "integrations[0]",
        manifest(),
    ),
    (
        "integration-name-required",
        Severity.ERROR,
        manifest().replace(
            "  - name: sync\n    provider: salesforce", "  - provider: salesforce  # <-"
        ),
        "integrations[0].name",
        manifest(),
    ),
    (
        "integration-provider-required",
        Severity.ERROR,
        manifest().replace("  - name: sync\n    provider: salesforce", "  - name: sync  # <-"),
        "integrations[0].provider",
        manifest(),
    ),
    (
        "read-objects-required",
        Severity.ERROR,
        manifest("read:\n  objects: []  # <-\n"),
        "integrations[0].read.objects",
        manifest(),
    ),
    (
        "read-object-name-required",
        Severity.ERROR,
        manifest(
            READ.replace("- objectName: Account", "- destination: db  # <-").replace(
                "      destination: db\n", "", 1
            )
        ),
        "integrations[0].read.objects[0].objectName",
        manifest(),
    ),
    (
        "read-object-destination-required",
        Severity.ERROR,
        manifest(
            READ.replace("- objectName: Account", "- objectName: Account  # <-").replace(
                "      destination: db\n", ""
            )
        ),
        "integrations[0].read.objects[0].destination",
        manifest(),
    ),
    (
        "read-object-schedule-required",
        Severity.ERROR,
        manifest(
            READ.replace("- objectName: Account", "- objectName: Account  # <-").replace(
                '      schedule: "*/30 * * * *"\n', ""
            )
        ),
        "integrations[0].read.objects[0].schedule",
        manifest(),
    ),
    (
        "write-objects-required",
        Severity.ERROR,
        manifest("write:\n  objects: []  # <-\n"),
        "integrations[0].write.objects",
        manifest("write:\n  objects:\n    - objectName: Contact\n"),
    ),
    (
        "write-object-name-required",
        Severity.ERROR,
        manifest("write:\n  objects:\n    - inheritMapping: true  # <-\n"),
        "integrations[0].write.objects[0].objectName",
        manifest("write:\n  objects:\n    - objectName: Contact\n      inheritMapping: true\n"),
    ),
    (
        "subscribe-requires-read",
        Severity.ERROR,
        manifest(
            "subscribe:  # <-\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      inheritFieldsAndMapping: true\n      createEvent: {enabled: always}\n"
        ),
        "integrations[0].subscribe",
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      inheritFieldsAndMapping: true\n      createEvent: {enabled: always}\n"
        ),
    ),
    (
        "subscribe-objects-required",
        Severity.ERROR,
        manifest(READ + "subscribe:\n  objects: []  # <-\n"),
        "integrations[0].subscribe.objects",
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      otherEvents: [object.merged]\n"
        ),
    ),
    (
        "subscribe-inherit-fields-required",
        Severity.ERROR,
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      inheritFieldsAndMapping: false  # <-\n      deleteEvent: {enabled: always}\n"
        ),
        "integrations[0].subscribe.objects[0].inheritFieldsAndMapping",
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      inheritFieldsAndMapping: true\n      deleteEvent: {enabled: always}\n"
        ),
    ),
    (
        "subscribe-object-name-required",
        Severity.ERROR,
        manifest(
            READ + "subscribe:\n  objects:\n    - destination: db  # <-\n      otherEvents: [x]\n"
        ),
        "integrations[0].subscribe.objects[0].objectName",
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      otherEvents: [x]\n"
        ),
    ),
    (
        "subscribe-object-destination-required",
        Severity.ERROR,
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account  # <-\n"
            "      otherEvents: [x]\n"
        ),
        "integrations[0].subscribe.objects[0].destination",
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      otherEvents: [x]\n"
        ),
    ),
]


def subscribe_with_update(update: str) -> str:
    return manifest(
        READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
        "      inheritFieldsAndMapping: true\n      updateEvent:\n"
        + textwrap.indent(update, "        ")
    )


def read_object_with(
    lines: str, *, provider: str = "salesforce", object_name: str = "Account", extra: str = ""
) -> str:
    body = READ.replace("Account", object_name) + textwrap.indent(lines, "      ")
    return manifest(body + extra, provider=provider)


CASES += [
    (
        "update-event-enabled-value",
        Severity.ERROR,
        subscribe_with_update("enabled: sometimes  # <-\nwatchFieldsAuto: all\n"),
        "integrations[0].subscribe.objects[0].updateEvent.enabled",
        subscribe_with_update("enabled: always\nwatchFieldsAuto: all\n"),
    ),
    (
        "update-event-watch-fields-required",
        Severity.ERROR,
        subscribe_with_update("enabled: always\n").replace("updateEvent:", "updateEvent:  # <-"),
        "integrations[0].subscribe.objects[0].updateEvent",
        subscribe_with_update("enabled: always\nrequiredWatchFields: [Name]\n"),
    ),
    (
        "update-event-watch-fields-exclusive",
        Severity.ERROR,
        subscribe_with_update(
            "enabled: always\nwatchFieldsAuto: all\nrequiredWatchFields: [Name]\n"
        ).replace("updateEvent:", "updateEvent:  # <-"),
        "integrations[0].subscribe.objects[0].updateEvent",
        subscribe_with_update("enabled: always\nwatchFieldsAuto: selected\n"),
    ),
    (
        "watch-fields-auto-enum",
        Severity.ERROR,
        subscribe_with_update("enabled: always\nwatchFieldsAuto: some  # <-\n"),
        "integrations[0].subscribe.objects[0].updateEvent.watchFieldsAuto",
        subscribe_with_update("enabled: always\nwatchFieldsAuto: all\n"),
    ),
    (
        "watch-fields-no-nesting",
        Severity.ERROR,
        subscribe_with_update("requiredWatchFields:\n  - Name\n  - Address.Street  # <-\n"),
        "integrations[0].subscribe.objects[0].updateEvent.requiredWatchFields[1]",
        subscribe_with_update("requiredWatchFields:\n  - Name\n  - Email\n"),
    ),
    (
        "subscribe-minimum-events",
        Severity.WARNING,
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account  # <-\n"
            "      destination: db\n"
        ),
        "integrations[0].subscribe.objects[0]",
        subscribe_with_update("enabled: always\nwatchFieldsAuto: all\n"),
    ),
    (
        "schedule-valid-cron",
        Severity.ERROR,
        manifest(READ.replace('"*/30 * * * *"', '"invalid cron"  # <-')),
        "integrations[0].read.objects[0].schedule",
        manifest(READ.replace('"*/30 * * * *"', '"*/15 * * * *"')),
    ),
    (
        "schedule-no-asterisk-minute",
        Severity.ERROR,
        manifest(READ.replace('"*/30 * * * *"', '"* * * * *"  # <-')),
        "integrations[0].read.objects[0].schedule",
        manifest(READ.replace('"*/30 * * * *"', '"*/10 * * * *"')),
    ),
    (
        "schedule-minimum-interval",
        Severity.ERROR,
        manifest(READ.replace('"*/30 * * * *"', '"*/5 * * * *"  # <-')),
        "integrations[0].read.objects[0].schedule",
        manifest(READ.replace('"*/30 * * * *"', '"*/10 * * * *"')),
    ),
    (
        "schedule-tick-calculation",
        Severity.ERROR,
        manifest(READ.replace('"*/30 * * * *"', '"0 0 30 2 *"  # <-')),
        "integrations[0].read.objects[0].schedule",
        manifest(READ.replace('"*/30 * * * *"', '"0 0 29 2 *"')),
    ),
    (
        "frequent-schedule-risk",
        Severity.WARNING,
        manifest(READ.replace('"*/30 * * * *"', '"*/10 * * * *"  # <-')),
        "integrations[0].read.objects[0].schedule",
        manifest(READ.replace('"*/30 * * * *"', '"*/15 * * * *"')),
    ),
    (
        "delivery-auto-no-pagesize",
        Severity.ERROR,
        read_object_with("delivery:\n  mode: auto\n  pageSize: 100  # <-\n"),
        "integrations[0].read.objects[0].delivery.pageSize",
        read_object_with("delivery:\n  mode: auto\n"),
    ),
    (
        "delivery-onrequest-pagesize-required",
        Severity.ERROR,
        read_object_with("delivery:\n  mode: onRequest  # <-\n"),
        "integrations[0].read.objects[0].delivery.pageSize",
        read_object_with("delivery:\n  mode: onRequest\n  pageSize: 100\n"),
    ),
    (
        "delivery-onrequest-pagesize-range",
        Severity.ERROR,
        read_object_with("delivery:\n  mode: onRequest\n  pageSize: 25  # <-\n"),
        "integrations[0].read.objects[0].delivery.pageSize",
        read_object_with("delivery:\n  mode: onRequest\n  pageSize: 50\n"),
    ),
    (
        "delivery-mode-enum",
        Severity.ERROR,
        read_object_with("delivery:\n  mode: streaming  # <-\n"),
        "integrations[0].read.objects[0].delivery.mode",
        read_object_with("delivery:\n  mode: auto\n"),
    ),
    (
        "backfill-struct-valid",
        Severity.ERROR,
        read_object_with("backfill:\n  defaultPeriod: {}  # <-\n"),
        "integrations[0].read.objects[0].backfill.defaultPeriod",
        read_object_with("backfill:\n  defaultPeriod: {days: 0}\n"),
    ),
    (
        "backfill-period-exclusive",
        Severity.ERROR,
        read_object_with(
            "backfill:\n  defaultPeriod:  # <-\n    days: 30\n    fullHistory: true\n"
        ),
        "integrations[0].read.objects[0].backfill.defaultPeriod",
        read_object_with("backfill:\n  defaultPeriod:\n    days: 30\n"),
    ),
    (
        "large-backfill-risk",
        Severity.WARNING,
        read_object_with("backfill:\n  defaultPeriod:\n    days: 365  # <-\n"),
        "integrations[0].read.objects[0].backfill.defaultPeriod.days",
        read_object_with("backfill:\n  defaultPeriod:\n    days: 90\n"),
    ),
    (
        "field-mapping-unique",
        Severity.ERROR,
        read_object_with(
            "optionalFields:\n  - fieldName: FirstName\n    mapToName: name\n"
            "  - fieldName: LastName\n    mapToName: name  # <-\n"
        ),
        "integrations[0].read.objects[0].optionalFields[1].mapToName",
        read_object_with(
            "optionalFields:\n  - fieldName: FirstName\n    mapToName: first_name\n"
            "  - fieldName: LastName\n    mapToName: last_name\n"
        ),
    ),
    (
        "field-mapping-simple-names",
        Severity.NOTE,
        read_object_with(
            "optionalFields:\n  - fieldName: City\n    mapToName: address[city]  # <-\n"
        ),
        "integrations[0].read.objects[0].optionalFields[0].mapToName",
        read_object_with("optionalFields:\n  - fieldName: City\n    mapToName: address_city\n"),
    ),
    (
        "field-existent-name-required",
        Severity.ERROR,
        read_object_with("optionalFields:\n  - {}  # <-\n"),
        "integrations[0].read.objects[0].optionalFields[0].fieldName",
        read_object_with("optionalFields:\n  - fieldName: Name\n"),
    ),
    (
        "field-mapping-names-required",
        Severity.ERROR,
        read_object_with("optionalFields:\n  - prompt: Which field?  # <-\n"),
        "integrations[0].read.objects[0].optionalFields[0].mapToName",
        read_object_with("optionalFields:\n  - prompt: Which field?\n    mapToName: segment\n"),
    ),
    (
        "field-type-oneof",
        Severity.ERROR,
        read_object_with("optionalFields:\n  - fieldName: Name\n    prompt: Which?  # <-\n"),
        "integrations[0].read.objects[0].optionalFields[0].prompt",
        read_object_with("optionalFields:\n  - fieldName: Name\n    mapToName: name\n"),
    ),
    (
        "always-enabled-required-fields",
        Severity.ERROR,
        manifest(
            READ.replace("      requiredFields:\n        - fieldName: Id\n", "").replace(
                "- objectName: Account", "- objectName: Account  # <-"
            )
            + "      enabled: always\n"
        ),
        "integrations[0].read.objects[0].requiredFields",
        read_object_with("enabled: always\n"),
    ),
    (
        "always-enabled-no-maptoname",
        Severity.ERROR,
        read_object_with("enabled: always\n").replace(
            "- fieldName: Id\n", "- fieldName: Id\n              mapToName: id  # <-\n"
        ),
        "integrations[0].read.objects[0].requiredFields[0].mapToName",
        read_object_with("enabled: always\n"),
    ),
    (
        "always-enabled-schedule-required",
        Severity.ERROR,
        manifest(
            READ.replace('      schedule: "*/30 * * * *"\n', "").replace(
                "- objectName: Account", "- objectName: Account  # <-"
            )
            + "      enabled: always\n"
        ),
        "integrations[0].read.objects[0].schedule",
        read_object_with("enabled: always\n"),
    ),
    (
        "duplicate-read-object",
        Severity.ERROR,
        manifest(
            READ
            + READ.split("objects:\n")[1].replace(
                "- objectName: Account", "- objectName: Account  # <-"
            )
        ),
        "integrations[0].read.objects[1].objectName",
        manifest(READ + READ.split("objects:\n")[1].replace("Account", "Contact")),
    ),
    (
        "duplicate-write-object",
        Severity.ERROR,
        manifest(
            "write:\n  objects:\n    - objectName: Contact\n    - objectName: Contact  # <-\n"
        ),
        "integrations[0].write.objects[1].objectName",
        manifest(READ + "write:\n  objects:\n    - objectName: Account\n"),
    ),
    (
        "duplicate-subscribe-object",
        Severity.ERROR,
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      otherEvents: [x]\n    - objectName: Account  # <-\n      destination: db\n"
            "      otherEvents: [y]\n"
        ),
        "integrations[0].subscribe.objects[1].objectName",
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n      destination: db\n"
            "      otherEvents: [x, y]\n"
        ),
    ),
    (
        "unknown-key",
        Severity.WARNING,
        read_object_with('scheduel: "*/10 * * * *"  # <-\n'),
        "integrations[0].read.objects[0].scheduel",
        read_object_with("mapToName: accounts\n"),
    ),
    (
        "salesforce-subscribe-limit",
        Severity.ERROR,
        manifest(
            "read:\n  objects:\n"
            + "".join(
                f'    - {{objectName: O{n}, destination: db, schedule: "0 * * * *"}}\n'
                for n in range(6)
            )
            + "subscribe:\n  objects:  # <-\n"
            + "".join(
                f"    - {{objectName: O{n}, destination: db, otherEvents: [x]}}\n" for n in range(6)
            )
        ),
        "integrations[0].subscribe.objects",
        manifest(
            "read:\n  objects:\n"
            + "".join(
                f'    - {{objectName: O{n}, destination: db, schedule: "0 * * * *"}}\n'
                for n in range(6)
            )
            + "subscribe:\n  objects:\n"
            + "".join(
                f"    - {{objectName: O{n}, destination: db, otherEvents: [x]}}\n" for n in range(5)
            )
        ),
    ),
    (
        "provider-exists",
        Severity.ERROR,
        manifest(provider="nosuchprovider  # <-"),
        "integrations[0].provider",
        manifest(provider="hubspot"),
    ),
    (
        "provider-read-support",
        Severity.ERROR,
        manifest(provider="notion").replace("read:", "read:  # <-"),
        "integrations[0].read",
        manifest("proxy:\n  enabled: true\n", provider="notion"),
    ),
    (
        "provider-write-support",
        Severity.ERROR,
        manifest("write:  # <-\n  objects:\n    - objectName: page\n", provider="notion"),
        "integrations[0].write",
        manifest("write:\n  objects:\n    - objectName: page\n", provider="attio"),
    ),
    (
        "provider-subscribe-support",
        Severity.ERROR,
        manifest(
            READ + "subscribe:  # <-\n  objects:\n    - {objectName: Account, destination: db, "
            "otherEvents: [x]}\n",
            provider="intercom",
        ),
        "integrations[0].subscribe",
        manifest(
            READ + "subscribe:\n  objects:\n    - {objectName: Account, destination: db, "
            "otherEvents: [x]}\n",
            provider="attio",
        ),
    ),
    (
        "provider-proxy-support",
        Severity.ERROR,
        manifest(
            "module: crm\nproxy:  # <-\n  enabled: true\n  useModule: true\n", provider="hubspot"
        ),
        "integrations[0].proxy",
        manifest("module: crm\nproxy:\n  enabled: true\n", provider="hubspot"),
    ),
    (
        "provider-module-support",
        Severity.ERROR,
        manifest("module: marketing-cloud  # <-\n" + READ),
        "integrations[0].module",
        manifest("module: crm\n" + READ),
    ),
    (
        "google-calendar-no-full-history",
        Severity.ERROR,
        read_object_with(
            "backfill:\n  defaultPeriod:\n    fullHistory: true  # <-\n",
            provider="google",
            object_name="events",
        ),
        "integrations[0].read.objects[0].backfill.defaultPeriod.fullHistory",
        read_object_with(
            "backfill:\n  defaultPeriod:\n    days: 28\n", provider="google", object_name="events"
        ),
    ),
    (
        "google-calendar-max-backfill",
        Severity.ERROR,
        read_object_with(
            "backfill:\n  defaultPeriod:\n    days: 30  # <-\n",
            provider="google",
            object_name="events",
        ),
        "integrations[0].read.objects[0].backfill.defaultPeriod.days",
        read_object_with(
            "backfill:\n  defaultPeriod:\n    days: 30\n",
            provider="google",
            object_name="calendars",
        ),
    ),
    (
        "snowflake-only-full-history",
        Severity.ERROR,
        read_object_with("backfill:\n  defaultPeriod:\n    days: 30  # <-\n", provider="snowflake"),
        "integrations[0].read.objects[0].backfill.defaultPeriod.days",
        read_object_with(
            "backfill:\n  defaultPeriod:\n    fullHistory: true\n", provider="snowflake"
        ),
    ),
    (
        "subscribe-object-read",
        Severity.ERROR,
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Lead  # <-\n"
            "      destination: db\n      otherEvents: [x]\n"
        ),
        "integrations[0].subscribe.objects[0].objectName",
        manifest(
            READ + "subscribe:\n  objects:\n    - objectName: Account\n"
            "      destination: db\n      otherEvents: [x]\n"
        ),
    ),
    (
        "field-name-unique",
        Severity.ERROR,
        read_object_with("optionalFields:\n  - fieldName: Id  # <-\n"),
        "integrations[0].read.objects[0].optionalFields[0].fieldName",
        read_object_with("optionalFields:\n  - fieldName: Name\n"),
    ),
    (
        "watch-schema-minimum-interval",
        Severity.ERROR,
        manifest(
            READ + 'watchSchema:\n  destination: db\n  schedule: "*/30 * * * *"  # <-\n'
            "  allObjects: {}\n"
        ),
        "integrations[0].watchSchema.schedule",
        manifest(
            READ + 'watchSchema:\n  destination: db\n  schedule: "0 * * * *"\n  allObjects: {}\n'
        ),
    ),
    (
        "string-blank",
        Severity.ERROR,
        manifest(READ.replace("destination: db", 'destination: " "  # <-')),
        "integrations[0].read.objects[0].destination",
        manifest(),
    ),
    (
        "string-control-characters",
        Severity.ERROR,
        manifest(READ.replace("objectName: Account", 'objectName: "Acc\\u0000"  # <-')),
        "integrations[0].read.objects[0].objectName",
        manifest(),
    ),
    (
        "string-too-long",
        Severity.ERROR,
        manifest(READ.replace("objectName: Account", f"objectName: {'a' * 1001}  # <-")),
        "integrations[0].read.objects[0].objectName",
        manifest(READ.replace("objectName: Account", f"objectName: {'a' * 1000}")),
    ),
    (
        "manifest-schema",
        Severity.ERROR,
        manifest(
            "write:\n  objects:\n    - objectName: Contact\n"
            "      inheritMapping: yes please  # <-\n"
        ),
        "integrations[0].write.objects[0].inheritMapping",
        manifest("write:\n  objects:\n    - objectName: Contact\n      inheritMapping: true\n"),
    ),
    (
        "integrations-required",
        Severity.ERROR,
        'specVersion: "1.0.0"\nintegrations: []  # <-\n',
        "integrations",
        manifest(),
    ),
]


@pytest.mark.parametrize(
    ("rule", "severity", "invalid", "path", "valid"), CASES, ids=[case[0] for case in CASES]
)
def test_rule_reports_its_id_severity_path_and_line(rule, severity, invalid, path, valid):
    issue = only(validate_manifest(invalid, destinations={"db"}), rule)

    assert (issue.severity, issue.path, issue.line) == (severity, path, marked_line(invalid))
    assert issue.column is not None
    assert issue.message
    assert rule not in rules(validate_manifest(valid, destinations={"db"}))


def test_destination_not_in_the_project_is_a_warning():
    text = manifest(READ.replace("destination: db", "destination: warehouse  # <-"))

    issue = only(validate_manifest(text, destinations={"db"}), "destination-exists")

    assert issue.severity is Severity.WARNING
    assert issue.path == "integrations[0].read.objects[0].destination"
    assert issue.line == marked_line(text)
    assert "destination-exists" not in rules(validate_manifest(text))
    assert validate_manifest(text, destinations={"db"}).ok


def test_integration_names_are_unique():
    text = manifest() + textwrap.indent("- name: sync\n  provider: hubspot\n  proxy: {}\n", "  ")

    issue = only(validate_manifest(text), "integration-name-unique")

    assert (issue.severity, issue.path) == (Severity.ERROR, "integrations[1].name")


# --- the spec's section 10 examples ----------------------------------------------------------


def test_spec_valid_minimal_integration_has_no_errors():
    text = """\
specVersion: "1.0.0"
integrations:
  - name: salesforce-sync
    provider: salesforce
    read:
      objects:
        - objectName: Account
          destination: postgres-db
          schedule: "*/15 * * * *"
          selectedFields:
            - fieldName: Id
            - fieldName: Name
"""
    result = validate_manifest(text)

    assert result.ok
    # selectedFields belongs to installation config: the platform drops it from a manifest.
    assert [issue.rule for issue in result.warnings] == ["unknown-key"]
    assert "selectedFields" not in result.manifest["integrations"][0]["read"]["objects"][0]


@pytest.mark.parametrize(
    ("text", "rule", "line"),
    [
        (
            """\
specVersion: "1.0.0"
integrations:
  - name: salesforce-sync
    provider: salesforce
    subscribe:  # ERROR: subscribe-requires-read
      objects:
        - objectName: Account
          destination: postgres-db
          inheritFieldsAndMapping: true
""",
            "subscribe-requires-read",
            5,
        ),
        (
            """\
specVersion: "1.0.0"
integrations:
  - name: salesforce-sync
    provider: salesforce
    read:
      objects:
        - objectName: Account
          destination: postgres-db
          schedule: "*/5 * * * *"  # ERROR: schedule-minimum-interval (< 10 min)
""",
            "schedule-minimum-interval",
            9,
        ),
        (
            """\
specVersion: "1.0.0"
integrations:
  - name: salesforce-sync
    provider: salesforce
    read:
      objects:
        - objectName: Contact
          destination: postgres-db
          schedule: "*/15 * * * *"
          requiredFields:
            - fieldName: FirstName
              mapToName: name
            - fieldName: LastName
              mapToName: name  # ERROR: field-mapping-unique
""",
            "field-mapping-unique",
            14,
        ),
        (
            """\
specVersion: "1.0.0"
integrations:
  - name: salesforce-sync
    provider: salesforce
    read:
      objects:
        - objectName: Account
          destination: db
          schedule: "*/15 * * * *"
    subscribe:
      objects:
        - objectName: Account
          destination: db
        - objectName: Contact
          destination: db
        - objectName: Opportunity
          destination: db
        - objectName: Lead
          destination: db
        - objectName: Case
          destination: db
        - objectName: Campaign
          destination: db  # ERROR: salesforce-subscribe-limit (> 5)
""",
            "salesforce-subscribe-limit",
            11,
        ),
    ],
    ids=["subscribe-without-read", "schedule-too-frequent", "duplicate-mappings", "sf-limit"],
)
def test_spec_invalid_examples_report_their_rule_and_line(text, rule, line):
    result = validate_manifest(text)

    issue = only(result, rule)
    assert issue.severity is Severity.ERROR
    assert issue.line == line
    assert not result.ok


def test_spec_line_number_example_points_at_the_schedule():
    text = """\
# Line 1
specVersion: "1.0.0"
# Line 3
integrations:
  - name: test
    provider: salesforce
    # Line 7
    read:
      objects:
        - objectName: Account
          destination: db
          # Line 12 - this should be reported
          schedule: "*/5 * * * *"  # Too frequent
"""
    issue = only(validate_manifest(text), "schedule-minimum-interval")

    assert (issue.line, issue.column) == (13, 21)


# --- inputs that must never raise --------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("a: [", "yaml-syntax"),
        ("key: value\nkey: again\n", "yaml-duplicate-key"),
        ("- 1\n- 2\n", "manifest-not-mapping"),
        ("just text", "manifest-not-mapping"),
        ("", "manifest-not-mapping"),
        ("!!python/object/apply:os.system ['true']", "yaml-syntax"),
        ("a: &a [*a]", "yaml-too-deep"),
        ("[" * 60 + "]" * 60, "yaml-too-deep"),
        ("x" * (1024 * 1024 + 1), "manifest-too-large"),
        ("? [a, b]\n: c\n", "yaml-syntax"),
    ],
)
def test_unreadable_sources_are_one_error_not_an_exception(source, rule):
    result = validate_manifest(source)

    assert result.manifest is None
    assert [(issue.rule, issue.severity) for issue in result.issues] == [(rule, Severity.ERROR)]


def test_malformed_yaml_names_its_line_and_column():
    issue = validate_manifest("specVersion: 1.0.0\nintegrations: [\n").issues[0]

    assert (issue.rule, issue.line) == ("yaml-syntax", 3)
    assert issue.column is not None


def test_yaml_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    started = time.monotonic()

    result = validate_manifest("\n".join(lines))

    assert time.monotonic() - started < 2
    assert rules(result) == {"yaml-too-large"}


@pytest.mark.parametrize("document", [[], 5, None, "text", {"integrations": "no"}, {1: 2}])
def test_any_python_value_is_validated_without_raising(document):
    result = validate_manifest(document)  # type: ignore[arg-type]

    assert not result.ok


def test_a_document_that_refers_to_itself_is_an_error_not_a_recursion():
    events: list[object] = []
    events.append(events)
    text = manifest(READ + "subscribe:\n  objects:\n    - {objectName: Account, destination: db}\n")
    parsed = validate_manifest(text).manifest
    parsed["integrations"][0]["subscribe"]["objects"][0]["otherEvents"] = events

    result = validate_manifest(parsed)

    assert [issue.rule for issue in result.issues] == ["manifest-too-deep"]


def test_dict_input_is_not_mutated_and_unknown_keys_are_dropped_from_the_result():
    document = {
        "specVersion": "1.0.0",
        "integrations": [{"name": "p", "provider": "hubspot", "proxy": {"enabled": True}, "x": 1}],
    }

    result = validate_manifest(document)

    assert result.ok
    assert [issue.rule for issue in result.warnings] == ["unknown-key"]
    assert "x" in document["integrations"][0]
    assert "x" not in result.manifest["integrations"][0]


def test_case_variants_of_known_keys_are_read_as_the_known_key():
    result = validate_manifest(manifest(READ.replace("objectName:", "ObjectName:")))

    assert result.ok
    assert result.manifest["integrations"][0]["read"]["objects"][0]["objectName"] == "Account"


# --- the catalog -------------------------------------------------------------------------------


def test_catalog_answers_support_with_module_overrides():
    catalog = load_catalog()

    assert catalog.display_name("salesforce") == "Salesforce"
    assert catalog.display_name("nosuch") == "nosuch"
    assert catalog.supports("google", "subscribe", "calendar")
    assert not catalog.supports("google", "subscribe")
    assert catalog.supports("hubspot", "proxy")
    assert not catalog.supports("hubspot", "proxy", "crm")
    assert "calendar" in catalog.modules("google")
    assert catalog.provider("nosuch") is None
    assert len(catalog.raw) == 238


def test_a_given_catalog_replaces_the_bundled_one():
    from integrations.ampersand.manifest import Catalog

    catalog = Catalog({"acme": {"name": "acme", "authType": "none", "baseURL": "x", "support": {}}})

    result = validate_manifest(manifest(provider="acme"), catalog=catalog)

    assert rules(result) == {"provider-read-support"}


# --- ported from the emulator's validator ------------------------------------------------------


@pytest.mark.parametrize(
    "schedule",
    ["*/10 * * * *", "0 * * * *", "0,30 * * * *", "5 9-17 * JAN-MAR MON-FRI", "0 0 1,15 * *"],
)
def test_cron_accepts_names_ranges_steps_and_lists(schedule):
    text = manifest(READ.replace("*/30 * * * *", schedule))

    assert validate_manifest(text).ok


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
    text = manifest(READ.replace("*/30 * * * *", schedule))

    assert "schedule-valid-cron" in rules(validate_manifest(text))


@pytest.mark.parametrize("schedule", ["0,5 * * * *", "0,55 * * * *", "0-9 * * * *"])
def test_gaps_between_runs_count_across_the_hour(schedule):
    text = manifest(READ.replace("*/30 * * * *", schedule))

    assert "schedule-minimum-interval" in rules(validate_manifest(text))


@pytest.mark.parametrize("value", ["1", "'true'", "yes please"])
def test_booleans_must_be_booleans(value):
    text = manifest(
        f"write:\n  objects:\n    - objectName: Contact\n      inheritMapping: {value}\n"
    )

    assert "manifest-schema" in rules(validate_manifest(text))


def test_whole_numbers_written_with_a_decimal_point_are_refused():
    text = read_object_with("delivery:\n  mode: onRequest\n  pageSize: 100.0\n")

    assert "delivery-onrequest-pagesize-range" not in rules(validate_manifest(text))
    assert "manifest-schema" in rules(validate_manifest(text))


def test_yaml_dates_are_not_strings():
    text = manifest(READ.replace("objectName: Account", "objectName: 2026-01-01"))

    assert "manifest-schema" in rules(validate_manifest(text))


def test_unicode_and_html_names_are_data():
    text = manifest(READ.replace("objectName: Account", 'objectName: "<b>Kündê</b> 😀"'))

    assert validate_manifest(text).ok


def test_line_breaks_are_fine_in_a_prompt_but_not_in_a_name():
    prompt = read_object_with(
        "optionalFields:\n  - mapToName: segment\n    prompt: |\n      Which field?\n      Pick.\n"
    )
    name = manifest(READ.replace("objectName: Account", 'objectName: "Acc\\nount"'))

    assert validate_manifest(prompt).ok
    assert "string-control-characters" in rules(validate_manifest(name))


def test_issues_are_capped():
    objects = "".join(
        f'    - {{objectName: O{n}, destination: db, schedule: "* * * * *"}}\n' for n in range(300)
    )

    result = validate_manifest(manifest(f"read:\n  objects:\n{objects}"))

    assert len(result.issues) == 100
