from __future__ import annotations

import pytest

from integrations.models import Project, Snapshot, canonical_hash
from tests.integrations.conftest import integration_json, store_integration


def test_canonical_hash_ignores_key_order_but_not_values():
    assert canonical_hash({"a": 1, "b": [1, 2]}) == canonical_hash({"b": [1, 2], "a": 1})
    assert canonical_hash({"a": 1, "b": [1, 2]}) != canonical_hash({"a": 1, "b": [2, 1]})


def test_snapshot_cannot_be_changed_once_saved(project):
    integration = store_integration(project, integration_json("immutable"))
    snapshot = integration.latest_snapshot
    snapshot.raw = {"tampered": True}
    with pytest.raises(ValueError, match="immutable"):
        snapshot.save()
    snapshot.refresh_from_db()
    assert "tampered" not in snapshot.raw


def test_snapshot_keeps_unknown_fields_and_reads_revision_details(project):
    raw = integration_json("future", read={"objects": [{"objectName": "a", "newThing": 1}]})
    raw["fieldFromANewerApi"] = {"nested": True}
    snapshot = store_integration(project, raw).latest_snapshot
    snapshot = Snapshot.objects.get(pk=snapshot.pk)
    assert snapshot.raw == raw
    assert snapshot.revision_id == raw["latestRevision"]["id"]
    assert snapshot.revision_created_at.year == 2026
    assert snapshot.read_count == 1


def test_stored_api_key_is_encrypted_and_read_back(db, settings):
    project = Project.objects.create(name="prod", ampersand_project="prod")
    project.set_api_key("sk-live-123")
    project.save()
    stored = Project.objects.get(pk=project.pk)
    assert "sk-live-123" not in stored.api_key_encrypted
    assert stored.get_api_key() == "sk-live-123"


def test_project_without_a_stored_key_uses_the_environment_key(db, settings):
    settings.AMPERSAND_API_KEY = "from-env"
    project = Project.objects.create(name="dev", ampersand_project="dev")
    assert project.get_api_key() == "from-env"


def test_snapshot_diff_names_what_changed_since_an_older_one(project):
    older_raw = integration_json("diffed", displayName="Old name")
    integration = store_integration(project, older_raw)
    newer_raw = {**older_raw, "latestRevision": {**older_raw["latestRevision"]}}
    newer_raw["latestRevision"]["content"] = {
        **older_raw["latestRevision"]["content"],
        "displayName": "New name",
    }
    newer = Snapshot.from_raw(newer_raw, integration=integration)
    newer.save()

    diff = newer.diff(integration.latest_snapshot)

    assert [(c.kind, c.old, c.new) for c in diff.changes] == [("changed", "Old name", "New name")]
