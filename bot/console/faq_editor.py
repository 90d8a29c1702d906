"""The FAQ editor in the console: entries, try-it, safe saves, history, and the learning loop.

Thin views over `bot.faq_editing` (plans, checks, atomic writes) and `bot.missed`
(grouping what the bot could not answer). Sentences come from config.yaml
(`faq_editor.texts`), page text from templates/faq/.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from bot import examples as learning
from bot import faq_editing, knowledge, missed, store, tickets
from bot.console.auth import require
from bot.console.views import local_time
from bot.dialogue import _for_channel, fill_placeholders
from bot.messages import SMS
from bot.privacy import mask_phones

bp = Blueprint("faq_editor", __name__, url_prefix="/console/faq", template_folder="templates")

EDITORS = ("editor", "admin")
OUTCOME_CODES = ("answer", "clarify", "escalate")
NOBODY = "-"  # the learning loop's choice "no entry answers it: an officer should"


def _helpdesk():
    return current_app.extensions["helpdesk"]


def _config() -> dict:
    return _helpdesk().config.get("faq_editor", {}) or {}


def _texts() -> dict:
    return _config().get("texts", {}) or {}


def _say(code: str, category: str = "ok", **detail) -> None:
    text = _texts().get(code, code)
    with contextlib.suppress(KeyError, IndexError, ValueError):
        text = text.format(**detail)
    flash(text, category)


def _folder() -> Path:
    return Path(current_app.config["FAQ_FOLDER"])


def _menu_ids() -> list[str]:
    return [item.get("id") for item in _helpdesk().config.get("menu") or [] if item.get("id")]


def _settings():
    return _helpdesk().library.settings


# ---------------------------------------------------------------- rendering helpers

# Fixed tags only: text between them is always escaped.
_MARKS = {
    "*": (Markup("<strong>"), Markup("</strong>")),
    "_": (Markup("<em>"), Markup("</em>")),
    "~": (Markup("<s>"), Markup("</s>")),
}
_FORMAT = re.compile(
    r"```(?P<mono>[^`]+?)```"
    r"|(?<![\w*_~])(?P<mark>[*_~])(?=\S)(?P<inner>[^\n]*?\S)(?P=mark)(?![\w*_~])"
)


def whatsapp_html(text: str) -> Markup:
    """Render WhatsApp's *bold*, _italic_, ~strike~ and ```mono``` as escaped HTML."""
    out, last = [], 0
    for match in _FORMAT.finditer(text):
        out.append(escape(text[last : match.start()]))
        if match.group("mono") is not None:
            out.append(Markup("<code>%s</code>") % match.group("mono"))
        else:
            opening, closing = _MARKS[match.group("mark")]
            out.append(opening + whatsapp_html(match.group("inner")) + closing)
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


@bp.app_template_filter("whatsapp")
def whatsapp_filter(text: str) -> Markup:
    return whatsapp_html(text or "")


def _preview(answer: str, action: str) -> dict:
    """Return the answer as the citizen gets it: WhatsApp (formatted) and SMS (plain, length)."""
    helpdesk = _helpdesk()
    text = fill_placeholders(answer or "", helpdesk.settings)
    if (action or "answer") == "answer" and text:
        text += "\n\n" + helpdesk.settings.texts.get("answer_footer", "")
    sms = _for_channel(text, SMS)  # the very conversion the dialogue applies to SMS
    return {
        "whatsapp": whatsapp_html(text),
        "sms": sms,
        "sms_length": faq_editing.sms_length(sms),
        "empty": not (answer or "").strip(),
    }


def _files() -> list[str]:
    return [p.name for p in knowledge.faq_files(_folder())]


# ---------------------------------------------------------------- the list


@bp.get("/")
@require(*EDITORS)
def index():
    """List the entries; search them; the try-it box works on what the bot serves now."""
    q = request.args.get("q", "").strip()[:80]
    show = request.args.get("show", "active")
    chosen = request.args.get("file", "")
    files = faq_editing.read_folder(_folder())
    rows = []
    needle = q.lower()
    for file in files:
        if chosen and file.name != chosen:
            continue
        for block in file.blocks:
            if show == "active" and block.retired or show == "retired" and not block.retired:
                continue
            data = block.data
            haystack = " ".join(
                str(v) for key in ("id", "question", "answer") if (v := data.get(key))
            )
            haystack += " " + " ".join(str(v) for v in data.get("variants") or [])
            if needle and needle not in haystack.lower():
                continue
            rows.append(block)
    return render_template(
        "faq/index.html",
        rows=rows,
        files=files,
        q=q,
        show=show,
        chosen=chosen,
        library_errors=_helpdesk().library.errors,
    )


