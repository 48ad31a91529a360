"""The operations of the Ampersand public API, as the emulator answers them.

Each view is named after its operationId and receives the authenticated project (the provider
catalog's views, outside any project, need no authentication); the shared
request handling (switch, faults, auth, problems, signal) lives in `emulator.endpoints`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from emulator.endpoints import operation
from emulator.inputs import (
    is_storable_text,
    json_body,
    query_flag,
    query_text,
    unstorable_value_path,
)
from emulator.models import (
    Destination,
    Installation,
    Integration,
    Operation,
    Project,
    Revision,
)
from emulator.object_metadata import object_metadata
from emulator.problems import Issue, Problem
from integrations.ampersand.manifest import ValidationResult, load_catalog, validate_manifest

MAX_NAME_LENGTH = 200
MAX_PROVIDER_LENGTH = 100
MAX_SPEC_VERSION_LENGTH = 20
DESTINATION_NAME = re.compile(r"[A-Za-z0-9-]+")
DESTINATION_TYPES = (
    "webhook",
    "kinesis",
    "s3",
    "slack",
    "clickhouse",
    "snowflake",
    "bigquery",
    "redshift",
    "sqs",
    "pubsub",
    "rabbitmq",
    "azureservicebus",
)
# The JSON types of the destination metadata fields the contract declares; others pass as given.
DESTINATION_METADATA_TYPES: dict[str, type | tuple[type, ...]] = {
    "tls": bool,
    "batchSize": int,
    "maxWaitSecs": int,
    "headers": (dict, type(None)),
    **dict.fromkeys(
        [
            *("url", "streamName", "region", "partitionKeyTemplate", "bucket", "keyTemplate"),
            *("storageClass", "username", "tableName", "database", "accountIdentifier", "userId"),
            *("dbName", "schemaName", "projectId", "datasetId", "tableId", "workgroupName"),
            *("clusterIdentifier", "dbUser", "account", "container", "queueUrl", "topicId"),
            *("serverUrl", "exchange", "name", "endpointUrl"),
        ],
        str,
    ),
}
URL_DESTINATION_TYPES = ("webhook", "slack")
DEFAULT_ENTITLEMENTS = {"brandingRemoval": {"value": False}, "logRetentionDays": {"value": 30}}
OPERATIONS_PAGE_SIZE = 200
MAX_OPERATIONS_PAGE_SIZE = 1000
MAX_PAGE_TOKEN_LENGTH = 200


def json_answer(data: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(data, safe=False, status=status)


def empty_answer(status: int) -> HttpResponse:
    response = HttpResponse(status=status)
    # The contract gives these answers no body, so no media type either.
    del response["Content-Type"]
    return response


class IssueList:
    """Input issues sorted by answer: wrong JSON shapes are a 400, broken rules a 422."""

    def __init__(self) -> None:
        self.shape: list[Issue] = []
        self.rules: list[Issue] = []

    def raise_if_any(self, subject: str) -> None:
        if self.shape:
            raise Problem(status=400, detail=f"{subject} has the wrong shape.", issues=self.shape)
        if self.rules:
            raise Problem(status=422, detail=f"{subject} is not valid.", issues=self.rules)

    def text(self, data: dict[str, Any], key: str, *, path: str = "", most: int) -> str:
        path = path or key
        value = data.get(key)
        if value is None:
            self.shape.append(Issue("body", path, "Required."))
        elif not isinstance(value, str):
            self.shape.append(Issue("body", path, "Must be a string.", value))
        elif not value.strip():
            self.rules.append(Issue("body", path, "Must not be blank.", value))
        elif len(value) > most:
            self.rules.append(Issue("body", path, f"Must be at most {most} characters.", value))
        else:
            return value
        return ""


def body_object(request: HttpRequest) -> dict[str, Any]:
    data = json_body(request)
    if not isinstance(data, dict):
        raise Problem(status=400, detail="The request body must be a JSON object.")
    return data


# --- Project -----------------------------------------------------------------------------------


@operation("getProject")
def get_project(request: HttpRequest, project: Project) -> HttpResponse:
    data = project.to_api()
    if query_flag(request, "includeEntitlements"):
        data["entitlements"] = DEFAULT_ENTITLEMENTS
    return json_answer(data)


# --- Integrations ------------------------------------------------------------------------------


def integrations_of(project: Project) -> QuerySet[Integration]:
    return project.integrations.select_related("latest_revision").order_by("create_time", "name")


def find_integration(project: Project, id_or_name: str, *, parameter: str) -> Integration:
    """The project's integration by id, or by name too when the path parameter allows it."""
    integrations = integrations_of(project)
    integration = integrations.filter(id=id_or_name).first()
    if integration is None and parameter == "integrationIdOrName":
        integration = integrations.filter(name=id_or_name).first()
    if integration is None:
        raise Problem(
            status=404,
            detail=f"Integration {id_or_name!r} was not found in this project.",
            issues=[Issue("path", parameter, "No such integration.", id_or_name)],
        )
    return integration


