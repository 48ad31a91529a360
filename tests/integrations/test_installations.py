"""The installations ampdash keeps: the sync stores them, the tab reads them from the database
(paged, searched, filtered, counted), "refresh now" fetches them live, and each has its page."""

from __future__ import annotations

import copy
import importlib
import re
from datetime import timedelta

import msgspec
import orjson
import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from emulator.models import Installation as RemoteInstallation
from emulator.models import Operation as RemoteOperation
from integrations import installations
from integrations.ampersand.client import ListedGroup, ListedInstallation
from integrations.installations import store_installations, sync_installations
from integrations.models import (
    Installation,
    InstallationConfigVersion,
    Integration,
    Project,
)
from integrations.sync import sync_project
from tests.integrations.conftest import (
    connected_project,
    integration_json,
    seed_remote,
    store_integration,
)

HTMX = {"HX-Request": "true"}
UNREACHABLE_API = "http://127.0.0.1:9/emulator/v1"
MANY = 10_000
PAGE_WEIGHT_LIMIT = 200_000
WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.I)


def tab_url(integration: Integration, **query: str) -> str:
    url = reverse("integrations:tab", args=[integration.pk, "installations"])
    if query:
        url += "?" + "&".join(f"{name}={value}" for name, value in query.items())
    return url


def refresh_url(integration: Integration) -> str:
    return reverse("integrations:installations-refresh", args=[integration.pk])


def page_url(installation: Installation) -> str:
    return reverse("integrations:installation", args=[installation.integration_id, installation.pk])


def without_bdi(html: str) -> str:
    return html.replace("<bdi>", "").replace("</bdi>", "")


# --- the sync keeps them --------------------------------------------------------------------


@pytest.fixture
def seeded(emulator_api) -> Project:
    """A project synced from an emulator project of 3 integrations and their installations."""
    return connected_project(seed_remote(emulator_api, integrations=3, seed=2))


def remote_state() -> dict[str, tuple[str, str, str, str]]:
    return {
        remote.id: (
            remote.group["groupRef"],
            remote.group["groupName"],
            remote.health_status,
            remote.last_operation_status,
        )
        for remote in RemoteInstallation.objects.all()
    }


def kept_state(project: Project) -> dict[str, tuple[str, str, str, str]]:
    return {
        kept.remote_id: (
            kept.group_ref,
            kept.group_name,
            kept.health_status,
            kept.last_operation_status,
        )
        for kept in Installation.objects.filter(project=project, removed_at__isnull=True)
    }


def test_sync_keeps_every_installation_of_the_project(seeded):
    sync_project(project=seeded)

    assert kept_state(seeded) == remote_state()
    for kept in Installation.objects.filter(project=seeded).select_related("integration"):
        remote = RemoteInstallation.objects.get(id=kept.remote_id)
        assert kept.integration.remote_id == remote.integration_id
        assert kept.config == remote.config
        assert kept.created_at == remote.create_time
    assert not InstallationConfigVersion.objects.exists()


def test_resync_without_changes_writes_nothing(seeded):
    sync_project(project=seeded)
    before = list(Installation.objects.values())

    with CaptureQueriesContext(connection) as queries:
        result = sync_installations(seeded)

    writes = [query["sql"] for query in queries if WRITES.match(query["sql"])]
    assert writes == []
    assert (result.new, result.changed, result.removed, result.error) == (0, 0, 0, "")
    assert result.fetched == len(before)
    assert list(Installation.objects.values()) == before


def test_a_changed_config_keeps_the_earlier_one_as_a_version(seeded):
    sync_project(project=seeded)
    remote = RemoteInstallation.objects.order_by("id").first()
    kept = Installation.objects.get(remote_id=remote.id)
    earlier_config, earlier_hash = kept.config, kept.config_hash
    config = copy.deepcopy(remote.config)
    config["content"]["read"]["objects"].popitem()
    RemoteInstallation.objects.filter(pk=remote.pk).update(config=config)

    result = sync_installations(seeded)

    assert (result.new, result.changed, result.removed) == (0, 1, 0)
    kept.refresh_from_db()
    assert kept.config == config
    assert kept.config_hash != earlier_hash
    assert kept.config_seen_at == kept.seen_changed_at > kept.first_seen_at
    [version] = kept.config_versions.all()
    assert (version.config, version.config_hash) == (earlier_config, earlier_hash)
    assert version.seen_at == kept.first_seen_at


