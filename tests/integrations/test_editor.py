"""The integration editor: drafts saved as typed, previewed, deployed, merged (emulator)."""

from __future__ import annotations

import copy
import html as html_module
import re

import pytest
import yaml
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from emulator.models import Installation as RemoteInstallation
from emulator.models import Integration as RemoteIntegration
from emulator.signals import response_served
from integrations.ampersand.manifest import build_manifest_yaml, validate_manifest
from integrations.forms import DraftTextForm
from integrations.models import DeployRecord, Draft, Membership, Snapshot
from integrations.sync import sync_project
from tests.integrations.conftest import connected_project, seed_remote
from tests.integrations.test_deploy_pages import form_fields as deploy_form_fields

HTMX = {"headers": {"HX-Request": "true"}}


@pytest.fixture
def seeded(emulator_api):
    return seed_remote(emulator_api, integrations=3, seed=7)


@pytest.fixture
def project(seeded):
    project = connected_project(seeded)
    sync_project(project=project)
    return project


@pytest.fixture
def teammate(django_user_model, project):
    user = django_user_model.objects.create_user("teammate", password="pw-teammate-1")
    Membership.objects.create(user=user, project=project, role=Membership.Role.EDITOR)
    return user


@pytest.fixture
def teammate_client(teammate):
    client = Client()
    client.force_login(teammate)
    return client


def form_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the preview's deploy form, the previewed digest included."""
    match = re.search(r'name="previewed" value="([0-9a-f]{64})"', html)
    assert match, "no previewed input"
    return {**deploy_form_fields(html), "previewed": match.group(1)}


def reading(project):
    for integration in project.integrations.select_related("latest_snapshot").order_by("name"):
        if integration.latest_snapshot.content.get("read") and integration.provider not in (
            "snowflake",
            "google",
        ):
            return integration
    raise AssertionError("no integration that reads")


def urls(integration) -> dict[str, str]:
    base = f"/integrations/{integration.pk}/edit/"
    return {
        "edit": base,
        "yaml": f"{base}?view=yaml",
        "autosave": f"{base}autosave/",
        "discard": f"{base}discard/",
        "preview": f"{base}preview/",
        "rebase": f"{base}rebase/",
    }


def with_backfill(integration, days: int) -> str:
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["read"]["objects"][0]["backfill"] = {"defaultPeriod": {"days": days}}
    return build_manifest_yaml([content])


def deploy_draft(client, integration, reason: str = ""):
    page = client.get(urls(integration)["preview"])
    assert page.status_code == 200
    return client.post(
        urls(integration)["preview"], {**form_fields(page.content.decode()), "reason": reason}
    )


# --- Drafts --------------------------------------------------------------------------------------


def test_opening_the_editor_shows_the_latest_amp_yaml_and_makes_no_draft(project, editor_client):
    integration = reading(project)

    page = editor_client.get(urls(integration)["yaml"])

    assert page.status_code == 200
    text = html_module.unescape(page.content.decode())
    assert integration.latest_snapshot.amp_yaml().splitlines()[3] in text
    assert not Draft.objects.exists()


def test_autosave_keeps_invalid_text_as_typed_then_its_issues_come_with_lines(
    project, editor, editor_client, monkeypatch
):
    integration = reading(project)
    broken = integration.latest_snapshot.amp_yaml() + "\n  - this: [is not closed\n"

    def no_validation(*args, **kwargs):
        raise AssertionError("the save waited on the validator")

    with monkeypatch.context() as patched:
        patched.setattr("integrations.models.validate_manifest", no_validation)
        answer = editor_client.post(urls(integration)["autosave"], {"text": broken}, **HTMX)

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Saved to your draft" in html
    issues_url = f"/integrations/{integration.pk}/edit/issues/"
    assert f'hx-get="{issues_url}" hx-trigger="load"' in html
    draft = Draft.objects.get(user=editor, integration=integration)
    assert draft.text == broken
    assert draft.issues is None
    issues = editor_client.get(issues_url, **HTMX).content.decode()
    assert issues.strip().startswith('<div id="draft-issues">')
    assert "yaml-syntax" in issues
    assert re.search(r"line \d+", issues)
    draft.refresh_from_db()
    assert [issue["rule"] for issue in draft.issues] == ["yaml-syntax"]
    assert draft.text == broken
    assert draft.content == integration.latest_snapshot.content  # the last readable version
    assert draft.base_revision == integration.latest_snapshot.revision_id


