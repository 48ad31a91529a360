"""The validator's examples, one invalid amp.yaml and its valid neighbour per rule, shared by
the validator's tests and the deploy properties (the dashboard and the emulator refuse alike)."""

from __future__ import annotations

import textwrap

from integrations.ampersand.manifest import Severity

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


# Ampersand's own invalid examples (spec section 10): (amp.yaml, rule, line of the issue).
SPEC_INVALID_EXAMPLES = [
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
]
SPEC_INVALID_EXAMPLE_IDS = [
    "subscribe-without-read",
    "schedule-too-frequent",
    "duplicate-mappings",
    "sf-limit",
]
