"""The officers' console: login, the queue, one conversation, and the actions on a ticket.

Thin views: each action is one `bot.tickets` call in one transaction; the sentences shown
come from config.yaml (`console.texts`) and the page text from the templates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from bot import accounts, store, tickets
from bot.console.auth import ConsoleUser, require, texts
from bot.dialogue import fill_placeholders
from bot.privacy import mask_number

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

QUEUE_ROLES = ("officer", "supervisor")
# Citizens' files shown inline; anything else is downloaded, never rendered by the browser.
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
MEDIA_TIMEOUT = 15  # seconds to wait for Twilio before the officer sees an error

log = logging.getLogger(__name__)


def _helpdesk():
    return current_app.extensions["helpdesk"]


def _say(code: str, category: str = "ok", **detail) -> None:
    text = texts().get(code, code)
    with contextlib.suppress(KeyError, IndexError):
        text = text.format(**detail)
    flash(text, category)


def _now() -> dt.datetime:
    return store.utcnow()


@bp.app_template_filter("local")
def local_time(moment: dt.datetime | None, pattern: str = "%d/%m/%Y %H.%M") -> str:
    """Format a moment in the office's time zone."""
    if moment is None:
        return ""
    return _helpdesk().settings.hours.local(moment).strftime(pattern)


@bp.app_context_processor
def console_globals() -> dict:
    return {"poll_seconds": _helpdesk().config.get("console", {}).get("poll_seconds", 5)}


# ---------------------------------------------------------------- login


def _safe_next(target: str | None) -> str | None:
    """Return a same-site path to go to after login, or None (no open redirects)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _landing() -> str:
    if current_user.has(*QUEUE_ROLES):
        return url_for("console.queue")
    if current_user.has("admin"):
        return url_for("console.users")
    if current_user.has("investigator"):  # pungli reports (bot/console/pungli.py)
        return url_for("pungli.index")
    if current_user.has("editor"):  # the FAQ editor (bot/console/faq_editor.py)
        return url_for("faq_editor.index")
    if current_user.has("office-admin"):  # the office page (bot/console/offices.py)
        return url_for("offices.index")
    return url_for("console.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form, and sign in (slowing and locking repeated failures)."""
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_landing())
        return render_template("console/login.html")
    helpdesk = _helpdesk()
    policy = accounts.LoginPolicy.from_config(helpdesk.config.get("login"))
    username = request.form.get("username", "")
    with helpdesk.store.session() as session:
        user = accounts.authenticate(
            session, username, request.form.get("password", ""), _now(), policy
        )
        signed_in = ConsoleUser(user) if user is not None else None
    if signed_in is None:
        time.sleep(policy.failure_delay_seconds)
        _say("login_failed", "error")
        return render_template("console/login.html", username=username[:64]), 401
    login_user(signed_in)
    return redirect(_safe_next(request.args.get("next")) or _landing())


@bp.post("/logout")
def logout():
    """Sign out."""
    logout_user()
    _say("logged_out")
    return redirect(url_for("console.login"))


@bp.get("/home")
@require(*accounts.ROLES)
def home():
    """Send each account to its page; roles without console pages yet get a short note."""
    if current_user.has(*QUEUE_ROLES, "admin", "investigator", "office-admin"):
        return redirect(_landing())
    return render_template("console/home.html")


# ---------------------------------------------------------------- queue


def _queue_args() -> tuple[str, str]:
    view = request.args.get("view", "unclaimed")
    if view not in tickets.VIEWS:
        view = "unclaimed"
    return view, request.args.get("q", "")[:40]


def _queue_data(session) -> dict:
    view, search = _queue_args()
    actor = current_user.actor
    return {
        "view": view,
        "q": search,
        "rows": tickets.queue(session, actor, view, search, _helpdesk().ticket_prefix),
        "waiting": tickets.waiting_count(session, actor),
        "now": _now(),
    }


@bp.get("/")
@require(*QUEUE_ROLES)
def queue():
    """Show the queue: open tickets, the longest-waiting first."""
    with _helpdesk().store.session() as session:
        data = _queue_data(session)
    return render_template("console/queue.html", **data)


@bp.get("/queue.json")
@require(*QUEUE_ROLES)
def queue_poll():
    """Return the queue's rows (rendered, escaped) and the waiting count, for polling."""
    with _helpdesk().store.session() as session:
        data = _queue_data(session)
    html = render_template("console/_queue_rows.html", **data)
    return {"waiting": data["waiting"], "html": html, "count": len(data["rows"])}


# ---------------------------------------------------------------- one ticket


