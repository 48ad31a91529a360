"""The editor of an integration: a draft per user, saved as it is typed, previewed, deployed.

Every change goes to the user's draft (`Draft`) at once, so a reload, a closed tab, a failed
deploy or a conflict loses nothing. The draft is made by its first change, not by a visit.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from integrations import editing
from integrations.access import get_integration_for_user
from integrations.ampersand.manifest import Catalog, Severity, ValidationIssue
from integrations.cron import describe_cron
from integrations.diff import diff_contents
from integrations.editing import (
    FieldRow,
    move_row,
    ordered,
    place_issues,
    read_objects,
    remove_read_object,
    set_integration,
    set_read_object,
)
from integrations.forms import (
    AddReadObjectForm,
    DraftTextForm,
    IntegrationForm,
    ReadObjectEditor,
    RebaseForm,
    SectionEditor,
    Slot,
    SubscribeEditor,
    WatchSchemaEditor,
    WriteEditor,
)
from integrations.merge import merge_contents
from integrations.models import DeployRecord, Draft, Integration, Snapshot
from integrations.permissions import Action
from integrations.presenters import field_count
from integrations.services import destination_names
from integrations.views.deploys import _preview_or_deploy, earlier_deploy
from integrations.views.history import diff_sections


def _shown(value: Any) -> str:
    if value is None:
        return "(absent)"
    return json.dumps(value, indent=2, ensure_ascii=False)


def open_draft(integration: Integration, user: Any) -> Draft | None:
    """The user's open draft of `integration`, its typed text read (`Draft.catch_up`)."""
    draft = Draft.objects.opened(integration, user).first()
    if draft is not None:
        draft.integration = integration  # the one loaded, with its project
        draft.catch_up(catalog=_catalog(integration))
    return draft


def users_draft(integration: Integration, user: Any) -> Draft:
    """The user's open draft of `integration`, or a new unsaved one from its latest version."""
    return open_draft(integration, user) or Draft.start(integration, user)


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


def _catalog(integration: Integration) -> Catalog:
    return integration.project.catalog()


def _integration_form(
    integration: Integration, draft: Draft, catalog: Catalog, data: Any = None
) -> IntegrationForm:
    content = draft.content
    provider, module = str(content.get("provider", "")), str(content.get("module", "") or "")
    proxy = content.get("proxy") if isinstance(content.get("proxy"), dict) else {}
    return IntegrationForm(
        data,
        modules=catalog.modules(provider),
        current_module=module,
        offers_proxy=catalog.supports(provider, "proxy", module) or bool(proxy),
        initial={
            "display_name": content.get("displayName", ""),
            "module": module,
            "proxy": "on" if proxy.get("enabled") is True else "off",
        },
    )


def _editor_context(
    request: HttpRequest, integration: Integration, draft: Draft, **extra: Any
) -> dict[str, Any]:
    catalog = _catalog(integration)
    provider = str(draft.content.get("provider", ""))
    module = str(draft.content.get("module", "") or "") or None
    issues = draft.found_issues() if draft.pk else []
    objects = read_objects(draft.content)
    name_form = extra.pop("name_form", None) or _integration_form(integration, draft, catalog)
    integration_fields, integration_slot = name_form.slots(issues)
    yaml_view = request.GET.get("view") == "yaml"
    # The amp.yaml is written only for its own view (a long integration's takes a while);
    # built from a form's change, it is read again there for its issues' lines.
    text = draft.amp_yaml() if yaml_view else ""
    if yaml_view and draft.pk and not draft.text:
        issues = draft.read_text(text)[1]
    context = {
        "integration": integration,
        "draft": draft,
        "others": Draft.objects.of(integration).exclude(user=request.user),
        "remote_changed": draft.pk is not None and draft.remote_changed(),
        "forms_usable": draft.text_follows_content(),
        "view": "yaml" if yaml_view else "forms",
        "text_form": DraftTextForm(initial={"text": text}) if yaml_view else None,
        "name_form": name_form,
        "integration_fields": integration_fields,
        "integration_slot": integration_slot,
        "reads": catalog.supports(provider, "read", module) or bool(objects),
        # Made when the page shows them, which a kept copy of the forms spares.
        "read_objects": _when_shown(
            lambda: [
                _object_summary(
                    index,
                    obj,
                    issues,
                    url=reverse("integrations:edit-read", args=[integration.pk, index]),
                )
                for index, obj in enumerate(objects)
            ]
        ),
        "add_object_form": extra.pop("add_object_form", None)
        or AddReadObjectForm(prefix="new", destinations=destination_names(integration.project)[0]),
        "issues": issues,
        "checking": draft.pk is not None and draft.issues is None,
        "saved_at": None,
    }
    for editor_class in SECTIONS:
        context[editor_class.context_name] = _when_shown(
            functools.partial(_section_view, editor_class, integration, draft, catalog, issues)
        )
    context.update(extra)
    return context


