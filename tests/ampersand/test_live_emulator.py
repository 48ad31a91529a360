"""The client against the emulator over a real socket, including its fault injection."""

from __future__ import annotations

import copy
import logging
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.utils import timezone

from integrations.ampersand import (
    AmpersandClient,
    AuthError,
    ConflictError,
    InputValidationError,
    Integration,
    InvalidResponseError,
    ListedInstallation,
    NotFoundError,
    ObjectMetadata,
    Operation,
    RateLimitedError,
    ServerError,
    TransportError,
    build_manifest_yaml,
)
from tests.ampersand.samples import CONTRACT_EXAMPLES, READ_ACCOUNTS_CONTENT
from tests.conftest import EmulatorApi
from tests.integrations.conftest import seed_remote


def make_client(emulator_api: EmulatorApi, **options: object) -> AmpersandClient:
    settings: dict[str, object] = {"timeout": 5.0, "backoff_base": 0.02, "backoff_cap": 0.2}
    settings.update(options)
    return AmpersandClient(
        base_url=emulator_api.base_url,
        api_key=emulator_api.api_key,
        project=emulator_api.project,
        **settings,
    )


def with_faults(emulator_api: EmulatorApi, faults: str, **options: object) -> AmpersandClient:
    return make_client(emulator_api, headers={"X-Emulator-Faults": faults}, **options)


def one_off(faults: str) -> str:
    """A fault sequence that starts fresh for this test."""
    return f"{faults}; id={uuid.uuid4()}"


@pytest.fixture
def client(emulator_api: EmulatorApi) -> Iterator[AmpersandClient]:
    with make_client(emulator_api) as api_client:
        yield api_client


@pytest.fixture
def integration(client: AmpersandClient) -> Integration:
    return client.create_integration(
        name="read-accounts", provider="salesforce", content=READ_ACCOUNTS_CONTENT
    )


def install(integration: Integration, group_ref: str) -> None:
    from emulator.models import Installation as StoredInstallation

    example = copy.deepcopy(CONTRACT_EXAMPLES["listInstallations.200"][0])
    example["group"]["groupRef"] = group_ref
    # The contract's own example omits this required key; the emulator answers must carry it.
    example["config"]["content"]["read"]["objects"]["account"]["selectedFieldMappings"] = {}
    StoredInstallation.objects.create(
        project_id=integration.project_id,
        integration_id=integration.id,
        group=example["group"],
        connection=example["connection"],
        config={**example["config"], "revisionId": integration.latest_revision.id},
        created_by=example["createdBy"],
        create_time=timezone.now(),
    )


def test_every_operation_round_trips(client: AmpersandClient, emulator_api: EmulatorApi):
    project = client.get_project()
    assert project.name == emulator_api.project

    created_destination = client.create_destination(
        name="ordersWebhook", type="webhook", metadata={"url": "https://example.com/orders"}
    )
    assert created_destination.type == "webhook"
    assert {d.name for d in client.list_destinations()} == {"defaultWebhook", "ordersWebhook"}

    created = client.create_integration(
        name="read-accounts", provider="salesforce", content=READ_ACCOUNTS_CONTENT
    )
    assert created.latest_revision.content.raw == READ_ACCOUNTS_CONTENT
    assert client.get_integration(created.id).raw == created.raw
    assert client.get_integration("read-accounts").id == created.id
    assert [i.id for i in client.list_integrations()] == [created.id]

    changed = copy.deepcopy(READ_ACCOUNTS_CONTENT)
    changed["read"]["objects"][2]["schedule"] = "0 * * * *"
    second = {
        "name": "read-contacts",
        "provider": "hubspot",
        "read": {
            "objects": [
                {"objectName": "contacts", "destination": "ordersWebhook", "schedule": "0 0 * * *"}
            ]
        },
    }
    upserted = client.batch_upsert(build_manifest_yaml([changed, second]))
    assert all(isinstance(item, Integration) for item in upserted)
    assert [i.name for i in upserted] == ["read-accounts", "read-contacts"]
    assert upserted[0].id == created.id
    assert upserted[0].latest_revision.id != created.latest_revision.id
    assert upserted[0].latest_revision.content.raw == changed

    revised = copy.deepcopy(changed)
    revised["displayName"] = "Accounts, revised"
    after_revision = client.create_revision(created.id, build_manifest_yaml([revised]))
    assert after_revision.latest_revision.content.display_name == "Accounts, revised"

    install(after_revision, "org_1")
    install(after_revision, "org_2")
    installations = client.list_installations(created.id)
    assert all(isinstance(item, ListedInstallation) for item in installations)
    assert sorted(i.group.group_ref for i in installations) == ["org_1", "org_2"]
    assert [
        i.group.group_ref for i in client.list_installations(created.id, group_ref="org_2")
    ] == ["org_2"]
    assert len(client.list_installations()) == 2
    assert client.list_installations(group_ref="nobody") == []

    client.delete_integration(created.id)
    with pytest.raises(NotFoundError) as caught:
        client.get_integration(created.id)
    assert caught.value.request_id
    assert [i.name for i in client.list_integrations()] == ["read-contacts"]


