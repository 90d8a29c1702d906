"""The office page in the console (/console/offices/): who may edit which office, checks
shown on their field, comments and other offices kept, concurrent edits refused, history
and revert, and the change reaching citizens at once. Every write goes to a copy of
offices.yaml in tmp_path."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid
from html import unescape

import pytest
from sqlalchemy import select

from bot import office_editing, store
from bot.app import create_app
from bot.config import ROOT
from tests.conftest import (
    PUBLIC,
    TOKEN,
    add_user,
    csrf_token,
    login,
    payload,
    post_signed,
)

pytestmark = pytest.mark.usefixtures("quick_logins")

DISTRICT = "+62711000001"  # given to OKI in the copy
NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)  # Wednesday 10.00 WIB: office hours


@pytest.fixture
def offices_file(tmp_path):
    path = tmp_path / "offices.yaml"
    shutil.copyfile(ROOT / "offices.yaml", path)
    block = office_editing.find(path, "oki")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    oki = "".join(lines[block.start : block.end]).replace("numbers: []", f'numbers: ["{DISTRICT}"]')
    path.write_text(
        "".join(lines[: block.start]) + oki + "".join(lines[block.end :]), encoding="utf-8"
    )
    return path


@pytest.fixture
def app(database_url, offices_file):
    app = create_app(
        {
            "TESTING": True,
            "ENV": {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
            "HELPDESK": {
                # Other processes: reload after 60 s, so "at once" can only be the reload.
                "offices": {"file": str(offices_file), "reload_seconds": 60, "settle_seconds": 0}
            },
        }
    )
    yield app
    app.extensions["helpdesk"].store.dispose()


@pytest.fixture
def fixed_now(monkeypatch):
    monkeypatch.setattr(store, "utcnow", lambda: NOW)
    return NOW


def account(app, helpdesk, name, *roles, offices=()):
    add_user(helpdesk, name, *roles)
    with helpdesk.store.session() as session:
        session.scalars(select(store.User).where(store.User.username == name)).one().offices = list(
            offices
        )
    client = app.test_client()
    assert login(client, name).status_code == 302
    return client


@pytest.fixture
def admin(app, helpdesk):
    return account(app, helpdesk, "admin", "admin")


def form_of(client, office_id: str) -> dict:
    """Return the edit form's fields as the browser would post them."""
    html = client.get(f"/console/offices/{office_id}").get_data(as_text=True)
    form = re.search(r'<form method="post" id="office-form".*?</form>', html, re.S).group(0)
    fields: dict = {"holidays": []}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        text = unescape(value.group(1)) if value else ""
        if name.group(1) == "holidays":
            fields["holidays"].append(text)
        else:
            fields[name.group(1)] = text
    status = re.search(r'name="stock_status".*?<option value="([^"]*)"[^>]*selected', form, re.S)
    fields["stock_status"] = status.group(1) if status else ""
    return fields


def post(client, office_id: str, **fields):
    data = {**fields, "csrf_token": csrf_token(client, "/console/offices/")}
    return client.post(f"/console/offices/{office_id}", data=data)


def outside_unchanged(new: str, old: str, block) -> bool:
    new_lines, old_lines = new.splitlines(keepends=True), old.splitlines(keepends=True)
    tail = old_lines[block.end :]
    return (
        new_lines[: block.start] == old_lines[: block.start]
        and new_lines[len(new_lines) - len(tail) :] == tail
    )


def changes(helpdesk) -> list[store.OfficeChange]:
    with helpdesk.store.session() as session:
        rows = session.scalars(select(store.OfficeChange).order_by(store.OfficeChange.id)).all()
        session.expunge_all()
        return rows


def audits(helpdesk) -> list[tuple[str, str]]:
    with helpdesk.store.session() as session:
        return [
            (a.action, a.target_id)
            for a in session.scalars(
                select(store.AuditLog).where(store.AuditLog.action.like("office.%"))
            )
        ]


# ---------------------------------------------------------------- who sees what


def test_admin_lists_every_office(admin):
    html = admin.get("/console/offices/").get_data(as_text=True)
    linked = set(re.findall(r'href="/console/offices/([a-z-]+)"', html)) - {"history"}
    assert len(linked) == 17 and {"palembang", "oki", "lahat"} <= linked
    assert ">Kantor</a>" in html  # the nav link


def test_an_office_admin_edits_only_their_offices(app, helpdesk, offices_file):
    own = account(app, helpdesk, "lahat-admin", "office-admin", offices=["lahat"])
    html = own.get("/console/offices/").get_data(as_text=True)
    assert "Disdukcapil Kabupaten Lahat" in html
    assert "Disdukcapil Kota Palembang" not in html
    assert own.get("/console/offices/lahat").status_code == 200
    before = offices_file.read_bytes()
    assert own.get("/console/offices/palembang").status_code == 404
    response = post(own, "palembang", hours_default="1", holiday_add="2026-12-25")
    assert response.status_code == 404
    assert offices_file.read_bytes() == before
    # The landing page after login is the office page.
    assert own.get("/console/home").headers["Location"].endswith("/console/offices/")


