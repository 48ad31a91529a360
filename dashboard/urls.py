from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from integrations.views import deploys, new_integration, sync
from integrations.views.home import home, session_check

urlpatterns = [
    path("", home, name="home"),
    path("projects/<int:pk>/sync/", sync.start_project_sync, name="project-sync"),
    path("projects/<int:pk>/amp.yaml", deploys.project_manifest, name="project-amp-yaml"),
    path("projects/<int:pk>/import/", deploys.import_manifest, name="project-import"),
    path(
        "projects/<int:pk>/integrations/new/",
        new_integration.new_integration,
        name="project-new-integration",
    ),
    path("projects/<int:pk>/deploys/", deploys.project_deploys, name="project-deploys"),
    path("deploys/<int:pk>/", deploys.deploy_record, name="deploy-record"),
    path("sync-runs/<int:pk>/", sync.sync_run_status, name="sync-run"),
    path("accounts/session/", session_check, name="session-check"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("integrations/", include("integrations.urls")),
    path("api/", include("integrations.api.urls")),
]
if settings.AMPERSAND_EMULATOR_ROUTED:
    # Development and tests only; each emulator view also answers 404 unless
    # settings.AMPERSAND_EMULATOR is on.
    urlpatterns.append(path("emulator/v1/", include("emulator.urls")))

handler400 = "integrations.api.errors.bad_request"
handler404 = "integrations.api.errors.not_found"
handler500 = "integrations.api.errors.server_error"
