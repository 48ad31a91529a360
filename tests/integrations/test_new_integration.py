"""The new integration page: the form, its htmx module swap, its checks by Ampersand's rules,
and the preview and deploy it leads to."""

from __future__ import annotations

import html as html_module
import re

import pytest
import yaml
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.models import Integration as RemoteIntegration
from integrations.ampersand.manifest import load_catalog
from integrations.forms import NewIntegrationForm, provider_choices
from integrations.models import DeployRecord, Integration, Membership, Project, store_catalog
from tests.ampersand.manifest_strategies import free_text, name_text, schedules
from tests.integrations.conftest import connected_project, integration_json, store_integration
from tests.integrations.test_bidi_isolation import RLO, assert_isolated


@pytest.fixture
def project(emulator_api):
    """A project on the emulator, whose one destination is defaultWebhook."""
    return connected_project(emulator_api)


@pytest.fixture
def offline_project(db):
    """A project whose destinations cannot be listed (no API key of its own): no request."""
    return Project.objects.create(
        name="offline", ampersand_project="offline", api_url="http://127.0.0.1:9/v1"
    )


def url(project: Project) -> str:
    return f"/projects/{project.pk}/integrations/new/"


def typed(**changes: str) -> dict[str, str]:
    return {
        "name": "contacts-sync",
        "provider": "hubspot",
        "display_name": "Contacts",
        "module": "crm",
        "start": "read",
        "object_name": "contacts",
        "destination": "defaultWebhook",
        "schedule": "*/30 * * * *",
        **changes,
    }


def hidden_inputs(html: str) -> dict[str, str]:
    """The hidden inputs of the preview's deploy form, the carried form's among them."""
    return {
        name: html_module.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)
    }


def error_of(html: str, field: str) -> str:
    """The error text tied to `field`'s input (by aria-describedby), or ""."""
    match = re.search(
        rf'<small class="field-error" id="id_{field}_error">(.*?)</small>', html, re.S
    )
    return html_module.unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip() if match else ""


# --- The page ------------------------------------------------------------------------------------


def test_the_catalog_is_offered_by_display_name_sorted_with_its_key_as_value():
    catalog = load_catalog()

    choices = provider_choices(catalog)

    labels = [label for _, label in choices]
    assert labels == sorted(labels, key=str.casefold)
    assert ("hubspot", "HubSpot") in choices
    # Two providers of one display name are told apart by their key.
    assert ("salesforce", "Salesforce (salesforce)") in choices
    assert ("salesforceJWT", "Salesforce (salesforceJWT)") in choices
    unsupported = [
        name
        for name in catalog.raw
        if not any(
            catalog.supports(name, action, module)
            for module in (None, *catalog.modules(name))
            for action in ("read", "write", "subscribe", "proxy")
        )
    ]
    assert unsupported
    assert not set(unsupported) & {name for name, _ in choices}


def test_the_page_shows_the_catalog_and_the_projects_destinations(editor_client, project):
    answer = editor_client.get(url(project))

    assert answer.status_code == 200
    html = answer.content.decode()
    assert '<option value="hubspot">HubSpot</option>' in html
    assert '<select name="destination"' in html
    assert '<option value="defaultWebhook">defaultWebhook</option>' in html
    assert 'value="*/30 * * * *"' in html
    assert '<label for="id_name">' in html
    assert 'aria-describedby="id_name_helptext"' in html
    assert "has no modules" not in html  # no provider chosen yet


def test_without_the_destinations_a_text_input_stands_in(editor_client, editor, offline_project):
    Membership.objects.create(user=editor, project=offline_project, role="editor")

    html = editor_client.get(url(offline_project)).content.decode()

    assert '<input type="text" name="destination"' in html
    assert "could not be listed" in html
    assert "no API key of its own" in html


def test_a_failure_to_list_the_destinations_is_kept_briefly_so_pages_do_not_wait_on_it(
    editor_client, editor, offline_project, monkeypatch
):
    from integrations import services

    Membership.objects.create(user=editor, project=offline_project, role="editor")
    asked = []
    real_client_for = services.client_for

    def counted_client_for(*args, **kwargs):
        asked.append(args)
        return real_client_for(*args, **kwargs)

    monkeypatch.setattr(services, "client_for", counted_client_for)
    first = editor_client.get(url(offline_project)).content.decode()
    second = editor_client.get(url(offline_project)).content.decode()

    assert len(asked) == 1
    assert "no API key of its own" in first
    assert "no API key of its own" in second


