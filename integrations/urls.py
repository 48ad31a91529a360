from __future__ import annotations

from django.urls import path

from integrations import views

app_name = "integrations"
urlpatterns = [
    path("", views.integration_list, name="list"),
    path("<int:pk>/", views.integration_detail, name="detail"),
]
