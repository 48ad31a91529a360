"""Strings from the API are shown inside an isolating element (`<bdi>` or `dir`), so that a
right-to-left override (U+202E) in a name cannot reorder the page around it."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from integrations.models import DeployRecord
from tests.integrations.conftest import add_version, integration_json, store_integration

RLO = "\u202e"
EVIL = f"acme{RLO}gnp.exe"
# Elements that hold only text: markup cannot isolate there, the browser shows it apart.
TEXT_ONLY = {"title", "textarea", "option", "script", "style"}


class IsolationChecker(HTMLParser):
    VOID = {"br", "hr", "img", "input", "link", "meta", "source", "wbr", "col", "area", "base"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.seen = 0
        self.unisolated: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.stack.append((tag, tag == "bdi" or any(name == "dir" for name, _ in attrs)))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if RLO not in data:
            return
        self.seen += 1
        if self.stack and self.stack[-1][0] == "title":
            # A title holds no markup: its remote strings must be directional isolates.
            if not isolated_by_characters(data):
                self.unisolated.append(f"title: {data!r}")
            return
        if not any(isolating or tag in TEXT_ONLY for tag, isolating in self.stack):
            self.unisolated.append(f"{' > '.join(tag for tag, _ in self.stack)}: {data!r}")


def isolated_by_characters(text: str) -> bool:
    """Whether every U+202E of `text` is inside an isolate (U+2066-U+2068 ... U+2069)."""
    depth = 0
    for char in text:
        if char in "\u2066\u2067\u2068":
            depth += 1
        elif char == "\u2069":
            depth = max(0, depth - 1)
        elif char == RLO and depth == 0:
            return False
    return True


def assert_isolated(response) -> None:
    assert response.status_code == 200
    checker = IsolationChecker()
    checker.feed(response.content.decode())
    assert checker.seen, "the page shows no remote string with U+202E"
    assert checker.unisolated == []


def evil_integration_json(**content):
    fields = [{"fieldName": f"field{RLO}1", "mapToName": f"to{RLO}1", "prompt": f"ask{RLO}"}]
    return integration_json(
        EVIL,
        displayName=f"Display {RLO}name",
        read={
            "objects": [
                {
                    "objectName": f"contact{RLO}",
                    "destination": f"hook{RLO}",
                    "schedule": "*/30 * * * *",
                    "requiredFields": fields,
                }
            ]
        },
        write={"objects": [{"objectName": f"contact{RLO}", "inheritMapping": True}]},
        subscribe={
            "objects": [
                {"objectName": f"contact{RLO}", "destination": f"hook{RLO}", "createEvent": {}}
            ]
        },
        **content,
    )


@pytest.fixture
def evil(project):
    raw = evil_integration_json()
    integration = store_integration(project, raw)
    older = integration.latest_snapshot
    raw["latestRevision"]["id"] = f"rev{RLO}-2"
    raw["latestRevision"]["content"]["displayName"] = f"Other {RLO}name"
    raw["latestRevision"]["content"]["read"]["objects"][0]["destination"] = f"other{RLO}"
    newer = add_version(integration, raw)
    return integration, older, newer


def test_the_list_isolates_remote_strings(viewer_client, evil):
    assert_isolated(viewer_client.get(reverse("integrations:list")))
    # Served again from the cached rows and page.
    assert_isolated(viewer_client.get(reverse("integrations:list")))
    assert_isolated(viewer_client.get(reverse("integrations:list"), {"q": "acme"}))


@pytest.mark.parametrize("tab", ["read", "write", "subscribe", "raw"])
def test_each_detail_tab_isolates_remote_strings(viewer_client, evil, tab):
    integration, _, _ = evil
    url = reverse("integrations:tab", args=[integration.pk, tab])
    assert_isolated(viewer_client.get(url))
    assert_isolated(viewer_client.get(url, headers={"HX-Request": "true"}))
    assert_isolated(viewer_client.get(url))  # the cached tab


def test_history_and_diff_isolate_remote_strings(viewer_client, evil):
    integration, older, newer = evil
    assert_isolated(viewer_client.get(reverse("integrations:history", args=[integration.pk])))
    diff = reverse("integrations:diff", args=[integration.pk])
    assert_isolated(viewer_client.get(diff, {"from": older.pk, "to": newer.pk}))


def test_where_used_isolates_remote_strings(viewer_client, evil):
    url = reverse("integrations:where-used")
    assert_isolated(viewer_client.get(url, {"field": f"field{RLO}1"}))
    assert_isolated(viewer_client.get(url, {"map_to": f"to{RLO}1"}))


def test_deploy_pages_isolate_remote_strings(editor_client, editor, project, evil):
    integration, older, _ = evil
    restore = reverse("integrations:restore", args=[integration.pk, older.pk])
    assert_isolated(editor_client.get(restore))
    record = DeployRecord.objects.create(
        project=project,
        user=editor,
        outcome=DeployRecord.Outcome.FAILED,
        amp_yaml="",
        reason=f"because {RLO}",
        base_revisions={EVIL: f"rev{RLO}-1"},
        changes=[{"name": EVIL, "new": False, "summary": f"changed {RLO}x"}],
        conflicts=[{"name": EVIL, "base": f"rev{RLO}-1", "remote": f"rev{RLO}-3"}],
        problem_title=f"Refused {RLO}",
        problem_detail=f"detail {RLO}",
    )
    assert_isolated(editor_client.get(reverse("deploy-record", args=[record.pk])))
    assert_isolated(editor_client.get(reverse("project-deploys", args=[project.pk])))
