"""Editing FAQ files safely, without the app: round trips keep every other byte, the same
rules as `faq check` run first, writes are atomic and serialised, and history can revert."""

from __future__ import annotations

import datetime as dt
import io
import threading
from pathlib import Path

import pytest

from bot import examples as learning
from bot import faq_editing, knowledge, yaml_files
from bot import matcher as matching

TOPIC = """\
# Biaya: every adminduk service is free.
# Facts: UU 24/2013 Pasal 79A.
entries:
  - id: biaya
    question: Berapa biaya membuat KTP-el?
    # Citizens ask about money in many ways.
    variants:
      - bayar berapa buat ktp
      - ngurus kk kena biaya ga  # common in Palembang
    keywords: [gratis, bayar]
    answer: |
      Semua layanan adminduk *GRATIS*.

      Jangan bayar siapa pun.
    source: UU 24/2013 Pasal 79A
    review_by: 2027-06-30
    tags: [biaya]

  # --- documents ---
  - id: akta-lahir
    question: Apa syarat akta kelahiran?
    variants:
      - syarat akta lahir anak
      - bikin akte kelahiran bawa apa
    answer: Surat keterangan lahir dari bidan atau rumah sakit, KK, dan KTP-el orang tua.
    source: Perpres 96/2018
"""

OTHER = """\
entries:
  - id: jam-layanan
    question: Jam berapa kantor buka?
    variants:
      - kantor buka jam berapa
      - jam pelayanan dukcapil
    answer: "Kantor buka {office_hours}."
    source: kantor
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "biaya.yaml").write_text(TOPIC, encoding="utf-8")
    (tmp_path / "layanan.yaml").write_text(OTHER, encoding="utf-8")
    return tmp_path


def values_of(folder, entry_id) -> dict[str, str]:
    return faq_editing.form_values(faq_editing.find(folder, entry_id).data)


def edit(folder, entry_id, **changes) -> faq_editing.Plan:
    """Plan an edit the way the console does: the form's text fields, changed."""
    block = faq_editing.find(folder, entry_id)
    data, problems = faq_editing.parse_form({**values_of(folder, entry_id), **changes})
    assert problems == []
    return faq_editing.plan_edit(folder, entry_id, data, block.version)


def save(folder, make_plan, **kwargs) -> faq_editing.Result:
    return faq_editing.save(folder, make_plan, settings=matching.Settings(), **kwargs)


# ---------------------------------------------------------------- round trips


def test_each_entry_is_read_as_its_own_block_of_lines(folder):
    first, second = faq_editing.read_file(folder / "biaya.yaml").blocks
    assert first.text.startswith("  - id: biaya\n") and first.text.endswith("tags: [biaya]\n")
    # The blank line and the comment that lead the next entry belong to it, not to this one.
    assert second.text.startswith("  - id: akta-lahir\n")
    assert "# --- documents ---" not in first.text + second.text
    assert first.yaml.startswith("- id: biaya\n  question:")


def test_an_unchanged_entry_is_written_back_byte_for_byte(folder):
    plan = edit(folder, "biaya")
    assert plan.text == TOPIC


def test_editing_the_answer_keeps_comments_order_and_the_other_entries(folder):
    plan = edit(folder, "biaya", answer="Semua layanan *GRATIS*.\n\nLapor bila diminta bayar.")
    before_lines, after_lines = TOPIC.splitlines(), plan.text.splitlines()
    changed = [a for a in after_lines if a not in before_lines]
    assert changed == ["      Semua layanan *GRATIS*.", "      Lapor bila diminta bayar."]
    for kept in (
        "# Biaya: every adminduk service is free.",
        "    # Citizens ask about money in many ways.",
        "      - ngurus kk kena biaya ga  # common in Palembang",
        "  # --- documents ---",
        "    keywords: [gratis, bayar]",
        "    answer: |",
    ):
        assert kept in after_lines
    # The other entry, from its dash to the end of the file, is untouched.
    tail = TOPIC[TOPIC.index("\n  # --- documents ---") :]
    assert plan.text.endswith(tail)
    entries, problems = knowledge.parse_text(plan.text, "biaya.yaml")
    assert problems == [] and entries[0].answer.startswith("Semua layanan *GRATIS*.")


