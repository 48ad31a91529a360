from __future__ import annotations

import json
import re
import secrets
import threading
from collections import OrderedDict
from functools import cached_property
from typing import Any, Final

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe

from integrations.access import get_integration_for_user
from integrations.models import Draft, Integration, Snapshot
from integrations.presenters import (
    FieldUse,
    IntegrationView,
    find_uses,
    present_content,
)
from integrations.views.installations import installations_context

TABS: Final = (
    ("read", "Read"),
    ("write", "Write"),
    ("subscribe", "Subscribe"),
    ("proxy", "Proxy"),
    ("raw", "Raw"),
    ("installations", "Installations"),
)
SNAPSHOT_TABS: Final = frozenset({"read", "write", "subscribe", "proxy", "raw"})
RENDERED_TABS_KEPT = 128
# Where a snapshot tab's cached bytes go in the rendered page. Joined as bytes rather than as
# text: a large Read tab is hundreds of kilobytes, and one non-ASCII character in the rest of
# the page would make every join and the final encode copy it at two or four bytes a character.
TAB_SLOT: Final = mark_safe(f"<!-- tab {secrets.token_hex(8)} -->")  # noqa: S308


class SnapshotPages:
    """What the tabs show of one snapshot, computed only when its rendered tab is missing."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    @cached_property
    def view(self) -> IntegrationView:
        return present_content(self.snapshot.content)

    @cached_property
    def manifest_yaml(self) -> str:
        key = f"ampdash:amp-yaml:{self.snapshot.pk}:{self.snapshot.content_hash}"
        return cache.get_or_set(key, self.snapshot.amp_yaml, timeout=None)

    @cached_property
    def raw_json(self) -> str:
        return json.dumps(self.snapshot.raw, indent=2, ensure_ascii=False)


class RenderedTabs:
    """The HTML of the snapshot tabs of recent snapshots, as UTF-8, kept in this process.

    A snapshot never changes, so neither does its tab. Kept in memory rather than in Django's
    cache: unpickling the Read tab of a large integration costs more than the rest of the page.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, integration: Integration, snapshot: Snapshot, tab: str) -> bytes:
        key = (integration.pk, snapshot.pk, snapshot.content_hash, tab)
        with self._lock:
            if (html := self._items.get(key)) is not None:
                self._items.move_to_end(key)
                return html
        html = render_to_string(
            f"integrations/_{tab}.html",
            {"integration": integration, "snapshot": snapshot, "pages": SnapshotPages(snapshot)},
        ).encode()
        with self._lock:
            self._items[key] = html
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


rendered_tabs = RenderedTabs(RENDERED_TABS_KEPT)


@login_required
def integration_detail(request: HttpRequest, pk: int, tab: str = "read") -> HttpResponse:
    # A history restore (back/forward past htmx's cache) needs the whole page.
    full_page = not request.htmx or request.htmx.history_restore_request
    # Only the full page's header shows the counts.
    integration = get_integration_for_user(request, pk, with_counts=full_page)
    snapshot = integration.latest_snapshot
    cached_tab = snapshot is not None and tab in SNAPSHOT_TABS
    context: dict[str, Any] = {
        "integration": integration,
        "snapshot": snapshot,
        "tab_html": TAB_SLOT if cached_tab else "",
        "tab": tab,
        "tabs": TABS,
        "drafts": Draft.objects.of(integration) if full_page and integration.draft_count else (),
    }
    if tab == "installations" and snapshot:
        context.update(installations_context(request, integration))
    if full_page:
        template = "integrations/detail.html"
    else:
        template = "integrations/detail.html#tab"
        if tab == "installations" and snapshot and request.htmx.target == "installations":
            template = "integrations/_installations.html#installations"
    html = render_to_string(template, context, request)
    if cached_tab:
        head, tail = html.split(TAB_SLOT)
        content = b"".join(
            (head.encode(), rendered_tabs.get(integration, snapshot, tab), tail.encode())
        )
        response = HttpResponse(content)
    else:
        response = HttpResponse(html)
    # One URL answers a partial or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


@login_required
def integration_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    """The amp.yaml of the integration's latest snapshot, or of `?snapshot=<id>`, as a download."""
    integration = get_integration_for_user(request, pk)
    chosen = request.GET.get("snapshot")
    if chosen is None:
        snapshot = integration.latest_snapshot
    elif chosen.isdigit():
        snapshot = integration.snapshots.filter(pk=chosen).first()
    else:
        snapshot = None
    if snapshot is None:
        raise Http404("No such version of this integration.")
    name = safe_file_name(integration.name)
    if chosen is not None:
        name = f"{name}.{safe_file_name(snapshot.revision_id)}"
    response = HttpResponse(SnapshotPages(snapshot).manifest_yaml, content_type="application/yaml")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{name}.amp.yaml"
    )
    return response


def safe_file_name(name: str) -> str:
    """`name` reduced to letters, digits, dots, dashes and underscores, for a download."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-")
    return safe[:100] or "integration"


class WhereUsedForm(forms.Form):
    field = forms.CharField(required=False, max_length=1000, label="Provider field")
    map_to = forms.CharField(required=False, max_length=1000, label="Mapped-to name")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not (cleaned.get("field") or cleaned.get("map_to")):
            raise forms.ValidationError("Name a provider field or a mapped-to name.")
        return cleaned


@login_required
def where_used(request: HttpRequest) -> HttpResponse:
    """The integrations (the user may see) and objects that read a field or map to a name."""
    form = WhereUsedForm(request.GET)
    results: list[tuple[Integration, list[FieldUse]]] = []
    if form.is_valid():
        integrations = (
            Integration.objects.for_user(request.user)
            .filter(latest_snapshot__isnull=False)
            .with_catalog_version()
            .select_related("project", "latest_snapshot")
            .order_by("project__name", "name", "pk")
        )
        for integration in integrations:
            uses = find_uses(
                integration.latest_snapshot.content,
                field_name=form.cleaned_data["field"],
                map_to_name=form.cleaned_data["map_to"],
            )
            if uses:
                results.append((integration, uses))
    return render(request, "integrations/where_used.html", {"form": form, "results": results})