def test_a_health_change_updates_the_installation_without_a_config_version(seeded):
    sync_project(project=seeded)
    remote = RemoteInstallation.objects.order_by("id").first()
    RemoteInstallation.objects.filter(pk=remote.pk).update(
        health_status="unhealthy", last_operation_status="failure"
    )

    result = sync_installations(seeded)

    assert (result.new, result.changed, result.removed) == (0, 1, 0)
    kept = Installation.objects.get(remote_id=remote.id)
    assert (kept.health_status, kept.last_operation_status) == ("unhealthy", "failure")
    assert kept.seen_changed_at > kept.first_seen_at
    assert kept.config_seen_at == kept.first_seen_at
    assert not kept.config_versions.exists()


def test_an_installation_no_longer_listed_is_marked_removed_then_back_when_listed_again(seeded):
    sync_project(project=seeded)
    remote = RemoteInstallation.objects.order_by("id").first()
    saved = RemoteInstallation.objects.get(pk=remote.pk)
    remote.delete()

    assert sync_installations(seeded).removed == 1
    kept = Installation.objects.get(remote_id=saved.id)
    assert kept.removed_at is not None
    assert sync_installations(seeded).removed == 0  # already marked

    saved.save()
    assert sync_installations(seeded).changed == 1
    kept.refresh_from_db()
    assert kept.removed_at is None


def test_a_new_definition_is_compared_again_without_the_installation_changing(seeded):
    sync_project(project=seeded)
    kept = Installation.objects.order_by("pk").first()
    Installation.objects.filter(pk=kept.pk).update(compared_hash="an older definition")

    result = sync_installations(seeded)

    assert result.changed == 1
    again = Installation.objects.get(pk=kept.pk)
    assert again.compared_hash == kept.compared_hash
    assert again.seen_changed_at == kept.seen_changed_at


def counted(project: Project) -> dict[int, tuple[int, int, int, int]]:
    """Each integration's counts of its present installations, counted from the rows."""
    rows = Installation.objects.filter(project=project, removed_at__isnull=True)
    return {
        integration.pk: (
            rows.filter(integration=integration).count(),
            rows.filter(integration=integration, health_status="healthy").count(),
            rows.filter(integration=integration, health_status="unhealthy").count(),
            rows.filter(integration=integration, difference_count__gt=0).count(),
        )
        for integration in project.integrations.all()
    }


def kept_counts(project: Project) -> dict[int, tuple[int, int, int, int]]:
    return {
        pk: tuple(counts)
        for pk, *counts in project.integrations.values_list("pk", *installations.COUNT_FIELDS)
    }


def test_the_kept_counts_follow_each_change_a_sync_keeps(seeded):
    sync_project(project=seeded)
    first = kept_counts(seeded)
    assert first == counted(seeded)
    assert sum(total for total, *_ in first.values()) == RemoteInstallation.objects.count()
    [sick, gone] = RemoteInstallation.objects.filter(health_status="healthy").order_by("id")[:2]
    RemoteInstallation.objects.filter(pk=sick.pk).update(health_status="unhealthy")
    saved = RemoteInstallation.objects.get(pk=gone.pk)
    gone.delete()

    assert sync_installations(seeded).changed == 1
    after = kept_counts(seeded)
    assert after == counted(seeded)
    sick_of = Integration.objects.get(project=seeded, remote_id=sick.integration_id).pk
    gone_of = Integration.objects.get(project=seeded, remote_id=saved.integration_id).pk
    assert sum(a[0] for a in after.values()) == sum(f[0] for f in first.values()) - 1
    assert after[sick_of][2] == first[sick_of][2] + 1
    assert after[gone_of] != first[gone_of]

    saved.save()
    sync_installations(seeded)
    assert kept_counts(seeded) == counted(seeded)
    assert sum(a[0] for a in kept_counts(seeded).values()) == RemoteInstallation.objects.count()


