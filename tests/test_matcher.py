"""The matcher answers only when one entry is clearly right, asks when a few are close,
and hands everything else to an officer."""

from __future__ import annotations

import dataclasses
import shutil

import numpy as np
import pytest
import yaml

from bot import evaluation, language
from bot import matcher as matcher_module
from bot.config import DEFAULT_CONFIG, ROOT
from bot.knowledge import Entry, Faq, load_faq
from bot.matcher import Answer, Clarify, Escalate, Matcher, Settings, to_json


def entry(id: str, question: str, *variants: str, tags: tuple = (), keywords: tuple = ()):
    return Entry(id, question, tuple(variants), "jawaban", tags=tags, keywords=keywords)


ENTRIES = (
    entry(
        "ektp-rekam",
        "Apa syarat rekam KTP-el pertama kali?",
        "syarat bikin ktp baru apa aja",
        "umur 17 mau rekam ektp bawa apa",
        "perekaman ktp pemula",
    ),
    entry(
        "ektp-hilang",
        "KTP-el saya hilang, bagaimana mengurusnya?",
        "ktp ilang gimana",
        "e-ktp hilang perlu surat polisi",
        "dompet kecopetan ktp ikut hilang",
    ),
    entry(
        "ektp-rusak",
        "KTP-el saya rusak, bagaimana menggantinya?",
        "ktp patah gimana",
        "chip ktp tidak terbaca",
        "ganti ktp rusak",
    ),
    entry(
        "kartu-keluarga",
        "Bagaimana mengurus Kartu Keluarga?",
        "syarat bikin kk baru",
        "kk hilang cara ngurusnya",
        "pisah kk setelah nikah",
    ),
    entry(
        "biaya",
        "Berapa biaya mengurus dokumen?",
        "bikin ktp bayar berapa",
        "akta gratis kah",
        keywords=("gratis", "tarif"),
    ),
    entry("salam", "Halo", "selamat pagi", "assalamualaikum", tags=("percakapan",)),
)
FAQ = Faq(entries=ENTRIES)


@pytest.fixture(scope="module")
def matcher():
    return Matcher(FAQ, Settings())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ktp sy ilang gmn ngurusnya", "ektp-hilang"),
        ("KTP SAYA HILANG!!!", "ektp-hilang"),
        ("ktp aku ilang cakmano", "ektp-hilang"),
        ("ktp sy patah jd dua", "ektp-rusak"),
        ("min syarat bkin ktp apa aja ya", "ektp-rekam"),
        ("kk sy hilang gmn", "kartu-keluarga"),
        ("kartu keluarga ilang", "kartu-keluarga"),
        ("brp duit bikin ktp", "biaya"),
        ("halo min", "salam"),
    ],
)
def test_clear_messages_are_answered(matcher, text, expected):
    result = matcher.match(text)
    assert isinstance(result, Answer), (text, result)
    assert result.entry.id == expected and result.outcome == "answer"


def test_a_shared_word_does_not_decide_alone(matcher):
    # "ktp" is in four entries: on its own it proves none of them.
    result = matcher.match("ktp")
    assert not isinstance(result, Answer)
    assert {c.entry.id for c in result.candidates} <= {
        "ektp-rekam",
        "ektp-hilang",
        "ektp-rusak",
        "biaya",
    }


def test_the_word_that_tells_entries_apart_decides(matcher):
    hilang = matcher.rank("ktp hilang")
    rusak = matcher.rank("ktp rusak")
    assert hilang[0].entry.id == "ektp-hilang" and rusak[0].entry.id == "ektp-rusak"
    # The same "hilang" with another document goes to that document's entry.
    assert matcher.rank("kk hilang")[0].entry.id == "kartu-keluarga"


def test_close_scores_offer_a_choice(matcher):
    result = matcher.match("ktp hilang, kk juga hilang")
    assert isinstance(result, Clarify) and result.outcome == "clarify"
    ids = [c.entry.id for c in result.candidates]
    assert {"ektp-hilang", "kartu-keluarga"} <= set(ids)
    assert len(ids) <= Settings().max_candidates
    assert "skor berdekatan" in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "bikin paspor syaratnya apa",
        "kartu bpjs hilang gimana",
        "cuaca hari ini panas banget",
        "asdfgh",
        "",
        "🙏🙏",
    ],
)
def test_out_of_scope_goes_to_an_officer(matcher, text):
    result = matcher.match(text)
    assert isinstance(result, Escalate | Clarify), (text, result)
    assert not isinstance(result, Answer)


def test_escalation_says_why(matcher):
    for text in ("asdfgh qwerty", "cuaca hari ini panas banget"):
        result = matcher.match(text)
        assert isinstance(result, Escalate) and result.outcome == "escalate"
        assert result.reason


def test_greeting_does_not_hide_the_question(matcher):
    result = matcher.match("selamat pagi min, ktp saya hilang gimana")
    assert isinstance(result, Answer) and result.entry.id == "ektp-hilang"


def test_reason_names_the_variant_and_the_words(matcher):
    result = matcher.match("ktp sy ilang gmn ngurusnya")
    assert "ktp" in result.reason and "hilang" in result.reason
    assert "'" in result.reason  # the phrasing it resembled, quoted


def test_typos_are_read_as_faq_words(matcher):
    result = matcher.match("kartu kelurga hilng")
    assert isinstance(result, Answer) and result.entry.id == "kartu-keluarga"


def test_two_swapped_letters_are_a_typo():
    # "hilagn" is hilang with n and g swapped: ratio 83, below typo_similarity, yet a typo.
    assert not isinstance(
        Matcher(FAQ, Settings(typo_transposition=False)).match("kk hilagn"), Answer
    )
    result = Matcher(FAQ).match("kk hilagn")
    assert isinstance(result, Answer) and result.entry.id == "kartu-keluarga"


def test_a_protected_stem_is_not_read_as_a_typo():
    moving = entry("pindah", "Bagaimana mengurus pindah domisili?", "mau pindah kota")
    index = Matcher(Faq(entries=(*ENTRIES, moving)))
    # "pindahan" (moving house) is kept whole by stems.tsv, so it is not "pindah" misspelt
    assert "pindahan" in index.lexicon.stems
    assert all(c.entry.id != "pindah" for c in index.rank("kk hilang waktu pindahan"))


def test_rank_scores_are_0_to_100_best_first(matcher):
    ranked = matcher.rank("syarat bikin ktp baru dan kk baru")
    scores = [c.score for c in ranked]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 100 for s in scores)


def test_a_new_variant_needs_no_code():
    faq = Faq(entries=ENTRIES)
    before = Matcher(faq).match("ktp dimakan rayap")
    assert not isinstance(before, Answer) or before.entry.id != "ektp-rusak"
    rusak = dataclasses.replace(ENTRIES[2], variants=(*ENTRIES[2].variants, "ktp dimakan rayap"))
    after = Matcher(Faq(entries=(*ENTRIES[:2], rusak, *ENTRIES[3:]))).match("ktp sy dimakan rayap")
    assert isinstance(after, Answer) and after.entry.id == "ektp-rusak"


def test_thresholds_come_from_settings():
    strict = Matcher(FAQ, Settings(answer_threshold=101, clarify_threshold=101))
    assert isinstance(strict.match("ktp sy ilang gmn ngurusnya"), Escalate)


def test_settings_from_config_reads_known_keys_only():
    settings = Settings.from_config(
        {"answer_threshold": 70, "margin": 9, "courtesy_tags": ["sapaan"], "unknown": 1}
    )
    assert settings.answer_threshold == 70 and settings.margin == 9
    assert settings.courtesy_tags == ("sapaan",)
    assert hash(settings)


def test_empty_faq_escalates():
    result = Matcher(Faq(entries=())).match("ktp hilang")
    assert isinstance(result, Escalate) and result.candidates == ()


def test_to_json_follows_the_contract(matcher):
    answer = to_json("ktp sy ilang", matcher.match("ktp sy ilang"))
    assert list(answer) == ["text", "outcome", "id", "score", "candidates"]
    assert answer["text"] == "ktp sy ilang" and answer["outcome"] == "answer"
    assert answer["id"] == "ektp-hilang" and answer["candidates"][0] == "ektp-hilang"
    assert isinstance(answer["score"], float)
    escalate = to_json("paspor", matcher.match("bikin paspor"))
    assert list(escalate) == ["text", "outcome", "id", "score", "candidates"]
    assert escalate["outcome"] == "escalate" and escalate["id"] is None


def test_a_rival_with_only_shared_words_does_not_need_the_margin():
    # With a margin this wide every entry is "close"; what decides is whether the
    # runner-up has a word of its own in the message.
    wide = Matcher(FAQ, Settings(margin=60))
    result = wide.match("syarat bikin ktp apa aja")
    top, rival = wide.rank("syarat bikin ktp apa aja")[:2]
    assert rival.evidence < top.evidence and top.score - rival.score < 60
    assert isinstance(result, Answer) and result.entry.id == "ektp-rekam"


def test_a_rival_with_a_word_of_its_own_is_offered():
    wide = Matcher(FAQ, Settings(margin=60))
    result = wide.match("ktp rusak ganti syarat apa")
    assert isinstance(result, Clarify)
    assert [c.entry.id for c in result.candidates][:2] == ["ektp-rusak", "ektp-rekam"]


@pytest.mark.parametrize(
    "extra",
    ["di lahat", "juga", "di palembang itu", "sayo di prabumulih", "di pagar alam", "itu tigo"],
)
def test_function_words_and_places_do_not_dilute_a_question(matcher, extra):
    plain = matcher.rank("ktp sy ilang gmn")[0]
    padded = matcher.rank(f"ktp sy ilang gmn {extra}")[0]
    assert padded.entry.id == plain.entry.id == "ektp-hilang"
    assert padded.score == plain.score
    assert isinstance(matcher.match(f"ktp sy ilang gmn {extra}"), Answer)


def test_a_greeting_is_not_a_rival_to_the_question():
    wide = Matcher(FAQ, Settings(margin=60))
    result = wide.match("selamat pagi, ktp sy patah gimana")
    assert isinstance(result, Answer) and result.entry.id == "ektp-rusak"


# A second small FAQ for the rules that decide whether a message is about an entry at all.
GROUNDING = Faq(
    entries=(
        entry(
            "biaya",
            "Berapa biaya mengurus dokumen?",
            "bikin ktp bayar berapa",
            "akta gratis kah",
            "ongkos bikin akta",
            keywords=("gratis", "bayar", "biaya"),
        ),
        entry(
            "pungli",
            "Saya ingin melaporkan pungli",
            "calo ktp minta bayaran",
            "oknum minta uang",
            keywords=("pungli", "calo", "oknum"),
        ),
        entry(
            "status",
            "Apakah dokumen saya sudah jadi?",
            "kk sudah jadi belum",
            "akta sudah selesai belum",
            keywords=("status",),
        ),
        entry(
            "rekam",
            "Apa syarat rekam KTP-el?",
            "syarat rekam ktp pertama",
            "perekaman ktp pemula",
            keywords=("rekam",),
        ),
        entry(
            "hilang",
            "KTP-el saya hilang",
            "ktp hilang harus rekam ulang",
            "ktp ilang gimana",
            keywords=("hilang",),
        ),
    )
)


@pytest.mark.parametrize(
    ("text", "expected", "rival"),
    [
        # "rekam" is in one "hilang" phrasing too, but only the rekam entry names it as its
        # keyword and the message says nothing of losing anything.
        ("harus rekam ktp", "rekam", "hilang"),
        ("rekam ktp saya", "rekam", "hilang"),
        # The pungli entry scores close through "bayaran" alone; paying is the fee question.
        ("ktp bayar gak", "biaya", "pungli"),
    ],
)
def test_a_named_keyword_beats_a_rival_close_only_through_shared_words(text, expected, rival):
    ranked = Matcher(GROUNDING).rank(text)
    assert {c.entry.id for c in ranked[:2]} == {expected, rival}
    assert abs(ranked[0].score - ranked[1].score) < Settings().margin
    result = Matcher(GROUNDING).match(text)
    assert isinstance(result, Answer) and result.entry.id == expected
    assert result.candidates[0].entry.id == expected and expected in {
        c.entry.id for c in ranked if c.named
    }
    without = Matcher(GROUNDING, Settings(keyword_dominance=False)).match(text)
    assert isinstance(without, Clarify)


@pytest.mark.parametrize("text", ["parkir gratis", "sepatu gratis kah"])
def test_one_explained_word_does_not_carry_unknown_words(text):
    # "gratis" is the fee entry's keyword, but the message is about something the FAQ
    # does not know (parking, shoes): ask or escalate, never answer the fee question.
    assert isinstance(Matcher(GROUNDING, Settings(lone_word_guard=False)).match(text), Answer)
    assert not isinstance(Matcher(GROUNDING).match(text), Answer)
    assert isinstance(Matcher(GROUNDING).match("akta gratis gak"), Answer)


def test_question_words_do_not_keep_a_lone_word_company():
    # "rekam" is the only topic word: syarat says what is asked, and the song and the
    # studio are what the message is about.
    assert not isinstance(Matcher(GROUNDING).match("syarat rekam lagu di studio"), Answer)
    assert isinstance(Matcher(GROUNDING).match("syarat rekam ktp"), Answer)


