"""The installations ampdash keeps of an integration: its tab's list, "refresh now", and one
installation's page."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from integrations.access import get_integration_for_user
from integrations.ampersand.errors import AmpersandError
from integrations.installations import TAB_FIELDS, InstallationSync, sync_installations
from integrations.models import Installation, Integration
from integrations.presenters import (
    compare_installation_fields,
    installation_differences,
)
from integrations.secrets import ApiKeyUnavailable
from integrations.services import client_for

PAGE_SIZE: Final = 50
# "Refresh now" and the operations wait on the live API; a page must not hang on it.
LIVE_TOTAL_TIMEOUT: Final = 5.0
OPERATIONS_SHOWN: Final = 20
CONFIG_VERSIONS_SHOWN: Final = 20
# What a row of the tab shows (its cache key is made of them).
ROW_FIELDS: Final = (
    *("integration_id", "group_ref", "group_name", "health_status"),
    *("last_operation_status", "created_at", "difference_count"),
)
ROW_TEMPLATE: Final = "integrations/_installations.html#row"
ROW_CACHE_PREFIX: Final = "ampdash:installation-row:v2"
ROW_CACHE_SECONDS: Final = 24 * 3600
LIST_TEMPLATE: Final = "integrations/_installations.html#list"
LIST_CACHE_PREFIX: Final = "ampdash:installation-list:v2"
FILTERS: Final = ("q", "health", "differs")
FILTERS_TEMPLATE: Final = "integrations/_installations.html#filters"
FILTERS_KEPT: Final = 256


class InstallationFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Group name or reference")
    health = forms.ChoiceField(
        required=False,
        choices=[("", "Any health"), ("healthy", "Healthy"), ("unhealthy", "Unhealthy")],
    )
    differs = forms.ChoiceField(
        required=False,
        label="Against the definition",
        choices=[("", "Any"), ("yes", "Differs"), ("no", "As defined")],
    )

    def clean_q(self) -> str:
        return " ".join(self.cleaned_data["q"].split())

    def filter(self, installations: Any) -> Any:
        data = self.cleaned_data if self.is_valid() else {}
        if query := data.get("q"):
            installations = installations.matching(query)
        if health := data.get("health"):
            installations = installations.filter(health_status=health)
        if data.get("differs") == "yes":
            installations = installations.filter(difference_count__gt=0)
        elif data.get("differs") == "no":
            installations = installations.filter(difference_count=0)
        return installations

    def rendered_fields(self) -> SafeString:
        """Its fields' HTML: a function of what was typed in them only, so rendered once for
        each (Django's widget templates took about a millisecond a page)."""
        return _rendered_filter_fields(*(self.data.get(name) for name in FILTERS))

    def query_string(self, **changes: Any) -> str:
        """This form's query, with `changes` (e.g. a page number), for a link."""
        data = self.cleaned_data if self.is_valid() else {}
        values = {name: data.get(name) for name in FILTERS} | changes
        return "?" + urlencode({name: value for name, value in values.items() if value})


@functools.lru_cache(maxsize=FILTERS_KEPT)
def _rendered_filter_fields(*values: str | None) -> SafeString:
    data = {name: value for name, value in zip(FILTERS, values, strict=True) if value is not None}
    return render_to_string(FILTERS_TEMPLATE, {"form": InstallationFilterForm(data)})


def installations_context(
    request: HttpRequest, integration: Integration, *, refreshed: InstallationSync | None = None
) -> dict[str, Any]:
    """What the Installations tab shows: its counts, its filters, and the list."""
    form = InstallationFilterForm(request.GET)
    return {
        "installation_form": form,
        "installation_list": installation_list(integration, form, request.GET.get("page")),
        "refreshed": refreshed,
    }


def installation_list(
    integration: Integration, form: InstallationFilterForm, page_number: str | None
) -> SafeString:
    """One page of the integration's kept installations, filtered, with its pagination: cached
    by what it shows (the installations as last kept, whose `installations_version` changes with
    them, the filters, the page asked for, the time zone), so a page seen before costs no query."""
    shown_by = (integration.pk, integration.installations_version, page_number)
    zone = timezone.get_current_timezone_name()
    filters = tuple(form.data.get(name) for name in FILTERS)
    key = f"{LIST_CACHE_PREFIX}:{_digest(repr((*shown_by, zone, filters)))}"
    if (html := cache.get(key)) is not None:
        return mark_safe(html)  # noqa: S308 (rendered)
    kept = Installation.objects.filter(integration=integration).present()
    shown = form.filter(kept)
    paginator = Paginator(shown.only(*ROW_FIELDS), PAGE_SIZE)
    if shown is kept:  # unfiltered: the integration's kept counts already counted them
        paginator.count = integration.installations_total
    page = paginator.get_page(page_number)
    tab_url = reverse("integrations:tab", args=[integration.pk, "installations"])
    html = render_to_string(
        LIST_TEMPLATE,
        {
            "integration": integration,
            "form": form,
            "page": page,
            "tab_url": tab_url,
            "installation_rows": rendered_rows(page.object_list),
            "previous_url": tab_url + form.query_string(page=page.number - 1)
            if page.has_previous()
            else "",
            "next_url": tab_url + form.query_string(page=page.number + 1)
            if page.has_next()
            else "",
        },
    )
    cache.set(key, html, timeout=ROW_CACHE_SECONDS)
    return html


def rendered_rows(rows: Iterable[Installation]) -> SafeString:
    """The table's rows' HTML. A row's cache key is made of everything it shows, so each is
    rendered once per content (and time zone) and then taken from the cache: most of a page of
    50 is template work otherwise."""
    zone = timezone.get_current_timezone_name()
    keys = {
        row.pk: f"{ROW_CACHE_PREFIX}:{row.pk}:"
        + _digest(repr((zone, *(getattr(row, name) for name in ROW_FIELDS))))
        for row in rows
    }
    html = cache.get_many(keys.values())
    fresh = {
        keys[row.pk]: render_to_string(ROW_TEMPLATE, {"row": row})
        for row in rows
        if keys[row.pk] not in html
    }
    if fresh:
        cache.set_many(fresh, timeout=ROW_CACHE_SECONDS)
    html |= fresh
    return mark_safe("".join(html[keys[row.pk]] for row in rows))  # noqa: S308 (rendered)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@login_required
@require_POST
def refresh_installations(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Refresh now": fetch this integration's installations live and keep them. Any member of
    the project may: it only reads the API. Without htmx it leads to `next` (a page of this site,
    e.g. the deploy preview that asked for them), else to the tab."""
    integration = get_integration_for_user(request, pk)
    try:
        client = client_for(integration.project, total_timeout=LIVE_TOTAL_TIMEOUT, max_retries=1)
    except ApiKeyUnavailable as error:
        refreshed = InstallationSync(error=str(error))
    else:
        with client:
            refreshed = sync_installations(
                integration.project, client=client, integration=integration
            )
    if request.htmx:
        integration.refresh_from_db(fields=TAB_FIELDS)  # as the refresh kept them
        return render(
            request,
            "integrations/_installations.html#installations",
            {
                "integration": integration,
                **installations_context(request, integration, refreshed=refreshed),
            },
        )
    if refreshed.error:
        messages.error(request, f"Could not refresh the installations: {refreshed.error}")
    else:
        messages.success(request, refresh_summary(refreshed))
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("integrations:tab", pk=integration.pk, tab="installations")


def refresh_summary(refreshed: InstallationSync) -> str:
    return (
        f"Installations refreshed from Ampersand: {refreshed.new} new, {refreshed.changed} "
        f"changed, {refreshed.removed} removed."
    )


@login_required
def installation_detail(request: HttpRequest, pk: int, installation_pk: int) -> HttpResponse:
    """One installation: its config against the definition, field by field, the versions of its
    config ampdash saw, and its recent operations (fetched live)."""
    integration = get_integration_for_user(request, pk)
    installation = get_object_or_404(integration.installations, pk=installation_pk)
    snapshot = integration.latest_snapshot
    content = snapshot.content if snapshot else {}
    config = installation.config if isinstance(installation.config, dict) else {}
    config_content = config.get("content")
    versions = installation.config_versions.all()[:CONFIG_VERSIONS_SHOWN]
    operations, operations_error = _recent_operations(integration, installation)
    return render(
        request,
        "integrations/installation.html",
        {
            "integration": integration,
            "installation": installation,
            "snapshot": snapshot,
            "differences": installation_differences(content, config_content),
            "comparisons": compare_installation_fields(content, config_content),
            "config_json": json.dumps(config, indent=2, ensure_ascii=False),
            "versions": [
                (version, json.dumps(version.config, indent=2, ensure_ascii=False))
                for version in versions
            ],
            "operations": operations,
            "operations_error": operations_error,
        },
    )


def _recent_operations(
    integration: Integration, installation: Installation
) -> tuple[list[Any], Exception | None]:
    try:
        with client_for(
            integration.project, total_timeout=LIVE_TOTAL_TIMEOUT, max_retries=1
        ) as client:
            page = client.list_operations(
                integration.remote_id, installation.remote_id, page_size=OPERATIONS_SHOWN
            )
    except (AmpersandError, ApiKeyUnavailable) as error:
        return [], error
    return page.results[:OPERATIONS_SHOWN], None
