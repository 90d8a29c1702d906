"""Receive one citizen message: read the contact, run the dialogue, store the message and
apply the turn — one transaction, written in one short burst (see ARCHITECTURE.md).

Every transport (Twilio webhook, simulator, terminal chat) comes through `receive`, so
what staff try locally is exactly what citizens get.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import dialogue, outbox, store, tickets
from bot.library import Library
from bot.messages import Inbound
from bot.privacy import mask_number

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """The outcome of one inbound message."""

    duplicate: bool
    replies: tuple[str, ...] = ()
    message_id: int | None = None
    ticket_number: str | None = None
    outcome: str | None = None  # how the dialogue handled it (meta["outcome"])


def ticket_number(ticket: store.Ticket, prefix: str) -> str:
    """Return the number citizens see for a ticket, e.g. TK-000042."""
    return f"{prefix}{ticket.id:06d}"


def receive(
    db: store.Store,
    library: Library,
    settings: dialogue.Settings,
    inbound: Inbound,
    *,
    ticket_prefix: str = "TK-",
    now: dt.datetime | None = None,
) -> Receipt:
    """Store an inbound message and answer it; a repeated provider SID is a duplicate."""
    now = now or store.utcnow()
    snapshot = library.snapshot
    try:
        with db.queued_session() as session:
            return _receive(session, snapshot, settings, inbound, ticket_prefix, now)
    except IntegrityError as exc:
        if inbound.provider_sid and _is_duplicate(db, inbound.provider_sid):
            log.info("duplicate message %s dropped", inbound.provider_sid)
            return Receipt(duplicate=True)
        # A first contact created twice at once: the other transaction won; try again.
        log.warning(
            "retrying message from %s after a conflict: %s",
            mask_number(inbound.sender),
            exc.__class__.__name__,
        )
        with db.queued_session() as session:
            return _receive(session, snapshot, settings, inbound, ticket_prefix, now)


def _is_duplicate(db: store.Store, sid: str) -> bool:
    with db.session() as session:
        found = session.scalar(select(store.Message.id).where(store.Message.provider_sid == sid))
    return found is not None


def _receive(session: Session, snapshot, settings, inbound, prefix, now) -> Receipt:
    # Read once, decide (pure), then write everything in one flush: the inbound row goes
    # in with its final outcome, and a duplicate SID fails that flush (or the commit).
    contact, ticket = store.find_contact_and_ticket(session, inbound.channel, inbound.sender)
    # A message to a district's own number belongs to that office (no need to ask).
    district = settings.offices.for_number(inbound.recipient) if settings.offices else None
    known = contact.state if contact is not None else {}
    state = dialogue.State(
        is_new=contact is None,
        options=tuple(known.get("options", ())),
        ticket_number=ticket_number(ticket, prefix) if ticket else None,
        ticket_claimed=bool(ticket and ticket.state == "claimed"),
        flow=known.get("flow"),
        flow_data=dict(known.get("flow_data") or {}),
        office_id=district.id if district else (contact.office_id if contact else None),
        office_asked_at=known.get("office_asked_at"),
        district=district is not None,
    )
    turn = dialogue.respond(inbound, state, snapshot.faq, snapshot.matcher, settings, now)

    if contact is None:
        contact = store.Contact(channel=inbound.channel, number=inbound.sender, state={})
        session.add(contact)
    if inbound.profile_name:
        contact.profile_name = inbound.profile_name
    contact.last_inbound_at = now
    if district is not None:
        contact.office_id = district.id
    if turn.options is not None:
        contact.state = {**contact.state, "options": list(turn.options)}
    if turn.flow != dialogue.KEEP:
        contact.state = {**contact.state, "flow": turn.flow, "flow_data": turn.flow_data or {}}

    joined = None  # the ticket this message belongs to
    if turn.close_ticket and ticket:
        ticket.state, ticket.closed_at, ticket.resolution = "closed", now, turn.close_ticket
        store.audit(session, None, "ticket.cancelled_by_citizen", "ticket", ticket.id)
        joined, ticket = ticket, None
    elif turn.open_ticket and ticket is None:
        # Writing again soon after a ticket was closed reopens it instead of a new one.
        if contact.id is not None:
            ticket = tickets.reopen_recent(session, contact.id, now, settings.reopen_days)
        if ticket is not None:
            ticket.reason, ticket.matcher_reason = turn.open_ticket, turn.meta.get("reason")
            ticket.office_id = ticket.office_id or contact.office_id
        else:
            ticket = store.Ticket(
                contact=contact,
                office_id=contact.office_id,
                reason=turn.open_ticket,
                matcher_reason=turn.meta.get("reason"),
                opened_at=now,
                last_citizen_at=now,
                waiting_since=now,
            )
            session.add(ticket)
        joined = ticket
    elif (turn.join_ticket or turn.open_ticket) and ticket is not None:
        joined = ticket
        ticket.last_citizen_at = now
        ticket.waiting_since = ticket.waiting_since or now

    meta = {}
    if inbound.latitude is not None:
        meta["location"] = [inbound.latitude, inbound.longitude]
    # A pungli report's messages are confidential: marked so that no officer view shows
    # them (see store.PUNGLI_KIND); such turns never open or join a ticket.
    kind = store.PUNGLI_KIND if turn.meta.get("confidential") else "message"
    message = store.Message(
        contact=contact,
        ticket=joined,
        direction="in",
        author="citizen",
        kind=kind,
        body=inbound.body,
        media=[{"url": m.url, "content_type": m.content_type} for m in inbound.media],
        provider_sid=inbound.provider_sid,
        status="received",
        meta={**meta, **turn.meta},
        outcome=(turn.meta.get("outcome") or "")[:20] or None,
        entry_id=(turn.meta.get("entry") or "")[:100] or None,
        also_entry_id=(turn.meta.get("also") or [""])[0][:100] or None,
        raw=inbound.raw,
        created_at=now,
    )
    session.add(message)
    session.flush()
    # Writing reopens WhatsApp's 24-hour window: officers' replies held for it go out now.
    outbox.release_held(session, contact, now)

    number = ticket_number(ticket, prefix) if ticket else None
    substitutions = {dialogue.TICKET: number or ""}
    for effect in turn.effects:
        substitutions.update(effect.apply(session, contact, message, now) or {})
    replies = tuple(dialogue.fill_tokens(r, substitutions) for r in turn.replies)
    if replies:
        # The answers as sent in the TwiML: plain rows, inserted in one statement.
        # Core, not the ORM: plain rows without unit-of-work bookkeeping, one statement.
        session.execute(
            insert(store.Message.__table__),
            [
                {
                    "contact_id": contact.id,
                    "ticket_id": message.ticket_id,
                    "direction": "out",
                    "author": "bot",
                    "kind": kind,
                    "body": reply,
                    "status": "replied",
                    "created_at": now,
                }
                for reply in replies
            ],
        )
    return Receipt(False, replies, message.id, number, message.outcome)