def test_refused_inputs_are_typed_errors(client: AmpersandClient, integration: Integration):
    with pytest.raises(ConflictError):
        client.create_integration(
            name="read-accounts", provider="salesforce", content=READ_ACCOUNTS_CONTENT
        )
    with pytest.raises(InputValidationError) as caught:
        client.create_destination(name="bad name!", type="webhook", metadata={"url": "http://x"})
    assert {issue.name for issue in caught.value.issues} == {"name", "metadata.url"}
    with pytest.raises(InputValidationError):
        client.batch_upsert("specVersion: [not yaml")


def test_wrong_api_key_is_an_auth_error(emulator_api: EmulatorApi):
    with (
        AmpersandClient(
            base_url=emulator_api.base_url, api_key="wrong", project=emulator_api.project
        ) as stranger,
        pytest.raises(AuthError) as caught,
    ):
        stranger.list_integrations()

    assert caught.value.status == 401
    assert caught.value.request_id


def test_key_of_another_project_is_an_auth_error(emulator_api: EmulatorApi):
    from emulator.models import ApiKey, Project

    other = Project.objects.create(name="other", app_name="Other", create_time=timezone.now())
    ApiKey.objects.create(key="other-key", project=other)

    with (
        AmpersandClient(
            base_url=emulator_api.base_url, api_key="other-key", project=emulator_api.project
        ) as outsider,
        pytest.raises(AuthError) as caught,
    ):
        outsider.get_project()

    assert caught.value.status == 403


def test_transient_faults_are_retried_to_success(emulator_api: EmulatorApi, caplog):
    with (
        with_faults(emulator_api, one_off("seq=503,429,502,ok"), max_retry_wait=0.1) as faulty,
        caplog.at_level(logging.INFO, logger="integrations.ampersand"),
    ):
        project = faulty.get_project()

    retries = [r for r in caplog.records if r.name.startswith("integrations.ampersand")]
    assert project.name == emulator_api.project
    assert [r.getMessage().rsplit(" ", 2)[-2:] for r in retries] == [
        ["HTTP", "503"],
        ["HTTP", "429"],
        ["HTTP", "502"],
    ]
    assert emulator_api.api_key not in caplog.text


def test_truncated_json_on_get_is_retried(emulator_api: EmulatorApi, integration: Integration):
    with with_faults(emulator_api, one_off("seq=truncate,truncate,ok")) as faulty:
        assert [i.id for i in faulty.list_integrations()] == [integration.id]


def test_schema_invalid_body_raises_invalid_response_naming_the_field(
    emulator_api: EmulatorApi, integration: Integration
):
    with (
        with_faults(emulator_api, one_off("seq=invalid")) as faulty,
        pytest.raises(InvalidResponseError) as caught,
    ):
        faulty.list_integrations()

    paths = [error.split(":")[0] for error in caught.value.field_errors]
    assert paths == ["[0].id", "[0].createTime"]


def test_post_is_not_retried_on_503(emulator_api: EmulatorApi, client: AmpersandClient):
    with (
        with_faults(emulator_api, one_off("seq=503,ok")) as faulty,
        pytest.raises(ServerError) as caught,
    ):
        faulty.create_destination(name="x", type="webhook", metadata={"url": "https://x.io"})

    assert caught.value.status == 503
    assert "x" not in {d.name for d in client.list_destinations()}


def test_read_timeout_on_get_is_retried_quickly(emulator_api: EmulatorApi):
    with with_faults(emulator_api, one_off("seq=timeout,ok; stall=2"), timeout=0.5) as faulty:
        started = time.monotonic()
        faulty.get_project()

    assert time.monotonic() - started < 1.9


