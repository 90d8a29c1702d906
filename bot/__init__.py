"""Dukcapil helpdesk: a WhatsApp/SMS helpdesk for civil registration offices."""

from bot.app import create_app

__all__ = ["create_app"]
