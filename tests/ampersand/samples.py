"""Contract-shaped bodies shared by the Ampersand client tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

# Response and problem examples copied verbatim from the contract (see its "_source").
CONTRACT_EXAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "contract_examples.json").read_text()
)

READ_ACCOUNTS_CONTENT: dict[str, Any] = {
    "name": "read-accounts",
    "provider": "salesforce",
    "displayName": "Salesforce Accounts",
    "module": "crm",
    "read": {
        "objects": [
            {
                "objectName": "account",
                "destination": "defaultWebhook",
                "schedule": "*/15 * * * *",
                "mapToName": "people",
                "mapToDisplayName": "People",
                "requiredFields": [
                    {"fieldName": "name"},
                    {
                        "fieldName": "Id",
                        "mapToName": "account_id",
                        "mapToDisplayName": "Account ID",
                    },
                ],
                "optionalFields": [
                    {"mapToName": "priority", "mapToDisplayName": "Priority", "prompt": "Pick it"},
                    {"fieldName": "industry"},
                ],
                "optionalFieldsAuto": "all",
                "backfill": {"defaultPeriod": {"days": 30}},
                "delivery": {"mode": "onRequest", "pageSize": 100},
            },
            {
                "objectName": "contact",
                "destination": "defaultWebhook",
                "schedule": "0 */6 * * *",
                "requiredFields": [{"fieldName": "email"}],
                "backfill": {"defaultPeriod": {"fullHistory": True}},
                "enabled": "always",
            },
            {
                "objectName": "opportunity",
                "destination": "defaultWebhook",
                "schedule": "*/30 * * * *",
            },
        ]
    },
    "write": {
        "objects": [
            {"objectName": "account", "inheritMapping": True},
            {"objectName": "contact", "valueDefaults": {"allowAnyFields": True}},
        ]
    },
    "subscribe": {
        "objects": [
            {
                "objectName": "account",
                "destination": "defaultWebhook",
                "inheritFieldsAndMapping": True,
                "createEvent": {"enabled": "always"},
                "updateEvent": {
                    "enabled": "always",
                    "requiredWatchFields": ["name", "domain"],
                },
                "deleteEvent": {"enabled": "always"},
                "associationChangeEvent": {"enabled": "always", "includeFullRecords": True},
                "otherEvents": ["object.merged", "object.restored"],
            }
        ]
    },
    "proxy": {"enabled": True, "useModule": False},
    "watchSchema": {
        "destination": "defaultWebhook",
        "schedule": "0 */6 * * *",
        "allObjects": {
            "fieldCreated": {"enabled": "always"},
            "fieldDeleted": {"enabled": "always"},
            "fieldChanged": {"enabled": "always"},
        },
    },
}


def integration_body(**overrides: Any) -> dict[str, Any]:
    """An Integration as the API sends it, built from the contract's property examples."""
    body = {
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "projectId": "project-456",
        "name": "read-accounts",
        "provider": "salesforce",
        "createTime": "2024-04-22T18:55:28.456076Z",
        "updateTime": "2024-04-23T08:00:00Z",
        "latestRevision": {
            "id": "revision-id-1",
            "specVersion": "1.0.0",
            "createTime": "2024-04-22T18:55:28.456076Z",
            "content": copy.deepcopy(READ_ACCOUNTS_CONTENT),
        },
    }
    body.update(overrides)
    return body


PROJECT_BODY: dict[str, Any] = {
    "id": "proj_9f7c3e2a-61b8-4f5c-8d1a-eb24f3b05d79",
    "name": "mailmonkey-staging",
    "appName": "MailMonkey",
    "orgId": "9f7c3e2a-61b8-4f5c-8d1a-eb24f3b05d79",
    "createTime": "2023-07-13T21:34:44.816354Z",
}

DESTINATION_BODY: dict[str, Any] = {
    "id": "dest-1",
    "name": "leadConvertedWebhook",
    "type": "webhook",
    "metadata": {
        "url": "https://webhooks.mailmonkey.com/salesforce-lead-converted",
        "headers": {"Authorization": "Bearer 1234"},
    },
    "createTime": "2023-07-13T21:34:44.816354Z",
}
