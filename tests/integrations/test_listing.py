from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from integrations.ampersand import AmpersandClient
from integrations.ampersand.manifest import load_catalog
from integrations.forms import SORT_KEYS, IntegrationListQuery
from integrations.models import (
    Integration,
    Membership,
    Project,
    Snapshot,
    SnapshotSearchText,
    store_catalog,
)
from integrations.search import search_text
from integrations.sync import sync_project
from integrations.views.listing import listed_version
from tests.integrations.conftest import (
    add_version,
    integration_json,
    renamed,
    store_integration,
)


def provider_badge(provider: str, shown: str) -> str:
    return f'<span class="badge badge-info" title="{provider}"><bdi>{shown}</bdi></span>'


LIST_URL = "/integrations/"
HTMX = {"HX-Request": "true"}


def names(response) -> list[str]:
    """The integration names in the rows of a list response, in order."""
    cells = re.findall(
        r'<td class="cell-name[^"]*">\s*<a href="[^"]*"><bdi>([^<]*)</bdi></a>', response.text
    )
    return [html.unescape(cell) for cell in cells]


def link(response, rel: str) -> str | None:
    found = re.search(rf'<a rel="{rel}" href="([^"]*)"', response.text)
    return html.unescape(found.group(1)) if found else None


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def objects(*object_names: str) -> dict[str, Any]:
    return {"objects": [{"objectName": name} for name in object_names]}


@pytest.fixture
def crm_integrations(project):
    store_integration(
        project,
        integration_json(
            "alpha-sync",
            displayName="Quarterly Revenue",
            read={
                "objects": [
                    {
                        "objectName": "opportunity",
                        "mapToName": "deals",
                        "requiredFields": [{"fieldName": "amount", "mapToName": "deal_value"}],
                        "optionalFields": [{"mapToName": "region_code"}],
                    }
                ]
            },
        ),
    )
    store_integration(
        project,
        integration_json(
            "beta-sync",
            provider="hubspot",
            displayName="Support desk",
            read=objects("ticket"),
            write=objects("note"),
            subscribe=objects("conversation"),
        ),
    )


# --- search ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ALPHA", ["alpha-sync"]),  # integration name, any case
        ("quarterly revenue", ["alpha-sync"]),  # display name, every word
        ("Opportunity", ["alpha-sync"]),  # read object name
        ("amount", ["alpha-sync"]),  # field name
        ("deal_value", ["alpha-sync"]),  # field mapToName
        ("deals", ["alpha-sync"]),  # object mapToName
        ("region_code", ["alpha-sync"]),  # mapping-only field
        ("note", ["beta-sync"]),  # write object name
        ("conversation", ["beta-sync"]),  # subscribe object name
        ("sync", ["alpha-sync", "beta-sync"]),
        ("alpha ticket", []),  # every word must match the same integration
    ],
)
def test_search_matches_each_kind_of_name(viewer_client, crm_integrations, term, expected):
    response = viewer_client.get(LIST_URL, {"q": term})

    assert response.status_code == 200
    assert names(response) == expected


def test_search_treats_like_wildcards_as_plain_characters(viewer_client, crm_integrations):
    assert names(viewer_client.get(LIST_URL, {"q": "%"})) == []
    assert names(viewer_client.get(LIST_URL, {"q": "_"})) == ["alpha-sync"]  # deal_value


def test_search_finds_unicode_names_whatever_their_case(viewer_client, project):
    store_integration(project, integration_json("Überweisung-sync", displayName="ÉTÉ"))

    assert names(viewer_client.get(LIST_URL, {"q": "überweisung été"})) == ["Überweisung-sync"]


def test_search_text_holds_each_name_once_lowercase_one_per_line():
    raw = integration_json(
        "Alpha",
        displayName="Alpha Display",
        read={
            "objects": [
                {"objectName": "Account", "requiredFields": [{"fieldName": "Name"}]},
                {"objectName": "account"},
            ]
        },
    )

    assert search_text(raw).split("\n") == ["alpha", "alpha display", "account", "name"]


def test_search_text_ignores_content_of_the_wrong_shape():
    raw = integration_json("odd", read="everything", write={"objects": ["x", None, {"no": 1}]})

    assert search_text(raw) == "odd"


