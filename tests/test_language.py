"""The normaliser turns the way citizens write into the words the matcher compares."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from bot import language


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        # slang and abbreviations; fillers (min, ya, kak, tolong) are dropped
        ("min syarat bkin ktp apa aja ya", "syarat buat ktp apa saja"),
        ("ktp sy ilang gmn ngurusnya", "ktp saya hilang bagaimana urus"),
        ("brp duit bikin akte", "berapa uang buat akta"),
        (
            "yg utk dgn blm udh sdh krn tdk bs kmrn",
            "yang untuk dengan belum sudah sudah karena tidak bisa kemarin",
        ),
        ("gk ga gak nggak", "tidak tidak tidak tidak"),
        ("kak tolong dong pak", ""),
        # Palembang dialect
        ("cakmano caro buat ktp baru", "bagaimana cara buat ktp baru"),
        ("apo dimano dak galak nak kagek wong", "apa di mana tidak mau mau nanti orang"),
        ("ktp aku ilang cakmano ngurusnyo", "ktp saya hilang bagaimana mengurusnya"),
        ("berapo lamo", "berapa lama"),
        ("samo kito", "sama kita"),
        # the rules compose: -nyo is -nya, and the -o under it is -a (biayonyo -> biaya)
        ("biayonyo lamonyo", "biaya lama"),
        # domain synonyms
        ("e-ktp ektp ktp-el ktp elektronik", "ktp ktp ktp ktp"),
        ("kartu tanda penduduk", "ktp"),
        ("akte akta", "akta akta"),
        ("dukcapil disdukcapil capil catatan sipil", "dukcapil dukcapil dukcapil dukcapil"),
        # kk is kartu keluarga here, not kakak (IndoCollex says kakak)
        ("kk sy hilang", "kartu keluarga saya hilang"),
        ("kartu keluarga", "kartu keluarga"),
        ("ok", "oke"),
        ("plg", "palembang"),
        # case, punctuation, emoji
        ("KTP SAYA HILANG!!! 😭🙏", "ktp saya hilang"),
        # repeated letters and reduplication
        ("tolongggg ilaaang", "hilang"),
        ("halooo", "halo"),
        ("selesai2", "selesai selesai"),
        ("anak-anak", "anak anak"),
        ("ktpnya aktaku", "ktp akta"),
        # greeting abbreviations are dropped; everyday synonyms become the FAQ's word
        ("assalamualaikum wr wb", "assalamualaikum"),
        ("butuh form apa y", "perlu formulir apa"),
        ("prosedur ngurus kk", "cara urus kartu keluarga"),
    ],
)
def test_normalize_reads_citizen_writing(written, normal):
    assert language.normalize(written) == normal


@pytest.mark.parametrize(
    ("written", "amounts"),
    [
        ("tadi diminta 50rb utk ktp", [50_000]),
        ("Rp 50.000", [50_000]),
        ("rp50rb", [50_000]),
        ("seratus ribu", [100_000]),
        ("dua ratus lima puluh ribu", [250_000]),
        ("lima puluh rebu", [50_000]),
        ("1,5jt", [1_500_000]),
        ("100k dan sejuta", [100_000, 1_000_000]),
        ("umur 17 thn, 2 minggu", []),
    ],
)
def test_amounts_of_money_are_recognised(written, amounts):
    assert language.find_amounts(written) == amounts


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("diminta 50rb", "diminta uang"),
        ("minta Rp 50.000", "minta uang"),
        ("minta seratus ribu", "minta uang"),
        ("minta 1,5 juta", "minta uang"),
    ],
)
def test_money_becomes_one_word(written, normal):
    assert language.normalize(written) == normal


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        ("kelahiran", "lahir"),
        ("perekaman", "rekam"),
        ("mengurus", "urus"),
        # the stemmer over-stems these; the protected stems win
        ("kerusakan", "rusak"),
        ("pemilu", "pemilu"),
        ("sekayu", "sekayu"),
        ("pasangan", "pasangan"),
        ("penduduk", "penduduk"),
        ("petugas", "petugas"),
        # domain units are never stemmed
        ("kartu keluarga", "kartu keluarga"),
        ("ktp", "ktp"),
        # informal affixes the stemmer does not know
        ("ngurus", "urus"),
        ("nyetak", "cetak"),
    ],
)
def test_stems_protect_domain_words(word, stem):
    assert language.stem(word) == stem


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        # An affixed form of a table word means what the table word means.
        ("kepatahan", "rusak"),  # patah -> rusak (domain.tsv)
        ("kerobekan", "rusak"),
        ("diwafatkan", "mati"),
        ("dijemput", "ambil"),  # jemput -> ambil (slang.tsv): a document picked up
        ("kebelah", "rusak"),  # belah -> rusak: a card split in two
        ("kebakar", "rusak"),  # bakar -> rusak: a card burnt
        # a root no table knows stays the root
        ("kebanjiran", "banjir"),
    ],
)
def test_affixed_table_words_read_as_the_table_says(word, stem):
    assert language.stem(word) == stem


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        # Palembang -ke for -kan, when a root word is under it
        ("dilaporke", "dilaporkan"),
        ("tolong buatke", "buatkan"),
        ("diaktifke", "diaktifkan"),
        # words that merely end in -ke stay as written
        ("oke", "oke"),
        ("sike", "sike"),
    ],
)
def test_palembang_ke_is_kan(written, normal):
    assert language.normalize(written) == normal


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        # consonant skeletons and Palembang forms of the FAQ's words
        ("ktp hlg", "ktp hilang"),
        ("ktp tejatoh", "ktp jatuh"),
        ("askum", "assalamualaikum"),
        ("fc kk", "fotokopi kartu keluarga"),
        # the FAQ's word for the same thing
        ("kk lusuh", "kartu keluarga rusak"),
        ("ktp kececer", "ktp hilang"),
        ("bapak berpulang", "bapak mati"),
        ("tgl merah", "hari libur"),
        # how long and whether ready: Palembang ari is hari, kelar is selesai
        ("berapo ari baru kelar", "berapa hari baru selesai"),
        ("jemput ktp", "ambil ktp"),
        ("mw tny", "mau tanya"),
        ("musti ganti", "harus ganti"),
        # which papers to bring is the requirements; the little one is a child
        ("berkasnya apa aja", "syarat apa saja"),
        ("akte si kecil", "akta anak"),
        ("berkas saya", "berkas saya"),
        # fingerprints taken is the recording, not a document picked up
        ("sidik jarinya diambil dimana", "sidik jari di mana"),
        ("ktp bisa diambil", "ktp bisa diambil"),
        # the weekend is Saturday and Sunday
        ("weekend buka ga", "sabtu minggu buka tidak"),
        # the moving letter however it is called; moving house stays
        ("surat pindahan", "surat pindah"),
        ("pindahan rumah", "pindahan rumah"),
        # a number run together with a word is read apart; reduplication stays
        ("umur 17thn", "umur 17 tahun"),
        ("formulir f1.02", "formulir f 1 02"),
        ("ktp2 nya", "ktp ktp"),
        # split, holed, crushed: the card is damaged
        ("ktp bolong", "ktp rusak"),
        ("ktp ancur", "ktp rusak"),
        # a card for small children is the child's card (KIA)
        ("ktp buat bocil", "kia"),
        ("ktp utk anak2", "kia"),
        ("ktp buat anak saya", "ktp buat anak saya"),
        # the last letter held once more, as well as many times
        ("biayanyaa brp", "biaya berapa"),
        ("syaratt apa", "syarat apa"),
    ],
)
def test_chat_forms_read_as_the_faqs_words(written, normal):
    assert language.normalize(written) == normal


def test_blood_group_is_one_unit():
    # goldar is the chat form; the FAQ's keyword "golongan darah" is one thing, not two words
    assert language.tokens("goldar di ktp") == ["golongan darah", "di", "ktp"]
    assert language.tokens("golongan darah di ktp") == ["golongan darah", "di", "ktp"]


def test_meninggal_is_death_not_tinggal():
    assert language.tokens("bapak sy meninggal") == ["bapak", "saya", "mati"]


def test_hour_and_officer_read_as_the_faqs_words():
    # "pukul" is the formal hour (jam); "pegawai" is an officer like admin or operator
    assert language.tokens("pukul brp buka") == ["jam", "berapa", "buka"]
    assert language.tokens("mau ke pegawai") == ["mau", "ke", "petugas"]


@pytest.mark.parametrize("word", ["pindahan", "ketinggalan"])
def test_events_keep_their_own_word(word):
    # Moving house is not moving one's domicile (pindah); left behind is not living (tinggal).
    assert language.stem(word) == word


def test_protected_stems_are_known_words(tmp_path):
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "stems.tsv").write_text("pindahan\n", encoding="utf-8")
    lexicon = language.load_lexicon(folder, stemmer=False)
    # a word kept whole on purpose is a word, never a typo of a shorter one
    assert lexicon.is_word("pindahan")


def test_staff_extend_the_lexicon_without_code(tmp_path):
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "domain.tsv").write_text("ktp\tktp\nkitas\tizin tinggal\n", encoding="utf-8")
    (folder / "slang.tsv").write_text("bkn\tbukan\n", encoding="utf-8")
    (folder / "fillers.txt").write_text("# filler\nbosku\n", encoding="utf-8")
    lexicon = language.load_lexicon(folder, stemmer=False)
    assert language.tokens("bosku kitas bkn ktp", lexicon) == ["izin tinggal", "bukan", "ktp"]


def test_function_words_and_places_are_neutral_data(tmp_path):
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "slang.tsv").write_text("tp\ttetapi\n", encoding="utf-8")
    (folder / "function_words.txt").write_text("# glue\ntp\njuga\n", encoding="utf-8")
    (folder / "places.txt").write_text("baturaja\n", encoding="utf-8")
    lexicon = language.load_lexicon(folder, stemmer=False)
    # Written any way the normaliser reads them: "tp" is stored as "tetapi".
    assert lexicon.neutral == {"tetapi", "juga", "baturaja"}


def test_shipped_neutral_words_keep_intent_words_out():
    neutral = language.default_lexicon().neutral
    assert {"juga", "itu", "saya", "palembang", "lahat", "banyuasin"} <= neutral
    assert {"sini", "besok", "padahal", "sering", "semua", "bukan"} <= neutral
    assert {"tinggal", "kira"} <= neutral  # where someone lives; roughly
    assert {"tiga", "lima", "pagar", "alam", "linggau", "lawang"} <= neutral  # how many, where
    # the offices' seats and chat spellings, where people come from; weekdays say when
    assert {"baturaja", "tebing", "prabu", "jakarta", "jawa", "senin", "kamis"} <= neutral
    assert {"depan", "samping"} <= neutral  # where beside what ("di depan kantor")
    # how a story is told: who (dia), only, since, about, really; never what it is about
    assert {"dia", "mereka", "cuma", "hanya", "sejak", "saat", "soal", "memang"} <= neutral
    assert {"langsung", "tanya"} <= neutral  # how it is asked: directly; a question comes
    assert {"hormat", "sore"} <= neutral  # the politeness of a letter (dengan hormat)
    assert "asli" in neutral  # which copy (kk asli) or where from (asli bandung)
    # the FAQ's own day words and greeting times are not glue
    assert not {"sabtu", "minggu", "jumat", "pagi", "malam"} & neutral
    assert not {"berapa", "kapan", "bagaimana", "sudah", "belum", "baru", "lama"} & neutral


def test_domain_table_wins_over_the_dictionary(tmp_path):
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "indocollex.tsv").write_text("informal\tformal\nkk\tkakak\n", encoding="utf-8")
    assert language.normalize("kk", language.load_lexicon(folder, stemmer=False)) == "kakak"
    (folder / "domain.tsv").write_text("kk\tkartu keluarga\n", encoding="utf-8")
    assert (
        language.normalize("kk", language.load_lexicon(folder, stemmer=False)) == "kartu keluarga"
    )


def test_core_modules_import_no_framework():
    code = "import sys, bot.language, bot.matcher, bot.evaluation; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "flask" not in out.stdout and "twilio" not in out.stdout


def test_question_words_are_data_in_normal_form(tmp_path):
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "slang.tsv").write_text("brp\tberapa\nudh\tsudah\n", encoding="utf-8")
    (folder / "question_words.txt").write_text("# asked\nbrp\nudh\nkapan\n", encoding="utf-8")
    lexicon = language.load_lexicon(folder, stemmer=False)
    assert lexicon.question_words == {"berapa", "sudah", "kapan"}
    shipped = language.default_lexicon().question_words
    assert {"berapa", "kapan", "sudah", "belum"} <= shipped
    # Words that say what a message is about never belong there.
    assert not {"ktp", "hilang", "rusak", "biaya", "pindah"} & shipped


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("ktp anak gw", ["ktp", "anak", "saya"]),  # my child's KTP
        ("ktp anak kami ilang", ["ktp", "anak", "kami", "hilang"]),
        ("ktp anak", ["kia"]),  # the children's card
        ("ktp anak syaratnya", ["kia", "syarat"]),
        ("kartu anak saya", ["kia", "saya"]),  # not a document and a person: the card
    ],
)
def test_a_document_a_person_and_whose_is_the_persons_document(written, normal):
    assert [language.stem(w) for w in language.words(written)] == normal


def test_owner_words_are_data(tmp_path):
    folder = tmp_path / "lexicon"
    folder.mkdir()
    (folder / "domain.tsv").write_text("ktp\tktp\nktp bocah\tkia\n", encoding="utf-8")
    (folder / "documents.txt").write_text("ktp\nkia\n", encoding="utf-8")
    (folder / "person_words.txt").write_text("bocah\n", encoding="utf-8")
    lexicon = language.load_lexicon(folder, stemmer=False)
    assert language.words("ktp bocah awak", lexicon) == ["kia", "awak"]
    (folder / "owner_words.txt").write_text("awak\n", encoding="utf-8")
    lexicon = language.load_lexicon(folder, stemmer=False)
    assert language.words("ktp bocah awak", lexicon) == ["ktp", "bocah", "awak"]


@pytest.mark.parametrize("word", ["pbb", "mpp", "free"])
def test_short_codes_and_unknown_words_keep_their_double_letter(word):
    # Only a known word under the doubled letter is stretched; short codes stay.
    assert language.normalize(word) == word


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("rekam ktp, anak saya 17 tahun", "rekam ktp anak saya 17 tahun"),
        ("syarat kartu. keluarga saya", "syarat kartu keluarga saya"),
        ("ktp anak syaratnya", "kia syarat"),
        ("jam 12.30 tutup", "jam 12 30 tutup"),
    ],
)
def test_a_phrase_does_not_run_across_a_clause(written, normal):
    # A comma or a full stop ends a clause: "ktp, anak" are two things, not the KIA.
    assert language.normalize(written) == normal


def test_a_clause_start_is_still_the_same_word():
    found = language.words("ktp hilang, kk ada", merge=False)
    assert found == ["ktp", "hilang", "kartu keluarga", "ada"]
    assert isinstance(found[2], language.Start) and not isinstance(found[0], language.Start)
    # Stems are kept for every message: a clause start leaves no trace in them.
    assert type(language.stem(found[2])) is str


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        # A certificate the FAQ does not cover is one unit, not the birth certificate's akta.
        ("akte nikahnya sudah ada", ["akta perkawinan", "sudah", "ada"]),
        ("bikin akta perceraian", ["buat", "akta perceraian"]),
        # A letter of residence from the village is not moving one's domicile.
        ("surat domisili dr kelurahan", ["surat keterangan domisili", "dari", "kelurahan"]),
        ("proses pengangkatan anak", ["proses", "adopsi"]),
    ],
)
def test_services_we_do_not_cover_are_one_unit(written, normal):
    assert language.words(written) == normal


def test_uncovered_services_are_data_in_normal_form_and_stem(tmp_path):
    folder = tmp_path / "lexicon"
    shutil.copytree(language.LEXICON_DIR, folder)
    (folder / "uncovered_services.txt").write_text("# services\nakte nikah\npenjara\n")
    lexicon = language.load_lexicon(folder)
    assert {"akta perkawinan", "penjara"} <= lexicon.uncovered
    assert "legalisir" not in lexicon.uncovered
    assert language.stem("dipenjara", lexicon) in lexicon.uncovered


def test_online_is_how_not_the_digital_card():
    # "ktp online" is a card applied for or checked online as often as the digital card.
    assert language.words("pengajuan ktp online sy") == ["pengajuan", "ktp", "daring", "saya"]
    assert language.words("ktp digital") == ["ikd"]


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        # Beside a marital word, "status" is the field of the card, not an application's.
        ("statusnya di kk masih janda", "status nikah di kartu keluarga masih janda"),
        ("mau ganti status, sudah kawin", "mau ganti status sudah nikah"),  # another clause
        # A marital word naming a document (akta nikah) is no cue: that asks progress.
        ("status akta nikah adik saya", "status akta perkawinan adik saya"),
        # An office that moved asks its address; a citizen moving to an office does not.
        ("kantornya sudah pindah", "kantor sudah pindah"),
        ("dinas pindah kemana", "dinas alamat ke mana"),
        ("mau pindah ke dinas", "mau pindah ke dinas"),
        # "lama" before what is done with a card says which card; before jadi, how long.
        ("kia lama dikembalikan?", "kia itu dikembalikan"),
        ("kia lama jadinya", "kia lama jadi"),
    ],
)
def test_a_word_beside_its_cue_reads_in_its_other_sense(written, normal):
    assert language.normalize(written) == normal


def test_senses_are_data(tmp_path):
    (tmp_path / "senses.tsv").write_text("# word, reading, where, cues\nbuka\tjam\tafter\tkantor\n")
    lexicon = language.load_lexicon(tmp_path, stemmer=False)
    assert language.words("kantor buka", lexicon) == ["kantor", "jam"]
    assert language.words("buka kantor", lexicon) == ["buka", "kantor"]


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("biayane piro", "biaya berapa"),  # -ne after a vowel
        ("syarate opo", "syarat apa"),  # -e after a consonant
        ("kartune ilang", "kartu hilang"),
        ("anake lahir", "anak lahir"),
        # Known words ending in -e stay; no known word under it, nothing changes.
        ("tipe sore", "tipe sore"),
        ("gede rame", "gede rame"),
    ],
)
def test_a_javanese_nya_ending_reads_as_nya(written, normal):
    assert language.normalize(written) == normal


def test_a_fire_is_an_event_not_a_burnt_card():
    # The house burning says where; the card's own word says what befell it.
    assert "rusak" not in language.tokens("dompet hilang waktu gudang kebakaran")
    assert "rusak" in language.tokens("kk kebakar separuh")


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("akta adikku wis dadi durung", "akta adik sudah dadi belum"),
        ("kudu gawe kk anyar", "harus buat kartu keluarga baru"),
        ("gawe opo", "bekerja apa"),  # not before a document: as the dictionary reads it
        ("suwene piro", "lama berapa"),
        ("ka te pe bapak ku", "ktp bapak saya"),
        ("makaseh banyak", "terima kasih banyak"),
    ],
)
def test_javanese_and_spelled_out_words_are_read(written, normal):
    assert language.normalize(written) == normal


def test_the_stemmer_is_run_only_where_it_can_change_a_word():
    # language._may_stem says where PySastrawi can change a word; elsewhere it is not run.
    # Checked on its whole dictionary, roots with prefixes, infixes and suffixes its rules
    # know (and chains of them), and typos of all those: new words, the case it is for.
    import random

    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    stemmer = language.default_lexicon()._stemmer
    roots = [w for w in StemmerFactory().get_words() if w.isalpha() and len(w) > 2]
    rng = random.Random(3)
    words = set(roots)
    prefixes = ["di", "ke", "se", "be", "ber", "te", "ter", "me", "mem", "men", "meng"]
    prefixes += ["meny", "menge", "pe", "per", "pem", "pen", "peng", "penge", "kau", "ku"]
    prefixes += ["er", "memper", "diper", "keber"]
    suffixes = ["", "nya", "i", "kan", "an", "lah", "ku", "mu", "pun", "is", "isme", "isasi"]
    suffixes += ["kannya", "annya", "inya", "kanlah"]
    for root in rng.sample(roots, 600):
        words.update(p + root + s for p in ["", *prefixes] for s in suffixes)
        words.update(root[0] + infix + root[1:] for infix in ("el", "em", "er", "in"))
    for word in rng.sample(sorted(words), 40_000) + rng.sample(roots, 10_000):
        i = rng.randrange(len(word) - 1)  # two letters swapped
        words.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
        j = rng.randrange(len(word))  # a letter left out
        words.add(word[:j] + word[j + 1 :])
    skipped = [w for w in sorted(words) if w.isalpha() and not language._may_stem(w)]
    assert len(skipped) > 20_000  # the check matters: many words need no stemmer
    changed = [w for w in skipped if stemmer.stem_word(w) != w]
    assert changed == []
