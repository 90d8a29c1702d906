"""The learning loop through HTTP: what citizens asked and the bot missed, grouped with counts;
one click makes a message a variant, or starts an entry from the citizens' words and the
officer's reply; pungli reports never show."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from bot import examples as learning
from bot import language, store
from tests.conftest import add_user, citizen_says, latest_ticket_id, login
from tests.test_faq_editor import app, faq_folder, form_of, post  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("quick_logins")

OJOL = [
    ("+6281311110001", "bolehkah titip berkas lewat jasa kurir"),
    ("+6281311110002", "boleh titip berkas ke jasa kurir ga"),
    ("+6281311110003", "bisa ga titip berkas via jasa kurir"),
]
REPLY = "Boleh, asal ada surat kuasa bermeterai dan fotokopi KTP-el pemberi kuasa."


@pytest.fixture
def missed_questions(app, client, helpdesk):  # noqa: F811 - the FAQ-copy app
    """Three citizens ask the same unknown question; an officer answers the first."""
    add_user(helpdesk, "sari", "officer", "editor")
    login(client, "sari")
    for number, text in OJOL:
        citizen_says(client, text, number=number)
    ticket = latest_ticket_id(helpdesk, OJOL[0][0])
    post(client, f"/console/tickets/{ticket}/claim")
    post(client, f"/console/tickets/{ticket}/reply", body=REPLY)
    post(client, f"/console/tickets/{ticket}/close", resolution="dijawab")
    return client


def message_ids(helpdesk, text: str) -> list[int]:
    with helpdesk.store.session() as session:
        return session.scalars(
            select(store.Message.id).where(
                store.Message.body == text, store.Message.direction == "in"
            )
        ).all()


def test_missed_questions_are_grouped_with_count_dates_and_the_officers_reply(
    missed_questions, helpdesk
):
    html = unescape(missed_questions.get("/console/faq/missed").get_data(as_text=True))
    groups = re.findall(r'<article class="missed-group"[^>]*data-count="(\d+)"', html)
    assert "3" in groups
    start = html.index(f"“{OJOL[0][1]}”")
    group = html[start : html.index("</article>", start)]
    assert "3×" in group and "3 diteruskan ke petugas" in group
    for _, text in OJOL:
        assert text in group
    assert REPLY in group
    assert group.count("Tambah sebagai varian") == 3


def test_pungli_reports_never_appear_in_the_learning_loop(missed_questions, client, helpdesk):
    secret = "petugas loket kecamatan minta 75rb supaya kk cepat jadi"
    citizen_says(client, "lapor", number="+6281399990000")
    citizen_says(client, secret, number="+6281399990000")
    with helpdesk.store.session() as session:
        kinds = session.scalars(
            select(store.Message.kind).where(store.Message.body == secret)
        ).all()
    assert kinds == ["pungli"]
    html = unescape(client.get("/console/faq/missed?show=all").get_data(as_text=True))
    assert "75rb" not in html and "loket kecamatan" not in html


def test_one_click_adds_a_message_as_a_variant_and_the_bot_answers_it(
    missed_questions,
    client,
    helpdesk,
    faq_folder,  # noqa: F811
):
    [message_id] = message_ids(helpdesk, OJOL[1][1])
    response = post(
        client,
        "/console/faq/missed/variant",
        message_id=str(message_id),
        entry_id="surat-pengantar",
    )
    assert response.status_code == 302
    page = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert f'"{OJOL[1][1]}" ditambahkan sebagai varian surat-pengantar.' in page
    assert f"      - {OJOL[1][1]}\n" in (faq_folder / "ektp.yaml").read_text()
    [change] = _changes(helpdesk)
    assert (change.action, change.entry_id) == ("edit", "surat-pengantar")
    reply = citizen_says(client, OJOL[1][1], number="+6281311119999").get_data(as_text=True)
    with helpdesk.store.session() as session:
        meta = session.scalars(
            select(store.Message.meta)
            .where(store.Message.body == OJOL[1][1])
            .order_by(store.Message.id.desc())
            .limit(1)
        ).one()
    assert meta["outcome"] == "answer" and meta["entry"] == "surat-pengantar"
    assert "Nomor tiket" not in reply


def test_a_pungli_message_cannot_be_made_a_variant(missed_questions, client, helpdesk):
    citizen_says(client, "lapor", number="+6281399990000")
    citizen_says(client, "calo minta 100rb", number="+6281399990000")
    [message_id] = message_ids(helpdesk, "calo minta 100rb")
    before = _changes(helpdesk)
    response = post(
        client, "/console/faq/missed/variant", message_id=str(message_id), entry_id="biaya"
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tidak bisa dijadikan varian" in page
    assert _changes(helpdesk) == before


def test_a_group_starts_a_new_entry_with_the_citizens_words_and_the_officers_reply(
    missed_questions, client, helpdesk
):
    html = unescape(client.get("/console/faq/missed").get_data(as_text=True))
    link = re.search(r'href="(/console/faq/new\?messages=[\d%C,]+)"', html).group(1)
    form = unescape(client.get(unescape(link)).get_data(as_text=True))
    assert f'name="question" value="{OJOL[0][1]}"' in form
    variants = re.search(r'name="variants"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    assert variants.split("\n") == [OJOL[1][1], OJOL[2][1]]
    answer = re.search(r'name="answer"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    assert answer == REPLY

    # The editor adds an id and saves; the group is now answered and leaves the open list.
    response = post(
        client,
        "/console/faq/new",
        id="titip-berkas",
        question=OJOL[0][1],
        variants=variants,
        answer=answer,
        action="answer",
        source="Disdukcapil",
        file="layanan.yaml",
    )
    assert response.status_code == 302
    assert helpdesk.library.faq.get("titip-berkas") is not None
    open_list = unescape(client.get("/console/faq/missed").get_data(as_text=True))
    assert f"“{OJOL[0][1]}”" not in open_list
    everything = unescape(client.get("/console/faq/missed?show=all").get_data(as_text=True))
    assert "sekarang dijawab: titip-berkas" in everything


def _changes(helpdesk) -> list[store.FaqChange]:
    with helpdesk.store.session() as session:
        return session.scalars(select(store.FaqChange).order_by(store.FaqChange.id)).all()


def test_the_group_link_needs_the_editor_role(app, client, helpdesk):  # noqa: F811
    add_user(helpdesk, "budi", "officer")
    login(client, "budi")
    assert client.get("/console/faq/missed").status_code == 403


# ---------------------------------------------------------------- teaching the bot

LEARNED = "learned_cases.yaml"


def chance(helpdesk, text: str, entry_id: str) -> float:
    """The served second opinion's probability that `entry_id` answers `text`."""
    matcher = helpdesk.library.matcher
    tokens = matcher._tokens(language.words(text, matcher.lexicon, merge=False))
    return matcher.model.probabilities(tokens)[entry_id]


