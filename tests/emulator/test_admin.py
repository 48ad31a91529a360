from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from emulator.models import ApiKey
from tests.dashboard.test_settings import PRODUCTION, manage
from tests.emulator.helpers import READ_ACCOUNTS, manifest, project_client

SECRET = "emu-secret-0123456789abcdef"


@pytest.fixture
def admin_client_with_state(client, emulator_api, urls):
    with project_client(emulator_api) as api:
        api.put("./integrations:batch", json={"sourceYaml": manifest(READ_ACCOUNTS)})
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    return client


@pytest.fixture
def urls(settings):
    settings.ROOT_URLCONF = "tests.emulator.admin_urls"


@pytest.mark.parametrize(
    "model",
    ["project", "apikey", "destination", "integration", "revision", "installation", "operation"],
)
def test_the_admin_lists_each_emulator_model(admin_client_with_state, model):
    response = admin_client_with_state.get(f"/emulator-admin/emulator/{model}/")

    assert response.status_code == 200


def test_integrations_are_read_only_in_the_admin(admin_client_with_state):
    response = admin_client_with_state.get("/emulator-admin/emulator/integration/add/")

    assert response.status_code == 403


def test_api_keys_are_masked_in_the_list_and_on_their_page(
    admin_client_with_state, emulator_project
):
    api_key = ApiKey.objects.create(key=SECRET, project=emulator_project, label="ci")

    listed = admin_client_with_state.get("/emulator-admin/emulator/apikey/").content.decode()
    page = admin_client_with_state.get(f"/emulator-admin/emulator/apikey/{api_key.pk}/change/")

    assert SECRET not in listed
    assert "••••cdef" in listed
    assert "test-key" not in listed
    assert SECRET not in page.content.decode()


def test_api_keys_are_written_only(admin_client_with_state, emulator_project):
    api_key = ApiKey.objects.create(key=SECRET, project=emulator_project, label="ci")
    url = f"/emulator-admin/emulator/apikey/{api_key.pk}/change/"
    form = {"key": "", "project": emulator_project.pk, "label": "ci", "active": "on"}

    assert admin_client_with_state.post(url, form).status_code == 302
    api_key.refresh_from_db()
    assert api_key.key == SECRET

    admin_client_with_state.post(url, {**form, "key": "emu-new-key"})
    api_key.refresh_from_db()
    assert api_key.key == "emu-new-key"


REGISTERED = (
    "from django.contrib import admin; from emulator.models import ApiKey; "
    "print(admin.site.is_registered(ApiKey))"
)


@pytest.mark.parametrize(
    ("env", "registered"),
    [
        (PRODUCTION, "False"),
        ({"DJANGO_DEBUG": "1", "AMPERSAND_EMULATOR": "0"}, "False"),
        ({"DJANGO_DEBUG": "1", "AMPERSAND_EMULATOR": "1"}, "True"),
    ],
    ids=["production", "debug-without-emulator", "debug-with-emulator"],
)
def test_the_emulator_admin_exists_only_where_the_emulator_runs(env, registered):
    result = manage("shell", "--no-imports", "-c", REGISTERED, **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == registered
