"""`python -m bot users …`: console accounts from the shell (thin wrappers over bot.accounts)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from bot import accounts

users_cli = AppGroup("users", help="Console accounts: add, change password, disable, list.")


def _store():
    return current_app.extensions["helpdesk"].store


def _password_option(function):
    return click.option(
        "--password",
        help="Use this password (at least 8 characters) instead of a generated one. "
        "Avoid it on shared machines: it stays in the shell history.",
    )(function)


@users_cli.command("add")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(accounts.ROLES),
    help="A role; repeat for several (officer, editor, supervisor, investigator, "
    "office-admin, admin).",
)
@click.option("--name", "display_name", default="", help="The name colleagues see.")
@click.option(
    "--office",
    "offices",
    multiple=True,
    help="An office id from offices.yaml; repeat for several. None: every office (provincial).",
)
@_password_option
def users_add(
    username: str,
    roles: tuple[str, ...],
    display_name: str,
    password: str | None,
    offices: tuple[str, ...],
):
    """Create an account and print its password (generated unless --password is given)."""
    directory = current_app.extensions["helpdesk"].settings.offices
    known = {o.id for o in directory.offices} if directory else set()
    unknown = [o for o in offices if o not in known]
    if unknown:
        raise click.ClickException(f"kantor tidak dikenal di offices.yaml: {', '.join(unknown)}")
    try:
        with _store().session() as session:
            user, password = accounts.create_user(
                session,
                username,
                roles,
                display_name=display_name,
                password=password,
                offices=offices,
            )
            username, roles_text = user.username, user.roles
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Akun {username} dibuat ({roles_text}). Kata sandi: {password}")


@users_cli.command("passwd")
@click.argument("username")
@_password_option
def users_passwd(username: str, password: str | None):
    """Set a new password for an account (and lift a lockout); print it."""
    try:
        with _store().session() as session:
            password = accounts.change_password(session, username, password)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Kata sandi baru untuk {username}: {password}")


@users_cli.command("disable")
@click.argument("username")
def users_disable(username: str):
    """Disable an account: it cannot log in, and its open sessions end."""
    try:
        with _store().session() as session:
            accounts.disable_user(session, username)
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Akun {username} dinonaktifkan.")


@users_cli.command("list")
def users_list():
    """List the accounts with their roles and state."""
    with _store().session() as session:
        for user in accounts.list_users(session):
            state = "aktif" if user.active else "nonaktif"
            click.echo(f"{user.username:20} {state:9} {user.roles}")
