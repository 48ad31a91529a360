from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.emulator.helpers import READ_ACCOUNTS, manifest, project_client


@pytest.fixture
def admin_client_with_state(client, emulator_api):
    with project_client(emulator_api) as api:
        api.put("./integrations:batch", json={"sourceYaml": manifest(READ_ACCOUNTS)})
    admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "model", ["project", "apikey", "destination", "integration", "revision", "installation"]
)
def test_the_admin_lists_each_emulator_model(admin_client_with_state, model):
    response = admin_client_with_state.get(f"/admin/emulator/{model}/")

    assert response.status_code == 200


def test_integrations_are_read_only_in_the_admin(admin_client_with_state):
    assert admin_client_with_state.get("/admin/emulator/integration/add/").status_code == 403
