from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from integrations.ampersand.client import listed_installations, one_installation
from integrations.ampersand.errors import InvalidResponseError
from integrations.ampersand.models import (
    ApiProblem,
    DefaultPeriod,
    FixedField,
    InputValidationProblem,
    Integration,
    IntegrationContent,
    IntegrationObject,
    MappedField,
    Operation,
    Project,
)
from tests.ampersand.samples import (
    CONTRACT_EXAMPLES,
    PROJECT_BODY,
    READ_ACCOUNTS_CONTENT,
    integration_body,
)


def test_field_with_field_name_is_fixed_and_without_is_mapped():
    read_object = IntegrationObject.model_validate(READ_ACCOUNTS_CONTENT["read"]["objects"][0])

    name, renamed_id = read_object.required_fields
    picked, industry = read_object.optional_fields
    assert isinstance(name, FixedField)
    assert name.field_name == "name"
    assert name.map_to_name is None
    assert isinstance(picked, MappedField)
    assert picked.map_to_name == "priority"
    assert picked.prompt == "Pick it"
    assert isinstance(industry, FixedField)
    # The published oneOf matches a renamed fixed field to both variants; it is a FixedField.
    assert isinstance(renamed_id, FixedField)
    assert (renamed_id.field_name, renamed_id.map_to_name) == ("Id", "account_id")
    assert renamed_id.map_to_display_name == "Account ID"


def test_field_without_field_name_or_map_to_name_is_refused_at_its_path():
    with pytest.raises(ValidationError) as caught:
        IntegrationObject.model_validate(
            {
                "objectName": "a",
                "destination": "d",
                "schedule": "* * * * *",
                "requiredFields": [{"fieldName": "ok"}, {"prompt": "no name"}, "name"],
            }
        )

    locations = [error["loc"] for error in caught.value.errors()]
    assert ("requiredFields", 1, "MappedField", "mapToName") in locations
    assert ("requiredFields", 2) in locations


def test_backfill_period_is_either_days_or_full_history():
    objects = IntegrationContent.model_validate(READ_ACCOUNTS_CONTENT).read.objects

    assert objects[0].backfill.default_period.days == 30
    assert objects[0].backfill.default_period.full_history is None
    assert objects[1].backfill.default_period.full_history is True
    assert objects[1].backfill.default_period.days is None
    assert objects[2].backfill is None


@pytest.mark.parametrize("period", [{}, {"days": -1}, {"days": "many"}])
def test_backfill_period_without_a_valid_choice_is_refused(period):
    with pytest.raises(ValidationError):
        DefaultPeriod.model_validate(period)


def test_every_manifest_part_parses_to_snake_case_attributes():
    content = IntegrationContent.model_validate(READ_ACCOUNTS_CONTENT)

    account = content.read.objects[0]
    assert (account.object_name, account.schedule, account.map_to_name) == (
        "account",
        "*/15 * * * *",
        "people",
    )
    assert account.optional_fields_auto == "all"
    assert (account.delivery.mode, account.delivery.page_size) == ("onRequest", 100)
    assert content.read.objects[1].enabled == "always"
    assert content.write.objects[0].inherit_mapping is True
    assert content.write.objects[1].value_defaults.allow_any_fields is True
    subscribed = content.subscribe.objects[0]
    assert subscribed.inherit_fields_and_mapping is True
    assert subscribed.create_event.enabled == "always"
    assert subscribed.update_event.required_watch_fields == ["name", "domain"]
    assert subscribed.update_event.required_watch_fields == ["name", "domain"]
    assert subscribed.delete_event.enabled == "always"
    assert subscribed.association_change_event.include_full_records is True
    assert subscribed.other_events == ["object.merged", "object.restored"]
    assert (content.proxy.enabled, content.proxy.use_module) == (True, False)
    assert content.watch_schema.all_objects.field_changed.enabled == "always"
    assert content.display_name == "Salesforce Accounts"


def test_delivery_page_size_outside_contract_bounds_is_refused():
    broken = copy.deepcopy(READ_ACCOUNTS_CONTENT)
    broken["read"]["objects"][0]["delivery"]["pageSize"] = 10

    with pytest.raises(ValidationError):
        IntegrationContent.model_validate(broken)


def test_integration_example_parses_with_timezone_aware_datetimes():
    integration = Integration.model_validate(integration_body())

    assert integration.create_time == datetime(2024, 4, 22, 18, 55, 28, 456076, tzinfo=UTC)
    assert integration.update_time.tzinfo is not None
    assert integration.latest_revision.id == "revision-id-1"
    assert integration.latest_revision.content.name == "read-accounts"


def test_numeric_timestamp_is_refused_rather_than_read_as_unix_seconds():
    with pytest.raises(ValidationError) as caught:
        Integration.model_validate(integration_body(createTime=12345))

    assert caught.value.errors()[0]["loc"] == ("createTime",)


