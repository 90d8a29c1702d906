"""What a FAQ editor clicks, in a real browser: edit an answer and watch the preview, try a
citizen's message against the unsaved edit, save, and a signed webhook message gets the
new answer; the learning loop turns a missed question into a variant."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bot.app import create_app
from tests.browser.conftest import send_whatsapp
from tests.conftest import PUBLIC, TOKEN, add_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("quick_logins")]

SHIPPED = Path(__file__).resolve().parents[2] / "faq"
WAIT = 15_000  # ms
NEW_ANSWER = (
    "*Semua layanan adminduk GRATIS* untuk setiap warga.\n"
    "_Jangan bayar_ siapa pun; bila diminta uang, ketik LAPOR."
)


@pytest.fixture
def app(database_url, tmp_path):
    """The app on a copy of the shipped FAQ (the browser's edits go there, not to the repo)."""
    folder = tmp_path / "faq"
    shutil.copytree(SHIPPED, folder)
    app = create_app(
        {
            "TESTING": True,
            "HELPDESK": {"faq": {"folder": str(folder)}},
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
def editor_page(page, live_app):
    """Ani, an editor, logged in."""
    add_user(live_app.extensions["helpdesk"], "ani", "editor")
    page.goto("/console/login")
    page.get_by_label("Nama pengguna").fill("ani")
    page.get_by_label("Kata sandi").fill("kata-sandi-uji-123")
    page.get_by_role("button", name="Masuk").click()
    expect(page.get_by_role("link", name="FAQ", exact=True)).to_be_visible()
    return page


def test_edit_an_answer_try_a_message_save_and_citizens_get_it(
    editor_page, live_app, base_url, artifacts
):
    page = editor_page
    page.get_by_role("link", name="FAQ", exact=True).click()
    page.get_by_label("Cari").fill("biaya")
    page.get_by_role("button", name="Cari").click()
    page.get_by_role("link", name="biaya", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("biaya")

    # Edit the answer: the WhatsApp preview follows as it is typed, bold and italic shown.
    page.locator("#f-answer").fill(NEW_ANSWER)
    preview = page.locator("#preview-whatsapp")
    expect(preview.locator("strong").first).to_have_text(
        "Semua layanan adminduk GRATIS", timeout=WAIT
    )
    expect(preview.locator("em").first).to_have_text("Jangan bayar")
    expect(page.locator("#preview-sms")).to_contain_text("Semua layanan adminduk GRATIS untuk")
    expect(page.locator("#sms-length")).to_contain_text(re.compile(r"\d+ karakter · \d+ SMS"))

    # Add a variant and try a citizen's message against the unsaved edit.
    variants = page.locator("#f-variants")
    variants.fill(variants.input_value() + "\nongkos cetak ulang kk rusak berapa duit")
    page.locator("#try-message").fill("ongkos cetak ulang kk rusak berapa duit ya")
    page.get_by_role("button", name="Coba", exact=True).click()
    result = page.locator("#try-result")
    expect(result.locator(".outcome")).to_have_text("Dijawab", timeout=WAIT)
    expect(result).to_contain_text("entri ini")
    expect(result).to_contain_text("belum disimpan")
    expect(result.locator("tbody tr")).to_have_count(3)
    page.screenshot(path=str(artifacts / "faq-editor-try.png"), full_page=True)

    # Save: checked, written, served at once; the evaluation cases are shown.
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.locator(".flash.ok")).to_contain_text("Entri biaya disimpan", timeout=WAIT)
    expect(page.locator("#evaluation")).to_contain_text("Jawaban benar")
    page.screenshot(path=str(artifacts / "faq-editor-saved.png"), full_page=True)

    # A citizen's signed WhatsApp message now gets the new answer.
    twiml = send_whatsapp(base_url, "bayar berapa buat ktp", sid="SMfaqbrowser0001")
    assert "untuk setiap warga" in twiml and "ketik LAPOR" in twiml
    twiml = send_whatsapp(
        base_url, "ongkos cetak ulang kk rusak berapa duit", sid="SMfaqbrowser0002"
    )
    assert "untuk setiap warga" in twiml

    # The history has the change with its diff.
    page.get_by_role("link", name="Riwayat").first.click()
    page.get_by_role("link", name=re.compile(r"Lihat #\d+")).first.click()
    expect(page.locator("pre.diff .add").first).to_be_visible()
    expect(page.locator("pre.diff")).to_contain_text("untuk setiap warga")


def test_an_invalid_edit_is_refused_on_its_field(editor_page, live_app):
    page = editor_page
    page.goto("/console/faq/entries/biaya")
    page.locator("#f-answer").fill("Datang ke {loket_kami}.")
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.locator("#error-answer")).to_contain_text("placeholder tidak dikenal")
    expect(page.locator("#f-answer")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-answer")).to_have_value("Datang ke {loket_kami}.")


def test_a_missed_question_becomes_a_variant_in_one_click(
    editor_page, live_app, base_url, artifacts
):
    page = editor_page
    unknown = "bolehkah titip berkas lewat kurir ojol"
    send_whatsapp(base_url, unknown, sid="SMfaqbrowser0101", number="+6281311110001")
    send_whatsapp(
        base_url,
        "boleh titip berkas ke kurir ojol ga",
        sid="SMfaqbrowser0102",
        number="+6281311110002",
    )
    page.goto("/console/faq/missed")
    group = page.locator("article.missed-group", has_text=unknown)
    expect(group).to_contain_text("2×")
    page.screenshot(path=str(artifacts / "faq-editor-missed.png"), full_page=True)
    first = group.locator("li", has_text=unknown)
    first.locator("select").select_option("surat-pengantar")
    first.get_by_role("button", name="Tambah sebagai varian").click()
    expect(page.locator(".flash.ok").first).to_contain_text("ditambahkan sebagai varian")
    twiml = send_whatsapp(base_url, unknown, sid="SMfaqbrowser0103", number="+6281311110003")
    assert "Nomor tiket" not in twiml

    # The other message is taught as one for an officer: the same form, its other button.
    page.goto("/console/faq/missed?show=all")
    other = page.locator("li", has_text="boleh titip berkas ke kurir ojol ga")
    other.locator("select").select_option(label="petugas (tidak ada entri yang menjawab)")
    other.get_by_role("button", name="Ajari bot").click()
    expect(page.locator(".flash.ok").first).to_contain_text("Contoh disimpan")
    other = page.locator("li", has_text="boleh titip berkas ke kurir ojol ga")
    expect(other).to_contain_text("diajarkan: petugas (tidak ada entri yang menjawab)")
