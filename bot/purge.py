"""Retention: remove old conversations and evidence, keeping per-day counts (`daily_counts`).

Framework-free: takes a Store. What goes, older than the cutoff: messages (with their sent
outbox rows and parts) of contacts with no open ticket and no pungli report in progress,
closed tickets left without messages, dead letters, contacts left with nothing, and the
evidence files and reporter link of closed pungli reports. What always stays: open tickets
and their contact's history, messages still waiting in the outbox, reports under
investigation with their evidence and their reporter's contact.

Each batch counts the messages it deletes into `daily_counts` (added to what is there) in
the same transaction as the delete, so a message is counted exactly once however often
purge runs: `daily_counts` + the messages still stored = everything ever received or sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot import store
from bot.store import (
    Contact,
    DailyCount,
    DeadLetter,
    Message,
    MessagePart,
    Outbox,
    PungliEvidence,
    PungliReport,
    Ticket,
)

log = logging.getLogger(__name__)

DEFAULT_DAYS = 365
FINAL_REPORT_STATUSES = ("selesai", "tidak_terbukti")
UNSENT = ("pending", "sending")  # outbox rows a worker may still send
BATCH = 2000
CHECK_EVERY = dt.timedelta(minutes=10)  # how often an idle worker asks whether a purge is due


@dataclass
class Result:
    """What a purge removed (or, in a dry run, would remove); counts only, no personal data."""

    cutoff: dt.datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)
    # Reports in progress whose reporter reference no key can read: every pungli message
    # is then kept (we cannot tell whose they are).
    unreadable_refs: int = 0

    def lines(self) -> list[str]:
        """Return one line per kind of record, for the CLI."""
        return [f"{name}: {n}" for name, n in self.counts.items()]


def retention_days(config: dict) -> int:
    """Return the configured retention in days (config.yaml `retention.days`)."""
    return int((config.get("retention") or {}).get("days", DEFAULT_DAYS))


def run(helpdesk, days: int | None = None, *, dry_run: bool = False) -> Result:
    """Purge with the installation's settings (config.yaml, PUNGLI_KEY, evidence folder);
    `days` overrides `retention.days`. Used by `python -m bot purge` and the worker."""
    from bot import pungli_reports

    config = helpdesk.config
    pungli = helpdesk.settings.pungli
    return purge(
        helpdesk.store,
        cutoff_for(days or retention_days(config), store.utcnow()),
        timezone=ZoneInfo(config.get("office", {}).get("timezone", "Asia/Jakarta")),
        pungli_keys=pungli.keys if pungli else (),
        evidence_folder=pungli_reports.evidence_folder(config, config.get("_base_dir", ".")),
        dry_run=dry_run,
    )


def daily_job(helpdesk, every: dt.timedelta = dt.timedelta(hours=24)):
    """Return the worker's idle task that purges when the last purge is `every` old (the
    audit log says when), or None when config.yaml `retention.in_worker` is false."""
    if not (helpdesk.config.get("retention") or {}).get("in_worker", True):
        return None

    asked: dt.datetime | None = None  # when this process last asked the audit log

    def job() -> int:
        nonlocal asked
        now = store.utcnow()
        if asked is not None and now - asked < CHECK_EVERY:
            return 0  # the worker idles every few seconds: ask the database now and then
        asked = now
        with helpdesk.store.session() as session:
            last = session.scalar(
                select(func.max(store.AuditLog.at)).where(store.AuditLog.action == "purge")
            )
        if last is not None and now - last < every:
            return 0
        return sum(run(helpdesk).counts.values())

    return job


def cutoff_for(days: int, now: dt.datetime) -> dt.datetime:
    """Return the moment before which records are old."""
    if days < 1:
        raise ValueError("retention must be at least one day")
    return now - dt.timedelta(days=days)


def _active_reporters(session: Session, keys: tuple[str, ...]) -> tuple[set[int], int]:
    """Return the contact ids of reporters whose report is in progress, and how many
    references could not be read."""
    refs = session.scalars(
        select(PungliReport.reporter_ref).where(PungliReport.status.not_in(FINAL_REPORT_STATUSES))
    ).all()
    fernet = MultiFernet([Fernet(key) for key in keys]) if keys else None
    found, unreadable = set(), 0
    for ref in refs:
        try:
            found.add(int(fernet.decrypt(ref.encode())))
        except (AttributeError, InvalidToken, ValueError):
            unreadable += 1
    return found, unreadable


class _Rules:
    """The SQL conditions of one purge (same for the dry run and the real one)."""

    def __init__(self, cutoff: dt.datetime, reporters: set[int], keep_pungli: bool):
        self.cutoff = cutoff
        self.reporters = sorted(reporters)
        self.keep_pungli = keep_pungli

    def message(self, m=Message):
        """Return the condition for a message row `m` to be deleted."""
        open_ticket = aliased(Ticket)
        own_ticket = aliased(Ticket)
        conditions = [
            m.created_at < self.cutoff,
            ~exists().where(open_ticket.contact_id == m.contact_id, open_ticket.state != "closed"),
            ~exists().where(Outbox.message_id == m.id, Outbox.state.in_(UNSENT)),
            or_(
                m.ticket_id.is_(None),
                exists().where(
                    own_ticket.id == m.ticket_id,
                    own_ticket.state == "closed",
                    own_ticket.closed_at < self.cutoff,
                ),
            ),
        ]
        if self.reporters:
            conditions.append(m.contact_id.not_in(self.reporters))
        if self.keep_pungli:
            conditions.append(m.kind != store.PUNGLI_KIND)
        return and_(*conditions)

    def kept_message(self):
        """Return an aliased Message and the condition that it stays."""
        m = aliased(Message)
        return m, ~self.message(m)

    def ticket(self, after: bool):
        """Condition for a ticket to go: closed before the cutoff, no message left (or,
        before deleting, no message that stays)."""
        m, stays = self.kept_message()
        left = m.ticket_id == Ticket.id
        return and_(
            Ticket.state == "closed",
            Ticket.closed_at < self.cutoff,
            ~exists().where(left) if after else ~exists().where(left, stays),
        )

    def contact(self, after: bool):
        """Condition for a contact to go: nothing left of it."""
        m, stays = self.kept_message()
        t = aliased(Ticket)
        if after:
            nothing = and_(
                ~exists().where(m.contact_id == Contact.id),
                ~exists().where(t.contact_id == Contact.id),
            )
        else:
            m2, _ = self.kept_message()
            ticket_stays = or_(
                t.state != "closed",
                t.closed_at >= self.cutoff,
                exists().where(m2.ticket_id == t.id, ~self.message(m2)),
            )
            nothing = and_(
                ~exists().where(m.contact_id == Contact.id, stays),
                ~exists().where(t.contact_id == Contact.id, ticket_stays),
            )
        conditions = [Contact.created_at < self.cutoff, nothing]
        if self.reporters:
            conditions.append(Contact.id.not_in(self.reporters))
        return and_(*conditions)

    def closed_report(self):
        return and_(
            PungliReport.status.in_(FINAL_REPORT_STATUSES), PungliReport.updated_at < self.cutoff
        )


def purge(
    db: store.Store,
    cutoff: dt.datetime,
    *,
    timezone: ZoneInfo,
    pungli_keys: tuple[str, ...] = (),
    evidence_folder: str | Path | None = None,
    dry_run: bool = False,
    batch: int = BATCH,
) -> Result:
    """Remove what is older than `cutoff` (see the module docstring); return the counts.

    Args:
        timezone: the office's zone; `daily_counts.day` is the local date.
        pungli_keys: Fernet keys of reporter references (to keep active reporters).
        evidence_folder: where evidence files are stored (files of closed reports go).
        dry_run: count only; nothing is changed.
    """
    with db.session() as session:
        reporters, unreadable = _active_reporters(session, pungli_keys)
    if unreadable:
        log.warning("purge: %d reports in progress have unreadable reporter references", unreadable)
    rules = _Rules(cutoff, reporters, keep_pungli=unreadable > 0)
    result = Result(cutoff=cutoff, dry_run=dry_run, unreadable_refs=unreadable)
    if dry_run:
        with db.session() as session:
            result.counts = _count(session, rules)
            session.rollback()
        return result

    counts: Counter[str] = Counter()
    while True:
        with db.session() as session:
            done = _delete_batch(session, rules, timezone, batch, counts)
        if done < batch:
            break
    with db.session() as session:
        counts["tickets"] += session.execute(
            delete(Ticket)
            .where(rules.ticket(after=True))
            .execution_options(synchronize_session=False)
        ).rowcount
        counts["dead_letters"] += session.execute(
            delete(DeadLetter).where(DeadLetter.received_at < cutoff)
        ).rowcount
        counts["contacts"] += session.execute(
            delete(Contact)
            .where(rules.contact(after=True))
            .execution_options(synchronize_session=False)
        ).rowcount
        evidence, reports = _closed_reports(session, rules, evidence_folder)
        counts["evidence_files"] += evidence
        counts["reports_unlinked"] += reports
        result.counts = {name: counts[name] for name in _NAMES}
        store.audit(
            session,
            None,
            "purge",
            cutoff=cutoff.isoformat(),
            unreadable_refs=unreadable,
            **result.counts,
        )
    log.info("purge before %s: %s", cutoff.date().isoformat(), ", ".join(result.lines()))
    return result


_NAMES = (
    "messages",
    "outbox",
    "message_parts",
    "tickets",
    "dead_letters",
    "contacts",
    "evidence_files",
    "reports_unlinked",
)


def _delete_batch(
    session: Session, rules: _Rules, timezone: ZoneInfo, batch: int, counts: Counter
) -> int:
    """Count and delete one batch of old messages; return how many were deleted."""
    query = select(Message.id).where(rules.message()).order_by(Message.id).limit(batch)
    if session.get_bind().dialect.name == "postgresql":
        # Locked, so a second purge running at once waits and then skips these rows: a
        # message is never counted twice.
        query = query.with_for_update(of=Message, skip_locked=True)
    ids = session.scalars(query).all()
    if not ids:
        return 0
    rows = session.execute(
        select(
            Message.created_at,
            Contact.channel,
            Message.direction,
            Message.author,
            Message.kind,
            Message.outcome,
        )
        .join(Contact, Contact.id == Message.contact_id)
        .where(Message.id.in_(ids))
    ).all()
    tally = Counter(
        (at.astimezone(timezone).date(), channel, direction, author, kind, outcome or "")
        for at, channel, direction, author, kind, outcome in rows
    )
    _add_counts(session, tally)
    counts["message_parts"] += session.execute(
        delete(MessagePart).where(MessagePart.message_id.in_(ids))
    ).rowcount
    counts["outbox"] += session.execute(delete(Outbox).where(Outbox.message_id.in_(ids))).rowcount
    counts["messages"] += session.execute(
        delete(Message).where(Message.id.in_(ids)).execution_options(synchronize_session=False)
    ).rowcount
    return len(ids)


def _add_counts(session: Session, tally: Counter) -> None:
    """Add counts to `daily_counts` (insert, or add to the existing row)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    values = [
        {
            "day": day,
            "channel": channel,
            "direction": direction,
            "author": author,
            "kind": kind,
            "outcome": outcome,
            "count": n,
        }
        for (day, channel, direction, author, kind, outcome), n in sorted(tally.items())
    ]
    statement = insert(DailyCount).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[c.name for c in DailyCount.__table__.primary_key.columns],
            set_={"count": DailyCount.count + statement.excluded["count"]},
        )
    )


