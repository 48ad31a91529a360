from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from integrations.models import MissingApiKey, Project, Snapshot, canonical_hash
from integrations.search import search_text
from integrations.snapshots import SnapshotWriter
from tests.integrations.conftest import add_version, integration_json, store_integration


def test_canonical_hash_ignores_key_order_but_not_values():
    assert canonical_hash({"a": 1, "b": [1, 2]}) == canonical_hash({"b": [1, 2], "a": 1})
    assert canonical_hash({"a": 1, "b": [1, 2]}) != canonical_hash({"a": 1, "b": [2, 1]})


def test_snapshots_are_written_by_the_writer_only(project):
    integration = store_integration(project, integration_json("immutable"))
    snapshot = integration.latest_snapshot
    snapshot.raw = {"tampered": True}
    with pytest.raises(TypeError, match="SnapshotWriter"):
        snapshot.save()
    with pytest.raises(TypeError, match="SnapshotWriter"):
        Snapshot.objects.create(integration=integration, raw={}, content_hash="x")
    with pytest.raises(TypeError, match="SnapshotWriter"):
        Snapshot.objects.bulk_create([Snapshot(integration=integration, raw={})])
    snapshot.refresh_from_db()
    assert "tampered" not in snapshot.raw
    assert Snapshot.objects.count() == 1


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
    older = integration.latest_snapshot
    newer = add_version(integration, newer_raw)

    diff = newer.diff(older)

    assert [(c.kind, c.old, c.new) for c in diff.changes] == [("changed", "Old name", "New name")]


def test_snapshot_given_its_json_text_stores_it_as_is_and_reads_back_the_same_data(project):
    raw = integration_json(
        "encoded", read={"objects": [{"objectName": "a", "newThing": [1.5, 2**70]}]}
    )
    raw["latestRevision"]["content"]["displayName"] = 'Ünïcode \u2028 😀 "quoted" \\ back'
    text = json.dumps(raw, indent=1, ensure_ascii=False)
    writer = SnapshotWriter(project_id=project.pk, source="sync", now=timezone.now())
    with transaction.atomic():
        writer.add(None, raw, content_hash=canonical_hash(raw), text=text)
        writer.flush()

    snapshot = Snapshot.objects.get(integration__remote_id=raw["id"])
    assert snapshot.raw == raw
    assert snapshot.read_count == 1
    with connection.cursor() as cursor:
        # The text as given on both databases (on PostgreSQL not jsonb's form of it).
        cursor.execute("SELECT raw FROM integrations_snapshot WHERE id = %s", [snapshot.pk])
        assert cursor.fetchone()[0] == text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL column's storage")
def test_on_postgresql_large_json_is_compressed_with_lz4(project):
    raw = integration_json("large", displayName="repeated words " * 10_000)
    snapshot = store_integration(project, raw).latest_snapshot

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(raw) FROM integrations_snapshot WHERE id = %s",
            [snapshot.pk],
        )
        assert cursor.fetchone()[0] == "lz4"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL column's storage")
@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("integrations_installation", "config"),
        ("integrations_installationconfigversion", "config"),
        ("integrations_snapshotsearchtext", "text"),
    ],
)
def test_on_postgresql_configs_and_search_texts_are_compressed_with_lz4(db, table, column):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attname = %s",
            [table, column],
        )
        assert cursor.fetchone()[0] == "l"


@pytest.mark.parametrize(
    "raw",
    [
        integration_json(
            "Shapes",
            displayName="  Padded  ",
            read={
                "objects": [
                    {
                        "objectName": "Account",
                        "mapToName": None,
                        "requiredFields": [
                            {"fieldName": "Name"},
                            "not-a-field",
                            {"mapToName": "name", "fieldName": 5},
                            {"fieldName": ["unhashable"]},
                            {"mapToDisplayName": "ACCOUNT"},
                        ],
                        "optionalFields": {"fieldName": "not-a-list"},
                    },
                    ["not-an-object"],
                ]
            },
            write={
                "objects": [
                    {
                        "objectName": "account",
                        "optionalFields": [
                            {"fieldName": "Phone", "mapToName": " "},
                            {"fieldName": "phone"},
                            7,
                        ],
                    }
                ]
            },
        ),
        integration_json(  # the usual shape: fields with and without names of their own
            "Usual",
            read={
                "objects": [
                    {
                        "objectName": "contact",
                        "requiredFields": [{"fieldName": "Email"}, {"mapToName": "region_code"}],
                        "optionalFields": [
                            {"fieldName": "phone", "mapToDisplayName": "Phone number"},
                            {"fieldName": "fax", "mapToName": "fax_number"},
                        ],
                    }
                ]
            },
        ),
        {"name": {"not": "text"}, "latestRevision": {"content": "odd"}},
        {
            "name": "x",
            "latestRevision": {"content": {"read": {"objects": [{"requiredFields": [{}]}]}}},
        },
    ],
)
def test_search_text_matches_a_plain_walk_of_the_json(raw):
    assert search_text(raw) == plain_search_text(raw)


