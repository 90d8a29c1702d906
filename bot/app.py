"""The application factory: the one place that wires config, database, FAQ, sender, blueprints."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from bot import config as configuration
from bot import dialogue, pungli_reports, ratelimit
from bot import matcher as matching
from bot.library import Library
from bot.offices import OfficeBook
from bot.privacy import MaskingFilter
from bot.store import Store

csrf = CSRFProtect()


@dataclass
class Helpdesk:
    """The parts every request and command shares, kept in app.extensions["helpdesk"]."""

    store: Store
    library: Library
    base_settings: dialogue.Settings
    config: dict
    offices: OfficeBook | None = None

    @property
    def settings(self) -> dialogue.Settings:
        """Return the dialogue settings with the offices file as it is now (hot reload)."""
        directory = self.offices.directory if self.offices else None
        if self.base_settings.offices is not directory:
            self.base_settings = replace(self.base_settings, offices=directory)
        return self.base_settings

    @settings.setter
    def settings(self, value: dialogue.Settings) -> None:
        self.base_settings = value

    @property
    def ticket_prefix(self) -> str:
        return self.config.get("tickets", {}).get("number_prefix", "TK-")


def create_app(overrides: dict | None = None) -> Flask:
    """Create the helpdesk app; `overrides` replaces settings (tests, tools).

    Special override keys: CONFIG_FILE (another config.yaml), HELPDESK (a dict merged
    into config.yaml), ENV (a dict used instead of os.environ).
    """
    app = Flask(__name__, instance_path=str(configuration.ROOT / "instance"))
    overrides = dict(overrides or {})
    helpdesk = configuration.load_yaml(overrides.pop("CONFIG_FILE", configuration.DEFAULT_CONFIG))
    _deep_update(helpdesk, overrides.pop("HELPDESK", {}))
    env = overrides.pop("ENV", None)
    app.config.from_mapping(configuration.from_environment(env, Path(app.instance_path)))
    app.config.update(
        HELPDESK=helpdesk,
        FAQ_FOLDER=str(
            configuration.resolve_path(helpdesk, helpdesk.get("faq", {}).get("folder", "faq"))
        ),
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(overrides)
    _configure_logging()

    app.extensions["helpdesk"] = Helpdesk(
        store=Store(app.config["DATABASE_URL"]),
        library=Library(
            app.config["FAQ_FOLDER"],
            matching.Settings.from_config(helpdesk.get("matcher")),
            reload_seconds=float(helpdesk.get("faq", {}).get("reload_seconds", 3)),
            settle_seconds=float(helpdesk.get("faq", {}).get("settle_seconds", 0)),
            background=bool(helpdesk.get("faq", {}).get("reload_in_background", True)),
            # Loaded when first asked for: serving entry points load it at start (wsgi.py,
            # `run`), other commands only if they match (db upgrade, worker: never).
            load=False,
        ),
        base_settings=pungli_reports.with_secrets(
            dialogue.Settings.from_config(helpdesk), app.config
        ),
        config=helpdesk,
        offices=_office_book(helpdesk),
    )
    csrf.init_app(app)
    ratelimit.init_app(app)

    import bot.console.dashboard  # noqa: F401 - adds /console/dashboard to the console blueprint
    from bot import cli, logs, metrics, ops
    from bot.console import faq_editor, simulator
    from bot.console import offices as offices_console
    from bot.console import pungli as pungli_console
    from bot.console import views as console
    from webhooks import twilio

    csrf.exempt(twilio.bp)
    app.register_blueprint(twilio.bp)
    app.register_blueprint(ops.bp)
    logs.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(simulator.bp)
    console.init_app(app)
    faq_editor.init_app(app)
    offices_console.init_app(app)
    # After the console: the pungli pages use its login (and answer 404 to everyone else).
    app.register_blueprint(pungli_console.bp)
    cli.init_app(app)
    return app


def _office_book(helpdesk: dict) -> OfficeBook:
    section = helpdesk.get("offices") or {}
    return OfficeBook(
        configuration.resolve_path(helpdesk, section.get("file", "offices.yaml")),
        helpdesk.get("office") or {},
        reload_seconds=float(section.get("reload_seconds", 3)),
        settle_seconds=float(section.get("settle_seconds", 0)),
    )


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
    # Alembic announces every plugin at INFO; only its warnings matter to an operator.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for handler in root.handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())


def _deep_update(target: dict, changes: dict) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value
