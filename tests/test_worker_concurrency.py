"""Many workers, no double sends; a worker killed with SIGKILL loses nothing.

Both tests use the official twilio client against the local fake Messages API and count,
per outbox message, how many requests reached "Twilio".
"""

from __future__ import annotations

import collections
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from bot import outbox, store
from bot.worker import Worker
from tests.fake_twilio import twilio_sender, worker_env

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def fill(db, rows: int, contacts: int) -> list[int]:
    """Queue `rows` replies spread over `contacts` citizens; return the message ids."""
    ids = []
    with db.session() as session:
        people = [
            store.Contact(channel="whatsapp", number=f"+628123{i:07d}", state={})
            for i in range(contacts)
        ]
        session.add_all(people)
        for i in range(rows):
            ids.append(outbox.enqueue(session, people[i % contacts], body=f"Balasan nomor {i}"))
        session.flush()
        return [m.id for m in ids]


def requests_per_message(fake) -> collections.Counter:
    return collections.Counter(int(r.callback["m"]) for r in fake.requests)


def states(db) -> collections.Counter:
    with db.session() as session:
        return collections.Counter(
            dict(session.execute(select(store.Outbox.state, func.count()).group_by("state")).all())
        )


def test_workers_drain_1000_rows_and_send_each_exactly_once(
    database_backend, database_url, fake_twilio
):
    """Two workers on PostgreSQL (SKIP LOCKED); one on SQLite, which serialises writers."""
    kind, _ = database_backend
    workers = 2 if kind == "postgresql" else 1
    setup = store.Store(database_url)
    ids = fill(setup, 1000, contacts=250)
    settings = outbox.Settings(batch_size=20)
    start = threading.Barrier(workers)
    handled = collections.Counter()
    outcomes = collections.Counter()
    errors = []

    class CountingWorker(Worker):
        def deliver(self, outbox_id: int) -> str:
            outcome = super().deliver(outbox_id)
            outcomes[outcome] += 1
            return outcome

    def work(name: str) -> None:
        db = store.Store(database_url)
        sender = twilio_sender(fake_twilio.url, timeout=10)

        class Counting:
            def send(self, outbound):
                handled[name] += 1
                return sender.send(outbound)

        try:
            start.wait(timeout=30)
            CountingWorker(db, Counting(), settings, name=name).drain()
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a worker did not finish in 300 s"
    assert errors == []
    counts = requests_per_message(fake_twilio)
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}, {m: n for m, n in counts.items() if n > 1}
    assert states(setup) == {"sent": 1000}
    with setup.session() as session:
        sids = session.scalars(
            select(store.Message.provider_sid).where(store.Message.direction == "out")
        ).all()
    assert len(set(sids)) == 1000 and None not in sids
    if workers == 2:
        assert min(handled.values()) > 0, handled  # both really worked on the same rows
    assert sum(handled.values()) == 1000
    assert outcomes == {"sent": 1000}  # no claim was ever taken by both workers
    print(f"1,000 rows, {workers} worker(s) on {kind}: sent per worker {dict(handled)}")
    setup.dispose()


def test_a_second_claim_skips_rows_another_worker_is_claiming(database_backend, database_url):
    """PostgreSQL: FOR UPDATE SKIP LOCKED, so claims never wait for or overlap each other."""
    kind, _ = database_backend
    if kind != "postgresql":
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE); one worker is enough there")
    first_db, second_db = store.Store(database_url), store.Store(database_url)
    fill(first_db, 10, contacts=10)
    now = store.utcnow()
    try:
        with first_db.session() as first:
            mine = outbox.claim(first, "A", now=now, limit=5, lease_seconds=60)
            # A has not committed yet: its rows are locked, still "pending" to others.
            with second_db.session() as second:
                second.execute(text("SET LOCAL lock_timeout = '5s'"))
                theirs = outbox.claim(second, "B", now=now, limit=5, lease_seconds=60)
        assert len(mine) == len(theirs) == 5
        assert set(mine).isdisjoint(theirs)
    finally:
        first_db.dispose()
        second_db.dispose()


def _worker(database_url: str, fake_url: str, name: str, log: Path, *, once: bool):
    env = worker_env(database_url, fake_url)
    command = [sys.executable, "-m", "bot", "worker", "--id", name] + (["--once"] if once else [])
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_for(condition, seconds: float, what: str, log: Path, process) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if process.poll() is not None:
            pytest.fail(
                f"worker exited ({process.returncode}) before {what}:\n{log.read_text()[-3000:]}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {seconds} s; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.01)


def _kill_when(condition, seconds: float, what: str, log: Path, process) -> None:
    """Wait for the condition (see _wait_for), then SIGKILL the worker and check it died so."""
    try:
        _wait_for(condition, seconds, what, log, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_the_message_in_flight(
    database_url, fake_twilio, tmp_path
):
    db = store.Store(database_url)
    ids = fill(db, 200, contacts=50)
    log = tmp_path / "worker.log"
    fake_twilio.delay = 0.05  # every answer takes a while: the kill lands inside a batch

    first = _worker(database_url, fake_twilio.url, "drill-1", log, once=False)
    _kill_when(lambda: len(fake_twilio.requests) >= 45, 60, "45 requests", log, first)

    with db.session() as session:
        at_kill = collections.Counter(
            dict(session.execute(select(store.Outbox.state, func.count()).group_by("state")).all())
        )
        recorded = set(
            session.scalars(select(store.Message.id).where(store.Message.provider_sid.is_not(None)))
        )
    reached_twilio = set(requests_per_message(fake_twilio))
    in_flight = reached_twilio - recorded  # Twilio got it, the worker died before recording
    assert 0 < at_kill["sent"] < 200, at_kill  # killed mid-run ...
    assert at_kill["sending"] > 0, at_kill  # ... holding claimed rows
    assert len(in_flight) <= 1  # one request at a time: at most one message in the window

    # The dead worker's claims expire (claim_seconds); rather than wait, let the time pass.
    with db.session() as session:
        session.execute(
            update(store.Outbox)
            .where(store.Outbox.state == "sending")
            .values(claimed_until=store.utcnow())
        )
    fake_twilio.delay = 0
    second = _worker(database_url, fake_twilio.url, "drill-2", log, once=False)
    try:
        _wait_for(lambda: states(db)["sent"] == 200, 120, "all 200 rows sent", log, second)
        second.send_signal(signal.SIGTERM)  # a graceful stop finishes and exits 0
        assert second.wait(timeout=30) == 0
    finally:
        if second.poll() is None:
            second.kill()

    counts = requests_per_message(fake_twilio)
    assert sorted(counts) == sorted(ids)  # every row reached Twilio
    repeated = {m for m, n in counts.items() if n > 1}
    assert repeated <= in_flight, (repeated, in_flight)  # only the documented window repeats
    assert all(n <= 2 for n in counts.values())
    with db.session() as session:
        assert (
            session.scalar(
                select(func.count()).where(
                    store.Message.direction == "out", store.Message.provider_sid.is_(None)
                )
            )
            == 0
        )
    db.dispose()
    print(f"SIGKILL drill: 200 rows, state at kill {dict(at_kill)}, repeated {len(repeated)}")
