"""`python -m bot …`: the same commands as `flask --app bot.app …`."""

import sys

import click
from flask import Flask
from flask.cli import FlaskGroup

from bot.app import create_app
from bot.config import ConfigError


def _create_app() -> Flask:
    """Create the app; the development server (`run`) loads the FAQ at start, as the WSGI
    entry point does, so the first message does not wait for the training."""
    app = create_app()
    context = click.get_current_context(silent=True)
    if context is not None and context.info_name == "run":
        app.extensions["helpdesk"].library.load()
    return app


cli = FlaskGroup(create_app=_create_app, help="Dukcapil helpdesk commands.")


def main() -> None:
    """Run the command line; a configuration error is reported in one line."""
    try:
        cli.main(standalone_mode=True)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
