"""Typed models of the Ampersand API contract (OpenAPI `api.bundled.json`, manifest `amp.yaml`).

Python attributes are snake_case; JSON keys are the contract's camelCase (aliases). Unknown keys
are kept (`extra="allow"`) so a newer API version never breaks parsing, and every model validated
from a JSON object remembers that object as `.raw`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    Tag,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import SchemaValidator


def _require_timestamp_text(value: Any) -> Any:
    # Lax pydantic would read a number as Unix seconds; the contract only ever sends RFC 3339 text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("expected an RFC 3339 date-time string")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_require_timestamp_text)]


class ApiModel(BaseModel):
    """Base of every contract model: camelCase aliases, unknown keys kept, `.raw` input."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
    )

    _raw: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_raw(cls, data: Any, handler: ModelWrapValidatorHandler[ApiModel]) -> ApiModel:
        model = handler(data)
        if isinstance(data, dict):
            model._raw = data
        return model

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the exact JSON object this model was parsed from (or its contract dump)."""
        if self._raw is None:
            return self.to_api()
        return copy_json(self._raw)

    def to_api(self) -> dict[str, Any]:
        """The model as contract JSON (camelCase keys, unknown keys kept, unset values left out)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def copy_json(value: Any) -> Any:
    """A copy of decoded JSON: its objects and arrays copied, the rest (immutable) shared.

    About three times as fast as `copy.deepcopy`, which looks for cycles and shared parts that
    decoded JSON cannot have.
    """
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [copy_json(item) for item in value]
    return value


def contract_checker(model: type[ApiModel]) -> SchemaValidator:
    """A validator that accepts and rejects exactly what `model` does, with the same errors,
    but builds nothing worth keeping: it skips the Python hooks that remember `.raw`.

    Those hooks cost a Python call or two per nested object, most of the time it takes to
    validate a large integration; checking thousands of them only needs the verdict.
    """
    return SchemaValidator(_without_raw_hooks(model.__pydantic_core_schema__))


