"""Console accounts: creation rules, login with lockout, and the `users` commands."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from bot import accounts, store

NOW = dt.datetime(2026, 3, 3, 3, 0, tzinfo=dt.UTC)
SECRET = "rahasia-123"
POLICY = accounts.LoginPolicy(max_failures=5, lock_minutes=15, failure_delay_seconds=0)


@pytest.fixture
def db(database_url, monkeypatch):
    from werkzeug import security

    monkeypatch.setattr(
        accounts,
        "generate_password_hash",
        lambda p: security.generate_password_hash(p, method="pbkdf2:sha256:1000"),
    )
    database = store.Store(database_url)
    yield database
    database.dispose()


def create(db, username="budi", roles=("officer",), password=SECRET):
    with db.session() as session:
        user, password = accounts.create_user(session, username, roles, password=password)
        return user.id, password


def attempt(db, password, at=NOW, username="budi"):
    with db.session() as session:
        user = accounts.authenticate(session, username, password, at, POLICY)
        return user.username if user else None


def audit(db) -> list[tuple[str, dict]]:
    with db.session() as session:
        return [(a.action, a.detail) for a in session.scalars(select(store.AuditLog))]


def test_right_password_logs_in_and_is_audited(db):
    create(db)
    assert attempt(db, "rahasia-123") == "budi"
    assert attempt(db, "rahasia-123", username="  BUDI ") == "budi"
    assert ("login", {}) in audit(db)


def test_lock_after_five_failures_for_fifteen_minutes(db):
    create(db)
    for _ in range(4):
        assert attempt(db, "salah") is None
    assert attempt(db, "rahasia-123") == "budi"  # a success resets the count
    for _ in range(5):
        assert attempt(db, "salah") is None
    assert attempt(db, "rahasia-123", NOW + dt.timedelta(minutes=14)) is None
    assert attempt(db, "rahasia-123", NOW + dt.timedelta(minutes=16)) == "budi"
    actions = [action for action, _ in audit(db)]
    assert actions.count("login.locked") == 1
    assert actions.count("login.failed") == 10  # nine wrong passwords + one while locked


def test_unknown_and_disabled_accounts_fail_like_a_wrong_password(db):
    create(db)
    with db.session() as session:
        accounts.disable_user(session, "budi")
    assert attempt(db, "rahasia-123") is None
    assert attempt(db, "rahasia-123", username="tidakada") is None
    reasons = [d.get("reason") for action, d in audit(db) if action == "login.failed"]
    assert reasons == ["disabled", "unknown"]


@pytest.mark.parametrize(
    ("username", "roles", "password", "problem"),
    [
        ("Budi Santoso", ("officer",), "rahasia-123", "nama pengguna"),
        ("b", ("officer",), "rahasia-123", "nama pengguna"),
        ("budi", ("boss",), "rahasia-123", "peran tidak dikenal"),
        ("budi", (), "rahasia-123", "minimal satu peran"),
        ("budi", ("officer",), "pendek", "minimal 8"),
    ],
)
def test_account_rules(db, username, roles, password, problem):
    with pytest.raises(accounts.AccountError, match=problem), db.session() as session:
        accounts.create_user(session, username, roles, password=password)


def test_usernames_are_unique(db):
    create(db)
    with pytest.raises(accounts.AccountError, match="sudah ada"), db.session() as session:
        accounts.create_user(session, "budi", ["officer"])


def test_one_account_holds_several_roles(db):
    user_id, _ = create(db, roles=("supervisor", "officer", "officer"))
    with db.session() as session:
        assert session.get(store.User, user_id).role_set == {"officer", "supervisor"}


def test_generated_password_is_returned_and_works(db):
    _, password = create(db, password=None)
    assert len(password) >= 8
    assert attempt(db, password) == "budi"


def test_password_change_unlocks(db):
    create(db)
    for _ in range(5):
        attempt(db, "salah")
    with db.session() as session:
        accounts.change_password(session, "budi", "baru-baru-123", actor_id=None)
    assert attempt(db, "baru-baru-123") == "budi"


# ---------------------------------------------------------------- python -m bot users …


@pytest.fixture
def runner(app, monkeypatch):
    from werkzeug import security

    monkeypatch.setattr(
        accounts,
        "generate_password_hash",
        lambda p: security.generate_password_hash(p, method="pbkdf2:sha256:1000"),
    )
    return app.test_cli_runner()


def test_users_add_passwd_disable_list(runner, app):
    result = runner.invoke(
        args=[
            "users",
            "add",
            "rina",
            "--role",
            "officer",
            "--role",
            "editor",
            "--name",
            "Rina Sari",
        ]
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"Kata sandi: (\S+)", result.output).group(1)
    helpdesk = app.extensions["helpdesk"]
    with helpdesk.store.session() as session:
        user = accounts.find_user(session, "rina")
        assert user.roles == "editor officer" and user.display_name == "Rina Sari"
        assert accounts.check_password(user, password)

    result = runner.invoke(args=["users", "passwd", "rina"])
    assert result.exit_code == 0
    new = re.search(r"rina: (\S+)", result.output).group(1)
    assert new != password
    result = runner.invoke(args=["users", "disable", "rina"])
    assert result.exit_code == 0
    listing = runner.invoke(args=["users", "list"]).output
    assert re.search(r"rina\s+nonaktif\s+editor officer", listing)
    with helpdesk.store.session() as session:
        actions = session.scalars(select(store.AuditLog.action)).all()
    assert {"user.create", "user.password", "user.update"} <= set(actions)


def test_users_commands_report_problems(runner):
    assert runner.invoke(args=["users", "add", "rina", "--role", "boss"]).exit_code == 2
    assert runner.invoke(args=["users", "add", "rina"]).exit_code == 2  # a role is required
    runner.invoke(args=["users", "add", "rina", "--role", "officer"])
    duplicate = runner.invoke(args=["users", "add", "rina", "--role", "officer"])
    assert duplicate.exit_code == 1 and "sudah ada" in duplicate.output
    missing = runner.invoke(args=["users", "disable", "tidakada"])
    assert missing.exit_code == 1 and "tidak ada" in missing.output
