from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/integrations/", permanent=False)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("integrations/", include("integrations.urls")),
]

if settings.AMPERSAND_EMULATOR:
    urlpatterns.append(path("emulator/v1/", include("emulator.urls")))
