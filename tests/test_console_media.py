"""Citizens' photos and files reach officers through the console (GET …/media/…), fetched
from Twilio with the account's credentials: images inline, anything else as a download,
never rendered as a page, and only to those who may see the conversation."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from bot import store
from tests.conftest import add_user, citizen_says, latest_ticket_id, login, payload, post_signed

pytestmark = pytest.mark.usefixtures("quick_logins")

ACCOUNT = "AC" + "7" * 32
SECRET = "test-auth-token-0123456789abcdef"  # the app fixture's TWILIO_AUTH_TOKEN
SITI = "+6281234567890"
JPEG = b"\xff\xd8\xff\xe0 foto KK"


class Twilio(BaseHTTPRequestHandler):
    """Twilio's media URLs (basic auth, then a redirect to the CDN without it)."""

    files: dict[str, tuple[int, bytes, str]] = {}
    seen: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        Twilio.seen.append((self.path, self.headers.get("Authorization")))
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/2010-04-01/"):
            expected = base64.b64encode(f"{ACCOUNT}:{SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._answer(401, b"", "text/plain")
            else:
                self.send_response(307)
                self.send_header("Location", f"/cdn/{name}")
                self.end_headers()
            return
        status, data, kind = Twilio.files.get(name, (404, b"", "text/plain"))
        self._answer(status, data, kind)

    def _answer(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio(app):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Twilio)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Twilio.files, Twilio.seen = {}, []
    base = f"http://127.0.0.1:{server.server_port}"
    app.config.update(TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_API_BASE_URL=base)
    yield base
    server.shutdown()
    server.server_close()


def send_media(client, base: str, name: str, kind: str, number: str = SITI) -> None:
    url = f"{base}/2010-04-01/Accounts/{ACCOUNT}/Messages/MM1/Media/{name}"
    form = payload(
        "whatsapp_media",
        From=f"whatsapp:{number}",
        MediaUrl0=url,
        MediaContentType0=kind,
        MessageSid="MM" + name,
        SmsMessageSid="MM" + name,
        SmsSid="MM" + name,
    )
    assert post_signed(client, "/webhooks/twilio", form).status_code == 200


def media_message_id(helpdesk, number: str = SITI) -> int:
    with helpdesk.store.session() as session:
        messages = session.scalars(
            select(store.Message)
            .join(store.Contact)
            .where(store.Contact.number == number, store.Message.direction == "in")
            .order_by(store.Message.id.desc())
        )
        return next(m.id for m in messages if m.media)


@pytest.fixture
def officer(client, helpdesk, twilio):
    citizen_says(client, "petugas")
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")
    return client


def test_a_photo_is_shown_inline_from_our_own_address(officer, helpdesk, twilio):
    Twilio.files["ME1"] = (200, JPEG, "image/jpeg")
    send_media(officer, twilio, "ME1", "image/jpeg")
    ticket = latest_ticket_id(helpdesk)
    link = f"/console/tickets/{ticket}/media/{media_message_id(helpdesk)}/0"

    page = officer.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert f'<img class="thumb" src="{link}"' in page
    assert twilio not in page  # the browser never goes to Twilio itself

    response = officer.get(link)
    assert response.status_code == 200 and response.data == JPEG
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "private" in response.headers["Cache-Control"]
    (to_twilio, auth), (to_cdn, cdn_auth) = Twilio.seen
    assert auth and auth.startswith("Basic ") and cdn_auth is None  # credentials to Twilio only


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("image/svg+xml", b"<svg onload=alert(1)></svg>"),
        ("text/html", b"<script>alert(1)</script>"),
        ("application/pdf", b"%PDF-1.7"),
    ],
)
def test_anything_but_a_plain_image_is_a_download_never_a_page(
    officer, helpdesk, twilio, kind, data
):
    Twilio.files["ME2"] = (200, data, kind)
    send_media(officer, twilio, "ME2", kind)
    response = officer.get(
        f"/console/tickets/{latest_ticket_id(helpdesk)}/media/{media_message_id(helpdesk)}/0"
    )
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_twilio_unreachable_or_refusing_is_a_clear_502(officer, helpdesk, twilio):
    Twilio.files["ME3"] = (500, b"", "text/plain")
    send_media(officer, twilio, "ME3", "image/jpeg")
    response = officer.get(
        f"/console/tickets/{latest_ticket_id(helpdesk)}/media/{media_message_id(helpdesk)}/0"
    )
    assert response.status_code == 502
    assert "tidak dapat diambil" in response.get_data(as_text=True)


def test_a_url_not_on_twilios_host_is_never_fetched(officer, helpdesk, twilio):
    form = payload("whatsapp_media", MediaUrl0="http://169.254.169.254/latest/meta-data")
    post_signed(officer, "/webhooks/twilio", form)
    response = officer.get(
        f"/console/tickets/{latest_ticket_id(helpdesk)}/media/{media_message_id(helpdesk)}/0"
    )
    assert response.status_code == 502 and Twilio.seen == []


def test_only_the_ticket_own_messages_and_existing_files(officer, helpdesk, twilio):
    Twilio.files["ME4"] = Twilio.files["ME7"] = (200, JPEG, "image/jpeg")
    send_media(officer, twilio, "ME7", "image/jpeg", number="+6285273456789")  # another citizen
    other_message = media_message_id(helpdesk, "+6285273456789")
    send_media(officer, twilio, "ME4", "image/jpeg")
    ticket = latest_ticket_id(helpdesk)
    mine = media_message_id(helpdesk)
    assert officer.get(f"/console/tickets/{ticket}/media/{other_message}/0").status_code == 404
    assert officer.get(f"/console/tickets/{ticket}/media/{mine}/1").status_code == 404
    assert officer.get(f"/console/tickets/{ticket}/media/{mine}/0").status_code == 200
    with helpdesk.store.session() as session:  # a pungli report's evidence: investigators only
        session.get(store.Message, mine).kind = store.PUNGLI_KIND
    assert officer.get(f"/console/tickets/{ticket}/media/{mine}/0").status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 302), ("editor", 403), ("investigator", 403), ("admin", 403), ("supervisor", 200)],
)
def test_who_may_open_a_file(client, helpdesk, twilio, role, status):
    Twilio.files["ME5"] = (200, JPEG, "image/jpeg")
    citizen_says(client, "petugas")
    send_media(client, twilio, "ME5", "image/jpeg")
    if role:
        add_user(helpdesk, "saya", role)
        login(client, "saya")
    link = f"/console/tickets/{latest_ticket_id(helpdesk)}/media/{media_message_id(helpdesk)}/0"
    assert client.get(link).status_code == status


def test_without_a_twilio_account_nothing_is_fetched(officer, helpdesk, twilio, app):
    send_media(officer, twilio, "ME6", "image/jpeg")
    app.config["TWILIO_ACCOUNT_SID"] = None
    link = f"/console/tickets/{latest_ticket_id(helpdesk)}/media/{media_message_id(helpdesk)}/0"
    assert officer.get(link).status_code == 404 and Twilio.seen == []
