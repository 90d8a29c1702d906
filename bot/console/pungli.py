"""The investigators' pages for pungli reports: list, detail, evidence, status, export.

Every URL under /console/pungli answers 404 — never 403, never a login redirect — to
anyone without the investigator role, so the pages do not even admit they exist. Every
view and change is written to the audit log. An anonymous reporter's number, contact
id and WhatsApp profile name are never loaded here.
"""

from __future__ import annotations

import contextlib

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from bot import pungli_reports as reports
from bot import store

PREFIX = "/console/pungli"
bp = Blueprint("pungli", __name__, url_prefix=PREFIX, template_folder="templates")


def _helpdesk():
    return current_app.extensions["helpdesk"]


def _settings():
    return _helpdesk().settings.pungli


def _say(code: str, category: str = "ok") -> None:
    texts = (_helpdesk().config.get("pungli") or {}).get("console", {})
    flash(texts.get(code, code), category)


def _investigator() -> bool:
    with contextlib.suppress(Exception):
        return bool(current_user.is_authenticated and current_user.has("investigator"))
    return False


def only_investigators():
    """Answer 404 for every pungli URL (any method, any path) unless an investigator asks."""
    path = request.path
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None
    if _investigator():
        return None
    if current_user.is_authenticated:
        # A colleague trying a pungli URL is worth knowing about; the path may hold a code.
        with _helpdesk().store.session() as session:
            store.audit(session, current_user.user_id, "pungli.denied", "pungli_report", None)
    abort(404)


@bp.record_once
def _guard_first(state) -> None:
    # First of all request hooks, before CSRF checking: a POST without a token must get
    # the same 404 as everything else, not a 400 that admits the URL exists.
    state.app.before_request_funcs.setdefault(None, []).insert(0, only_investigators)


@bp.after_request
def no_caching(response: Response) -> Response:
    """Keep report pages out of browser caches and referrers."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _offices() -> tuple[str, ...]:
    """Return the investigator's offices (empty: provincial, every report)."""
    return tuple(current_user.actor.offices)


def _load(session, code: str) -> store.PungliReport:
    report = reports.find(session, code)
    # Another office's report answers like a report that does not exist.
    if report is None or not reports.in_offices(report, _offices()):
        abort(404)
    return report


@bp.get("/")
@bp.get("")
def index():
    """List the reports, newest first, optionally of one status."""
    status = request.args.get("status", "")
    if status not in reports.STATUSES:
        status = ""
    ps = _settings()
    with _helpdesk().store.session() as session:
        rows = [
            (report, reports.describe(report, ps))
            for report in reports.reports(session, status or None, offices=_offices())
        ]
        counts = reports.counts(session, offices=_offices())
        store.audit(session, current_user.user_id, "pungli.list", "pungli_report", None,
                    status=status or None, shown=len(rows))  # fmt: skip
    return render_template(
        "pungli/list.html",
        rows=rows,
        counts=counts,
        status=status,
        statuses=[(key, ps.status_label(key)) for key in reports.STATUSES],
    )


@bp.get("/<code>")
def report(code: str):
    """Show one report: what happened, evidence, notes, and the status controls."""
    ps = _settings()
    with _helpdesk().store.session() as session:
        found = _load(session, code)
        store.audit(session, current_user.user_id, "pungli.view", "pungli_report", found.id)
        evidence = reports.evidence_of(session, found.id)
        notes = [
            (note, note.author.display_name if note.author else "")
            for note in reports.notes_of(session, found.id)
        ]
        named = reports.named_reporter(session, found, ps)
        return render_template(
            "pungli/report.html",
            report=found,
            shown=reports.describe(found, ps),
            evidence=evidence,
            notes=notes,
            named=named,
            next_statuses=[(s, ps.status_label(s)) for s in reports.TRANSITIONS[found.status]],
            label=ps.status_label,
        )


@bp.post("/<code>/status")
def change_status(code: str):
    """Move the report to its next status with a note; the reporter gets an update."""
    ps = _settings()
    try:
        with _helpdesk().store.session() as session:
            found = _load(session, code)
            note = request.form.get("note", "")
            if not note.strip():
                raise reports.ReportError("note_required")
            status = request.form.get("status", "")
            reports.change_status(
                session, found, current_user.user_id, status, note, ps, store.utcnow()
            )
        _say("status_changed")
    except reports.ReportError as exc:
        _say(exc.code, "error")
    return redirect(url_for("pungli.report", code=code))


@bp.post("/<code>/note")
def add_note(code: str):
    """Add an internal note (the reporter never sees it)."""
    try:
        with _helpdesk().store.session() as session:
            found = _load(session, code)
            reports.add_note(session, found, current_user.user_id,
                             request.form.get("note", ""), store.utcnow())  # fmt: skip
        _say("noted")
    except reports.ReportError as exc:
        _say(exc.code, "error")
    return redirect(url_for("pungli.report", code=code))


@bp.get("/<code>/evidence/<int:evidence_id>")
def evidence(code: str, evidence_id: int):
    """Download one stored evidence file (as an attachment, never shown inline)."""
    helpdesk = _helpdesk()
    folder = reports.evidence_folder(helpdesk.config, helpdesk.config.get("_base_dir", "."))
    with helpdesk.store.session() as session:
        found = _load(session, code)
        item = session.get(store.PungliEvidence, evidence_id)
        if item is None or item.report_id != found.id or item.state != "stored":
            abort(404)
        store.audit(session, current_user.user_id, "pungli.evidence", "pungli_report",
                    found.id, evidence_id=item.id)  # fmt: skip
        name, content_type = item.stored_name, item.content_type
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=content_type,
        as_attachment=True,
        download_name=f"{found.code}-bukti-{evidence_id}{path.suffix}",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/export.csv")
def export():
    """Download every report as CSV for the inspectorate (no personal data)."""
    with _helpdesk().store.session() as session:
        text = reports.export_csv(session, _settings(), offices=_offices())
        store.audit(session, current_user.user_id, "pungli.export", "pungli_report", None)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="laporan-pungli.csv"'},
    )
