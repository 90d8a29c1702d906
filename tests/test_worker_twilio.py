"""The worker through the official twilio client against a local fake of the Messages API."""

from __future__ import annotations

import json
import random
import socket

import pytest
import yaml

from bot import outbox
from bot.config import DEFAULT_CONFIG
from bot.messages import Outbound
from bot.worker import Worker
from tests.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, CALLBACK, SMS_FROM, WHATSAPP_FROM, Reply
from tests.fake_twilio import twilio_sender as make_sender
from tests.test_outbox import Clock, add_contact, db, enqueue, row  # noqa: F401 - fixtures

SETTINGS = outbox.Settings(max_attempts=4, backoff_base_seconds=10, backoff_cap_seconds=80)
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


@pytest.fixture
def clock():
    return Clock()


def run(db, sender, clock):  # noqa: F811
    return Worker(db, sender, SETTINGS, clock=clock, rng=random.Random(5)).drain()


def test_whatsapp_reply_goes_out_with_sender_body_and_status_callback(db, fake_twilio, clock):  # noqa: F811
    message_id = enqueue(db, add_contact(db), clock.now, body="Dokumen Anda siap diambil.")
    run(db, make_sender(fake_twilio.url), clock)
    (request,) = fake_twilio.requests
    assert request.path == MESSAGES
    assert request.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert request.form == {
        "To": "whatsapp:+6281234567890",
        "From": f"whatsapp:{WHATSAPP_FROM}",
        "Body": "Dokumen Anda siap diambil.",
        "StatusCallback": f"{CALLBACK}?m={message_id}&p=0",
    }
    box, message, _ = row(db, message_id)
    assert box.state == "sent"
    assert message.provider_sid == request.sid
    assert message.status == "queued"


def test_sms_reply_uses_the_sms_number(db, fake_twilio, clock):  # noqa: F811
    enqueue(db, add_contact(db, "+6285273456789", "sms"), clock.now, body="Halo")
    run(db, make_sender(fake_twilio.url), clock)
    (request,) = fake_twilio.requests
    assert (request.form["To"], request.form["From"]) == ("+6285273456789", SMS_FROM)


def test_messaging_service_replaces_the_from_number(db, fake_twilio, clock):  # noqa: F811
    message_id = enqueue(db, add_contact(db), clock.now, body="Halo")
    service = "MG" + "1" * 32
    run(db, make_sender(fake_twilio.url, messaging_service_sid=service), clock)
    (request,) = fake_twilio.requests
    assert request.form["MessagingServiceSid"] == service
    assert "From" not in request.form
    assert row(db, message_id)[1].status == "queued"  # "accepted" does not move it back


def test_template_sends_content_sid_and_json_variables_without_body(db, fake_twilio, clock):  # noqa: F811
    enqueue(
        db,
        add_contact(db),
        clock.now,
        content_sid="HX" + "b" * 32,
        content_variables={"1": "TK-000042", "2": "Siti"},
    )
    run(db, make_sender(fake_twilio.url), clock)
    (request,) = fake_twilio.requests
    assert request.form["ContentSid"] == "HX" + "b" * 32
    assert json.loads(request.form["ContentVariables"]) == {"1": "TK-000042", "2": "Siti"}
    assert "Body" not in request.form


def test_long_reply_is_split_into_parts_of_at_most_1600_characters(db, fake_twilio, clock):  # noqa: F811
    paragraphs = [f"{i}. " + "Persyaratan dokumen kependudukan. " * 12 for i in range(12)]
    body = "\n".join(paragraphs)
    message_id = enqueue(db, add_contact(db), clock.now, body=body)
    run(db, make_sender(fake_twilio.url), clock)
    bodies = [r.form["Body"] for r in fake_twilio.requests]
    assert len(bodies) == 4
    assert all(len(b) <= 1600 for b in bodies)
    assert "\n".join(bodies) == body
    assert [r.callback["p"] for r in fake_twilio.requests] == ["0", "1", "2", "3"]
    box, message, parts = row(db, message_id)
    assert box.state == "sent"
    assert [p.provider_sid for p in parts] == [r.sid for r in fake_twilio.requests]
    assert message.provider_sid == fake_twilio.requests[0].sid