@operation("listIntegrations")
def list_integrations(request: HttpRequest, project: Project) -> HttpResponse:
    return json_answer([integration.to_api() for integration in integrations_of(project)])


@operation("getIntegration")
def get_integration(
    request: HttpRequest, project: Project, integration_id_or_name: str
) -> HttpResponse:
    integration = find_integration(project, integration_id_or_name, parameter="integrationIdOrName")
    return json_answer(integration.to_api())


@operation("createIntegration")
def create_integration(request: HttpRequest, project: Project) -> HttpResponse:
    data = body_object(request)
    issues = IssueList()
    name = issues.text(data, "name", most=MAX_NAME_LENGTH)
    provider = issues.text(data, "provider", most=MAX_PROVIDER_LENGTH)
    revision = data.get("latestRevision")
    spec_version, content = "", None
    if not isinstance(revision, dict):
        issues.shape.append(
            Issue("body", "latestRevision", "Required: an object with specVersion and content.")
        )
    else:
        spec_version = issues.text(
            revision,
            "specVersion",
            path="latestRevision.specVersion",
            most=MAX_SPEC_VERSION_LENGTH,
        )
        content = revision.get("content")
        if not isinstance(content, dict):
            issues.shape.append(Issue("body", "latestRevision.content", "Must be an object."))
    issues.raise_if_any("The integration")

    assert isinstance(content, dict)
    result = validate_manifest(
        {"specVersion": spec_version, "integrations": [content]},
        destinations=destination_names(project),
    )
    issues.rules.extend(
        Issue("body", name.replace("integrations[0]", "latestRevision.content", 1), detail)
        for name, detail in error_details(result).items()
        if name.startswith("integrations[0]")
    )
    if result.manifest is not None:
        # Unknown keys are dropped before storing, as the platform does.
        content = result.manifest["integrations"][0]
    for key, expected in (("name", name), ("provider", provider)):
        if content.get(key) != expected:
            issues.rules.append(
                Issue(
                    "body",
                    f"latestRevision.content.{key}",
                    f"Must equal the integration's {key} {expected!r}.",
                    content.get(key),
                )
            )
    issues.raise_if_any("The integration")
    if project.integrations.filter(name=name).exists():
        raise Problem(status=409, detail=f"An integration named {name!r} already exists.")

    with transaction.atomic():
        add_integration(project, spec_version=spec_version, content=content, now=timezone.now())
    return empty_answer(201)


@operation("deleteIntegration")
def delete_integration(
    request: HttpRequest, project: Project, integration_id_or_name: str
) -> HttpResponse:
    integration = find_integration(project, integration_id_or_name, parameter="integrationIdOrName")
    with transaction.atomic():
        integration.delete()
    return empty_answer(204)


@operation("batchUpsertIntegrations")
def batch_upsert_integrations(request: HttpRequest, project: Project) -> HttpResponse:
    # Accepted for fidelity; the emulator runs no reads that a destructive deploy would pause.
    query_flag(request, "destructive")
    manifest = parsed_manifest(manifest_source(body_object(request)), project)
    now = timezone.now()
    with transaction.atomic():
        integrations = [
            upsert_integration(
                project, spec_version=manifest["specVersion"], content=content, now=now
            )
            for content in manifest["integrations"]
        ]
    return json_answer([integration.to_api() for integration in integrations])


