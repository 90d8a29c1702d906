"""Twilio messaging webhooks: verify the signature, parse into Inbound, answer with TwiML."""

from __future__ import annotations

import logging
import re
import unicodedata

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot import conversations, metrics, outbox, ratelimit, store
from bot.messages import SMS, WHATSAPP, Inbound, Media
from bot.privacy import mask_number

log = logging.getLogger(__name__)
bp = Blueprint("twilio", __name__, url_prefix="/webhooks/twilio")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
MAX_MEDIA = 10
MAX_SENDER = 32  # store.Contact.number


class BadRequest(Exception):
    """A signed request Twilio would never send (kept as a dead letter)."""


def clean_text(value: str) -> str:
    """Return text safe to store and show: NFC, no control characters or lone surrogates."""
    value = _SURROGATES.sub("\ufffd", value)
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    return _CONTROL.sub("", value)


def clean_form(form) -> dict:
    """Return the form as a dict safe to store as JSON: names and values cleaned and bounded."""
    return {clean_text(key)[:200]: clean_text(value)[:20000] for key, value in form.items()}


def public_url() -> str:
    """Return the URL Twilio signed: PUBLIC_BASE_URL + path (+ query), or the request URL."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        return request.url
    url = base.rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def verify_signature() -> None:
    """Abort with 403 unless the request carries a valid X-Twilio-Signature."""
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        log.warning(
            "webhook refused: %s", "no auth token configured" if not token else "no signature"
        )
        abort(403)
    if not RequestValidator(token).validate(public_url(), request.form, signature):
        log.warning("webhook refused: wrong signature for %s", public_url())
        abort(403)


def _require_form() -> None:
    if request.mimetype != "application/x-www-form-urlencoded":
        abort(400)


def parse_inbound(form, max_chars: int) -> Inbound:
    """Turn Twilio's form into an Inbound; raise BadRequest when Twilio would never send it."""
    sender_raw = clean_text(form.get("From", "")).strip()
    sid = clean_text(form.get("MessageSid") or form.get("SmsMessageSid") or "").strip()
    if not sender_raw or not sid:
        raise BadRequest("From atau MessageSid tidak ada")
    if len(sender_raw.removeprefix("whatsapp:")) > MAX_SENDER:
        # Twilio's senders are E.164 numbers, short codes or 11-character sender IDs.
        raise BadRequest("From bukan nomor pengirim")
    channel = WHATSAPP if sender_raw.startswith("whatsapp:") else SMS
    sender = sender_raw.removeprefix("whatsapp:")
    recipient = form.get("To", "").removeprefix("whatsapp:")
    body = clean_text(form.get("Body", ""))
    try:
        count = min(int(form.get("NumMedia", "0") or 0), MAX_MEDIA)
    except ValueError:
        count = 0
    media = tuple(
        Media(
            clean_text(form[f"MediaUrl{i}"])[:2000],
            clean_text(form.get(f"MediaContentType{i}", "application/octet-stream"))[:100],
        )
        for i in range(count)
        if form.get(f"MediaUrl{i}")
    )
    latitude = longitude = None
    try:
        if form.get("Latitude") and form.get("Longitude"):
            latitude, longitude = float(form["Latitude"]), float(form["Longitude"])
    except ValueError:
        pass
    if not (latitude is not None and abs(latitude) <= 90 and abs(longitude) <= 180):
        latitude = longitude = None  # also NaN and infinity, which JSON cannot carry
    return Inbound(
        channel=channel,
        sender=sender,
        recipient=recipient,
        body=body,
        provider_sid=sid[:64],
        profile_name=clean_text(form.get("ProfileName", ""))[:200] or None,
        media=media,
        latitude=latitude,
        longitude=longitude,
        truncated=len(body) > max_chars,
        raw=clean_form(form),
    )


def twiml(replies) -> Response:
    """Render replies as a TwiML <Response> with one <Message> each."""
    response = MessagingResponse()
    for text in replies:
        response.message(text)
    return Response(str(response), mimetype="application/xml")


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
@bp.errorhandler(PoolTimeout)
def database_unavailable(exc):
    """Answer 503 while the database cannot be reached (nothing was stored; Twilio may retry)."""
    log.error("webhook: database unavailable (%s)", type(getattr(exc, "orig", exc)).__name__)
    return Response(status=503, headers={"Retry-After": "5"})


@bp.post("")
def inbound():
    """Receive one WhatsApp or SMS message from Twilio."""
    _require_form()
    verify_signature()
    helpdesk = current_app.extensions["helpdesk"]
    try:
        message = parse_inbound(request.form, helpdesk.settings.max_body_chars)
    except BadRequest as exc:
        with helpdesk.store.session() as session:
            session.add(
                store.DeadLetter(
                    path=request.path,
                    reason=str(exc),
                    payload=clean_form(request.form),
                )
            )
        log.warning("webhook request kept as dead letter: %s", exc)
        abort(400)
    allowed, notice = ratelimit.check(message.sender)
    if not allowed:
        # Over the per-number limit: stored, not answered (see bot/ratelimit.py).
        kept = ratelimit.keep(helpdesk.store, message)
        log.info(
            "inbound %s from %s: over the rate limit, %s",
            message.channel,
            mask_number(message.sender),
            "stored" if kept else "duplicate",
        )
        return twiml([ratelimit.notice()] if notice and kept else [])
    receipt = conversations.receive(
        helpdesk.store,
        helpdesk.library,
        helpdesk.settings,
        message,
        ticket_prefix=helpdesk.ticket_prefix,
    )
    metrics.count_inbound("duplicate" if receipt.duplicate else receipt.outcome, message.channel)
    log.info(
        "inbound %s from %s: %s",
        message.channel,
        mask_number(message.sender),
        "duplicate" if receipt.duplicate else f"{len(receipt.replies)} replies",
    )
    return twiml(receipt.replies)


@bp.post("/status")
def status():
    """Record a delivery status Twilio reports for one of our outbound messages."""
    _require_form()
    verify_signature()
    sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
    value = request.form.get("MessageStatus") or request.form.get("SmsStatus") or ""
    if not sid or not value:
        abort(400)
    metrics.count_status(value.lower())
    helpdesk = current_app.extensions["helpdesk"]
    # The worker puts our message id and part in the StatusCallback URL (signed with it).
    message_id = request.args.get("m", type=int)
    with helpdesk.store.session() as session:
        outbox.record_status(
            session,
            sid,
            value.lower(),
            request.form.get("ErrorCode") or None,
            message_id=message_id,
            position=request.args.get("p", 0, type=int),
        )
    return Response(status=204)
