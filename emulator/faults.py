"""Fault injection: deliberately slow, failing or broken answers, so clients can test their retries.

Switched per request by the `X-Emulator-Faults` header, or else by
`settings.AMPERSAND_EMULATOR_FAULTS`, both in the syntax `key=value; key=value`:

- `latency=0.05`: seconds added before answering every request;
- `kinds=500,502,503,504,429,timeout,truncate,invalid` with `rate=0.3` (default 1): the probability
  that a request gets a fault, its kind chosen uniformly; `seed=7` makes the choices repeatable;
- `seq=503,429,ok`: outcomes consumed in order by successive requests carrying the same header
  text (add `id=<uuid>` to start a fresh sequence); once used up, `kinds`/`rate` apply if given,
  else requests are answered normally;
- `retry_after=1`: seconds for the 429's `Retry-After`; `stall=5`: seconds a `timeout` hangs.

`500`-`504`, `429` and `timeout` answer before the operation runs (no state changes); `truncate`
and `invalid` run the operation and then break its successful JSON body.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from emulator.problems import Problem

FAULT_HEADER = "X-Emulator-Faults"
STATUS_KINDS = ("500", "502", "503", "504")
KINDS_BEFORE_OPERATION = (*STATUS_KINDS, "429", "timeout")
KINDS_AFTER_OPERATION = ("truncate", "invalid")
KINDS = (*KINDS_BEFORE_OPERATION, *KINDS_AFTER_OPERATION)
KNOWN_KEYS = ("latency", "kinds", "rate", "seq", "retry_after", "stall", "seed", "id")
MAX_LATENCY_SECONDS = 30.0
MAX_STALL_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 3600
MAX_SEED = 2**63
# Sequences and seeded generators are remembered per header text; bound the memory they take.
MAX_REMEMBERED_PLANS = 2000

# Not for secrets: faults only need to look random, and must be repeatable when seeded.
_shared_random = random.Random()  # noqa: S311
_state_lock = threading.Lock()
_sequence_positions: OrderedDict[str, int] = OrderedDict()
_seeded_randoms: OrderedDict[str, random.Random] = OrderedDict()


class FaultSyntaxError(ValueError):
    """The fault switch is not in the `key=value; key=value` syntax or has an unknown value."""


@dataclass(frozen=True)
class FaultPlan:
    source: str
    latency: float = 0.0
    kinds: tuple[str, ...] = ()
    rate: float = 1.0
    seq: tuple[str, ...] = ()
    retry_after: int = 1
    stall: float = 5.0
    seed: int | None = None

    def next_fault(self) -> str | None:
        """The fault kind for the request being answered now, or None to answer normally."""
        with _state_lock:
            if self.seq:
                position = _remembered(_sequence_positions, self.source, lambda: 0)
                if position < len(self.seq):
                    _sequence_positions[self.source] = position + 1
                    outcome = self.seq[position]
                    return None if outcome == "ok" else outcome
            if not self.kinds:
                return None
            generator = (
                _shared_random
                if self.seed is None
                else _remembered(_seeded_randoms, self.source, lambda: random.Random(self.seed))  # noqa: S311
            )
            if generator.random() >= self.rate:
                return None
            return generator.choice(self.kinds)


def _remembered(store: OrderedDict[str, Any], key: str, make: Any) -> Any:
    if key not in store:
        store[key] = make()
        while len(store) > MAX_REMEMBERED_PLANS:
            store.popitem(last=False)
    store.move_to_end(key)
    return store[key]


def reset_fault_state() -> None:
    """Forget consumed sequences and seeded generators (for tests)."""
    with _state_lock:
        _sequence_positions.clear()
        _seeded_randoms.clear()


def fault_switch(request: HttpRequest) -> tuple[str, str]:
    """The fault text that applies to this request, and its source: "header" or "settings"."""
    header = request.headers.get(FAULT_HEADER, "")
    if header.strip():
        return header, "header"
    return getattr(settings, "AMPERSAND_EMULATOR_FAULTS", "") or "", "settings"


def parse_fault_plan(text: str) -> FaultPlan | None:
    """The plan described by `text`, or None when it asks for nothing. Raises FaultSyntaxError."""
    values: dict[str, str] = {}
    for item in text.split(";"):
        if not item.strip():
            continue
        key, equals, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not equals or not value:
            raise FaultSyntaxError(f"{item.strip()!r} is not a key=value pair.")
        if key not in KNOWN_KEYS:
            raise FaultSyntaxError(f"Unknown key {key!r}; known keys are {', '.join(KNOWN_KEYS)}.")
        if key in values:
            raise FaultSyntaxError(f"Key {key!r} is given twice.")
        values[key] = value
    if not values:
        return None
    kinds = _kinds(values.get("kinds"), "kinds", allowed=KINDS)
    if "rate" in values and not kinds:
        raise FaultSyntaxError("rate needs kinds to choose from.")
    return FaultPlan(
        source=text,
        latency=_seconds(values.get("latency"), "latency", default=0.0, most=MAX_LATENCY_SECONDS),
        kinds=kinds,
        rate=_seconds(values.get("rate"), "rate", default=1.0, most=1.0),
        seq=_kinds(values.get("seq"), "seq", allowed=(*KINDS, "ok")),
        retry_after=_whole_number(
            values.get("retry_after"), "retry_after", default=1, most=MAX_RETRY_AFTER_SECONDS
        ),
        stall=_seconds(values.get("stall"), "stall", default=5.0, most=MAX_STALL_SECONDS),
        seed=_whole_number(values["seed"], "seed", default=0, most=MAX_SEED)
        if "seed" in values
        else None,
    )


def _kinds(text: str | None, key: str, *, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if text is None:
        return ()
    kinds = tuple(kind.strip().lower() for kind in text.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in allowed]
    if unknown or not kinds:
        raise FaultSyntaxError(f"{key} must list some of {', '.join(allowed)}; got {text!r}.")
    return kinds


def _seconds(text: str | None, key: str, *, default: float, most: float) -> float:
    if text is None:
        return default
    try:
        number = float(text)
    except ValueError:
        raise FaultSyntaxError(f"{key} must be a number, not {text!r}.") from None
    if not math.isfinite(number) or not 0 <= number <= most:
        raise FaultSyntaxError(f"{key} must be between 0 and {most:g}, not {text!r}.")
    return number


def _whole_number(text: str | None, key: str, *, default: int, most: int) -> int:
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 20 and int(text) <= most):
        raise FaultSyntaxError(f"{key} must be a whole number from 0 to {most}, not {text!r}.")
    return int(text)


def problem_for_fault(kind: str, plan: FaultPlan) -> Problem:
    """The failure answered instead of running the operation (for the kinds injected before it)."""
    if kind == "429":
        return Problem(
            status=429,
            detail="Injected fault: rate limit exceeded.",
            retryable=True,
            retry_after=timezone.now() + timedelta(seconds=plan.retry_after),
            headers={"Retry-After": str(plan.retry_after)},
        )
    if kind == "timeout":
        time.sleep(plan.stall)
        return Problem(status=504, detail="Injected fault: the request timed out.", retryable=True)
    status = int(kind)
    return Problem(
        status=status,
        detail=f"Injected fault: {status} answer.",
        retryable=status != 500,
    )


def break_response(kind: str, response: HttpResponse) -> bool:
    """Break a successful JSON answer in place; False when there was nothing to break."""
    if not 200 <= response.status_code < 300 or not response.content:
        return False
    if kind == "truncate":
        response.content = response.content[: len(response.content) // 2]
        return True
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    response.content = json.dumps(_schema_invalid(body)).encode()
    return True


def _schema_invalid(body: Any) -> Any:
    if isinstance(body, list):
        if not body:
            return {}
        return [_schema_invalid(body[0]), *body[1:]]
    if not isinstance(body, dict) or not body:
        return []
    broken = dict(body)
    if "latestRevision" in broken:
        broken.pop("id", None)
        broken["createTime"] = 12345
    elif "id" in broken:
        del broken["id"]
    else:
        del broken[next(iter(broken))]
    return broken