def test_issues_of_an_older_text_never_land_on_a_newer_one(project, editor, editor_client):
    integration = reading(project)
    editor_client.post(urls(integration)["autosave"], {"text": "integrations: ["}, **HTMX)
    reader = Draft.objects.get(user=editor)  # the issues request, as it began
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )

    reader.catch_up()  # ends after the newer save

    draft = Draft.objects.get(user=editor)
    assert draft.issues is None  # left for the newer text's own reading
    assert draft.text == with_backfill(integration, 45)
    editor_client.get(f"/integrations/{integration.pk}/edit/issues/", **HTMX)
    draft.refresh_from_db()
    assert draft.issues is not None
    assert "yaml-syntax" not in [issue["rule"] for issue in draft.issues]
    assert draft.content["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 45}}


def test_autosave_of_readable_text_moves_the_content_along(project, editor, editor_client):
    integration = reading(project)

    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )
    assert Draft.objects.get(user=editor).issues is None  # kept as typed, not read yet

    assert editor_client.get(urls(integration)["edit"]).status_code == 200  # which reads it
    draft = Draft.objects.get(user=editor)
    assert draft.content["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 45}}


def test_an_autosave_keeps_the_text_in_one_update_and_asks_for_its_issues(
    project, editor, editor_client, django_assert_num_queries
):
    integration = reading(project)
    editor_client.post(urls(integration)["autosave"], {"text": "first"}, **HTMX)

    # The session, its user, the integration (with the access check and the role), the UPDATE.
    with django_assert_num_queries(4):
        answer = editor_client.post(urls(integration)["autosave"], {"text": "second"}, **HTMX)

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Saved to your draft" in html
    assert f'hx-get="/integrations/{integration.pk}/edit/issues/"' in html
    draft = Draft.objects.get(user=editor)
    assert (draft.text, draft.issues, draft.text_read) == ("second", None, None)


def test_an_autosave_of_the_same_text_keeps_its_reading(project, editor, editor_client):
    integration = reading(project)
    typed = with_backfill(integration, 45)
    editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)
    editor_client.get(f"/integrations/{integration.pk}/edit/issues/", **HTMX)
    read = Draft.objects.get(user=editor)

    editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)

    draft = Draft.objects.get(user=editor)
    assert (draft.issues, draft.text_read) == (read.issues, True)
    assert draft.updated_at >= read.updated_at


def test_an_autosave_arriving_after_a_discard_in_another_tab_keeps_the_typed_text(
    project, editor, editor_client, monkeypatch
):
    integration = reading(project)
    editor_client.post(urls(integration)["autosave"], {"text": "first"}, **HTMX)
    typed = with_backfill(integration, 45)
    clean_text = DraftTextForm.clean_text

    def discarded_meanwhile(form):
        Draft.objects.filter(user=editor).delete()  # the other tab's discard, as this one saves
        return clean_text(form)

    monkeypatch.setattr(DraftTextForm, "clean_text", discarded_meanwhile)
    answer = editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Saved to your draft" in html
    assert "Discard draft" in html  # the new draft's buttons
    draft = Draft.objects.get(user=editor, integration=integration)
    assert draft.text == typed
    assert draft.base_revision == integration.latest_snapshot.revision_id


