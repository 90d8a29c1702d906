"""Per-sender limit on inbound messages (Flask-Limiter; Redis storage when REDIS_URL is set).

A number over its limit is not refused: a 429 would make Twilio retry and in the end drop
the message, and nothing a citizen sends may be lost. Its messages are stored (joining an
open ticket, or kept confidential in a pungli report) but the dialogue does not run, so a
flood costs one insert per message and never slows other citizens. The first limited
message of a window gets one short notice; the rest an empty TwiML answer.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many
from sqlalchemy.exc import IntegrityError

from bot import store
from bot.messages import Inbound
from bot.privacy import mask_number

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """The `rate_limit:` section of config.yaml."""

    enabled: bool
    per_sender: tuple[RateLimitItem, ...]
    notice_every: tuple[RateLimitItem, ...]
    notice: str
    strategy: str

    @classmethod
    def from_config(cls, config: dict | None) -> Settings:
        config = config or {}
        return cls(
            enabled=bool(config.get("enabled", True)),
            per_sender=tuple(parse_many(config.get("per_sender", "20/minute;300/hour"))),
            notice_every=tuple(parse_many(config.get("notice_every", "1/hour"))),
            notice=config.get("notice", ""),
            strategy=config.get("strategy", "fixed-window"),
        )


def _sender_key() -> str:
    return request.form.get("From", "") if request.mimetype.endswith("urlencoded") else ""


def init_app(app: Flask) -> None:
    """Attach the limiter: memory storage, or Redis when REDIS_URL is set."""
    settings = Settings.from_config(app.config["HELPDESK"].get("rate_limit"))
    limiter = Limiter(
        _sender_key,
        app=app,
        storage_uri=app.config.get("REDIS_URL") or "memory://",
        strategy=settings.strategy,
        key_prefix="helpdesk",
        default_limits=[],
        swallow_errors=True,
    )
    app.extensions["sender_limit"] = (limiter, settings)


def check(number: str) -> tuple[bool, bool]:
    """Count one message from `number`; return (allowed, send_notice).

    Called after the signature was verified, so only Twilio's requests count. If the
    storage is unreachable the message is allowed (answering is the safe side).
    """
    limiter, settings = current_app.extensions["sender_limit"]
    if not settings.enabled or not number:
        return True, False
    try:
        # Every window is charged, so a flood stays limited for the longest one.
        results = [limiter.limiter.hit(item, "sender", number) for item in settings.per_sender]
        if all(results):
            return True, False
        notice = all(limiter.limiter.hit(item, "notice", number) for item in settings.notice_every)
    except Exception as exc:  # noqa: BLE001 - a broken limiter store must not drop messages
        log.warning("rate limit storage unavailable (%s); message allowed", exc.__class__.__name__)
        return True, False
    return False, notice and bool(settings.notice)


def notice() -> str:
    """Return the one-line notice a limited sender gets once per window."""
    return current_app.extensions["sender_limit"][1].notice


def keep(db: store.Store, inbound: Inbound, now: dt.datetime | None = None) -> bool:
    """Store a limited sender's message without answering it; False when it is a duplicate."""
    now = now or store.utcnow()
    for attempt in range(2):
        try:
            with db.queued_session() as session:
                _keep(session, inbound, now)
            return True
        except IntegrityError:
            with db.session() as session:
                seen = session.query(store.Message.id).filter_by(provider_sid=inbound.provider_sid)
                if inbound.provider_sid and seen.first() is not None:
                    return False
            if attempt:
                raise
            # A first contact created twice at once: the other transaction won; again.
            log.warning("retrying a limited message from %s", mask_number(inbound.sender))
    return True


def _keep(session, inbound: Inbound, now: dt.datetime) -> None:
    contact, ticket = store.find_contact_and_ticket(session, inbound.channel, inbound.sender)
    if contact is None:
        contact = store.Contact(channel=inbound.channel, number=inbound.sender, state={})
        session.add(contact)
    contact.last_inbound_at = now
    confidential = (contact.state or {}).get("flow") == "pungli"
    if confidential:
        ticket = None
    session.add(
        store.Message(
            contact=contact,
            ticket_id=ticket.id if ticket else None,
            direction="in",
            author="citizen",
            kind=store.PUNGLI_KIND if confidential else "message",
            body=inbound.body,
            media=[{"url": m.url, "content_type": m.content_type} for m in inbound.media],
            provider_sid=inbound.provider_sid,
            status="received",
            meta={"outcome": "rate_limited"},
            raw=inbound.raw,
            created_at=now,
        )
    )
    if ticket is not None:
        ticket.last_citizen_at = now
        ticket.waiting_since = ticket.waiting_since or now
    session.flush()