@operation("createRevision")
def create_revision(request: HttpRequest, project: Project, integration_id: str) -> HttpResponse:
    integration = find_integration(project, integration_id, parameter="integrationId")
    query_flag(request, "destructive")
    manifest = parsed_manifest(manifest_source(body_object(request)), project)
    contents = manifest["integrations"]
    if len(contents) != 1:
        raise Problem(
            status=422,
            detail="A revision's manifest must hold exactly one integration.",
            issues=[Issue("body", "integrations", "Must hold exactly one integration.")],
        )
    if contents[0].get("name") != integration.name:
        raise Problem(
            status=422,
            detail=f"The manifest's integration must be named {integration.name!r}.",
            issues=[
                Issue(
                    "body",
                    "integrations[0].name",
                    f"Must be {integration.name!r}.",
                    contents[0].get("name"),
                )
            ],
        )
    with transaction.atomic():
        locked = Integration.objects.select_for_update().get(pk=integration.pk)
        add_revision(locked, spec_version=manifest["specVersion"], content=contents[0])
    return empty_answer(201)


def destination_names(project: Project) -> set[str]:
    return set(project.destinations.values_list("name", flat=True))


def manifest_source(data: dict[str, Any]) -> str:
    if "sourceZipUrl" in data:
        raise Problem(
            status=422,
            detail="The emulator supports only sourceYaml, not sourceZipUrl.",
            issues=[Issue("body", "sourceZipUrl", "Only sourceYaml is supported by the emulator.")],
        )
    source = data.get("sourceYaml")
    if not isinstance(source, str):
        detail = "Required." if source is None else "Must be a string."
        raise Problem(
            status=400,
            detail="The request body needs sourceYaml, the amp.yaml text.",
            issues=[Issue("body", "sourceYaml", detail)],
        )
    return source


def error_details(result: ValidationResult) -> dict[str, str]:
    """The manifest's errors, one detail per path (warnings and notes do not refuse it)."""
    details: dict[str, str] = {}
    for issue in result.errors:
        earlier = details.get(issue.path)
        details[issue.path] = f"{earlier} {issue.message}" if earlier else issue.message
    return details


def refusal_title(result: ValidationResult) -> str:
    rule = result.errors[0].rule
    if rule == "manifest-too-large":
        return "The manifest is too large"
    if rule.startswith("yaml-"):
        return "The manifest is not valid YAML"
    return "The manifest is not valid"


def parsed_manifest(source_yaml: str, project: Project) -> dict[str, Any]:
    """The validated manifest, with integration contents as they will be stored (else 422).

    Unknown keys are dropped, as the platform does; warnings do not refuse the manifest.
    """
    result = validate_manifest(source_yaml, destinations=destination_names(project))
    if not result.ok or result.manifest is None:
        raise Problem(
            status=422,
            detail=refusal_title(result),
            issues=[Issue("body", name, detail) for name, detail in error_details(result).items()],
        )
    manifest = result.manifest
    issues: list[Issue] = []
    contents = []
    for index, content in enumerate(manifest["integrations"]):
        path = f"integrations[{index}]"
        try:
            content = json.loads(json.dumps(content))
        except (TypeError, ValueError):
            issues.append(Issue("body", path, "Holds values that are not JSON."))
            continue
        unstorable = unstorable_value_path(content, path)
        if unstorable is not None:
            issues.append(Issue("body", unstorable, "Holds text that cannot be stored."))
        contents.append(content)
    if issues:
        raise Problem(status=422, detail="The manifest is not valid.", issues=issues)
    return {"specVersion": str(manifest["specVersion"]), "integrations": contents}


def add_integration(
    project: Project, *, spec_version: str, content: dict[str, Any], now: datetime
) -> Integration:
    integration = Integration.objects.create(
        project=project,
        name=content["name"],
        provider=content["provider"],
        create_time=now,
        update_time=now,
    )
    add_revision(integration, spec_version=spec_version, content=content, now=now)
    return integration