def _when_shown[T](make: Callable[[], T]) -> Callable[[], T]:
    """`make`, called once when a template first shows its value (templates call callables)."""
    return functools.cache(make)


def _section_view(
    editor_class: type[SectionEditor],
    integration: Integration,
    draft: Draft,
    catalog: Catalog,
    issues: list[ValidationIssue],
) -> Any:
    return _section_editor(editor_class, integration, draft, catalog).view(issues)


def _forms_cache_key(request: HttpRequest, integration: Integration, draft: Draft) -> str:
    """What the forms view of `draft` depends on, for a kept copy of it: this version of the
    draft (or, with none, the latest version), the catalog, the destinations, and the user's
    CSRF secret, whose tokens the forms hold."""
    version = (
        f"draft {draft.pk} {draft.updated_at.isoformat()} {draft.text_read}"
        if draft.pk
        else f"start {integration.latest_snapshot_id}"
    )
    destinations, _ = destination_names(integration.project)
    get_token(request)  # the secret, made if the user has none yet
    csrf_secret = request.META["CSRF_COOKIE"]
    catalog_version = integration.project.catalog_version
    parts = (version, integration.pk, catalog_version, destinations, csrf_secret)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _object_summary(
    index: int, obj: Any, issues: list[ValidationIssue], *, url: str
) -> dict[str, Any]:
    obj = obj if isinstance(obj, dict) else {}
    about = place_issues(issues, f"integrations[0].read.objects[{index}]", []).get("", [])
    return {
        "index": index,
        "url": url,
        "name": str(obj.get("objectName", "")) or f"object {index + 1}",
        "schedule": describe_cron(obj.get("schedule")) if obj.get("schedule") else "",
        "fields": field_count(obj),
        "errors": sum(1 for issue in about if issue.severity == Severity.ERROR),
    }


def _partials(request: HttpRequest, context: dict[str, Any], *targets: str) -> HttpResponse:
    """The editor's `targets` partials, and out of band the draft's header and buttons (the
    first save makes the draft)."""
    parts = (*targets, "draft-state", "draft-actions")
    return HttpResponse(
        "".join(
            render_to_string(f"integrations/editor.html#{part}", context, request) for part in parts
        )
    )


UNREADABLE_TEXT = (
    "Your amp.yaml has changes the forms cannot read (see its issues). Fix them, or discard "
    "the draft, before using the forms: your text is kept as typed."
)


@login_required
def edit_integration(request: HttpRequest, pk: int) -> HttpResponse:
    """The editor; a POST here saves the integration form (display name, module, proxy)."""
    integration = get_integration_for_user(
        request, pk, action=Action.DEPLOY, with_latest_snapshot=False
    )
    draft = users_draft(integration, request.user)
    extra: dict[str, Any] = {}
    if request.method == "POST":
        form = _integration_form(integration, draft, _catalog(integration), request.POST)
        if form.is_valid() and not draft.text_follows_content():
            form.add_error(None, UNREADABLE_TEXT)
        if form.is_valid():
            content = set_integration(
                draft.content,
                display_name=form.cleaned_data["display_name"],
                module=form.cleaned_data.get("module") if "module" in request.POST else None,
                proxy=form.cleaned_data.get("proxy"),
            )
            _saved(draft, lambda: draft.set_content(content))
            if not request.htmx:
                messages.success(request, "Saved to your draft.")
                return redirect("integrations:edit", pk=integration.pk)
            extra["saved_at"] = draft.updated_at
        else:
            extra["name_form"] = form
    if request.method == "GET" and request.GET.get("view") != "yaml":
        extra["forms_cache_key"] = _forms_cache_key(request, integration, draft)
    context = _editor_context(request, integration, draft, **extra)
    if request.htmx and request.method == "POST":
        return _partials(request, {**context, "oob": True}, "integration-form")
    return render(request, "integrations/editor.html", context)


