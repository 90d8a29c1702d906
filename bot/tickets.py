"""The officer queue: list, claim, release, reassign, reply, note, close, reopen, rate.

Framework-free: every function takes the caller's Session, so an action, its audit-log row
and its outbound messages commit together or not at all. Refusals raise TicketError with a
code the console turns into a sentence (config.yaml `console.texts`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import Select, false, func, or_, select, update
from sqlalchemy.orm import Session

from bot import dialogue, outbox, store
from bot.messages import WHATSAPP
from bot.privacy import mask_identifiers, mask_number

WINDOW = dt.timedelta(hours=24)  # WhatsApp's customer-service window
VIEWS = ("unclaimed", "mine", "open", "closed")
RATINGS = (1, 2, 3)
MAX_REPLY_CHARS = 4000
FIRST_WORDS = 14
QUEUE_LIMIT = 200


class TicketError(Exception):
    """An action that cannot be done; `code` names the reason, `detail` fills its sentence."""

    def __init__(self, code: str, **detail):
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Actor:
    """The officer acting, as the queue needs to know them."""

    id: int
    name: str
    roles: frozenset[str] = frozenset({"officer"})
    offices: tuple[str, ...] = ()  # empty: every office

    @property
    def is_supervisor(self) -> bool:
        return "supervisor" in self.roles

    @classmethod
    def of(cls, user: store.User) -> Actor:
        """Return the actor for an account."""
        return cls(
            user.id, user.display_name or user.username, user.role_set, tuple(user.offices or ())
        )


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template (Content SID) used once the 24-hour window has closed."""

    content_sid: str
    variables: dict = field(default_factory=dict)  # {"1": "{ticket}"}
    preview: str = ""  # what the console shows and stores as the message body

    @classmethod
    def from_config(cls, section: dict | None, content_sid: str | None = None) -> Template:
        """Build from config.yaml's `whatsapp_template:`; an explicit SID (env) wins."""
        section = section or {}
        return cls(
            content_sid=(content_sid or section.get("content_sid") or "").strip(),
            variables={str(k): str(v) for k, v in (section.get("variables") or {}).items()},
            preview=section.get("preview", ""),
        )


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue."""

    ticket_id: int
    number: str
    state: str
    channel: str
    name: str
    masked_number: str
    first_words: str
    opened_at: dt.datetime
    waiting_since: dt.datetime | None
    window_closes_at: dt.datetime | None  # None: no window (SMS) or never wrote
    assignee_id: int | None
    assignee_name: str | None
    closed_at: dt.datetime | None
    rating: int | None


def number_of(ticket_id: int, prefix: str) -> str:
    """Return the number citizens see for a ticket id, e.g. TK-000042."""
    return f"{prefix}{ticket_id:06d}"


# ---------------------------------------------------------------- the 24-hour window


def window_closes_at(contact: store.Contact) -> dt.datetime | None:
    """Return when WhatsApp's 24-hour window closes; None on SMS (no window)."""
    if contact.channel != WHATSAPP:
        return None
    if contact.last_inbound_at is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return contact.last_inbound_at + WINDOW


def window_open(contact: store.Contact, now: dt.datetime) -> bool:
    """Return True when free text may be sent to the contact now."""
    closes = window_closes_at(contact)
    return closes is None or now < closes


# ---------------------------------------------------------------- queue


def _in_scope(statement: Select, actor: Actor) -> Select:
    if actor.offices:
        return statement.where(store.Ticket.office_id.in_(actor.offices))
    return statement


def _search(statement: Select, text: str) -> Select:
    text = text.strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        return statement.where(false())
    conditions = [store.Contact.number.contains(digits, autoescape=True)]
    if len(digits) <= 9:  # a ticket number (ids fit a 32-bit integer)
        conditions.append(store.Ticket.id == int(digits))
    if digits.startswith("0"):  # 0812… is how people write +62812…
        conditions.append(store.Contact.number.contains("62" + digits[1:], autoescape=True))
    return statement.where(or_(*conditions))


