"""Office hours in the office's time zone: is it open now, and when does it open next (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OfficeHours:
    """Weekly opening windows, one per weekday at most (0 = Monday)."""

    timezone: ZoneInfo
    windows: dict[int, tuple[dt.time, dt.time]]
    holidays: frozenset[dt.date] = frozenset()

    @classmethod
    def from_config(cls, office: dict, holidays=()) -> OfficeHours:
        """Build from config.yaml's `office:` section (timezone, hours per weekday)."""
        return cls(
            ZoneInfo(office.get("timezone", "Asia/Jakarta")),
            parse_windows(office.get("hours") or {}),
            frozenset(holidays),
        )

    def local(self, moment: dt.datetime) -> dt.datetime:
        """Return the moment in the office's time zone."""
        return moment.astimezone(self.timezone)

    def is_open(self, moment: dt.datetime) -> bool:
        """Return True when the office is open at this moment."""
        local = self.local(moment)
        window = self._window(local.date())
        return bool(window) and window[0] <= local.time() < window[1]

    def _window(self, day: dt.date) -> tuple[dt.time, dt.time] | None:
        return None if day in self.holidays else self.windows.get(day.weekday())

    def next_opening(self, moment: dt.datetime) -> dt.datetime | None:
        """Return the next local opening time after a moment (None when never open)."""
        local = self.local(moment)
        # Look a few weeks ahead: long holidays (Lebaran) can close an office for days.
        for offset in range(40):
            day = local.date() + dt.timedelta(days=offset)
            window = self._window(day)
            if not window:
                continue
            opening = dt.datetime.combine(day, window[0], tzinfo=self.timezone)
            if opening > local:
                return opening
        return None

    def open_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Return how many seconds the office was open between two moments (0 if end ≤ start).

        Waiting times "in office hours": a question sent on Friday evening and answered on
        Monday at 09.00 waited one open hour, not three days. Holidays count as closed.
        """
        if end <= start:
            return 0.0
        first, last = self.local(start), self.local(end)
        total = 0.0
        day = first.date()
        while day <= last.date():
            window = self._window(day)
            if window:
                opening = dt.datetime.combine(day, window[0], tzinfo=self.timezone)
                closing = dt.datetime.combine(day, window[1], tzinfo=self.timezone)
                overlap = (min(closing, last) - max(opening, first)).total_seconds()
                total += max(overlap, 0.0)
            day += dt.timedelta(days=1)
        return total

    def describe(self, day_names: list[str]) -> str:
        """Return one line per open weekday, e.g. "Senin: 08.00–15.00"."""
        lines = []
        for index, name in enumerate(day_names):
            if index in self.windows:
                start, end = self.windows[index]
                lines.append(f"{name}: {start:%H.%M}–{end:%H.%M}")
        return "\n".join(lines)


def parse_windows(hours: dict) -> dict[int, tuple[dt.time, dt.time]]:
    """Parse {"mon": "08:00-15:00", …} into weekday → (start, end); ValueError when invalid."""
    windows = {}
    for day, span in hours.items():
        if day not in DAYS:
            raise ValueError(f"hari tidak dikenal: {day} (pakai {', '.join(DAYS)})")
        start, end = (dt.time.fromisoformat(part.strip()) for part in str(span).split("-"))
        if not start < end:
            raise ValueError(f"jam {day}: jam buka harus sebelum jam tutup ({span})")
        windows[DAYS.index(day)] = (start, end)
    return windows
