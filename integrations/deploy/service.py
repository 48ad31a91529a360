"""`deploy`: the one way ampdash changes integrations at Ampersand.

Every attempt is recorded (`DeployRecord`), whatever becomes of it:
1. the amp.yaml is validated here with Ampersand's own rules: an ERROR refuses it, nothing sent;
2. one deploy per project at a time (the database holds one running record per project; a
   second waits for the first, up to DEPLOY_WAIT_SECONDS);
3. the integrations are fetched, and each one's latest revision must be the base the user
   started from (None: it must not exist yet); a stale base refuses it, nothing sent, and the
   remote versions seen are stored so their diff can be shown (except those holding text no
   database here can keep, which are named instead);
4. one batch upsert, `destructive` only when asked;
5. the integrations Ampersand returns are stored as snapshots by the sync's own writer.

A retry after a failure whose upsert did land (a timeout on the answer) finds the remote
already holding exactly the content sent: that is no conflict, and the retry deploys once.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.ampersand.client import ListedIntegration
from integrations.ampersand.errors import (
    AmpersandError,
    InputValidationError,
    InvalidResponseError,
)
from integrations.ampersand.manifest import Severity, ValidationIssue, validate_manifest
from integrations.ampersand.manifest.issues import spelled_out, storable_text
from integrations.diff import diff_contents
from integrations.models import (
    DeployRecord,
    Integration,
    Project,
    Snapshot,
    canonical_hash,
)
from integrations.secrets import ApiKeyUnavailable
from integrations.services import client_for, process_is_alive, this_worker
from integrations.snapshots import UnstorableVersion, store_versions, unstorable_paths

logger = logging.getLogger(__name__)

# A running deploy older than this was left by a process that died (a deploy makes two API
# calls, each bounded by the client's total timeout).
DEPLOY_STALE_AFTER = timedelta(minutes=10)
SOURCE_OF_KIND = {
    DeployRecord.Kind.DEPLOY: Snapshot.Source.UPSERT,
    DeployRecord.Kind.IMPORT: Snapshot.Source.UPSERT,
    DeployRecord.Kind.COPY: Snapshot.Source.UPSERT,
    DeployRecord.Kind.RESTORE: Snapshot.Source.ROLLBACK,
}


UNSTORABLE_CHANGE = "changed at Ampersand, to text ampdash cannot store (a NUL or a lone surrogate)"


class DeployBusy(Exception):
    """Another deploy of the project is under way and did not end in time."""


def base_revisions_problem(value: Any) -> str | None:
    """What makes `value` unfit as `deploy`'s `base_revisions` (None: nothing): it maps
    integration names to revision ids (None for a new integration), and the deploy record keeps
    it, so no text in it may hold what PostgreSQL's JSON refuses, a NUL or a lone surrogate
    (JSON's escapes make both)."""
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and (revision is None or isinstance(revision, str))
        for name, revision in value.items()
    ):
        return "Base revisions map each integration's name to a revision id, or null if it is new."
    texts = [*value, *(revision for revision in value.values() if revision is not None)]
    if not all(storable_text(text) for text in texts):
        return "Base revisions may not hold NUL or lone surrogate characters."
    return None


def deploy(
    *,
    project: Project,
    user: Any,
    amp_yaml: str,
    base_revisions: Mapping[str, str | None],
    reason: str = "",
    destructive: bool = False,
    kind: str = DeployRecord.Kind.DEPLOY,
    idempotency_key: str = "",
) -> DeployRecord:
    """Deploy `amp_yaml` to `project` if every integration it names is still at its base
    revision; returns the attempt's record (see `DeployRecord.Outcome`).

    The same `idempotency_key` twice returns the first attempt's record and deploys nothing.
    Raises DeployBusy when another deploy of the project holds it for too long.
    """
    if kind not in DeployRecord.Kind.values:  # before anything is sent: it is recorded after
        raise ValueError(f"Unknown deploy kind {kind!r}")
    if idempotency_key:
        earlier = project.deploys.filter(idempotency_key=idempotency_key).first()
        if earlier is not None:
            return earlier
    result = validate_manifest(amp_yaml, catalog=project.catalog())
    issues = list(result.issues)
    contents = _contents_by_name(result.manifest) if result.ok else {}
    if result.ok:
        issues.extend(_base_issues(contents, base_revisions))
    fields = {
        "project": project,
        "user": user if user is not None and user.is_authenticated else None,
        "kind": kind,
        "reason": reason,
        "amp_yaml": amp_yaml,
        "destructive": destructive,
        "base_revisions": dict(base_revisions),
        "issues": [issue.as_json() for issue in issues],
        "idempotency_key": idempotency_key,
    }
    if any(issue.severity is Severity.ERROR for issue in issues):
        return DeployRecord.objects.create(
            **fields, outcome=DeployRecord.Outcome.INVALID, finished_at=timezone.now()
        )
    record = _begin(project, fields)
    if not record.is_running:  # the same idempotency key, in a race
        return record
    try:
        _carry_out(record, contents)
    except AmpersandError as error:
        _finish(record, DeployRecord.Outcome.FAILED, **problem_fields(error))
    except ApiKeyUnavailable as error:
        _finish(
            record,
            DeployRecord.Outcome.FAILED,
            problem_title="API key unusable",
            problem_detail=str(error),
        )
    except Exception as error:
        logger.exception("deploy %s to project %s failed", record.pk, project)
        _finish(
            record,
            DeployRecord.Outcome.FAILED,
            problem_title="Deploy failed in ampdash",
            problem_detail=f"{type(error).__name__}: {error}",
        )
    return record


