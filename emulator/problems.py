"""Error answers in the contract's problem+json shape (ApiProblem, InputValidationProblem)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from emulator.models import rfc3339

PROBLEM_CONTENT_TYPE = "application/problem+json"

IssueLocation = Literal["body", "header", "path", "query"]

_NO_VALUE = object()
MAX_ECHOED_VALUE_CHARS = 200


@dataclass(frozen=True)
class Issue:
    """One InputValidationIssue: where the offending input is and what is wrong with it."""

    location: IssueLocation
    name: str
    detail: str
    value: Any = _NO_VALUE

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"in": self.location, "name": self.name, "detail": self.detail}
        if self.value is not _NO_VALUE:
            data["value"] = _shortened(self.value)
        return data


def _shortened(value: Any) -> Any:
    """Echo small offending values as they are, and only the start of big ones."""
    text = json.dumps(value, default=str)
    if len(text) <= MAX_ECHOED_VALUE_CHARS:
        return value
    return f"{text[:MAX_ECHOED_VALUE_CHARS]}… ({len(text)} characters)"


@dataclass(eq=False)
class Problem(Exception):
    """Raised anywhere below a view to answer with a problem; the endpoint turns it into one."""

    status: int
    detail: str
    title: str = ""
    issues: list[Issue] = field(default_factory=list)
    retryable: bool = False
    retry_after: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail)
        if not self.title:
            self.title = HTTPStatus(self.status).phrase


def validation_problem(status: int, detail: str, issues: list[Issue]) -> Problem:
    return Problem(status=status, detail=detail, issues=issues)


def problem_response(request: HttpRequest, problem: Problem) -> HttpResponse:
    request_id = getattr(request, "emulator_request_id", "")
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": f"urn:uuid:{request_id}",
        "subsystem": "api",
        "time": rfc3339(timezone.now()),
        "requestId": request_id,
        "retryable": problem.retryable,
    }
    if problem.retry_after is not None:
        body["retryAfter"] = rfc3339(problem.retry_after)
    if problem.issues:
        body["issues"] = [issue.to_api() for issue in problem.issues]
    response = HttpResponse(
        json.dumps(body, default=str), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response
