"""Knowing the citizen's office in the dialogue: when it is asked, how the answer is read,
local facts in answers, and the office's hours in "when to expect a reply" (pure)."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import replace

import pytest
import yaml

from bot import dialogue, office_flow
from bot import matcher as matching
from bot.config import ROOT, load_yaml
from bot.knowledge import Entry, Faq
from bot.messages import WHATSAPP, Inbound
from bot.offices import load_offices, parse_offices

WIB = dt.timezone(dt.timedelta(hours=7))
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=WIB)
CONFIG = load_yaml()
DIRECTORY = load_offices(ROOT / "offices.yaml", CONFIG["office"])
RAW = yaml.safe_load((ROOT / "offices.yaml").read_text(encoding="utf-8"))

ENTRIES = {
    e.id: e
    for e in [
        Entry("salam", "Halo", ("halo",), "(menu)"),
        Entry("biaya", "Biaya?", ("biaya",), "Semua *GRATIS*."),
        Entry("ektp-hilang", "KTP hilang?", ("ktp hilang",), "Bawa surat kehilangan."),
        Entry(
            "lokasi-kantor",
            "Alamat?",
            ("alamat",),
            "*{office_name}*\nAlamat: {office_address}\nTelepon: {office_phone}",
        ),
        Entry("blangko", "Blangko?", ("blangko",), "Stok blangko: {blank_stock}."),
        Entry("jam-layanan", "Jam?", ("jam buka",), "Jam {office_name}:\n{office_hours}"),
    ]
}
FAQ = Faq(entries=tuple(ENTRIES.values()))


def answer(entry_id: str) -> matching.Answer:
    top = matching.Candidate(ENTRIES[entry_id], 95, "mirip")
    return matching.Answer(top, (top,))


class FakeMatcher:
    def __init__(self, results=None):
        self.results = results or {}

    def match(self, text):
        return self.results.get(text, matching.Escalate((), "tidak ada yang mirip"))


RESULTS = {
    "biaya": answer("biaya"),
    "alamat": answer("lokasi-kantor"),
    "blangko": answer("blangko"),
    "jam buka": answer("jam-layanan"),
    "plg, ktp hilang": answer("ektp-hilang"),
}


def directory_with(**changes):
    """Return the shipped directory with some offices' fields changed."""
    raw = copy.deepcopy(RAW)
    for office_id, fields in changes.items():
        office = next(o for o in raw["offices"] if o["id"] == office_id)
        office.update(fields)
    return parse_offices(raw, CONFIG["office"])


@pytest.fixture
def settings() -> dialogue.Settings:
    return replace(dialogue.Settings.from_config(CONFIG), offices=DIRECTORY)


def say(text, settings, state=None, now=TUESDAY_10):
    message = Inbound(channel=WHATSAPP, sender="+6281234567890", recipient="+62811", body=text)
    state = state or dialogue.State()
    return dialogue.respond(message, state, FAQ, FakeMatcher(RESULTS), settings, now)


def after(turn, state=None, office_id=None):
    """Return the state the next message sees after a turn (as bot.conversations keeps it)."""
    state = state or dialogue.State()
    if turn.flow != dialogue.KEEP:
        state = replace(state, flow=turn.flow, flow_data=turn.flow_data or {})
    if turn.options is not None:
        state = replace(state, options=turn.options)
    asked = any(isinstance(e, office_flow.MarkAsked) for e in turn.effects)
    if asked:
        state = replace(state, office_asked_at=TUESDAY_10.isoformat())
    chosen = [e.office_id for e in turn.effects if isinstance(e, office_flow.SetOffice)]
    return replace(state, office_id=chosen[-1] if chosen else office_id or state.office_id)


ASK = "Anda tinggal di kabupaten/kota mana?"


