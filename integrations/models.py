"""What ampdash knows of the Ampersand projects it is connected to.

A Project is a connected Ampersand project; an Integration is ampdash's current view of one
remote integration; a Snapshot is one immutable version of it, exactly as the API returned it.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from typing import Any, Final
from urllib.parse import urlsplit

import orjson
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, connections, models, router, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.tasks import task
from django.utils import timezone

from integrations import search, secrets
from integrations.ampersand.manifest import (
    Catalog,
    Severity,
    ValidationIssue,
    ValidationResult,
    build_manifest_yaml,
    load_catalog,
    plain_json,
    validate_manifest,
)
from integrations.diff import IntegrationDiff, diff_contents
from integrations.presenters import HEALTH_BADGES, OPERATION_BADGES


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


LOOPBACK_HOSTS = frozenset({"localhost", "localhost."})


def is_loopback_host(host: str | None) -> bool:
    """127.0.0.0/8, ::1 or localhost: development, tests and benchmarks."""
    if not host:
        return False
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_api_url(value: str) -> None:
    """An API URL must be https://; plain http:// only reaches a loopback address."""
    if not value:
        return
    parts = urlsplit(value)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname)):
        return
    raise ValidationError(
        "The API URL must start with https:// "
        "(http:// is accepted only for 127.0.0.1, ::1 or localhost).",
        code="insecure_api_url",
    )


class MissingApiKey(secrets.ApiKeyUnavailable):
    """The project talks to its own API URL but has no key of its own."""


class Project(models.Model):
    name = models.SlugField(max_length=100, unique=True, help_text="Local name, e.g. demo or prod.")
    ampersand_project = models.CharField(
        "Ampersand project", max_length=200, help_text="The project's id or name at Ampersand."
    )
    api_url = models.URLField(
        "API base URL",
        max_length=500,
        blank=True,
        validators=[validate_api_url],
        help_text="Blank: AMPERSAND_API_URL. Another URL needs the project's own API key, "
        "and changing it forgets the stored key.",
    )
    # Fernet token; blank means the key comes from the AMPERSAND_API_KEY environment variable.
    api_key_encrypted = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A key was given for one host: pointing the project elsewhere must not carry it
        # there, whichever path changed the URL (admin, form, shell). A key set together
        # with the new URL is kept.
        if not self._state.adding:
            saved_url, saved_key = self._saved_credentials()
            moved = not same_url(self.base_url, saved_url or settings.AMPERSAND_API_URL)
            if moved and self.api_key_encrypted == saved_key:
                self.api_key_encrypted = ""
                update_fields = kwargs.get("update_fields")
                if update_fields is not None and "api_url" in update_fields:
                    kwargs["update_fields"] = {*update_fields, "api_key_encrypted"}
        super().save(*args, **kwargs)
        self._remember_saved_credentials()

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, **kwargs: Any) -> Project:
        project = super().from_db(db, field_names, values, **kwargs)
        project._remember_saved_credentials()
        return project

    def clean(self) -> None:
        self.api_url = self.api_url.strip()
        if self.uses_environment_api:
            # One spelling of "the environment's API": blank.
            self.api_url = ""

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_saved_credentials()

    def _remember_saved_credentials(self) -> None:
        # Through __dict__: a deferred field is not loaded for this.
        self._saved = (self.__dict__.get("api_url"), self.__dict__.get("api_key_encrypted"))

    def _saved_credentials(self) -> tuple[str, str]:
        saved = getattr(self, "_saved", (None, None))
        if None in saved:  # loaded without them: ask the database
            stored = Project.objects.filter(pk=self.pk).values_list("api_url", "api_key_encrypted")
            return stored.first() or ("", "")
        return saved

    @property
    def base_url(self) -> str:
        return self.api_url or settings.AMPERSAND_API_URL

    @functools.cached_property
    def catalog_version(self) -> str | None:
        """Which provider catalog is stored for this project's API (`stored_catalog_version`),
        read once per loaded project, that is once per request, whoever asks."""
        return stored_catalog_version(self.base_url)

    def catalog(self) -> Catalog:
        """The provider catalog of this project's API (`known_catalog`)."""
        return known_catalog(self.base_url, version=self.catalog_version)

    @property
    def uses_environment_api(self) -> bool:
        """Whether the project talks to AMPERSAND_API_URL, the only host given AMPERSAND_API_KEY."""
        return not self.api_url or same_url(self.api_url, settings.AMPERSAND_API_URL)

    @property
    def has_stored_api_key(self) -> bool:
        return bool(self.api_key_encrypted)

    def set_api_key(self, raw_key: str) -> None:
        self.api_key_encrypted = secrets.encrypt(raw_key) if raw_key else ""

    def reencrypt_api_key(self) -> None:
        """The stored key encrypted again under the current SECRET_KEY (after a rotation)."""
        if self.api_key_encrypted:
            self.api_key_encrypted = secrets.reencrypt(self.api_key_encrypted)
            self.save(update_fields=["api_key_encrypted"])

    def get_api_key(self) -> str:
        """The key to send to `base_url`; raises ApiKeyUnavailable rather than misplace one.

        The environment's key goes only to the environment's URL; a project pointed elsewhere
        needs its own, and a URL that is not https:// (nor loopback) gets no key at all.
        """
        try:
            validate_api_url(self.api_url)
        except ValidationError as error:
            raise MissingApiKey(f"Project {self.name}: {error.messages[0]}") from None
        if self.api_key_encrypted:
            return secrets.decrypt(self.api_key_encrypted)
        if self.uses_environment_api:
            return settings.AMPERSAND_API_KEY
        raise MissingApiKey(
            f"Project {self.name} uses its own API URL and has no API key of its own: "
            "set one (AMPERSAND_API_KEY is sent only to AMPERSAND_API_URL)."
        )