def test_a_new_optional_field_goes_in_its_usual_place(folder):
    plan = edit(folder, "akta-lahir", tags="akta, kelahiran", review_by="2028-01-31")
    block = plan.after
    assert block.index("source:") < block.index("review_by: 2028-01-31") < block.index("tags:")
    assert "tags: [akta, kelahiran]" in block


def test_an_emptied_optional_field_is_removed(folder):
    plan = edit(folder, "biaya", keywords="", tags="")
    assert "keywords" not in plan.after and "tags" not in plan.after
    assert "keywords: [gratis, bayar]" not in plan.text


def test_words_yaml_1_1_would_misread_are_quoted(folder):
    plan = edit(folder, "biaya", keywords="gratis, no, on", variants="bayar berapa\n2024")
    entries, problems = knowledge.parse_text(plan.text, "biaya.yaml")
    assert problems == []
    assert entries[0].keywords == ("gratis", "no", "on")
    assert entries[0].variants == ("bayar berapa", "2024")


def test_windows_line_endings_are_kept(tmp_path):
    (tmp_path / "a.yaml").write_bytes(OTHER.replace("\n", "\r\n").encode())
    plan = edit(tmp_path, "jam-layanan", question="Kapan kantor buka?")
    assert "\r\n" in plan.text and "\n" not in plan.text.replace("\r\n", "")
    assert "question: Kapan kantor buka?\r\n" in plan.text


# ---------------------------------------------------------------- the form


def test_the_form_reads_variants_per_line_and_lists_by_comma():
    data, problems = faq_editing.parse_form(
        {
            "id": " ektp-baru ",
            "question": "Apa?",
            "variants": "satu\r\n\r\n dua  spasi \nSATU\n",
            "keywords": "a, b\nc,,",
            "answer": "Baris 1   \r\nBaris 2\n\n",
            "action": "answer",
            "review_by": "2027-01-02",
        }
    )
    assert problems == []
    assert data["id"] == "ektp-baru"
    assert data["variants"] == ["satu", "dua spasi"]  # blank lines and repeats dropped
    assert data["keywords"] == ["a", "b", "c"]
    assert data["answer"] == "Baris 1\nBaris 2"
    assert data["review_by"] == dt.date(2027, 1, 2)
    assert "action" not in data  # the default is not written


def test_a_bad_date_is_a_problem_on_its_field():
    _, problems = faq_editing.parse_form({"id": "x", "review_by": "30/06/2027"})
    assert [(p.field, p.entry_id) for p in problems] == [("review_by", "x")]


# ---------------------------------------------------------------- validation per field


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"question": ""}, "question", "kolom wajib"),
        ({"variants": ""}, "variants", "kolom wajib"),
        ({"answer": ""}, "answer", "kolom wajib"),
        ({"answer": "x" * (knowledge.MAX_ANSWER_CHARS + 1)}, "answer", "terlalu panjang"),
        ({"answer": "Datang ke {kantor}"}, "answer", "placeholder tidak dikenal"),
        ({"answer": "Kurung { terbuka"}, "answer", "kurung kurawal"),
        ({"action": "telepon"}, "action", "action tidak dikenal"),
        ({"variants": "bikin akte kelahiran bawa apa"}, "variants", "juga ada di entri"),
        ({"follow_up": "tidak-ada"}, "follow_up", "tidak ada"),
    ],
)
def test_every_faq_check_rule_runs_before_a_save_and_names_the_field(folder, changes, field, words):
    plan = edit(folder, "biaya", **changes)
    verdict = faq_editing.verify(folder, plan, settings=matching.Settings())
    assert not verdict.ok
    messages = verdict.field_errors("biaya")[field]
    assert any(words in m for m in messages), messages


