"""The FAQ folder replaced by a broken file while citizens are writing: every message is
still answered from the last good FAQ, and /healthz names the broken file."""

from __future__ import annotations

import shutil
import threading
import xml.etree.ElementTree as ET

from bot.app import create_app
from bot.config import ROOT
from tests.conftest import PUBLIC, TOKEN, citizen_says


def test_a_broken_faq_under_load_keeps_the_last_good_one_answering(database_url, tmp_path):
    folder = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", folder)
    app = create_app(
        {
            "TESTING": True,
            "HELPDESK": {
                "faq": {"folder": str(folder), "reload_seconds": 0, "settle_seconds": 0},
                "rate_limit": {"enabled": False},
            },
            "ENV": {"DATABASE_URL": database_url, "SECRET_KEY": "x",
                    "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": PUBLIC},
        }
    )  # fmt: skip
    app.extensions["helpdesk"].library.load()  # at start, as bot/wsgi.py does when serving
    answers: list[str] = []
    failures: list[int] = []
    broken = threading.Event()

    def citizen(number: str) -> None:
        client = app.test_client()
        for i in range(25):
            if i == 5:
                broken.wait(10)
            response = citizen_says(client, "syarat bikin ktp apa aja", number=number)
            if response.status_code != 200:
                failures.append(response.status_code)
                continue
            root = ET.fromstring(response.data)  # noqa: S314 - our own TwiML
            answers.append("\n".join(m.text or "" for m in root.iter("Message")))

    threads = [threading.Thread(target=citizen, args=(f"+6281200000{n:03d}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for path in sorted(folder.glob("*.yaml")):
        path.write_text("entries: [ {id: rusak, question: \n  - - :", encoding="utf-8")
    (folder / "zz-broken.yaml").write_text("entries:\n  - id: 7\n", encoding="utf-8")
    broken.set()
    for thread in threads:
        thread.join(60)

    try:
        assert failures == [] and len(answers) == 100
        odd = [a for a in answers if not ("KTP" in a and "Ketik" in a)]
        assert odd == [], odd[:2]
        health = app.test_client().get("/healthz").get_json()
        assert health["faq_entries"] > 10 and health["faq_errors"]
    finally:
        app.extensions["helpdesk"].store.dispose()
