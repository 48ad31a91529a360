"""Operations that call the Ampersand API, shared by the sync (`integrations.sync`), the deploy
(`integrations.deploy`) and the pages."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from django.conf import settings
from django.core.cache import cache

from integrations.ampersand import AmpersandClient
from integrations.ampersand.errors import AmpersandError
from integrations.models import Project
from integrations.secrets import ApiKeyUnavailable

logger = logging.getLogger(__name__)


def client_for(project: Project, **options: Any) -> AmpersandClient:
    """An API client for `project`, with the dashboard's timeouts."""
    options.setdefault("timeout", settings.AMPERSAND_TIMEOUT_SECONDS)
    return AmpersandClient(
        base_url=project.base_url,
        api_key=project.get_api_key(),
        project=project.ampersand_project,
        **options,
    )


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


DESTINATIONS_CACHE_SECONDS = 60
# A failure is kept briefly too, so that a page never waits on an API that is down.
DESTINATIONS_FAILURE_CACHE_SECONDS = 15
# Pages wait for the destinations: ask once, briefly; a text input stands in otherwise.
DESTINATIONS_TOTAL_TIMEOUT = 3.0


def destination_names(project: Project) -> tuple[list[str] | None, str]:
    """The names of the project's destinations (listDestinations), kept a minute; or None and
    why not when the API cannot be asked or fails, so that a form falls back to typing it."""
    key = f"destinations:{project.pk}:{project.base_url}:{project.ampersand_project}"
    known = cache.get(key)
    if known is not None:
        return known
    try:
        with client_for(project, total_timeout=DESTINATIONS_TOTAL_TIMEOUT, max_retries=1) as client:
            known = sorted(destination.name for destination in client.list_destinations()), ""
    except (AmpersandError, ApiKeyUnavailable) as error:
        known = None, str(error)
    cache.set(
        key,
        known,
        DESTINATIONS_CACHE_SECONDS if known[0] is not None else DESTINATIONS_FAILURE_CACHE_SECONDS,
    )
    return known
