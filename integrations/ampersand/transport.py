"""The one place that speaks HTTP to Ampersand: headers, timeouts, retries, error mapping."""

from __future__ import annotations

import functools
import json
import logging
import random
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, Self

import httpx
import orjson
from pydantic import ValidationError

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
from integrations.ampersand.models import ApiProblem, InputValidationProblem

CLIENT_VERSION = "0.1.0"
USER_AGENT = f"ampdash/{CLIENT_VERSION} httpx/{httpx.__version__}"

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
GATEWAY_STATUSES = frozenset({502, 503, 504})
# Failures where the request certainly never reached the server, so even a POST may be resent.
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
NEVER_RETRIED_ERRORS = (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.TooManyRedirects)
ERROR_BODY_SNIPPET_CHARS = 200


@dataclass(frozen=True)
class _Failure:
    error: AmpersandError
    retry_reason: str | None
    server_wait: float | None = None


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS settings (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR), built once
    per process: loading the CA bundle takes ~20 ms, longer than many an API call."""
    return httpx.create_ssl_context()


class ApiTransport:
    """A thin wrapper around `httpx.Client` that returns decoded JSON or raises `AmpersandError`.

    Retries (bounded by `max_retries` and the `total_timeout` budget, exponential backoff with
    full jitter, or the server's Retry-After / problem `retryAfter` capped at `max_retry_wait`):
    connection failures and 429 for every method; 502/503/504, read timeouts, broken or
    undecodable 2xx bodies, and 500 whose problem says `retryable: true`, for idempotent methods
    only. 400/401/403/404/409/422 are never retried.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_retries: int = 4,
        total_timeout: float = 30.0,
        backoff_base: float = 0.2,
        backoff_cap: float = 5.0,
        max_retry_wait: float = 10.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.max_retries = max_retries
        self.total_timeout = total_timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_retry_wait = max_retry_wait
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._jitter = jitter
        self._client = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            headers={
                "User-Agent": USER_AGENT,
                "Accept": "application/json, application/problem+json",
                **(headers or {}),
                "X-Api-Key": api_key,
            },
            timeout=self._timeouts(total_timeout),
            transport=transport,
            verify=tls_context(),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        decode: Callable[[bytes], Any] | None = None,
    ) -> Any:
        """Send one API call (retrying as allowed) and return its JSON body, or None if empty.

        `decode` turns a success body into the result instead of `decode_json`; a ValueError
        from it makes the body undecodable, like invalid JSON.
        """
        method = method.upper()
        started = self._clock()
        retries = 0
        while True:
            remaining = self.total_timeout - (self._clock() - started)
            outcome = self._attempt(
                method, path, operation, params, json_body, remaining, decode or decode_json
            )
            if not isinstance(outcome, _Failure):
                return outcome.body
            if outcome.retry_reason is None or retries >= self.max_retries:
                raise outcome.error
            wait = self._wait_before_retry(retries, outcome.server_wait)
            if self._clock() - started + wait >= self.total_timeout:
                raise outcome.error
            retries += 1
            logger.info(
                "Ampersand %s: retry %d of %d in %.2fs after %s",
                operation,
                retries,
                self.max_retries,
                wait,
                outcome.retry_reason,
            )
            self._sleep(wait)

    def _attempt(
        self,
        method: str,
        path: str,
        operation: str,
        params: Mapping[str, str] | None,
        json_body: Any,
        remaining: float,
        decode: Callable[[bytes], Any],
    ) -> _Body | _Failure:
        idempotent = method in IDEMPOTENT_METHODS
        try:
            response = self._client.request(
                method,
                path.lstrip("/"),
                params=params,
                json=json_body,
                timeout=self._timeouts(remaining),
            )
        except httpx.HTTPError as exc:
            error = TransportError(f"{operation}: {type(exc).__name__}", cause=exc)
            error.__cause__ = exc
            if isinstance(exc, NOT_SENT_ERRORS):
                return _Failure(error, f"{type(exc).__name__} (not sent)")
            if isinstance(exc, NEVER_RETRIED_ERRORS) or not idempotent:
                return _Failure(error, None)
            return _Failure(error, type(exc).__name__)

        if response.is_success:
            return self._decode_success(response, operation, idempotent, decode)
        error = error_from_response(response, operation, now=self._now())
        return _Failure(
            error,
            _retry_reason_for_status(response.status_code, error.problem, idempotent),
            server_requested_wait(response, error.problem, now=self._now()),
        )

    def _decode_success(
        self,
        response: httpx.Response,
        operation: str,
        idempotent: bool,
        decode: Callable[[bytes], Any],
    ) -> _Body | _Failure:
        if response.status_code == 204 or not response.content.strip():
            return _Body(None)
        try:
            return _Body(decode(response.content))
        except (ValueError, RecursionError) as exc:
            error = InvalidResponseError(
                f"{operation}: HTTP {response.status_code} body is not valid JSON",
                status=response.status_code,
                detail=str(exc),
                request_id=response.headers.get("X-Request-Id"),
            )
            return _Failure(error, "undecodable JSON body" if idempotent else None)

    def _timeouts(self, remaining: float) -> httpx.Timeout:
        remaining = max(remaining, 0.001)
        return httpx.Timeout(
            connect=min(self._connect_timeout, remaining),
            read=min(self._timeout, remaining),
            write=min(self._timeout, remaining),
            pool=min(self._connect_timeout, remaining),
        )

    def _wait_before_retry(self, retries_so_far: int, server_wait: float | None) -> float:
        if server_wait is not None:
            return min(max(server_wait, 0.0), self.max_retry_wait)
        ceiling = min(self.backoff_cap, self.backoff_base * 2**retries_so_far)
        return self._jitter() * ceiling


