"""deploy/: the systemd units run what the Procfile runs, and keep secrets out of the units."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
APP = "/opt/helpdesk/.venv/bin/"


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return {name: shlex.split(command) for name, command in (ln.split(": ", 1) for ln in lines)}


def unit(name: str) -> dict[str, list[str]]:
    """Return a unit's settings (a key may repeat), ignoring sections and comments."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def command(value: str, env: dict[str, str]) -> list[str]:
    """A unit's command as the Procfile would write it: no venv path, variables filled."""
    words = shlex.split(re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], value))
    return [w.removeprefix(APP) for w in words]


def environment(settings: dict[str, list[str]]) -> dict[str, str]:
    pairs = (p.split("=", 1) for v in settings.get("Environment", []) for p in v.split())
    return dict(pairs)


def test_the_web_unit_runs_the_procfile_release_then_web_on_loopback():
    web, proc = unit("helpdesk-web.service"), procfile()
    env = environment(web)
    assert command(web["ExecStartPre"][0], env) == proc["release"]
    expected = [w.replace("0.0.0.0:$PORT", f"127.0.0.1:{env['PORT']}") for w in proc["web"]]
    assert command(web["ExecStart"][0], env) == expected
    nginx = (DEPLOY / "nginx-helpdesk.conf").read_text(encoding="utf-8")
    assert f"proxy_pass http://127.0.0.1:{env['PORT']};" in nginx


def test_the_worker_unit_runs_the_procfile_worker():
    worker = unit("helpdesk-worker.service")
    assert command(worker["ExecStart"][0], environment(worker)) == procfile()["worker"]


def test_units_are_production_and_take_secrets_only_from_the_env_file():
    for name in ("helpdesk-web.service", "helpdesk-worker.service", "helpdesk-backup.service"):
        settings = unit(name)
        assert settings["EnvironmentFile"] == ["/etc/helpdesk/env"], name
        env = environment(settings)
        assert env["HELPDESK_ENV"] == "production", name
        assert not {"SECRET_KEY", "DATABASE_URL", "TWILIO_AUTH_TOKEN", "PUNGLI_KEY"} & set(env)
    backup = unit("helpdesk-backup.service")
    assert "-m bot db backup" in backup["ExecStart"][0] and backup["UMask"] == ["0077"]
