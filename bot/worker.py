"""The outbox worker: claim due rows, send them through the Sender, record what happened.

No database transaction is open while the provider is called: a claim (one short
transaction) takes rows with a lease, each send happens outside any transaction, and
its SID is recorded in a second short transaction right after the provider answers.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot import outbox
from bot.store import Store, utcnow

log = logging.getLogger(__name__)

# Recording a SID the provider already accepted is retried this often (bounded): losing
# it would send the message again once the claim expires.
RECORD_TRIES = 5


def worker_id(name: str | None = None) -> str:
    """Return a claim token unique to this process, readable in the outbox table."""
    base = name or socket.gethostname()
    return f"{base[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    """Moves outbox rows from pending to sent or failed, one at a time, in id order."""

    def __init__(
        self,
        db: Store,
        sender: outbox.Sender,
        settings: outbox.Settings,
        *,
        name: str | None = None,
        rng: random.Random | None = None,
        clock: Callable = utcnow,
        idle: Iterable[Callable[[], object]] = (),
    ):
        self.db = db
        # Side work done when no message is due (pungli evidence downloads, daily purge).
        self.idle = tuple(idle)
        self.sender = sender
        self.settings = settings
        self.id = worker_id(name)
        self.rng = rng or random.Random()
        self.clock = clock

    def run_once(self) -> int:
        """Claim one batch of due rows and handle each; return how many were claimed."""
        with self.db.session() as session:
            ids = outbox.claim(
                session,
                self.id,
                now=self.clock(),
                limit=self.settings.batch_size,
                lease_seconds=self.settings.claim_seconds,
            )
        for outbox_id in ids:
            self.deliver(outbox_id)
        return len(ids)

    def drain(self, stop: threading.Event | None = None) -> int:
        """Handle batches until nothing is due now (or `stop` is set); return rows claimed."""
        total = 0
        while not (stop and stop.is_set()):
            claimed = self.run_once()
            total += claimed
            if not claimed:
                break
        return total

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set: handle due rows, wait `poll_seconds` when idle."""
        log.info("outbox worker %s started (%s)", self.id, type(self.sender).__name__)
        while not stop.is_set():
            try:
                claimed = self.run_once()
            except SQLAlchemyError as exc:
                # The database is away (restart, network): wait and try again.
                log.error("outbox worker %s: database error: %s", self.id, type(exc).__name__)
                claimed = 0
            if not claimed:
                self._idle()
                stop.wait(self.settings.poll_seconds)
        log.info("outbox worker %s stopped", self.id)

    def _idle(self) -> None:
        for task in self.idle:
            try:
                task()
            except Exception:  # noqa: BLE001 - side work never stops the sending loop
                log.exception("outbox worker %s: idle task failed", self.id)

    def deliver(self, outbox_id: int) -> str:
        """Send one claimed row part by part; return its state afterwards."""
        settings, now = self.settings, self.clock()
        with self.db.session() as session:
            job = outbox.load_job(session, outbox_id, self.id)
            if job is None:
                return "lost"
            if not job.parts:
                outbox.fail(session, job, outbox.EMPTY, "nothing to send", self.id, now=now)
                return "failed"
            if job.attempts > settings.max_attempts:
                # Claimed more often than allowed without an answer: workers died on it.
                outbox.fail(session, job, outbox.GAVE_UP, "too many claims", self.id, now=now)
                return "failed"
        for position, part in enumerate(job.parts):
            if position in job.sent:
                continue
            with self.db.session() as session:
                if not outbox.renew(
                    session,
                    job.outbox_id,
                    self.id,
                    now=self.clock(),
                    lease_seconds=settings.claim_seconds,
                ):
                    log.warning("outbox %s: claim lost before sending", job.outbox_id)
                    return "lost"
            result = self.sender.send(part)
            if result.ok:
                self._record(job, position, result)
                continue
            with self.db.session() as session:
                if result.retryable:
                    state = outbox.retry_later(
                        session,
                        job,
                        result,
                        self.id,
                        now=self.clock(),
                        settings=settings,
                        rng=self.rng,
                    )
                else:
                    outbox.fail(
                        session, job, result.error_code, result.detail, self.id, now=self.clock()
                    )
                    state = "failed"
            log.warning(
                "outbox %s (message %s) attempt %s: %s %s → %s",
                job.outbox_id,
                job.message_id,
                job.attempts,
                result.error_code,
                result.detail,
                state,
            )
            return state
        return "sent"

    def _record(self, job: outbox.Job, position: int, result: outbox.SendResult) -> None:
        for attempt in range(1, RECORD_TRIES + 1):
            try:
                with self.db.session() as session:
                    outbox.record_part(
                        session,
                        job,
                        position,
                        result,
                        self.id,
                        now=self.clock(),
                        lease_seconds=self.settings.claim_seconds,
                    )
                return
            except OperationalError as exc:
                if attempt == RECORD_TRIES:
                    log.error(
                        "outbox %s: provider accepted %s but it could not be recorded: %s",
                        job.outbox_id,
                        result.sid,
                        type(exc).__name__,
                    )
                    raise
                time.sleep(min(2**attempt * 0.1, 2.0))


def status_checks(db: Store, sender, *, clock: Callable = utcnow, limit: int = 50):
    """Return the idle task that asks the provider for statuses no callback brought
    (outbox.STATUS_CHECKS), or None when the sender cannot ask (the local sender)."""
    fetch = getattr(sender, "fetch_status", None)
    if fetch is None:
        return None

    def job() -> int:
        with db.session() as session:
            due = outbox.due_status_checks(session, clock(), limit)
        for sid in due:
            found = fetch(sid)  # outside any transaction, like a send
            with db.session() as session:
                outbox.record_check(session, sid, found, clock())
        return len(due)

    return job


def serve(app, *, once: bool = False, name: str | None = None, echo=print) -> int:
    """Run a worker with the app's database, sender and settings; return rows handled.

    Without Twilio credentials the local sender is used (messages appear in the
    simulator). SIGTERM and SIGINT finish the message in hand, then stop.
    """
    import signal

    from bot import pungli_reports, purge
    from webhooks.media import fetcher_from_config
    from webhooks.sender import sender_from_config

    # The twilio client logs every request's URL and headers at INFO: keep the log readable.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    helpdesk = app.extensions["helpdesk"]
    settings = outbox.Settings.from_config(helpdesk.config.get("outbox"))
    sender = sender_from_config(app.config, settings)
    evidence = pungli_reports.evidence_job(helpdesk, fetcher_from_config(app.config))
    tasks = (evidence, status_checks(helpdesk.store, sender), purge.daily_job(helpdesk))
    worker = Worker(helpdesk.store, sender, settings, name=name, idle=[t for t in tasks if t])
    if getattr(sender, "local", False):
        echo(
            f"Pekerja {worker.id}: mode lokal (tanpa akun Twilio) — pesan keluar ditandai "
            "terkirim dan tampil di simulator."
        )
    else:
        echo(f"Pekerja {worker.id}: mengirim lewat Twilio.")
    if once:
        handled = worker.drain()
        worker._idle()
        return handled
    stop = threading.Event()

    def _stop(signum, _frame):
        log.info("outbox worker %s: signal %s, stopping", worker.id, signum)
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    worker.run(stop)
    return 0
