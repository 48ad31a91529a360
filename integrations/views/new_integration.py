"""A new integration: a form for its manifest entry, then the preview and deploy every change
takes (`_preview_or_deploy`), from no base revision.

The preview's confirmation carries the form's input back here, so what is deployed is rebuilt
from it and checked again; the preview's digest makes sure it is what was shown.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers

from integrations.access import get_project_for_user
from integrations.forms import NewIntegrationForm
from integrations.models import DeployRecord
from integrations.permissions import Action
from integrations.services import destination_names
from integrations.views.deploys import _preview_or_deploy, _render_preview, earlier_deploy

TEMPLATE = "integrations/new_integration.html"


@login_required
@vary_on_headers("HX-Request")
def new_integration(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request, pk, action=Action.DEPLOY)
    catalog = project.catalog()
    if request.method == "GET" and request.htmx:
        # Another provider or module: its modules, and what it can start with.
        form = NewIntegrationForm(
            initial=_typed(request.GET), project=project, catalog=catalog, destinations=None
        )
        return render(request, f"{TEMPLATE}#provider-options", {"form": form})
    confirmed = "base_revisions" in request.POST
    if confirmed and (record := earlier_deploy(project, request.POST)):
        return redirect("deploy-record", pk=record.pk)  # a deploy submitted twice
    destinations, destinations_error = destination_names(project)
    form = NewIntegrationForm(
        request.POST or None,
        initial=_typed(request.GET),
        project=project,
        catalog=catalog,
        destinations=destinations,
    )
    if form.is_valid():
        name = form.cleaned_data["name"]
        back = reverse("project-new-integration", args=[project.pk])
        preview: dict[str, Any] = {
            "project": project,
            "amp_yaml": form.amp_yaml,
            "title": f"New integration {name} in {project.name}",
            "back": f"{back}?{urlencode(form.typed())}",
            "back_label": "New integration",
            "base_revisions": {name: None},
            "carry": form,
        }
        if confirmed:
            return _preview_or_deploy(request, kind=DeployRecord.Kind.DEPLOY, **preview)
        return _render_preview(request, form=None, editable=False, **preview)
    context = {"project": project, "form": form, "destinations_error": destinations_error}
    return render(request, TEMPLATE, context)


def _typed(query: QueryDict) -> dict[str, str]:
    """The form's values in a query string (the preview's way back), as initial values."""
    return {name: query[name] for name in NewIntegrationForm.base_fields if name in query}
