"""One inbound message + the contact's state → replies and effects (pure: no Flask, no Twilio).

The service layer (bot.conversations) loads the state, calls `respond`, and applies the
returned `Turn` in one transaction. A reply may contain the token `{ticket}`; the service
replaces it with the number of the ticket the turn opened or joined.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace

from bot import matcher as matching
from bot.hours import OfficeHours
from bot.knowledge import PLACEHOLDERS, Entry, Faq
from bot.messages import SMS, Inbound

TICKET = "{ticket}"
KEEP = "keep"  # Turn.flow value: leave the contact's current flow as it is
_PLACEHOLDER = re.compile(r"\{(" + "|".join(sorted(PLACEHOLDERS)) + r")\}")
_DIGITS = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True)
class Settings:
    """What the dialogue needs from config.yaml."""

    office_name: str
    hours: OfficeHours
    texts: dict
    menu: tuple[tuple[str, str], ...]  # (entry id, label)
    keywords: dict[str, frozenset[str]]
    max_body_chars: int = 4000
    greeting_entry: str = "salam"
    reopen_days: float = 3  # a closed ticket is reopened (and rated) within this many days
    pungli: object = None  # bot.pungli.Settings from the `pungli:` section (None: no reports)
    offices: object = None  # bot.offices.Directory (None: offices.yaml never loaded)
    office: object = None  # the contact's bot.offices.Office (set per message; None: unknown)
    office_texts: dict = field(default_factory=dict)  # config.yaml offices.texts
    office_change_words: tuple[str, ...] = ()
    office_ask_again_hours: float = 24

    @classmethod
    def from_config(cls, config: dict) -> Settings:
        """Build from the whole config.yaml mapping."""
        office = config.get("office", {})
        return cls(
            office_name=office.get("name", "Disdukcapil"),
            hours=OfficeHours.from_config(office),
            texts=config["texts"],
            menu=tuple((item["id"], item["label"]) for item in config.get("menu", [])),
            keywords={
                name: frozenset(plain(word) for word in words)
                for name, words in (config.get("keywords") or {}).items()
            },
            max_body_chars=int(config.get("limits", {}).get("max_body_chars", 4000)),
            reopen_days=float(config.get("tickets", {}).get("reopen_days", 3)),
            pungli=_pungli_settings(config),
            office_texts=(config.get("offices") or {}).get("texts") or {},
            office_change_words=tuple(
                plain(w) for w in (config.get("offices") or {}).get("change_words") or ()
            ),
            office_ask_again_hours=float((config.get("offices") or {}).get("ask_again_hours", 24)),
        )


def _pungli_settings(config: dict):
    from bot import pungli

    return pungli.Settings.from_config(config) if config.get("pungli") else None


@dataclass(frozen=True)
class State:
    """What the dialogue knows about the contact before this message."""

    is_new: bool = False
    options: tuple[str, ...] = ()  # entry ids of the last numbered list
    ticket_number: str | None = None  # the open ticket, if any
    ticket_claimed: bool = False
    flow: str | None = None  # a multi-step flow in progress ("pungli", "rating", …)
    flow_data: dict = field(default_factory=dict)  # that flow's answers so far
    office_id: str | None = None  # the contact's office (None: not known yet)
    office_asked_at: str | None = None  # ISO time the office question was last asked
    district: bool = False  # the message came to a district office's own number


@dataclass(frozen=True)
class Turn:
    """What to answer and what to change."""

    replies: tuple[str, ...] = ()
    options: tuple[str, ...] | None = None  # None: keep the last list
    open_ticket: str | None = None  # reason, when a new ticket must be opened
    join_ticket: bool = False  # this message belongs to the open ticket
    close_ticket: str | None = None  # resolution, when the citizen cancels
    meta: dict = field(default_factory=dict)  # outcome, entry, score, reason (for staff)
    flow: str | None = KEEP  # the flow to be in after this message (None ends it)
    flow_data: dict | None = None  # the flow's data to keep (with `flow`)
    # Side effects the service applies in the same transaction; each has
    # apply(session, contact, message, now) -> dict of reply substitutions (or None).
    effects: tuple = ()
    # The office matters for this turn: office_flow.TICKET (a ticket was opened) or the id
    # of an answered entry with local facts; office_flow.maybe_ask asks when unknown.
    wants_office: str | None = None


def fill_tokens(text: str, values: dict[str, str]) -> str:
    """Replace literal tokens such as {ticket} (not str.format: answers may hold braces)."""
    for token, value in values.items():
        text = text.replace(token, value)
    return text


def plain(text: str) -> str:
    """Return text lower-cased, without punctuation and extra spaces (for command words)."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


