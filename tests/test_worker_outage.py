"""Drill: Twilio's API is down for five minutes, then back — every reply delivered, none lost.

The real worker (`Worker.drain`, the batch loop `python -m bot worker` runs) with the
shipped `outbox:` settings sends 100 queued replies through the official twilio client to
the local fake Messages API. While the test clock is inside the outage the fake answers
500, 503, or hangs past the client's timeout; most hangs end in a 503 nobody reads (not
accepted), a few end in a 201 nobody reads (accepted: Twilio sends it, the worker never
learns the SID). The clock then moves in `poll_seconds` steps, as an idle worker polls,
until the outbox is drained.

Promises: every row ends `sent`, none `failed`; each message has exactly one SID recorded,
unique, handed out by Twilio for that message; every attempt the outbox counted reached
Twilio; Twilio accepted each message exactly once, except the documented window — a
request Twilio accepted whose answer the worker never got — which repeats that message
exactly once, and only then.
"""

from __future__ import annotations

import collections
import json
import random
import signal
import subprocess
import sys
import time

import pytest
import yaml
from sqlalchemy import func, select

from bot import outbox, store
from bot.config import DEFAULT_CONFIG
from bot.worker import Worker
from tests.fake_twilio import (
    Reply,
    twilio_sender,
    worker_env,
)
from tests.test_outbox import Clock
from tests.test_worker_concurrency import ROOT, _kill_when, _wait_for

pytestmark = pytest.mark.slow

MESSAGES, CONTACTS = 100, 20  # five replies per citizen: they also have to stay in order
OUTAGE_SECONDS = 300
TIMEOUT = 0.3  # the client's wait for one answer (the shipped 15 s, shortened)
HANG = 0.8  # how long a hanging request is held before the fake answers nobody
ACCEPTED_HANGS = 3  # hangs Twilio accepted although the worker gave up waiting


def shipped_settings() -> outbox.Settings:
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    return outbox.Settings.from_config(config.get("outbox"))


def retry_window(settings: outbox.Settings) -> float:
    """Return the shortest time between a row's first and last attempt (least jitter)."""
    return sum(
        min(settings.backoff_cap_seconds, settings.backoff_base_seconds * 2 ** (k - 1)) / 2
        for k in range(1, settings.max_attempts)
    )


class Outage:
    """The fake's script: down while the test clock is before `until`, then up."""

    def __init__(self, clock: Clock, seconds: float):
        self.clock = clock
        self.until = clock.now.timestamp() + seconds
        self.count = 0
        self.accepted_hangs = 0

    def __call__(self, request) -> Reply:
        if self.clock.now.timestamp() >= self.until:
            return Reply()
        self.count += 1
        if self.count % 8 == 0 and self.accepted_hangs < ACCEPTED_HANGS:
            self.accepted_hangs += 1
            return Reply(201, hang=HANG)  # accepted; the answer comes after the timeout
        if self.count % 4 == 0:
            return Reply(503, hang=HANG)  # refused, but only after the client gave up
        return Reply(500) if self.count % 2 else Reply(503)


class Recording:
    """The real sender, with every result kept in call order (one worker: request order)."""

    def __init__(self, sender):
        self.sender = sender
        self.results: list[outbox.SendResult] = []

    def send(self, outbound):
        result = self.sender.send(outbound)
        self.results.append(result)
        return result


def queue_replies(db, now) -> list[int]:
    """Queue MESSAGES replies for CONTACTS citizens through outbox.enqueue; return ids."""
    with db.session() as session:
        people = [
            store.Contact(channel="whatsapp", number=f"+628129{i:06d}", state={})
            for i in range(CONTACTS)
        ]
        session.add_all(people)
        messages = [
            outbox.enqueue(
                session, people[i % CONTACTS], body=f"Balasan petugas nomor {i}", now=now
            )
            for i in range(MESSAGES)
        ]
        session.flush()
        return [m.id for m in messages]


def outbox_states(db) -> collections.Counter:
    with db.session() as session:
        rows = session.execute(select(store.Outbox.state, func.count()).group_by("state"))
        return collections.Counter(dict(rows.all()))


def test_the_shipped_retries_ride_out_an_outage_of_an_hour():
    assert retry_window(shipped_settings()) >= 3600


