"""The dialogue on its own: pure values in, replies and effects out (no app, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import dialogue
from bot import matcher as matching
from bot.config import load_yaml
from bot.knowledge import Entry, Faq
from bot.messages import SMS, WHATSAPP, Inbound, Media

WIB = dt.timezone(dt.timedelta(hours=7))
TUESDAY_10 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # office open
SATURDAY_10 = dt.datetime(2026, 11, 28, 10, 0, tzinfo=WIB)  # closed

ENTRIES = {
    e.id: e
    for e in [
        Entry("salam", "Halo", ("halo", "hai"), "(menu)"),
        Entry("ektp-rekam", "Syarat rekam KTP-el?", ("syarat ktp",), "*Syarat KTP-el*: bawa KK."),
        Entry("ektp-hilang", "KTP-el hilang?", ("ktp hilang",), "Bawa surat kehilangan."),
        Entry("biaya", "Berapa biayanya?", ("bayar berapa",), "Semua *GRATIS*."),
        Entry("jam-layanan", "Jam buka?", ("jam buka",), "{office_name} buka:\n{office_hours}"),
        Entry(
            "cek-status",
            "Dokumen saya sudah jadi?",
            ("sudah jadi",),
            "Petugas akan memeriksa.",
            action="handoff",
        ),
        Entry(
            "lapor-pungli",
            "Lapor pungli",
            ("lapor pungli",),
            "Laporkan di LAPOR!",
            action="report_pungli",
        ),
    ]
}
FAQ = Faq(entries=tuple(ENTRIES.values()))


def candidate(entry_id: str, score: float) -> matching.Candidate:
    return matching.Candidate(ENTRIES[entry_id], score, f"mirip {entry_id}")


class FakeMatcher:
    """Returns a prepared result per text and records what it was asked."""

    def __init__(self, results: dict[str, matching.Result] | None = None):
        self.results = results or {}
        self.asked: list[str] = []

    def match(self, text: str) -> matching.Result:
        self.asked.append(text)
        return self.results.get(text, matching.Escalate((), "tidak ada yang mirip"))


def answer(entry_id: str) -> matching.Answer:
    top = candidate(entry_id, 95)
    return matching.Answer(top, (top,))


@pytest.fixture
def settings() -> dialogue.Settings:
    return dialogue.Settings.from_config(load_yaml())


def say(text, settings, state=None, results=None, now=TUESDAY_10, channel=WHATSAPP, **inbound):
    index = FakeMatcher(results)
    message = Inbound(
        channel=channel, sender="+6281234567890", recipient="+62811", body=text, **inbound
    )
    return dialogue.respond(message, state or dialogue.State(), FAQ, index, settings, now)


def test_greeting_gets_welcome_and_numbered_menu(settings):
    turn = say("halo", settings, results={"halo": answer("salam")})
    (reply,) = turn.replies
    assert "Selamat datang" in reply
    assert "1. Syarat rekam KTP-el pertama" in reply
    assert turn.options == tuple(i for i, _ in settings.menu if i in ENTRIES)
    assert turn.open_ticket is None


def test_menu_options_only_name_entries_that_exist(settings):
    turn = say("menu", settings)
    assert set(turn.options) <= set(ENTRIES)
    assert turn.options[0] == "ektp-rekam"


def test_first_contact_gets_welcome_then_the_answer(settings):
    turn = say(
        "syarat ktp",
        settings,
        state=dialogue.State(is_new=True),
        results={"syarat ktp": answer("ektp-rekam")},
    )
    assert len(turn.replies) == 2
    assert "Selamat datang" in turn.replies[0]
    assert "Syarat KTP-el" in turn.replies[1]


def test_first_contact_greeting_is_welcomed_once(settings):
    turn = say(
        "halo", settings, state=dialogue.State(is_new=True), results={"halo": answer("salam")}
    )
    assert len(turn.replies) == 1


def test_clear_match_answers_with_menu_and_human_hint(settings):
    turn = say("syarat ktp", settings, results={"syarat ktp": answer("ektp-rekam")})
    (reply,) = turn.replies
    assert reply.startswith("*Syarat KTP-el*: bawa KK.")
    assert "MENU" in reply and "PETUGAS" in reply
    assert turn.meta["entry"] == "ektp-rekam" and turn.meta["outcome"] == "answer"


def test_two_questions_get_two_answers_then_the_hint_once(settings):
    first, second = candidate("ektp-hilang", 80), candidate("biaya", 60)
    result = matching.Answer(first, (first, second), also=(second,))
    turn = say("ktp hilang dan biayanya", settings, results={"ktp hilang dan biayanya": result})
    one, two = turn.replies
    assert one == "Bawa surat kehilangan."
    assert two.startswith("Semua *GRATIS*.") and "PETUGAS" in two
    assert (turn.meta["entry"], turn.meta["also"]) == ("ektp-hilang", ["biaya"])


def test_answer_placeholders_are_filled_from_config(settings):
    turn = say("jam buka", settings, results={"jam buka": answer("jam-layanan")})
    assert settings.office_name in turn.replies[0]
    assert "Senin: 08.00–15.00" in turn.replies[0]
    assert "{office" not in turn.replies[0]


def test_near_tie_offers_numbered_choice(settings):
    result = matching.Clarify((candidate("ektp-rekam", 75), candidate("ektp-hilang", 73)))
    turn = say("ktp", settings, results={"ktp": result})
    (reply,) = turn.replies
    assert reply.startswith("Maksud Anda:")
    assert "1. Syarat rekam KTP-el?" in reply and "2. KTP-el hilang?" in reply
    assert turn.options == ("ektp-rekam", "ektp-hilang")


def test_digit_picks_from_last_numbered_list(settings):
    state = dialogue.State(options=("ektp-rekam", "ektp-hilang"))
    turn = say("2", settings, state=state)
    assert turn.replies[0].startswith("Bawa surat kehilangan.")
    assert turn.meta == {"outcome": "choice", "entry": "ektp-hilang"}


def test_digit_out_of_range_is_explained(settings):
    turn = say("7", settings, state=dialogue.State(options=("ektp-rekam", "ektp-hilang")))
    assert "1 sampai 2" in turn.replies[0]


def test_digit_without_a_list_is_matched_as_text(settings):
    index_results = {"5": matching.Escalate((), "tidak ada")}
    turn = say("5", settings, results=index_results)
    assert turn.open_ticket == "escalated"


def test_no_match_opens_ticket_with_number_and_expectation(settings):
    turn = say("bagaimana cara bikin paspor", settings)
    assert turn.open_ticket == "escalated"
    (reply,) = turn.replies
    assert dialogue.TICKET in reply  # filled with the number by the service
    assert "Petugas sedang bertugas" in reply


def test_outside_office_hours_says_when_officers_reply(settings):
    turn = say("pertanyaan lain", settings, now=SATURDAY_10)
    assert "Senin 30/11 pukul 08.00 WIB" in turn.replies[0]


def test_petugas_opens_a_handoff_ticket(settings):
    turn = say("PETUGAS", settings)
    assert turn.open_ticket == "handoff"
    assert dialogue.TICKET in turn.replies[0]


def test_handoff_entry_answers_then_opens_ticket(settings):
    turn = say("sudah jadi", settings, results={"sudah jadi": answer("cek-status")})
    assert turn.open_ticket == "handoff"
    assert turn.replies[0] == "Petugas akan memeriksa."


def test_menu_works_in_any_case_and_punctuation(settings):
    turn = say("  Menu!! ", settings)
    assert "1. Syarat rekam KTP-el pertama" in turn.replies[0]


def test_lapor_word_starts_the_pungli_report(settings):
    turn = say("LAPOR", settings)
    assert turn.meta["command"] == "report"
    assert turn.flow == "pungli" and turn.flow_data["step"] == "what"
    assert "Apa yang terjadi" in turn.replies[0]


def test_batal_without_anything_to_cancel(settings):
    turn = say("batal", settings)
    assert "Tidak ada yang perlu dibatalkan" in turn.replies[0]
    assert turn.close_ticket is None


def test_batal_cancels_an_open_ticket(settings):
    turn = say("Batal", settings, state=dialogue.State(ticket_number="TK-000001"))
    assert turn.close_ticket
    assert "dibatalkan" in turn.replies[0]


def test_messages_join_an_open_ticket(settings):
    index = FakeMatcher()
    message = Inbound(WHATSAPP, "+62812", "+62811", "ini tambahan info")
    state = dialogue.State(ticket_number="TK-000007")
    turn = dialogue.respond(message, state, FAQ, index, settings, TUESDAY_10)
    assert turn.join_ticket and turn.open_ticket is None
    assert dialogue.TICKET in turn.replies[0]
    assert index.asked == []  # not matched: it is for the officer


def test_claimed_ticket_keeps_the_bot_quiet(settings):
    state = dialogue.State(ticket_number="TK-000007", ticket_claimed=True)
    for text in ("halo", "menu", "1", "syarat ktp"):
        turn = say(text, settings, state=state)
        assert turn.replies == ()
        assert turn.join_ticket


def test_media_only_message_is_acknowledged(settings):
    media = (Media("https://api.twilio.com/x", "image/webp"),)
    turn = say("", settings, media=media)
    assert "lampiran Anda sudah kami terima" in turn.replies[0]
    assert turn.open_ticket is None


def test_media_only_joins_open_ticket(settings):
    media = (Media("https://api.twilio.com/x", "audio/ogg"),)
    turn = say("", settings, state=dialogue.State(ticket_number="TK-1"), media=media)
    assert turn.join_ticket


def test_location_is_acknowledged(settings):
    turn = say("", settings, latitude=-2.97, longitude=104.77)
    assert "lokasi Anda" in turn.replies[0]


@pytest.mark.parametrize("body", ["", "   ", "\n"])
def test_empty_message_asks_for_text(settings, body):
    assert "Pesan Anda kosong" in say(body, settings).replies[0]


def test_long_story_goes_straight_to_an_officer(settings):
    turn = say("cerita " * 1000, settings, truncated=True)
    assert turn.open_ticket == "too_long"
    assert "sangat panjang" in turn.replies[0]


def test_sms_replies_have_no_whatsapp_markup(settings):
    turn = say("bayar berapa", settings, channel=SMS, results={"bayar berapa": answer("biaya")})
    assert "*" not in turn.replies[0]
    assert "Semua GRATIS." in turn.replies[0]


def test_dialogue_module_imports_neither_flask_nor_twilio():
    import subprocess
    import sys

    code = (
        "import sys, bot.dialogue, bot.matcher, bot.knowledge, bot.hours;"
        "print(any(m.split('.')[0] in ('flask', 'twilio') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
