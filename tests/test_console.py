"""The officers' console through HTTP: login, queue, claim, conversation, reply, close."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from sqlalchemy import func, select

from bot import store
from tests.conftest import (
    add_user,
    citizen_says,
    csrf_token,
    latest_ticket_id,
    login,
)

pytestmark = pytest.mark.usefixtures("quick_logins")

SITI = "+6281234567890"
UNKNOWN = "xqzv plorf gnarb wuzzle"
BUDI = "+6285273456789"


def post(client, path: str, **data):
    """POST a console form with the session's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


def flashes(client, path: str = "/console/") -> str:
    return client.get(path).get_data(as_text=True)


@pytest.fixture
def officer(client, helpdesk):
    """A logged-in officer, Budi."""
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")
    return client


def ticket_row(helpdesk, ticket_id: int) -> store.Ticket:
    with helpdesk.store.session() as session:
        return session.get(store.Ticket, ticket_id)


def out_messages(helpdesk, author: str | None = None) -> list[store.Message]:
    with helpdesk.store.session() as session:
        query = select(store.Message).where(store.Message.direction == "out")
        if author:
            query = query.where(store.Message.author == author)
        return session.scalars(query.order_by(store.Message.id)).all()


def outbox_count(helpdesk) -> int:
    with helpdesk.store.session() as session:
        return session.scalar(select(func.count()).select_from(store.Outbox))


def audit_actions(helpdesk) -> list[str]:
    with helpdesk.store.session() as session:
        return session.scalars(select(store.AuditLog.action).order_by(store.AuditLog.id)).all()


def age_contact(helpdesk, number: str, hours: float) -> None:
    """Pretend the citizen's last message came `hours` ago."""
    with helpdesk.store.session() as session:
        contact = session.scalars(select(store.Contact).where(store.Contact.number == number)).one()
        contact.last_inbound_at = store.utcnow() - dt.timedelta(hours=hours)


# ---------------------------------------------------------------- login


def test_login_page_and_successful_login(client, helpdesk):
    add_user(helpdesk, "budi", "officer")
    assert "Masuk ke konsol petugas" in client.get("/console/login").get_data(as_text=True)
    response = login(client, "budi")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console/")
    assert "login" in audit_actions(helpdesk)


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        (("officer",), "/console/"),
        (("admin",), "/console/users"),
        (("investigator",), "/console/pungli"),
        (("editor",), "/console/faq/"),
    ],
)
def test_each_role_lands_on_its_own_page(client, helpdesk, roles, landing):
    add_user(helpdesk, "siti", *roles)
    response = login(client, "siti")
    assert response.headers["Location"].endswith(landing)


def test_wrong_password_and_unknown_user_get_the_same_answer(client, helpdesk, monkeypatch):
    from bot.console import views

    pauses = []
    monkeypatch.setattr(views.time, "sleep", pauses.append)
    helpdesk.config["login"]["failure_delay_seconds"] = 0.5
    add_user(helpdesk, "budi", "officer")
    wrong = login(client, "budi", "salah-salah-salah")
    unknown = login(client, "tidakada", "salah-salah-salah")
    assert wrong.status_code == unknown.status_code == 401
    text = helpdesk.config["console"]["texts"]["login_failed"]
    assert text in wrong.get_data(as_text=True)
    assert text in unknown.get_data(as_text=True)
    assert pauses == [0.5, 0.5]  # every failure is slowed
    assert client.get("/console/").status_code == 302


def test_five_failures_lock_the_account_even_for_the_right_password(client, helpdesk):
    add_user(helpdesk, "budi", "officer")
    for _ in range(5):
        assert login(client, "budi", "tebakan-salah").status_code == 401
    assert login(client, "budi").status_code == 401  # locked: right password refused
    assert "login.locked" in audit_actions(helpdesk)
    with helpdesk.store.session() as session:
        user = session.scalars(select(store.User).where(store.User.username == "budi")).one()
        assert user.locked_until > store.utcnow()
        user.locked_until = store.utcnow() - dt.timedelta(seconds=1)  # the lock ran out
    assert login(client, "budi").status_code == 302


