"""The learning loop: citizens' messages the bot escalated or had to clarify, grouped by meaning.

Each group carries what staff need to turn it into knowledge: how often and when it was
asked, which entries came close, and the reply an officer already gave in the ticket.
Pungli report messages never appear here (reporters are protected): only plain
conversation messages are read.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import language, store
from bot.privacy import mask_identifiers

OUTCOMES = ("escalate", "clarify")
WORDINGS_PER_GROUP = 5  # distinct wordings a new message is compared with, per group


@dataclass(frozen=True)
class Missed:
    """One citizen message the bot did not answer by itself."""

    message_id: int
    text: str  # NIK/KK numbers masked
    at: dt.datetime
    outcome: str  # escalate | clarify
    candidates: tuple[tuple[str, float], ...] = ()  # (entry id, score) the matcher saw
    ticket_id: int | None = None
    reply: str | None = None  # the officer's first reply after it, in its ticket


@dataclass
class Group:
    """Messages that say about the same thing, oldest first."""

    key: str  # the normalised words of the first message
    items: list[Missed] = field(default_factory=list)
    answered_by: str | None = None  # the entry that answers the first message now, if any

    @property
    def count(self) -> int:
        return len(self.items)

    @property
    def first_at(self) -> dt.datetime:
        return self.items[0].at

    @property
    def last_at(self) -> dt.datetime:
        return self.items[-1].at

    @property
    def message_ids(self) -> list[int]:
        return [m.message_id for m in self.items]

    @property
    def outcomes(self) -> Counter:
        return Counter(m.outcome for m in self.items)

    @property
    def candidates(self) -> list[str]:
        """Return the entries the matcher considered, the most often and best scored first."""
        weight: Counter = Counter()
        for item in self.items:
            for entry_id, score in item.candidates:
                weight[entry_id] += float(score or 0)
        return [entry_id for entry_id, _ in weight.most_common()]

    @property
    def replies(self) -> list[str]:
        """Return the officers' distinct replies to the group's messages, newest first."""
        seen, out = set(), []
        for item in reversed(self.items):
            if item.reply and item.reply not in seen:
                seen.add(item.reply)
                out.append(item.reply)
        return out


def similarity(a: str, b: str) -> float:
    """Return how alike two normalised messages are (0-100).

    token_set_ratio alone calls "ktp" and "ktp hilang" equal (one is inside the other);
    averaging with token_sort_ratio keeps a one-word message out of longer questions.
    """
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def _normalise(text: str) -> str:
    return language.normalize(text, stemmed=True)


def group(
    items: Iterable[Missed],
    threshold: float = 75.0,
    normalise: Callable[[str], str] = _normalise,
) -> list[Group]:
    """Group messages whose normalised words are at least `threshold` alike.

    A message joins the group holding the message it resembles most (each group is
    compared through its first few distinct wordings); groups are returned the most
    frequent first, then the most recent.
    """
    groups: list[Group] = []
    keys: list[str] = []  # distinct wordings that represent a group ...
    owners: list[Group] = []  # ... and the group of each
    seen: dict[str, Group] = {}
    # token_sort_ratio (in C) prefilters: the average can reach `threshold` only if it
    # reaches 2 * threshold - 100, since token_set_ratio is at most 100.
    cutoff = max(0.0, 2 * threshold - 100)
    for item in sorted(items, key=lambda m: (m.at, m.message_id)):
        key = normalise(item.text) or " ".join(item.text.lower().split())
        best = seen.get(key)
        if best is None:
            best_score = threshold
            for choice, sort_score, index in process.extract(
                key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=cutoff, limit=None
            ):
                score = (sort_score + fuzz.token_set_ratio(key, choice)) / 2
                if score >= best_score:
                    best, best_score = owners[index], score
            if best is None:
                best = Group(key)
                groups.append(best)
            seen[key] = best
            if sum(1 for owner in owners if owner is best) < WORDINGS_PER_GROUP:
                keys.append(key)
                owners.append(best)
        best.items.append(item)
    groups.sort(key=lambda g: (-g.count, -g.last_at.timestamp()))
    return groups


def collect(session: Session, since: dt.datetime, limit: int = 5000) -> list[Missed]:
    """Return the citizens' messages since `since` that were escalated or clarified.

    Only plain conversation messages (kind "message") are read, so a pungli report's
    messages can never show up; at most the newest `limit` inbound messages are scanned.
    """
    rows = session.scalars(
        select(store.Message)
        .where(
            store.Message.direction == "in",
            store.Message.author == "citizen",
            store.Message.kind == "message",
            store.Message.created_at >= since,
        )
        .order_by(store.Message.id.desc())
        .limit(limit)
    ).all()
    found = [m for m in rows if _missed(m)]
    replies = _first_replies(session, found)
    return [
        Missed(
            message_id=m.id,
            text=mask_identifiers(m.body.strip()),
            at=m.created_at,
            outcome=m.meta["outcome"],
            candidates=tuple(
                (str(c[0]), float(c[1]))
                for c in m.meta.get("candidates") or ()
                if isinstance(c, list | tuple) and len(c) == 2
            ),
            ticket_id=m.ticket_id,
            reply=replies.get(m.id),
        )
        for m in found
    ]


def _missed(message: store.Message) -> bool:
    meta = message.meta or {}
    return (
        meta.get("outcome") in OUTCOMES
        and not meta.get("confidential")
        and bool((message.body or "").strip())
    )


def _first_replies(session: Session, messages: list[store.Message]) -> dict[int, str]:
    """Return, per message, the first officer reply after it in the same ticket."""
    ticket_ids = {m.ticket_id for m in messages if m.ticket_id}
    if not ticket_ids:
        return {}
    replies = session.execute(
        select(store.Message.ticket_id, store.Message.id, store.Message.body)
        .where(
            store.Message.ticket_id.in_(ticket_ids),
            store.Message.author == "officer",
            store.Message.direction == "out",
            store.Message.kind == "message",
        )
        .order_by(store.Message.id)
    ).all()
    by_ticket: dict[int, list[tuple[int, str]]] = {}
    for ticket_id, message_id, body in replies:
        by_ticket.setdefault(ticket_id, []).append((message_id, body))
    out = {}
    for message in messages:
        for reply_id, body in by_ticket.get(message.ticket_id, ()):
            if reply_id > message.id and (body or "").strip():
                out[message.id] = mask_identifiers(body.strip())
                break
    return out


def ticket_wording(session: Session, ticket_id: int) -> tuple[list[str], list[str]]:
    """Return a ticket's citizen messages and officer replies (masked), oldest first."""
    rows = session.scalars(
        select(store.Message)
        .where(store.Message.ticket_id == ticket_id, store.Message.kind == "message")
        .order_by(store.Message.id)
    ).all()
    asked = [
        mask_identifiers(m.body.strip())
        for m in rows
        if m.direction == "in" and m.author == "citizen" and (m.body or "").strip()
    ]
    answered = [
        mask_identifiers(m.body.strip())
        for m in rows
        if m.direction == "out" and m.author == "officer" and (m.body or "").strip()
    ]
    return asked, answered


def wording(session: Session, message_ids: Iterable[int]) -> tuple[list[str], list[str]]:
    """Return the texts of some missed messages and the officers' replies to them."""
    ids = [int(i) for i in message_ids][:50]
    if not ids:
        return [], []
    rows = session.scalars(
        select(store.Message)
        .where(
            store.Message.id.in_(ids),
            store.Message.direction == "in",
            store.Message.author == "citizen",
            store.Message.kind == "message",
        )
        .order_by(store.Message.id)
    ).all()
    rows = [m for m in rows if not (m.meta or {}).get("confidential") and (m.body or "").strip()]
    replies = _first_replies(session, rows)
    asked = [mask_identifiers(m.body.strip()) for m in rows]
    answered = list(dict.fromkeys(replies[m.id] for m in rows if m.id in replies))
    return asked, answered


def citizen_message(session: Session, message_id: int) -> str | None:
    """Return one citizen message's text (masked) if it may be used as a variant."""
    message = session.get(store.Message, message_id)
    if (
        message is None
        or message.direction != "in"
        or message.author != "citizen"
        or message.kind != "message"
        or (message.meta or {}).get("confidential")
    ):
        return None
    return mask_identifiers((message.body or "").strip()) or None
