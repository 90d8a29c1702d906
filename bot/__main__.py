"""`python -m bot …`: the same commands as `flask --app bot …`."""

from flask.cli import FlaskGroup

from bot.app import create_app

cli = FlaskGroup(create_app=create_app, help="Dukcapil helpdesk commands.")

if __name__ == "__main__":
    cli()