def test_disabled_account_cannot_log_in_and_its_session_ends(client, helpdesk, app):
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")
    assert client.get("/console/").status_code == 200
    result = app.test_cli_runner().invoke(args=["users", "disable", "budi"])
    assert result.exit_code == 0, result.output
    assert client.get("/console/").status_code == 302
    assert login(client, "budi").status_code == 401


def test_password_change_ends_other_sessions(client, helpdesk, app):
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")
    app.test_cli_runner().invoke(args=["users", "passwd", "budi", "--password", "baru-12345"])
    assert client.get("/console/").status_code == 302
    assert login(client, "budi", "baru-12345").status_code == 302


def test_logout(officer):
    response = post(officer, "/console/logout")
    assert response.status_code == 302
    assert officer.get("/console/").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(client, helpdesk, target):
    add_user(helpdesk, "budi", "officer")
    token = csrf_token(client)
    response = client.post(
        "/console/login?next=" + target,
        data={"username": "budi", "password": "kata-sandi-uji-123", "csrf_token": token},
    )
    assert response.headers["Location"] == "/console/"


def test_login_goes_back_to_the_page_asked_for(client, helpdesk):
    add_user(helpdesk, "budi", "officer")
    citizen_says(client, "petugas")
    ticket = latest_ticket_id(helpdesk)
    first = client.get(f"/console/tickets/{ticket}")
    assert "next=" in first.headers["Location"]
    token = csrf_token(client)
    response = client.post(
        first.headers["Location"],
        data={"username": "budi", "password": "kata-sandi-uji-123", "csrf_token": token},
    )
    assert response.headers["Location"] == f"/console/tickets/{ticket}"


