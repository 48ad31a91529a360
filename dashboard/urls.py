from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/integrations/", permanent=False)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("integrations/", include("integrations.urls")),
    # Every emulator view answers 404 unless settings.AMPERSAND_EMULATOR is on.
    path("emulator/v1/", include("emulator.urls")),
]
