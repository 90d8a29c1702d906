"""The FAQ loader's promises, and the shipped FAQ's content contract."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
import yaml

from bot import knowledge
from bot.config import DEFAULT_CONFIG, ROOT

SHIPPED = ROOT / "faq"

# The ids other tools and tests refer to (issue 4), with the action each must carry.
CONTRACT = {
    "ektp-rekam": "answer",
    "ektp-hilang": "answer",
    "ektp-rusak": "answer",
    "blangko": "answer",
    "cek-status": "handoff",
    "kartu-keluarga": "answer",
    "akta-kelahiran": "answer",
    "akta-kematian": "answer",
    "pindah-domisili": "answer",
    "kia": "answer",
    "ikd": "answer",
    "biaya": "answer",
    "lapor-pungli": "report_pungli",
    "waktu-layanan": "answer",
    "jam-layanan": "answer",
    "lokasi-kantor": "answer",
    "perubahan-data": "answer",
    "petugas": "handoff",
    "salam": "answer",
    "terima-kasih": "answer",
}

GOOD = """\
entries:
  - id: biaya
    question: Berapa biaya bikin KTP?
    variants:
      - bayar berapa buat ktp
      - ktp gratis kan
    answer: |
      Semua layanan adminduk *GRATIS*.
    source: UU 24/2013 Pasal 79A
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def entry_yaml(entry_id: str, variants=("mangga", "jeruk"), answer="Jawaban.", **extra) -> str:
    """Return one valid entry as YAML text (indented for an `entries:` list)."""
    data = {"id": entry_id, "question": f"Tanya {entry_id}?", "variants": list(variants)}
    data["answer"] = answer
    data.update(extra)
    text = yaml.safe_dump([data], allow_unicode=True, sort_keys=False, width=10_000)
    return textwrap.indent(text, "  ")


def problems_of(text: str, file: str = "x.yaml") -> list[knowledge.Problem]:
    return knowledge.parse_text(textwrap.dedent(text), file)[1]


# --- one file -----------------------------------------------------------------


def test_a_good_file_parses_into_entries():
    entries, problems = knowledge.parse_text(GOOD, "biaya.yaml")
    assert problems == []
    assert [e.id for e in entries] == ["biaya"]
    assert entries[0].phrasings == (
        "Berapa biaya bikin KTP?",
        "bayar berapa buat ktp",
        "ktp gratis kan",
    )
    assert entries[0].file == "biaya.yaml" and entries[0].line == 2


def test_yaml_syntax_error_names_the_file_and_line():
    text = 'entries:\n  - id: biaya\n    question: "tidak ditutup\n    answer: x\n'
    [problem] = knowledge.parse_text(text, "biaya.yaml")[1]
    assert problem.file == "biaya.yaml"
    assert problem.line >= 3
    assert "YAML tidak valid" in problem.message


def test_a_key_written_twice_is_an_error_with_its_line():
    text = GOOD.replace("    source:", "    answer: Jawaban kedua.\n    source:")
    [problem] = knowledge.parse_text(text, "biaya.yaml")[1]
    assert "kunci ganda: answer" in problem.message
    assert problem.line == 9


def test_unknown_key_is_reported_with_entry_and_field():
    [problem] = problems_of(GOOD.replace("    source:", "    sumber: x\n    source:"))
    assert problem.message == "kunci tidak dikenal: sumber"
    assert (problem.entry_id, problem.field, problem.line) == ("biaya", "sumber", 9)


def test_unknown_top_level_key_is_reported():
    [problem] = problems_of("judul: FAQ\n" + GOOD)
    assert "judul" in problem.message


@pytest.mark.parametrize("field", ["question", "variants", "answer"])
def test_missing_required_field_is_reported(field):
    data = yaml.safe_load(GOOD)
    del data["entries"][0][field]
    [problem] = problems_of(yaml.safe_dump(data, allow_unicode=True))
    assert problem.field == field
    assert "wajib" in problem.message


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("question", 12, "'question' harus berupa teks"),
        ("variants", "satu varian saja", "'variants' harus berupa daftar teks"),
        ("variants", ["bisa", 17], "'variants' harus berupa daftar teks"),
        ("keywords", "ktp", "'keywords' harus berupa daftar teks"),
        ("review_by", "bulan depan", "'review_by' harus berupa tanggal"),
        ("retired", "ya", "'retired' harus true atau false"),
    ],
)
def test_wrong_type_is_reported(field, value, words):
    data = yaml.safe_load(GOOD)
    data["entries"][0][field] = value
    [problem] = problems_of(yaml.safe_dump(data, allow_unicode=True))
    assert problem.field == field
    assert words in problem.message