WITH_OWN_DOCUMENTS = Faq(
    entries=(
        *GROUNDING.entries,
        entry("ikd", "Apa itu IKD?", "aktivasi ikd", "ikd itu apa", keywords=("ikd",)),
        entry("kia", "Bagaimana membuat KIA?", "bikin kia anak", "syarat kia", keywords=("kia",)),
    )
)


@pytest.mark.parametrize(
    ("text", "expected"), [("ikd ditolak terus", "ikd"), ("kia hangus", "kia")]
)
def test_a_document_only_one_entry_names_is_a_topic_by_itself(text, expected):
    # One known word and unknown ones, but the word is the document of exactly one entry.
    result = Matcher(WITH_OWN_DOCUMENTS).match(text)
    assert isinstance(result, Answer) and result.entry.id == expected
    # A keyword that is no document stays guarded.
    assert not isinstance(Matcher(WITH_OWN_DOCUMENTS).match("parkir gratis"), Answer)


WITH_COVER_LETTER = Faq(
    entries=(
        *GROUNDING.entries,
        entry(
            "pengantar",
            "Perlu surat pengantar RT?",
            "perlu surat pengantar rt ga",
            "surat rt rw masih perlu",
            keywords=("pengantar",),
        ),
    )
)


def test_money_named_is_not_answered_by_an_entry_silent_on_money():
    # The cover-letter entry leads, but 50rb asked for it may be an illegal fee.
    text = "pak rt minta 50rb buat surat pengantar"
    assert isinstance(Matcher(WITH_COVER_LETTER, Settings(money_guard=False)).match(text), Answer)
    result = Matcher(WITH_COVER_LETTER).match(text)
    assert isinstance(result, Clarify)
    assert {c.entry.id for c in result.candidates} >= {"pengantar", "pungli"}
    assert isinstance(Matcher(WITH_COVER_LETTER).match("perlu surat pengantar rt kah"), Answer)


@pytest.mark.parametrize("text", ["biaya bikin paspor berapa", "bikin paspor bayar berapa"])
def test_another_agencys_service_without_our_document_is_not_answered(text):
    # Paspor is immigration's (other_topics.txt): the fee question is theirs, not ours.
    assert isinstance(Matcher(GROUNDING, Settings(foreign_guard=False)).match(text), Answer)
    assert not isinstance(Matcher(GROUNDING).match(text), Answer)
    # Naming our document too keeps it ours.
    assert isinstance(Matcher(GROUNDING).match("bikin ktp bayar berapa, sama paspor"), Answer)


@pytest.mark.parametrize("text", ["udah tidur belum", "dah mandi belum"])
def test_question_words_alone_are_not_a_topic(text):
    # sudah ... belum is how the status question is asked, but says nothing of a document.
    # (with unknown words like tidur the lone-word and unknown-word guards stop it too, and
    # the document guard: this status entry is not general and no document is named)
    off = Settings(topic_guard=False, lone_word_guard=False, unknown_guard=0, document_guard=False)
    assert isinstance(Matcher(GROUNDING, off).match(text), Answer)
    assert not isinstance(Matcher(GROUNDING).match(text), Answer)
    result = Matcher(GROUNDING).match("kk sy udh jadi blm")
    assert isinstance(result, Answer) and result.entry.id == "status"


def test_one_document_with_a_general_question_is_not_two_questions():
    # The fee entry names no "surat pindah" phrasing, but the message names only that one
    # document: it asks the fee question about it, it is not a ktp-and-kk message.
    pindah = entry("pindah", "Bagaimana mengurus surat pindah antar kota?", "syarat surat pindah")
    low = Matcher(Faq(entries=(*ENTRIES, pindah)), Settings(clarify_threshold=25))
    text = "tarif bikin surat pindah berapa"
    top, rival = low.rank(text)[:2]
    assert (top.entry.id, rival.entry.id) == ("biaya", "pindah") and rival.score >= 25
    assert isinstance(low.match(text), Answer)
    # Two documents named, the best covering one: still a choice.
    assert isinstance(Matcher(FAQ).match("ktp hilang, kk juga hilang"), Clarify)


# Entries tagged as general answer one kind of question for every document.
GENERAL = Faq(
    entries=(
        entry(
            "biaya",
            "Berapa biaya mengurus dokumen?",
            "bikin ktp bayar berapa",
            "akta gratis kah",
            "ongkos bikin kk",
            keywords=("gratis", "bayar", "biaya"),
            tags=("biaya",),
        ),
        entry(
            "jam",
            "Jam berapa kantor buka?",
            "jam buka kantor",
            "sabtu buka ga",
            keywords=("jam", "buka"),
            tags=("kantor",),
        ),
        entry(
            "alamat",
            "Di mana alamat kantor?",
            "alamat kantor dimana",
            "lokasi kantor",
            keywords=("alamat", "lokasi"),
            tags=("kantor",),
        ),
        entry(
            "kia",
            "Bagaimana membuat KIA?",
            "bikin kia",
            "kartu identitas anak",
            "kia bayi",
            keywords=("kia",),
            tags=("kia",),
        ),
    )
)


@pytest.mark.parametrize("text", ["jam buka dan alamat kantor", "jam buka kantor dan alamatnya"])
def test_keywords_of_two_entries_are_two_questions(text):
    one, two = Matcher(GENERAL).rank(text)[:2]
    assert one.score - two.score > Settings().margin  # beyond the margin, yet both asked
    assert not Matcher(GENERAL, Settings(two_topics=False)).match(text).also  # one answer
    result = Matcher(GENERAL, Settings(answer_both=False)).match(text)
    assert isinstance(result, Clarify)
    assert {c.entry.id for c in result.candidates} == {"jam", "alamat"}


# "ganti" is the data-change entry's keyword, but four entries' phrasings use it.
SHARED_KEYWORD = Faq(
    entries=(
        entry(
            "kk",
            "Bagaimana mengurus KK?",
            "syarat kk baru",
            "kk robek cetak lagi",
            keywords=("kk",),
        ),
        entry(
            "ubah",
            "Mengubah data?",
            "ganti nama di ktp",
            "ganti pekerjaan di kk",
            keywords=("ganti",),
        ),
        entry("rusak", "KTP rusak", "ktp patah mau ganti", "ktp retak", keywords=("rusak",)),
        entry("hilang", "KTP hilang", "ktp hilang ganti baru", "ktp ilang", keywords=("hilang",)),
        entry("biaya", "Biaya?", "biaya ganti ktp", "bayar berapa", keywords=("biaya",)),
    )
)


@pytest.mark.parametrize("text", ["kk lecek mau diganti", "kk robek mau ganti"])
def test_a_keyword_many_entries_use_is_no_second_question(text):
    # Replacing a worn KK is one question; "ganti" only says replace.
    assert isinstance(Matcher(SHARED_KEYWORD, Settings(two_topics_spread=99)).match(text), Clarify)
    result = Matcher(SHARED_KEYWORD).match(text)
    assert isinstance(result, Answer) and result.entry.id == "kk" and not result.also
    # A second thing to change, close behind, is still offered.
    assert isinstance(Matcher(SHARED_KEYWORD).match("kk sobek, ganti nama juga"), Clarify)


@pytest.mark.parametrize("text", ["jam buka dan alamat kantor", "jam buka sm alamat kantor"])
def test_two_questions_joined_get_both_answers(text):
    result = Matcher(GENERAL).match(text)
    assert isinstance(result, Answer)
    assert (result.entry.id, [c.entry.id for c in result.also]) == ("jam", ["alamat"])
    assert [c.entry.id for c in result.candidates[:2]] == ["jam", "alamat"]
    assert to_json(text, result)["id"] == "jam"  # the contract names the first


def test_two_questions_not_joined_are_offered_as_a_choice():
    # No dan/sama/juga: the second may be a remark ("..., ktp masih ada"), so ask.
    result = Matcher(GENERAL).match("jam buka kantor alamatnya")
    assert isinstance(result, Clarify)
    assert {c.entry.id for c in result.candidates} == {"jam", "alamat"}


def test_a_second_question_that_is_a_handoff_is_not_answered_alongside():
    handoff = Entry(
        "alamat", "Di mana alamat kantor?", ("alamat kantor dimana", "lokasi kantor"), "x",
        keywords=("alamat", "lokasi"), tags=("kantor",), action="handoff",
    )  # fmt: skip
    faq = Faq(entries=tuple(handoff if e.id == "alamat" else e for e in GENERAL.entries))
    assert isinstance(Matcher(faq).match("jam buka dan alamat kantor"), Clarify)


@pytest.mark.parametrize("text", ["kia biayanya berapa", "biaya kia berapa"])
def test_a_general_question_about_a_document_is_the_general_question(text):
    # The kia entry explains only the document; the fee entry's keyword says what is asked.
    ranked = Matcher(GENERAL).rank(text)
    assert [c.entry.id for c in ranked[:2]] == ["kia", "biaya"]
    assert not isinstance(Matcher(GENERAL).match(text), Answer)
    general = Matcher(GENERAL, Settings(general_tags=("biaya", "kantor"))).match(text)
    assert isinstance(general, Answer) and general.entry.id == "biaya"
    assert general.candidates[0].entry.id == "biaya"


def test_a_document_entry_with_its_own_situation_is_not_only_the_subject():
    # Read as more than the document (procedure_subject off), "rekam" makes two questions,
    # both answered (the hours, and recording the card), or offered without
    # answer_general_pair.
    faq = Faq(entries=(*GENERAL.entries, *GROUNDING.entries[3:4]))
    tags = Settings(general_tags=("biaya", "kantor"), procedure_subject=False)
    offered = dataclasses.replace(tags, answer_general_pair=False)
    result = Matcher(faq, offered).match("jam buka rekam ktp")
    assert isinstance(result, Clarify)
    assert {"jam", "rekam"} <= {c.entry.id for c in result.candidates}
    result = Matcher(faq, tags).match("jam buka rekam ktp")
    assert isinstance(result, Answer)
    assert [result.entry.id, *(c.entry.id for c in result.also)] == ["jam", "rekam"]


def test_a_procedure_named_by_its_keywords_is_the_subject_of_a_general_question():
    # "rekam" names the procedure the hours are asked for: the hours entry answers alone.
    faq = Faq(entries=(*GENERAL.entries, *GROUNDING.entries[3:4]))
    result = Matcher(faq, Settings(general_tags=("biaya", "kantor"))).match("jam buka rekam ktp")
    assert isinstance(result, Answer) and result.entry.id == "jam" and not result.also


DAMAGED = entry(
    "rusak",
    "KTP-el saya rusak, bagaimana menggantinya?",
    "ktp patah gimana",
    "ganti ktp rusak gratis kah",
    keywords=("rusak", "patah"),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ktp patah bayar ga", ["rusak", "biaya"]),
        ("ktp patah biayanya berapa", ["biaya", "rusak"]),
        ("ktp patah, tarifnya?", ["rusak", "biaya"]),
    ],
)
def test_a_general_question_about_a_documents_case_answers_both(text, expected):
    # The fee asked about a card in a case of its own (patah): no joining word, yet the
    # question and its subject, not a remark. Both answers, the surer first.
    faq = Faq(entries=(*GENERAL.entries, DAMAGED))
    offered = Matcher(faq, Settings(general_tags=("biaya",), answer_general_pair=False))
    assert isinstance(offered.match(text), Clarify)
    result = Matcher(faq, Settings(general_tags=("biaya",))).match(text)
    assert isinstance(result, Answer)
    assert [result.entry.id, *(c.entry.id for c in result.also)] == expected
    assert to_json(text, result)["id"] == expected[0]


def test_a_general_keyword_the_document_entry_explains_is_no_second_question():
    # The damaged-card entry itself says "gratis": one question, answered by it alone.
    faq = Faq(entries=(*GENERAL.entries, DAMAGED))
    result = Matcher(faq, Settings(general_tags=("biaya",))).match("ktp rusak gratis kah")
    assert isinstance(result, Answer) and result.entry.id == "rusak" and not result.also


def test_side_words_do_not_make_a_rival_of_a_named_document_question():
    # "di luar kota" says where; the rekam entry is named (rekam) and covers the document.
    lokasi = entry(
        "lokasi",
        "Di mana alamat kantornya?",
        "alamat kantor cabang di luar kota",
        keywords=("alamat", "lokasi"),
    )
    faq = Faq(entries=(*GROUNDING.entries, lokasi))
    text = "syarat rekam ktp di luar kota"
    top, rival = Matcher(faq).rank(text)[:2]
    assert (top.entry.id, rival.entry.id) == ("rekam", "lokasi")
    assert top.score - rival.score < Settings().margin and rival.evidence - top.evidence
    assert isinstance(Matcher(faq, Settings(keyword_dominance=False)).match(text), Clarify)
    result = Matcher(faq).match(text)
    assert isinstance(result, Answer) and result.entry.id == "rekam"


