"""Office hours for waiting-time figures: open seconds between two moments (Asia/Jakarta)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.hours import OfficeHours

WIB = dt.timezone(dt.timedelta(hours=7))
UTC = dt.UTC
HOURS = OfficeHours.from_config(
    {
        "timezone": "Asia/Jakarta",
        "hours": {d: "08:00-15:00" for d in ("mon", "tue", "wed", "thu")} | {"fri": "08:00-11:30"},
    },
    holidays=[dt.date(2026, 12, 1)],  # a Tuesday
)


def at(day, hour, minute=0, tz=WIB):
    return (
        dt.datetime(2026, 11, day, hour, minute, tzinfo=tz)
        if day <= 30
        else dt.datetime(2026, 12, day - 30, hour, minute, tzinfo=tz)
    )


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (at(24, 9), at(24, 10, 30), 1.5),  # Tuesday, inside the window
        (at(24, 14), at(25, 9), 2.0),  # over the night: 1 h Tuesday + 1 h Wednesday
        (at(27, 11), at(30, 9), 1.5),  # Friday 11.00 → Monday 09.00: the weekend is closed
        (at(27, 23, 59), at(28, 0, 1), 0.0),  # around midnight on a closed night
        (at(30, 14), at(32, 9), 2.0),  # Monday 14.00 → Wednesday 09.00: Tuesday is a holiday
        (at(24, 3, tz=UTC), at(24, 4, tz=UTC), 1.0),  # UTC moments read in Jakarta time
        (at(24, 10), at(24, 9), 0.0),  # reversed: nothing
    ],
)
def test_open_seconds_between_counts_only_open_office_time(start, end, hours):
    assert HOURS.open_seconds_between(start, end) == hours * 3600
