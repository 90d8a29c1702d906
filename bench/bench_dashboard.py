"""Benchmark the dashboard on a year of traffic: 1,000,000 messages, SQLite and PostgreSQL.

Run from the repository root:

    .venv/bin/python bench/bench_dashboard.py [--db sqlite|postgresql|both] [--messages N]
        [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]

Seeds a fresh database (bulk insert: executemany on SQLite, COPY on PostgreSQL; a
temporary PostgreSQL database is created and dropped), then times the dashboard page
(7 and 30 days) next to two baselines from the same run: GET /healthz and a plain
`SELECT count(*) FROM messages`. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.scratch import postgres_database  # noqa: E402
from bot import accounts  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.store import Store  # noqa: E402

CONTACTS = 60_000
OFFICERS = 20
ENTRIES = [f"entri-{i:02d}" for i in range(60)]
OUTCOMES = (
    ["answer"] * 45
    + ["choice"] * 8
    + ["clarify"] * 10
    + ["escalate"] * 14
    + ["command"] * 12
    + ["to_officer"] * 8
    + ["rating"] * 3
)
WORDS = ("ktp", "kk", "akta", "hilang", "rusak", "syarat", "bikin", "urus", "berapa", "lama")
RUNS = 5


def stamp(moment: dt.datetime, kind: str) -> str:
    if kind == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment.isoformat()


def generate(messages: int, now: dt.datetime, kind: str, rng: random.Random) -> dict:
    """Return rows for every table, spread over the year before `now`."""
    year = 365 * 86400
    contacts = [
        (i, "sms" if rng.random() < 0.15 else "whatsapp", f"+62812{i:08d}", "{}", stamp(now, kind))
        for i in range(1, CONTACTS + 1)
    ]
    users = [
        (i, f"petugas{i}", f"Petugas {i}", "x", "officer", "[]", True, 0, stamp(now, kind))
        for i in range(1, OFFICERS + 1)
    ]
    tickets, audits, rows = [], [], []
    ticket_id = 0
    # Ids follow time, as in a real append-only table.
    moments = sorted(now - dt.timedelta(seconds=rng.random() * year) for _ in range(messages))
    for i, at in enumerate(moments, 1):
        contact = rng.randint(1, CONTACTS)
        if rng.random() < 0.55:
            outcome = rng.choice(OUTCOMES)
            entry = rng.choice(ENTRIES) if outcome in ("answer", "choice") else None
            body = " ".join(rng.choices(WORDS, k=rng.randint(2, 7)))
            ticket = None
            if outcome == "escalate":
                ticket_id += 1
                ticket = ticket_id
                opened = at
                replied = at + dt.timedelta(minutes=rng.expovariate(1 / 90))
                closed = replied + dt.timedelta(minutes=30)
                officer = rng.randint(1, OFFICERS)
                state = "closed" if closed < now else "open"
                tickets.append(
                    (
                        ticket,
                        contact,
                        state,
                        "escalated",
                        officer,
                        stamp(opened, kind),
                        stamp(replied, kind) if replied < now else None,
                        stamp(closed, kind) if state == "closed" else None,
                        None if state == "closed" else stamp(opened, kind),
                        rng.choice((1, 2, 3, 3, 3, None)),
                    )
                )
                audits.append((officer, "ticket.claim", stamp(opened, kind)))
            rows.append(
                (
                    i,
                    contact,
                    ticket,
                    "in",
                    "citizen",
                    "message",
                    body,
                    "received",
                    None,
                    outcome,
                    entry,
                    stamp(at, kind),
                )
            )
        else:
            officer = rng.randint(1, OFFICERS) if rng.random() < 0.2 else None
            rows.append(
                (
                    i,
                    contact,
                    None,
                    "out",
                    "officer" if officer else "bot",
                    "message",
                    "jawaban",
                    "delivered",
                    officer,
                    None,
                    None,
                    stamp(at, kind),
                )
            )
    return {"contacts": contacts, "users": users, "tickets": tickets, "audit": audits, "m": rows}


MESSAGE_COLUMNS = (
    "id, contact_id, ticket_id, direction, author, kind, body, status, officer_id, "
    "outcome, entry_id, created_at, media, meta, raw"
)


def load_sqlite(path: str, data: dict) -> None:
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.executemany(
        "INSERT INTO contacts (id, channel, number, state, created_at) VALUES (?,?,?,?,?)",
        data["contacts"],
    )
    conn.executemany(
        "INSERT INTO users (id, username, display_name, password_hash, roles, offices, active,"
        " failed_logins, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
        data["users"],
    )
    conn.executemany(
        "INSERT INTO tickets (id, contact_id, state, reason, assignee_id, opened_at,"
        " first_reply_at, closed_at, waiting_since, rating) VALUES (?,?,?,?,?,?,?,?,?,?)",
        data["tickets"],
    )
    conn.executemany(
        "INSERT INTO audit_log (actor_id, action, at, detail) VALUES (?,?,?,'{}')", data["audit"]
    )
    conn.executemany(
        f"INSERT INTO messages ({MESSAGE_COLUMNS})"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'[]','{}','{}')",
        data["m"],
    )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(url: str, data: dict) -> None:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        for table, columns, rows in (
            ("contacts", "id, channel, number, state, created_at", data["contacts"]),
            (
                "users",
                "id, username, display_name, password_hash, roles, offices, active,"
                " failed_logins, created_at",
                data["users"],
            ),
            (
                "tickets",
                "id, contact_id, state, reason, assignee_id, opened_at, first_reply_at,"
                " closed_at, waiting_since, rating",
                data["tickets"],
            ),
            ("audit_log", "actor_id, action, at, detail", (r + ("{}",) for r in data["audit"])),
            ("messages", MESSAGE_COLUMNS, (r + ("[]", "{}", "{}") for r in data["m"])),
        ):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table in ("contacts", "users", "tickets", "messages", "audit_log"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
        conn.commit()
        conn.autocommit = True
        # What autovacuum does on a live server: statistics and the visibility map
        # (index-only scans).
        conn.execute("VACUUM ANALYZE")


def timed(fn, runs: int = RUNS) -> float:
    fn()  # warm-up (templates, FAQ, connection pool)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(url: str) -> dict[str, float]:
    app = create_app({"ENV": {"DATABASE_URL": url, "SECRET_KEY": "bench"}})
    helpdesk = app.extensions["helpdesk"]
    with helpdesk.store.session() as session:
        accounts.create_user(session, "kadis", ("supervisor",), password="kata-sandi-bench-1")
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    client.post(
        "/console/login",
        data={"username": "kadis", "password": "kata-sandi-bench-1", "csrf_token": token},
    )

    def get(path):
        def run():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return run

    def count():
        with helpdesk.store.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM messages")).scalar()

    result = {
        "baseline: SELECT count(*) FROM messages": timed(count),
        "baseline: GET /healthz": timed(get("/healthz")),
        "dashboard, 7 days": timed(get("/console/dashboard?period=7d")),
        "dashboard, 30 days": timed(get("/console/dashboard?period=30d")),
    }
    helpdesk.store.dispose()
    return result


def run(kind: str, messages: int, pg_url: str) -> dict[str, float]:
    rng = random.Random(10)
    now = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    data = generate(messages, now, kind, rng)
    print(f"[{kind}] generated {messages:,} messages in {time.perf_counter() - started:.1f} s")
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-dashboard-")
        path = f"{folder}/bench.db"
        url = f"sqlite:///{path}"
        Store(url).migrate()
        started = time.perf_counter()
        load_sqlite(path, data)
        print(f"[{kind}] loaded in {time.perf_counter() - started:.1f} s ({path})")
        return measure(url)
    with postgres_database(pg_url) as url:
        Store(url).migrate()
        started = time.perf_counter()
        load_postgres(make_url(url).set(drivername="postgresql").render_as_string(False), data)
        print(f"[{kind}] loaded in {time.perf_counter() - started:.1f} s")
        return measure(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {kind: run(kind, args.messages, args.pg_url) for kind in kinds}
    print(f"\nMedian of {RUNS} runs, {args.messages:,} messages over 365 days")
    print(f"{'':45}" + "".join(f"{kind:>14}" for kind in kinds))
    for label in next(iter(results.values())):
        cells = "".join(f"{results[kind][label] * 1000:>11.1f} ms" for kind in kinds)
        print(f"{label:45}{cells}")


if __name__ == "__main__":
    main()