def test_yes_no_ok_read_as_booleans_get_a_quoting_hint():
    [problem] = problems_of(GOOD.replace("      - ktp gratis kan", "      - yes"))
    assert "tanda kutip" in problem.message


def test_an_impossible_date_is_a_problem_not_a_crash():
    [problem] = problems_of(GOOD + "    review_by: 2027-13-45\n")
    assert "tidak valid" in problem.message


def test_unknown_action_is_reported_with_the_choices():
    [problem] = problems_of(GOOD + "    action: telepon\n")
    assert problem.field == "action"
    assert "telepon" in problem.message and "report_pungli" in problem.message


def test_answer_over_the_limit_is_reported_with_its_length():
    long_answer = "a" * (knowledge.MAX_ANSWER_CHARS + 1)
    [problem] = problems_of("entries:\n" + entry_yaml("biaya", answer=long_answer))
    assert problem.field == "answer"
    assert "1001" in problem.message


def test_answer_at_the_limit_is_fine():
    answer = "a" * knowledge.MAX_ANSWER_CHARS
    assert problems_of("entries:\n" + entry_yaml("biaya", answer=answer)) == []


def test_the_allowed_placeholders_are_accepted():
    answer = (
        "Jam layanan {office_name}:\n{office_hours}\nAlamat: {office_address}\n"
        "Telepon: {office_phone}\nBlangko: {blank_stock}"
    )
    assert problems_of("entries:\n" + entry_yaml("jam-layanan", answer=answer)) == []


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("Alamat: {office_adress}", "placeholder tidak dikenal: {office_adress}"),
        ("Jam: {office_hours:>10}", "placeholder tidak dikenal"),
        ("Kurung {tidak ditutup", "kurung kurawal tidak berpasangan"),
        ("Kurung } saja", "kurung kurawal tidak berpasangan"),
        ("Bukan placeholder: {{office_name}}", "kurung kurawal ganda"),
    ],
)
def test_unknown_placeholder_or_stray_brace_is_reported(answer, words):
    [problem] = problems_of("entries:\n" + entry_yaml("jam-layanan", answer=answer))
    assert problem.field == "answer"
    assert words in problem.message


def test_entry_id_must_be_a_slug():
    [problem] = problems_of("entries:\n" + entry_yaml("KTP Hilang"))
    assert problem.field == "id"


def test_entries_must_be_mappings():
    [problem] = problems_of("entries:\n  - sekadar teks\n")
    assert "entri ke-1" in problem.message


# --- across entries and files ---------------------------------------------------


def test_duplicate_id_across_two_files_names_both(tmp_path):
    write(tmp_path, "a.yaml", "entries:\n" + entry_yaml("biaya", ["mangga"]))
    write(tmp_path, "b.yaml", "entries:\n" + entry_yaml("biaya", ["jeruk"]))
    with pytest.raises(knowledge.FaqError) as caught:
        knowledge.load_faq(tmp_path)
    [problem] = caught.value.problems
    assert problem.file == "b.yaml" and problem.entry_id == "biaya"
    assert "a.yaml:2" in problem.message


def test_same_variant_under_two_entries_is_reported_ignoring_case_and_spaces(tmp_path):
    write(tmp_path, "a.yaml", "entries:\n" + entry_yaml("biaya", ["Bayar  berapa"]))
    write(tmp_path, "b.yaml", "entries:\n" + entry_yaml("lapor-pungli", ["bayar berapa"]))
    with pytest.raises(knowledge.FaqError) as caught:
        knowledge.load_faq(tmp_path)
    [problem] = caught.value.problems
    assert problem.entry_id == "lapor-pungli" and problem.field == "variants"
    assert "biaya" in problem.message


def test_follow_up_must_name_an_existing_id(tmp_path):
    write(tmp_path, "a.yaml", "entries:\n" + entry_yaml("biaya", follow_up=["tidak-ada"]))
    with pytest.raises(knowledge.FaqError) as caught:
        knowledge.load_faq(tmp_path)
    assert "tidak-ada" in caught.value.problems[0].message


