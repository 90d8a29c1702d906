"""The Twilio inbound webhook: signatures, both channels, duplicates, and bad input."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from bot import store
from tests.conftest import PUBLIC, payload, post_signed, sign

PATH = "/webhooks/twilio"


def count(helpdesk, model) -> int:
    with helpdesk.store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def inbound_messages(helpdesk) -> list[store.Message]:
    with helpdesk.store.session() as session:
        return session.scalars(
            select(store.Message).where(store.Message.direction == "in").order_by(store.Message.id)
        ).all()


def test_signed_whatsapp_message_is_stored_and_answered(client, helpdesk):
    form = payload("whatsapp_text")
    response = post_signed(client, PATH, form)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    xml = response.get_data(as_text=True)
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "KTP" in xml
    with helpdesk.store.session() as session:
        contact = session.scalars(select(store.Contact)).one()
        assert (contact.channel, contact.number) == ("whatsapp", "+6281234567890")
        assert contact.profile_name == "Siti Aminah"
        assert contact.last_inbound_at is not None
        message = session.scalars(
            select(store.Message).where(store.Message.direction == "in")
        ).one()
        assert message.provider_sid == form["MessageSid"]
        assert message.body == form["Body"]
        assert message.raw["WaId"] == "6281234567890"
        replies = session.scalars(select(store.Message).where(store.Message.direction == "out"))
        assert all(r.status == "replied" for r in replies)


def test_sms_message_gets_plain_text_reply(client, helpdesk):
    response = post_signed(client, PATH, payload("sms_text"))
    assert response.status_code == 200
    xml = response.get_data(as_text=True)
    assert "<Message>" in xml
    assert "*" not in xml  # WhatsApp bold markers are removed for SMS
    with helpdesk.store.session() as session:
        contact = session.scalars(select(store.Contact)).one()
    assert (contact.channel, contact.number) == ("sms", "+6285273456789")


@pytest.mark.parametrize(
    "headers",
    [
        {},  # unsigned
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},  # wrong
        {"X-Twilio-Signature": ""},
    ],
    ids=["unsigned", "wrong-signature", "empty-signature"],
)
def test_unsigned_or_wrongly_signed_requests_are_refused(client, helpdesk, headers):
    response = client.post(PATH, data=payload("whatsapp_text"), headers=headers)
    assert response.status_code == 403
    assert count(helpdesk, store.Message) == 0
    assert count(helpdesk, store.Contact) == 0


def test_signature_for_another_url_is_refused(client, helpdesk):
    form = payload("whatsapp_text")
    response = post_signed(client, PATH, form, url="https://evil.example.com/webhooks/twilio")
    assert response.status_code == 403
    assert count(helpdesk, store.Message) == 0


def test_signature_with_another_token_is_refused(client, helpdesk):
    form = payload("whatsapp_text")
    signature = sign(PUBLIC + PATH, form, token="some-other-account-token")
    response = client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_tampered_body_is_refused(client, helpdesk):
    form = payload("whatsapp_text")
    signature = sign(PUBLIC + PATH, form)
    form["Body"] = "something else"
    response = client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_https_proxy_forwarding_plain_http_validates_against_public_url(client, helpdesk):
    """Twilio signs https://public/...; the app sees http://internal/... behind the proxy."""
    form = payload("whatsapp_text")
    response = post_signed(client, PATH, form, base_url="http://10.0.0.5:8000", url=PUBLIC + PATH)
    assert response.status_code == 200
    # Signed for the URL the app sees locally instead of the public one: refused.
    form = payload("whatsapp_text", MessageSid="SMother", SmsMessageSid="SMother")
    local = post_signed(
        client, PATH, form, base_url="http://10.0.0.5:8000", url="http://10.0.0.5:8000" + PATH
    )
    assert local.status_code == 403


