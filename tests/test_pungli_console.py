"""The investigators' pungli pages: the role matrix (404 for everyone else), the report
page, evidence downloads, status changes and the reporter's updates, the CSV export, the
audit log, and that an anonymous reporter's number appears nowhere."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import threading

import pytest
from sqlalchemy import select

from bot import pungli_reports, store, worker
from bot.messages import WHATSAPP
from tests.conftest import add_user, csrf_token, login
from tests.test_pungli_webhook import WA_NUMBER, Phone, file_report

pytestmark = pytest.mark.usefixtures("quick_logins")

NAMED_NUMBER = "+6281311112222"


def post(client, path: str, **data):
    """POST a console form with the session's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/console/login")})


@pytest.fixture
def code(client):
    """An anonymous report from Siti's WhatsApp number; the phone logs back out."""
    return file_report(Phone(client))


@pytest.fixture
def investigator(client, helpdesk):
    add_user(helpdesk, "ina", "investigator")
    login(client, "ina")
    return client


def store_evidence(helpdesk, code: str, tmp_path, data: bytes = b"%PDF-1.4 bukti") -> int:
    """Attach one stored file to a report, in the app's evidence folder; return its id."""
    folder = tmp_path / "evidence"
    folder.mkdir(exist_ok=True)
    helpdesk.config["pungli"]["evidence"]["folder"] = str(folder)
    (folder / "0123456789abcdef0123456789abcdef.pdf").write_bytes(data)
    with helpdesk.store.session() as session:
        report = pungli_reports.find(session, code)
        item = store.PungliEvidence(
            report_id=report.id,
            source_url="https://api.twilio.com/x",
            content_type="application/pdf",
            state="stored",
            stored_name="0123456789abcdef0123456789abcdef.pdf",
            size=len(data),
            sha256="0" * 64,
        )
        session.add(item)
        session.flush()
        return item.id


def urls(code: str, evidence_id: int = 1) -> list[tuple[str, str]]:
    return [
        ("GET", "/console/pungli"),
        ("GET", "/console/pungli/"),
        ("GET", f"/console/pungli/{code}"),
        ("GET", f"/console/pungli/{code}/evidence/{evidence_id}"),
        ("GET", "/console/pungli/export.csv"),
        ("POST", f"/console/pungli/{code}/status"),
        ("POST", f"/console/pungli/{code}/note"),
        ("GET", f"/console/pungli/{code}/status"),  # wrong method
        ("GET", "/console/pungli/PGL-ZZZZZZ"),
        ("GET", "/console/pungli/no/such/page"),
    ]


# ---------------------------------------------------------------- who may see it


@pytest.mark.parametrize(
    "roles",
    [(), ("officer",), ("editor",), ("supervisor",), ("admin",),
     ("officer", "editor", "supervisor", "admin")],
    ids=["anonymous", "officer", "editor", "supervisor", "admin", "all-but-investigator"],
)  # fmt: skip
def test_every_pungli_url_is_404_without_the_investigator_role(
    client, helpdesk, code, tmp_path, roles
):
    evidence_id = store_evidence(helpdesk, code, tmp_path)
    if roles:
        add_user(helpdesk, "someone", *roles)
        login(client, "someone")
    for method, path in urls(code, evidence_id):
        if method == "POST":
            with_token = post(client, path, status="diverifikasi", note="x")
            without = client.post(path, data={"status": "diverifikasi", "note": "x"})
            responses = [with_token, without]
        else:
            responses = [client.get(path)]
        for response in responses:
            assert response.status_code == 404, (method, path, response.status_code)
            assert "Location" not in response.headers
            assert code not in response.get_data(as_text=True)
    with helpdesk.store.session() as session:
        report = pungli_reports.find(session, code)
        assert report.status == "diterima"
        assert not pungli_reports.notes_of(session, report.id)
        denied = session.scalars(
            select(store.AuditLog).where(store.AuditLog.action == "pungli.denied")
        ).all()
        assert len(denied) == (len(urls(code)) + 2 if roles else 0)


