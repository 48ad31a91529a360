"""Cron schedules in words: `describe_cron("0 9 * * 1-5") == "at 09:00 on weekdays"`.

Ampersand schedules are five-field cron expressions (minute hour day-of-month month
day-of-week). The common shapes get a short phrase of our own; the rest are read by the
pinned `cron-descriptor` library. Nothing here raises: a malformed expression reads
"invalid schedule: <why>".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

from cron_descriptor import ExpressionDescriptor, Options

MONTH_NAMES: Final = (
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
)
WEEKDAY_NAMES: Final = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# (label, lowest, highest, names): the same bounds the API enforces.
FIELDS: Final = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTH_NAMES),
    ("day of week", 0, 6, WEEKDAY_NAMES),
)
_ITEM: Final = re.compile(r"^(\*|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/([0-9]+))?$")
MAX_SHOWN: Final = 40


class CronError(ValueError):
    pass


def describe_cron(expression: Any) -> str:
    """The schedule in words, e.g. "every 30 minutes"; "invalid schedule: …" when malformed."""
    if not isinstance(expression, str):
        return "invalid schedule: not a text"
    return _describe(expression)


@lru_cache(maxsize=512)
def _describe(expression: str) -> str:
    try:
        parts = validate_cron(expression)
        return _phrase(parts) or _library_phrase(" ".join(parts))
    except CronError as error:
        return f"invalid schedule: {error}"
    # The library raises assorted types of its own; a schedule never makes a page fail.
    except Exception as error:
        return f"invalid schedule: {error or type(error).__name__}"


def validate_cron(expression: str) -> list[str]:
    """The five fields of `expression`; CronError naming the first problem."""
    parts = expression.split()
    if len(parts) != len(FIELDS):
        raise CronError(
            f"a schedule has 5 fields (minute hour day-of-month month day-of-week), "
            f"not {len(parts)}"
        )
    for part, (label, lowest, highest, names) in zip(parts, FIELDS, strict=True):
        for item in part.split(","):
            _check_item(item, label, lowest, highest, names)
    return parts


def _check_item(item: str, label: str, lowest: int, highest: int, names: tuple[str, ...]) -> None:
    match = _ITEM.match(item)
    if not match:
        raise CronError(f"the {label} field has {_short(item)!r}")
    base, step = match.groups()
    if step is not None and int(step) < 1:
        raise CronError(f"the {label} field has the step {step!r}")
    if base == "*":
        return
    first, _, last = base.partition("-")
    start = _number(first, label, lowest, highest, names)
    if last and _number(last, label, lowest, highest, names) < start:
        raise CronError(f"the {label} field has the backward range {base!r}")


def _number(token: str, label: str, lowest: int, highest: int, names: tuple[str, ...]) -> int:
    if token.upper() in names:
        return names.index(token.upper()) + lowest
    if not token.isdigit():
        raise CronError(f"the {label} field has {_short(token)!r}, which is not a number")
    value = int(token)
    if not lowest <= value <= highest:
        raise CronError(f"the {label} field must be within {lowest}-{highest}, not {value}")
    return value


def _short(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def _phrase(parts: list[str]) -> str | None:
    """Our own words for the shapes integrations use most; None for the rest."""
    minute, hour, day, month, weekday = parts
    if (day, month) != ("*", "*"):
        return None
    every_day = weekday == "*"
    if every_day and hour == "*":
        if minute == "*":
            return "every minute"
        if step := _step(minute):
            return "every minute" if step == 1 else f"every {step} minutes"
        if minute == "0":
            return "every hour"
        if minute.isdigit():
            return f"every hour at {int(minute)} minutes past"
    if every_day and minute == "0" and (step := _step(hour)):
        return "every hour" if step == 1 else f"every {step} hours"
    if not (minute.isdigit() and hour.isdigit()):
        return None
    time = f"{int(hour):02d}:{int(minute):02d}"
    if every_day:
        return f"every day at {time}"
    days = _weekday_phrase(weekday)
    return f"at {time} {days}" if days else None


def _step(field: str) -> int | None:
    if field.startswith("*/") and field[2:].isdigit():
        return int(field[2:])
    return None


def _weekday_phrase(weekday: str) -> str | None:
    normalised = weekday.upper()
    for index, name in enumerate(WEEKDAY_NAMES):
        normalised = re.sub(rf"\b{name}\b", str(index), normalised)
    if normalised == "1-5":
        return "on weekdays"
    if normalised in ("0,6", "6,0"):
        return "on weekends"
    return None


def _library_phrase(expression: str) -> str:
    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    text = ExpressionDescriptor(expression, options).get_description()
    text = text.replace(", Monday through Friday", " on weekdays")
    return text[:1].lower() + text[1:]
