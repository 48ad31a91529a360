"""`AmpersandClient`: one method per Ampersand API operation, returning typed models."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx
import msgspec
from pydantic import TypeAdapter, ValidationError
from pydantic_core import from_json

from integrations.ampersand.contract import JsonContractCheck
from integrations.ampersand.errors import (
    InvalidResponseError,
    describe_msgspec_error,
    describe_validation_error,
)
from integrations.ampersand.manifest import content_as_json
from integrations.ampersand.models import (
    Destination,
    Integration,
    IntegrationContent,
    ObjectMetadata,
    OperationPage,
    Project,
    ProviderInfo,
    contract_checker,
)
from integrations.ampersand.transport import ApiTransport, decode_json

INTEGRATION = TypeAdapter(Integration)
INTEGRATION_CHECK = contract_checker(Integration)
INTEGRATION_JSON_CHECK = JsonContractCheck(Integration)
ITEM_TEXTS = msgspec.json.Decoder(list[msgspec.Raw])
INTEGRATIONS = TypeAdapter(list[Integration])
OPERATION_PAGE = TypeAdapter(OperationPage)
PROJECT = TypeAdapter(Project)
DESTINATION = TypeAdapter(Destination)
DESTINATIONS = TypeAdapter(list[Destination])
PROVIDER = TypeAdapter(ProviderInfo)
PROVIDERS = TypeAdapter(dict[str, ProviderInfo])
OBJECT_METADATA = TypeAdapter(ObjectMetadata)


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
    """One item of a listIntegrations answer: its exact JSON text, decoded and checked on demand.

    Nothing decoded is kept, so a caller going through thousands of items holds one at a time.
    `checked()` decodes and checks the item in one pass (see `contract.py`); a caller that only
    needs to know whether it already holds this exact JSON can `decode()` it, which is cheaper.
    `text` is None for an answer that only the standard `json` module could read: the item is
    then held decoded.
    """

    __slots__ = ("_decoded", "_field_errors", "_index", "text")

    def __init__(self, index: int, *, text: bytes | None = None, decoded: Any = None) -> None:
        self._index = index
        self.text = text
        self._decoded = decoded
        self._field_errors: list[str] | None = None

    def __repr__(self) -> str:
        return f"ListedIntegration({self._index}, text={self.text!r})"

    @property
    def raw(self) -> Any:
        """The item's JSON, decoded anew on each access."""
        return self.decode()

    def decode(self) -> Any:
        if self.text is None:
            return self._decoded
        try:
            # The decoder of `checked()` too: both read every number alike (orjson would turn
            # an integer beyond 64 bits into a float), so an item hashes the same either way.
            return from_json(self.text)
        except ValueError:
            return json.loads(self.text)

    def checked(self) -> Any:
        """The item's JSON if it meets the contract, else None (`field_errors` then says why)."""
        if self._field_errors:
            return None
        if self._field_errors is None and self.text is not None:
            data = INTEGRATION_JSON_CHECK.check(self.text)
            if data is not None:
                self._field_errors = []
                return data
        data = self.decode()
        return None if self._precise_errors(data) else data

    @property
    def field_errors(self) -> list[str]:
        if self._field_errors is None:
            self.checked()
        assert self._field_errors is not None
        return self._field_errors

    @property
    def is_valid(self) -> bool:
        return not self.field_errors

    @property
    def integration(self) -> Integration | None:
        return INTEGRATION.validate_python(self.decode()) if self.is_valid else None

    def _precise_errors(self, data: Any) -> list[str]:
        if self._field_errors is None:
            try:
                INTEGRATION_CHECK.validate_python(data)
            except ValidationError as exc:
                self._field_errors = [
                    f"[{self._index}].{line}" for line in describe_validation_error(exc)
                ]
            else:
                self._field_errors = []
        return self._field_errors


def listed_integrations(content: bytes) -> list[ListedIntegration] | Any:
    """A listIntegrations body cut into its items' exact JSON texts, without decoding them.

    A body that is not a plain JSON array, or that only the standard `json` module reads (NaN,
    a lone surrogate: see `decode_json`), is decoded whole instead, and returned as it is when
    it is not an array. msgspec checks the JSON syntax of every item but not the UTF-8 of its
    strings, hence the check of the whole body.
    """
    try:
        texts = ITEM_TEXTS.decode(content)
        if not content.isascii():
            content.decode()
    except (msgspec.DecodeError, UnicodeDecodeError):
        body = decode_json(content)
        if not isinstance(body, list):
            return body
        return [ListedIntegration(index, decoded=item) for index, item in enumerate(body)]
    return [ListedIntegration(index, text=bytes(text)) for index, text in enumerate(texts)]


class ListedGroup(msgspec.Struct, rename="camel", frozen=True):
    group_ref: str = ""
    group_name: str = ""


class ListedConnection(msgspec.Struct, rename="camel", frozen=True):
    provider: str
    status: str = ""
    group: ListedGroup | None = None