def _closed_reports(session: Session, rules: _Rules, folder: str | Path | None) -> tuple[int, int]:
    """Delete the evidence (files and rows) of closed reports older than the cutoff and
    forget their reporter; return (evidence rows removed, reports unlinked)."""
    closed = select(PungliReport.id).where(rules.closed_report())
    items = session.scalars(
        select(PungliEvidence).where(PungliEvidence.report_id.in_(closed))
    ).all()
    if folder is not None:
        base = Path(folder).resolve()
        for item in items:
            if item.stored_name:
                path = (base / item.stored_name).resolve()
                # Inside the transaction: if it fails, the rows stay and the next run retries;
                # a committed purge never leaves a file behind.
                if path.parent == base:
                    path.unlink(missing_ok=True)
    removed = session.execute(
        delete(PungliEvidence).where(PungliEvidence.report_id.in_(closed))
    ).rowcount
    # The report stays (its status, dates and amount are the inspectorate's record); the
    # link to the reporter goes: SQLite may give a deleted contact's id to a new contact.
    unlinked = session.execute(
        update(PungliReport)
        .where(rules.closed_report(), PungliReport.reporter_ref != "")
        .values(reporter_ref="", reporter_name=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return removed, unlinked


def _count(session: Session, rules: _Rules) -> dict[str, int]:
    """Return what a purge would remove now."""
    doomed = select(Message.id).where(rules.message())
    closed = select(PungliReport.id).where(rules.closed_report())

    def count(query) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery()))

    return {
        "messages": count(doomed),
        "outbox": count(select(Outbox.id).where(Outbox.message_id.in_(doomed))),
        "message_parts": count(select(MessagePart.id).where(MessagePart.message_id.in_(doomed))),
        "tickets": count(select(Ticket.id).where(rules.ticket(after=False))),
        "dead_letters": count(select(DeadLetter.id).where(DeadLetter.received_at < rules.cutoff)),
        "contacts": count(select(Contact.id).where(rules.contact(after=False))),
        "evidence_files": count(
            select(PungliEvidence.id).where(PungliEvidence.report_id.in_(closed))
        ),
        "reports_unlinked": count(
            select(PungliReport.id).where(rules.closed_report(), PungliReport.reporter_ref != "")
        ),
    }