def teach(client, message_id: int, entry_id: str) -> str:
    """Press "Ajari bot" for a message with an entry chosen; return the page it leads to."""
    response = post(
        client, "/console/faq/missed/example", message_id=str(message_id), entry_id=entry_id
    )
    return unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def audits(helpdesk, action: str) -> list[store.AuditLog]:
    with helpdesk.store.session() as session:
        return session.scalars(select(store.AuditLog).where(store.AuditLog.action == action)).all()


def test_teaching_the_bot_writes_a_labelled_example_it_learns_from(
    missed_questions,
    client,
    helpdesk,
    faq_folder,  # noqa: F811
):
    text = OJOL[2][1]
    [message_id] = message_ids(helpdesk, text)
    examples_before = helpdesk.library.matcher.examples
    chance_before = chance(helpdesk, text, "surat-pengantar")
    page = teach(client, message_id, "surat-pengantar")
    assert "Contoh disimpan: pesan seperti ini dijawab oleh surat-pengantar." in page
    assert "diajarkan: surat-pengantar" in page
    assert learning.load_examples(faq_folder, [LEARNED]) == (
        learning.Example(text, "surat-pengantar"),
    )
    [row] = audits(helpdesk, "faq.example")
    assert (row.target_type, row.target_id) == ("message", str(message_id))
    assert row.detail["entry"] == "surat-pengantar" and row.detail["outcome"] == "added"
    assert text not in str(row.detail)  # the citizen's words stay in the file only
    # No change to the FAQ's entries: no entry history, the files check as before.
    assert _changes(helpdesk) == []

    helpdesk.library.reload()  # what the background load does within seconds
    assert helpdesk.library.matcher.examples == examples_before + 1
    assert chance(helpdesk, text, "surat-pengantar") > chance_before