def test_a_new_definition_recounts_the_installations_that_differ(seeded):
    sync_project(project=seeded)
    # As if compared with an older definition, which every installation matched.
    Installation.objects.update(compared_hash="an older definition", difference_count=0)
    Integration.objects.update(installations_differing=0)
    assert any(differing for *_, differing in counted(seeded).values()) is False

    sync_installations(seeded)

    assert kept_counts(seeded) == counted(seeded)
    assert any(differing for *_, differing in kept_counts(seeded).values())


def test_the_migration_counts_the_installations_already_kept(crm):
    keep_many(crm, 20)
    Integration.objects.update(**{field: 0 for field in installations.COUNT_FIELDS})
    counting = importlib.import_module(
        "integrations.migrations.0020_integration_installation_counts"
    )

    counting.count_kept_installations(django_apps, None)

    assert kept_counts(crm.project)[crm.pk] == (20, 18, 2, 5)


def test_a_failed_fetch_keeps_what_was_kept_and_says_why(seeded, settings):
    sync_project(project=seeded)
    before = list(Installation.objects.values())
    settings.AMPERSAND_EMULATOR_FAULTS = "kinds=500"

    result = sync_installations(seeded)

    assert "500" in result.error
    assert list(Installation.objects.values()) == before


def test_a_customers_text_holding_a_nul_is_kept_spelled_out(crm):
    # Found by fuzzing: a NUL in one group's name made every installation's sync fail on
    # PostgreSQL. msgspec reads the API's "\u0000" as the character itself.
    [listed] = listed_many(crm, 1)
    listed = msgspec.structs.replace(
        listed,
        id="inst\x00",
        group=ListedGroup(group_ref="org\x00", group_name="Acme\x00 Inc"),
        created_by="consumer:\x00",
    )

    first = store_installations(crm.project, [listed])
    again = store_installations(crm.project, [listed])

    kept = Installation.objects.get()
    assert (kept.remote_id, kept.group_ref, kept.group_name, kept.created_by) == (
        "inst\\x00",
        "org\\x00",
        "Acme\\x00 Inc",
        "consumer:\\x00",
    )
    assert (first.new, first.error) == (1, "")
    assert (again.new, again.changed, again.removed) == (0, 0, 0)


