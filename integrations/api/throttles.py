"""The API's throttle beyond DRF's per-user and per-anonymous-IP rates (see settings)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle


class ActionRateThrottle(ScopedRateThrottle):
    """The stricter `api-actions` rate, counted only on the POSTs that start a sync or a deploy.

    A view opts in with `throttle_scope = "api-actions"`; its GETs count only towards the user rate.
    """

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