def test_new_snapshots_store_their_search_text(project):
    integration = store_integration(project, integration_json("gamma", read=objects("Lead")))

    snapshot = Snapshot.objects.get(integration=integration)
    assert SnapshotSearchText.objects.get(snapshot=snapshot).text == "gamma\nlead"


def sync_answering(project: Project, *items: dict[str, Any]) -> None:
    """Sync `project` from an API that answers `items`."""
    body = orjson.dumps(list(items))
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=body, headers={"content-type": "application/json"}
        )
    )
    client = AmpersandClient(
        base_url="http://ampersand.invalid/v1", api_key="-", project="p", transport=transport
    )
    assert sync_project(project=project, client=client).status == "succeeded"


def read_objects(*object_names: str) -> dict[str, Any]:
    """Read objects as the API contract requires them."""
    return {
        "objects": [
            {"objectName": name, "destination": "defaultWebhook", "schedule": "*/10 * * * *"}
            for name in object_names
        ]
    }


def test_search_follows_the_latest_snapshot_of_each_sync(viewer_client, project):
    first = integration_json("crm-sync", read=read_objects("invoice"))
    other = integration_json("other-sync", read=read_objects("ticket"))
    sync_answering(project, first, other)
    assert names(viewer_client.get(LIST_URL, {"q": "invoice"})) == ["crm-sync"]

    changed = {**first, "latestRevision": {**first["latestRevision"], "id": "rev-new"}}
    changed["latestRevision"]["content"] = {
        **first["latestRevision"]["content"],
        "read": read_objects("payment"),
    }
    sync_answering(project, changed, other)

    assert names(viewer_client.get(LIST_URL, {"q": "invoice"})) == []
    assert names(viewer_client.get(LIST_URL, {"q": "payment"})) == ["crm-sync"]
    assert SnapshotSearchText.objects.count() == Snapshot.objects.count() == 3


# --- filters ---------------------------------------------------------------------------------


def test_project_filter_shows_only_that_project(client, viewer, project, other_project):
    Membership.objects.create(user=viewer, project=other_project)
    store_integration(project, integration_json("in-demo"))
    store_integration(other_project, integration_json("in-other"))
    client.force_login(viewer)

    assert names(client.get(LIST_URL, {"project": other_project.pk})) == ["in-other"]
    assert names(client.get(LIST_URL)) == ["in-demo", "in-other"]


def test_provider_filter(viewer_client, crm_integrations):
    assert names(viewer_client.get(LIST_URL, {"provider": "hubspot"})) == ["beta-sync"]
    assert names(viewer_client.get(LIST_URL, {"provider": "salesforce"})) == ["alpha-sync"]


def test_rows_and_the_provider_filter_name_providers_by_display_name(
    viewer_client, project, crm_integrations
):
    store_integration(project, integration_json("gamma-sync", provider="zendesk"))

    page = viewer_client.get(LIST_URL)

    assert provider_badge("hubspot", "HubSpot") in page.text
    assert provider_badge("salesforce", "Salesforce") in page.text
    # Unknown to the catalog: its own name.
    assert provider_badge("zendesk", "zendesk") in page.text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page.text)
    providers = options[options.index(("", "All providers")) :][:4]
    assert providers == [
        ("", "All providers"),
        ("hubspot", "HubSpot"),
        ("salesforce", "Salesforce"),
        ("zendesk", "zendesk"),
    ]


def test_a_newly_stored_catalog_renames_providers_on_a_cached_page(
    viewer_client, project, crm_integrations
):
    viewer_client.get(LIST_URL)
    viewer_client.get(LIST_URL, {"q": "support"}, headers=HTMX)
    providers = {**load_catalog().raw}
    providers["hubspot"] = {**providers["hubspot"], "displayName": "HubSpot CRM"}

    store_catalog(project.base_url, providers)

    page = viewer_client.get(LIST_URL)
    assert provider_badge("hubspot", "HubSpot CRM") in page.text
    assert '<option value="hubspot">HubSpot CRM</option>' in page.text
    live = viewer_client.get(LIST_URL, {"q": "support"}, headers=HTMX)
    assert provider_badge("hubspot", "HubSpot CRM") in live.text