def test_session_cookie_is_httponly_and_samesite(client, helpdesk):
    add_user(helpdesk, "budi", "officer")
    cookie = login(client, "budi").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_cookie_is_secure_in_production(database_url):
    from bot.app import create_app

    app = create_app(
        {
            "ENV": {
                "HELPDESK_ENV": "production",
                "DATABASE_URL": database_url,
                "SECRET_KEY": "s",
                "PUBLIC_BASE_URL": "https://x",
                "TWILIO_AUTH_TOKEN": "t",
            }
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    app.extensions["helpdesk"].store.dispose()


# ---------------------------------------------------------------- queue


def test_queue_lists_open_tickets_longest_waiting_first(officer, helpdesk):
    citizen_says(officer, "petugas", number=SITI, name="Siti Aminah")
    citizen_says(officer, "petugas", number=BUDI, sms=True)
    siti, budi = latest_ticket_id(helpdesk, SITI), latest_ticket_id(helpdesk, BUDI)
    with helpdesk.store.session() as session:  # Budi's SMS has waited longer
        session.get(store.Ticket, budi).waiting_since = store.utcnow() - dt.timedelta(hours=2)
    html = officer.get("/console/").get_data(as_text=True)
    assert html.index(f"TK-{budi:06d}") < html.index(f"TK-{siti:06d}")
    assert "Siti Aminah" in html
    assert "+62 812-****-7890" in html and SITI not in html  # masked, never whole
    assert "+62 852-****-6789" in html
    assert "WhatsApp" in html and "SMS" in html
    assert "2 j 0 mnt" in html  # waiting time
    assert "tanpa batas (SMS)" in html  # SMS has no 24-hour window
    assert re.search(r"2[34] j \d+ mnt lagi", html)  # Siti's WhatsApp window
    assert "<title>(2) Antrean" in html


def test_queue_shows_the_first_words_of_the_question(officer, helpdesk):
    citizen_says(officer, "petugas")
    citizen_says(officer, "anak saya lahir di Malaysia 3 tahun lalu, akta dibuat di mana ya")
    html = officer.get("/console/").get_data(as_text=True)
    assert "petugas" in html  # the first message of the ticket


def test_queue_filters(officer, helpdesk):
    add_user(helpdesk, "sari", "officer")
    citizen_says(officer, "petugas", number=SITI)
    citizen_says(officer, "petugas", number=BUDI, sms=True)
    mine = latest_ticket_id(helpdesk, SITI)
    post(officer, f"/console/tickets/{mine}/claim")
    other = latest_ticket_id(helpdesk, BUDI)

    def listed(view: str) -> set[int]:
        html = officer.get(f"/console/?view={view}").get_data(as_text=True)
        return {int(n) for n in re.findall(r'data-id="(\d+)"', html)}

    assert listed("unclaimed") == {other}
    assert listed("mine") == {mine}
    assert listed("open") == {mine, other}
    assert listed("closed") == set()
    post(officer, f"/console/tickets/{mine}/close", resolution="sudah dijawab")
    assert listed("closed") == {mine}
    assert listed("open") == {other}


@pytest.mark.parametrize("query", ["TK-{id:06d}", "{id}", "081234567890", "4567890", "+62812345"])
def test_search_by_ticket_number_or_phone(officer, helpdesk, query):
    citizen_says(officer, "petugas", number=SITI)
    citizen_says(officer, "petugas", number=BUDI, sms=True)
    siti = latest_ticket_id(helpdesk, SITI)
    html = officer.get("/console/", query_string={"q": query.format(id=siti)}).get_data(
        as_text=True
    )
    assert set(re.findall(r'data-id="(\d+)"', html)) == {str(siti)}


def test_queue_poll_returns_rows_and_waiting_count(officer, helpdesk):
    assert officer.get("/console/queue.json").get_json()["waiting"] == 0
    citizen_says(officer, "petugas")
    data = officer.get("/console/queue.json").get_json()
    assert data["waiting"] == 1
    assert f"TK-{latest_ticket_id(helpdesk):06d}" in data["html"]


def test_citizen_text_is_escaped_everywhere(officer, helpdesk):
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    citizen_says(officer, "petugas", name="<b>Nama</b>")
    citizen_says(officer, evil)
    ticket = latest_ticket_id(helpdesk)
    pages = [
        officer.get("/console/").get_data(as_text=True),
        officer.get("/console/queue.json").get_json()["html"],
        officer.get(f"/console/tickets/{ticket}").get_data(as_text=True),
        officer.get(f"/console/tickets/{ticket}/poll.json").get_json()["html"],
    ]
    for html in pages:
        assert "<script>alert" not in html and "<b>Nama</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[2]


# ---------------------------------------------------------------- claim


def test_claim_then_the_bot_stays_quiet_and_the_officer_reads(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    response = post(officer, f"/console/tickets/{ticket}/claim")
    assert response.headers["Location"].endswith(f"/console/tickets/{ticket}")
    assert ticket_row(helpdesk, ticket).state == "claimed"
    for text in ("halo masih ada?", "menu", "batal"):
        twiml = citizen_says(officer, text).get_data(as_text=True)
        assert "<Message>" not in twiml  # no bot reply once a human took over
    assert ticket_row(helpdesk, ticket).state == "claimed"
    html = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "halo masih ada?" in html and "batal" in html
    assert "ticket.claim" in audit_actions(helpdesk)


def test_second_officer_is_told_who_owns_the_ticket(app, helpdesk, officer):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    add_user(helpdesk, "sari", "officer")
    sari = app.test_client()
    login(sari, "sari")
    response = post(sari, f"/console/tickets/{ticket}/claim", **{"from": "queue"})
    assert response.headers["Location"].endswith("/console/")
    assert "sudah ditangani oleh Budi" in sari.get("/console/").get_data(as_text=True)
    assert ticket_row(helpdesk, ticket).assignee_id != _user_id(helpdesk, "sari")


def _user_id(helpdesk, username: str) -> int:
    with helpdesk.store.session() as session:
        return session.scalar(select(store.User.id).where(store.User.username == username))


def test_concurrent_claims_from_two_sessions_have_one_winner(app, helpdesk):
    first, second = app.test_client(), app.test_client()
    citizen_says(first, "petugas")
    ticket = latest_ticket_id(helpdesk)
    for name, client in (("budi", first), ("sari", second)):
        add_user(helpdesk, name, "officer")
        login(client, name)
    tokens = {id(c): csrf_token(c) for c in (first, second)}
    barrier = threading.Barrier(2)
    responses = {}

    def claim(name, client):
        barrier.wait()
        responses[name] = client.post(
            f"/console/tickets/{ticket}/claim", data={"csrf_token": tokens[id(client)]}
        )

    threads = [
        threading.Thread(target=claim, args=pair) for pair in (("budi", first), ("sari", second))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    owner = ticket_row(helpdesk, ticket).assignee_id
    assert owner in (_user_id(helpdesk, "budi"), _user_id(helpdesk, "sari"))
    loser, loser_client = (
        ("sari", second) if owner == _user_id(helpdesk, "budi") else ("budi", first)
    )
    winner_name = "Budi" if loser == "sari" else "Sari"
    page = loser_client.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert f"sudah ditangani oleh {winner_name}" in page
    assert audit_actions(helpdesk).count("ticket.claim") == 1


def test_double_click_on_claim_is_harmless(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    post(officer, f"/console/tickets/{ticket}/claim")
    html = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "sudah ditangani" not in html
    assert audit_actions(helpdesk).count("ticket.claim") == 1


def test_release_puts_the_ticket_back_in_the_queue(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    response = post(officer, f"/console/tickets/{ticket}/release")
    assert response.headers["Location"].endswith("/console/")
    found = ticket_row(helpdesk, ticket)
    assert (found.state, found.assignee_id) == ("open", None)
    assert "ticket.release" in audit_actions(helpdesk)


def test_officer_cannot_release_or_close_a_colleagues_ticket(app, helpdesk, officer):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    add_user(helpdesk, "sari", "officer")
    sari = app.test_client()
    login(sari, "sari")
    post(sari, f"/console/tickets/{ticket}/release")
    post(sari, f"/console/tickets/{ticket}/close", resolution="x")
    post(sari, f"/console/tickets/{ticket}/reply", body="halo")
    assert ticket_row(helpdesk, ticket).state == "claimed"
    assert out_messages(helpdesk, "officer") == []


def test_supervisor_reassigns_a_ticket(app, helpdesk, officer):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    sari = add_user(helpdesk, "sari", "officer")
    add_user(helpdesk, "kepala", "supervisor")
    boss = app.test_client()
    login(boss, "kepala")
    page = boss.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "Alihkan ke" in page
    post(boss, f"/console/tickets/{ticket}/reassign", assignee=str(sari))
    assert ticket_row(helpdesk, ticket).assignee_id == sari
    assert "dialihkan ke Sari" in boss.get("/console/").get_data(as_text=True)
    assert "ticket.reassign" in audit_actions(helpdesk)
    assert "Alihkan ke" not in officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)


# ---------------------------------------------------------------- conversation and reply


def test_conversation_shows_history_reason_notes_and_statuses(officer, helpdesk):
    citizen_says(officer, "halo")
    citizen_says(officer, UNKNOWN)  # nothing in the FAQ is near: escalated
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    post(officer, f"/console/tickets/{ticket}/note", body="sudah tanya ke bidang pendaftaran")
    post(officer, f"/console/tickets/{ticket}/reply", body="Selamat siang, Bu.")
    with helpdesk.store.session() as session:
        reply = session.scalars(
            select(store.Message).where(
                store.Message.author == "officer", store.Message.kind == "message"
            )
        ).one()
        reply.status, reply.error_code = "failed", "63016"
    html = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "halo" in html  # the history with the bot before the ticket
    assert "Selamat datang" in html  # the bot's own answers
    assert "bot tidak menemukan jawaban" in html  # why it was escalated
    found = ticket_row(helpdesk, ticket)
    assert found.matcher_reason and found.matcher_reason in html
    assert "Catatan internal" in html and "sudah tanya ke bidang pendaftaran" in html
    assert "gagal: di luar jendela 24 jam WhatsApp" in html


def test_notes_are_never_sent_to_the_citizen(officer, helpdesk, client):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/note", body="rahasia internal")
    assert outbox_count(helpdesk) == 0
    simulated = client.get(
        "/simulator/messages", query_string={"number": SITI, "channel": "whatsapp"}
    )
    assert "rahasia internal" not in simulated.get_data(as_text=True)
    assert "ticket.note" in audit_actions(helpdesk)


def test_media_is_shown_as_thumbnail_or_link(officer, helpdesk):
    from tests.conftest import payload, post_signed

    citizen_says(officer, "petugas")
    post_signed(officer, "/webhooks/twilio", payload("whatsapp_media"))
    post_signed(officer, "/webhooks/twilio", payload("whatsapp_voice", From=f"whatsapp:{SITI}"))
    html = officer.get(f"/console/tickets/{latest_ticket_id(helpdesk)}").get_data(as_text=True)
    assert re.search(r'<img class="thumb" src="/console/tickets/\d+/media/\d+/0"', html)
    assert "Lampiran (audio/ogg)" in html


def test_reply_goes_to_the_outbox_and_shows_as_queued(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    response = post(officer, f"/console/tickets/{ticket}/reply", body="Silakan datang besok.")
    assert response.status_code == 302
    budi = _user_id(helpdesk, "budi")
    with helpdesk.store.session() as session:
        row = session.scalars(select(store.Outbox)).one()
        message = row.message
        assert (message.body, message.status, message.author) == (
            "Silakan datang besok.",
            "queued",
            "officer",
        )
        assert message.ticket_id == ticket and message.officer_id == budi
        found = session.get(store.Ticket, ticket)
        assert found.first_reply_at is not None and found.waiting_since is None
    html = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert re.search(r'data-status="queued">antre kirim<', html)
    assert "ticket.reply" in audit_actions(helpdesk)


def test_reply_needs_a_claim_first(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/reply", body="halo")
    assert outbox_count(helpdesk) == 0
    assert "Klaim tiket ini dulu" in officer.get(f"/console/tickets/{ticket}").get_data(
        as_text=True
    )


def test_faq_answer_can_be_inserted_as_a_starting_point(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    html = officer.get(f"/console/tickets/{ticket}?faq=biaya").get_data(as_text=True)
    draft = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    assert "GRATIS" in draft.upper()
    assert 'data-answer="' in html


TEMPLATE_SID = "HX0123456789abcdef0123456789abcdef"


def claimed_after_the_window(officer, helpdesk) -> int:
    """Return a ticket the officer holds whose citizen last wrote 25 hours ago."""
    helpdesk.config["whatsapp_template"]["content_sid"] = TEMPLATE_SID
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    age_contact(helpdesk, SITI, hours=25)
    return ticket


def test_after_24_hours_free_text_is_refused_and_the_template_offered(officer, helpdesk):
    ticket = claimed_after_the_window(officer, helpdesk)
    page = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "Jendela 24 jam WhatsApp sudah tertutup" in page
    assert 'id="reply-body"' not in page
    assert f"Ada balasan petugas untuk pertanyaan Anda (tiket TK-{ticket:06d})" in page

    post(officer, f"/console/tickets/{ticket}/reply", body="teks bebas")
    assert outbox_count(helpdesk) == 0
    assert "pesan bebas tidak bisa dikirim" in officer.get("/console/").get_data(as_text=True)

    post(officer, f"/console/tickets/{ticket}/template")
    (message,) = out_messages(helpdesk, "officer")
    assert message.meta["content_sid"] == TEMPLATE_SID
    assert message.meta["content_variables"] == {"1": f"TK-{ticket:06d}"}
    assert message.status == "queued" and outbox_count(helpdesk) == 1
    assert "ticket.template" in audit_actions(helpdesk)


def test_a_reply_written_with_the_template_goes_out_when_the_citizen_answers(officer, helpdesk):
    ticket = claimed_after_the_window(officer, helpdesk)
    page = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert 'id="held-body"' in page  # the reply can be written now, with the template

    post(officer, f"/console/tickets/{ticket}/template", body="KTP Anda sudah jadi, *ambil besok*.")
    template, held = out_messages(helpdesk, "officer")
    assert template.meta["content_sid"] and template.status == "queued"
    assert (held.status, held.body, held.ticket_id) == (
        "held",
        "KTP Anda sudah jadi, *ambil besok*.",
        ticket,
    )
    assert outbox_count(helpdesk) == 1  # only the template: free text would be refused
    page = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "menunggu warga membalas templat" in page
    assert "terkirim otomatis begitu warga membalas" in page

    citizen_says(officer, "YA")  # the window is open again
    _, held = out_messages(helpdesk, "officer")
    assert held.status == "queued" and outbox_count(helpdesk) == 2
    with helpdesk.store.session() as session:
        box = session.scalars(select(store.Outbox).where(store.Outbox.message_id == held.id)).one()
        assert box.state == "pending"
    citizen_says(officer, "terima kasih")
    assert outbox_count(helpdesk) == 2  # released once


def test_an_empty_reply_with_the_template_holds_nothing(officer, helpdesk):
    ticket = claimed_after_the_window(officer, helpdesk)
    post(officer, f"/console/tickets/{ticket}/template", body="   ")
    (template,) = out_messages(helpdesk, "officer")
    assert template.status == "queued"


def test_template_sid_from_the_environment_wins(database_url):
    from bot.app import create_app

    app = create_app(
        {
            "TESTING": True,
            "ENV": {"DATABASE_URL": database_url, "WHATSAPP_TEMPLATE_SID": "HXfromenv"},
        }
    )
    assert app.config["WHATSAPP_TEMPLATE_SID"] == "HXfromenv"
    with app.test_request_context():
        from bot.console import views

        assert views._template().content_sid == "HXfromenv"
    app.extensions["helpdesk"].store.dispose()


def test_missing_template_is_said_clearly(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    age_contact(helpdesk, SITI, hours=30)
    page = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "Templat WhatsApp belum diatur" in page
    post(officer, f"/console/tickets/{ticket}/template")
    assert outbox_count(helpdesk) == 0


def test_sms_has_no_window(officer, helpdesk):
    citizen_says(officer, "petugas", number=BUDI, sms=True)
    ticket = latest_ticket_id(helpdesk, BUDI)
    post(officer, f"/console/tickets/{ticket}/claim")
    age_contact(helpdesk, BUDI, hours=72)
    post(officer, f"/console/tickets/{ticket}/reply", body="Balasan lewat SMS")
    assert [m.body for m in out_messages(helpdesk, "officer")] == ["Balasan lewat SMS"]


# ---------------------------------------------------------------- close, rating, reopen


def test_close_sends_the_closing_message_and_the_citizen_rates(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    response = post(officer, f"/console/tickets/{ticket}/close", resolution="Sudah dijelaskan")
    assert response.headers["Location"].endswith("/console/")
    found = ticket_row(helpdesk, ticket)
    assert (found.state, found.resolution) == ("closed", "Sudah dijelaskan")
    (closing,) = out_messages(helpdesk, "system")
    assert f"TK-{ticket:06d}" in closing.body and closing.status == "queued"
    assert outbox_count(helpdesk) == 1

    twiml = citizen_says(officer, "3").get_data(as_text=True)
    assert "Terima kasih atas penilaian Anda" in twiml
    assert ticket_row(helpdesk, ticket).rating == 3
    assert ticket_row(helpdesk, ticket).state == "closed"
    # The flow is over: a later digit is not a new rating.
    citizen_says(officer, "1")
    assert ticket_row(helpdesk, ticket).rating == 3


def test_close_needs_a_resolution_note(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    post(officer, f"/console/tickets/{ticket}/close", resolution="  ")
    assert ticket_row(helpdesk, ticket).state == "claimed"


def test_close_after_the_window_sends_no_free_text(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    age_contact(helpdesk, SITI, hours=25)
    post(officer, f"/console/tickets/{ticket}/close", resolution="selesai")
    assert ticket_row(helpdesk, ticket).state == "closed"
    assert out_messages(helpdesk, "system") == []
    assert "Pesan penutup tidak dikirim" in officer.get("/console/").get_data(as_text=True)


def test_writing_again_soon_reopens_the_same_ticket(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    post(officer, f"/console/tickets/{ticket}/close", resolution="selesai")
    twiml = citizen_says(officer, "petugas").get_data(as_text=True)
    assert f"TK-{ticket:06d}" in twiml
    assert latest_ticket_id(helpdesk) == ticket
    found = ticket_row(helpdesk, ticket)
    assert (found.state, found.assignee_id, found.closed_at) == ("open", None, None)
    assert "ticket.reopen" in audit_actions(helpdesk)


def test_writing_again_after_the_reopen_period_starts_a_new_ticket(officer, helpdesk):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    post(officer, f"/console/tickets/{ticket}/close", resolution="selesai")
    with helpdesk.store.session() as session:
        session.get(store.Ticket, ticket).closed_at = store.utcnow() - dt.timedelta(days=4)
    citizen_says(officer, "petugas")
    assert latest_ticket_id(helpdesk) != ticket
    assert ticket_row(helpdesk, ticket).state == "closed"


def test_supervisor_can_close_a_ticket_an_officer_owns(app, helpdesk, officer):
    citizen_says(officer, "petugas")
    ticket = latest_ticket_id(helpdesk)
    post(officer, f"/console/tickets/{ticket}/claim")
    add_user(helpdesk, "kepala", "supervisor")
    boss = app.test_client()
    login(boss, "kepala")
    post(boss, f"/console/tickets/{ticket}/close", resolution="ditutup supervisor")
    assert ticket_row(helpdesk, ticket).state == "closed"


# ---------------------------------------------------------------- accounts page


@pytest.fixture
def admin(app, helpdesk):
    add_user(helpdesk, "kepala", "admin")
    client = app.test_client()
    login(client, "kepala")
    return client


def test_admin_creates_an_account_and_sees_its_password_once(admin, helpdesk, app):
    response = post(
        admin, "/console/users", username="rina", display_name="Rina", roles=["officer", "editor"]
    )
    html = response.get_data(as_text=True)
    password = re.search(r'<code class="password">([^<]+)</code>', html).group(1)
    assert "Akun rina dibuat" in html
    assert password not in admin.get("/console/users").get_data(as_text=True)  # shown once
    rina = app.test_client()
    assert login(rina, "rina", password).status_code == 302
    assert "user.create" in audit_actions(helpdesk)


def test_admin_changes_roles_disables_and_resets(admin, helpdesk):
    rina = add_user(helpdesk, "rina", "officer")
    post(
        admin,
        f"/console/users/{rina}",
        roles=["officer", "supervisor"],
        active="1",
        display_name="Rina S",
    )
    with helpdesk.store.session() as session:
        user = session.get(store.User, rina)
        assert (user.roles, user.display_name, user.active) == (
            "officer supervisor",
            "Rina S",
            True,
        )
    post(admin, f"/console/users/{rina}", roles=["officer"])  # active unticked
    with helpdesk.store.session() as session:
        assert session.get(store.User, rina).active is False
    html = post(admin, f"/console/users/{rina}/password").get_data(as_text=True)
    assert "Kata sandi baru untuk rina" in html
    actions = audit_actions(helpdesk)
    assert actions.count("user.update") == 2 and "user.password" in actions


def test_admin_cannot_lock_themselves_out(admin, helpdesk):
    me = _user_id(helpdesk, "kepala")
    post(admin, f"/console/users/{me}", roles=["officer"], active="1")
    with helpdesk.store.session() as session:
        assert "admin" in session.get(store.User, me).role_set
    assert "tidak bisa menonaktifkan akun sendiri" in admin.get("/console/users").get_data(
        as_text=True
    )