def test_a_reload_shows_the_draft_as_typed(project, editor_client):
    integration = reading(project)
    typed = "specVersion: 1.0.0\nintegrations:\n  - name: half typed\n    provider: [\n"
    editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)

    page = editor_client.get(urls(integration)["yaml"]).content.decode()

    assert html_module.escape(typed, quote=False) in page
    assert "Discard draft" in page
    assert "yaml-syntax" in page


def test_autosave_without_javascript_saves_and_comes_back_to_the_editor(project, editor_client):
    integration = reading(project)

    answer = editor_client.post(urls(integration)["autosave"], {"text": "junk: ["})

    assert answer.status_code == 302
    assert answer["Location"] == urls(integration)["yaml"]
    assert Draft.objects.get().text == "junk: ["


def test_the_display_name_form_and_the_amp_yaml_edit_the_same_draft(project, editor, editor_client):
    integration = reading(project)
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )

    answer = editor_client.post(urls(integration)["edit"], {"display_name": "Sales CRM"}, **HTMX)

    assert answer.status_code == 200
    assert 'id="integration-form"' in answer.content.decode()
    draft = Draft.objects.get(user=editor)
    assert draft.content["displayName"] == "Sales CRM"
    assert draft.content["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 45}}
    declared = yaml.safe_load(draft.amp_yaml())["integrations"][0]
    assert declared["displayName"] == "Sales CRM"
    assert declared["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 45}}


def test_the_display_name_form_works_without_javascript(project, editor, editor_client):
    integration = reading(project)

    answer = editor_client.post(urls(integration)["edit"], {"display_name": "Plain POST"})

    assert answer.status_code == 302
    assert Draft.objects.get(user=editor).content["displayName"] == "Plain POST"


def test_the_form_refuses_to_rewrite_unreadable_text_which_is_kept(project, editor, editor_client):
    integration = reading(project)
    editor_client.post(urls(integration)["autosave"], {"text": "integrations: ["}, **HTMX)

    answer = editor_client.post(urls(integration)["edit"], {"display_name": "New name"})

    assert answer.status_code == 200
    assert "cannot read" in answer.content.decode()
    draft = Draft.objects.get(user=editor)
    assert draft.text == "integrations: ["
    assert "displayName" not in draft.content or draft.content["displayName"] != "New name"


def test_a_draft_keeps_the_issues_found_when_it_was_saved_and_the_editor_shows_them(
    project, editor, editor_client, monkeypatch
):
    integration = reading(project)
    editor_client.post(urls(integration)["autosave"], {"text": "integrations: ["}, **HTMX)
    editor_client.get(f"/integrations/{integration.pk}/edit/issues/", **HTMX)
    draft = Draft.objects.get(user=editor)
    assert [issue["rule"] for issue in draft.issues] == ["yaml-syntax"]

    def no_validation(*args, **kwargs):
        raise AssertionError("the editor validated the draft again")

    monkeypatch.setattr("integrations.models.validate_manifest", no_validation)
    forms = editor_client.get(urls(integration)["edit"]).content.decode()
    page = editor_client.get(urls(integration)["yaml"]).content.decode()

    assert "yaml-syntax" in forms
    assert "cannot read" in forms  # the forms wait until the text reads again
    assert "yaml-syntax" in page
    assert re.search(r"line \d+", page)


def test_the_forms_of_an_unchanged_draft_are_kept_and_a_change_shows_at_once(
    project, editor, editor_client, monkeypatch
):
    integration = reading(project)
    editor_client.post(urls(integration)["edit"], {"display_name": "First name"}, **HTMX)
    first = editor_client.get(urls(integration)["edit"]).content.decode()

    def not_again(*args, **kwargs):
        raise AssertionError("the forms were made again for an unchanged draft")

    with monkeypatch.context() as patched:
        patched.setattr("integrations.views.editor._section_editor", not_again)
        patched.setattr("integrations.views.editor._object_summary", not_again)
        again = editor_client.get(urls(integration)["edit"]).content.decode()
    assert 'value="First name"' in again
    assert again.count("<form") == first.count("<form")

    editor_client.post(urls(integration)["edit"], {"display_name": "Second name"}, **HTMX)
    changed = editor_client.get(urls(integration)["edit"]).content.decode()
    assert 'value="Second name"' in changed
    assert 'value="First name"' not in changed


def test_kept_forms_hold_csrf_tokens_each_session_can_post_with(project, editor):
    """The forms are kept per CSRF secret: a new login (a new secret) never gets the forms, and
    tokens, another session was shown."""
    integration = reading(project)
    sessions = []
    for _ in range(2):
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(editor)
        page = browser.get(urls(integration)["edit"]).content.decode()
        sessions.append((browser, re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)))

    for number, (browser, tokens) in enumerate(sessions):
        answer = browser.post(
            urls(integration)["edit"],
            {"display_name": f"From session {number}", "csrfmiddlewaretoken": tokens[-1]},
        )
        assert answer.status_code == 302
        assert Draft.objects.get(user=editor).content["displayName"] == f"From session {number}"


def test_every_save_of_a_draft_finds_its_issues_again(project, editor):
    integration = reading(project)
    draft = Draft.start(integration, editor)
    draft.take_amp_yaml("integrations: [")

    draft.set_content({**draft.content, "displayName": "Back to the content"})

    assert draft.found_issues() == Draft.objects.get().found_issues()
    assert "yaml-syntax" not in [issue.rule for issue in draft.found_issues()]

    def without_place(issues):
        return [(i.severity, i.rule, i.path, i.message) for i in issues]

    # Built from the content, checked as a document: the same issues, with no line to give.
    assert without_place(draft.found_issues()) == without_place(
        draft.read_text(draft.amp_yaml())[1]
    )


def test_a_draft_saved_before_issues_were_kept_has_them_found_when_shown(project, editor):
    integration = reading(project)
    draft = Draft.start(integration, editor)
    draft.take_amp_yaml("integrations: [")
    Draft.objects.update(issues=None)

    [issue] = Draft.objects.get().found_issues()

    assert issue.rule == "yaml-syntax"


def test_discarding_deletes_only_my_draft(project, editor, editor_client, teammate_client):
    integration = reading(project)
    editor_client.post(urls(integration)["autosave"], {"text": "mine"}, **HTMX)
    teammate_client.post(urls(integration)["autosave"], {"text": "theirs"}, **HTMX)

    answer = editor_client.post(urls(integration)["discard"])

    assert answer.status_code == 302
    assert list(Draft.objects.values_list("text", flat=True)) == ["theirs"]


def test_others_see_that_a_draft_exists_and_whose(project, editor_client, teammate_client):
    integration = reading(project)
    teammate_client.post(urls(integration)["autosave"], {"text": "theirs"}, **HTMX)

    detail = editor_client.get(f"/integrations/{integration.pk}/").content.decode()
    editor_page = editor_client.get(urls(integration)["edit"]).content.decode()

    assert "<strong>teammate</strong> has a draft" in detail
    assert "<strong>teammate</strong> also has a draft" in editor_page
    assert "theirs" not in editor_page


def test_the_editor_reads_the_integration_once_and_no_other_drafts_content(
    project, editor_client, teammate_client
):
    integration = reading(project)
    teammate_client.post(urls(integration)["autosave"], {"text": "theirs"}, **HTMX)
    editor_client.post(urls(integration)["autosave"], {"text": "mine"}, **HTMX)

    with CaptureQueriesContext(connection) as queries:
        assert editor_client.get(urls(integration)["edit"]).status_code == 200

    selects = [query["sql"] for query in queries.captured_queries]
    assert len([sql for sql in selects if 'FROM "integrations_integration"' in sql]) == 1
    others = [sql for sql in selects if 'NOT ("integrations_draft"."user_id"' in sql]
    assert len(others) == 1
    assert '"integrations_draft"."content"' not in others[0]
    assert '"integrations_draft"."text"' not in others[0]


def test_the_editor_and_the_preview_of_a_draft_run_a_constant_number_of_queries(
    project, editor_client, django_assert_num_queries
):
    integration = reading(project)
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )
    editor_client.get(urls(integration)["edit"])  # reads the typed text once

    # session, user, the integration (with the access check, the role and the provider
    # catalog's version), the draft, the other users' drafts
    with django_assert_num_queries(5):
        assert editor_client.get(urls(integration)["edit"]).status_code == 200
    # the same four, the latest versions of what the amp.yaml declares
    with django_assert_num_queries(5):
        assert editor_client.get(urls(integration)["preview"]).status_code == 200


