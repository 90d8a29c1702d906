"""The office page in the console: hours, holidays and blank-card stock per kabupaten/kota.

Thin views over `bot.office_editing` (plans, the loader's checks, atomic writes). Admins
edit every office; an office-admin edits the offices of their account (none listed =
provincial = all), and another office's pages answer 404 like another office's tickets.
Sentences come from config.yaml (`office_editor.texts`), page text from templates/offices/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bot import office_editing, store
from bot.console.auth import require
from bot.console.views import local_time
from bot.hours import DAYS
from bot.offices import STOCK

bp = Blueprint("offices", __name__, url_prefix="/console/offices", template_folder="templates")

EDITORS = ("office-admin", "admin")


def _helpdesk():
    return current_app.extensions["helpdesk"]


def _texts() -> dict:
    return (_helpdesk().config.get("office_editor") or {}).get("texts", {}) or {}


def _say(code: str, category: str = "ok", **detail) -> None:
    text = _texts().get(code, code)
    with contextlib.suppress(KeyError, IndexError, ValueError):
        text = text.format(**detail)
    flash(text, category)


def _path() -> Path:
    return Path(_helpdesk().offices.path)


def _default_office() -> dict:
    return _helpdesk().config.get("office") or {}


def _today() -> dt.date:
    return _helpdesk().settings.hours.local(store.utcnow()).date()


def _reload_seconds() -> int:
    section = _helpdesk().config.get("offices") or {}
    return int(
        float(section.get("reload_seconds", 3)) + float(section.get("settle_seconds", 0)) + 1
    )


def may_edit(office_id: str) -> bool:
    """Return True when the signed-in account may edit this office."""
    if current_user.has("admin") or not current_user.offices:
        return True
    return office_id in current_user.offices


def _visible_block(office_id: str) -> office_editing.OfficeBlock:
    if not may_edit(office_id):
        abort(404)
    block = office_editing.find(_path(), office_id)
    if block is None:
        abort(404)
    return block


# ---------------------------------------------------------------- the list


@bp.get("/")
@require(*EDITORS)
def index():
    """List the offices the account may edit, with their hours, holidays and stock."""
    file = office_editing.read(_path())
    today = _today()
    rows = []
    for block in file.blocks:
        if not may_edit(block.office_id):
            continue
        data = block.data
        upcoming = sorted(d for d in data.get("holidays") or [] if isinstance(d, dt.date))
        rows.append(
            {
                "id": block.office_id,
                "name": data.get("name", block.office_id),
                "hours": data.get("hours"),
                "next_holidays": [d for d in upcoming if d >= today][:3],
                "stock": data.get("blank_stock"),
            }
        )
    return render_template(
        "offices/index.html",
        rows=rows,
        file_error=file.error,
        errors=_helpdesk().offices.errors,
        days=DAYS,
    )


# ---------------------------------------------------------------- one office


def _history(office_ids=None, limit: int = 50) -> list[store.OfficeChange]:
    with _helpdesk().store.session() as session:
        query = select(store.OfficeChange).order_by(store.OfficeChange.id.desc()).limit(limit)
        if office_ids is not None:
            query = query.where(store.OfficeChange.office_id.in_(list(office_ids)))
        changes = session.scalars(query).all()
        for change in changes:
            _ = change.user  # loaded before the session closes
        session.expunge_all()
        return changes


def _change(change_id: int) -> store.OfficeChange:
    with _helpdesk().store.session() as session:
        change = session.get(store.OfficeChange, change_id)
        if change is None or not may_edit(change.office_id):
            abort(404)
        _ = change.user
        session.expunge(change)
        return change


def _render(
    block: office_editing.OfficeBlock,
    values: dict,
    version: str,
    *,
    errors: dict | None = None,
    unrelated=(),
    conflict: dict | None = None,
    status: int = 200,
):
    general = _default_office().get("hours") or {}
    return (
        render_template(
            "offices/edit.html",
            block=block,
            name=block.data.get("name", block.office_id),
            values=values,
            version=version,
            errors=errors or {},
            unrelated=unrelated,
            conflict=conflict,
            days=DAYS,
            weekdays=_helpdesk().config.get("texts", {}).get("weekdays") or DAYS,
            general_hours=general,
            stock_options=STOCK,
            today=_today().isoformat(),
            history=_history([block.office_id], limit=10),
        ),
        status,
    )


@bp.get("/<office_id>")
@require(*EDITORS)
def edit(office_id: str):
    """Show an office's form: hours per weekday, holidays, blank-card stock, recent history."""
    block = _visible_block(office_id)
    values = office_editing.form_values(block.data, _default_office().get("hours"))
    if not values["stock_updated"]:
        values["stock_updated"] = _today().isoformat()
    return _render(block, values, block.version)


