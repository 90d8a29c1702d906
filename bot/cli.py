"""Command-line commands (`python -m bot …` or `flask --app bot …`), thin click wrappers."""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import AppGroup

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


def _matcher(folder: str | None) -> matching.Matcher:
    settings = matching.Settings.from_config(current_app.config["HELPDESK"].get("matcher"))
    return matching.Matcher(_load(folder), settings)


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


def init_app(app) -> None:
    """Register the command groups on the app."""
    app.cli.add_command(faq_cli)
