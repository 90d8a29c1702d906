"""Citizens' words are never HTML, checked where it matters: inside Chromium, on every
console page that shows them, also after the queue and the conversation refresh by polling.

Citizens write through the signed webhook with hostile bodies and WhatsApp profile names
(script tags, event-handler attributes, a `javascript:` link, template syntax) and file a
pungli report made of them. On each page, for the role that sees it: no script ran
(`window.__xss` stays undefined, no dialog opened), no element was injected, and the
hostile text is shown literally, as the citizen typed it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from bot.app import create_app
from tests.browser.conftest import send_whatsapp
from tests.conftest import PASSWORD, PUBLIC, TOKEN, add_user, empty_database, latest_ticket_id

pytestmark = pytest.mark.browser

WAIT = 15_000  # ms; the console polls every 2 s here

# One citizen per hostile message: each opens its own ticket (the bot cannot answer).
CITIZENS = [
    ("+6281255500001", '"><svg onload=window.__xss=1;alert(1)>',
     "<script>window.__xss=1;alert(1)</script> xqzv plorf"),
    ("+6281255500002", '<img src=x onerror="window.__xss=1;alert(1)">',
     '<img src=x onerror="window.__xss=1;alert(1)"> gnarb wuzzle'),
    ("+6281255500003", "{{7*7}} ${7*7} <%= 7*7 %>",
     '"><svg onload=window.__xss=1;alert(1)> {{7*7}} ${7*7} zorp'),
    ("+6281255500004", "<a href=\"javascript:window.__xss=1\">Siti</a>",
     '<a href="javascript:window.__xss=1;alert(1)">klik di sini</a> qwfp'),
    ("+6281255500005", "</title></textarea><script>window.__xss=1</script>",
     '</textarea></title><img src=x onerror="window.__xss=1;alert(1)"> blorf'),
]  # fmt: skip
BODIES = [body for _, _, body in CITIZENS]
NAMES = [name for _, name, _ in CITIZENS]
# Sent while a page is open, to reach it through the poll (a fresh fragment each time).
LATE_NUMBER = "+6281255500009"
LATE_BODY = "<iframe src=javascript:window.__xss=1></iframe><img src=x onerror=alert(1)> vrask"
LATE_NAME = "<b onmouseover=window.__xss=1>tebal</b>"
FOLLOW_UP = '<img src=x onerror="window.__xss=1;alert(1)"> masih menunggu jawaban'
# The pungli report: a named reporter, so the name and number are shown to investigators.
REPORTER = "+6281255500007"
PUNGLI = {
    "what": '<img src=x onerror="window.__xss=1;alert(1)"> petugas minta uang',
    "place_detail": '"><svg onload=window.__xss=1> Kecamatan Ilir Barat',
    "when": "kemarin <script>window.__xss=1</script>",
    "name": "<img src=x onerror=alert(1)> {{7*7}}",
}
# What would exist had any of it become markup (the app's own pages use none of these).
INJECTED = ", ".join(
    [
        "img[src='x']",
        "svg[onload]",
        "iframe",
        "b[onmouseover]",
        "[onload]",
        "[onerror]",
        "[onmouseover]",
        "a[href^='javascript:' i]",
        "iframe[src^='javascript:' i]",
    ]
)


def _database(database_backend, tmp_path_factory) -> str:
    """An empty migrated database for this module (the conftest one is per test)."""
    return empty_database(database_backend, tmp_path_factory.mktemp("escaping"))


def webhook(base_url: str, number: str, body: str, name: str = "Warga") -> str:
    """Deliver one citizen message as Twilio does (signed form); return the replies' text."""
    root = ET.fromstring(send_whatsapp(base_url, body, number=number, name=name))  # noqa: S314
    return "\n".join(m.text or "" for m in root.iter("Message"))