def test_a_viewer_may_not_edit(project, viewer_client, editor):
    integration = reading(project)
    editor_client = Client()
    editor_client.force_login(editor)
    editor_client.post(urls(integration)["autosave"], {"text": "x"}, **HTMX)
    pages = urls(integration)

    assert viewer_client.get(pages["edit"]).status_code == 403
    for name in ("edit", "autosave", "discard", "preview", "rebase"):
        assert (
            viewer_client.post(pages[name], {"text": "y", "display_name": "z"}).status_code == 403
        )
    assert Draft.objects.get().text == "x"
    assert "/edit/" not in viewer_client.get(f"/integrations/{integration.pk}/").content.decode()


# --- Preview and deploy --------------------------------------------------------------------------


def test_a_draft_is_previewed_deployed_and_then_closed(project, editor, editor_client):
    integration = reading(project)
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )

    preview = editor_client.get(urls(integration)["preview"]).content.decode()
    assert "last 45 days" in preview
    answer = deploy_draft(editor_client, integration, reason="a longer backfill")

    record = DeployRecord.objects.latest()
    assert answer["Location"] == f"/deploys/{record.pk}/"
    assert (record.kind, record.outcome, record.reason) == (
        "deploy",
        "succeeded",
        "a longer backfill",
    )
    remote = RemoteIntegration.objects.get(name=integration.name).latest_revision.content
    assert remote["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 45}}
    assert not Draft.objects.exists()
    integration.refresh_from_db()
    assert integration.latest_snapshot.deploy == record


def test_a_typed_drafts_preview_uses_the_reading_kept_at_its_save(
    project, editor, editor_client, monkeypatch
):
    integration = reading(project)
    typed = with_backfill(integration, 45).replace("specVersion: 1.0.0", "specVersion: 1.0.0\n#")
    editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)
    editor_client.get(f"/integrations/{integration.pk}/edit/issues/", **HTMX)
    Draft.objects.update(text_read=None)  # not known: the preview validates the text
    validated = editor_client.get(urls(integration)["preview"]).content.decode()
    Draft.objects.update(text_read=True)
    draft = Draft.objects.get(user=editor)
    full = validate_manifest(typed)
    kept = draft.kept_reading()
    assert kept.manifest["integrations"] == full.manifest["integrations"]
    assert kept.issues == full.issues

    def no_validation(*args, **kwargs):
        raise AssertionError("the preview validated the draft again")

    monkeypatch.setattr("integrations.deploy.preview.validate_manifest", no_validation)
    monkeypatch.setattr("integrations.models.validate_manifest", no_validation)
    preview = editor_client.get(urls(integration)["preview"]).content.decode()

    assert "last 45 days" in preview
    token = re.compile(r'(value|nonce|"X-CSRFToken"): ?"[^"]*"|(value|nonce)="[^"]*"')
    assert token.sub("", preview) == token.sub("", validated)


