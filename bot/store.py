"""Tables and queries (SQLAlchemy 2): SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    bindparam,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(dt.UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Contact(Base):
    """A citizen on one channel (WhatsApp and SMS from one number are two contacts)."""

    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("channel", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    number: Mapped[str] = mapped_column(String(32))
    profile_name: Mapped[str | None] = mapped_column(String(200))
    office_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Dialogue state between messages: last numbered options, current flow and its data.
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Message(Base):
    """One message in or out; provider SIDs are unique so Twilio's retries are dropped."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    author: Mapped[str] = mapped_column(String(16))  # citizen | bot | officer | system
    kind: Mapped[str] = mapped_column(String(16), default="message")  # message | note | pungli
    body: Mapped[str] = mapped_column(Text, default="")
    media: Mapped[list] = mapped_column(JSON, default=list)  # [{url, content_type}]
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # in: received | out: replied (TwiML) | queued | sent | delivered | read | failed | undelivered
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    meta: Mapped[dict] = mapped_column(JSON, default=dict)  # matcher outcome, entry, score, reason
    # meta's outcome and answered entries as plain columns, so reports can GROUP BY them
    # on SQLite and PostgreSQL alike (filled by conversations.receive); also_entry_id is
    # the second answer of a message that asked two questions (meta["also"]).
    outcome: Mapped[str | None] = mapped_column(String(20))
    entry_id: Mapped[str | None] = mapped_column(String(100))
    also_entry_id: Mapped[str | None] = mapped_column(String(100))
    raw: Mapped[dict] = mapped_column(JSON, default=dict)  # the provider's form, as received
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship()
    ticket: Mapped[Ticket | None] = relationship()

    # Covers the dashboard's range scans (bot/reports.py): counted from the index alone.
    __table_args__ = (
        Index(
            "ix_messages_report",
            "direction",
            "created_at",
            "author",
            "kind",
            "outcome",
            "contact_id",
            "entry_id",
            "also_entry_id",
            "ticket_id",
        ),
    )


class Ticket(Base):
    """A conversation handed to officers: open → claimed → closed."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    office_id: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    reason: Mapped[str] = mapped_column(String(32))  # escalated | handoff | too_long | media
    matcher_reason: Mapped[str | None] = mapped_column(Text)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_citizen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The citizen's oldest message no officer has answered yet (None: nobody is waiting);
    # the queue is ordered by it.
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    resolution: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None] = mapped_column(Integer)

    contact: Mapped[Contact] = relationship()
    assignee: Mapped[User | None] = relationship()


class User(Base):
    """A console account; roles are a space-separated set (officer editor supervisor …)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[str] = mapped_column(String(200), default="officer")
    offices: Mapped[list] = mapped_column(JSON, default=list)  # office ids; empty = all
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())


class Outbox(Base):
    """A message waiting to be sent by a worker; committed with the action that sends it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    message: Mapped[Message] = relationship()


class MessagePart(Base):
    """One provider message of an outbound message (long texts go out in several parts).

    A row is written right after the provider accepts the part, so a worker that resumes
    the message skips the parts already sent; status callbacks find the part by its SID.
    """

    __tablename__ = "message_parts"
    __table_args__ = (UniqueConstraint("message_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0 = first part
    provider_sid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the worker asks the provider for a status no callback brought (None: never
    # again); see outbox.due_status_checks.
    next_check_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditLog(Base):
    """Who did what to which record, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


# Message.kind of the messages of a pungli report (the flow, CEK answers, status updates):
# confidential, so no officer view may show them and they never belong to a ticket.
PUNGLI_KIND = "pungli"


class PungliReport(Base):
    """A citizen's report of an illegal levy; only investigators see it (bot.pungli_reports).

    There is no foreign key to the contact: `reporter_ref` is the contact id encrypted
    with the server's key, so only the code that sends status updates can resolve it.
    """

    __tablename__ = "pungli_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # random tracking code
    # diterima | diverifikasi | ditindaklanjuti | selesai | tidak_terbukti
    status: Mapped[str] = mapped_column(String(20), default="diterima", index=True)
    office_id: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str | None] = mapped_column(String(32))  # key from config pungli.places
    place_detail: Mapped[str | None] = mapped_column(String(200))
    happened_on: Mapped[dt.date | None] = mapped_column(Date)
    when_text: Mapped[str | None] = mapped_column(String(100))  # the citizen's own words
    amount: Mapped[int | None] = mapped_column(BigInteger)  # rupiah
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    reporter_name: Mapped[str | None] = mapped_column(String(100))  # only when named
    reporter_ref: Mapped[str] = mapped_column(Text)  # Fernet token of the contact id
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PungliEvidence(Base):
    """A file the reporter sent: fetched by the worker, stored outside the web root."""

    __tablename__ = "pungli_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("pungli_reports.id"), index=True)
    source_url: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # stored|failed
    stored_name: Mapped[str | None] = mapped_column(String(100))  # random file name
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PungliNote(Base):
    """An investigator's note on a report, with the status change it came with (if any)."""

    __tablename__ = "pungli_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("pungli_reports.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    status_from: Mapped[str | None] = mapped_column(String(20))
    status_to: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


