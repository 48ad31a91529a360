"""getInstallation and listOperations over a real socket, on the demo seed's installations.

Every answer served here is also checked against the OpenAPI spec (tests/conftest.py).
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import httpx
import pytest
from django.db.models import Count

from emulator.models import Installation, Operation
from tests.conftest import EmulatorApi
from tests.emulator.helpers import assert_problem, issue_names, project_client
from tests.integrations.conftest import seed_remote


@pytest.fixture
def seeded(emulator_api: EmulatorApi) -> EmulatorApi:
    return seed_remote(emulator_api, integrations=12, seed=1)


@pytest.fixture
def api(seeded: EmulatorApi):
    with project_client(seeded) as client:
        yield client


@pytest.fixture
def installation(seeded: EmulatorApi) -> Installation:
    """The seeded installation with the most operations."""
    return (
        Installation.objects.filter(project__name=seeded.project)
        .annotate(operation_count=Count("operations"))
        .order_by("-operation_count", "id")
        .first()
    )


def installation_url(installation: Installation) -> str:
    return f"integrations/{installation.integration_id}/installations/{installation.id}"


def operations_url(installation: Installation) -> str:
    return f"{installation_url(installation)}/operations"


def stored_newest_first(installation: Installation) -> list[dict]:
    return [o.to_api() for o in installation.operations.order_by("-create_time", "-id")]


def another_operation(installation: Installation, create_time: datetime) -> Operation:
    """An operation of `installation` besides the seeded ones."""
    return Operation(
        project_id=installation.project_id,
        integration_id=installation.integration_id,
        installation=installation,
        config_id=installation.config["id"],
        action_type="read",
        status="success",
        result="[account] No new data found",
        metadata={"objects": ["account"]},
        create_time=create_time,
    )


def walk_pages(api: httpx.Client, url: str, **params: object) -> list[dict]:
    """Every page of a listOperations answer, following its tokens."""
    pages = [api.get(url, params=params).json()]
    while not pages[-1]["pagination"]["done"]:
        token = pages[-1]["pagination"]["nextPageToken"]
        pages.append(api.get(url, params={**params, "pageToken": token}).json())
    return pages


# --- getInstallation ---------------------------------------------------------------------------


def test_get_installation_answers_it_as_the_list_does(api, installation):
    listed = api.get(f"integrations/{installation.integration_id}/installations").json()

    response = api.get(installation_url(installation))

    assert response.status_code == 200
    assert response.json() == next(item for item in listed if item["id"] == installation.id)


def test_get_installation_of_another_integration_is_404_naming_the_installation(api, installation):
    other = Installation.objects.exclude(integration_id=installation.integration_id).first()

    response = api.get(f"integrations/{other.integration_id}/installations/{installation.id}")

    assert issue_names(assert_problem(response, 404)) == ["installationId"]


@pytest.mark.parametrize(
    ("path", "issue"),
    [
        ("integrations/{integration}/installations/nope", "installationId"),
        ("integrations/nope/installations/{installation}", "integrationId"),
        ("integrations/{integration}/installations/nope/operations", "installationId"),
        ("integrations/nope/installations/{installation}/operations", "integrationId"),
    ],
)
def test_an_unknown_integration_or_installation_is_404_naming_it(api, installation, path, issue):
    url = path.format(integration=installation.integration_id, installation=installation.id)

    assert issue_names(assert_problem(api.get(url), 404)) == [issue]


# --- listOperations ----------------------------------------------------------------------------


def test_list_operations_answers_the_installations_operations_newest_first(api, installation):
    answer = api.get(operations_url(installation)).json()

    assert answer["pagination"] == {"done": True}
    assert answer["results"] == stored_newest_first(installation)
    assert len(answer["results"]) == 20  # the seed's default
    for operation in answer["results"]:
        assert operation["installationId"] == installation.id
        assert operation["integrationId"] == installation.integration_id
        assert operation["projectId"] == installation.project_id
        assert operation["configId"] == installation.config["id"]
    assert answer["results"][0]["status"] == installation.last_operation_status


def test_pages_walk_every_operation_once_in_order(api, installation):
    pages = walk_pages(api, operations_url(installation), pageSize=3)

    assert [o for page in pages for o in page["results"]] == stored_newest_first(installation)
    assert [len(page["results"]) for page in pages] == [3] * 6 + [2]
    assert all(set(page["pagination"]) == {"done", "nextPageToken"} for page in pages[:-1])
    assert pages[-1]["pagination"] == {"done": True}


def test_a_page_token_goes_on_where_it_left_off_when_newer_operations_arrive(api, installation):
    first = api.get(operations_url(installation), params={"pageSize": 5}).json()
    newest = installation.operations.order_by("-create_time").first()
    another_operation(installation, newest.create_time + timedelta(minutes=5)).save()

    second = api.get(
        operations_url(installation),
        params={"pageSize": 5, "pageToken": first["pagination"]["nextPageToken"]},
    ).json()

    assert first["results"] + second["results"] == stored_newest_first(installation)[1:11]


def test_pages_hold_200_operations_unless_asked_for_up_to_1000(api, installation):
    oldest = installation.operations.order_by("create_time").first()
    Operation.objects.bulk_create(
        [
            another_operation(installation, oldest.create_time - timedelta(hours=hour))
            for hour in range(1, 1001)
        ]
    )

    default = api.get(operations_url(installation)).json()
    most = api.get(operations_url(installation), params={"pageSize": 1000}).json()

    assert len(default["results"]) == 200
    assert default["pagination"]["done"] is False
    assert len(most["results"]) == 1000
    assert most["pagination"]["done"] is False
    last = api.get(
        operations_url(installation),
        params={"pageSize": 1000, "pageToken": most["pagination"]["nextPageToken"]},
    ).json()
    assert len(last["results"]) == 20
    assert last["pagination"] == {"done": True}


def test_an_installation_that_never_ran_anything_has_an_empty_last_page(api, seeded):
    idle = Installation.objects.filter(project__name=seeded.project, last_operation_status="")[0]

    answer = api.get(operations_url(idle)).json()

    assert answer == {"results": [], "pagination": {"done": True}}


@pytest.mark.parametrize(
    ("params", "status", "issue"),
    [
        ({"pageSize": "ten"}, 400, "pageSize"),
        ({"pageSize": ""}, 400, "pageSize"),
        ({"pageSize": "-1"}, 400, "pageSize"),
        ({"pageSize": "2.5"}, 400, "pageSize"),
        ({"pageSize": "0"}, 422, "pageSize"),
        ({"pageSize": "1001"}, 422, "pageSize"),
        ({"pageSize": "9" * 40}, 422, "pageSize"),
        ({"pageToken": "not-a-token"}, 422, "pageToken"),
        ({"pageToken": ""}, 422, "pageToken"),
        ({"pageToken": base64.urlsafe_b64encode(b'["yesterday", "x"]').decode()}, 422, "pageToken"),
        ({"pageToken": base64.urlsafe_b64encode(b"[" * 5000).decode()}, 422, "pageToken"),
        ({"pageToken": "a\x00b"}, 400, "pageToken"),
    ],
)
def test_bad_paging_parameters_are_refused_naming_them(api, installation, params, status, issue):
    response = api.get(operations_url(installation), params=params)

    assert issue_names(assert_problem(response, status)) == [issue]


@pytest.mark.parametrize("kind", ["500", "503", "429"])
def test_faults_answer_problems_on_both_operations(seeded, installation, kind):
    with project_client(seeded, **{"X-Emulator-Faults": f"kinds={kind}"}) as faulty:
        for url in (installation_url(installation), operations_url(installation)):
            assert_problem(faulty.get(url), int(kind))


def test_a_schema_invalid_fault_drops_a_required_field_of_each_answer(seeded, installation):
    with project_client(seeded, **{"X-Emulator-Faults": "kinds=invalid"}) as faulty:
        single = faulty.get(installation_url(installation)).json()
        page = faulty.get(operations_url(installation)).json()

    assert "id" not in single
    assert set(page) == {"pagination"}


def test_a_truncate_fault_cuts_the_page_in_half(api, seeded, installation):
    whole = api.get(operations_url(installation)).content
    with project_client(seeded, **{"X-Emulator-Faults": "kinds=truncate"}) as faulty:
        cut = faulty.get(operations_url(installation)).content

    assert cut == whole[: len(whole) // 2]
