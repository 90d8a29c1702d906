"""Webhook throughput and latency under gunicorn (the Procfile's settings), on SQLite and
PostgreSQL, side by side with a bare Flask endpoint under the same settings (the ceiling).

Each cell: locust (headless, loopback only) with N concurrent senders posting signed,
distinct, realistic messages for a bounded time; every request is checked, stored,
matched and answered. Prints messages/s and p50/p99 latency per cell.

    .venv/bin/python bench/bench_webhook.py [--seconds 10] [--senders 1,8,32]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import csv
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
TOKEN = "bench-auth-token-0123456789abcdef"
PUBLIC = "https://helpdesk.example.id"
# The Procfile's web: line, on loopback.
GUNICORN = ["--preload", "--workers", "2", "--threads", "4", "--timeout", "30"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(app: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(VENV / "gunicorn"), *GUNICORN, "--bind", f"127.0.0.1:{port}", app],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)  # noqa: S310 - loopback
            break
        except urllib.error.HTTPError:
            break  # the bare app has no /healthz: it answers, so it is up
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        raise SystemExit(f"{app} did not start")
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def run_locust(url: str, senders: int, seconds: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        prefix = str(Path(folder) / "cell")
        subprocess.run(
            [
                str(VENV / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(senders),
                "-r",
                str(senders),
                "-t",
                f"{seconds}s",
                "--host",
                url,
                "--csv",
                prefix,
                "--only-summary",
                "--stop-timeout",
                "5",
                "--loglevel",
                "ERROR",
            ],
            cwd=ROOT,
            env={**os.environ, "BENCH_TOKEN": TOKEN, "BENCH_PUBLIC": PUBLIC},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=seconds + 60,
        )
        with open(prefix + "_stats.csv", newline="") as handle:
            row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "rps": float(row["Requests/s"]),
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
    }


def count_messages(url: str) -> int:
    from sqlalchemy import create_engine, text

    from bot.store import make_engine

    engine = make_engine(url) if url.startswith(("sqlite", "postgres")) else create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM messages WHERE direction='in'")).scalar()
    engine.dispose()
    return found


def databases(postgres: str | None, folder: Path):
    """Yield (label, URL) of each database to measure; a PostgreSQL one is temporary."""
    yield "SQLite", f"sqlite:///{folder / 'bench.db'}"
    if postgres:
        from bench.scratch import postgres_database

        with postgres_database(postgres) as url:
            yield "PostgreSQL", url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--senders", default="1,8,32")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    levels = [int(n) for n in args.senders.split(",")]
    print(
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at start; gunicorn "
        f"{' '.join(GUNICORN)}; {args.seconds} s per cell; locust on the same machine"
    )
    rows = []
    bare, url = start("bench.bare_app:app", {})
    try:
        for senders in levels:
            rows.append(("bare Flask", senders, run_locust(url, senders, args.seconds), None))
    finally:
        stop(bare)
    with tempfile.TemporaryDirectory() as folder:
        for label, database in databases(args.postgres or None, Path(folder)):
            env = {
                "DATABASE_URL": database,
                "TWILIO_AUTH_TOKEN": TOKEN,
                "SECRET_KEY": "bench",
                "PUBLIC_BASE_URL": PUBLIC,
                "HELPDESK_ENV": "development",
            }
            subprocess.run(
                [str(VENV / "python"), "-m", "bot", "db", "upgrade"],
                cwd=ROOT,
                env={**os.environ, **env},
                check=True,
                stdout=subprocess.DEVNULL,
            )
            server, url = start("bot.wsgi:app", env)
            try:
                for senders in levels:
                    before = count_messages(database)
                    cell = run_locust(url, senders, args.seconds)
                    stored = count_messages(database) - before
                    rows.append((f"helpdesk, {label}", senders, cell, stored))
            finally:
                stop(server)
    ceiling = {senders: cell["rps"] for name, senders, cell, _ in rows if name == "bare Flask"}
    print(
        f"\n{'target':24} {'senders':>7} {'msg/s':>8} {'% bare':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'requests':>9} {'failed':>6} {'stored':>7}"
    )
    for name, senders, cell, stored in rows:
        share = 100 * cell["rps"] / ceiling[senders] if ceiling.get(senders) else 0
        print(
            f"{name:24} {senders:7} {cell['rps']:8.1f} {share:6.0f}% {cell['p50']:7.0f} "
            f"{cell['p99']:7.0f} {cell['requests']:9} {cell['failures']:6} "
            f"{'' if stored is None else stored:>7}"
        )
    print(f"\nload {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