# ---------------------------------------------------------------- one entry


def _history(entry_id: str | None = None, limit: int = 50) -> list[store.FaqChange]:
    with _helpdesk().store.session() as session:
        query = select(store.FaqChange).order_by(store.FaqChange.id.desc()).limit(limit)
        if entry_id:
            query = query.where(store.FaqChange.entry_id == entry_id)
        changes = session.scalars(query).all()
        for change in changes:
            _ = change.user  # loaded before the session closes
        session.expunge_all()
        return changes


def _change(change_id: int | None) -> store.FaqChange | None:
    if not change_id:
        return None
    with _helpdesk().store.session() as session:
        change = session.get(store.FaqChange, change_id)
        if change is not None:
            _ = change.user
            session.expunge(change)
        return change


def _render_entry(
    *,
    mode: str,
    values: dict,
    version: str | None = None,
    entry_id: str | None = None,
    block: faq_editing.Block | None = None,
    errors: dict | None = None,
    warnings=(),
    unrelated=(),
    conflict: dict | None = None,
    saved: store.FaqChange | None = None,
    file: str = "",
    status: int = 200,
):
    files = _files()
    context = {
        "mode": mode,
        "values": values,
        "version": version,
        "entry_id": entry_id,
        "block": block,
        "errors": errors or {},
        "warnings": warnings,
        "unrelated": unrelated,
        "conflict": conflict,
        "saved": saved,
        "preview": _preview(values.get("answer", ""), values.get("action", "answer")),
        "files": files,
        "file": file or (block.file if block else (files[0] if files else "")),
        "actions": knowledge.ACTIONS,
        "history": _history(entry_id, limit=10) if entry_id else [],
        "entry_ids": sorted(b.id for b in faq_editing.blocks(_folder()) if b.id),
    }
    return render_template("faq/edit.html", **context), status


@bp.get("/entries/<entry_id>")
@require(*EDITORS)
def edit(entry_id: str):
    """Show an entry's edit form, its preview, the try-it box and its recent history."""
    block = faq_editing.find(_folder(), entry_id)
    if block is None:
        abort(404)
    saved = _change(request.args.get("saved", type=int))
    if saved is not None and saved.entry_id != entry_id:
        saved = None
    return _render_entry(
        mode="edit",
        values=faq_editing.form_values(block.data),
        version=block.version,
        entry_id=entry_id,
        block=block,
        saved=saved,
    )


def _recorder(reverts_id: int | None = None):
    """Return the `record` callback of a save: history row + audit, with the evaluation."""
    helpdesk = _helpdesk()
    before = helpdesk.library.matcher  # what the bot serves now, before this save
    cases = faq_editing.load_cases(_folder())
    user_id = current_user.user_id

    def record(plan: faq_editing.Plan, verdict: faq_editing.Verdict) -> int:
        detail = faq_editing.compare(before, verdict.matcher, cases) if verdict.matcher else {}
        with helpdesk.store.session() as session:
            change = store.FaqChange(
                user_id=user_id,
                entry_id=plan.entry_id,
                file=plan.file,
                action=plan.action,
                before_yaml=plan.before,
                after_yaml=plan.after,
                base_version=plan.base_version,
                reverts_id=reverts_id,
                detail=detail,
            )
            session.add(change)
            session.flush()
            store.audit(
                session,
                user_id,
                f"faq.{plan.action}",
                "faq_entry",
                plan.entry_id,
                change=change.id,
                file=plan.file,
            )
            return change.id

    return record


def _save(make_plan, reverts_id: int | None = None) -> faq_editing.Result:
    result = faq_editing.save(
        _folder(),
        make_plan,
        menu_ids=_menu_ids(),
        settings=_settings(),
        record=_recorder(reverts_id),
    )
    if result.saved:
        _helpdesk().library.reload()  # this process serves it at once; others within seconds
    return result


