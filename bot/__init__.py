"""Dukcapil helpdesk: a WhatsApp/SMS helpdesk for civil registration offices.

The package imports nothing on its own, so the pure core (language, matcher, dialogue)
can be used without Flask; the app lives in bot.app.
"""