def test_read_timeout_on_post_is_a_transport_error(emulator_api: EmulatorApi):
    with (
        with_faults(emulator_api, one_off("seq=timeout; stall=2"), timeout=0.5) as faulty,
        pytest.raises(TransportError),
    ):
        faulty.create_destination(name="y", type="webhook", metadata={"url": "https://y.io"})


def outcome_of(call: Callable[[], object]) -> str:
    """ "ok", or the kind of typed error the call raised (unexpected exceptions propagate)."""
    try:
        call()
    except InvalidResponseError as error:
        return "invalid" if error.field_errors or error.detail else "unexplained invalid"
    except (ServerError, RateLimitedError) as error:
        return f"http {error.status}"
    except TransportError as error:
        return "transport" if error.cause is not None else "transport without cause"
    return "ok"


def test_random_faults_end_in_success_or_a_typed_error_within_bounded_time(
    emulator_api: EmulatorApi, integration: Integration, caplog
):
    faults = "rate=0.3; kinds=500,502,503,429,timeout,truncate,invalid; stall=2"
    manifest = build_manifest_yaml([READ_ACCOUNTS_CONTENT])
    total_timeout = 6.0
    outcomes: list[str] = []
    slowest_call = 0.0
    started = time.monotonic()
    with (
        with_faults(
            emulator_api, faults, timeout=0.5, total_timeout=total_timeout, max_retry_wait=0.3
        ) as faulty,
        caplog.at_level(logging.INFO, logger="integrations.ampersand"),
    ):
        calls = [
            faulty.get_project,
            faulty.list_integrations,
            lambda: faulty.get_integration(integration.id),
            faulty.list_destinations,
            faulty.list_installations,
            lambda: faulty.list_installations(integration.id),
            lambda: faulty.batch_upsert(manifest),
        ]
        for round_number in range(6):

            def create(n: int = round_number) -> object:
                return faulty.create_destination(
                    name=f"hook-{n}", type="webhook", metadata={"url": "https://h.io"}
                )

            for call in [*calls, create]:
                call_started = time.monotonic()
                outcomes.append(outcome_of(call))
                slowest_call = max(slowest_call, time.monotonic() - call_started)

    allowed = {"ok", "invalid", "transport", *(f"http {s}" for s in (429, 500, 502, 503, 504))}
    assert set(outcomes) <= allowed
    assert len(outcomes) == 48
    assert outcomes.count("ok") >= len(outcomes) // 2
    assert slowest_call < total_timeout + 1.5
    assert any(r.name.startswith("integrations.ampersand") for r in caplog.records)
    assert time.monotonic() - started < 90


def test_provider_catalog_is_read_through_the_client(client: AmpersandClient):
    providers = client.list_providers()

    assert len(providers) == 238
    assert providers["salesforce"].display_name == "Salesforce"
    google = client.get_provider("google")
    assert google.default_module == "calendar"
    assert google.modules["calendar"].support.subscribe
    assert not google.support.subscribe
    assert google.raw["displayName"] == "Google"


def test_unknown_provider_is_not_found(client: AmpersandClient):
    with pytest.raises(NotFoundError):
        client.get_provider("nosuch")


# --- getObjectMetadataForConnection ------------------------------------------------------------

# Faults that the retries get through, and ones that outlast two retries (the typed error and
# its status, when there is one).
TRANSIENT_FAULTS = ["seq=503,502,ok", "seq=429,ok", "seq=timeout,ok; stall=2", "seq=truncate,ok"]
OUTLASTING_FAULTS = [
    ("seq=502,503,504", ServerError, 504),
    ("seq=500,ok", ServerError, 500),
    ("seq=429,429,429", RateLimitedError, 429),
    ("seq=timeout,timeout,timeout; stall=2", TransportError, None),
    ("seq=truncate,truncate,truncate", InvalidResponseError, 200),
    ("seq=invalid", InvalidResponseError, None),
]
OUTLASTING_FAULT_IDS = [
    "5xx",
    "500 not retryable",
    "429",
    "timeout",
    "broken JSON",
    "schema-invalid",
]


@pytest.fixture
def installed(integration: Integration) -> str:
    """The group of an installation of `integration`, whose connection the metadata goes through."""
    install(integration, "org_1")
    return "org_1"