class ListedInstallation(msgspec.Struct, rename="camel", frozen=True):
    """One installation, as listInstallations lists it and getInstallation returns it, with its
    config's exact JSON text (`config`).

    Only these fields are decoded and checked (by msgspec: about 40x as fast as a pydantic model
    for 10,000 installations, and it keeps each config's own bytes); unknown keys are ignored.
    """

    id: str
    integration_id: str
    health_status: str
    config: msgspec.Raw
    group: ListedGroup | None = None
    connection: ListedConnection | None = None
    last_operation_status: str | None = None
    create_time: datetime | None = None
    created_by: str = ""


def _decoder[T](decoder: msgspec.json.Decoder[T], operation: str) -> Callable[[bytes], T]:
    """A body's decoding by `decoder`: invalid JSON (or UTF-8) raises a ValueError, a body the
    contract does not allow an InvalidResponseError."""

    def decode(content: bytes) -> T:
        if not content.isascii():
            content.decode()
        try:
            return decoder.decode(content)
        except msgspec.ValidationError as error:
            raise InvalidResponseError(
                f"{operation}: response does not match the contract",
                detail=str(error),
                field_errors=describe_msgspec_error(error),
            ) from error

    return decode


listed_installations = _decoder(msgspec.json.Decoder(list[ListedInstallation]), "listInstallations")
one_installation = _decoder(msgspec.json.Decoder(ListedInstallation), "getInstallation")


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

        Each item is checked and decoded only when the caller asks (see `ListedIntegration`).
        """
        body = self._http.request(
            "GET",
            f"{self._project_path}/integrations",
            operation="listIntegrations",
            decode=listed_integrations,
        )
        if not isinstance(body, list):
            raise InvalidResponseError(
                "listIntegrations: response does not match the contract",
                detail="expected a JSON array",
                field_errors=[f"(root): expected an array, got {type(body).__name__}"],
            )
        return body

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
        self, integration_id: str | None = None, *, group_ref: str | None = None
    ) -> list[ListedInstallation]:
        """listInstallations of one integration, or listInstallationsForProject when
        `integration_id` is None; only those of `group_ref`, if given."""
        if integration_id is None:
            path, operation = f"{self._project_path}/installations", "listInstallationsForProject"
        else:
            path = f"{self._project_path}/integrations/{_segment(integration_id)}/installations"
            operation = "listInstallations"
        return self._http.request(
            "GET",
            path,
            operation=operation,
            params={"groupRef": group_ref} if group_ref is not None else None,
            decode=listed_installations,
        )

    def get_installation(self, integration_id: str, installation_id: str) -> ListedInstallation:
        """getInstallation: one installation of an integration, with its connection, config and
        health (NotFoundError when either is unknown)."""
        return self._http.request(
            "GET",
            self._installation_path(integration_id, installation_id),
            operation="getInstallation",
            decode=one_installation,
        )

    def _installation_path(self, integration_id: str, installation_id: str) -> str:
        return (
            f"{self._project_path}/integrations/{_segment(integration_id)}"
            f"/installations/{_segment(installation_id)}"
        )

    # --- Operations ----------------------------------------------------------------------------

    def list_operations(
        self,
        integration_id: str,
        installation_id: str,
        *,
        page_size: int | None = None,
        page_token: str | None = None,
    ) -> OperationPage:
        """listOperations: one page of an installation's operations (the server's default size,
        200, unless `page_size`, 1-1000, says otherwise); pass the page's
        `pagination.next_page_token` as `page_token` for the next, until `pagination.done`."""
        params: dict[str, str] = {}
        if page_size is not None:
            params["pageSize"] = str(page_size)
        if page_token is not None:
            params["pageToken"] = page_token
        body = self._http.request(
            "GET",
            f"{self._installation_path(integration_id, installation_id)}/operations",
            operation="listOperations",
            params=params or None,
        )
        return _parse(OPERATION_PAGE, body, "listOperations")

    # --- Objects & Fields ----------------------------------------------------------------------

    def get_object_metadata_for_connection(
        self, provider: str, object_name: str, *, group_ref: str, exclude_read_only: bool = False
    ) -> ObjectMetadata:
        """getObjectMetadataForConnection: an object's fields as the group's connection to
        `provider` sees them (NotFoundError without such a connection or object)."""
        params = {"groupRef": group_ref}
        if exclude_read_only:
            params["excludeReadOnly"] = "true"
        body = self._http.request(
            "GET",
            f"{self._project_path}/providers/{_segment(provider)}"
            f"/objects/{_segment(object_name)}/metadata",
            operation="getObjectMetadataForConnection",
            params=params,
        )
        return _parse(OBJECT_METADATA, body, "getObjectMetadataForConnection")

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

    # --- Provider catalog (no project, no authentication needed) --------------------------------

    def list_providers(self) -> dict[str, ProviderInfo]:
        """listProviders: every provider Ampersand supports and its capabilities, by name."""
        body = self._http.request("GET", "providers", operation="listProviders")
        return _parse(PROVIDERS, body, "listProviders")

    def get_provider(self, name: str) -> ProviderInfo:
        """getProvider: one provider's capabilities (NotFoundError for an unknown one)."""
        body = self._http.request("GET", f"providers/{_segment(name)}", operation="getProvider")
        return _parse(PROVIDER, body, "getProvider")