def test_a_keyword_naming_a_document_with_its_kind_is_the_subject():
    # "akta kematian" is one document: its second word says which, not what is asked.
    kematian = entry(
        "akta-kematian",
        "Bagaimana membuat akta kematian?",
        "buat akta kematian",
        "lapor orang meninggal",
        keywords=("akta kematian", "meninggal"),
        tags=("akta",),
    )
    faq = Faq(entries=(*GENERAL.entries, kematian))
    general = Matcher(faq, Settings(general_tags=("biaya", "kantor")))
    text = "akta kematian biayanya berapa"
    assert general.rank(text)[0].entry.id == "akta-kematian"
    result = general.match(text)
    assert isinstance(result, Answer) and result.entry.id == "biaya"
    # A word of its own beyond the document ("meninggal" alone) is still a second question.
    assert not isinstance(general.match("ibu meninggal, biayanya berapa"), Answer)


def test_two_documents_offer_the_other_documents_own_entry():
    # The fee entry names kk only as an example; the kk entry itself is offered, even
    # when it ranks below the candidates a choice usually looks at.
    lahir = entry(
        "akta-lahir",
        "Apa syarat akta kelahiran?",
        "syarat bikin akta kelahiran",
        "akte lahir anak",
        keywords=("akta kelahiran",),
        tags=("akta",),
    )
    kk = entry("kk", "Bagaimana mengurus KK?", "syarat bikin kk baru", "kk hilang", tags=("kk",))
    biaya = entry(
        "biaya",
        "Berapa biaya?",
        "bikin akte kelahiran gratis kah",
        "ongkos bikin kk",
        keywords=("biaya", "gratis"),
        tags=("biaya",),
    )
    two = Matcher(
        Faq(entries=(biaya, lahir, kk)), Settings(max_candidates=2, general_tags=("biaya",))
    )
    text = "syarat akta kelahiran sama kk apa aja"
    assert [c.entry.id for c in two.rank(text)] == ["akta-lahir", "biaya", "kk"]
    result = two.match(text)
    assert isinstance(result, Clarify)
    assert [c.entry.id for c in result.candidates] == ["akta-lahir", "kk"]


def test_a_general_rival_names_documents_only_as_examples():
    # The letters entry mentions kk in one phrasing; that does not make it about the kk
    # the message names: the kk entry (named, covering the document) is answered.
    pengantar = entry(
        "pengantar",
        "Perlu surat pengantar RT?",
        "perlu bawa fotokopi ga",
        "fotocopy kk berapa rangkap",
        keywords=("pengantar", "fotokopi"),
        tags=("umum",),
    )
    kk = entry("kk", "Bagaimana mengurus KK?", "syarat bikin kk baru", "kk hilang", "kk rusak")
    kk = dataclasses.replace(kk, keywords=("kk",))
    faq = Faq(entries=(pengantar, kk, *GROUNDING.entries))
    text = "kk hilang harus bawa apa saja"
    top, rival = Matcher(faq).rank(text)[:2]
    assert (top.entry.id, rival.entry.id) == ("kk", "pengantar")
    assert top.score - rival.score < Settings().margin and rival.evidence & {"kartu keluarga"}
    alone = Settings(same_document_dominance=False)  # that rule also answers it
    assert isinstance(Matcher(faq, alone).match(text), Clarify)
    general = dataclasses.replace(alone, general_tags=("umum",))
    result = Matcher(faq, general).match(text)
    assert isinstance(result, Answer) and result.entry.id == "kk"


@pytest.mark.parametrize("text", ["kenapa gratis", "betul gratis kah", "gratis itu bener?"])
def test_a_question_word_the_faq_does_not_use_is_not_an_unknown_subject(text):
    # "kenapa" asks why, "betul" whether it is true; neither is a subject the FAQ does
    # not know (as "parkir" is).
    result = Matcher(GROUNDING).match(text)
    assert isinstance(result, Answer) and result.entry.id == "biaya"
    assert "tak dikenal" not in result.reason


@pytest.fixture(scope="module")
def shipped():
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings = Settings.from_config(config.get("matcher"))
    texts = [c.text for c in evaluation.load_cases(ROOT / "faq" / "tests.yaml")]
    return load_faq(ROOT / "faq"), settings, texts


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_the_top_entries_are_those_of_the_full_ranking(shipped, limit):
    # match() ranks only the entries it can offer; it must see what rank() shows.
    faq, settings, texts = shipped
    index = Matcher(faq, settings)
    for text in texts:
        assert index.rank(text, limit) == index.rank(text)[:limit], text


def test_a_message_is_read_the_same_whatever_came_before(shipped):
    # Words are remembered between messages (typos, stems): never the answers.
    faq, settings, texts = shipped
    forward, backward = Matcher(faq, settings), Matcher(faq, settings)
    first = [forward.match(t) for t in texts]
    again = [backward.match(t) for t in reversed(texts)][::-1]
    assert first == again
    assert [forward.match(t) for t in texts] == first


def test_match_decides_as_on_the_full_ranking(shipped, monkeypatch):
    # match() asks _rank for only the candidates it looks at; it must decide the same.
    faq, settings, texts = shipped
    index = Matcher(faq, settings)
    quick = [index.match(t) for t in texts]
    full_rank = Matcher._rank

    def full(self, written, *_, frames=None):
        return full_rank(self, written, frames=frames)

    monkeypatch.setattr(Matcher, "_rank", full)
    assert [index.match(t) for t in texts] == quick


def _ranking(index: Matcher, text: str, limit: int | None = None) -> list[tuple]:
    return [(c.entry.id, c.score, c.evidence, c.named) for c in index.rank(text, limit=limit)]


@pytest.mark.parametrize("limit", [None, 3])
def test_array_sums_score_as_the_loop_does(shipped, monkeypatch, limit):
    # A message proposing many phrasings is scored with array sums (ARRAYS_FROM), a few
    # in a loop: every score, order, evidence and named keyword must be the same.
    faq, settings, texts = shipped
    index = Matcher(faq, settings, examples=())
    monkeypatch.setattr(matcher_module, "ARRAYS_FROM", 10**9)
    looped = [_ranking(index, t, limit) for t in texts]
    monkeypatch.setattr(matcher_module, "ARRAYS_FROM", 0)
    calls = []
    summed = Matcher._best_by_arrays
    monkeypatch.setattr(
        Matcher, "_best_by_arrays", lambda self, *a: calls.append(1) or summed(self, *a)
    )
    assert [_ranking(index, t, limit) for t in texts] == looped
    assert len(calls) >= len(texts) * 0.9  # the sums did score them


def test_a_message_of_words_most_phrasings_share_is_scored_by_array_sums(monkeypatch):
    # Two words in every phrasing of a large FAQ: the candidates are all its phrasings.
    names = [f"kampung{a}{b}" for a in "bcd" for b in "fghjklmnpqrstvwxyz"][:60]
    faq = Faq(entries=tuple(entry(n, f"syarat urus {n}", f"cara urus {n}") for n in names))
    calls = []
    summed = Matcher._best_by_arrays
    monkeypatch.setattr(
        Matcher, "_best_by_arrays", lambda self, *a: calls.append(1) or summed(self, *a)
    )
    index = Matcher(faq, examples=())
    ranked = index.rank("syarat urus kampungch")
    assert calls and ranked[0].entry.id == "kampungch"


def test_a_message_is_merged_into_phrases_once_for_all_the_rules(shipped, monkeypatch):
    # The rules read the merged words and stems a dozen times a message: once suffices
    # (and once more for the words as the typo reading corrects them, once for a greeting).
    faq, settings, texts = shipped
    index = Matcher(faq, settings, examples=())
    calls = []
    merge = language.merge_phrases
    monkeypatch.setattr(language, "merge_phrases", lambda *a: calls.append(1) or merge(*a))
    for text in texts:
        calls.clear()
        index.match(text)
        assert len(calls) <= 3, text


def test_the_matcher_stems_a_word_once(monkeypatch):
    index = Matcher(FAQ, examples=())
    index.match("syarat bikin ktp baru buat anak saya")
    calls = []
    stem = language.stem
    monkeypatch.setattr(language, "stem", lambda *a: calls.append(a[0]) or stem(*a))
    index.match("syarat bikin ktp baru buat anak saya")
    assert calls == []
    index.match("persyaratan pembuatan ktp")  # new words are stemmed, once each
    assert len(calls) == len(set(calls)) > 0


# "ganti" is in three entries' phrasings: it says replace, not which entry.
SHARED_WORDS = Faq(
    entries=(
        entry("hilang", "KTP hilang", "ktp ilang di jalan", "dompet hilang", keywords=("hilang",)),
        entry("rusak", "KTP rusak", "ktp patah mau ganti", "ktp retak", keywords=("rusak",)),
        entry("kk", "Mengurus KK", "kk robek ganti baru", "syarat kk", keywords=("kk",)),
        entry("biaya", "Biaya?", "biaya ganti ktp", "bayar berapa", keywords=("biaya",)),
    )
)


@pytest.mark.parametrize("text", ["ktp hilang mau ganti", "ktp saya hilang, ganti gimana"])
def test_a_rival_close_only_through_words_many_entries_share_is_no_choice(text):
    wide = Settings(margin=60, same_document_dominance=False)  # that rule answers it too
    before = Matcher(SHARED_WORDS, dataclasses.replace(wide, shared_word_dominance=False))
    assert isinstance(before.match(text), Clarify)
    result = Matcher(SHARED_WORDS, wide).match(text)
    assert isinstance(result, Answer) and result.entry.id == "hilang"
    # A rival whose keyword the message names is still asked about.
    assert isinstance(Matcher(SHARED_WORDS, wide).match(text + " biayanya"), Clarify)


# One entry per topic; the status entry's keywords are "progres" and "sudah jadi".
SOLE = Faq(
    entries=(
        entry("kk", "Mengurus KK?", "syarat kk baru", "kk robek cetak lagi", keywords=("kk",)),
        entry("lahir", "Akta kelahiran?", "syarat akta lahir", keywords=("lahir",)),
        entry(
            "status",
            "Cek progres permohonan",
            "cek progres berkas",
            keywords=("sudah jadi", "progres"),
        ),
        entry("biaya", "Biaya?", "bayar berapa", keywords=("biaya",)),
    )
)


def test_an_entry_no_other_comes_near_is_answered_below_the_answer_threshold():
    # A choice of one entry asks nothing: the message names its keyword, nothing else is near.
    text = "kk robek kena hujan deras semalam dimakan tikus"
    [alone] = Matcher(SOLE).rank(text)
    assert Settings().clarify_threshold <= alone.score < Settings().answer_threshold
    result = Matcher(SOLE).match(text)
    assert isinstance(result, Answer) and result.entry.id == "kk"
    assert isinstance(Matcher(SOLE, Settings(sole_threshold=50)).match(text), Clarify)


def test_an_entry_named_only_by_question_words_is_not_answered_alone():
    # "sudah jadi" is the status entry's keyword, but both words only say what is asked.
    only_sole = Matcher(SOLE, Settings(answer_threshold=101, sole_threshold=0))
    assert isinstance(only_sole.match("progres berkas sudah jadi"), Answer)
    result = only_sole.match("berkas sudah jadi")
    assert result.candidates[0].entry.id == "status" and not isinstance(result, Answer)


HOLDING = Faq(
    entries=(
        *GROUNDING.entries[:3],
        entry(
            "rekam",
            "Apa syarat rekam KTP-el?",
            "syarat rekam ktp pertama",
            "rekam ktp pemula bawa apa",
            keywords=("rekam",),
        ),
        entry(
            "akta-lahir",
            "Apa syarat akta kelahiran?",
            "syarat bikin akta kelahiran",
            "akte lahir anak",
            keywords=("akta kelahiran", "akta lahir"),
        ),
    )
)


@pytest.mark.parametrize(
    "text",
    [
        "rekam ktp pemula harus bawa akta lahir juga",
        "rekam ktp pemula wajib lampirkan akta lahir jg",
        "rekam ktp pemula, akta lahir juga sudah ada",
        "rekam ktp pemula, akta lahir jg harus diserahkan",
        "rekam ktp pemula, akta lahir asli juga ada",
    ],
)
def test_a_document_to_bring_or_held_is_no_second_question(text):
    # The certificate is something to bring or already held, not a question about it.
    joined = Matcher(HOLDING, Settings(holding_words=False)).match(text)
    assert [c.entry.id for c in joined.also] == ["akta-lahir"]
    result = Matcher(HOLDING).match(text)
    assert isinstance(result, Answer) and result.entry.id == "rekam" and not result.also
    # Asked about, joined, the certificate is still a second question.
    both = Matcher(HOLDING).match("rekam ktp pemula dan akta lahir syaratnya")
    assert [c.entry.id for c in both.also] == ["akta-lahir"]


WHOLE = Faq(
    entries=(
        entry(
            "waktu",
            "Berapa lama dokumen selesai?",
            "berapa hari jadinya",
            keywords=("lama", "hari kerja"),
        ),
        entry("petugas", "Saya mau bicara dengan petugas", "sambungkan ke admin"),
    )
)