@login_required
@require_POST
def add_read_object(request: HttpRequest, pk: int) -> HttpResponse:
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = users_draft(integration, request.user)
    form = AddReadObjectForm(
        request.POST, prefix="new", destinations=destination_names(integration.project)[0]
    )
    if form.is_valid() and not draft.text_follows_content():
        form.add_error(None, UNREADABLE_TEXT)
    if form.is_valid():
        content = editing.add_read_object(draft.content, **form.cleaned_data)
        _saved(draft, lambda: draft.set_content(content))
        index = len(read_objects(content)) - 1
        if not request.htmx:
            messages.success(request, f"{form.cleaned_data['object_name']} added to your draft.")
        return redirect(_object_url(integration, index))
    context = _editor_context(request, integration, draft, add_object_form=form)
    if request.htmx:
        return _partials(request, {**context, "oob": True}, "read-objects")
    return render(request, "integrations/editor.html", context, status=400)


@login_required
def edit_read_object(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One read object's settings and fields: shown, saved as typed, rows added and moved.

    htmx saves as the user types answer only the issue slots (out of band), so no input is
    replaced under the user's hands; buttons (add, remove, move) answer the whole card.
    """
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = users_draft(integration, request.user)
    objects = read_objects(draft.content)
    if index >= len(objects) or not isinstance(objects[index], dict):
        messages.info(request, "That object is no longer in your draft.")
        return _to_editor(request, integration)
    if request.method != "POST":
        return _card_response(request, integration, draft, index)
    editor = ReadObjectEditor(index, objects[index], data=request.POST)
    action = request.POST.get("action", "")
    if request.POST.get("object_key") != editor.object_key:
        messages.error(request, "Your draft changed in another tab: this object was reloaded.")
        return _card_response(request, integration, draft, index, replace=True)
    if not draft.text_follows_content():
        editor.settings.add_error(None, UNREADABLE_TEXT)
    elif action == "remove-object":
        content = remove_read_object(draft.content, index)
        _saved(draft, lambda: draft.set_content(content))
        messages.success(request, f"{editor.object_key} removed from your draft.")
        return _to_editor(request, integration)
    elif editor.is_valid():
        typed = editor.rows()
        rows, problem = _row_action(action, typed, editor)
        if problem:
            editor.add_field.add_error("new_field", problem)
        else:
            content = set_read_object(draft.content, index, editor.changed(rows))
            _saved(draft, lambda: draft.set_content(content))
            if not request.htmx:
                messages.success(request, "Saved to your draft.")
                return redirect(_object_url(integration, index))
            if rows != typed:
                return _card_response(request, integration, draft, index, replace=True)
            saved = ReadObjectEditor(index, read_objects(draft.content)[index])
            return _slots_response(request, integration, draft, saved, saved_at=True)
    if request.htmx:
        return _slots_response(request, integration, draft, editor)
    context = _editor_context(request, integration, draft)
    context["open"] = _card_context(integration, draft, editor)
    return render(request, "integrations/editor.html", context, status=400)


def _row_action(
    action: str, rows: list[FieldRow], editor: ReadObjectEditor
) -> tuple[list[FieldRow], str]:
    """The field rows after a row button (add, remove, move), or a problem to show instead.
    A row moved to the other list goes last in it."""
    verb, _, number = action.partition(":")
    at = int(number) if number.isdigit() else -1
    match verb:
        case "add-field":
            name = editor.add_field.cleaned_data.get("new_field", "")
            if not name:
                return rows, "Type or pick the field to add."
            if any(row.field_name == name for row in rows):
                return rows, f"{name} is already a field of this object."
            required = editor.add_field.cleaned_data.get("new_required", False)
            return ordered([*rows, FieldRow(required=required, field_name=name)]), ""
        case "add-mapping":
            return ordered([*rows, FieldRow(required=False, user_picked=True)]), ""
        case "remove" if 0 <= at < len(rows):
            return rows[:at] + rows[at + 1 :], ""
        case "up" | "down" if 0 <= at < len(rows):
            return move_row(rows, at, -1 if verb == "up" else 1), ""
    return ordered(rows), ""


def _object_url(integration: Integration, index: int) -> str:
    return reverse("integrations:edit-read", args=[integration.pk, index]) + f"#read-{index}"


def _to_editor(request: HttpRequest, integration: Integration) -> HttpResponse:
    url = reverse("integrations:edit", args=[integration.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _card_context(
    integration: Integration, draft: Draft, editor: ReadObjectEditor
) -> dict[str, Any]:
    issues = draft.found_issues() if draft.pk else []
    slots = editor.slots(issues)
    backfill = ("backfill", "backfill_days")
    return {
        "editor": editor,
        "slots": slots,
        "settings_fields": [
            (editor.settings[name], slot)
            for name, slot in slots.settings.items()
            if name not in backfill
        ],
        "rows": [
            (form, slots.rows[at] if at < len(slots.rows) else Slot(id=f"{editor.id}-row-{at}"))
            for at, form in enumerate(editor.fields.forms)
        ],
    }


def _card_response(
    request: HttpRequest,
    integration: Integration,
    draft: Draft,
    index: int,
    *,
    replace: bool = False,
) -> HttpResponse:
    """The object's card: alone for htmx, else the editor page with the card open."""
    editor = ReadObjectEditor(
        index,
        read_objects(draft.content)[index],
        destinations=destination_names(integration.project)[0],
    )
    card = _card_context(integration, draft, editor)
    if not request.htmx:
        context = _editor_context(request, integration, draft, open=card)
        return render(request, "integrations/editor.html", context)
    context = {"integration": integration, "draft": draft, "oob": True, **card}
    response = _partials(request, context, "read-card")
    if replace:
        response = retarget(reswap(response, "outerHTML"), f"#{editor.id}")
    return response


def _slots_response(
    request: HttpRequest,
    integration: Integration,
    draft: Draft,
    editor: ReadObjectEditor | SectionEditor,
    *,
    saved_at: bool = False,
) -> HttpResponse:
    """Only the card's or section's issue slots, out of band: the inputs stay as the user
    has them."""
    issues = draft.found_issues() if draft.pk else []
    context = {
        "integration": integration,
        "draft": draft,
        "oob": True,
        "slots": editor.slots(issues),
        "editor": editor,
        "saved_at": timezone.now() if saved_at else None,
    }
    return reswap(_partials(request, context, "card-slots"), "none")


# --- Write objects, subscribe objects, schema watch: one form each -----------------------------

SECTIONS: tuple[type[SectionEditor], ...] = (WriteEditor, SubscribeEditor, WatchSchemaEditor)


def _section_editor(
    editor_class: type[SectionEditor],
    integration: Integration,
    draft: Draft,
    catalog: Catalog,
    data: Any = None,
) -> SectionEditor:
    """The section's editor, offering to add only what the provider (or module) supports."""
    content = draft.content
    provider = str(content.get("provider", ""))
    module = str(content.get("module", "") or "") or None
    offered = catalog.supports(provider, editor_class.catalog_action, module)
    shown = offered or editor_class.present_in(content)
    destinations = (
        destination_names(integration.project)[0]
        if shown and editor_class.uses_destinations
        else None
    )
    return editor_class(content, data=data, destinations=destinations, offered=offered)


def _edit_section(request: HttpRequest, pk: int, editor_class: type[SectionEditor]) -> HttpResponse:
    """Save a section's form to the draft as typed; its buttons add and remove.

    htmx saves as the user types answer only the issue slots (out of band); buttons answer
    the section redrawn; a plain POST leads back to the editor at the section.
    """
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = users_draft(integration, request.user)
    catalog = _catalog(integration)
    editor = _section_editor(editor_class, integration, draft, catalog, request.POST)
    action = request.POST.get("action", "")
    if not editor.is_current(request.POST.get("section_key")):
        messages.error(request, "Your draft changed in another tab: this section was reloaded.")
        if not request.htmx:
            return redirect(_section_url(integration, editor))
        return _section_response(request, integration, draft, editor_class)
    if not draft.text_follows_content():
        editor.problems.append(UNREADABLE_TEXT)
    elif editor.is_valid() and (content := editor.changed(action)) is not None:
        _saved(draft, lambda: draft.set_content(content))
        if not request.htmx:
            messages.success(request, "Saved to your draft.")
            return redirect(_section_url(integration, editor))
        if action:
            return _section_response(request, integration, draft, editor_class)
        saved = _section_editor(editor_class, integration, draft, catalog)
        return _slots_response(request, integration, draft, saved, saved_at=True)
    if request.htmx:
        return _slots_response(request, integration, draft, editor)
    issues = draft.found_issues() if draft.pk else []
    extra = {editor_class.context_name: editor.view(issues)}
    context = _editor_context(request, integration, draft, **extra)
    return render(request, "integrations/editor.html", context, status=400)


@login_required
@require_POST
def edit_write(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit_section(request, pk, WriteEditor)


@login_required
@require_POST
def edit_subscribe(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit_section(request, pk, SubscribeEditor)


@login_required
@require_POST
def edit_watch_schema(request: HttpRequest, pk: int) -> HttpResponse:
    return _edit_section(request, pk, WatchSchemaEditor)


def _section_url(integration: Integration, editor: SectionEditor) -> str:
    return reverse("integrations:edit", args=[integration.pk]) + f"#{editor.id}"


def _section_response(
    request: HttpRequest,
    integration: Integration,
    draft: Draft,
    editor_class: type[SectionEditor],
) -> HttpResponse:
    """The section redrawn from the draft, in place of the one on the page."""
    catalog = _catalog(integration)
    editor = _section_editor(editor_class, integration, draft, catalog)
    issues = draft.found_issues() if draft.pk else []
    context = {
        "integration": integration,
        "draft": draft,
        "oob": True,
        "section": editor.view(issues),
    }
    response = _partials(request, context, editor.partial)
    return retarget(reswap(response, "outerHTML"), f"#{editor.id}")


@login_required
@require_POST
def autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """Store the amp.yaml as typed, valid or not, at once; the answer fetches its issues
    (`draft_issues`), so that a save never waits on the validator.

    The draft is neither read nor validated here: one UPDATE keeps the text. With no draft (the
    first change, or one discarded in another tab meanwhile) a new one is made holding it, and
    the answer also redraws the draft's header and buttons.
    """
    integration = get_integration_for_user(
        request, pk, action=Action.DEPLOY, with_latest_snapshot=False
    )
    form = DraftTextForm(request.POST)
    made: Draft | None = None
    if form.is_valid():
        text = form.cleaned_data["text"]
        if not Draft.objects.keep_text(integration, request.user, text):
            made = Draft.start(integration, request.user)
            _saved(made, lambda: made.keep_text(text))
    if not request.htmx:
        if form.is_valid():
            messages.success(request, "amp.yaml saved to your draft.")
        else:
            messages.error(request, " ".join(form.errors.get("text", [])))
        return redirect(reverse("integrations:edit", args=[integration.pk]) + "?view=yaml")
    context = {
        "integration": integration,
        "draft": made,
        "checking": True,
        "saved_at": timezone.now() if form.is_valid() else None,
        "text_errors": form.errors.get("text", []),
        "oob": True,
    }
    return render(request, "integrations/editor.html#autosave-answer", context)


@login_required
@require_GET
def draft_issues(request: HttpRequest, pk: int) -> HttpResponse:
    """The issues of the user's draft, read now if its text was kept unread (after `autosave`)."""
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    draft = open_draft(integration, request.user)
    context = {"integration": integration, "draft": draft, "issues": []}
    if draft is not None:
        context["issues"] = draft.found_issues()
    return render(request, "integrations/editor.html#draft-issues", context)


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
    draft = open_draft(integration, request.user)
    if draft is None:
        # A deploy submitted twice: the first closed the draft.
        record = earlier_deploy(integration.project, request.POST)
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
    draft = open_draft(integration, request.user)
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
