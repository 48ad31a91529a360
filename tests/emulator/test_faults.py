from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from django.core.signals import request_started

from emulator.faults import FaultSyntaxError, parse_fault_plan
from emulator.models import Destination
from emulator.signals import response_served
from tests.emulator.helpers import READ_ACCOUNTS, assert_problem, manifest, project_client


def fresh(faults: str) -> str:
    """The fault text with a new id, so its sequence starts from the beginning."""
    return f"{faults}; id={uuid.uuid4()}"


@pytest.fixture
def api(emulator_api):
    with project_client(emulator_api) as client:
        yield client


@pytest.fixture
def served_faults():
    """The faults served to requests this test made: one an earlier test left waiting (a
    timeout fault's late answer) started before it, and is not counted."""
    faults: list[str | None] = []
    started: set[int] = set()

    def note_start(sender, environ, **kwargs):
        started.add(id(environ))

    def record(sender, request, fault, **kwargs):
        if id(request.META) in started:
            faults.append(fault)

    request_started.connect(note_start, weak=False)
    response_served.connect(record, weak=False)
    yield faults
    response_served.disconnect(record)
    request_started.disconnect(note_start)


# --- the switch's syntax -----------------------------------------------------------------------


def test_a_full_fault_switch_is_parsed():
    plan = parse_fault_plan(
        "rate=0.3; kinds=500,502,503,429,timeout,truncate,invalid; latency=0.05; stall=3;"
        " retry_after=2; seed=9"
    )

    assert plan is not None
    assert plan.rate == 0.3
    assert plan.kinds == ("500", "502", "503", "429", "timeout", "truncate", "invalid")
    assert (plan.latency, plan.stall, plan.retry_after, plan.seed) == (0.05, 3.0, 2, 9)


def test_an_empty_fault_switch_asks_for_nothing():
    assert parse_fault_plan("") is None
    assert parse_fault_plan(" ; ") is None


@pytest.mark.parametrize(
    "text",
    [
        "garbage",
        "kinds=418",
        "kinds=",
        "rate=2; kinds=500",
        "rate=0.5",
        "latency=nan",
        "latency=-1",
        "latency=1e9",
        "seq=503,teapot",
        "retry_after=1.5",
        "retry_after=" + "9" * 5000,
        "seed=x",
        "colour=red",
        "seq=503; seq=ok",
    ],
)
def test_a_malformed_fault_switch_is_refused(text):
    with pytest.raises(FaultSyntaxError):
        parse_fault_plan(text)


def test_a_sequence_is_consumed_per_header_text():
    first = parse_fault_plan(fresh("seq=503,ok,429"))
    other = parse_fault_plan(fresh("seq=503,ok,429"))

    outcomes = [first.next_fault(), first.next_fault(), other.next_fault(), first.next_fault()]

    assert outcomes == ["503", None, "503", "429"]
    assert first.next_fault() is None


def test_a_seeded_rate_repeats_its_choices_and_mixes_outcomes():
    def outcomes(text: str) -> list[str | None]:
        plan = parse_fault_plan(text)
        return [plan.next_fault() for _ in range(40)]

    first = outcomes(fresh("kinds=500,503; rate=0.5; seed=7"))

    assert first == outcomes(fresh("kinds=500,503; rate=0.5; seed=7"))
    assert {None, "500", "503"} == set(first)


# --- over HTTP ---------------------------------------------------------------------------------


def test_a_sequence_answers_503_then_429_then_normally(api, emulator_api, served_faults):
    headers = {"X-Emulator-Faults": fresh("seq=503,429,ok; retry_after=2")}
    url = f"{emulator_api.base_url}/projects/{emulator_api.project}"

    unavailable = api.get(url, headers=headers)
    limited = api.get(url, headers=headers)
    served = [api.get(url, headers=headers), api.get(url, headers=headers)]

    assert assert_problem(unavailable, 503)["retryable"] is True
    problem = assert_problem(limited, 429)
    assert limited.headers["Retry-After"] == "2"
    assert problem["retryable"] is True
    assert problem["retryAfter"].endswith("Z")
    assert problem["retryAfter"] > problem["time"]
    assert [response.status_code for response in served] == [200, 200]
    assert served_faults == ["503", "429", None, None]


@pytest.mark.parametrize(("kind", "retryable"), [("500", False), ("502", True), ("504", True)])
def test_a_status_fault_answers_that_status_as_a_problem(api, kind, retryable, served_faults):
    response = api.get("destinations", headers={"X-Emulator-Faults": fresh(f"seq={kind}")})

    assert assert_problem(response, int(kind))["retryable"] is retryable
    assert served_faults == [kind]


