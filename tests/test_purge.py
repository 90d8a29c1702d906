"""Retention (`python -m bot purge`): old conversations and evidence go, counts per WIB day
stay exact however often it runs, and open tickets, unsent messages and reports under
investigation are never touched — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from bot import pungli_reports, store
from bot import purge as retention
from bot.pungli import Settings as PungliSettings
from bot.store import Store

WIB = ZoneInfo("Asia/Jakarta")
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
CUTOFF = retention.cutoff_for(365, NOW)
OLD = dt.datetime(2025, 1, 1, 17, 30, tzinfo=dt.UTC)  # 2 January 2025, 00:30 WIB
OLDER = dt.datetime(2024, 11, 5, 3, 0, tzinfo=dt.UTC)
RECENT = NOW - dt.timedelta(days=10)
KEYS = pungli_reports.derive_keys("test-secret")
TABLES = (
    store.Message,
    store.Contact,
    store.Ticket,
    store.Outbox,
    store.MessagePart,
    store.DeadLetter,
    store.PungliReport,
    store.PungliEvidence,
)


@pytest.fixture
def db(database_url):
    db = Store(database_url)
    yield db
    db.dispose()


class Seed:
    """A database a year and a half old: one citizen per rule, explicit timestamps."""

    def __init__(self, db: Store, folder):
        self.folder = folder
        folder.mkdir()
        with db.session() as s:
            self.gone = self._contact(s, "+6281100000001")  # old, nothing open: all goes
            self._messages(s, self.gone, [OLD, OLD, OLDER], out=OLD)
            sent = self._out(s, self.gone, OLD, outbox="sent")
            s.add(
                store.MessagePart(
                    message_id=sent,
                    position=0,
                    provider_sid="SMpart1",
                    status="delivered",
                    created_at=OLD,
                )
            )
            self._out(s, self.gone, OLDER, outbox="failed")

            self.waiting = self._contact(s, "+6281100000002")  # an open ticket: all stays
            ticket = self._ticket(s, self.waiting, "open", opened=OLDER)
            self._messages(s, self.waiting, [OLDER, OLD], ticket=ticket)
            self._messages(s, self.waiting, [OLDER])

            self.returning = self._contact(s, "+6281100000003")  # old closed ticket + new
            self.old_ticket = self._ticket(s, self.returning, "closed", opened=OLDER, closed=OLD)
            self._messages(s, self.returning, [OLDER, OLD], ticket=self.old_ticket)
            self._messages(s, self.returning, [RECENT])

            self.unsent = self._contact(s, "+6281100000004")  # a reply still in the outbox
            self.pending_message = self._out(s, self.unsent, OLD, outbox="pending")
            self._messages(s, self.unsent, [OLD])

            self.reporter = self._contact(s, "+6281100000005")  # report under investigation
            self._messages(s, self.reporter, [OLD, OLD], kind=store.PUNGLI_KIND)
            self.active = self._report(s, self.reporter, "diverifikasi", OLD, "aktif.pdf")

            self.closed_reporter = self._contact(s, "+6281100000006")  # report closed long ago
            self._messages(s, self.closed_reporter, [OLD], kind=store.PUNGLI_KIND)
            self.closed = self._report(s, self.closed_reporter, "selesai", OLD, "lama.pdf")
            self.recently_closed = self._report(
                s, self.closed_reporter, "tidak_terbukti", RECENT, "baru.pdf"
            )

            self.slow = self._contact(s, "+6281100000007")  # ticket closed recently
            self.recent_ticket = self._ticket(s, self.slow, "closed", opened=OLD, closed=RECENT)
            self._messages(s, self.slow, [OLD], ticket=self.recent_ticket)

            s.add(store.DeadLetter(received_at=OLD, path="/webhooks/twilio", reason="x"))
            s.add(store.DeadLetter(received_at=RECENT, path="/webhooks/twilio", reason="y"))

    def _contact(self, s, number: str, channel: str = "whatsapp") -> int:
        contact = store.Contact(channel=channel, number=number, created_at=OLDER)
        s.add(contact)
        s.flush()
        return contact.id

    def _messages(self, s, contact, times, ticket=None, kind="message", out=None):
        for at in times:
            s.add(
                store.Message(
                    contact_id=contact,
                    ticket_id=ticket,
                    direction="in",
                    author="citizen",
                    kind=kind,
                    body="ktp hilang",
                    status="received",
                    outcome="escalate" if ticket else "answer",
                    created_at=at,
                )
            )
            if out:
                s.add(
                    store.Message(
                        contact_id=contact,
                        direction="out",
                        author="bot",
                        kind=kind,
                        body="jawaban",
                        status="replied",
                        created_at=out,
                    )
                )
        s.flush()

    def _out(self, s, contact, at, outbox: str) -> int:
        message = store.Message(
            contact_id=contact,
            direction="out",
            author="officer",
            body="balasan",
            status="queued",
            created_at=at,
        )
        s.add(message)
        s.flush()
        s.add(store.Outbox(message_id=message.id, state=outbox, created_at=at, next_attempt_at=at))
        return message.id

    def _ticket(self, s, contact, state, opened, closed=None) -> int:
        ticket = store.Ticket(
            contact_id=contact, state=state, reason="escalated", opened_at=opened, closed_at=closed
        )
        s.add(ticket)
        s.flush()
        return ticket.id

    def _report(self, s, contact, status, updated, filename) -> int:
        ps = PungliSettings(texts={}, places=(), statuses={}, explanations={}, keys=KEYS)
        report = store.PungliReport(
            code=f"PGL-{filename[:4].upper()}",
            status=status,
            channel="whatsapp",
            what="diminta uang",
            anonymous=False,
            reporter_name="Budi",
            reporter_ref=pungli_reports.encrypt_ref(contact, ps),
            created_at=OLDER,
            updated_at=updated,
        )
        s.add(report)
        s.flush()
        (self.folder / filename).write_bytes(b"%PDF-1.4 bukti")
        s.add(
            store.PungliEvidence(
                report_id=report.id,
                source_url="https://api.twilio.com/x",
                content_type="application/pdf",
                state="stored",
                stored_name=filename,
                created_at=OLD,
            )
        )
        return report.id


def totals(db: Store) -> Counter:
    """Messages ever counted, per (WIB day, channel, direction, author, kind, outcome):
    the stored messages plus daily_counts."""
    found = Counter()
    with db.session() as s:
        for at, channel, direction, author, kind, outcome in s.execute(
            select(
                store.Message.created_at,
                store.Contact.channel,
                store.Message.direction,
                store.Message.author,
                store.Message.kind,
                store.Message.outcome,
            ).join(store.Contact, store.Contact.id == store.Message.contact_id)
        ):
            found[(at.astimezone(WIB).date(), channel, direction, author, kind, outcome or "")] += 1
        for row in s.scalars(select(store.DailyCount)):
            key = (row.day, row.channel, row.direction, row.author, row.kind, row.outcome)
            found[key] += row.count
    return found


def table_sizes(db: Store) -> dict[str, int]:
    with db.session() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in TABLES}


def run(db: Store, folder, **kwargs) -> retention.Result:
    return retention.purge(
        db, CUTOFF, timezone=WIB, pungli_keys=KEYS, evidence_folder=folder, **kwargs
    )


def test_purge_removes_old_conversations_and_keeps_counts_exact(db, tmp_path):
    seed = Seed(db, tmp_path / "evidence")
    before = totals(db)

    result = run(db, seed.folder)

    assert result.counts == {
        "messages": 12,
        "outbox": 2,
        "message_parts": 1,
        "tickets": 1,
        "dead_letters": 1,
        "contacts": 2,
        "evidence_files": 1,
        "reports_unlinked": 1,
    }
    assert totals(db) == before, "a purged message must be counted, once"
    with db.session() as s:
        counted = Counter()
        for r in s.scalars(select(store.DailyCount).where(store.DailyCount.kind == "message")):
            counted[(r.day, r.direction, r.author)] += r.count
        # 17:30 UTC on 1 January is 00:30 on 2 January in WIB.
        assert counted[(dt.date(2025, 1, 2), "in", "citizen")] == 4  # gone 2, returning 1, unsent 1
        assert dt.date(2025, 1, 1) not in {day for day, _, _ in counted}

        ids = {c.number for c in s.scalars(select(store.Contact))}
        assert "+6281100000001" not in ids and "+6281100000006" not in ids
        # An open ticket keeps its contact's whole history, old messages included.
        assert s.scalar(select(func.count()).where(store.Message.contact_id == seed.waiting)) == 3
        assert s.get(store.Ticket, seed.old_ticket) is None
        assert s.get(store.Ticket, seed.recent_ticket) is not None
        left = s.scalars(select(store.Message).where(store.Message.contact_id == seed.returning))
        assert [m.created_at for m in left] == [RECENT]
        # The reply still waiting in the outbox stays, with its row.
        assert s.get(store.Message, seed.pending_message) is not None
        assert s.scalar(select(store.Outbox.state)) == "pending"
        # Under investigation: the reporter's messages, the contact, the evidence.
        assert s.scalar(select(func.count()).where(store.Message.contact_id == seed.reporter)) == 2
        active = s.get(store.PungliReport, seed.active)
        assert active.reporter_ref and active.reporter_name == "Budi"
        closed = s.get(store.PungliReport, seed.closed)
        assert closed.status == "selesai" and closed.reporter_ref == ""
        assert closed.reporter_name is None
        evidence = {e.stored_name for e in s.scalars(select(store.PungliEvidence))}
        assert evidence == {"aktif.pdf", "baru.pdf"}
        assert [d.reason for d in s.scalars(select(store.DeadLetter))] == ["y"]
        audit = s.scalars(select(store.AuditLog).where(store.AuditLog.action == "purge")).one()
        assert audit.detail["messages"] == 12 and audit.detail["contacts"] == 2
        assert "+62" not in str(audit.detail) and "Budi" not in str(audit.detail)
    assert not (seed.folder / "lama.pdf").exists()
    assert (seed.folder / "aktif.pdf").exists() and (seed.folder / "baru.pdf").exists()


def test_second_run_changes_nothing_and_counts_nothing_twice(db, tmp_path):
    seed = Seed(db, tmp_path / "evidence")
    before = totals(db)
    run(db, seed.folder)
    with db.session() as s:
        daily = {
            (r.day, r.channel, r.direction, r.author, r.kind, r.outcome): r.count
            for r in s.scalars(select(store.DailyCount))
        }
    sizes = table_sizes(db)

    again = run(db, seed.folder)

    assert set(again.counts.values()) == {0}
    assert table_sizes(db) == sizes
    assert totals(db) == before
    with db.session() as s:
        assert {
            (r.day, r.channel, r.direction, r.author, r.kind, r.outcome): r.count
            for r in s.scalars(select(store.DailyCount))
        } == daily


def test_later_purge_adds_to_the_same_day(db, tmp_path):
    """A day split between two runs (a later cutoff) ends with one exact count."""
    seed = Seed(db, tmp_path / "evidence")
    with db.session() as s:
        contact = store.Contact(channel="sms", number="+6281100000009", created_at=OLDER)
        s.add(contact)
        s.flush()
        for minute in (0, 1):
            s.add(
                store.Message(
                    contact_id=contact.id,
                    direction="in",
                    author="citizen",
                    body="x",
                    status="received",
                    outcome="answer",
                    created_at=OLD + dt.timedelta(minutes=minute),
                )
            )
    before = totals(db)
    retention.purge(db, OLD + dt.timedelta(seconds=30), timezone=WIB, pungli_keys=KEYS)
    run(db, seed.folder)
    assert totals(db) == before
    with db.session() as s:
        sms = s.scalars(select(store.DailyCount).where(store.DailyCount.channel == "sms")).one()
        assert (sms.day, sms.count) == (dt.date(2025, 1, 2), 2)


def test_dry_run_deletes_nothing_and_tells_what_would_go(db, tmp_path):
    seed = Seed(db, tmp_path / "evidence")
    sizes = table_sizes(db)

    planned = run(db, seed.folder, dry_run=True)

    assert table_sizes(db) == sizes
    assert (seed.folder / "lama.pdf").exists()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(store.DailyCount)) == 0
        assert s.get(store.PungliReport, seed.closed).reporter_ref != ""
    assert planned.counts == run(db, seed.folder).counts


def test_without_the_key_every_pungli_message_is_kept(db, tmp_path):
    """Reports in progress whose reporter nobody can read: their messages are not guessed."""
    seed = Seed(db, tmp_path / "evidence")
    result = retention.purge(db, CUTOFF, timezone=WIB, pungli_keys=(), evidence_folder=seed.folder)
    assert result.unreadable_refs == 1
    with db.session() as s:
        kinds = Counter(s.scalars(select(store.Message.kind)))
    assert kinds[store.PUNGLI_KIND] == 3  # the active reporter's two, the closed one's one


def test_cli_purge_dry_run_and_older_than(app, helpdesk, tmp_path):
    folder = tmp_path / "evidence"
    helpdesk.config["pungli"]["evidence"]["folder"] = str(folder)
    Seed(helpdesk.store, folder)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Akan dihapus" in dry.output and "messages: " in dry.output
    assert table_sizes(helpdesk.store)["messages"] > 0

    done = runner.invoke(args=["purge", "--older-than", "1"])
    assert done.exit_code == 0, done.output
    with helpdesk.store.session() as s:
        # One day of retention: everything not protected goes, the recent ones too.
        assert s.scalar(select(func.count()).select_from(store.DailyCount)) > 0
        assert s.scalar(select(func.count()).select_from(store.Ticket)) == 1  # the open one
    assert runner.invoke(args=["purge", "--older-than", "0"]).exit_code != 0


def _old_message(db: Store, number: str) -> None:
    with db.session() as s:
        contact = store.Contact(channel="whatsapp", number=number, state={}, created_at=OLD)
        s.add(contact)
        s.flush()
        s.add(
            store.Message(
                contact_id=contact.id,
                direction="in",
                author="citizen",
                body="lama",
                status="received",
                created_at=OLD,
            )
        )


def _messages(db: Store) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(store.Message))


def test_worker_purges_once_a_day_when_idle(helpdesk, monkeypatch):
    from bot import outbox, worker

    monkeypatch.setattr(retention, "CHECK_EVERY", dt.timedelta(0))  # ask at every idle moment

    _old_message(helpdesk.store, "+6281100000101")
    settings = outbox.Settings.from_config(helpdesk.config.get("outbox"))
    job = retention.daily_job(helpdesk)
    idle = worker.Worker(helpdesk.store, object(), settings, idle=[job])
    idle._idle()
    assert _messages(helpdesk.store) == 0  # the first idle moment purges

    _old_message(helpdesk.store, "+6281100000102")
    idle._idle()
    assert _messages(helpdesk.store) == 1  # not again on the same day

    with helpdesk.store.session() as s:  # the last purge was 25 hours ago
        (last,) = s.scalars(select(store.AuditLog).where(store.AuditLog.action == "purge"))
        last.at = store.utcnow() - dt.timedelta(hours=25)
    idle._idle()
    assert _messages(helpdesk.store) == 0

    helpdesk.config["retention"]["in_worker"] = False
    assert retention.daily_job(helpdesk) is None  # left to cron


def test_an_idle_worker_asks_the_database_only_now_and_then(helpdesk):
    job = retention.daily_job(helpdesk)
    job()  # purges (nothing yet) and writes the audit row
    with helpdesk.store.session() as s:
        s.execute(delete(store.AuditLog))  # as if no purge had ever run
    _old_message(helpdesk.store, "+6281100000103")
    job()  # within CHECK_EVERY of the last look: no query, no purge
    assert _messages(helpdesk.store) == 1


def test_a_failing_idle_task_does_not_stop_the_next_one(helpdesk):
    from bot import outbox, worker

    done = []

    def broken():
        raise RuntimeError("boom")

    settings = outbox.Settings.from_config(helpdesk.config.get("outbox"))
    worker.Worker(helpdesk.store, object(), settings, idle=[broken, lambda: done.append(1)])._idle()
    assert done == [1]


def test_retention_days_come_from_config():
    assert retention.retention_days({"retention": {"days": 90}}) == 90
    assert retention.retention_days({}) == retention.DEFAULT_DAYS
    with pytest.raises(ValueError):
        retention.cutoff_for(0, NOW)