def test_the_link_shows_only_to_those_who_may_deploy(
    editor_client, viewer, client, project, django_user_model
):
    page = f"/projects/{project.pk}/deploys/"
    assert url(project) in editor_client.get(page).content.decode()
    assert url(project) in editor_client.get("/").content.decode()
    client.force_login(viewer)
    assert url(project) not in client.get(page).content.decode()
    assert url(project) not in client.get("/").content.decode()


def test_a_viewer_is_refused_an_outsider_sees_nothing_anonymous_logs_in(
    client, viewer, outsider, project
):
    assert client.get(url(project))["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get(url(project)).status_code == 404
    assert client.post(url(project), typed()).status_code == 404
    client.force_login(viewer)
    assert client.get(url(project)).status_code == 403
    assert client.post(url(project), typed()).status_code == 403
    assert not DeployRecord.objects.exists()


# --- The module swap -----------------------------------------------------------------------------


def test_choosing_a_provider_swaps_in_its_modules_with_the_default_chosen(
    editor_client, offline_project, editor
):
    Membership.objects.create(user=editor, project=offline_project, role="editor")

    answer = editor_client.get(
        url(offline_project),
        {"provider": "salesforce", "module": "jira", "start": "read"},
        headers={"HX-Request": "true"},
    )

    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.lstrip().startswith('<div id="provider-options">')
    assert "<html" not in html
    modules = re.findall(r'<option value="([^"]*)"', html)
    assert modules == load_catalog().modules("salesforce")
    assert '<option value="crm" selected>crm (default)</option>' in html
    assert 'name="start" value="read"' in html
    assert "HX-Request" in answer["Vary"]


def test_a_provider_without_modules_says_so_and_offers_only_what_it_supports(
    editor_client, offline_project, editor
):
    Membership.objects.create(user=editor, project=offline_project, role="editor")
    catalog = load_catalog()
    proxy_only = next(
        name
        for name in catalog.raw
        if catalog.supports(name, "proxy")
        and not catalog.supports(name, "read")
        and not catalog.modules(name)
    )

    html = editor_client.get(
        url(offline_project), {"provider": proxy_only}, headers={"HX-Request": "true"}
    ).content.decode()

    assert "has no modules" in html
    assert '<select name="module"' not in html
    assert 'name="start" value="read"' not in html
    assert 'name="start" value="proxy"' in html


# --- Checks --------------------------------------------------------------------------------------


def test_the_validators_errors_show_at_their_fields_and_nothing_typed_is_lost(
    editor_client, project
):
    answer = editor_client.post(url(project), typed(schedule="*/2 * * * *", object_name=""))

    assert answer.status_code == 200
    html = answer.content.decode()
    assert error_of(html, "schedule") == (
        "The schedule '*/2 * * * *' runs 2 minutes apart; runs must be at least 10 minutes "
        "apart (e.g. '*/10 * * * *')."
    )
    assert error_of(html, "object_name") == "Each read object needs objectName."
    assert 'aria-describedby="id_schedule_helptext id_schedule_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="*/2 * * * *"' in html
    assert 'value="contacts-sync"' in html
    assert 'value="Contacts"' in html
    assert '<option value="defaultWebhook" selected>' in html
    assert "Deploy</button>" not in html
    assert not DeployRecord.objects.exists()


def test_a_warning_is_shown_at_its_field(editor_client, project):
    html = editor_client.post(
        url(project), typed(schedule="*/10 * * * *", name="")
    ).content.decode()

    assert error_of(html, "name") == "This field is required."
    assert "near the minimum" in html  # frequent-schedule-risk, a WARNING


def test_a_module_of_another_provider_is_refused(editor_client, project):
    html = editor_client.post(url(project), typed(module="jira")).content.decode()

    assert error_of(html, "module") == "HubSpot has no module jira."


def test_a_provider_with_modules_needs_one_without_javascript(editor_client, project):
    html = editor_client.post(url(project), typed(module="")).content.decode()

    assert error_of(html, "module") == "Choose one of HubSpot's modules."
    assert '<option value="crm">crm (default)</option>' in html


def test_an_action_the_provider_lacks_is_refused(editor_client, project):
    catalog = load_catalog()
    proxy_only = next(
        name
        for name in catalog.raw
        if catalog.supports(name, "proxy") and not catalog.supports(name, "read")
    )

    html = editor_client.post(
        url(project), typed(provider=proxy_only, module="", start="read")
    ).content.decode()

    assert error_of(html, "start").endswith("cannot start with that: choose proxy only.")


def test_an_unknown_destination_is_refused(editor_client, project):
    html = editor_client.post(url(project), typed(destination="nowhere")).content.decode()

    assert error_of(html, "destination") == "This project has no destination nowhere."


def test_a_name_the_project_has_is_refused_with_a_link_to_edit_it(editor_client, project):
    existing = store_integration(project, integration_json("contacts-sync"))

    html = editor_client.post(url(project), typed()).content.decode()

    assert error_of(html, "name").startswith(
        "This project already has an integration named contacts-sync"
    )
    assert f'href="/integrations/{existing.pk}/edit/"' in html


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("x" * 201, "integrations[0].name is 201 characters long; the limit is 200"),
        ("tab\tbed", "integrations[0].name must not contain control characters"),
        ("   ", "This field is required."),
    ],
)
def test_a_name_the_rules_refuse_is_refused_at_the_name(editor_client, project, name, error):
    html = editor_client.post(url(project), typed(name=name)).content.decode()

    assert error_of(html, "name").startswith(error)


