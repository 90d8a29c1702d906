"""The rating flow (pure): after a ticket is closed, the citizen's next single digit 1-3
rates the help; anything else ends the flow and is answered as usual."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

FLOW = "rating"
_DIGIT = re.compile(r"^\s*([1-3])\s*[.)!]?\s*$")


@dataclass(frozen=True)
class RateTicket:
    """The effect of a rating: store it on the ticket, in the message's transaction."""

    ticket_id: int
    rating: int

    def apply(self, session, contact, message, now) -> None:
        from bot import tickets  # the service layer; only imported when a rating is stored

        message.ticket_id = message.ticket_id or self.ticket_id
        tickets.record_rating(session, self.ticket_id, self.rating, now)


def step(inbound, state, settings, now: dt.datetime):
    """Return the Turn for a rating digit, or None when the message is not one (or too late)."""
    from bot.dialogue import Turn

    data = state.flow_data or {}
    match = _DIGIT.match(inbound.body or "")
    if not match or not str(data.get("ticket_id", "")).isdigit():
        return None
    until = data.get("until")
    if until and now >= dt.datetime.fromisoformat(until):
        return None
    value = int(match.group(1))
    return Turn(
        (settings.texts["rating_thanks"],),
        options=(),
        flow=None,
        effects=(RateTicket(int(data["ticket_id"]), value),),
        meta={"outcome": "rating", "rating": value},
    )
