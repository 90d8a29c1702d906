"""Configuration: config.yaml (documented defaults) layered with the environment (secrets)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yaml"

# Environment variables a production deployment must set.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "TWILIO_AUTH_TOKEN")


class ConfigError(Exception):
    """The configuration cannot start the service; the message names what is missing."""


def load_yaml(path: str | Path = DEFAULT_CONFIG) -> dict:
    """Read config.yaml into a dict, remembering the folder it came from."""
    path = Path(path)
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    data["_base_dir"] = str(path.parent)
    return data


def default_database_url(instance_dir: Path) -> str:
    """Return the embedded default: SQLite under instance/."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{instance_dir / 'helpdesk.db'}"


def from_environment(env: dict | None = None, instance_dir: Path | None = None) -> dict:
    """Return the Flask settings that come from the environment, with safe dev defaults.

    In production (HELPDESK_ENV=production) a missing required variable raises
    ConfigError naming it; in development, generated values are used and listed
    under DEV_DEFAULTS so the run command can print them.
    """
    env = os.environ if env is None else env
    instance_dir = instance_dir or ROOT / "instance"
    production = env.get("HELPDESK_ENV", "development") == "production"
    if production:
        for name in REQUIRED_IN_PRODUCTION:
            if not env.get(name):
                raise ConfigError(f"missing required environment variable {name}")
    dev_defaults = []

    def pick(name: str, default: str | None) -> str | None:
        if env.get(name):
            return env[name]
        if default is not None:
            dev_defaults.append(name)
        return default

    return {
        "PRODUCTION": production,
        "SECRET_KEY": pick("SECRET_KEY", secrets.token_hex(32)),
        "DATABASE_URL": pick("DATABASE_URL", None) or default_database_url(instance_dir),
        "PUBLIC_BASE_URL": pick("PUBLIC_BASE_URL", None),
        "TWILIO_ACCOUNT_SID": env.get("TWILIO_ACCOUNT_SID"),
        # The approved WhatsApp template for after the 24-hour window (config.yaml has the rest).
        "WHATSAPP_TEMPLATE_SID": env.get("WHATSAPP_TEMPLATE_SID"),
        "TWILIO_AUTH_TOKEN": pick("TWILIO_AUTH_TOKEN", None),
        # Pungli reports: the key for reporter references (defaults to SECRET_KEY; a
        # comma-separated list rotates keys) and the approved update template's Content SID.
        "PUNGLI_KEY": env.get("PUNGLI_KEY"),
        "PUNGLI_UPDATE_CONTENT_SID": env.get("PUNGLI_UPDATE_CONTENT_SID"),
        # Outbound senders (the worker): a number per channel, or a Messaging Service.
        "TWILIO_WHATSAPP_FROM": env.get("TWILIO_WHATSAPP_FROM"),
        "TWILIO_SMS_FROM": env.get("TWILIO_SMS_FROM"),
        "TWILIO_MESSAGING_SERVICE_SID": env.get("TWILIO_MESSAGING_SERVICE_SID"),
        # Another address for Twilio's REST API (tests, a mock, an egress proxy).
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL"),
        "SESSION_COOKIE_SECURE": production,
        "SIMULATOR_ENABLED": env.get("SIMULATOR_ENABLED", "").lower() in ("1", "true", "yes"),
        # Shared storage of the per-number rate limit (redis://…); else each process counts.
        "REDIS_URL": env.get("REDIS_URL"),
        # GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>" (unset in production: 404).
        "METRICS_TOKEN": env.get("METRICS_TOKEN"),
        # json | text; production logs JSON lines whatever this says.
        "LOG_FORMAT": env.get("LOG_FORMAT", "text"),
        "DEV_DEFAULTS": dev_defaults,
    }


def resolve_path(config: dict, value: str) -> Path:
    """Resolve a path from config.yaml relative to the file's folder."""
    path = Path(value)
    return path if path.is_absolute() else Path(config.get("_base_dir", ROOT)) / path