def _conflict_info(block: faq_editing.Block, mine: dict) -> dict:
    """Describe who changed the entry meanwhile, and how theirs differs from the editor's."""
    with _helpdesk().store.session() as session:
        who, when = store.last_author(
            session, store.FaqChange, store.FaqChange.entry_id, block.id, block.yaml
        )
    try:
        my_text = faq_editing.new_block(mine, 0, 2)
    except Exception:  # noqa: BLE001 - a diff is a courtesy; the refusal stands without it
        my_text = ""
    return {
        "who": who,
        "when": when,
        "current": faq_editing.form_values(block.data),
        "diff": faq_editing.diff(block.yaml, my_text),
    }


@bp.post("/entries/<entry_id>")
@require(*EDITORS)
def update(entry_id: str):
    """Save an entry: checked like `faq check`, refused if someone else saved it meanwhile."""
    values = {k: request.form.get(k, "") for k in faq_editing.FIELD_ORDER}
    values["id"] = entry_id
    data, form_problems = faq_editing.parse_form(values)
    version = request.form.get("version") or None
    current = faq_editing.find(_folder(), entry_id)
    if current is None:
        broken = [f for f in faq_editing.read_folder(_folder()) if f.error]
        if not broken:
            abort(404)
        # Its file was broken by a direct edit meanwhile: say so and keep the editor's text.
        _say("file_error", "error", reason="; ".join(f"{f.name}: {f.error}" for f in broken))
        return _render_entry(
            mode="edit", values=values, version=version, entry_id=entry_id, status=409
        )
    if form_problems:
        _say("invalid", "error")
        return _render_entry(
            mode="edit",
            values=values,
            version=version,
            entry_id=entry_id,
            block=current,
            errors=_by_field(form_problems),
            status=422,
        )
    try:
        result = _save(lambda folder: faq_editing.plan_edit(folder, entry_id, data, version))
    except faq_editing.Conflict as exc:
        info = _conflict_info(exc.current, data)
        when = f" ({local_time(info['when'])})" if info["when"] else ""
        _say("conflict", "error", who=info["who"] or _texts().get("someone", "?"), when=when)
        # The form now carries the current version: saving again is a conscious overwrite.
        return _render_entry(
            mode="edit",
            values=values,
            version=exc.current.version,
            entry_id=entry_id,
            block=exc.current,
            conflict=info,
            status=409,
        )
    except faq_editing.EditError as exc:
        if exc.code != "busy":
            return _edit_error(exc, entry_id)
        _say("busy", "error")
        return _render_entry(
            mode="edit",
            values=values,
            version=version,
            entry_id=entry_id,
            block=current,
            status=503,
        )
    if not result.saved:
        _say("invalid", "error")
        return _render_entry(
            mode="edit",
            values=values,
            version=version,
            entry_id=entry_id,
            block=current,
            errors=result.verdict.field_errors(entry_id),
            unrelated=result.verdict.unrelated,
            warnings=result.verdict.warnings,
            status=422,
        )
    _say("saved", entry=entry_id, seconds=_reload_seconds())
    for warning in result.verdict.warnings:
        flash(str(warning.message), "warn")
    return redirect(url_for("faq_editor.edit", entry_id=entry_id, saved=result.change_id))


def _by_field(problems) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for problem in problems:
        out.setdefault(problem.field or "", []).append(problem.message)
    return out


def _reload_seconds() -> int:
    return int(float(_helpdesk().config.get("faq", {}).get("reload_seconds", 3)) + 1)


def _edit_error(exc: faq_editing.EditError, entry_id: str | None = None):
    if exc.code == "not_found":
        abort(404)
    _say("busy" if exc.code == "busy" else "file_error", "error", reason=str(exc))
    if entry_id and exc.code == "busy":
        return redirect(url_for("faq_editor.edit", entry_id=entry_id))
    return redirect(url_for("faq_editor.index"))


@bp.post("/entries/<entry_id>/retire")
@require(*EDITORS)
def retire(entry_id: str):
    """Retire an entry (kept for history, never matched) or bring a retired one back."""
    back = request.form.get("retired", "1") == "1"
    version = request.form.get("version") or None
    try:
        result = _save(lambda folder: faq_editing.plan_retire(folder, entry_id, version, back))
    except faq_editing.Conflict:
        _say("conflict_simple", "error")
        return redirect(url_for("faq_editor.edit", entry_id=entry_id))
    except faq_editing.EditError as exc:
        return _edit_error(exc, entry_id)
    if not result.saved:
        _say("not_saved", "error", reason="; ".join(p.message for p in result.verdict.errors))
        return redirect(url_for("faq_editor.edit", entry_id=entry_id))
    _say("retired" if back else "restored", entry=entry_id)
    return redirect(url_for("faq_editor.edit", entry_id=entry_id, saved=result.change_id))


