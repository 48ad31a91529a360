"""Five-field cron schedules as the platform reads them (gronx): parsing and run spacing."""

from __future__ import annotations

import itertools

from integrations.ampersand.manifest.issues import short

MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
WEEKDAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
CRON_FIELDS: list[tuple[str, int, int, list[str]]] = [
    ("minute", 0, 59, []),
    ("hour", 0, 23, []),
    ("day of month", 1, 31, []),
    ("month", 1, 12, MONTH_NAMES),
    ("day of week", 0, 6, WEEKDAY_NAMES),
]
# The longest each month can be (February in a leap year).
DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


class CronError(ValueError):
    pass


def parse_cron(expression: str) -> list[set[int]]:
    """The values each of the 5 fields of a cron expression allows; CronError if malformed."""
    parts = expression.split()
    if len(parts) != len(CRON_FIELDS):
        raise CronError(
            f"A schedule has exactly 5 fields (minute hour day-of-month month day-of-week), "
            f"not {len(parts)}."
        )
    return [_parse_cron_field(part, *field) for part, field in zip(parts, CRON_FIELDS, strict=True)]


def _parse_cron_field(
    text: str, label: str, lowest: int, highest: int, names: list[str]
) -> set[int]:
    def number(token: str) -> int:
        upper = token.upper()
        if upper in names:
            return names.index(upper) + lowest
        if not token.isascii() or not token.isdigit():
            raise CronError(f"The {label} field has {short(token)!r}, which is not a number.")
        value = int(token)
        if not lowest <= value <= highest:
            raise CronError(f"The {label} field must be within {lowest}-{highest}, not {value}.")
        return value

    values: set[int] = set()
    for item in text.split(","):
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isascii() or not step_text.isdigit() or int(step_text) < 1:
                raise CronError(f"The {label} field has the step {short(step_text)!r}; use */n.")
            step = int(step_text)
        if base == "*":
            start, end = lowest, highest
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = number(first), number(last)
            if start > end:
                raise CronError(f"The {label} field has the backward range {short(base)!r}.")
        else:
            start = number(base)
            end = highest if slash else start
        values.update(range(start, end + 1, step))
    return values


def minimum_interval_minutes(fields: list[set[int]]) -> int:
    """The shortest gap between two runs, counting the minute and hour fields only.

    Day, month and weekday fields can only remove runs, so this never overstates the gap.
    """
    minutes, hours = fields[0], fields[1]
    times = sorted(hour * 60 + minute for hour in hours for minute in minutes)
    if len(times) == 1:
        return 24 * 60
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    gaps.append(24 * 60 - times[-1] + times[0])
    return min(gaps)


def ever_runs(expression: str, fields: list[set[int]]) -> bool:
    """Whether any date matches, so a previous and a next run exist (e.g. not `0 0 30 2 *`).

    As in cron, a restricted weekday field widens the days a restricted day-of-month allows.
    """
    day_field, weekday_field = expression.split()[2], expression.split()[4]
    if weekday_field != "*" and day_field != "*":
        return True
    if day_field == "*":
        return True
    days, months = fields[2], fields[3]
    return any(min(days) <= DAYS_IN_MONTH[month - 1] for month in months)
