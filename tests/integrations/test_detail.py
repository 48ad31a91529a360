from __future__ import annotations

from urllib.parse import quote

import pytest
import yaml
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.ampersand.manifest import load_manifest
from integrations.models import Draft, Integration, Project
from integrations.presenters import present_content
from integrations.views import browse
from tests.integrations.conftest import (
    add_version,
    integration_json,
    renamed,
    store_integration,
)

TABS = ("read", "write", "subscribe", "proxy", "raw", "installations")
HTMX = {"HX-Request": "true"}
UNREACHABLE_API = "http://127.0.0.1:9/emulator/v1"


def without_bdi(html: str) -> str:
    """The page without its bidi isolation, for assertions on the markup around names."""
    return html.replace("<bdi>", "").replace("</bdi>", "")


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    browse.rendered_tabs.clear()
    yield
    cache.clear()
    browse.rendered_tabs.clear()


@pytest.fixture
def project(db) -> Project:
    # Nothing listens on port 9: the installations tab fails fast instead of reaching out.
    return Project.objects.create(name="demo", ampersand_project="demo", api_url=UNREACHABLE_API)


def read_object(name: str, fields: int = 3, **extra) -> dict:
    return {
        "objectName": name,
        "destination": "crmWebhook",
        "schedule": "*/30 * * * *",
        "requiredFields": [{"fieldName": f"{name}_key"}],
        "optionalFields": [{"fieldName": f"{name}_field_{n}"} for n in range(1, fields)],
        "backfill": {"defaultPeriod": {"days": 30}},
        **extra,
    }


def crm_content() -> dict:
    account = read_object(
        "account",
        mapToName="company",
        mapToDisplayName="Company",
        enabled="always",
        optionalFieldsAuto="all",
        delivery={"mode": "onRequest", "pageSize": 200},
    )
    account["requiredFields"].append(
        {
            "mapToName": "externalId",
            "mapToDisplayName": "External ID",
            "prompt": "Which field holds your app's ID?",
            "default": "account_key",
        }
    )
    account["optionalFields"].append(
        {"fieldName": "$['address']['city']", "mapToName": "city", "mapToDisplayName": "City"}
    )
    contact = read_object("contact", schedule="0 9 * * 1-5")
    contact["backfill"] = {"defaultPeriod": {"fullHistory": True}}
    return {
        "displayName": "CRM sync",
        "read": {"objects": [account, contact]},
        "write": {
            "objects": [
                {
                    "objectName": "account",
                    "inheritMapping": True,
                    "valueDefaults": {"allowAnyFields": True},
                }
            ]
        },
        "subscribe": {
            "objects": [
                {
                    "objectName": "account",
                    "destination": "eventsWebhook",
                    "inheritFieldsAndMapping": True,
                    "createEvent": {"enabled": "always"},
                    "updateEvent": {"enabled": "always", "watchFieldsAuto": "all"},
                    "associationChangeEvent": {"enabled": "always", "includeFullRecords": False},
                    "otherEvents": ["object.merged"],
                }
            ]
        },
        "watchSchema": {
            "destination": "schemaWebhook",
            "schedule": "0 */6 * * *",
            "allObjects": {"fieldCreated": {"enabled": "always"}},
        },
        "proxy": {"enabled": True, "useModule": True},
    }


@pytest.fixture
def crm(project) -> Integration:
    return store_integration(project, integration_json("crm-sync", **crm_content()))


def tab_url(integration: Integration, tab: str) -> str:
    return reverse("integrations:tab", args=[integration.pk, tab])


