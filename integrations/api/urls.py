from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from integrations.api import deploys, docs, views

app_name = "api"
urlpatterns = [
    path("", views.ApiIndex.as_view(), name="index"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    path("projects/", views.ProjectListApi.as_view(), name="project-list"),
    path("projects/<int:pk>/", views.ProjectDetailApi.as_view(), name="project-detail"),
    path("projects/<int:pk>/sync/", views.ProjectSyncApi.as_view(), name="project-sync"),
    path("projects/<int:pk>/deploys/", deploys.ProjectDeploysApi.as_view(), name="project-deploys"),
    path("integrations/", views.IntegrationListApi.as_view(), name="integration-list"),
    path("integrations/<int:pk>/", views.IntegrationDetailApi.as_view(), name="integration-detail"),
    path("integrations/<int:pk>/snapshots/", views.SnapshotListApi.as_view(), name="snapshot-list"),
    path(
        "integrations/<int:pk>/snapshots/<int:snapshot_pk>/",
        views.SnapshotDetailApi.as_view(),
        name="snapshot-detail",
    ),
    path(
        "integrations/<int:pk>/diff/", views.IntegrationDiffApi.as_view(), name="integration-diff"
    ),
    path("sync-runs/", views.SyncRunListApi.as_view(), name="sync-run-list"),
    path("sync-runs/<int:pk>/", views.SyncRunDetailApi.as_view(), name="sync-run-detail"),
]