def test_a_variant_the_matcher_sends_elsewhere_is_refused(folder):
    # Routing: faq check's error when another entry would answer this phrasing.
    plan = edit(folder, "akta-lahir", variants="syarat akta lahir anak\nbayar berapa buat ktp")
    verdict = faq_editing.verify(folder, plan, settings=matching.Settings())
    assert not verdict.ok
    assert any("bayar berapa buat ktp" in p.message for p in verdict.errors)


def test_a_menu_entry_cannot_be_retired(folder):
    plan = faq_editing.plan_retire(folder, "biaya", None)
    verdict = faq_editing.verify(folder, plan, menu_ids=["biaya"], settings=matching.Settings())
    assert [p.field for p in verdict.errors] == ["menu"]


def test_a_new_entry_with_a_taken_id_is_refused_on_the_id(folder):
    data, _ = faq_editing.parse_form(
        {"id": "biaya", "question": "Q", "variants": "v baru sekali", "answer": "A"}
    )
    plan = faq_editing.plan_add(folder, "layanan.yaml", data)
    verdict = faq_editing.verify(folder, plan, settings=matching.Settings())
    assert "id" in verdict.field_errors("biaya")


def test_errors_elsewhere_do_not_block_an_unrelated_edit(folder):
    # A colleague broke another file directly; the console can still fix this entry.
    (folder / "rusak.yaml").write_text("entries:\n  - id: rusak\n    question: [\n")
    plan = edit(folder, "biaya", answer="Gratis.")
    verdict = faq_editing.verify(folder, plan, settings=matching.Settings())
    assert verdict.ok
    assert [p.file for p in verdict.unrelated] == ["rusak.yaml"]


def test_a_warning_about_the_entry_does_not_block(folder):
    plan = edit(folder, "akta-lahir", source="")
    verdict = faq_editing.verify(folder, plan, settings=matching.Settings())
    assert verdict.ok
    assert [p.field for p in verdict.warnings] == ["source"]


# ---------------------------------------------------------------- saving


def test_a_save_writes_the_file_atomically_and_leaves_no_temp_file(folder):
    result = save(folder, lambda f: edit(f, "biaya", answer="Gratis, selalu."))
    assert result.saved
    assert knowledge.load_faq(folder).get("biaya").answer == "Gratis, selalu."
    assert sorted(p.name for p in folder.iterdir()) == ["biaya.yaml", "layanan.yaml"]


def test_a_refused_save_does_not_touch_the_file(folder):
    result = save(folder, lambda f: edit(f, "biaya", question=""))
    assert not result.saved
    assert (folder / "biaya.yaml").read_text() == TOPIC


def test_when_the_history_cannot_be_written_the_file_is_not_changed(folder):
    def record(plan, verdict):
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        save(folder, lambda f: edit(f, "biaya", answer="Gratis."), record=record)
    assert (folder / "biaya.yaml").read_text() == TOPIC
    assert sorted(p.name for p in folder.iterdir()) == ["biaya.yaml", "layanan.yaml"]


def test_the_history_is_recorded_with_before_and_after(folder):
    opened = faq_editing.find(folder, "biaya")
    seen = []
    result = save(
        folder,
        lambda f: edit(f, "biaya", answer="Gratis."),
        record=lambda plan, verdict: seen.append(plan) or 7,
    )
    assert result.change_id == 7
    [plan] = seen
    assert plan.action == "edit" and plan.file == "biaya.yaml"
    assert plan.before == opened.yaml and plan.base_version == opened.version
    assert "Jangan bayar siapa pun." in plan.before and "Gratis." in plan.after