def plain_search_text(raw: dict[str, Any]) -> str:
    """The search text as first written: a plain walk, one name at a time."""
    found: list[Any] = [raw.get("name")]
    revision = raw.get("latestRevision")
    content = revision.get("content") if isinstance(revision, dict) else None
    if isinstance(content, dict):
        found += [content.get("name"), content.get("displayName")]
        for action in ("read", "write", "subscribe"):
            section = content.get(action)
            objects = section.get("objects") if isinstance(section, dict) else None
            for obj in objects if isinstance(objects, list) else []:
                if not isinstance(obj, dict):
                    continue
                found += [obj.get(key) for key in ("objectName", "mapToName", "mapToDisplayName")]
                for list_name in ("requiredFields", "optionalFields"):
                    fields = obj.get(list_name)
                    for field in fields if isinstance(fields, list) else []:
                        if isinstance(field, dict):
                            found += [
                                field.get(key)
                                for key in ("fieldName", "mapToName", "mapToDisplayName")
                            ]
    words: dict[str, None] = {}
    for word in found:
        if isinstance(word, str) and word.strip():
            words.setdefault(word.strip().lower(), None)
    return "\n".join(words)


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v1",
        "http://127.0.0.1:8000/emulator/v1",
        "http://127.8.9.10/v1",
        "http://[::1]:8000/v1",
        "http://localhost:8000/v1",
        "",
    ],
)
def test_api_url_may_be_https_or_a_loopback_address(db, url):
    Project(name="p", ampersand_project="p", api_url=url).full_clean()


@pytest.mark.parametrize(
    "url",
    ["http://api.example.com/v1", "http://10.0.0.5/v1", "http://[::2]/v1", "ftp://127.0.0.1/"],
)
def test_api_url_over_plain_http_to_another_host_is_refused(db, url):
    project = Project(name="p", ampersand_project="p", api_url=url)
    with pytest.raises(ValidationError) as error:
        project.full_clean()
    assert "https://" in str(error.value.message_dict["api_url"])


def test_clean_spells_the_environment_url_as_blank(db, settings):
    settings.AMPERSAND_API_URL = "https://api.withampersand.com/v1"
    project = Project(name="p", ampersand_project="p", api_url="https://api.withampersand.com/v1/")
    project.full_clean()
    assert project.api_url == ""


def test_environment_key_is_sent_only_to_the_environment_url(db, settings):
    settings.AMPERSAND_API_URL = "https://api.withampersand.com/v1"
    settings.AMPERSAND_API_KEY = "from-env"
    same = Project.objects.create(
        name="same", ampersand_project="p", api_url="https://api.withampersand.com/v1"
    )
    elsewhere = Project.objects.create(
        name="elsewhere", ampersand_project="p", api_url="https://attacker.example/v1"
    )
    assert same.get_api_key() == "from-env"
    with pytest.raises(MissingApiKey, match="no API key of its own"):
        elsewhere.get_api_key()


def test_stored_key_is_never_sent_to_an_insecure_url_saved_around_the_validation(db):
    project = Project.objects.create(name="p", ampersand_project="p")
    project.set_api_key("own-key")
    project.save()
    Project.objects.filter(pk=project.pk).update(api_url="http://attacker.example/v1")
    with pytest.raises(MissingApiKey, match="https://"):
        Project.objects.get(pk=project.pk).get_api_key()


def test_changing_the_url_forgets_the_stored_key(db):
    project = Project.objects.create(name="p", ampersand_project="p", api_url="https://a.test/v1")
    project.set_api_key("key-for-a")
    project.save()
    project = Project.objects.get(pk=project.pk)
    project.api_url = "https://b.test/v1"
    project.save()
    assert Project.objects.get(pk=project.pk).api_key_encrypted == ""


def test_changing_the_url_with_update_fields_forgets_the_key_too(db):
    project = Project.objects.create(name="p", ampersand_project="p", api_url="https://a.test/v1")
    project.set_api_key("key-for-a")
    project.save()
    project = Project.objects.only("pk", "name").get(pk=project.pk)
    project.api_url = "https://b.test/v1"
    project.save(update_fields=["api_url"])
    assert Project.objects.get(pk=project.pk).api_key_encrypted == ""


def test_a_key_given_with_the_new_url_is_kept(db):
    project = Project.objects.create(name="p", ampersand_project="p", api_url="https://a.test/v1")
    project.set_api_key("key-for-a")
    project.save()
    project = Project.objects.get(pk=project.pk)
    project.api_url = "https://b.test/v1"
    project.set_api_key("key-for-b")
    project.save()
    assert Project.objects.get(pk=project.pk).get_api_key() == "key-for-b"


def test_saving_other_fields_keeps_the_key(db):
    project = Project.objects.create(name="p", ampersand_project="p", api_url="https://a.test/v1")
    project.set_api_key("key-for-a")
    project.save()
    project = Project.objects.get(pk=project.pk)
    project.ampersand_project = "renamed"
    project.save()
    assert Project.objects.get(pk=project.pk).get_api_key() == "key-for-a"


def test_respelling_the_same_url_keeps_the_key(db, settings):
    settings.AMPERSAND_API_URL = "https://api.withampersand.com/v1"
    project = Project.objects.create(
        name="p", ampersand_project="p", api_url="https://api.withampersand.com/v1/"
    )
    project.set_api_key("own-key")
    project.save()
    project = Project.objects.get(pk=project.pk)
    project.full_clean()
    project.save()
    assert project.api_url == ""
    assert Project.objects.get(pk=project.pk).get_api_key() == "own-key"
