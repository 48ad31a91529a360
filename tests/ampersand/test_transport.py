from __future__ import annotations

import json
import logging
import re
import ssl
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from integrations.ampersand.errors import (
    AmpersandError,
    AuthError,
    ConflictError,
    InputValidationError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from integrations.ampersand.transport import ApiTransport, tls_context

BASE_URL = "https://api.test/v1"
API_KEY = "secret-key-never-logged"
FIXED_NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

Outcome = httpx.Response | Exception


class FakeTime:
    """A clock that only moves when the transport sleeps, so retry tests take no real time."""

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds

    def clock(self) -> float:
        return self.elapsed


class Server:
    """Answers successive requests with the given outcomes and records what it received."""

    def __init__(self, outcomes: Iterable[Outcome]) -> None:
        self.outcomes = list(outcomes)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def problem(status: int, **fields: object) -> httpx.Response:
    body = {"title": "Problem", "status": status, "detail": f"detail {status}", **fields}
    return httpx.Response(status, json=body, headers={"Content-Type": "application/problem+json"})


def ok(body: object = None) -> httpx.Response:
    return httpx.Response(200, json=body if body is not None else {"ok": True})


def make_transport(
    server: Callable[[httpx.Request], httpx.Response],
    fake_time: FakeTime | None = None,
    **options: object,
) -> ApiTransport:
    fake_time = fake_time or FakeTime()
    settings = {
        "sleep": fake_time.sleep,
        "clock": fake_time.clock,
        "now": lambda: FIXED_NOW,
        "jitter": lambda: 1.0,
        **options,
    }
    return ApiTransport(
        base_url=BASE_URL,
        api_key=API_KEY,
        transport=httpx.MockTransport(server),
        **settings,
    )


def test_retries_gateway_errors_then_returns_the_body():
    server = Server([problem(503), problem(502), problem(504), ok({"id": "x"})])
    fake_time = FakeTime()

    body = make_transport(server, fake_time).request("GET", "things", operation="getThing")

    assert body == {"id": "x"}
    assert len(server.requests) == 4
    assert fake_time.sleeps == [0.2, 0.4, 0.8]


def test_backoff_is_full_jitter_under_an_exponential_capped_ceiling():
    server = Server([problem(503)])
    fake_time = FakeTime()
    transport = make_transport(
        server, fake_time, jitter=lambda: 0.5, backoff_cap=0.5, max_retries=4
    )

    with pytest.raises(ServerError):
        transport.request("GET", "things", operation="listThings")

    assert fake_time.sleeps == [0.1, 0.2, 0.25, 0.25]


def test_gives_up_after_max_retries_with_the_last_error():
    server = Server([problem(503, requestId="req-9")])

    with pytest.raises(ServerError) as caught:
        make_transport(server, max_retries=2).request("GET", "x", operation="getX")

    assert len(server.requests) == 3
    assert caught.value.status == 503
    assert caught.value.request_id == "req-9"


def test_retry_after_seconds_is_honoured():
    server = Server([httpx.Response(429, headers={"Retry-After": "3"}), ok()])
    fake_time = FakeTime()

    make_transport(server, fake_time).request("GET", "x", operation="getX")

    assert fake_time.sleeps == [3.0]


def test_retry_after_http_date_is_honoured():
    later = format_datetime(FIXED_NOW + timedelta(seconds=7), usegmt=True)
    server = Server([httpx.Response(503, headers={"Retry-After": later}), ok()])
    fake_time = FakeTime()

    make_transport(server, fake_time).request("GET", "x", operation="getX")

    assert fake_time.sleeps == [7.0]


def test_retry_after_is_capped_by_the_max_wait():
    server = Server([httpx.Response(429, headers={"Retry-After": "120"}), ok()])
    fake_time = FakeTime()

    make_transport(server, fake_time, max_retry_wait=4.0).request("GET", "x", operation="getX")

    assert fake_time.sleeps == [4.0]


def test_problem_retry_after_timestamp_is_honoured_without_a_header():
    retry_at = (FIXED_NOW + timedelta(seconds=2)).isoformat().replace("+00:00", "Z")
    server = Server([problem(429, retryAfter=retry_at), ok()])
    fake_time = FakeTime()

    make_transport(server, fake_time).request("GET", "x", operation="getX")

    assert fake_time.sleeps == [2.0]


def test_rate_limited_error_carries_retry_after_seconds():
    server = Server([httpx.Response(429, headers={"Retry-After": "9"})])

    with pytest.raises(RateLimitedError) as caught:
        make_transport(server, max_retries=0).request("GET", "x", operation="getX")

    assert caught.value.retry_after == 9.0
    assert caught.value.status == 429


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, InputValidationError),
        (401, AuthError),
        (403, AuthError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, InputValidationError),
    ],
)
def test_client_errors_are_typed_and_never_retried(status, error_type):
    server = Server([problem(status, retryable=True)])

    with pytest.raises(error_type) as caught:
        make_transport(server).request("GET", "x", operation="getX")

    assert len(server.requests) == 1
    assert caught.value.status == status


