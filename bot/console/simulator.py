"""The chat simulator: try the bot as a citizen, through the same dialogue and storage."""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import select

from bot import conversations, store
from bot.messages import SMS, WHATSAPP, Inbound

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    template_folder="templates",
    static_folder="static",
    static_url_path="/simulator-static",
)
SIMULATOR_NUMBER = "+620000000000"
_NUMBER = re.compile(r"^\+?\d{6,15}$")


@bp.before_request
def only_when_enabled():
    """Hide the simulator in production unless enabled, and then only for signed-in staff."""
    if not current_app.config.get("PRODUCTION"):
        return None
    if not current_app.config.get("SIMULATOR_ENABLED") or not current_user.is_authenticated:
        abort(404)
    return None


def _contact_args(data) -> tuple[str, str]:
    channel = data.get("channel", WHATSAPP)
    number = str(data.get("number", "")).strip().replace(" ", "")
    if channel not in (WHATSAPP, SMS) or not _NUMBER.match(number):
        abort(400)
    return channel, "+" + number.lstrip("+")


@bp.get("")
def page():
    """Show the simulated phone."""
    return render_template("simulator.html")


@bp.post("/send")
def send():
    """Deliver one simulated citizen message and return the bot's replies."""
    data = request.get_json(silent=True) or {}
    channel, number = _contact_args(data)
    text = str(data.get("text", ""))
    helpdesk = current_app.extensions["helpdesk"]
    limit = helpdesk.settings.max_body_chars
    receipt = conversations.receive(
        helpdesk.store,
        helpdesk.library,
        helpdesk.settings,
        Inbound(
            channel=channel,
            sender=number,
            recipient=SIMULATOR_NUMBER,
            body=text,
            provider_sid=f"SIM{uuid.uuid4().hex}",
            profile_name=str(data.get("name") or "")[:200] or None,
            truncated=len(text) > limit,
        ),
        ticket_prefix=helpdesk.ticket_prefix,
    )
    return jsonify(replies=list(receipt.replies), ticket=receipt.ticket_number)


@bp.get("/messages")
def messages():
    """Return the simulated contact's whole conversation (officer replies included)."""
    channel, number = _contact_args(request.args)
    helpdesk = current_app.extensions["helpdesk"]
    with helpdesk.store.session() as session:
        contact = store.find_contact(session, channel, number)
        rows = (
            []
            if contact is None
            else session.scalars(
                select(store.Message)
                .where(store.Message.contact_id == contact.id, store.Message.kind == "message")
                .order_by(store.Message.id)
            ).all()
        )
        return jsonify(
            messages=[
                {
                    "id": m.id,
                    "direction": m.direction,
                    "author": m.author,
                    "body": m.body,
                    "status": m.status,
                    "at": m.created_at.isoformat(),
                }
                for m in rows
            ]
        )