def respond(
    inbound: Inbound,
    state: State,
    faq: Faq,
    index: matching.Matcher,
    settings: Settings,
    now: dt.datetime,
) -> Turn:
    """Decide the answer to one inbound message."""
    from bot import office_flow

    # Hours, "when to expect a reply" and local facts follow the contact's office.
    settings = office_flow.localise(settings, state.office_id, state.district)
    turn = _flow_turn(inbound, state, faq, index, settings, now) or _respond(
        inbound, state, faq, index, settings, now
    )
    turn = office_flow.maybe_ask(turn, state, settings, now)
    if state.is_new and not _is_greeting_turn(turn):
        welcome = _menu_text(settings, inbound)
        turn = replace(
            turn,
            replies=(welcome, *turn.replies),
            options=turn.options if turn.options is not None else _menu_ids(settings, faq),
        )
    return replace(turn, replies=tuple(_for_channel(r, inbound.channel) for r in turn.replies))


def _flow_turn(inbound, state, faq, index, settings, now) -> Turn | None:
    """Let the flow in progress handle the message; None when there is none."""
    # Flows are added here by name, each a module with a pure `step` function.
    if state.flow == "rating":
        from bot import rating

        # Anything but a rating digit ends the flow and is answered as usual.
        return rating.step(inbound, state, settings, now) or replace(
            _respond(inbound, state, faq, index, settings, now), flow=None
        )
    if state.flow == "pungli" and settings.pungli:
        from bot import pungli

        return pungli.step(
            inbound, state, settings, now, lambda s: _respond(inbound, s, faq, index, settings, now)
        )
    if state.flow == "office":
        from bot import office_flow

        def otherwise(s):
            return _respond(
                inbound, s, faq, index, office_flow.localise(settings, s.office_id), now
            )

        return office_flow.step(inbound, state, settings, now, faq, otherwise)
    return None


