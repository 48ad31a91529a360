"""The API against its own OpenAPI schema, over a real socket, with schemathesis.

Generated requests (few, derandomized) as a viewer and as an editor with API tokens, half of them
on the ids of a synced emulator project; then targeted requests for the statuses random ones do
not reach. Every answer must match the schema, none may be a 5xx, and every status the schema
documents for an operation must have been seen for it.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

import pytest
import schemathesis
from django.core.cache import caches
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from integrations.ampersand.manifest import build_manifest_yaml
from integrations.deploy import service
from integrations.models import DeployRecord
from integrations.services import client_for
from integrations.sync import sync_project
from tests.integrations.conftest import connected_project, seed_remote

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 12
MISSING = 987_654_321


@pytest.fixture
def project(emulator_api):
    project = connected_project(seed_remote(emulator_api, integrations=3, seed=11))
    sync_project(project=project)
    return project


def token_header(user) -> dict[str, str]:
    _token, key = ApiToken.objects.create(user=user, name="schemathesis")
    return {"Authorization": f"Token {key}"}


class Run:
    """Calls an operation's cases against the live server and records the statuses seen."""

    def __init__(self, base_url: str, project) -> None:
        self.base_url = base_url
        self.seen: dict[str, set[int]] = defaultdict(set)
        integration = project.integrations.order_by("pk").first()
        self.real_ids = {
            "/api/projects/": {"id": project.pk},
            "/api/integrations/": {
                "id": integration.pk,
                "snapshot_pk": integration.latest_snapshot_id,
            },
            "/api/sync-runs/": {"id": project.sync_runs.get().pk},
        }

    def ids_for(self, operation, **overrides: Any) -> dict[str, Any]:
        names = {parameter.name for parameter in operation.path_parameters}
        if not names:
            return overrides
        prefix = "/".join(operation.path.split("/")[:3]) + "/"
        ids = {name: value for name, value in self.real_ids[prefix].items() if name in names}
        return {**ids, **overrides}

    def call(self, case, headers: dict[str, str] | None = None, *, bad_gateway: bool = False):
        response = case.call(base_url=self.base_url, headers=headers or {}, timeout=30)
        # Only the 502 a failing Ampersand causes on purpose is an answer, not a server error.
        case.validate_response(response, checks=CHECKS[1:] if bad_gateway else CHECKS)
        self.seen[case.operation.label].add(response.status_code)
        return response

    def case(self, operation, *, ids: bool = True, **fields: Any):
        path_parameters = self.ids_for(operation) if ids else {}
        path_parameters.update(fields.pop("path_parameters", {}))
        if "body" in fields:
            fields["media_type"] = "application/json"
        return operation.Case(path_parameters=path_parameters, **fields)


def test_every_answer_matches_the_schema_and_every_documented_status_is_reached(
    live_server, project, viewer, editor, monkeypatch
):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    operations = {op.label: op for op in (result.ok() for result in schema.get_all_operations())}
    run = Run(live_server.url, project)
    as_viewer, as_editor = token_header(viewer), token_header(editor)

    for operation in operations.values():
        path_names = {parameter.name for parameter in operation.path_parameters}

        _fuzz(run, operation, [as_viewer, as_editor])

        # What random requests need not reach: a bad token, no credentials, a throttle, a miss.
        run.call(run.case(operation), {"Authorization": "Token not-a-token"})
        run.call(run.case(operation))
        with monkeypatch.context() as lowered:
            caches["shared"].clear()  # the throttles' history
            lowered.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "1/minute")
            lowered.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1/minute")
            run.call(run.case(operation), as_viewer)
            throttled = run.call(run.case(operation), as_viewer)
            assert throttled.status_code == 429
            assert 0 < int(throttled.headers["retry-after"][0]) <= 60
        caches["shared"].clear()
        if path_names:
            run.call(run.case(operation, path_parameters=dict.fromkeys(path_names, MISSING)))
            run.call(
                run.case(operation, path_parameters=dict.fromkeys(path_names, MISSING)), as_viewer
            )
            run.call(run.case(operation), as_viewer)

    labels = {label.split(" ", 1)[1]: operations[label] for label in operations}
    bad_filters = {
        "/api/integrations/": {"state": "gone"},
        "/api/sync-runs/": {"project": MISSING},
    }
    for path, query in bad_filters.items():
        run.call(run.case(labels[path], query=query), as_viewer)
        run.call(run.case(labels[path]), as_viewer)
    diff = operations["GET /api/integrations/{id}/diff/"]
    run.call(run.case(diff, query={"from": run.ids_for(diff)["id"]}), as_viewer)
    run.call(run.case(diff), as_viewer)

    sync = operations["POST /api/projects/{id}/sync/"]
    run.call(run.case(sync), as_editor)
    run.call(run.case(sync), as_editor)  # one runs already: 409

    deploys = operations["POST /api/projects/{id}/deploys/"]
    _post_every_deploy_outcome(run, deploys, project, as_editor, monkeypatch)

    documented = {
        label: {int(code) for code in operation.definition.raw["responses"]}
        for label, operation in operations.items()
    }
    assert dict(run.seen) == documented


def _fuzz(run: Run, operation, headers: list[dict[str, str]]) -> None:
    """Generated requests for `operation`, each sent with each of `headers`."""
    path_names = {parameter.name for parameter in operation.path_parameters}

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), real_ids=st.booleans())
    def generated(case, real_ids: bool) -> None:
        if real_ids and path_names:
            case.path_parameters = run.ids_for(operation)
        for header in headers:
            run.call(case, header)

    generated()


def _post_every_deploy_outcome(run: Run, deploys, project, headers, monkeypatch) -> None:
    integration = project.integrations.select_related("latest_snapshot").order_by("pk").first()
    content = copy.deepcopy(integration.latest_snapshot.content)

    def body(display_name: str, **overrides: Any) -> dict[str, Any]:
        content["displayName"] = display_name
        return {
            "amp_yaml": build_manifest_yaml([content]),
            "base_revisions": {
                integration.name: integration.latest_snapshot.revision_id,
            },
            **overrides,
        }

    run.call(run.case(deploys, body={}), headers)  # 400
    run.call(run.case(deploys, body=body("Invalid", amp_yaml="specVersion: 9\n")), headers)
    deployed = run.call(run.case(deploys, body=body("First")), headers)  # 201
    assert deployed.status_code == 201, deployed.text
    # The base is now stale: 409, with the conflict.
    assert run.call(run.case(deploys, body=body("Stale")), headers).status_code == 409
    integration.refresh_from_db()

    def failing(project, **options):
        return client_for(
            project,
            headers={"X-Emulator-Faults": "kinds=503"},
            max_retries=0,
            sleep=lambda seconds: None,
        )

    with monkeypatch.context() as faults:
        faults.setattr(service, "client_for", failing)
        failed = run.call(run.case(deploys, body=body("Fails")), headers, bad_gateway=True)
        assert failed.status_code == 502, failed.text

    # A replay of an idempotency key whose deploy is still under way.
    running = DeployRecord.objects.create(
        project=project,
        kind=DeployRecord.Kind.DEPLOY,
        outcome=DeployRecord.Outcome.RUNNING,
        amp_yaml="",
        base_revisions={},
        idempotency_key="replayed",
    )
    replay = run.call(run.case(deploys, body=body("Replay", idempotency_key="replayed")), headers)
    assert replay.status_code == 202, replay.text
    running.delete()
