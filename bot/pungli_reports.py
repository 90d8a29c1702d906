"""Confidential pungli reports in the database: file, check, investigate, notify, export.

Framework-free like bot.tickets: every function takes the caller's Session, so a change,
its audit row and the reporter's update message commit together.

The reporter is never stored in the clear: `reporter_ref` is the contact id encrypted
with a key derived from PUNGLI_KEY (or SECRET_KEY). Only `reporter_contact` decrypts it,
and only two callers use it: the status update (which hands the contact to the outbox)
and the CEK answer (which compares it with the asking contact). A named reporter's name
and number are shown to investigators; an anonymous reporter's number to nobody.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import logging
import secrets
from dataclasses import replace
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import outbox, store
from bot.messages import WHATSAPP
from bot.pungli import CODE_ALPHABET, Settings, format_amount, format_date

log = logging.getLogger(__name__)

STATUSES = ("diterima", "diverifikasi", "ditindaklanjuti", "selesai", "tidak_terbukti")
# Where a report may go from each status; selesai and tidak_terbukti are final.
TRANSITIONS = {
    "diterima": ("diverifikasi", "tidak_terbukti"),
    "diverifikasi": ("ditindaklanjuti", "tidak_terbukti"),
    "ditindaklanjuti": ("selesai", "tidak_terbukti"),
    "selesai": (),
    "tidak_terbukti": (),
}
WINDOW = dt.timedelta(hours=24)  # WhatsApp's customer-service window
MAX_NOTE_CHARS = 4000
EXPORT_COLUMNS = (
    "kode",
    "status",
    "dilaporkan",
    "diperbarui",
    "kantor",
    "tempat",
    "tanggal_kejadian",
    "jumlah_rupiah",
    "bukti",
    "anonim",
    "saluran",
)


class ReportError(Exception):
    """A change that cannot be made; `code` names the reason (shown as a sentence)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------- keys and the reporter


def derive_keys(secret_key: str | None, pungli_key: str | None = None) -> tuple[str, ...]:
    """Return the Fernet keys for reporter references.

    PUNGLI_KEY (comma-separated for rotation: the first encrypts, all decrypt) wins over
    SECRET_KEY; each passphrase is stretched into a Fernet key with SHA-256.
    """
    passphrases = [p.strip() for p in (pungli_key or "").split(",") if p.strip()]
    if not passphrases and secret_key:
        passphrases = [secret_key]
    return tuple(
        base64.urlsafe_b64encode(
            hashlib.sha256(b"pungli-reporter\0" + p.encode()).digest()
        ).decode()
        for p in passphrases
    )


def with_secrets(settings, config: dict):
    """Return dialogue settings whose pungli part holds the keys and template SID from the
    environment (app config); config.yaml never holds them."""
    if settings.pungli is None:
        return settings
    ps: Settings = settings.pungli
    template = dict(ps.update_template)
    if config.get("PUNGLI_UPDATE_CONTENT_SID"):
        template["content_sid"] = config["PUNGLI_UPDATE_CONTENT_SID"]
    keys = derive_keys(config.get("SECRET_KEY"), config.get("PUNGLI_KEY"))
    return replace(settings, pungli=replace(ps, keys=keys, update_template=template))


def _fernet(ps: Settings) -> MultiFernet:
    if not ps.keys:
        raise RuntimeError("no key for pungli reporter references (set PUNGLI_KEY or SECRET_KEY)")
    return MultiFernet([Fernet(key) for key in ps.keys])


def encrypt_ref(contact_id: int, ps: Settings) -> str:
    """Return the reporter reference for a contact id."""
    return _fernet(ps).encrypt(str(contact_id).encode()).decode()


def reporter_contact(
    session: Session, report: store.PungliReport, ps: Settings
) -> store.Contact | None:
    """Return the reporter's contact — for sending updates and answering CEK only."""
    try:
        contact_id = int(_fernet(ps).decrypt(report.reporter_ref.encode()))
    except (InvalidToken, ValueError):
        log.warning("pungli report %s: reporter reference cannot be read", report.id)
        return None
    return session.get(store.Contact, contact_id)