def test_other_4xx_is_the_base_error():
    server = Server([problem(405)])

    with pytest.raises(AmpersandError) as caught:
        make_transport(server).request("GET", "x", operation="getX")

    assert type(caught.value) is AmpersandError
    assert caught.value.status == 405


def test_post_is_not_retried_on_503():
    server = Server([problem(503, retryable=True), ok()])

    with pytest.raises(ServerError):
        make_transport(server).request("POST", "x", operation="createX", json_body={})

    assert len(server.requests) == 1


def test_post_is_retried_on_connect_error_and_429():
    server = Server([httpx.ConnectError("refused"), httpx.Response(429), ok({"id": "new"})])

    body = make_transport(server).request("POST", "x", operation="createX", json_body={})

    assert body == {"id": "new"}
    assert len(server.requests) == 3


def test_post_is_not_retried_on_read_timeout():
    server = Server([httpx.ReadTimeout("slow"), ok()])

    with pytest.raises(TransportError) as caught:
        make_transport(server).request("POST", "x", operation="createX", json_body={})

    assert len(server.requests) == 1
    assert isinstance(caught.value.cause, httpx.ReadTimeout)
    assert caught.value.status is None


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("cut"), httpx.ReadError("reset")],
)
def test_idempotent_requests_are_retried_on_broken_reads(failure):
    server = Server([failure, ok({"done": True})])

    body = make_transport(server).request("PUT", "x", operation="putX", json_body={})

    assert body == {"done": True}


def test_500_is_retried_only_when_the_problem_says_retryable():
    retryable = Server([problem(500, retryable=True), ok()])
    final = Server([problem(500, retryable=False), ok()])
    silent = Server([problem(500), ok()])

    make_transport(retryable).request("GET", "x", operation="getX")
    with pytest.raises(ServerError):
        make_transport(final).request("GET", "x", operation="getX")
    with pytest.raises(ServerError):
        make_transport(silent).request("GET", "x", operation="getX")

    assert [len(s.requests) for s in (retryable, final, silent)] == [2, 1, 1]


def test_budget_that_a_wait_would_exceed_raises_the_last_error_instead_of_sleeping():
    server = Server([httpx.Response(503, headers={"Retry-After": "3"})])
    fake_time = FakeTime()

    with pytest.raises(ServerError):
        make_transport(server, fake_time, total_timeout=5.0, max_retries=10).request(
            "GET", "x", operation="getX"
        )

    assert fake_time.sleeps == [3.0]
    assert len(server.requests) == 2


def test_budget_exhaustion_in_real_time_is_bounded():
    server = Server([problem(503)])
    transport = make_transport(
        server,
        sleep=time.sleep,
        clock=time.monotonic,
        jitter=lambda: 1.0,
        backoff_base=0.05,
        backoff_cap=0.1,
        max_retries=1000,
        total_timeout=0.4,
    )

    started = time.monotonic()
    with pytest.raises(ServerError):
        transport.request("GET", "x", operation="getX")

    assert time.monotonic() - started < 1.0
    assert 3 <= len(server.requests) <= 10


def test_truncated_json_on_get_is_retried():
    server = Server([httpx.Response(200, content=b'[{"id": "a", "na'), ok([{"id": "a"}])])

    body = make_transport(server).request("GET", "x", operation="listX")

    assert body == [{"id": "a"}]
    assert len(server.requests) == 2


def test_truncated_json_on_post_is_an_invalid_response():
    server = Server([httpx.Response(201, content=b'{"id": "a", "na'), ok()])

    with pytest.raises(InvalidResponseError) as caught:
        make_transport(server).request("POST", "x", operation="createX", json_body={})

    assert len(server.requests) == 1
    assert caught.value.status == 201


def test_empty_success_body_is_none():
    server = Server([httpx.Response(204)])

    assert make_transport(server).request("DELETE", "x", operation="deleteX") is None


def test_html_error_page_from_a_proxy_is_a_server_error_with_readable_detail():
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>"
    server = Server([httpx.Response(502, content=page, headers={"Content-Type": "text/html"})])

    with pytest.raises(ServerError) as caught:
        make_transport(server, max_retries=0).request("GET", "x", operation="getX")

    assert caught.value.status == 502
    assert caught.value.problem is None
    assert caught.value.title == "Bad Gateway"
    assert caught.value.detail == "502 Bad Gateway"
    assert "<" not in str(caught.value)


def test_plain_text_error_body_becomes_the_detail():
    server = Server([httpx.Response(500, content=b"upstream exploded\n")])

    with pytest.raises(ServerError) as caught:
        make_transport(server).request("GET", "x", operation="getX")

    assert caught.value.detail == "upstream exploded"


