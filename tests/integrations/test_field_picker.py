"""The field picker: a provider's real fields of an object, through one installation (emulator)."""

from __future__ import annotations

import copy
import html as html_module
import re

import orjson
import pytest
from django.core.cache import cache
from django.template import Context, Template
from django.test import Client

from emulator.models import Installation as RemoteInstallation
from emulator.signals import response_served
from integrations.ampersand.client import ListedInstallation, one_installation
from integrations.field_picker import (
    FETCH_FAILED,
    NO_INSTALLATION,
    connected_group,
    field_list_id,
    provider_fields,
)
from tests.ampersand.samples import CONTRACT_EXAMPLES
from tests.integrations.conftest import seed_remote, synced_project


@pytest.fixture
def seeded(emulator_api):
    return seed_remote(emulator_api, integrations=3, seed=7)


@pytest.fixture
def project(seeded):
    return synced_project(seeded)


@pytest.fixture
def salesforce(project):
    return project.integrations.select_related("latest_snapshot").get(provider="salesforce")


@pytest.fixture
def api_calls():
    """The operations the emulator answers during the test, in order."""
    calls: list[str | None] = []

    def record(sender, operation_id, **kwargs):
        calls.append(operation_id)

    response_served.connect(record, weak=False)
    yield calls
    response_served.disconnect(record)


def picker_url(integration, object_name: str | None = None) -> str:
    url = f"/integrations/{integration.pk}/edit/fields/"
    return url if object_name is None else f"{url}?object={object_name}"


def first_object(integration) -> dict:
    return integration.latest_snapshot.content["read"]["objects"][0]


def options(html: str) -> list[tuple[str, str]]:
    return [
        (html_module.unescape(value), html_module.unescape(label))
        for value, label in re.findall(r'<option value="([^"]*)">([^<]*)</option>', html)
    ]


def status_line(html: str) -> str:
    match = re.search(r'<small class="muted" role="status">(.*?)</small>', html, re.S)
    assert match, html
    return html_module.unescape(re.sub(r"</?bdi>", "", match.group(1)))


def installation(group_ref: str = "org_12345", **changes) -> ListedInstallation:
    raw = copy.deepcopy(CONTRACT_EXAMPLES["listInstallations.200"][0])
    raw["config"]["content"]["read"]["objects"]["account"]["selectedFieldMappings"] = {}
    raw["connection"]["group"]["groupRef"] = group_ref
    for key, value in changes.items():
        raw["connection"][key] = value
    return one_installation(orjson.dumps(raw))


# --- the datalist's id -------------------------------------------------------------------------


def test_the_list_id_is_stable_distinct_and_safe_for_html():
    names = ["account", "Account", "Custom_Object_1__c", "$['a b']", "株式会社", "", "x" * 500]
    ids = [field_list_id(name) for name in names]

    assert ids == [field_list_id(name) for name in names]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"fields-[a-z0-9-]+", list_id) for list_id in ids)
    assert field_list_id("Custom_Object_1__c").startswith("fields-custom-object-1-c-")
    assert max(map(len, ids)) < 60


def test_templates_get_the_same_id_from_the_filter():
    template = Template("{% load field_picker %}{{ name|field_list_id }}")

    assert template.render(Context({"name": "Leads"})) == field_list_id("Leads")


# --- choosing the connection -------------------------------------------------------------------


def test_an_installation_whose_connection_works_is_preferred():
    broken = installation("org-broken", status="bad_credentials")
    working = installation("org-working", status="working")

    assert connected_group([broken, working], "salesforce").group_ref == "org-working"
    assert connected_group([broken], "salesforce").group_ref == "org-broken"
    assert connected_group([broken, working], "hubspot") is None


# --- the page ----------------------------------------------------------------------------------


def test_an_editor_gets_the_providers_fields_sorted_by_display_name(editor_client, salesforce):
    read_object = first_object(salesforce)
    object_name = read_object["objectName"]
    groups = {
        remote.connection["group"]["groupName"]
        for remote in RemoteInstallation.objects.filter(connection__provider="salesforce")
    }

    response = editor_client.get(picker_url(salesforce, object_name))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<datalist id="{field_list_id(object_name)}">' in html
    offered = options(html)
    labels = [label for _, label in offered]
    assert labels == sorted(labels, key=str.casefold)
    read = {field["fieldName"] for field in read_object["requiredFields"] if "fieldName" in field}
    assert read < {value for value, _ in offered}
    assert all(re.fullmatch(r".+ · [a-zA-Z]+", label) for label in labels)
    status = re.fullmatch(rf"{len(offered)} fields from (.+)'s Salesforce", status_line(html))
    assert status
    assert status.group(1) in groups
    assert f"<bdi>{html_module.escape(status.group(1))}</bdi>" in html