# --- page and tabs -------------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "partial"])
def test_non_ascii_names_in_the_header_and_a_cached_tab_arrive_intact(
    viewer_client, project, headers
):
    content = {"displayName": "Société générale", "read": {"objects": [read_object("élève")]}}
    integration = store_integration(project, integration_json("crm-€", **content))
    url = reverse("integrations:detail", args=[integration.pk])

    first = viewer_client.get(url, headers=headers)
    again = viewer_client.get(url, headers=headers)  # the tab now comes from memory

    for response in (first, again):
        html = without_bdi(response.content.decode("utf-8"))
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert "<h2>élève</h2>" in html
        assert "<code>élève_field_1</code>" in html
        assert ("Société générale" in html) is not bool(headers)
        assert "<!-- tab " not in html
    tabs = [response.content.split(b'<section id="detail-tabs"')[1] for response in (first, again)]
    assert tabs[0] == tabs[1]


def test_detail_shows_the_header_and_the_read_tab(viewer_client, crm):
    response = viewer_client.get(reverse("integrations:detail", args=[crm.pk]))

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert "<h1>crm-sync" in html
    assert "CRM sync" in html
    assert '<span class="badge badge-info" title="salesforce">Salesforce</span>' in html
    assert crm.latest_snapshot.revision_id in html
    assert reverse("integrations:history", args=[crm.pk]) in html
    assert reverse("integrations:amp-yaml", args=[crm.pk]) in html
    assert "<dt>Versions kept</dt><dd>1</dd>" in html
    assert 'id="tab-read"' in html
    assert 'aria-selected="true" aria-current="page">Read</a>' in html
    assert "every 30 minutes" in html


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_url_answers_a_full_page_with_that_tab_selected(viewer_client, crm, tab):
    response = viewer_client.get(tab_url(crm, tab))

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert "<html" in html
    assert "<h1>crm-sync" in html
    assert f'aria-labelledby="tab-{tab}"' in html
    assert html.count('aria-selected="true"') == 1
    assert f'href="{tab_url(crm, tab)}" role="tab" id="tab-{tab}"' in html


@pytest.mark.parametrize("tab", TABS)
def test_htmx_tab_request_gets_only_the_tabs_partial(viewer_client, crm, tab):
    response = viewer_client.get(tab_url(crm, tab), headers=HTMX)

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert "<html" not in html
    assert "<h1>" not in html
    assert html.strip().startswith('<section id="detail-tabs"')
    assert f'aria-labelledby="tab-{tab}"' in html
    assert "HX-Request" in response["Vary"]


def test_history_restore_request_gets_the_full_page(viewer_client, crm):
    response = viewer_client.get(
        tab_url(crm, "write"), headers={**HTMX, "HX-History-Restore-Request": "true"}
    )

    html = without_bdi(response.content.decode())
    assert "<html" in html
    assert 'aria-labelledby="tab-write"' in html


def test_tab_links_switch_with_htmx_and_push_the_url(viewer_client, crm):
    html = without_bdi(viewer_client.get(tab_url(crm, "read")).content.decode())

    for tab in TABS:
        url = tab_url(crm, tab)
        assert f'href="{url}" role="tab" id="tab-{tab}" hx-get="{url}"' in html
    assert html.count('hx-target="#detail-tabs"') == len(TABS)
    assert html.count('hx-push-url="true"') == len(TABS)


def test_unknown_tab_is_not_found(viewer_client, crm):
    assert viewer_client.get(f"/integrations/{crm.pk}/secrets/").status_code == 404


def test_integration_without_snapshot_says_so_on_every_tab(viewer_client, project):
    integration = Integration.objects.create(
        project=project, remote_id="r-1", name="fresh", provider="hubspot"
    )
    for tab in TABS:
        response = viewer_client.get(tab_url(integration, tab))
        assert response.status_code == 200
        assert "No snapshot of this integration yet" in response.content.decode()
    assert (
        viewer_client.get(reverse("integrations:amp-yaml", args=[integration.pk])).status_code
        == 404
    )


def test_removed_integration_shows_its_state(viewer_client, crm):
    Integration.objects.filter(pk=crm.pk).update(state=Integration.State.REMOVED)

    html = without_bdi(
        viewer_client.get(reverse("integrations:detail", args=[crm.pk])).content.decode()
    )

    assert '<span class="badge badge-bad">Removed remotely</span>' in html


