"""amp.yaml: building and loading manifest text, and validating it by Ampersand's own rules."""

from __future__ import annotations

from integrations.ampersand.manifest.amp_yaml import (
    build_manifest_yaml,
    content_as_json,
    load_manifest,
    plain_json,
)
from integrations.ampersand.manifest.catalog import Catalog, load_catalog
from integrations.ampersand.manifest.issues import Severity, ValidationIssue, ValidationResult
from integrations.ampersand.manifest.validator import validate_manifest

__all__ = [
    "Catalog",
    "Severity",
    "ValidationIssue",
    "ValidationResult",
    "build_manifest_yaml",
    "content_as_json",
    "load_catalog",
    "load_manifest",
    "plain_json",
    "validate_manifest",
]
