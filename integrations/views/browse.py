from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from integrations.models import Integration


def get_integration_for_user(request: HttpRequest, pk: int) -> Integration:
    """The integration, if this user may see its project; 404 otherwise."""
    return get_object_or_404(
        Integration.objects.for_user(request.user).select_related("project", "latest_snapshot"),
        pk=pk,
    )


@login_required
def integration_list(request: HttpRequest) -> HttpResponse:
    integrations = (
        Integration.objects.for_user(request.user)
        .select_related("project", "latest_snapshot")
        .defer("latest_snapshot__raw")
    )
    return render(request, "integrations/list.html", {"integrations": integrations})


@login_required
def integration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    integration = get_integration_for_user(request, pk)
    snapshot = integration.latest_snapshot
    raw_json = json.dumps(snapshot.raw, indent=2, ensure_ascii=False) if snapshot else ""
    return render(
        request,
        "integrations/detail.html",
        {"integration": integration, "snapshot": snapshot, "raw_json": raw_json},
    )
