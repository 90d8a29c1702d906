"""The FAQ editor through HTTP: who may use it, list and search, preview, try-it with the
unsaved edit, safe saves (errors on the field, two editors at once), history and revert,
new entries from a closed ticket, and the evaluation shown after a save."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import faq_editing, knowledge, store
from bot.accounts import ROLES
from bot.app import create_app
from tests.conftest import (
    PUBLIC,
    TOKEN,
    add_user,
    citizen_says,
    csrf_token,
    latest_ticket_id,
    login,
)

pytestmark = pytest.mark.usefixtures("quick_logins")

SHIPPED = Path(__file__).resolve().parents[1] / "faq"
EDITORS = {"editor", "admin"}


@pytest.fixture
def faq_folder(tmp_path) -> Path:
    """A copy of the shipped FAQ: tests write into it, never into the repository."""
    folder = tmp_path / "faq"
    shutil.copytree(SHIPPED, folder)
    return folder


@pytest.fixture
def app(database_url, faq_folder):
    """The helpdesk app serving the FAQ copy."""
    app = create_app(
        {
            "TESTING": True,
            "HELPDESK": {"faq": {"folder": str(faq_folder)}},
            "ENV": {
                "DATABASE_URL": database_url,
                "SECRET_KEY": "test-secret",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
        }
    )
    # Loaded at start, as bot/wsgi.py does when serving: edits then break a FAQ that
    # has been served, never one that was not read yet.
    app.extensions["helpdesk"].library.load()
    yield app
    app.extensions["helpdesk"].store.dispose()


@pytest.fixture
def editor(client, helpdesk):
    """A logged-in FAQ editor, Ani."""
    add_user(helpdesk, "ani", "editor")
    login(client, "ani")
    return client


def post(client, path: str, **data):
    """POST a console form with the session's CSRF token."""
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/console/home")})