def test_a_failure_to_keep_the_installations_does_not_fail_the_sync(seeded, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(installations, "store_installations", broken)

    run = sync_project(project=seeded)

    assert run.status == "succeeded"
    assert seeded.integrations.count() == 3
    assert not Installation.objects.exists()
    assert sync_installations(seeded).error == "Could not store the installations."


# --- the tab reads them from the database ---------------------------------------------------


def read_object(name: str) -> dict:
    return {
        "objectName": name,
        "destination": "crmWebhook",
        "schedule": "*/30 * * * *",
        "requiredFields": [{"fieldName": f"{name}_key"}],
        "optionalFields": [{"fieldName": f"{name}_field_{n}"} for n in range(1, 4)],
        "backfill": {"defaultPeriod": {"days": 30}},
    }


def as_defined(*names: str) -> dict:
    """A config that chooses exactly what `read_object`s of `names` define."""
    return {
        "id": "config",
        "revisionId": "revision",
        "createTime": "2026-01-05T09:00:00Z",
        "createdBy": "consumer:someone",
        "content": {
            "provider": "salesforce",
            "read": {
                "objects": {
                    name: {
                        "objectName": name,
                        "schedule": "*/30 * * * *",
                        "destination": "crmWebhook",
                        "selectedFields": {
                            f"{name}_key": True,
                            **{f"{name}_field_{n}": True for n in range(1, 4)},
                        },
                        "selectedFieldMappings": {},
                    }
                    for name in names
                }
            },
        },
    }


@pytest.fixture
def project(db) -> Project:
    # Nothing listens on port 9: a page that reached out to the API would show it.
    return Project.objects.create(name="demo", ampersand_project="demo", api_url=UNREACHABLE_API)


@pytest.fixture
def crm(project) -> Integration:
    content = {"read": {"objects": [read_object("account"), read_object("contact")]}}
    return store_integration(project, integration_json("crm-sync", **content))


def listed_many(integration: Integration, count: int) -> list[ListedInstallation]:
    """`count` installations as the API lists them: every 10th unhealthy, every 4th differing
    from the definition, names "Customer 00000" onwards, refs "org_00000" onwards."""
    now = timezone.now()
    configs = [orjson.dumps(as_defined("account", "contact")), orjson.dumps(as_defined("account"))]
    return [
        ListedInstallation(
            id=f"installation-{n:05}",
            integration_id=integration.remote_id,
            health_status="unhealthy" if n % 10 == 0 else "healthy",
            config=msgspec.Raw(configs[n % 4 == 0]),
            group=ListedGroup(group_ref=f"org_{n:05}", group_name=f"Customer {n:05}"),
            last_operation_status="failure" if n % 10 == 0 else "success",
            create_time=now - timedelta(days=n % 300),
            created_by=f"consumer:{n}",
        )
        for n in range(count)
    ]


def keep_many(integration: Integration, count: int) -> None:
    """`listed_many` kept as the sync keeps them."""
    store_installations(
        integration.project, listed_many(integration, count), integration=integration
    )


@pytest.fixture
def many(crm) -> Integration:
    keep_many(crm, MANY)
    return crm


def names_in(html: str) -> list[str]:
    return re.findall(r"Customer \d{5}", without_bdi(html))


def test_the_tab_shows_fifty_kept_installations_a_page_and_the_counts_at_ten_thousand(
    viewer_client, many
):
    response = viewer_client.get(tab_url(many))

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert names_in(html) == [f"Customer {n:05}" for n in range(50)]
    assert "<strong>10000</strong> installations kept by ampdash" in html
    assert "9000 healthy" in html
    assert "1000 unhealthy" in html
    assert "2500 differ from the definition" in html
    assert "Page 1 of 200" in html
    assert "Could not" not in html


def test_the_counts_are_coloured_only_when_there_is_something_to_count(viewer_client, crm):
    keep_many(crm, 1)  # one installation: unhealthy, and differing from the definition

    html = without_bdi(viewer_client.get(tab_url(crm)).content.decode())

    assert '<span class="badge badge-muted">0 healthy</span>' in html
    assert '<span class="badge badge-bad">1 unhealthy</span>' in html
    assert '<span class="badge badge-warn">1 differs from the definition</span>' in html


def test_the_last_page_at_ten_thousand(viewer_client, many):
    html = viewer_client.get(tab_url(many, page="200"), headers=HTMX).content.decode()

    assert names_in(html) == [f"Customer {n:05}" for n in range(9950, 10_000)]
    assert "Page 200 of 200" in html
    assert 'rel="prev"' in html
    assert 'rel="next"' not in html


@pytest.mark.parametrize("query", ["Customer 0424", "org_0424", "ORG_0424"])
def test_search_by_group_name_or_reference_at_ten_thousand(viewer_client, many, query):
    html = viewer_client.get(tab_url(many, q=query.replace(" ", "+")), headers=HTMX)

    assert names_in(html.content.decode()) == [f"Customer 0424{n}" for n in range(10)]


def test_filters_by_health_and_by_difference_at_ten_thousand(viewer_client, many):
    unhealthy = viewer_client.get(tab_url(many, health="unhealthy"), headers=HTMX)
    differing = viewer_client.get(
        tab_url(many, health="unhealthy", differs="yes", page="2"), headers=HTMX
    )
    as_defined_page = viewer_client.get(tab_url(many, differs="no"), headers=HTMX)

    assert names_in(unhealthy.content.decode()) == [f"Customer {n:05}" for n in range(0, 500, 10)]
    assert "of 1000 shown" in unhealthy.content.decode()
    # every 20th: unhealthy (every 10th) and differing (every 4th)
    assert names_in(differing.content.decode()) == [
        f"Customer {n:05}" for n in range(1000, 2000, 20)
    ]
    assert "of 500 shown" in differing.content.decode()
    assert all(int(name[-5:]) % 4 for name in names_in(as_defined_page.content.decode()))


def test_a_filter_the_form_refuses_is_ignored(viewer_client, many):
    response = viewer_client.get(tab_url(many, health="purple", page="x"), headers=HTMX)

    assert response.status_code == 200
    assert names_in(response.content.decode())[:2] == ["Customer 00000", "Customer 00001"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "partial"])
