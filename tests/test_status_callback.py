"""Twilio status callbacks move outbound messages forward: queued → sent → delivered → read."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot import outbox, store
from tests.conftest import payload, post_signed

PATH = "/webhooks/twilio/status"
SID = payload("status_delivered")["MessageSid"]


def outbound(helpdesk, sid: str | None = SID, body="Balasan petugas") -> int:
    """Store an outbound message as the worker leaves it once Twilio accepted it."""
    with helpdesk.store.session() as session:
        contact = store.Contact(channel="whatsapp", number="+6281234567890", state={})
        session.add(contact)
        message = outbox.enqueue(session, contact, body=body)
        message.provider_sid = sid
        session.flush()
        return message.id


def message(helpdesk, message_id) -> store.Message:
    with helpdesk.store.session() as session:
        return session.get(store.Message, message_id)


def callback(client, status, sid=SID, query="", **fields):
    form = payload(
        "status_delivered",
        MessageStatus=status,
        SmsStatus=status,
        MessageSid=sid,
        SmsSid=sid,
        **fields,
    )
    return post_signed(client, PATH + query, form)


def test_recorded_delivered_callback_marks_the_message_delivered(client, helpdesk):
    message_id = outbound(helpdesk)
    response = post_signed(client, PATH, payload("status_delivered"))
    assert response.status_code == 204
    assert message(helpdesk, message_id).status == "delivered"


def test_statuses_progress_and_repeats_are_harmless(client, helpdesk):
    message_id = outbound(helpdesk)
    seen = []
    for status in ["queued", "sent", "sent", "delivered", "delivered", "read", "read"]:
        assert callback(client, status).status_code == 204
        seen.append(message(helpdesk, message_id).status)
    assert seen == ["queued", "sent", "sent", "delivered", "delivered", "read", "read"]


@pytest.mark.parametrize(
    "order, final",
    [
        (["delivered", "sent"], "delivered"),
        (["read", "delivered", "sent", "queued"], "read"),
        (["sent", "queued"], "sent"),
    ],
)
def test_a_late_callback_never_moves_a_message_backwards(client, helpdesk, order, final):
    message_id = outbound(helpdesk)
    for status in order:
        callback(client, status)
    assert message(helpdesk, message_id).status == final


@pytest.mark.parametrize("status", ["failed", "undelivered"])
def test_failure_keeps_twilios_error_code(client, helpdesk, status):
    message_id = outbound(helpdesk)
    callback(client, "sent")
    callback(client, status, ErrorCode="63016")
    stored = message(helpdesk, message_id)
    assert (stored.status, stored.error_code) == (status, "63016")


def test_unknown_sid_is_acknowledged_and_ignored(client, helpdesk):
    message_id = outbound(helpdesk)
    response = callback(client, "failed", sid="SM" + "f" * 32, ErrorCode="30008")
    assert response.status_code == 204
    assert message(helpdesk, message_id).status == "queued"


def test_unsigned_callback_is_refused(client, helpdesk):
    message_id = outbound(helpdesk)
    response = client.post(PATH, data=payload("status_delivered"))
    assert response.status_code == 403
    assert message(helpdesk, message_id).status == "queued"


def test_callback_that_overtakes_the_worker_finds_its_message_by_our_id(client, helpdesk):
    message_id = outbound(helpdesk, sid=None)  # Twilio answered, the SID is not stored yet
    callback(client, "failed", query=f"?m={message_id}&p=0", ErrorCode="63016")
    stored = message(helpdesk, message_id)
    assert (stored.status, stored.error_code) == ("failed", "63016")


def test_callback_for_an_unrecorded_copy_is_ignored(client, helpdesk):
    # A worker died after Twilio accepted the message; the retry's SID is the one stored.
    message_id = outbound(helpdesk)
    callback(client, "delivered")
    callback(client, "failed", sid="SM" + "c" * 32, query=f"?m={message_id}&p=0", ErrorCode="30003")
    assert message(helpdesk, message_id).status == "delivered"


def test_a_failed_later_part_marks_the_whole_message_failed(client, helpdesk):
    message_id = outbound(helpdesk, sid="SM" + "0" * 32)
    with helpdesk.store.session() as session:
        for position in range(2):
            session.add(
                store.MessagePart(
                    message_id=message_id,
                    position=position,
                    provider_sid=f"SM{position:032d}",
                    status="queued",
                )
            )
    callback(client, "delivered", sid="SM" + "0" * 32)
    callback(client, "sent", sid=f"SM{1:032d}")
    assert message(helpdesk, message_id).status == "delivered"  # the first part's status
    callback(client, "undelivered", sid=f"SM{1:032d}", ErrorCode="30005")
    stored = message(helpdesk, message_id)
    assert (stored.status, stored.error_code) == ("undelivered", "30005")
    with helpdesk.store.session() as session:
        parts = session.scalars(select(store.MessagePart).order_by(store.MessagePart.position))
        assert [p.status for p in parts] == ["delivered", "undelivered"]
