"""Offices in the running app: district numbers vs the provincial number, the office on
contacts and tickets, local facts from offices.yaml, hot reload and /healthz."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
import yaml
from sqlalchemy import select

from bot import store
from bot.app import create_app
from bot.config import ROOT
from tests.conftest import PUBLIC, TOKEN, payload, post_signed

DISTRICT = "+62711000001"  # a Twilio number of Disdukcapil Kabupaten OKI (in the test file)
PROVINCE = "+14155238886"  # the recorded payloads' number: the provincial one
ASK = "Anda tinggal di kabupaten/kota mana?"


def write_offices(path, **changes):
    raw = yaml.safe_load((ROOT / "offices.yaml").read_text(encoding="utf-8"))
    for office_id, fields in changes.items():
        next(o for o in raw["offices"] if o["id"] == office_id).update(fields)
    text = yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def offices_file(tmp_path):
    path = tmp_path / "offices.yaml"
    write_offices(
        path,
        oki={"numbers": [DISTRICT]},
        lahat={"blank_stock": {"status": "terbatas", "updated": dt.date(2026, 11, 2)}},
    )
    return path


@pytest.fixture
def app(database_url, offices_file):
    app = create_app(
        {
            "TESTING": True,
            "ENV": {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
            "HELPDESK": {
                "offices": {"file": str(offices_file), "reload_seconds": 0, "settle_seconds": 0}
            },
        }
    )
    yield app
    app.extensions["helpdesk"].store.dispose()


def says(client, body, to=PROVINCE, number="+6281234567890"):
    sid = f"SM{time.monotonic_ns():032x}"
    form = payload(
        "whatsapp_text",
        Body=body,
        From=f"whatsapp:{number}",
        To=f"whatsapp:{to}",
        MessageSid=sid,
        SmsMessageSid=sid,
        SmsSid=sid,
    )
    response = post_signed(client, "/webhooks/twilio", form)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def contact_and_ticket(helpdesk, number="+6281234567890"):
    with helpdesk.store.session() as session:
        contact = session.scalar(select(store.Contact).where(store.Contact.number == number))
        ticket = session.scalar(
            select(store.Ticket)
            .where(store.Ticket.contact_id == contact.id)
            .order_by(store.Ticket.id.desc())
        )
        return contact.office_id, ticket.office_id if ticket else None


def test_a_district_number_gives_the_office_without_asking(app):
    client, helpdesk = app.test_client(), app.extensions["helpdesk"]
    body = says(client, "petugas", to=DISTRICT)
    assert "Nomor tiket Anda" in body and ASK not in body
    assert contact_and_ticket(helpdesk) == ("oki", "oki")


def test_the_provincial_number_asks_then_moves_the_ticket(app):
    client, helpdesk = app.test_client(), app.extensions["helpdesk"]
    body = says(client, "petugas")
    assert "Nomor tiket Anda" in body and ASK in body
    assert contact_and_ticket(helpdesk) == (None, None)
    body = says(client, "sy tinggal di plg kak")
    assert "Kota Palembang" in body
    assert contact_and_ticket(helpdesk) == ("palembang", "palembang")
    with helpdesk.store.session() as session:
        logged = session.scalars(
            select(store.AuditLog.action).where(store.AuditLog.action == "ticket.office_by_citizen")
        ).all()
    assert logged == ["ticket.office_by_citizen"]


def test_local_facts_come_from_the_offices_file(app):
    client = app.test_client()
    body = says(client, "stok blangko ktp el masih ada")
    assert "berbeda di setiap kabupaten/kota" in body and ASK in body
    body = says(client, "lahat")
    assert "Stok blangko di kantor Anda: terbatas (data per 02/11/2026)." in body


def test_a_changed_file_is_served_and_a_broken_one_is_not(app, offices_file):
    client, helpdesk = app.test_client(), app.extensions["helpdesk"]
    write_offices(offices_file, lahat={"numbers": ["+62731000002"]})
    future = time.time() + 5  # a new mtime even within the file system's clock tick
    os.utime(offices_file, (future, future))
    assert helpdesk.settings.offices.for_number("+62731000002").id == "lahat"
    offices_file.write_text("offices: [ {id: broken", encoding="utf-8")
    assert helpdesk.settings.offices.for_number("+62731000002").id == "lahat"  # last good
    health = client.get("/healthz").get_json()
    assert health["offices"] == 17 and health["offices_errors"]
