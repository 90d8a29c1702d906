"""The supervisors' dashboard numbers: SQL over a Session, days in the office's time zone.

Every function takes a Session and a `Period` (local days, turned into UTC bounds) and
returns plain values; the console only formats them. Counting happens in the database
(GROUP BY on indexed columns); medians and office-hours waiting times are computed here
from the few rows they need (tickets, not messages). Pungli reports are counted by
status only: no column of their content is ever read.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from bot import missed, store
from bot.hours import OfficeHours
from bot.privacy import mask_identifiers

# How the bot handled a citizen's question (Message.outcome → share bucket). Commands,
# menu, ratings, pungli steps and messages for an officer already holding the ticket
# are not questions the bot had to decide on, so they are not in the shares.
SHARES = {
    "answer": "answered",
    "choice": "answered",
    "clarify": "clarified",
    "escalate": "escalated",
}
SHARE_KEYS = ("answered", "clarified", "escalated")
CHANNELS = ("whatsapp", "sms")
RATINGS = (1, 2, 3)
PERIODS = ("today", "7d", "30d", "custom")
MAX_CUSTOM_DAYS = 366

HoursFor = Callable[[str | None], OfficeHours]


@dataclass(frozen=True)
class Period:
    """Whole local days [first, last]; `start`/`end` are their UTC bounds (end exclusive)."""

    first: dt.date
    last: dt.date
    timezone: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(), tzinfo=self.timezone).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        following = self.last + dt.timedelta(days=1)
        return dt.datetime.combine(following, dt.time(), tzinfo=self.timezone).astimezone(dt.UTC)

    @property
    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def previous(self) -> Period:
        """Return the period of the same length just before this one."""
        length = (self.last - self.first).days + 1
        return Period(
            self.first - dt.timedelta(days=length),
            self.first - dt.timedelta(days=1),
            self.timezone,
        )


def period(
    kind: str,
    now: dt.datetime,
    timezone: ZoneInfo,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> Period:
    """Return the period a supervisor chose: today, the last 7 or 30 days, or custom dates.

    Raises ValueError for an unknown kind, reversed or too long custom dates.
    """
    today = now.astimezone(timezone).date()
    if kind == "today":
        return Period(today, today, timezone)
    if kind in ("7d", "30d"):
        days = int(kind[:-1])
        return Period(today - dt.timedelta(days=days - 1), today, timezone)
    if kind == "custom" and first and last:
        if last < first:
            raise ValueError("tanggal akhir sebelum tanggal awal")
        if (last - first).days + 1 > MAX_CUSTOM_DAYS:
            raise ValueError(f"paling lama {MAX_CUSTOM_DAYS} hari")
        return Period(first, last, timezone)
    raise ValueError(f"periode tidak dikenal: {kind}")


# ---------------------------------------------------------------- SQL helpers


def _local_day(session: Session, column, timezone: ZoneInfo, at: dt.datetime):
    """Return an SQL expression for the local date ('YYYY-MM-DD') of a UTC timestamp column.

    PostgreSQL converts with the zone's rules; SQLite has no time zones, so the zone's
    offset at `at` is added (exact for zones without daylight saving, like WIB/WITA/WIT).
    """
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(timezone.key, column), "YYYY-MM-DD")
    offset = at.astimezone(timezone).utcoffset() or dt.timedelta()
    return func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _in(column, p: Period):
    return and_(column >= p.start, column < p.end)


def _citizen_messages(p: Period):
    message = store.Message
    return and_(message.direction == "in", message.author == "citizen", _in(message.created_at, p))


# ---------------------------------------------------------------- volume


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    counts: dict[str, int]  # channel → messages

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def messages_per_day(session: Session, p: Period) -> list[DayCount]:
    """Return citizens' messages per local day and channel; days without traffic are 0."""
    day = _local_day(session, store.Message.created_at, p.timezone, p.start).label("day")
    rows = session.execute(
        select(day, store.Contact.channel, func.count())
        .select_from(store.Message)
        .join(store.Contact, store.Message.contact_id == store.Contact.id)
        .where(_citizen_messages(p))
        .group_by(day, store.Contact.channel)
    ).all()
    found: dict[str, Counter] = defaultdict(Counter)
    for day_text, channel, count in rows:
        found[str(day_text)][channel] += count
    return [
        DayCount(d, {c: found[d.isoformat()].get(c, 0) for c in CHANNELS} | _others(found, d))
        for d in p.days
    ]