def test_twilio_down_for_five_minutes_then_back_every_reply_is_delivered_once(
    database_backend, database_url, fake_twilio
):
    settings = shipped_settings()
    # The drill is only meaningful within the retry budget the shipped settings give.
    assert retry_window(settings) > OUTAGE_SECONDS, retry_window(settings)
    db = store.Store(database_url)
    clock = Clock()
    ids = queue_replies(db, clock.now)
    outage = Outage(clock, OUTAGE_SECONDS)
    fake_twilio.script = outage
    sender = Recording(twilio_sender(fake_twilio.url, timeout=TIMEOUT))
    worker = Worker(db, sender, settings, clock=clock, name="outage", rng=random.Random(9))

    started, wall = clock.now, time.monotonic()
    polls = 0
    while outbox_states(db)["sent"] < MESSAGES:
        worker.drain()
        if outbox_states(db)["failed"]:
            break
        clock.advance(settings.poll_seconds)
        polls += 1
        assert polls < 2000, outbox_states(db)
    drained_after = (clock.now - started).total_seconds()
    wall = time.monotonic() - wall

    # Hung requests end on the fake's side after the worker moved on: wait for them.
    deadline = time.monotonic() + 10
    while not all(r.finished for r in fake_twilio.requests):
        assert time.monotonic() < deadline, "the fake still holds a request"
        time.sleep(0.05)

    requests = list(fake_twilio.requests)
    assert outbox_states(db) == {"sent": MESSAGES}  # none failed, none left behind
    assert len(requests) == len(sender.results)  # every send reached "Twilio"
    injected = collections.Counter(
        "hang accepted"
        if r.answered.hang and r.answered.status == 201
        else "hang refused"
        if r.answered.hang
        else str(r.answered.status)
        for r in requests
        if r.answered != Reply()
    )
    assert set(injected) == {"500", "503", "hang refused", "hang accepted"}
    assert injected["hang accepted"] == ACCEPTED_HANGS
    # The outage really outlasted several rounds of retries.
    assert max(collections.Counter(int(r.callback["m"]) for r in requests).values()) >= 5

    timeouts = [res.error_code == "timeout" for res in sender.results]
    assert sum(timeouts) >= injected["hang accepted"] + injected["hang refused"]
    accepted = collections.defaultdict(list)  # message id -> SIDs Twilio handed out
    unseen = collections.defaultdict(list)  # ... of which the worker never got the answer
    for request, result, timed_out in zip(requests, sender.results, timeouts, strict=True):
        message_id = int(request.callback["m"])
        if request.sid:
            accepted[message_id].append(request.sid)
            if timed_out:
                unseen[message_id].append(request.sid)
            else:
                assert result.sid == request.sid
        else:
            assert not result.ok

    with db.session() as session:
        rows = session.execute(
            select(store.Message.id, store.Message.provider_sid, store.Outbox.attempts)
            .join(store.Outbox, store.Outbox.message_id == store.Message.id)
            .order_by(store.Message.id)
        ).all()
        parts = session.execute(
            select(store.MessagePart.message_id, func.count()).group_by(
                store.MessagePart.message_id
            )
        ).all()
        errors = session.scalars(select(store.Outbox.last_error)).all()
    per_message = collections.Counter(int(r.callback["m"]) for r in requests)
    assert [r.id for r in rows] == sorted(ids)  # nothing lost, nothing added
    recorded = {r.id: r.provider_sid for r in rows}
    assert None not in recorded.values() and len(set(recorded.values())) == MESSAGES
    assert dict(parts) == dict.fromkeys(ids, 1)  # one part, one SID each
    assert set(errors) == {None}
    for row in rows:
        # Each attempt the outbox counted is one request Twilio saw, within the limit.
        assert row.attempts == per_message[row.id] <= settings.max_attempts
        # The SID kept is the one Twilio answered the worker with ...
        assert recorded[row.id] in accepted[row.id]
        assert recorded[row.id] not in unseen[row.id]
        # ... and Twilio sent the message once, plus once per answer the worker never got.
        assert len(accepted[row.id]) == 1 + len(unseen[row.id])
    duplicates = {m for m, sids in accepted.items() if len(sids) > 1}
    assert duplicates == {m for m, sids in unseen.items() if sids}
    assert len(duplicates) == ACCEPTED_HANGS  # exactly the requests the fake accepted late
    db.dispose()
    kind, _ = database_backend
    print(
        f"\noutage drill on {kind}: {MESSAGES} replies to {CONTACTS} citizens, Twilio down "
        f"{OUTAGE_SECONDS} s; failures injected {sum(injected.values())} {dict(injected)}; "
        f"requests {len(requests)} (max {max(per_message.values())} for one message); "
        f"drained {drained_after:.0f} s of worker clock after the outage began "
        f"({polls} polls, {wall:.1f} s wall); failed 0; duplicates at Twilio "
        f"{len(duplicates)} (= accepted hangs)"
    )


