from __future__ import annotations

from django.urls import path

from integrations.views import browse

app_name = "integrations"
urlpatterns = [
    path("", browse.integration_list, name="list"),
    path("<int:pk>/", browse.integration_detail, name="detail"),
]
