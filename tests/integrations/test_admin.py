from __future__ import annotations

from integrations.models import Project


def test_project_admin_never_shows_the_stored_api_key(admin_client, db):
    project = Project.objects.create(name="prod", ampersand_project="prod")
    project.set_api_key("sk-live-very-secret")
    project.save()

    html = admin_client.get(f"/admin/integrations/project/{project.pk}/change/").content.decode()

    assert "sk-live-very-secret" not in html
    assert project.api_key_encrypted not in html


def test_project_admin_sets_the_key_write_only(admin_client, db):
    project = Project.objects.create(name="prod", ampersand_project="prod")
    form = {
        "name": "prod",
        "ampersand_project": "prod",
        "api_url": "",
        "api_key": "sk-new",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/integrations/project/{project.pk}/change/", form)
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.get_api_key() == "sk-new"

    form["api_key"] = ""
    admin_client.post(f"/admin/integrations/project/{project.pk}/change/", form)
    project.refresh_from_db()
    assert project.get_api_key() == "sk-new"


def test_ops_pages_list_sync_runs_snapshots_and_memberships(admin_client, project, viewer):
    from integrations.models import SyncRun
    from tests.integrations.conftest import integration_json, store_integration

    store_integration(project, integration_json("in-admin"))
    SyncRun.objects.create(project=project, trigger=SyncRun.Trigger.COMMAND, status="failed")
    for model in ("syncrun", "snapshot", "membership", "integration", "project"):
        response = admin_client.get(f"/admin/integrations/{model}/")
        assert response.status_code == 200, model


def test_snapshots_cannot_be_edited_or_deleted_in_the_admin(admin_client, project):
    from tests.integrations.conftest import integration_json, store_integration

    snapshot = store_integration(project, integration_json("kept")).latest_snapshot
    page = admin_client.get(f"/admin/integrations/snapshot/{snapshot.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    deleted = admin_client.post(
        f"/admin/integrations/snapshot/{snapshot.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403


def test_deploy_records_are_read_only_history_in_the_admin(admin_client, project):
    from integrations.models import DeployRecord

    record = DeployRecord.objects.create(
        project=project, amp_yaml="specVersion: 1.0.0\n", outcome=DeployRecord.Outcome.INVALID
    )

    assert admin_client.get("/admin/integrations/deployrecord/").status_code == 200
    page = admin_client.get(f"/admin/integrations/deployrecord/{record.pk}/change/")
    assert page.status_code == 200
    assert 'type="submit"' not in page.content.decode().split('id="content-main"')[1]
    assert admin_client.get("/admin/integrations/deployrecord/add/").status_code == 403
    deleted = admin_client.post(
        f"/admin/integrations/deployrecord/{record.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert DeployRecord.objects.filter(pk=record.pk).exists()
