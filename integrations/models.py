"""What ampdash knows of the Ampersand projects it is connected to.

A Project is a connected Ampersand project; an Integration is ampdash's current view of one
remote integration; a Snapshot is one immutable version of it, exactly as the API returned it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from typing import Any

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from integrations import search, secrets
from integrations.ampersand import typed
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.diff import IntegrationDiff, diff_contents


class ProjectQuerySet(models.QuerySet["Project"]):
    def for_user(self, user: Any, roles: Iterable[str] | None = None) -> ProjectQuerySet:
        """The projects where `user` holds one of `roles` (any role if None); all for a superuser.

        The query behind integrations.permissions, which decides what each role may do.
        """
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        if roles is None:
            return self.filter(memberships__user=user).distinct()
        return self.filter(memberships__user=user, memberships__role__in=roles).distinct()


class Project(models.Model):
    name = models.SlugField(max_length=100, unique=True, help_text="Local name, e.g. demo or prod.")
    ampersand_project = models.CharField(
        "Ampersand project", max_length=200, help_text="The project's id or name at Ampersand."
    )
    api_url = models.URLField(
        "API base URL", max_length=500, blank=True, help_text="Blank: AMPERSAND_API_URL."
    )
    # Fernet token; blank means the key comes from the AMPERSAND_API_KEY environment variable.
    api_key_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def base_url(self) -> str:
        return self.api_url or settings.AMPERSAND_API_URL

    @property
    def has_stored_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    def set_api_key(self, raw_key: str) -> None:
        self.api_key_encrypted = secrets.encrypt(raw_key) if raw_key else ""

    def get_api_key(self) -> str:
        if self.api_key_encrypted:
            return secrets.decrypt(self.api_key_encrypted)
        return settings.AMPERSAND_API_KEY


class Membership(models.Model):
    """A user's role in one project. Superusers see every project without one."""

    class Role(models.TextChoices):
        VIEWER = "viewer", "Viewer"
        EDITOR = "editor", "Editor"
        OPS = "ops", "Ops"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="one_membership_per_project")
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.project}"


class IntegrationQuerySet(models.QuerySet["Integration"]):
    def for_user(self, user: Any) -> IntegrationQuerySet:
        return self.filter(project__in=Project.objects.for_user(user))

    def matching(self, query: str) -> IntegrationQuerySet:
        """Those whose latest snapshot's search text holds every word of `query`.

        Through the trigram index where it can serve (SQLite with FTS5, words of three
        characters or more), plus a scan of the snapshots it does not hold yet; otherwise a scan
        of the search texts (PostgreSQL's pg_trgm index serves that scan's LIKE).
        """
        texts = SnapshotSearchText.objects.filter(
            search.search_condition(query, text_field="text"), snapshot=OuterRef("latest_snapshot")
        )
        scanned = Exists(texts)
        terms = search.search_terms(query)
        if not terms or min(map(len, terms)) < 3 or not SearchIndex.available():
            return self.filter(scanned)
        table = SearchIndex.TABLE
        indexed = RawSQL(  # noqa: S611 (the query is a parameter)
            f"SELECT rowid FROM {table} WHERE {table} MATCH %s",  # noqa: S608 (no input)
            [search.trigram_query(terms)],
        )
        return self.filter(
            Q(latest_snapshot_id__in=indexed)
            # The comparison first: a row that it rules out never has its text scanned.
            | (Q(latest_snapshot_id__gt=SearchIndex.newest_expression()) & Q(scanned))
        )


class Integration(models.Model):
    class State(models.TextChoices):
        PRESENT = "present", "Present"
        REMOVED = "removed", "Removed remotely"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="integrations")
    remote_id = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=100)
    display_name = models.CharField(max_length=1000, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PRESENT)
    latest_snapshot = models.ForeignKey(
        "Snapshot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # When what the integrations list shows of it last changed (names, state, latest snapshot).
    # Bulk writes (the sync) set it themselves; the list's cached pages are keyed on it.
    changed_at = models.DateTimeField(auto_now=True)

    objects = IntegrationQuerySet.as_manager()

    class Meta:
        ordering = ["project__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "remote_id"], name="one_integration_per_remote_id"
            )
        ]
        indexes = [
            models.Index(fields=["project", "name"]),
            # Covers the list's choice of providers: no integration row is read for it.
            models.Index(fields=["project", "provider"]),
            # Covers the list's version check (count and latest change per project).
            models.Index(fields=["project", "changed_at"]),
        ]

    def __str__(self) -> str:
        return self.name


