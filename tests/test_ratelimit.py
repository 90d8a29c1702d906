"""Per-number rate limit: one number flooding 1,000 messages is limited but every message
is stored, another citizen is answered normally meanwhile — with the limiter's memory
storage and with Redis (REDIS_URL; CI runs Redis on 127.0.0.1:6379)."""

from __future__ import annotations

import os
import uuid
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import func, select

from bot import store
from bot.app import create_app
from bot.messages import WHATSAPP
from tests.conftest import PUBLIC, TOKEN, citizen_says, latest_ticket_id

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FLOOD = 1000


def _number() -> str:
    """A number no other run uses (Redis keeps counts between runs)."""
    return "+62812" + str(uuid.uuid4().int)[:8]


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, database_url):
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": PUBLIC,
    }
    if request.param == "redis":
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
        except redis.RedisError as exc:
            pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")  # never a skip
        env["REDIS_URL"] = REDIS_URL
    app = create_app({"TESTING": True, "ENV": env})
    yield app
    app.extensions["helpdesk"].store.dispose()


def _replies(response) -> list[str]:
    assert response.status_code == 200
    return [m.text or "" for m in ET.fromstring(response.data).iter("Message")]  # noqa: S314


def _inbound_count(helpdesk, number: str) -> int:
    with helpdesk.store.session() as session:
        contact = store.find_contact(session, WHATSAPP, number)
        return session.scalar(
            select(func.count(store.Message.id)).where(
                store.Message.contact_id == contact.id, store.Message.direction == "in"
            )
        )


def test_a_flood_is_limited_and_stored_while_others_are_answered(limited_app):
    helpdesk = limited_app.extensions["helpdesk"]
    client = limited_app.test_client()
    flooder, other = _number(), _number()
    limit = 20  # config.yaml: rate_limit.per_sender "20/minute;300/hour"
    notice = helpdesk.config["rate_limit"]["notice"]

    answered, notices, empty = 0, 0, 0
    for i in range(FLOOD):
        replies = _replies(citizen_says(client, f"syarat ktp {i}", number=flooder))
        if i == FLOOD // 2:
            during = _replies(citizen_says(client, "syarat bikin ktp apa aja", number=other))
        if replies == [notice]:
            notices += 1
        elif replies:
            answered += 1
        else:
            empty += 1

    assert answered == limit and notices == 1 and empty == FLOOD - limit - 1
    assert _inbound_count(helpdesk, flooder) == FLOOD  # nothing lost
    assert len(during) >= 2 and "KTP" in "".join(during)  # welcome + a real answer
    with helpdesk.store.session() as session:
        kept = session.scalars(
            select(store.Message).where(store.Message.meta["outcome"].as_string() == "rate_limited")
        ).all()
    assert len(kept) == FLOOD - limit


def test_a_limited_number_with_an_open_ticket_still_reaches_the_officer(limited_app):
    helpdesk = limited_app.extensions["helpdesk"]
    client = limited_app.test_client()
    number = _number()
    citizen_says(client, "petugas", number=number)
    for i in range(40):
        citizen_says(client, f"tolong dibalas {i}", number=number)
    ticket = latest_ticket_id(helpdesk, number)

    with helpdesk.store.session() as session:
        joined = session.scalar(
            select(func.count(store.Message.id)).where(
                store.Message.ticket_id == ticket, store.Message.direction == "in"
            )
        )
    assert joined == 41


def test_a_repeated_sid_of_a_limited_number_is_stored_once(limited_app):
    from tests.conftest import payload, post_signed

    helpdesk = limited_app.extensions["helpdesk"]
    client = limited_app.test_client()
    number = _number()
    for i in range(25):
        citizen_says(client, f"pesan {i}", number=number)
    form = payload("whatsapp_text", From=f"whatsapp:{number}", MessageSid="SM" + "7" * 32)
    assert post_signed(client, "/webhooks/twilio", form).status_code == 200
    assert post_signed(client, "/webhooks/twilio", form).status_code == 200
    assert _inbound_count(helpdesk, number) == 26


def test_unsigned_requests_do_not_use_up_a_citizens_limit(limited_app):
    client = limited_app.test_client()
    number = _number()
    for _ in range(100):
        forged = client.post(
            "/webhooks/twilio",
            data={"From": f"whatsapp:{number}", "Body": "x", "MessageSid": "SMx"},
            headers={"X-Twilio-Signature": "Zm9yZ2Vk"},
        )
        assert forged.status_code == 403
    replies = _replies(citizen_says(client, "syarat ktp", number=number))
    assert replies and replies != [limited_app.config["HELPDESK"]["rate_limit"]["notice"]]
