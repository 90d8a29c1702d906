"""Drill: SIGKILL one gunicorn worker in the middle of a load; every message that got a 200
must be stored.

gunicorn with the Procfile's settings (2 workers × 4 threads) on a temporary SQLite (or
PostgreSQL) database; a bounded load of signed, distinct messages; after `--kill-after`
answers one worker is killed with SIGKILL. Prints what the senders saw and what is stored.

    .venv/bin/python bench/drills/web_sigkill.py [--messages 600] [--senders 8]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import load
import psutil

from bench.scratch import postgres_database


def workers(master: int) -> list[int]:
    return sorted(p.pid for p in psutil.Process(master).children())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--kill-after", type=int, default=200)
    parser.add_argument("--postgres", help="server URL: run on a temporary PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        if args.postgres:
            drill_database = postgres_database(args.postgres, "helpdesk_drill")
            database = stack.enter_context(drill_database)
        else:
            database = f"sqlite:///{Path(folder) / 'drill.db'}"
        load.prepare(database)
        server, url = load.start("bot.wsgi:app", load.environment(database))
        try:
            before = workers(server.pid)
            print(
                f"gunicorn {' '.join(load.GUNICORN)} on {database.split(':')[0]}; "
                f"workers {before}; {args.messages} messages from {args.senders} senders"
            )
            killed = {}

            def fault() -> None:
                victim = workers(server.pid)[0]
                os.kill(victim, signal.SIGKILL)
                killed["pid"] = victim
                print(f"SIGKILL worker {victim} after {args.kill_after} answers")

            drill = load.Load(url, args.messages, args.senders, args.kill_after)
            drill.run(fault)
            for _ in range(50):
                after = workers(server.pid)
                if len(after) == len(before) and killed.get("pid") not in after:
                    break
                time.sleep(0.2)
            print(f"workers after: {after} (gunicorn replaced the killed one)")
            missing = load.report(drill, database)
            late = load.Load(url, 20, 2, fault_after=10**9)
            late.run(lambda: None)
            print(f"20 messages afterwards: {dict(late.statuses())}")
        finally:
            load.stop(server)
    print("OK: every acknowledged message is stored" if missing == 0 else "FAILED: messages lost")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