def test_the_tab_weighs_under_200_kb_at_ten_thousand(viewer_client, many, headers):
    response = viewer_client.get(tab_url(many), headers=headers)

    assert response.status_code == 200
    assert len(response.content) < PAGE_WEIGHT_LIMIT


def test_the_tab_runs_a_constant_number_of_queries(viewer_client, crm, django_assert_num_queries):
    keep_many(crm, 60)
    # session, user, the integration with the role, the provider catalog's version and its
    # kept counts, (full page) its counts of versions and drafts (none: no drafts query);
    # then, for a list not seen since the installations last changed, its count and its rows
    with django_assert_num_queries(5):
        viewer_client.get(tab_url(crm, q="Customer", page="2"))
    with django_assert_num_queries(3):
        viewer_client.get(tab_url(crm, q="Customer", page="2"))
    with django_assert_num_queries(3):
        viewer_client.get(tab_url(crm, q="Customer", page="2"), headers=HTMX)
    with django_assert_num_queries(5):
        viewer_client.get(tab_url(crm, q="Customer", page="3"), headers=HTMX)


def test_an_htmx_request_aimed_at_the_list_gets_the_list_only(viewer_client, crm):
    keep_many(crm, 3)

    html = viewer_client.get(
        tab_url(crm), headers={**HTMX, "HX-Target": "installations"}
    ).content.decode()

    assert html.lstrip().startswith('<div id="installations"')
    assert 'role="tablist"' not in html


def test_removed_installations_are_not_listed(viewer_client, crm):
    keep_many(crm, 3)
    Installation.objects.filter(remote_id="installation-00001").update(removed_at=timezone.now())

    html = viewer_client.get(tab_url(crm), headers=HTMX).content.decode()

    assert names_in(html) == ["Customer 00000", "Customer 00002"]


def test_the_tab_without_installations_says_how_to_get_them(viewer_client, crm):
    html = viewer_client.get(tab_url(crm), headers=HTMX).content.decode()

    assert "the next sync, or Refresh now, fetches them" in html


# --- refresh now ----------------------------------------------------------------------------------


@pytest.fixture
def synced(seeded) -> Integration:
    sync_project(project=seeded)
    return seeded.integrations.order_by("name").first()


def test_refresh_now_fetches_the_integrations_installations_live(client, synced, viewer):
    client.force_login(viewer)
    synced.project.memberships.create(user=viewer, role="viewer")
    remote = RemoteInstallation.objects.filter(integration_id=synced.remote_id).first()
    health = "healthy" if remote.health_status == "unhealthy" else "unhealthy"
    RemoteInstallation.objects.filter(pk=remote.pk).update(health_status=health)

    response = client.post(refresh_url(synced), headers=HTMX)

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert "Installations refreshed from Ampersand: 0 new, 1 changed, 0 removed." in html
    assert Installation.objects.get(remote_id=remote.id).health_status == health
    unhealthy = Installation.objects.filter(integration=synced, health_status="unhealthy")
    assert f"{unhealthy.count()} unhealthy" in html


