"""/console/dashboard: how the helpdesk is doing, for supervisors and admins (one page).

The routes hang on the console blueprint (so the access-control table covers them); this
module is imported by the app factory before the blueprint is registered. The numbers
come from `bot.reports`; every chart and table can be downloaded as CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response, abort, current_app, render_template, request, url_for
from flask_login import current_user

from bot import charts, reports, store
from bot.console.auth import require
from bot.console.views import bp

ROLES = ("supervisor", "admin")
SHARE_LABELS = {"answered": "Dijawab bot", "clarified": "Diperjelas", "escalated": "Ke petugas"}
RATING_LABELS = {1: "1 kurang membantu", 2: "2 cukup", 3: "3 sangat membantu"}
PERIOD_LABELS = {"today": "Hari ini", "7d": "7 hari", "30d": "30 hari", "custom": "Pilih tanggal"}
PUNGLI_LABELS = {
    "diterima": "Diterima",
    "diverifikasi": "Diverifikasi",
    "ditindaklanjuti": "Ditindaklanjuti",
    "selesai": "Selesai",
    "tidak_terbukti": "Tidak terbukti",
}


def _helpdesk():
    return current_app.extensions["helpdesk"]


def _default_hours():
    helpdesk = _helpdesk()
    settings = getattr(helpdesk, "base_settings", None) or helpdesk.settings
    return settings.hours


def _hours_for():
    """Return office id → OfficeHours: the office's own hours, else config.yaml's."""
    default = _default_hours()
    book = getattr(_helpdesk(), "offices", None)
    directory = getattr(book, "directory", None) if book is not None else None
    cache: dict = {}

    def hours_for(office_id):
        if office_id not in cache:
            office = directory.get(office_id) if directory is not None and office_id else None
            cache[office_id] = getattr(office, "hours", None) or default
        return cache[office_id]

    return hours_for


def _period() -> tuple[str, reports.Period, str | None]:
    """Return the chosen period kind, the Period, and an error to show (bad dates)."""
    kind = request.args.get("period", "7d")
    timezone = _default_hours().timezone
    now = store.utcnow()
    if kind not in PERIOD_LABELS:
        kind = "7d"
    first = last = None
    try:
        if kind == "custom":
            first = dt.date.fromisoformat(request.args.get("from", ""))
            last = dt.date.fromisoformat(request.args.get("to", ""))
        return kind, reports.period(kind, now, timezone, first, last), None
    except ValueError as exc:
        error = str(exc) if first and last else "tanggal tidak lengkap atau tidak sah"
        return "7d", reports.period("7d", now, timezone), error


def _compute(p: reports.Period) -> reports.Dashboard:
    with _helpdesk().store.session() as session:
        return reports.dashboard(session, p, store.utcnow(), _hours_for())


def _minutes(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} mnt"
    return f"{minutes // 60} j {minutes % 60:02d} mnt"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def tables(board: reports.Dashboard, questions: dict[str, str]) -> dict[str, dict]:
    """Return every chart's and table's numbers: name → {title, header, rows}."""
    p, before = board.period, board.previous
    share_rows = [
        [
            SHARE_LABELS[key],
            board.shares.counts[key],
            _pct(board.shares.percent(key)),
            board.shares_before.counts[key],
            _pct(board.shares_before.percent(key)),
        ]
        for key in reports.SHARE_KEYS
    ]
    channels = list(reports.CHANNELS) + sorted(
        {c for d in board.per_day for c in d.counts} - set(reports.CHANNELS)
    )
    return {
        "messages": {
            "title": "Pesan warga per hari dan saluran",
            "header": ["tanggal", *channels, "jumlah"],
            "rows": [
                [d.day.isoformat(), *(d.counts.get(c, 0) for c in channels), d.total]
                for d in board.per_day
            ],
        },
        "shares": {
            "title": "Cara bot menangani pertanyaan",
            "header": [
                "hasil",
                f"pesan {p.first}–{p.last}",
                "persen",
                f"pesan {before.first}–{before.last}",
                "persen sebelumnya",
            ],
            "rows": share_rows,
        },
        "ratings": {
            "title": "Penilaian warga (CSAT)",
            "header": ["nilai", "periode ini", "periode sebelumnya"],
            "rows": [
                [RATING_LABELS[r], board.ratings.counts[r], board.ratings_before.counts[r]]
                for r in reports.RATINGS
            ],
        },
        "waits": {
            "title": "Waktu tunggu balasan pertama petugas (jam layanan)",
            "header": ["ukuran", "periode ini", "periode sebelumnya"],
            "rows": [
                ["tiket dibuka", board.waits.opened, board.waits_before.opened],
                ["sudah dibalas", board.waits.replied, board.waits_before.replied],
                [
                    "median (menit)",
                    _round_minutes(board.waits.median),
                    _round_minutes(board.waits_before.median),
                ],
                [
                    "persentil 90 (menit)",
                    _round_minutes(board.waits.p90),
                    _round_minutes(board.waits_before.p90),
                ],
            ],
        },
        "entries": {
            "title": "Entri FAQ yang paling sering dipakai",
            "header": ["entri", "pertanyaan", "jawaban"],
            "rows": [[e, questions.get(e, ""), n] for e, n in board.top_entries],
        },
        "missed": {
            "title": "Pertanyaan yang belum terjawab FAQ",
            "header": ["contoh pesan", "jumlah", "terakhir"],
            "rows": [[m.text, m.count, m.last_at.isoformat()] for m in board.top_missed],
        },
        "officers": {
            "title": "Per petugas",
            "header": ["petugas", "diklaim", "tiket dibalas", "balasan", "median balasan (menit)"],
            "rows": [
                [o.name, o.claimed, o.answered, o.replies, _round_minutes(o.median_wait)]
                for o in board.officers
            ],
        },
        "pungli": {
            "title": "Laporan pungli menurut status",
            "header": ["status", "laporan"],
            "rows": [[PUNGLI_LABELS.get(s, s), n] for s, n in board.pungli.items()],
        },
    }


def _round_minutes(seconds: float | None):
    return "" if seconds is None else round(seconds / 60, 1)


def _charts(board: reports.Dashboard) -> dict:
    labels = [f"{d.day:%d/%m}" for d in board.per_day]
    return {
        "messages": charts.bars(
            "Pesan warga per hari",
            labels,
            [
                charts.Series(
                    "WhatsApp", tuple(d.counts.get("whatsapp", 0) for d in board.per_day)
                ),
                charts.Series("SMS", tuple(d.counts.get("sms", 0) for d in board.per_day)),
            ],
            stacked=True,
            label_every=max(1, len(labels) // 10),
        ),
        "shares": charts.bars(
            "Cara bot menangani pertanyaan (%)",
            [SHARE_LABELS[k] for k in reports.SHARE_KEYS],
            [
                charts.Series(
                    "Periode ini",
                    tuple(board.shares.percent(k) or 0 for k in reports.SHARE_KEYS),
                ),
                charts.Series(
                    "Periode sebelumnya",
                    tuple(board.shares_before.percent(k) or 0 for k in reports.SHARE_KEYS),
                ),
            ],
            unit="%",
        ),
        "ratings": charts.bars(
            "Penilaian warga",
            [RATING_LABELS[r] for r in reports.RATINGS],
            [
                charts.Series(
                    "Periode ini", tuple(board.ratings.counts[r] for r in reports.RATINGS)
                ),
                charts.Series(
                    "Periode sebelumnya",
                    tuple(board.ratings_before.counts[r] for r in reports.RATINGS),
                ),
            ],
        ),
    }


def _query(kind: str, p: reports.Period) -> dict:
    if kind == "custom":
        return {"period": kind, "from": p.first.isoformat(), "to": p.last.isoformat()}
    return {"period": kind}


@bp.get("/dashboard")
@require(*ROLES)
def dashboard():
    """Show the dashboard for the chosen period."""
    kind, p, error = _period()
    board = _compute(p)
    faq = _helpdesk().library.faq
    questions = {e.id: e.question for e in faq.entries}
    return render_template(
        "dashboard/index.html",
        board=board,
        kind=kind,
        error=error,
        periods=PERIOD_LABELS,
        query=_query(kind, p),
        tables=tables(board, questions),
        charts=_charts(board),
        share_labels=SHARE_LABELS,
        pungli_labels=PUNGLI_LABELS,
        minutes=_minutes,
        pct=_pct,
        # The learning loop is an editor's page: link to it only for those who can open it.
        has_missed_page="faq_editor.missed_page" in current_app.view_functions
        and current_user.has("editor", "admin"),
    )


def _cell(value) -> str:
    """Return a CSV cell; text a spreadsheet would run as a formula is quoted."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


@bp.get("/dashboard/<name>.csv")
@require(*ROLES)
def dashboard_csv(name: str):
    """Download the numbers of one chart or table as CSV (UTF-8 with BOM, for Excel)."""
    kind, p, _ = _period()
    board = _compute(p)
    questions = {e.id: e.question for e in _helpdesk().library.faq.entries}
    table = tables(board, questions).get(name)
    if table is None:
        abort(404)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table["header"])
    writer.writerows([[_cell(v) for v in row] for row in table["rows"]])
    filename = f"dasbor-{name}-{p.first.isoformat()}-{p.last.isoformat()}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_url(name: str, query: dict) -> str:
    """Return the CSV download link of a table for the page's period."""
    return url_for("console.dashboard_csv", name=name, **query)


@bp.app_context_processor
def _dashboard_globals() -> dict:
    return {"dashboard_csv_url": csv_url}