def test_an_escalation_opens_the_ticket_then_asks_the_office(settings):
    turn = say("anak saya mau sekolah di luar negeri", settings)
    assert turn.open_ticket == "escalated"  # the question is never lost
    assert ASK in turn.replies[-1]
    # A short numbered list of the 17: a digit picks.
    assert "1. Kota Palembang" in turn.replies[-1]
    assert "17. " in turn.replies[-1] and "18. " not in turn.replies[-1]
    assert turn.flow == office_flow.FLOW and turn.options == ()


def test_an_answer_without_local_facts_does_not_ask(settings):
    turn = say("biaya", settings)
    assert len(turn.replies) == 1 and ASK not in turn.replies[0]
    assert turn.flow == dialogue.KEEP


def test_a_known_office_is_never_asked(settings):
    turn = say("anak saya mau sekolah", settings, dialogue.State(office_id="lahat"))
    assert turn.open_ticket and not any(ASK in r for r in turn.replies)


def test_a_district_number_is_never_asked(settings):
    state = dialogue.State(office_id="oki", district=True)
    assert not any(ASK in r for r in say("alamat", settings, state).replies)


@pytest.mark.parametrize(
    "reply, office_id",
    [
        ("plg", "palembang"),
        ("saya tinggal di Muba kak", "musi-banyuasin"),
        ("OKU Timur", "oku-timur"),
        ("lubuk lingau", "lubuklinggau"),
        ("PALI", "pali"),
        ("2", "lubuklinggau"),
        ("17", None),
    ],
)
def test_the_answer_is_read_from_names_abbreviations_typos_and_digits(settings, reply, office_id):
    first = say("anak saya mau sekolah", settings)
    expected = office_id or DIRECTORY.offices[16].id
    turn = say(reply, settings, after(first, dialogue.State(ticket_number="TK-000001")))
    assert [e.office_id for e in turn.effects if isinstance(e, office_flow.SetOffice)] == [expected]
    assert turn.flow is None and turn.join_ticket  # the officer sees the answer in the ticket
    assert "Ketik *GANTI KOTA*" in turn.replies[0]


def test_a_local_answer_gives_the_general_fact_then_the_local_one(settings):
    directory = directory_with(
        lahat={
            "address": "Jl. Contoh No. 1",
            "blank_stock": {"status": "habis", "updated": dt.date(2026, 11, 20)},
        }
    )
    settings = replace(settings, offices=directory)
    first = say("blangko", settings)
    assert first.replies[0].startswith("Stok blangko: berbeda di setiap kabupaten/kota.")
    assert "Agar kami bisa memberi info kantor terdekat" in first.replies[1]
    second = say("lahat", settings, after(first))
    assert "Stok blangko: sedang habis (data per 20/11/2026)." in second.replies[1]
    # Once known, the local fact comes at once and nothing is asked.
    third = say("alamat", settings, after(second))
    assert third.replies == (third.replies[0],) and "Alamat: Jl. Contoh No. 1" in third.replies[0]
    assert "*Disdukcapil Kabupaten Lahat*" in third.replies[0]


def test_a_missing_fact_is_said_missing_never_invented(settings):
    turn = say("alamat", settings, dialogue.State(office_id="pali"))
    assert "Alamat: belum tersedia di data kami" in turn.replies[0]
    assert "Telepon: belum tersedia di data kami" in turn.replies[0]


def test_office_phone_and_whatsapp_are_both_given_when_known(settings):
    settings = replace(
        settings, offices=directory_with(oki={"phone": "0712-000", "whatsapp": "0812-000"})
    )
    turn = say("alamat", settings, dialogue.State(office_id="oki"))
    assert "Telepon: 0712-000 / WhatsApp 0812-000" in turn.replies[0]


