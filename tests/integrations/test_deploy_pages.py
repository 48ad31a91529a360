"""Restore, copy, import and export pages, and the deploy records' pages."""

from __future__ import annotations

import copy
import html as html_module
import re

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from emulator.models import Integration as RemoteIntegration
from integrations.ampersand.manifest import build_manifest_yaml, validate_manifest
from integrations.deploy.service import deploy, latest_revisions
from integrations.models import (
    DeployRecord,
    Membership,
    Project,
    ProviderCatalog,
    Snapshot,
    store_catalog,
)
from integrations.services import client_for
from integrations.sync import sync_project
from integrations.views.deploys import numbered_lines
from tests.integrations.conftest import connected_project, seed_remote


@pytest.fixture
def seeded(emulator_api):
    return seed_remote(emulator_api, integrations=3, seed=7)


@pytest.fixture
def project(seeded):
    project = connected_project(seeded)
    sync_project(project=project)
    return project


def reading(project):
    for integration in project.integrations.select_related("latest_snapshot").order_by("name"):
        if integration.latest_snapshot.content.get("read"):
            return integration
    raise AssertionError("no integration that reads")


def changed_version(project, editor, integration):
    """Deploy a 30-day backfill of `integration`; returns the version it replaced."""
    original = integration.latest_snapshot
    content = copy.deepcopy(original.content)
    content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": 30}}
    record = deploy(
        project=project,
        user=editor,
        amp_yaml=build_manifest_yaml([content]),
        base_revisions=latest_revisions(project, [integration.name]),
    )
    assert record.outcome == DeployRecord.Outcome.SUCCEEDED, record.problem_detail
    return original


def form_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the page's deploy form."""
    fields = {}
    for name in ("base_revisions", "idempotency_key"):
        match = re.search(rf'name="{name}" value="([^"]*)"', html)
        assert match, f"no {name} input"
        fields[name] = html_module.unescape(match.group(1))
    return fields


# --- Restore -------------------------------------------------------------------------------------


def test_restore_previews_the_diff_and_deploys_the_old_content_back(project, editor, editor_client):
    integration = reading(project)
    original = changed_version(project, editor, integration)
    url = f"/integrations/{integration.pk}/versions/{original.pk}/restore/"

    preview = editor_client.get(url)

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "backfill" in html.lower()
    assert original.amp_yaml().splitlines()[2] in html  # the exact amp.yaml is shown
    answer = editor_client.post(url, {**form_fields(html), "reason": "undo the backfill"})

    assert answer.status_code == 302
    record = DeployRecord.objects.latest()
    assert answer["Location"] == f"/deploys/{record.pk}/"
    assert (record.kind, record.outcome, record.reason) == (
        "restore",
        "succeeded",
        "undo the backfill",
    )
    live = RemoteIntegration.objects.get(name=integration.name)
    assert live.latest_revision.content == original.content
    integration.refresh_from_db()
    assert integration.latest_snapshot.source == Snapshot.Source.ROLLBACK
    assert editor_client.get(answer["Location"]).status_code == 200


def test_a_double_submitted_restore_deploys_once(project, editor, editor_client):
    integration = reading(project)
    original = changed_version(project, editor, integration)
    url = f"/integrations/{integration.pk}/versions/{original.pk}/restore/"
    fields = form_fields(editor_client.get(url).content.decode())

    first = editor_client.post(url, fields)
    second = editor_client.post(url, fields)

    assert first["Location"] == second["Location"]
    assert DeployRecord.objects.filter(kind="restore").count() == 1


def test_restore_from_a_stale_preview_is_refused_and_says_what_changed(
    project, editor, editor_client
):
    integration = reading(project)
    original = changed_version(project, editor, integration)
    url = f"/integrations/{integration.pk}/versions/{original.pk}/restore/"
    fields = form_fields(editor_client.get(url).content.decode())
    teammate = copy.deepcopy(
        RemoteIntegration.objects.get(name=integration.name).latest_revision.content
    )
    teammate["displayName"] = "A teammate's name"
    with client_for(project) as api:
        api.batch_upsert(build_manifest_yaml([teammate]))

    answer = editor_client.post(url, fields)

    record = DeployRecord.objects.latest()
    assert record.outcome == "conflict"
    page = editor_client.get(answer["Location"]).content.decode()
    assert "display name changed" in page
    assert "Edit this amp.yaml and try again" in page


