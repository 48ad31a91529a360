"""The pages people use pass axe-core's checks (WCAG 2 A and AA, and its best practices) at
1280x900 and at 390x844, and in the dark theme: contrast, names of controls and table headers,
heading order, landmarks, scrollable regions reachable by keyboard. Swagger UI's page
(/api/docs/) is its own and left out.
"""

from __future__ import annotations

import copy

import pytest
from axe_playwright_python.sync_playwright import Axe

from integrations.models import Draft, Installation, Integration
from integrations.presenters import present_content
from tests.browser.conftest import deploy_changed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paths(demo, logged_in_page):
    """A page of each kind, with the data that shows all of its parts: a draft with an error
    (shown inline, and marked on its line of amp.yaml), a draft a deploy overtook, a deploy, an
    installation that differs from its definition."""
    integrations = Integration.objects.filter(project=demo).select_related("latest_snapshot")
    views = {item: present_content(item.latest_snapshot.content) for item in integrations}
    largest = max(views, key=lambda item: views[item].field_count)
    writes = next(item for item in views if views[item].write)
    subscribes = next(item for item in views if views[item].subscribe)
    differing = Installation.objects.filter(project=demo, difference_count__gt=0).first()
    draft = Draft.start(largest, logged_in_page.user)
    content = copy.deepcopy(largest.latest_snapshot.content)
    content["read"]["objects"][0]["schedule"] = "every day"
    draft.set_content({**content, "displayName": "Renamed"})
    record = deploy_changed(writes, logged_in_page.user, lambda raw: raw.update(displayName="New"))
    # A draft that a teammate's deploy overtook: its merge page.
    overtaken = Draft.start(subscribes, logged_in_page.user)
    overtaken.set_content({**subscribes.latest_snapshot.content, "displayName": "Mine"})
    deploy_changed(subscribes, logged_in_page.user, lambda raw: raw.update(displayName="Theirs"))
    installations = f"/integrations/{differing.integration_id}/installations/"
    return [
        "/",
        "/integrations/",
        "/integrations/?q=contact",
        f"/integrations/{largest.pk}/",
        f"/integrations/{writes.pk}/write/",
        f"/integrations/{subscribes.pk}/subscribe/",
        f"/integrations/{largest.pk}/proxy/",
        f"/integrations/{largest.pk}/raw/",
        installations,
        f"{installations}{differing.pk}/",
        "/integrations/where-used/?field=Name",
        f"/integrations/{largest.pk}/edit/read/0/",
        f"/integrations/{largest.pk}/edit/?view=yaml",
        f"/integrations/{largest.pk}/edit/preview/",
        f"/integrations/{writes.pk}/history/",
        f"/integrations/{subscribes.pk}/edit/rebase/",
        # A line the issues link to (after another page: a fragment alone does not load).
        f"/integrations/{largest.pk}/edit/preview/#amp-yaml-line-2",
        f"/projects/{demo.pk}/deploys/",
        f"/deploys/{record.pk}/",
        f"/projects/{demo.pk}/integrations/new/",
        f"/projects/{demo.pk}/import/",
        f"/integrations/{largest.pk}/copy/",
        "/accounts/tokens/",
    ]


@pytest.mark.parametrize(
    ("width", "height", "scheme"),
    [(1280, 900, "light"), (390, 844, "light"), (1280, 900, "dark")],
    ids=["desktop", "phone", "desktop-dark"],
)
def test_the_pages_pass_axe_core(
    logged_in_page, live_server, paths, width, height, scheme, console_errors
):
    page = logged_in_page
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(color_scheme=scheme)  # Pico follows the system's light or dark setting
    axe = Axe()
    violations = {}
    for path in paths:
        response = page.goto(live_server.url + path)
        assert (response.status, page.url) == (200, live_server.url + path)  # no redirect
        page.wait_for_load_state("networkidle")  # the parts htmx loads after the page
        found = axe.run(page).response["violations"]
        if found:
            violations[path] = {
                violation["id"]: [" ".join(node["target"]) for node in violation["nodes"][:3]]
                for violation in found
            }
    assert violations == {}
    assert console_errors == []