def test_an_office_admin_sees_only_their_offices_history(app, helpdesk, admin):
    post(admin, "palembang", **{**form_of(admin, "palembang"), "holiday_add": "2026-12-25"})
    own = account(app, helpdesk, "lahat-admin", "office-admin", offices=["lahat"])
    (change,) = changes(helpdesk)
    assert "palembang" not in own.get("/console/offices/history").get_data(as_text=True)
    assert own.get(f"/console/offices/history/{change.id}").status_code == 404
    assert (
        own.post(
            f"/console/offices/history/{change.id}/revert",
            data={"csrf_token": csrf_token(own, "/console/offices/")},
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["officer", "editor", "supervisor", "investigator"])
def test_other_roles_are_refused(app, helpdesk, role):
    client = account(app, helpdesk, "saya", role)
    assert client.get("/console/offices/").status_code == 403
    assert client.get("/console/offices/lahat").status_code == 403
    assert "/console/offices/" not in client.get("/console/login", follow_redirects=True).get_data(
        as_text=True
    )


# ---------------------------------------------------------------- saving


def test_a_save_changes_only_the_office_and_is_served_at_once(
    admin, helpdesk, offices_file, fixed_now
):
    original = offices_file.read_text(encoding="utf-8")
    block = office_editing.find(offices_file, "lahat")
    fields = form_of(admin, "lahat")
    assert fields["hours_default"] == "1"  # no hours of its own yet: the general ones
    assert fields["stock_updated"] == "2026-12-02"  # today in Asia/Jakarta
    response = post(
        admin,
        "lahat",
        **{
            **fields,
            "hours_default": "",
            "hours_mon": "07:30-14:00",
            "hours_fri": "07:30-11:00",
            "hours_sat": "08.00-12.00",
            "holiday_add": "25/12/2026, 2027-01-01",
            "stock_status": "terbatas",
            "stock_updated": "",
        },
    )
    assert response.status_code == 302
    saved = offices_file.read_text(encoding="utf-8")
    assert outside_unchanged(saved, original, block)
    assert saved.count("\n#") == original.count("\n#")  # every comment kept
    assert "blank_stock: {status: terbatas, updated: 2026-12-02}" in saved
    lahat = helpdesk.settings.offices.get("lahat")  # this process, without waiting
    assert lahat.hours.holidays == {dt.date(2026, 12, 25), dt.date(2027, 1, 1)}
    assert lahat.blank_stock == {"status": "terbatas", "updated": dt.date(2026, 12, 2)}
    assert lahat.hours.is_open(dt.datetime(2026, 12, 5, 3, tzinfo=dt.UTC))  # Saturday 10.00
    (change,) = changes(helpdesk)
    assert (change.office_id, change.action) == ("lahat", "edit")
    assert change.before_yaml == block.yaml and "holidays:" in change.after_yaml
    assert audits(helpdesk) == [("office.edit", "lahat")]
    html = unescape(admin.get(response.headers["Location"]).get_data(as_text=True))
    assert "Data Disdukcapil Kabupaten Lahat disimpan." in html


@pytest.mark.parametrize(
    ("changed", "field", "kept"),
    [
        ({"hours_default": "", "hours_mon": "8-15"}, "hours_mon", "8-15"),
        ({"hours_default": "", "hours_tue": "15:00-08:00"}, "hours_tue", "15:00-08:00"),
        (
            {
                "hours_default": "",
                **{f"hours_{d}": "" for d in ("mon", "tue", "wed", "thu", "fri")},
            },
            "hours",
            None,
        ),
        ({"holiday_add": "31/02/2026"}, "holiday_add", "31/02/2026"),
        ({"stock_status": "banyak"}, "stock_status", None),
        ({"stock_status": "habis", "stock_updated": "2026-12-09"}, "stock_updated", "2026-12-09"),
    ],
)
def test_an_invalid_field_is_marked_and_nothing_is_written(
    admin, helpdesk, offices_file, fixed_now, changed, field, kept
):
    before = offices_file.read_bytes()
    response = post(admin, "lahat", **{**form_of(admin, "lahat"), **changed})
    assert response.status_code == 422
    html = unescape(response.get_data(as_text=True))
    assert f'id="error-{field}"' in html
    assert "Belum disimpan: perbaiki kolom yang ditandai merah." in html
    if kept:
        assert f'value="{kept}"' in html  # the typed text is still in the form
    assert offices_file.read_bytes() == before
    assert changes(helpdesk) == []


def test_a_save_that_changes_nothing_writes_nothing(admin, helpdesk, offices_file):
    before = offices_file.stat()
    response = post(admin, "lahat", **form_of(admin, "lahat"))
    assert response.status_code == 302
    after = offices_file.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert changes(helpdesk) == []
    html = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tidak ada yang berubah" in html


def test_an_office_the_loader_rejects_is_not_saved(admin, helpdesk, offices_file, monkeypatch):
    # A rule only the loader knows (here: a stricter one) still blocks, on its field.
    real = office_editing.offices.parse_offices

    def strict(data, default_office, file="offices.yaml"):
        lahat = next(o for o in data["offices"] if o["id"] == "lahat")
        if lahat.get("holidays"):
            raise office_editing.offices.OfficesError(
                [f"{file}: kantor lahat: tanggal libur harus YYYY-MM-DD: x"]
            )
        return real(data, default_office, file)

    monkeypatch.setattr(office_editing.offices, "parse_offices", strict)
    before = offices_file.read_bytes()
    response = post(admin, "lahat", **{**form_of(admin, "lahat"), "holiday_add": "2026-12-25"})
    assert response.status_code == 422
    assert 'id="error-holidays"' in response.get_data(as_text=True)
    assert offices_file.read_bytes() == before


def test_a_concurrent_edit_is_refused_and_the_text_kept(app, helpdesk, admin, offices_file):
    other = account(app, helpdesk, "ani", "office-admin", offices=["lahat"])
    mine = form_of(admin, "lahat")
    theirs = form_of(other, "lahat")
    assert post(other, "lahat", **{**theirs, "holiday_add": "2026-12-24"}).status_code == 302
    saved = offices_file.read_bytes()
    response = post(admin, "lahat", **{**mine, "holiday_add": "2026-12-31"})
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert "baru saja diubah oleh Ani" in html
    assert 'value="2026-12-31"' in html  # my text is kept
    assert 'id="conflict"' in html and "2026-12-24" in html  # theirs is shown
    assert offices_file.read_bytes() == saved
    # The refused form carries the new version: saving again is a conscious overwrite.
    version = re.search(r'name="version" value="([^"]+)"', html).group(1)
    again = post(admin, "lahat", **{**mine, "version": version, "holiday_add": "2026-12-31"})
    assert again.status_code == 302
    holidays = helpdesk.settings.offices.get("lahat").hours.holidays
    assert dt.date(2026, 12, 31) in holidays


def test_history_shows_the_diff_and_revert_restores_the_file(admin, helpdesk, offices_file):
    original = offices_file.read_bytes()
    fields = {**form_of(admin, "lahat"), "holiday_add": "2026-12-25", "stock_status": "habis"}
    post(admin, "lahat", **fields)
    (change,) = changes(helpdesk)
    listing = admin.get("/console/offices/history").get_data(as_text=True)
    assert f"/console/offices/history/{change.id}" in listing
    page = unescape(admin.get(f"/console/offices/history/{change.id}").get_data(as_text=True))
    assert '<span class="add">+  holidays:</span>' in page
    assert '<span class="add">+    - 2026-12-25</span>' in page
    response = admin.post(
        f"/console/offices/history/{change.id}/revert",
        data={"csrf_token": csrf_token(admin, "/console/offices/")},
    )
    assert response.status_code == 302
    assert offices_file.read_bytes() == original
    assert helpdesk.settings.offices.get("lahat").hours.holidays == frozenset()
    reverted = changes(helpdesk)[-1]
    assert (reverted.action, reverted.reverts_id) == ("revert", change.id)
    assert audits(helpdesk) == [("office.edit", "lahat"), ("office.revert", "lahat")]
    # Reverting again has nothing to do and writes nothing.
    admin.post(
        f"/console/offices/history/{change.id}/revert",
        data={"csrf_token": csrf_token(admin, "/console/offices/")},
    )
    assert len(changes(helpdesk)) == 2


# ---------------------------------------------------------------- what citizens get


def says(client, body: str, number: str, to: str = DISTRICT) -> str:
    sid = "SM" + uuid.uuid4().hex
    form = payload(
        "whatsapp_text",
        Body=body,
        From=f"whatsapp:{number}",
        To=f"whatsapp:{to}",
        MessageSid=sid,
        SmsMessageSid=sid,
        SmsSid=sid,
    )
    response = post_signed(client, "/webhooks/twilio", form)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_a_saved_holiday_changes_when_to_expect_a_reply(client, admin, fixed_now):
    assert "Petugas sedang bertugas" in says(client, "petugas", "+6281200000001")
    response = post(admin, "oki", **{**form_of(admin, "oki"), "holiday_add": "2026-12-02"})
    assert response.status_code == 302
    reply = says(client, "petugas", "+6281200000002")
    assert "Saat ini di luar jam layanan. Petugas akan membalas mulai Kamis 03/12" in reply


def test_the_welcome_on_a_district_number_names_that_office(client):
    reply = says(client, "halo", "+6281200000003")
    assert "layanan informasi *Disdukcapil Kabupaten Ogan Komering Ilir*" in reply
    assert "Provinsi" not in reply.split("\n")[2]
    provincial = says(client, "halo", "+6281200000004", to="+14155238886")
    assert "layanan informasi *Disdukcapil Provinsi Sumatera Selatan*" in provincial
