"""The app as an operator and a tester see it: config, health check, simulator, CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from sqlalchemy import func, select

from bot import store
from bot.app import create_app
from bot.config import ConfigError, from_environment

PRODUCTION_ENV = {
    "HELPDESK_ENV": "production",
    "SECRET_KEY": "s",
    "DATABASE_URL": "sqlite://",
    "PUBLIC_BASE_URL": "https://x",
    "TWILIO_AUTH_TOKEN": "t",
}


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL", "TWILIO_AUTH_TOKEN"]
)
def test_production_without_a_required_secret_names_it(missing, tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        from_environment(env, tmp_path)


def test_production_start_up_fails_with_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HELPDESK_ENV": "production"}
    out = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], env=env, capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "Configuration error: missing required environment variable SECRET_KEY" in out.stderr
    assert "Traceback" not in out.stderr


def test_development_uses_safe_defaults_and_says_which(tmp_path):
    settings = from_environment({}, tmp_path)
    assert settings["PRODUCTION"] is False
    assert len(settings["SECRET_KEY"]) >= 32
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'helpdesk.db'}"
    assert "SECRET_KEY" in settings["DEV_DEFAULTS"]
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_production_cookies_are_secure(tmp_path):
    assert from_environment(PRODUCTION_ENV, tmp_path)["SESSION_COOKIE_SECURE"] is True


def test_secrets_are_not_read_from_config_yaml():
    from bot.config import load_yaml

    text = json.dumps(load_yaml()).lower()
    for secret in ("auth_token", "secret_key", "password", "database_url"):
        assert secret not in text


def test_healthz_reports_database_and_faq(client, helpdesk):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["database"] is True
    assert body["faq_entries"] == len(helpdesk.library.faq) >= 20
    assert body["faq_errors"] == []


def test_healthz_is_503_when_the_database_is_down(tmp_path):
    app = create_app({"ENV": {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is False


def test_healthz_reports_a_broken_faq_while_serving_the_last_good_one(client, helpdesk, tmp_path):
    import shutil

    folder = tmp_path / "faq"
    shutil.copytree(helpdesk.library.folder, folder)
    from bot.library import Library

    helpdesk.library = Library(folder, helpdesk.library.settings, reload_seconds=0)
    good = len(helpdesk.library.faq)
    (folder / "rusak.yaml").write_text("entries:\n  - id: [unclosed\n", encoding="utf-8")
    body = client.get("/healthz").get_json()
    assert body["faq_entries"] == good
    assert any("rusak.yaml" in e for e in body["faq_errors"])


def test_simulator_goes_through_the_same_dialogue_and_storage(client, helpdesk):
    page = client.get("/simulator")
    assert page.status_code == 200
    token = page.get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/simulator/send",
        json={"number": "+6281299990000", "channel": "whatsapp", "text": "paspor hilang"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    replies = response.get_json()["replies"]
    assert replies and "Selamat datang" in replies[0]
    history = client.get("/simulator/messages?number=%2B6281299990000&channel=whatsapp")
    messages = history.get_json()["messages"]
    assert messages[0]["direction"] == "in" and messages[0]["body"] == "paspor hilang"
    assert [m["body"] for m in messages[1:]] == replies


def test_simulator_post_without_csrf_token_is_refused(client, helpdesk):
    response = client.post(
        "/simulator/send", json={"number": "+6281299990000", "channel": "whatsapp", "text": "x"}
    )
    assert response.status_code == 400
    with helpdesk.store.session() as session:
        assert session.scalar(select(func.count()).select_from(store.Message)) == 0


def test_simulator_rejects_a_bad_number(client):
    page = client.get("/simulator").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/simulator/send", json={"number": "abc", "text": "x"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 400


def test_simulator_is_hidden_in_production(database_url):
    env = {**PRODUCTION_ENV, "DATABASE_URL": database_url}
    app = create_app({"ENV": env})
    assert app.test_client().get("/simulator").status_code == 404
    app.extensions["helpdesk"].store.dispose()


def test_enabled_simulator_in_production_is_only_for_signed_in_staff(database_url):
    from tests.conftest import add_user, login

    env = {**PRODUCTION_ENV, "DATABASE_URL": database_url, "SIMULATOR_ENABLED": "1"}
    app = create_app({"ENV": env, "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    query = "/simulator/messages?number=%2B6281234567890&channel=whatsapp"
    assert client.get("/simulator").status_code == 404
    assert client.get(query).status_code == 404
    add_user(app.extensions["helpdesk"], "petugas1", "officer")
    login(client, "petugas1")
    assert client.get("/simulator").status_code == 200
    assert client.get(query).status_code == 200
    app.extensions["helpdesk"].store.dispose()


def test_terminal_chat_answers_and_stores(app, helpdesk):
    result = app.test_cli_runner().invoke(args=["chat"], input="halo\nmenu\n")
    assert result.exit_code == 0
    assert "Selamat datang" in result.output
    with helpdesk.store.session() as session:
        inbound = session.scalars(
            select(store.Message.body).where(store.Message.direction == "in")
        ).all()
    assert inbound == ["halo", "menu"]


def test_dev_setup_creates_demo_accounts_and_prints_logins(app, helpdesk):
    from bot import accounts

    result = app.test_cli_runner().invoke(args=["dev-setup"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.strip().startswith("petugas"))
    password = line.split("/")[1].split()[0]
    with helpdesk.store.session() as session:
        user = accounts.find_user(session, "petugas")
        assert accounts.check_password(user, password)
        assert user.password_hash != password


def test_db_upgrade_command_migrates(tmp_path):
    app = create_app({"ENV": {"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0
    assert app.extensions["helpdesk"].store.ping()
    from sqlalchemy import inspect

    assert "messages" in inspect(app.extensions["helpdesk"].store.engine).get_table_names()


def test_commands_that_never_match_do_not_load_the_faq(tmp_path):
    # db upgrade, the outbox worker, purge: the FAQ and its training (seconds) are not theirs.
    app = create_app({"ENV": {"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"}})
    library = app.extensions["helpdesk"].library
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    assert library.reloads == 0
    # The first use loads it.
    assert library.matcher.match("ktp hilang").outcome == "answer"
    assert library.reloads == 1


def test_serving_entry_points_load_the_faq_at_start(tmp_path):
    # gunicorn (--preload: once, before the workers fork) and the development server.
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}"}
    code = "import bot.wsgi as w; print('loads', w.app.extensions['helpdesk'].library.reloads)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert "loads 1" in out.stdout, out.stderr
    from bot.__main__ import _create_app

    with click.Context(click.Command("run"), info_name="run"):
        served = _create_app()
    with click.Context(click.Command("worker"), info_name="worker"):
        working = _create_app()
    assert served.extensions["helpdesk"].library.reloads == 1
    assert working.extensions["helpdesk"].library.reloads == 0


def test_faq_match_json_contract(app):
    result = app.test_cli_runner().invoke(
        args=["faq", "match", "--json"], input="syarat bikin ktp\nresep rendang\n"
    )
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [list(obj) for obj in lines] == [["text", "outcome", "id", "score", "candidates"]] * 2
    assert [obj["text"] for obj in lines] == ["syarat bikin ktp", "resep rendang"]
    assert lines[1]["outcome"] == "escalate" and lines[1]["id"] is None