@pytest.fixture(scope="module")
def hostile(database_backend, tmp_path_factory, live_server, base_url):
    """One app for the module, served live, with the hostile citizens' traffic in it."""
    app = create_app(
        {
            "TESTING": True,
            "ENV": {
                "DATABASE_URL": _database(database_backend, tmp_path_factory),
                "SECRET_KEY": "test-secret",
                "TWILIO_AUTH_TOKEN": TOKEN,
                "PUBLIC_BASE_URL": PUBLIC,
            },
        }
    )
    helpdesk = app.extensions["helpdesk"]
    helpdesk.config["console"]["poll_seconds"] = 2
    for username, role in [
        ("budi", "officer"),
        ("eka", "editor"),
        ("susi", "supervisor"),
        ("ina", "investigator"),
    ]:
        add_user(helpdesk, username, role)
    live_server[1].app = app
    try:
        tickets = {}
        for number, name, body in CITIZENS:
            webhook(base_url, number, body, name)
            tickets[number] = latest_ticket_id(helpdesk, number)
            assert tickets[number], f"no ticket for {body!r}"
        steps = ["LAPOR", PUNGLI["what"], "2", PUNGLI["place_detail"], PUNGLI["when"]]
        steps += ["Rp 100.000", "selesai", "2", PUNGLI["name"], "1"]
        for step in steps:
            reply = webhook(base_url, REPORTER, step)
        code = re.search(r"PGL-[A-Z0-9]{6}", reply).group(0)
        yield SimpleNamespace(app=app, tickets=tickets, code=code)
    finally:
        live_server[1].app = None
        helpdesk.store.dispose()


@pytest.fixture
def browse(browser, browser_context_args):
    """Open pages in fresh contexts; each page records any dialog that opens."""
    contexts = []

    def open_page(username: str | None = None):
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []

        def on_dialog(dialog):
            page.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        if username:
            page.goto("/console/login")
            page.get_by_label("Nama pengguna").fill(username)
            page.get_by_label("Kata sandi").fill(PASSWORD)
            page.get_by_role("button", name="Masuk").click()
            expect(page).not_to_have_url(re.compile(r"/login"))
        return page

    yield open_page
    for context in contexts:
        context.close()


def assert_inert(page, *texts: str, where=None) -> None:
    """Nothing ran, nothing was injected, and each text is on the page as text."""
    assert page.evaluate("typeof window.__xss") == "undefined", page.url
    assert page.dialogs == [], page.url
    assert page.locator(INJECTED).count() == 0, page.url
    inline = "[...document.scripts].some((s) => s.textContent.includes('__xss'))"
    assert not page.evaluate(inline), page.url
    area = where or page.locator("body")
    for shown in texts:
        expect(area).to_contain_text(shown)


def test_queue_shows_names_and_first_words_as_text_also_after_polling(hostile, browse, base_url):
    page = browse("budi")
    expect(page.locator("#queue-rows tr[data-id]")).to_have_count(len(CITIZENS))
    assert_inert(page, *BODIES, *NAMES, where=page.locator("#queue-rows"))

    webhook(base_url, LATE_NUMBER, LATE_BODY, LATE_NAME)
    rows = page.locator("#queue-rows tr[data-id]")
    expect(rows).to_have_count(len(CITIZENS) + 1, timeout=WAIT)  # the poll brought it
    expect(page.locator("#queue-rows tr.new")).to_have_count(1)
    page.wait_for_timeout(2500)  # one more refresh replaces the table again
    assert_inert(page, LATE_BODY, LATE_NAME, *BODIES, *NAMES, where=page.locator("#queue-rows"))


def test_every_ticket_page_shows_the_citizen_as_text_also_after_polling(hostile, browse, base_url):
    page = browse("budi")
    for number, name, body in CITIZENS:
        page.goto(f"/console/tickets/{hostile.tickets[number]}")
        assert_inert(page, name, where=page.locator(".ticket-head"))
        assert_inert(page, body, where=page.locator("#conversation"))

    # The last ticket's page stays open; the citizen writes again and the poll shows it.
    number, name, body = CITIZENS[-1]
    webhook(base_url, number, FOLLOW_UP, name)
    conversation = page.locator("#conversation")
    expect(conversation).to_contain_text(FOLLOW_UP, timeout=WAIT)
    assert_inert(page, body, FOLLOW_UP, where=conversation)


