"""Shared by the emulator API tests: an httpx client for the test project and sample manifests."""

from __future__ import annotations

import httpx

from tests.conftest import EmulatorApi

READ_ACCOUNTS = """\
  - name: read-accounts
    displayName: Read accounts
    provider: salesforce
    read:
      objects:
        - objectName: account
          destination: defaultWebhook
          schedule: "*/15 * * * *"
          requiredFields:
            - fieldName: id
              mapToName: accountId
          optionalFields:
            - fieldName: industry
"""
WRITE_CONTACTS = """\
  - name: write-contacts
    provider: hubspot
    write:
      objects:
        - objectName: contact
"""


def manifest(*integrations: str) -> str:
    return "specVersion: 1.0.0\nintegrations:\n" + "".join(integrations)


def project_client(emulator_api: EmulatorApi, **headers: str) -> httpx.Client:
    """A client whose relative URLs start at the test project, authenticated with its key."""
    return httpx.Client(
        base_url=f"{emulator_api.base_url}/projects/{emulator_api.project}/",
        headers={"X-Api-Key": emulator_api.api_key, **headers},
        timeout=10,
    )


def assert_problem(response: httpx.Response, status: int) -> dict:
    """The response is a problem+json answer with the contract's ApiProblem fields."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["subsystem"] == "api"
    assert problem["requestId"] == response.headers["X-Request-Id"]
    assert problem["time"].endswith("Z")
    assert {"type", "title", "detail", "instance", "retryable"} <= problem.keys()
    return problem


def issue_names(problem: dict) -> list[str]:
    return [issue["name"] for issue in problem.get("issues", [])]
