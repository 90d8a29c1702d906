"""The pungli report flow on its own: starting, every step's answers, BATAL, expiry (no app)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from bot import dialogue, pungli
from bot.config import load_yaml
from bot.messages import SMS, WHATSAPP, Inbound, Media
from tests.test_dialogue import FAQ, FakeMatcher

WIB = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=WIB)  # a Tuesday
TODAY = NOW.date()
PHOTO = Media("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg")


@pytest.fixture
def settings() -> dialogue.Settings:
    return dialogue.Settings.from_config(load_yaml())


class Citizen:
    """Talks to the pure dialogue, carrying the flow state between messages like the store."""

    def __init__(self, settings, channel=WHATSAPP, now=NOW):
        self.settings, self.channel, self.now = settings, channel, now
        self.state = dialogue.State()
        self.turn: dialogue.Turn | None = None

    def say(self, text: str = "", media=(), after: dt.timedelta = dt.timedelta(0)) -> str:
        self.now += after
        message = Inbound(self.channel, "+6281234567890", "+62811", text, media=tuple(media))
        self.turn = dialogue.respond(
            message, self.state, FAQ, FakeMatcher(), self.settings, self.now
        )
        if self.turn.flow != dialogue.KEEP:
            self.state = replace(
                self.state, flow=self.turn.flow, flow_data=self.turn.flow_data or {}
            )
        return "\n".join(self.turn.replies)

    @property
    def step(self) -> str | None:
        return self.state.flow_data.get("step") if self.state.flow == "pungli" else None

    @property
    def draft(self) -> dict:
        return self.state.flow_data.get("draft", {})


# Good answers, step by step, from LAPOR to the summary.
GOOD = [
    ("what", "Petugas loket minta 100rb supaya KTP cepat jadi"),
    ("where", "2"),
    ("place_detail", "Kecamatan Ilir Barat I"),
    ("when", "kemarin"),
    ("amount", "100rb"),
    ("evidence", "LEWATI"),
    ("anonymity", "1"),
]


def reach(citizen: Citizen, step: str) -> None:
    """Answer the flow until it asks `step`."""
    citizen.say("LAPOR")
    for name, answer in GOOD:
        if name == step:
            break
        assert citizen.step == name
        citizen.say(answer)
    assert citizen.step == step


# ---------------------------------------------------------------- starting


def test_lapor_starts_with_reassurance_and_the_first_question(settings):
    citizen = Citizen(settings)
    reply = citizen.say("lapor")
    assert "rahasia" in reply and "BATAL" in reply
    assert "Apa yang terjadi" in reply
    assert citizen.step == "what"
    assert citizen.turn.meta["confidential"] is True


def test_lapor_pungli_entry_from_the_menu_starts_the_report(settings):
    citizen = Citizen(settings)
    citizen.state = dialogue.State(options=("biaya", "lapor-pungli"))
    reply = citizen.say("2")
    assert citizen.step == "what" and "Apa yang terjadi" in reply


@pytest.mark.parametrize(
    "text",
    [
        "tadi diminta 50rb buat ktp",
        "sy dimintain uang seratus ribu sama oknum di kecamatan",
        "petugas minta Rp 200.000 biar ktp cepet jadi",
        "orang kelurahan narik 100rb buat pengantar",
        "aku dimintak duit 150 ribu samo petugas",
        "disuruh bayar 300rb ke calo",
    ],
)
def test_money_demand_is_recognised(settings, text):
    assert pungli.is_money_demand(text, settings.pungli)


@pytest.mark.parametrize(
    "text",
    [
        "berapa biaya bikin ktp",
        "bayar berapa buat akta",
        "ktp saya hilang",
        "minta formulir f1.02",
        "saya punya uang 50rb",
    ],
)
def test_fee_questions_are_not_money_demands(settings, text):
    assert not pungli.is_money_demand(text, settings.pungli)


def test_money_demand_asks_first_and_says_the_service_is_free(settings):
    citizen = Citizen(settings)
    reply = citizen.say("tadi diminta 50rb buat ktp")
    assert "Apakah Anda ingin melaporkan pungutan liar?" in reply
    assert "GRATIS" in reply and "1" in reply and "2" in reply
    assert citizen.step == "confirm"
    assert citizen.turn.meta["confidential"] is True


def test_yes_to_a_money_demand_keeps_what_was_said_and_the_amount(settings):
    citizen = Citizen(settings)
    citizen.say("tadi diminta 50rb buat ktp")
    reply = citizen.say("1")
    assert "Terima kasih sudah berani melapor" in reply
    assert citizen.step == "where"
    assert citizen.draft["what"] == "tadi diminta 50rb buat ktp"
    assert citizen.draft["amount"] == 50_000
    for answer in ("kecamatan", "lewati", "kemarin", "lewati"):
        citizen.say(answer)
    assert citizen.step == "anonymity"  # the amount was not asked again


@pytest.mark.parametrize("answer", ["2", "tidak", "ga"])
def test_no_to_a_money_demand_files_nothing(settings, answer):
    citizen = Citizen(settings)
    citizen.say("tadi diminta 50rb buat ktp")
    reply = citizen.say(answer)
    assert "GRATIS" in reply and "LAPOR" in reply
    assert citizen.state.flow is None and citizen.state.flow_data == {}
    assert not citizen.turn.effects


# ---------------------------------------------------------------- the whole flow


def test_good_answers_lead_to_a_summary_and_filing(settings):
    citizen = Citizen(settings)
    reach(citizen, "anonymity")
    summary = citizen.say("rahasiakan identitas saya")
    assert citizen.step == "summary"
    assert "Petugas loket minta 100rb" in summary
    assert "Kantor kecamatan — Kecamatan Ilir Barat I" in summary
    assert "23 November 2026" in summary
    assert "Rp100.000" in summary
    assert "dirahasiakan" in summary
    reply = citizen.say("1")
    assert pungli.CODE in reply and "CEK" in reply
    assert citizen.state.flow is None
    (effect,) = citizen.turn.effects
    assert isinstance(effect, pungli.FileReport)
    assert effect.draft["anonymous"] is True
    assert effect.draft["happened_on"] == "2026-11-23"
    assert effect.draft["amount"] == 100_000


def test_filed_reply_gives_todays_channels_and_never_saber_pungli(settings):
    text = settings.pungli.text("filed")
    for channel in ("lapor.go.id", "1708", "137", "0821-3737-3737", "1500537"):
        assert channel in text
    everything = str(load_yaml()["pungli"]).lower()
    for gone in ("saber", "1193", "saberpungli"):
        assert gone not in everything


def test_named_reporter_is_asked_for_a_name(settings):
    citizen = Citizen(settings)
    reach(citizen, "anonymity")
    citizen.say("2")
    assert citizen.step == "name"
    summary = citizen.say("Budi Santoso")
    assert "Budi Santoso (nama dan nomor disertakan)" in summary
    citizen.say("1")
    assert citizen.turn.effects[0].draft["anonymous"] is False
    assert citizen.turn.effects[0].draft["name"] == "Budi Santoso"


def test_skips_are_accepted_where_offered(settings):
    citizen = Citizen(settings)
    citizen.say("LAPOR")
    for answer in ("ada calo minta uang di depan kantor", "5", "lewati", "lupa", "gak tau",
                   "lewati", "1"):  # fmt: skip
        citizen.say(answer)
    assert citizen.step == "summary"
    assert citizen.draft["happened_on"] is None and citizen.draft["amount"] is None
    assert "tidak disebutkan" in citizen.turn.replies[0]


def test_place_in_words_with_its_name_skips_the_name_question(settings):
    citizen = Citizen(settings)
    reach(citizen, "where")
    citizen.say("di kantor kelurahan Sukajaya")
    assert citizen.draft["place"] == "desa"
    assert citizen.draft["place_detail"] == "di kantor kelurahan Sukajaya"
    assert citizen.step == "when"


def test_ulangi_starts_again_from_the_first_question(settings):
    citizen = Citizen(settings)
    reach(citizen, "anonymity")
    citizen.say("1")
    citizen.say("2")
    assert citizen.step == "what" and citizen.draft == {}


# ---------------------------------------------------------------- bad answers


BAD = {
    "what": ("??", "Contoh: _Petugas loket"),
    "where": ("9", "Contoh: balas *2*"),
    "place_detail": ("x", "Contoh: _Kecamatan"),
    "when": ("besok", "Contoh: _kemarin_"),
    "amount": ("banyak sekali", "Contoh: _50rb_"),
    "evidence": ("mungkin", "ketik *SELESAI*"),
    "anonymity": ("3", "Balas *1* (rahasiakan"),
    "summary": ("hmm", "Balas *1* untuk mengirim"),
}


@pytest.mark.parametrize("step", sorted(BAD))
def test_bad_answer_is_asked_again_with_an_example(settings, step):
    citizen = Citizen(settings)
    reach(citizen, step)
    before = dict(citizen.draft)
    text, example = BAD[step]
    reply = citizen.say(text)
    assert citizen.step == step
    assert reply.startswith("Maaf, jawaban itu belum bisa kami baca.")
    assert example in reply
    assert "PETUGAS" not in reply
    assert citizen.draft == before


@pytest.mark.parametrize("step", sorted(BAD))
def test_third_bad_answer_offers_an_officer(settings, step):
    citizen = Citizen(settings)
    reach(citizen, step)
    text, _ = BAD[step]
    citizen.say(text)
    citizen.say(text)
    reply = citizen.say(text)
    assert "PETUGAS" in reply and "BATAL" in reply
    assert citizen.step == step


def test_a_good_answer_resets_the_tries(settings):
    citizen = Citizen(settings)
    reach(citizen, "where")
    citizen.say("9")
    citizen.say("9")
    citizen.say("2")
    citizen.say("lewati")
    assert "PETUGAS" not in citizen.say("besok")


def test_bad_confirm_answer_is_asked_again(settings):
    citizen = Citizen(settings)
    citizen.say("tadi diminta 50rb buat ktp")
    reply = citizen.say("apa maksudnya")
    assert citizen.step == "confirm" and "Balas *1* (Ya)" in reply


def test_petugas_leaves_the_report_for_an_officer_and_keeps_the_draft(settings):
    citizen = Citizen(settings)
    reach(citizen, "when")
    citizen.say("petugas")
    assert citizen.turn.open_ticket == "handoff"
    assert citizen.state.flow is None
    assert citizen.state.flow_data["pungli_draft"]["draft"]["place"] == "kecamatan"
    assert not citizen.turn.meta.get("confidential")  # only the PETUGAS message is seen


# ---------------------------------------------------------------- BATAL


@pytest.mark.parametrize("step", [name for name, _ in GOOD] + ["name", "summary", "confirm"])
def test_batal_at_any_step_cancels_the_report(settings, step):
    citizen = Citizen(settings)
    if step == "confirm":
        citizen.say("tadi diminta 50rb buat ktp")
    elif step == "name":
        reach(citizen, "anonymity")
        citizen.say("2")
    elif step == "summary":
        reach(citizen, "anonymity")
        citizen.say("1")
    else:
        reach(citizen, step)
    assert citizen.step == step
    reply = citizen.say("BATAL")
    assert "dibatalkan" in reply
    assert citizen.state.flow is None and citizen.state.flow_data == {}
    assert not citizen.turn.effects
    assert citizen.turn.meta["confidential"] is True
    # Nothing is kept: LAPOR starts afresh.
    citizen.say("LAPOR")
    assert citizen.step == "what"


# ---------------------------------------------------------------- expiry


def test_report_left_half_way_expires_and_keeps_the_draft(settings):
    citizen = Citizen(settings)
    reach(citizen, "when")
    reply = citizen.say("kemarin", after=dt.timedelta(minutes=31))
    assert "draf" in reply and "LAPOR" in reply
    assert citizen.state.flow is None
    kept = citizen.state.flow_data["pungli_draft"]
    assert kept["draft"]["what"] == GOOD[0][1]
    assert citizen.turn.meta["confidential"] is True  # the late answer is not shown to officers


def test_answer_within_the_time_does_not_expire(settings):
    citizen = Citizen(settings)
    reach(citizen, "when")
    citizen.say("kemarin", after=dt.timedelta(minutes=29))
    assert citizen.step == "amount"


def test_lapor_after_expiry_offers_to_continue_the_draft(settings):
    citizen = Citizen(settings)
    reach(citizen, "when")
    citizen.say("halo", after=dt.timedelta(hours=2))
    reply = citizen.say("LAPOR")
    assert "belum selesai" in reply and citizen.step == "resume"
    reply = citizen.say("1")
    assert citizen.step == "when" and "Kapan" in reply
    assert citizen.draft["place"] == "kecamatan"


def test_lapor_after_expiry_can_start_anew(settings):
    citizen = Citizen(settings)
    reach(citizen, "when")
    citizen.say("halo", after=dt.timedelta(hours=2))
    citizen.say("LAPOR")
    citizen.say("2")
    assert citizen.step == "what" and citizen.draft == {}


def test_kept_draft_is_forgotten_after_the_keep_days(settings):
    citizen = Citizen(settings)
    reach(citizen, "when")
    citizen.say("halo", after=dt.timedelta(hours=2))
    citizen.say("LAPOR", after=dt.timedelta(days=8))
    assert citizen.step == "what"


# ---------------------------------------------------------------- evidence


def test_photos_at_the_evidence_step_are_collected_until_selesai(settings):
    citizen = Citizen(settings)
    reach(citizen, "evidence")
    assert "Kirim foto" in citizen.turn.replies[0]
    reply = citizen.say(media=[PHOTO])
    assert "Bukti diterima (1/5)" in reply and citizen.step == "evidence"
    voice = Media(PHOTO.url.replace("ME1", "ME2"), "audio/ogg")
    citizen.say(media=[voice])
    citizen.say("selesai")
    assert citizen.step == "anonymity"
    assert [e["content_type"] for e in citizen.draft["evidence"]] == ["image/jpeg", "audio/ogg"]


def test_photo_with_a_caption_is_evidence_not_a_bad_answer(settings):
    citizen = Citizen(settings)
    reach(citizen, "evidence")
    reply = citizen.say("ini fotonya pak", media=[PHOTO])
    assert reply.startswith("Bukti diterima (1/5)") and citizen.step == "evidence"
    reply = citizen.say("selesai", media=[Media(PHOTO.url + "2", "image/png")])
    assert "Bukti diterima (2/5)" in reply and "Identitas Anda" in reply
    assert citizen.step == "anonymity"


def test_evidence_type_not_allowed_is_refused(settings):
    citizen = Citizen(settings)
    reach(citizen, "evidence")
    reply = citizen.say(media=[Media(PHOTO.url, "video/mp4")])
    assert "tidak bisa kami terima" in reply
    assert citizen.draft.get("evidence") == []


def test_evidence_is_capped(settings):
    citizen = Citizen(settings)
    reach(citizen, "evidence")
    for i in range(6):
        reply = citizen.say(media=[Media(f"{PHOTO.url}{i}", "image/jpeg")])
    assert "batas maksimal" in reply
    assert len(citizen.draft["evidence"]) == 5


def test_photo_sent_early_is_kept_and_the_question_repeated(settings):
    citizen = Citizen(settings)
    reach(citizen, "where")
    reply = citizen.say(media=[PHOTO])
    assert "kami simpan" in reply and "Di mana kejadiannya" in reply
    assert citizen.step == "where" and len(citizen.draft["evidence"]) == 1


def test_sms_evidence_step_says_media_cannot_come_by_sms(settings):
    citizen = Citizen(settings, channel=SMS)
    reach(citizen, "evidence")
    reply = citizen.turn.replies[0]
    assert "SMS" in reply and "tidak bisa menerima foto" in reply and "*" not in reply
    citizen.say("lanjut")
    assert citizen.step == "anonymity"


# ---------------------------------------------------------------- CEK


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CEK PGL-4K7Q2M", "PGL-4K7Q2M"),
        ("cek pgl-4k7q2m", "PGL-4K7Q2M"),
        ("cek pgl4k7q", "PGL-4K7Q"),
        ("Cek PGL 4K7Q2M", "PGL-4K7Q2M"),
        ("PGL-4K7Q2M", "PGL-4K7Q2M"),
        ("cek status ktp", None),
        ("cek TK-000012", None),
        ("pgl", None),
    ],
)
def test_cek_reads_the_tracking_code(settings, text, code):
    assert pungli.check_code(text, settings.pungli) == code


def test_cek_turn_is_confidential_and_answered_by_the_effect(settings):
    citizen = Citizen(settings)
    reply = citizen.say("CEK PGL-4K7Q2M")
    assert reply == pungli.CHECK
    (effect,) = citizen.turn.effects
    assert isinstance(effect, pungli.CheckReport) and effect.code == "PGL-4K7Q2M"
    assert citizen.turn.meta["confidential"] is True


def test_lapor_and_cek_work_even_while_an_officer_holds_a_ticket(settings):
    citizen = Citizen(settings)
    citizen.state = dialogue.State(ticket_number="TK-000001", ticket_claimed=True)
    citizen.say("LAPOR")
    assert citizen.step == "what" and not citizen.turn.join_ticket
    citizen.say("BATAL")
    citizen.say("cek PGL-4K7Q2M")
    assert not citizen.turn.join_ticket and citizen.turn.effects


# ---------------------------------------------------------------- dates and amounts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kemarin", dt.date(2026, 11, 23)),
        ("kmrn sore", dt.date(2026, 11, 23)),
        ("tadi pagi", TODAY),
        ("hari ini", TODAY),
        ("barusan", TODAY),
        ("kemarin lusa", dt.date(2026, 11, 22)),
        ("14/7", dt.date(2026, 7, 14)),
        ("14-07-2025", dt.date(2025, 7, 14)),
        ("14/7/26", dt.date(2026, 7, 14)),
        ("14 Juli", dt.date(2026, 7, 14)),
        ("tgl 14 juli 2025", dt.date(2025, 7, 14)),
        ("3 agt", dt.date(2026, 8, 3)),
        ("2 hari lalu", dt.date(2026, 11, 22)),
        ("dua hari yang lalu", dt.date(2026, 11, 22)),
        ("minggu lalu", dt.date(2026, 11, 17)),
        ("seminggu yg lalu", dt.date(2026, 11, 17)),
        ("sebulan lalu", dt.date(2026, 10, 25)),
        ("senin", dt.date(2026, 11, 23)),
        ("hari jumat", dt.date(2026, 11, 20)),
        ("25/12", dt.date(2025, 12, 25)),  # no year: never in the future
        ("25 desember", dt.date(2025, 12, 25)),
    ],
)
def test_dates_are_read_relative_to_today(text, expected):
    assert pungli.parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["besok", "lusa", "1/12/2026", "31/2", "32 juli", "entah", ""])
def test_unreadable_or_future_dates_are_refused(text):
    assert pungli.parse_date(text, TODAY) is None


def test_dates_use_jakarta_time_not_utc(settings):
    # 18.30 UTC on the 24th is already 01.30 WIB on the 25th: "kemarin" is the 24th.
    late = dt.datetime(2026, 11, 24, 18, 30, tzinfo=dt.UTC)
    citizen = Citizen(settings, now=late)
    reach(citizen, "when")
    citizen.say("kemarin")
    assert citizen.draft["happened_on"] == "2026-11-24"


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("50rb", 50_000),
        ("Rp 50.000", 50_000),
        ("rp50.000,-", 50_000),
        ("seratus ribu", 100_000),
        ("dua ratus lima puluh ribu", 250_000),
        ("1,5 juta", 1_500_000),
        ("150000", 150_000),
        ("diminta 75 ribu", 75_000),
    ],
)
def test_amounts_are_read(text, amount):
    assert pungli.parse_amount(text) == amount


@pytest.mark.parametrize("text", ["banyak", "50", "lima"])
def test_unreadable_amounts_are_refused(text):
    assert pungli.parse_amount(text) is None


def test_amounts_and_dates_are_shown_the_indonesian_way():
    assert pungli.format_amount(1_500_000) == "Rp1.500.000"
    assert pungli.format_date(dt.date(2026, 7, 14)) == "14 Juli 2026"