def test_a_second_editor_with_an_old_version_is_refused_with_the_current_text(folder):
    opened = faq_editing.find(folder, "biaya").version
    first, _ = faq_editing.parse_form({**values_of(folder, "biaya"), "answer": "Versi Ani."})
    second, _ = faq_editing.parse_form({**values_of(folder, "biaya"), "answer": "Versi Budi."})
    assert save(folder, lambda f: faq_editing.plan_edit(f, "biaya", first, opened)).saved
    with pytest.raises(faq_editing.Conflict) as refused:
        save(folder, lambda f: faq_editing.plan_edit(f, "biaya", second, opened))
    assert "Versi Ani." in refused.value.current.text
    assert knowledge.load_faq(folder).get("biaya").answer == "Versi Ani."


def test_simultaneous_saves_to_one_file_never_interleave(folder):
    """Two threads save different entries of one file at once: both changes land."""
    start = threading.Barrier(2)
    errors = []

    def worker(entry_id, answer):
        try:
            start.wait(timeout=10)
            result = save(folder, lambda f: edit(f, entry_id, answer=answer))
            assert result.saved
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=("biaya", "Gratis dari Ani.")),
        threading.Thread(target=worker, args=("akta-lahir", "Syarat dari Budi.")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    faq = knowledge.load_faq(folder)
    assert faq.get("biaya").answer == "Gratis dari Ani."
    assert faq.get("akta-lahir").answer == "Syarat dari Budi."


def test_the_folder_lock_waits_a_bounded_time(folder):
    with (
        faq_editing.folder_lock(folder),
        pytest.raises(faq_editing.EditError) as busy,
        faq_editing.folder_lock(folder, timeout=0.2),
    ):
        pass
    assert busy.value.code == "busy"


# ---------------------------------------------------------------- add, retire, revert


def new_entry(**changes) -> dict:
    data, problems = faq_editing.parse_form(
        {
            "id": "pindah-datang",
            "question": "Bagaimana mengurus surat pindah?",
            "variants": "mau pindah domisili ngurus apa\nsurat pindah antar kota",
            "answer": "Bawa KK dan KTP-el ke Disdukcapil tujuan.",
            "source": "Permendagri 108/2019",
            **changes,
        }
    )
    assert problems == []
    return data


def test_a_new_entry_is_appended_after_a_blank_line(folder):
    result = save(folder, lambda f: faq_editing.plan_add(f, "biaya.yaml", new_entry()))
    assert result.saved and result.plan.before is None
    text = (folder / "biaya.yaml").read_text()
    assert text.startswith(TOPIC) and "\n\n  - id: pindah-datang\n" in text
    assert knowledge.load_faq(folder).get("pindah-datang").source == "Permendagri 108/2019"


def test_a_new_entry_can_start_a_new_topic_file(folder):
    assert save(folder, lambda f: faq_editing.plan_add(f, "pindah.yaml", new_entry())).saved
    assert (folder / "pindah.yaml").read_text().startswith("entries:\n  - id: pindah-datang\n")


@pytest.mark.parametrize("name", ["tests.yaml", "../x.yaml", "Besar.yaml", "x.yml"])
def test_a_new_file_needs_a_plain_name(folder, name):
    with pytest.raises(faq_editing.EditError):
        faq_editing.plan_add(folder, name, new_entry())


def test_retire_keeps_the_entry_for_history_but_the_bot_stops_using_it(folder):
    assert save(folder, lambda f: faq_editing.plan_retire(f, "akta-lahir", None)).saved
    faq = knowledge.load_faq(folder)
    assert faq.get("akta-lahir") is None
    assert "akta-lahir" in {e.id for e in faq.all_entries}
    assert save(folder, lambda f: faq_editing.plan_retire(f, "akta-lahir", None, False)).saved
    assert knowledge.load_faq(folder).get("akta-lahir") is not None


def test_revert_puts_back_the_exact_text_comments_included(folder):
    edited = save(folder, lambda f: edit(f, "biaya", answer="Salah ketik.", variants="satu saja"))
    assert edited.saved
    reverted = save(
        folder,
        lambda f: faq_editing.plan_revert(f, "biaya", "biaya.yaml", edited.plan.before),
    )
    assert reverted.saved and reverted.plan.action == "revert"
    assert (folder / "biaya.yaml").read_text() == TOPIC


def test_reverting_an_addition_retires_the_entry(folder):
    added = save(folder, lambda f: faq_editing.plan_add(f, "biaya.yaml", new_entry()))
    plan = faq_editing.plan_revert(folder, "pindah-datang", "biaya.yaml", added.plan.before)
    assert save(folder, lambda f: plan).saved
    assert knowledge.load_faq(folder).get("pindah-datang") is None
    assert faq_editing.find(folder, "pindah-datang").retired


def test_reverting_an_entry_removed_from_the_files_writes_it_back(folder):
    edited = save(folder, lambda f: edit(f, "akta-lahir", answer="Baru."))
    (folder / "biaya.yaml").write_text(TOPIC[: TOPIC.index("\n  # --- documents ---")] + "\n")
    plan = faq_editing.plan_revert(folder, "akta-lahir", "biaya.yaml", edited.plan.before)
    assert save(folder, lambda f: plan).saved
    assert knowledge.load_faq(folder).get("akta-lahir").answer.startswith("Surat keterangan")


def test_the_diff_shows_removed_and_added_lines():
    lines = faq_editing.diff("a: 1\nb: 2\n", "a: 1\nb: 3\n")
    assert ("del", "b: 2") in lines and ("add", "b: 3") in lines and ("same", "a: 1") in lines


# ---------------------------------------------------------------- trying and measuring


def test_a_trial_uses_the_unsaved_edit(folder):
    message = "loket tutup waktu istirahat siang"
    _, index, _ = faq_editing.trial(folder, None, matching.Settings())
    assert index.match(message).outcome == "escalate"
    plan = edit(
        folder, "jam-layanan", variants="kantor buka jam berapa\nloket tutup waktu istirahat"
    )
    _, index, problems = faq_editing.trial(folder, plan, matching.Settings())
    assert problems == []
    result = index.match(message)
    assert result.outcome == "answer" and result.entry.id == "jam-layanan"
    assert (folder / "layanan.yaml").read_text() == OTHER  # nothing written


def test_a_trial_with_a_broken_edit_says_why(folder):
    plan = edit(folder, "biaya", question="")
    faq, _, problems = faq_editing.trial(folder, plan, matching.Settings())
    assert faq.get("biaya") is None
    assert [p.field for p in problems] == ["question"]


def test_compare_reports_cases_that_stopped_being_right(folder):
    before = faq_editing.trial(folder, None, matching.Settings())[1]
    plan = faq_editing.plan_retire(folder, "jam-layanan", None)
    after = faq_editing.trial(folder, plan, matching.Settings())[1]
    cases = [
        faq_editing.evaluation.Case("kantor dukcapil buka jam berapa ya", ("jam-layanan",)),
        faq_editing.evaluation.Case("syarat bikin akta lahir", ("akta-lahir",)),
    ]
    result = faq_editing.compare(before, after, cases)
    assert result["right_before"] == 1.0 and result["right_after"] == 0.5
    assert [w["text"] for w in result["worse"]] == ["kantor dukcapil buka jam berapa ya"]


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("Semua layanan GRATIS.", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("[" * 80, "GSM-7", 1),  # escape characters count twice: 160 septets
        ("[" * 81, "GSM-7", 2),
        ("Terima kasih 🙏", "UCS-2", 1),
        ("• " + "a" * 68, "UCS-2", 1),
        ("• " + "a" * 69, "UCS-2", 2),
    ],
)
def test_sms_length_counts_segments_like_a_phone(text, encoding, segments):
    length = faq_editing.sms_length(text)
    assert (length.encoding, length.segments) == (encoding, segments)


