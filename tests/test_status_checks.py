"""Statuses no callback brought: the idle worker asks Twilio 30 minutes and 6 hours after
sending, applies what it learns, and stops once the status is final — on both databases.

Twilio does not retry a status callback we could not take (say, during a database
outage), so without these checks a delivered message would show "sent" for ever.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from bot import outbox, store
from bot.worker import Worker, status_checks
from tests.test_outbox import Clock, add_contact, db, enqueue, row  # noqa: F401 - fixtures

SETTINGS = outbox.Settings(max_attempts=4, backoff_base_seconds=10, backoff_cap_seconds=80)


class Sender:
    """Accepts every part; answers status questions from a script (sid -> answers)."""

    def __init__(self):
        self.count = 0
        self.answers: dict[str, list] = {}
        self.asked: list[str] = []

    def send(self, outbound):
        self.count += 1
        return outbox.SendResult(sid=f"SM{self.count:032d}", status="queued")

    def fetch_status(self, sid):
        self.asked.append(sid)
        script = self.answers.get(sid) or [None]
        return script.pop(0) if len(script) > 1 else script[0]


@pytest.fixture
def clock():
    return Clock()


def send_one(db, sender, clock, body="Balasan petugas.", number="+6281234567890"):  # noqa: F811
    message_id = enqueue(db, add_contact(db, number), clock.now, body=body)
    Worker(db, sender, SETTINGS, clock=clock, rng=random.Random(1)).drain()
    box, message, parts = row(db, message_id)
    assert box.state == "sent"
    return message_id, [p.provider_sid for p in parts]


def test_a_lost_delivered_callback_is_found_by_the_check_after_30_minutes(db, clock):  # noqa: F811
    sender = Sender()
    message_id, (sid,) = send_one(db, sender, clock)
    sender.answers[sid] = [("delivered", None)]
    job = status_checks(db, sender, clock=clock)

    clock.advance(29 * 60)
    assert job() == 0 and sender.asked == []  # not yet
    clock.advance(60)
    assert job() == 1 and sender.asked == [sid]
    _, message, (part,) = row(db, message_id)
    assert (message.status, part.status, part.next_check_at) == ("delivered", "delivered", None)
    clock.advance(7 * 3600)
    assert job() == 0 and sender.asked == [sid]  # final: never asked again


def test_a_status_still_open_is_asked_once_more_after_6_hours_then_left(db, clock):  # noqa: F811
    sender = Sender()
    message_id, (sid,) = send_one(db, sender, clock)
    sent_at = clock.now
    sender.answers[sid] = [("sent", None), ("sent", None)]
    job = status_checks(db, sender, clock=clock)

    clock.advance(31 * 60)
    assert job() == 1
    _, message, (part,) = row(db, message_id)
    assert message.status == "sent" and part.next_check_at == sent_at + dt.timedelta(hours=6)
    clock.advance(5 * 3600)
    assert job() == 0
    clock.advance(3600)
    assert job() == 1
    _, _, (part,) = row(db, message_id)
    assert part.next_check_at is None  # the checks are used up (an SMS may never report)
    clock.advance(24 * 3600)
    assert job() == 0 and sender.asked == [sid, sid]


def test_a_failure_learned_by_a_check_shows_with_its_code(db, clock):  # noqa: F811
    sender = Sender()
    message_id, (sid,) = send_one(db, sender, clock)
    sender.answers[sid] = [("undelivered", "63016")]
    clock.advance(31 * 60)
    status_checks(db, sender, clock=clock)()
    _, message, _ = row(db, message_id)
    assert (message.status, message.error_code) == ("undelivered", "63016")


def test_a_callback_that_arrives_ends_the_checks(db, clock):  # noqa: F811
    sender = Sender()
    message_id, (sid,) = send_one(db, sender, clock)
    with db.session() as session:
        outbox.record_status(session, sid, "read", None)
    clock.advance(31 * 60)
    assert status_checks(db, sender, clock=clock)() == 0 and sender.asked == []


def test_when_twilio_cannot_tell_the_next_check_still_comes(db, clock):  # noqa: F811
    sender = Sender()
    message_id, (sid,) = send_one(db, sender, clock)
    sender.answers[sid] = [None, ("delivered", None)]  # an error, then an answer
    job = status_checks(db, sender, clock=clock)
    clock.advance(31 * 60)
    job()
    _, message, _ = row(db, message_id)
    assert message.status == "queued"
    clock.advance(6 * 3600)
    job()
    _, message, _ = row(db, message_id)
    assert message.status == "delivered"


def test_every_part_of_a_long_message_is_checked(db, clock):  # noqa: F811
    sender = Sender()
    message_id, sids = send_one(db, sender, clock, body="\n".join(["syarat " * 200] * 3))
    assert len(sids) > 1
    for sid in sids:
        sender.answers[sid] = [("delivered", None)]
    sender.answers[sids[-1]] = [("failed", "30008")]
    clock.advance(31 * 60)
    assert status_checks(db, sender, clock=clock)() == len(sids)
    _, message, parts = row(db, message_id)
    assert message.status == "failed"  # a message is failed when any part fails
    assert all(p.next_check_at is None for p in parts)


def test_the_local_sender_asks_nothing(db):  # noqa: F811
    assert status_checks(db, outbox.LocalSender()) is None


def test_checks_are_oldest_first_and_bounded(db, clock):  # noqa: F811
    sender = Sender()
    first, _ = send_one(db, sender, clock)
    clock.advance(60)
    send_one(db, sender, clock, number="+6281234567891")
    clock.advance(31 * 60)
    with db.session() as session:
        due = outbox.due_status_checks(session, clock.now, limit=1)
        (oldest,) = session.scalars(
            store.select(store.MessagePart.provider_sid).where(
                store.MessagePart.message_id == first
            )
        )
    assert due == [oldest]
