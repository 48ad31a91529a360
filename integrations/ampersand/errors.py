"""One exception hierarchy for everything that can go wrong talking to the Ampersand API."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict, Unpack

from pydantic import ValidationError

from integrations.ampersand.models import FIELD_VARIANT_TAGS

if TYPE_CHECKING:
    import httpx

    from integrations.ampersand.models import ApiProblem, InputValidationIssue


class ErrorContext(TypedDict, total=False):
    status: int | None
    title: str | None
    detail: str | None
    request_id: str | None
    problem: ApiProblem | None


class AmpersandError(Exception):
    """Base of every client error; `status` is the HTTP status when there was a response."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        title: str | None = None,
        detail: str | None = None,
        request_id: str | None = None,
        problem: ApiProblem | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.title = title
        self.detail = detail
        self.request_id = request_id
        self.problem = problem

    def __str__(self) -> str:
        text = self.message
        explanation = ": ".join(part for part in (self.title, self.detail) if part)
        if explanation:
            text = f"{text} — {explanation}"
        if self.request_id:
            text = f"{text} (requestId {self.request_id})"
        return text


class AuthError(AmpersandError):
    """401 or 403: the API key is missing, wrong, or not allowed on this project."""


class NotFoundError(AmpersandError):
    """404."""


class ConflictError(AmpersandError):
    """409, e.g. an integration with that name already exists."""


class InputValidationError(AmpersandError):
    """400 or 422; `issues` says which inputs were refused and why."""

    def __init__(
        self,
        message: str,
        *,
        issues: Sequence[InputValidationIssue] = (),
        **context: Unpack[ErrorContext],
    ) -> None:
        super().__init__(message, **context)
        self.issues = list(issues)

    def __str__(self) -> str:
        text = super().__str__()
        described = [
            ": ".join(part for part in (issue.name, issue.detail or issue.title) if part)
            for issue in self.issues
        ]
        described = [line for line in described if line]
        if described:
            text = f"{text}; issues: " + "; ".join(described)
        return text


class RateLimitedError(AmpersandError):
    """429; `retry_after` is how many seconds the server asked us to wait, when it said."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class ServerError(AmpersandError):
    """A 5xx answer (including an HTML error page from a proxy)."""


class TransportError(AmpersandError):
    """No usable HTTP answer: connection refused, timeout, broken or cut-off response."""

    def __init__(self, message: str, *, cause: httpx.HTTPError | None = None) -> None:
        super().__init__(message, detail=str(cause) if cause else None)
        self.cause = cause


class InvalidResponseError(AmpersandError):
    """A 2xx answer whose body is not JSON, is cut off, or does not match the contract.

    `field_errors` names each offending field by its JSON path, e.g. `[0].id` or
    `latestRevision.content.read.objects[2].schedule`.
    """

    def __init__(
        self, message: str, *, field_errors: Sequence[str] = (), **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.field_errors = list(field_errors)

    def __str__(self) -> str:
        return "; ".join([super().__str__(), *self.field_errors])


class InvalidManifestError(AmpersandError):
    """An amp.yaml text that is not YAML or does not match the manifest schema."""

    def __init__(
        self, message: str, *, field_errors: Sequence[str] = (), **context: Unpack[ErrorContext]
    ) -> None:
        super().__init__(message, **context)
        self.field_errors = list(field_errors)

    def __str__(self) -> str:
        return "; ".join([super().__str__(), *self.field_errors])


def json_path(location: Sequence[int | str]) -> str:
    """`("latestRevision", "content", "objects", 2)` → `latestRevision.content.objects[2]`."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in FIELD_VARIANT_TAGS:
            continue
        else:
            path += f".{part}" if path else part
    return path or "(body)"


def describe_validation_error(error: ValidationError) -> list[str]:
    """One line per problem, each starting with the JSON path of the field."""
    return [f"{json_path(item['loc'])}: {item['msg']}" for item in error.errors()]


_MISSING_FIELD = re.compile(r"Object missing required field `(?P<field>[^`]*)`")


def describe_msgspec_error(error: Exception) -> list[str]:
    """msgspec's one problem as `describe_validation_error` words it: "groups[0].id: Field
    required", "id: Expected `str`, got `int`"."""
    message, _, at = str(error).partition(" - at `$")
    path = at.removesuffix("`").removeprefix(".")
    missing = _MISSING_FIELD.fullmatch(message)
    if missing:
        field = missing["field"]
        path, message = (f"{path}.{field}" if path else field), "Field required"
    return [f"{path or '(body)'}: {message}"]
