"""Console accounts: create, change, disable, log in (hashed with werkzeug's scrypt, with
a lockout after repeated failures). Every change is audit-logged in the caller's transaction."""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot import store

# office-admin: keeps the local facts (hours, holidays, blank stock) of their own offices.
ROLES = ("officer", "editor", "supervisor", "investigator", "office-admin", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_OFFICE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class AccountError(ValueError):
    """An account change that cannot be made; the message says why (in Indonesian)."""


def find_user(session: Session, username: str) -> store.User | None:
    """Return the account with this username, if any."""
    return session.scalars(select(store.User).where(store.User.username == username)).one_or_none()


def set_user(
    session: Session,
    username: str,
    password: str,
    roles: list[str] | tuple[str, ...],
    display_name: str = "",
) -> store.User:
    """Create the account, or reset its password and roles if it exists."""
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise AccountError(f"peran tidak dikenal: {', '.join(unknown)}")
    if len(password) < 8:
        raise AccountError("kata sandi minimal 8 karakter")
    user = find_user(session, username)
    if user is None:
        user = store.User(username=username, display_name=display_name or username)
        session.add(user)
    user.password_hash = generate_password_hash(password)
    user.roles = " ".join(sorted(set(roles)))
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    return user


def check_password(user: store.User, password: str) -> bool:
    """Return True when the password matches the account's hash."""
    return check_password_hash(user.password_hash, password)


def new_password() -> str:
    """Return a random password that is easy to type."""
    return secrets.token_urlsafe(9)


# ---------------------------------------------------------------- login and lockout


@dataclass(frozen=True)
class LoginPolicy:
    """How failed logins are slowed and locked (config.yaml `login:`)."""

    max_failures: int = 5
    lock_minutes: float = 15
    failure_delay_seconds: float = 1.0

    @classmethod
    def from_config(cls, section: dict | None) -> LoginPolicy:
        """Build from config.yaml's `login:` section."""
        section = section or {}
        return cls(
            max_failures=int(section.get("max_failures", 5)),
            lock_minutes=float(section.get("lock_minutes", 15)),
            failure_delay_seconds=float(section.get("failure_delay_seconds", 1.0)),
        )


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime, policy: LoginPolicy
) -> store.User | None:
    """Return the account when the login is good; otherwise count the failure and lock the
    account after `policy.max_failures` of them. Callers answer every failure the same way,
    so nobody learns whether a username exists or is locked."""
    username = username.strip().lower()[:64]
    user = find_user(session, username) if username else None
    if user is None:
        check_password_hash(_dummy_hash(), password)  # same work as for a real account
        store.audit(
            session, None, "login.failed", "user", None, username=username, reason="unknown"
        )
        return None
    if not user.active:
        check_password_hash(_dummy_hash(), password)
        store.audit(session, user.id, "login.failed", "user", user.id, reason="disabled")
        return None
    if user.locked_until and user.locked_until > now:
        check_password_hash(_dummy_hash(), password)
        store.audit(session, user.id, "login.failed", "user", user.id, reason="locked")
        return None
    if check_password(user, password):
        user.failed_logins, user.locked_until = 0, None
        store.audit(session, user.id, "login", "user", user.id)
        return user
    user.failed_logins = (user.failed_logins or 0) + 1
    store.audit(
        session,
        user.id,
        "login.failed",
        "user",
        user.id,
        reason="password",
        failures=user.failed_logins,
    )
    if user.failed_logins >= policy.max_failures:
        user.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
        user.failed_logins = 0
        store.audit(
            session, user.id, "login.locked", "user", user.id, until=user.locked_until.isoformat()
        )
    return None


# ---------------------------------------------------------------- account changes


def _check_roles(roles) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise AccountError(f"peran tidak dikenal: {', '.join(unknown)}")
    if not roles:
        raise AccountError("pilih minimal satu peran")
    return roles


def create_user(
    session: Session,
    username: str,
    roles,
    display_name: str = "",
    password: str | None = None,
    actor_id: int | None = None,
    offices=(),
) -> tuple[store.User, str]:
    """Create an account; return it with its password (generated when not given)."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise AccountError(
            "nama pengguna 2-64 karakter: huruf kecil, angka, titik, garis bawah, tanda hubung"
        )
    if find_user(session, username):
        raise AccountError(f"akun {username} sudah ada")
    password = password or new_password()
    _check_password_rules(password)
    user = store.User(
        username=username,
        display_name=display_name.strip()[:120] or username,
        password_hash=generate_password_hash(password),
        roles=" ".join(_check_roles(roles)),
        offices=_check_offices(offices),
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    store.audit(
        session,
        actor_id,
        "user.create",
        "user",
        user.id,
        username=username,
        roles=user.roles,
        offices=user.offices,
    )
    return user, password


def _check_offices(offices) -> list[str]:
    """Return office ids sorted and unique (empty: every office, i.e. provincial staff).

    Whether an id exists in offices.yaml is checked by the caller, which holds the file.
    """
    offices = sorted({o.strip() for o in offices or () if o and o.strip()})
    bad = [o for o in offices if not _OFFICE_ID.match(o)]
    if bad:
        raise AccountError(f"kantor tidak dikenal: {', '.join(bad)}")
    return offices


def _check_password_rules(password: str) -> None:
    if len(password) < 8:
        raise AccountError("kata sandi minimal 8 karakter")


def _existing(session: Session, username: str) -> store.User:
    user = find_user(session, username.strip().lower())
    if user is None:
        raise AccountError(f"akun {username} tidak ada")
    return user


def change_password(
    session: Session, username: str, password: str | None = None, actor_id: int | None = None
) -> str:
    """Set a new password (generated when not given), unlock the account; return it."""
    user = _existing(session, username)
    password = password or new_password()
    _check_password_rules(password)
    user.password_hash = generate_password_hash(password)
    user.failed_logins, user.locked_until = 0, None
    store.audit(session, actor_id, "user.password", "user", user.id)
    return password


def update_user(
    session: Session,
    user: store.User,
    *,
    roles=None,
    active: bool | None = None,
    display_name: str | None = None,
    unlock: bool = False,
    actor_id: int | None = None,
    offices=None,
) -> store.User:
    """Change an account's roles, offices, name or active flag, or lift its lockout."""
    changes: dict = {}
    if offices is not None:
        new_offices = _check_offices(offices)
        if new_offices != list(user.offices or []):
            changes["offices"] = [list(user.offices or []), new_offices]
            user.offices = new_offices
    if roles is not None:
        new_roles = " ".join(_check_roles(roles))
        if new_roles != user.roles:
            changes["roles"] = [user.roles, new_roles]
            user.roles = new_roles
    if active is not None and active != user.active:
        changes["active"] = [user.active, active]
        user.active = active
    if display_name is not None and display_name.strip() and display_name != user.display_name:
        changes["display_name"] = [user.display_name, display_name.strip()[:120]]
        user.display_name = display_name.strip()[:120]
    if unlock and (user.locked_until or user.failed_logins):
        changes["unlock"] = True
        user.locked_until, user.failed_logins = None, 0
    if changes:
        store.audit(session, actor_id, "user.update", "user", user.id, **changes)
    return user


def disable_user(session: Session, username: str, actor_id: int | None = None) -> store.User:
    """Disable an account: it can no longer log in, and its open sessions end."""
    return update_user(session, _existing(session, username), active=False, actor_id=actor_id)


def list_users(session: Session) -> list[store.User]:
    """Return every account, by username."""
    return list(session.scalars(select(store.User).order_by(store.User.username)))