def test_refresh_now_without_htmx_leads_back_to_the_tab_with_a_message(client, synced, viewer):
    client.force_login(viewer)
    synced.project.memberships.create(user=viewer, role="viewer")

    response = client.post(refresh_url(synced), follow=True)

    assert response.redirect_chain == [(tab_url(synced), 302)]
    assert "Installations refreshed from Ampersand: 0 new, 0 changed, 0 removed." in (
        without_bdi(response.content.decode())
    )


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_refresh_now_with_the_api_down_says_so_and_keeps_the_list(
    client, synced, viewer, settings, headers
):
    client.force_login(viewer)
    synced.project.memberships.create(user=viewer, role="viewer")
    kept = list(Installation.objects.values())
    settings.AMPERSAND_EMULATOR_FAULTS = "kinds=503"

    response = client.post(refresh_url(synced), headers=headers, follow=True)

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert "Could not refresh the installations" in html
    assert "503" in html
    assert list(Installation.objects.values()) == kept
    assert "Customer" in html or synced.installations.first().group_name in html


def test_refresh_now_is_a_post(viewer_client, crm):
    assert viewer_client.get(refresh_url(crm)).status_code == 405


def test_refresh_now_with_an_unreachable_api_answers_at_once(viewer_client, crm):
    response = viewer_client.post(refresh_url(crm), headers=HTMX)

    assert response.status_code == 200
    assert "Could not refresh the installations from Ampersand." in response.content.decode()


# --- one installation's page ----------------------------------------------------------------------


def test_the_installation_page_compares_its_config_field_by_field(viewer_client, crm):
    keep_many(crm, 1)
    installation = Installation.objects.get()
    config = as_defined("account", "lead")
    del config["content"]["read"]["objects"]["account"]["selectedFields"]["account_field_2"]
    config["content"]["read"]["objects"]["account"]["backfill"] = {
        "defaultPeriod": {"fullHistory": True}
    }
    Installation.objects.filter(pk=installation.pk).update(config=config)

    response = viewer_client.get(page_url(installation))

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert "Customer 00000" in html
    assert "3 read objects differ from the integration" in html
    assert re.search(
        r'<th scope="row" role="rowheader">account_field_2</th><td role="cell">optional</td>'
        r'<td role="cell" class="differs">not selected</td>',
        html,
    )
    assert '<th scope="row" role="rowheader">Backfill</th><td role="cell">last 30 days</td>' in html
    assert "full history" in html
    assert (
        '<th scope="row" role="rowheader">account_key</th><td role="cell">required</td>'
        '<td role="cell">selected</td>'
    ) in html
    assert "not in the definition" in html  # lead
    # contact: not selected at all
    assert re.search(r"<strong>contact</strong> <span class=\"badge badge-warn\">differs", html)


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("success", '<span class="badge badge-ok">success</span>'),
        ("failure", '<span class="badge badge-bad">failure</span>'),
        ("in_progress", '<span class="badge badge-info">in progress</span>'),
        ("", '<span class="muted">none yet</span>'),
    ],
)
def test_the_installation_page_shows_its_last_operation_as_a_badge(
    viewer_client, crm, status, shown
):
    keep_many(crm, 1)
    Installation.objects.update(last_operation_status=status)

    html = viewer_client.get(page_url(Installation.objects.get())).content.decode()

    assert f"<dt>Last operation</dt><dd>{shown}" in html


def test_the_tab_shows_an_operation_in_progress_in_words(viewer_client, crm):
    keep_many(crm, 1)
    Installation.objects.update(last_operation_status="in_progress")

    html = viewer_client.get(tab_url(crm)).content.decode()

    assert 'Last operation</span> <span class="badge badge-info">in progress</span>' in html