# --- what each tab shows -------------------------------------------------------------------------


def test_read_tab_shows_each_object_and_its_fields(viewer_client, crm):
    html = without_bdi(viewer_client.get(tab_url(crm, "read"), headers=HTMX).content.decode())
    where_used = reverse("integrations:where-used")

    assert html.count('class="object-card"') == 2
    assert "<h2>account</h2>" in html
    assert '<code>company</code></a> <span class="muted">Company</span>' in html
    assert "every 30 minutes <code>*/30 * * * *</code>" in html
    assert "at 09:00 on weekdays <code>0 9 * * 1-5</code>" in html
    assert "on request, pages of 200 records" in html
    assert "<dd>always</dd>" in html
    assert "last 30 days" in html
    assert "full history" in html
    assert "the customer may add any other field" in html
    # every field, with its provider name linked to where it is used
    for name in ("account_key", "account_field_1", "account_field_2", "contact_key"):
        assert f'<a href="{where_used}?field={name}"><code>{name}</code></a>' in html
    assert f'href="{where_used}?map_to=contact_field_2"' in html
    # a nested field reads as its path and keeps its raw name
    raw_path = "$['address']['city']"
    assert f'title="{raw_path.replace("'", "&#x27;")}">address \u203a city</a>' in html
    assert f"?field={quote(raw_path, safe='/')}" in html
    # a user-picked mapping, its prompt and default
    assert "picked by the customer" in html
    assert "Which field holds your app&#x27;s ID?" in html
    assert f'default <a href="{where_used}?field=account_key"' in html
    assert "<code>externalId</code>" in html


def test_read_tab_of_an_integration_that_reads_nothing(viewer_client, project):
    integration = store_integration(project, integration_json("idle"))

    html = without_bdi(viewer_client.get(tab_url(integration, "read")).content.decode())

    assert "This integration reads no objects." in html


def test_write_tab_shows_inherited_mappings(viewer_client, crm):
    html = without_bdi(viewer_client.get(tab_url(crm, "write"), headers=HTMX).content.decode())

    assert "<h2>account</h2>" in html
    assert "inherits read mapping" in html
    assert "<dt>Value defaults: allow any fields</dt><dd>yes</dd>" in html
    assert "Mappings inherited from the read object account" in html
    assert "<code>externalId</code>" in html
    assert "<code>city</code>" in html
    assert "account_field_1" not in html  # not mapped, so nothing to inherit


def test_subscribe_tab_shows_events_and_schema_watch(viewer_client, crm):
    html = without_bdi(viewer_client.get(tab_url(crm, "subscribe"), headers=HTMX).content.decode())

    assert "eventsWebhook" in html
    assert "<dt>Inherit fields and mapping</dt><dd>yes</dd>" in html
    assert "watches every field" in html
    assert "without full records" in html
    assert "<code>object.merged</code>" in html
    assert "schemaWebhook" in html
    assert "every 6 hours <code>0 */6 * * *</code>" in html
    assert "field created: always" in html


def test_proxy_tab_shows_the_flags(viewer_client, crm):
    html = without_bdi(viewer_client.get(tab_url(crm, "proxy"), headers=HTMX).content.decode())

    assert '<dt>Proxy enabled</dt><dd><span class="badge badge-ok">yes</span>' in html
    assert "<dt>Use module</dt><dd>yes</dd>" in html


def test_empty_tabs_say_so(viewer_client, project):
    integration = store_integration(project, integration_json("idle"))

    pages = {tab: viewer_client.get(tab_url(integration, tab)).content.decode() for tab in TABS}

    assert "This integration writes no objects." in pages["write"]
    assert "This integration subscribes to no objects." in pages["subscribe"]
    assert "does not watch for schema changes" in pages["subscribe"]
    assert "This integration does not use the proxy." in pages["proxy"]