@pytest.mark.parametrize("example", ["listInstallations.200", "listInstallationsForProject.200"])
def test_contract_installation_list_examples_decode(example):
    installations = listed_installations(json.dumps(CONTRACT_EXAMPLES[example]).encode())

    installation = installations[0]
    assert installation.health_status == "healthy"
    assert installation.group.group_ref == "org_12345"
    assert installation.connection.provider == "salesforce"
    assert installation.connection.group.group_name == "Acme Corp"
    config = json.loads(bytes(installation.config))
    assert config == CONTRACT_EXAMPLES[example][0]["config"]
    account = config["content"]["read"]["objects"]["account"]
    assert account["selectedFields"] == {"name": True, "industry": True}


def test_contract_single_installation_example_decodes():
    installation = one_installation(json.dumps(CONTRACT_EXAMPLES["getInstallation.200"]).encode())

    assert installation.created_by == "consumer:user_67890"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'[{"id": "i", "healthStatus": "ok", "config": {}}]', "[0].integrationId: Field required"),
        (
            b'[{"id": 1, "integrationId": "x", "healthStatus": "ok", "config": {}}]',
            "[0].id: Expected `str`, got `int`",
        ),
        (
            b'[{"id": "i", "integrationId": "x", "healthStatus": "ok", "config": {},'
            b' "connection": {"status": "working"}}]',
            "[0].connection.provider: Field required",
        ),
        (b"{}", "(body): Expected `array`, got `object`"),
    ],
)
def test_an_installation_listing_the_contract_does_not_allow_names_the_field(body, problem):
    with pytest.raises(InvalidResponseError) as caught:
        listed_installations(body)

    assert caught.value.field_errors == [problem]


def test_contract_operation_examples_parse():
    read = Operation.model_validate(CONTRACT_EXAMPLES["getOperation.200.readSuccess"])
    running = Operation.model_validate(CONTRACT_EXAMPLES["getOperation.200.readProgress"])
    write = Operation.model_validate(CONTRACT_EXAMPLES["getOperation.200.writeSuccess"])

    assert (read.action_type, read.status, read.result) == (
        "read",
        "success",
        "[contact] No new data found",
    )
    assert read.metadata.objects == ["contact"]
    assert read.create_time == datetime(2023, 7, 13, 21, 34, 44, 816354, tzinfo=UTC)
    assert running.result is None
    assert running.metadata.progress.records_processed == 1250
    assert running.metadata.progress.records_estimated_total == 5000
    assert write.metadata.successful_record_ids == ["001xx000003DGbYAAW", "001xx000003DGbZAAW"]
    assert write.raw == CONTRACT_EXAMPLES["getOperation.200.writeSuccess"]


def test_contract_problem_examples_parse():
    problem = ApiProblem.model_validate(CONTRACT_EXAMPLES["Problem"])
    validation = InputValidationProblem.model_validate(CONTRACT_EXAMPLES["InputValidationProblem"])

    assert problem.status == 400
    assert [issue.in_ for issue in validation.issues] == ["path", "body"]
    assert validation.issues[1].name == "items[0].examplePropertyWithPattern"
    assert validation.issues[0].value == "abc"


def test_unknown_fields_are_kept_everywhere_and_dumped_back():
    body = integration_body(futureTopLevel={"nested": [1, 2]})
    body["latestRevision"]["content"]["read"]["objects"][0]["futureKnob"] = "on"

    integration = Integration.model_validate(body)

    assert integration.model_extra == {"futureTopLevel": {"nested": [1, 2]}}
    assert integration.latest_revision.content.read.objects[0].futureKnob == "on"
    assert integration.to_api() == body


def test_enum_values_added_by_a_newer_api_still_parse():
    body = integration_body()
    read_object = body["latestRevision"]["content"]["read"]["objects"][0]
    read_object["enabled"] = "sometimes"
    read_object["delivery"] = {"mode": "streaming"}

    parsed = Integration.model_validate(body).latest_revision.content.read.objects[0]

    assert (parsed.enabled, parsed.delivery.mode) == ("sometimes", "streaming")


def test_raw_is_the_exact_input_and_cannot_be_changed_through_the_model():
    body = integration_body(futureTopLevel=True)
    integration = Integration.model_validate(copy.deepcopy(body))

    integration.raw["name"] = "changed"

    assert integration.raw == body
    assert integration.latest_revision.content.raw == body["latestRevision"]["content"]


def test_raw_copies_nested_objects_and_lists_and_keeps_every_json_value_exactly():
    body = integration_body(
        future={"big": 2**70, "nan": float("nan"), "text": "\ud800", "list": [1]}
    )
    integration = Integration.model_validate(copy.deepcopy(body))

    first = integration.raw
    first["latestRevision"]["content"]["read"]["objects"].clear()
    first["future"]["list"].append(2)
    second = integration.raw

    assert second["latestRevision"] == body["latestRevision"]
    assert second["future"]["list"] == [1]
    assert (second["future"]["big"], second["future"]["text"]) == (2**70, "\ud800")
    assert second["future"]["nan"] != second["future"]["nan"]  # still NaN


def test_models_are_frozen():
    project = Project.model_validate(PROJECT_BODY)

    with pytest.raises(ValidationError):
        project.name = "other"


def test_models_accept_python_names_when_built_in_code():
    field = FixedField(field_name="Id", map_to_name="account_id")

    assert field.to_api() == {"fieldName": "Id", "mapToName": "account_id"}
