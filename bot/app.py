"""The application factory: the one place that wires config, database, FAQ, sender, blueprints."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from bot import config as configuration
from bot import matcher as matching
from bot.library import Library


def create_app(overrides: dict | None = None) -> Flask:
    """Create the helpdesk app; `overrides` replaces settings (tests, tools)."""
    app = Flask(__name__, instance_path=str(configuration.ROOT / "instance"))
    overrides = dict(overrides or {})
    helpdesk = configuration.load_yaml(overrides.pop("CONFIG_FILE", configuration.DEFAULT_CONFIG))
    helpdesk_overrides = overrides.pop("HELPDESK", {})
    _deep_update(helpdesk, helpdesk_overrides)
    env = overrides.pop("ENV", None)
    app.config.from_mapping(configuration.from_environment(env, Path(app.instance_path)))
    app.config["HELPDESK"] = helpdesk
    app.config["FAQ_FOLDER"] = str(
        configuration.resolve_path(helpdesk, helpdesk.get("faq", {}).get("folder", "faq"))
    )
    app.config.update(overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    app.extensions["library"] = Library(
        app.config["FAQ_FOLDER"],
        matching.Settings.from_config(helpdesk.get("matcher")),
        reload_seconds=float(helpdesk.get("faq", {}).get("reload_seconds", 3)),
    )

    from bot import cli

    cli.init_app(app)
    return app


def _deep_update(target: dict, changes: dict) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value