def test_a_draft_deploy_submitted_twice_deploys_once(project, editor_client):
    integration = reading(project)
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )
    page = editor_client.get(urls(integration)["preview"]).content.decode()
    fields = form_fields(page)

    first = editor_client.post(urls(integration)["preview"], fields)
    second = editor_client.post(urls(integration)["preview"], fields)

    assert first["Location"] == second["Location"]
    assert DeployRecord.objects.count() == 1


def test_a_draft_edited_after_its_preview_is_previewed_again_not_deployed(project, editor_client):
    integration = reading(project)
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )
    fields = form_fields(editor_client.get(urls(integration)["preview"]).content.decode())
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 60)}, **HTMX
    )

    answer = editor_client.post(urls(integration)["preview"], fields)

    assert answer.status_code == 200
    assert "changed since that preview" in answer.content.decode()
    assert not DeployRecord.objects.exists()


def test_an_invalid_draft_fails_its_deploy_and_is_kept(project, editor, editor_client):
    integration = reading(project)
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["read"]["objects"][0]["schedule"] = "*/2 * * * *"
    text = build_manifest_yaml([content])
    editor_client.post(urls(integration)["autosave"], {"text": text}, **HTMX)

    preview = editor_client.get(urls(integration)["preview"]).content.decode()

    assert "breaks" in preview
    assert "Deploy</button>" not in preview
    assert Draft.objects.get(user=editor).text == text