def decode_json(content: bytes) -> Any:
    """`json.loads`, several times faster on large bodies.

    orjson refuses a few things the standard module reads (integers beyond 64 bits, lone
    surrogates, NaN): those bodies go through `json` so that nothing it accepted is refused.
    """
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


@dataclass(frozen=True)
class _Body:
    body: Any


def _retry_reason_for_status(
    status: int, problem: ApiProblem | None, idempotent: bool
) -> str | None:
    if status == 429:
        return "HTTP 429"
    if not idempotent:
        return None
    if status in GATEWAY_STATUSES:
        return f"HTTP {status}"
    if status == 500 and problem is not None and problem.retryable:
        return "HTTP 500 (retryable)"
    return None


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - now).total_seconds(), 0.0)


def server_requested_wait(
    response: httpx.Response, problem: ApiProblem | None, *, now: datetime
) -> float | None:
    """Seconds the server asked us to wait: Retry-After first, else the problem's `retryAfter`."""
    from_header = parse_retry_after(response.headers.get("Retry-After"), now=now)
    if from_header is not None or problem is None or problem.retry_after is None:
        return from_header
    moment = problem.retry_after
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - now).total_seconds(), 0.0)


def parse_problem(response: httpx.Response) -> ApiProblem | None:
    """The problem+json body of an error response, if it has one; lenient about bad fields."""
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    model = InputValidationProblem if "issues" in data else ApiProblem
    try:
        return model.model_validate(data)
    except ValidationError:
        readable = {
            key: value
            for key, value in data.items()
            if key in {"type", "title", "detail", "instance", "requestId"}
            and isinstance(value, str)
        }
        return ApiProblem.model_validate(readable)


def _body_snippet(response: httpx.Response) -> str | None:
    text = response.content.decode("utf-8", errors="replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, flags=re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(text.split())
    if len(text) > ERROR_BODY_SNIPPET_CHARS:
        text = text[: ERROR_BODY_SNIPPET_CHARS - 1] + "…"
    return text or None


def error_from_response(
    response: httpx.Response, operation: str, *, now: datetime | None = None
) -> AmpersandError:
    """The typed error for a non-2xx response, filled from its problem+json when there is one."""
    status = response.status_code
    problem = parse_problem(response)
    context: dict[str, Any] = {
        "status": status,
        "problem": problem,
        "title": (problem.title if problem else None) or response.reason_phrase or None,
        "detail": problem.detail if problem else _body_snippet(response),
        "request_id": (problem.request_id if problem else None)
        or response.headers.get("X-Request-Id"),
    }
    message = f"{operation}: HTTP {status}"
    if status in (400, 422):
        issues = problem.issues if isinstance(problem, InputValidationProblem) else []
        return InputValidationError(message, issues=issues, **context)
    if status == 429:
        retry_after = server_requested_wait(response, problem, now=now or datetime.now(UTC))
        return RateLimitedError(message, retry_after=retry_after, **context)
    error_class: type[AmpersandError] = AmpersandError
    if status in (401, 403):
        error_class = AuthError
    elif status == 404:
        error_class = NotFoundError
    elif status == 409:
        error_class = ConflictError
    elif status >= 500:
        error_class = ServerError
    return error_class(message, **context)
