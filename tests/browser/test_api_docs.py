from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_api_docs_render_and_open_an_operation_under_the_sites_csp(
    page, live_server, console_errors
):
    answer = page.goto(f"{live_server.url}/api/docs/")
    assert "style-src 'self';" in answer.headers["content-security-policy"]

    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 12
    page.locator(".opblock-summary", has_text="/api/projects/{id}/deploys/").last.click()
    page.get_by_role("button", name="Try it out").wait_for()
    page.locator(".model-example").first.wait_for()
    # The browser reports each CSP refusal as a console error.
    assert console_errors == []


def test_the_browsable_api_renders_under_the_sites_csp(
    logged_in_page, live_server, console_errors, settings
):
    settings.DEBUG = True  # DRF's HTML pages are a development aid
    page = logged_in_page
    failed: list[str] = []
    page.on("response", lambda answer: answer.status >= 400 and failed.append(answer.url))

    for path in ("/api/", "/api/projects/", "/api/integrations/"):
        answer = page.goto(f"{live_server.url}{path}")
        assert answer.status == 200, path
        assert "style-src 'self';" in answer.headers["content-security-policy"]
        page.locator(".response-info").wait_for()

    # The browser reports each CSP refusal as a console error.
    assert console_errors == []
    assert failed == []