def test_state_filter_and_removed_badge(viewer_client, project, crm_integrations):
    Integration.objects.filter(name="beta-sync").update(state=Integration.State.REMOVED)

    removed = viewer_client.get(LIST_URL, {"state": "removed"})
    present = viewer_client.get(LIST_URL, {"state": "present"})

    assert names(removed) == ["beta-sync"]
    assert "removed remotely</span>" in removed.text
    assert names(present) == ["alpha-sync"]
    assert "removed remotely</span>" not in present.text


@pytest.mark.parametrize(
    ("flag", "expected"),
    [("has_write", ["writer"]), ("has_subscribe", ["subscriber"]), ("has_proxy", ["proxied"])],
)
def test_capability_filters(viewer_client, project, flag, expected):
    store_integration(project, integration_json("reader", read=objects("a")))
    store_integration(project, integration_json("writer", write=objects("a")))
    store_integration(project, integration_json("subscriber", subscribe=objects("a")))
    store_integration(project, integration_json("proxied", proxy={"enabled": True}))
    store_integration(project, integration_json("proxy-off", proxy={"enabled": False}))

    assert names(viewer_client.get(LIST_URL, {flag: "on"})) == expected
    assert len(names(viewer_client.get(LIST_URL, {flag: "false"}))) == 5


def test_filters_and_search_combine(viewer_client, crm_integrations):
    response = viewer_client.get(LIST_URL, {"q": "sync", "provider": "hubspot", "has_write": "1"})

    assert names(response) == ["beta-sync"]


# --- sorting ---------------------------------------------------------------------------------