def test_a_viewer_can_neither_see_nor_use_restore(viewer_client, project, editor):
    client = viewer_client
    integration = reading(project)
    original = changed_version(project, editor, integration)
    url = f"/integrations/{integration.pk}/versions/{original.pk}/restore/"

    assert client.get(url).status_code == 403
    assert client.post(url, {"base_revisions": "{}", "idempotency_key": "x"}).status_code == 403
    history = client.get(f"/integrations/{integration.pk}/history/").content.decode()
    assert "/restore/" not in history


def test_the_amp_yaml_lines_are_escaped_numbered_and_marked_where_an_issue_points():
    rows = str(numbered_lines('name: "<b>&\'"\n  x: 1\n', [2, None, 7])["amp_yaml_rows"])

    assert rows.count("<tr ") == 2
    assert '<tr id="amp-yaml-line-1"><td class="line-no">1</td>' in rows
    assert "<bdi>name: &quot;&lt;b&gt;&amp;&#x27;&quot;</bdi>" in rows
    assert '<tr id="amp-yaml-line-2" class="marked">' in rows
    assert "<bdi>  x: 1</bdi>" in rows


# --- Import --------------------------------------------------------------------------------------


def test_import_with_an_error_shows_it_at_its_line_and_deploys_nothing(project, editor_client):
    integration = reading(project)
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["read"]["objects"][0]["schedule"] = "*/2 * * * *"
    text = build_manifest_yaml([content])
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "*/2 * * * *" in row)

    answer = editor_client.post(f"/projects/{project.pk}/import/", {"text": text})

    assert answer.status_code == 200
    html = answer.content.decode()
    assert f'href="#amp-yaml-line-{line}"' in html
    assert f'id="amp-yaml-line-{line}" class="marked"' in html
    assert "Deploy</button>" not in html
    assert "*/2 * * * *" in html  # the text is kept, to fix
    assert not DeployRecord.objects.exists()


def test_import_previews_each_integration_then_deploys_them_as_one_batch(project, editor_client):
    integrations = list(project.integrations.select_related("latest_snapshot").order_by("name"))
    contents = [copy.deepcopy(i.latest_snapshot.content) for i in integrations]
    contents[0]["displayName"] = "Imported name"
    new = copy.deepcopy(contents[1])
    new["name"] = "imported-new"
    upload = SimpleUploadedFile("amp.yaml", build_manifest_yaml([*contents, new]).encode())

    preview = editor_client.post(f"/projects/{project.pk}/import/", {"file": upload})

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "New integration" in html
    assert "display name changed" in html
    text = re.search(
        r'<textarea name="amp_yaml" hidden aria-hidden="true">(.*?)</textarea>', html, re.S
    )
    fields = {**form_fields(html), "amp_yaml": html_module.unescape(text.group(1))}
    answer = editor_client.post(f"/projects/{project.pk}/import/", fields)

    record = DeployRecord.objects.get()
    assert answer["Location"] == f"/deploys/{record.pk}/"
    assert (record.kind, record.outcome) == ("import", "succeeded")
    assert set(record.result_revisions) == {i.name for i in integrations} | {"imported-new"}
    assert (
        RemoteIntegration.objects.get(name=integrations[0].name).latest_revision.content[
            "displayName"
        ]
        == "Imported name"
    )
    assert project.integrations.filter(name="imported-new").exists()


