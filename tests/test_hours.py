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
