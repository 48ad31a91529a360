"""The API's throttles: DRF's per-user and per-anonymous-IP rates, and a stricter one on the
POSTs that start a sync or a deploy (rates in settings), all counted in the "shared" cache, so
that every web process counts together when REDIS_URL is set."""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request

logger = logging.getLogger(__name__)


class SharedCount:
    """Counts requests in the "shared" cache. When that cache cannot be reached the request is
    let through and a warning logged: an outage of Redis must not take the API down with it."""

    cache = ConnectionProxy(caches, "shared")

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)  # type: ignore[misc]
        except (RedisError, OSError) as error:
            logger.warning("API throttle not counted: the shared cache failed (%s)", error)
            return True


class AnonRateThrottle(SharedCount, throttling.AnonRateThrottle):
    """`anon`: requests without credentials, per address."""


class UserRateThrottle(SharedCount, throttling.UserRateThrottle):
    """`user`: per signed-in user (or per address for anonymous requests)."""


class ActionRateThrottle(SharedCount, throttling.ScopedRateThrottle):
    """The stricter `api-actions` rate, counted only on the POSTs that start a sync or a deploy.

    A view opts in with `throttle_scope = "api-actions"`; its GETs count only towards the user rate.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