def test_two_editors_the_second_deploy_is_refused_then_merged_and_deployed(
    project, editor, teammate, editor_client, teammate_client
):
    integration = reading(project)
    base_revision = integration.latest_snapshot.revision_id
    first_name = integration.latest_snapshot.content["read"]["objects"][0]["objectName"]
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )
    teammate_client.post(urls(integration)["edit"], {"display_name": "Teammate's name"})
    mine_preview = editor_client.get(urls(integration)["preview"]).content.decode()
    assert deploy_draft(teammate_client, integration).status_code == 302

    answer = editor_client.post(urls(integration)["preview"], form_fields(mine_preview))

    assert answer["Location"] == urls(integration)["rebase"]
    record = DeployRecord.objects.latest()
    assert record.outcome == "conflict"
    assert record.user == editor
    draft = Draft.objects.get(user=editor)  # nothing I typed is lost
    assert draft.content["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 45}}
    assert draft.base_revision == base_revision
    editor_page = editor_client.get(urls(integration)["edit"]).content.decode()
    assert "changed since your draft began" in editor_page
    rebase = editor_client.get(answer["Location"]).content.decode()
    assert "display name changed" in rebase  # their change
    assert "backfill" in rebase  # mine
    assert "No conflict" in rebase
    ids = re.findall(r'\sid="([^"]+)"', rebase)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []  # both sides' sections apart

    merged = editor_client.post(urls(integration)["rebase"], {})

    assert merged.status_code == 302
    draft.refresh_from_db()
    integration.refresh_from_db()
    assert draft.base_snapshot_id == integration.latest_snapshot_id
    assert draft.content["displayName"] == "Teammate's name"
    assert deploy_draft(editor_client, integration).status_code == 302
    remote = RemoteIntegration.objects.get(name=integration.name).latest_revision.content
    assert remote["displayName"] == "Teammate's name"
    assert remote["read"]["objects"][0]["objectName"] == first_name
    assert remote["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 45}}


def test_a_conflict_on_one_setting_is_chosen_by_the_user(
    project, editor, teammate, editor_client, teammate_client
):
    integration = reading(project)
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )
    teammate_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 90)}, **HTMX
    )
    deploy_draft(teammate_client, integration)

    page = editor_client.get(urls(integration)["rebase"]).content.decode()

    assert "1 conflict" in page
    key = re.search(r'name="(c[0-9a-f]{12})" value="remote"', page).group(1)
    editor_client.post(urls(integration)["rebase"], {key: "remote"})
    draft = Draft.objects.get(user=editor)
    assert draft.content["read"]["objects"][0]["backfill"] == {"defaultPeriod": {"days": 90}}
    assert draft.base_snapshot_id == Snapshot.objects.filter(integration=integration).latest().pk


# --- Blast radius --------------------------------------------------------------------------------


@pytest.fixture
def emulator_requests():
    """The operations the emulator answers while the test runs."""
    served: list[str] = []

    def record(sender, operation_id, **kwargs):
        served.append(operation_id)

    response_served.connect(record, weak=False)
    yield served
    response_served.disconnect(record)