def _carry_out(record: DeployRecord, contents: dict[str, dict[str, Any]]) -> None:
    project = record.project
    with client_for(project) as api:
        remote, unstorable = _remote_by_name(api.list_integrations_checked(), set(contents))
        conflicts = []
        for name, content in contents.items():
            base = record.base_revisions[name]
            raw = remote.get(name)
            revision = raw["latestRevision"]["id"] if raw else None
            # What ampdash cannot store is not what it sent.
            already_there = (
                raw is not None
                and name not in unstorable
                and _same(raw["latestRevision"]["content"], content)
            )
            if revision != base and not already_there:
                conflicts.append({"name": name, "base": base, "remote": revision})
        record.changes = [
            _change(name, content, remote.get(name)) for name, content in contents.items()
        ]
        if conflicts:
            # What the teammate deployed becomes a version of its own, to diff against.
            seen = [remote[c["name"]] for c in conflicts if c["name"] in remote]
            store_versions(
                project.pk,
                [raw for raw in seen if raw["name"] not in unstorable],
                source=Snapshot.Source.SYNC,
            )
            for conflict in conflicts:
                conflict["summary"] = (
                    UNSTORABLE_CHANGE
                    if conflict["name"] in unstorable
                    else _remote_summary(project, conflict, remote)
                )
            _finish(record, DeployRecord.Outcome.CONFLICT, conflicts=conflicts)
            return
        upserted = api.batch_upsert(record.amp_yaml, destructive=record.destructive)
    try:
        stored = store_versions(
            project.pk,
            [integration.raw for integration in upserted],
            source=SOURCE_OF_KIND[record.kind],
            taken_by_id=record.user_id,
            deploy_id=record.pk,
        )
    except UnstorableVersion as error:
        _finish(
            record,
            DeployRecord.Outcome.FAILED,
            result_revisions={i.name: i.latest_revision.id for i in upserted},
            problem_title="Deployed, but not recorded as a version",
            problem_detail=f"Ampersand took the change, but answered with {error}. Syncs report "
            "the integration as failed until its text changes at Ampersand.",
        )
        return
    except Exception as error:
        logger.exception("deploy %s landed but its answer could not be stored", record.pk)
        _finish(
            record,
            DeployRecord.Outcome.FAILED,
            result_revisions={i.name: i.latest_revision.id for i in upserted},
            problem_title="Deployed, but not recorded as a version",
            problem_detail=f"Ampersand took the change; the next sync stores it ({error}).",
        )
        return
    _finish(
        record,
        DeployRecord.Outcome.SUCCEEDED,
        result_revisions={i.name: i.latest_snapshot.revision_id for i in stored},
    )


def _begin(project: Project, fields: dict[str, Any]) -> DeployRecord:
    """The running record of this attempt, once no other deploy of `project` runs."""
    deadline = time.monotonic() + settings.DEPLOY_WAIT_SECONDS
    key = fields["idempotency_key"]
    while True:
        fail_dead_deploys(project)
        try:
            with transaction.atomic():
                return DeployRecord.objects.create(**fields, worker=this_worker())
        except IntegrityError:
            if key:
                earlier = project.deploys.filter(idempotency_key=key).first()
                if earlier is not None:
                    return earlier
        if time.monotonic() > deadline:
            raise DeployBusy(
                f"Another deploy to project {project.name} is under way; try again when it ends."
            )
        time.sleep(0.1)