def test_learning_loop_and_the_entry_it_prefills_show_citizens_words_as_text(hostile, browse):
    page = browse("eka")
    page.goto("/console/faq/missed?show=all")
    expect(page.locator("article.missed-group").first).to_be_visible()
    assert_inert(page, *BODIES, where=page.locator("main"))

    # "Buat entri baru dari kelompok ini": the citizens' words pre-fill the new entry.
    group = page.locator("article.missed-group", has_text="blorf")
    group.get_by_role("link", name="Buat entri baru dari kelompok ini").click()
    expect(page).to_have_url(re.compile(r"/console/faq/new\?"))
    assert_inert(page)
    # The very characters, in form fields, not as markup (the group's first message is
    # the question, the others are variants).
    question = page.locator("#f-question").input_value()
    variants = page.locator("#f-variants").input_value().split("\n")
    assert question in BODIES and BODIES[-1] in [question, *variants]

    # The editor reuses them: the live preview (WhatsApp marks around them) and try-it,
    # whose result lists the unsaved entry's question; both insert server-rendered HTML.
    page.locator("#f-answer").fill(f"*{BODIES[1]}*\n_{BODIES[0]}_\n```{BODIES[3]}```")
    preview = page.locator("#preview-whatsapp")
    expect(preview.locator("strong").first).to_have_text(BODIES[1])
    expect(preview.locator("em").first).to_have_text(BODIES[0])
    expect(preview.locator("code").first).to_have_text(BODIES[3])
    page.locator("#try-message").fill(question)
    page.locator("#try-button").click()
    result = page.locator("#try-result")
    expect(result.locator(".try-candidates")).to_contain_text(question)
    assert_inert(page, BODIES[1], BODIES[0], BODIES[3], where=page.locator("#preview"))
    assert_inert(page, question, where=result)


def test_dashboard_top_missed_questions_are_text(hostile, browse):
    page = browse("susi")
    page.goto("/console/dashboard")
    quoted = page.locator("#table-missed ol li q")
    expect(quoted).not_to_have_count(0)
    assert_inert(page, BODIES[0], where=page.locator("#table-missed ol"))
    # Similar messages share one line (the learning loop's grouping): each line is one of
    # the citizens' messages, character for character.
    sent = {*BODIES, LATE_BODY, FOLLOW_UP}
    assert set(quoted.all_inner_texts()) <= sent, quoted.all_inner_texts()
    assert len(quoted.all_inner_texts()) >= 3


def test_pungli_report_shows_the_reporters_words_as_text(hostile, browse):
    page = browse("ina")
    page.goto("/console/pungli/")
    expect(page.get_by_role("link", name=hostile.code)).to_be_visible()
    assert_inert(page)
    page.get_by_role("link", name=hostile.code).click()
    expect(page).to_have_url(re.compile(rf"/console/pungli/{hostile.code}$"))
    assert_inert(page, *PUNGLI.values(), where=page.locator("main"))


def test_simulator_shows_a_hostile_conversation_and_typed_text_as_text(hostile, browse):
    page = browse()
    page.goto("/simulator")
    page.locator("#number").fill(CITIZENS[1][0])
    page.locator("#number").dispatch_event("change")
    chat = page.locator("#chat")
    expect(chat).to_contain_text(BODIES[1])
    page.locator("#text").fill(BODIES[0])
    page.get_by_role("button", name="Kirim").click()
    expect(chat.locator(".bubble.mine")).to_have_count(2)
    page.wait_for_timeout(3500)  # one more refresh (3 s) renders the chat again
    assert_inert(page, BODIES[1], BODIES[0], where=chat)
