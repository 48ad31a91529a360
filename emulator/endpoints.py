"""How every emulator request is served, around the operation views in `emulator.views`.

In order: the `AMPERSAND_EMULATOR` switch (404 when off), the path and method (404/405), fault
injection, API-key authentication and the project (401/403/404), then the operation. Whatever
happens, the answer carries an `X-Request-Id` and is announced with the `response_served` signal.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from emulator.faults import (
    KINDS_BEFORE_OPERATION,
    FaultPlan,
    FaultSyntaxError,
    break_response,
    fault_switch,
    parse_fault_plan,
    problem_for_fault,
)
from emulator.inputs import is_storable_text
from emulator.models import ApiKey, Project
from emulator.problems import Issue, Problem, problem_response
from emulator.signals import response_served

logger = logging.getLogger("emulator")

Operation = Callable[..., HttpResponse]


def operation(operation_id: str) -> Callable[[Operation], Operation]:
    """Name a view after the contract's operationId.

    The view gets `(request, project, **path)`, or `(request, **path)` outside any project.
    """

    def name_view(view: Operation) -> Operation:
        view.operation_id = operation_id  # type: ignore[attr-defined]
        return view

    return name_view


def endpoint(**operations_by_method: Operation) -> Callable[..., HttpResponse]:
    """One URL of the API, answering each HTTP method with its operation view."""

    @csrf_exempt
    def serve(request: HttpRequest, **path: str) -> HttpResponse:
        return _serve(request, operations_by_method, path)

    return serve


def _serve(
    request: HttpRequest, operations_by_method: dict[str, Operation], path: dict[str, str]
) -> HttpResponse:
    request.emulator_request_id = str(uuid.uuid4())  # type: ignore[attr-defined]
    operation_view = operations_by_method.get(request.method or "")
    fault: str | None = None
    try:
        response, fault = _answer(request, operations_by_method, operation_view, path)
    except Problem as problem:
        response = problem_response(request, problem)
    except IntegrityError:
        # Two writers raced for the same name; the loser may simply try again.
        logger.warning("Emulator write conflict on %s %s", request.method, request.path)
        response = problem_response(
            request,
            Problem(status=409, detail="A concurrent request changed this.", retryable=True),
        )
    except DatabaseError:
        logger.exception("Emulator database error on %s %s", request.method, request.path)
        response = problem_response(
            request,
            Problem(status=503, detail="The emulator's database is busy.", retryable=True),
        )
    except Exception:
        logger.exception("Emulator failed on %s %s", request.method, request.path)
        response = problem_response(
            request, Problem(status=500, detail="The emulator failed unexpectedly.")
        )
    response["X-Request-Id"] = request.emulator_request_id  # type: ignore[attr-defined]
    response_served.send(
        sender=_serve,
        request=request,
        response=response,
        operation_id=getattr(operation_view, "operation_id", None),
        fault=fault,
    )
    return response


def _answer(
    request: HttpRequest,
    operations_by_method: dict[str, Operation],
    operation_view: Operation | None,
    path: dict[str, str],
) -> tuple[HttpResponse, str | None]:
    if not settings.AMPERSAND_EMULATOR:
        raise Problem(status=404, detail="The Ampersand API emulator is switched off.")
    if not operations_by_method:
        raise Problem(status=404, detail=f"No API operation lives at {request.path}.")
    if operation_view is None:
        allowed = ", ".join(sorted(operations_by_method))
        raise Problem(
            status=405,
            detail=f"{request.method} is not allowed here; use {allowed}.",
            headers={"Allow": allowed},
        )

    plan = _fault_plan(request)
    fault = _injected_fault(plan)
    if plan is not None and fault in KINDS_BEFORE_OPERATION:
        return problem_response(request, problem_for_fault(fault, plan)), fault

    _refuse_unstorable_path(path)
    if "project_id_or_name" in path:
        project = authenticated_project(request, path.pop("project_id_or_name"))
        response = operation_view(request, project, **path)
    else:
        # Operations outside any project (the provider catalog) need no API key: security [].
        response = operation_view(request, **path)
    if fault is not None and break_response(fault, response):
        return response, fault
    return response, None


def _fault_plan(request: HttpRequest) -> FaultPlan | None:
    text, source = fault_switch(request)
    try:
        return parse_fault_plan(text)
    except FaultSyntaxError as error:
        if source == "settings":
            raise Problem(
                status=500, detail=f"AMPERSAND_EMULATOR_FAULTS is malformed: {error}"
            ) from None
        raise Problem(
            status=400,
            detail=f"The X-Emulator-Faults header is malformed: {error}",
            issues=[Issue("header", "X-Emulator-Faults", str(error), text)],
        ) from None


def _injected_fault(plan: FaultPlan | None) -> str | None:
    if plan is None:
        return None
    if plan.latency:
        time.sleep(plan.latency)
    return plan.next_fault()


def _refuse_unstorable_path(path: dict[str, Any]) -> None:
    for name, value in path.items():
        if not is_storable_text(value):
            raise Problem(
                status=404,
                detail="Nothing here has that name.",
                issues=[Issue("path", name, "Holds characters no name can have.")],
            )


def presented_api_key(request: HttpRequest) -> str:
    key = request.headers.get("X-Api-Key", "").strip()
    if not key:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer":
            key = credentials.strip()
    return key


def authenticated_project(request: HttpRequest, project_id_or_name: str) -> Project:
    """The project named in the path, if the request's API key may use it (else 401/403/404)."""
    key = presented_api_key(request)
    if not key:
        raise Problem(
            status=401,
            detail="An API key is required in the X-Api-Key header.",
            headers={"WWW-Authenticate": 'Bearer realm="ampersand"'},
        )
    api_key = None
    if is_storable_text(key):
        api_key = ApiKey.objects.filter(key=key, active=True).first()
    if api_key is None:
        raise Problem(
            status=401,
            detail="The API key is not valid.",
            headers={"WWW-Authenticate": 'Bearer realm="ampersand"'},
        )
    project = (
        Project.objects.filter(id=project_id_or_name).first()
        or Project.objects.filter(name=project_id_or_name).first()
    )
    if project is None:
        raise Problem(
            status=404,
            detail=f"Project {project_id_or_name!r} was not found.",
            issues=[Issue("path", "projectIdOrName", "No such project.", project_id_or_name)],
        )
    if project.pk != api_key.project_id:
        raise Problem(status=403, detail="The API key does not belong to this project.")
    return project