def _respond(inbound, state, faq, index, settings, now) -> Turn:
    texts = settings.texts
    words = plain(inbound.body)
    command = _command(words, settings)

    if settings.pungli:
        from bot import pungli

        # Before any ticket, even a claimed one: a pungli report never reaches an officer.
        code = pungli.check_code(inbound.body, settings.pungli)
        if code:
            return pungli.check(code, settings, {"outcome": "command", "command": "check"})
        if command == "report":
            meta = {"outcome": "command", "command": "report"}
            return pungli.start(inbound, state, settings, now, meta)

    if state.ticket_number and state.ticket_claimed:
        # An officer owns the conversation: the bot stays quiet (even for BATAL, MENU…)
        # and the officer reads it.
        return Turn(join_ticket=True, meta={"outcome": "to_officer"})

    if command == "cancel":
        if state.ticket_number:
            return Turn(
                (texts["cancelled"],),
                options=(),
                close_ticket="dibatalkan oleh warga",
                meta={"outcome": "command", "command": "cancel"},
            )
        return Turn(
            (texts["nothing_to_cancel"],),
            options=(),
            meta={"outcome": "command", "command": "cancel"},
        )

    if not inbound.body.strip():
        reply = (
            texts["location_only"]
            if inbound.latitude is not None
            else (texts["media_only"] if inbound.media else texts["empty_message"])
        )
        return Turn((reply,), join_ticket=bool(state.ticket_number), meta={"outcome": "no_text"})

    if command == "menu":
        return _menu_turn(settings, faq, inbound, {"outcome": "command", "command": "menu"})

    if settings.office_change_words:
        from bot import office_flow

        changed = office_flow.change(words, state, settings, faq)
        if changed is not None:
            return changed

    choice = _DIGITS.match(inbound.body)
    if choice and state.options:
        number = int(choice.group(1))
        if 1 <= number <= len(state.options) and faq.get(state.options[number - 1]):
            entry = faq.get(state.options[number - 1])
            return _entry_turn(
                entry, state, settings, faq, inbound, now, {"outcome": "choice", "entry": entry.id}
            )
        return Turn(
            (texts["bad_choice"].format(first=1, last=len(state.options)),),
            meta={"outcome": "bad_choice"},
        )

    if state.ticket_number:
        return Turn(
            (texts["ticket_added"].replace("{ticket}", TICKET),),
            join_ticket=True,
            meta={"outcome": "to_officer"},
        )

    if command == "human":
        return _open(
            texts["handoff_opened"],
            "handoff",
            settings,
            now,
            {"outcome": "command", "command": "human"},
        )

    if inbound.truncated or len(inbound.body) > settings.max_body_chars:
        return _open(
            texts["too_long"] + "\n" + texts["ticket_opened"],
            "too_long",
            settings,
            now,
            {"outcome": "escalate", "reason": "pesan sangat panjang"},
        )

    text = inbound.body[: settings.max_body_chars]
    if command == "report":
        entry = _report_entry(faq)
        if entry:
            return _entry_turn(
                entry,
                state,
                settings,
                faq,
                inbound,
                now,
                {"outcome": "command", "command": "report", "entry": entry.id},
            )

    if settings.pungli:
        from bot import pungli

        if pungli.is_money_demand(text, settings.pungli):
            return pungli.confirm(text, settings, now, {"outcome": "money_demand"})

    result = index.match(text)
    meta = _match_meta(result)
    if isinstance(result, matching.Answer):
        also = tuple(c.entry for c in result.also)
        return _entry_turn(result.entry, state, settings, faq, inbound, now, meta, also)
    if isinstance(result, matching.Clarify):
        lines = [texts["clarify_intro"]]
        lines += [
            texts["menu_line"].format(number=i, label=c.entry.question)
            for i, c in enumerate(result.candidates, 1)
        ]
        lines.append(texts["clarify_footer"])
        return Turn(
            ("\n".join(lines),), options=tuple(c.entry.id for c in result.candidates), meta=meta
        )
    return _open(texts["ticket_opened"], "escalated", settings, now, meta)


def _command(words: str, settings: Settings) -> str | None:
    for name in ("cancel", "menu", "human", "report"):
        if words in settings.keywords.get(name, ()):
            return name
    return None


def _entry_turn(entry: Entry, state, settings, faq, inbound, now, meta, also=()) -> Turn:
    """Answer with an entry (and, for a message asking two things, the second plain
    answer entry after it, see matcher.Answer.also)."""
    texts = settings.texts
    if entry.id == settings.greeting_entry:
        return _menu_turn(settings, faq, inbound, {**meta, "outcome": meta.get("outcome")})
    answer = fill_placeholders(entry.answer, settings)
    if entry.action == "report_pungli" and settings.pungli:
        from bot import pungli

        return pungli.start(inbound, state, settings, now, meta)
    if entry.action == "handoff":
        if state.ticket_number:
            return Turn(
                (answer, texts["ticket_added"].replace("{ticket}", TICKET)),
                join_ticket=True,
                meta=meta,
            )
        return _open(texts["handoff_opened"], "handoff", settings, now, meta, first=answer)
    from bot import office_flow

    answers = [answer, *(fill_placeholders(e.answer, settings) for e in also)]
    answers[-1] += "\n\n" + texts["answer_footer"]
    local = next((e.id for e in (entry, *also) if office_flow.local_placeholders(e.answer)), None)
    return Turn(tuple(answers), meta=meta, wants_office=local)