def named_reporter(session: Session, report: store.PungliReport, ps: Settings) -> dict | None:
    """Return {name, number} for a reporter who chose to be named; None when anonymous."""
    if report.anonymous:
        return None
    contact = reporter_contact(session, report, ps)
    return {"name": report.reporter_name or "", "number": contact.number if contact else ""}


# ---------------------------------------------------------------- filing and CEK


def new_code(session: Session, ps: Settings) -> str:
    """Return an unused random tracking code, e.g. PGL-4K7Q2M."""
    while True:
        code = ps.code_prefix + "".join(
            secrets.choice(CODE_ALPHABET) for _ in range(ps.code_length)
        )
        taken = session.scalar(select(store.PungliReport.id).where(store.PungliReport.code == code))
        if taken is None:
            return code


def file_report(
    session: Session, contact: store.Contact, draft: dict, ps: Settings, now: dt.datetime
) -> store.PungliReport:
    """File a confirmed draft: the report, its pending evidence, an audit row."""
    anonymous = draft.get("anonymous", True) is not False
    happened = draft.get("happened_on")
    started = draft.get("started")
    report = store.PungliReport(
        code=new_code(session, ps),
        status=STATUSES[0],
        office_id=draft.get("office_id") or contact.office_id,
        channel=draft.get("channel") or contact.channel,
        what=(draft.get("what") or "")[: ps.max_text_chars],
        place=draft.get("place"),
        place_detail=(draft.get("place_detail") or None),
        happened_on=dt.date.fromisoformat(happened) if happened else None,
        when_text=draft.get("when_text"),
        amount=draft.get("amount"),
        anonymous=anonymous,
        reporter_name=None if anonymous else (draft.get("name") or None),
        reporter_ref=encrypt_ref(contact.id, ps),
        started_at=dt.datetime.fromisoformat(started) if started else None,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    for item in (draft.get("evidence") or ())[: ps.max_files]:
        session.add(
            store.PungliEvidence(
                report_id=report.id,
                source_url=item["url"],
                content_type=item["content_type"],
                created_at=now,
            )
        )
    store.audit(session, None, "pungli.filed", "pungli_report", report.id, code=report.code)
    log.info("pungli report %s filed", report.code)
    return report


def find(session: Session, code: str) -> store.PungliReport | None:
    """Return the report with this tracking code (any case), if any."""
    return session.scalars(
        select(store.PungliReport).where(store.PungliReport.code == code.strip().upper())
    ).one_or_none()


def check_text(session: Session, contact: store.Contact, code: str, ps: Settings) -> str:
    """Return the CEK answer: the status for the reporter, the same refusal for all others."""
    report = find(session, code)
    owner = reporter_contact(session, report, ps) if report else None
    if report is None or owner is None or owner.id != contact.id:
        store.audit(session, None, "pungli.check_refused", "pungli_report", None)
        return ps.text("check_unknown")
    store.audit(session, None, "pungli.checked", "pungli_report", report.id)
    return ps.text(
        "check",
        code=report.code,
        status=ps.status_label(report.status),
        explanation=ps.explanations.get(report.status, ""),
    )


# ---------------------------------------------------------------- investigators


def reports(session: Session, status: str | None = None, limit: int = 500, offices=()):
    """Return reports, newest first (optionally of one status; of `offices` when given)."""
    statement = select(store.PungliReport).order_by(
        store.PungliReport.created_at.desc(), store.PungliReport.id.desc()
    )
    if offices:
        statement = statement.where(store.PungliReport.office_id.in_(offices))
    if status:
        statement = statement.where(store.PungliReport.status == status)
    return session.scalars(statement.limit(limit)).all()


def evidence_of(session: Session, report_id: int) -> list[store.PungliEvidence]:
    """Return a report's evidence in the order it was sent."""
    return session.scalars(
        select(store.PungliEvidence)
        .where(store.PungliEvidence.report_id == report_id)
        .order_by(store.PungliEvidence.id)
    ).all()


def notes_of(session: Session, report_id: int) -> list[store.PungliNote]:
    """Return a report's notes, oldest first."""
    return session.scalars(
        select(store.PungliNote)
        .where(store.PungliNote.report_id == report_id)
        .order_by(store.PungliNote.id)
    ).all()


def counts(session: Session, offices=()) -> dict[str, int]:
    """Return how many reports have each status (of `offices` when given)."""
    statement = select(store.PungliReport.status, func.count()).group_by(store.PungliReport.status)
    if offices:
        statement = statement.where(store.PungliReport.office_id.in_(offices))
    rows = session.execute(statement).all()
    return {status: count for status, count in rows}


def add_note(
    session: Session, report: store.PungliReport, actor_id: int, body: str, now: dt.datetime
) -> store.PungliNote:
    """Add an investigator's note (the reporter never sees notes)."""
    body = body.strip()
    if not body:
        raise ReportError("empty")
    if len(body) > MAX_NOTE_CHARS:
        raise ReportError("too_long")
    note = store.PungliNote(report_id=report.id, author_id=actor_id, body=body, created_at=now)
    session.add(note)
    report.updated_at = now
    session.flush()
    store.audit(session, actor_id, "pungli.note", "pungli_report", report.id, note_id=note.id)
    return note


def change_status(
    session: Session,
    report: store.PungliReport,
    actor_id: int,
    status: str,
    note: str,
    ps: Settings,
    now: dt.datetime,
) -> store.Message | None:
    """Move a report to its next status, with a note; queue the reporter's update message."""
    if status not in TRANSITIONS.get(report.status, ()):
        raise ReportError("bad_status")
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise ReportError("too_long")
    previous, report.status, report.updated_at = report.status, status, now
    session.add(
        store.PungliNote(
            report_id=report.id,
            author_id=actor_id,
            body=note,
            status_from=previous,
            status_to=status,
            created_at=now,
        )
    )
    message = notify_reporter(session, report, ps, now)
    session.flush()
    store.audit(
        session,
        actor_id,
        "pungli.status",
        "pungli_report",
        report.id,
        previous=previous,
        status=status,
        message_id=message.id if message else None,
    )
    return message


def notify_reporter(
    session: Session, report: store.PungliReport, ps: Settings, now: dt.datetime
) -> store.Message | None:
    """Queue the status update for the reporter (a template once WhatsApp's window closed)."""
    contact = reporter_contact(session, report, ps)
    if contact is None:
        return None
    label = ps.status_label(report.status)
    body = ps.text(
        "update",
        code=report.code,
        status=label,
        explanation=ps.explanations.get(report.status, ""),
    )
    template = ps.update_template or {}
    sid = (template.get("content_sid") or "").strip()
    window_closed = contact.channel == WHATSAPP and (
        contact.last_inbound_at is None or now - contact.last_inbound_at >= WINDOW
    )
    if window_closed and sid:
        values = {"{code}": report.code, "{status}": label}
        variables = {}
        for key, value in (template.get("variables") or {}).items():
            for token, filled in values.items():
                value = str(value).replace(token, filled)
            variables[str(key)] = value
        message = outbox.enqueue(
            session, contact, body=body, content_sid=sid, content_variables=variables,
            author="system", now=now,
        )  # fmt: skip
    else:
        # Inside the window (or on SMS) free text goes; with no template configured it is
        # queued anyway and fails visibly in the outbox (WhatsApp error 63016).
        message = outbox.enqueue(session, contact, body=body, author="system", now=now)
    message.kind = store.PUNGLI_KIND
    return message


# ---------------------------------------------------------------- export


def in_offices(report: store.PungliReport, offices) -> bool:
    """Return True when an investigator of `offices` (empty: provincial) may see the report."""
    return not offices or report.office_id in offices


def export_csv(session: Session, ps: Settings, offices=()) -> str:
    """Return every report as CSV for the inspectorate, without personal data.

    Left out on purpose: the reporter (name, number, reference), and the free text (what
    happened, the place's name, the citizen's words for the date), which may name people.
    """
    places = {p.key: p.label for p in ps.places}
    evidence = dict(
        session.execute(
            select(store.PungliEvidence.report_id, func.count()).group_by(
                store.PungliEvidence.report_id
            )
        ).all()
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for report in reports(session, limit=1_000_000, offices=offices):
        writer.writerow(
            [
                report.code,
                ps.status_label(report.status),
                report.created_at.astimezone(ps.timezone).strftime("%Y-%m-%d"),
                report.updated_at.astimezone(ps.timezone).strftime("%Y-%m-%d"),
                report.office_id or "",
                places.get(report.place or "", ""),
                report.happened_on.isoformat() if report.happened_on else "",
                report.amount if report.amount is not None else "",
                evidence.get(report.id, 0),
                "ya" if report.anonymous else "tidak",
                report.channel,
            ]
        )
    return out.getvalue()


def describe(report: store.PungliReport, ps: Settings) -> dict:
    """Return the report's fields as people read them (for pages)."""
    places = {p.key: p.label for p in ps.places}
    return {
        "place": places.get(report.place or "", "-"),
        "happened_on": format_date(report.happened_on) if report.happened_on else None,
        "amount": format_amount(report.amount) if report.amount is not None else None,
        "status": ps.status_label(report.status),
    }


# ---------------------------------------------------------------- evidence files


def evidence_folder(config: dict, base: str | Path) -> Path:
    """Return the evidence folder from config.yaml (relative to the config file's folder)."""
    folder = Path(
        (config.get("pungli") or {}).get("evidence", {}).get("folder", "instance/evidence")
    )
    return folder if folder.is_absolute() else Path(base) / folder


def store_pending_evidence(
    db: store.Store,
    fetcher,
    folder: str | Path,
    now: dt.datetime | None = None,
    *,
    content_types: frozenset[str] | None = None,
    max_bytes: int = 16_000_000,
    max_attempts: int = 5,
    limit: int = 20,
) -> int:
    """Fetch and store pending evidence files; return how many were stored.

    `fetcher.fetch(url) -> (bytes, content_type)` is the network seam (webhooks.media has
    the Twilio one). Photos are re-encoded without metadata; files get random names in
    `folder`, which must not be served by the web server.
    """
    from bot import evidence as files

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = 0
    with db.session() as session:
        pending = session.scalars(
            select(store.PungliEvidence)
            .where(store.PungliEvidence.state == "pending")
            .order_by(store.PungliEvidence.id)
            .limit(limit)
        ).all()
        ids = [item.id for item in pending]
    for evidence_id in ids:
        with db.session() as session:
            item = session.get(store.PungliEvidence, evidence_id, with_for_update=True)
            if item is None or item.state != "pending":
                continue
            item.attempts += 1
            try:
                data, content_type = fetcher.fetch(item.source_url)
                kept = files.keep(data, content_type or item.content_type, folder,
                                  content_types=content_types, max_bytes=max_bytes)  # fmt: skip
            except files.Refused as exc:
                item.state, item.last_error = "failed", str(exc)
                log.warning("pungli evidence %s refused: %s", item.id, exc)
                continue
            except Exception as exc:  # noqa: BLE001 - any fetch failure is retried later
                item.last_error = f"{exc.__class__.__name__}: {exc}"[:500]
                if item.attempts >= max_attempts:
                    item.state = "failed"
                log.warning("pungli evidence %s not fetched: %s", item.id, item.last_error)
                continue
            item.state, item.stored_name, item.size = "stored", kept.name, kept.size
            item.sha256, item.content_type = kept.sha256, kept.content_type
            item.stored_at, item.last_error = now or store.utcnow(), None
            stored += 1
    return stored


def evidence_job(helpdesk, fetcher):
    """Return the worker's idle task that stores pending evidence; None without a fetcher
    (no Twilio account: evidence stays pending and is fetched once one is configured)."""
    if fetcher is None:
        return None
    section = (helpdesk.config.get("pungli") or {}).get("evidence") or {}
    folder = evidence_folder(helpdesk.config, helpdesk.config.get("_base_dir", "."))
    types = frozenset(section.get("content_types") or ()) or None

    def job() -> int:
        return store_pending_evidence(
            helpdesk.store,
            fetcher,
            folder,
            content_types=types,
            max_bytes=int(section.get("max_bytes", 16_000_000)),
            max_attempts=int(section.get("max_attempts", 5)),
        )

    return job