def add_revision(
    integration: Integration,
    *,
    spec_version: str,
    content: dict[str, Any],
    now: datetime | None = None,
) -> Revision:
    now = now or timezone.now()
    revision = Revision.objects.create(
        integration=integration, spec_version=spec_version, content=content, create_time=now
    )
    integration.latest_revision = revision
    integration.provider = content["provider"]
    integration.update_time = now
    integration.save(update_fields=["latest_revision", "provider", "update_time"])
    return revision


def upsert_integration(
    project: Project, *, spec_version: str, content: dict[str, Any], now: datetime
) -> Integration:
    """Create the named integration, or give it a new revision only if its content changed."""
    integration = (
        Integration.objects.select_for_update()
        .filter(project=project, name=content["name"])
        .first()
    )
    if integration is None:
        return add_integration(project, spec_version=spec_version, content=content, now=now)
    latest = integration.latest_revision
    if latest is None or latest.spec_version != spec_version or latest.content != content:
        add_revision(integration, spec_version=spec_version, content=content, now=now)
    return integration


# --- Installations -----------------------------------------------------------------------------


def installations_answer(
    request: HttpRequest, installations: QuerySet[Installation]
) -> HttpResponse:
    group_ref = query_text(request, "groupRef")
    if group_ref is not None:
        installations = installations.filter(group__groupRef=group_ref)
    return json_answer(
        [installation.to_api() for installation in installations.order_by("create_time", "id")]
    )


@operation("listInstallations")
def list_installations(request: HttpRequest, project: Project, integration_id: str) -> HttpResponse:
    integration = find_integration(project, integration_id, parameter="integrationId")
    return installations_answer(request, integration.installations.all())


@operation("listInstallationsForProject")
def list_installations_for_project(request: HttpRequest, project: Project) -> HttpResponse:
    return installations_answer(request, Installation.objects.filter(project=project))


def find_installation(project: Project, integration_id: str, installation_id: str) -> Installation:
    """The installation of the project's integration (404 for either unknown, or a mismatch)."""
    integration = find_integration(project, integration_id, parameter="integrationId")
    installation = integration.installations.filter(id=installation_id).first()
    if installation is None:
        raise Problem(
            status=404,
            detail=f"Installation {installation_id!r} was not found for this integration.",
            issues=[Issue("path", "installationId", "No such installation.", installation_id)],
        )
    return installation


@operation("getInstallation")
def get_installation(
    request: HttpRequest, project: Project, integration_id: str, installation_id: str
) -> HttpResponse:
    return json_answer(find_installation(project, integration_id, installation_id).to_api())


# --- Operations --------------------------------------------------------------------------------


@operation("listOperations")
def list_operations(
    request: HttpRequest, project: Project, integration_id: str, installation_id: str
) -> HttpResponse:
    """The installation's operations, newest first, a page at a time.

    The page token is the last operation's (createTime, id), so a page never repeats or skips
    an operation while newer ones are added. A pageSize that is not a whole number is a 400;
    one outside 1-1000, or a token this list did not give, is a 422.
    """
    installation = find_installation(project, integration_id, installation_id)
    page_size = operations_page_size(request)
    operations = installation.operations.order_by("-create_time", "-id")
    token = query_text(request, "pageToken")
    if token is not None:
        create_time, operation_id = operation_cursor(token)
        operations = operations.filter(
            Q(create_time__lt=create_time) | Q(create_time=create_time, id__lt=operation_id)
        )
    page = list(operations[: page_size + 1])
    pagination: dict[str, Any] = {"done": len(page) <= page_size}
    page = page[:page_size]
    if not pagination["done"]:
        pagination["nextPageToken"] = operation_token(page[-1])
    return json_answer({"results": [item.to_api() for item in page], "pagination": pagination})


