from __future__ import annotations

import math
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Window
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import push_url

from integrations.forms import IntegrationFilterForm
from integrations.models import Integration

PER_PAGE = 50


@login_required
def integration_list(request: HttpRequest) -> HttpResponse:
    form = IntegrationFilterForm.for_user(request.GET, request.user)
    query = form.list_query()
    integrations = query.apply(
        Integration.objects.for_user(request.user)
        .select_related("project", "latest_snapshot")
        .defer("latest_snapshot__raw", "latest_snapshot__search_text")
    )
    page = page_with_total(integrations, query.page, per_page=PER_PAGE)
    context = {
        "form": form,
        "query": query,
        "page": page,
        "columns": query.sort_columns(),
        "ignored_input": form.ignored_input(),
        "has_projects": bool(form.projects_by_pk),
        "previous_url": query.url(page=page.number - 1) if page.has_previous() else "",
        "next_url": query.url(page=page.number + 1) if page.has_next() else "",
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "integrations/list.html#results", context)
        # The address bar shows the cleaned query, so a shared link reads the way it filters.
        return push_url(response, query.url(page=page.number))
    return render(request, "integrations/list.html", context)


def page_with_total(queryset: Any, number: int, *, per_page: int) -> Page:
    """Page `number` of `queryset` (the last page if past the end), in two queries.

    The first picks the page's ids and the total (COUNT(*) OVER ()), reading only the columns
    that filter and sort; the second loads those rows whole. Selecting every joined column
    under the window would read each snapshot row (on SQLite, past its large `raw`) for every
    integration, not for one page. A page past the end costs a count and a second pick.
    """
    ids_and_total = queryset.annotate(total_rows=Window(Count("pk"))).values_list(
        "pk", "total_rows"
    )
    paginator = Paginator(ids_and_total, per_page)
    picked = list(ids_and_total[(number - 1) * per_page : number * per_page])
    if not picked and number > 1:
        number = max(1, math.ceil(queryset.count() / per_page))
        picked = list(ids_and_total[(number - 1) * per_page : number * per_page])
    paginator.count = picked[0][1] if picked else 0
    rows = queryset.in_bulk([pk for pk, _ in picked])
    return Page([rows[pk] for pk, _ in picked], number, paginator)