def fail_dead_deploys(project: Project) -> int:
    """Mark failed the deploys of `project` left running by a process that died."""
    now = timezone.now()
    dead = [
        record.pk
        for record in project.deploys.filter(outcome=DeployRecord.Outcome.RUNNING)
        if record.started_at < now - DEPLOY_STALE_AFTER or not _worker_alive(record.worker)
    ]
    return DeployRecord.objects.filter(pk__in=dead, outcome=DeployRecord.Outcome.RUNNING).update(
        outcome=DeployRecord.Outcome.FAILED,
        finished_at=now,
        problem_title="Deploy interrupted",
        problem_detail="The process deploying stopped before it finished. Ampersand may or "
        "may not have taken the change: sync, then deploy again.",
    )


def _worker_alive(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    return host != socket.gethostname() or not pid.isdigit() or process_is_alive(int(pid))


def _finish(record: DeployRecord, outcome: str, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(record, name, value)
    record.outcome = outcome
    record.finished_at = timezone.now()
    record.save()


def _contents_by_name(manifest: Any) -> dict[str, dict[str, Any]]:
    return {content["name"]: content for content in manifest["integrations"]}


def _base_issues(
    contents: Mapping[str, Any], base_revisions: Mapping[str, str | None]
) -> list[ValidationIssue]:
    """Each integration deployed needs the revision the user started from, and only those."""
    issues = []
    for index, name in enumerate(contents):
        if name not in base_revisions:
            issues.append(
                ValidationIssue(
                    severity=Severity.ERROR,
                    rule="base-revision-required",
                    path=f"integrations[{index}].name",
                    message=f"base_revisions must give the revision {name!r} was edited from "
                    "(null if it is new), so that a teammate's deploy is never overwritten.",
                )
            )
    for name in base_revisions:
        if name not in contents:
            issues.append(
                ValidationIssue(
                    severity=Severity.ERROR,
                    rule="base-revision-unknown",
                    path="base_revisions",
                    message=f"base_revisions names {name!r}, which the amp.yaml does not declare.",
                )
            )
    return issues


def _remote_by_name(
    listed: list[ListedIntegration], names: set[str]
) -> tuple[dict[str, dict], set[str]]:
    """The listed integrations of these names, each checked against the contract, and the
    names of those holding text no database here can keep (as the sync finds them)."""
    found: dict[str, dict] = {}
    unstorable = set()
    for item in listed:
        raw = item.decode()
        if isinstance(raw, dict) and raw.get("name") in names:
            checked = item.checked()
            if checked is None:
                raise InvalidResponseError(
                    "listIntegrations: response does not match the contract",
                    detail="; ".join(item.field_errors),
                )
            found[raw["name"]] = checked
            if unstorable_paths(item.text, checked):
                unstorable.add(raw["name"])
    return found, unstorable


def _same(remote_content: Any, content: Any) -> bool:
    return canonical_hash(remote_content) == canonical_hash(content)


def _change(name: str, content: dict[str, Any], remote: dict[str, Any] | None) -> dict[str, Any]:
    old = remote["latestRevision"]["content"] if remote else {}
    return {
        "name": name,
        "new": remote is None,
        # Spelled out: a key of the remote content may hold a NUL, which no record can keep.
        "summary": spelled_out(diff_contents(old, content).summary_line()),
    }


def _remote_summary(project: Project, conflict: dict[str, Any], remote: dict[str, Any]) -> str:
    """What changed remotely since the base, in one line."""
    raw = remote.get(conflict["name"])
    if raw is None:
        return "removed at Ampersand"
    base = (
        Snapshot.objects.filter(
            integration__project=project,
            integration__name=conflict["name"],
            revision_id=conflict["base"],
        ).first()
        if conflict["base"]
        else None
    )
    if base is None:
        return "created at Ampersand" if conflict["base"] is None else "changed at Ampersand"
    return diff_contents(base.content, raw["latestRevision"]["content"]).summary_line()


def problem_fields(error: AmpersandError) -> dict[str, Any]:
    issues = []
    if isinstance(error, InputValidationError):
        issues = [
            {"name": issue.name, "detail": issue.detail, "in": issue.in_} for issue in error.issues
        ]
    return {
        "problem_title": (error.title or type(error).__name__)[:500],
        "problem_detail": error.detail or error.message,
        "problem_request_id": error.request_id or "",
        "problem_issues": issues,
    }


def latest_revisions(project: Project, names: list[str]) -> dict[str, str | None]:
    """The revision of each named integration that ampdash last saw (None: not known here):
    the base of a deploy made from what the user is looking at."""
    known = dict(
        Integration.objects.filter(
            project=project, name__in=names, state=Integration.State.PRESENT
        ).values_list("name", "latest_snapshot__revision_id")
    )
    return {name: known.get(name) for name in names}