def test_the_shipped_faq_files_survive_a_round_trip_unchanged():
    folder = Path(__file__).resolve().parents[1] / "faq"
    for file in faq_editing.read_folder(folder):
        assert file.error is None, file.name
        for block in file.blocks:
            data = dict(block.data)
            plan = faq_editing.plan_edit(folder, block.id, data, block.version)
            assert plan.text == file.text, (file.name, block.id)


# ---------------------------------------------------------------- learned examples

LEARNED = "learned_cases.yaml"


def test_a_labelled_message_is_written_as_an_example_the_matcher_reads(tmp_path):
    assert faq_editing.label_example(tmp_path, LEARNED, "ktp sy  ilang: gmn?", "ektp-hilang")
    assert faq_editing.label_example(tmp_path, LEARNED, "paspor dmn", None) == "added"
    text = (tmp_path / LEARNED).read_text(encoding="utf-8")
    assert "expect: null" in text  # "no entry answers it", said in the file's words
    # ... by a writer of its own: FAQ entries are still written as they were.
    buffer = io.StringIO()
    yaml_files.round_trip().dump({"review_by": None}, buffer)
    assert buffer.getvalue() == "review_by:\n"
    assert learning.load_examples(tmp_path, ["*_cases.yaml"]) == (
        learning.Example("ktp sy ilang: gmn?", "ektp-hilang"),
        learning.Example("paspor dmn", learning.NOBODY),
    )


