"""Pungli reports through the signed Twilio webhook: WhatsApp and SMS, storage, CEK,
confidentiality of the flow's messages, expiry, and evidence fetched by the worker."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot import conversations, pungli_reports, store, tickets
from bot.messages import WHATSAPP, Inbound
from tests.conftest import payload, post_signed

CODE = re.compile(r"\bPGL-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}\b")
WA_NUMBER = "+6281234567890"
SMS_NUMBER = "+6285273456789"


class Phone:
    """A citizen's phone sending signed Twilio forms to the webhook."""

    count = 0

    def __init__(self, client, kind="whatsapp_text", number=WA_NUMBER):
        self.client, self.kind, self.number = client, kind, number

    def send(self, body: str = "", template: str | None = None, **fields) -> str:
        Phone.count += 1
        sid = f"SM{Phone.count:032x}"
        form = payload(template or self.kind, Body=body, MessageSid=sid, SmsSid=sid,
                       SmsMessageSid=sid, **fields)  # fmt: skip
        if self.number:
            prefix = "whatsapp:" if form["From"].startswith("whatsapp:") else ""
            form["From"] = prefix + self.number
        response = post_signed(self.client, "/webhooks/twilio", form)
        assert response.status_code == 200
        root = ET.fromstring(response.data)  # noqa: S314 - our own TwiML
        return "\n".join(m.text or "" for m in root.iter("Message"))


def file_report(phone: Phone, *, evidence=(), named: str | None = None) -> str:
    """Go through the whole flow and return the tracking code."""
    phone.send("LAPOR")
    phone.send("Petugas loket minta 100rb supaya KTP cepat jadi")
    phone.send("2")
    phone.send("Kecamatan Ilir Barat I")
    phone.send("kemarin")
    phone.send("Rp 100.000")
    for form in evidence:
        phone.send(**form)
    phone.send("selesai")
    if named:
        phone.send("2")
        phone.send(named)
    else:
        phone.send("1")
    reply = phone.send("1")
    (code,) = set(CODE.findall(reply))
    return code


def test_whole_flow_on_whatsapp_files_a_confidential_report(client, helpdesk):
    phone = Phone(client)
    code = file_report(phone)
    with helpdesk.store.session() as session:
        report = session.scalars(select(store.PungliReport)).one()
        contact = store.find_contact(session, WHATSAPP, WA_NUMBER)
        assert report.code == code and report.status == "diterima"
        assert report.what == "Petugas loket minta 100rb supaya KTP cepat jadi"
        assert report.place == "kecamatan" and report.place_detail == "Kecamatan Ilir Barat I"
        assert report.happened_on is not None and report.amount == 100_000
        assert report.anonymous is True and report.reporter_name is None
        assert report.channel == "whatsapp"
        # The reporter is only an encrypted reference that the server can resolve.
        assert str(contact.id) != report.reporter_ref and WA_NUMBER not in report.reporter_ref
        assert pungli_reports.reporter_contact(session, report, helpdesk.settings.pungli) == contact
        # No officer ticket, and every message of the flow is marked confidential.
        assert session.scalar(select(func.count()).select_from(store.Ticket)) == 0
        kinds = session.scalars(select(store.Message.kind)).all()
        assert len(kinds) == 19 and set(kinds) == {store.PUNGLI_KIND}
        audit = session.scalars(select(store.AuditLog.action)).all()
        assert "pungli.filed" in audit
        # The flow ended, nothing of the draft is left on the contact.
        assert contact.state.get("flow") is None and contact.state.get("flow_data") == {}


def test_whole_flow_on_sms_in_plain_text(client, helpdesk):
    phone = Phone(client, "sms_text", number=SMS_NUMBER)
    replies = [phone.send("lapor"), phone.send("Pak RT minta uang 25 ribu untuk surat pengantar")]
    replies += [phone.send(a) for a in ("4", "RT 05 Sukamaju", "14/7", "25rb")]
    assert "Lewat SMS kami tidak bisa menerima foto" in replies[-1]
    replies += [phone.send("lanjut"), phone.send("1")]
    final = phone.send("1")
    replies.append(final)
    assert all("*" not in r for r in replies)
    (code,) = set(CODE.findall(final))
    with helpdesk.store.session() as session:
        report = pungli_reports.find(session, code)
        assert report.channel == "sms" and report.place == "rt_rw" and report.amount == 25_000
        assert report.happened_on.month == 7 and report.happened_on.day == 14


def test_money_demand_through_the_webhook_confirms_first(client, helpdesk):
    phone = Phone(client)
    reply = phone.send("tadi diminta 50rb buat ktp")
    assert "Apakah Anda ingin melaporkan pungutan liar?" in reply and "GRATIS" in reply
    assert "Di mana kejadiannya" in phone.send("1")