def queue(
    session: Session,
    actor: Actor,
    view: str = "unclaimed",
    search: str = "",
    prefix: str = "TK-",
    limit: int = QUEUE_LIMIT,
) -> list[QueueRow]:
    """Return the tickets of a view, the longest-waiting first (closed: newest first).

    A search (ticket number or phone digits) looks through every ticket, whatever the view.
    """
    statement = _in_scope(
        select(store.Ticket, store.Contact, store.User)
        .join(store.Contact, store.Ticket.contact_id == store.Contact.id)
        .outerjoin(store.User, store.Ticket.assignee_id == store.User.id),
        actor,
    )
    if search.strip():
        statement = _search(statement, search).order_by(store.Ticket.id.desc())
    elif view == "closed":
        statement = statement.where(store.Ticket.state == "closed").order_by(
            store.Ticket.closed_at.desc(), store.Ticket.id.desc()
        )
    else:
        if view == "unclaimed":
            statement = statement.where(store.Ticket.state == "open")
        elif view == "mine":
            statement = statement.where(
                store.Ticket.state == "claimed", store.Ticket.assignee_id == actor.id
            )
        else:
            statement = statement.where(store.Ticket.state != "closed")
        statement = statement.order_by(
            store.Ticket.waiting_since.is_(None),
            store.Ticket.waiting_since,
            store.Ticket.opened_at,
            store.Ticket.id,
        )
    rows = session.execute(statement.limit(limit)).all()
    firsts = _first_words(session, [ticket.id for ticket, _, _ in rows])
    return [
        QueueRow(
            ticket_id=ticket.id,
            number=number_of(ticket.id, prefix),
            state=ticket.state,
            channel=contact.channel,
            name=contact.profile_name or "",
            masked_number=mask_number(contact.number),
            first_words=firsts.get(ticket.id, ""),
            opened_at=ticket.opened_at,
            waiting_since=ticket.waiting_since,
            window_closes_at=window_closes_at(contact),
            assignee_id=ticket.assignee_id,
            assignee_name=(user.display_name or user.username) if user else None,
            closed_at=ticket.closed_at,
            rating=ticket.rating,
        )
        for ticket, contact, user in rows
    ]