def _load(session, ticket_id: int) -> store.Ticket:
    try:
        return tickets.get(session, ticket_id, current_user.actor)
    except tickets.TicketError:
        abort(404)


def _messages_data(session, ticket: store.Ticket) -> dict:
    messages = tickets.history(session, ticket.contact_id)
    officer_ids = {m.officer_id for m in messages if m.officer_id}
    if ticket.assignee_id:
        officer_ids.add(ticket.assignee_id)
    names = (
        {
            user.id: user.display_name or user.username
            for user in session.scalars(select(store.User).where(store.User.id.in_(officer_ids)))
        }
        if officer_ids
        else {}
    )
    return {
        "messages": messages,
        "names": names,
        "delivery_errors": {
            str(k): v for k, v in (_helpdesk().config.get("delivery_errors") or {}).items()
        },
        "version": _version(session, ticket),
    }


def _version(session, ticket: store.Ticket) -> str:
    newest, changed = session.execute(
        select(func.max(store.Message.id), func.max(store.Message.updated_at)).where(
            store.Message.contact_id == ticket.contact_id
        )
    ).one()
    return f"{newest}|{changed}|{_controls(ticket)}"


def _controls(ticket: store.Ticket) -> str:
    return f"{ticket.state}|{ticket.assignee_id}"


def _template() -> tickets.Template:
    return tickets.Template.from_config(
        _helpdesk().config.get("whatsapp_template"),
        current_app.config.get("WHATSAPP_TEMPLATE_SID"),
    )


def _faq_answers() -> list[tuple[str, str, str]]:
    helpdesk = _helpdesk()
    try:
        entries = helpdesk.library.faq.entries
    except Exception:  # noqa: BLE001 - no FAQ loaded: officers write from scratch
        return []
    return [
        (entry.id, entry.question, fill_placeholders(entry.answer, helpdesk.settings))
        for entry in entries
        if entry.action == "answer"
    ]


@bp.get("/tickets/<int:ticket_id>")
@require(*QUEUE_ROLES)
def ticket(ticket_id: int):
    """Show one conversation: the whole history, statuses, notes, and the actions."""
    helpdesk = _helpdesk()
    now = _now()
    with helpdesk.store.session() as session:
        found = _load(session, ticket_id)
        contact = found.contact
        first = session.scalars(
            select(store.Message)
            .where(store.Message.ticket_id == found.id, store.Message.direction == "in")
            .order_by(store.Message.id)
            .limit(1)
        ).one_or_none()
        closes = tickets.window_closes_at(contact)
        faq = _faq_answers()
        chosen = request.args.get("faq")
        draft = next((answer for entry_id, _, answer in faq if entry_id == chosen), "")
        context = {
            "ticket": found,
            "contact": contact,
            "number": tickets.number_of(found.id, helpdesk.ticket_prefix),
            "masked": mask_number(contact.number),
            "first_meta": (first.meta or {}) if first else {},
            "window_closes_at": closes,
            "window_open": tickets.window_open(contact, now),
            "template": _template(),
            "faq": faq,
            "draft": draft,
            "offices": _office_choices(),
            "assignable": tickets.assignable(session, current_user.actor)
            if current_user.has("supervisor")
            else [],
            "now": now,
            "controls": _controls(found),
            **_messages_data(session, found),
        }
        return render_template("console/ticket.html", **context)


@bp.get("/tickets/<int:ticket_id>/poll.json")
@require(*QUEUE_ROLES)
def ticket_poll(ticket_id: int):
    """Return the conversation (rendered, escaped) and a version to compare, for polling."""
    with _helpdesk().store.session() as session:
        found = _load(session, ticket_id)
        data = _messages_data(session, found)
        html = render_template("console/_messages.html", ticket=found, **data)
        return {"version": data["version"], "controls": _controls(found), "html": html}


