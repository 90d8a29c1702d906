"""The outbox: splitting, claiming with leases, retries with backoff, failures, local mode."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import yaml
from sqlalchemy import select

from bot import outbox, store
from bot.config import DEFAULT_CONFIG
from bot.messages import Outbound
from bot.worker import Worker

SETTINGS = outbox.Settings(max_attempts=3, backoff_base_seconds=10, backoff_cap_seconds=60)


class RecordingSender:
    """The Sender seam's fake: records every Outbound, answers from a script."""

    def __init__(self, *results: outbox.SendResult):
        self.sent: list[Outbound] = []
        self.results = list(results)

    def send(self, outbound: Outbound) -> outbox.SendResult:
        self.sent.append(outbound)
        if self.results:
            return self.results.pop(0)
        return outbox.SendResult(sid=f"SM{len(self.sent):032d}", status="queued")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self):
        self.now = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def db(database_url):
    db = store.Store(database_url)
    yield db
    db.dispose()


@pytest.fixture
def clock():
    return Clock()


def add_contact(db, number="+6281234567890", channel="whatsapp") -> int:
    with db.session() as session:
        contact = store.Contact(channel=channel, number=number, state={})
        session.add(contact)
        session.flush()
        return contact.id


def enqueue(db, contact_id, now, **kwargs) -> int:
    with db.session() as session:
        message = outbox.enqueue(session, session.get(store.Contact, contact_id), now=now, **kwargs)
        session.flush()
        return message.id


def row(db, message_id):
    with db.session() as session:
        box = session.scalars(
            select(store.Outbox).where(store.Outbox.message_id == message_id)
        ).one()
        message = session.get(store.Message, message_id)
        parts = session.scalars(
            select(store.MessagePart)
            .where(store.MessagePart.message_id == message_id)
            .order_by(store.MessagePart.position)
        ).all()
        return box, message, parts


# ---------------------------------------------------------------- splitting


def test_short_text_is_one_part():
    assert outbox.split_body("Halo, tiket Anda sudah dibalas.") == [
        "Halo, tiket Anda sudah dibalas."
    ]


def test_long_text_is_split_on_line_breaks():
    lines = [f"Baris {i}: " + "syarat " * 20 for i in range(40)]
    text = "\n".join(lines)
    parts = outbox.split_body(text)
    assert len(parts) > 1
    assert all(len(p) <= outbox.MAX_BODY_CHARS for p in parts)
    assert "\n".join(parts) == text  # only the line breaks at the cuts are dropped


