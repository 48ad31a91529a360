"""The emulated API's paths, the contract's paths under /emulator/v1/."""

from __future__ import annotations

from django.urls import path, re_path

from emulator import views
from emulator.endpoints import endpoint

PROJECT = "projects/<str:project_id_or_name>"

urlpatterns = [
    path("providers", endpoint(GET=views.list_providers)),
    path("providers/<str:provider>", endpoint(GET=views.get_provider)),
    path(PROJECT, endpoint(GET=views.get_project)),
    path(
        f"{PROJECT}/integrations",
        endpoint(GET=views.list_integrations, POST=views.create_integration),
    ),
    path(f"{PROJECT}/integrations:batch", endpoint(PUT=views.batch_upsert_integrations)),
    path(
        f"{PROJECT}/integrations/<str:integration_id_or_name>",
        endpoint(GET=views.get_integration, DELETE=views.delete_integration),
    ),
    path(
        f"{PROJECT}/integrations/<str:integration_id>/revisions",
        endpoint(POST=views.create_revision),
    ),
    path(
        f"{PROJECT}/integrations/<str:integration_id>/installations",
        endpoint(GET=views.list_installations),
    ),
    path(
        f"{PROJECT}/integrations/<str:integration_id>/installations/<str:installation_id>",
        endpoint(GET=views.get_installation),
    ),
    path(
        f"{PROJECT}/integrations/<str:integration_id>/installations/<str:installation_id>"
        "/operations",
        endpoint(GET=views.list_operations),
    ),
    path(f"{PROJECT}/installations", endpoint(GET=views.list_installations_for_project)),
    path(
        f"{PROJECT}/providers/<str:provider>/objects/<str:object_name>/metadata",
        endpoint(GET=views.get_object_metadata_for_connection),
    ),
    path(
        f"{PROJECT}/destinations",
        endpoint(GET=views.list_destinations, POST=views.create_destination),
    ),
    path(f"{PROJECT}/destinations/<str:destination>", endpoint(GET=views.get_destination)),
    # Anything else under the API answers a 404 problem rather than Django's HTML page.
    re_path(r"", endpoint()),
]
