"""Operations endpoints: the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """Report database reachability and the FAQ in use; 503 when the database is down."""
    helpdesk = current_app.extensions["helpdesk"]
    database = helpdesk.store.ping()
    library = helpdesk.library
    try:
        entries = len(library.faq)
    except Exception:  # noqa: BLE001 - no FAQ at all is reported, not raised
        entries = 0
    body = {
        "status": "ok" if database else "unavailable",
        "database": database,
        "faq_entries": entries,
        "faq_errors": [str(p) for p in library.errors],
        "offices": len(helpdesk.offices.directory.offices)
        if helpdesk.offices and helpdesk.offices.directory
        else 0,
        "offices_errors": list(helpdesk.offices.errors) if helpdesk.offices else [],
    }
    return jsonify(body), 200 if database else 503
