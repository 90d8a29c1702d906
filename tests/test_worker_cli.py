"""`python -m bot worker`: local mode without an account, Twilio mode with one."""

from __future__ import annotations

from bot import outbox, store
from bot.messages import WHATSAPP
from webhooks.sender import TwilioSender, sender_from_config


def test_without_an_account_officer_replies_reach_the_simulator(app, client, helpdesk):
    number = "+6281299990000"
    with helpdesk.store.session() as session:
        contact = store.Contact(channel=WHATSAPP, number=number, state={})
        session.add(contact)
        outbox.enqueue(session, contact, body="Halo, saya petugas Disdukcapil.")

    result = app.test_cli_runner().invoke(args=["worker", "--once", "--id", "cli-test"])

    assert result.exit_code == 0, result.output
    assert "mode lokal" in result.output
    shown = client.get(f"/simulator/messages?channel=whatsapp&number={number}").get_json()
    officer = [m for m in shown["messages"] if m["author"] == "officer"]
    assert [(m["body"], m["status"]) for m in officer] == [
        ("Halo, saya petugas Disdukcapil.", "delivered")
    ]


def test_with_an_account_the_worker_uses_twilio_with_the_configured_senders(app):
    config = {
        **app.config,
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "TWILIO_WHATSAPP_FROM": "whatsapp:+14155238886",
        "TWILIO_SMS_FROM": "+15005550006",
    }
    sender = sender_from_config(config, outbox.Settings())
    assert isinstance(sender, TwilioSender)
    assert sender.from_whatsapp == "+14155238886"  # the prefix is added per message
    assert sender.status_callback == "https://helpdesk.example.id/webhooks/twilio/status"
    assert sender.client.http_client.timeout == outbox.Settings().timeout_seconds
    assert isinstance(sender_from_config(app.config, outbox.Settings()), outbox.LocalSender)
