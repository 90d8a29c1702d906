"""Console accounts: create, find and check passwords (hashed with werkzeug's scrypt)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot import store

ROLES = ("officer", "editor", "supervisor", "investigator", "admin")


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