def test_request_id_comes_from_the_header_when_the_problem_lacks_it():
    response = problem(404)
    response.headers["X-Request-Id"] = "hdr-1"
    server = Server([response])

    with pytest.raises(NotFoundError) as caught:
        make_transport(server).request("GET", "x", operation="getX")

    assert caught.value.request_id == "hdr-1"


def test_problem_request_id_wins_over_the_header():
    response = problem(404, requestId="body-1")
    response.headers["X-Request-Id"] = "hdr-1"

    with pytest.raises(NotFoundError) as caught:
        make_transport(Server([response])).request("GET", "x", operation="getX")

    assert caught.value.request_id == "body-1"


def test_error_text_names_operation_status_title_detail_and_request_id():
    server = Server([problem(404, title="Not Found", detail="no such thing", requestId="r-7")])

    with pytest.raises(NotFoundError) as caught:
        make_transport(server).request("GET", "x", operation="getThing")

    assert str(caught.value) == "getThing: HTTP 404 — Not Found: no such thing (requestId r-7)"


def test_input_validation_error_lists_each_issue():
    server = Server(
        [
            problem(
                422,
                title="Unprocessable Entity",
                issues=[
                    {"in": "body", "name": "name", "detail": "must not be empty"},
                    {"in": "query", "name": "groupRef", "detail": "too long", "value": "x" * 9},
                ],
            )
        ]
    )

    with pytest.raises(InputValidationError) as caught:
        make_transport(server).request("POST", "x", operation="createX", json_body={})

    assert [issue.name for issue in caught.value.issues] == ["name", "groupRef"]
    assert caught.value.issues[1].in_ == "query"
    assert "name: must not be empty" in str(caught.value)
    assert "groupRef: too long" in str(caught.value)


def test_malformed_problem_fields_still_give_a_typed_error():
    server = Server([httpx.Response(409, json={"title": "Conflict", "status": "nope"})])

    with pytest.raises(ConflictError) as caught:
        make_transport(server).request("GET", "x", operation="getX")

    assert caught.value.title == "Conflict"


def test_sends_key_user_agent_accept_extra_headers_and_explicit_timeouts():
    server = Server([ok()])
    transport = make_transport(
        server, headers={"X-Emulator-Faults": "seq=ok"}, timeout=7.0, connect_timeout=2.0
    )

    transport.request("GET", "projects/p", operation="getProject", params={"a": "b"})

    sent = server.requests[0]
    assert str(sent.url) == "https://api.test/v1/projects/p?a=b"
    assert sent.headers["X-Api-Key"] == API_KEY
    assert re.fullmatch(r"ampdash/\S+ httpx/\S+", sent.headers["User-Agent"])
    assert sent.headers["Accept"] == "application/json, application/problem+json"
    assert sent.headers["X-Emulator-Faults"] == "seq=ok"
    assert sent.extensions["timeout"] == {"connect": 2.0, "read": 7.0, "write": 7.0, "pool": 2.0}


def test_each_attempt_timeout_shrinks_to_the_remaining_budget():
    server = Server([problem(503), ok()])
    fake_time = FakeTime()

    make_transport(server, fake_time, total_timeout=3.0, timeout=10.0, connect_timeout=5.0).request(
        "GET", "x", operation="getX"
    )

    assert server.requests[1].extensions["timeout"]["read"] == pytest.approx(2.8)


def test_retries_are_logged_with_operation_and_reason_but_never_the_key(caplog):
    server = Server([problem(503), ok()])

    with caplog.at_level(logging.INFO, logger="integrations.ampersand"):
        make_transport(server).request("GET", "x", operation="listIntegrations")

    assert len(caplog.records) == 1
    assert caplog.records[0].levelno == logging.INFO
    assert "listIntegrations" in caplog.text
    assert "HTTP 503" in caplog.text
    assert API_KEY not in caplog.text


def test_json_body_is_sent_as_json():
    server = Server([ok()])

    make_transport(server).request("PUT", "x", operation="putX", json_body={"sourceYaml": "a: 1"})

    assert json.loads(server.requests[0].content) == {"sourceYaml": "a: 1"}
    assert server.requests[0].headers["Content-Type"] == "application/json"


def test_clients_share_one_tls_context_that_verifies_certificates():
    first = ApiTransport(base_url="https://api.example.test/v1", api_key="k")
    second = ApiTransport(base_url="https://api.example.test/v1", api_key="k")

    contexts = [client._client._transport._pool._ssl_context for client in (first, second)]
    assert contexts[0] is contexts[1] is tls_context()
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED
    assert contexts[0].check_hostname
    assert contexts[0].cert_store_stats()["x509_ca"] > 0