def test_the_same_words_labelled_again_take_the_new_label_once(tmp_path):
    (tmp_path / LEARNED).write_text(
        "# dilabeli petugas\n- text: ktp hilang\n  expect: ektp-rusak  # keliru\n"
        "- text: halo\n  expect: salam\n- text: ktp  hilang\n  expect: ektp-rusak\n",
        encoding="utf-8",
    )
    assert faq_editing.label_example(tmp_path, LEARNED, "ktp hilang", "ektp-hilang") == (
        "relabelled"
    )
    assert faq_editing.label_example(tmp_path, LEARNED, "ktp hilang", "ektp-hilang") == (
        "unchanged"
    )
    text = (tmp_path / LEARNED).read_text(encoding="utf-8")
    assert text.startswith("# dilabeli petugas\n")  # comments and other items kept
    assert learning.load_examples(tmp_path, [LEARNED]) == (
        learning.Example("ktp hilang", "ektp-hilang"),
        learning.Example("halo", "salam"),
    )


def test_the_cases_form_of_an_examples_file_is_kept(tmp_path):
    (tmp_path / LEARNED).write_text("cases:\n  - text: halo\n    expect: salam\n")
    faq_editing.label_example(tmp_path, LEARNED, "kk baru", "kartu-keluarga")
    assert [x.label for x in learning.load_examples(tmp_path, [LEARNED])] == [
        "salam",
        "kartu-keluarga",
    ]


@pytest.mark.parametrize("content", ["- text: [unclosed\n", "text: halo\n", "- 1\n- 2\n", "7\n"])
def test_a_broken_examples_file_is_refused_and_left_alone(tmp_path, content):
    (tmp_path / LEARNED).write_text(content, encoding="utf-8")
    with pytest.raises(faq_editing.EditError):
        faq_editing.label_example(tmp_path, LEARNED, "ktp hilang", "ektp-hilang")
    assert (tmp_path / LEARNED).read_text(encoding="utf-8") == content


@pytest.mark.parametrize("name", ["ektp.yaml", "../x_cases.yaml", "Learned_cases.yaml", ""])
def test_examples_go_only_into_a_plainly_named_cases_file(tmp_path, name):
    with pytest.raises(faq_editing.EditError):
        faq_editing.label_example(tmp_path, name, "ktp hilang", "ektp-hilang")
    assert list(tmp_path.iterdir()) == []


def test_when_the_audit_cannot_be_written_the_examples_file_is_not_changed(tmp_path):
    faq_editing.label_example(tmp_path, LEARNED, "halo", "salam")
    before = (tmp_path / LEARNED).read_text(encoding="utf-8")

    def fail(outcome):
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError):
        faq_editing.label_example(tmp_path, LEARNED, "ktp hilang", "ektp-hilang", fail)
    assert (tmp_path / LEARNED).read_text(encoding="utf-8") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [LEARNED]
