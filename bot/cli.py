"""Command-line commands (`python -m bot …` or `flask --app bot.app …`), thin click wrappers."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from bot import examples as learning
from bot import knowledge
from bot import matcher as matching

faq_cli = AppGroup("faq", help="Check, match and evaluate the FAQ.")


def _load(folder: str | None) -> knowledge.Faq:
    """Load the FAQ from --faq or the configured folder, or exit with the problems."""
    path = folder or current_app.config["FAQ_FOLDER"]
    try:
        return knowledge.load_faq(path)
    except knowledge.FaqError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)


def _matcher(folder: str | None, unseen: str | None = None) -> matching.Matcher:
    """Build the matcher; its second opinion never learns from the file `unseen`."""
    settings = matching.Settings.from_config(current_app.config["HELPDESK"].get("matcher"))
    faq = _load(folder)
    found = learning.load_examples(
        faq.folder, settings.examples, exclude=[unseen] if unseen else []
    )
    return matching.Matcher(faq, settings, examples=found)


@faq_cli.command("match")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (the contract).")
@click.option("--faq", "folder", type=click.Path(file_okay=False), help="FAQ folder to use.")
def faq_match(as_json: bool, folder: str | None) -> None:
    """Match each line of stdin against the FAQ, writing one result per line."""
    index = _matcher(folder)
    for line in sys.stdin:
        text = line.rstrip("\n")
        result = index.match(text)
        if as_json:
            click.echo(json.dumps(matching.to_json(text, result), ensure_ascii=False))
        else:
            top = ", ".join(f"{c.entry.id} {c.score:.0f}" for c in result.candidates)
            click.echo(f"{result.outcome:9} {text!r} -> {top}")


@faq_cli.command("eval")
@click.argument("cases_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--faq", "folder", type=click.Path(file_okay=False), help="FAQ folder to use.")
@click.option(
    "--min-right",
    type=float,
    default=0.92,
    show_default=True,
    help="Fail below this share of right results (0.92 or 92).",
)
@click.option(
    "--max-wrong",
    type=float,
    default=0.02,
    show_default=True,
    help="Fail above this share of wrong answers (0.02 or 2).",
)
@click.option(
    "--split",
    type=click.Choice(["all", "tune", "holdout"]),
    default="all",
    show_default=True,
    help="Only one half of the cases (a stable hash of each text decides; see bot/evaluation.py).",
)
def faq_eval(
    cases_file: str, folder: str | None, min_right: float, max_wrong: float, split: str
) -> None:
    """Run the {text, expect} cases of CASES_FILE through the matcher; exit 1 below the goals.

    A cases file that is also one of the matcher's examples is evaluated on a matcher
    trained without it: the figures are for messages the matcher has not seen."""
    from bot import evaluation

    index = _matcher(folder, unseen=cases_file)
    try:
        cases = evaluation.split_cases(evaluation.load_cases(cases_file), split)
    except evaluation.CaseError as exc:
        raise click.ClickException(str(exc)) from exc
    for case in evaluation.unknown_ids(index.faq, cases):
        click.echo(f"baris {case.line}: id tidak ada di FAQ: {', '.join(case.ids)}", err=True)
    report = evaluation.evaluate(index, cases)
    click.echo(evaluation.format_report(report))
    ok = evaluation.meets(report, min_right, max_wrong)
    click.echo("Target tercapai." if ok else "Target TIDAK tercapai.")
    sys.exit(0 if ok else 1)


@faq_cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="One JSON report for tools.")
@click.option("--faq", "folder", type=click.Path(file_okay=False), help="FAQ folder to use.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def faq_check(as_json: bool, folder: str | None, strict: bool) -> None:
    """Check the FAQ files, the menu and how the matcher routes every variant; exit 1 on errors."""
    from bot import faqcheck

    helpdesk = current_app.config["HELPDESK"]
    report = faqcheck.check(
        folder or current_app.config["FAQ_FOLDER"],
        menu_ids=[item.get("id") for item in helpdesk.get("menu") or []],
        settings=matching.Settings.from_config(helpdesk.get("matcher")),
    )
    if as_json:
        click.echo(json.dumps(report.to_json(strict), ensure_ascii=False, indent=2))
    else:
        for problem in report.problems:
            click.echo(str(problem))
        verdict = "OK" if report.ok(strict) else "GAGAL"
        click.echo(
            f"FAQ {verdict}: {report.entries} entri, {len(report.errors)} kesalahan, "
            f"{len(report.warnings)} peringatan ({report.folder})"
        )
    sys.exit(0 if report.ok(strict) else 1)


db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the configured database."""
    helpdesk = current_app.extensions["helpdesk"]
    helpdesk.store.migrate()
    click.echo(f"Database siap: {_safe_url(helpdesk.store.url)}")


@db_cli.command("copy")
@click.argument("target_url", envvar="TARGET_DATABASE_URL")
def db_copy(target_url: str) -> None:
    """Copy the whole configured database to TARGET_URL (migrated here, must be empty).

    TARGET_URL may come from the environment (TARGET_DATABASE_URL) so that its password
    stays out of the shell history. Stop the web and worker processes first; then point
    DATABASE_URL at TARGET_URL."""
    from bot import dbcopy
    from bot.store import Store

    helpdesk = current_app.extensions["helpdesk"]
    target = Store(target_url)
    try:
        copied = dbcopy.copy(helpdesk.store, target)
    except dbcopy.CopyError as exc:
        raise click.ClickException(f"Tidak disalin: {exc}") from None
    finally:
        target.dispose()
    for table, rows in copied.rows.items():
        click.echo(f"{table:16} {rows:>10,}")
    click.echo(
        f"{copied.total:,} baris disalin ke {_safe_url(target_url)}. "
        "Setel DATABASE_URL ke alamat itu, lalu jalankan web dan worker lagi."
    )


