"""`python -m bot …`: the same commands as `flask --app bot.app …`."""

import sys

from flask.cli import FlaskGroup

from bot.app import create_app
from bot.config import ConfigError

cli = FlaskGroup(create_app=create_app, help="Dukcapil helpdesk commands.")


def main() -> None:
    """Run the command line; a configuration error is reported in one line."""
    try:
        cli.main(standalone_mode=True)
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