@bp.get("/tickets/<int:ticket_id>/media/<int:message_id>/<int:number>")
@require(*QUEUE_ROLES)
def media(ticket_id: int, message_id: int, number: int):
    """Pass a citizen's photo or file through from Twilio with the account's credentials,
    so officers' browsers never need them (Twilio's media can stay behind HTTP auth)."""
    from webhooks.media import fetcher_from_config

    with _helpdesk().store.session() as session:
        found = _load(session, ticket_id)
        message = session.get(store.Message, message_id)
        if (
            message is None
            or message.contact_id != found.contact_id
            or message.kind != "message"  # never a pungli report's evidence
            or not 0 <= number < len(message.media or [])
        ):
            abort(404)
        url = str(message.media[number].get("url") or "")
    fetcher = fetcher_from_config(current_app.config, timeout=MEDIA_TIMEOUT)
    if fetcher is None:
        abort(404)  # no Twilio account (development): there is nothing to fetch
    try:
        data, content_type = fetcher.fetch(url)
    except Exception as exc:  # noqa: BLE001 - refused, HTTP error, timeout: all a 502
        log.warning("media of message %s not fetched: %s", message_id, type(exc).__name__)
        return Response(texts().get("media_unavailable", ""), 502, mimetype="text/plain")
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
        "Cache-Control": "private, max-age=300",
    }
    if content_type not in INLINE_TYPES:
        headers["Content-Disposition"] = (
            f'attachment; filename="lampiran-{message_id}-{number + 1}"'
        )
        content_type = "application/octet-stream"
    return Response(data, mimetype=content_type, headers=headers)