def canonical_hash(raw: Any) -> str:
    """A stable digest of JSON data: the same data hashes the same whatever its key order."""
    try:
        # The bytes of the `json` form below, many times faster (only floats under 1e-4 are
        # written otherwise: 0.00001 for 1e-05).
        canonical = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits
        canonical = json.dumps(
            raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    return hashlib.sha256(canonical).hexdigest()


def typed_canonical_hash(integration: Any) -> str:
    """`canonical_hash` of JSON decoded into structs (`ampersand.typed`): the same digest."""
    return hashlib.sha256(typed.canonical_bytes(integration)).hexdigest()


class EncodedJSON(str):
    """JSON already encoded, e.g. exactly as the API sent it, for a `StoredJSONField` to store."""

    __slots__ = ()


class _EncodedAsIs(json.JSONEncoder):
    def encode(self, o: Any) -> str:
        return o if isinstance(o, EncodedJSON) else super().encode(o)


class StoredJSONField(models.JSONField):
    """A JSONField that also takes its value already encoded, as an `EncodedJSON`.

    It is stored as it is, so a sync neither encodes thousands of large objects again nor
    changes a byte of what the API sent. Reading it back decodes it, as for any JSONField.
    """

    def get_placeholder_sql(self, value: Any, compiler: Any, connection: Any) -> tuple[str, list]:
        return "%s", [value]

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, EncodedJSON):
            return connection.ops.adapt_json_value(value, _EncodedAsIs)
        return super().get_db_prep_value(value, connection, prepared)