def without_first_read_object(integration) -> str:
    content = copy.deepcopy(integration.latest_snapshot.content)
    content["read"]["objects"].pop(0)
    if not content["read"]["objects"]:
        content["proxy"] = {"enabled": True}
    return build_manifest_yaml([content])


def test_the_preview_names_the_kept_customers_a_removed_object_touches_without_asking_the_api(
    project, editor_client, emulator_requests
):
    integration = reading(project)
    removed = integration.latest_snapshot.content["read"]["objects"][0]["objectName"]
    editor_client.post(
        urls(integration)["autosave"], {"text": without_first_read_object(integration)}, **HTMX
    )
    installations = RemoteInstallation.objects.filter(integration__name=integration.name)
    selecting = [
        i.group.get("groupName") or i.group["groupRef"]
        for i in installations
        if removed in i.config["content"].get("read", {}).get("objects", {})
    ]
    assert selecting, "the seed gives every installation the first read object"
    emulator_requests.clear()

    page = html_module.unescape(editor_client.get(urls(integration)["preview"]).content.decode())

    assert f"{len(selecting)} of {installations.count()} customer" in page
    for name in selecting:
        assert name in page
    assert emulator_requests == []


def test_the_preview_without_kept_installations_says_unknown_and_offers_to_refresh_them(
    project, editor_client, emulator_requests
):
    integration = reading(project)
    integration.installations.all().delete()
    editor_client.post(
        urls(integration)["autosave"], {"text": without_first_read_object(integration)}, **HTMX
    )
    emulator_requests.clear()

    page = editor_client.get(urls(integration)["preview"])

    html = page.content.decode()
    assert page.status_code == 200
    assert "Customers affected: unknown" in html
    assert emulator_requests == []
    refresh = reverse("integrations:installations-refresh", args=[integration.pk])
    assert f'action="{refresh}"' in html
    assert f'name="next" value="{urls(integration)["preview"]}"' in html

    refreshed = editor_client.post(refresh, {"next": urls(integration)["preview"]}, follow=True)

    html = html_module.unescape(refreshed.content.decode())
    assert refreshed.redirect_chain == [(urls(integration)["preview"], 302)]
    assert emulator_requests == ["listInstallations"]
    assert "Installations refreshed from Ampersand" in html
    assert "Customers affected: unknown" not in html
    assert re.search(r"\d+ of \d+ customers?</strong>", html)


def test_refresh_now_refuses_to_lead_to_another_site(project, editor_client):
    integration = reading(project)
    refresh = reverse("integrations:installations-refresh", args=[integration.pk])

    response = editor_client.post(refresh, {"next": "https://evil.example/"})

    assert response.status_code == 302
    assert response.url == reverse("integrations:tab", args=[integration.pk, "installations"])


# --- Junk input ----------------------------------------------------------------------------------

JUNK = [
    "",
    "\x00\x01",
    "a" * 5000,
    "{{ }} {% %}",
    "integrations:\n  - name: [1, 2]\n",
    "specVersion: 1.0.0\nintegrations: 7\n",
    "- - - -",
    "&a [*a, *a]",
    "x" * (1024 * 1024 + 1),
]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_input_gives_form_errors_never_a_server_error(project, editor_client, junk):
    integration = reading(project)
    pages = urls(integration)

    for method, url, data in (
        ("post", pages["autosave"], {"text": junk}),
        ("post", pages["edit"], {"display_name": junk}),
        (
            "post",
            pages["preview"],
            {"base_revisions": junk, "idempotency_key": junk, "previewed": junk},
        ),
        ("post", pages["rebase"], {"c000": junk}),
        ("get", pages["edit"], {"display_name": junk[:100]}),
    ):
        answer = getattr(editor_client, method)(url, data, **HTMX)
        assert answer.status_code < 500, (url, answer.status_code)
    assert editor_client.get(pages["edit"]).status_code == 200
    assert editor_client.get(pages["preview"]).status_code < 500


