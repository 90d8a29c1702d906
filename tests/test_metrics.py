"""GET /metrics: Prometheus text, the token, counters the webhook feeds, gauges from the DB."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics, store
from bot.app import create_app
from tests.conftest import TOKEN, citizen_says, payload, post_signed


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def make_app(database_url, **config):
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "s",
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": "https://helpdesk.example.id",
    }
    return create_app({"TESTING": True, "ENV": env, **config})


def test_development_scrape_has_the_helpdesk_metrics(client):
    samples = scrape(client)
    assert samples[("helpdesk_queue_depth", (("state", "open"),))] == 0
    assert ("helpdesk_outbox_backlog", (("state", "pending"),)) in samples
    assert ("helpdesk_faq_problems", ()) in samples
    assert ("helpdesk_faq_reloads_total", ()) in samples


def test_inbound_messages_are_counted_by_outcome_and_timed(client):
    def value(samples, name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))), 0)

    before = scrape(client)
    citizen_says(client, "petugas")  # asks for a human: a command
    sid = "SM" + uuid.uuid4().hex
    form = payload("whatsapp_text", Body="halo", MessageSid=sid, SmsMessageSid=sid, SmsSid=sid)
    post_signed(client, "/webhooks/twilio", form)
    post_signed(client, "/webhooks/twilio", form)  # Twilio's retry
    after = scrape(client)
    inbound = "helpdesk_inbound_messages_total"
    assert (
        value(after, inbound, outcome="command", channel="whatsapp")
        - value(before, inbound, outcome="command", channel="whatsapp")
        >= 1
    )
    assert (
        value(after, inbound, outcome="duplicate", channel="whatsapp")
        - value(before, inbound, outcome="duplicate", channel="whatsapp")
        == 1
    )
    timed = "helpdesk_webhook_seconds_count"
    assert value(after, timed, endpoint="inbound") - value(before, timed, endpoint="inbound") == 3
    assert after[("helpdesk_queue_depth", (("state", "open"),))] == 1
    assert after[("helpdesk_queue_oldest_wait_seconds", ())] >= 0


def test_status_callbacks_are_counted(client):
    name = "helpdesk_outbound_status_callbacks_total"
    before = REGISTRY.get_sample_value(name, {"status": "delivered"}) or 0
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "MessageStatus": "delivered"}
    post_signed(client, "/webhooks/twilio/status", form)
    assert REGISTRY.get_sample_value(name, {"status": "delivered"}) == before + 1


def test_outbox_backlog_comes_from_the_database(client, helpdesk):
    with helpdesk.store.session() as session:
        contact = store.Contact(channel="whatsapp", number="+628111", state={})
        session.add(contact)
        session.flush()
        for state in ("pending", "pending", "sending", "failed"):
            message = store.Message(
                contact_id=contact.id, direction="out", author="officer", status="queued"
            )
            session.add(message)
            session.flush()
            session.add(store.Outbox(message_id=message.id, state=state))
    samples = scrape(client)
    assert samples[("helpdesk_outbox_backlog", (("state", "pending"),))] == 2
    assert samples[("helpdesk_outbox_backlog", (("state", "sending"),))] == 1
    assert samples[("helpdesk_outbox_failed", ())] == 1


def test_faq_loads_and_errors_are_counted(helpdesk, tmp_path):
    good = REGISTRY.get_sample_value("helpdesk_faq_reloads_total")
    bad = REGISTRY.get_sample_value("helpdesk_faq_reload_errors_total")
    assert helpdesk.library.reload() is True
    (tmp_path / "rusak.yaml").write_text("entries: [ {id: x", encoding="utf-8")
    helpdesk.library.folder = tmp_path
    assert helpdesk.library.reload() is False
    assert REGISTRY.get_sample_value("helpdesk_faq_reloads_total") == good + 1
    assert REGISTRY.get_sample_value("helpdesk_faq_reload_errors_total") == bad + 1


def test_token_is_required_when_configured(database_url):
    app = make_app(database_url, METRICS_TOKEN="rahasia-metrik")
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer salah"}).status_code == 401
    scrape(client, Authorization="Bearer rahasia-metrik")
    app.extensions["helpdesk"].store.dispose()


def test_production_without_a_token_hides_metrics(database_url):
    app = make_app(database_url, PRODUCTION=True)
    assert app.test_client().get("/metrics").status_code == 404
    app.extensions["helpdesk"].store.dispose()
    app = make_app(database_url, PRODUCTION=True, METRICS_TOKEN="t0ken")
    client = app.test_client()
    assert client.get("/metrics").status_code == 401
    scrape(client, Authorization="Bearer t0ken")
    app.extensions["helpdesk"].store.dispose()


def test_multiprocess_mode_adds_up_the_workers(database_url, tmp_path):
    """Two processes count; a third (the one scraped) reports the sum, as with gunicorn."""
    folder = tmp_path / "prom"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    count = "from bot import metrics; metrics.count_inbound('answer', 'sms')"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count], env=env, check=True, cwd=os.getcwd())
    scrape_code = textwrap.dedent(
        f"""
        from prometheus_client import generate_latest
        from bot import metrics
        from tests.test_metrics import make_app
        app = make_app({database_url!r})
        print(generate_latest(metrics.registry(app.extensions["helpdesk"])).decode())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", scrape_code],
        env=env,
        check=True,
        cwd=os.getcwd(),
        capture_output=True,
        text=True,
    ).stdout
    assert 'helpdesk_inbound_messages_total{channel="sms",outcome="answer"} 2.0' in out
    assert "helpdesk_queue_depth" in out
    assert metrics.INBOUND is not None
