"""State of the emulated Ampersand API. Each model renders its contract JSON with `to_api()`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import models


def new_id() -> str:
    return str(uuid.uuid4())


def rfc3339(moment: datetime | None) -> str | None:
    """The contract's timestamp form: RFC 3339 in UTC with a `Z`."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


class Project(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    name = models.CharField(max_length=200, unique=True)
    app_name = models.CharField(max_length=200)
    org_id = models.CharField(max_length=64, default=new_id)
    create_time = models.DateTimeField()
    update_time = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    def to_api(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "name": self.name,
                "appName": self.app_name,
                "orgId": self.org_id,
                "createTime": rfc3339(self.create_time),
                "updateTime": rfc3339(self.update_time),
            }
        )


class ApiKey(models.Model):
    """A key accepted in the X-Api-Key header, scoped to one project."""

    key = models.CharField(max_length=200, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.label or f"key for {self.project}"


class Destination(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="destinations")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=40)
    metadata = models.JSONField(default=dict)
    create_time = models.DateTimeField()
    update_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="emulator_destination_name")
        ]

    def __str__(self) -> str:
        return self.name

    def to_api(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "name": self.name,
                "type": self.type,
                "metadata": self.metadata,
                "createTime": rfc3339(self.create_time),
                "updateTime": rfc3339(self.update_time),
            }
        )


class Integration(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="integrations")
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=100)
    create_time = models.DateTimeField()
    update_time = models.DateTimeField(null=True, blank=True)
    latest_revision = models.ForeignKey(
        "Revision", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="emulator_integration_name")
        ]

    def __str__(self) -> str:
        return self.name

    def to_api(self) -> dict[str, Any]:
        revision = self.latest_revision
        return _without_none(
            {
                "id": self.id,
                "projectId": self.project_id,
                "name": self.name,
                "provider": self.provider,
                "createTime": rfc3339(self.create_time),
                "updateTime": rfc3339(self.update_time),
                "latestRevision": revision.to_api() if revision else None,
            }
        )


class Revision(models.Model):
    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="revisions")
    spec_version = models.CharField(max_length=20, default="1.0.0")
    # The manifest's integration entry, exactly as the contract's Integration-2 shape.
    content = models.JSONField()
    create_time = models.DateTimeField()

    def __str__(self) -> str:
        return self.id

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "specVersion": self.spec_version,
            "createTime": rfc3339(self.create_time),
            "content": self.content,
        }


class Installation(models.Model):
    """A customer's installation; group, connection and config are stored in contract shape."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="installations")
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="installations"
    )
    group = models.JSONField()
    connection = models.JSONField()
    config = models.JSONField()
    health_status = models.CharField(max_length=20, default="healthy")
    last_operation_status = models.CharField(max_length=20, blank=True)
    created_by = models.CharField(max_length=200)
    create_time = models.DateTimeField()
    update_time = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.id

    def to_api(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "projectId": self.project_id,
                "integrationId": self.integration_id,
                "group": self.group,
                "healthStatus": self.health_status,
                "lastOperationStatus": self.last_operation_status or None,
                "connection": self.connection,
                "createTime": rfc3339(self.create_time),
                "createdBy": self.created_by,
                "updateTime": rfc3339(self.update_time),
                "config": self.config,
            }
        )


class Operation(models.Model):
    """One read, write or subscribe run of an installation, as listOperations answers it."""

    id = models.CharField(primary_key=True, max_length=64, default=new_id)
    # One index serves every look-up (Meta.indexes); fewer keep the seed's inserts fast.
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="operations", db_index=False
    )
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="operations", db_index=False
    )
    installation = models.ForeignKey(
        Installation, on_delete=models.CASCADE, related_name="operations", db_index=False
    )
    config_id = models.CharField(max_length=64)
    action_type = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    result = models.TextField(blank=True)
    metadata = models.JSONField(default=dict)
    create_time = models.DateTimeField()

    class Meta:
        indexes = [
            # listOperations pages through one installation's operations, newest first.
            models.Index(
                fields=["installation", "-create_time", "-id"], name="emulator_operation_newest"
            )
        ]

    def __str__(self) -> str:
        return self.id

    def to_api(self) -> dict[str, Any]:
        return _without_none(
            {
                "id": self.id,
                "projectId": self.project_id,
                "integrationId": self.integration_id,
                "installationId": self.installation_id,
                "configId": self.config_id,
                "actionType": self.action_type,
                "status": self.status,
                "result": self.result or None,
                "metadata": self.metadata or None,
                "createTime": rfc3339(self.create_time),
            }
        )