def test_an_unrecognised_reply_is_answered_as_usual_and_not_asked_again_soon(settings):
    first = say("blangko", settings)
    state = after(first)
    turn = say("biaya", settings, state)
    assert turn.replies[0].startswith("Semua *GRATIS*") and turn.flow is None
    state = after(turn, state)
    again = say("blangko", settings, state)
    assert not any(ASK in r for r in again.replies)
    # After `ask_again_hours` it is asked again.
    later = say("blangko", settings, state, now=TUESDAY_10 + dt.timedelta(hours=25))
    assert ASK in later.replies[-1]


def test_a_question_in_the_same_reply_is_answered_too(settings):
    first = say("blangko", settings)
    turn = say("plg, ktp hilang", settings, after(first))
    assert any("Bawa surat kehilangan." in r for r in turn.replies)
    assert [e.office_id for e in turn.effects if isinstance(e, office_flow.SetOffice)] == [
        "palembang"
    ]


def test_two_offices_named_are_asked_again_as_a_choice(settings):
    first = say("blangko", settings)
    turn = say("oku atau oki", settings, after(first))
    assert "Maksud Anda yang mana?" in turn.replies[0]
    assert "1. Kab. Ogan Komering Ulu" in turn.replies[0]
    chosen = say("2", settings, after(turn))
    assert [e.office_id for e in chosen.effects if isinstance(e, office_flow.SetOffice)] == ["oki"]


@pytest.mark.parametrize("text", ["ganti kota", "GANTI KABUPATEN", "ganti kota, prabumulih"])
def test_ganti_kota_changes_the_office(settings, text):
    state = dialogue.State(office_id="lahat", office_asked_at=TUESDAY_10.isoformat())
    turn = say(text, settings, state)
    if "prabumulih" in text:
        assert [e.office_id for e in turn.effects if isinstance(e, office_flow.SetOffice)] == [
            "prabumulih"
        ]
        return
    assert ASK in turn.replies[0] and turn.flow == office_flow.FLOW
    chosen = say("pagar alam", settings, after(turn, state))
    assert [e.office_id for e in chosen.effects if isinstance(e, office_flow.SetOffice)] == [
        "pagaralam"
    ]


def test_ganti_kota_on_a_district_number_explains_the_number(settings):
    turn = say("ganti kota", settings, dialogue.State(office_id="oki", district=True))
    assert "Nomor ini adalah layanan *Kab. Ogan Komering Ilir*" in turn.replies[0]
    assert not turn.effects


def test_a_pungli_draft_survives_the_office_question(settings):
    draft = {"pungli_draft": {"draft": {"what": "x"}, "at": TUESDAY_10.isoformat()}}
    first = say("blangko", settings, dialogue.State(flow_data=draft))
    assert first.flow_data["pungli_draft"] == draft["pungli_draft"]
    turn = say("biaya", settings, after(first, dialogue.State(flow_data=draft)))
    assert turn.flow_data == draft


def test_expect_line_uses_the_contacts_office_hours_and_holidays(settings):
    saturday_closed = directory_with(
        lahat={"hours": {"sat": "08:00-12:00"}, "holidays": [dt.date(2026, 11, 30)]}
    )
    settings = replace(settings, offices=saturday_closed)
    friday_night = dt.datetime(2026, 11, 27, 23, 59, tzinfo=WIB)
    lahat = say(
        "anak saya mau sekolah", settings, dialogue.State(office_id="lahat"), now=friday_night
    )
    assert "Sabtu 28/11 pukul 08.00" in lahat.replies[0]
    saturday_noon = dt.datetime(2026, 11, 28, 12, 0, tzinfo=WIB)
    # Next Saturday: Monday 30/11 is a holiday, Tuesday to Friday have no hours at Lahat.
    later = say(
        "anak saya mau sekolah", settings, dialogue.State(office_id="lahat"), now=saturday_noon
    )
    assert "Sabtu 05/12 pukul 08.00" in later.replies[0]
    # The province (unknown office) keeps config's Monday-Friday hours.
    general = say("anak saya mau sekolah", settings, now=friday_night)
    assert "Senin 30/11 pukul 08.00" in general.replies[0]
