"""getObjectMetadataForConnection: the provider objects' fields, consistent with the demo seeds.

Every answer served here is also checked against the OpenAPI spec (tests/conftest.py).
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from django.core.management import call_command

from emulator import demo_data
from emulator.models import Installation, Integration
from emulator.object_metadata import field_metadata, object_metadata
from tests.conftest import EmulatorApi
from tests.emulator.helpers import assert_problem, issue_names, project_client
from tests.integrations.conftest import seed_remote

VALUE_TYPES = {
    *("string", "boolean", "singleSelect", "multiSelect", "date", "datetime", "int", "float"),
    *("reference", "other"),
}


@pytest.fixture
def seeded(emulator_api: EmulatorApi) -> EmulatorApi:
    return seed_remote(emulator_api, integrations=24, seed=1)


@pytest.fixture
def api(seeded: EmulatorApi):
    with project_client(seeded) as client:
        yield client


def group_of(provider: str) -> str:
    installation = Installation.objects.filter(
        project__name="seeded", connection__provider=provider
    ).first()
    return installation.group["groupRef"]


def metadata_url(provider: str, object_name: str) -> str:
    return f"providers/{provider}/objects/{object_name}/metadata"


def read_fields(read_object: dict) -> set[str]:
    return {
        field["fieldName"]
        for field in [*read_object["requiredFields"], *read_object.get("optionalFields", [])]
        if "fieldName" in field
    }


# --- the metadata, from the catalog's names ----------------------------------------------------


def test_a_catalog_object_has_its_fields_then_its_extra_fields():
    metadata = object_metadata("salesforce", "account", fields_in_use=None)
    account = demo_data.SALESFORCE.objects[0]

    assert metadata["name"] == "account"
    assert metadata["displayName"] == "Account"
    assert list(metadata["fields"]) == [
        *account.fields,
        *demo_data.EXTRA_FIELDS[("salesforce", "account")],
    ]
    assert not any(field["isCustom"] for field in metadata["fields"].values())


def test_every_catalog_object_has_extra_fields_that_no_demo_integration_reads():
    for provider in demo_data.PROVIDERS:
        for obj in provider.objects:
            extra = demo_data.EXTRA_FIELDS[(provider.name, obj.name)]
            assert extra, obj.name
            assert not set(extra) & set(obj.fields), obj.name


def test_fields_the_catalog_lacks_are_the_connections_custom_fields():
    metadata = object_metadata(
        "salesforce", "account", fields_in_use=["Name", "Custom_Field_7__c", "Custom_Field_7__c"]
    )

    custom = metadata["fields"]["Custom_Field_7__c"]
    assert custom["isCustom"]
    assert custom["displayName"] == "Custom Field 7"
    assert not metadata["fields"]["Name"]["isCustom"]
    assert list(metadata["fields"]).count("Custom_Field_7__c") == 1


def test_an_object_outside_the_catalog_exists_only_when_something_reads_it():
    assert object_metadata("salesforce", "Invoice__c", fields_in_use=None) is None
    assert object_metadata("asana", "tasks", fields_in_use=None) is None

    custom_object = object_metadata("salesforce", "Custom_Object_2__c", fields_in_use=[])
    assert custom_object["displayName"] == "Custom Object 2"
    assert list(custom_object["fields"]) == list(demo_data.SALESFORCE.base_fields)
    assert object_metadata("asana", "tasks", fields_in_use=["gid"])["fields"]["gid"]["isCustom"]


@pytest.mark.parametrize(
    ("provider", "name", "display_name", "value_type", "provider_type", "read_only"),
    [
        ("salesforce", "BillingPostalCode", "Billing Postal Code", "string", "string", False),
        ("salesforce", "StageName", "Stage Name", "singleSelect", "picklist", False),
        ("salesforce", "AnnualRevenue", "Annual Revenue", "float", "double", False),
        ("salesforce", "OwnerId", "Owner ID", "reference", "reference", False),
        ("salesforce", "CreatedDate", "Created Date", "datetime", "datetime", True),
        ("salesforce", "CloseDate", "Close Date", "date", "date", False),
        ("salesforce", "HasOptedOutOfEmail", "Has Opted Out of Email", "boolean", "boolean", False),
        ("hubspot", "hs_lastmodifieddate", "Last Modified Date", "datetime", "datetime", True),
        ("hubspot", "numberofemployees", "Number of Employees", "int", "number", False),
        ("hubspot", "lifecyclestage", "Lifecycle Stage", "singleSelect", "enumeration", False),
        (
            "zendeskSupport",
            "$['via']['channel']",
            "Via Channel",
            "singleSelect",
            "singleSelect",
            False,
        ),
        ("zendeskSupport", "tags", "Tags", "multiSelect", "multiSelect", False),
        ("zendeskSupport", "id", "ID", "string", "string", True),
        ("notion", "icon", "Icon", "other", "other", False),
    ],
)
def test_a_fields_metadata_is_read_from_its_name(
    provider, name, display_name, value_type, provider_type, read_only
):
    field = field_metadata(provider, name, is_custom=False, is_key=False)

    assert field["fieldName"] == name
    assert (field["displayName"], field["valueType"]) == (display_name, value_type)
    assert (field["providerType"], field["readOnly"]) == (provider_type, read_only)


def test_a_key_field_is_required_unless_the_provider_sets_it():
    assert field_metadata("salesforce", "Name", is_custom=False, is_key=True)["isRequired"]
    assert not field_metadata("salesforce", "Name", is_custom=False, is_key=False)["isRequired"]
    assert not field_metadata("zendeskSupport", "id", is_custom=False, is_key=True)["isRequired"]


def test_pipedrives_hashed_custom_fields_get_a_readable_name():
    name = "0" * 34 + "abcdef"

    assert field_metadata("pipedrive", name, is_custom=True, is_key=False)["displayName"] == (
        "Custom field 000000"
    )


# --- the operation -----------------------------------------------------------------------------


def test_every_field_a_seeded_integration_reads_is_in_its_objects_metadata(api):
    answered = 0
    for integration in Integration.objects.filter(project__name="seeded").select_related(
        "latest_revision"
    ):
        group_ref = group_of(integration.provider)
        for read_object in integration.latest_revision.content.get("read", {}).get("objects", []):
            response = api.get(
                metadata_url(integration.provider, read_object["objectName"]),
                params={"groupRef": group_ref},
            )

            assert response.status_code == 200, response.text
            fields = response.json()["fields"]
            assert read_fields(read_object) <= set(fields), integration.name
            assert set(fields) - read_fields(read_object), "nothing left to pick"
            assert {field["valueType"] for field in fields.values()} <= VALUE_TYPES
            answered += 1
    assert answered > 40


def test_custom_fields_and_objects_of_a_large_seed_are_in_the_metadata(emulator_api):
    call_command(
        "seed_emulator",
        project="wide",
        integrations=2,
        seed=4,
        objects=8,
        fields=30,
        api_key="wide-key",
    )
    integration = Integration.objects.select_related("latest_revision").get(
        project__name="wide", name="salesforce-crm-sync"
    )
    group_ref = Installation.objects.filter(integration=integration).first().group["groupRef"]
    read_objects = integration.latest_revision.content["read"]["objects"]
    assert any(obj["objectName"].endswith("__c") for obj in read_objects)

    with httpx.Client(
        base_url=f"{emulator_api.base_url}/projects/wide/", headers={"X-Api-Key": "wide-key"}
    ) as api:
        for read_object in read_objects:
            response = api.get(
                metadata_url("salesforce", read_object["objectName"]),
                params={"groupRef": group_ref},
            )
            assert read_fields(read_object) <= set(response.json()["fields"])


def test_the_answer_is_object_metadata_with_display_names_and_types(api):
    response = api.get(
        metadata_url("salesforce", "opportunity"), params={"groupRef": group_of("salesforce")}
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    metadata = response.json()
    assert (metadata["name"], metadata["displayName"]) == ("opportunity", "Opportunity")
    assert metadata["fields"]["Amount"] == {
        "fieldName": "Amount",
        "displayName": "Amount",
        "valueType": "float",
        "providerType": "double",
        "readOnly": False,
        "isCustom": False,
        "isRequired": True,
    }


def test_exclude_read_only_leaves_out_read_only_fields(api):
    params = {"groupRef": group_of("salesforce")}
    everything = api.get(metadata_url("salesforce", "account"), params=params).json()["fields"]
    writable = api.get(
        metadata_url("salesforce", "account"), params={**params, "excludeReadOnly": "true"}
    ).json()["fields"]

    assert "CreatedDate" in everything
    assert set(writable) == {name for name, field in everything.items() if not field["readOnly"]}


@pytest.mark.parametrize("params", [{}, {"groupRef": ""}])
def test_without_group_ref_it_is_400(api, params):
    problem = assert_problem(api.get(metadata_url("salesforce", "account"), params=params), 400)

    assert issue_names(problem) == ["groupRef"]


def test_an_exclude_read_only_that_is_no_boolean_is_400(api):
    response = api.get(
        metadata_url("salesforce", "account"),
        params={"groupRef": group_of("salesforce"), "excludeReadOnly": "maybe"},
    )

    assert issue_names(assert_problem(response, 400)) == ["excludeReadOnly"]


def test_a_group_without_a_connection_to_the_provider_is_404(api):
    hubspot_only = set(
        Installation.objects.filter(connection__provider="hubspot").values_list(
            "group__groupRef", flat=True
        )
    ) - set(
        Installation.objects.filter(connection__provider="salesforce").values_list(
            "group__groupRef", flat=True
        )
    )
    for group_ref in (sorted(hubspot_only)[0], "nobody"):
        response = api.get(metadata_url("salesforce", "account"), params={"groupRef": group_ref})

        problem = assert_problem(response, 404)
        assert issue_names(problem) == ["groupRef"]
        assert "no connection" in problem["detail"]


def test_an_unknown_object_is_404(api):
    response = api.get(
        metadata_url("salesforce", "Invoice__c"), params={"groupRef": group_of("salesforce")}
    )

    assert issue_names(assert_problem(response, 404)) == ["objectName"]


def test_injected_faults_apply_to_it(seeded):
    params = {"groupRef": group_of("salesforce")}
    faults = f"seq=503,invalid,ok; id={uuid.uuid4()}"
    with project_client(seeded, **{"X-Emulator-Faults": faults}) as api:
        unavailable = api.get(metadata_url("salesforce", "account"), params=params)
        broken = api.get(metadata_url("salesforce", "account"), params=params)
        fine = api.get(metadata_url("salesforce", "account"), params=params)

    assert assert_problem(unavailable, 503)["retryable"]
    assert "name" not in broken.json()
    assert fine.json()["name"] == "account"
