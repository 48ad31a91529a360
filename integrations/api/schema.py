"""The answers every API operation documents beside its success: one table, used by each view."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


ERRORS = {
    400: OpenApiResponse(
        OpenApiTypes.OBJECT,
        description="Bad parameters or body: a list of messages per parameter "
        "(`non_field_errors` for the request as a whole).",
    ),
    401: OpenApiResponse(
        ErrorSerializer,
        description="The token sent in `Authorization` is unknown, revoked or expired.",
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Neither a session nor a token was sent, or your role in the project does "
        "not allow this (the `detail` names the role needed).",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such object in your projects."),
    429: OpenApiResponse(
        ErrorSerializer,
        description="Too many requests: the `detail` and `Retry-After` say when to try again.",
    ),
}

RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds to wait before the next request.",
)


def answers(success: dict[int, Any], *errors: int) -> dict[int, Any]:
    """`success`, plus 401, 403, 429 (every operation's) and the given error statuses."""
    codes = sorted({401, 403, 429, *errors})
    return {**success, **{code: ERRORS[code] for code in codes}}
