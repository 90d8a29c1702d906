"""Office hours in Asia/Jakarta time, whatever the server's clock zone."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.hours import OfficeHours

HOURS = OfficeHours.from_config(
    {"timezone": "Asia/Jakarta", "hours": {"mon": "08:00-15:00", "fri": "08:00-11:30"}}
)
UTC = dt.UTC


@pytest.mark.parametrize(
    ("utc", "is_open"),
    [
        (dt.datetime(2026, 11, 30, 0, 59, tzinfo=UTC), False),  # Mon 07:59 WIB
        (dt.datetime(2026, 11, 30, 1, 0, tzinfo=UTC), True),  # Mon 08:00 WIB
        (dt.datetime(2026, 11, 30, 7, 59, tzinfo=UTC), True),  # Mon 14:59 WIB
        (dt.datetime(2026, 11, 30, 8, 0, tzinfo=UTC), False),  # Mon 15:00 WIB
        (dt.datetime(2026, 11, 29, 18, 0, tzinfo=UTC), False),  # Mon 01:00 WIB (Sun in UTC)
        (dt.datetime(2026, 12, 4, 4, 29, tzinfo=UTC), True),  # Fri 11:29 WIB
        (dt.datetime(2026, 12, 4, 4, 30, tzinfo=UTC), False),  # Fri 11:30 WIB
    ],
)
def test_is_open_in_jakarta_time(utc, is_open):
    assert HOURS.is_open(utc) is is_open


def test_next_opening_crosses_midnight_and_the_weekend():
    friday_noon_wib = dt.datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
    opening = HOURS.next_opening(friday_noon_wib)
    assert opening.isoformat() == "2026-12-07T08:00:00+07:00"  # the next Monday
    sunday_2359_utc = dt.datetime(2026, 11, 29, 23, 59, tzinfo=UTC)  # Mon 06:59 WIB
    assert HOURS.next_opening(sunday_2359_utc).isoformat() == "2026-11-30T08:00:00+07:00"


def test_never_open_has_no_next_opening():
    closed = OfficeHours.from_config({"timezone": "Asia/Jakarta", "hours": {}})
    assert closed.next_opening(dt.datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_describe_lists_open_days():
    days = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
    assert HOURS.describe(days) == "Senin: 08.00–15.00\nJumat: 08.00–11.30"


def _wib(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Return a moment of November/December 2026 given in WIB (UTC+7), as UTC."""
    month, day = (11, day) if day > 7 else (12, day)
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC) - dt.timedelta(hours=7)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        (_wib(30, 9), _wib(30, 9, 45), 45),  # Mon, inside the window
        (_wib(30, 7), _wib(30, 8, 30), 30),  # before opening: only from 08:00
        (_wib(30, 14, 50), _wib(30, 16), 10),  # closing at 15:00
        (_wib(30, 16), _wib(30, 23, 59), 0),  # after hours: nothing
        (_wib(30, 16), _wib(1, 23), 0),  # Tuesday is closed in these hours
        (_wib(4, 11), _wib(7, 8, 30), 60),  # Fri 11:00 → Mon 08:30: 30 + 30 minutes
        (_wib(29, 23, 59), _wib(30, 8, 1), 1),  # across midnight WIB (16:59 UTC Sunday)
        (_wib(30, 9), _wib(30, 8), 0),  # end before start
        (_wib(30, 8), _wib(7, 8), 7 * 60 + 3.5 * 60),  # a whole week: Mon 7 h + Fri 3.5 h
    ],
)
def test_open_seconds_between_counts_office_hours_only(start, end, minutes):
    assert HOURS.open_seconds_between(start, end) == minutes * 60


def test_open_seconds_between_skips_holidays():
    monday = _wib(30, 0).astimezone(HOURS.timezone).date()
    with_holiday = OfficeHours(HOURS.timezone, HOURS.windows, frozenset({monday}))
    assert with_holiday.open_seconds_between(_wib(30, 7), _wib(30, 16)) == 0
    assert HOURS.open_seconds_between(_wib(30, 7), _wib(30, 16)) == 7 * 3600