@pytest.mark.parametrize(
    "reply",
    [Reply(500), Reply(503), Reply(429), Reply(400, code=63018)],
    ids=["500", "503", "429", "63018-rate-limit"],
)
def test_server_errors_and_rate_limits_are_retried(db, fake_twilio, clock, reply):  # noqa: F811
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    fake_twilio.program(reply, reply)
    sender = make_sender(fake_twilio.url)
    run(db, sender, clock)
    box, message, _ = row(db, message_id)
    assert (box.state, box.attempts, message.status) == ("pending", 1, "queued")
    first_wait = (box.next_attempt_at - clock.now).total_seconds()
    assert 5 <= first_wait <= 10
    clock.advance(first_wait)
    run(db, sender, clock)
    box, _, _ = row(db, message_id)
    second_wait = (box.next_attempt_at - clock.now).total_seconds()
    assert (box.state, box.attempts) == ("pending", 2)
    assert 10 <= second_wait <= 20  # exponential
    clock.advance(second_wait)
    run(db, sender, clock)
    box, message, _ = row(db, message_id)
    assert len(fake_twilio.requests) == 3
    assert box.state == "sent" and message.provider_sid == fake_twilio.requests[-1].sid


def test_a_hanging_api_times_out_and_is_retried(db, fake_twilio, clock):  # noqa: F811
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    fake_twilio.program(Reply(hang=5))
    sender = make_sender(fake_twilio.url, timeout=0.3)
    run(db, sender, clock)
    box, _, _ = row(db, message_id)
    assert box.state == "pending" and box.last_error.startswith("timeout")
    clock.advance(SETTINGS.backoff_cap_seconds)
    run(db, sender, clock)
    assert row(db, message_id)[0].state == "sent"


def test_an_unreachable_api_is_retried(db, clock):  # noqa: F811
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    run(db, make_sender(f"http://127.0.0.1:{port}"), clock)
    box, _, _ = row(db, message_id)
    assert (box.state, box.last_error.split(":")[0]) == ("pending", "network")


def test_retries_stop_at_the_configured_limit(db, fake_twilio, clock):  # noqa: F811
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    fake_twilio.default = Reply(500)
    sender = make_sender(fake_twilio.url)
    for _ in range(SETTINGS.max_attempts + 2):
        run(db, sender, clock)
        clock.advance(SETTINGS.backoff_cap_seconds)
    box, message, _ = row(db, message_id)
    assert len(fake_twilio.requests) == SETTINGS.max_attempts
    assert (box.state, message.status, message.error_code) == ("failed", "failed", outbox.GAVE_UP)


@pytest.mark.parametrize("code", [63016, 63003, 63024, 63014, 21211, 21610])
def test_permanent_errors_fail_at_once_with_an_indonesian_reason(db, fake_twilio, clock, code):  # noqa: F811
    message_id = enqueue(db, add_contact(db), clock.now, body="halo")
    fake_twilio.default = Reply(400, code=code)
    sender = make_sender(fake_twilio.url)
    run(db, sender, clock)
    clock.advance(3600)
    run(db, sender, clock)
    box, message, _ = row(db, message_id)
    assert len(fake_twilio.requests) == 1
    assert (box.state, message.status, message.error_code) == ("failed", "failed", str(code))
    reasons = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))["delivery_errors"]
    assert reasons[str(code)]  # what the console shows officers


def test_missing_sender_number_fails_visibly_without_calling_twilio(db, fake_twilio, clock):  # noqa: F811
    message_id = enqueue(db, add_contact(db, "+6285273456789", "sms"), clock.now, body="halo")
    run(db, make_sender(fake_twilio.url, from_sms=None), clock)
    assert fake_twilio.requests == []
    assert row(db, message_id)[1].error_code == outbox.NO_SENDER


def test_sender_never_raises_and_reports_the_sid(fake_twilio):
    sender = make_sender(fake_twilio.url)
    result = sender.send(Outbound(channel="whatsapp", to="+6281234567890", body="halo"))
    assert result.ok and result.sid == fake_twilio.requests[0].sid
    assert result.status == "queued"
    fake_twilio.default = Reply(400, code=21211)
    result = sender.send(Outbound(channel="whatsapp", to="+62", body="halo"))
    assert (result.ok, result.error_code, result.retryable) == (False, "21211", False)
    assert "StatusCallback" in fake_twilio.requests[1].form
    assert "m=" not in fake_twilio.requests[1].form["StatusCallback"]  # no message id given
