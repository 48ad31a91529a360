"""The field picker's data: a provider object's real fields, read through one customer's connection.

Ampersand describes an object's fields only through a connection (getObjectMetadataForConnection),
so the picker borrows the group of one installation of the integration's provider in the project.
Without one, or when the API fails, there is nothing to offer and the user types the name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache

from integrations.ampersand import AmpersandError
from integrations.ampersand.client import ListedGroup, ListedInstallation
from integrations.models import Integration, Project
from integrations.secrets import ApiKeyUnavailable
from integrations.services import client_for

logger = logging.getLogger(__name__)

# Two API calls behind a page that is waiting: fail fast, the user can type instead.
FETCH_TOTAL_TIMEOUT = 4.0
# Long enough that typing in the picker asks the API once; short enough to see new fields soon.
FIELDS_KEPT_SECONDS = 120
FAILURE_KEPT_SECONDS = 15
NO_INSTALLATION = "no-installation"
FETCH_FAILED = "fetch-failed"


@dataclass(frozen=True)
class ProviderField:
    name: str
    display_name: str
    value_type: str
    read_only: bool


@dataclass(frozen=True)
class FieldChoices:
    """The fields to offer for one object (sorted by display name), or None and why not."""

    fields: tuple[ProviderField, ...] | None
    reason: str = ""  # NO_INSTALLATION or FETCH_FAILED when `fields` is None
    group_name: str = ""  # the customer whose connection answered

    @property
    def no_installation(self) -> bool:
        return self.reason == NO_INSTALLATION


def field_list_id(object_name: str) -> str:
    """The HTML id of the picker's `<datalist>` for `object_name`, for an input's `list`.

    The same name always gives the same id and distinct names distinct ids (the digest keeps
    `Leads` and `leads` apart); only ASCII letters, digits and dashes appear in it.
    """
    slug = re.sub(r"[^a-z0-9]+", "-", object_name.lower()).strip("-")[:40].strip("-")
    digest = hashlib.blake2b(
        object_name.encode("utf-8", "surrogatepass"), digest_size=4
    ).hexdigest()
    return f"fields-{slug}-{digest}" if slug else f"fields-{digest}"


def provider_fields(integration: Integration, object_name: str) -> FieldChoices:
    """The fields the integration's provider has on `object_name`, kept briefly in the cache."""
    project, provider = integration.project, integration.provider
    key = _cache_key(project, provider, object_name)
    choices = cache.get(key)
    if choices is None:
        choices = _fetch(project, provider, object_name)
        failed = choices.reason == FETCH_FAILED
        cache.set(key, choices, FAILURE_KEPT_SECONDS if failed else FIELDS_KEPT_SECONDS)
    return choices


def _cache_key(project: Project, provider: str, object_name: str) -> str:
    parts = [project.pk, project.base_url, project.ampersand_project, provider, object_name]
    digest = hashlib.blake2b(json.dumps(parts).encode(), digest_size=16).hexdigest()
    return f"ampdash:field-picker:{digest}"


def _fetch(project: Project, provider: str, object_name: str) -> FieldChoices:
    try:
        with client_for(project, total_timeout=FETCH_TOTAL_TIMEOUT, max_retries=1) as client:
            group = connected_group(client.list_installations(), provider)
            if group is None:
                return FieldChoices(None, NO_INSTALLATION)
            metadata = client.get_object_metadata_for_connection(
                provider, object_name, group_ref=group.group_ref
            )
    except (AmpersandError, ApiKeyUnavailable) as error:
        logger.warning("Could not fetch the fields of %s %r: %s", provider, object_name, error)
        return FieldChoices(None, FETCH_FAILED)
    fields = [
        ProviderField(
            name=field.field_name,
            display_name=field.display_name,
            value_type=field.value_type or "",
            read_only=bool(field.read_only),
        )
        for field in metadata.fields.values()
    ]
    fields.sort(key=lambda field: (field.display_name.casefold(), field.name))
    return FieldChoices(tuple(fields), group_name=group.group_name or group.group_ref)


def connected_group(
    installations: Iterable[ListedInstallation], provider: str
) -> ListedGroup | None:
    """The group of an installation connected to `provider`: of one whose connection works, if
    there is one."""
    found = None
    for item in installations:
        connection = item.connection
        if connection is None or connection.provider != provider:
            continue
        group = connection.group or item.group
        if group is None or not group.group_ref:
            continue
        if connection.status == "working":
            return group
        found = found or group
    return found