def test_a_deploy_that_fails_at_ampersand_keeps_the_draft(project, editor, editor_client):
    integration = reading(project)
    text = with_backfill(integration, 45)
    editor_client.post(urls(integration)["autosave"], {"text": text}, **HTMX)
    fields = form_fields(editor_client.get(urls(integration)["preview"]).content.decode())
    project.api_url = "http://127.0.0.1:9/v1"
    project.save()

    answer = editor_client.post(urls(integration)["preview"], fields)

    record = DeployRecord.objects.get()
    assert answer["Location"] == f"/deploys/{record.pk}/"
    assert record.outcome == "failed"
    assert Draft.objects.get(user=editor).text == text


def test_the_merge_waits_until_the_typed_text_can_be_read(
    project, editor, editor_client, teammate_client
):
    integration = reading(project)
    typed = with_backfill(integration, 45) + "\n  broken: [\n"
    editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)
    teammate_client.post(urls(integration)["edit"], {"display_name": "Theirs"})
    deploy_draft(teammate_client, integration)

    answer = editor_client.post(urls(integration)["rebase"], {})

    assert answer["Location"] == urls(integration)["edit"]
    draft = Draft.objects.get(user=editor)
    assert draft.text == typed
    assert draft.base_snapshot_id != integration.snapshots.latest().pk


def test_a_nul_escape_typed_in_the_amp_yaml_is_kept_as_text_not_as_content(
    project, editor, editor_client
):
    """PostgreSQL's JSON cannot hold U+0000: such text is kept as typed, its content is not
    followed, and the validator says why."""
    integration = reading(project)
    typed = re.sub(
        r"(objectName: )(\w+)", r'\1"\2\\u0000"', with_backfill(integration, 45), count=1
    )
    parsed = validate_manifest(typed).manifest
    assert parsed["integrations"][0]["read"]["objects"][0]["objectName"].endswith("\x00")

    answer = editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)

    assert answer.status_code == 200
    draft = Draft.objects.get(user=editor)
    assert draft.text == typed
    assert draft.content == integration.latest_snapshot.content
    assert not draft.text_follows_content()


def test_a_key_typed_with_a_nul_escape_is_named_in_its_issue_and_the_draft_stays_usable(
    project, editor, editor_client
):
    # Found by fuzzing the editor on PostgreSQL: the issue's path held the NUL, which no draft
    # could keep, and every page of the draft answered 500 from then on.
    integration = reading(project)
    typed = '"x\\0": 1\n' + with_backfill(integration, 45)

    editor_client.post(urls(integration)["autosave"], {"text": typed}, **HTMX)

    for page in ("edit", "yaml", "preview"):
        assert editor_client.get(urls(integration)[page]).status_code == 200, page
    draft = Draft.objects.get(user=editor)
    assert draft.text == typed
    assert "x\\x00" in [issue["path"] for issue in draft.issues]


@pytest.mark.parametrize("bases", ['{"\\ud800": null}', '{"x\\u0000": null}'])
def test_a_preview_confirmed_with_bases_no_page_can_hold_is_shown_again_not_deployed(
    project, editor_client, bases
):
    # Found by fuzzing: the preview wrote the bases back as sent, a lone surrogate UTF-8 cannot
    # encode, and answered 500.
    integration = reading(project)
    editor_client.post(
        urls(integration)["autosave"], {"text": with_backfill(integration, 45)}, **HTMX
    )
    fields = form_fields(editor_client.get(urls(integration)["preview"]).content.decode())

    answer = editor_client.post(urls(integration)["preview"], {**fields, "base_revisions": bases})

    assert answer.status_code == 200
    assert answer.context["form"].errors == {
        "base_revisions": ["The preview's base revisions are malformed."]
    }
    assert not DeployRecord.objects.exists()