def test_import_checks_and_names_providers_by_the_catalog_the_sync_stored(project, editor_client):
    content = copy.deepcopy(reading(project).latest_snapshot.content)
    providers = copy.deepcopy(ProviderCatalog.objects.get(base_url=project.base_url).providers)
    providers["brandNew"] = {
        **providers[content["provider"]],
        "name": "brandNew",
        "displayName": "Brand New CRM",
    }
    store_catalog(project.base_url, providers)
    content |= {"name": "on-a-new-provider", "provider": "brandNew"}
    amp_yaml = build_manifest_yaml([content])
    assert not validate_manifest(amp_yaml).ok  # the bundled catalog knows no such provider

    preview = editor_client.post(f"/projects/{project.pk}/import/", {"text": amp_yaml})

    html = preview.content.decode()
    assert "Unknown provider" not in html
    assert '<span dir="auto" title="brandNew"><bdi>Brand New CRM</bdi></span>' in html
    assert "Deploy</button>" in html


@pytest.mark.parametrize(
    "text", ["", "   ", "::: not yaml", "- a\n- b", "specVersion: 2.0.0\nintegrations: []", "\x00"]
)
def test_import_of_junk_answers_a_clear_error_not_a_500(project, editor_client, text):
    answer = editor_client.post(f"/projects/{project.pk}/import/", {"text": text})
    assert answer.status_code == 200
    assert "Deploy</button>" not in answer.content.decode()
    assert not DeployRecord.objects.exists()


@pytest.mark.parametrize("text", ["specVersion: 1.0.0\x00\n", "", "x" * (1024 * 1024 + 1)])
def test_an_import_confirmed_with_text_no_paste_could_hold_is_refused_not_stored(
    project, editor_client, text
):
    # Found by the deploy properties: a NUL reached the deploy record, a 500 on PostgreSQL.
    answer = editor_client.post(
        f"/projects/{project.pk}/import/",
        {"amp_yaml": text, "base_revisions": '{"x": null}', "idempotency_key": "k1"},
    )

    assert answer.status_code == 200
    assert answer.context["form"].errors
    assert not DeployRecord.objects.exists()


@pytest.mark.parametrize("bases", ['{"\\u0000": null}', '{"x": "r\\u0000"}', '{"\\ud800": null}'])
def test_an_import_confirmed_with_bases_no_database_can_keep_is_refused_not_stored(
    project, editor_client, bases
):
    # Found with the API's: JSON's escapes made a NUL or a lone surrogate, a 500 on PostgreSQL.
    answer = editor_client.post(
        f"/projects/{project.pk}/import/",
        {"amp_yaml": 'specVersion: "1.0.0"\n', "base_revisions": bases, "idempotency_key": "k1"},
    )

    assert answer.status_code == 200
    assert answer.context["form"].errors == {
        "base_revisions": ["The preview's base revisions are malformed."]
    }
    assert not DeployRecord.objects.exists()


# A lone surrogate's escape is not YAML that libyaml reads (nor go-yaml, its port).
@pytest.mark.parametrize(
    ("escape", "rule"), [("\\ud800", "yaml-syntax"), ("\\0", "string-control-characters")]
)
def test_import_of_a_name_no_database_can_hold_is_previewed_with_its_error(
    project, editor_client, escape, rule
):
    # Found by the deploy properties: the preview looked the name up, a 500 on PostgreSQL.
    text = f'specVersion: "1.0.0"\nintegrations:\n- name: "a{escape}"\n  provider: x\n'

    answer = editor_client.post(f"/projects/{project.pk}/import/", {"text": text})

    assert answer.status_code == 200
    assert rule in answer.content.decode()


def test_a_failed_import_can_be_reopened_with_its_text(project, editor, editor_client):
    record = deploy(project=project, user=editor, amp_yaml="specVersion: 9\n", base_revisions={})

    page = editor_client.get(f"/projects/{project.pk}/import/?from_deploy={record.pk}")

    assert "specVersion: 9" in page.content.decode()


# --- Copy ----------------------------------------------------------------------------------------


