"""Labelled messages train a second opinion: it settles choices the rules leave open and
holds back answers it is sure are wrong; with no examples the rules decide alone."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from bot import evaluation, examples, language
from bot.config import DEFAULT_CONFIG, ROOT
from bot.examples import NOBODY, Example
from bot.knowledge import Faq, load_faq
from bot.matcher import Answer, Clarify, Escalate, Matcher, Settings
from tests.test_matcher import FAQ, JOINED

SETTINGS = Settings(min_examples=1, taught_examples=1)

# What citizens wrote and which entry answered it (NOBODY: an officer had to).
TAUGHT = (
    [Example(t, "ektp-rekam") for t in ("bikin ktp baru", "mau bikin ktp", "bikin ktp pertama")]
    + [Example(t, "biaya") for t in ("kk gratis ga", "bikin kk gratis kah", "ngurus kk bayar ga")]
    + [Example(t, NOBODY) for t in ("wifi gratis kah", "password wifi", "wifi kantor")]
    # Deeds of land and notaries are "akta" too, but no business of ours.
    + [Example(t, NOBODY) for t in ("akta tanah gratis ga", "akta notaris", "akta jual beli tanah")]
    + [Example(t, "ektp-hilang") for t in ("ktp jatuh di jalan", "ktp ku jatuh")]
    + [Example(t, "kartu-keluarga") for t in ("kk baru syaratnya", "kk hilang cara ngurus")]
)


def test_the_model_scores_exactly_as_scikit_learn_does():
    texts = [["ktp", "hilang"], ["ktp", "rusak", "patah"], ["kk", "baru"], ["wifi"], ["ktp"]]
    for labels in (["a", "b", "c", "d", "a"], ["a", "b", "b", "a", "a"]):  # several, two
        vectorizer, fitted = examples.fit(texts, labels)
        model = examples.train(texts, labels)
        for tokens in (["ktp", "hilangg"], ["kk"], ["zzz"], [], ["ktp", "hilang", "ktp", "hilang"]):
            mine = model.probabilities(tokens)
            theirs = fitted.predict_proba(vectorizer.transform([tokens]))[0]
            assert np.allclose([mine[label] for label in fitted.classes_], theirs)


def _tokens(matcher: Matcher, text: str) -> list[str]:
    """Return a text's words as the matcher's second opinion reads them."""
    return matcher._tokens(language.words(text, matcher.lexicon, merge=False))


def test_one_label_teaches_nothing():
    assert examples.train([["ktp"], ["kk"]], ["a", "a"]) is None


def test_examples_are_read_from_the_faq_folder(tmp_path):
    cases = [
        {"text": "ktp ilang", "expect": "ektp-hilang"},
        {"text": "kk ilang", "expect": ["kartu-keluarga"]},
        {"text": "paspor", "expect": None},
        {"text": "ktp dan kk ilang", "expect": ["ektp-hilang", "kartu-keluarga"]},  # says no order
        {"text": 5, "expect": "biaya"},
    ]
    (tmp_path / "dev_cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    (tmp_path / "x_cases.yaml").write_text("- text: [", encoding="utf-8")  # broken: skipped
    (tmp_path / "y_cases.yaml").write_text(yaml.safe_dump({"cases": cases[:1]}), encoding="utf-8")
    (tmp_path / "tests.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")  # no pattern
    found = examples.load_examples(tmp_path, ["*_cases.yaml"])
    assert found == (
        Example("ktp ilang", "ektp-hilang"),
        Example("kk ilang", "kartu-keluarga"),
        Example("paspor", NOBODY),
        Example("ktp ilang", "ektp-hilang"),  # y_cases.yaml, in the `cases:` form
    )
    left_out = [tmp_path / "dev_cases.yaml", tmp_path / "y_cases.yaml"]
    assert examples.load_examples(tmp_path, ["*_cases.yaml"], exclude=left_out) == ()
    assert examples.load_examples(tmp_path, []) == ()


def test_without_examples_the_rules_decide_alone():
    rules = Matcher(FAQ, SETTINGS, examples=())
    assert rules.model is None
    assert isinstance(rules.match("bikin ktp"), Clarify)
    too_few = Matcher(FAQ, Settings(min_examples=len(TAUGHT) + 1), examples=tuple(TAUGHT))
    assert too_few.model is None


def test_examples_settle_a_choice_the_rules_leave_open():
    assert isinstance(Matcher(FAQ, SETTINGS, examples=()).match("bikin ktp"), Clarify)
    result = Matcher(FAQ, SETTINGS, examples=tuple(TAUGHT)).match("bikin ktp")
    assert isinstance(result, Answer) and result.entry.id == "ektp-rekam"
    assert "contoh warga: ektp-rekam" in result.reason


def test_a_choice_is_settled_only_when_the_model_is_sure():
    taught = Matcher(FAQ, SETTINGS, examples=tuple(TAUGHT))
    sure = taught.model.probabilities(["buat", "ktp"])["ektp-rekam"]
    for confidence, outcome in ((sure - 0.001, Answer), (sure + 0.001, Clarify)):
        settings = Settings(min_examples=1, tie_confidence=confidence)
        result = Matcher(FAQ, settings, examples=tuple(TAUGHT)).match("bikin ktp")
        assert isinstance(result, outcome)


def test_examples_hold_back_an_answer_no_entry_gives():
    # The rules answer the fee entry for "akta gratis"; citizens' land deeds went to officers.
    assert Matcher(FAQ, SETTINGS, examples=()).match("akta notaris gratis kah").entry.id == "biaya"
    result = Matcher(FAQ, SETTINGS, examples=tuple(TAUGHT)).match("akta notaris gratis kah")
    assert isinstance(result, Escalate)
    assert "contoh warga: petugas" in result.reason


def test_examples_that_say_another_entry_turn_an_answer_into_a_choice_of_both():
    assert Matcher(FAQ, SETTINGS, examples=()).match("kk gratis kah").entry.id == "kartu-keluarga"
    result = Matcher(FAQ, SETTINGS, examples=tuple(TAUGHT)).match("kk gratis kah")
    assert isinstance(result, Clarify)
    assert {c.entry.id for c in result.candidates} == {"kartu-keluarga", "biaya"}


def test_an_escalation_is_never_overturned():
    assert isinstance(Matcher(FAQ, SETTINGS, examples=()).match("ktp ku jatuh di jalan"), Escalate)
    result = Matcher(FAQ, SETTINGS, examples=tuple(TAUGHT)).match("ktp ku jatuh di jalan")
    assert isinstance(result, Escalate)


def test_the_matcher_reads_the_examples_of_its_faq_folder(tmp_path):
    cases = [{"text": e.text, "expect": e.label or None} for e in TAUGHT]
    (tmp_path / "dev_cases.yaml").write_text(yaml.safe_dump(cases), encoding="utf-8")
    faq = Faq(entries=FAQ.entries, folder=str(tmp_path))
    settings = Settings(min_examples=1, examples=("*_cases.yaml",))
    matcher = Matcher(faq, settings)
    assert matcher.examples == len(TAUGHT)
    assert matcher.match("bikin ktp").entry.id == "ektp-rekam"


def test_labels_of_entries_the_faq_lacks_are_not_learnt():
    stale = (*TAUGHT, *[Example(f"surat tanah {n}", "sertifikat-tanah") for n in range(5)])
    matcher = Matcher(FAQ, SETTINGS, examples=stale)
    assert "sertifikat-tanah" not in matcher.model.labels


def test_faq_eval_measures_a_file_of_examples_on_a_matcher_that_never_saw_it(app, tmp_path):
    folder = tmp_path / "faq"
    folder.mkdir()
    entries = [
        {"id": e.id, "question": e.question, "variants": list(e.variants), "answer": "jawaban"}
        for e in FAQ.entries
    ]
    (folder / "layanan.yaml").write_text(yaml.safe_dump({"entries": entries}), encoding="utf-8")
    # Enough examples to train on (config.yaml: min_examples): the folder's only ones.
    taught = [{"text": e.text, "expect": e.label or None} for e in TAUGHT] * 10
    taught.append({"text": "bikin ktp", "expect": "ektp-rekam"})
    (folder / "taught_cases.yaml").write_text(yaml.safe_dump(taught), encoding="utf-8")
    outside = tmp_path / "same.yaml"
    outside.write_text(yaml.safe_dump(taught), encoding="utf-8")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "layanan.yaml").write_text((folder / "layanan.yaml").read_text(), encoding="utf-8")
    runner = app.test_cli_runner()

    def report(cases, faq) -> str:
        args = ["faq", "eval", str(cases), "--faq", str(faq), "--min-right", "0"]
        return runner.invoke(args=args).output.splitlines()[0]

    # Measured from the folder, the file is left out of the training: as with no examples.
    rules_alone = report(folder / "taught_cases.yaml", bare)
    assert report(folder / "taught_cases.yaml", folder) == rules_alone
    # The same cases from elsewhere are measured on a matcher that learnt them.
    assert report(outside, folder) != rules_alone


def test_training_is_done_once_for_the_same_texts():
    texts, labels = [["ktp", "hilang"], ["kk"], ["wifi"]], ["a", "b", ""]
    assert examples.train(texts, labels) is examples.train([list(t) for t in texts], labels)
    assert examples.train(texts, labels) is not examples.train(texts, ["a", "b", "b"])


def test_the_shipped_examples_name_only_entries_the_faq_has():
    config = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    settings = Settings.from_config(config.get("matcher"))
    faq = load_faq(ROOT / "faq")
    files = examples.example_files(ROOT / "faq", settings.examples)
    assert files and not any(p.name == "tests.yaml" for p in files)  # the unseen check
    for path in files:
        cases = evaluation.load_cases(path)  # parses, or raises
        assert evaluation.unknown_ids(faq, cases) == [], path.name
    taught = examples.load_examples(ROOT / "faq", settings.examples)
    assert len(taught) >= settings.min_examples


def test_of_two_questions_answered_the_one_examples_rule_out_is_dropped():
    # The rules answer both the birth certificate and the child's card; citizens who wrote
    # like this only ever asked about the birth certificate.
    text = "akte lahir sama kia anak bisa diurus bareng ga"
    rules = Matcher(JOINED, SETTINGS, examples=()).match(text)
    assert [rules.entry.id, *(c.entry.id for c in rules.also)] == ["akta", "kia"]
    taught = tuple(
        Example(t, "akta")
        for t in ("akte lahir sama ktp bisa bareng ga", "akte lahir anak bisa bareng ga")
    ) + (Example("kartu kia", "kia"), Example("kia hilang", "kia"))
    result = Matcher(JOINED, SETTINGS, examples=taught).match(text)
    assert isinstance(result, Answer) and result.entry.id == "akta" and result.also == ()
    # Not sure enough of the birth certificate: both are still answered.
    unsure = Settings(min_examples=1, taught_examples=1, veto_confidence=0.999)
    assert Matcher(JOINED, unsure, examples=taught).match(text).also


def test_what_a_lexicon_rule_held_back_stays_a_choice():
    # "legalisir" is a service we do not cover (uncovered_services.txt): the rules offer the
    # KK entry without answering it, and examples that say "kk" do not overrule them.
    taught = (*TAUGHT, *[Example(f"syarat kk baru {w}", "kartu-keluarga") for w in "abcdef"])
    matcher = Matcher(FAQ, SETTINGS, examples=taught)
    rules = Matcher(FAQ, SETTINGS, examples=()).match("legalisir kk baru syaratnya")
    assert isinstance(rules, Clarify) and rules.held == {"kartu-keluarga"}
    tokens = _tokens(matcher, "legalisir kk baru syaratnya")
    assert matcher.model.probabilities(tokens)["kartu-keluarga"] > SETTINGS.sole_confidence
    assert isinstance(matcher.match("legalisir kk baru syaratnya"), Clarify)


def test_an_answer_the_model_all_but_rules_out_is_offered_instead():
    # "ganti ktp" is the damaged-card entry for the rules; citizens who wrote so meant a
    # lost card (the veto, which needs the model sure of another entry, is off here).
    taught = (*TAUGHT, *[Example(f"ganti ktp ilang {w}", "ektp-hilang") for w in "abc"])
    taught += (Example("ganti ktp", "ektp-hilang"), Example("ganti ktp", "ektp-rekam"))
    matcher = Matcher(FAQ, SETTINGS, examples=taught)
    chances = matcher.model.probabilities(_tokens(matcher, "ganti ktp"))
    assert Matcher(FAQ, SETTINGS, examples=()).match("ganti ktp").entry.id == "ektp-rusak"
    doubting = Settings(
        min_examples=1,
        taught_examples=0,
        veto_confidence=1.0,
        answer_doubt=chances["ektp-rusak"] + 0.001,
    )
    result = Matcher(FAQ, doubting, examples=taught).match("ganti ktp")
    assert isinstance(result, Clarify)
    assert "ektp-rusak" in {c.entry.id for c in result.candidates}
    trusting = Settings(
        min_examples=1,
        taught_examples=0,
        veto_confidence=1.0,
        answer_doubt=chances["ektp-rusak"] - 0.001,
    )
    assert Matcher(FAQ, trusting, examples=taught).match("ganti ktp").entry.id == "ektp-rusak"


def test_an_entry_the_examples_never_named_is_never_held_back():
    # Citizens' "ganti ktp" meant a lost card, and the model all but rules out the damaged-
    # card entry; but no example names that entry (added after the examples were
    # labelled, say): the model knows it from its phrasings only and leaves its answers be.
    taught = (*TAUGHT, *[Example(f"ganti ktp ilang {w}", "ektp-hilang") for w in "abcdef"])
    doubting = Settings(min_examples=1, taught_examples=1, answer_doubt=0.99)
    assert Matcher(FAQ, doubting, examples=taught).match("ganti ktp").entry.id == "ektp-rusak"
    taught += tuple(Example(f"ktp patah {w}", "ektp-rusak") for w in "ab")
    assert isinstance(Matcher(FAQ, doubting, examples=taught).match("ganti ktp"), Clarify)


def test_a_model_given_is_reused_not_trained_again(monkeypatch):
    # The console's try-it builds a matcher for every draft: it reuses the serving model.
    serving = Matcher(FAQ, SETTINGS, examples=tuple(TAUGHT))
    monkeypatch.setattr(examples, "train", lambda *_: pytest.fail("trained again"))
    draft = Matcher(FAQ, SETTINGS, examples=tuple(TAUGHT), model=serving.model)
    assert draft.model is serving.model
    assert draft.match("bikin ktp").entry.id == "ektp-rekam"


def test_training_in_parallel_learns_what_one_thread_learns(monkeypatch):
    # fit() trains one binary model per label in parallel threads; the seeds are drawn
    # before, so the model is the one a single thread makes.
    texts = [["ktp", "hilang"], ["ktp", "rusak"], ["kk", "baru"], ["wifi"], ["akta", "lahir"]]
    labels = ["a", "b", "c", "d", "e"]
    _, parallel = examples.fit(texts * 4, labels * 4)
    monkeypatch.setattr(examples, "THREADS", None)
    _, alone = examples.fit(texts * 4, labels * 4)
    assert parallel.n_jobs == -1 and alone.n_jobs is None
    assert np.array_equal(parallel.coef_, alone.coef_)
    assert np.array_equal(parallel.intercept_, alone.intercept_)