def same_url(first: str, second: str) -> bool:
    return first.strip().rstrip("/") == second.strip().rstrip("/")


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

    def with_role_of(self, user: Any) -> IntegrationQuerySet:
        """Each annotated with `user`'s role in its project (`user_role`, None for none), so
        that checking it (integrations.permissions) costs no query of its own."""
        # In SQL, naming this table (so not for a subquery of another): the ORM took longer to
        # build the subquery than the database takes to run it, on every page of an integration.
        memberships, integrations = Membership._meta.db_table, Integration._meta.db_table
        role = RawSQL(  # noqa: S611 (the user's id is a parameter)
            f'SELECT "role" FROM "{memberships}" WHERE "{memberships}"."user_id" = %s '  # noqa: S608 (names, not input)
            f'AND "{memberships}"."project_id" = "{integrations}"."project_id"',
            (user.pk,),
        )
        return self.annotate(user_role=role)

    def with_catalog_version(self) -> IntegrationQuerySet:
        """Each annotated with the hash of its API's stored provider catalog (None for none), so
        that naming their providers (`provider_display_name`) costs no query."""
        # In SQL, naming this table, as `with_role_of`: the ORM's Subquery of an OuterRef took
        # about 0.9 ms to build, on every page of an integration.
        catalogs, projects = ProviderCatalog._meta.db_table, Project._meta.db_table
        version = RawSQL(  # noqa: S611 (the default URL is a parameter)
            f'SELECT c."content_hash" FROM "{catalogs}" AS c JOIN "{projects}" AS p '  # noqa: S608 (names, not input)
            f'ON c."base_url" = COALESCE(NULLIF(p."api_url", \'\'), %s) '
            f'WHERE p."id" = "{Integration._meta.db_table}"."project_id" LIMIT 1',
            (settings.AMPERSAND_API_URL,),
        )
        return self.annotate(catalog_version=version)

    def with_counts(self) -> IntegrationQuerySet:
        """Each annotated with how many versions ampdash keeps of it (`snapshot_count`) and how
        many drafts of it are open (`draft_count`), so that its page's header needs no query
        for the one and none for the drafts when there are none (the usual case)."""
        # In SQL, naming this table, as `with_role_of`.
        integrations = Integration._meta.db_table
        counted = {
            "snapshot_count": Snapshot._meta.db_table,
            "draft_count": Draft._meta.db_table,
        }
        return self.annotate(
            **{
                name: RawSQL(  # noqa: S611 (names, not input)
                    f'SELECT COUNT(*) FROM "{table}" WHERE "{table}"."integration_id" = '  # noqa: S608
                    f'"{integrations}"."id"',
                    (),
                    output_field=models.IntegerField(),
                )
                for name, table in counted.items()
            }
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
    # sha256 of the exact JSON text a sync last listed for it: the same bytes again are known
    # unchanged (and checked when first stored) without decoding them. Blank: none.
    listed_hash = models.CharField(max_length=64, blank=True, db_default="", editable=False)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # When what the integrations list shows of it last changed (names, state, latest snapshot).
    # Bulk writes (the sync) set it themselves; the list's cached pages are keyed on it.
    changed_at = models.DateTimeField(auto_now=True)
    # What the Installations tab counts of its present installations, kept by the one writer of
    # installations (`store_installations`): counting 10,000 rows took longer than the page.
    installations_total = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    installations_healthy = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    installations_unhealthy = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    installations_differing = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    # Changed with them: what the tab lists of its installations is cached under it.
    installations_version = models.CharField(
        max_length=32, blank=True, db_default="", editable=False
    )

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

    @property
    def provider_display_name(self) -> str:
        """The provider's name for people, from the catalog of the project's API."""
        if hasattr(self, "catalog_version"):  # annotated by `with_catalog_version` (lists)
            catalog = known_catalog(self.project.base_url, version=self.catalog_version)
        else:
            catalog = self.project.catalog()
        return catalog.display_name(self.provider)


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


class EncodedJSON(str):
    """JSON already encoded, e.g. exactly as the API sent it, for a `StoredJSONField` to store."""

    __slots__ = ()


class StoredJSONField(models.JSONField):
    """A JSONField that keeps the exact text it is given as an `EncodedJSON`.

    A sync neither encodes thousands of large objects again nor changes a byte of what the API
    sent. On PostgreSQL the column is `text`, as on SQLite: jsonb would parse it into a form of
    its own (most of a first sync's time there), and json check it again (migration 0019).
    Reading it back decodes it, as for any JSONField; it is never queried inside (what pages
    filter on has a column). Neither database checks the text is JSON (migration 0023): the
    client has, and SQLite's JSON_VALID parsed a first sync's 14 MB again (34 ms of it).
    """

    def db_type(self, connection: Any) -> str | None:
        return "text" if connection.vendor == "postgresql" else super().db_type(connection)

    def db_check(self, connection: Any) -> None:
        return None

    def get_placeholder_sql(self, value: Any, compiler: Any, connection: Any) -> tuple[str, list]:
        return "%s", [value]

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if isinstance(value, EncodedJSON):
            return str(value)
        if value is not None and connection.vendor == "postgresql":
            return json.dumps(value, cls=self.encoder)  # text, which the `json` column takes
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is not None and not isinstance(value, str):  # psycopg decodes `json` itself
            return value
        return super().from_db_value(value, expression, connection)


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def bulk_create(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Snapshots are written by integrations.snapshots.SnapshotWriter only.")


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
    # Whether the version's proxy is enabled (the list's "Has proxy" filter).
    has_proxy = models.BooleanField(db_default=False)
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

    objects = SnapshotQuerySet.as_manager()

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
        # One road in: the writer keeps the columns, the search text and the integration's
        # latest version together. Snapshots are never changed once written.
        raise TypeError("Snapshots are written by integrations.snapshots.SnapshotWriter only.")

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


class SnapshotSearchText(models.Model):
    """The words a snapshot is found by (`search.search_text` of its JSON), in a narrow table of
    their own that a search reads instead of the snapshots' large rows.

    Written with the snapshot, never changed. No database constraint: the ORM's delete
    cascades, and deleting snapshots in SQL must delete their texts first (bench/sync.py).
    Deleting a text takes it out of the search index too (a trigger, migration 0022).
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


class IndexedSearchText(models.Model):
    """On PostgreSQL, the search index: a copy of the search texts under a pg_trgm index
    (migration 0015), filled behind the sync by `SearchIndex.index_new()`."""

    snapshot = models.OneToOneField(
        Snapshot,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="+",
    )
    text = models.TextField()

    class Meta:
        managed = False  # made by migration 0015 on PostgreSQL; FTS5's table on SQLite
        db_table = "integrations_searchindex"

    def __str__(self) -> str:
        return f"indexed search text of snapshot {self.snapshot_id}"


class SearchIndex:
    """The trigram index of snapshots' search texts, kept behind the snapshots so that writing
    them never waits for it (migrations 0007 and 0015): SQLite's FTS5, PostgreSQL's pg_trgm.

    `index_new()` adds the search texts it does not hold yet; a search scans the texts of those
    itself. On SQLite, snapshot ids only grow and one writer commits at a time, so the newest
    indexed id marks where to go on; on PostgreSQL transactions commit in any order, so the
    snapshots not indexed are found by an anti-join. Filled by `index_search_texts_task`, which
    the snapshot writer queues. Absent where SQLite lacks FTS5.
    """

    TABLE = "integrations_searchindex"

    @classmethod
    def available(cls) -> bool:
        # Migration 0007 made the table wherever this SQLite library can.
        return connection.vendor == "postgresql" or (
            connection.vendor == "sqlite" and _sqlite_has_trigram_fts()
        )

    @classmethod
    def matching(cls, column: str, query: str) -> tuple[str, list[str]]:
        """SQL true where the snapshot id `column` names is of a search text holding every word
        of `query`, and its parameters.

        Through the trigram index for the snapshots it holds, plus a scan of the search texts
        of those it does not hold yet; a scan of all texts where there is no index (SQLite
        without FTS5, or words under three characters, which FTS5's trigrams miss). Written out:
        the list runs it on every search, and building it through the ORM cost more than
        running it.
        """
        terms = search.search_terms(query)
        texts = SnapshotSearchText._meta.db_table
        likes = " AND ".join(["text LIKE %s ESCAPE '\\'"] * len(terms)) or "TRUE"
        patterns = [f"%{connection.ops.prep_for_like_query(term)}%" for term in terms]
        if (
            not terms
            or not cls.available()
            or (connection.vendor == "sqlite" and min(map(len, terms)) < 3)
        ):
            return f"{column} IN (SELECT snapshot_id FROM {texts} WHERE {likes})", patterns  # noqa: S608
        if connection.vendor == "postgresql":
            # pg_trgm serves the index table's LIKE, whatever the words' length. As an array
            # rather than IN: the planner then reads the trigram index, where as IN's hashed
            # subplan it scanned every text of a long word. OFFSET 0 finds the latest snapshots
            # not indexed yet before their texts are read (usually none).
            integrations = Integration._meta.db_table
            sql = (
                f"{column} = ANY(ARRAY(SELECT snapshot_id FROM {cls.TABLE} WHERE {likes} "  # noqa: S608
                f"UNION ALL SELECT t.snapshot_id FROM (SELECT n.latest_snapshot_id "
                f"FROM {integrations} n WHERE NOT EXISTS (SELECT 1 FROM {cls.TABLE} i "
                "WHERE i.snapshot_id = n.latest_snapshot_id) OFFSET 0) AS not_indexed "
                f"JOIN {texts} t ON t.snapshot_id = not_indexed.latest_snapshot_id WHERE {likes}))"
            )
            return sql, [*patterns, *patterns]
        sql = (
            f"{column} IN (SELECT rowid FROM {cls.TABLE} WHERE {cls.TABLE} MATCH %s "  # noqa: S608
            # The comparison first: a text that it rules out is never scanned.
            f"UNION ALL SELECT snapshot_id FROM {texts} "
            f"WHERE snapshot_id > (SELECT COALESCE(MAX(rowid), 0) FROM {cls.TABLE}) AND {likes})"
        )
        return sql, [search.trigram_query(terms), *patterns]

    @classmethod
    def index_new(cls) -> int:
        """Index the search texts stored since the last call; how many it indexed."""
        if not cls.available():
            return 0
        texts = SnapshotSearchText._meta.db_table
        if connection.vendor == "postgresql":
            statement = (
                f"INSERT INTO {cls.TABLE} (snapshot_id, text) SELECT snapshot_id, text "  # noqa: S608
                f"FROM {texts} AS t WHERE NOT EXISTS (SELECT 1 FROM {cls.TABLE} AS i "
                "WHERE i.snapshot_id = t.snapshot_id) ON CONFLICT DO NOTHING"
            )
        else:
            statement = (
                f"INSERT INTO {cls.TABLE}(rowid, text) SELECT snapshot_id, text FROM {texts} "  # noqa: S608
                f"WHERE snapshot_id > (SELECT COALESCE(MAX(rowid), 0) FROM {cls.TABLE}) "
                "ORDER BY snapshot_id"
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.rowcount


# Beside the index it fills rather than in tasks.py: the snapshot writer queues it, and tasks.py
# imports the sync.
@task()
def index_search_texts_task() -> int:
    """Add the search texts of snapshots stored since the last run to the search index."""
    return SearchIndex.index_new()


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
    # host:pid of the process that claimed the run to do it, blank while it waits in the task
    # queue, and when that process last showed signs of life.
    worker = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(auto_now_add=True)
    # The task queued to do it (a background sync), whose fate tells about a run still queued.
    task_id = models.CharField(max_length=200, blank=True)
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
    def is_queued(self) -> bool:
        """Running, but not claimed by a worker yet."""
        return self.is_running and not self.worker

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


class DraftQuerySet(models.QuerySet["Draft"]):
    def of(self, integration: Integration) -> DraftQuerySet:
        """The drafts of `integration`, as pages name them (whose, when): not their content."""
        return (
            self.filter(integration=integration)
            .select_related("user")
            .defer("content", "text", "issues")
            .order_by("-updated_at")
        )

    def opened(self, integration: Integration, user: Any) -> DraftQuerySet:
        """`user`'s draft of `integration`, with its base's revision (that version's JSON is
        read only when used: merging)."""
        return (
            self.filter(integration=integration, user=user)
            .select_related("base_snapshot")
            .defer("base_snapshot__raw")
        )


class DraftManager(models.Manager.from_queryset(DraftQuerySet)):  # type: ignore[misc]
    def keep_text(self, integration: Integration, user: Any, text: str) -> bool:
        """Keep `text` as typed in `user`'s draft of `integration`, in one UPDATE of the columns
        it changes (see `Draft.keep_text`); whether there was a draft to keep it.

        Written in SQL so that the text (up to 1 MB, sent as the user types) goes to the
        database once: the same text keeps its reading, which the statement decides by
        comparing it with the kept one. The ORM would send it three times, and take longer
        to build the statement than the database takes to run it.
        """
        connection = connections[router.db_for_write(Draft)]
        quote = connection.ops.quote_name
        table = quote(Draft._meta.db_table)
        text_, issues, text_read = quote("text"), quote("issues"), quote("text_read")
        same = f"{table}.{text_} = typed.{text_}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET "  # noqa: S608 (names, not input)
                f"{issues} = CASE WHEN {same} THEN {table}.{issues} END, "
                f"{text_read} = CASE WHEN {same} THEN {table}.{text_read} END, "
                f"{text_} = typed.{text_}, {quote('updated_at')} = %s "
                f"FROM (SELECT %s AS {text_}) AS typed "
                f"WHERE {table}.{quote('integration_id')} = %s AND {table}.{quote('user_id')} = %s",
                [
                    connection.ops.adapt_datetimefield_value(timezone.now()),
                    text,
                    integration.pk,
                    user.pk,
                ],
            )
            return cursor.rowcount > 0


class Draft(models.Model):
    """One user's unfinished change to one integration, saved as it is made.

    `content` is the integration's manifest entry being edited: every key is kept, those no form
    knows included. `text` is the amp.yaml exactly as last typed (blank: `content` as amp.yaml);
    it is kept even when it does not parse, so nothing typed is ever lost, and `content`
    follows it whenever it reads as this integration. The base snapshot's revision is the base
    of the draft's deploy. A draft is deleted when its deploy succeeds: the deploy record keeps
    the amp.yaml, who deployed it and why, and the new version is a snapshot.
    """

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    content = models.JSONField()
    text = models.TextField(blank=True)
    base_snapshot = models.ForeignKey(
        Snapshot, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The issues of `amp_yaml()` (see `read_text`), found once per change, so that the pages
    # showing the draft need not validate it again; None: not found yet (a text kept as typed
    # by `keep_text`, read by `catch_up`).
    issues = models.JSONField(null=True, blank=True, editable=False)
    # Whether `content` holds all `text` says (set as the text is taken); None: not known.
    text_read = models.BooleanField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftManager()
    # The amp.yaml whose issues `issues` holds, when this instance found them.
    _issues_of: str | None = None

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "user"], name="one_draft_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user}'s draft of {self.integration}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self.text:
            self._keep_issues("", self.content_issues())
        elif self.text != self._issues_of:
            self._keep_issues(self.text, self.read_text(self.text)[1])
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "issues"}
        super().save(*args, **kwargs)

    def _keep_issues(self, text: str, issues: list[ValidationIssue]) -> None:
        self.issues = [issue.as_json() for issue in issues]
        self._issues_of = text

    def found_issues(self) -> list[ValidationIssue]:
        """The issues of the draft's amp.yaml, as found when it was saved."""
        if self.issues is None:
            return self.read_text(self.text)[1] if self.text else self.content_issues()
        return [ValidationIssue.from_json(issue) for issue in self.issues]

    def kept_reading(self) -> ValidationResult | None:
        """What validating the typed text gives, as kept when it was read (`take_amp_yaml`,
        `catch_up`): the integration it declares and its issues, lines included. None unless
        the text was read as this integration (a form's change has no text to read)."""
        if not (self.text and self.text_read and self.issues is not None):
            return None
        manifest = {"specVersion": self.spec_version, "integrations": [self.content]}
        return ValidationResult(manifest=manifest, issues=self.found_issues())

    def content_issues(self) -> list[ValidationIssue]:
        """The issues of `content` (a form's change, no text typed): checked as the document its
        amp.yaml would declare, without writing and parsing that amp.yaml."""
        document = {"specVersion": self.spec_version, "integrations": [plain_json(self.content)]}
        return list(validate_manifest(document, catalog=self.integration.project.catalog()).issues)

    @classmethod
    def start(cls, integration: Integration, user: Any) -> Draft:
        """An unsaved draft of `integration`'s latest version, for `user`."""
        latest = (
            Snapshot.objects.get(pk=integration.latest_snapshot_id)
            if integration.latest_snapshot_id
            else None
        )
        return cls(
            integration=integration,
            user=user,
            content=latest.content if latest else {"name": integration.name},
            base_snapshot=latest,
        )

    @property
    def spec_version(self) -> str:
        base = self.base_snapshot
        return (base.spec_version if base else "") or "1.0.0"

    def amp_yaml(self) -> str:
        """The amp.yaml being edited: the text as typed, else the content's."""
        return self.text or self.content_amp_yaml()

    def content_amp_yaml(self) -> str:
        return build_manifest_yaml([self.content], spec_version=self.spec_version)

    @property
    def base_revision(self) -> str | None:
        return self.base_snapshot.revision_id if self.base_snapshot else None

    def base_revisions(self) -> dict[str, str | None]:
        """The deploy's base: the revision this draft started from."""
        return {self.integration.name: self.base_revision}

    def remote_changed(self) -> bool:
        """Whether the integration has a newer version than the one this draft started from."""
        latest = self.integration.latest_snapshot_id
        if latest is None or latest == self.base_snapshot_id:
            return False
        latest_revision = Snapshot.objects.filter(pk=latest).values_list("revision_id", flat=True)
        return latest_revision.first() != self.base_revision

    def take_amp_yaml(self, text: str, *, catalog: Catalog | None = None) -> list[ValidationIssue]:
        """Keep `text` as typed and, when it reads as this integration, follow it in `content`.

        Returns its issues (see `read_text`).
        """
        content, issues = self.read_text(text, catalog=catalog)
        self.text = text
        self.text_read = content is not None
        if content is not None:
            self.content = content
        self._keep_issues(text, issues)
        self.save()
        return issues

    def keep_text(self, text: str) -> None:
        """Keep `text` as typed, at once: what it declares and its issues are read afterwards
        (`catch_up`), so that saving as the user types never waits on the validator."""
        if text != self.text:  # the same text keeps its reading
            self.text = text
            self.issues = None
            self.text_read = None
        self._issues_of = text  # read later, not by save()
        self.save()

    def catch_up(self, *, catalog: Catalog | None = None) -> None:
        """Read a text kept by `keep_text`: keep its issues and, when it reads as this
        integration, follow it in `content` (as `take_amp_yaml` does). A newer text saved
        meanwhile is left for its own reading."""
        if not self.text or self.issues is not None or self.pk is None:
            return
        content, issues = self.read_text(self.text, catalog=catalog)
        values: dict[str, Any] = {
            "issues": [issue.as_json() for issue in issues],
            "text_read": content is not None,
        }
        if content is not None:
            values["content"] = content
        Draft.objects.filter(pk=self.pk, text=self.text).update(**values)
        for name, value in values.items():
            setattr(self, name, value)
        self._issues_of = self.text

    def read_text(
        self, text: str, *, catalog: Catalog | None = None
    ) -> tuple[dict[str, Any] | None, list[ValidationIssue]]:
        """The content `text` declares for this draft (None: none), and its issues: the
        validator's (by `catalog`, default the provider catalog the project knows), and one more
        when the text cannot be this integration's."""
        result = validate_manifest(text, catalog=catalog or self.integration.project.catalog())
        issues = list(result.issues)
        content = self.content_of(result.manifest)
        if result.manifest is not None and content is None:
            issues.append(
                ValidationIssue(
                    severity=Severity.ERROR,
                    rule="draft-one-integration",
                    path="integrations",
                    message=f"This draft edits {self.integration.name!r}: declare that one "
                    "integration, under that name.",
                )
            )
        return content, issues

    def content_of(self, manifest: dict[str, Any] | None) -> dict[str, Any] | None:
        """The one integration a parsed amp.yaml declares, if it is this draft's."""
        declared = manifest.get("integrations") if isinstance(manifest, dict) else None
        if not isinstance(declared, list) or len(declared) != 1:
            return None
        content = declared[0]
        if not isinstance(content, dict) or content.get("name") != self.integration.name:
            return None
        if _holds_nul(content):
            return None  # PostgreSQL's JSON cannot hold U+0000; the validator names it
        return content

    def text_follows_content(self) -> bool:
        """Whether `content` holds all the typed text says, so a form may rewrite the text."""
        if not self.text:
            return True
        if self.text_read is not None:
            return self.text_read
        return self.content_of(validate_manifest(self.text).manifest) == self.content

    def set_content(self, content: dict[str, Any]) -> None:
        """Save `content` (a form's change); the amp.yaml is then built from it."""
        self.content = content
        self.text = ""
        self.save()

    def close_after(self, record: DeployRecord) -> bool:
        """Delete this draft if `record` deployed it; whether it did."""
        if record.outcome != DeployRecord.Outcome.SUCCEEDED:
            return False
        self.delete()
        return True

    def rebase(self, onto: Snapshot, content: dict[str, Any]) -> None:
        """Start from `onto` now, with `content` (the draft's change merged onto it)."""
        self.base_snapshot = onto
        self.content = content
        self.text = ""
        self.save()


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class ProviderCatalog(models.Model):
    """The provider catalog ampdash last fetched from one Ampersand API (`GET /providers`).

    One row per API base URL, since projects may point at different ones. Written by the sync
    (`store_catalog`) only when what the API answers changed; read through `known_catalog`.
    """

    base_url = models.CharField("API base URL", max_length=500, unique=True)
    providers = models.JSONField(help_text="The listProviders answer as the API sent it.")
    content_hash = models.CharField(max_length=64)
    fetched_at = models.DateTimeField(help_text="When the API first answered this catalog.")

    def __str__(self) -> str:
        return f"provider catalog of {self.base_url}"


# The sentinel telling known_catalog to read the stored version itself.
LOOK_UP: Final = object()
# {base URL: (content hash, catalog)}: each stored catalog parsed once per process.
_known_catalogs: dict[str, tuple[str, Catalog]] = {}


def known_catalog(base_url: str, *, version: str | object | None = LOOK_UP) -> Catalog:
    """The provider catalog ampdash knows for the API at `base_url`: the one a sync last
    stored, else the one bundled with the client.

    Parsed once per process and stored version. Which version is stored costs one small query
    (so a catalog stored by another process, e.g. the sync's worker, shows at once), unless
    the caller already read it and passes it as `version` (its content hash, or None).
    """
    if version is LOOK_UP:
        version = stored_catalog_version(base_url)
    if version is None:
        return load_catalog()
    cached = _known_catalogs.get(base_url)
    if cached is not None and cached[0] == version:
        return cached[1]
    stored = ProviderCatalog.objects.filter(base_url=base_url).first()
    if stored is None:
        return load_catalog()
    catalog = Catalog(stored.providers)
    _known_catalogs[base_url] = (stored.content_hash, catalog)
    return catalog


def stored_catalog_version(base_url: str) -> str | None:
    """The content hash of the catalog stored for the API at `base_url` (None: none)."""
    return (
        ProviderCatalog.objects.filter(base_url=base_url)
        .values_list("content_hash", flat=True)
        .first()
    )


def store_catalog(base_url: str, providers: dict[str, Any]) -> bool:
    """Keep `providers` (a listProviders answer) as the catalog of the API at `base_url`.

    False, having written nothing, when it is the catalog already kept.
    """
    content_hash = canonical_hash(providers)
    kept = (
        ProviderCatalog.objects.filter(base_url=base_url)
        .values_list("content_hash", flat=True)
        .first()
    )
    if kept == content_hash:
        return False
    ProviderCatalog.objects.update_or_create(
        base_url=base_url,
        defaults={
            "providers": providers,
            "content_hash": content_hash,
            "fetched_at": timezone.now(),
        },
    )
    _known_catalogs[base_url] = (content_hash, Catalog(providers))
    return True


class InstallationQuerySet(models.QuerySet["Installation"]):
    def present(self) -> InstallationQuerySet:
        return self.filter(removed_at__isnull=True)

    def matching(self, query: str) -> InstallationQuerySet:
        """Those whose group name or group reference contains `query` (any case)."""
        return self.filter(Q(group_name__icontains=query) | Q(group_ref__icontains=query))


class Installation(models.Model):
    """One customer's installation of an integration, as the last sync (or refresh) saw it.

    `config` is the installation's config JSON as the API sent it; the earlier ones ampdash saw
    are kept in InstallationConfigVersion. `difference_count` counts the read objects whose choices
    differ from the definition it was compared with (the snapshot of `compared_hash`).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="installations")
    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="installations"
    )
    remote_id = models.CharField(max_length=200)
    group_ref = models.CharField(max_length=500, blank=True)
    group_name = models.CharField(max_length=500, blank=True)
    health_status = models.CharField(max_length=50, blank=True)
    last_operation_status = models.CharField(max_length=50, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=500, blank=True)
    config = StoredJSONField(help_text="The installation's config JSON as the API sent it.")
    config_hash = models.CharField(max_length=64)
    difference_count = models.PositiveIntegerField(default=0)
    compared_hash = models.CharField(max_length=64, blank=True)
    first_seen_at = models.DateTimeField()
    # When ampdash first saw the current config, and when it saw anything of the installation
    # change (its group, health, last operation, config, or its removal or return).
    config_seen_at = models.DateTimeField()
    seen_changed_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = InstallationQuerySet.as_manager()

    class Meta:
        ordering = ["group_name", "remote_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "remote_id"], name="one_installation_per_remote_id"
            )
        ]
        indexes = [
            # The tab's page order, and its counts.
            models.Index(fields=["integration", "group_name", "remote_id"]),
            # Covers the tab's counts (health and differences of those present).
            models.Index(fields=["integration", "removed_at", "health_status", "difference_count"]),
        ]

    def __str__(self) -> str:
        return self.group_name or self.group_ref or self.remote_id

    @property
    def differs(self) -> bool:
        return self.difference_count > 0

    @property
    def last_operation_label(self) -> str:
        """The API's lastOperationStatus as words: "success", "failure", "in progress"."""
        return self.last_operation_status.replace("_", " ")

    @property
    def last_operation_badge(self) -> str:
        return OPERATION_BADGES.get(self.last_operation_status, "muted")

    @property
    def health_badge(self) -> str:
        return HEALTH_BADGES.get(self.health_status, "muted")


class InstallationConfigVersion(models.Model):
    """An earlier config of an installation: kept when a sync saw it replaced.

    The current config is the installation's own; each config is stored once. `seen_at` is when
    ampdash first saw this config.
    """

    installation = models.ForeignKey(
        Installation, on_delete=models.CASCADE, related_name="config_versions"
    )
    config = StoredJSONField()
    config_hash = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at", "-id"]
        indexes = [models.Index(fields=["installation", "-seen_at"])]

    def __str__(self) -> str:
        return f"{self.installation} @ {self.seen_at:%Y-%m-%d %H:%M}"
