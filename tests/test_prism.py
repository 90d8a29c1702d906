"""Conformance: the requests the worker makes are valid for Twilio's real Messages API.

Stoplight Prism serves a mock of Twilio's own OpenAPI description (tests/twilio/) and
refuses, with 422, any request the description does not allow. Needs Node 20 and npx (the
package is fetched once into ~/.npm). If Prism cannot start, these tests fail: they are
the only check against Twilio's schema, so they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bot import outbox
from bot.messages import Outbound
from bot.worker import Worker
from tests.fake_twilio import ACCOUNT_SID, twilio_sender
from tests.test_outbox import Clock, add_contact, db, enqueue, row  # noqa: F401 - fixtures

PRISM = "@stoplight/prism-cli@5.14.2"
SPEC = Path(__file__).resolve().parent / "twilio" / "twilio_api_v2010.json"
START_SECONDS = 240  # the first run downloads Prism through npm


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def prism(tmp_path_factory):
    """Start Prism in dynamic mode (a fresh SID per answer); yield its base URL."""
    npx = shutil.which("npx")
    if npx is None:
        pytest.fail("npx not found: the Prism conformance tests need Node 20 (apt install nodejs)")
    if not SPEC.is_file():
        pytest.fail(f"Twilio's OpenAPI description is missing: {SPEC}")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("prism") / "prism.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                npx,
                "--yes",
                PRISM,
                "mock",
                "--dynamic",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                str(SPEC),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"Prism exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{base}/2010-04-01/Accounts.json", timeout=2)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers (401 without credentials): up
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"Prism did not start in {START_SECONDS} s:\n{log_path.read_text()[-3000:]}"
                    )
                time.sleep(0.5)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def clock():
    return Clock()


def test_prism_refuses_requests_twilio_would_refuse(prism):
    """The control: this mock really validates (else the tests below prove nothing)."""
    bad_callback = twilio_sender(prism, timeout=10, status_callback="not a url")
    result = bad_callback.send(Outbound(channel="whatsapp", to="+6281234567890", body="halo"))
    assert (result.ok, result.error_code) == (False, "422")
    client = twilio_sender(prism, timeout=10).client
    no_to = client.http_client.request(
        "POST",
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"Body": "halo", "From": "+15005550006"},
        auth=(ACCOUNT_SID, "token"),
    )
    assert no_to.status_code == 422
    no_auth = client.http_client.request(
        "POST",
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",
        data={"To": "+6281234567890", "Body": "halo", "From": "+15005550006"},
    )
    assert no_auth.status_code == 401


@pytest.mark.parametrize(
    "options",
    [{}, {"messaging_service_sid": "MG" + "1" * 32}],
    ids=["from-numbers", "messaging-service"],
)
def test_every_kind_of_worker_request_is_valid_for_twilios_api(prism, db, clock, options):  # noqa: F811
    whatsapp, sms = add_contact(db), add_contact(db, "+6285273456789", "sms")
    ids = [
        enqueue(db, whatsapp, clock.now, body="Balasan petugas: dokumen Anda siap diambil."),
        enqueue(db, sms, clock.now, body="Tiket TK-000042 ditutup."),
        enqueue(
            db,
            whatsapp,
            clock.now,
            content_sid="HX" + "c" * 32,
            content_variables={"1": "TK-000042"},
        ),
        enqueue(db, sms, clock.now, body="\n".join(["Syarat dan langkah. " * 40] * 3)),
    ]
    sender = twilio_sender(prism, timeout=10, **options)
    recorded = []

    class Recording:
        def send(self, outbound):
            result = sender.send(outbound)
            recorded.append(result)
            return result

    worker = Worker(db, Recording(), outbox.Settings(max_attempts=1), clock=clock)
    worker.drain()
    assert all(r.ok for r in recorded), [r.error_code for r in recorded]
    assert len(recorded) == 6  # the long SMS went in three parts
    for message_id in ids:
        box, message, parts = row(db, message_id)
        assert box.state == "sent", box.last_error
        assert message.provider_sid == parts[0].provider_sid


def test_asking_twilio_for_a_status_is_valid_for_twilios_api(prism):
    """The status check (bot.worker.status_checks) fetches one message by its SID."""
    sender = twilio_sender(prism, timeout=10)
    found = sender.fetch_status("SM" + "a" * 32)
    assert found is not None, "Prism refused the fetch"
    status, _code = found
    assert status  # Prism answers any status the description allows (some we ignore)
    assert twilio_sender(prism, timeout=10).fetch_status("not-a-sid") is None  # refused: None
