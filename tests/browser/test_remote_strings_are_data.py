"""Everything the remote API returns is data: injection strings in an integration are shown
literally on every page and in the admin, and nothing of them runs (CSP stays nonce-based)."""

from __future__ import annotations

import pytest

from integrations.models import Project, Snapshot
from tests.integrations.conftest import add_version, integration_json, renamed, store_integration

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "<script>window.__pwned = 'script'</script>"
HANDLER = "<img src=x onerror=\"window.__pwned = 'handler'\">"
LINK = "javascript:window.__pwned='link'"
TEMPLATE = "{{ request.user.password }}{% debug %}"
BIDI = "\u202eevil"


@pytest.fixture
def hostile(db):
    project = Project.objects.create(
        name="demo", ampersand_project="demo", api_url="http://127.0.0.1:9"
    )
    raw = integration_json(
        SCRIPT,
        displayName=HANDLER,
        read={
            "objects": [
                {
                    "objectName": TEMPLATE,
                    "destination": LINK,
                    "schedule": "*/30 * * * *",
                    "mapToName": HANDLER,
                    "requiredFields": [
                        {"fieldName": SCRIPT, "mapToName": LINK},
                        {"mapToName": BIDI, "prompt": HANDLER, "default": TEMPLATE},
                    ],
                }
            ]
        },
    )
    integration = store_integration(project, raw)
    add_version(integration, renamed(raw, SCRIPT + HANDLER))
    return integration


def test_injection_strings_show_literally_and_run_nothing(
    logged_in_page, live_server, hostile, console_errors
):
    page = logged_in_page
    dialogs: list[str] = []
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    snapshot = Snapshot.objects.filter(integration=hostile).order_by("pk").last()
    paths = [
        "/integrations/",
        f"/integrations/?q={SCRIPT[:8]}",
        f"/integrations/{hostile.pk}/",
        f"/integrations/{hostile.pk}/read/",
        f"/integrations/{hostile.pk}/raw/",
        f"/integrations/{hostile.pk}/history/",
        f"/integrations/{hostile.pk}/diff/",
        f"/integrations/where-used/?map_to={LINK}",
        f"/admin/integrations/integration/{hostile.pk}/change/",
        f"/admin/integrations/snapshot/{snapshot.pk}/change/",
    ]
    for path in paths:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, path
        text = page.locator("body").inner_text()
        assert "<script>" in text or "onerror" in text or "javascript:" in text, path
        # No link the page made from remote data leads to script.
        assert page.locator('a[href^="javascript:"]').count() == 0, path
    assert dialogs == []
    assert console_errors == [], failed