# ---------------------------------------------------------------- new entries


def _prefill() -> dict:
    """Return new-entry values from a ticket or from missed messages (the citizens' words)."""
    values = faq_editing.form_values({})
    ticket_id = request.args.get("ticket", type=int)
    message_ids = [int(i) for i in re.findall(r"\d+", request.args.get("messages", ""))]
    limit = int(_config().get("max_variant_chars", 200))
    asked: list[str] = []
    answered: list[str] = []
    with _helpdesk().store.session() as session:
        if ticket_id:
            try:
                tickets.get(session, ticket_id, current_user.actor)
            except tickets.TicketError:
                abort(404)
            asked, answered = missed.ticket_wording(session, ticket_id)
        elif message_ids:
            asked, answered = missed.wording(session, message_ids)
    short = [" ".join(a.split()) for a in asked if len(a) <= limit]
    if short:
        values["question"] = short[0]
        values["variants"] = "\n".join(dict.fromkeys(short[1:]))
    if answered:
        values["answer"] = "\n\n".join(answered)
    return values


@bp.get("/new")
@require(*EDITORS)
def new():
    """Show an empty entry form, or one pre-filled from a ticket or from missed messages."""
    return _render_entry(mode="new", values=_prefill(), file=request.args.get("file", ""))


@bp.post("/new")
@require(*EDITORS)
def create():
    """Add an entry to a topic file (or a new file), checked like `faq check`."""
    values = {k: request.form.get(k, "") for k in faq_editing.FIELD_ORDER}
    file_name = request.form.get("new_file", "").strip() or request.form.get("file", "")
    if file_name and not file_name.endswith(".yaml"):
        file_name += ".yaml"
    data, form_problems = faq_editing.parse_form(values)
    if not faq_editing.FILE_NAME.match(file_name) or knowledge.is_case_file(file_name):
        form_problems.append(knowledge.Problem("", 0, _texts().get("bad_file", ""), None, "file"))
    if form_problems:
        _say("invalid", "error")
        return _render_entry(
            mode="new", values=values, errors=_by_field(form_problems), file=file_name, status=422
        )
    entry_id = data.get("id", "")
    try:
        result = _save(lambda folder: faq_editing.plan_add(folder, file_name, data))
    except faq_editing.EditError as exc:
        return _edit_error(exc)
    if not result.saved:
        _say("invalid", "error")
        return _render_entry(
            mode="new",
            values=values,
            errors=result.verdict.field_errors(entry_id),
            unrelated=result.verdict.unrelated,
            file=file_name,
            status=422,
        )
    _say("added", entry=entry_id, seconds=_reload_seconds())
    return redirect(url_for("faq_editor.edit", entry_id=entry_id, saved=result.change_id))


# ---------------------------------------------------------------- try it, preview


@bp.post("/try")
@require(*EDITORS)
def try_message():
    """Show what the bot would do with a message, using the form's unsaved edit if any."""
    message = request.form.get("message", "").strip()[:1000]
    mode = request.form.get("mode", "")
    entry_id = request.form.get("entry_id", "")
    plan, problems, faq = None, [], None
    if mode in ("edit", "new"):
        values = {k: request.form.get(k, "") for k in faq_editing.FIELD_ORDER}
        data, problems = faq_editing.parse_form(values)
        try:
            if mode == "edit":
                plan = faq_editing.plan_edit(_folder(), entry_id, data, None)
            else:
                data["id"] = data.get("id") or faq_editing.TRIAL_ID
                entry_id = data["id"]
                file_name = request.form.get("new_file", "").strip() or request.form.get("file", "")
                if file_name and not file_name.endswith(".yaml"):
                    file_name += ".yaml"
                plan = faq_editing.plan_add(_folder(), file_name, data)
        except faq_editing.EditError as exc:
            problems.append(knowledge.Problem("", 0, str(exc), entry_id))
    if plan is not None:
        serving = _helpdesk().library.matcher.model
        faq, index, found = faq_editing.trial(_folder(), plan, _settings(), model=serving)
        problems += found
    else:
        index = _helpdesk().library.matcher
    result = index.match(message) if message else None
    ranked = index.rank(message)[:3] if message else []
    html = render_template(
        "faq/_try_result.html",
        message=message,
        result=result,
        ranked=ranked,
        entry_id=entry_id if plan is not None else None,
        problems=problems,
        unsaved=plan is not None,
    )
    return jsonify(
        outcome=result.outcome if result else None,
        candidates=[[c.entry.id, c.score] for c in ranked],
        html=html,
    )