def test_raw_tab_shows_the_amp_yaml_and_the_exact_json(viewer_client, crm):
    html = without_bdi(viewer_client.get(tab_url(crm, "raw"), headers=HTMX).content.decode())

    assert "specVersion: 1.0.0" in html
    assert "- name: crm-sync" in html
    assert "&quot;latestRevision&quot;: {" in html
    assert f"&quot;id&quot;: &quot;{crm.remote_id}&quot;" in html


# --- amp.yaml download ---------------------------------------------------------------------------


def test_amp_yaml_download_parses_back_to_the_same_content(viewer_client, crm):
    response = viewer_client.get(reverse("integrations:amp-yaml", args=[crm.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml"
    assert response["Content-Disposition"] == 'attachment; filename="crm-sync.amp.yaml"'
    text = response.content.decode()
    manifest = load_manifest(text)
    assert [integration.name for integration in manifest.integrations] == ["crm-sync"]
    assert yaml.safe_load(text)["integrations"] == [crm.latest_snapshot.content]


def test_amp_yaml_file_name_is_made_safe(viewer_client, project):
    integration = store_integration(project, integration_json('../evil"; name=<x>\r\nX: y'))

    response = viewer_client.get(reverse("integrations:amp-yaml", args=[integration.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="evil-name-x-X-y.amp.yaml"'


# --- where used ----------------------------------------------------------------------------------


def test_where_used_finds_integrations_reading_a_provider_field(viewer_client, crm, project):
    other = store_integration(
        project, integration_json("other", read={"objects": [read_object("lead")]})
    )

    response = viewer_client.get(reverse("integrations:where-used"), {"field": "account_field_1"})

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert reverse("integrations:detail", args=[crm.pk]) in html
    assert reverse("integrations:detail", args=[other.pk]) not in html
    assert "object</span> account</td>" in html
    assert "reads it" in html


def test_where_used_finds_a_mapped_to_name_and_a_json_path(viewer_client, crm):
    by_name = viewer_client.get(reverse("integrations:where-used"), {"map_to": "city"})
    by_path = viewer_client.get(
        reverse("integrations:where-used"), {"field": "$['address']['city']"}
    )

    assert "maps to it" in by_name.content.decode()
    assert "address \u203a city" in by_path.content.decode()
    assert "reads it" in by_path.content.decode()


def test_where_used_hides_projects_the_user_is_not_in(client, outsider, crm):
    client.force_login(outsider)

    html = without_bdi(
        client.get(reverse("integrations:where-used"), {"field": "account_key"}).content.decode()
    )

    assert "crm-sync" not in html
    assert "No integration you can see uses it." in html


@pytest.mark.parametrize("query", [{}, {"field": "  "}, {"field": "x" * 1001}])
def test_where_used_without_a_valid_name_asks_for_one(viewer_client, query):
    response = viewer_client.get(reverse("integrations:where-used"), query)

    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


# --- permissions, escaping, queries --------------------------------------------------------------


def detail_urls(integration: Integration) -> list[str]:
    return [
        reverse("integrations:detail", args=[integration.pk]),
        *(tab_url(integration, tab) for tab in TABS),
        reverse("integrations:amp-yaml", args=[integration.pk]),
    ]


def test_outsiders_get_not_found_everywhere(client, outsider, crm):
    client.force_login(outsider)
    for url in detail_urls(crm):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers=HTMX).status_code == 404, url


def test_anonymous_users_are_sent_to_log_in(client, crm):
    for url in [*detail_urls(crm), reverse("integrations:where-used")]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_names_are_escaped_on_every_tab(viewer_client, project):
    evil = "<script>alert(1)</script>"
    obj = read_object(evil)
    obj["optionalFields"].append({"mapToName": evil, "prompt": evil, "default": evil})
    content = {
        "displayName": evil,
        "read": {"objects": [obj]},
        "write": {"objects": [{"objectName": evil, "inheritMapping": True}]},
        "subscribe": {
            "objects": [{"objectName": evil, "destination": evil, "otherEvents": [evil]}]
        },
    }
    integration = store_integration(project, integration_json(evil, **content))

    for tab in TABS:
        html = without_bdi(viewer_client.get(tab_url(integration, tab)).content.decode())
        assert "<script>alert" not in html, tab
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, tab
    html = without_bdi(
        viewer_client.get(reverse("integrations:where-used"), {"map_to": evil}).content.decode()
    )
    assert "<script>alert" not in html
    assert "maps to it" in html


def big_integration(project: Project, objects: int, fields: int) -> Integration:
    content = crm_content()
    content["read"]["objects"] = [read_object(f"object_{n}", fields) for n in range(objects)]
    return store_integration(project, integration_json(f"big-{objects}", **content))


@pytest.mark.parametrize("tab", [*TABS, None])
@pytest.mark.parametrize("objects", [2, 30])
def test_every_page_runs_a_constant_number_of_queries(
    viewer_client, project, django_assert_num_queries, tab, objects
):
    integration = big_integration(project, objects, fields=40)
    url = (
        tab_url(integration, tab) if tab else reverse("integrations:detail", args=[integration.pk])
    )
    # session, user, the integration with its project, snapshot, the user's role (for the Edit
    # link), the version of the provider catalog (for the provider's name) and (full page) its
    # counts of versions and drafts (none: no drafts query), and the snapshot's JSON only while
    # its tab is not rendered yet; the installations tab reads no JSON, and its counts come with
    # the integration (none kept: no rows query)
    with django_assert_num_queries(3 if tab == "installations" else 4):
        viewer_client.get(url)
    with django_assert_num_queries(3):
        viewer_client.get(url, headers=HTMX)


def test_the_header_counts_versions_and_reads_drafts_only_when_there_are_some(
    viewer_client, viewer, editor, project, django_assert_num_queries
):
    raw = integration_json("counted", **crm_content())
    integration = store_integration(project, raw)
    add_version(integration, renamed(raw, "Counted again"))
    url = reverse("integrations:detail", args=[integration.pk])
    viewer_client.get(url)  # its tab rendered once

    # session, user, the integration with its counts
    with django_assert_num_queries(3):
        html = without_bdi(viewer_client.get(url).content.decode())
    assert "<dt>Versions kept</dt><dd>2</dd>" in html
    assert "has a draft" not in html

    integration.refresh_from_db()
    Draft.start(integration, editor).save()
    # and then the drafts with their users
    with django_assert_num_queries(4):
        html = viewer_client.get(url).content.decode()
    assert f"<strong>{editor.get_username()}</strong> has a draft" in html
    assert "<dt>Versions kept</dt><dd>2</dd>" in html

    # A tab switch has no header: it neither counts nor reads the drafts.
    with CaptureQueriesContext(connection) as queries:
        viewer_client.get(tab_url(integration, "read"), headers=HTMX)
    assert len(queries) == 3
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


def test_a_snapshot_is_presented_once_then_served_from_the_cache(
    viewer_client, project, monkeypatch
):
    integration = big_integration(project, 30, fields=40)
    url = tab_url(integration, "read")
    presented = []

    def counting_present_content(content):
        presented.append(content["name"])
        return present_content(content)

    monkeypatch.setattr(browse, "present_content", counting_present_content)

    first = without_bdi(viewer_client.get(url, headers=HTMX).content.decode())
    second = without_bdi(viewer_client.get(url, headers=HTMX).content.decode())

    assert presented == ["big-30"]
    assert first == second
    assert first.count('class="object-card"') == 30
    assert first.count("<tr>") == 30 * 41  # a header row and 40 field rows per object
    assert "<code>object_29_field_39</code>" in first
