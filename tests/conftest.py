"""Shared fixtures: a migrated database (SQLite, or PostgreSQL with TEST_DATABASE_URL), the
app, a client, and helpers to sign requests the way Twilio does."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from bot.app import create_app
from bot.store import Base, Store

TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC = "https://helpdesk.example.id"
PAYLOADS = Path(__file__).parent / "payloads"


def _create_postgres_database(server_url: str) -> str:
    """Create a fresh database on the server named by server_url; return its URL."""
    import psycopg

    url = make_url(server_url)
    name = f"helpdesk_test_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}", returncode=3)
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(database_url: str) -> None:
    import psycopg

    url = make_url(database_url)
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_backend(tmp_path_factory):
    """Yield (kind, url) of a migrated template database for this test session."""
    server = os.environ.get("TEST_DATABASE_URL")
    if server:
        url = _create_postgres_database(server)
        Store(url).migrate()
        yield "postgresql", url
        _drop_postgres_database(url)
    else:
        path = tmp_path_factory.mktemp("db") / "template.db"
        store = Store(f"sqlite:///{path}")
        store.migrate()
        store.dispose()
        yield "sqlite", str(path)


def empty_database(database_backend, folder: Path) -> str:
    """Return the URL of an empty, migrated database: a copy of the SQLite template in
    folder, or the PostgreSQL template emptied."""
    kind, template = database_backend
    if kind == "sqlite":
        target = folder / "helpdesk.db"
        shutil.copy(template, target)
        return f"sqlite:///{target}"
    store = Store(template)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with store.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    store.dispose()
    return template


@pytest.fixture
def database_url(database_backend, tmp_path):
    """Return the URL of an empty, migrated database for one test."""
    return empty_database(database_backend, tmp_path)


@pytest.fixture
def app(database_url):
    """Return the helpdesk app on a fresh database with the shipped FAQ."""
    app = create_app(
        {
            "TESTING": True,
            "ENV": {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
        }
    )
    yield app
    app.extensions["helpdesk"].store.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def helpdesk(app):
    return app.extensions["helpdesk"]


def payload(name: str, **changes) -> dict:
    """Return a recorded Twilio form from tests/payloads/, with some fields changed."""
    form = json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def sign(url: str, form: dict, token: str = TOKEN) -> str:
    """Return the X-Twilio-Signature Twilio would send for this URL and form."""
    return RequestValidator(token).compute_signature(url, form)


def post_signed(client, path: str, form: dict, url: str | None = None, **kwargs):
    """POST a form to the app signed for the public URL (or another URL)."""
    signature = sign(url or PUBLIC + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature}, **kwargs)


@pytest.fixture
def fake_twilio():
    """Yield a local server that plays Twilio's Messages API (tests/fake_twilio.py)."""
    from tests.fake_twilio import FakeTwilio

    fake = FakeTwilio()
    yield fake
    fake.close()


# ---------------------------------------------------------------- console helpers

PASSWORD = "kata-sandi-uji-123"


def add_user(helpdesk, username: str, *roles: str, password: str = PASSWORD) -> int:
    """Create a console account with the given roles; return its id."""
    from bot import accounts

    with helpdesk.store.session() as session:
        user, _ = accounts.create_user(
            session,
            username,
            roles or ("officer",),
            display_name=username.title(),
            password=password,
        )
        return user.id


def csrf_token(client, path: str = "/console/login") -> str:
    """Return the CSRF token of the client's session, read from a page's meta tag."""
    import re

    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


def login(client, username: str, password: str = PASSWORD):
    """Log the client in through the console's login form (CSRF included)."""
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def citizen_says(
    client, body: str, number: str = "+6281234567890", name="Siti Aminah", sms: bool = False
):
    """Deliver one citizen message through the signed Twilio webhook; return the response."""
    sid = "SM" + uuid.uuid4().hex
    sender = number if sms else f"whatsapp:{number}"
    form = payload(
        "sms_text" if sms else "whatsapp_text",
        Body=body,
        From=sender,
        MessageSid=sid,
        SmsMessageSid=sid,
        SmsSid=sid,
        ProfileName=None if sms else name,
    )
    return post_signed(client, "/webhooks/twilio", form)


def latest_ticket_id(helpdesk, number: str = "+6281234567890") -> int | None:
    """Return the id of the newest ticket of a number (any channel), if any."""
    from sqlalchemy import select

    from bot import store

    with helpdesk.store.session() as session:
        return session.scalar(
            select(store.Ticket.id)
            .join(store.Contact, store.Ticket.contact_id == store.Contact.id)
            .where(store.Contact.number == number)
            .order_by(store.Ticket.id.desc())
            .limit(1)
        )


@pytest.fixture
def quick_logins(monkeypatch, app):
    """Make console tests fast: cheap password hashes and no pause after a failed login."""
    from werkzeug import security

    from bot import accounts

    def cheap(password: str) -> str:
        return security.generate_password_hash(password, method="pbkdf2:sha256:1000")

    monkeypatch.setattr(accounts, "generate_password_hash", cheap)
    app.config["HELPDESK"].setdefault("login", {})["failure_delay_seconds"] = 0


@pytest.fixture(autouse=True)
def _root_logging_restored():
    """Put the root logger back after each test: a production app switches it to JSON lines."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