def test_the_form_builds_the_manifest_entry_of_what_is_typed(offline_project):
    form = NewIntegrationForm(
        typed(start="proxy", display_name=""),
        project=offline_project,
        catalog=load_catalog(),
        destinations=None,
    )

    assert form.is_valid(), form.errors
    assert yaml.safe_load(form.amp_yaml) == {
        "specVersion": "1.0.0",
        "integrations": [
            {
                "name": "contacts-sync",
                "provider": "hubspot",
                "module": "crm",
                "proxy": {"enabled": True},
            }
        ],
    }


def test_provider_display_names_and_errors_are_isolated(editor_client, project):
    catalog = load_catalog()
    providers = {name: dict(catalog.raw[name]) for name in catalog.raw}
    providers["hubspot"]["displayName"] = f"Hub{RLO}Spot"
    store_catalog(project.base_url, providers)

    answer = editor_client.post(url(project), typed(module="jira"))

    assert_isolated(answer)


# --- Preview and deploy --------------------------------------------------------------------------


def test_new_preview_deploy_creates_the_integration_from_no_base(editor, editor_client, project):
    preview = editor_client.post(url(project), typed())

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "New integration</span>" in html
    assert "<details open>" in html  # the amp.yaml, with nothing to diff
    fields = hidden_inputs(html)
    assert fields["base_revisions"] == '{"contacts-sync": null}'
    assert fields["provider"] == "hubspot"
    answer = editor_client.post(url(project), {**fields, "reason": "a new one"})

    record = DeployRecord.objects.get()
    assert answer["Location"] == f"/deploys/{record.pk}/"
    assert (record.outcome, record.base_revisions) == ("succeeded", {"contacts-sync": None})
    remote = RemoteIntegration.objects.get(name="contacts-sync")
    assert remote.latest_revision.content["read"]["objects"][0]["destination"] == "defaultWebhook"
    integration = Integration.objects.get(project=project, name="contacts-sync")
    snapshot = integration.latest_snapshot
    assert (snapshot.deploy, snapshot.taken_by) == (record, editor)
    assert snapshot.content == yaml.safe_load(record.amp_yaml)["integrations"][0]
    # The preview showed exactly the amp.yaml deployed, line by line.
    assert all(f"<bdi>{escape(line)}</bdi>" in html for line in record.amp_yaml.splitlines())
    page = editor_client.get(answer["Location"]).content.decode()
    assert f'href="/integrations/{integration.pk}/edit/"' in page


