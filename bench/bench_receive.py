"""Milliseconds per inbound message inside one process, SQLite and PostgreSQL side by side.

Run from the repository root:

    .venv/bin/python bench/bench_receive.py [--messages 2000] [--repeat 3]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--profile]

Each message is a signed Twilio form posted through Flask's test client (signature
checked, parsed, stored, matched, answered with TwiML), drawn from the citizen-style texts
of faq/tests.yaml, from a new number with a new MessageSid (the first-contact path writes
the most); then the same number of messages from numbers that already wrote (the usual
path). Baselines from the same run: the signature check alone and the dialogue alone
(dialogue.respond over the same texts), so the database's share can be read off. A fresh
SQLite file and a temporary PostgreSQL database (dropped afterwards). Best of `--repeat`
runs; figures are printed, never asserted. `--profile` prints cProfile's top functions of
one SQLite run.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench.citizen_texts import citizen_texts, whatsapp_form  # noqa: E402
from bench.scratch import postgres_database  # noqa: E402
from bot import dialogue, store  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.messages import WHATSAPP, Inbound  # noqa: E402

TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC = "https://helpdesk.example.id"
PATH = "/webhooks/twilio"


def signed(forms: list[dict]) -> list[tuple[dict, str]]:
    validator = RequestValidator(TOKEN)
    return [(f, validator.compute_signature(PUBLIC + PATH, f)) for f in forms]


def post_all(client, requests) -> float:
    """POST every signed form; return milliseconds per message."""
    started = time.perf_counter()
    for data, signature in requests:
        response = client.post(PATH, data=data, headers={"X-Twilio-Signature": signature})
        if response.status_code != 200:
            raise SystemExit(f"webhook answered {response.status_code}")
    return 1000 * (time.perf_counter() - started) / len(requests)


def webhook(url: str, bodies: list[str], messages: int, run: int, profile: bool = False):
    """Return (ms per first message, ms per later message) for one database."""
    app = create_app(
        {
            "TESTING": True,
            "HELPDESK": {"rate_limit": {"enabled": False}},  # each number writes twice
            "ENV": {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
        }
    )
    app.extensions["helpdesk"].store.migrate()
    client = app.test_client()
    numbers = [f"+62813{run:02d}{i:06d}" for i in range(messages)]
    first = signed([whatsapp_form(bodies[i % len(bodies)], n) for i, n in enumerate(numbers)])
    later = signed([whatsapp_form(bodies[(i + 7) % len(bodies)], n) for i, n in enumerate(numbers)])
    post_all(client, first[:20])  # warm up: FAQ index, statement caches, connections
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    new = post_all(client, first[20:])
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    known = post_all(client, later[20:])
    app.extensions["helpdesk"].store.dispose()
    return new, known


def baselines(bodies: list[str], messages: int) -> tuple[float, float]:
    """Return ms per message for the signature check alone and the dialogue alone."""
    validator = RequestValidator(TOKEN)
    requests = signed(
        [whatsapp_form(bodies[i % len(bodies)], f"+62814{i:07d}") for i in range(messages)]
    )
    started = time.perf_counter()
    for data, signature in requests:
        assert validator.validate(PUBLIC + PATH, data, signature)
    signature_ms = 1000 * (time.perf_counter() - started) / messages

    app = create_app({"TESTING": True, "ENV": {"DATABASE_URL": "sqlite://", "SECRET_KEY": "b"}})
    helpdesk = app.extensions["helpdesk"]
    snapshot, settings = helpdesk.library.snapshot, helpdesk.settings
    now = store.utcnow()
    inbounds = [
        Inbound(WHATSAPP, f"+62815{i:07d}", "+14155238886", bodies[i % len(bodies)], f"SMd{i}")
        for i in range(messages)
    ]
    state = dialogue.State(is_new=False)
    started = time.perf_counter()
    for inbound in inbounds:
        dialogue.respond(inbound, state, snapshot.faq, snapshot.matcher, settings, now)
    dialogue_ms = 1000 * (time.perf_counter() - started) / messages
    return signature_ms, dialogue_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    import logging
    import os

    logging.disable(logging.INFO)  # as in production at WARNING: no per-message log line
    bodies = citizen_texts()
    print(
        f"{len(bodies)} distinct texts from faq/tests.yaml, {args.messages} messages a run, "
        f"best of {args.repeat}; load {os.getloadavg()[0]:.1f} at start"
    )
    signature_ms, dialogue_ms = min(baselines(bodies, args.messages) for _ in range(args.repeat))
    rows = [("signature check alone", signature_ms, None), ("dialogue alone", dialogue_ms, None)]
    with tempfile.TemporaryDirectory() as folder:
        results = []
        for run in range(args.repeat):
            url = f"sqlite:///{Path(folder) / f'bench{run}.db'}"
            profile = args.profile and run == 0
            results.append(webhook(url, bodies, args.messages, run, profile))
        rows.append(("webhook, SQLite", *map(min, zip(*results, strict=True))))
    if args.postgres:
        results = []
        for run in range(args.repeat):
            with postgres_database(args.postgres) as url:
                results.append(webhook(url, bodies, args.messages, run))
        rows.append(("webhook, PostgreSQL", *map(min, zip(*results, strict=True))))
    print(f"\n{'ms per message':24} {'new number':>11} {'known number':>13}")
    for name, new, known in rows:
        print(f"{name:24} {new:11.2f} {'' if known is None else f'{known:13.2f}'}")
    print(f"\nload {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
