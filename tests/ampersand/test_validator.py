"""validate_manifest: every rule of Ampersand's spec that applies to a manifest, with its id,
severity, path and YAML line, beside a valid neighbour that passes the same rule."""

from __future__ import annotations

import textwrap
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.ampersand.manifest import (
    Severity,
    ValidationIssue,
    ValidationResult,
    load_catalog,
    validate_manifest,
)
from tests.ampersand.manifest_strategies import documents, mutated_manifests
from tests.ampersand.validator_cases import (
    CASES,
    READ,
    SPEC_INVALID_EXAMPLE_IDS,
    SPEC_INVALID_EXAMPLES,
    manifest,
    marked_line,
    read_object_with,
)


def rules(result: ValidationResult) -> set[str]:
    return {issue.rule for issue in result.issues}


def only(result: ValidationResult, rule: str):
    found = [issue for issue in result.issues if issue.rule == rule]
    assert len(found) == 1, result.issues
    return found[0]


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
    ("text", "rule", "line"), SPEC_INVALID_EXAMPLES, ids=SPEC_INVALID_EXAMPLE_IDS
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


def test_a_character_yaml_does_not_allow_is_one_error_at_its_line_not_an_exception():
    # Found by the deploy properties: PyYAML's reader raised before parsing began.
    result = validate_manifest('specVersion: "1.0.0"\nintegrations: [x\x1f]\n')

    assert result.manifest is None
    [issue] = result.issues
    assert (issue.rule, issue.severity) == ("yaml-syntax", Severity.ERROR)
    assert (issue.line, issue.column) == (2, 17)
    assert "U+001F" in issue.message


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


def test_an_issue_read_back_from_its_json_is_the_same_issue():
    unreadable = validate_manifest("specVersion: 1.0.0\nintegrations: [\n").issues
    issues = [*unreadable, ValidationIssue(Severity.NOTE, "a-rule", "manifest", "no position")]

    assert [ValidationIssue.from_json(issue.as_json()) for issue in issues] == issues


def _storable(text: str) -> bool:
    """Whether PostgreSQL keeps `text` in JSON: no NUL and no lone surrogate."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


# Keys and values that a YAML escape or a JSON body can carry, and a database cannot keep.
_unstorable = st.text(st.characters(categories=["Cc", "Cs"]), min_size=1, max_size=4)


@st.composite
def _with_unstorable_text(draw: st.DrawFn) -> dict:
    document = draw(mutated_manifests())
    integrations = document.get("integrations")
    first = integrations[0] if isinstance(integrations, list) and integrations else None
    target = first if isinstance(first, dict) else document
    target[draw(_unstorable)] = draw(st.one_of(_unstorable, documents))
    return document


@given(document=st.one_of(documents, _with_unstorable_text()))
@settings(max_examples=300, deadline=None)
def test_issues_name_what_they_found_in_text_a_database_can_keep(document):
    # Found by fuzzing the editor on PostgreSQL: a key "\0" gave a path that no draft could keep.
    for issue in validate_manifest(document).issues:
        assert _storable(issue.path), issue
        assert _storable(issue.message), issue


def test_a_nul_in_a_key_is_spelled_out_in_the_issues_path():
    text = 'specVersion: "1.0.0"\nintegrations:\n- name: a\n  provider: salesforce\n  "b\\0": 1\n'

    issue = only(validate_manifest(text), "unknown-key")

    assert issue.path == "integrations[0].b\\x00"