@pytest.mark.parametrize("name", ["tests.yaml", "dev_cases.yaml", "blind_cases.yaml"])
def test_case_files_are_not_entry_files(tmp_path, name):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, name, "cases:\n  - {text: halo, expect: salam}\n")
    assert [e.id for e in knowledge.load_faq(tmp_path).entries] == ["biaya"]


def test_a_file_that_is_not_utf8_is_a_problem(tmp_path):
    (tmp_path / "a.yaml").write_bytes("entries: []\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(knowledge.FaqError) as caught:
        knowledge.load_faq(tmp_path)
    assert "UTF-8" in caught.value.problems[0].message


def test_a_missing_folder_is_a_problem(tmp_path):
    with pytest.raises(knowledge.FaqError) as caught:
        knowledge.load_faq(tmp_path / "tidak-ada")
    assert "tidak ditemukan" in caught.value.problems[0].message


def test_retired_entries_are_kept_aside_not_served(tmp_path):
    write(tmp_path, "a.yaml", GOOD + entry_yaml("lama", ["kuno"], retired=True))
    faq = knowledge.load_faq(tmp_path)
    assert [e.id for e in faq.entries] == ["biaya"]
    assert [e.id for e in faq.all_entries] == ["biaya", "lama"]


# --- the shipped FAQ ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped() -> knowledge.Faq:
    return knowledge.load_faq(SHIPPED)


def test_the_shipped_faq_has_every_contract_id(shipped):
    assert set(CONTRACT) <= {e.id for e in shipped.entries}


@pytest.mark.parametrize("entry_id", sorted(CONTRACT))
def test_every_contract_entry_is_complete(shipped, entry_id):
    entry = shipped.get(entry_id)
    assert entry is not None
    assert len(entry.variants) >= 8
    assert entry.source and entry.source.strip()
    assert entry.action == CONTRACT[entry_id]
    assert 0 < len(entry.answer) <= knowledge.MAX_ANSWER_CHARS


def test_every_shipped_entry_has_a_source_and_enough_variants(shipped):
    thin = [e.id for e in shipped.entries if not e.source or len(e.variants) < 8]
    assert thin == []


DISSOLVED = re.compile(r"saber\s*pungli|saberpungli|\b1193\b|\b193\b", re.IGNORECASE)


def test_no_answer_gives_the_dissolved_saber_pungli_channels(shipped):
    for entry in shipped.all_entries:
        for text in (entry.answer, entry.answer_en or ""):
            assert not DISSOLVED.search(text), entry.id


def test_pungli_answers_give_the_live_channels(shipped):
    answer = shipped.get("lapor-pungli").answer
    for channel in ("lapor.go.id", "1708", "137", "1500537"):
        assert channel in answer


def test_fee_answer_rests_on_pasal_79a(shipped):
    entry = shipped.get("biaya")
    assert "79A" in entry.answer and "79A" in entry.source
    assert "GRATIS" in entry.answer


def test_office_list_names_all_17_kabupaten_kota_and_invents_no_address(shipped):
    answer = shipped.get("lokasi-kantor").answer
    places = [
        "Ogan Komering Ulu", "Ogan Komering Ilir", "Muara Enim", "Lahat", "Musi Rawas",
        "Musi Banyuasin", "Banyuasin", "Ogan Ilir", "OKU Selatan", "OKU Timur",
        "Empat Lawang", "PALI", "Musi Rawas Utara",
        "Palembang", "Lubuklinggau", "Pagar Alam", "Prabumulih",
    ]  # fmt: skip
    missing = [p for p in places if p not in answer]
    assert missing == []
    assert "belum tersedia" in answer
    assert not re.search(r"\bJl\.|\bJalan\b|\(0\d{2,3}\)", answer)


def test_opening_hours_come_from_config_not_the_answer(shipped):
    answer = shipped.get("jam-layanan").answer
    assert "{office_hours}" in answer
    assert not re.search(r"\d{1,2}[.:]\d{2}", answer)


def test_every_shipped_answer_ends_with_where_to_go_next(shipped):
    for entry in shipped.entries:
        last = entry.answer.strip().splitlines()[-1]
        if entry.action == "answer":
            assert re.search(r"PETUGAS|MENU|LAPOR", last), entry.id


def test_every_menu_id_in_config_is_a_shipped_entry(shipped):
    config = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    assert [item["id"] for item in config["menu"] if shipped.get(item["id"]) is None] == []
