from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django_htmx.http import push_url

from integrations.ampersand.manifest import Catalog, load_catalog
from integrations.forms import FilterChoices, IntegrationFilterForm, IntegrationListQuery
from integrations.models import (
    Integration,
    Membership,
    Project,
    ProviderCatalog,
    Snapshot,
    known_catalog,
)

PER_PAGE = 50
ROW_TEMPLATE = "integrations/list.html#row"
ROW_CACHE_PREFIX = "ampdash:list-row:v3"
PAGE_CACHE_PREFIX = "ampdash:list-page:v4"
FILTERS_CACHE_PREFIX = "ampdash:list-filters:v2"
CHOICES_CACHE_PREFIX = "ampdash:list-choices:v1"


class ListedRow(NamedTuple):
    """What a row of the list shows besides its snapshot, which never changes."""

    pk: int
    latest_snapshot_id: int | None
    state: str
    name: str
    provider: str
    display_name: str
    project_name: str
    provider_name: str

    @property
    def cache_key(self) -> str:
        names = "\n".join(
            (self.name, self.provider, self.display_name, self.project_name, self.provider_name)
        )
        digest = hashlib.blake2b(names.encode(), digest_size=8).hexdigest()
        return f"{ROW_CACHE_PREFIX}:{self.pk}:{self.latest_snapshot_id}:{self.state}:{digest}"


# In ListedRow's order, then the project's id.
ROW_COLUMNS = (
    "i.id, i.latest_snapshot_id, i.state, i.name, i.provider, i.display_name, i.project_id"
)
SNAPSHOT_FIELDS = (
    "revision_id",
    "revision_created_at",
    "read_count",
    "write_count",
    "subscribe_count",
    "taken_at",
)


@login_required
def integration_list(request: HttpRequest) -> HttpResponse:
    # What the page shows follows from the parameters it reads (normalised) and the user's
    # projects as they are now (see listed_version): the same key, the same HTML. An htmx
    # request (typing in the search box) needs only the results.
    partial = request.htmx and not request.htmx.history_restore_request
    wanted = ("results",) if partial else ("results", "controls")
    params = IntegrationFilterForm.read_params(request.GET)
    version = listed_version(request.user)
    page_key = list_cache_key(params, version)
    keys = {name: f"{page_key}:{name}" for name in wanted}
    found = cache.get_many(keys.values())
    pieces = {name: found[key] for name, key in keys.items() if key in found}
    if missing := [name for name in wanted if name not in pieces]:
        # Rendered from the normalised parameters, so that all the input sharing a key
        # renders the same page.
        catalogs = project_catalogs(version)
        form = IntegrationFilterForm.for_user(
            QueryDict(urlencode(params)),
            request.user,
            catalogs=catalogs,
            choices=filter_choices(request.user, version, catalogs),
        )
        fresh = render_list(form, missing)
        # Input the list ignored is reported on the page, which echoes it: never kept, so
        # junk cannot fill the cache.
        if form.is_valid():
            storable = {name: piece for name, piece in fresh.items() if fits_cache(piece)}
            cache.set_many({keys[name]: piece for name, piece in storable.items()}, timeout=None)
        pieces |= fresh
    results, url = pieces["results"]
    if partial:
        # The address bar shows the cleaned query, so a shared link reads the way it filters.
        return push_url(HttpResponse(results), url)
    return render(
        request, "integrations/list.html", {"controls": pieces["controls"], "results": results}
    )


def filter_choices(
    user: Any, version: list[tuple[Any, ...]], catalogs: dict[int, Catalog]
) -> FilterChoices:
    """The projects and providers `user` may filter by, read once per `version` of the user's
    projects (`listed_version`), which changes with every integration's provider and every
    project's name and catalog: a new search of the same data asks them nothing."""
    digest = hashlib.blake2b(repr(version).encode(), digest_size=16).hexdigest()
    return cache.get_or_set(
        f"{CHOICES_CACHE_PREFIX}:{digest}",
        lambda: IntegrationFilterForm.filter_choices(user, catalogs=catalogs),
        None,
    )


