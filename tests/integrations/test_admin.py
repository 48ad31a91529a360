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
