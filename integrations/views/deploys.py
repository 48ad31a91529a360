"""Pages that change integrations through the deploy service: restore a version, copy to
another project, import an amp.yaml; and the records of every deploy, and exports.

Restore, copy, import, the editor's drafts and new integrations share one step
(`_preview_or_deploy`): a preview of exactly what will change, then the deploy, then the record's
page, which says how it went.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe

from integrations.access import get_integration_for_user, get_project_for_user
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.deploy.blast_radius import blast_radius
from integrations.deploy.preview import preview_deploy
from integrations.deploy.service import DeployBusy, deploy
from integrations.forms import CopyTargetForm, DeployForm, ImportForm, amp_yaml_digest
from integrations.models import DeployRecord, Draft, Integration, Project, Snapshot
from integrations.permissions import Action
from integrations.views.browse import safe_file_name
from integrations.views.history import diff_sections

DEPLOYS_PAGE_SIZE = 50


@login_required
def restore_version(request: HttpRequest, pk: int, snapshot_pk: int) -> HttpResponse:
    integration = get_integration_for_user(request, pk, action=Action.DEPLOY)
    snapshot = get_object_or_404(integration.snapshots, pk=snapshot_pk)
    return _preview_or_deploy(
        request,
        project=integration.project,
        amp_yaml=snapshot.amp_yaml(),
        kind=DeployRecord.Kind.RESTORE,
        title=f"Restore {integration.name} to revision {snapshot.revision_id}",
        back=reverse("integrations:history", args=[integration.pk]),
        back_label=f"History of {integration.name}",
    )


@login_required
def copy_to_project(request: HttpRequest, pk: int) -> HttpResponse:
    integration = get_integration_for_user(request, pk)
    if integration.latest_snapshot is None:
        raise Http404("No version of this integration is kept yet.")
    targets = CopyTargetForm(request.GET or None, user=request.user, source=integration.project)
    if not targets.is_valid():
        return render(
            request, "integrations/copy.html", {"integration": integration, "form": targets}
        )
    target = targets.cleaned_data["target"]
    snapshot = Snapshot.objects.get(pk=integration.latest_snapshot_id)
    return _preview_or_deploy(
        request,
        project=target,
        amp_yaml=snapshot.amp_yaml(),
        kind=DeployRecord.Kind.COPY,
        title=f"Copy {integration.name} to project {target.name}",
        back=reverse("integrations:copy", args=[integration.pk]),
        back_label=f"Copy {integration.name}",
    )


@login_required
def import_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request, pk, action=Action.DEPLOY)
    if request.method == "POST" and "base_revisions" in request.POST:
        # The confirmation of a preview: deploy the very text previewed, checked as pasted text.
        confirmed = ImportForm({"text": request.POST.get("amp_yaml", "")})
        if not confirmed.is_valid():
            return render(
                request, "integrations/import.html", {"project": project, "form": confirmed}
            )
        return _preview_or_deploy(
            request,
            project=project,
            amp_yaml=confirmed.cleaned_data["amp_yaml"],
            kind=DeployRecord.Kind.IMPORT,
            title=f"Import into project {project.name}",
            back=reverse("project-import", args=[project.pk]),
            back_label="Import",
        )
    initial = {}
    earlier = request.GET.get("from_deploy", "")
    if earlier.isdigit():
        record = project.deploys.filter(pk=earlier).first()
        initial = {"text": record.amp_yaml} if record else {}
    form = ImportForm(request.POST or None, request.FILES or None, initial=initial)
    if form.is_valid():
        return _render_preview(
            request,
            project=project,
            amp_yaml=form.cleaned_data["amp_yaml"],
            title=f"Import into project {project.name}",
            back=reverse("project-import", args=[project.pk]),
            back_label="Import",
            form=None,
            editable=True,
        )
    return render(request, "integrations/import.html", {"project": project, "form": form})


def _preview_or_deploy(
    request: HttpRequest,
    *,
    project: Project,
    amp_yaml: str,
    kind: str,
    title: str,
    back: str,
    back_label: str,
    draft: Draft | None = None,
    base_revisions: dict[str, str | None] | None = None,
    carry: forms.Form | None = None,
) -> HttpResponse:
    """The preview of `amp_yaml`, and on its confirmation the deploy of exactly that text.

    The base revisions are those previewed, unless the caller knows them (`base_revisions`,
    e.g. None for a new integration). From a `draft`, the base is the revision the draft
    started from; its successful deploy closes the draft, and a conflict leads to its rebase.
    `carry` is a form whose input the confirmation sends back (as hidden fields) to the page
    that built `amp_yaml` from it.
    """
    if draft is not None:
        base_revisions = draft.base_revisions()
    shown = {
        "title": title,
        "back": back,
        "back_label": back_label,
        "editable": kind == DeployRecord.Kind.IMPORT,
        "draft": draft,
        "base_revisions": base_revisions,
        "carry": carry,
    }
    form = None
    if request.method == "POST":
        form = DeployForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            # A draft changes as it is typed: its deploy needs the digest of what was shown.
            if (data["previewed"] or draft) and data["previewed"] != amp_yaml_digest(amp_yaml):
                # e.g. the draft was edited in another tab: deploy only what was shown.
                messages.warning(
                    request, "The amp.yaml changed since that preview: here is the new one."
                )
                return _render_preview(
                    request, project=project, amp_yaml=amp_yaml, form=None, **shown
                )
            bases = data["base_revisions"] if base_revisions is None else base_revisions
            try:
                record = deploy(
                    project=project,
                    user=request.user,
                    amp_yaml=amp_yaml,
                    base_revisions=bases,
                    reason=data["reason"],
                    destructive=data["destructive"],
                    kind=kind,
                    idempotency_key=data["idempotency_key"],
                )
            except DeployBusy as error:
                form.add_error(None, str(error))
            else:
                if draft is not None and draft.close_after(record):
                    messages.success(request, "Deployed: your draft is closed.")
                elif draft is not None and record.outcome == DeployRecord.Outcome.CONFLICT:
                    messages.warning(
                        request,
                        "Not deployed: someone changed this integration since your draft began. "
                        "Your draft is kept; merge their change into it, then deploy again.",
                    )
                    return redirect("integrations:rebase", pk=draft.integration_id)
                return redirect("deploy-record", pk=record.pk)
    return _render_preview(request, project=project, amp_yaml=amp_yaml, form=form, **shown)


def _render_preview(
    request: HttpRequest,
    *,
    project: Project,
    amp_yaml: str,
    title: str,
    back: str,
    back_label: str,
    form: DeployForm | None,
    editable: bool,
    draft: Draft | None = None,
    base_revisions: dict[str, str | None] | None = None,
    carry: forms.Form | None = None,
) -> HttpResponse:
    reading = draft.kept_reading() if draft is not None else None
    preview = preview_deploy(project, amp_yaml, reading=reading)
    if form is None:
        form = DeployForm(
            initial={
                "base_revisions": (
                    preview.base_revisions if base_revisions is None else base_revisions
                ),
                "idempotency_key": uuid.uuid4().hex,
                "previewed": amp_yaml_digest(amp_yaml),
            }
        )
    rows = [
        (
            item,
            diff_sections(item.diff),
            blast_radius(item.diff, item.latest.integration_id) if item.latest else None,
        )
        for item in preview.integrations
    ]
    context = {
        "project": project,
        "title": title,
        "back": back,
        "back_label": back_label,
        "preview": preview,
        "form": form,
        "editable": editable,
        "draft": draft,
        "carry": carry,
        "rows": rows,
    }
    context.update(numbered_lines(amp_yaml, (issue.line for issue in preview.result.issues)))
    return render(request, "integrations/deploy_preview.html", context)


def earlier_deploy(project: Project, data: QueryDict) -> DeployRecord | None:
    """The deploy a confirmation submitted again already made (by its idempotency key)."""
    key = data.get("idempotency_key", "")
    if not (key and key.isprintable() and len(key) <= 100):
        return None
    return project.deploys.filter(idempotency_key=key).first()


@login_required
def deploy_record(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(
        DeployRecord.objects.for_user(request.user).select_related("project", "user"), pk=pk
    )
    names = list(dict.fromkeys([*record.base_revisions, *record.result_revisions]))
    integrations = {
        integration.name: integration
        for integration in record.project.integrations.filter(
            name__in=names, state=Integration.State.PRESENT
        )
    }
    changes = {change["name"]: change for change in record.changes}
    rows = [
        {
            "name": name,
            "integration": integrations.get(name),
            "base": record.base_revisions.get(name),
            "result": record.result_revisions.get(name),
            "new": changes.get(name, {}).get("new"),
            "summary": changes.get(name, {}).get("summary"),
        }
        for name in names
    ]
    conflicts = [
        {**conflict, "integration": integrations.get(conflict["name"])}
        for conflict in record.conflicts
    ]
    context = {"record": record, "rows": rows, "conflicts": conflicts}
    context.update(numbered_lines(record.amp_yaml, (i.get("line") for i in record.issues)))
    return render(request, "integrations/deploy_record.html", context)


@login_required
def project_deploys(request: HttpRequest, pk: int) -> HttpResponse:
    project = get_project_for_user(request, pk)
    records = project.deploys.select_related("user").defer("amp_yaml")
    page = Paginator(records, DEPLOYS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "integrations/project_deploys.html", {"project": project, "page": page})


@login_required
def project_manifest(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest version of every integration of the project, as one amp.yaml download."""
    project = get_project_for_user(request, pk)
    snapshots = Snapshot.objects.filter(
        pk__in=project.integrations.filter(state=Integration.State.PRESENT).values(
            "latest_snapshot"
        )
    ).order_by("integration__name")
    amp_yaml = build_manifest_yaml([snapshot.content for snapshot in snapshots])
    return yaml_download(amp_yaml, f"{safe_file_name(project.name)}.amp.yaml")


def yaml_download(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


def numbered_lines(amp_yaml: str, marked: Iterable[int | None]) -> dict[str, Any]:
    """What `_amp_yaml_lines.html` shows: a row per line, an anchor each, marked where an issue
    points. Built here with one escape of the whole text: a template loop over the 1,500 lines
    of a large integration took 30 ms, this takes 1."""
    marks = {line for line in marked if line}
    rows = []
    for number, line in enumerate(escape(amp_yaml).splitlines(), start=1):
        mark = ' class="marked"' if number in marks else ""
        rows.append(
            f'<tr id="amp-yaml-line-{number}"{mark}><td class="line-no">{number}</td>'
            f'<td><pre dir="ltr"><bdi>{line}</bdi></pre></td></tr>\n'
        )
    return {"amp_yaml_rows": mark_safe("".join(rows))}  # noqa: S308 (the text is escaped above)
