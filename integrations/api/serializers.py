"""Output shapes shared by several API views; shapes used by one view live inside it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.models import Project, SyncRun


class ProjectRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SyncRunSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    fetched = serializers.IntegerField()
    new = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    removed = serializers.IntegerField()


class SyncRunSerializer(SyncRunSummarySerializer):
    project = ProjectRefSerializer()
    trigger = serializers.CharField()
    started_by = serializers.CharField(source="started_by.username", allow_null=True)
    progress = serializers.SerializerMethodField()
    failed_items = serializers.JSONField()
    error_title = serializers.CharField()
    error_detail = serializers.CharField()
    error_request_id = serializers.CharField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {key: {"type": "integer"} for key in ("done", "total", "percent")},
            "required": ["done", "total", "percent"],
        }
    )
    def get_progress(self, run: SyncRun) -> dict[str, int]:
        return {
            "done": run.progress_done,
            "total": run.progress_total,
            "percent": run.progress_percent,
        }


class ProjectSerializer(serializers.Serializer):
    """A project as the API shows it: never its API key, in any form.

    Expects the `integration_count` annotation and `recent_runs` prefetch of the project views.
    """

    id = serializers.IntegerField()
    name = serializers.CharField()
    ampersand_project = serializers.CharField()
    api_url = serializers.CharField(source="base_url")
    integration_count = serializers.IntegerField()
    last_sync = serializers.SerializerMethodField()

    @extend_schema_field(SyncRunSummarySerializer(allow_null=True))
    def get_last_sync(self, project: Project) -> dict[str, Any] | None:
        runs = project.recent_runs
        return SyncRunSummarySerializer(runs[0]).data if runs else None


class SnapshotSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    revision_id = serializers.CharField()
    revision_created_at = serializers.DateTimeField(allow_null=True)
    spec_version = serializers.CharField()
    taken_at = serializers.DateTimeField()
    source = serializers.CharField()
    read_count = serializers.IntegerField()
    write_count = serializers.IntegerField()
    subscribe_count = serializers.IntegerField()


class SnapshotWithRawSerializer(SnapshotSummarySerializer):
    raw = serializers.JSONField()


class SnapshotSerializer(SnapshotSummarySerializer):
    content_hash = serializers.CharField()
    taken_by = serializers.CharField(source="taken_by.username", allow_null=True)
    sync_run = serializers.IntegerField(source="sync_run_id", allow_null=True)


class IntegrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = ProjectRefSerializer()
    remote_id = serializers.CharField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    provider = serializers.CharField()
    provider_display_name = serializers.CharField()
    state = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    last_synced_at = serializers.DateTimeField(allow_null=True)
    latest_snapshot = SnapshotSummarySerializer(allow_null=True)


class ChangeSerializer(serializers.Serializer):
    kind = serializers.CharField()
    section = serializers.CharField()
    path = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()
    summary = serializers.CharField()
    object_name = serializers.CharField(allow_null=True)
    field_name = serializers.CharField(allow_null=True)
