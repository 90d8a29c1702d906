"""Shared parts of the fault drills: a helpdesk under gunicorn (bench_webhook's settings
and start/stop), a bounded load of signed, distinct messages whose every answer is
recorded, and the check that every acknowledged message is stored.

Loopback only; every drill sends a fixed number of requests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench.bench_webhook import GUNICORN, PUBLIC, TOKEN, VENV, start, stop  # noqa: E402
from bench.citizen_texts import citizen_texts, whatsapp_form  # noqa: E402

__all__ = ["GUNICORN", "Load", "prepare", "start", "stop"]


MESSAGES = citizen_texts()  # what bench/locustfile.py sends
VALIDATOR = RequestValidator(TOKEN)


def signed_form(n: int) -> tuple[dict, str]:
    """Return the n-th message as bench/locustfile.py sends it (a new number each time, so
    the per-number rate limit never applies), and its signature."""
    form = whatsapp_form(MESSAGES[n % len(MESSAGES)], f"+62813{n:07d}")
    return form, VALIDATOR.compute_signature(PUBLIC + "/webhooks/twilio", form)


def environment(database: str) -> dict:
    return {
        "DATABASE_URL": database,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "SECRET_KEY": "drill",
        "PUBLIC_BASE_URL": PUBLIC,
        "HELPDESK_ENV": "development",
    }


def prepare(database: str) -> None:
    """Migrate the drill's database."""
    subprocess.run(
        [str(VENV / "python"), "-m", "bot", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **environment(database)},
        check=True,
        stdout=subprocess.DEVNULL,
    )


@dataclass
class Answer:
    sid: str
    status: int | str  # HTTP status, or the connection error's name
    at: float  # seconds since the load started


@dataclass
class Load:
    """`total` messages from `senders` threads; `fault()` runs once `fault_after` are answered."""

    url: str
    total: int = 600
    senders: int = 8
    fault_after: int = 200
    # Seconds a sender waits after a non-200 answer (Twilio does not hammer a failing URL),
    # so a short load still spans the whole outage.
    pause_on_error: float = 0.0
    answers: list[Answer] = field(default_factory=list)

    def run(self, fault) -> None:
        lock = threading.Lock()
        fired = threading.Event()
        start_at = time.monotonic()

        def send(n: int) -> None:
            form, signature = signed_form(n)
            request = urllib.request.Request(
                self.url + "/webhooks/twilio",
                data=urllib.parse.urlencode(form).encode(),
                headers={"X-Twilio-Signature": signature},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    status: int | str = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            except OSError as exc:
                status = type(exc).__name__
            with lock:
                self.answers.append(Answer(form["MessageSid"], status, time.monotonic() - start_at))
                due = len(self.answers) >= self.fault_after and not fired.is_set()
                if due:
                    fired.set()
            if due:
                threading.Thread(target=fault, daemon=True).start()
            if status != 200 and self.pause_on_error:
                time.sleep(self.pause_on_error)

        with ThreadPoolExecutor(self.senders) as pool:
            list(pool.map(send, range(self.total)))

    def statuses(self, answers=None) -> Counter:
        return Counter(a.status for a in (self.answers if answers is None else answers))

    def acknowledged(self) -> set[str]:
        return {a.sid for a in self.answers if a.status == 200}


def stored_sids(database: str, sids: set[str]) -> set[str]:
    """Return which of these MessageSids are stored as messages."""
    from sqlalchemy import select

    from bot.store import Message, make_engine

    engine = make_engine(database)
    found: set[str] = set()
    chunk = sorted(sids)
    with engine.connect() as conn:
        for i in range(0, len(chunk), 500):
            part = chunk[i : i + 500]
            found.update(
                conn.scalars(select(Message.provider_sid).where(Message.provider_sid.in_(part)))
            )
    engine.dispose()
    return found


def report(load: Load, database: str) -> int:
    """Print sent/200/non-200/stored/missing; return the number missing."""
    ok = load.acknowledged()
    sent = {a.sid for a in load.answers}
    stored = stored_sids(database, sent)
    missing = ok - stored
    others = {k: v for k, v in load.statuses().items() if k != 200}
    print(f"sent {len(load.answers)}, 200 {len(ok)}, non-200 {sum(others.values())} {dict(others)}")
    print(
        f"stored {len(stored & ok)} of the 200s, missing {len(missing)}; "
        f"stored without a 200 (Twilio would retry; the duplicate is dropped) {len(stored - ok)}"
    )
    return len(missing)