def test_batal_in_the_middle_files_nothing_and_keeps_no_draft(client, helpdesk):
    phone = Phone(client)
    phone.send("LAPOR")
    phone.send("Petugas minta 50rb")
    assert "dibatalkan" in phone.send("BATAL")
    with helpdesk.store.session() as session:
        assert session.scalar(select(func.count()).select_from(store.PungliReport)) == 0
        contact = store.find_contact(session, WHATSAPP, WA_NUMBER)
        assert contact.state["flow"] is None and contact.state["flow_data"] == {}


def test_bad_answer_through_the_webhook_is_asked_again(client):
    phone = Phone(client)
    phone.send("LAPOR")
    phone.send("Petugas minta 50rb")
    reply = phone.send("9")
    assert "belum bisa kami baca" in reply and "Contoh" in reply


def test_expiry_keeps_the_draft_and_lapor_continues_it(app, helpdesk):
    now = dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)

    def say(text, at):
        receipt = conversations.receive(
            helpdesk.store, helpdesk.library, helpdesk.settings,
            Inbound(WHATSAPP, WA_NUMBER, "+62811", text), now=at,
        )  # fmt: skip
        return "\n".join(receipt.replies)

    say("LAPOR", now)
    say("Petugas minta 50rb", now + dt.timedelta(minutes=1))
    late = now + dt.timedelta(hours=3)
    assert "draf" in say("kecamatan", late)
    with helpdesk.store.session() as session:
        contact = store.find_contact(session, WHATSAPP, WA_NUMBER)
        assert contact.state["flow"] is None
        assert contact.state["flow_data"]["pungli_draft"]["draft"]["what"] == "Petugas minta 50rb"
        assert session.scalar(select(func.count()).select_from(store.PungliReport)) == 0
    assert "belum selesai" in say("LAPOR", late + dt.timedelta(minutes=1))
    assert "Di mana kejadiannya" in say("1", late + dt.timedelta(minutes=2))


# ---------------------------------------------------------------- CEK


def test_cek_from_the_reporters_number_gives_the_status(client, helpdesk):
    phone = Phone(client)
    code = file_report(phone)
    reply = phone.send(f"CEK {code}")
    assert code in reply and "Diterima" in reply
    assert "menunggu diperiksa" in reply
    lower = phone.send(f"cek {code.lower()}")
    assert "Diterima" in lower


def test_cek_from_another_number_reveals_nothing(client, helpdesk):
    code = file_report(Phone(client))
    other = Phone(client, number="+6281399998888")
    other.send("halo")
    reply = other.send(f"CEK {code}")
    unknown = other.send("CEK PGL-ZZZZZZ")
    assert reply == unknown
    assert "tidak ditemukan" in reply
    assert code not in reply and "Diterima" not in reply
    # The same number by SMS is another contact: nothing either.
    sms = Phone(client, "sms_text", number=WA_NUMBER)
    sms.send("halo")
    assert "tidak ditemukan" in sms.send(f"CEK {code}")
    with helpdesk.store.session() as session:
        actions = session.scalars(select(store.AuditLog.action)).all()
        assert actions.count("pungli.check_refused") == 3


# ---------------------------------------------------------------- officers never see it


def test_flow_messages_are_not_in_the_officers_conversation_view(client, helpdesk):
    phone = Phone(client)
    phone.send("PETUGAS")  # a ticket for something else
    file_report(phone)
    phone.send("halo lagi")
    with helpdesk.store.session() as session:
        contact = store.find_contact(session, WHATSAPP, WA_NUMBER)
        shown = tickets.history(session, contact.id)
        bodies = " ".join(m.body for m in shown)
        assert "PETUGAS" in bodies and "halo lagi" in bodies
        assert "Petugas loket minta 100rb" not in bodies
        assert "PGL-" not in bodies and "Ringkasan laporan" not in bodies
        assert all(m.kind != store.PUNGLI_KIND for m in shown)
        ticket = session.scalars(select(store.Ticket)).one()
        joined = session.scalars(
            select(store.Message).where(store.Message.ticket_id == ticket.id)
        ).all()
        assert all(m.kind != store.PUNGLI_KIND for m in joined)


def test_report_while_an_officer_holds_the_ticket_stays_out_of_it(client, helpdesk):
    phone = Phone(client)
    phone.send("PETUGAS")
    with helpdesk.store.session() as session:
        ticket = session.scalars(select(store.Ticket)).one()
        ticket.state = "claimed"
    code = file_report(phone)
    with helpdesk.store.session() as session:
        ticket_messages = session.scalars(
            select(store.Message.body).where(store.Message.ticket_id == ticket.id)
        ).all()
        assert not any("100rb" in body or code in body for body in ticket_messages)


