"""Database outage: the webhooks answer 503 (Twilio may retry; nothing half-stored), never
500, and the same process answers 200 again once the database is back."""

from __future__ import annotations

import pytest

from bot.app import create_app
from bot.store import Store
from tests.conftest import PUBLIC, TOKEN, payload, post_signed

UNREACHABLE = {
    "postgresql": "postgresql://postgres@127.0.0.1:1/nowhere",  # port 1: refused at once
    "sqlite": "sqlite:///{tmp}/missing-folder/helpdesk.db",  # the folder does not exist
}


def _app(url: str):
    return create_app(
        {
            "TESTING": True,
            "ENV": {
                "DATABASE_URL": url,
                "SECRET_KEY": "test-secret",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
        }
    )


@pytest.mark.parametrize("kind", sorted(UNREACHABLE))
def test_webhooks_answer_503_while_the_database_is_down(kind, tmp_path):
    app = _app(UNREACHABLE[kind].format(tmp=tmp_path))
    client = app.test_client()
    message = post_signed(client, "/webhooks/twilio", payload("whatsapp_text"))
    assert message.status_code == 503
    assert message.headers["Retry-After"] == "5"
    # A signed request that would be a dead letter cannot be stored either.
    dead = post_signed(client, "/webhooks/twilio", payload("whatsapp_text", From=None))
    assert dead.status_code == 503
    status = post_signed(
        client, "/webhooks/twilio/status", {"MessageSid": "SM1", "MessageStatus": "delivered"}
    )
    assert status.status_code == 503
    assert client.get("/healthz").status_code == 503
    app.extensions["helpdesk"].store.dispose()


def test_the_same_process_recovers_when_the_database_returns(tmp_path):
    folder = tmp_path / "later"
    url = f"sqlite:///{folder}/helpdesk.db"
    app = _app(url)
    client = app.test_client()
    assert post_signed(client, "/webhooks/twilio", payload("whatsapp_text")).status_code == 503

    folder.mkdir()
    Store(url).migrate()

    answered = post_signed(client, "/webhooks/twilio", payload("whatsapp_text"))
    assert answered.status_code == 200
    assert b"<Message>" in answered.data
    assert client.get("/healthz").status_code == 200
    app.extensions["helpdesk"].store.dispose()
