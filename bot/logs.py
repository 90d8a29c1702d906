"""Structured logs: one JSON object per line on stdout in production, with a request id.

Every request gets an id (the proxy's `X-Request-ID` when it is a sane token, else a new
one), echoed in the response header and added to every log line written while the
request runs, so one citizen's webhook can be followed through the log. The masking
filter (bot.privacy) stays on the handler: NIK/KK numbers never reach the log.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import uuid

from bot.privacy import MaskingFilter, mask_identifiers, mask_phones

_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


def current_request_id() -> str | None:
    """Return the id of the request being handled, if any."""
    try:
        from flask import g, has_request_context
    except ImportError:  # pragma: no cover - Flask is always installed with the app
        return None
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Add `request_id` to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time (UTC), level, logger, message, request id."""

    def format(self, record: logging.LogRecord) -> str:
        body = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        # Fields passed with extra={...} are kept as they are.
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                if not isinstance(value, int | float | bool):
                    value = mask_phones(mask_identifiers(str(value)))
                body[key] = value
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def use_json(stream=None) -> logging.Handler:
    """Make the root logger write JSON lines to stdout (once; returns the handler)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "helpdesk_json", False):
            return handler
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.helpdesk_json = True
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    handler.addFilter(RequestIdFilter())
    # The plain-text console handlers (basicConfig's) would print every line twice; other
    # handlers (files, test capture) are left alone.
    for old in list(root.handlers):
        if type(old) is logging.StreamHandler:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def init_app(app) -> None:
    """Give every request an id (header X-Request-ID); JSON logs in production mode."""
    from flask import g, request

    @app.before_request
    def assign_request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def echo_request_id(response):
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response

    if app.config.get("PRODUCTION") or app.config.get("LOG_FORMAT") == "json":
        use_json()
