"""Browser-test fixtures: Debian's Chromium through pytest-playwright, and the app served
on a loopback port (see ../../../shared/BROWSER_TESTS.md for why it is done this way)."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import PUBLIC, payload, sign

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium (Playwright's own download cannot work offline)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (scripts/test does)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-gpu",
            "--disable-quic",
            # No background look-ups of Google hosts on a closed network; keep the server.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ],
    }


class _Swappable:
    """A WSGI app that forwards to the current test's app (the server lives all session)."""

    def __init__(self):
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def live_server():
    """Serve whatever app `live_app` installs, on a free loopback port, in a thread."""
    target = _Swappable()
    server = make_server("127.0.0.1", 0, target, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, target
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def base_url(live_server):
    return f"http://127.0.0.1:{live_server[0].server_port}"


@pytest.fixture
def live_app(live_server, app):
    """The test's app (fresh database), served at base_url."""
    live_server[1].app = app
    yield app
    live_server[1].app = None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The folder for screenshots kept as test artifacts (not in the repository)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def send_whatsapp(
    base_url: str,
    body: str,
    *,
    number: str = "+6281234567890",
    sid: str | None = None,
    name: str | None = None,
) -> str:
    """Send a citizen's WhatsApp message to the live server the way Twilio does (a signed
    form POST); return the TwiML answer."""
    sid = sid or "SM" + uuid.uuid4().hex
    form = payload(
        "whatsapp_text",
        Body=body,
        From=f"whatsapp:{number}",
        MessageSid=sid,
        SmsMessageSid=sid,
        SmsSid=sid,
        **({"ProfileName": name} if name is not None else {}),
    )
    path = "/webhooks/twilio"
    response = requests.post(
        base_url + path,
        data=form,
        headers={"X-Twilio-Signature": sign(PUBLIC + path, form)},
        timeout=10,
    )
    assert response.status_code == 200
    return response.text