def list_cache_key(params: dict[str, str], version: list[tuple[Any, ...]]) -> str:
    state = (sorted(params.items()), version)
    digest = hashlib.blake2b(repr(state).encode(), digest_size=16).hexdigest()
    return f"{PAGE_CACHE_PREFIX}:{digest}"


def fits_cache(piece: Any) -> bool:
    """Whether a rendered piece is small enough to keep: MAX_ENTRIES times this bounds the
    memory the list's pages take."""
    html = piece[0] if isinstance(piece, tuple) else piece
    return len(html) <= settings.LIST_CACHE_MAX_PIECE_CHARS


def listed_version(user: Any) -> list[tuple[Any, ...]]:
    """What changes whenever anything the list could show `user` changes, in one query.

    Per project the user may see (Project.objects.for_user's rule): its name, how many
    integrations it has and when one last changed (`Integration.changed_at`, set by every write
    of what the list shows; snapshots themselves never change), its API base URL and the hash
    of the provider catalog stored for it (None: the bundled one), which name its providers.
    This assumes the clocks of the processes that write to the database agree, as they do on
    one host.
    """
    # Written out rather than built with the ORM: it runs on every list request, and building
    # the same query through the ORM costs several times what the database takes to answer it.
    default_url = settings.AMPERSAND_API_URL
    if user.is_superuser:
        sql, params = VERSION_SQL.format(where=""), [default_url, default_url]
    else:
        sql, params = VERSION_SQL.format(where=MEMBER_WHERE), [default_url, default_url, user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Each subquery reads its own slice of the (project, changed_at) index.
VERSION_SQL = f"""
    SELECT p.id, p.name,
        (SELECT COUNT(*) FROM {Integration._meta.db_table} i WHERE i.project_id = p.id),
        (SELECT MAX(i.changed_at) FROM {Integration._meta.db_table} i WHERE i.project_id = p.id),
        COALESCE(NULLIF(p.api_url, ''), %s),
        (SELECT c.content_hash FROM {ProviderCatalog._meta.db_table} c
            WHERE c.base_url = COALESCE(NULLIF(p.api_url, ''), %s))
    FROM {Project._meta.db_table} p {{where}}
    ORDER BY p.id
"""  # noqa: S608 (table names from the models, no input)
MEMBER_WHERE = (
    f"WHERE p.id IN (SELECT m.project_id FROM {Membership._meta.db_table} m WHERE m.user_id = %s)"  # noqa: S608
)


def project_catalogs(version: list[tuple[Any, ...]]) -> dict[int, Catalog]:
    """The provider catalog of each project of `version` (`listed_version`), by project id.

    A project made since `version` was read gets the bundled one.
    """
    return defaultdict(
        load_catalog,
        {pk: known_catalog(base_url, version=stored) for pk, *_, base_url, stored in version},
    )


def render_list(form: IntegrationFilterForm, pieces: list[str]) -> dict[str, Any]:
    """The HTML of the list's regions named in `pieces`: "results" (with the URL of what they
    show) and "controls"."""
    rendered: dict[str, Any] = {}
    if "controls" in pieces:
        rendered["controls"] = render_to_string(
            "integrations/list.html#controls", {"form": form, "filters": rendered_filters(form)}
        )
    if "results" not in pieces:
        return rendered
    query = form.list_query()
    # The user's projects as the form just read them (Integration.objects.for_user's rule),
    # which also name the rows' projects: no join, no second look at the memberships.
    projects = form.projects_by_pk
    page = listed_page(query, per_page=PER_PAGE, projects=projects, catalogs=form.catalogs)
    context = {
        "query": query,
        "page": page,
        "rows": rendered_rows(page.object_list),
        "ignored_input": form.ignored_input(),
        "has_projects": bool(projects),
        "previous_url": query.url(page=page.number - 1) if page.has_previous() else "",
        "next_url": query.url(page=page.number + 1) if page.has_next() else "",
    }
    rendered["results"] = (
        render_to_string("integrations/list.html#results", context),
        query.url(page=page.number),
    )
    return rendered


def rendered_filters(form: IntegrationFilterForm) -> SafeString:
    """The filter controls' HTML (all but the search box), cached: their widgets cost more
    to render than the rest of the page, and typing a search does not change them."""
    if not form.is_valid():  # shows the input it ignored: not kept
        return render_to_string("integrations/list.html#filters", {"form": form})
    key = f"{FILTERS_CACHE_PREFIX}:{form.filters_key()}"
    return cache.get_or_set(
        key, lambda: render_to_string("integrations/list.html#filters", {"form": form}), None
    )


def listed_page(
    query: IntegrationListQuery,
    *,
    per_page: int,
    projects: dict[int, Project],
    catalogs: dict[int, Catalog],
) -> Page:
    """The page of `query` (the last page if past the end) among the integrations of
    `projects`, as `ListedRow`s, in one query.

    Written out in SQL, from the query's own conditions and order: it runs on every new search,
    and building it through the ORM took longer than the database took to answer it. Only the
    integrations' own columns are read, never a snapshot's; `projects` and `catalogs` name
    them and their providers. The total comes with the rows: when a filter reads snapshots or
    their search texts, as COUNT(*) OVER (), which runs those filters once; otherwise as a
    subquery that filters again, cheaper than the window's sorting every row with every
    selected column. A page past the end costs a count and a second pick.
    """
    if not projects:
        return Page([], 1, Paginator([], per_page))
    conditions, params = query.where()
    in_projects = f"i.project_id IN ({', '.join(['%s'] * len(projects))})"
    where = " AND ".join([in_projects, *conditions])
    params = [*projects, *params]
    tables, order = query.tables(), query.order_by()
    if query.reads_snapshots:
        total, total_params = "COUNT(*) OVER ()", []
    else:
        total = f"(SELECT COUNT(*) FROM {Integration._meta.db_table} i WHERE {where})"  # noqa: S608
        total_params = params
    pick = (
        f"SELECT {ROW_COLUMNS}, {total} FROM {tables} WHERE {where} "  # noqa: S608
        f"ORDER BY {order} LIMIT %s OFFSET %s"
    )
    number = query.page
    with connection.cursor() as cursor:
        cursor.execute(pick, [*total_params, *params, per_page, (number - 1) * per_page])
        picked = cursor.fetchall()
        if not picked and number > 1:
            cursor.execute(f"SELECT COUNT(*) FROM {tables} WHERE {where}", params)  # noqa: S608
            number = max(1, math.ceil(cursor.fetchone()[0] / per_page))
            cursor.execute(pick, [*total_params, *params, per_page, (number - 1) * per_page])
            picked = cursor.fetchall()
    paginator = Paginator([], per_page)
    paginator.count = picked[0][-1] if picked else 0
    rows = [
        ListedRow(
            *values[:-2],
            project_name=projects[values[-2]].name,
            provider_name=catalogs[values[-2]].display_name(values[4]),
        )
        for values in picked
    ]
    return Page(rows, number, paginator)


def rendered_rows(rows: list[ListedRow]) -> SafeString:
    """The table rows' HTML, each rendered once and then cached for good.

    A row shows what its `ListedRow` holds, which makes its cache key, and its latest snapshot,
    which never changes; so only the rows missing from the cache load their snapshot (one
    query for all of them) and render.
    """
    keys = {row: row.cache_key for row in rows}
    html = cache.get_many(keys.values())
    missing = [row for row, key in keys.items() if key not in html]
    if missing:
        snapshots = Snapshot.objects.only(*SNAPSHOT_FIELDS).in_bulk(
            [row.latest_snapshot_id for row in missing if row.latest_snapshot_id]
        )
        fresh = {}
        for row in missing:
            snapshot = snapshots.get(row.latest_snapshot_id)
            context = {"row": row, "snapshot": snapshot}
            fresh[keys[row]] = render_to_string(ROW_TEMPLATE, context)
        # A snapshot deleted since its row was picked is shown missing, but not kept so.
        cache.set_many(
            {
                keys[row]: fresh[keys[row]]
                for row in missing
                if row.latest_snapshot_id is None or row.latest_snapshot_id in snapshots
            },
            timeout=None,
        )
        html |= fresh
    return mark_safe("".join(html[keys[row]] for row in rows))  # noqa: S308