@db_cli.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False))
def db_backup(destination: str) -> None:
    """Write a consistent copy of the SQLite database to DESTINATION while the helpdesk runs."""
    from bot import dbcopy

    try:
        path = dbcopy.backup(current_app.extensions["helpdesk"].store, destination)
    except dbcopy.CopyError as exc:
        raise click.ClickException(f"Tidak dicadangkan: {exc}") from None
    click.echo(f"Cadangan database: {path} ({path.stat().st_size:,} bita)")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command("dev-setup")
@with_appcontext
def dev_setup() -> None:
    """Prepare a local run: migrate, and create the demo accounts and print their logins."""
    from bot import accounts

    if current_app.config["PRODUCTION"]:
        raise click.ClickException("dev-setup is for local development only")
    helpdesk = current_app.extensions["helpdesk"]
    helpdesk.store.migrate()
    demo = [("petugas", ["officer"]), ("admin", ["admin", "editor", "supervisor", "officer"])]
    lines = []
    with helpdesk.store.session() as session:
        for username, roles in demo:
            password = accounts.new_password()
            accounts.set_user(session, username, password, roles, display_name=username.title())
            lines.append(f"  {username:8} / {password}   ({', '.join(roles)})")
    for name in current_app.config.get("DEV_DEFAULTS", []):
        click.echo(f"Mode pengembangan: {name} tidak diatur, memakai nilai aman sementara.")
    click.echo("Akun demo (kata sandi baru setiap kali dijalankan):")
    click.echo("\n".join(lines))


@click.command("chat")
@click.option("--number", default="+6281200000009", help="The citizen's number to simulate.")
@click.option("--sms", is_flag=True, help="Simulate SMS instead of WhatsApp.")
@with_appcontext
def chat(number: str, sms: bool) -> None:
    """Chat with the bot in the terminal as a citizen (same dialogue and storage)."""
    import uuid

    from bot import conversations
    from bot.messages import SMS, WHATSAPP, Inbound

    helpdesk = current_app.extensions["helpdesk"]
    click.echo("Ketik pesan sebagai warga (Ctrl-D untuk keluar).")
    while True:
        try:
            text = input("> ")
        except EOFError:
            click.echo()
            return
        receipt = conversations.receive(
            helpdesk.store,
            helpdesk.library,
            helpdesk.settings,
            Inbound(
                channel=SMS if sms else WHATSAPP,
                sender=number,
                recipient="+620000000000",
                body=text,
                provider_sid=f"CLI{uuid.uuid4().hex}",
                truncated=len(text) > helpdesk.settings.max_body_chars,
            ),
            ticket_prefix=helpdesk.ticket_prefix,
        )
        for reply in receipt.replies:
            click.echo(f"\n{reply}\n")


@click.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--id", "name", help="Worker name shown in the outbox (default: host name).")
@with_appcontext
def worker(once: bool, name: str | None) -> None:
    """Send queued outbound messages (officer replies, closing messages) until stopped."""
    from bot import worker as outbox_worker

    outbox_worker.serve(current_app, once=once, name=name, echo=click.echo)


@click.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    help="Days to keep (default: retention.days in config.yaml).",
)
@click.option("--dry-run", is_flag=True, help="Print what would be removed; change nothing.")
@with_appcontext
def purge(days: int | None, dry_run: bool) -> None:
    """Remove conversations and evidence older than the retention, keeping per-day counts."""
    from bot import purge as retention

    helpdesk = current_app.extensions["helpdesk"]
    days = days or retention.retention_days(helpdesk.config)
    result = retention.run(helpdesk, days, dry_run=dry_run)
    verb = "Akan dihapus" if dry_run else "Dihapus"
    click.echo(f"{verb} (lebih lama dari {days} hari, sebelum {result.cutoff:%Y-%m-%d %H:%M} UTC):")
    for line in result.lines():
        click.echo(f"  {line}")
    if result.unreadable_refs:
        click.echo(
            f"Peringatan: {result.unreadable_refs} laporan pungli aktif tidak bisa dibaca "
            "kuncinya; semua pesan pungli disimpan.",
            err=True,
        )


offices_cli = AppGroup("offices", help="The offices file (offices.yaml).")


@offices_cli.command("check")
@click.option("--file", "path", type=click.Path(dir_okay=False), help="Offices file to check.")
def offices_check(path: str | None) -> None:
    """Validate the offices file; exit 1 listing every problem."""
    from bot import config as configuration
    from bot.offices import OfficesError, load_offices

    helpdesk = current_app.config["HELPDESK"]
    path = path or configuration.resolve_path(
        helpdesk, helpdesk.get("offices", {}).get("file", "offices.yaml")
    )
    try:
        directory = load_offices(path, helpdesk.get("office", {}))
    except OfficesError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        sys.exit(1)
    click.echo(f"Kantor OK: {len(directory.offices)} kantor di {path}")


def init_app(app) -> None:
    """Register the command groups on the app."""
    for command in (faq_cli, db_cli, offices_cli, dev_setup, chat, worker, purge):
        app.cli.add_command(command)