@pytest.mark.parametrize("text", ["mau kerja", "kerja"])
def test_a_keyword_phrase_proves_a_match_only_whole(text):
    # "hari kerja" asks how many working days; "kerja" alone (tempat kerja) says nothing
    # of that.
    assert Matcher(WHOLE, Settings(whole_keywords=False)).match(text).entry.id == "waktu"
    assert not isinstance(Matcher(WHOLE).match(text), Answer)
    assert isinstance(Matcher(WHOLE).match("berapa hari kerja"), Answer)


def test_many_unknown_words_against_few_topic_words_are_not_answered():
    # ktp and pemula are the recording entry's words, but three words the FAQ does not
    # know (lamaran, pabrik, sawit) outnumber them: the story may be another's.
    text = "syarat ktp pemula untuk lamaran pabrik sawit"
    assert Matcher(FAQ, Settings(unknown_guard=0)).match(text).entry.id == "ektp-rekam"
    assert isinstance(Matcher(FAQ).match(text), Clarify)
    # As many topic words as unknown ones: answered.
    assert Matcher(FAQ).match("syarat ktp pemula untuk lamaran kerja").entry.id == "ektp-rekam"
    # Numbers and lone letters name no subject: they are never unknown words.
    assert Matcher(FAQ).match("syarat ktp pemula 2 15 30 a b").entry.id == "ektp-rekam"


# A status entry and two documents' entries; the status entry answers for any document.
STATUS = Faq(
    entries=(
        *GENERAL.entries[:3],
        entry("kia", "Membuat KIA?", "bikin kia", "kia untuk anak bayi", keywords=("kia",)),
        entry(
            "status",
            "Apakah dokumen saya sudah jadi?",
            "ktp saya sudah jadi belum",
            "kapan kk saya bisa diambil",
            "berkas belum ada kabar",
            keywords=("sudah jadi", "diambil"),
            tags=("status",),
        ),
        entry(
            "akta-kematian",
            "Bagaimana membuat akta kematian?",
            "buat akta kematian",
            "lapor bapak meninggal",
            keywords=("akta kematian", "meninggal"),
        ),
        entry(
            "waktu",
            "Berapa lama dokumen jadi?",
            "berapa hari ktp jadi",
            "bisa selesai sehari",
            keywords=("lama",),
            tags=("waktu",),
        ),
    )
)
STATUS_SETTINGS = Settings(
    general_tags=("biaya", "kantor", "status", "waktu"), status_tags=("status",)
)


@pytest.mark.parametrize(
    "text",
    [
        "akta kematian bapak saya udah jadi?",
        "kapan kia anak saya bisa dijemput",
        "kia anak sy kapan bisa diambil",
        "kia anak saya belum jadi",  # a done word names the status question
        "kia anak sy blm ada kabar",
    ],
)
def test_progress_of_an_application_is_a_status_question_whatever_document(text):
    # The document (and whose it is) says which application; the question is how far.
    before = Matcher(STATUS, dataclasses.replace(STATUS_SETTINGS, status_frame=False))
    unframed = before.match(text)
    assert not (isinstance(unframed, Answer) and unframed.entry.id == "status")
    result = Matcher(STATUS, STATUS_SETTINGS).match(text)
    assert isinstance(result, Answer) and result.entry.id == "status"


def test_a_supposition_is_no_status_question():
    # "kalo ..." asks how it goes in general, not how far one's own application has come.
    text = "kalo kia anak, kapan bisa diambil"
    assert Matcher(STATUS, STATUS_SETTINGS).match(text).entry.id == "kia"
    assert Matcher(STATUS, STATUS_SETTINGS).match(text[5:]).entry.id == "status"


def test_an_entry_that_is_only_the_subject_is_no_rival_in_reach():
    # The kia entry steps aside as the status question's subject: the status entry is the
    # only one left in reach, so it is answered from sole_threshold.
    text = "kia anak sy kapan bisa diambil"
    ranked = {c.entry.id: c.score for c in Matcher(STATUS, STATUS_SETTINGS).rank(text)}
    assert ranked["kia"] >= STATUS_SETTINGS.clarify_threshold
    assert ranked["status"] < STATUS_SETTINGS.answer_threshold
    assert Matcher(STATUS, STATUS_SETTINGS).match(text).entry.id == "status"
    strict = dataclasses.replace(STATUS_SETTINGS, sole_threshold=STATUS_SETTINGS.answer_threshold)
    assert not isinstance(Matcher(STATUS, strict).match(text), Answer)


STOCK = Faq(
    entries=(
        *STATUS.entries,
        entry(
            "stok",
            "Stok kartu ada?",
            "stok kartu sudah ada belum",
            "ktp sudah sebulan belum dicetak",
            keywords=("stok",),
        ),
    )
)


@pytest.mark.parametrize(
    "text", ["ktp udh sebulan belum jadi", "ktp saya sudah jadi belum, ngajuin 2 bulan lalu"]
)
def test_the_time_waited_is_part_of_a_status_question(text):
    # How long one has waited (after a done word or a number, before a point) tells the
    # status story: the stock entry is no closer for a phrasing that also says "sebulan".
    before = Matcher(STOCK, dataclasses.replace(STATUS_SETTINGS, status_waited=False))
    assert not isinstance(before.match(text), Answer)
    result = Matcher(STOCK, STATUS_SETTINGS).match(text)
    assert isinstance(result, Answer) and result.entry.id == "status"


# "sidik jari" is a step of recording; "hilang" is what befell the card.
SITUATION = Faq(
    entries=(
        entry(
            "rekam",
            "Apa syarat rekam KTP-el?",
            "syarat rekam ktp",
            "sidik jari dan foto ktp baru",
            keywords=("rekam", "sidik jari"),
        ),
        entry(
            "hilang",
            "KTP-el saya hilang, bagaimana?",
            "ktp ilang gimana",
            "dompet kecopetan ktp ikut hilang",
            keywords=("hilang",),
        ),
        entry("biaya", "Berapa biaya?", "bikin ktp bayar", keywords=("bayar",), tags=("biaya",)),
    )
)