class Snapshot(models.Model):
    """One version of an integration, exactly as the API returned it. Never changed."""

    class Source(models.TextChoices):
        SYNC = "sync", "Sync"
        UPSERT = "upsert", "Upsert"
        ROLLBACK = "rollback", "Rollback"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="snapshots")
    raw = StoredJSONField(help_text="The integration JSON as the API returned it.")
    content_hash = models.CharField(max_length=64)
    revision_id = models.CharField(max_length=200)
    revision_created_at = models.DateTimeField(null=True, blank=True)
    spec_version = models.CharField(max_length=20, blank=True)
    # Counts kept beside the JSON so list pages never parse it.
    read_count = models.PositiveIntegerField(default=0)
    write_count = models.PositiveIntegerField(default=0)
    subscribe_count = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(auto_now_add=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SYNC)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    sync_run = models.ForeignKey(
        "SyncRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="snapshots"
    )
    deploy = models.ForeignKey(
        "DeployRecord", on_delete=models.SET_NULL, null=True, blank=True, related_name="snapshots"
    )

    class Meta:
        ordering = ["-taken_at", "-id"]
        get_latest_by = "taken_at"
        indexes = [models.Index(fields=["integration", "-taken_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["sync", "upsert", "rollback"]), name="snapshot_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.integration} @ {self.revision_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Snapshots are immutable; take a new one instead.")
        super().save(*args, **kwargs)
        raw = json.loads(self.raw) if isinstance(self.raw, EncodedJSON) else self.raw
        SnapshotSearchText.objects.create(snapshot=self, text=search.search_text(raw))

    @property
    def content(self) -> dict[str, Any]:
        revision = self.raw.get("latestRevision") or {}
        return revision.get("content") or {}

    def previous(self) -> Snapshot | None:
        """The version of the integration taken just before this one (its JSON not loaded)."""
        earlier = Q(taken_at__lt=self.taken_at) | Q(taken_at=self.taken_at, pk__lt=self.pk)
        return (
            Snapshot.objects.filter(earlier, integration_id=self.integration_id)
            .defer("raw")
            .order_by("-taken_at", "-id")
            .first()
        )

    def diff(self, older: Snapshot) -> IntegrationDiff:
        """What changed from `older` to this snapshot."""
        return diff_contents(older.content, self.content)

    def cached_diff(self, older: Snapshot) -> IntegrationDiff:
        """diff(older), kept for good: snapshots never change, so neither does a pair's diff."""
        key = f"snapshot-diff:{older.pk}:{self.pk}"
        diff = cache.get(key)
        if diff is None:
            diff = self.diff(older)
            cache.set(key, diff, timeout=None)
        return diff

    def amp_yaml(self) -> str:
        """The amp.yaml declaring this version: deploying it restores this version."""
        return build_manifest_yaml([self.content], spec_version=self.spec_version or "1.0.0")

    @classmethod
    def from_raw(
        cls,
        raw: dict[str, Any],
        *,
        content_hash: str | None = None,
        text: str | None = None,
        **fields: Any,
    ) -> Snapshot:
        """An unsaved snapshot of `raw`, with its hash and counts filled in.

        `text` is the JSON text `raw` was decoded from: then it is what is stored (and what the
        unsaved snapshot holds as `raw`), byte for byte.
        """
        return cls(
            raw=raw if text is None else EncodedJSON(text),
            content_hash=content_hash or canonical_hash(raw),
            **snapshot_columns(raw),
            **fields,
        )


def snapshot_columns(raw: dict[str, Any]) -> dict[str, Any]:
    """What a snapshot keeps beside the JSON of `raw`, so pages need not parse it."""
    revision = raw.get("latestRevision") or {}
    content = revision.get("content") or {}
    return {
        "revision_id": revision.get("id", ""),
        "revision_created_at": parse_datetime(revision.get("createTime") or ""),
        "spec_version": revision.get("specVersion", ""),
        "read_count": _object_count(content, "read"),
        "write_count": _object_count(content, "write"),
        "subscribe_count": _object_count(content, "subscribe"),
    }


def typed_snapshot_columns(integration: Any) -> dict[str, Any]:
    """`snapshot_columns` of an integration decoded into structs (`ampersand.typed`)."""
    revision = integration.latest_revision
    content = revision.content
    return {
        "revision_id": revision.id,
        "revision_created_at": parse_datetime(revision.create_time),
        "spec_version": revision.spec_version,
        "read_count": len(getattr(content.read, "objects", None) or ()),
        "write_count": len(getattr(content.write, "objects", None) or ()),
        "subscribe_count": len(getattr(content.subscribe, "objects", None) or ()),
    }


def _object_count(content: dict[str, Any], action: str) -> int:
    section = content.get(action)
    objects = section.get("objects") if isinstance(section, dict) else None
    return len(objects) if isinstance(objects, list) else 0


class SnapshotSearchText(models.Model):
    """The words a snapshot is found by (`search.search_text` of its JSON), in a narrow table of
    their own that a search reads instead of the snapshots' large rows.

    Written with the snapshot, never changed. No database constraint, so that deleting
    snapshots in SQL (bench/sync.py) needs not know of it; the ORM's delete cascades.
    """

    snapshot = models.OneToOneField(
        Snapshot,
        on_delete=models.CASCADE,
        primary_key=True,
        db_constraint=False,
        related_name="search_entry",
    )
    text = models.TextField()

    def __str__(self) -> str:
        return f"search text of snapshot {self.snapshot_id}"


class SearchIndex:
    """The trigram full-text index of snapshots' search texts (SQLite FTS5, migration 0007).

    Kept behind the snapshots: `index_new()` adds every search text stored since it last ran
    (snapshot ids only grow, and SQLite commits one writer at a time, so the newest indexed id
    marks where to go on); a search scans the texts of snapshots past that mark itself. Filled
    by a task after each sync that stored snapshots, so a sync never waits for it. Absent on
    PostgreSQL (a pg_trgm index on the search texts serves there) and where SQLite lacks FTS5.
    """

    TABLE = "integrations_searchindex"

    @classmethod
    def available(cls) -> bool:
        # Migration 0007 made the table wherever this SQLite library can.
        return connection.vendor == "sqlite" and _sqlite_has_trigram_fts()

    @classmethod
    def newest_expression(cls) -> RawSQL:
        return RawSQL(  # noqa: S611
            f"SELECT COALESCE(MAX(rowid), 0) FROM {cls.TABLE}",  # noqa: S608 (no input)
            [],
            output_field=models.BigIntegerField(),
        )

    @classmethod
    def index_new(cls) -> int:
        """Index the search texts stored since the last call; how many it indexed."""
        if not cls.available():
            return 0
        texts = SnapshotSearchText._meta.db_table
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {cls.TABLE}(rowid, text) SELECT snapshot_id, text FROM {texts} "  # noqa: S608
                f"WHERE snapshot_id > (SELECT COALESCE(MAX(rowid), 0) FROM {cls.TABLE}) "
                "ORDER BY snapshot_id"
            )
            return cursor.rowcount


@functools.cache
def _sqlite_has_trigram_fts() -> bool:
    """Whether this process's SQLite has FTS5 and its trigram tokenizer (asked of a database in
    memory, so that no query of a page pays for it)."""
    try:
        with closing(sqlite3.connect(":memory:")) as probe:
            probe.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram')")
    except sqlite3.Error:
        return False
    return True


class SyncRunQuerySet(models.QuerySet["SyncRun"]):
    def for_user(self, user: Any) -> SyncRunQuerySet:
        return self.filter(project__in=Project.objects.for_user(user))


class SyncRun(models.Model):
    """One fetch of a project's integrations: who started it, how it went, what it found."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Partial"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        COMMAND = "command", "Management command"
        TASK = "task", "Background task"
        BUTTON = "button", "Sync now button"
        DEMO = "demo", "make run"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="sync_runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # host:pid of the process doing the work, and when it last showed signs of life.
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(auto_now_add=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    failed_items = models.JSONField(default=list, blank=True)
    error_title = models.CharField(max_length=500, blank=True)
    error_detail = models.TextField(blank=True)
    error_request_id = models.CharField(max_length=200, blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        constraints = [
            # The database itself refuses a second running sync of one project.
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status="running"),
                name="one_running_sync_per_project",
            )
        ]

    def __str__(self) -> str:
        return f"sync of {self.project} at {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))

    def summary(self) -> str:
        return (
            f"synced project={self.project.name} fetched={self.fetched} new={self.new} "
            f"changed={self.changed} unchanged={self.unchanged} removed={self.removed}"
        )


class DeployRecordQuerySet(models.QuerySet["DeployRecord"]):
    def for_user(self, user: Any) -> DeployRecordQuerySet:
        return self.filter(project__in=Project.objects.for_user(user))


class DeployRecord(models.Model):
    """One attempt to change integrations at Ampersand through ampdash, whatever its outcome.

    Written when the attempt starts (status running: the database allows one per project, so
    two deploys never interleave their check of the base revisions and their upsert) and
    completed when it ends. Never deleted: it is the history of who changed what.
    """

    class Kind(models.TextChoices):
        DEPLOY = "deploy", "Deploy"
        RESTORE = "restore", "Restore"
        IMPORT = "import", "Import"
        COPY = "copy", "Copy from another project"

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Deployed"
        INVALID = "invalid", "Refused: invalid amp.yaml"
        CONFLICT = "conflict", "Refused: changed remotely"
        FAILED = "failed", "Failed at Ampersand"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deploys")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DEPLOY)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # host:pid of the process deploying, so a running record left by a dead one can be failed.
    worker = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True)
    amp_yaml = models.TextField()
    destructive = models.BooleanField(default=False)
    # {integration name: revision id, or None for "new"}: what the user started from.
    base_revisions = models.JSONField(default=dict, blank=True)
    # {integration name: revision id} as Ampersand answered.
    result_revisions = models.JSONField(default=dict, blank=True)
    # [{name, new, summary}]: the semantic diff of each integration against its latest version.
    changes = models.JSONField(default=list, blank=True)
    # [{name, base, remote}]: integrations whose remote revision was not the base.
    conflicts = models.JSONField(default=list, blank=True)
    # The validator's issues (errors refuse; warnings and notes are kept for the record).
    issues = models.JSONField(default=list, blank=True)
    problem_title = models.CharField(max_length=500, blank=True)
    problem_detail = models.TextField(blank=True)
    problem_request_id = models.CharField(max_length=200, blank=True)
    problem_issues = models.JSONField(default=list, blank=True)

    objects = DeployRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(outcome="running"),
                name="one_running_deploy_per_project",
            ),
            models.UniqueConstraint(
                fields=["project", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="one_deploy_per_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.project} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_running(self) -> bool:
        return self.outcome == self.Outcome.RUNNING

    @property
    def names(self) -> list[str]:
        return [change["name"] for change in self.changes] or list(self.base_revisions)