class DeadLetter(Base):
    """A signed request that could not be read as a message, kept for a human to see."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    path: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)


class DailyCount(Base):
    """Messages per local day, counted by `python -m bot purge` before it deletes them.

    Long-range totals = these rows + the messages still stored (bot/purge.py); `outcome`
    is "" when the message had none.
    """

    __tablename__ = "daily_counts"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # in office.timezone
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    author: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True, default="")
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class FaqChange(Base):
    """One FAQ edit made in the console: the entry's YAML before and after (history, revert)."""

    __tablename__ = "faq_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entry_id: Mapped[str] = mapped_column(String(100), index=True)
    file: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(16))  # add | edit | retire | restore | revert
    before_yaml: Mapped[str | None] = mapped_column(Text)  # None: the entry was added
    after_yaml: Mapped[str | None] = mapped_column(Text)
    base_version: Mapped[str | None] = mapped_column(String(64))  # hash the editor started from
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("faq_changes.id"))
    # Evaluation cases before/after the save (bot.faq_editing.compare).
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class OfficeChange(Base):
    """One office edit made in the console (hours, holidays, blank stock): before and after."""

    __tablename__ = "office_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    office_id: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(16))  # edit | revert
    before_yaml: Mapped[str] = mapped_column(Text)  # the office's block of offices.yaml
    after_yaml: Mapped[str] = mapped_column(Text)
    base_version: Mapped[str | None] = mapped_column(String(64))  # hash the editor started from
    reverts_id: Mapped[int | None] = mapped_column(ForeignKey("office_changes.id"))

    user: Mapped[User | None] = relationship()


# ---------------------------------------------------------------- engine, sessions


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and write-ahead locking."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            # Let SQLAlchemy (not the driver) decide when transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Take the write lock up front: two processes never deadlock on an upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


class WriterQueue:
    """This host's turns at writing one SQLite file: a blocking lock on a file beside it.

    SQLite lets one writer in at a time; the others retry in its busy handler, which
    sleeps 1, 2, 5 … 100 ms between tries, so under load an unlucky writer waits hundreds
    of milliseconds while newcomers pass it. A writer waiting on flock() instead wakes as
    soon as the lock is free. Each turn opens its own descriptor, so threads of one process
    wait for each other too (flock belongs to the open file, not the process). Only the
    webhook's short write bursts take turns (Store.queued_session): their code waits for
    nothing else while holding one, so a turn can not deadlock. Other writers still meet
    them at SQLite's own lock (BEGIN IMMEDIATE, busy timeout), as before.
    """

    def __init__(self, path: str | None):
        self.path = path

    @classmethod
    def for_url(cls, url: str) -> WriterQueue:
        """Return the queue of a SQLite file; a no-op for PostgreSQL and in-memory SQLite."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return cls(None)
        return cls(parsed.database + "-writers")

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait until no other writer of this host holds its turn; hold it inside."""
        try:
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600) if self.path else None
        except OSError:
            descriptor = None  # no folder: SQLite itself reports the outage (503)
        if descriptor is None:
            yield
            return
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)  # releases the lock


class Store:
    """The database: an engine and a session factory."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.writers = WriterQueue.for_url(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session in one transaction: committed on success, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def queued_session(self) -> Iterator[Session]:
        """Yield a session like session(), after waiting for this host's turn to write
        (SQLite; see WriterQueue). For short write bursts that wait for nothing else."""
        with self.writers.turn(), self.session() as session:
            yield session

    def ping(self) -> bool:
        """Return True when the database answers."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False

    def migrate(self) -> None:
        """Bring the schema to the newest migration."""
        from alembic import command

        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):
    """Return an Alembic config for this database, without an alembic.ini on disk."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = url
    return cfg


# ---------------------------------------------------------------- small queries


def find_contact(session: Session, channel: str, number: str) -> Contact | None:
    """Return the contact for a channel and number, if any."""
    return session.scalars(
        select(Contact).where(Contact.channel == channel, Contact.number == number)
    ).one_or_none()


_CONTACT_AND_OPEN_TICKET = (
    select(Contact, Ticket)
    .outerjoin(Ticket, (Ticket.contact_id == Contact.id) & (Ticket.state != "closed"))
    .where(Contact.channel == bindparam("channel"), Contact.number == bindparam("number"))
    .order_by(Ticket.id.desc())
    .limit(1)
    # The contact row stays locked until the message's transaction ends (PostgreSQL; SQLite
    # writers are serialised anyway): a console action writing contacts.state at the same
    # moment (a held reply) waits instead of being overwritten. FOR NO KEY UPDATE, not FOR
    # UPDATE: rows inserted elsewhere that point at the contact (an officer's reply) only
    # take KEY SHARE on it and must not wait (they hold their ticket: a deadlock).
    .with_for_update(of=Contact, key_share=True)
)


def find_contact_and_ticket(
    session: Session, channel: str, number: str
) -> tuple[Contact | None, Ticket | None]:
    """Return the contact for a channel and number and its ticket that is not closed
    (each None when there is none), in one query."""
    row = session.execute(
        _CONTACT_AND_OPEN_TICKET, {"channel": channel, "number": number}
    ).one_or_none()
    return (row[0], row[1]) if row else (None, None)


def open_ticket_for(session: Session, contact_id: int) -> Ticket | None:
    """Return the contact's ticket that is not closed, if any."""
    return session.scalars(
        select(Ticket)
        .where(Ticket.contact_id == contact_id, Ticket.state != "closed")
        .order_by(Ticket.id.desc())
        .limit(1)
    ).one_or_none()


def last_author(session: Session, history, key_column, key: str, current_yaml: str):
    """Return (name, time) of whoever wrote a YAML block's current text, from a history
    table (FaqChange, OfficeChange); (None, None) when it was edited outside the console."""
    last = session.scalars(
        select(history).where(key_column == key).order_by(history.id.desc()).limit(1)
    ).first()
    if last is None or last.after_yaml != current_yaml:
        return None, None
    who = (last.user.display_name or last.user.username) if last.user else None
    return who, last.at


def audit(session: Session, actor_id, action: str, target_type=None, target_id=None, **detail):
    """Add an audit-log row in the caller's transaction."""
    session.add(
        AuditLog(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id),
            detail=detail,
        )
    )