def form_of(client, entry_id: str) -> dict[str, str]:
    """Return the edit form's fields as the browser would send them."""
    html = client.get(f"/console/faq/entries/{entry_id}").get_data(as_text=True)
    form = html[
        html.index('id="entry-form"') : html.index("</form>", html.index('id="entry-form"'))
    ]
    fields = {}
    for name, value in re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', form):
        fields[name] = unescape(value)
    for name, value in re.findall(
        r'<textarea[^>]*name="([a-z_]+)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        fields[name] = unescape(value)
    fields["action"] = re.search(r'<option value="([a-z_]+)" selected', form).group(1)
    fields.pop("csrf_token", None)
    return fields


def flashes(html: str) -> list[str]:
    return [
        unescape(" ".join(t.split())) for t in re.findall(r'class="flash[^"]*"[^>]*>([^<]*)<', html)
    ]


def changes(helpdesk) -> list[store.FaqChange]:
    with helpdesk.store.session() as session:
        return session.scalars(select(store.FaqChange).order_by(store.FaqChange.id)).all()


def answer_of(folder, entry_id: str) -> str:
    return knowledge.load_faq(folder).get(entry_id).answer


# ---------------------------------------------------------------- access

ROUTES = [
    ("GET", "/console/faq/", None),
    ("GET", "/console/faq/entries/biaya", None),
    ("POST", "/console/faq/entries/biaya", {"question": ""}),
    ("POST", "/console/faq/entries/biaya/retire", {"retired": "0"}),
    ("GET", "/console/faq/new", None),
    ("POST", "/console/faq/new", {"id": ""}),
    ("POST", "/console/faq/try", {"message": "ktp hilang"}),
    ("POST", "/console/faq/preview", {"answer": "*a*"}),
    ("GET", "/console/faq/history", None),
    ("GET", "/console/faq/missed", None),
    ("POST", "/console/faq/missed/variant", {"message_id": "0"}),
    ("POST", "/console/faq/missed/example", {"message_id": "0"}),
]


def test_every_faq_editor_route_is_in_the_access_table(app):
    table = {(m, re.sub(r"/biaya", "/<entry_id>", p)) for m, p, _ in ROUTES}
    table |= {
        ("GET", "/console/faq/history/<int:change_id>"),
        ("POST", "/console/faq/history/<int:change_id>/revert"),
    }
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("faq_editor."):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (method, rule.rule) in table, f"{method} {rule.rule}"


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
@pytest.mark.parametrize(("method", "path", "form"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_only_editors_and_admins_reach_the_faq_editor(
    client, helpdesk, faq_folder, role, method, path, form
):
    before = (faq_folder / "biaya.yaml").read_bytes()
    if role:
        add_user(helpdesk, "saya", role)
        login(client, "saya")
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(
            path, data={**(form or {}), "csrf_token": csrf_token(client, "/console/login")}
        )
    if role is None:
        assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    elif role in EDITORS:
        assert response.status_code in (200, 302, 422)
    else:
        assert response.status_code == 403
        assert (faq_folder / "biaya.yaml").read_bytes() == before


def test_editors_see_the_faq_link_and_officers_do_not(client, helpdesk):
    add_user(helpdesk, "ani", "editor")
    add_user(helpdesk, "budi", "officer")
    login(client, "ani")
    assert 'href="/console/faq/"' in client.get("/console/home").get_data(as_text=True)
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/home")})
    login(client, "budi")
    assert 'href="/console/faq/"' not in client.get("/console/").get_data(as_text=True)


# ---------------------------------------------------------------- list, preview


def test_the_list_searches_questions_variants_and_answers(editor):
    html = editor.get("/console/faq/?q=KECOPETAN").get_data(as_text=True)  # a variant
    assert "<code>ektp-hilang</code>" in html and "<code>biaya</code>" not in html
    html = editor.get("/console/faq/").get_data(as_text=True)
    assert "ektp-hilang" in html and "biaya" in html and 'id="try-form"' in html


@pytest.mark.parametrize(
    "path",
    ["/", "/entries/biaya", "/new", "/history", "/missed"],
)
def test_every_faq_page_has_the_try_box(editor, path):
    html = editor.get("/console/faq" + path).get_data(as_text=True)
    assert 'id="try-form"' in html and "faq_editor.js" in html


def test_the_preview_shows_whatsapp_formatting_escaped_and_sms_length(editor):
    response = post(
        editor,
        "/console/faq/preview",
        answer="*Gratis* untuk _semua_ ~bayar~ <script>alert(1)</script>\nbaris dua",
        action="answer",
    )
    html = response.json["html"]
    assert "<strong>Gratis</strong>" in html and "<em>semua</em>" in html and "<s>bayar</s>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    sms = re.search(r'id="preview-sms">(.*?)</div>', html, re.S).group(1)
    assert "*" not in sms and "Gratis untuk semua" in sms
    assert re.search(r"\d+ karakter · \d+ SMS \((GSM-7|UCS-2)", html)


def test_the_edit_page_previews_the_saved_answer_with_office_facts(editor):
    html = editor.get("/console/faq/entries/jam-layanan").get_data(as_text=True)
    preview = html[html.index('id="preview-whatsapp"') :]
    assert "{office_hours}" not in preview[: preview.index("</div>")]


# ---------------------------------------------------------------- try it


def test_try_it_uses_the_unsaved_edit(editor, faq_folder):
    message = "ktp sy kececer pas mudik ke dusun"
    fields = form_of(editor, "ektp-hilang")
    before = post(editor, "/console/faq/try", message=message).json
    fields["variants"] += "\nktp kececer pas mudik ke dusun"
    after = post(
        editor, "/console/faq/try", message=message, mode="edit", entry_id="ektp-hilang", **fields
    ).json
    assert after["outcome"] == "answer" and after["candidates"][0][0] == "ektp-hilang"
    assert after["candidates"][0][1] > dict(before["candidates"]).get("ektp-hilang", 0)
    assert "entri ini" in after["html"] and "belum disimpan" in after["html"]
    assert "kececer pas mudik" not in (faq_folder / "ektp.yaml").read_text()  # not saved
    assert len(after["candidates"]) <= 3


def test_try_it_on_a_new_entry_before_it_has_an_id(editor):
    data = {**NEW, "id": ""}
    message = "mau tambah gelar sarjana di ktp"
    result = post(editor, "/console/faq/try", message=message, mode="new", **data).json
    assert result["outcome"] == "answer"
    assert result["candidates"][0][0] == faq_editing.TRIAL_ID


def test_try_it_shows_why_a_broken_edit_was_left_out(editor):
    fields = {**form_of(editor, "biaya"), "answer": "Datang ke {loket}"}
    result = post(
        editor, "/console/faq/try", message="biaya ktp", mode="edit", entry_id="biaya", **fields
    ).json
    assert "placeholder tidak dikenal" in result["html"]


# ---------------------------------------------------------------- saving


def test_a_saved_answer_is_served_at_once_and_recorded(editor, helpdesk, faq_folder, client):
    fields = form_of(editor, "biaya")
    fields["answer"] = "Semua layanan adminduk *GRATIS* tanpa kecuali. Tolak bila diminta bayar."
    response = post(editor, "/console/faq/entries/biaya", **fields)
    assert response.status_code == 302
    assert "/console/faq/entries/biaya?saved=" in response.headers["Location"]
    assert answer_of(faq_folder, "biaya").startswith("Semua layanan adminduk *GRATIS* tanpa")
    assert helpdesk.library.faq.get("biaya").answer.endswith("Tolak bila diminta bayar.")
    [change] = changes(helpdesk)
    assert (change.action, change.entry_id, change.file) == ("edit", "biaya", "biaya.yaml")
    assert "tanpa kecuali" in change.after_yaml and "tanpa kecuali" not in change.before_yaml
    with helpdesk.store.session() as session:
        audit = session.scalars(select(store.AuditLog.action)).all()
    assert "faq.edit" in audit
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert any("Entri biaya disimpan" in f for f in flashes(page))
    assert 'id="evaluation"' in page


def test_an_invalid_save_shows_the_error_on_its_field_and_keeps_the_text(editor, faq_folder):
    before = (faq_folder / "biaya.yaml").read_bytes()
    fields = {**form_of(editor, "biaya"), "question": "", "answer": "Tetap {kantor} di sini"}
    response = post(editor, "/console/faq/entries/biaya", **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="f-question"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="f-answer"[^>]*aria-invalid="true"', html)
    assert 'id="error-question"' in html and "kolom wajib" in html
    assert "placeholder tidak dikenal: {kantor}" in unescape(html)
    assert "Tetap {kantor} di sini" in unescape(html)  # the editor's text is kept
    assert (faq_folder / "biaya.yaml").read_bytes() == before


def test_a_bad_date_is_refused_on_its_field(editor, faq_folder):
    fields = {**form_of(editor, "biaya"), "review_by": "besok"}
    response = post(editor, "/console/faq/entries/biaya", **fields)
    assert response.status_code == 422
    assert re.search(r'id="f-review"[^>]*aria-invalid="true"', response.get_data(as_text=True))


def test_two_editors_on_one_entry_the_second_is_refused_and_keeps_their_text(
    app, helpdesk, faq_folder
):
    add_user(helpdesk, "ani", "editor")
    add_user(helpdesk, "budi", "editor")
    ani, budi = app.test_client(), app.test_client()
    login(ani, "ani")
    login(budi, "budi")
    ani_form, budi_form = form_of(ani, "biaya"), form_of(budi, "biaya")  # both open it
    ani_form["answer"] = "Jawaban versi Ani: semua GRATIS."
    budi_form["answer"] = "Jawaban versi Budi: semua gratis, laporkan pungli."
    assert post(ani, "/console/faq/entries/biaya", **ani_form).status_code == 302

    refused = post(budi, "/console/faq/entries/biaya", **budi_form)
    assert refused.status_code == 409
    html = unescape(refused.get_data(as_text=True))
    assert any("baru saja diubah oleh Ani" in f for f in flashes(html))
    assert "Jawaban versi Budi: semua gratis, laporkan pungli." in html  # not lost
    assert 'id="conflict"' in html and "Jawaban versi Ani" in html  # what changed meanwhile
    assert answer_of(faq_folder, "biaya") == "Jawaban versi Ani: semua GRATIS."

    # Having seen Ani's version, Budi saves again on purpose: the form carries the new version.
    again = dict(budi_form, version=re.search(r'name="version" value="([^"]+)"', html).group(1))
    assert post(budi, "/console/faq/entries/biaya", **again).status_code == 302
    assert answer_of(faq_folder, "biaya").startswith("Jawaban versi Budi")


def test_a_direct_file_edit_meanwhile_is_also_a_conflict(editor, faq_folder):
    fields = form_of(editor, "biaya")
    path = faq_folder / "biaya.yaml"
    path.write_text(path.read_text().replace("GRATIS", "Gratis", 1), encoding="utf-8")
    fields["answer"] = "Versi konsol."
    response = post(editor, "/console/faq/entries/biaya", **fields)
    assert response.status_code == 409
    assert any("langsung di berkas" in f for f in flashes(response.get_data(as_text=True)))


def test_a_file_broken_directly_meanwhile_refuses_the_save_and_keeps_the_text(
    editor, helpdesk, faq_folder
):
    fields = form_of(editor, "biaya")
    (faq_folder / "biaya.yaml").write_text("entries:\n  - id: biaya\n    question: [\n")
    fields["answer"] = "Teks yang tidak boleh hilang."
    response = post(editor, "/console/faq/entries/biaya", **fields)
    assert response.status_code == 409
    html = unescape(response.get_data(as_text=True))
    assert any("biaya.yaml" in f and "YAML tidak valid" in f for f in flashes(html))
    assert "Teks yang tidak boleh hilang." in html
    assert helpdesk.library.faq.get("biaya") is not None  # the bot keeps the last good FAQ


def test_a_busy_folder_keeps_the_text(editor, faq_folder, monkeypatch):
    fields = {**form_of(editor, "biaya"), "answer": "Teks saat sibuk."}
    monkeypatch.setattr(faq_editing, "LOCK_TIMEOUT", 0.1)
    with faq_editing.folder_lock(faq_folder):  # another process is saving
        response = post(editor, "/console/faq/entries/biaya", **fields)
    assert response.status_code == 503
    assert "Teks saat sibuk." in unescape(response.get_data(as_text=True))


def test_retire_and_restore(editor, helpdesk, faq_folder):
    version = form_of(editor, "ektp-rusak")["version"]
    response = post(editor, "/console/faq/entries/ektp-rusak/retire", retired="1", version=version)
    assert response.status_code == 302
    assert helpdesk.library.faq.get("ektp-rusak") is None
    assert faq_editing.find(faq_folder, "ektp-rusak").retired
    html = editor.get("/console/faq/?show=retired").get_data(as_text=True)
    assert "ektp-rusak" in html
    version = form_of(editor, "ektp-rusak")["version"]
    post(editor, "/console/faq/entries/ektp-rusak/retire", retired="0", version=version)
    assert helpdesk.library.faq.get("ektp-rusak") is not None
    assert [c.action for c in changes(helpdesk)] == ["retire", "restore"]


def test_a_menu_entry_cannot_be_retired(editor, faq_folder):
    before = (faq_folder / "biaya.yaml").read_bytes()
    version = form_of(editor, "biaya")["version"]
    response = post(editor, "/console/faq/entries/biaya/retire", retired="1", version=version)
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert any("menu" in f and "Belum disimpan" in f for f in flashes(page))
    assert (faq_folder / "biaya.yaml").read_bytes() == before


# ---------------------------------------------------------------- new entries


NEW = {
    "id": "gelar-akademik",
    "question": "Bagaimana mencantumkan gelar akademik di KTP-el dan KK?",
    "variants": "mau tambah gelar sarjana di ktp\ncara cantumkan gelar di kk",
    "answer": "*Gelar akademik*\nBawa ijazah asli, KK, dan KTP-el ke Disdukcapil.",
    "action": "answer",
    "source": "Permendagri 108/2019",
    "file": "layanan.yaml",
}


def test_a_new_entry_is_added_to_its_topic_file(editor, helpdesk, faq_folder):
    before = (faq_folder / "layanan.yaml").read_text()
    response = post(editor, "/console/faq/new", **NEW)
    assert response.status_code == 302
    text = (faq_folder / "layanan.yaml").read_text()
    assert text.startswith(before) and "  - id: gelar-akademik\n" in text
    assert helpdesk.library.faq.get("gelar-akademik").source == "Permendagri 108/2019"
    assert [c.action for c in changes(helpdesk)] == ["add"]


def test_a_new_entry_with_a_taken_id_is_refused_on_the_id(editor, faq_folder):
    response = post(editor, "/console/faq/new", **{**NEW, "id": "biaya"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="f-id"[^>]*aria-invalid="true"', html) and "id ganda" in html


def test_a_new_topic_file_name_must_be_plain(editor, faq_folder):
    response = post(editor, "/console/faq/new", **{**NEW, "new_file": "../luar"})
    assert response.status_code == 422
    assert not (faq_folder.parent / "luar.yaml").exists()


def closed_ticket(client, helpdesk, question: str, reply: str) -> int:
    """A citizen asks, an officer (who is also an editor) replies and closes the ticket."""
    citizen_says(client, question)
    ticket = latest_ticket_id(helpdesk)
    post(client, f"/console/tickets/{ticket}/claim")
    post(client, f"/console/tickets/{ticket}/reply", body=reply)
    post(client, f"/console/tickets/{ticket}/close", resolution="dijawab")
    return ticket


def test_a_closed_ticket_offers_save_as_faq_prefilled_with_both_sides(client, helpdesk):
    add_user(helpdesk, "sari", "officer", "editor")
    login(client, "sari")
    question = "bolehkah titip berkas lewat kurir ojol"
    reply = "Boleh, Bu, asal ada surat kuasa bermeterai dan fotokopi KTP-el pemberi kuasa."
    ticket = closed_ticket(client, helpdesk, question, reply)
    page = client.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert f'href="/console/faq/new?ticket={ticket}"' in page and "Simpan sebagai FAQ" in page
    form = unescape(client.get(f"/console/faq/new?ticket={ticket}").get_data(as_text=True))
    assert f'value="{question}"' in form
    assert reply in form


def test_officers_without_the_editor_role_are_not_offered_the_form(client, helpdesk):
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")
    ticket = closed_ticket(client, helpdesk, "xqzv plorf gnarb wuzzle", "Maaf, maksudnya apa?")
    page = client.get(f"/console/tickets/{ticket}").get_data(as_text=True)
    assert "/console/faq/new?ticket=" not in page and "Pertanyaan terlewat" in page


# ---------------------------------------------------------------- history, revert


def test_history_shows_who_what_when_with_a_diff_and_revert_restores(editor, helpdesk, faq_folder):
    original = (faq_folder / "biaya.yaml").read_bytes()
    fields = form_of(editor, "biaya")
    fields["answer"] = "Jawaban keliru yang harus dibatalkan."
    post(editor, "/console/faq/entries/biaya", **fields)
    [change] = changes(helpdesk)

    listing = editor.get("/console/faq/history").get_data(as_text=True)
    assert "Ani" in listing and f"/console/faq/history/{change.id}" in listing
    detail = unescape(editor.get(f"/console/faq/history/{change.id}").get_data(as_text=True))
    assert re.search(r'<span class="add">\+\s+Jawaban keliru yang harus dibatalkan\.', detail)
    assert '<span class="del">−' in detail

    response = post(editor, f"/console/faq/history/{change.id}/revert")
    assert response.status_code == 302
    assert (faq_folder / "biaya.yaml").read_bytes() == original
    assert "Jawaban keliru" not in helpdesk.library.faq.get("biaya").answer
    first, revert = changes(helpdesk)
    assert (revert.action, revert.reverts_id) == ("revert", first.id)
    # Reverting again has nothing left to do.
    again = post(editor, f"/console/faq/history/{change.id}/revert")
    page = editor.get(again.headers["Location"]).get_data(as_text=True)
    assert any("sudah sama" in f for f in flashes(page))


def test_reverting_an_added_entry_retires_it(editor, helpdesk, faq_folder):
    post(editor, "/console/faq/new", **NEW)
    [added] = changes(helpdesk)
    post(editor, f"/console/faq/history/{added.id}/revert")
    assert helpdesk.library.faq.get("gelar-akademik") is None
    assert faq_editing.find(faq_folder, "gelar-akademik").retired


# ---------------------------------------------------------------- evaluation after a save


def test_after_a_save_the_editor_sees_the_share_of_right_answers_fall(editor, helpdesk):
    fields = form_of(editor, "ektp-hilang")
    fields["variants"] = "kartu tanda penduduk elektronik lenyap"
    fields["keywords"] = ""
    response = post(editor, "/console/faq/entries/ektp-hilang", **fields)
    assert response.status_code == 302
    [change] = changes(helpdesk)
    assert change.detail["right_after"] < change.detail["right_before"]
    assert change.detail["worse"]
    page = unescape(editor.get(response.headers["Location"]).get_data(as_text=True))
    assert 'data-down="true"' in page and "turun" in page
    assert change.detail["worse"][0]["text"] in page


def test_a_harmless_save_shows_no_fall(editor, helpdesk):
    fields = form_of(editor, "biaya")
    fields["source"] += "; Disdukcapil Sumsel"
    response = post(editor, "/console/faq/entries/biaya", **fields)
    [change] = changes(helpdesk)
    assert change.detail["right_after"] == change.detail["right_before"]
    page = editor.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-down="false"' in page