def test_without_public_base_url_the_request_url_is_used(database_url):
    from bot.app import create_app

    app = create_app({"ENV": {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": "tok"}})
    client = app.test_client()
    form = payload("whatsapp_text")
    signature = sign("http://localhost/webhooks/twilio", form, token="tok")
    response = client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    app.extensions["helpdesk"].store.dispose()


def test_without_auth_token_every_request_is_refused(database_url):
    from bot.app import create_app

    app = create_app({"ENV": {"DATABASE_URL": database_url}})
    form = payload("whatsapp_text")
    response = app.test_client().post(
        PATH, data=form, headers={"X-Twilio-Signature": sign("http://localhost" + PATH, form, "")}
    )
    assert response.status_code == 403
    app.extensions["helpdesk"].store.dispose()


def test_repeated_message_sid_is_stored_once_and_answered_once(client, helpdesk):
    form = payload("whatsapp_text")
    first = post_signed(client, PATH, form)
    second = post_signed(client, PATH, form)
    assert first.status_code == second.status_code == 200
    assert "<Message>" in first.get_data(as_text=True)
    assert second.get_data(as_text=True) == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert len(inbound_messages(helpdesk)) == 1
    with helpdesk.store.session() as session:
        outbound = session.scalar(
            select(func.count()).select_from(store.Message).where(store.Message.direction == "out")
        )
    assert outbound == len(first.get_data(as_text=True).split("<Message>")) - 1


def test_concurrent_duplicates_are_stored_and_answered_once(app, helpdesk):
    """Two copies of one MessageSid arriving at the same moment on two workers."""
    form = payload("whatsapp_text")
    signature = sign(PUBLIC + PATH, form)
    barrier = threading.Barrier(4)
    results = []

    def deliver():
        client = app.test_client()
        barrier.wait()
        response = client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})
        results.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [code for code, _ in results] == [200] * 4
    answered = [body for _, body in results if "<Message>" in body]
    assert len(answered) == 1
    assert len(inbound_messages(helpdesk)) == 1
    assert count(helpdesk, store.Contact) == 1


def test_many_first_messages_from_one_new_number_at_once_are_all_kept(app, helpdesk):
    """Distinct SIDs from a brand-new contact racing to create it: nothing is lost."""
    barrier = threading.Barrier(5)
    codes = []

    def deliver(i):
        form = payload(
            "whatsapp_text",
            MessageSid=f"SMrace{i}",
            SmsMessageSid=f"SMrace{i}",
            SmsSid=f"SMrace{i}",
            Body=f"pesan ke-{i}",
        )
        client = app.test_client()
        barrier.wait()
        codes.append(post_signed(client, PATH, form).status_code)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert codes == [200] * 5
    assert len(inbound_messages(helpdesk)) == 5
    assert count(helpdesk, store.Contact) == 1


# ------------------------------------------------------------------ bad input


def test_media_only_message_gets_friendly_reply_and_is_kept(client, helpdesk):
    response = post_signed(client, PATH, payload("whatsapp_media"))
    assert response.status_code == 200
    assert "lampiran Anda sudah kami terima" in response.get_data(as_text=True)
    (message,) = inbound_messages(helpdesk)
    assert message.body == ""
    assert message.media == [
        {"url": payload("whatsapp_media")["MediaUrl0"], "content_type": "image/webp"}
    ]


def test_voice_note_is_kept_with_its_media(client, helpdesk):
    response = post_signed(client, PATH, payload("whatsapp_voice"))
    assert response.status_code == 200
    (message,) = inbound_messages(helpdesk)
    assert message.media[0]["content_type"] == "audio/ogg"


def test_shared_location_gets_friendly_reply_and_is_kept(client, helpdesk):
    response = post_signed(client, PATH, payload("whatsapp_location"))
    assert response.status_code == 200
    assert "lokasi Anda sudah kami terima" in response.get_data(as_text=True)
    (message,) = inbound_messages(helpdesk)
    assert message.meta["location"] == [-2.9760735, 104.7754307]
    assert message.raw["Address"] == "Jl. Merdeka, Palembang"


@pytest.mark.parametrize("body", ["", "   ", "\n\t  \n"], ids=["empty", "spaces", "whitespace"])
def test_empty_body_gets_friendly_reply_and_is_kept(client, helpdesk, body):
    response = post_signed(client, PATH, payload("whatsapp_text", Body=body))
    assert response.status_code == 200
    assert "Pesan Anda kosong" in response.get_data(as_text=True)
    assert len(inbound_messages(helpdesk)) == 1


def test_missing_body_field_is_treated_as_empty(client, helpdesk):
    form = payload("whatsapp_text")
    del form["Body"]
    response = post_signed(client, PATH, form)
    assert response.status_code == 200
    assert "Pesan Anda kosong" in response.get_data(as_text=True)


def test_very_long_body_goes_to_an_officer_and_is_kept_whole(client, helpdesk):
    story = ("Saya sudah tiga kali datang ke kantor untuk mengurus KTP anak saya. " * 80)[:5000]
    response = post_signed(client, PATH, payload("whatsapp_text", Body=story))
    assert response.status_code == 200
    xml = response.get_data(as_text=True)
    assert "sangat panjang" in xml and "TK-" in xml
    (message,) = inbound_messages(helpdesk)
    assert message.body == story
    assert message.ticket_id is not None


def test_control_characters_and_odd_unicode_are_cleaned_not_fatal(client, helpdesk):
    body = "ktp\x00 hi\x07lang\u202e gmn 🙏🏽 Ｋｔｐ \u200b"
    form = payload("whatsapp_text", Body=body)
    response = post_signed(client, PATH, form)
    assert response.status_code == 200
    (message,) = inbound_messages(helpdesk)
    assert "\x00" not in message.body and "\x07" not in message.body
    assert "\u202e" not in message.body and "\u200b" not in message.body
    assert "🙏🏽" in message.body


def test_invalid_utf8_bytes_are_replaced_not_fatal(client, helpdesk):
    from urllib.parse import urlencode

    form = payload("whatsapp_text", Body="ktp @ hilang")
    raw = urlencode(form).replace("%40", "%ED%A0%BD")  # a lone surrogate, as bytes
    # Werkzeug keeps undecodable escapes as text; the signature covers that text.
    decoded = payload("whatsapp_text", Body="ktp %ED%A0%BD hilang")
    response = client.post(
        PATH,
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(PUBLIC + PATH, decoded)},
    )
    assert response.status_code == 200
    (message,) = inbound_messages(helpdesk)
    assert message.body.startswith("ktp ") and message.body.endswith(" hilang")


