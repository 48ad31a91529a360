"""The editor of an integration: a draft per user, saved as it is typed, previewed, deployed.

Every change goes to the user's draft (`Draft`) at once, so a reload, a closed tab, a failed
deploy or a conflict loses nothing. The draft is made by its first change, not by a visit.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from integrations.access import get_integration_for_user
from integrations.ampersand.manifest import ValidationIssue
from integrations.diff import diff_contents
from integrations.forms import DisplayNameForm, DraftTextForm, RebaseForm
from integrations.merge import merge_contents
from integrations.models import DeployRecord, Draft, Integration, Snapshot
from integrations.permissions import Action
from integrations.views.deploys import _preview_or_deploy
from integrations.views.history import diff_sections


def _shown(value: Any) -> str:
    if value is None:
        return "(absent)"
    return json.dumps(value, indent=2, ensure_ascii=False)


def users_draft(integration: Integration, user: Any) -> Draft:
    """The user's open draft of `integration`, or a new unsaved one from its latest version."""
    draft = Draft.objects.filter(integration=integration, user=user).first()
    return draft or Draft.start(integration, user)


def _saved(draft: Draft, save: Any) -> Any:
    """Run `save` (which saves `draft`); a draft made meanwhile by a second tab is used."""
    try:
        with transaction.atomic():
            return save()
    except IntegrityError:
        existing = Draft.objects.get(integration=draft.integration, user=draft.user)
        draft.pk, draft._state.adding = existing.pk, False
        draft.created_at = existing.created_at
        return save()


def _editor_context(
    request: HttpRequest, integration: Integration, draft: Draft, **extra: Any
) -> dict[str, Any]:
    context = {
        "integration": integration,
        "draft": draft,
        "others": Draft.objects.of(integration).exclude(user=request.user),
        "remote_changed": draft.pk is not None and draft.remote_changed(),
        "text_form": DraftTextForm(initial={"text": draft.amp_yaml()}),
        "name_form": DisplayNameForm(
            initial={"display_name": draft.content.get("displayName", "")}
        ),
        "issues": draft.found_issues() if draft.pk else [],
        "saved_at": None,
    }
    context.update(extra)
    return context


def _partials(request: HttpRequest, context: dict[str, Any], target: str) -> HttpResponse:
    """The editor's `target` partial, and out of band the draft's header and buttons (the
    first save makes the draft)."""
    parts = (target, "draft-state", "draft-actions")
    return HttpResponse(
        "".join(
            render_to_string(f"integrations/editor.html#{part}", context, request) for part in parts
        )
    )


@login_required
def edit_integration(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor; a POST here saves the display name form to the draft."""
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = users_draft(integration, request.user)
    extra: dict[str, Any] = {}
    if request.method == "POST":
        form = DisplayNameForm(request.POST)
        if form.is_valid() and not draft.text_follows_content():
            form.add_error(
                None,
                "Your amp.yaml has changes this form cannot read (see its issues). Fix them, "
                "or discard the draft, before using the form: your text is kept as typed.",
            )
        if form.is_valid():
            _saved(draft, lambda: draft.set_display_name(form.cleaned_data["display_name"]))
            if not request.htmx:
                messages.success(request, "Display name saved to your draft.")
                return redirect("integrations:edit", pk=integration.pk)
            extra["saved_at"] = draft.updated_at
        else:
            extra["name_form"] = form
    context = _editor_context(request, integration, draft, **extra)
    if request.htmx and request.method == "POST":
        return _partials(request, {**context, "oob": True}, "editor-forms")
    return render(request, "integrations/editor.html", context)


@login_required
@require_POST
def autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """Store the amp.yaml as typed, valid or not; answer the validator's issues."""
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = users_draft(integration, request.user)
    form = DraftTextForm(request.POST)
    issues: list[ValidationIssue] = []
    if form.is_valid():
        issues = _saved(draft, lambda: draft.take_amp_yaml(form.cleaned_data["text"]))
    if not request.htmx:
        if form.is_valid():
            messages.success(request, "amp.yaml saved to your draft.")
        else:
            messages.error(request, " ".join(form.errors.get("text", [])))
        return redirect("integrations:edit", pk=integration.pk)
    context = {
        "integration": integration,
        "draft": draft,
        "issues": issues,
        "saved_at": timezone.now() if form.is_valid() else None,
        "text_errors": form.errors.get("text", []),
        "oob": True,
    }
    return _partials(request, context, "autosave-status")


@login_required
@require_POST
def discard_draft(request: HttpRequest, pk: int) -> HttpResponse:
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    deleted, _ = Draft.objects.filter(integration=integration, user=request.user).delete()
    if deleted:
        messages.success(request, "Draft discarded.")
    return redirect("integrations:detail", pk=integration.pk)


@login_required
def preview_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """The draft's preview, then its deploy, by the one preview-then-deploy step."""
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = Draft.objects.filter(integration=integration, user=request.user).first()
    if draft is None:
        # A deploy submitted twice: the first closed the draft.
        key = request.POST.get("idempotency_key", "")
        known = key and key.isprintable() and len(key) <= 100
        record = integration.project.deploys.filter(idempotency_key=key).first() if known else None
        if record is not None:
            return redirect("deploy-record", pk=record.pk)
        messages.info(request, "You have no draft of this integration: change something first.")
        return redirect("integrations:edit", pk=integration.pk)
    return _preview_or_deploy(
        request,
        project=integration.project,
        amp_yaml=draft.amp_yaml(),
        kind=DeployRecord.Kind.DEPLOY,
        title=f"Deploy your draft of {integration.name}",
        back=reverse("integrations:edit", args=[integration.pk]),
        back_label=f"Edit {integration.name}",
        draft=draft,
    )


@login_required
def rebase_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """The teammate's change and the draft's side by side; the draft moved onto theirs."""
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = Draft.objects.filter(integration=integration, user=request.user).first()
    if draft is None or not draft.remote_changed():
        return redirect("integrations:edit", pk=integration.pk)
    latest = Snapshot.objects.get(pk=integration.latest_snapshot_id)
    base = draft.base_snapshot.content if draft.base_snapshot else {}
    if not draft.text_follows_content():
        messages.error(
            request,
            "Your amp.yaml has changes that cannot be read yet: fix its issues in the editor "
            "before merging, so that nothing you typed is lost.",
        )
        return redirect("integrations:edit", pk=integration.pk)
    merge = merge_contents(base, latest.content, draft.content)
    data = request.POST if request.method == "POST" else None
    form = RebaseForm(data, conflicts=merge.conflicts)
    if request.method == "POST" and form.is_valid():
        chosen = merge_contents(base, latest.content, draft.content, form.take_remote())
        draft.rebase(latest, chosen.content)
        messages.success(
            request,
            f"Your draft now starts from revision {latest.revision_id}, their change merged in. "
            "Preview it to check the result.",
        )
        return redirect("integrations:edit", pk=integration.pk)
    context = {
        "integration": integration,
        "draft": draft,
        "latest": latest,
        "remote_sections": diff_sections(diff_contents(base, latest.content)),
        "mine_sections": diff_sections(diff_contents(base, draft.content)),
        "merge": merge,
        "form": form,
        "conflict_rows": [
            (
                conflict,
                form[conflict.key],
                {side: _shown(getattr(conflict, side)) for side in ("base", "remote", "mine")},
            )
            for conflict in merge.conflicts
        ],
    }
    return render(request, "integrations/rebase.html", context)
