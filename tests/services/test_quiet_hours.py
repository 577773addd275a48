"""Quiet hours in the program's time zone, across midnight and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.gateway.quiet_hours import is_quiet, next_allowed_time, parse_quiet_hours, shown

NY = ZoneInfo("America/New_York")


def local(*args: int, fold: int = 0) -> datetime:
    """A New York wall-clock time, as the UTC instant callers pass."""
    return datetime(*args, tzinfo=NY, fold=fold).astimezone(UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 6, 15, 12, 0), None),  # midday
        (local(2026, 6, 15, 20, 59), None),
        (local(2026, 6, 15, 21, 0), local(2026, 6, 16, 8, 0)),  # quiet starts
        (local(2026, 6, 15, 23, 30), local(2026, 6, 16, 8, 0)),
        (local(2026, 6, 16, 0, 0), local(2026, 6, 16, 8, 0)),  # after midnight: same day
        (local(2026, 6, 16, 7, 59), local(2026, 6, 16, 8, 0)),
        (local(2026, 6, 16, 8, 0), None),  # quiet ends
        (local(2026, 12, 31, 22, 0), local(2027, 1, 1, 8, 0)),  # across a year end
    ],
)
def test_a_window_across_midnight(now: datetime, expected: datetime | None) -> None:
    assert next_allowed_time(now) == expected
    assert is_quiet(now) is (expected is not None)


def test_the_result_is_utc() -> None:
    ends = next_allowed_time(utc(2026, 6, 16, 3, 0))  # 23:00 EDT
    assert ends == utc(2026, 6, 16, 12, 0) and ends.tzinfo is UTC


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (local(2026, 6, 15, 12, 59), None),
        (local(2026, 6, 15, 13, 0), local(2026, 6, 15, 14, 0)),
        (local(2026, 6, 15, 13, 45), local(2026, 6, 15, 14, 0)),
        (local(2026, 6, 15, 14, 0), None),
        (local(2026, 6, 15, 23, 0), None),
    ],
)
def test_a_window_within_one_day(now: datetime, expected: datetime | None) -> None:
    assert next_allowed_time(now, "13:00-14:00") == expected


def test_spring_forward_keeps_eight_oclock_local() -> None:
    # 2026-03-08: clocks jump from 02:00 EST to 03:00 EDT; 08:00 that morning is 12:00 UTC.
    ends = next_allowed_time(local(2026, 3, 7, 23, 0))
    assert ends == utc(2026, 3, 8, 12, 0)
    assert ends - local(2026, 3, 7, 23, 0) == timedelta(hours=8)  # one hour less than usual


def test_fall_back_keeps_eight_oclock_local() -> None:
    # 2026-11-01: clocks fall back from 02:00 EDT to 01:00 EST; 08:00 that morning is 13:00 UTC.
    ends = next_allowed_time(local(2026, 10, 31, 23, 0))
    assert ends == utc(2026, 11, 1, 13, 0)
    assert ends - local(2026, 10, 31, 23, 0) == timedelta(hours=10)


def test_an_end_inside_the_repeated_hour() -> None:
    # Quiet until 01:30, asked at 01:10 of each of the two 01:00-02:00 hours of 2026-11-01.
    first = local(2026, 11, 1, 1, 10)  # EDT
    second = local(2026, 11, 1, 1, 10, fold=1)  # EST, one hour later
    assert next_allowed_time(first, "00:30-01:30") == utc(2026, 11, 1, 5, 30)
    assert next_allowed_time(second, "00:30-01:30") == utc(2026, 11, 1, 6, 30)


def test_an_end_inside_the_skipped_hour_comes_after_the_gap() -> None:
    # 02:30 does not exist on 2026-03-08; quiet ends at the first moment after it.
    ends = next_allowed_time(local(2026, 3, 8, 1, 0), "00:00-02:30")
    assert ends is not None and ends > local(2026, 3, 8, 1, 0)
    assert ends.astimezone(NY).hour == 3


def test_another_time_zone() -> None:
    now = utc(2026, 6, 16, 4, 30)  # 00:30 EDT, but 21:30 PDT
    assert next_allowed_time(now, tz="America/Los_Angeles") == utc(2026, 6, 16, 15, 0)
    assert next_allowed_time(now, "22:00-07:00", tz="America/Los_Angeles") is None


def test_a_window_that_starts_and_ends_together_is_empty() -> None:
    assert next_allowed_time(utc(2026, 6, 16, 3, 0), "21:00-21:00") is None


def test_any_aware_time_is_accepted_and_naive_is_refused() -> None:
    aware_ny = datetime(2026, 6, 15, 23, 0, tzinfo=NY)
    assert next_allowed_time(aware_ny) == utc(2026, 6, 16, 12, 0)
    with pytest.raises(ValueError):
        next_allowed_time(datetime(2026, 6, 15, 23, 0))


@pytest.mark.parametrize("bad", ["21-08", "21:00", "25:00-08:00", "21:00-08:60", "9:00-10:00"])
def test_malformed_windows_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_quiet_hours(bad)


def test_staff_read_an_empty_window_as_none() -> None:
    assert shown("00:00-00:00") == "none"
    assert shown("21:00-21:00") == "none"
    assert shown(" 21:00-08:00 ") == "21:00-08:00"
