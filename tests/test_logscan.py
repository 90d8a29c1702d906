"""The log of a whole, realistic run — every logger at DEBUG, formatted as in production —
never holds a full NIK/KK number (16 digits) or an anonymous reporter's number, in any of
the forms people write it (+62…, 62…, 08…, with spaces or dashes)."""

from __future__ import annotations

import io
import logging
import random
import re

import pytest
from sqlalchemy import select

from bot import outbox, store
from bot.app import create_app
from bot.worker import Worker
from tests.conftest import PUBLIC, TOKEN, add_user, citizen_says, csrf_token, login, post_signed
from tests.fake_twilio import twilio_sender
from tests.test_pungli_webhook import Phone, file_report

NIKS = ["3171234567890001", "1671 0412 9001 0003", "1607.0512.8800.0002", "1671-0412-9001-0004"]
REPORTER = "+6281377778888"  # files an anonymous pungli report
CITIZEN = "+6281299990000"  # asks ordinary questions
SIXTEEN_DIGITS = re.compile(r"(?<!\d)(?:\d[\s.-]?){15}\d(?!\d)")


@pytest.fixture
def log_output(monkeypatch):
    """Capture every logger at DEBUG into one stream with production's format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # Loggers a library quietened for itself are opened up too.
    quiet = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger) and logger.level > logging.DEBUG
    }
    for name in quiet:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


def _digits_only(text: str) -> str:
    return re.sub(r"(?<=\d)[\s.()-]+(?=\d)", "", text)


def test_a_full_run_logs_no_nik_and_no_anonymous_reporters_number(
    log_output, database_url, fake_twilio, quick_logins
):
    app = create_app(
        {
            "TESTING": True,
            "ENV": {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
        }
    )
    helpdesk = app.extensions["helpdesk"]
    client = app.test_client()
    try:
        # An ordinary citizen with NIKs in their questions, a ticket, an officer's answer.
        for nik in NIKS:
            citizen_says(client, f"NIK saya {nik} kok belum terdaftar?", number=CITIZEN)
        citizen_says(client, "petugas", number=CITIZEN)
        # The anonymous reporter, who also writes NIKs and a second ordinary question.
        phone = Phone(client, number=REPORTER)
        phone.send(f"KK saya {NIKS[0]} hilang")
        code = file_report(phone)
        phone.send(f"CEK {code}")
        # Officers and investigators act.
        add_user(helpdesk, "budi", "officer")
        add_user(helpdesk, "ina", "investigator")
        with helpdesk.store.session() as session:
            tickets = session.scalars(select(store.Ticket.id)).all()
        login(client, "budi")
        for ticket in tickets:
            token = csrf_token(client, "/console/")
            client.post(f"/console/tickets/{ticket}/claim", data={"csrf_token": token})
            client.post(
                f"/console/tickets/{ticket}/reply",
                data={"body": f"NIK {NIKS[1]} sudah kami cek", "csrf_token": token},
            )
            client.post(
                f"/console/tickets/{ticket}/close",
                data={"resolution": "selesai", "csrf_token": token},
            )
        client.post("/console/logout", data={"csrf_token": csrf_token(client)})
        login(client, "ina")
        client.post(
            f"/console/pungli/{code}/status",
            data={"status": "diverifikasi", "note": "dicek", "csrf_token": csrf_token(client)},
        )
        # The worker sends everything through (a fake) Twilio.
        settings = outbox.Settings.from_config(helpdesk.config.get("outbox"))
        worker = Worker(helpdesk.store, twilio_sender(fake_twilio.url), settings,
                        rng=random.Random(1))  # fmt: skip
        sent = worker.drain()
        # Broken requests are logged too: a forged one and a signed one without a MessageSid.
        client.post("/webhooks/twilio", data={"From": f"whatsapp:{REPORTER}", "Body": NIKS[0]})
        post_signed(client, "/webhooks/twilio", {"From": f"whatsapp:{REPORTER}", "Body": NIKS[0]})
    finally:
        helpdesk.store.dispose()

    log = log_output.getvalue()
    # The scan read a real run's log: requests, SQL, the worker's sends, a dead letter.
    assert sent >= 3 and len(fake_twilio.sent()) >= 3
    assert "inbound whatsapp" in log and "sqlalchemy.engine" in log and "dead letter" in log
    assert "webhook refused" in log
    assert SIXTEEN_DIGITS.findall(log) == []
    flat = _digits_only(log)
    for nik in NIKS:
        assert re.sub(r"\D", "", nik) not in flat
    national = REPORTER.removeprefix("+62")  # 81377778888: inside +62…, 62… and 08…
    assert national not in flat, [line for line in log.splitlines() if national in line][:3]


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("whatsapp:+6281377778888", "81377778888"),
        ("From=62 813-7777-8888", "81377778888"),
        ('"WaId": "6281377778888"', "81377778888"),
        ("nomor saya 0813 7777 8888", "81377778888"),
        ("call +14155238886", "4155238886"),
    ],
)
def test_phone_numbers_are_masked_in_any_format(text, hidden):
    from bot.privacy import MaskingFilter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (text,), None)
    MaskingFilter().filter(record)
    assert hidden not in _digits_only(record.getMessage())
    assert "****" in record.getMessage()


@pytest.mark.parametrize("text", ["2026-11-28 14:14:07,123", "TK-000123", "id=123456", "Rp 50.000"])
def test_masking_leaves_dates_ids_and_amounts_alone(text):
    from bot.privacy import mask_phones

    assert mask_phones(text) == text


def test_tracebacks_are_masked_too(log_output):
    from bot.privacy import MaskingFilter

    handler = logging.getLogger().handlers[-1]
    handler.addFilter(MaskingFilter())
    try:
        raise ValueError(f"INSERT failed for ('{REPORTER}', 'NIK {NIKS[0]}')")
    except ValueError:
        logging.getLogger("bot.test").exception("could not store")
    log = log_output.getvalue()
    assert "could not store" in log and "ValueError" in log
    assert REPORTER.removeprefix("+62") not in _digits_only(log)
    assert SIXTEEN_DIGITS.findall(log) == []