def test_copy_previews_against_the_target_and_deploys_there(
    project, editor, editor_client, emulator_api
):
    target_api = seed_remote(emulator_api, integrations=1, seed=99, name="prod")
    target = connected_project(target_api, name="prod")
    Membership.objects.create(user=editor, project=target, role=Membership.Role.EDITOR)
    integration = reading(project)
    url = f"/integrations/{integration.pk}/copy/?target={target.pk}"

    preview = editor_client.get(url)

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "New integration" in html
    answer = editor_client.post(url, form_fields(html))

    record = DeployRecord.objects.get()
    assert (record.project, record.kind, record.outcome) == (target, "copy", "succeeded")
    copied = RemoteIntegration.objects.get(project__name="prod", name=integration.name)
    assert copied.latest_revision.content == integration.latest_snapshot.content
    assert answer.status_code == 302


def test_copy_offers_only_projects_the_user_may_deploy_to(client, editor, project, other_project):
    Membership.objects.create(user=editor, project=other_project, role=Membership.Role.VIEWER)
    client.force_login(editor)
    integration = reading(project)

    page = client.get(f"/integrations/{integration.pk}/copy/")
    refused = client.get(f"/integrations/{integration.pk}/copy/?target={other_project.pk}")

    assert f'<option value="{other_project.pk}"' not in page.content.decode()
    assert refused.status_code == 200
    assert "You may deploy to no other project" in refused.content.decode()
    assert "Nothing is sent to Ampersand until you deploy" not in refused.content.decode()


# --- Export and records --------------------------------------------------------------------------


def test_any_kept_version_exports_as_amp_yaml(project, editor, editor_client):
    integration = reading(project)
    original = changed_version(project, editor, integration)

    answer = editor_client.get(f"/integrations/{integration.pk}/amp.yaml?snapshot={original.pk}")

    assert answer.status_code == 200
    assert yaml.safe_load(answer.content)["integrations"] == [original.content]
    assert original.revision_id in answer["Content-Disposition"]
    assert (
        editor_client.get(f"/integrations/{integration.pk}/amp.yaml?snapshot=x").status_code == 404
    )
    other = Snapshot.objects.exclude(integration=integration).first()
    assert (
        editor_client.get(
            f"/integrations/{integration.pk}/amp.yaml?snapshot={other.pk}"
        ).status_code
        == 404
    )


def test_the_project_export_redeploys_as_no_change(project, editor, editor_client):
    answer = editor_client.get(f"/projects/{project.pk}/amp.yaml")

    assert answer.status_code == 200
    document = yaml.safe_load(answer.content)
    names = sorted(content["name"] for content in document["integrations"])
    assert names == sorted(project.integrations.values_list("name", flat=True))
    before = {
        r.name: r.latest_revision_id
        for r in RemoteIntegration.objects.filter(project__name=project.ampersand_project)
    }
    record = deploy(
        project=project,
        user=editor,
        amp_yaml=answer.content.decode(),
        base_revisions=latest_revisions(project, names),
    )
    assert record.outcome == "succeeded"
    after = {
        r.name: r.latest_revision_id
        for r in RemoteIntegration.objects.filter(project__name=project.ampersand_project)
    }
    assert after == before


def test_deploys_show_on_the_project_page_and_the_integration_history(
    project, editor, editor_client
):
    integration = reading(project)
    changed_version(project, editor, integration)
    record = DeployRecord.objects.get()

    listing = editor_client.get(f"/projects/{project.pk}/deploys/").content.decode()
    history = editor_client.get(f"/integrations/{integration.pk}/history/").content.decode()

    assert f"/deploys/{record.pk}/" in listing
    assert f"/deploys/{record.pk}/" in history


def test_records_of_other_projects_answer_404(outsider_client, project, editor):
    client = outsider_client
    integration = reading(project)
    changed_version(project, editor, integration)

    assert client.get(f"/deploys/{DeployRecord.objects.get().pk}/").status_code == 404
    assert client.get(f"/projects/{project.pk}/deploys/").status_code == 404
    assert client.get(f"/projects/{project.pk}/amp.yaml").status_code == 404
    assert client.get(f"/projects/{project.pk}/import/").status_code == 404
    assert Project.objects.count() == 2
