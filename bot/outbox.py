"""Outbound messages: the outbox table, delivery statuses, and the Sender seam."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import store

log = logging.getLogger(__name__)

# A status never moves a message backwards: a late "sent" does not undo "delivered".
STATUS_RANK = {
    "accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3,
    "failed": 4, "undelivered": 4, "delivered": 5, "read": 6,
}


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


def record_status(session: Session, sid: str, status: str, error_code: str | None) -> bool:
    """Apply a provider status to the outbound message with this SID; False if unknown."""
    message = session.scalars(
        select(store.Message).where(store.Message.provider_sid == sid).with_for_update()
    ).one_or_none()
    if message is None or message.direction != "out":
        log.info("status %s for unknown message %s ignored", status, sid)
        return False
    if status not in STATUS_RANK:
        log.info("unknown status %s for %s ignored", status, sid)
        return False
    if STATUS_RANK[status] > STATUS_RANK.get(message.status, -1):
        message.status = status
        message.updated_at = store.utcnow()
        if error_code:
            message.error_code = str(error_code)[:16]
    return True