def _others(found: dict[str, Counter], day: dt.date) -> dict[str, int]:
    return {c: n for c, n in found[day.isoformat()].items() if c not in CHANNELS}


def citizens(session: Session, p: Period) -> int:
    """Return how many distinct contacts wrote in the period."""
    return session.scalar(
        select(func.count(func.distinct(store.Message.contact_id))).where(_citizen_messages(p))
    )


# ---------------------------------------------------------------- how the bot answered


@dataclass(frozen=True)
class Shares:
    counts: dict[str, int]  # answered | clarified | escalated → messages

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def percent(self, key: str) -> float | None:
        """Return the share in percent (None when there were no questions)."""
        return 100.0 * self.counts.get(key, 0) / self.total if self.total else None


def shares(session: Session, p: Period) -> Shares:
    """Return how the bot handled citizens' questions: answered, clarified, escalated."""
    rows = session.execute(
        select(store.Message.outcome, func.count())
        .where(
            _citizen_messages(p),
            store.Message.kind == "message",
            store.Message.outcome.in_(SHARES),
        )
        .group_by(store.Message.outcome)
    ).all()
    counts = dict.fromkeys(SHARE_KEYS, 0)
    for outcome, count in rows:
        counts[SHARES[outcome]] += count
    return Shares(counts)


def top_entries(session: Session, p: Period, limit: int = 10) -> list[tuple[str, int]]:
    """Return the FAQ entries the bot answered with most often: (entry id, answers).

    A message that asked two questions and got both answers counts for both entries."""
    entries: Counter = Counter()
    for column in (store.Message.entry_id, store.Message.also_entry_id):
        rows = session.execute(
            select(column, func.count())
            .where(
                _citizen_messages(p),
                store.Message.kind == "message",
                store.Message.outcome.in_(("answer", "choice")),
                column.is_not(None),
            )
            .group_by(column)
        ).all()
        entries.update(dict(rows))
    return _top(entries, limit)


def _top(entries: Counter, limit: int = 10) -> list[tuple[str, int]]:
    return sorted(entries.items(), key=lambda item: (-item[1], item[0]))[:limit]


@dataclass(frozen=True)
class MissedQuestion:
    text: str  # the most recent wording, NIK/KK masked
    count: int
    last_at: dt.datetime


def top_missed(
    session: Session, p: Period, limit: int = 5, scan: int = 300
) -> list[MissedQuestion]:
    """Return the questions the bot escalated or clarified most often (grouped by meaning).

    Only the newest `scan` such messages are grouped, so the page stays fast; the
    learning loop page has them all. Pungli messages (kind "pungli") are never read.
    """
    rows = session.execute(
        select(store.Message.id, store.Message.body, store.Message.created_at)
        .where(
            _citizen_messages(p),
            store.Message.kind == "message",
            store.Message.outcome.in_(missed.OUTCOMES),
        )
        .order_by(store.Message.id.desc())
        .limit(scan)
    ).all()
    items = [
        missed.Missed(message_id=i, text=mask_identifiers(body.strip()), at=at, outcome="")
        for i, body, at in rows
        if (body or "").strip()
    ]
    return [
        MissedQuestion(g.items[-1].text, g.count, g.last_at) for g in missed.group(items)[:limit]
    ]


# ---------------------------------------------------------------- escalations


@dataclass(frozen=True)
class Waits:
    """Office-hours seconds from a ticket's opening to the first officer reply."""

    opened: int  # tickets opened in the period
    replied: int
    median: float | None
    p90: float | None


