"""Console login: Flask-Login wiring, the signed-in account, and the role check."""

from __future__ import annotations

import functools

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import LoginManager, UserMixin, current_user

from bot import store, tickets

login_manager = LoginManager()


class ConsoleUser(UserMixin):
    """The signed-in account, detached from the database (loaded once per request)."""

    def __init__(self, user: store.User):
        self.user_id = user.id
        self.username = user.username
        self.name = user.display_name or user.username
        self.roles = user.role_set
        self.offices = tuple(user.offices or ())
        self._active = user.active
        # Part of the session id: changing the password ends every other session.
        self._stamp = user.password_hash[-12:]

    def get_id(self) -> str:
        return f"{self.user_id}:{self._stamp}"

    @property
    def is_active(self) -> bool:
        return self._active

    def has(self, *roles: str) -> bool:
        """Return True when the account holds any of the roles."""
        return bool(self.roles & set(roles))

    @property
    def actor(self) -> tickets.Actor:
        return tickets.Actor(self.user_id, self.name, frozenset(self.roles), self.offices)


@login_manager.user_loader
def load_user(session_id: str) -> ConsoleUser | None:
    """Return the account of a session, or None when it is gone, disabled or re-keyed."""
    user_id, _, stamp = session_id.partition(":")
    if not user_id.isdigit():
        return None
    helpdesk = current_app.extensions["helpdesk"]
    with helpdesk.store.session() as session:
        user = session.get(store.User, int(user_id))
        if user is None or not user.active or user.password_hash[-12:] != stamp:
            return None
        return ConsoleUser(user)


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to the login page; scripts (polling) get 401."""
    if request.path.endswith(".json") or request.accept_mimetypes.best == "application/json":
        return {"error": "login"}, 401
    flash(texts()["login_required"], "error")
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


def texts() -> dict:
    """Return the console's sentences from config.yaml."""
    return current_app.config["HELPDESK"].get("console", {}).get("texts", {})


def require(*roles: str):
    """Let only signed-in accounts holding one of `roles` use the view (403 otherwise)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.roles = frozenset(roles)
        return wrapped

    return decorator


def init_app(app) -> None:
    """Attach the login manager to the app."""
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
