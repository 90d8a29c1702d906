"""`faq check`: every rule on a small bad FAQ, the report shapes, and the exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot import faqcheck
from bot import matcher as matching
from bot.app import create_app
from bot.knowledge import ERROR, WARNING

from .test_knowledge import SHIPPED, entry_yaml, write

BIAYA = entry_yaml("biaya", ["bayar berapa buat ktp", "ktp gratis kan"], source="UU 24/2013")
PUNGLI = entry_yaml(
    "lapor-pungli", ["mau lapor pungli", "ada oknum minta uang"], action="report_pungli", source="x"
)
GOOD = "entries:\n" + BIAYA + PUNGLI


def check(folder: Path, **kwargs) -> faqcheck.Report:
    kwargs.setdefault("today", dt.date(2026, 1, 1))
    return faqcheck.check(folder, **kwargs)


def only_error(report: faqcheck.Report):
    assert len(report.errors) == 1, [str(p) for p in report.problems]
    assert not report.ok()
    return report.errors[0]


def test_a_good_folder_has_no_problem(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    report = check(tmp_path, menu_ids=["biaya", "lapor-pungli"])
    assert report.problems == ()
    assert report.ok() and report.entries == 2


# One small bad folder per rule: (files, file, line or None, words in the message).
RULES = {
    "syntax": ({"a.yaml": GOOD, "b.yaml": "entries:\n  - id: [x\n"}, "b.yaml", 3, "YAML tidak"),
    "unknown-key": ({"a.yaml": GOOD + "    sumber: x\n"}, "a.yaml", 17, "kunci tidak dikenal"),
    "missing-field": (
        {"a.yaml": GOOD + "  - id: kia\n    question: KIA?\n    variants: [bikin kia]\n"},
        "a.yaml",
        17,
        "kolom wajib kosong atau tidak ada: answer",
    ),
    "wrong-type": (
        {"a.yaml": "entries:\n" + entry_yaml("kia", variants=[1, 2])},
        "a.yaml",
        4,
        "'variants' harus berupa daftar teks",
    ),
    "duplicate-id": (
        {"a.yaml": GOOD, "b.yaml": "entries:\n" + entry_yaml("biaya", ["berapo duit"])},
        "b.yaml",
        2,
        "id ganda: juga di a.yaml:2",
    ),
    "shared-variant": (
        {"a.yaml": GOOD, "b.yaml": "entries:\n" + entry_yaml("kia", ["KTP gratis kan"])},
        "b.yaml",
        2,
        "juga ada di entri biaya",
    ),
    "answer-too-long": (
        {"a.yaml": "entries:\n" + entry_yaml("kia", answer="x" * 1001)},
        "a.yaml",
        7,
        "jawaban terlalu panjang: 1001",
    ),
    "bad-action": (
        {"a.yaml": "entries:\n" + entry_yaml("kia", action="telepon")},
        "a.yaml",
        8,
        "action tidak dikenal: telepon",
    ),
    "bad-placeholder": (
        {"a.yaml": "entries:\n" + entry_yaml("kia", answer="Alamat: {office_adress}")},
        "a.yaml",
        7,
        "placeholder tidak dikenal: {office_adress}",
    ),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_reports_one_error_with_file_and_line(tmp_path, rule):
    files, file, line, words = RULES[rule]
    for name, text in files.items():
        write(tmp_path, name, text)
    problem = only_error(check(tmp_path))
    assert problem.file == file
    assert problem.line == line
    assert words in problem.message


def test_a_menu_item_naming_a_missing_id_is_an_error(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    problem = only_error(check(tmp_path, menu_ids=["biaya", "ektp-rekam"]))
    assert problem.file == "config.yaml" and problem.entry_id == "ektp-rekam"
    assert "menu ke-2" in problem.message


def test_a_menu_item_naming_a_retired_entry_is_an_error(tmp_path):
    write(tmp_path, "a.yaml", GOOD + entry_yaml("lama", ["kuno"], retired=True))
    problem = only_error(check(tmp_path, menu_ids=["lama"]))
    assert problem.entry_id == "lama"


class RoutesToFirst:
    """A matcher that answers every message with the first entry (a badly tuned matcher)."""

    def __init__(self, faq, settings=None):
        self.faq = faq

    def match(self, text):
        first = self.faq.entries[0]
        candidate = matching.Candidate(first, 90.0, "uji")
        return matching.Answer(candidate, (candidate,))


def test_a_variant_the_matcher_sends_to_another_entry_is_an_error(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    report = check(tmp_path, make_matcher=RoutesToFirst)
    assert report.errors and not report.ok()
    assert {p.entry_id for p in report.errors} == {"lapor-pungli"}
    assert len(report.errors) == 3  # the question and both variants
    assert "dijawab oleh entri biaya" in report.errors[0].message


def test_the_real_matcher_runs_over_every_variant(tmp_path, monkeypatch):
    asked = []
    real = matching.Matcher.match
    monkeypatch.setattr(matching.Matcher, "match", lambda self, t: asked.append(t) or real(self, t))
    write(tmp_path, "a.yaml", GOOD)
    check(tmp_path)
    assert sorted(asked) == sorted(
        ["Tanya biaya?", "bayar berapa buat ktp", "ktp gratis kan"]
        + ["Tanya lapor-pungli?", "mau lapor pungli", "ada oknum minta uang"]
    )


def test_a_variant_that_ends_in_a_choice_is_a_warning_not_an_error(tmp_path):
    # Differ only in punctuation: a matcher cannot tell them apart, so it offers both.
    write(tmp_path, "a.yaml", "entries:\n" + entry_yaml("biaya", ["ktp hilang bayar ga"]))
    write(tmp_path, "b.yaml", "entries:\n" + entry_yaml("kia", ["ktp hilang bayar ga?"]))
    report = check(tmp_path)
    assert report.errors == []
    flagged = {p.entry_id for p in report.warnings if p.field == "variants"}
    assert flagged == {"biaya", "kia"}
    assert report.ok() and not report.ok(strict=True)


def test_a_crashing_matcher_is_reported_not_raised(tmp_path):
    class Broken(RoutesToFirst):
        def match(self, text):
            raise RuntimeError("rusak")

    write(tmp_path, "a.yaml", GOOD)
    report = check(tmp_path, make_matcher=Broken)
    assert len(report.errors) == 6
    assert "matcher gagal" in report.errors[0].message


def test_missing_source_and_passed_review_date_are_warnings(tmp_path):
    write(tmp_path, "a.yaml", "entries:\n" + entry_yaml("kia", review_by=dt.date(2025, 12, 31)))
    report = check(tmp_path, today=dt.date(2026, 1, 1))
    assert report.errors == []
    assert {p.field for p in report.warnings} == {"source", "review_by"}


def test_problems_in_one_file_do_not_hide_the_others(tmp_path):
    write(tmp_path, "a.yaml", "entries:\n  - id: [x\n")
    write(tmp_path, "b.yaml", "entries:\n" + entry_yaml("kia", action="telepon"))
    report = check(tmp_path, menu_ids=["tidak-ada"])
    assert {p.file for p in report.errors} == {"a.yaml", "b.yaml", "config.yaml"}


def test_the_shipped_faq_passes_with_the_shipped_menu_and_settings():
    import yaml

    from bot.config import DEFAULT_CONFIG

    config = yaml.safe_load(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    report = faqcheck.check(
        SHIPPED,
        menu_ids=[item["id"] for item in config["menu"]],
        settings=matching.Settings.from_config(config.get("matcher")),
    )
    assert report.errors == [], "\n".join(str(p) for p in report.errors)
    assert report.entries >= 20


# --- the command -----------------------------------------------------------------


@pytest.fixture
def run(tmp_path):
    """Run `faq check` with args through the app's CLI; return (exit code, output)."""

    def invoke(*args: str, menu: list | None = None):
        helpdesk = {"menu": menu} if menu is not None else {}
        app = create_app(
            {
                "TESTING": True,
                "ENV": {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SECRET_KEY": "t"},
                "HELPDESK": helpdesk,
            }
        )
        result = app.test_cli_runner().invoke(args=["faq", "check", *args])
        return result.exit_code, result.output

    return invoke


def test_command_passes_on_the_shipped_faq(run):
    code, output = run()
    assert code == 0, output
    assert "FAQ OK" in output and "0 kesalahan" in output


def test_command_fails_and_names_file_and_line(run, tmp_path):
    folder = tmp_path / "faq"
    write(folder, "a.yaml", GOOD + "    sumber: x\n")
    code, output = run("--faq", str(folder), menu=[])
    assert code == 1
    assert "a.yaml:17 [lapor-pungli]: kunci tidak dikenal: sumber" in output
    assert "FAQ GAGAL" in output


def test_command_checks_the_configured_menu(run, tmp_path):
    folder = tmp_path / "faq"
    write(folder, "a.yaml", GOOD)
    code, output = run("--faq", str(folder), menu=[{"id": "ektp-rekam", "label": "KTP"}])
    assert code == 1
    assert "ektp-rekam" in output


def test_command_json_shape(run, tmp_path):
    folder = tmp_path / "faq"
    write(folder, "a.yaml", GOOD)
    write(folder, "b.yaml", "entries:\n" + entry_yaml("kia", action="telepon", source="x"))
    code, output = run("--faq", str(folder), "--json", menu=[])
    assert code == 1
    report = json.loads(output)
    assert set(report) == {"ok", "folder", "entries", "errors", "warnings", "problems"}
    assert (report["ok"], report["entries"], report["errors"]) == (False, 2, 1)
    [problem] = report["problems"]
    assert problem == {
        "file": "b.yaml",
        "line": 8,
        "severity": ERROR,
        "entry_id": "kia",
        "field": "action",
        "message": problem["message"],
    }
    assert "telepon" in problem["message"]


def test_command_json_on_the_shipped_faq_is_ok(run):
    code, output = run("--json")
    assert code == 0
    assert json.loads(output)["ok"] is True


def test_warnings_pass_unless_strict(run, tmp_path):
    folder = tmp_path / "faq"
    write(folder, "a.yaml", "entries:\n" + entry_yaml("kia"))  # no source: a warning
    code, output = run("--faq", str(folder), menu=[])
    assert code == 0 and "peringatan" in output
    code, output = run("--faq", str(folder), "--strict", "--json", menu=[])
    assert code == 1
    assert json.loads(output)["problems"][0]["severity"] == WARNING