def test_a_double_submitted_deploy_deploys_once(editor_client, project):
    fields = hidden_inputs(editor_client.post(url(project), typed(start="proxy")).content.decode())

    first = editor_client.post(url(project), fields)
    second = editor_client.post(url(project), fields)

    assert first["Location"] == second["Location"]
    assert DeployRecord.objects.count() == 1


def test_the_preview_leads_back_to_the_form_as_typed(editor_client, project):
    html = editor_client.post(url(project), typed(display_name="Kept")).content.decode()
    back = html_module.unescape(re.search(r'<a href="([^"]+)" class="secondary">', html).group(1))

    form = editor_client.get(back).content.decode()

    assert 'value="Kept"' in form
    assert 'value="contacts-sync"' in form
    assert '<option value="hubspot" selected>HubSpot</option>' in form


def test_a_name_taken_between_preview_and_deploy_is_refused_on_the_form(editor_client, project):
    fields = hidden_inputs(editor_client.post(url(project), typed()).content.decode())
    store_integration(project, integration_json("contacts-sync"))

    answer = editor_client.post(url(project), fields)

    assert answer.status_code == 200
    assert error_of(answer.content.decode(), "name").startswith("This project already has")
    assert not DeployRecord.objects.exists()


# --- Random input --------------------------------------------------------------------------------

# Examples per run (each a round trip to the emulator, some a deploy): about 10 s together.
RANDOM_FORMS = 40
RANDOM_SWAPS = 60
_catalog = load_catalog()
# What a browser can send: any character but a lone surrogate (it sends U+FFFD instead).
_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# (provider, module, start) as the catalog allows them.
_combinations = [
    (provider, module, start)
    for provider, _ in provider_choices(_catalog)
    for module in _catalog.modules(provider) or [""]
    for start, action, through in (("read", "read", module or None), ("proxy", "proxy", None))
    if _catalog.supports(provider, action, through)
]


@st.composite
def _valid_inputs(draw: st.DrawFn) -> dict[str, str]:
    provider, module, start = draw(st.sampled_from(_combinations))
    return {
        "name": draw(name_text()),
        "provider": provider,
        "module": module,
        "start": start,
        "display_name": draw(free_text()),
        "object_name": draw(name_text()),
        "destination": "defaultWebhook",
        "schedule": draw(schedules()),
    }


@st.composite
def _one_wrong(draw: st.DrawFn) -> dict[str, str]:
    """Valid input but for one field, which holds anything."""
    data = draw(_valid_inputs())
    data[draw(st.sampled_from(sorted(data)))] = draw(_text)
    return data


_random = st.fixed_dictionaries(
    {name: _text for name in ("name", "provider", "module", "start", "object_name", "destination")},
    optional={
        "display_name": _text,
        "schedule": _text,
        "base_revisions": st.one_of(st.just('{"orders": null}'), _text),
        "idempotency_key": _text,
        "previewed": _text,
    },
)
_inputs = st.one_of(_valid_inputs(), _one_wrong(), _random)


@settings(max_examples=RANDOM_FORMS)
@given(data=_inputs)
def test_random_input_gets_an_answer_and_deploys_only_a_valid_form(editor_client, project, data):
    deployed = DeployRecord.objects.filter(outcome=DeployRecord.Outcome.SUCCEEDED).count()

    answer = editor_client.post(url(project), data)

    assert answer.status_code in (200, 302)
    if answer.status_code == 200 and "<h1>New integration in" in answer.content.decode():
        # The form again: nothing deployed.
        assert DeployRecord.objects.filter(outcome="succeeded").count() == deployed
    elif answer.status_code == 200 and "base_revisions" not in data:
        # Valid, the preview: its confirmation deploys exactly that.
        confirmed = editor_client.post(url(project), hidden_inputs(answer.content.decode()))
        assert confirmed.status_code == 302
        assert DeployRecord.objects.latest().outcome == "succeeded"


@settings(max_examples=RANDOM_SWAPS)
@given(data=_inputs)
def test_random_options_asked_by_htmx_never_fail(editor_client, offline_project, editor, data):
    Membership.objects.get_or_create(user=editor, project=offline_project, role="editor")

    answer = editor_client.get(url(offline_project), data, headers={"HX-Request": "true"})
    page = editor_client.get(url(offline_project), data)

    assert answer.status_code == 200
    assert page.status_code == 200
