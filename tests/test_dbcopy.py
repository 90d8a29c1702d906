"""`python -m bot db copy`: a SQLite helpdesk moved whole to the test database (PostgreSQL
in CI's second pass, SQLite in the first), ids and all, and nothing half-copied."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot import conversations, dbcopy, outbox, store, tickets
from bot.app import create_app
from bot.messages import WHATSAPP, Inbound
from bot.store import Base, Store

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def source_app(tmp_path):
    """A helpdesk on its own SQLite file with a row in every table."""
    app = create_app(
        {
            "TESTING": True,
            "ENV": {"DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}", "SECRET_KEY": "s"},
        }
    )
    helpdesk = app.extensions["helpdesk"]
    helpdesk.store.migrate()
    fill(helpdesk)
    yield app
    helpdesk.store.dispose()


def fill(helpdesk) -> None:
    db = helpdesk.store
    for n, text in enumerate(["syarat bikin ktp", "sy mau bicara sm petugas", "makasih"]):
        inbound = Inbound(WHATSAPP, "+6281234567890", "+62811", text, f"SMcopy{n}")
        conversations.receive(db, helpdesk.library, helpdesk.settings, inbound, now=NOW)
    with db.session() as session:
        officer = store.User(username="ani", password_hash="x", roles="officer")
        session.add(officer)
        session.flush()
        ticket = session.scalars(select(store.Ticket)).one()
        tickets.claim(session, ticket.id, officer, NOW)
        contact = session.get(store.Contact, ticket.contact_id)
        reply = outbox.enqueue(
            session, contact, body="Halo, dibantu ya", ticket_id=ticket.id, officer_id=officer.id
        )
        session.flush()
        session.add(
            store.MessagePart(message_id=reply.id, position=0, provider_sid="SMp", status="sent")
        )
        report = store.PungliReport(
            code="PGL-ABCDEF", channel="whatsapp", what="x", reporter_ref="t"
        )
        session.add(report)
        session.flush()
        session.add_all(
            [
                store.PungliEvidence(
                    report_id=report.id, source_url="https://x/1", content_type="image/jpeg"
                ),
                store.PungliNote(report_id=report.id, author_id=officer.id, body="dicek"),
                store.DeadLetter(path="/webhooks/twilio", reason="no From", payload={"a": "b"}),
                store.DailyCount(
                    day=dt.date(2026, 1, 1),
                    channel="sms",
                    direction="in",
                    author="citizen",
                    kind="message",
                    outcome="answer",
                    count=7,
                ),
                store.FaqChange(
                    user_id=officer.id, entry_id="biaya", file="faq/biaya.yaml", action="edit"
                ),
                store.OfficeChange(
                    office_id="palembang", action="edit", before_yaml="a", after_yaml="b"
                ),
            ]
        )
        store.audit(session, officer.id, "test.filled")


def rows(db: Store) -> dict[str, list[dict]]:
    with db.engine.connect() as conn:
        return {
            table.name: [
                dict(row)
                for row in conn.execute(
                    select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for table in Base.metadata.sorted_tables
        }


def test_every_table_is_copied_with_its_ids_and_new_rows_follow_them(source_app, database_url):
    source = source_app.extensions["helpdesk"]
    before = rows(source.store)
    assert all(before.values()), [name for name, found in before.items() if not found]
    target = Store(database_url)
    try:
        copied = dbcopy.copy(source.store, target)
        assert copied.rows == {name: len(found) for name, found in before.items()}
        assert rows(target) == before
        # The ids' sequences moved past the copied rows: the next message is a new row.
        inbound = Inbound(WHATSAPP, "+6281234567890", "+62811", "halo lagi", "SMafter")
        receipt = conversations.receive(target, source.library, source.settings, inbound, now=NOW)
        assert receipt.message_id > max(m["id"] for m in before["messages"])
        with target.session() as session:
            audit = store.AuditLog(action="after.copy")
            session.add(audit)
            session.flush()
            assert audit.id > max(a["id"] for a in before["audit_log"])
    finally:
        target.dispose()


def test_a_target_with_data_is_refused_and_left_as_it_was(source_app, database_url):
    source = source_app.extensions["helpdesk"].store
    target = Store(database_url)
    try:
        with target.session() as session:
            session.add(store.User(username="budi", password_hash="x", roles="admin"))
        with pytest.raises(dbcopy.CopyError, match="users"):
            dbcopy.copy(source, target)
        with target.session() as session:
            assert session.scalar(select(func.count()).select_from(store.Message)) == 0
            assert session.scalars(select(store.User.username)).all() == ["budi"]
    finally:
        target.dispose()


def test_a_failure_midway_leaves_the_target_empty(source_app, database_url, monkeypatch):
    copy_table = dbcopy._copy_table

    def failing(read, write, table):
        if table.name == "messages":
            raise RuntimeError("disk full")
        return copy_table(read, write, table)

    monkeypatch.setattr(dbcopy, "_copy_table", failing)
    target = Store(database_url)
    try:
        with pytest.raises(RuntimeError):
            dbcopy.copy(source_app.extensions["helpdesk"].store, target)
        assert not any(rows(target).values())
    finally:
        target.dispose()


def test_a_source_without_the_schema_is_refused(tmp_path, database_url):
    source, target = Store(f"sqlite:///{tmp_path / 'empty.db'}"), Store(database_url)
    try:
        with pytest.raises(dbcopy.CopyError, match="db upgrade"):
            dbcopy.copy(source, target)
    finally:
        source.dispose()
        target.dispose()


def test_the_cli_copies_and_says_what_to_do_next(source_app, database_url):
    runner = source_app.test_cli_runner()
    result = runner.invoke(args=["db", "copy", database_url])
    assert result.exit_code == 0, result.output
    assert "messages" in result.output and "Setel DATABASE_URL" in result.output
    again = runner.invoke(args=["db", "copy"], env={"TARGET_DATABASE_URL": database_url})
    assert again.exit_code == 1 and "Tidak disalin" in again.output


def test_a_sqlite_backup_is_the_committed_state_while_a_writer_is_busy(source_app, tmp_path):
    db = source_app.extensions["helpdesk"].store
    committed = rows(db)
    with db.session() as writing:  # a write transaction still open during the backup
        writing.add(store.DeadLetter(path="/x", reason="not committed yet", payload={}))
        writing.flush()
        path = dbcopy.backup(db, tmp_path / "backup.db")
    copy = Store(f"sqlite:///{path}")
    try:
        assert rows(copy) == committed
    finally:
        copy.dispose()
    assert not (tmp_path / "backup.db.partial").exists()


def test_a_backup_never_overwrites_and_postgresql_is_pointed_to_pg_dump(source_app, tmp_path):
    db = source_app.extensions["helpdesk"].store
    existing = tmp_path / "old-backup.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(dbcopy.CopyError, match="sudah ada"):
        dbcopy.backup(db, existing)
    assert existing.read_bytes() == b"keep me"
    postgres = Store("postgresql://postgres@127.0.0.1:5432/anything")  # never connected
    with pytest.raises(dbcopy.CopyError, match="pg_dump"):
        dbcopy.backup(postgres, tmp_path / "pg.db")


def test_the_backup_cli(source_app, tmp_path):
    result = source_app.test_cli_runner().invoke(args=["db", "backup", str(tmp_path / "b.db")])
    assert result.exit_code == 0, result.output
    assert "Cadangan database" in result.output and (tmp_path / "b.db").stat().st_size > 0