def _first_words(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """Return the start of each ticket's first citizen message with text."""
    if not ticket_ids:
        return {}
    first = (
        select(func.min(store.Message.id))
        .where(
            store.Message.ticket_id.in_(ticket_ids),
            store.Message.direction == "in",
            store.Message.body != "",
        )
        .group_by(store.Message.ticket_id)
    )
    found = session.execute(
        select(store.Message.ticket_id, store.Message.body).where(store.Message.id.in_(first))
    ).all()
    return {ticket_id: first_words(body) for ticket_id, body in found}


def first_words(body: str, count: int = FIRST_WORDS) -> str:
    """Return the first words of a message, NIK/KK numbers masked."""
    words = mask_identifiers(body).split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def waiting_count(session: Session, actor: Actor) -> int:
    """Return how many tickets wait for someone to claim them."""
    statement = _in_scope(
        select(func.count()).select_from(store.Ticket).where(store.Ticket.state == "open"), actor
    )
    return session.scalar(statement) or 0


# ---------------------------------------------------------------- one ticket


def get(session: Session, ticket_id: int, actor: Actor, lock: bool = False) -> store.Ticket:
    """Return a ticket the actor may see, or raise TicketError("not_found")."""
    statement = _in_scope(select(store.Ticket).where(store.Ticket.id == ticket_id), actor)
    if lock:
        # Lock the row and re-read it: what an earlier read in this session saw may be stale.
        statement = statement.with_for_update().execution_options(populate_existing=True)
    ticket = session.scalars(statement).one_or_none()
    if ticket is None:
        raise TicketError("not_found")
    return ticket


def history(session: Session, contact_id: int, limit: int = 500) -> list[store.Message]:
    """Return the contact's messages (bot, officers, notes), oldest first, the newest `limit`."""
    newest = session.scalars(
        select(store.Message)
        # Only conversation and notes: pungli report messages are for investigators only.
        .where(store.Message.contact_id == contact_id, store.Message.kind.in_(("message", "note")))
        .order_by(store.Message.id.desc())
        .limit(limit)
    ).all()
    return list(reversed(newest))


def _owner_name(session: Session, ticket: store.Ticket) -> str:
    user = session.get(store.User, ticket.assignee_id) if ticket.assignee_id else None
    return (user.display_name or user.username) if user else "?"


def _owned(session: Session, ticket_id: int, actor: Actor, supervisor_ok: bool = False):
    ticket = get(session, ticket_id, actor, lock=True)
    if ticket.state == "closed":
        raise TicketError("closed")
    if ticket.state != "claimed":
        raise TicketError("claim_first")
    if ticket.assignee_id != actor.id and not (supervisor_ok and actor.is_supervisor):
        raise TicketError("claimed_by_other", owner=_owner_name(session, ticket))
    return ticket


def claim(session: Session, ticket_id: int, actor: Actor, now: dt.datetime) -> store.Ticket:
    """Claim an open ticket; exactly one of several officers claiming at once wins.

    The conditional UPDATE is the arbiter on both databases: whoever's row count is 1
    owns the ticket. Claiming a ticket one already owns is harmless (a double click).
    """
    ticket = get(session, ticket_id, actor)
    result = session.execute(
        update(store.Ticket)
        .where(store.Ticket.id == ticket_id, store.Ticket.state == "open")
        .values(state="claimed", assignee_id=actor.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(ticket)
    if result.rowcount == 1:
        store.audit(session, actor.id, "ticket.claim", "ticket", ticket.id)
        return ticket
    if ticket.state == "claimed" and ticket.assignee_id == actor.id:
        return ticket
    if ticket.state == "closed":
        raise TicketError("closed")
    raise TicketError("claimed_by_other", owner=_owner_name(session, ticket))


def release(session: Session, ticket_id: int, actor: Actor, now: dt.datetime) -> store.Ticket:
    """Give a claimed ticket back to the queue (its owner, or a supervisor)."""
    ticket = _owned(session, ticket_id, actor, supervisor_ok=True)
    previous = ticket.assignee_id
    ticket.state, ticket.assignee_id, ticket.claimed_at = "open", None, None
    if ticket.waiting_since is None and ticket.first_reply_at is None:
        ticket.waiting_since = ticket.opened_at
    store.audit(session, actor.id, "ticket.release", "ticket", ticket.id, previous=previous)
    return ticket


def reassign(
    session: Session, ticket_id: int, actor: Actor, to_user_id: int, now: dt.datetime
) -> store.Ticket:
    """Hand a ticket to another officer (supervisors only)."""
    if not actor.is_supervisor:
        raise TicketError("forbidden")
    ticket = get(session, ticket_id, actor, lock=True)
    if ticket.state == "closed":
        raise TicketError("closed")
    target = session.get(store.User, to_user_id)
    if target is None or not target.active or not (target.role_set & {"officer", "supervisor"}):
        raise TicketError("bad_assignee")
    previous = ticket.assignee_id
    ticket.state, ticket.assignee_id, ticket.claimed_at = "claimed", target.id, now
    store.audit(
        session,
        actor.id,
        "ticket.reassign",
        "ticket",
        ticket.id,
        previous=previous,
        assignee=target.id,
    )
    return ticket


def move_to_office(
    session: Session, ticket_id: int, actor: Actor, office_id: str, now: dt.datetime
) -> store.Ticket:
    """Move a ticket (and the citizen) to another office; its claim is released.

    Anyone who sees the ticket may move it: a district officer forwards a citizen who wrote
    to the wrong office, a provincial supervisor routes the provincial queue. `office_id`
    must be checked against the offices file by the caller.
    """
    ticket = get(session, ticket_id, actor, lock=True)
    if ticket.state == "closed":
        raise TicketError("closed")
    previous = ticket.office_id
    if previous == office_id:
        return ticket
    ticket.office_id = office_id
    ticket.contact.office_id = office_id
    if ticket.state == "claimed":
        ticket.state, ticket.assignee_id, ticket.claimed_at = "open", None, None
    store.audit(
        session, actor.id, "ticket.office", "ticket", ticket.id, previous=previous, office=office_id
    )
    return ticket


def _checked_body(body: str) -> str:
    """Return an officer's text stripped; refuse it empty or over the limit."""
    body = body.strip()
    if not body:
        raise TicketError("empty")
    if len(body) > MAX_REPLY_CHARS:
        raise TicketError("too_long", limit=MAX_REPLY_CHARS)
    return body


def _answered(ticket: store.Ticket, now: dt.datetime) -> None:
    ticket.first_reply_at = ticket.first_reply_at or now
    ticket.waiting_since = None


def reply(
    session: Session, ticket_id: int, actor: Actor, body: str, now: dt.datetime
) -> store.Message:
    """Queue the owner's free-text reply; refused once WhatsApp's 24-hour window has closed."""
    ticket = _owned(session, ticket_id, actor)
    body = _checked_body(body)
    if not window_open(ticket.contact, now):
        raise TicketError("window_closed")
    message = outbox.enqueue(
        session,
        ticket.contact,
        body=dialogue._for_channel(body, ticket.contact.channel),  # SMS: no *bold* markers
        author="officer",
        ticket_id=ticket.id,
        officer_id=actor.id,
        now=now,
    )
    _answered(ticket, now)
    session.flush()
    store.audit(session, actor.id, "ticket.reply", "ticket", ticket.id, message_id=message.id)
    return message


def send_template(
    session: Session,
    ticket_id: int,
    actor: Actor,
    template: Template,
    prefix: str,
    now: dt.datetime,
    reply: str | None = None,
) -> store.Message:
    """Queue the approved WhatsApp template that invites the citizen back into the window;
    an officer's `reply` written with it is held and sent as soon as the citizen writes."""
    if reply and reply.strip():
        # Holding writes contacts.state: lock the contact before the ticket, in the order a
        # citizen's message takes them (conversations.receive), so the two never deadlock.
        contact_id = session.scalar(
            select(store.Ticket.contact_id).where(store.Ticket.id == ticket_id)
        )
        session.get(
            store.Contact, contact_id, with_for_update={"key_share": True}, populate_existing=True
        )
    ticket = _owned(session, ticket_id, actor)
    if ticket.contact.channel != WHATSAPP:
        raise TicketError("template_whatsapp_only")
    if not template.content_sid:
        raise TicketError("template_missing")
    reply = _checked_body(reply) if reply and reply.strip() else None
    values = {"{ticket}": number_of(ticket.id, prefix), "{name}": ticket.contact.profile_name or ""}
    variables = {
        key: dialogue.fill_tokens(value, values) for key, value in template.variables.items()
    }
    message = outbox.enqueue(
        session,
        ticket.contact,
        body=dialogue.fill_tokens(template.preview, values),
        content_sid=template.content_sid,
        content_variables=variables,
        author="officer",
        ticket_id=ticket.id,
        officer_id=actor.id,
        now=now,
    )
    held = None
    if reply:
        held = outbox.hold(
            session,
            ticket.contact,
            body=reply,
            ticket_id=ticket.id,
            officer_id=actor.id,
            now=now,
        )
    _answered(ticket, now)
    session.flush()
    store.audit(
        session,
        actor.id,
        "ticket.template",
        "ticket",
        ticket.id,
        message_id=message.id,
        content_sid=template.content_sid,
        held_message_id=held.id if held else None,
    )
    return message


def note(
    session: Session, ticket_id: int, actor: Actor, body: str, now: dt.datetime
) -> store.Message:
    """Add an internal note: staff see it, citizens never do (it has no outbox row)."""
    ticket = get(session, ticket_id, actor)
    body = _checked_body(body)
    message = store.Message(
        contact_id=ticket.contact_id,
        ticket_id=ticket.id,
        direction="out",
        author="officer",
        kind="note",
        body=body,
        status="note",
        officer_id=actor.id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    store.audit(session, actor.id, "ticket.note", "ticket", ticket.id, message_id=message.id)
    return message


def close(
    session: Session,
    ticket_id: int,
    actor: Actor,
    resolution: str,
    closing_text: str,
    prefix: str,
    now: dt.datetime,
    rating_days: float = 3,
) -> store.Message | None:
    """Close a ticket with a resolution note and queue the closing message (with the rating
    question) when the citizen can still be written to; return that message, if any."""
    ticket = _owned(session, ticket_id, actor, supervisor_ok=True)
    resolution = resolution.strip()
    if not resolution:
        raise TicketError("resolution_required")
    ticket.state, ticket.closed_at, ticket.resolution = "closed", now, resolution[:4000]
    ticket.waiting_since = None
    store.audit(session, actor.id, "ticket.close", "ticket", ticket.id)
    contact = ticket.contact
    if not closing_text.strip() or not window_open(contact, now):
        return None
    message = outbox.enqueue(
        session,
        contact,
        body=dialogue._for_channel(
            dialogue.fill_tokens(closing_text, {"{ticket}": number_of(ticket.id, prefix)}),
            contact.channel,
        ),
        author="system",
        ticket_id=ticket.id,
        officer_id=actor.id,
        now=now,
    )
    # The citizen's next digit 1-3 rates this ticket (see bot.rating) — unless a pungli
    # report is in progress: its answers must stay in that confidential flow.
    if (contact.state or {}).get("flow") != "pungli":
        contact.state = {
            **(contact.state or {}),
            "flow": "rating",
            "flow_data": {
                "ticket_id": ticket.id,
                "until": (now + dt.timedelta(days=rating_days)).isoformat(),
            },
        }
    return message


def record_rating(session: Session, ticket_id: int, rating: int, now: dt.datetime) -> bool:
    """Store the citizen's rating (1-3) on a closed ticket; False when it cannot be."""
    ticket = session.get(store.Ticket, ticket_id)
    if ticket is None or ticket.state != "closed" or rating not in RATINGS:
        return False
    ticket.rating = rating
    store.audit(session, None, "ticket.rated", "ticket", ticket.id, rating=rating)
    return True


def reopen_recent(
    session: Session, contact_id: int, now: dt.datetime, days: float
) -> store.Ticket | None:
    """Reopen the contact's ticket closed within `days`, if any, instead of starting a new one."""
    if days <= 0:
        return None
    ticket = session.scalars(
        select(store.Ticket)
        .where(
            store.Ticket.contact_id == contact_id,
            store.Ticket.state == "closed",
            store.Ticket.closed_at >= now - dt.timedelta(days=days),
        )
        .order_by(store.Ticket.closed_at.desc(), store.Ticket.id.desc())
        .limit(1)
    ).one_or_none()
    if ticket is None:
        return None
    store.audit(
        session,
        None,
        "ticket.reopen",
        "ticket",
        ticket.id,
        previous_assignee=ticket.assignee_id,
        resolution=ticket.resolution,
        rating=ticket.rating,
        closed_at=ticket.closed_at.isoformat(),
    )
    ticket.state, ticket.assignee_id, ticket.claimed_at = "open", None, None
    ticket.closed_at, ticket.resolution = None, None  # the last rating stays
    ticket.waiting_since = ticket.last_citizen_at = now
    return ticket


def assignable(session: Session, actor: Actor) -> list[store.User]:
    """Return the active accounts a ticket may be handed to."""
    users = session.scalars(
        select(store.User).where(store.User.active.is_(True)).order_by(store.User.username)
    ).all()
    return [u for u in users if u.role_set & {"officer", "supervisor"}]