def test_what_befell_the_document_is_never_left_out():
    # The card is lost; the recording step is asked within that case: offer both.
    text = "ktp ilang apa perlu foto dan sidik jari ulang"
    before = Matcher(SITUATION, Settings(situation_first=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "rekam"
    result = Matcher(SITUATION).match(text)
    assert isinstance(result, Clarify)
    assert [c.entry.id for c in result.candidates] == ["rekam", "hilang"]
    # The lost-card entry covers the KTP, not a lost kk: no case of its own there, so the
    # recording entry leads; but no entry here tells what to do with a lost KK, so it is
    # offered, not answered (situation_uncovered).
    lost_kk = "kk ilang, perlu sidik jari ulang"
    off = Settings(situation_uncovered=False)
    assert Matcher(SITUATION, off).match(lost_kk).entry.id == "rekam"
    result = Matcher(SITUATION).match(lost_kk)
    assert isinstance(result, Clarify) and result.candidates[0].entry.id == "rekam"


def test_a_supposition_is_never_answered_with_the_status_entry():
    # "kalo ..." asks how long things take in general, not how far one's own file is.
    text = "kalo ngajuin kk sekarang, kapan bisa diambil"
    unguarded = dataclasses.replace(STATUS_SETTINGS, supposition_guard=False)
    assert Matcher(STATUS, unguarded).match(text).entry.id == "status"
    result = Matcher(STATUS, STATUS_SETTINGS).match(text)
    assert isinstance(result, Clarify) and result.candidates[0].entry.id == "status"
    assert Matcher(STATUS, STATUS_SETTINGS).match(text[5:]).entry.id == "status"


@pytest.mark.parametrize(
    "text",
    ["cairkan taspen almarhumah ibu gmn", "sktm utk rumah sakit gratis kah", "ppdb sd kapan"],
)
def test_services_of_other_agencies_in_the_shipped_lexicon_are_not_ours(shipped, text):
    # Pension funds (taspen), letters of need (sktm), school admission (ppdb): not ours.
    faq, settings, _ = shipped
    assert not isinstance(Matcher(faq, settings).match(text), Answer)


@pytest.mark.parametrize("text", ["dompet sama hp kecopetan di pasar", "dompet ikut hilang"])
def test_what_befell_no_document_of_ours_is_not_our_case(text):
    # Lost, but what? The lost-card entry is named only by "hilang": it needs the card.
    before = Matcher(SITUATION, Settings(situation_document=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "hilang"
    assert not isinstance(Matcher(SITUATION).match(text), Answer)
    assert Matcher(SITUATION).match(text.replace("dompet", "ktp")).entry.id == "hilang"


# The KIA is needed to enrol at school: the entry's phrasings say "daftar sekolah".
ENROL = Faq(
    entries=(
        *GENERAL.entries[:3],
        entry(
            "kia", "Membuat KIA?", "kia untuk daftar sekolah", "syarat kia bayi", keywords=("kia",)
        ),
    )
)


@pytest.mark.parametrize("text", ["daftar sekolah kapan dibuka", "mau daftar sekolah anak"])
def test_a_documents_entry_needs_a_document_in_the_message(text):
    # School enrolment is the topic; the KIA is at most one of its papers.
    settings = Settings(general_tags=("biaya", "kantor"))
    unguarded = dataclasses.replace(settings, document_guard=False)
    assert Matcher(ENROL, unguarded).match(text).entry.id == "kia"
    assert not isinstance(Matcher(ENROL, settings).match(text), Answer)
    # Naming the document, or a card in general, is about a document.
    for named in ("daftar sekolah pakai kia", "kartu buat daftar sekolah"):
        assert Matcher(ENROL, settings).match(named).entry.id == "kia"


def test_the_kind_of_application_in_a_status_question_is_no_second_question():
    # "pindah" says which application is meant; the question is how far it has come.
    pindah = entry("pindah", "Mengurus pindah?", "pindah domisili", "pengajuan pindah")
    faq = Faq(entries=(*STATUS.entries, dataclasses.replace(pindah, keywords=("pindah",))))
    text = "pengajuan pindah saya udah jadi blm"
    unframed = dataclasses.replace(STATUS_SETTINGS, status_frame=False)
    assert isinstance(Matcher(faq, unframed).match(text), Clarify)
    result = Matcher(faq, STATUS_SETTINGS).match(text)
    assert isinstance(result, Answer) and result.entry.id == "status"


@pytest.mark.parametrize(
    "text", ["akta kelahiran anak yg lahir di jepang", "akte lahir, lahirnya di korea"]
)
def test_a_civil_event_abroad_is_not_answered_with_the_procedure_at_home(text):
    lahir = entry(
        "akta-lahir",
        "Apa syarat akta kelahiran?",
        "syarat bikin akta kelahiran",
        "akte lahir anak",
        keywords=("akta kelahiran", "akta lahir"),
    )
    faq = Faq(entries=(*GROUNDING.entries, lahir))
    assert Matcher(faq, Settings(abroad_guard=False)).match(text).entry.id == "akta-lahir"
    assert not isinstance(Matcher(faq).match(text), Answer)
    # Where someone once worked is no event abroad.
    worked = "dulu kerja di jepang, sekarang mau bikin akta kelahiran anak"
    assert Matcher(faq).match(worked).entry.id == "akta-lahir"


# A greeting entry and two real ones; "meninggal" names the death entry, "bapak" does not.
GREETED = Faq(
    entries=(
        entry("hilang", "KTP hilang, bagaimana?", "ktp ilang gimana", keywords=("hilang",)),
        entry("kk", "Mengurus KK?", "syarat kk baru", keywords=("kk",)),
        entry("mati", "Akta kematian?", "bapak saya meninggal", keywords=("meninggal",)),
        entry(
            "salam",
            "Halo",
            "selamat pagi",
            "halo admin",
            "permisi mau tanya",
            tags=("percakapan",),
        ),
    )
)


@pytest.mark.parametrize("text", ["selamat pagi admin, permisi mau tanya kk"])
def test_a_greeting_around_a_question_steps_aside(text):
    # The greeting scores higher (most words are polite ones), but the KK is asked about.
    before = Matcher(GREETED, Settings(courtesy_yields=False)).match(text)
    assert before.candidates[0].entry.id == "salam"
    result = Matcher(GREETED).match(text)
    assert isinstance(result, Answer) and result.entry.id == "kk"
    assert "salam" not in [c.entry.id for c in result.candidates]


@pytest.mark.parametrize("text", ["selamat pagi admin, permisi mau tanya", "selamat pagi bapak"])
def test_a_greeting_with_no_named_question_stays_a_greeting(text):
    # "bapak" is an address here: the death entry names none of its keywords.
    assert Matcher(GREETED).match(text).candidates[0].entry.id == "salam"


HELD = Faq(
    entries=(
        entry(
            "ektp-hilang",
            "KTP hilang, bagaimana?",
            "ktp ilang gimana",
            "kehilangan ktp syaratnya apa",
            keywords=("hilang",),
        ),
        entry("ektp-rusak", "KTP rusak, bagaimana?", "ktp patah gimana", keywords=("rusak",)),
        entry(
            "kk",
            "Mengurus KK?",
            "syarat bikin kk baru",
            "kk hilang cara ngurusnya",
            keywords=("kk", "kartu keluarga"),
        ),
    )
)


@pytest.mark.parametrize(
    "text, asked",
    [
        ("kartu keluarga sy hilang, ktp masih ada, syaratnya apa", "kk"),
        ("ktp saya hilang tapi kk ada, syarat bikin baru apa", "ektp-hilang"),
    ],
)
def test_the_held_document_is_context_not_the_question(text, asked):
    # The document still held is not what is asked about: the lost one is.
    assert isinstance(Matcher(HELD, Settings(held_aside=False)).match(text), Clarify)
    result = Matcher(HELD).match(text)
    assert isinstance(result, Answer) and result.entry.id == asked


def test_a_negated_holding_word_holds_nothing(tmp_path):
    # "kk belum ada": the KK is missing, not held; without the breaks it reads as held.
    text = "ktp saya hilang tapi kk belum ada, syarat bikin baru apa"
    assert isinstance(Matcher(HELD).match(text), Clarify)
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    (folder / "holding_breaks.txt").unlink()
    unbroken = Matcher(HELD, lexicon=language.load_lexicon(folder)).match(text)
    assert isinstance(unbroken, Answer)


@pytest.mark.parametrize("text", ["ktphilang syaratnya apa", "ktpilang gimana"])
def test_two_words_run_together_are_read_apart(text):
    # Fast thumbs drop the space: both halves are words of the FAQ (ilang a lexicon word).
    glued = Matcher(HELD, Settings(glued_words=False)).match(text)
    assert not isinstance(glued, Answer)
    result = Matcher(HELD).match(text)
    assert isinstance(result, Answer) and result.entry.id == "ektp-hilang"


def test_a_word_is_not_split_into_glue_or_short_pieces():
    # "itusy" would be itu + sy, both glue: nothing to read in it.
    index = Matcher(HELD)
    assert index._unglued("itusy") == ()
    assert index._unglued("ktphilang") == ("ktp", "hilang")


@pytest.mark.parametrize(
    "text", ["ktphilangsyaratnyaapa", "syaratktphilangapa", "kehilanganktpcaranyo"]
)
def test_a_whole_message_typed_without_spaces_is_read_word_by_word(text):
    # Voice typing and fast thumbs glue a whole question into one word: every piece is a
    # FAQ or lexicon word (caranyo is Palembang for caranya), the fewest pieces win.
    glued = Matcher(HELD, Settings(glued_words=False)).match(text)
    assert isinstance(glued, Escalate)
    result = Matcher(HELD).match(text)
    assert isinstance(result, Answer) and result.entry.id == "ektp-hilang"


def test_a_long_word_is_split_only_into_whole_words():
    index = Matcher(HELD)
    assert index._unglued("ktphilangsyaratnya") == ("ktp", "hilang", "syarat")
    assert index._unglued("ktphilangxyzsyarat") == ()  # a piece that is no word
    assert index._unglued("ktp" * 30) == ()  # longer than anyone types


def test_pieces_of_a_glued_word_that_lead_nowhere_are_never_stemmed(monkeypatch):
    # "hilangxyzq": hilang is a word, but no piece starting at x, y, z or q starts a FAQ
    # word, so nothing after "hilang" can finish the word: only the whole is read (stemmed).
    index = Matcher(HELD)
    read = []
    glued_part = Matcher._glued_part
    monkeypatch.setattr(
        Matcher, "_glued_part", lambda self, p, **k: read.append(p) or glued_part(self, p, **k)
    )
    assert index._unglued("hilangxyzq") == ()
    assert read == ["hilangxyzq"]
    assert index._unglued("ktphilangsyaratnya") == ("ktp", "hilang", "syarat")
    assert "ktphil" not in read  # a piece after which no piece leads on to the end


DIRECT = Faq(
    entries=(
        entry(
            "waktu",
            "Berapa lama dokumen selesai?",
            "bisa langsung jadi ga",
            "berapa hari jadinya",
            keywords=("lama", "langsung jadi"),
        ),
        entry(
            "petugas", "Saya mau bicara dengan petugas", "sambungkan ke admin", tags=("percakapan",)
        ),
        entry("salam", "Halo", "permisi mau tanya", "selamat pagi", tags=("percakapan",)),
    )
)


def test_directly_and_asking_are_how_not_what(tmp_path):
    # "langsung" alone is directly, "mau tanya" announces a question: neither is a topic.
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    words = folder / "function_words.txt"
    lines = words.read_text(encoding="utf-8").splitlines()
    words.write_text("\n".join(w for w in lines if w not in ("langsung", "tanya")) + "\n")
    text = "mau tanya langsung ke admin"
    before = Matcher(DIRECT, lexicon=language.load_lexicon(folder)).match(text)
    assert before.candidates[0].entry.id == "waktu"
    assert Matcher(DIRECT).match(text).entry.id == "petugas"
    # The keyword phrase still asks about the same day; "mau tanya" alone is a greeting.
    assert Matcher(DIRECT).match("bisa langsung jadi hari itu").entry.id == "waktu"
    assert Matcher(DIRECT).match("permisi mau tanya").entry.id == "salam"


# The lost-card entry has a phrasing that also says rekam; the recording entry is named.
BORROWED = Faq(
    entries=(
        entry(
            "rekam",
            "Syarat rekam KTP?",
            "rekam ktp dimana",
            "umur 17 mau rekam bawa apa",
            keywords=("rekam",),
        ),
        entry(
            "hilang",
            "KTP hilang?",
            "ktp hilang apa harus rekam ulang",
            "ktp ilang gimana",
            keywords=("hilang",),
        ),
        entry("rusak", "KTP rusak?", "ktp patah gimana", keywords=("rusak",)),
        entry("kk", "KK?", "syarat kk baru", keywords=("kk",)),
    )
)


def test_a_rival_explaining_nothing_more_leaves_the_named_entry_alone():
    # "hilang" reaches the clarify threshold only through words the recording entry also
    # explains: a choice between them asks nothing, so the sole threshold applies.
    text = "rekam ktp harus ke dinas"
    before = Matcher(BORROWED, Settings(dominated_out_of_reach=False)).match(text)
    assert isinstance(before, Clarify)
    result = Matcher(BORROWED).match(text)
    assert isinstance(result, Answer) and result.entry.id == "rekam"


MOVING_FEES = Faq(
    entries=(
        entry(
            "biaya",
            "Berapa biaya mengurus dokumen?",
            "tarif pembuatan dokumen kependudukan",
            "bikin ktp bayar berapa",
            tags=("biaya",),
            keywords=("biaya", "bayar", "duit"),
        ),
        entry(
            "pindah",
            "Bagaimana mengurus surat pindah?",
            "bikin skpwni",
            "pindah dari jawa ke palembang",
            keywords=("pindah", "surat pindah"),
        ),
        entry("kk", "KK?", "syarat kk baru", keywords=("kk",)),
        entry("hilang", "KTP hilang?", "ktp ilang gimana", keywords=("hilang",)),
    )
)


def test_the_subject_of_a_general_question_leaves_it_alone():
    # The moving letter is only what the fee question is about: with it stepped aside no
    # other entry is in reach, so the fee entry is answered from the sole threshold.
    text = "perlu duit brp buat ngurus surat pindah adik saya yang kuliah"
    fees = Settings(general_tags=("biaya",))
    before = Matcher(MOVING_FEES, dataclasses.replace(fees, subject_out_of_reach=False))
    assert isinstance(before.match(text), Clarify)
    result = Matcher(MOVING_FEES, fees).match(text)
    assert isinstance(result, Answer) and result.entry.id == "biaya"


# The card's phrasing shares the message's glue words (sama, bisa, bareng, ga), so it
# scores higher; the certificate's explains more of what is asked (akte, lahir, anak).
JOINED = Faq(
    entries=(
        *GENERAL.entries[:3],
        entry("kia", "Membuat KIA?", "kia sama bisa bareng ga", keywords=("kia",)),
        entry("akta", "Akta kelahiran?", "akte kelahiran anak", keywords=("akta kelahiran",)),
        entry("kk", "KK?", "syarat kk baru", keywords=("kk",)),
    )
)


def test_two_joined_questions_are_both_answered_the_fuller_first():
    # Both are asked by name and joined (sama), each answerable alone: both are answered,
    # the one saying more first, though it scored lower.
    text = "akte lahir sama kia anak bisa diurus bareng ga"
    before = Matcher(JOINED, Settings(answer_both_either_way=False)).match(text)
    assert isinstance(before, Clarify)
    assert before.candidates[0].entry.id == "kia"
    result = Matcher(JOINED).match(text)
    assert isinstance(result, Answer) and result.entry.id == "akta"
    assert [c.entry.id for c in result.also] == ["kia"]


# The lost-card entry has a phrasing with "motor"; the damaged-card entry is named.
SIDE_WORDS = Faq(
    entries=(
        entry("rusak", "KTP rusak?", "ktp saya patah gimana", keywords=("rusak",)),
        entry(
            "hilang",
            "KTP hilang?",
            "ktp saya ilang gimana",
            "ktp jatuh dari motor",
            keywords=("hilang",),
        ),
        entry("kk", "KK?", "syarat kk baru", keywords=("kk",)),
        entry("rekam", "Rekam KTP?", "syarat rekam ktp", keywords=("rekam",)),
    )
)


@pytest.mark.parametrize("text", ["ktp saya retak kelindas motor", "ktp retak di motor"])
def test_the_named_entry_beats_an_unnamed_one_about_the_same_document(text):
    # Both are about the card; "motor" says where, the damage word names the entry.
    wide = Settings(margin=30)
    before = Matcher(SIDE_WORDS, dataclasses.replace(wide, same_document_dominance=False))
    assert isinstance(before.match(text), Clarify)
    result = Matcher(SIDE_WORDS, wide).match(text)
    assert isinstance(result, Answer) and result.entry.id == "rusak"
    # Not named at all, the side word still speaks for the lost card.
    assert Matcher(SIDE_WORDS, wide).match("ktp saya di motor").entry.id == "hilang"


# "ganti" is in three entries' phrasings: shared vocabulary, it speaks for none of them.
REPLACING = Faq(
    entries=(
        entry("hilang", "KTP hilang?", "ktp ilang gimana", "kehilangan ktp", keywords=("hilang",)),
        entry(
            "rusak", "KTP rusak?", "ktp rusak mau ganti", "ktp patah gimana", keywords=("rusak",)
        ),
        entry("data", "Ubah data?", "ganti nama di ktp", keywords=("ubah",)),
        entry("biaya", "Biaya?", "biaya ganti kk", keywords=("biaya",)),
        entry("kk", "KK?", "syarat kk baru", keywords=("kk",)),
    )
)


def test_a_rival_explaining_only_shared_words_more_is_out_of_reach():
    # Only "ganti" speaks for the damaged-card entry beyond the lost-card one, and ganti
    # is shared: the choice would ask nothing. (A high answer threshold puts the best in
    # the band where only the sole threshold can answer it.)
    strict = Settings(answer_threshold=95)
    text = "ktp hilang ganti gimana"
    before = Matcher(REPLACING, dataclasses.replace(strict, dominated_out_of_reach=False))
    assert isinstance(before.match(text), Clarify)
    assert Matcher(REPLACING, strict).match(text).entry.id == "hilang"
    # Named, the damaged-card entry is a real choice.
    assert isinstance(Matcher(REPLACING, strict).match("ktp hilang rusak gimana"), Clarify)


def test_an_affixed_glue_word_is_no_unknown_word():
    # "terhormat" is "hormat" (glue) with an affix: no subject the FAQ does not know.
    written = language.words("yang terhormat, ktp hilang", merge=False)
    _, unknown = Matcher(REPLACING)._rank(written)
    assert unknown == []


def test_a_clause_start_leaves_no_trace_in_what_the_matcher_keeps():
    # Readings are kept per word: "anak" starting a clause once is a plain word later.
    index = Matcher(Faq(entries=(*ENTRIES, entry("kia", "KIA?", "ktp anak", keywords=("kia",)))))
    assert index.match("mau rekam ktp, anak saya").candidates[0].entry.id != "kia"
    assert index.match("syarat ktp anak").entry.id == "kia"


HOW_LONG = Faq(
    entries=(
        entry(
            "waktu",
            "Berapa lama dokumen selesai?",
            "prosesnya berapa hari",
            keywords=("lama", "berapa lama"),
        ),
        entry("hilang", "KTP hilang?", "ktp ilang gimana", keywords=("hilang",)),
        entry("kk", "KK?", "syarat kk baru", keywords=("kk",)),
    )
)


def test_a_keyword_phrase_of_question_words_named_whole_is_a_topic():
    # "berapa lama" is what the entry is about, though berapa and lama alone only say what
    # is asked: with "proses" it outweighs the one word the FAQ does not know.
    text = "berapa lama proses penerbitan"
    before = Matcher(HOW_LONG, Settings(keyword_phrase_topic=False)).match(text)
    assert isinstance(before, Clarify)
    assert Matcher(HOW_LONG).match(text).entry.id == "waktu"
    # "lama" alone is no phrase: still only one topic word against an unknown one.
    assert not isinstance(Matcher(HOW_LONG).match("lama proses penerbitan"), Answer)


VILLAGE = Faq(
    entries=(
        entry(
            "pungli",
            "Saya ingin melaporkan pungutan liar",
            "ada calo minta uang",
            keywords=("lapor", "pungutan"),
        ),
        entry(
            "mati",
            "Akta kematian?",
            "lapor orang meninggal",
            "surat kematian dari desa",
            keywords=("meninggal",),
        ),
        entry("kk", "KK?", "syarat kk baru", keywords=("kk",)),
        entry("hilang", "KTP hilang?", "ktp ilang gimana", keywords=("hilang",)),
    )
)


def test_a_rival_that_could_not_be_offered_does_not_block_an_answer():
    # The death entry is within the margin only through "desa", but below the clarify
    # threshold: a choice would offer the pungli entry alone, so it is answered.
    narrow = Settings(clarify_threshold=45, margin=30)
    text = "sy pgn laporin pungutan di desa"
    before = Matcher(VILLAGE, dataclasses.replace(narrow, offerable_rivals=False))
    assert isinstance(before.match(text), Clarify)
    assert Matcher(VILLAGE, narrow).match(text).entry.id == "pungli"


COPIES = Faq(
    entries=(
        *HELD.entries,
        entry(
            "pengantar",
            "Perlu fotokopi dan surat pengantar?",
            "perlu bawa fotokopi ga",
            keywords=("fotokopi", "pengantar"),
        ),
    )
)


def test_a_copy_still_held_is_context_like_its_document(tmp_path):
    # "fotokopinya masih ada": the copy is held; the lost card is what is asked about.
    text = "ktp saya hilang tapi fotokopinya masih ada"
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    (folder / "copies.txt").unlink()
    before = Matcher(COPIES, lexicon=language.load_lexicon(folder)).match(text)
    assert not isinstance(before, Answer)
    result = Matcher(COPIES).match(text)
    assert isinstance(result, Answer) and result.entry.id == "ektp-hilang"


# Our documents' entries, for the rule on services beside them that the FAQ does not cover.
NEARBY = Faq(
    entries=(
        *GROUNDING.entries,
        entry(
            "akta-lahir",
            "Apa syarat akta kelahiran?",
            "syarat bikin akta kelahiran",
            "akte lahir anak",
            keywords=("akta kelahiran", "akta lahir"),
        ),
        entry(
            "kk",
            "Bagaimana mengurus KK?",
            "syarat bikin kk baru",
            "pisah kk setelah cerai",
            keywords=("kk",),
        ),
    )
)


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        # Legalising a copy, not making the certificate.
        ("akte lahir anak sy mau dilegalisir syaratnya apa", "akta-lahir"),
        # A foreign citizen's card: the recording entry is about our citizens' first card.
        ("syarat rekam ktp untuk suami sy yg wna", "rekam"),
        # Someone in prison: the card's entry does not say how that works.
        ("syarat rekam ktp buat abang sy yg di rutan", "rekam"),
    ],
)
def test_a_service_we_do_not_cover_beside_our_document_is_not_answered(text, entry_id):
    off = Matcher(NEARBY, Settings(uncovered_guard=False), lexicon=_without_uncovered_weight())
    assert off.match(text).entry.id == entry_id
    assert not isinstance(Matcher(NEARBY).match(text), Answer)


UNCOVERED_KINDS = Faq(
    entries=(
        *GROUNDING.entries,
        entry(
            "kk",
            "Bagaimana mengurus KK?",
            "syarat bikin kk baru",
            "masukin anak ke kk",
            keywords=("kk",),
        ),
        entry(
            "pindah",
            "Bagaimana mengurus pindah domisili?",
            "mau pindah domisili",
            "surat pindah sudah keluar, terus apa",
            keywords=("pindah", "domisili", "surat pindah"),
        ),
        entry(
            "mati",
            "Syarat akta kematian?",
            "bikin akte kematian almarhum",
            "lapor orang meninggal",
            keywords=("akta kematian", "meninggal", "mati"),
        ),
    )
)


@pytest.mark.parametrize(
    ("text", "entry_id"),
    [
        # A child taken in is an adoption, whatever the KK entry says of new members.
        ("mau masukin anak angkat ke kk kami", "kk"),
        # A stillbirth is reported as such: no birth, no death certificate.
        ("anak kami lahir mati, lapor orang meninggal gmn", "mati"),
        # Cancelling a move already on paper is no move.
        ("surat pindah udh keluar, mau dibatalkan", "pindah"),
    ],
)
def test_more_services_we_do_not_cover_by_their_own_names(tmp_path, text, entry_id):
    # Without these names in the lexicon (domain.tsv, uncovered_services.txt) the
    # document's entry answers.
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    for name, lines in (
        ("domain.tsv", ("anak angkat\t", "lahir mati\t", "lahir meninggal\t")),
        ("uncovered_services.txt", ("lahir mati", "batal")),
    ):
        path = folder / name
        kept = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if not any(line == w or line.startswith(w) and w.endswith("\t") for w in lines)
        ]
        path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    before = Matcher(UNCOVERED_KINDS, lexicon=language.load_lexicon(folder)).match(text)
    assert isinstance(before, Answer) and before.entry.id == entry_id
    assert not isinstance(Matcher(UNCOVERED_KINDS).match(text), Answer)


MARRIED = Faq(
    entries=(
        *GROUNDING.entries,
        entry(
            "kk",
            "Bagaimana mengurus KK?",
            "ngurus kk baru setelah nikah",
            "nikah siri mau masuk satu kk",
            keywords=("kk",),
        ),
    )
)


def test_recording_a_marriage_is_the_marriage_certificate():
    # "dicatatkan" beside a marriage (senses.tsv) is the marriage certificate, which no
    # entry covers: not the KK the couple will later make.
    text = "nikah kami mau dicatatkan, ngurus kk nya gimana"
    plain = language.load_lexicon(ROOT / "bot" / "lexicon")
    plain.senses = {
        w: tuple(x for x in s if x.reading != "akta perkawinan") for w, s in plain.senses.items()
    }
    before = Matcher(MARRIED, lexicon=plain).match(text)
    assert isinstance(before, Answer) and before.entry.id == "kk"
    assert not isinstance(Matcher(MARRIED).match(text), Answer)
    # A marriage not on record (tercatat: a state) is the citizen's situation.
    state = Matcher(MARRIED).match("nikah siri belum tercatat, mau masuk satu kk")
    assert isinstance(state, Answer) and state.entry.id == "kk"


def _without_uncovered_weight() -> language.Lexicon:
    """Return the shipped lexicon as it was before uncovered_services.txt weighed."""
    lexicon = language.load_lexicon()
    lexicon.uncovered = frozenset()
    return lexicon


def test_a_service_we_do_not_cover_held_is_only_the_citizens_paper():
    # The divorce certificate is already there: the question is the new KK.
    result = Matcher(NEARBY).match("mau bikin kk baru, akta cerai sudah ada")
    assert isinstance(result, Answer) and result.entry.id == "kk"
    # Asked for, it is the question ("bikin akta cerai"), which no entry here explains.
    assert not isinstance(Matcher(NEARBY).match("syarat bikin akta cerai"), Answer)


def test_an_entry_explaining_the_service_still_answers_it(tmp_path):
    # Staff extend the list; an entry whose phrasings use the word keeps answering it.
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    with (folder / "uncovered_services.txt").open("a", encoding="utf-8") as out:
        out.write("calo\n")
    lexicon = language.load_lexicon(folder)
    result = Matcher(NEARBY, lexicon=lexicon).match("calo ktp minta bayaran")
    assert isinstance(result, Answer) and result.entry.id == "pungli"


def test_a_town_abroad_between_an_event_and_its_country_is_still_abroad():
    lahir = entry(
        "akta-lahir",
        "Apa syarat akta kelahiran?",
        "syarat bikin akta kelahiran",
        "akte lahir anak",
        keywords=("akta kelahiran", "akta lahir"),
    )
    faq = Faq(entries=(*GROUNDING.entries, lahir))
    text = "akte lahir anak sy yg lahir di kobe jepang gmn"
    assert Matcher(faq, Settings(abroad_places=False)).match(text).entry.id == "akta-lahir"
    assert not isinstance(Matcher(faq).match(text), Answer)
    # A word the FAQ knows between is no place: "lahir anak ... jepang" is not the event.
    known = "akte lahir anak, suami kerja jepang"
    assert Matcher(faq).match(known).entry.id == "akta-lahir"


MOVING = Faq(
    entries=(
        *GROUNDING.entries,
        entry(
            "pindah",
            "Bagaimana mengurus pindah domisili?",
            "mau pindah domisili",
            "pindah ktp ke kota lain",
            keywords=("pindah", "domisili"),
        ),
    )
)


def test_moving_abroad_is_an_event_abroad(tmp_path):
    text = "mau pindah ke korea, ktp gmn"
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    events = folder / "event_words.txt"
    events.write_text(events.read_text(encoding="utf-8").replace("pindah\n", ""))
    before = Matcher(MOVING, lexicon=language.load_lexicon(folder)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "pindah"
    assert not isinstance(Matcher(MOVING).match(text), Answer)
    # The document moved may stand between the move and the country.
    assert not isinstance(Matcher(MOVING).match("mau pindah ktp ke korea"), Answer)
    # Coming home from abroad, in another clause, is no move abroad.
    home = Matcher(MOVING).match("baru pulang dari korea, mau pindah ktp ke kota lain")
    assert isinstance(home, Answer) and home.entry.id == "pindah"


def test_whether_a_stay_away_needs_a_move_is_not_the_moving_procedure():
    # A student asking whether they must move: the moving entry says how, not whether.
    text = "adik sy kuliah di bandung, harus pindah domisili ga"
    before = Matcher(MOVING, Settings(temporary_stay=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "pindah"
    assert not isinstance(Matcher(MOVING).match(text), Answer)
    # Wanting to move there is the procedure.
    wants = Matcher(MOVING).match("adik sy kuliah di bandung, mau pindah domisili")
    assert isinstance(wants, Answer) and wants.entry.id == "pindah"


OFFICER = Faq(
    entries=(
        *GROUNDING.entries,
        entry(
            "petugas",
            "Saya ingin bicara dengan petugas",
            "mau bicara dengan petugas",
            "bukan bot kan",
            "tolong balas orang bukan mesin",
            tags=("percakapan",),
        ),
    )
)


@pytest.mark.parametrize("text", ["kamu ini bot kah", "botnya pinter ya"])
def test_talk_about_the_bot_is_no_request_for_an_officer(text):
    before = Matcher(OFFICER, Settings(bot_talk=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "petugas"
    assert not isinstance(Matcher(OFFICER).match(text), Answer)


@pytest.mark.parametrize("text", ["ini bukan bot kan?", "gak usah bot, petugas aja"])
def test_not_wanting_the_bot_asks_for_a_human(text):
    result = Matcher(OFFICER).match(text)
    assert isinstance(result, Answer) and result.entry.id == "petugas"


@pytest.mark.parametrize("text", ["kk bolong gimana", "kk ilang gimana caranya"])
def test_what_befell_a_document_that_no_entry_on_it_explains_is_not_answered(text):
    # The KK entry here is about making one; the lost-card entry is about the KTP: the
    # FAQ does not tell what to do with a damaged or lost KK.
    before = Matcher(NEARBY, Settings(situation_uncovered=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "kk"
    assert not isinstance(Matcher(NEARBY).match(text), Answer)
    # The lost KTP is the lost-card entry's own case.
    result = Matcher(NEARBY).match("ktp sy hilang dicuri")
    assert isinstance(result, Answer) and result.entry.id == "hilang"


def test_next_door_is_not_split():
    # kebelah (split) is rusak, but sebelah (next door) is not its affixed form.
    assert language.stem("sebelah") == "sebelah"
    assert language.stem(language.words("kebelah")[0]) == "rusak"


@pytest.mark.parametrize(
    "text",
    [
        "surat keterangan ahli waris bikin dimana",
        "akta pengakuan anak syaratnya",
        "nik ganda di kk sama ktp gimana",
        "apostille akta kelahiran",
        "akta kelahiran mau diterjemahkan ke bahasa inggris",
        "e-ktp ibu sy dipakai utk pinjol, lapor kemana",
    ],
)
def test_services_near_ours_in_the_shipped_lexicon_are_not_answered(shipped, text):
    # Heirs' letters, acknowledging a child, duplicate records, apostille, translation:
    # near our documents, but no answer of ours explains them.
    faq, settings, _ = shipped
    assert not isinstance(Matcher(faq, settings).match(text), Answer)
    # An inheritance is only what the death certificate is for.
    result = Matcher(faq, settings).match("bikin akta mati utk urus warisan ke bank")
    assert isinstance(result, Answer) and result.entry.id == "akta-kematian"


def test_a_service_we_do_not_cover_that_the_citizen_lacks_is_their_situation(tmp_path):
    # Without a marriage certificate: the birth certificate is still what is asked about.
    text = "syarat akte lahir anak tanpa akta nikah"
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    negations = folder / "negation_words.txt"
    negations.write_text(negations.read_text(encoding="utf-8").replace("tanpa\n", ""))
    before = Matcher(NEARBY, lexicon=language.load_lexicon(folder)).match(text)
    assert not isinstance(before, Answer)
    result = Matcher(NEARBY).match(text)
    assert isinstance(result, Answer) and result.entry.id == "akta-lahir"
    # A negation after it is how a question ends, not what is lacking.
    assert not isinstance(Matcher(NEARBY).match("rekam ktp buat napi bisa tidak"), Answer)


# "status" is both how far an application has come and the marital field of the card.
STATUS_SENSES = Faq(
    entries=(
        entry(
            "status",
            "Cek status?",
            "cek status pengajuan ktp",
            "ktp saya sudah jadi belum",
            keywords=("status",),
        ),
        entry("data", "Ubah data?", "ubah status kawin di kk", "ganti nama di ktp"),
    )
)


def test_status_beside_a_marital_word_is_the_data_field():
    matcher = Matcher(STATUS_SENSES)
    result = matcher.match("status di kk masih lajang")
    assert isinstance(result, Answer) and result.entry.id == "data"
    assert matcher.match("cek status ktp saya").entry.id == "status"
    # Without the sense, "status" speaks for the status entry too: no answer.
    plain = language.load_lexicon(ROOT / "bot" / "lexicon")
    plain.senses = {}
    assert not isinstance(
        Matcher(STATUS_SENSES, lexicon=plain).match("status di kk masih lajang"), Answer
    )


THANKS = Faq(
    entries=(
        entry("makasih", "Terima kasih", "makasih", "oke makasih", tags=("percakapan",)),
        entry(
            "status",
            "Cek status?",
            "ktp saya sudah jadi belum",
            "kk sudah jadi",
            keywords=("sudah jadi",),
        ),
        entry("hilang", "KTP hilang?", "ktp hilang gimana", keywords=("hilang",)),
    )
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("puji tuhan kk sudah jadi, makasih", "makasih"),  # reports, asks nothing
        ("makasih, kk sudah jadi belum", "status"),  # asks
        ("makasih, kk sudah jadi?", "status"),
        ("makasih min, ktp adik hilang", "hilang"),  # a case to help with
    ],
)
def test_thanks_with_only_a_report_closes_the_conversation(text, expected):
    result = Matcher(THANKS, Settings(margin=5)).match(text)
    assert isinstance(result, Answer) and result.entry.id == expected


def test_without_thanks_closes_a_report_goes_to_the_real_entry():
    off = Settings(margin=5, thanks_closes=False)
    result = Matcher(THANKS, off).match("puji tuhan kk sudah jadi, makasih")
    assert not (isinstance(result, Answer) and result.entry.id == "makasih")


# A phrasing that says to bring another document is still about its own document.
BROUGHT = Faq(
    entries=(
        entry("rekam", "Rekam KTP?", "rekam ktp pertama kali bawa kk asli", keywords=("rekam",)),
        entry("kk", "Kartu Keluarga?", "syarat bikin kk", keywords=("kk",)),
    )
)


def test_a_document_a_phrasing_says_to_bring_is_not_its_subject():
    text = "bikin kk pertama kali bawa apa"
    before = Matcher(BROUGHT, Settings(brought_not_subject=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "rekam"
    result = Matcher(BROUGHT).match(text)
    assert not (isinstance(result, Answer) and result.entry.id == "rekam")


VIA = Faq(
    entries=(
        entry(
            "biaya", "Biaya?", "urus ktp bayar tidak", "ada biayanya", keywords=("bayar", "biaya")
        ),
        entry("pungli", "Lapor pungli?", "calo minta bayaran", "lapor lewat aplikasi"),
    )
)


def test_the_way_something_is_done_is_not_its_topic():
    # "lewat" (via) says how, like a glue word: it does not speak for the report entry.
    text = "lewat desa bayar tidak"
    assert Matcher(VIA).rank(text, 1)[0].entry.id == "biaya"
    plain = language.load_lexicon(ROOT / "bot" / "lexicon")
    plain.neutral = plain.neutral - {"lewat"}
    assert Matcher(VIA, lexicon=plain).rank(text, 1)[0].entry.id == "pungli"


CASE_AND_STEP = Faq(
    entries=(
        entry("rekam", "Rekam KTP?", "rekam ktp perlu bawa apa saja", "cukup bawa kk"),
        entry(
            "hilang",
            "KTP hilang?",
            "ktp hilang gimana ngurusnya",
            "kehilangan ktp lapor polisi",
            keywords=("hilang",),
        ),
        entry("kk", "KK?", "syarat bikin kk baru", keywords=("kk",)),
    )
)


def test_a_case_is_never_answered_past_even_when_its_entry_is_out_of_reach():
    # Only the first candidate is looked at here (max_candidates=1), so the lost-card entry
    # is out of reach; the recording entry, which does not explain "hilang", still does
    # not answer.
    narrow = Settings(max_candidates=1, margin=5)
    text = "ktp hilang, cukup bawa kk saja?"
    before = Matcher(CASE_AND_STEP, dataclasses.replace(narrow, situation_unanswered=False))
    assert isinstance(before.match(text), Answer)
    assert not isinstance(Matcher(CASE_AND_STEP, narrow).match(text), Answer)


def test_checking_the_status_is_a_status_question():
    # "cek status" asks how far an application has come, whatever document it names.
    status = dataclasses.replace(
        STATUS.entries[4],
        variants=(*STATUS.entries[4].variants, "cek status pengajuan"),
        keywords=("sudah jadi", "diambil", "status"),
    )
    faq = Faq(entries=(*STATUS.entries[:4], status, *STATUS.entries[5:]))
    text = "cek status akta kematian bapak saya"
    assert Matcher(faq, STATUS_SETTINGS).match(text).entry.id == "status"
    plain = language.load_lexicon(ROOT / "bot" / "lexicon")
    plain.asking_words = plain.asking_words - {"cek"}
    assert Matcher(faq, STATUS_SETTINGS, lexicon=plain).match(text).entry.id == "akta-kematian"


CERTIFICATES = Faq(
    entries=(
        entry(
            "lahir",
            "Syarat akta kelahiran?",
            "bikin akte lahir anak",
            "akta lahir hilang gimana",
            "akte kelahiran rusak ganti",
            keywords=("akta kelahiran", "lahir"),
        ),
        entry(
            "mati",
            "Syarat akta kematian?",
            "bikin akte kematian almarhum",
            "lapor orang meninggal",
            keywords=("akta kematian", "meninggal"),
        ),
    )
)


def test_a_case_of_one_kind_of_certificate_is_not_covered_by_another_kind():
    # The birth certificate's entry tells what to do with a lost akta; a lost death
    # certificate is another certificate's case, which no entry here explains.
    text = "akte kematian kakek ilang"
    before = Matcher(CERTIFICATES, Settings(document_kinds=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "mati"
    assert not isinstance(Matcher(CERTIFICATES).match(text), Answer)
    # The birth certificate's own case is still answered.
    result = Matcher(CERTIFICATES).match("akte kelahiran anak ilang gmn")
    assert isinstance(result, Answer) and result.entry.id == "lahir"


REPLY_SPEED = Faq(
    entries=(
        entry(
            "waktu",
            "Berapa lama dokumen jadi?",
            "berapa lama prosesnya",
            "lama ga jadinya",
            keywords=("lama",),
        ),
        entry("petugas", "Bicara dengan petugas", "admin tolong balas", tags=("percakapan",)),
    )
)


def test_a_slow_reply_is_no_question_of_how_long_a_document_takes():
    # "lama" in a clause about replying complains of the chat, not of the processing time.
    text = "kok lama bgt dibales"
    plain = language.load_lexicon(ROOT / "bot" / "lexicon")
    plain.senses = {w: s for w, s in plain.senses.items() if w != "lama"}
    before = Matcher(REPLY_SPEED, lexicon=plain).match(text)
    assert isinstance(before, Answer) and before.entry.id == "waktu"
    assert not isinstance(Matcher(REPLY_SPEED).match(text), Answer)
    assert Matcher(REPLY_SPEED).match("kok lama bgt prosesnya").entry.id == "waktu"


PLACES = Faq(
    entries=(
        entry(
            "mati",
            "Syarat akta kematian?",
            "bikin akte kematian almarhum",
            "lapor orang meninggal",
            keywords=("akta kematian", "meninggal"),
        ),
        entry(
            "hilang",
            "KTP hilang?",
            "ktp hilang gimana",
            "ktp hilang di perantauan bisa urus di sini",
            keywords=("hilang",),
        ),
    )
)


def test_two_places_offered_as_a_choice_ask_which_office():
    # Which office makes the certificate is not in its requirements: offered, not answered.
    text = "akte kematian ibu diurusnya di jambi atau di lahat"
    before = Matcher(PLACES, Settings(place_choice=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "mati"
    assert not isinstance(Matcher(PLACES).match(text), Answer)
    assert not isinstance(Matcher(PLACES).match("akte kematian bikin disini atau pulang"), Answer)
    # An entry whose phrasings speak of doing it elsewhere answers where.
    result = Matcher(PLACES).match("ktp ilang, urus di bandung atau harus balik ke lahat")
    assert isinstance(result, Answer) and result.entry.id == "hilang"
    # One place is no choice between places.
    assert Matcher(PLACES).match("akte kematian ibu diurus di lahat").entry.id == "mati"


def test_asking_whether_it_can_be_done_at_a_place_asks_which_office():
    # "bisa ... di jambi?" asks whether that office does it, which the certificate's
    # requirements do not say: offered, not answered (place_asked).
    text = "akte kematian bapak boleh dibikin di jambi ga"
    before = Matcher(PLACES, Settings(place_asked=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "mati"
    assert not isinstance(Matcher(PLACES).match(text), Answer)
    # An entry whose phrasings speak of doing it elsewhere answers it.
    result = Matcher(PLACES).match("ktp sy ilang, bisa ngurus di bandung?")
    assert isinstance(result, Answer) and result.entry.id == "hilang"
    # The place in another clause is where the citizen is, not where it is asked.
    assert Matcher(PLACES).match("sy di jambi. akte kematian bisa?").entry.id == "mati"


WITH_SCHOOL_PAPER = Faq(
    entries=(
        *GROUNDING.entries,
        entry(
            "data",
            "Perbaikan data?",
            "salah tulis nama di ktp",
            "tanggal lahir di kk beda dengan ijazah",
            keywords=("salah tulis", "perbaiki"),
        ),
    )
)


def test_another_agencys_paper_the_faq_mentions_is_still_theirs_without_ours():
    # The data entry names the school certificate only as a paper to compare the card with:
    # its own mistake, no document of ours named, is the school's (foreign_known).
    text = "ijazah smp salah tulis nama, perbaiki kemana"
    before = Matcher(WITH_SCHOOL_PAPER, Settings(foreign_known=False)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "data"
    assert not isinstance(Matcher(WITH_SCHOOL_PAPER).match(text), Answer)
    # Our document beside it keeps it ours.
    ours = Matcher(WITH_SCHOOL_PAPER).match("nama di kk salah tulis, beda sama ijazah")
    assert isinstance(ours, Answer) and ours.entry.id == "data"


@pytest.mark.parametrize(
    "text", ["mau pindah ke luar negeri, ktp gmn", "mau pindah ktp ke sarawak"]
)
def test_abroad_in_general_and_where_workers_live_is_abroad(tmp_path, text):
    # "luar negeri" is abroad as one word (not "luar" of luar kota); the Malaysian states
    # where most workers live are abroad like the country.
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    countries = folder / "abroad_words.txt"
    kept = [w for w in countries.read_text(encoding="utf-8").splitlines() if w != "sarawak"]
    countries.write_text("\n".join(kept) + "\n")
    slang = folder / "slang.tsv"
    slang.write_text(slang.read_text(encoding="utf-8").replace("luar negeri\t", "#"))
    before = Matcher(MOVING, lexicon=language.load_lexicon(folder)).match(text)
    assert isinstance(before, Answer) and before.entry.id == "pindah"
    assert not isinstance(Matcher(MOVING).match(text), Answer)
    # Another town is no country.
    home = Matcher(MOVING).match("mau pindah ke luar kota, ktp gmn")
    assert isinstance(home, Answer) and home.entry.id == "pindah"


# A time question and a place question are asked about whatever the message names.
FRAMES = Faq(
    entries=(
        entry(
            "rusak",
            "KTP rusak, bagaimana menggantinya?",
            "ktp patah mau ganti",
            "ktp retak gimana",
            keywords=("rusak",),
        ),
        entry(
            "rekam",
            "Syarat rekam KTP pertama kali?",
            "rekam ktp pertama kali bawa apa",
            "rekam ktp dimana",
            keywords=("rekam",),
        ),
        entry(
            "kematian",
            "Bagaimana membuat akta kematian?",
            "lapor kematian bapak",
            "batas lapor kematian berapa hari",
            keywords=("kematian",),
        ),
        entry(
            "waktu",
            "Berapa lama dokumen jadi?",
            "berapa hari ktp jadi",
            "bisa selesai sehari",
            "bisa ditunggu ga",
            keywords=("lama",),
            tags=("waktu",),
        ),
        entry(
            "lokasi",
            "Di mana alamat kantor?",
            "alamat kantor dukcapil",
            "kantor capil dimana",
            keywords=("alamat", "lokasi"),
            tags=("kantor",),
        ),
        entry(
            "jam", "Jam buka kantor?", "jam buka kantor", keywords=("jam", "buka"), tags=("kantor",)
        ),
    )
)
FRAME_SETTINGS = Settings(
    general_tags=("waktu", "kantor"), time_tags=("waktu",), place_tags=("kantor",)
)


@pytest.mark.parametrize(
    "text", ["ktp sy retak, gantinya brp hari", "ganti ktp patah retak lama ga"]
)
def test_a_time_question_is_the_time_entrys_whatever_it_is_about(text):
    # How long replacing a broken card takes: the damaged card is the subject.
    unframed = Matcher(FRAMES, dataclasses.replace(FRAME_SETTINGS, time_frame=False))
    assert not (isinstance(r := unframed.match(text), Answer) and r.entry.id == "waktu")
    result = Matcher(FRAMES, FRAME_SETTINGS).match(text)
    assert isinstance(result, Answer) and result.entry.id == "waktu" and not result.also


def test_a_deadline_is_no_time_question():
    # "batas" asks the deadline, which the procedure's entry gives (limit_words.txt).
    result = Matcher(FRAMES, FRAME_SETTINGS).match("batas lapor kematian bapak berapa hari")
    assert not (isinstance(result, Answer) and result.entry.id == "waktu")


def test_a_place_question_is_the_office_entrys_whatever_the_visit_is_for():
    # Where the office is, to record a card there: the office's address, not how to record.
    text = "mau rekam ktp, kantornya di mana"
    unframed = Matcher(FRAMES, dataclasses.replace(FRAME_SETTINGS, place_frame=False))
    assert not (isinstance(r := unframed.match(text), Answer) and r.entry.id == "lokasi")
    result = Matcher(FRAMES, FRAME_SETTINGS).match(text)
    assert isinstance(result, Answer) and result.entry.id == "lokasi"
    # "kantor mana" asks which office handles it: no place question.
    which = Matcher(FRAMES, FRAME_SETTINGS).match("rekam ktp di kantor mana")
    assert not (isinstance(which, Answer) and which.entry.id == "lokasi")


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        # Letters spelled as they are said name the document.
        ("ka i a adek hilang", "kia adik hilang"),
        ("cara daftar i ka de", "cara daftar ikd"),
        ("ika de itu apa", "ikd itu apa"),
        ("es ka pe we en i sudah keluar", "surat pindah sudah keluar"),
        ("ka ka kami rusak", "kartu keluarga kami rusak"),
        # Javanese, Palembang and Komering words of citizens; thanks as written in chat.
        ("ancer ancer dukcapil", "patokan patokan dukcapil"),
        ("mbah kakung sedo minggu kepungkur", "kakek mati minggu lalu"),
        ("haga buat kk", "mau buat kartu keluarga"),
        ("trimokasih nian", "terima kasih sekali"),
        ("thank u kak", "terima kasih"),
        ("syukron", "terima kasih"),
        ("tabik", "permisi"),
    ],
)
def test_spelled_letters_and_regional_words_are_read(written, normal):
    assert language.normalize(written) == normal


def test_an_affixed_form_of_a_table_word_reads_as_the_table_says():
    # woco is Javanese for baca: diwoco (read, passive) is dibaca, though no stemmer knows it.
    assert language.stem(language.words("diwoco")[0]) == "baca"


def test_glue_and_a_table_word_with_glue_are_parts_of_a_glued_word():
    # "di" glued to its noun (dikk) and Palembang dimano (di mana) are pieces too.
    faq = Faq(
        entries=(
            entry("kantor", "Di mana kantor?", "kantor dukcapil di mana", "alamat kantor"),
            entry("data", "Ganti data?", "ganti nama di kk", "salah tanggal lahir"),
        )
    )
    index = Matcher(faq)
    assert index._unglued("dimanokantordukcapil") == ("di", "mana", "kantor", "dukcapil")
    assert index._unglued("gantinamadikk") == ("ganti", "nama", "di", "kartu keluarga")
    assert index._unglued("kursi") == ()  # ku + rsi (rumah sakit islam) has no glue
    plain = Matcher(faq, Settings(glued_glue=False))
    assert plain._unglued("dimanokantordukcapil") == ()
    assert plain._unglued("gantinamadikk") == ()


@pytest.mark.parametrize("text", ["misi kak", "ping", "bang"])
def test_nothing_but_a_call_and_address_is_a_greeting(text):
    # Someone checks that we are there: the greeting answers, not an officer.
    assert isinstance(Matcher(FAQ, Settings(calls_greet=False)).match(text), Escalate)
    result = Matcher(FAQ).match(text)
    assert isinstance(result, Answer) and result.entry.id == "salam"


def test_a_call_word_inside_a_question_is_read_as_usual():
    # "misi" beside other words is not the greeting (visi misi).
    assert language.greeting("visi misi kantor") == []
    assert language.greeting("misi kak") == ["permisi", "halo"]


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("katepe adek", "ktp adik"),  # the letters said and run together
        ("gol darah kosong", "golongan darah kosong"),
        ("kartu kelupas", "kartu rusak"),
        ("ktp lamo butut", "ktp lama rusak"),  # worn out, as lusuh and kumel
        ("ndamel akte lare menopo mawon", "buat akta anak apa saja"),  # Javanese krama
        ("nyuwun sewu", "permisi"),
        ("macam mana nak buat surat beranak", "bagaimana mau buat akta lahir"),  # Malay
        ("umak aku", "ibu saya"),
        ("dak kebaco", "tidak kebaca"),
        ("bawak apo", "bawa apa"),
        ("byr brp", "bayar berapa"),
    ],
)
def test_regional_words_and_chat_skeletons_are_read(written, normal):
    assert language.normalize(written) == normal


def test_a_clause_with_a_question_of_its_own_is_no_subject_of_the_time_question():
    # What to bring is asked in its own stretch (dan begins the time question): the
    # recording entry is a second question, not the time question's subject.
    text = "rekam ktp pertama kali bawa apa dan berapa hari jadinya"
    whole = Matcher(FRAMES, dataclasses.replace(FRAME_SETTINGS, time_clause=False))
    assert isinstance(r := whole.match(text), Answer) and r.entry.id == "waktu" and not r.also
    result = Matcher(FRAMES, FRAME_SETTINGS).match(text)
    assert {c.entry.id for c in (result.candidate, *result.also)} == {"rekam", "waktu"}
    # A clause that only tells the story is the subject: the time entry alone.
    story = Matcher(FRAMES, FRAME_SETTINGS).match(
        "anak sy umur 17, mau rekam ktp, brp hari jadinya"
    )
    assert isinstance(story, Answer) and story.entry.id == "waktu" and not story.also


def test_an_asking_word_before_a_holding_word_negates_it():
    # "lama ga ada kabar": no news for long, a complaint about one's file, not how long.
    text = "rekam ktp kok lama ga ada kabar"
    before = Matcher(FRAMES, dataclasses.replace(FRAME_SETTINGS, negated_holding=False))
    assert "waktu" in {c.entry.id for c in before.match(text).candidates[:1]}
    result = Matcher(FRAMES, FRAME_SETTINGS).match(text)
    assert not (isinstance(result, Answer) and result.entry.id == "waktu")
    assert result.candidates[0].entry.id != "waktu"


@pytest.mark.parametrize(
    "text", ["kia anak sy udh keluar blm", "akta kematian bapak sudah terbit?"]
)
def test_a_document_issued_is_a_status_question(text):
    # keluar, terbit (progress_words.txt): the letter or card came out, the application's
    # progress.
    result = Matcher(STATUS, STATUS_SETTINGS).match(text)
    assert isinstance(result, Answer) and result.entry.id == "status"


BIRTH_DATE = Faq(
    entries=(
        entry(
            "akta-lahir",
            "Membuat akta kelahiran?",
            "buat akta kelahiran anak",
            "akte lahir bayi",
            keywords=("akta kelahiran",),
        ),
        entry(
            "data",
            "Memperbaiki data?",
            "tanggal lahir di kk salah",
            "nama di akta keliru",
            keywords=("keliru",),
            tags=("data",),
        ),
    )
)


def test_a_year_of_birth_is_a_data_field_not_the_birth_certificate():
    # "tahun lahir" is the date on the certificate (senses.tsv): a data change; "lahir"
    # there does not name the birth certificate.
    text = "akta anak sy ada yg keliru, tahun lahirnya"
    result = Matcher(BIRTH_DATE, Settings(general_tags=("data",))).match(text)
    assert isinstance(result, Answer) and result.entry.id == "data" and not result.also
    plain = language.load_lexicon(ROOT / "bot" / "lexicon")
    plain.senses = {w: s for w, s in plain.senses.items() if w != "lahir"}
    before = Matcher(BIRTH_DATE, Settings(general_tags=("data",)), lexicon=plain).match(text)
    assert not (isinstance(before, Answer) and before.entry.id == "data" and not before.also)


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("m4u urus k4rtu kelu4rg4", "mau urus kartu keluarga"),  # 4 for a
        ("sy4rat r3kam ktp", "syarat rekam ktp"),  # 3 for e
        ("p1ndah d0misili", "pindah domisili"),  # 1 for i, 0 for o
    ],
)
def test_digits_written_for_letters_inside_a_word_are_those_letters(written, normal):
    assert language.normalize(written) == normal
    plain = language.load_lexicon(ROOT / "bot" / "lexicon")
    plain.digit_letters = {}
    assert language.normalize(written, plain) != normal


@pytest.mark.parametrize("text", ["rt01rw03", "rt1rw3"])
def test_numbers_and_codes_keep_their_digits(text):
    # A run of digits and a word that reads as nothing known (rt1rw3 is no rtirwe) keep
    # their digits.
    assert any(ch.isdigit() for ch in language.normalize(text))


def test_a_word_with_its_vowels_left_out_is_the_one_faq_word_it_spells():
    # prkmn: perekaman with the vowels put back; no other FAQ word is spelt so.
    index = Matcher(FAQ)
    assert index._typo("prkmn")[0] == "perekaman"
    result = index.match("prkmn ktp")
    assert isinstance(result, Answer) and result.entry.id == "ektp-rekam"
    plain = Matcher(FAQ, Settings(typo_vowels=False))
    assert plain._typo("prkmn") == ("", 0.0)
    assert not isinstance(plain.match("prkmn ktp"), Answer)


def test_short_skeletons_and_names_are_not_read_as_faq_words():
    # Three letters are as often an acronym (pns is no panas); a school's acronym is a name.
    faq = Faq(entries=(entry("rusak", "KTP rusak?", "ktp kepanasan", "simpan ktp di dompet"),))
    index = Matcher(faq)
    assert index._typo("pns") == ("", 0.0)
    assert index._typo("smpn") == ("", 0.0)
    assert index._typo("smpn")[0] == "" and index._typo("smpan")[0] == "simpan"


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("mkasih ya", "terima kasih"),  # vowels left out of makasih
        ("maturnuwun sanget", "terima kasih sanget"),  # Javanese thanks run together
        ("met siang", "selamat siang"),
        ("bocah sy", "anak saya"),
        ("ktp bocah", "kia"),  # as "ktp anak" is the children's card
    ],
)
def test_thanks_greetings_and_children_as_chat_writes_them(written, normal):
    assert language.normalize(written) == normal


@pytest.mark.parametrize("text", ["spada", "om swastiastu"])
def test_a_call_at_the_door_and_a_hindu_greeting_are_greetings(text):
    assert language.greeting(text) == ["halo"]
    result = Matcher(FAQ).match(text)
    assert isinstance(result, Answer) and result.entry.id == "salam"


class _SureOfNobody:
    """A second opinion that is sure no entry answers whatever it is given."""

    labels = ("", "salam", "terima-kasih")
    column = {label: i for i, label in enumerate(labels)}

    def chances(self, tokens):
        return np.array([0.9, 0.05, 0.05])


SMALL_TALK = Faq(
    entries=(*ENTRIES, entry("terima-kasih", "Terima kasih", "makasih", tags=("percakapan",)))
)


@pytest.mark.parametrize(
    ("text", "expect"), [("👋", "salam"), ("🙏🙏", "terima-kasih"), ("👍🏻", "terima-kasih")]
)
def test_an_emoji_alone_greets_or_thanks(text, expect):
    result = Matcher(SMALL_TALK).match(text)
    assert isinstance(result, Answer) and result.entry.id == expect
    assert language.greeting("ktp hilang 🙏") == []  # beside words it is not read


def test_a_message_with_no_word_for_the_model_gets_no_second_opinion():
    # "min" and an emoji give the model nothing to read: its prior is no opinion.
    index = Matcher(SMALL_TALK)
    index.model, index._taught = _SureOfNobody(), frozenset(e.id for e in SMALL_TALK.entries)
    for text in ("min", "🙏"):
        assert isinstance(index.match(text), Answer)
    assert isinstance(index.match("selamat pagi"), Escalate)  # words: the model is heard
    plain = Matcher(SMALL_TALK, Settings(opinion_needs_words=False))
    plain.model, plain._taught = index.model, index._taught
    assert isinstance(plain.match("min"), Escalate)
