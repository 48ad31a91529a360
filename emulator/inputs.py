"""Reading request input defensively: JSON bodies, boolean query flags, text the database can store.

Everything here raises `Problem` (4xx) for bad input, never lets it reach the database as a 500.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest

from emulator.problems import Issue, Problem

MAX_BODY_BYTES = 1024 * 1024
TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})


def json_body(request: HttpRequest) -> Any:
    """The request's JSON body, refused with 413 above 1 MiB and 400 when not JSON."""
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared_length = 0
    if declared_length > MAX_BODY_BYTES:
        raise Problem(status=413, detail=f"The request body is over {MAX_BODY_BYTES} bytes.")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise Problem(status=413, detail=f"The request body is over {MAX_BODY_BYTES} bytes.")
    if not body.strip():
        raise Problem(status=400, detail="The request body is required and must be JSON.")
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise Problem(status=400, detail="The request body is not UTF-8 text.") from None
    except RecursionError:
        raise Problem(status=400, detail="The request body is nested too deeply.") from None
    except ValueError as error:
        raise Problem(status=400, detail=f"The request body is not valid JSON: {error}") from None
    path = unstorable_value_path(data)
    if path is not None:
        raise Problem(
            status=400,
            detail="The request body holds a value that cannot be stored.",
            issues=[Issue("body", path, UNSTORABLE_DETAIL)],
        )
    return data


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


UNSTORABLE_DETAIL = (
    "Holds a NUL character, an unpaired surrogate or a non-finite number, which cannot be stored."
)


def unstorable_value_path(data: Any, root: str = "") -> str | None:
    """Path of the first text or number in `data` that JSON or the database cannot hold, if any."""
    pending: list[tuple[str, Any]] = [(root, data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if not is_storable_text(value):
                return path
        elif isinstance(value, float):
            if not math.isfinite(value):
                return path
        elif isinstance(value, dict):
            for key, item in value.items():
                item_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and not is_storable_text(key):
                    return item_path
                pending.append((item_path, item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None


def is_storable_text(text: str) -> bool:
    # PostgreSQL text and jsonb refuse NUL; UTF-8 (so both databases) refuses lone surrogates.
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def query_flag(request: HttpRequest, name: str) -> bool | None:
    """A boolean query parameter: None when absent, 400 when it is not true or false."""
    raw = request.GET.get(name)
    if raw is None:
        return None
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise Problem(
        status=400,
        detail=f"The query parameter {name} must be true or false.",
        issues=[Issue("query", name, "Must be true or false.", raw)],
    )


def query_text(request: HttpRequest, name: str) -> str | None:
    raw = request.GET.get(name)
    if raw is not None and not is_storable_text(raw):
        raise Problem(
            status=400,
            detail=f"The query parameter {name} holds characters that are not allowed.",
            issues=[Issue("query", name, "Must not hold NUL characters or unpaired surrogates.")],
        )
    return raw
