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

    @classmethod
    def from_config(cls, office: dict) -> OfficeHours:
        """Build from config.yaml's `office:` section (timezone, hours per weekday)."""
        windows = {}
        for day, span in (office.get("hours") or {}).items():
            start, end = (dt.time.fromisoformat(part.strip()) for part in span.split("-"))
            windows[DAYS.index(day)] = (start, end)
        return cls(ZoneInfo(office.get("timezone", "Asia/Jakarta")), windows)

    def local(self, moment: dt.datetime) -> dt.datetime:
        """Return the moment in the office's time zone."""
        return moment.astimezone(self.timezone)

    def is_open(self, moment: dt.datetime) -> bool:
        """Return True when the office is open at this moment."""
        local = self.local(moment)
        window = self.windows.get(local.weekday())
        return bool(window) and window[0] <= local.time() < window[1]

    def next_opening(self, moment: dt.datetime) -> dt.datetime | None:
        """Return the next local opening time after a moment (None when never open)."""
        local = self.local(moment)
        for offset in range(8):
            day = local.date() + dt.timedelta(days=offset)
            window = self.windows.get(day.weekday())
            if not window:
                continue
            opening = dt.datetime.combine(day, window[0], tzinfo=self.timezone)
            if opening > local:
                return opening
        return None

    def describe(self, day_names: list[str]) -> str:
        """Return one line per open weekday, e.g. "Senin: 08.00–15.00"."""
        lines = []
        for index, name in enumerate(day_names):
            if index in self.windows:
                start, end = self.windows[index]
                lines.append(f"{name}: {start:%H.%M}–{end:%H.%M}")
        return "\n".join(lines)