def operations_page_size(request: HttpRequest) -> int:
    raw = query_text(request, "pageSize")
    if raw is None:
        return OPERATIONS_PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()):
        raise Problem(
            status=400,
            detail="The query parameter pageSize must be a whole number.",
            issues=[Issue("query", "pageSize", "Must be a whole number.", raw)],
        )
    if len(raw) > 4 or not 1 <= int(raw) <= MAX_OPERATIONS_PAGE_SIZE:
        raise Problem(
            status=422,
            detail=f"The query parameter pageSize must be from 1 to {MAX_OPERATIONS_PAGE_SIZE}.",
            issues=[
                Issue("query", "pageSize", f"Must be from 1 to {MAX_OPERATIONS_PAGE_SIZE}.", raw)
            ],
        )
    return int(raw)


def operation_token(last: Operation) -> str:
    cursor = json.dumps([last.create_time.isoformat(), last.id])
    return base64.urlsafe_b64encode(cursor.encode()).decode()


def operation_cursor(token: str) -> tuple[datetime, str]:
    """The (createTime, id) a page token stands for; 422 for anything else."""
    moment, operation_id = None, None
    if len(token) <= MAX_PAGE_TOKEN_LENGTH:
        try:
            create_time, operation_id = json.loads(base64.urlsafe_b64decode(token.encode()))
            moment = datetime.fromisoformat(create_time)
        except (binascii.Error, UnicodeError, TypeError, ValueError):
            pass
    if (
        moment is None
        or moment.tzinfo is None
        or not isinstance(operation_id, str)
        or not is_storable_text(operation_id)
    ):
        raise Problem(
            status=422,
            detail="The pageToken is not one this list gave.",
            issues=[Issue("query", "pageToken", "Not a page token of this list.", token)],
        )
    return moment, operation_id


# --- Objects & Fields --------------------------------------------------------------------------


@operation("getObjectMetadataForConnection")
def get_object_metadata_for_connection(
    request: HttpRequest, project: Project, provider: str, object_name: str
) -> HttpResponse:
    group_ref = query_text(request, "groupRef")
    exclude_read_only = query_flag(request, "excludeReadOnly")
    if not group_ref:
        raise Problem(
            status=400,
            detail="The query parameter groupRef is required.",
            issues=[Issue("query", "groupRef", "Required.")],
        )
    # The emulator keeps each connection inside the installations made through it.
    installations = Installation.objects.filter(
        project=project, group__groupRef=group_ref, connection__provider=provider
    )
    if not installations.exists():
        raise Problem(
            status=404,
            detail=f"Group {group_ref!r} has no connection to {provider!r} in this project.",
            issues=[Issue("query", "groupRef", "No connection to this provider.", group_ref)],
        )
    metadata = object_metadata(
        provider,
        object_name,
        fields_in_use=fields_read(project, provider, object_name, installations),
    )
    if metadata is None:
        raise Problem(
            status=404,
            detail=f"{provider!r} has no object named {object_name!r}.",
            issues=[Issue("path", "objectName", "No such object.", object_name)],
        )
    if exclude_read_only:
        metadata["fields"] = {
            name: field for name, field in metadata["fields"].items() if not field["readOnly"]
        }
    return json_answer(metadata)


def fields_read(
    project: Project, provider: str, object_name: str, installations: QuerySet[Installation]
) -> list[str] | None:
    """The fields that the project's integrations of `provider`, and these installations, read
    of the object; None when no integration reads it."""
    names: list[str] | None = None
    for integration in integrations_of(project).filter(provider=provider):
        content = integration.latest_revision.content if integration.latest_revision else {}
        for read in content.get("read", {}).get("objects", []):
            if read.get("objectName") == object_name:
                names = names or []
                names.extend(
                    field["fieldName"]
                    for field in [*read.get("requiredFields", []), *read.get("optionalFields", [])]
                    if "fieldName" in field
                )
    for installation in installations:
        chosen = installation.config.get("content", {}).get("read", {}).get("objects", {})
        selected = chosen.get(object_name, {})
        if names is not None and selected:
            names.extend(selected.get("selectedFields", {}))
            names.extend(selected.get("selectedFieldMappings", {}).values())
    return names


# --- Destinations ------------------------------------------------------------------------------


@operation("listDestinations")
def list_destinations(request: HttpRequest, project: Project) -> HttpResponse:
    destinations = project.destinations.order_by("create_time", "name")
    return json_answer([destination.to_api() for destination in destinations])


