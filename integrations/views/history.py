from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from integrations.access import get_integration_for_user
from integrations.diff import IntegrationDiff
from integrations.models import Integration, Snapshot

HISTORY_PAGE_SIZE = 50


class SnapshotChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Snapshot) -> str:
        return f"{obj.taken_at:%Y-%m-%d %H:%M} · {obj.get_source_display()} · {obj.revision_id[:8]}"


class SnapshotPairForm(forms.Form):
    """Which two snapshots of one integration to compare (`from` is the older one)."""

    def __init__(self, *args: Any, integration: Integration, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        snapshots = integration.snapshots.defer("raw").order_by("-taken_at", "-id")
        self.fields["from"] = SnapshotChoiceField(snapshots, label="From")
        self.fields["to"] = SnapshotChoiceField(snapshots, label="To")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        older, newer = cleaned.get("from"), cleaned.get("to")
        if older and newer and (older.taken_at, older.pk) > (newer.taken_at, newer.pk):
            cleaned["from"], cleaned["to"] = newer, older
        return cleaned


@login_required
def integration_history(request: HttpRequest, pk: int) -> HttpResponse:
    integration = get_integration_for_user(request, pk)
    snapshots = integration.snapshots.select_related("taken_by", "sync_run").order_by(
        "-taken_at", "-id"
    )
    page = Paginator(snapshots, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    # The oldest snapshot of this page is compared with the newest of the next page.
    chain = [*rows, *snapshots[page.end_index() : page.end_index() + 1]]
    entries = []
    for index, snapshot in enumerate(rows):
        previous = chain[index + 1] if index + 1 < len(chain) else None
        diff = snapshot.cached_diff(previous) if previous else None
        entries.append(
            {"snapshot": snapshot, "previous": previous, "diff": diff, "position": index}
        )
    context = {
        "integration": integration,
        "page": page,
        "entries": _with_deploys(integration, entries, page),
        # One version has nothing to compare with.
        "comparable": page.paginator.count > 1,
    }
    return render(request, "integrations/history.html", context)


def _with_deploys(
    integration: Integration, entries: list[dict[str, Any]], page: Any
) -> list[dict[str, Any]]:
    """The page's snapshots and, between them by time, the deploys that named the integration
    (those that stored a version stand with it instead)."""
    if not entries:
        return entries
    records = (
        integration.project.deploys.filter(base_revisions__has_key=integration.name)
        .select_related("user")
        .defer("amp_yaml")
    )
    if page.has_previous():
        records = records.filter(started_at__lte=entries[0]["snapshot"].taken_at)
    if page.has_next():
        records = records.filter(started_at__gte=entries[-1]["snapshot"].taken_at)
    stored = {entry["snapshot"].deploy_id for entry in entries}
    deploys = [
        {"deploy": record, "at": record.started_at} for record in records if record.pk not in stored
    ]
    for entry in entries:
        entry["at"] = entry["snapshot"].taken_at
    return sorted([*entries, *deploys], key=lambda entry: entry["at"], reverse=True)


@login_required
def integration_diff(request: HttpRequest, pk: int) -> HttpResponse:
    integration = get_integration_for_user(request, pk)
    form = SnapshotPairForm(request.GET or None, integration=integration)
    older = newer = None
    if form.is_valid():
        older, newer = form.cleaned_data["from"], form.cleaned_data["to"]
    elif not form.is_bound:
        latest_two = list(integration.snapshots.order_by("-taken_at", "-id")[:2])
        if len(latest_two) == 2:
            newer, older = latest_two
            form = SnapshotPairForm(
                initial={"from": older.pk, "to": newer.pk}, integration=integration
            )
    diff = newer.cached_diff(older) if older and newer else None
    context = {
        "integration": integration,
        "form": form,
        "older": older,
        "newer": newer,
        "diff": diff,
        "sections": diff_sections(diff) if diff else [],
    }
    return render(request, "integrations/diff.html", context)


SECTION_TITLES = {
    "integration": "Integration",
    "read": "Read",
    "write": "Write",
    "subscribe": "Subscribe",
    "proxy": "Proxy",
    "watchSchema": "Schema watch",
    "other": "Other settings",
}


def diff_sections(diff: IntegrationDiff) -> list[dict[str, Any]]:
    """Changes grouped by section, then by object, with their values ready to show."""
    sections = []
    for section, changes in diff.by_section().items():
        groups: dict[str, list[dict[str, Any]]] = {}
        for change in changes:
            rows = groups.setdefault(change.object_name or "", [])
            rows.append(
                {
                    "change": change,
                    "old": _shown(change.old) if change.kind != "added" else "",
                    "new": _shown(change.new) if change.kind != "removed" else "",
                }
            )
        sections.append(
            {
                "name": section,
                "title": SECTION_TITLES.get(section, section),
                "groups": list(groups.items()),
            }
        )
    return sections


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False)