def test_a_fault_before_the_operation_changes_nothing(api):
    body = {"name": "hook", "type": "webhook", "metadata": {"url": "https://example.com"}}

    response = api.post("destinations", json=body, headers={"X-Emulator-Faults": fresh("seq=503")})

    assert response.status_code == 503
    assert not Destination.objects.filter(name="hook").exists()


def test_a_timeout_stalls_then_answers_504(api):
    started = time.monotonic()

    response = api.get(
        "destinations", headers={"X-Emulator-Faults": fresh("seq=timeout; stall=0.3")}
    )

    assert time.monotonic() - started >= 0.3
    assert assert_problem(response, 504)["retryable"] is True


def test_a_timeout_outlasts_a_clients_read_timeout(emulator_api):
    with (
        project_client(emulator_api) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(
            "destinations",
            headers={"X-Emulator-Faults": fresh("seq=timeout; stall=1")},
            timeout=httpx.Timeout(5, read=0.2),
        )


def test_truncate_keeps_status_and_type_but_cuts_the_body(api, served_faults):
    whole = api.get("destinations")

    cut = api.get("destinations", headers={"X-Emulator-Faults": fresh("seq=truncate")})

    assert cut.status_code == 200
    assert cut.headers["Content-Type"] == "application/json"
    assert cut.content == whole.content[: len(whole.content) // 2]
    with pytest.raises(json.JSONDecodeError):
        cut.json()
    assert served_faults == [None, "truncate"]


def test_invalid_drops_the_id_and_breaks_the_time_of_the_first_integration(api):
    deploy_headers = {"X-Emulator-Faults": fresh("seq=invalid")}

    response = api.put(
        "./integrations:batch", json={"sourceYaml": manifest(READ_ACCOUNTS)}, headers=deploy_headers
    )

    assert response.status_code == 200
    integration = response.json()[0]
    assert "id" not in integration
    assert integration["createTime"] == 12345
    assert api.get("integrations/read-accounts").status_code == 200


def test_invalid_drops_a_required_field_of_other_bodies(api, emulator_api):
    url = f"{emulator_api.base_url}/projects/{emulator_api.project}"

    project = api.get(url, headers={"X-Emulator-Faults": fresh("seq=invalid")}).json()

    assert "id" not in project
    assert project["name"] == "test-project"


def test_a_fault_after_the_operation_leaves_error_answers_alone(api, served_faults):
    response = api.get("integrations/nope", headers={"X-Emulator-Faults": fresh("seq=truncate")})

    assert_problem(response, 404)
    assert served_faults == [None]


def test_latency_delays_every_answer(api):
    started = time.monotonic()

    response = api.get("destinations", headers={"X-Emulator-Faults": "latency=0.3"})

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_rate_one_faults_every_request_and_rate_zero_none(api):
    always = [api.get("destinations", headers={"X-Emulator-Faults": "kinds=503"}) for _ in range(3)]
    never = [
        api.get("destinations", headers={"X-Emulator-Faults": "kinds=503; rate=0"})
        for _ in range(3)
    ]

    assert [response.status_code for response in always] == [503, 503, 503]
    assert [response.status_code for response in never] == [200, 200, 200]


def test_a_partial_rate_faults_some_requests(api):
    headers = {"X-Emulator-Faults": fresh("kinds=502; rate=0.5; seed=3")}

    statuses = {api.get("destinations", headers=headers).status_code for _ in range(20)}

    assert statuses == {200, 502}


@pytest.mark.parametrize("header", ["garbage", "kinds=418", "rate=7; kinds=500", "seq=", "x=1"])
def test_a_malformed_fault_header_is_400(api, header):
    problem = assert_problem(api.get("destinations", headers={"X-Emulator-Faults": header}), 400)

    assert problem["issues"][0]["in"] == "header"
    assert problem["issues"][0]["name"] == "X-Emulator-Faults"


def test_a_fault_header_with_non_ascii_bytes_is_400(api):
    response = api.get("destinations", headers={"X-Emulator-Faults": "kinds=5ü0".encode("latin-1")})

    assert_problem(response, 400)


def test_the_setting_injects_faults_when_no_header_does(api, settings):
    settings.AMPERSAND_EMULATOR_FAULTS = fresh("seq=503")

    first, second = api.get("destinations"), api.get("destinations")
    overridden = api.get("destinations", headers={"X-Emulator-Faults": "latency=0"})

    assert [first.status_code, second.status_code, overridden.status_code] == [503, 200, 200]