def test_object_metadata_is_read_through_a_groups_connection(
    client: AmpersandClient, installed: str
):
    metadata = client.get_object_metadata_for_connection(
        "salesforce", "account", group_ref=installed
    )

    assert isinstance(metadata, ObjectMetadata)
    assert (metadata.name, metadata.display_name) == ("account", "Account")
    revenue = metadata.fields["AnnualRevenue"]
    assert (revenue.display_name, revenue.value_type, revenue.read_only) == (
        "Annual Revenue",
        "float",
        False,
    )
    # What the integration reads, even outside the demo catalog, is among the fields.
    assert {"name", "Id", "industry"} <= metadata.fields.keys()
    assert metadata.raw["fields"]["AnnualRevenue"]["providerType"] == "double"


def test_object_metadata_can_leave_out_read_only_fields(client: AmpersandClient, installed: str):
    writable = client.get_object_metadata_for_connection(
        "salesforce", "account", group_ref=installed, exclude_read_only=True
    )

    assert "Name" in writable.fields
    assert "CreatedDate" not in writable.fields
    assert not any(field.read_only for field in writable.fields.values())


@pytest.mark.parametrize(
    ("provider", "object_name", "group_ref", "error", "status"),
    [
        ("salesforce", "Invoice__c", "org_1", NotFoundError, 404),
        ("hubspot", "contacts", "org_1", NotFoundError, 404),
        ("salesforce", "account", "nobody", NotFoundError, 404),
        ("salesforce", "account", "", InputValidationError, 400),
    ],
    ids=["unknown object", "no connection to the provider", "unknown group", "no groupRef"],
)
def test_object_metadata_refusals_are_typed_errors(
    client: AmpersandClient, installed: str, provider, object_name, group_ref, error, status
):
    with pytest.raises(error) as caught:
        client.get_object_metadata_for_connection(provider, object_name, group_ref=group_ref)

    assert caught.value.status == status
    assert caught.value.request_id


@pytest.mark.parametrize("faults", TRANSIENT_FAULTS)
def test_object_metadata_is_retried_through_transient_faults(
    emulator_api: EmulatorApi, installed: str, faults: str
):
    with with_faults(emulator_api, one_off(faults), timeout=0.5, max_retry_wait=0.1) as faulty:
        metadata = faulty.get_object_metadata_for_connection(
            "salesforce", "account", group_ref=installed
        )

    assert metadata.name == "account"


@pytest.mark.parametrize(
    ("faults", "error", "status"),
    OUTLASTING_FAULTS,
    ids=OUTLASTING_FAULT_IDS,
)
def test_object_metadata_faults_that_outlast_the_retries_are_typed_errors(
    emulator_api: EmulatorApi, installed: str, faults: str, error, status
):
    with (
        with_faults(
            emulator_api, one_off(faults), timeout=0.5, max_retries=2, max_retry_wait=0.1
        ) as faulty,
        pytest.raises(error) as caught,
    ):
        faulty.get_object_metadata_for_connection("salesforce", "account", group_ref=installed)

    if status is not None:
        assert caught.value.status == status
    if isinstance(caught.value, InvalidResponseError) and "invalid" in faults:
        assert [line.split(":")[0] for line in caught.value.field_errors] == ["name"]


# --- getInstallation, listOperations -----------------------------------------------------------


@pytest.fixture
def seeded(emulator_api: EmulatorApi) -> EmulatorApi:
    return seed_remote(emulator_api, integrations=8, seed=1)


@pytest.fixture
def busy(seeded: EmulatorApi):
    """The seeded installation with the most operations, some of them failures."""
    from django.db.models import Count, Q

    from emulator.models import Installation as StoredInstallation

    return (
        StoredInstallation.objects.filter(project__name=seeded.project)
        .annotate(
            operation_count=Count("operations"),
            failures=Count("operations", filter=Q(operations__status="failure")),
        )
        .filter(failures__gt=0)
        .order_by("-operation_count", "id")
        .first()
    )


def all_operations(
    client: AmpersandClient, integration_id: str, installation_id: str, *, page_size: int
) -> list[list[Operation]]:
    """Every page of an installation's operations, following the page tokens."""
    pages = [client.list_operations(integration_id, installation_id, page_size=page_size)]
    while not pages[-1].pagination.done:
        token = pages[-1].pagination.next_page_token
        pages.append(
            client.list_operations(
                integration_id, installation_id, page_size=page_size, page_token=token
            )
        )
    return [page.results for page in pages]