# ---------------------------------------------------------------- evidence


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x8825] = {1: "S", 2: (2.0, 59.0, 0.0), 3: "E", 4: (104.0, 45.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


class FakeTwilio(BaseHTTPRequestHandler):
    """Twilio's media URL (basic auth, redirect) and the CDN it redirects to, on 127.0.0.1."""

    files: dict[str, tuple[bytes, str]] = {}
    seen: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        FakeTwilio.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/2010-04-01/"):
            if self.headers.get("Authorization") != "Basic QUMxMjM6c2VjcmV0":  # AC123:secret
                self.send_response(401)
                self.end_headers()
                return
            self.send_response(307)
            self.send_header("Location", "/cdn/" + self.path.rsplit("/", 1)[-1])
            self.end_headers()
            return
        name = self.path.rsplit("/", 1)[-1]
        if name not in FakeTwilio.files:
            self.send_response(404)
            self.end_headers()
            return
        data, kind = FakeTwilio.files[name]
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_twilio():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTwilio.files, FakeTwilio.seen = {}, []
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_media_evidence_is_fetched_stored_safely_and_stripped(
    client, helpdesk, fake_twilio, tmp_path
):
    from webhooks.media import TwilioMediaFetcher

    photo = _jpeg_with_gps()
    FakeTwilio.files = {"ME1": (photo, "image/jpeg"), "ME2": (b"OggS fake voice", "audio/ogg")}
    base = f"{fake_twilio}/2010-04-01/Accounts/AC123/Messages/MM1/Media/"
    phone = Phone(client)
    photo_form = {"template": "whatsapp_media", "MediaUrl0": base + "ME1",
                  "MediaContentType0": "image/jpeg"}  # fmt: skip
    voice_form = {"template": "whatsapp_voice", "MediaUrl0": base + "ME2",
                  "MediaContentType0": "audio/ogg"}  # fmt: skip
    code = file_report(phone, evidence=[photo_form, voice_form])
    with helpdesk.store.session() as session:
        report = pungli_reports.find(session, code)
        items = pungli_reports.evidence_of(session, report.id)
        assert [(e.state, e.content_type) for e in items] == [
            ("pending", "image/jpeg"), ("pending", "audio/ogg")]  # fmt: skip

    folder = tmp_path / "evidence"
    fetcher = TwilioMediaFetcher("AC123", "secret", api_base=fake_twilio)
    assert pungli_reports.store_pending_evidence(helpdesk.store, fetcher, folder) == 2

    # Credentials went to Twilio's URL only, never to the CDN it redirected to.
    assert [auth is not None for path, auth in FakeTwilio.seen] == [True, False, True, False]
    with helpdesk.store.session() as session:
        items = pungli_reports.evidence_of(session, report.id)
        assert {e.state for e in items} == {"stored"}
        photo_item, voice_item = items
        stored = folder / photo_item.stored_name
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", photo_item.stored_name)
        assert stored.stat().st_mode & 0o077 == 0
        data = stored.read_bytes()
        assert hashlib.sha256(data).hexdigest() == photo_item.sha256
        assert b"KameraRahasia" in photo and b"KameraRahasia" not in data
        with Image.open(stored) as image:
            assert image.size == (40, 30) and not image.getexif()
        assert (folder / voice_item.stored_name).read_bytes() == b"OggS fake voice"
    # Nothing is fetched twice.
    assert pungli_reports.store_pending_evidence(helpdesk.store, fetcher, folder) == 0


def test_evidence_fetch_failures_are_retried_then_marked_failed(helpdesk, fake_twilio, tmp_path):
    from webhooks.media import TwilioMediaFetcher

    with helpdesk.store.session() as session:
        contact = store.Contact(channel=WHATSAPP, number=WA_NUMBER, state={})
        session.add(contact)
        session.flush()
        draft = {"what": "minta uang", "evidence": [
            {"url": f"{fake_twilio}/2010-04-01/Accounts/AC123/Messages/MM/Media/GONE",
             "content_type": "image/jpeg"},
            {"url": f"{fake_twilio}/2010-04-01/Accounts/AC123/Messages/MM/Media/BIG",
             "content_type": "application/pdf"},
            {"url": "https://evil.example/steal", "content_type": "image/jpeg"},
        ]}  # fmt: skip
        report = pungli_reports.file_report(
            session, contact, draft, helpdesk.settings.pungli, store.utcnow()
        )
    FakeTwilio.files = {"BIG": (b"%PDF-" + b"x" * 2000, "application/pdf")}
    fetcher = TwilioMediaFetcher("AC123", "secret", api_base=fake_twilio)
    for _ in range(3):
        pungli_reports.store_pending_evidence(
            helpdesk.store, fetcher, tmp_path / "evidence", max_bytes=1000, max_attempts=3
        )
    with helpdesk.store.session() as session:
        gone, big, evil = pungli_reports.evidence_of(session, report.id)
        assert (gone.state, gone.attempts) == ("failed", 3) and "404" in gone.last_error
        assert big.state == "failed" and "terlalu besar" in big.last_error
        assert evil.state == "failed" and "evil.example" not in str(FakeTwilio.seen)
    assert list((tmp_path / "evidence").iterdir()) == []