def percentile(values: list[float], share: float) -> float | None:
    """Return the nearest-rank percentile (share 0-1) of the values (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def waits(session: Session, p: Period, hours_for: HoursFor) -> Waits:
    """Return the waiting times of the tickets opened in the period (office hours only)."""
    rows = session.execute(
        select(store.Ticket.opened_at, store.Ticket.first_reply_at, store.Ticket.office_id).where(
            _in(store.Ticket.opened_at, p)
        )
    ).all()
    seconds = [
        hours_for(office).open_seconds_between(opened, replied)
        for opened, replied, office in rows
        if replied is not None
    ]
    return Waits(len(rows), len(seconds), _median(seconds), percentile(seconds, 0.9))


@dataclass(frozen=True)
class Backlog:
    """The queue right now."""

    open: int  # waiting for an officer to claim
    claimed: int
    oldest_ticket: int | None  # the ticket whose citizen has waited longest
    oldest_since: dt.datetime | None
    oldest_seconds: float | None  # office-hours seconds waited so far


def backlog(session: Session, now: dt.datetime, hours_for: HoursFor) -> Backlog:
    """Return the tickets open now and the one whose citizen waits longest."""
    states = dict(
        session.execute(
            select(store.Ticket.state, func.count())
            .where(store.Ticket.state != "closed")
            .group_by(store.Ticket.state)
        ).all()
    )
    oldest = session.execute(
        select(store.Ticket.id, store.Ticket.waiting_since, store.Ticket.office_id)
        .where(store.Ticket.state != "closed", store.Ticket.waiting_since.is_not(None))
        .order_by(store.Ticket.waiting_since, store.Ticket.id)
        .limit(1)
    ).first()
    if oldest is None:
        return Backlog(states.get("open", 0), states.get("claimed", 0), None, None, None)
    ticket_id, since, office = oldest
    waited = hours_for(office).open_seconds_between(since, now)
    return Backlog(states.get("open", 0), states.get("claimed", 0), ticket_id, since, waited)


# ---------------------------------------------------------------- ratings (CSAT)


@dataclass(frozen=True)
class Ratings:
    counts: dict[int, int]  # 1 kurang membantu · 2 cukup · 3 sangat membantu

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def csat(self) -> float | None:
        """Return the share (percent) of ratings that are 3, the usual CSAT figure."""
        return 100.0 * self.counts.get(3, 0) / self.total if self.total else None

    @property
    def average(self) -> float | None:
        if not self.total:
            return None
        return sum(r * n for r, n in self.counts.items()) / self.total


def ratings(session: Session, p: Period) -> Ratings:
    """Return the citizens' 1-3 ratings given in the period (by the rating message's time)."""
    rated = (
        select(store.Message.ticket_id)
        .where(_citizen_messages(p), store.Message.outcome == "rating")
        .distinct()
        .subquery()
    )
    rows = session.execute(
        select(store.Ticket.rating, func.count())
        .join(rated, rated.c.ticket_id == store.Ticket.id)
        .where(store.Ticket.rating.in_(RATINGS))
        .group_by(store.Ticket.rating)
    ).all()
    counts = dict.fromkeys(RATINGS, 0)
    counts.update({rating: n for rating, n in rows})
    return Ratings(counts)


# ---------------------------------------------------------------- officers


@dataclass
class OfficerLine:
    user_id: int
    name: str
    claimed: int = 0  # claims they made (audit log)
    answered: int = 0  # tickets they replied to
    replies: int = 0
    waits: list[float] = field(default_factory=list)  # first replies they sent

    @property
    def median_wait(self) -> float | None:
        return _median(self.waits)


def officers(session: Session, p: Period, hours_for: HoursFor) -> list[OfficerLine]:
    """Return per officer: tickets claimed, tickets answered, replies, median first-reply wait.

    The wait of a ticket (opening → first reply, office hours) counts for the officer who
    sent that first reply, for tickets first answered in the period.
    """
    lines: dict[int, OfficerLine] = {}

    def line(user_id: int) -> OfficerLine:
        if user_id not in lines:
            lines[user_id] = OfficerLine(user_id, "")
        return lines[user_id]

    for actor_id, count in session.execute(
        select(store.AuditLog.actor_id, func.count())
        .where(
            store.AuditLog.action == "ticket.claim",
            store.AuditLog.actor_id.is_not(None),
            _in(store.AuditLog.at, p),
        )
        .group_by(store.AuditLog.actor_id)
    ):
        line(actor_id).claimed = count
    officer_message = and_(
        store.Message.direction == "out",
        store.Message.author == "officer",
        store.Message.kind == "message",
        store.Message.officer_id.is_not(None),
    )
    for officer_id, tickets, replies in session.execute(
        select(
            store.Message.officer_id,
            func.count(func.distinct(store.Message.ticket_id)),
            func.count(),
        )
        .where(officer_message, _in(store.Message.created_at, p))
        .group_by(store.Message.officer_id)
    ):
        line(officer_id).answered, line(officer_id).replies = tickets, replies
    first = (
        select(store.Message.ticket_id, func.min(store.Message.id).label("first_id"))
        .where(
            officer_message,
            store.Message.ticket_id.in_(
                select(store.Ticket.id).where(_in(store.Ticket.first_reply_at, p))
            ),
        )
        .group_by(store.Message.ticket_id)
        .subquery()
    )
    for officer_id, opened, replied, office in session.execute(
        select(
            store.Message.officer_id,
            store.Ticket.opened_at,
            store.Ticket.first_reply_at,
            store.Ticket.office_id,
        )
        .select_from(store.Ticket)
        .join(first, first.c.ticket_id == store.Ticket.id)
        .join(store.Message, store.Message.id == first.c.first_id)
        .where(_in(store.Ticket.first_reply_at, p))
    ):
        line(officer_id).waits.append(hours_for(office).open_seconds_between(opened, replied))
    if lines:
        for user_id, username, display in session.execute(
            select(store.User.id, store.User.username, store.User.display_name).where(
                store.User.id.in_(lines)
            )
        ):
            lines[user_id].name = display or username
    return sorted(lines.values(), key=lambda o: (-o.answered, -o.claimed, o.name))


# ---------------------------------------------------------------- pungli (counts only)


def pungli_counts(session: Session, p: Period) -> dict[str, int]:
    """Return how many pungli reports filed in the period have each status (nothing else)."""
    from bot.pungli_reports import STATUSES

    rows = session.execute(
        select(store.PungliReport.status, func.count())
        .where(_in(store.PungliReport.created_at, p))
        .group_by(store.PungliReport.status)
    ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(rows))
    return counts


# ---------------------------------------------------------------- the whole page


@dataclass(frozen=True)
class Dashboard:
    period: Period
    previous: Period
    now: dt.datetime
    per_day: list[DayCount]
    citizens: int
    citizens_before: int
    shares: Shares
    shares_before: Shares
    top_entries: list[tuple[str, int]]
    top_missed: list[MissedQuestion]
    waits: Waits
    waits_before: Waits
    backlog: Backlog
    ratings: Ratings
    ratings_before: Ratings
    officers: list[OfficerLine]
    pungli: dict[str, int]

    @property
    def messages(self) -> int:
        return sum(d.total for d in self.per_day)


def _answers(session: Session, p: Period, before: Period):
    """Return shares (now, before) and the top entries from one grouped scan of both periods.

    The same numbers as shares and top_entries (a test checks it) in one pass over the
    covering index, without the join to contacts that only the per-day chart needs.
    """
    both = Period(before.first, p.last, p.timezone)
    current = case((store.Message.created_at >= p.start, 1), else_=0).label("current")
    rows = session.execute(
        select(
            current,
            store.Message.outcome,
            store.Message.entry_id,
            store.Message.also_entry_id,
            func.count(),
        )
        .where(
            _citizen_messages(both),
            store.Message.kind == "message",
            store.Message.outcome.in_(SHARES),
        )
        .group_by(
            current, store.Message.outcome, store.Message.entry_id, store.Message.also_entry_id
        )
    ).all()
    now_counts, before_counts = dict.fromkeys(SHARE_KEYS, 0), dict.fromkeys(SHARE_KEYS, 0)
    entries: Counter = Counter()
    for is_current, outcome, entry_id, also_entry_id, count in rows:
        (now_counts if is_current else before_counts)[SHARES[outcome]] += count
        if is_current and outcome in ("answer", "choice"):
            for answered in (entry_id, also_entry_id):
                if answered:
                    entries[answered] += count
    return Shares(now_counts), Shares(before_counts), _top(entries)


def _citizens_both(session: Session, p: Period, before: Period) -> tuple[int, int]:
    message = store.Message
    both = Period(before.first, p.last, p.timezone)
    now_ids = case((message.created_at >= p.start, message.contact_id))
    before_ids = case((message.created_at < p.start, message.contact_id))
    row = session.execute(
        select(func.count(func.distinct(now_ids)), func.count(func.distinct(before_ids))).where(
            _citizen_messages(both)
        )
    ).one()
    return row[0], row[1]


def dashboard(session: Session, p: Period, now: dt.datetime, hours_for: HoursFor) -> Dashboard:
    """Compute every number of the dashboard for a period (and the one before, for trends)."""
    before = p.previous()
    per_day = messages_per_day(session, p)
    shares_now, shares_before, top = _answers(session, p, before)
    citizens_now, citizens_before = _citizens_both(session, p, before)
    return Dashboard(
        period=p,
        previous=before,
        now=now,
        per_day=per_day,
        citizens=citizens_now,
        citizens_before=citizens_before,
        shares=shares_now,
        shares_before=shares_before,
        top_entries=top,
        top_missed=top_missed(session, p),
        waits=waits(session, p, hours_for),
        waits_before=waits(session, before, hours_for),
        backlog=backlog(session, now, hours_for),
        ratings=ratings(session, p),
        ratings_before=ratings(session, before),
        officers=officers(session, p, hours_for),
        pungli=pungli_counts(session, p),
    )