def test_a_viewer_is_refused_and_an_outsider_finds_nothing(viewer, outsider, salesforce):
    url = picker_url(salesforce, "account")
    as_viewer, as_outsider = Client(), Client()
    as_viewer.force_login(viewer)
    as_outsider.force_login(outsider)

    assert as_viewer.get(url).status_code == 403
    assert as_outsider.get(url).status_code == 404
    assert Client().get(url).status_code == 302


@pytest.mark.parametrize("query", ["", "?object=", "?object=a%00b", "?object=" + "a" * 201])
def test_a_missing_or_unreadable_object_is_a_400_that_still_lets_the_user_type(
    editor_client, salesforce, query, api_calls
):
    response = editor_client.get(picker_url(salesforce) + query)

    assert response.status_code == 400
    assert "<datalist" not in response.content.decode()
    assert status_line(response.content.decode()).endswith("Type the field name.")
    assert api_calls == []


def test_without_an_installation_of_the_provider_it_says_to_type(editor_client, salesforce):
    RemoteInstallation.objects.filter(connection__provider="salesforce").delete()

    response = editor_client.get(picker_url(salesforce, "account"))

    html = response.content.decode()
    assert response.status_code == 200
    assert options(html) == []
    assert status_line(html) == "No installation of this provider yet: type the field name."


@pytest.mark.parametrize("faults", ["kinds=503", "kinds=500", "kinds=429", "kinds=invalid"])
def test_when_the_api_fails_it_says_so_and_typing_stays_possible(
    editor_client, salesforce, settings, faults
):
    settings.AMPERSAND_EMULATOR_FAULTS = f"{faults}; retry_after=0"

    response = editor_client.get(picker_url(salesforce, first_object(salesforce)["objectName"]))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<datalist id="{field_list_id(first_object(salesforce)["objectName"])}">' in html
    assert status_line(html) == "Could not fetch fields: type the field name."


def test_an_object_the_provider_lacks_cannot_be_fetched(editor_client, salesforce):
    response = editor_client.get(picker_url(salesforce, "Invoice__c"))

    assert response.status_code == 200
    assert status_line(response.content.decode()).startswith("Could not fetch fields")


def test_a_project_without_a_usable_key_cannot_fetch(editor_client, salesforce):
    project = salesforce.project
    project.api_key_encrypted = ""
    project.save()

    response = editor_client.get(picker_url(salesforce, "account"))

    assert response.status_code == 200
    assert status_line(response.content.decode()).startswith("Could not fetch fields")


def test_remote_names_are_escaped_and_isolated(editor_client, salesforce):
    hostile = "<script>alert(1)</script>\u202e Corp"
    for remote in RemoteInstallation.objects.filter(connection__provider="salesforce"):
        remote.connection["group"]["groupName"] = hostile
        remote.save()

    html = editor_client.get(picker_url(salesforce, "account")).content.decode()

    assert "<script>" not in html
    assert f"<bdi>{html_module.escape(hostile)}</bdi>" in html


# --- the cache ---------------------------------------------------------------------------------


def test_the_answer_is_kept_so_typing_does_not_ask_the_api_again(
    editor_client, salesforce, api_calls
):
    object_name = first_object(salesforce)["objectName"]

    first = editor_client.get(picker_url(salesforce, object_name))
    calls_for_first = list(api_calls)
    second = editor_client.get(picker_url(salesforce, object_name))

    assert calls_for_first == ["listInstallationsForProject", "getObjectMetadataForConnection"]
    assert api_calls == calls_for_first
    assert second.content == first.content


def test_another_object_or_project_is_asked_for_anew(salesforce, seeded, api_calls):
    provider_fields(salesforce, "account")
    provider_fields(salesforce, "contact")
    other = synced_project(seeded, name="other-local")
    api_calls.clear()

    provider_fields(other.integrations.get(provider="salesforce"), "account")

    assert api_calls == ["listInstallationsForProject", "getObjectMetadataForConnection"]


def test_a_failure_is_kept_only_briefly(salesforce, settings, api_calls, monkeypatch):
    settings.AMPERSAND_EMULATOR_FAULTS = "kinds=503"
    kept: list[int] = []
    set_in_cache = cache.set
    monkeypatch.setattr(
        cache, "set", lambda key, value, timeout: kept.append(timeout) or set_in_cache(key, value)
    )

    failed = provider_fields(salesforce, "account")
    settings.AMPERSAND_EMULATOR_FAULTS = ""
    RemoteInstallation.objects.all().delete()
    none_installed = provider_fields(salesforce, "contact")

    assert (failed.fields, failed.reason) == (None, FETCH_FAILED)
    assert (none_installed.fields, none_installed.reason) == (None, NO_INSTALLATION)
    assert kept[0] < kept[1] <= 300
