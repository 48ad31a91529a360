"""`AmpersandClient`: one method per Ampersand API operation, returning typed models."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from integrations.ampersand.errors import InvalidResponseError, describe_validation_error
from integrations.ampersand.manifest import content_as_json
from integrations.ampersand.models import (
    Destination,
    Installation,
    Integration,
    IntegrationContent,
    Project,
    contract_checker,
)
from integrations.ampersand.transport import ApiTransport

INTEGRATION = TypeAdapter(Integration)
INTEGRATION_CHECK = contract_checker(Integration)
INTEGRATIONS = TypeAdapter(list[Integration])
INSTALLATIONS = TypeAdapter(list[Installation])
PROJECT = TypeAdapter(Project)
DESTINATION = TypeAdapter(Destination)
DESTINATIONS = TypeAdapter(list[Destination])


def _segment(value: str) -> str:
    return quote(value, safe="")


def _parse[T](adapter: TypeAdapter[T], body: Any, operation: str) -> T:
    try:
        return adapter.validate_python(body)
    except ValidationError as exc:
        field_errors = describe_validation_error(exc)
        raise InvalidResponseError(
            f"{operation}: response does not match the contract",
            detail=f"{len(field_errors)} invalid field(s)",
            field_errors=field_errors,
        ) from exc


class ListedIntegration:
    """One item of a listIntegrations answer: its JSON, and the model or why it did not parse.

    The item is checked against the contract when first asked (`is_valid`, `field_errors`) and
    its model is built only when asked for: a caller that already holds this exact JSON, checked
    before, can skip both, which for thousands of items is most of the work.
    """

    __slots__ = ("_field_errors", "_index", "_integration", "raw")

    def __init__(self, raw: Any, index: int) -> None:
        self.raw = raw
        self._index = index
        self._field_errors: list[str] | None = None
        self._integration: Integration | None = None

    def __repr__(self) -> str:
        return f"ListedIntegration({self._index}, raw={self.raw!r})"

    @property
    def field_errors(self) -> list[str]:
        if self._field_errors is None:
            try:
                INTEGRATION_CHECK.validate_python(self.raw)
            except ValidationError as exc:
                self._field_errors = [
                    f"[{self._index}].{line}" for line in describe_validation_error(exc)
                ]
            else:
                self._field_errors = []
        return self._field_errors

    @property
    def is_valid(self) -> bool:
        return not self.field_errors

    @property
    def integration(self) -> Integration | None:
        if self._integration is None and self.is_valid:
            self._integration = INTEGRATION.validate_python(self.raw)
        return self._integration


def _destructive_param(destructive: bool) -> dict[str, str]:
    return {"destructive": "true"} if destructive else {}


class AmpersandClient:
    """The Ampersand public API, scoped to one project.

    Every method raises an `AmpersandError` subclass on failure (see `errors.py`); transient
    failures are retried first by the transport within `max_retries` and `total_timeout`.
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        project: str,
        timeout: float = 10.0,
        connect_timeout: float = 5.0,
        max_retries: int = 4,
        total_timeout: float = 30.0,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        backoff_base: float = 0.2,
        backoff_cap: float = 5.0,
        max_retry_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.project = project
        self._project_path = f"projects/{_segment(project)}"
        self._http = ApiTransport(
            base_url=base_url,
            api_key=api_key,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            total_timeout=total_timeout,
            headers=headers,
            transport=transport,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            max_retry_wait=max_retry_wait,
            sleep=sleep,
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
        self._http.close()

    # --- Project -------------------------------------------------------------------------------

    def get_project(self) -> Project:
        """getProject: the project this client is scoped to."""
        body = self._http.request("GET", self._project_path, operation="getProject")
        return _parse(PROJECT, body, "getProject")

    # --- Integrations --------------------------------------------------------------------------

    def list_integrations(self) -> list[Integration]:
        """listIntegrations: every integration of the project, each with its latest revision."""
        body = self._http.request(
            "GET", f"{self._project_path}/integrations", operation="listIntegrations"
        )
        return _parse(INTEGRATIONS, body, "listIntegrations")

    def list_integrations_checked(self) -> list[ListedIntegration]:
        """listIntegrations, item by item: an item that breaks the contract does not sink the rest.

        `raw` is the decoded JSON itself, not a copy: the caller owns it.
        """
        body = self._http.request(
            "GET", f"{self._project_path}/integrations", operation="listIntegrations"
        )
        if not isinstance(body, list):
            raise InvalidResponseError(
                "listIntegrations: response does not match the contract",
                detail="expected a JSON array",
                field_errors=[f"(root): expected an array, got {type(body).__name__}"],
            )
        return [ListedIntegration(raw, index) for index, raw in enumerate(body)]

    def get_integration(self, id_or_name: str) -> Integration:
        """getIntegration: one integration by ID or name."""
        body = self._http.request(
            "GET",
            f"{self._project_path}/integrations/{_segment(id_or_name)}",
            operation="getIntegration",
        )
        return _parse(INTEGRATION, body, "getIntegration")

    def create_integration(
        self,
        *,
        name: str,
        provider: str,
        content: Mapping[str, Any] | IntegrationContent,
        spec_version: str = "1.0.0",
    ) -> Integration:
        """createIntegration, then getIntegration by name: returns the created integration.

        The contract's 201 has no body, so unless the server sends the integration anyway it is
        fetched by name.
        """
        body = self._http.request(
            "POST",
            f"{self._project_path}/integrations",
            operation="createIntegration",
            json_body={
                "name": name,
                "provider": provider,
                "latestRevision": {
                    "specVersion": spec_version,
                    "content": content_as_json(content),
                },
            },
        )
        if isinstance(body, dict) and "latestRevision" in body:
            return _parse(INTEGRATION, body, "createIntegration")
        return self.get_integration(name)

    def delete_integration(self, id_or_name: str) -> None:
        """deleteIntegration: removes the integration and all its installations."""
        self._http.request(
            "DELETE",
            f"{self._project_path}/integrations/{_segment(id_or_name)}",
            operation="deleteIntegration",
        )

    def batch_upsert(self, source_yaml: str, *, destructive: bool = False) -> list[Integration]:
        """batchUpsertIntegrations: creates or updates every integration of an amp.yaml text."""
        body = self._http.request(
            "PUT",
            f"{self._project_path}/integrations:batch",
            operation="batchUpsertIntegrations",
            params=_destructive_param(destructive),
            json_body={"sourceYaml": source_yaml},
        )
        return _parse(INTEGRATIONS, body, "batchUpsertIntegrations")

    def create_revision(
        self, integration_id: str, source_yaml: str, *, destructive: bool = False
    ) -> Integration:
        """createRevision, then getIntegration: returns the integration with its new revision.

        The contract's 201 has no body, hence the follow-up fetch.
        """
        self._http.request(
            "POST",
            f"{self._project_path}/integrations/{_segment(integration_id)}/revisions",
            operation="createRevision",
            params=_destructive_param(destructive),
            json_body={"sourceYaml": source_yaml},
        )
        return self.get_integration(integration_id)

    # --- Installations -------------------------------------------------------------------------

    def list_installations(
        self, integration_id: str, *, group_ref: str | None = None
    ) -> list[Installation]:
        """listInstallations: the installations of one integration, optionally of one group."""
        body = self._http.request(
            "GET",
            f"{self._project_path}/integrations/{_segment(integration_id)}/installations",
            operation="listInstallations",
            params={"groupRef": group_ref} if group_ref is not None else None,
        )
        return _parse(INSTALLATIONS, body, "listInstallations")

    def list_project_installations(self, *, group_ref: str | None = None) -> list[Installation]:
        """listInstallationsForProject: installations across all integrations of the project."""
        body = self._http.request(
            "GET",
            f"{self._project_path}/installations",
            operation="listInstallationsForProject",
            params={"groupRef": group_ref} if group_ref is not None else None,
        )
        return _parse(INSTALLATIONS, body, "listInstallationsForProject")

    # --- Destinations --------------------------------------------------------------------------

    def list_destinations(self) -> list[Destination]:
        """listDestinations: where the project's integrations deliver data."""
        body = self._http.request(
            "GET", f"{self._project_path}/destinations", operation="listDestinations"
        )
        return _parse(DESTINATIONS, body, "listDestinations")

    def create_destination(
        self,
        *,
        name: str,
        type: str,
        metadata: Mapping[str, Any],
        secrets: Mapping[str, str] | None = None,
    ) -> Destination:
        """createDestination: a new destination (e.g. type "webhook" with metadata.url)."""
        payload: dict[str, Any] = {"name": name, "type": type, "metadata": dict(metadata)}
        if secrets is not None:
            payload["secrets"] = dict(secrets)
        body = self._http.request(
            "POST",
            f"{self._project_path}/destinations",
            operation="createDestination",
            json_body=payload,
        )
        return _parse(DESTINATION, body, "createDestination")
