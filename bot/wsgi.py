"""WSGI entry point for gunicorn: `gunicorn bot.wsgi:app` (a config error is one clear line).

The FAQ is loaded (and the second opinion trained) here, before gunicorn forks its
workers with --preload: once for all of them, never during a citizen's first message.
"""

import sys

from bot.app import create_app
from bot.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"Configuration error: {exc}", file=sys.stderr)
    raise SystemExit(1) from None
app.extensions["helpdesk"].library.load()