@operation("createDestination")
def create_destination(request: HttpRequest, project: Project) -> HttpResponse:
    data = body_object(request)
    issues = IssueList()
    name = issues.text(data, "name", most=MAX_NAME_LENGTH)
    if name and not DESTINATION_NAME.fullmatch(name):
        issues.rules.append(
            Issue("body", "name", "May hold only letters, numbers and dashes.", name)
        )
    destination_type = issues.text(data, "type", most=40)
    if destination_type and destination_type not in DESTINATION_TYPES:
        issues.rules.append(
            Issue("body", "type", f"Must be one of {', '.join(DESTINATION_TYPES)}.", data["type"])
        )
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        issues.shape.append(Issue("body", "metadata", "Required: an object."))
    else:
        check_destination_metadata(metadata, destination_type, issues)
    secrets = data.get("secrets")
    if secrets is not None and not (
        isinstance(secrets, dict) and all(isinstance(value, str) for value in secrets.values())
    ):
        issues.shape.append(Issue("body", "secrets", "Must be an object of strings."))
    issues.raise_if_any("The destination")
    assert isinstance(metadata, dict)
    if project.destinations.filter(name=name).exists():
        raise Problem(status=409, detail=f"A destination named {name!r} already exists.")

    with transaction.atomic():
        destination = Destination.objects.create(
            project=project,
            name=name,
            type=destination_type,
            metadata=metadata,
            create_time=timezone.now(),
        )
    return json_answer(destination.to_api(), status=201)


def check_destination_metadata(
    metadata: dict[str, Any], destination_type: str, issues: IssueList
) -> None:
    for key, value in metadata.items():
        expected = DESTINATION_METADATA_TYPES.get(key, object)
        # bool is an int in Python, but not a JSON integer.
        wrong_bool = isinstance(value, bool) and expected is int
        if not isinstance(value, expected) or wrong_bool:
            issues.shape.append(Issue("body", f"metadata.{key}", "Has the wrong type.", value))
    headers = metadata.get("headers")
    if isinstance(headers, dict):
        for header, value in headers.items():
            if not isinstance(value, str):
                issues.shape.append(
                    Issue("body", f"metadata.headers.{header}", "Must be a string.", value)
                )
    url = metadata.get("url")
    if destination_type in URL_DESTINATION_TYPES and not (
        isinstance(url, str) and url.startswith("https://")
    ):
        issues.rules.append(Issue("body", "metadata.url", "Must start with https://.", url))


@operation("getDestination")
def get_destination(request: HttpRequest, project: Project, destination: str) -> HttpResponse:
    include_secrets = query_flag(request, "includeSecrets")
    rotate = query_flag(request, "rotate")
    found = project.destinations.filter(name=destination).first()
    if found is None:
        raise Problem(
            status=404,
            detail=f"Destination {destination!r} was not found in this project.",
            issues=[Issue("path", "destination", "No such destination.", destination)],
        )
    if rotate:
        # The signing key derives from updateTime, so touching it rotates the key.
        found.update_time = timezone.now()
        found.save(update_fields=["update_time"])
    data = found.to_api()
    if include_secrets:
        data["secrets"] = (
            {"webhookSigningKey": webhook_signing_key(found)} if found.type == "webhook" else {}
        )
    return json_answer(data)


def webhook_signing_key(destination: Destination) -> str:
    seed = f"{settings.SECRET_KEY}:{destination.id}:{destination.update_time}"
    return "whsec_" + hashlib.sha256(seed.encode()).hexdigest()[:32]


@operation("listProviders")
def list_providers(request: HttpRequest) -> HttpResponse:
    return json_answer(load_catalog().raw)


@operation("getProvider")
def get_provider(request: HttpRequest, provider: str) -> HttpResponse:
    info = load_catalog().raw.get(provider)
    if info is None:
        raise Problem(
            status=404,
            detail=f"Provider {provider!r} is not in the catalog.",
            issues=[Issue("path", "provider", "No such provider.", provider)],
        )
    return json_answer(info)