def test_the_tab_follows_what_a_sync_changes_though_its_list_and_rows_are_cached(
    viewer_client, crm
):
    listed = listed_many(crm, 3)
    store_installations(crm.project, listed, integration=crm)
    before = viewer_client.get(tab_url(crm)).content.decode()  # list and rows cached
    first, second, _ = listed
    changed = [
        msgspec.structs.replace(
            first,
            last_operation_status="in_progress",
            config=second.config,
            group=ListedGroup(group_ref="org_00000", group_name="Renamed Co"),
        ),
        second,
    ]
    store_installations(crm.project, changed, integration=crm)

    html = viewer_client.get(tab_url(crm)).content.decode()

    assert '<span class="badge badge-bad">failure</span>' in before
    assert "Customer 00002" in before
    assert "1 object differs" in before
    assert '<span class="badge badge-info">in progress</span>' in html
    assert '<span class="badge badge-bad">failure</span>' not in html
    assert "<bdi>Renamed Co</bdi>" in html
    assert "Customer 00002" not in html  # no longer listed
    assert "1 object differs" not in html
    assert "<strong>2</strong> installations kept by ampdash" in html
    assert "0 differ from the definition" in html


def test_the_filter_form_shows_what_was_typed_though_its_fields_are_rendered_once(
    viewer_client, crm
):
    keep_many(crm, 2)

    first = viewer_client.get(tab_url(crm, q="Customer", differs="yes")).content.decode()
    again = viewer_client.get(tab_url(crm, q="Customer", differs="yes")).content.decode()
    other = viewer_client.get(tab_url(crm, q="%3Cb%3E", health="purple")).content.decode()

    field = '<input type="text" name="q" value="Customer" maxlength="200" id="id_q">'
    assert field in first
    assert field in again
    assert '<option value="yes" selected>Differs</option>' in again
    assert 'value="&lt;b&gt;"' in other
    assert '<select name="health" aria-invalid="true"' in other
    assert "selected>Differs" not in other


def test_the_installation_page_lists_the_versions_of_its_config(viewer_client, crm):
    keep_many(crm, 1)
    installation = Installation.objects.get()
    InstallationConfigVersion.objects.create(
        installation=installation,
        config={"content": {"provider": "an-earlier-one"}},
        config_hash="e" * 64,
        seen_at=timezone.now() - timedelta(days=3),
    )

    html = viewer_client.get(page_url(installation)).content.decode()

    assert "Current, seen since" in html
    assert "an-earlier-one" in html
    assert "eeeeeeeeeeee" in html


def test_the_installation_page_shows_its_recent_operations_and_their_errors(
    viewer_client, emulator_api, viewer
):
    project = connected_project(seed_remote(emulator_api, integrations=2, seed=4), name="ops")
    failed = RemoteOperation.objects.filter(status="failure").exclude(result="").first()
    assert failed is not None
    project.memberships.create(user=viewer, role="viewer")
    sync_project(project=project)
    installation = Installation.objects.get(remote_id=failed.installation_id)

    response = viewer_client.get(page_url(installation))

    html = without_bdi(response.content.decode())
    assert response.status_code == 200
    assert "fetched live from Ampersand" in html
    assert failed.result in html


def test_the_installation_page_with_the_api_down_says_so(viewer_client, crm):
    keep_many(crm, 1)

    response = viewer_client.get(page_url(Installation.objects.get()))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Could not load the operations from Ampersand." in html
    assert "Its config against the definition" in html


def test_an_installation_of_another_integration_is_not_found(viewer_client, crm, project):
    keep_many(crm, 1)
    other = store_integration(project, integration_json("other"))
    installation = Installation.objects.get()

    url = reverse("integrations:installation", args=[other.pk, installation.pk])

    assert viewer_client.get(url).status_code == 404


def test_an_outsider_sees_neither_the_tab_nor_the_page(outsider_client, crm):
    keep_many(crm, 1)

    assert outsider_client.get(tab_url(crm)).status_code == 404
    assert outsider_client.get(page_url(Installation.objects.get())).status_code == 404
    assert outsider_client.post(refresh_url(crm)).status_code == 404