@pytest.fixture
def sortable(admin_user, db) -> None:
    """Three integrations whose every sortable value rises in the order zulu, alpha, mike."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for rank, (name, provider) in enumerate([("zulu", "asana"), ("alpha", "box"), ("mike", "crm")]):
        project = Project.objects.create(name=f"p{rank}", ampersand_project=f"p{rank}")
        raw = integration_json(
            name,
            provider=provider,
            read=objects(*["o"] * (rank + 1)),
            write=objects(*["o"] * (rank + 1)),
            subscribe=objects(*["o"] * (rank + 1)),
        )
        raw["latestRevision"]["createTime"] = (start + timedelta(days=rank)).isoformat()
        integration = store_integration(project, raw)
        # A queryset update bypasses Snapshot.save's immutability; only tests may do this.
        Snapshot.objects.filter(integration=integration).update(
            taken_at=start + timedelta(days=rank)
        )


@pytest.mark.parametrize(
    "key", ["provider", "project", "revision", "read", "write", "subscribe", "changed"]
)
def test_sort_by_each_column_both_ways(admin_client, sortable, key):
    ascending = names(admin_client.get(LIST_URL, {"sort": key}))
    descending = names(admin_client.get(LIST_URL, {"sort": f"-{key}"}))

    assert ascending == ["zulu", "alpha", "mike"]
    assert descending == ["mike", "alpha", "zulu"]


def test_sort_by_name_both_ways_and_by_default(admin_client, sortable):
    assert names(admin_client.get(LIST_URL)) == ["alpha", "mike", "zulu"]
    assert names(admin_client.get(LIST_URL, {"sort": "name"})) == ["alpha", "mike", "zulu"]
    assert names(admin_client.get(LIST_URL, {"sort": "-name"})) == ["zulu", "mike", "alpha"]


def test_column_headers_link_to_the_other_order_and_keep_the_filters(admin_client, sortable):
    response = admin_client.get(LIST_URL, {"q": "u", "provider": "asana", "sort": "read"})

    headers = dict(
        (label, html.unescape(href))
        for href, label in re.findall(
            r'<a href="([^"]*)" hx-get="[^"]*" class="sort-link">([^<]*)<', response.text
        )
    )
    assert params(headers["Read"]) == {"q": ["u"], "provider": ["asana"], "sort": ["-read"]}
    assert params(headers["Name"]) == {"q": ["u"], "provider": ["asana"]}
    assert params(headers["Last change"])["sort"] == ["-changed"]  # newest first on first click
    assert '<th scope="col" class="num" aria-sort="ascending"><a' in response.text


@pytest.mark.parametrize("sort", ["name", "-name", "read", "-changed", "provider"])
def test_column_links_are_the_querys_own_urls_of_the_first_page_in_that_order(sort):
    query = IntegrationListQuery(q="a b&c", provider="asana", has_write=True, sort=sort, page=3)

    for key, column in query.sort_columns().items():
        reverses = column.direction == "ascending" or (
            column.direction is None and SORT_KEYS[key].descending_first
        )
        assert column.url == query.url(sort=f"-{key}" if reverses else key, page=1)


# --- pagination ------------------------------------------------------------------------------


@pytest.fixture
def many(project) -> None:
    for number in range(120):
        store_integration(project, integration_json(f"sync-{number:03}"))


def test_pages_of_fifty_with_rel_links_that_keep_the_params(viewer_client, many):
    first = viewer_client.get(LIST_URL, {"q": "sync", "sort": "-name"})
    second = viewer_client.get(link(first, "next"))
    third = viewer_client.get(link(second, "next"))

    assert len(names(first)) == 50
    assert names(first)[0] == "sync-119"
    assert link(first, "prev") is None
    assert params(link(first, "next")) == {"q": ["sync"], "sort": ["-name"], "page": ["2"]}
    assert names(second)[0] == "sync-069"
    assert params(link(second, "prev")) == {"q": ["sync"], "sort": ["-name"]}
    assert names(third) == [f"sync-{n:03}" for n in range(19, -1, -1)]
    assert link(third, "next") is None
    assert "101\N{EN DASH}120 of <strong>120</strong>" in third.text


@pytest.mark.parametrize(
    ("page", "first_name"),
    [
        ("999", "sync-100"),
        ("abc", "sync-000"),
        ("-2", "sync-000"),
        ("1e9", "sync-000"),
        ("99999999999999999999", "sync-100"),
    ],
)
def test_page_out_of_range_or_garbage_falls_back(viewer_client, many, page, first_name):
    response = viewer_client.get(LIST_URL, {"page": page})

    assert response.status_code == 200
    assert names(response)[0] == first_name


# --- htmx and the form without JavaScript ----------------------------------------------------


def test_htmx_request_gets_only_the_results_and_the_url_to_show(viewer_client, crm_integrations):
    response = viewer_client.get(
        LIST_URL, {"q": "  Ticket ", "project": "", "has_write": "on"}, headers=HTMX
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="results"')
    assert "<html" not in response.text
    assert "<form" not in response.text
    assert names(response) == ["beta-sync"]
    assert response["HX-Push-Url"] == "/integrations/?q=Ticket&has_write=1"


def test_full_page_has_the_form_and_the_results(viewer_client, crm_integrations):
    response = viewer_client.get(LIST_URL, {"q": "sync"})

    assert "<html" in response.text
    assert 'id="list-filters"' in response.text
    assert '<div id="results"' in response.text
    assert "HX-Push-Url" not in response


def test_history_restore_gets_the_full_page(viewer_client, crm_integrations):
    response = viewer_client.get(
        LIST_URL, {"q": "sync"}, headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.text
    assert 'value="sync"' in response.text


def test_search_form_works_without_javascript(viewer_client, crm_integrations):
    page = viewer_client.get(LIST_URL).text
    form = re.search(r"<form id=\"list-filters\"[^>]*>", page).group(0)
    fields = set(re.findall(r'name="([a-z_]+)"', page.split(form, 1)[1].split("</form>", 1)[0]))

    assert 'method="get"' in form
    assert 'action="/integrations/"' in form
    assert '<button type="submit">Search</button>' in page
    assert fields >= {"q", "project", "provider", "state", "has_write", "has_subscribe"}
    # What a browser sends when the form is submitted with only the search box filled.
    submitted = viewer_client.get(
        LIST_URL, {"q": "ticket", "project": "", "provider": "", "state": ""}
    )
    assert names(submitted) == ["beta-sync"]
    assert "It was ignored" not in submitted.text


def test_search_input_is_debounced_and_keeps_the_other_controls(viewer_client, project):
    page = viewer_client.get(LIST_URL).text

    assert 'hx-trigger="input changed delay:300ms, search"' in page
    assert 'hx-include="this"' in page


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"sort": "password"}, "Unknown sort order password."),
        ({"sort": "-"}, "Unknown sort order -."),
        ({"project": "abc"}, "You have no project with id abc."),
        ({"project": "999999"}, "You have no project with id 999999."),
        ({"provider": "<b>x</b>"}, "None of your integrations uses provider &lt;b&gt;x&lt;/b&gt;."),
        ({"state": "deleted"}, "Unknown state deleted."),
    ],
)
def test_bad_values_are_ignored_with_a_message(viewer_client, crm_integrations, query, message):
    response = viewer_client.get(LIST_URL, query)

    assert response.status_code == 200
    assert message in response.text
    assert names(response) == ["alpha-sync", "beta-sync"]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "x" * 5000},
        {"q": "\x00"},
        {"q": "a " * 300},
        {"has_write": "garbage", "page": "", "sort": ""},
        {"project": "1" * 40},
        {"unknown": "param"},
    ],
)
def test_garbage_never_breaks_the_page(viewer_client, crm_integrations, query):
    for headers in ({}, HTMX):
        assert viewer_client.get(LIST_URL, query, headers=headers).status_code == 200


def test_names_are_escaped(viewer_client, project):
    store_integration(project, integration_json("<script>alert(1)</script>", displayName="<b>"))

    response = viewer_client.get(LIST_URL, {"q": "<script>"})

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    assert "<script>alert" not in response.text
    assert "<b>" not in response.text


# --- permissions -----------------------------------------------------------------------------


def test_outsider_sees_nothing_of_other_projects(client, outsider, project, other_project):
    store_integration(project, integration_json("secret-sync", provider="secretcrm"))
    store_integration(other_project, integration_json("own-sync"))
    client.force_login(outsider)

    listed = client.get(LIST_URL)
    searched = client.get(LIST_URL, {"q": "secret"})
    by_project = client.get(LIST_URL, {"project": project.pk})
    by_provider = client.get(LIST_URL, {"provider": "secretcrm"})

    assert names(listed) == ["own-sync"]
    assert "secret" not in listed.text
    assert f'<option value="{project.pk}"' not in listed.text
    assert names(searched) == []
    assert names(by_project) == ["own-sync"]
    assert f"You have no project with id {project.pk}." in by_project.text
    assert names(by_provider) == ["own-sync"]


def test_user_without_projects_is_told_so(client, django_user_model, project):
    store_integration(project, integration_json("hidden"))
    client.force_login(django_user_model.objects.create_user("loner"))

    response = client.get(LIST_URL)

    assert names(response) == []
    assert "not a member of any project" in response.text


def test_anonymous_user_is_sent_to_log_in(client, db):
    response = client.get(LIST_URL, {"q": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- empty states ----------------------------------------------------------------------------


def test_empty_project_says_how_to_fetch_integrations(viewer_client, project):
    response = viewer_client.get(LIST_URL)

    assert "No integrations yet." in response.text
    assert "sync_integrations" in response.text


def test_no_match_says_what_search_looks_in(viewer_client, crm_integrations):
    response = viewer_client.get(LIST_URL, {"q": "nothing-like-this"})

    assert "No integration matches “<bdi>nothing-like-this</bdi>”." in response.text
    assert "field names and mapToNames" in response.text


# --- rendered once, shown as it is now -------------------------------------------------------


def test_rows_show_absolute_times_not_time_since(viewer_client, project):
    integration = store_integration(project, integration_json("timed"))
    Snapshot.objects.filter(integration=integration).update(
        taken_at=datetime(2026, 11, 27, 22, 37, 5, tzinfo=UTC)
    )

    response = viewer_client.get(LIST_URL)

    assert '<time datetime="2026-11-27T22:37:05+00:00">2026-11-27 22:37</time>' in response.text
    assert " ago<" not in response.text


def test_cached_rows_follow_changes_to_names_state_and_project(viewer_client, project):
    integration = store_integration(project, integration_json("before", displayName="Old"))
    assert names(viewer_client.get(LIST_URL)) == ["before"]

    Integration.objects.filter(pk=integration.pk).update(
        name="after", display_name="New name", state=Integration.State.REMOVED
    )
    Project.objects.filter(pk=project.pk).update(name="renamed-project")
    response = viewer_client.get(LIST_URL)

    assert names(response) == ["after"]
    assert "New name" in response.text
    assert "Old" not in response.text
    assert "removed remotely</span>" in response.text
    assert "<td>renamed-project</td>" in response.text


def test_a_new_snapshot_shows_in_its_cached_row(viewer_client, project):
    integration = store_integration(project, integration_json("versioned", read=objects("a")))
    assert '<td class="num">1<span class="stack-label"' in viewer_client.get(LIST_URL).text

    raw = integration_json("versioned", read=objects("a", "b", "c"))
    raw["id"] = integration.remote_id
    add_version(integration, raw)
    response = viewer_client.get(LIST_URL)

    assert '<td class="num">3<span class="stack-label"' in response.text
    assert f'title="{raw["latestRevision"]["id"]}"' in response.text


def test_new_integrations_and_providers_show_after_the_page_was_cached(viewer_client, project):
    store_integration(project, integration_json("first"))
    viewer_client.get(LIST_URL)

    store_integration(project, integration_json("second", provider="zendesk"))
    response = viewer_client.get(LIST_URL)

    assert names(response) == ["first", "second"]
    assert "<strong>2</strong> integrations" in response.text
    assert '<option value="zendesk">zendesk</option>' in response.text


def test_a_new_search_of_the_same_data_reads_the_filter_choices_no_more(
    viewer_client, project, django_assert_num_queries
):
    _store_many(project, 3)
    viewer_client.get(LIST_URL, {"q": "object1"})

    # session, user, the projects' version, the page's rows and total: the form's projects
    # and providers are those read for the first search, its rows rendered then
    with django_assert_num_queries(4):
        response = viewer_client.get(LIST_URL, {"q": "object2"})

    assert names(response) == ["sync-0", "sync-1", "sync-2"]
    assert '<option value="salesforce">Salesforce</option>' in response.text
    assert f'<option value="{project.pk}">{project.name}</option>' in response.text


def test_a_renamed_project_shows_in_the_filter_choices_at_once(viewer_client, project):
    _store_many(project, 1)
    viewer_client.get(LIST_URL, {"q": "object1"})
    project.name = "renamed project"
    project.save()

    response = viewer_client.get(LIST_URL, {"q": "object2"})

    assert f'<option value="{project.pk}">renamed project</option>' in response.text


def valid_integration(name: str, *object_names: str, **content: Any) -> dict[str, Any]:
    return integration_json(name, read=read_objects(*object_names), **content)


def test_the_same_query_of_unchanged_data_is_served_from_the_page_cache(viewer_client, project):
    _store_many(project, 3)
    query = {"q": "object1", "sort": "-name"}
    first = viewer_client.get(LIST_URL, query, headers=HTMX)

    with CaptureQueriesContext(connection) as queries:
        again = viewer_client.get(LIST_URL, query, headers=HTMX)

    assert names(again) == ["sync-2", "sync-1", "sync-0"]
    assert again.text == first.text
    assert again["HX-Push-Url"] == first["HX-Push-Url"]
    # session, user, the projects' version; neither the form's choices nor the rows
    assert len(queries) == 3
    assert not any('"integrations_integration"."name"' in q["sql"] for q in queries)


def test_a_page_after_the_same_live_search_renders_only_its_controls(viewer_client, project):
    _store_many(project, 3)
    live = viewer_client.get(LIST_URL, {"q": "object1"}, headers=HTMX)
    assert 'id="list-filters"' not in live.text

    with CaptureQueriesContext(connection) as queries:
        page = viewer_client.get(LIST_URL, {"q": "object1"})

    # session, user, the projects' version; the form's projects and providers were read for
    # the live search, and its rows rendered
    assert len(queries) == 3
    assert names(page) == names(live) == ["sync-0", "sync-1", "sync-2"]
    assert 'value="object1"' in page.text
    assert '<option value="salesforce">Salesforce</option>' in page.text


def test_the_version_covers_exactly_the_projects_the_user_may_see(
    django_user_model, viewer, outsider, project, other_project
):
    third = Project.objects.create(name="third", ampersand_project="third")
    store_integration(project, integration_json("alpha"))
    store_integration(project, integration_json("beta"))
    store_integration(other_project, integration_json("gamma"))
    admin = django_user_model.objects.create_superuser("root", password="pw-root-1")
    loner = django_user_model.objects.create_user("loner", password="pw-loner-1")

    for user in (viewer, outsider, admin, loner):
        version = listed_version(user)
        visible = list(Project.objects.for_user(user).order_by("pk").values_list("pk", "name"))
        assert [row[:2] for row in version] == visible
    counts = {row[1]: row[2] for row in listed_version(admin)}
    assert counts == {"demo": 2, "other": 1, "third": 0}
    assert [row[3] for row in listed_version(admin) if row[0] == third.pk] == [None]


def test_a_sync_that_changes_an_integration_shows_on_a_cached_page(viewer_client, project):
    alpha, beta = valid_integration("alpha", "contact"), valid_integration("beta")
    sync_answering(project, alpha, beta)
    viewer_client.get(LIST_URL)
    viewer_client.get(LIST_URL, {"q": "contact"})

    changed = renamed(alpha, "Renamed alpha")
    changed["latestRevision"]["content"]["read"] = read_objects("lead")
    sync_answering(project, changed, beta)

    page = viewer_client.get(LIST_URL)
    assert "Renamed alpha" in page.text
    assert names(viewer_client.get(LIST_URL, {"q": "contact"})) == []
    assert names(viewer_client.get(LIST_URL, {"q": "lead"})) == ["alpha"]


def test_integrations_removed_and_back_show_on_a_cached_page(viewer_client, project):
    alpha, beta = valid_integration("alpha"), valid_integration("beta")
    sync_answering(project, alpha, beta)
    assert "removed remotely" not in viewer_client.get(LIST_URL).text

    sync_answering(project, alpha)
    assert "removed remotely" in viewer_client.get(LIST_URL).text
    assert names(viewer_client.get(LIST_URL, {"state": "removed"})) == ["beta"]

    # Back unchanged: no new snapshot, only its state changes.
    sync_answering(project, alpha, beta)
    assert "removed remotely" not in viewer_client.get(LIST_URL).text
    assert names(viewer_client.get(LIST_URL, {"state": "removed"})) == []


def test_a_resync_without_changes_keeps_the_cached_page(viewer_client, project):
    alpha = valid_integration("alpha")
    sync_answering(project, alpha)
    viewer_client.get(LIST_URL)
    sync_answering(project, alpha)

    with CaptureQueriesContext(connection) as queries:
        viewer_client.get(LIST_URL)

    assert len(queries) == 3


def test_renamed_projects_and_new_memberships_show_on_a_cached_page(viewer_client, viewer, project):
    store_integration(project, integration_json("alpha"))
    viewer_client.get(LIST_URL)

    Project.objects.filter(pk=project.pk).update(name="renamed-project")
    assert "<td>renamed-project</td>" in viewer_client.get(LIST_URL).text

    other = Project.objects.create(name="other", ampersand_project="other")
    store_integration(other, integration_json("gamma"))
    assert names(viewer_client.get(LIST_URL)) == ["alpha"]
    Membership.objects.create(user=viewer, project=other, role=Membership.Role.VIEWER)
    assert names(viewer_client.get(LIST_URL)) == ["alpha", "gamma"]


def test_same_rows_in_other_orders_and_searches_come_from_the_cache(viewer_client, project):
    _store_many(project, 3)
    viewer_client.get(LIST_URL)

    # session, user, the projects' version, the page's rows and total (the form's projects and
    # providers were read for the first page)
    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get(LIST_URL, {"sort": "-name", "q": "object1"})

    assert names(response) == ["sync-2", "sync-1", "sync-0"]
    assert len(queries) == 4
    assert not any('"integrations_snapshot"' in query["sql"] for query in queries)


# --- queries ---------------------------------------------------------------------------------


def _store_many(project: Project, count: int) -> None:
    for number in range(count):
        fields = [{"fieldName": f"field{n}", "mapToName": f"to{n}"} for n in range(20)]
        read = {
            "objects": [{"objectName": f"object{n}", "requiredFields": fields} for n in range(5)]
        }
        store_integration(
            project,
            integration_json(
                f"sync-{number}", read=read, write=objects("a"), proxy={"enabled": True}
            ),
        )


@pytest.mark.parametrize("count", [5, 60])
@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "field7 sync"},
        {"q": "object", "provider": "salesforce", "has_write": "1", "has_proxy": "1"},
        {"sort": "-changed", "state": "present"},
    ],
)
def test_query_count_does_not_grow_with_integrations(
    viewer_client, project, django_assert_num_queries, count, query
):
    _store_many(project, count)

    # session, user, the projects' version, the form's projects and providers, the page's rows
    # and total, and the snapshots of the rows never rendered before
    with django_assert_num_queries(6):
        response = viewer_client.get(LIST_URL, query)
    # The same query of the same data: session, user, the projects' version.
    with django_assert_num_queries(3):
        partial = viewer_client.get(LIST_URL, query, headers=HTMX)
    with django_assert_num_queries(3):
        again = viewer_client.get(LIST_URL, query)

    assert len(names(response)) == min(count, 50)
    assert names(partial) == names(again) == names(response)


def test_a_stored_catalog_costs_the_list_no_query(
    viewer_client, project, django_assert_num_queries
):
    _store_many(project, 5)
    store_catalog(project.base_url, {**load_catalog().raw})

    # As without one: its version comes with the projects' version, and the catalog itself
    # is parsed once per process.
    with django_assert_num_queries(6):
        response = viewer_client.get(LIST_URL)
    with django_assert_num_queries(3):
        viewer_client.get(LIST_URL)
    assert provider_badge("salesforce", "Salesforce") in response.text


def test_list_never_loads_snapshot_json_or_search_text(viewer_client, project):
    _store_many(project, 3)

    with CaptureQueriesContext(connection) as queries:
        viewer_client.get(LIST_URL, {"q": "object1"})

    rows_query = queries.captured_queries[-1]["sql"]
    selected = rows_query.split(" FROM ", 1)[0]
    assert '"integrations_snapshot"."raw"' not in selected
    assert '"integrations_snapshotsearchtext"."text"' not in selected
    assert '"integrations_integration"."search_text"' not in selected
    assert '"integrations_snapshot"."read_count"' in selected


def _cache_entries() -> dict[str, Any]:
    from django.core.cache import cache

    return dict(cache._cache)  # LocMemCache: key -> pickled value


@pytest.mark.timeout(300)  # 10,000 requests: about a minute on a busy machine
def test_junk_queries_do_not_grow_the_cache(viewer, project, settings):
    # Cookie sessions: one query less per request, for 10,000 of them.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    client = Client()
    client.force_login(viewer)
    _store_many(project, 3)
    client.get(LIST_URL)
    client.get(LIST_URL, headers=HTMX)
    baseline = _cache_entries()

    # 10,000 distinct queries: parameters the list does not read, respellings of its
    # defaults, and values it refuses (echoed on the page, so never kept).
    junk = [
        *({"utm": str(n)} for n in range(6_000)),
        *({"q": " " * (n % 50), "page": f"0{n % 2}", "sort": "name", "x": n} for n in range(3_600)),
        *({"state": f"bad{n}"} for n in range(200)),
        *({"sort": f"bad{n}", "has_write": "garbage"} for n in range(200)),
    ]
    assert len({repr(sorted(query.items())) for query in junk}) == 10_000
    for number, query in enumerate(junk):
        response = client.get(LIST_URL, query, headers=HTMX if number % 10 else {})
        assert response.status_code == 200

    grown = _cache_entries()
    assert set(grown) == set(baseline)
    assert sum(map(len, grown.values())) == sum(map(len, baseline.values()))


def test_respelled_queries_share_one_cache_entry(viewer_client, project):
    _store_many(project, 3)
    for query in (
        {"q": "object1", "has_write": "1"},
        {"q": "  object1 ", "has_write": "on", "page": "1", "sort": "name", "junk": "x"},
        {"has_write": "yes", "q": "object1"},
    ):
        viewer_client.get(LIST_URL, query, headers=HTMX)
    pages = [key for key in _cache_entries() if "list-page" in key]
    assert len(pages) == 1


def test_a_results_piece_too_large_for_the_cache_is_served_but_not_kept(
    viewer_client, project, settings
):
    settings.LIST_CACHE_MAX_PIECE_CHARS = 100
    _store_many(project, 3)
    response = viewer_client.get(LIST_URL, headers=HTMX)
    assert names(response) == ["sync-0", "sync-1", "sync-2"]
    assert not [key for key in _cache_entries() if "list-page" in key]
