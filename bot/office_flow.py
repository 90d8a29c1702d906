"""Knowing the citizen's office (pure): ask "Anda tinggal di kabupaten/kota mana?" once,
when it first matters, read the answer (names, abbreviations, typos, a digit), remember it.

A message to a district's own number already belongs to that office (bot.conversations
sets it). On the provincial number the dialogue asks after a ticket is opened (the question
is never lost) or after an answer that names local facts (the general fact first, the
local one once the office is known). Any reply that names no office ends the flow and is
answered as usual: the question never traps anyone; it is asked again at most once per
`offices.ask_again_hours`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from bot.offices import remainder, short_name

FLOW = "office"
TICKET = "ticket"  # Turn.wants_office value: a ticket was opened
# Placeholders whose value differs per office: an answer using one asks for the office.
LOCAL = frozenset({"office_address", "office_phone", "office_hours", "blank_stock"})
_DIGITS = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_ASKED = "office_asked_at"  # contact.state key: when the question was last asked


@dataclass(frozen=True)
class SetOffice:
    """Effect: remember the office on the contact and move the open ticket to it."""

    office_id: str

    def apply(self, session, contact, message, now) -> None:
        from bot import store  # the database side, kept out of the pure flow

        contact.office_id = self.office_id
        ticket = store.open_ticket_for(session, contact.id)
        if ticket is not None and ticket.office_id != self.office_id:
            store.audit(
                session,
                None,
                "ticket.office_by_citizen",
                "ticket",
                ticket.id,
                before=ticket.office_id,
                after=self.office_id,
            )
            ticket.office_id = self.office_id


@dataclass(frozen=True)
class MarkAsked:
    """Effect: note when the question was asked (so it is not repeated too often)."""

    def apply(self, session, contact, message, now) -> None:
        contact.state = {**(contact.state or {}), _ASKED: now.isoformat()}


def localise(settings, office_id: str | None, district: bool = False):
    """Return settings for the contact's office (hours, facts); unchanged when unknown.

    On a district's own number (`district`) the office also names the service (welcome).
    """
    directory = settings.offices
    office = directory.get(office_id) if directory and office_id else None
    if office is None or office.id == directory.province.id:
        return settings
    name = office.name if district else settings.office_name
    return replace(settings, office=office, hours=office.hours or settings.hours, office_name=name)


def local_placeholders(answer: str) -> bool:
    """Return True when an answer names a fact that differs per office."""
    return any("{" + name + "}" in answer for name in LOCAL)


def maybe_ask(turn, state, settings, now: dt.datetime):
    """Append the office question to a turn that wants it, when it is time to ask."""
    directory = settings.offices
    if (
        not turn.wants_office
        or directory is None
        or not directory.offices
        or state.office_id
        or state.district
        or state.flow is not None
        or turn.flow not in (None, _keep())
        or _asked_recently(state, settings, now)
    ):
        return turn
    choices = [o.id for o in directory.offices]
    key = "ask" if turn.wants_office == TICKET else "ask_for_answer"
    question = _text(settings, key, options=_options(directory, choices, settings))
    kept = {k: v for k, v in (state.flow_data or {}).items() if k != FLOW}
    return replace(
        turn,
        replies=(*turn.replies, question),
        options=(),
        flow=FLOW,
        flow_data={**kept, FLOW: {"choices": choices, "entry": _entry_id(turn)}},
        effects=(*turn.effects, MarkAsked()),
    )


def change(words: str, state, settings, faq) -> object | None:
    """Handle "ganti kota [nama]": return the Turn, or None when the message is not that."""
    from bot.dialogue import Turn, plain

    directory = settings.offices
    phrase = next(
        (p for p in settings.office_change_words if words == p or words.startswith(p + " ")),
        None,
    )
    if phrase is None or directory is None or not directory.offices:
        return None
    meta = {"outcome": "command", "command": "change_office"}
    if state.district and state.office_id:
        office = directory.get(state.office_id)
        name = short_name(office) if office else state.office_id
        return Turn((_text(settings, "fixed_number", office=name),), meta=meta)
    named = directory.recognise(words[len(phrase) :]) if words != phrase else None
    if named is not None:
        return _recognised(named, state, settings, faq, {}, meta)
    choices = [o.id for o in directory.offices]
    kept = {k: v for k, v in (state.flow_data or {}).items() if k != FLOW}
    return Turn(
        (_text(settings, "ask", options=_options(directory, choices, settings)),),
        options=(),
        flow=FLOW,
        flow_data={**kept, FLOW: {"choices": choices, "entry": None}},
        effects=(MarkAsked(),),
        meta={**meta, "words": plain(phrase)},
    )


def step(inbound, state, settings, now: dt.datetime, faq, otherwise):
    """Read the answer to the question; anything else is answered as usual by `otherwise`."""
    from bot.dialogue import KEEP

    directory = settings.offices
    data = dict((state.flow_data or {}).get(FLOW) or {})
    kept = {k: v for k, v in (state.flow_data or {}).items() if k != FLOW}
    outside = replace(state, flow=None, flow_data=kept)
    choices = data.get("choices") or []
    meta = {"outcome": "office"}
    office = None
    digit = _DIGITS.match(inbound.body or "")
    if directory is not None and digit:
        number = int(digit.group(1))
        if 1 <= number <= len(choices):
            office = directory.get(choices[number - 1])
    elif directory is not None:
        found = directory.candidates(inbound.body or "")
        if len(found) == 1:
            office = directory.get(found[0])
        elif len(found) > 1 and not data.get("narrowed"):
            from bot.dialogue import Turn

            return Turn(
                (_text(settings, "ambiguous", options=_options(directory, found, settings)),),
                options=(),
                flow=FLOW,
                flow_data={**kept, FLOW: {**data, "choices": found, "narrowed": True}},
                join_ticket=bool(state.ticket_number),
                meta={**meta, "ambiguous": found},
            )
    if office is None:
        turn = otherwise(outside)
        return turn if turn.flow != KEEP else replace(turn, flow=None, flow_data=kept)
    turn = _recognised(office, outside, settings, faq, kept, meta, data.get("entry"))
    extra = [] if digit else remainder(directory, office, inbound.body or "")
    if len(extra) >= 2:
        # "palembang, ktp saya hilang": the rest of the message is a question too.
        more = otherwise(replace(outside, office_id=office.id))
        turn = replace(
            more,
            replies=(*turn.replies, *more.replies),
            effects=(*turn.effects, *more.effects),
            flow=None if more.flow == KEEP else more.flow,
            flow_data=kept if more.flow == KEEP else more.flow_data,
            join_ticket=more.join_ticket or turn.join_ticket,
            meta={**more.meta, "office": office.id},
        )
    return turn


def _recognised(office, state, settings, faq, kept, meta, entry_id=None):
    from bot.dialogue import Turn, fill_placeholders

    replies = [_text(settings, "recognised", office=short_name(office))]
    entry = faq.get(entry_id) if entry_id else None
    if entry is not None:
        local = localise(settings, office.id)
        replies.append(
            fill_placeholders(entry.answer, local) + "\n\n" + settings.texts["answer_footer"]
        )
    return Turn(
        tuple(replies),
        options=(),
        flow=None,
        flow_data=kept,
        effects=(SetOffice(office.id),),
        join_ticket=bool(state.ticket_number),
        meta={**meta, "office": office.id, **({"entry": entry.id} if entry else {})},
    )


def _asked_recently(state, settings, now: dt.datetime) -> bool:
    if not state.office_asked_at:
        return False
    try:
        asked = dt.datetime.fromisoformat(state.office_asked_at)
    except ValueError:
        return False
    return now - asked < dt.timedelta(hours=settings.office_ask_again_hours)


def _entry_id(turn) -> str | None:
    return None if turn.wants_office == TICKET else turn.wants_office


def _options(directory, ids, settings) -> str:
    lines = []
    for number, office_id in enumerate(ids, 1):
        office = directory.get(office_id)
        name = short_name(office) if office else office_id
        lines.append(_text(settings, "option_line", number=number, name=name))
    return "\n".join(lines)


def _text(settings, key: str, **values) -> str:
    return settings.office_texts[key].format(**values)


def _keep():
    from bot.dialogue import KEEP

    return KEEP