def test_a_long_line_is_split_on_spaces_and_a_long_word_is_cut():
    words = ["kata"] * 700 + ["x" * 2000]
    text = " ".join(words)
    parts = outbox.split_body(text)
    assert all(len(p) <= outbox.MAX_BODY_CHARS for p in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


def test_emoji_count_twice_as_twilio_counts_them():
    text = "🙏" * 1000  # 2,000 UTF-16 units
    parts = outbox.split_body(text)
    assert [len(p) for p in parts] == [800, 200]
    assert "".join(parts) == text


# ---------------------------------------------------------------- settings


def test_shipped_config_has_valid_outbox_settings_and_reasons():
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings = outbox.Settings.from_config(config["outbox"])
    assert settings.claim_seconds > 2 * settings.timeout_seconds
    reasons = config["delivery_errors"]
    for code in (
        "63016",
        "63003",
        "63024",
        "63014",
        "21211",
        "21610",
        outbox.NO_SENDER,
        outbox.GAVE_UP,
    ):
        assert reasons[code].strip()


@pytest.mark.parametrize(
    "section",
    [{"batch_sise": 5}, {"claim_seconds": 20, "timeout_seconds": 15}, {"max_attempts": 0}],
    ids=["unknown-key", "claim-shorter-than-two-timeouts", "no-attempts"],
)
def test_bad_outbox_settings_are_refused(section):
    with pytest.raises(ValueError):
        outbox.Settings.from_config(section)


def test_backoff_doubles_with_jitter_up_to_the_cap():
    settings = outbox.Settings(backoff_base_seconds=5, backoff_cap_seconds=60)
    rng = random.Random(7)
    for attempts, ceiling in [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (12, 60)]:
        for _ in range(20):
            wait = outbox.backoff_seconds(attempts, settings, rng)
            assert ceiling / 2 <= wait <= ceiling
    waits = {outbox.backoff_seconds(3, settings, rng) for _ in range(20)}
    assert len(waits) > 1  # jitter: workers do not retry in lockstep


# ---------------------------------------------------------------- claiming


def test_claim_takes_due_rows_once_and_in_order(db, clock):
    first, second = add_contact(db, "+6281111111111"), add_contact(db, "+6282222222222")
    a = enqueue(db, first, clock.now, body="satu")
    b = enqueue(db, second, clock.now, body="dua")
    later = enqueue(
        db, add_contact(db, "+6283333333333"), clock.now + dt.timedelta(hours=1), body="nanti"
    )
    with db.session() as session:
        ids = outbox.claim(session, "w1", now=clock.now, limit=10, lease_seconds=60)
    box_a, _, _ = row(db, a)
    box_b, _, _ = row(db, b)
    assert ids == [box_a.id, box_b.id]
    assert (box_a.state, box_a.claimed_by, box_a.attempts) == ("sending", "w1", 1)
    assert box_a.claimed_until == clock.now + dt.timedelta(seconds=60)
    with db.session() as session:
        assert outbox.claim(session, "w2", now=clock.now, limit=10, lease_seconds=60) == []
    assert row(db, later)[0].state == "pending"


def test_an_expired_claim_goes_to_another_worker(db, clock):
    message_id = enqueue(db, add_contact(db), clock.now, body="balasan")
    with db.session() as session:
        outbox.claim(session, "dead-worker", now=clock.now, limit=10, lease_seconds=60)
    clock.advance(59)
    with db.session() as session:
        assert outbox.claim(session, "w2", now=clock.now, limit=10, lease_seconds=60) == []
    clock.advance(2)
    with db.session() as session:
        assert len(outbox.claim(session, "w2", now=clock.now, limit=10, lease_seconds=60)) == 1
    box, _, _ = row(db, message_id)
    assert (box.claimed_by, box.attempts) == ("w2", 2)


def test_a_contacts_messages_go_out_in_order(db, clock):
    contact = add_contact(db)
    first = enqueue(db, contact, clock.now, body="pertama")
    second = enqueue(db, contact, clock.now, body="kedua")
    sender = RecordingSender(outbox.SendResult(error_code="500", retryable=True))
    worker = Worker(db, sender, SETTINGS, name="w", clock=clock, rng=random.Random(1))
    assert worker.run_once() == 1  # the second waits for the first
    assert [o.body for o in sender.sent] == ["pertama"]
    assert worker.run_once() == 0  # the first is backing off: the second still waits
    clock.advance(SETTINGS.backoff_cap_seconds)
    assert worker.drain() == 2
    assert [o.body for o in sender.sent] == ["pertama", "pertama", "kedua"]
    assert row(db, first)[0].state == row(db, second)[0].state == "sent"


# ---------------------------------------------------------------- the worker with a fake sender


def test_worker_sends_and_records_the_sid(db, clock):
    message_id = enqueue(
        db, add_contact(db), clock.now, body="Berkas Anda sudah siap.", ticket_id=None
    )
    sender = RecordingSender()
    assert Worker(db, sender, SETTINGS, clock=clock).drain() == 1
    (sent,) = sender.sent
    assert (sent.channel, sent.to, sent.body) == (
        "whatsapp",
        "+6281234567890",
        "Berkas Anda sudah siap.",
    )
    assert (sent.message_id, sent.part) == (message_id, 0)
    box, message, parts = row(db, message_id)
    assert box.state == "sent" and box.claimed_by is None
    assert message.provider_sid == "SM" + "1".zfill(32)
    assert message.status == "queued"
    assert [(p.position, p.provider_sid) for p in parts] == [(0, message.provider_sid)]


def test_template_message_sends_content_sid_and_variables(db, clock):
    message_id = enqueue(
        db,
        add_contact(db),
        clock.now,
        content_sid="HX" + "a" * 32,
        content_variables={"1": "TK-000042"},
    )
    sender = RecordingSender()
    Worker(db, sender, SETTINGS, clock=clock).drain()
    (sent,) = sender.sent
    assert (sent.content_sid, sent.content_variables, sent.body) == (
        "HX" + "a" * 32,
        {"1": "TK-000042"},
        None,
    )
    assert row(db, message_id)[0].state == "sent"


def test_retryable_error_backs_off_then_gives_up_at_the_limit(db, clock):
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    busy = outbox.SendResult(error_code="429", retryable=True, detail="HTTP 429")
    sender = RecordingSender(busy, busy, busy)
    worker = Worker(db, sender, SETTINGS, clock=clock, rng=random.Random(3))
    worker.drain()
    box, message, _ = row(db, message_id)
    assert (box.state, box.attempts, message.status) == ("pending", 1, "queued")
    assert clock.now + dt.timedelta(seconds=5) <= box.next_attempt_at
    assert box.next_attempt_at <= clock.now + dt.timedelta(seconds=10)
    assert "429" in box.last_error
    for _ in range(SETTINGS.max_attempts - 1):
        clock.advance(SETTINGS.backoff_cap_seconds)
        worker.drain()
    box, message, _ = row(db, message_id)
    assert len(sender.sent) == SETTINGS.max_attempts
    assert (box.state, message.status, message.error_code) == ("failed", "failed", outbox.GAVE_UP)


def test_permanent_error_fails_at_once(db, clock):
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    sender = RecordingSender(outbox.SendResult(error_code="63016", retryable=False))
    Worker(db, sender, SETTINGS, clock=clock).drain()
    clock.advance(3600)
    Worker(db, sender, SETTINGS, clock=clock).drain()
    box, message, _ = row(db, message_id)
    assert len(sender.sent) == 1
    assert (box.state, message.status, message.error_code) == ("failed", "failed", "63016")


def test_a_resumed_long_message_skips_the_parts_already_sent(db, clock):
    body = "\n".join(["x" * 1000] * 3)  # three parts
    message_id = enqueue(db, add_contact(db), clock.now, body=body)
    sender = RecordingSender(
        outbox.SendResult(sid="SM" + "a" * 32),
        outbox.SendResult(error_code="500", retryable=True),
    )
    worker = Worker(db, sender, SETTINGS, clock=clock, rng=random.Random(0))
    worker.drain()
    box, message, parts = row(db, message_id)
    assert box.state == "pending" and [p.position for p in parts] == [0]
    clock.advance(SETTINGS.backoff_cap_seconds)
    worker.drain()
    box, message, parts = row(db, message_id)
    assert [o.part for o in sender.sent] == [0, 1, 1, 2]
    assert box.state == "sent" and [p.position for p in parts] == [0, 1, 2]
    assert message.provider_sid == "SM" + "a" * 32


def test_a_worker_that_lost_its_claim_does_not_send(db, clock):
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    slow, fast = RecordingSender(), RecordingSender()
    first = Worker(db, slow, SETTINGS, name="slow", clock=clock)
    with db.session() as session:
        (outbox_id,) = outbox.claim(
            session, first.id, now=clock.now, limit=1, lease_seconds=SETTINGS.claim_seconds
        )
    clock.advance(SETTINGS.claim_seconds + 1)  # the first worker stalled past its lease
    assert Worker(db, fast, SETTINGS, name="fast", clock=clock).drain() == 1
    assert first.deliver(outbox_id) == "lost"
    assert slow.sent == [] and len(fast.sent) == 1
    assert row(db, message_id)[0].state == "sent"


def test_a_message_without_text_fails_instead_of_looping(db, clock):
    message_id = enqueue(db, add_contact(db), clock.now, body="  ")
    sender = RecordingSender()
    Worker(db, sender, SETTINGS, clock=clock).drain()
    assert sender.sent == []
    assert row(db, message_id)[1].error_code == outbox.EMPTY


def test_local_sender_marks_messages_delivered(db, clock):
    message_id = enqueue(db, add_contact(db), clock.now, body="Balasan petugas")
    Worker(db, outbox.LocalSender(), SETTINGS, clock=clock).drain()
    box, message, _ = row(db, message_id)
    assert box.state == "sent"
    assert message.status == "delivered"
    assert message.provider_sid.startswith("LOCAL")