@bp.post("/preview")
@require(*EDITORS)
def preview():
    """Return the answer's preview (WhatsApp and SMS) for the text being typed."""
    data = _preview(request.form.get("answer", ""), request.form.get("action", "answer"))
    return jsonify(html=render_template("faq/_preview.html", preview=data))


# ---------------------------------------------------------------- history


@bp.get("/history")
@require(*EDITORS)
def history():
    """List the console's FAQ changes, newest first (optionally one entry's)."""
    entry_id = request.args.get("entry", "").strip() or None
    return render_template(
        "faq/history.html", changes=_history(entry_id, limit=200), entry_id=entry_id
    )


@bp.get("/history/<int:change_id>")
@require(*EDITORS)
def change(change_id: int):
    """Show one change: who, when, the diff, and the revert button."""
    found = _change(change_id) or abort(404)
    current = faq_editing.find(_folder(), found.entry_id)
    return render_template(
        "faq/change.html",
        change=found,
        lines=faq_editing.diff(found.before_yaml, found.after_yaml),
        current=current,
        is_current=current is not None and current.yaml == found.after_yaml,
    )


@bp.post("/history/<int:change_id>/revert")
@require(*EDITORS)
def revert(change_id: int):
    """Put the entry back as it was before this change (a new change in the history)."""
    found = _change(change_id) or abort(404)
    current = faq_editing.find(_folder(), found.entry_id)
    if current is not None and (
        current.yaml == found.before_yaml or (found.before_yaml is None and current.retired)
    ):
        _say("nothing_to_revert", "error")
        return redirect(url_for("faq_editor.change", change_id=change_id))
    try:
        result = _save(
            lambda folder: faq_editing.plan_revert(
                folder, found.entry_id, found.file, found.before_yaml
            ),
            reverts_id=change_id,
        )
    except faq_editing.EditError as exc:
        _say("not_saved", "error", reason=str(exc))
        return redirect(url_for("faq_editor.change", change_id=change_id))
    if not result.saved:
        reason = "; ".join(p.message for p in result.verdict.errors)
        _say("not_saved", "error", reason=reason)
        return redirect(url_for("faq_editor.change", change_id=change_id))
    _say("reverted", entry=found.entry_id)
    return redirect(url_for("faq_editor.edit", entry_id=found.entry_id, saved=result.change_id))


# ---------------------------------------------------------------- learning loop


@bp.get("/missed")
@require(*EDITORS)
def missed_page():
    """Group what citizens asked that the bot escalated or had to clarify."""
    settings = _config()
    days = int(settings.get("missed_days", 90))
    since = store.utcnow() - dt.timedelta(days=days)
    with _helpdesk().store.session() as session:
        found = missed.collect(session, since, int(settings.get("missed_scan", 5000)))
    groups = missed.group(found, float(settings.get("group_similarity", 75)))
    matcher = _helpdesk().library.matcher
    show = request.args.get("show", "open")
    for group in groups:
        result = matcher.match(group.items[0].text)
        group.answered_by = result.entry.id if result.outcome == "answer" else None
    shown = [g for g in groups if show == "all" or g.answered_by is None]
    faq = _helpdesk().library.faq
    # What staff taught already (the learned examples file), per message shown.
    one_line = faq_editing.one_line
    learned = {
        one_line(x.text): x.label for x in learning.load_examples(_folder(), [_learned_file()])
    }
    taught = {
        m.message_id: learned[one_line(m.text)]
        for g in shown
        for m in g.items
        if one_line(m.text) in learned
    }
    return render_template(
        "faq/missed.html",
        groups=shown,
        total=len(groups),
        answered=sum(1 for g in groups if g.answered_by),
        show=show,
        days=days,
        entries=[(e.id, e.question) for e in faq.entries],
        questions={e.id: e.question for e in faq.entries},
        max_variant=int(settings.get("max_variant_chars", 200)),
        max_example=int(settings.get("max_example_chars", 2000)),
        taught=taught,
        nobody=_texts().get("nobody", NOBODY),
        nobody_choice=NOBODY,
    )