def _act(
    ticket_id: int,
    action,
    done: str | None,
    back_to_queue_on_error: bool = False,
    success_to: str | None = None,
):
    """Run one ticket action in a transaction; flash its outcome and redirect."""
    helpdesk = _helpdesk()
    number = tickets.number_of(ticket_id, helpdesk.ticket_prefix)
    try:
        with helpdesk.store.session() as session:
            tickets.get(session, ticket_id, current_user.actor)  # 404 outside one's offices
            result = action(session, current_user.actor, _now())
            detail = result if isinstance(result, dict) else {}
    except tickets.TicketError as exc:
        if exc.code == "not_found":
            abort(404)
        _say(exc.code, "error", ticket=number, **exc.detail)
        if back_to_queue_on_error:
            return redirect(url_for("console.queue"))
        return redirect(url_for("console.ticket", ticket_id=ticket_id))
    if done:
        _say(done, ticket=number, **detail)
    return redirect(success_to or url_for("console.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/claim")
@require(*QUEUE_ROLES)
def claim(ticket_id: int):
    """Claim a ticket (exactly one officer wins)."""
    return _act(
        ticket_id,
        lambda s, actor, now: tickets.claim(s, ticket_id, actor, now),
        "claimed",
        back_to_queue_on_error=request.form.get("from") == "queue",
    )


@bp.post("/tickets/<int:ticket_id>/release")
@require(*QUEUE_ROLES)
def release(ticket_id: int):
    """Give a ticket back to the queue."""
    return _act(
        ticket_id,
        lambda s, actor, now: tickets.release(s, ticket_id, actor, now),
        "released",
        success_to=url_for("console.queue"),
    )


@bp.post("/tickets/<int:ticket_id>/reassign")
@require("supervisor")
def reassign(ticket_id: int):
    """Hand a ticket to another officer (supervisor)."""
    target = request.form.get("assignee", "")
    if not target.isdigit():
        _say("bad_assignee", "error")
        return redirect(url_for("console.ticket", ticket_id=ticket_id))

    def action(session, actor, now):
        found = tickets.reassign(session, ticket_id, actor, int(target), now)
        user = session.get(store.User, found.assignee_id)
        return {"owner": user.display_name or user.username}

    return _act(ticket_id, action, "reassigned")


@bp.post("/tickets/<int:ticket_id>/office")
@require(*QUEUE_ROLES)
def move_office(ticket_id: int):
    """Move a ticket to another office (anyone who sees it; logged)."""
    office_id = request.form.get("office", "")
    choices = dict(_office_choices())
    if office_id not in choices:
        _say("bad_office", "error")
        return redirect(url_for("console.ticket", ticket_id=ticket_id))

    def action(session, actor, now):
        tickets.move_to_office(session, ticket_id, actor, office_id, now)
        return {"office": choices[office_id]}

    # The new office may be outside the mover's own: back to the queue, not a 404 page.
    return _act(ticket_id, action, "moved_office", success_to=url_for("console.queue"))


def _office_choices() -> list[tuple[str, str]]:
    """Return (id, name) of the offices in offices.yaml (the province excluded)."""
    directory = _helpdesk().settings.offices
    if directory is None:
        return []
    return [(office.id, office.name) for office in directory.offices]


def _known_offices(ids: list[str]) -> list[str]:
    known = dict(_office_choices())
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise accounts.AccountError(f"kantor tidak dikenal: {', '.join(unknown)}")
    return ids


@bp.post("/tickets/<int:ticket_id>/reply")
@require(*QUEUE_ROLES)
def reply(ticket_id: int):
    """Queue the officer's reply to the citizen."""
    body = request.form.get("body", "")
    return _act(
        ticket_id,
        lambda s, actor, now: tickets.reply(s, ticket_id, actor, body, now),
        "replied",
    )


@bp.post("/tickets/<int:ticket_id>/template")
@require(*QUEUE_ROLES)
def template(ticket_id: int):
    """Queue the approved WhatsApp template (after the 24-hour window)."""
    prefix = _helpdesk().ticket_prefix
    reply = request.form.get("body", "")

    def action(session, actor, now):
        return tickets.send_template(session, ticket_id, actor, _template(), prefix, now, reply)

    return _act(ticket_id, action, "template_sent_with_reply" if reply.strip() else "template_sent")


@bp.post("/tickets/<int:ticket_id>/note")
@require(*QUEUE_ROLES)
def note(ticket_id: int):
    """Add an internal note."""
    body = request.form.get("body", "")
    return _act(
        ticket_id,
        lambda s, actor, now: tickets.note(s, ticket_id, actor, body, now),
        "noted",
    )


@bp.post("/tickets/<int:ticket_id>/close")
@require(*QUEUE_ROLES)
def close(ticket_id: int):
    """Close a ticket with a resolution note; the citizen gets the closing message."""
    helpdesk = _helpdesk()
    resolution = request.form.get("resolution", "")
    closing = helpdesk.settings.texts.get("ticket_closed", "")
    reopen_days = float(helpdesk.config.get("tickets", {}).get("reopen_days", 3))
    outcome = {}

    def action(session, actor, now):
        outcome["message"] = tickets.close(
            session,
            ticket_id,
            actor,
            resolution,
            closing,
            helpdesk.ticket_prefix,
            now,
            rating_days=reopen_days,
        )

    response = _act(ticket_id, action, None)
    if "message" in outcome:
        number = tickets.number_of(ticket_id, helpdesk.ticket_prefix)
        _say("closed_done" if outcome["message"] else "closed_no_message", ticket=number)
        return redirect(url_for("console.queue"))
    return response


# ---------------------------------------------------------------- accounts (admin)


def _users_page(shown: dict | None = None):
    if shown:
        shown["text"] = texts().get(shown["code"], "").format(**shown)
    with _helpdesk().store.session() as session:
        return render_template(
            "console/users.html",
            users=accounts.list_users(session),
            roles=accounts.ROLES,
            offices=_office_choices(),
            now=_now(),
            shown=shown,
        )


@bp.get("/users")
@require("admin")
def users():
    """List the accounts, with forms to add and change them."""
    return _users_page()


@bp.post("/users")
@require("admin")
def users_add():
    """Create an account; its first password is shown once."""
    try:
        with _helpdesk().store.session() as session:
            user, password = accounts.create_user(
                session,
                request.form.get("username", ""),
                request.form.getlist("roles"),
                display_name=request.form.get("display_name", ""),
                actor_id=current_user.user_id,
                offices=_known_offices(request.form.getlist("offices")),
            )
            username = user.username
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.users"))
    # Shown in the page, never in a flash: the session cookie is signed, not encrypted.
    return _users_page({"code": "user_created", "username": username, "password": password})


@bp.post("/users/<int:user_id>")
@require("admin")
def users_update(user_id: int):
    """Change an account's name, roles and active flag, or lift its lockout."""
    roles = request.form.getlist("roles")
    active = request.form.get("active") == "1"
    if user_id == current_user.user_id and (not active or "admin" not in roles):
        _say("user_self", "error")
        return redirect(url_for("console.users"))
    try:
        with _helpdesk().store.session() as session:
            user = session.get(store.User, user_id) or abort(404)
            accounts.update_user(
                session,
                user,
                roles=roles,
                active=active,
                display_name=request.form.get("display_name"),
                unlock=request.form.get("unlock") == "1",
                actor_id=current_user.user_id,
                offices=_known_offices(request.form.getlist("offices"))
                if request.form.get("offices_shown")
                else None,
            )
            username = user.username
    except accounts.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.users"))
    _say("user_updated", username=username)
    return redirect(url_for("console.users"))


@bp.post("/users/<int:user_id>/password")
@require("admin")
def users_password(user_id: int):
    """Give an account a new random password, shown once."""
    with _helpdesk().store.session() as session:
        user = session.get(store.User, user_id) or abort(404)
        password = accounts.change_password(session, user.username, actor_id=current_user.user_id)
        username = user.username
    return _users_page({"code": "user_reset", "username": username, "password": password})


def init_app(app) -> None:
    """Register the console and its login on the app."""
    from bot.console import auth, commands

    auth.init_app(app)
    app.register_blueprint(bp)
    app.cli.add_command(commands.users_cli)
