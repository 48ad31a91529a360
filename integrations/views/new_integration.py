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
from integrations.ampersand.errors import AmpersandError
from integrations.forms import NewIntegrationForm
from integrations.models import DeployRecord, Project, known_catalog
from integrations.permissions import Action
from integrations.secrets import ApiKeyUnavailable
from integrations.services import client_for
from integrations.views.deploys import _preview_or_deploy, _render_preview, earlier_deploy

TEMPLATE = "integrations/new_integration.html"
# The page waits for the destinations: ask once, briefly; a text input stands in otherwise.
DESTINATIONS_TOTAL_TIMEOUT = 3.0


@login_required
@vary_on_headers("HX-Request")
def new_integration(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request, pk, action=Action.DEPLOY)
    catalog = known_catalog(project.base_url)
    if request.method == "GET" and request.htmx:
        # Another provider or module: its modules, and what it can start with.
        form = NewIntegrationForm(
            initial=_typed(request.GET), project=project, catalog=catalog, destinations=None
        )
        return render(request, f"{TEMPLATE}#provider-options", {"form": form})
    confirmed = "base_revisions" in request.POST
    if confirmed and (record := earlier_deploy(project, request.POST)):
        return redirect("deploy-record", pk=record.pk)  # a deploy submitted twice
    destinations, destinations_error = _destination_names(project)
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


def _destination_names(project: Project) -> tuple[list[str] | None, Exception | None]:
    """The names of the project's destinations at Ampersand, or None and why not."""
    try:
        with client_for(project, total_timeout=DESTINATIONS_TOTAL_TIMEOUT, max_retries=1) as api:
            destinations = api.list_destinations()
    except (AmpersandError, ApiKeyUnavailable) as error:
        return None, error
    return sorted(destination.name for destination in destinations), None
