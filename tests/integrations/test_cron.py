from __future__ import annotations

import pytest

from integrations.cron import describe_cron


@pytest.mark.parametrize(
    ("expression", "reading"),
    [
        ("*/30 * * * *", "every 30 minutes"),
        ("*/10 * * * *", "every 10 minutes"),
        ("*/1 * * * *", "every minute"),
        ("* * * * *", "every minute"),
        ("0 * * * *", "every hour"),
        ("15 * * * *", "every hour at 15 minutes past"),
        ("0 */6 * * *", "every 6 hours"),
        ("30 2 * * *", "every day at 02:30"),
        ("0 9 * * 1-5", "at 09:00 on weekdays"),
        ("0 9 * * MON-FRI", "at 09:00 on weekdays"),
        ("0 7 * * mon-fri", "at 07:00 on weekdays"),
        ("0 10 * * 0,6", "at 10:00 on weekends"),
        ("  0   9 * *   1-5 ", "at 09:00 on weekdays"),
    ],
)
def test_common_schedules_read_as_short_phrases(expression, reading):
    assert describe_cron(expression) == reading


@pytest.mark.parametrize(
    ("expression", "reading"),
    [
        ("15 14 1 * *", "at 14:15, on day 1 of the month"),
        ("5 0 * 8 *", "at 00:05, only in August"),
        ("*/5 9-17 * * 1-5", "every 5 minutes, between 09:00 and 17:59 on weekdays"),
        ("0 9 * * 1,3", "at 09:00, only on Monday and Wednesday"),
    ],
)
def test_other_schedules_are_read_by_the_library_in_lower_case(expression, reading):
    assert describe_cron(expression) == reading


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "a schedule has 5 fields"),
        ("@daily", "a schedule has 5 fields"),
        ("0 9 * * 1-5 2026", "not 6"),
        ("99 * * * *", "the minute field must be within 0-59, not 99"),
        ("0 24 * * *", "the hour field must be within 0-23, not 24"),
        ("0 9 0 * *", "the day of month field must be within 1-31, not 0"),
        ("0 9 * 13 *", "the month field must be within 1-12, not 13"),
        ("0 9 * * 8", "the day of week field must be within 0-6, not 8"),
        ("*/0 * * * *", "the minute field has the step '0'"),
        ("5-1 * * * *", "the minute field has the backward range '5-1'"),
        ("a b c d e", "the minute field has 'a', which is not a number"),
        ("0 9 * * FUNDAY", "the day of week field has 'FUNDAY'"),
        ("1,,2 * * * *", "the minute field has ''"),
    ],
)
def test_invalid_schedules_say_why_instead_of_raising(expression, reason):
    reading = describe_cron(expression)
    assert reading.startswith("invalid schedule: ")
    assert reason in reading


@pytest.mark.parametrize("value", [None, 30, ["*/30", "*"], {"cron": "* * * * *"}])
def test_a_schedule_that_is_not_text_is_invalid(value):
    assert describe_cron(value) == "invalid schedule: not a text"


def test_a_very_long_bad_value_is_shortened_in_the_reason():
    reading = describe_cron("x" * 5000 + " * * * *")
    assert reading.startswith("invalid schedule: the minute field has 'xxx")
    assert len(reading) < 120
