"""Outbound messages: the outbox table, delivery statuses, and the Sender seam.

An action that sends (an officer reply, a close) calls `enqueue` in its own transaction;
a worker (bot/worker.py) later claims the row, hands it to a Sender and records what
happened. Every state change here is one short transaction the caller holds.

Outbox states: pending → sending (claimed, with a lease) → sent | failed; a retryable
error puts the row back to pending with a later `next_attempt_at`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot import store
from bot.messages import Outbound

log = logging.getLogger(__name__)

# A status never moves a message backwards: a late "sent" does not undo "delivered".
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "failed": 4, "undelivered": 4, "delivered": 5, "read": 6,
}  # fmt: skip
FAILURES = frozenset({"failed", "undelivered"})
HELD = "held"  # Message.status of an officer's reply waiting for the citizen to write again
FINAL = FAILURES | {"delivered", "read"}
# A part whose final status has not come back is asked for this long after it was sent
# (Twilio does not retry a status callback we could not take, e.g. while the database was
# away); after the last check it stays as it is (an SMS carrier may never report delivery).
STATUS_CHECKS = (dt.timedelta(minutes=30), dt.timedelta(hours=6))

# Twilio refuses a Body above 1,600 characters (error 21617); longer texts go in parts.
MAX_BODY_CHARS = 1600

# Error codes of our own (Twilio's are numeric), kept in messages.error_code.
NO_SENDER = "no_sender"  # no From number / Messaging Service for the channel
EMPTY = "empty"  # nothing to send
GAVE_UP = "gave_up"  # retryable errors until the attempt limit


@dataclass(frozen=True)
class Settings:
    """Worker tunables from config.yaml's `outbox:` section (documented there)."""

    batch_size: int = 20
    poll_seconds: float = 2.0
    claim_seconds: float = 120.0
    max_attempts: int = 8
    backoff_base_seconds: float = 5.0
    backoff_cap_seconds: float = 600.0
    timeout_seconds: float = 15.0

    @classmethod
    def from_config(cls, section: Mapping | None) -> Settings:
        """Build settings from the `outbox:` mapping; unknown keys are an error."""
        section = dict(section or {})
        names = {f.name: f.type for f in dataclasses.fields(cls)}
        unknown = set(section) - set(names)
        if unknown:
            raise ValueError(f"unknown outbox settings: {', '.join(sorted(unknown))}")
        defaults = cls()
        values = {
            name: type(getattr(defaults, name))(section[name]) for name in names if name in section
        }
        settings = cls(**values)
        if settings.claim_seconds <= 2 * settings.timeout_seconds:
            # A claim must outlive one Twilio call with room to record it, or a second
            # worker could take the row over while the first is still sending.
            raise ValueError("outbox.claim_seconds must be more than twice timeout_seconds")
        if settings.batch_size < 1 or settings.max_attempts < 1:
            raise ValueError("outbox.batch_size and outbox.max_attempts must be at least 1")
        return settings


@dataclass(frozen=True)
class SendResult:
    """What the provider said about one send: a SID, or an error and whether to retry."""

    sid: str | None = None
    status: str = "queued"
    error_code: str | None = None
    retryable: bool = False
    detail: str = ""  # for logs and the outbox row; never a number or a message body

    @property
    def ok(self) -> bool:
        return self.sid is not None


class Sender(Protocol):
    """The one-method seam every outbound transport implements."""

    def send(self, outbound: Outbound) -> SendResult: ...


class LocalSender:
    """No Twilio account: a message counts as delivered at once.

    The simulator reads the contact's messages from the database, so officer replies
    appear there as soon as the worker has handled them.
    """

    local = True

    def send(self, outbound: Outbound) -> SendResult:
        return SendResult(sid=f"LOCAL{uuid.uuid4().hex}", status="delivered")


# ---------------------------------------------------------------- composing


def _length(text: str) -> int:
    # Twilio counts UTF-16 code units: an emoji is two characters.
    return len(text.encode("utf-16-le")) // 2


