"""What officers click, in a real browser: log in, see a new ticket arrive, claim, reply;
a colleague's claim is refused; the queue and the conversation work at 360 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bot import store
from tests.browser.conftest import send_whatsapp
from tests.conftest import add_user

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("quick_logins")]

SITI = "+6281234567890"
WAIT = 15_000  # ms; the console polls every 2 s in these tests


def log_in(page, username: str) -> None:
    page.goto("/console/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill("kata-sandi-uji-123")
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(re.compile(r"/console/$"))


@pytest.fixture
def officers(browser, browser_context_args, live_app):
    """Two officers, Budi and Sari, each in their own browser context (own cookies)."""
    helpdesk = live_app.extensions["helpdesk"]
    helpdesk.config["console"]["poll_seconds"] = 2
    add_user(helpdesk, "budi", "officer")
    add_user(helpdesk, "sari", "officer")
    contexts = [browser.new_context(**browser_context_args) for _ in range(2)]
    pages = [context.new_page() for context in contexts]
    yield pages
    for context in contexts:
        context.close()


def test_officer_claims_and_replies_and_a_colleague_is_refused(
    officers, live_app, base_url, artifacts
):
    budi, sari = officers
    log_in(budi, "budi")
    log_in(sari, "sari")
    expect(budi.locator("#queue-rows")).to_contain_text("Tidak ada tiket")

    # A citizen writes; the bot cannot answer, so a ticket opens.
    twiml = send_whatsapp(base_url, "xqzv plorf gnarb wuzzle", sid="SMbrowser0001")
    number = re.search(r"TK-\d{6}", twiml).group(0)

    # Both open consoles show it within seconds, without a reload.
    for page in (budi, sari):
        expect(page.locator("#queue-rows tr[data-id]")).to_have_count(1, timeout=WAIT)
        expect(page).to_have_title(re.compile(r"^\(1\) Antrean"), timeout=WAIT)
    row = budi.locator("#queue-rows tr[data-id]")
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("Siti Aminah")
    expect(row).to_contain_text("+62 812-****-7890")
    expect(row).to_contain_text("xqzv plorf gnarb wuzzle")
    budi.screenshot(path=str(artifacts / "console-queue.png"), full_page=True)

    # Sari opens the ticket; Budi claims it first.
    sari.get_by_role("link", name=number).click()
    expect(sari.get_by_role("button", name="Klaim tiket ini")).to_be_visible()
    budi.get_by_role("button", name="Klaim").click()
    expect(budi).to_have_url(re.compile(r"/console/tickets/\d+$"))
    expect(budi.locator(".flash.ok")).to_contain_text(f"Tiket {number} sekarang Anda tangani")

    sari.get_by_role("button", name="Klaim tiket ini").click()
    expect(sari.locator(".flash.error")).to_contain_text("sudah ditangani oleh Budi")
    expect(sari.locator("#reply-body")).to_have_count(0)

    # Budi starts from an FAQ answer, writes, and sends: it shows at once as queued.
    budi.locator("#faq-select").select_option("biaya")
    budi.get_by_role("button", name="Sisipkan").click()
    expect(budi.locator("#reply-body")).to_have_value(re.compile("GRATIS", re.I))
    budi.locator("#reply-body").fill("Selamat siang Bu Siti, syaratnya kami kirim di sini.")
    budi.get_by_role("button", name="Kirim balasan").click()
    sent = budi.locator("article.officer").last
    expect(sent).to_contain_text("Selamat siang Bu Siti")
    expect(sent.locator("[data-status=queued]")).to_have_text("antre kirim")

    helpdesk = live_app.extensions["helpdesk"]
    with helpdesk.store.session() as session:
        outbox = session.scalars(select(store.Outbox)).all()
        assert [row.message.body for row in outbox] == [
            "Selamat siang Bu Siti, syaratnya kami kirim di sini."
        ]

    # The bot stays quiet now; the citizen's next words reach Budi's open page by polling.
    twiml = send_whatsapp(base_url, "baik pak, terima kasih", sid="SMbrowser0002")
    assert "<Message>" not in twiml
    expect(budi.locator("#conversation")).to_contain_text("baik pak, terima kasih", timeout=WAIT)
    budi.screenshot(path=str(artifacts / "console-conversation.png"), full_page=True)


def test_queue_and_conversation_fit_a_360px_phone(
    browser, browser_context_args, live_app, base_url, artifacts
):
    add_user(live_app.extensions["helpdesk"], "budi", "officer")
    send_whatsapp(base_url, "petugas", sid="SMphone0001")
    context = browser.new_context(
        **browser_context_args,
        viewport={"width": 360, "height": 760},
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    try:
        log_in(page, "budi")
        expect(page.locator("#queue-rows tr[data-id]")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(artifacts / "console-queue-360.png"), full_page=True)
        page.get_by_role("button", name="Klaim").tap()
        page.locator("#reply-body").fill("Baik, kami bantu.")
        page.get_by_role("button", name="Kirim balasan").tap()
        expect(page.locator("[data-status=queued]")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.screenshot(path=str(artifacts / "console-conversation-360.png"), full_page=True)
    finally:
        context.close()