def test_an_installation_is_read_as_its_integrations_list_has_it(seeded: EmulatorApi, busy):
    with make_client(seeded) as client:
        installation = client.get_installation(busy.integration_id, busy.id)
        listed = client.list_installations(busy.integration_id)

    assert isinstance(installation, ListedInstallation)
    assert installation == next(item for item in listed if item.id == busy.id)
    assert installation.last_operation_status == busy.last_operation_status


def test_operations_are_read_page_by_page_newest_first(seeded: EmulatorApi, busy):
    with make_client(seeded) as client:
        pages = all_operations(client, busy.integration_id, busy.id, page_size=6)

    operations = [operation for page in pages for operation in page]
    stored = list(busy.operations.order_by("-create_time", "-id").values_list("id", flat=True))
    assert [operation.id for operation in operations] == stored
    assert [len(page) for page in pages] == [6, 6, 6, 2]
    assert all(isinstance(operation, Operation) for operation in operations)
    assert operations[0].status == busy.last_operation_status
    failures = [operation for operation in operations if operation.status == "failure"]
    assert failures
    assert all("failed" in (failure.result or "") for failure in failures)
    assert all(operation.config_id == busy.config["id"] for operation in operations)


def test_every_seeded_installations_operations_are_walked_to_the_last_page(
    seeded: EmulatorApi,
):
    from emulator.models import Installation as StoredInstallation
    from emulator.models import Operation as StoredOperation

    with make_client(seeded) as client:
        walked = [
            operation
            for installation in StoredInstallation.objects.filter(project__name=seeded.project)
            for page in all_operations(
                client, installation.integration_id, installation.id, page_size=7
            )
            for operation in page
        ]

    stored = StoredOperation.objects.filter(project__name=seeded.project)
    assert sorted(operation.id for operation in walked) == sorted(
        stored.values_list("id", flat=True)
    )
    assert {operation.status for operation in walked} >= {"success", "failure"}


def test_an_unknown_installation_is_not_found(seeded: EmulatorApi, busy):
    with make_client(seeded) as client:
        for call in (client.get_installation, client.list_operations):
            with pytest.raises(NotFoundError) as caught:
                call(busy.integration_id, "no-such-installation")

            assert caught.value.status == 404
            assert [issue.name for issue in caught.value.problem.issues] == ["installationId"]


@pytest.mark.parametrize(
    ("paging", "status", "issue"),
    [
        ({"page_size": 0}, 422, "pageSize"),
        ({"page_size": 1001}, 422, "pageSize"),
        ({"page_token": "not-a-token"}, 422, "pageToken"),
    ],
)
def test_refused_paging_is_an_input_validation_error(
    seeded: EmulatorApi, busy, paging, status, issue
):
    with make_client(seeded) as client, pytest.raises(InputValidationError) as caught:
        client.list_operations(busy.integration_id, busy.id, **paging)

    assert caught.value.status == status
    assert [found.name for found in caught.value.issues] == [issue]


def installation_calls(client: AmpersandClient, busy) -> dict[str, Callable[[], object]]:
    return {
        "getInstallation": lambda: client.get_installation(busy.integration_id, busy.id),
        "listOperations": lambda: client.list_operations(busy.integration_id, busy.id),
    }


@pytest.mark.parametrize("call", ["getInstallation", "listOperations"])
@pytest.mark.parametrize("faults", TRANSIENT_FAULTS)
def test_installation_reads_are_retried_through_transient_faults(
    seeded: EmulatorApi, busy, faults: str, call: str
):
    with with_faults(seeded, one_off(faults), timeout=0.5, max_retry_wait=0.1) as faulty:
        answer = installation_calls(faulty, busy)[call]()

    assert answer is not None


@pytest.mark.parametrize("call", ["getInstallation", "listOperations"])
@pytest.mark.parametrize(
    ("faults", "error", "status"),
    OUTLASTING_FAULTS,
    ids=OUTLASTING_FAULT_IDS,
)
def test_installation_read_faults_that_outlast_the_retries_are_typed_errors(
    seeded: EmulatorApi, busy, faults: str, error, status, call: str
):
    with (
        with_faults(
            seeded, one_off(faults), timeout=0.5, max_retries=2, max_retry_wait=0.1
        ) as faulty,
        pytest.raises(error) as caught,
    ):
        installation_calls(faulty, busy)[call]()

    if status is not None:
        assert caught.value.status == status
    if "invalid" in faults:
        missing = {"getInstallation": "id", "listOperations": "results"}[call]
        assert [line.split(":")[0] for line in caught.value.field_errors] == [missing]
