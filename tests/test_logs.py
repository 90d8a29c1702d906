"""Structured logs: JSON lines with a request id in production; NIK/KK numbers masked."""

from __future__ import annotations

import io
import json
import logging
import sys

import pytest

from bot import logs
from tests.conftest import citizen_says
from tests.test_metrics import make_app


@pytest.fixture(autouse=True)
def no_json_handler_yet():
    """Start each test without a JSON handler (conftest restores the root logger after)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "helpdesk_json", False):
            root.removeHandler(handler)


@pytest.fixture
def stream():
    out = io.StringIO()
    logs.use_json(out)
    return out


def lines(stream) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_production_logs_json_to_stdout(database_url):
    app = make_app(database_url, PRODUCTION=True)
    handlers = logging.getLogger().handlers
    json_handlers = [h for h in handlers if isinstance(h.formatter, logs.JsonFormatter)]
    assert len(json_handlers) == 1 and json_handlers[0].stream is sys.stdout
    # No plain-text console handler is left to print every line a second time.
    assert [h for h in handlers if type(h) is logging.StreamHandler] == json_handlers
    app.extensions["helpdesk"].store.dispose()


def test_development_keeps_plain_text(database_url):
    app = make_app(database_url)
    app.extensions["helpdesk"].store.dispose()
    assert not any(
        isinstance(h.formatter, logs.JsonFormatter) for h in logging.getLogger().handlers
    )


def test_a_webhook_log_line_carries_the_request_id(client, stream):
    response = citizen_says(client, "halo")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    records = [r for r in lines(stream) if r["logger"] == "webhooks.twilio"]
    assert records and records[-1]["request_id"] == request_id
    assert records[-1]["level"] == "INFO" and records[-1]["time"].endswith("+00:00")
    assert "+6281234567890" not in stream.getvalue()  # the phone number is masked


def test_the_proxy_request_id_is_kept_when_sane(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc123-proxy.id"})
    assert given.headers["X-Request-ID"] == "abc123-proxy.id"
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>" and len(odd.headers["X-Request-ID"]) == 32


def test_nik_numbers_and_extras_are_masked(stream):
    log = logging.getLogger("helpdesk.test")
    log.warning("NIK %s salah", "1671012345678901", extra={"kk": "1671012345678902", "n": 3})
    record = lines(stream)[-1]
    assert "1671012345678901" not in record["message"] and record["message"].endswith(" salah")
    assert record["kk"].endswith("8902") and "1671012345678902" not in record["kk"]
    assert record["n"] == 3 and record["request_id"] is None


def test_exceptions_are_one_json_line(stream):
    try:
        raise ValueError("rusak")
    except ValueError:
        logging.getLogger("helpdesk.test").exception("gagal")
    record = lines(stream)[-1]
    assert record["message"] == "gagal" and "ValueError: rusak" in record["exception"]