def split_body(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """Split text into parts of at most `limit` characters: on line breaks, then spaces."""
    if _length(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _fit(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if current and _length(candidate) > limit:
                parts.append(current)
                current = piece
            else:
                current = candidate
    if current:
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]


def _fit(line: str, limit: int) -> list[str]:
    """Cut one line into pieces that fit: at spaces, and inside over-long words."""
    if _length(line) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        while _length(word) > limit:
            head = _cut(word, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
            word = word[len(head) :]
        candidate = f"{current} {word}" if current else word
        if current and _length(candidate) > limit:
            pieces.append(current)
            current = word
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _cut(word: str, limit: int) -> str:
    end = min(len(word), limit)
    while _length(word[:end]) > limit:
        end -= 1
    return word[:end]


def parts_of(message: store.Message, *, message_id: int | None = None) -> list[Outbound]:
    """Return what goes to the provider for a message: one template, or the body's parts."""
    contact = message.contact
    meta = message.meta or {}
    common = {"channel": contact.channel, "to": contact.number, "message_id": message_id}
    if meta.get("content_sid"):
        return [
            Outbound(
                content_sid=meta["content_sid"],
                content_variables=meta.get("content_variables"),
                **common,
            )
        ]
    if not (message.body or "").strip():
        return []
    return [
        Outbound(body=part, part=position, **common)
        for position, part in enumerate(split_body(message.body))
    ]


def hold(
    session: Session,
    contact: store.Contact,
    *,
    body: str,
    ticket_id: int | None,
    officer_id: int | None,
    now: dt.datetime,
) -> store.Message:
    """Keep an officer's reply until the citizen writes again (WhatsApp's 24-hour window
    is closed; the template asks them to); `release_held` queues it then."""
    message = store.Message(
        contact=contact,
        ticket_id=ticket_id,
        direction="out",
        author="officer",
        body=body,
        status=HELD,
        officer_id=officer_id,
        created_at=now,
    )
    session.add(message)
    # Read the state under a row lock: a citizen's message being stored right now (which
    # locks the contact too) must not overwrite the flag, nor this its options.
    session.refresh(contact, ["state"], with_for_update={"key_share": True})
    contact.state = {**(contact.state or {}), HELD: True}
    return message


def release_held(session: Session, contact: store.Contact, now: dt.datetime) -> int:
    """Queue the replies held for a contact who just wrote (the window is open again);
    return how many. Costs a query only when the contact's state says one is held."""
    if not (contact.state or {}).get(HELD):
        return 0
    held = session.scalars(
        select(store.Message)
        .where(store.Message.contact_id == contact.id, store.Message.status == HELD)
        .order_by(store.Message.id)
    ).all()
    for message in held:
        message.status, message.updated_at = "queued", now
        session.add(store.Outbox(message=message, next_attempt_at=now, created_at=now))
    contact.state = {k: v for k, v in contact.state.items() if k != HELD}
    return len(held)


def enqueue(
    session: Session,
    contact: store.Contact,
    *,
    body: str | None = None,
    content_sid: str | None = None,
    content_variables: dict | None = None,
    author: str = "officer",
    ticket_id: int | None = None,
    officer_id: int | None = None,
    now=None,
) -> store.Message:
    """Add an outbound message and its outbox row in the caller's transaction."""
    now = now or store.utcnow()
    message = store.Message(
        contact=contact,
        ticket_id=ticket_id,
        direction="out",
        author=author,
        body=body or "",
        status="queued",
        officer_id=officer_id,
        meta={"content_sid": content_sid, "content_variables": content_variables}
        if content_sid
        else {},
        created_at=now,
    )
    session.add(message)
    session.add(store.Outbox(message=message, next_attempt_at=now, created_at=now))
    return message


# ---------------------------------------------------------------- the worker's transactions


def claim(
    session: Session, worker_id: str, *, now: dt.datetime, limit: int, lease_seconds: float
) -> list[int]:
    """Claim up to `limit` due outbox rows for this worker; return their ids, oldest first.

    Due: pending and past `next_attempt_at`, or sending with an expired claim (its worker
    died). A contact's messages go out in order: a row waits while an older row for the
    same contact is still pending or sending. On PostgreSQL, rows another worker is
    claiming are skipped (FOR UPDATE SKIP LOCKED); SQLite serialises writers instead.
    """
    earlier, earlier_message = aliased(store.Outbox), aliased(store.Message)
    older_unsent = exists().where(
        earlier.message_id == earlier_message.id,
        earlier_message.contact_id == store.Message.contact_id,
        earlier.id < store.Outbox.id,
        earlier.state.in_(("pending", "sending")),
    )
    due = or_(
        and_(store.Outbox.state == "pending", store.Outbox.next_attempt_at <= now),
        and_(store.Outbox.state == "sending", store.Outbox.claimed_until < now),
    )
    query = (
        select(store.Outbox.id)
        .join(store.Message, store.Message.id == store.Outbox.message_id)
        .where(due, ~older_unsent)
        .order_by(store.Outbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=store.Outbox)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(store.Outbox)
            .where(store.Outbox.id.in_(ids))
            .values(
                state="sending",
                claimed_by=worker_id,
                claimed_until=now + dt.timedelta(seconds=lease_seconds),
                attempts=store.Outbox.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
    return ids


@dataclass(frozen=True)
class Job:
    """One claimed outbox row, read in a short transaction and sent outside any."""

    outbox_id: int
    message_id: int
    attempts: int
    parts: tuple[Outbound, ...]
    sent: frozenset[int]  # positions the provider already accepted (a resumed message)


def load_job(session: Session, outbox_id: int, worker_id: str) -> Job | None:
    """Return the claimed row as a Job, or None when this worker no longer holds it."""
    row = session.get(store.Outbox, outbox_id)
    if row is None or row.state != "sending" or row.claimed_by != worker_id:
        return None
    sent = session.scalars(
        select(store.MessagePart.position).where(store.MessagePart.message_id == row.message_id)
    )
    return Job(
        outbox_id=row.id,
        message_id=row.message_id,
        attempts=row.attempts,
        parts=tuple(parts_of(row.message, message_id=row.message_id)),
        sent=frozenset(sent),
    )


def renew(
    session: Session, outbox_id: int, worker_id: str, *, now: dt.datetime, lease_seconds: float
) -> bool:
    """Extend this worker's claim before a send; False when another worker has taken it."""
    result = session.execute(
        update(store.Outbox)
        .where(
            store.Outbox.id == outbox_id,
            store.Outbox.state == "sending",
            store.Outbox.claimed_by == worker_id,
        )
        .values(claimed_until=now + dt.timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_part(
    session: Session,
    job: Job,
    position: int,
    result: SendResult,
    worker_id: str,
    *,
    now: dt.datetime,
    lease_seconds: float,
) -> None:
    """Keep the SID the provider gave one part; the last part marks the row sent."""
    message = session.get(store.Message, job.message_id)
    session.add(
        store.MessagePart(
            message_id=job.message_id,
            position=position,
            provider_sid=result.sid,
            status=result.status if result.status in STATUS_RANK else "queued",
            created_at=now,
            next_check_at=now + STATUS_CHECKS[0],
        )
    )
    if position == 0:
        message.provider_sid = result.sid
    _advance(message, result.status, None, now)
    row = session.get(store.Outbox, job.outbox_id)
    if row.claimed_by != worker_id:
        log.error("outbox %s: sent while claimed by another worker", job.outbox_id)
    if position == len(job.parts) - 1:
        row.state, row.claimed_by, row.claimed_until, row.last_error = "sent", None, None, None
    else:
        row.claimed_until = now + dt.timedelta(seconds=lease_seconds)


def backoff_seconds(attempts: int, settings: Settings, rng: random.Random | None = None) -> float:
    """Return the wait before attempt `attempts + 1`: exponential, capped, with jitter."""
    ceiling = min(
        settings.backoff_cap_seconds, settings.backoff_base_seconds * 2 ** max(attempts - 1, 0)
    )
    # "Equal jitter": at least half the delay, so retries spread out but never bunch at 0.
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def retry_later(
    session: Session,
    job: Job,
    result: SendResult,
    worker_id: str,
    *,
    now: dt.datetime,
    settings: Settings,
    rng: random.Random | None = None,
) -> str:
    """Put the row back for a later attempt, or fail it at the attempt limit; return the state."""
    if job.attempts >= settings.max_attempts:
        detail = f"{result.error_code or 'error'}: {result.detail}"[:500]
        fail(session, job, GAVE_UP, detail, worker_id, now=now)
        return "failed"
    row = session.get(store.Outbox, job.outbox_id)
    if row.state != "sending" or row.claimed_by != worker_id:
        return row.state
    row.state, row.claimed_by, row.claimed_until = "pending", None, None
    row.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(job.attempts, settings, rng))
    row.last_error = f"{result.error_code or 'error'}: {result.detail}"[:500]
    return "pending"


def fail(
    session: Session, job: Job, code: str, detail: str, worker_id: str, *, now: dt.datetime
) -> None:
    """Mark the row and its message failed for good, with the error code the console shows."""
    row = session.get(store.Outbox, job.outbox_id)
    if row.state != "sending" or row.claimed_by != worker_id:
        return
    row.state, row.claimed_by, row.claimed_until = "failed", None, None
    row.last_error = f"{code}: {detail}"[:500]
    message = session.get(store.Message, job.message_id)
    message.status, message.error_code, message.updated_at = "failed", str(code)[:16], now


# ---------------------------------------------------------------- status callbacks


def record_status(
    session: Session,
    sid: str,
    status: str,
    error_code: str | None,
    *,
    message_id: int | None = None,
    position: int | None = None,
) -> bool:
    """Apply a provider status to the outbound message with this SID; False if unknown.

    `message_id`/`position` come from our StatusCallback URL: a callback that overtakes
    the worker (Twilio answered, the SID is not stored yet) still finds its message.
    A long message shows its first part's status, and failed if any part fails.
    """
    if status not in STATUS_RANK:
        log.info("unknown status %s for %s ignored", status, sid)
        return False
    now = store.utcnow()
    part = session.scalars(
        select(store.MessagePart).where(store.MessagePart.provider_sid == sid).with_for_update()
    ).one_or_none()
    if part is not None:
        message, position = session.get(store.Message, part.message_id), part.position
        if STATUS_RANK[status] > STATUS_RANK.get(part.status, -1):
            part.status, part.updated_at = status, now
            if error_code:
                part.error_code = str(error_code)[:16]
        if part.status in FINAL:
            part.next_check_at = None
    else:
        message = session.scalars(
            select(store.Message).where(store.Message.provider_sid == sid).with_for_update()
        ).one_or_none()
        if message is not None:
            position = 0
        elif message_id is not None:
            position = position or 0
            message = session.get(store.Message, message_id, with_for_update=True)
            if message is not None and _sid_at(session, message, position) not in (None, sid):
                # A copy the worker did not record (it died after sending): ignore.
                log.info(
                    "status %s for an unrecorded copy of message %s ignored", status, message_id
                )
                return False
    if message is None or message.direction != "out":
        log.info("status %s for unknown message %s ignored", status, sid)
        return False
    if not position:
        _advance(message, status, error_code, now)
    elif status in FAILURES and message.status not in FAILURES:
        message.status, message.updated_at = status, now
        message.error_code = str(error_code)[:16] if error_code else None
    return True


def due_status_checks(session: Session, now: dt.datetime, limit: int = 50) -> list[str]:
    """Return the SIDs of sent parts whose status should be asked for now, oldest first."""
    return list(
        session.scalars(
            select(store.MessagePart.provider_sid)
            .where(store.MessagePart.next_check_at <= now)
            .order_by(store.MessagePart.next_check_at)
            .limit(limit)
        )
    )


def record_check(
    session: Session, sid: str, found: tuple[str, str | None] | None, now: dt.datetime
) -> None:
    """Apply what the provider said of a part (None: it could not tell) and plan the next
    check from STATUS_CHECKS, or none once the status is final or the checks are used up."""
    if found and found[0]:
        record_status(session, sid, found[0], found[1])
    part = session.scalars(
        select(store.MessagePart).where(store.MessagePart.provider_sid == sid)
    ).one_or_none()
    if part is None:
        return
    later = [part.created_at + gap for gap in STATUS_CHECKS if part.created_at + gap > now]
    part.next_check_at = None if part.status in FINAL or not later else later[0]


def _sid_at(session: Session, message: store.Message, position: int) -> str | None:
    if position == 0 and message.provider_sid:
        return message.provider_sid
    return session.scalar(
        select(store.MessagePart.provider_sid).where(
            store.MessagePart.message_id == message.id, store.MessagePart.position == position
        )
    )


def _advance(message: store.Message, status: str, error_code, now: dt.datetime) -> None:
    if STATUS_RANK.get(status, -1) > STATUS_RANK.get(message.status, -1):
        message.status = status
        message.updated_at = now
        if error_code:
            message.error_code = str(error_code)[:16]