def test_a_message_no_entry_answers_is_taught_as_one_for_an_officer_and_can_be_relabelled(
    missed_questions,
    client,
    helpdesk,
    faq_folder,  # noqa: F811
):
    [message_id] = message_ids(helpdesk, OJOL[0][1])
    page = teach(client, message_id, "-")
    assert "dijawab oleh petugas (tidak ada entri yang menjawab)" in page
    assert "expect: null" in (faq_folder / LEARNED).read_text(encoding="utf-8")
    assert learning.load_examples(faq_folder, [LEARNED]) == (
        learning.Example(OJOL[0][1], learning.NOBODY),
    )

    page = teach(client, message_id, "surat-pengantar")
    assert "Label contoh diganti" in page
    assert learning.load_examples(faq_folder, [LEARNED]) == (
        learning.Example(OJOL[0][1], "surat-pengantar"),
    )
    # A double click changes nothing, and says so.
    page = teach(client, message_id, "surat-pengantar")
    assert "Contoh ini sudah tersimpan dengan label surat-pengantar." in page
    assert len(learning.load_examples(faq_folder, [LEARNED])) == 1
    outcomes = [a.detail["outcome"] for a in audits(helpdesk, "faq.example")]
    assert outcomes == ["added", "relabelled"]


def test_a_taught_message_keeps_no_nik_or_phone_number(
    missed_questions,
    client,
    helpdesk,
    faq_folder,  # noqa: F811
):
    text = "titip berkas lewat kurir boleh? nik 1671011203900004, wa saya 0812-3456-7890"
    citizen_says(client, text, number="+6281311110009")
    [message_id] = message_ids(helpdesk, text)
    assert "Contoh disimpan" in teach(client, message_id, "surat-pengantar")
    written = (faq_folder / LEARNED).read_text(encoding="utf-8")
    assert "titip berkas lewat kurir" in written
    assert "1671011203900004" not in written and "3456" not in written
    assert "0004" in written and "7890" in written  # last digits, as officers see them


def test_a_pungli_message_or_an_unknown_entry_is_never_taught(
    missed_questions,
    client,
    helpdesk,
    faq_folder,  # noqa: F811
):
    citizen_says(client, "lapor", number="+6281399990000")
    citizen_says(client, "calo minta 100rb", number="+6281399990000")
    [secret] = message_ids(helpdesk, "calo minta 100rb")
    page = teach(client, secret, "biaya")
    assert "tidak bisa dijadikan contoh" in page
    [message_id] = message_ids(helpdesk, OJOL[0][1])
    page = teach(client, message_id, "paspor")
    assert "Entri paspor tidak ditemukan." in page
    assert not (faq_folder / LEARNED).exists() and audits(helpdesk, "faq.example") == []


def test_an_examples_file_the_matcher_does_not_read_is_refused(
    missed_questions,
    client,
    helpdesk,
    faq_folder,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setitem(helpdesk.config["faq_editor"], "learned_file", "learned.yaml")
    [message_id] = message_ids(helpdesk, OJOL[0][1])
    page = teach(client, message_id, "biaya")
    assert "berkas contoh learned.yaml tidak dibaca bot" in page
    assert not (faq_folder / "learned.yaml").exists()


def test_the_officer_choice_cannot_become_a_variant(missed_questions, client, helpdesk):
    [message_id] = message_ids(helpdesk, OJOL[0][1])
    response = post(client, "/console/faq/missed/variant", message_id=str(message_id), entry_id="-")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pilih entri untuk varian" in page
    assert _changes(helpdesk) == []