def _open(notice: str, reason: str, settings, now, meta, first: str | None = None) -> Turn:
    from bot import office_flow

    text = notice.replace("{ticket}", TICKET).replace("{expect}", expect_line(settings, now))
    replies = (first, text) if first else (text,)
    return Turn(replies, open_ticket=reason, meta=meta, wants_office=office_flow.TICKET)


def expect_line(settings: Settings, now: dt.datetime) -> str:
    """Return the "when to expect a reply" sentence for this moment."""
    texts, hours = settings.texts, settings.hours
    if hours.is_open(now):
        return texts["expect_open_now"]
    opening = hours.next_opening(now)
    if opening is None:
        return texts["expect_open_now"]
    day = texts["weekdays"][opening.weekday()]
    return texts["expect_next_open"].format(when=f"{day} {opening:%d/%m} pukul {opening:%H.%M}")


def fill_placeholders(answer: str, settings: Settings) -> str:
    """Replace the office placeholders an answer may contain.

    With the contact's office known (`settings.office`) its facts are used; otherwise the
    province's (offices.yaml) and config's general texts. A fact the office lacks reads
    as config's `offices.texts.missing` — never invented.
    """
    office = settings.office
    general = settings.offices.province if settings.offices else None
    source = office or general
    texts = settings.office_texts
    missing = texts.get("missing") or {}

    def fact(name: str, value) -> str:
        if value:
            return value
        if office is None and name in (texts.get("general") or {}):
            return texts["general"][name]
        return missing.get(name, "")

    phone = None
    if source is not None:
        phone = " / ".join(
            f"{label}{value}"
            for label, value in (("", source.phone), ("WhatsApp ", source.whatsapp))
            if value
        )
    values = {
        "office_name": office.name if office else settings.office_name,
        "office_hours": settings.hours.describe(settings.texts["weekdays"]),
        "office_address": fact("office_address", source.address if source else None),
        "office_phone": fact("office_phone", phone),
        "blank_stock": fact("blank_stock", _stock(office, texts)),
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), answer)


def _stock(office, texts: dict) -> str | None:
    stock = office.blank_stock if office else None
    if not stock:
        return None
    status = (texts.get("stock") or {}).get(stock["status"], stock["status"])
    line = texts.get("stock_line", "{status} ({date})")
    return line.format(status=status, date=f"{stock['updated']:%d/%m/%Y}")


def _menu_ids(settings: Settings, faq: Faq) -> tuple[str, ...]:
    return tuple(entry_id for entry_id, _ in settings.menu if faq.get(entry_id))


def _menu_text(settings: Settings, inbound: Inbound) -> str:
    texts = settings.texts
    name_part = f" {inbound.profile_name}" if inbound.profile_name else ""
    lines = [texts["welcome"].format(name_part=name_part, office=settings.office_name)]
    lines += [
        texts["menu_line"].format(number=i, label=label)
        for i, (_, label) in enumerate(settings.menu, 1)
    ]
    lines.append(texts["menu_footer"])
    return "\n".join(lines)


def _menu_turn(settings, faq, inbound, meta) -> Turn:
    return Turn((_menu_text(settings, inbound),), options=_menu_ids(settings, faq), meta=meta)


def _is_greeting_turn(turn: Turn) -> bool:
    return turn.meta.get("command") == "menu" or turn.meta.get("entry") == "salam"


def _report_entry(faq: Faq) -> Entry | None:
    return next((e for e in faq.entries if e.action == "report_pungli"), None)


def _match_meta(result: matching.Result) -> dict:
    meta = {
        "outcome": result.outcome,
        "reason": result.reason,
        "candidates": [[c.entry.id, round(c.score, 1)] for c in result.candidates],
    }
    if isinstance(result, matching.Answer):
        meta.update(entry=result.entry.id, score=round(result.candidate.score, 1))
        if result.also:
            meta["also"] = [c.entry.id for c in result.also]
    return meta


def _for_channel(text: str, channel: str) -> str:
    """Return text fit for the channel: SMS gets plain text without WhatsApp markup."""
    if channel != SMS:
        return text
    return re.sub(r"(?<![\w*_])[*_]([^*_\n]+)[*_](?![\w*_])", r"\1", text)
