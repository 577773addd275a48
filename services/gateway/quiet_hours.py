"""Quiet hours for proactive messages, in the program's time zone.

A window "21:00-08:00" crosses midnight (quiet from 21:00 until 08:00 the next morning); a
window "13:00-14:00" does not. Wall-clock times are resolved with zoneinfo, so the end of quiet
hours stays at 08:00 local time across daylight-saving changes. A window whose start equals its
end is empty (no quiet hours).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def parse_quiet_hours(quiet: str) -> tuple[time, time]:
    """'21:00-08:00' -> (time(21, 0), time(8, 0)); ValueError for anything else."""
    match = _WINDOW.match(quiet.strip())
    if not match:
        raise ValueError(f"quiet hours must look like 21:00-08:00, not {quiet!r}")
    start_h, start_m, end_h, end_m = (int(g) for g in match.groups())
    if start_h > 23 or end_h > 23 or start_m > 59 or end_m > 59:
        raise ValueError(f"quiet hours out of range: {quiet!r}")
    return time(start_h, start_m), time(end_h, end_m)


def shown(quiet: str) -> str:
    """The window as staff read it: "none" for an empty one (start equal to end)."""
    start, end = parse_quiet_hours(quiet)
    return "none" if start == end else quiet.strip()


def next_allowed_time(
    now: datetime, quiet: str = "21:00-08:00", tz: str = "America/New_York"
) -> datetime | None:
    """None if `now` is outside quiet hours, else the UTC time when they end."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start, end = parse_quiet_hours(quiet)
    if start == end:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    today = local.date()
    if start < end:  # e.g. 13:00-14:00, within one day
        if not start <= wall < end:
            return None
        end_date = today
    else:  # e.g. 21:00-08:00, across midnight
        if wall >= start:
            end_date = today + timedelta(days=1)
        elif wall < end:
            end_date = today
        else:
            return None
    now_utc = now.astimezone(UTC)
    ends = datetime.combine(end_date, end, tzinfo=zone).astimezone(UTC)
    if ends <= now_utc:
        # A repeated hour when clocks fall back: the end is its second occurrence, or passed.
        ends = datetime.combine(end_date, end.replace(fold=1), tzinfo=zone).astimezone(UTC)
        if ends <= now_utc:
            return None
    return ends


def is_quiet(now: datetime, quiet: str = "21:00-08:00", tz: str = "America/New_York") -> bool:
    return next_allowed_time(now, quiet, tz) is not None


def first_allowed_time(
    now: datetime, windows: list[str], tz: str = "America/New_York"
) -> datetime | None:
    """None if `now` is outside every window, else the first UTC time outside all of them.

    Windows can chain (hers 17:00-08:00 and the program's 21:00-08:00; or hers ending where
    the program's begins), so each end found is checked against every window again. Windows
    that together cover the whole day never end: ValueError (her hours are checked against the
    program's when she sets them, so only a later change of the program's hours gets here)."""
    at = now
    for _ in range(2 * len(windows) + 2):
        later = [t for t in (next_allowed_time(at, w, tz) for w in windows) if t is not None]
        if not later:
            return None if at == now else at
        at = max(later)
    raise ValueError("the quiet hours together cover the whole day")


def leaves_time_to_text(windows: list[str], tz: str = "America/New_York") -> bool:
    """Whether some time of day is outside every window."""
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    try:
        first_allowed_time(start, windows, tz)
    except ValueError:
        return False
    return True