def test_html_in_body_is_escaped_in_twiml(client, helpdesk):
    body = "<script>alert(1)</script> ktp hilang"
    response = post_signed(client, PATH, payload("whatsapp_text", Body=body))
    assert response.status_code == 200
    assert "<script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize("missing", ["From", "MessageSid"])
def test_signed_request_missing_required_fields_is_400_and_kept(client, helpdesk, missing):
    form = payload("whatsapp_text")
    form.pop(missing)
    if missing == "MessageSid":
        form.pop("SmsMessageSid")
    response = post_signed(client, PATH, form)
    assert response.status_code == 400
    assert count(helpdesk, store.Message) == 0
    with helpdesk.store.session() as session:
        letter = session.scalars(select(store.DeadLetter)).one()
    assert letter.payload["Body"] == form["Body"]


def test_non_form_content_type_is_400(client, helpdesk):
    response = client.post(PATH, json=payload("whatsapp_text"), headers={"X-Twilio-Signature": "x"})
    assert response.status_code == 400
    assert count(helpdesk, store.Message) == 0


def test_wrong_types_in_numeric_fields_do_not_fail(client, helpdesk):
    form = payload("whatsapp_text", NumMedia="many", Latitude="north", Longitude="x")
    response = post_signed(client, PATH, form)
    assert response.status_code == 200


def test_get_is_not_allowed(client):
    assert client.get(PATH).status_code == 405