def _without_raw_hooks(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_without_raw_hooks(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "function-wrap":
        function = schema["function"]["function"]
        if getattr(function, "__func__", None) is ApiModel._remember_raw.__func__:
            inner = _without_raw_hooks(schema["schema"])
            if "ref" in schema:
                inner["ref"] = schema["ref"]
            return inner
    stripped = {key: _without_raw_hooks(value) for key, value in schema.items()}
    if stripped.get("type") == "model" and issubclass(stripped["cls"], ApiModel):
        # post_init only sets up the private `_raw` slot.
        stripped.pop("post_init", None)
    return stripped


# --- Manifest (amp.yaml) integration content: the contract's `Integration-2` ---------------------


class FixedField(ApiModel):
    """A field the builder names (`fieldName`), optionally renamed with `mapToName`."""

    field_name: str
    map_to_name: str | None = None
    map_to_display_name: str | None = None


class MappedField(ApiModel):
    """A destination field (`mapToName`) the customer maps to a provider field of their choice."""

    map_to_name: str
    map_to_display_name: str | None = None
    default: str | None = None
    prompt: str | None = None


# Keys that make an object a FixedField (under its JSON or its Python name).
FIELD_VARIANT_MARKERS = ("fieldName", "field_name")


def _field_variant(value: Any) -> str | None:
    if isinstance(value, dict):
        if any(marker in value for marker in FIELD_VARIANT_MARKERS):
            return "FixedField"
        return "MappedField"
    if isinstance(value, FixedField | MappedField):
        return type(value).__name__
    return None


# The published schema's `oneOf` is ambiguous (a renamed fixed field matches both variants), so
# the presence of `fieldName` decides.
IntegrationField = Annotated[
    Annotated[FixedField, Tag("FixedField")] | Annotated[MappedField, Tag("MappedField")],
    Discriminator(
        _field_variant,
        custom_error_type="invalid_integration_field",
        custom_error_message="a field must be an object with fieldName or mapToName",
    ),
]
FIELD_VARIANT_TAGS = frozenset({"FixedField", "MappedField"})


def needs_one_of(*names: str, message: str) -> Any:
    """A model rule: at least one of the fields `names` is set (not None), else `message`.

    The names are kept on the rule (`needs_one_of`), so the fast contract check (contract.py)
    checks the same rule in its schema instead of calling it.
    """

    def rule(model: ApiModel) -> ApiModel:
        if all(getattr(model, name) is None for name in names):
            raise ValueError(message)
        return model

    rule.needs_one_of = names  # type: ignore[attr-defined]
    return model_validator(mode="after")(rule)


class DefaultPeriod(ApiModel):
    """How far back a backfill goes: a number of `days` (0 = none) or the `fullHistory`."""

    days: int | None = Field(default=None, ge=0)
    full_history: bool | None = None

    _days_or_full_history = needs_one_of(
        "days", "full_history", message="defaultPeriod needs days or fullHistory"
    )


class Backfill(ApiModel):
    default_period: DefaultPeriod


# Enum-valued fields are plain strings: a value added by a newer API version must not
# break parsing (the emulator's manifest validation is where the enums are enforced).
class Delivery(ApiModel):
    mode: str | None = None
    page_size: int | None = Field(default=None, ge=50, le=500)


class IntegrationObject(ApiModel):
    """An object of the read action."""

    object_name: str
    destination: str
    schedule: str
    map_to_name: str | None = None
    map_to_display_name: str | None = None
    required_fields: list[IntegrationField] | None = None
    optional_fields: list[IntegrationField] | None = None
    optional_fields_auto: str | None = None
    backfill: Backfill | None = None
    delivery: Delivery | None = None
    enabled: str | None = None


class ValueDefaults(ApiModel):
    allow_any_fields: bool | None = None


class IntegrationWriteObject(ApiModel):
    object_name: str
    inherit_mapping: bool | None = None
    value_defaults: ValueDefaults | None = None


class CreateEvent(ApiModel):
    enabled: str | None = None


class UpdateEvent(ApiModel):
    enabled: str | None = None
    watch_fields_auto: str | None = None
    required_watch_fields: list[str] | None = None


class DeleteEvent(ApiModel):
    enabled: str | None = None


class AssociationChangeEvent(ApiModel):
    enabled: str | None = None
    include_full_records: bool | None = None


class IntegrationSubscribeObject(ApiModel):
    object_name: str
    destination: str
    inherit_fields_and_mapping: bool | None = None
    create_event: CreateEvent | None = None
    update_event: UpdateEvent | None = None
    delete_event: DeleteEvent | None = None
    association_change_event: AssociationChangeEvent | None = None
    other_events: list[str] | None = None


class IntegrationRead(ApiModel):
    objects: list[IntegrationObject] | None = None


class IntegrationWrite(ApiModel):
    objects: list[IntegrationWriteObject] | None = None


class IntegrationSubscribe(ApiModel):
    objects: list[IntegrationSubscribeObject] | None = None


class IntegrationProxy(ApiModel):
    enabled: bool | None = None
    use_module: bool | None = None


class SchemaChangeEvent(ApiModel):
    enabled: str


class WatchSchemaAllObjects(ApiModel):
    field_created: SchemaChangeEvent | None = None
    field_deleted: SchemaChangeEvent | None = None
    field_changed: SchemaChangeEvent | None = None


class WatchSchema(ApiModel):
    destination: str
    schedule: str | None = None
    all_objects: WatchSchemaAllObjects


class IntegrationContent(ApiModel):
    """One integration of an amp.yaml manifest (the contract's `Integration-2`)."""

    name: str
    provider: str
    display_name: str | None = None
    module: str | None = None
    read: IntegrationRead | None = None
    write: IntegrationWrite | None = None
    subscribe: IntegrationSubscribe | None = None
    proxy: IntegrationProxy | None = None
    watch_schema: WatchSchema | None = None


class Manifest(ApiModel):
    """A whole amp.yaml file."""

    spec_version: str
    integrations: list[IntegrationContent]


# --- API resources -------------------------------------------------------------------------------


class Revision(ApiModel):
    id: str
    spec_version: str
    create_time: Timestamp
    content: IntegrationContent


class Integration(ApiModel):
    id: str
    project_id: str
    name: str
    provider: str
    create_time: Timestamp
    update_time: Timestamp | None = None
    latest_revision: Revision


class Project(ApiModel):
    id: str
    name: str
    app_name: str
    org_id: str
    create_time: Timestamp
    update_time: Timestamp | None = None
    entitlements: dict[str, Any] | None = None


class Destination(ApiModel):
    id: str
    name: str
    type: str
    metadata: dict[str, Any]
    create_time: Timestamp
    update_time: Timestamp | None = None


# --- Operations (listOperations) -----------------------------------------------------------------


class OperationRetry(ApiModel):
    attempts: int | None = None
    last_attempt: Timestamp | None = None
    last_notified: Timestamp | None = None


class OperationProgress(ApiModel):
    installation_id: str | None = None
    object_name: str | None = None
    operation_id: str | None = None
    records_processed: int | None = None
    records_estimated_total: int | None = None


class OperationMetadata(ApiModel):
    objects: list[str] | None = None
    retry: OperationRetry | None = None
    progress: OperationProgress | None = None
    successful_record_ids: list[str] | None = None


class Operation(ApiModel):
    """One read, write or subscribe run of an installation; `result` says what it did or why it
    failed."""

    id: str
    project_id: str
    integration_id: str
    installation_id: str
    config_id: str
    # Server-reported enums stay plain strings so a new value never breaks parsing.
    action_type: str
    status: str
    result: str | None = None
    metadata: OperationMetadata | None = None
    create_time: Timestamp | None = None


class PaginationInfo(ApiModel):
    done: bool
    next_page_token: str | None = None


class OperationPage(ApiModel):
    """One page of listOperations: pass `pagination.next_page_token` for the next one."""

    results: list[Operation]
    pagination: PaginationInfo


# --- Provider catalog (listProviders, getProvider) -----------------------------------------------


class BulkWriteSupport(ApiModel):
    insert: bool = False
    update: bool = False
    upsert: bool = False
    delete: bool = False


class Support(ApiModel):
    read: bool = False
    write: bool = False
    subscribe: bool = False
    proxy: bool = False
    delete: bool = False
    bulk_write: BulkWriteSupport = Field(default_factory=BulkWriteSupport)


class ModuleInfo(ApiModel):
    base_url: str | None = Field(default=None, alias="baseURL")
    display_name: str = ""
    support: Support = Field(default_factory=Support)


class ProviderInfo(ApiModel):
    name: str
    auth_type: str
    base_url: str = Field(alias="baseURL")
    default_module: str = ""
    display_name: str = ""
    support: Support
    modules: dict[str, ModuleInfo] = Field(default_factory=dict)


# --- Objects & Fields (getObjectMetadataForConnection) -------------------------------------------


class FieldValue(ApiModel):
    value: str
    display_value: str


class FieldMetadata(ApiModel):
    field_name: str
    display_name: str
    # A plain string: a value type added by a newer API version must not break parsing.
    value_type: str | None = None
    provider_type: str | None = None
    read_only: bool | None = None
    is_custom: bool | None = None
    is_required: bool | None = None
    reference_to: list[str] | None = None
    values: list[FieldValue] | None = None


class ObjectMetadata(ApiModel):
    """A provider object and its fields, keyed by field name."""

    name: str
    display_name: str | None = None
    mapped_object_name: str | None = None
    fields: dict[str, FieldMetadata]


# --- Problems (RFC 9457 problem+json) ------------------------------------------------------------


class ApiProblem(ApiModel):
    type: str | None = None
    href: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    subsystem: str | None = None
    time: datetime | None = None
    request_id: str | None = None
    causes: list[str] | None = None
    remedy: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    support_url: str | None = None
    retryable: bool | None = None
    retry_after: datetime | None = None
    context: dict[str, Any] | None = None


class InputValidationIssue(ApiProblem):
    in_: str | None = Field(default=None, alias="in")
    name: str | None = None
    value: Any = None


class InputValidationProblem(ApiProblem):
    issues: list[InputValidationIssue] = Field(default_factory=list)
