"""Drill: restart PostgreSQL in the middle of a load. During the outage the webhook must
answer 503 (never 500), every message that got a 200 must be stored, and the service must
recover by itself (later requests 200, same gunicorn workers, no restart).

Restarts the machine's PostgreSQL cluster (needs root): never run it where others share
that server at a bad moment.

    .venv/bin/python bench/drills/postgres_restart.py [--messages 800] [--senders 8]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter

import load
import psutil

from bench.scratch import postgres_database


def restart_command() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


def healthz(url: str) -> int | str:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError as exc:
        return type(exc).__name__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=800)
    parser.add_argument("--senders", type=int, default=8)
    parser.add_argument("--restart-after", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with postgres_database(args.postgres, "helpdesk_drill") as database:
        load.prepare(database)
        server, url = load.start("bot.wsgi:app", load.environment(database))
        try:
            before = sorted(p.pid for p in psutil.Process(server.pid).children())
            print(
                f"gunicorn {' '.join(load.GUNICORN)} on PostgreSQL; workers {before}; "
                f"{args.messages} messages from {args.senders} senders"
            )
            outage: dict = {"health": Counter()}

            def fault() -> None:
                outage["start"] = time.monotonic() - started
                command = restart_command()
                print(f"restart after {args.restart_after} answers: {' '.join(command)}")
                done = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                while done.poll() is None:
                    outage["health"][healthz(url)] += 1
                    time.sleep(0.1)
                outage["end"] = time.monotonic() - started
                outage["rc"] = done.returncode

            drill = load.Load(
                url, args.messages, args.senders, args.restart_after, pause_on_error=0.5
            )
            started = time.monotonic()
            drill.run(fault)
            for _ in range(300):  # the restart thread may outlive a short load
                if "end" in outage:
                    break
                time.sleep(0.1)
            start, end = outage["start"], outage["end"]
            recovered = min(
                (a.at for a in drill.answers if a.at > end and a.status == 200), default=None
            )
            during = [a for a in drill.answers if start <= a.at <= (recovered or end)]
            print(
                f"restart took {end - start:.1f} s (exit {outage['rc']}); "
                f"first 200 after it {(recovered - end) if recovered else float('nan'):.2f} s later"
            )
            print(f"/healthz during the restart: {dict(outage['health'])}")
            print(f"webhook answers during the outage: {dict(drill.statuses(during))}")
            print(f"webhook answers over the whole load: {dict(drill.statuses())}")
            missing = load.report(drill, database)
            late = load.Load(url, 20, 2, fault_after=10**9)
            late.run(lambda: None)
            after = sorted(p.pid for p in psutil.Process(server.pid).children())
            print(
                f"20 messages afterwards: {dict(late.statuses())}; /healthz {healthz(url)}; "
                f"workers {after} ({'same, no restart' if after == before else 'CHANGED'})"
            )
            errors = drill.statuses()[500] + late.statuses()[500]
            ok = missing == 0 and errors == 0 and late.statuses()[200] == 20
        finally:
            load.stop(server)
    print(json.dumps({"ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
