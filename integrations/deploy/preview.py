"""What a deploy of an amp.yaml would change in a project, shown before anything is sent.

Each integration the amp.yaml declares is compared with the latest version ampdash holds of
it in the project (none: it is new): the semantic diff, the validator's issues that concern
it, and the read objects it would drop, which is what the API's `destructive` flag is about.
The latest versions are also the base revisions of the deploy that follows, so the deploy
service refuses it if Ampersand has moved on since.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from integrations.ampersand.manifest import (
    ValidationIssue,
    ValidationResult,
    validate_manifest,
)
from integrations.diff import IntegrationDiff, diff_contents
from integrations.models import Integration, Project, Snapshot

_INTEGRATION_PATH = re.compile(r"^integrations\[(\d+)\]")


@dataclass
class IntegrationPreview:
    name: str
    provider: str
    provider_display_name: str
    content: dict[str, Any]
    latest: Snapshot | None
    diff: IntegrationDiff
    issues: list[ValidationIssue] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.latest is None

    @property
    def base_revision(self) -> str | None:
        return self.latest.revision_id if self.latest else None

    @property
    def dropped_read_objects(self) -> list[str]:
        """Read objects of the latest version that this content no longer reads."""
        if self.latest is None:
            return []
        kept = set(read_object_names(self.content))
        return [name for name in read_object_names(self.latest.content) if name not in kept]


@dataclass
class Preview:
    amp_yaml: str
    result: ValidationResult
    integrations: list[IntegrationPreview]
    # Issues not about one integration (spec version, YAML syntax).
    general_issues: list[ValidationIssue]

    @property
    def can_deploy(self) -> bool:
        return self.result.ok and bool(self.integrations)

    @property
    def base_revisions(self) -> dict[str, str | None]:
        return {preview.name: preview.base_revision for preview in self.integrations}

    @property
    def dropped_read_objects(self) -> list[tuple[str, str]]:
        return [
            (preview.name, object_name)
            for preview in self.integrations
            for object_name in preview.dropped_read_objects
        ]

    @property
    def all_new(self) -> bool:
        """Whether every integration is new: no diff to read, only the amp.yaml."""
        return bool(self.integrations) and all(preview.is_new for preview in self.integrations)

    @property
    def changes_anything(self) -> bool:
        return any(preview.is_new or not preview.diff.is_empty for preview in self.integrations)


def preview_deploy(
    project: Project, amp_yaml: str, *, reading: ValidationResult | None = None
) -> Preview:
    """What deploying `amp_yaml` to `project` would change, against ampdash's latest versions.

    `reading` is what validating `amp_yaml` gives, when it is known (a draft keeps its own,
    found once as it was saved); otherwise it is validated here.
    """
    catalog = project.catalog()
    result = reading or validate_manifest(amp_yaml, catalog=catalog)
    declared = []
    if isinstance(result.manifest, dict) and isinstance(result.manifest.get("integrations"), list):
        declared = _shown(result.manifest["integrations"])
    # By their index in the amp.yaml, which the issues' paths name.
    contents = {
        index: content
        for index, content in enumerate(declared)
        if isinstance(content, dict) and isinstance(content.get("name"), str)
    }
    latest = {
        integration.name: integration.latest_snapshot
        for integration in Integration.objects.filter(
            project=project,
            name__in=[c["name"] for c in contents.values() if _storable(c["name"])],
            state=Integration.State.PRESENT,
        ).select_related("latest_snapshot")
    }
    previews = {
        index: IntegrationPreview(
            name=content["name"],
            provider=str(content.get("provider", "")),
            provider_display_name=catalog.display_name(str(content.get("provider", ""))),
            content=content,
            latest=latest.get(content["name"]),
            diff=diff_contents(
                latest[content["name"]].content if content["name"] in latest else {}, content
            ),
        )
        for index, content in contents.items()
    }
    general = []
    for issue in result.issues:
        match = _INTEGRATION_PATH.match(issue.path)
        if match and int(match.group(1)) in previews:
            previews[int(match.group(1))].issues.append(issue)
        else:
            general.append(issue)
    return Preview(
        amp_yaml=amp_yaml,
        result=result,
        integrations=list(previews.values()),
        general_issues=general,
    )


def _shown(value: Any) -> Any:
    """`value` with each lone surrogate as U+FFFD: a YAML escape ("\\ud800") can make one, and
    no page can show it (the rules refuse it anyway)."""
    try:
        orjson.dumps(value)  # refuses a lone surrogate, at C speed
    except TypeError:
        return _without_surrogates(value)
    return value


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_without_surrogates(key): _without_surrogates(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(item) for item in value]
    return value


def _storable(name: str) -> bool:
    # A YAML escape can make a NUL, which no integration is named and PostgreSQL refuses.
    return "\x00" not in name


def read_object_names(content: Any) -> list[str]:
    read = content.get("read") if isinstance(content, dict) else None
    objects = read.get("objects") if isinstance(read, dict) else None
    if not isinstance(objects, list):
        return []
    return [
        obj["objectName"]
        for obj in objects
        if isinstance(obj, dict) and isinstance(obj.get("objectName"), str)
    ]