# ---------------------------------------------------------------- a worker killed in the outage

# The worker process as `python -m bot worker` runs it (bot.worker.serve), with the outbox
# settings scaled from minutes to a fraction of a second so the drill runs in real time.
FAST = {
    "batch_size": 20,
    "poll_seconds": 0.05,
    "claim_seconds": 1.0,
    "timeout_seconds": 0.3,
    "max_attempts": 12,
    "backoff_base_seconds": 0.05,
    "backoff_cap_seconds": 1.0,
}
SERVE = """
import json, sys
from bot.app import create_app
from bot.worker import serve
app = create_app()
app.extensions["helpdesk"].config["outbox"].update(json.loads(sys.argv[1]))
sys.exit(serve(app, name=sys.argv[2]))
"""


class Switch:
    """The fake's script for the kill drill: down (500, 503, refused hangs) until `up`."""

    def __init__(self):
        self.up = False
        self.count = 0

    def __call__(self, request) -> Reply:
        if self.up:
            return Reply()
        self.count += 1
        if self.count % 5 == 0:
            return Reply(503, hang=HANG)
        return Reply(500) if self.count % 2 else Reply(503)


def start_worker(database_url: str, fake_url: str, name: str, log):
    env = worker_env(database_url, fake_url)
    command = [sys.executable, "-c", SERVE, json.dumps(FAST), name]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def test_a_worker_killed_during_the_outage_loses_nothing_and_repeats_nothing(
    database_url, fake_twilio, tmp_path
):
    assert outbox.Settings.from_config(FAST)  # a valid configuration
    db = store.Store(database_url)
    ids = queue_replies(db, store.utcnow())
    switch = Switch()
    fake_twilio.script = switch
    log = tmp_path / "worker.log"

    first = start_worker(database_url, fake_twilio.url, "outage-1", log)
    _kill_when(lambda: len(fake_twilio.requests) >= 30, 60, "30 requests", log, first)
    at_kill = outbox_states(db)
    killed_after = len(fake_twilio.requests)
    # Killed while Twilio was down: nothing was accepted, so nothing can repeat.
    assert fake_twilio.sent() == [] and at_kill["sent"] == at_kill["failed"] == 0, at_kill

    second = start_worker(database_url, fake_twilio.url, "outage-2", log)
    try:
        # The second worker retries into the outage too (the first one's claims expire).
        _wait_for(
            lambda: len(fake_twilio.requests) >= killed_after + 40, 60, "40 retries", log, second
        )
        switch.up = True
        _wait_for(lambda: outbox_states(db)["sent"] == MESSAGES, 120, "all sent", log, second)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        if second.poll() is None:
            second.kill()

    deadline = time.monotonic() + 10
    while not all(r.finished for r in fake_twilio.requests):
        assert time.monotonic() < deadline, "the fake still holds a request"
        time.sleep(0.05)
    requests = list(fake_twilio.requests)
    assert outbox_states(db) == {"sent": MESSAGES}
    accepted = collections.defaultdict(list)
    for request in requests:
        if request.sid:
            accepted[int(request.callback["m"])].append(request.sid)
    assert sorted(accepted) == sorted(ids)
    assert {m: len(s) for m, s in accepted.items() if len(s) > 1} == {}  # no repeat at all
    with db.session() as session:
        recorded = dict(session.execute(select(store.Message.id, store.Message.provider_sid)).all())
    assert {m: [sid] for m, sid in recorded.items()} == dict(accepted)
    db.dispose()
    failures = sum(1 for r in requests if not r.sid)
    print(
        f"\nkill drill: {MESSAGES} replies; SIGKILL after {killed_after} requests into the "
        f"outage (state {dict(at_kill)}); failures injected {failures}; requests "
        f"{len(requests)}; duplicates 0"
    )