def _recorder(reverts_id: int | None = None):
    """Return the `record` callback of a save: history row + audit, in one transaction."""
    helpdesk = _helpdesk()
    user_id = current_user.user_id

    def record(plan: office_editing.Plan) -> int:
        with helpdesk.store.session() as session:
            change = store.OfficeChange(
                user_id=user_id,
                office_id=plan.office_id,
                action=plan.action,
                before_yaml=plan.before,
                after_yaml=plan.after,
                base_version=plan.base_version,
                reverts_id=reverts_id,
            )
            session.add(change)
            session.flush()
            store.audit(
                session,
                user_id,
                f"office.{plan.action}",
                "office",
                plan.office_id,
                change=change.id,
            )
            return change.id

    return record


def _save(make_plan, reverts_id: int | None = None) -> office_editing.Result:
    result = office_editing.save(
        _path(), make_plan, _default_office(), record=_recorder(reverts_id)
    )
    if result.saved:
        _helpdesk().offices.reload()  # this process serves it at once; others within seconds
    return result


def _conflict_info(block: office_editing.OfficeBlock, changes: dict) -> dict:
    """Describe who changed the office meanwhile, and how theirs differs from the editor's."""
    with _helpdesk().store.session() as session:
        who, when = store.last_author(
            session, store.OfficeChange, store.OfficeChange.office_id, block.office_id, block.yaml
        )
    try:
        mine = office_editing.plan_edit(_path(), block.office_id, changes, None).after
    except office_editing.EditError:
        mine = ""
    return {"who": who, "when": when, "diff": office_editing.yaml_files.diff(block.yaml, mine)}


@bp.post("/<office_id>")
@require(*EDITORS)
def update(office_id: str):
    """Save an office: the loader's rules first, refused if someone saved it meanwhile."""
    current = _visible_block(office_id)
    values = office_editing.read_form(request.form)
    version = request.form.get("version") or None
    changes, errors = office_editing.parse_values(values, current.data, _today(), _texts())
    if errors:
        _say("invalid", "error")
        return _render(current, values, version or current.version, errors=errors, status=422)
    try:
        result = _save(lambda path: office_editing.plan_edit(path, office_id, changes, version))
    except office_editing.Conflict as exc:
        info = _conflict_info(exc.current, changes)
        when = f" ({local_time(info['when'])})" if info["when"] else ""
        _say("conflict", "error", who=info["who"] or _texts().get("someone", "?"), when=when)
        # The form now carries the current version: saving again is a conscious overwrite.
        return _render(exc.current, values, exc.current.version, conflict=info, status=409)
    except office_editing.EditError as exc:
        if exc.code == "not_found":
            abort(404)
        _say("busy" if exc.code == "busy" else "file_error", "error", reason=str(exc))
        return _render(current, values, version or current.version, status=503)
    if not result.saved:
        _say("invalid", "error")
        return _render(
            current,
            values,
            version or current.version,
            errors=result.verdict.errors,
            unrelated=result.verdict.unrelated,
            status=422,
        )
    if result.change_id is None:
        _say("unchanged")
    else:
        _say("saved", office=current.data.get("name", office_id), seconds=_reload_seconds())
    return redirect(url_for("offices.edit", office_id=office_id))


# ---------------------------------------------------------------- history


@bp.get("/history")
@require(*EDITORS)
def history():
    """List the console's office changes the account may see, newest first."""
    office_id = request.args.get("office", "").strip() or None
    if office_id and not may_edit(office_id):
        abort(404)
    scope = None
    if office_id:
        scope = [office_id]
    elif not current_user.has("admin") and current_user.offices:
        scope = list(current_user.offices)
    return render_template(
        "offices/history.html", changes=_history(scope, limit=200), office_id=office_id
    )


@bp.get("/history/<int:change_id>")
@require(*EDITORS)
def change(change_id: int):
    """Show one change: who, when, the diff, and the revert button."""
    found = _change(change_id)
    current = office_editing.find(_path(), found.office_id)
    return render_template(
        "offices/change.html",
        change=found,
        lines=office_editing.yaml_files.diff(found.before_yaml, found.after_yaml),
        is_current=current is not None and current.yaml == found.after_yaml,
    )


@bp.post("/history/<int:change_id>/revert")
@require(*EDITORS)
def revert(change_id: int):
    """Put the office's hours, holidays and stock back as before this change (a new change)."""
    found = _change(change_id)
    current = office_editing.find(_path(), found.office_id)
    if current is not None and office_editing.editable(current.yaml) == office_editing.editable(
        found.before_yaml
    ):
        _say("nothing_to_revert", "error")
        return redirect(url_for("offices.change", change_id=change_id))
    try:
        result = _save(
            lambda path: office_editing.plan_revert(path, found.office_id, found.before_yaml),
            reverts_id=change_id,
        )
    except office_editing.EditError as exc:
        _say("not_saved", "error", reason=str(exc))
        return redirect(url_for("offices.change", change_id=change_id))
    if not result.saved:
        reason = "; ".join(m for messages in result.verdict.errors.values() for m in messages)
        _say("not_saved", "error", reason=reason)
        return redirect(url_for("offices.change", change_id=change_id))
    _say("reverted", office=found.office_id)
    return redirect(url_for("offices.edit", office_id=found.office_id))


def init_app(app) -> None:
    """Register the office page on the app."""
    app.register_blueprint(bp)