@bp.post("/missed/variant")
@require(*EDITORS)
def add_variant():
    """Add one citizen message as a variant of an entry (checked and saved like any edit)."""
    entry_id = request.form.get("entry_id", "")
    message_id = request.form.get("message_id", type=int)
    if entry_id == NOBODY:
        _say("variant_needs_entry", "error")
        return _back_to_missed()
    with _helpdesk().store.session() as session:
        text = missed.citizen_message(session, message_id) if message_id else None
    limit = int(_config().get("max_variant_chars", 200))
    if not text or len(text) > limit:
        _say("bad_variant", "error", limit=limit)
        return _back_to_missed()
    variant = faq_editing.one_line(text)
    try:
        result = _save(lambda folder: faq_editing.plan_add_variant(folder, entry_id, variant))
    except faq_editing.EditError as exc:
        if exc.code == "not_found":
            _say("not_found", "error", entry=entry_id)
            return _back_to_missed()
        return _edit_error(exc)
    if not result.saved:
        _say("not_saved", "error", reason="; ".join(p.message for p in result.verdict.errors))
        return _back_to_missed()
    _say("variant_added", entry=entry_id, text=variant)
    change = _change(result.change_id)
    if change is not None and change.detail:
        _flash_evaluation(change.detail)
    return _back_to_missed()


@bp.post("/missed/example")
@require(*EDITORS)
def label_example():
    """Teach the second opinion with one citizen message: the entry that answers it, or
    none ("-": an officer should). Written into the examples file `learned_file`, learnt at
    the next FAQ load (in the background: the editor does not wait for the training)."""
    entry_id = request.form.get("entry_id", "")
    message_id = request.form.get("message_id", type=int)
    settings = _config()
    with _helpdesk().store.session() as session:
        text = missed.citizen_message(session, message_id) if message_id else None
    # Kept in the FAQ folder beyond the messages' retention: phone numbers masked too.
    text = mask_phones(text) if text else None
    limit = int(settings.get("max_example_chars", 2000))
    if not text or len(text) > limit:
        _say("bad_example", "error", limit=limit)
        return _back_to_missed()
    label = None if entry_id == NOBODY else entry_id
    if label is not None and _helpdesk().library.faq.get(label) is None:
        _say("not_found", "error", entry=entry_id)
        return _back_to_missed()
    file_name = _learned_file()
    if not learning.is_example_file(file_name, _settings().examples):
        # Written where the matcher never reads it, the label would teach nothing.
        _say("examples_unread", "error", file=file_name)
        return _back_to_missed()
    user_id = current_user.user_id

    def record(outcome: str) -> None:
        with _helpdesk().store.session() as session:
            store.audit(
                session,
                user_id,
                "faq.example",
                "message",
                message_id,
                entry=label,
                file=file_name,
                outcome=outcome,
            )

    try:
        outcome = faq_editing.label_example(_folder(), file_name, text, label, record)
    except faq_editing.EditError as exc:
        _say("not_saved", "error", reason=str(exc))
        return _back_to_missed()
    _say(f"example_{outcome}", entry=label or _texts().get("nobody", NOBODY))
    return _back_to_missed()


def _back_to_missed():
    """Return to the learning loop as the editor saw it (the open groups, or all)."""
    show = "all" if request.form.get("show") == "all" else None
    return redirect(url_for("faq_editor.missed_page", show=show))


def _learned_file() -> str:
    return str(_config().get("learned_file", "learned_cases.yaml"))


def _flash_evaluation(detail: dict) -> None:
    before, after = detail.get("right_before", 0), detail.get("right_after", 0)
    code = "eval_down" if after < before else "eval_same"
    _say(code, "error" if after < before else "ok", before=f"{before:.1%}", after=f"{after:.1%}")


def init_app(app) -> None:
    """Register the FAQ editor on the app."""
    app.register_blueprint(bp)