def test_investigator_sees_every_pungli_url(investigator, helpdesk, code, tmp_path):
    evidence_id = store_evidence(helpdesk, code, tmp_path)
    assert investigator.get("/console/pungli").status_code == 200
    assert investigator.get(f"/console/pungli/{code}").status_code == 200
    assert investigator.get(f"/console/pungli/{code.lower()}").status_code == 200
    assert investigator.get(f"/console/pungli/{code}/evidence/{evidence_id}").status_code == 200
    assert investigator.get("/console/pungli/export.csv").status_code == 200
    note = post(investigator, f"/console/pungli/{code}/note", note="dicek")
    assert note.status_code == 302
    status = post(investigator, f"/console/pungli/{code}/status", status="diverifikasi", note="ok")
    assert status.status_code == 302
    assert investigator.get("/console/pungli/PGL-ZZZZZZ").status_code == 404
    # Without the CSRF token the form is refused.
    refused = investigator.post(f"/console/pungli/{code}/note", data={"note": "x"})
    assert refused.status_code == 400


def test_investigator_lands_on_the_reports_and_others_get_no_link(client, helpdesk, code):
    add_user(helpdesk, "ina", "investigator")
    add_user(helpdesk, "budi", "officer", "supervisor")
    login(client, "ina")
    assert client.get("/console/home").headers["Location"].endswith("/console/pungli")
    assert "Laporan pungli" in client.get("/console/pungli").get_data(as_text=True)
    post(client, "/console/logout")
    login(client, "budi")
    assert "Laporan pungli" not in client.get("/console/", follow_redirects=True).get_data(
        as_text=True
    )


# ---------------------------------------------------------------- the pages


def test_list_and_report_page_show_the_report(investigator, helpdesk, code):
    listing = investigator.get("/console/pungli").get_data(as_text=True)
    assert code in listing and "Kantor kecamatan" in listing and "Rp100.000" in listing
    assert "dirahasiakan" in listing
    page = investigator.get(f"/console/pungli/{code}").get_data(as_text=True)
    assert "Petugas loket minta 100rb supaya KTP cepat jadi" in page
    assert "Kecamatan Ilir Barat I" in page
    assert "Identitas dirahasiakan" in page
    assert "Diverifikasi" in page and "Tidak terbukti" in page  # the next statuses
    response = investigator.get(f"/console/pungli/{code}")
    assert response.headers["Cache-Control"] == "no-store"


