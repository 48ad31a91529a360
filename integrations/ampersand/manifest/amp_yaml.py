"""amp.yaml text from integration contents, and back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from integrations.ampersand.errors import InvalidManifestError, describe_validation_error
from integrations.ampersand.models import IntegrationContent, Manifest

# Long prompts and descriptions stay on one line, so diffs between revisions stay readable.
YAML_LINE_WIDTH = 10_000


def plain_json(value: Any) -> Any:
    """`value` with every Mapping a dict and every sequence (but str) a list, as YAML/JSON need."""
    if isinstance(value, Mapping):
        return {str(key): plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(item) for item in value]
    return value


def content_as_json(content: Mapping[str, Any] | IntegrationContent) -> dict[str, Any]:
    """Integration content (a `latestRevision.content` mapping or model) as plain contract JSON."""
    if isinstance(content, BaseModel):
        return content.to_api()
    return plain_json(content)


def build_manifest_yaml(
    contents: Sequence[Mapping[str, Any] | IntegrationContent], *, spec_version: str = "1.0.0"
) -> str:
    """The amp.yaml text declaring these integrations, keys in their given order."""
    document = {
        "specVersion": spec_version,
        "integrations": [content_as_json(content) for content in contents],
    }
    return yaml.safe_dump(
        document,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=YAML_LINE_WIDTH,
    )


def load_manifest(text: str) -> Manifest:
    """Parse and validate an amp.yaml text; raises InvalidManifestError naming what is wrong."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidManifestError("amp.yaml is not valid YAML", detail=str(exc)) from exc
    if not isinstance(document, dict):
        raise InvalidManifestError(
            "amp.yaml must be a mapping with specVersion and integrations",
            detail=f"found {type(document).__name__}",
        )
    try:
        return Manifest.model_validate(document)
    except ValidationError as exc:
        field_errors = describe_validation_error(exc)
        raise InvalidManifestError(
            "amp.yaml does not match the manifest schema",
            detail=f"{len(field_errors)} invalid field(s)",
            field_errors=field_errors,
        ) from exc