def test_report_text_is_escaped(client, helpdesk):
    phone = Phone(client)
    phone.send("LAPOR")
    phone.send("<script>alert('x')</script> minta uang")
    for answer in ("1", "lewati", "lewati", "lewati", "lewati", "1"):
        phone.send(answer)
    phone.send("1")
    add_user(helpdesk, "ina", "investigator")
    login(client, "ina")
    with helpdesk.store.session() as session:
        (report,) = pungli_reports.reports(session)
        code = report.code
    page = client.get(f"/console/pungli/{code}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_named_reporter_is_shown_to_investigators(client, helpdesk):
    code = file_report(Phone(client, number=NAMED_NUMBER), named="Budi Santoso")
    add_user(helpdesk, "ina", "investigator")
    login(client, "ina")
    page = client.get(f"/console/pungli/{code}").get_data(as_text=True)
    assert "Budi Santoso" in page and NAMED_NUMBER in page


def test_evidence_download_is_an_audited_attachment(investigator, helpdesk, code, tmp_path):
    evidence_id = store_evidence(helpdesk, code, tmp_path)
    page = investigator.get(f"/console/pungli/{code}").get_data(as_text=True)
    assert f"/console/pungli/{code}/evidence/{evidence_id}" in page
    response = investigator.get(f"/console/pungli/{code}/evidence/{evidence_id}")
    assert response.data == b"%PDF-1.4 bukti"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"{code}-bukti-{evidence_id}.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    with helpdesk.store.session() as session:
        row = session.scalars(
            select(store.AuditLog).where(store.AuditLog.action == "pungli.evidence")
        ).one()
        assert row.detail["evidence_id"] == evidence_id and row.actor_id is not None


def test_evidence_of_another_report_or_not_stored_is_404(investigator, helpdesk, client, tmp_path):
    first = file_report(Phone(client))
    second = file_report(Phone(client, number=NAMED_NUMBER))
    evidence_id = store_evidence(helpdesk, first, tmp_path)
    assert investigator.get(f"/console/pungli/{second}/evidence/{evidence_id}").status_code == 404
    with helpdesk.store.session() as session:
        session.get(store.PungliEvidence, evidence_id).state = "pending"
    assert investigator.get(f"/console/pungli/{first}/evidence/{evidence_id}").status_code == 404


# ---------------------------------------------------------------- status and updates


def reporter_updates(helpdesk) -> list[store.Message]:
    with helpdesk.store.session() as session:
        return session.scalars(
            select(store.Message).where(store.Message.author == "system").order_by(store.Message.id)
        ).all()


def test_status_change_notifies_the_reporter_through_the_outbox(investigator, helpdesk, code):
    post(investigator, f"/console/pungli/{code}/status", status="diverifikasi", note="bukti ada")
    (update,) = reporter_updates(helpdesk)
    assert code in update.body and "Diverifikasi" in update.body
    assert "bukti ada" not in update.body  # notes stay internal
    assert update.kind == store.PUNGLI_KIND and update.ticket_id is None
    with helpdesk.store.session() as session:
        assert session.scalars(
            select(store.Outbox).where(store.Outbox.message_id == update.id)
        ).one()
        contact = session.get(store.Contact, update.contact_id)
        assert contact.number == WA_NUMBER
    page = investigator.get(f"/console/pungli/{code}").get_data(as_text=True)
    assert "Diterima → Diverifikasi" in page and "bukti ada" in page
    assert "Status laporan diubah" in page  # the sentence from config.yaml
    # The reporter can follow it with CEK.
    assert "Diverifikasi" in Phone(investigator).send(f"CEK {code}")


def test_status_follows_the_allowed_path(investigator, helpdesk, code):
    post(investigator, f"/console/pungli/{code}/status", status="selesai", note="loncat")
    post(investigator, f"/console/pungli/{code}/status", status="diverifikasi", note="")
    assert "Tulis catatan alasan" in investigator.get(f"/console/pungli/{code}").get_data(
        as_text=True
    )
    post(investigator, f"/console/pungli/{code}/status", status="bogus", note="x")
    with helpdesk.store.session() as session:
        assert pungli_reports.find(session, code).status == "diterima"
    for status in ("diverifikasi", "ditindaklanjuti", "selesai"):
        post(investigator, f"/console/pungli/{code}/status", status=status, note=f"ke {status}")
    with helpdesk.store.session() as session:
        assert pungli_reports.find(session, code).status == "selesai"
    assert len(reporter_updates(helpdesk)) == 3
    page = investigator.get(f"/console/pungli/{code}").get_data(as_text=True)
    assert "tidak bisa diubah lagi" in page


def test_tidak_terbukti_is_possible_from_each_open_status(investigator, helpdesk, code):
    post(investigator, f"/console/pungli/{code}/status", status="tidak_terbukti", note="kurang")
    with helpdesk.store.session() as session:
        assert pungli_reports.find(session, code).status == "tidak_terbukti"
    assert "belum dapat dibuktikan" in reporter_updates(helpdesk)[0].body


def _age_reporter(helpdesk, number: str, hours: float) -> None:
    with helpdesk.store.session() as session:
        contact = store.find_contact(session, WHATSAPP, number)
        contact.last_inbound_at = store.utcnow() - dt.timedelta(hours=hours)


def test_after_the_24_hour_window_the_update_is_an_approved_template(investigator, helpdesk, code):
    _age_reporter(helpdesk, WA_NUMBER, 30)
    ps = helpdesk.settings.pungli
    template = {**ps.update_template, "content_sid": "HX0123456789abcdef0123456789abcdef"}
    helpdesk.settings = helpdesk.settings.__class__(
        **{**helpdesk.settings.__dict__, "pungli": ps.__class__(
            **{**ps.__dict__, "update_template": template})}
    )  # fmt: skip
    post(investigator, f"/console/pungli/{code}/status", status="diverifikasi", note="ok")
    (update,) = reporter_updates(helpdesk)
    assert update.meta["content_sid"] == "HX0123456789abcdef0123456789abcdef"
    assert update.meta["content_variables"] == {"1": code, "2": "Diverifikasi"}


def test_without_a_template_the_late_update_is_still_queued(investigator, helpdesk, code):
    _age_reporter(helpdesk, WA_NUMBER, 30)
    post(investigator, f"/console/pungli/{code}/status", status="diverifikasi", note="ok")
    (update,) = reporter_updates(helpdesk)
    assert not update.meta.get("content_sid") and code in update.body


def test_template_sid_comes_from_the_environment(database_url):
    from bot.app import create_app

    app = create_app(
        {"ENV": {"DATABASE_URL": database_url, "SECRET_KEY": "s",
                 "PUNGLI_UPDATE_CONTENT_SID": "HXenv"}}
    )  # fmt: skip
    assert app.extensions["helpdesk"].settings.pungli.update_template["content_sid"] == "HXenv"
    app.extensions["helpdesk"].store.dispose()


def test_notes_are_required_for_a_status_change_and_kept(investigator, helpdesk, code):
    post(investigator, f"/console/pungli/{code}/note", note="   ")
    post(investigator, f"/console/pungli/{code}/note", note="Hubungi Inspektorat")
    with helpdesk.store.session() as session:
        report = pungli_reports.find(session, code)
        (note,) = pungli_reports.notes_of(session, report.id)
        assert note.body == "Hubungi Inspektorat" and note.status_to is None


# ---------------------------------------------------------------- export


def test_export_has_no_personal_data(investigator, helpdesk, client):
    anonymous = file_report(Phone(client))
    named = file_report(Phone(client, number=NAMED_NUMBER), named="Budi Santoso")
    response = investigator.get("/console/pungli/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["kode"] for row in rows} == {anonymous, named}
    assert rows[0]["tempat"] == "Kantor kecamatan" and rows[0]["jumlah_rupiah"] == "100000"
    for secret in ("Budi Santoso", NAMED_NUMBER, "81311112222", WA_NUMBER, "Siti",
                   "Petugas loket", "Ilir Barat"):  # fmt: skip
        assert secret not in text
    with helpdesk.store.session() as session:
        actions = session.scalars(select(store.AuditLog.action)).all()
        assert "pungli.export" in actions


# ---------------------------------------------------------------- audit


def test_every_view_and_change_is_audited(investigator, helpdesk, code, tmp_path):
    evidence_id = store_evidence(helpdesk, code, tmp_path)
    investigator.get("/console/pungli")
    page = investigator.get(f"/console/pungli/{code}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    investigator.get(f"/console/pungli/{code}/evidence/{evidence_id}")
    for action, data in (("note", {"note": "catatan"}),
                         ("status", {"status": "diverifikasi", "note": "ok"})):  # fmt: skip
        investigator.post(f"/console/pungli/{code}/{action}", data={**data, "csrf_token": token})
    investigator.get("/console/pungli/export.csv")
    with helpdesk.store.session() as session:
        rows = session.scalars(
            select(store.AuditLog).where(store.AuditLog.action.like("pungli.%"))
        ).all()
        ina = session.scalars(select(store.User.id).where(store.User.username == "ina")).one()
    by_ina = [r.action for r in rows if r.actor_id == ina]
    assert by_ina == ["pungli.list", "pungli.view", "pungli.evidence", "pungli.note",
                      "pungli.status", "pungli.export"]  # fmt: skip
    assert [r.action for r in rows if r.actor_id is None] == ["pungli.filed"]


# ---------------------------------------------------------------- the anonymous number


def test_anonymous_reporters_number_appears_nowhere(client, helpdesk, tmp_path, caplog):
    """Pages, exports, JSON answers, log lines and the audit log never hold the number
    (nor the WhatsApp profile name) of an anonymous reporter."""
    secrets = (WA_NUMBER, WA_NUMBER.lstrip("+"), "81234567890", "Siti Aminah")
    caplog.set_level(logging.DEBUG)
    phone = Phone(client)
    phone.send("PETUGAS")  # the same citizen also has an ordinary ticket
    code = file_report(phone)
    phone.send(f"CEK {code}")
    evidence_id = store_evidence(helpdesk, code, tmp_path)
    add_user(helpdesk, "ina", "investigator")
    add_user(helpdesk, "budi", "officer", "supervisor", "editor", "admin")
    seen: list[str] = []

    login(client, "ina")
    for path in ("/console/pungli", f"/console/pungli/{code}",
                 f"/console/pungli/{code}/evidence/{evidence_id}", "/console/pungli/export.csv",
                 "/console/pungli?status=diterima"):  # fmt: skip
        seen.append(client.get(path).get_data(as_text=True))
    post(client, f"/console/pungli/{code}/status", status="diverifikasi", note="ok")
    seen.append(client.get(f"/console/pungli/{code}", follow_redirects=True).get_data(as_text=True))
    post(client, "/console/logout")

    # Officers see the citizen's ordinary ticket, but nothing of the report.
    login(client, "budi")
    with helpdesk.store.session() as session:
        ticket_id = session.scalars(select(store.Ticket.id)).one()
    for path in ("/console/", "/console/queue.json?view=open", f"/console/tickets/{ticket_id}",
                 f"/console/tickets/{ticket_id}/poll.json"):  # fmt: skip
        body = client.get(path).get_data(as_text=True)
        assert code not in body and "Petugas loket" not in body, path
    seen.append("\n".join(record.getMessage() for record in caplog.records))
    with helpdesk.store.session() as session:
        seen.append(repr([(a.action, a.target_id, a.detail)
                          for a in session.scalars(select(store.AuditLog))]))  # fmt: skip
        report = pungli_reports.find(session, code)
        seen.append(repr({c.name: getattr(report, c.name) for c in report.__table__.columns}))
    everything = "\n".join(seen)
    assert code in everything  # the search looked at real output
    for secret in secrets:
        assert secret not in everything, secret


# ---------------------------------------------------------------- the worker


def test_worker_stores_evidence_when_idle(helpdesk, client, monkeypatch, tmp_path):
    code = file_report(Phone(client))
    with helpdesk.store.session() as session:
        report = pungli_reports.find(session, code)
        session.add(
            store.PungliEvidence(
                report_id=report.id, source_url="u", content_type="application/pdf"
            )
        )
    helpdesk.config["pungli"]["evidence"]["folder"] = str(tmp_path / "ev")

    class Fetcher:
        def fetch(self, url):
            return b"%PDF-1.7 isi", "application/pdf"

    stop = threading.Event()
    job = pungli_reports.evidence_job(helpdesk, Fetcher())

    def idle():
        job()
        stop.set()

    class Sender:
        pass

    from bot import outbox

    settings = outbox.Settings.from_config(helpdesk.config.get("outbox"))
    worker.Worker(helpdesk.store, Sender(), settings, idle=[idle]).run(stop)
    with helpdesk.store.session() as session:
        (item,) = pungli_reports.evidence_of(session, report.id)
        assert item.state == "stored"
    assert (tmp_path / "ev" / item.stored_name).read_bytes() == b"%PDF-1.7 isi"
    assert pungli_reports.evidence_job(helpdesk, None) is None


def test_officer_closing_a_ticket_mid_report_does_not_hijack_the_report(client, helpdesk):
    from bot import tickets

    phone = Phone(client)
    phone.send("PETUGAS")
    phone.send("LAPOR")
    phone.send("Petugas loket minta 100rb")
    budi = add_user(helpdesk, "budi", "officer")
    with helpdesk.store.session() as session:
        ticket = session.scalars(select(store.Ticket)).one()
        actor = tickets.Actor(budi, "Budi")
        tickets.claim(session, ticket.id, actor, store.utcnow())
        tickets.close(session, ticket.id, actor, "selesai", "Tiket {ticket} selesai.", "TK-",
                      store.utcnow())  # fmt: skip
    # The next answer still belongs to the report, not to a rating or a new ticket.
    assert "Nama tempatnya" in phone.send("2")
    with helpdesk.store.session() as session:
        assert session.scalars(select(store.Ticket.state)).all() == ["closed"]
