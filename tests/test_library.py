"""A bad FAQ never takes the bot down: the Library keeps serving the last good one."""

from __future__ import annotations

import logging
import os
import threading

import pytest

from bot import knowledge
from bot import library as library_module
from bot import matcher as matching
from bot.app import create_app
from bot.library import Library

from .conftest import PUBLIC, TOKEN
from .test_faq_editor_reload import wait_for
from .test_knowledge import GOOD, entry_yaml, write

BROKEN = "entries:\n  - id: biaya\n    question: apa: ini\n"  # YAML error on line 3


def touch_later(path) -> None:
    """Move a file's mtime forward, so a rewrite is seen even within one clock tick."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def library(folder, reload_seconds=0.0) -> Library:
    return Library(folder, matching.Settings(), reload_seconds=reload_seconds)


def test_a_good_folder_loads_with_no_errors(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    lib = library(tmp_path)
    assert lib.errors == []
    assert len(lib.faq) == 1
    assert lib.matcher.match("bayar berapa buat ktp").outcome == "answer"


def test_broken_at_start_up_serves_an_empty_faq_and_reports_why(tmp_path, caplog):
    write(tmp_path, "a.yaml", BROKEN)
    with caplog.at_level(logging.ERROR, logger="bot.library"):
        lib = library(tmp_path)
    assert len(lib.faq) == 0  # does not raise: every message goes to an officer
    assert lib.matcher.match("bayar berapa buat ktp").outcome == "escalate"
    [problem] = lib.errors
    assert problem.file == "a.yaml" and problem.line == 3
    assert "a.yaml:3" in caplog.text


def test_a_missing_folder_at_start_up_is_reported_not_raised(tmp_path):
    lib = library(tmp_path / "tidak-ada")
    assert len(lib.faq) == 0
    assert "tidak ditemukan" in lib.errors[0].message


def test_a_broken_edit_keeps_the_last_good_faq_serving(tmp_path, caplog):
    path = write(tmp_path, "a.yaml", GOOD)
    lib = library(tmp_path)
    good = lib.faq
    path.write_text(BROKEN, encoding="utf-8")
    touch_later(path)
    with caplog.at_level(logging.ERROR, logger="bot.library"):
        served = lib.faq
    assert served.entries == good.entries
    assert lib.matcher.match("bayar berapa buat ktp").entry.id == "biaya"
    assert lib.errors and lib.errors[0].file == "a.yaml"
    assert "last good" in caplog.text


def test_a_fixed_file_is_picked_up_and_clears_the_errors(tmp_path):
    path = write(tmp_path, "a.yaml", BROKEN)
    lib = library(tmp_path)
    assert lib.errors
    path.write_text(GOOD + entry_yaml("kia", ["bikin kia"]), encoding="utf-8")
    touch_later(path)
    assert {e.id for e in lib.faq.entries} == {"biaya", "kia"}
    assert lib.errors == []
    assert lib.matcher.match("bikin kia").entry.id == "kia"


def test_new_examples_are_learnt_without_a_faq_edit(tmp_path):
    write(tmp_path, "a.yaml", GOOD + entry_yaml("kia", ["bikin kia"]))
    settings = matching.Settings(examples=("*_cases.yaml",), min_examples=2)
    lib = Library(tmp_path, settings, reload_seconds=0.0)
    assert lib.matcher.model is None
    path = write(tmp_path, "dev_cases.yaml", "- {text: kia gratis ga, expect: biaya}\n")
    path.write_text(path.read_text() + "- {text: kia anak, expect: kia}\n", encoding="utf-8")
    touch_later(path)
    assert lib.matcher.examples == 2 and lib.matcher.model is not None


def test_a_new_broken_file_beside_good_ones_does_not_replace_the_faq(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    lib = library(tmp_path)
    write(tmp_path, "b.yaml", "entries:\n" + entry_yaml("biaya", ["lain"]))  # duplicate id
    assert [e.id for e in lib.faq.entries] == ["biaya"]
    assert "id ganda" in lib.errors[0].message


def test_the_same_broken_files_are_not_parsed_again_at_every_check(tmp_path, monkeypatch):
    path = write(tmp_path, "a.yaml", GOOD)
    lib = library(tmp_path)
    path.write_text(BROKEN, encoding="utf-8")
    touch_later(path)
    calls = []
    real = knowledge.load_faq
    monkeypatch.setattr(knowledge, "load_faq", lambda folder: calls.append(folder) or real(folder))
    for _ in range(5):
        assert len(lib.faq) == 1
    assert len(calls) == 1


def test_checks_wait_for_the_reload_interval(tmp_path):
    path = write(tmp_path, "a.yaml", GOOD)
    lib = library(tmp_path, reload_seconds=3600)
    assert len(lib.faq) == 1  # the first look checks the folder, then not for an hour
    path.write_text(BROKEN, encoding="utf-8")
    touch_later(path)
    assert len(lib.faq) == 1 and lib.errors == []
    assert lib.reload() is False
    assert lib.errors


@pytest.mark.parametrize("problem", [BROKEN, "entries:\n" + entry_yaml("kia", action="x")])
def test_health_sees_errors_and_entry_count(tmp_path, problem):
    # What /healthz reads: library.errors and len(library.faq).
    write(tmp_path, "a.yaml", GOOD)
    lib = library(tmp_path)
    write(tmp_path, "b.yaml", problem)
    assert (len(lib.faq), bool(lib.errors)) == (1, True)
    assert all(isinstance(p, knowledge.Problem) for p in lib.errors)


def test_a_change_loads_in_the_background_while_the_last_faq_answers(tmp_path, monkeypatch):
    # Loading trains the second opinion (seconds): with `background`, the message that
    # notices a change is answered at once from the last FAQ, and one load runs at a time.
    path = write(tmp_path, "a.yaml", GOOD)
    lib = Library(tmp_path, matching.Settings(), reload_seconds=0.0, background=True)
    old = lib.snapshot
    started, release = threading.Event(), threading.Event()
    builds = []
    real = matching.Matcher

    def slow_matcher(*args, **kwargs):
        builds.append(1)
        started.set()
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(library_module.matching, "Matcher", slow_matcher)
    path.write_text(GOOD.replace("bayar berapa buat ktp", "ongkos bikin ktp"), encoding="utf-8")
    touch_later(path)
    assert lib.snapshot is old  # answered at once, from the last FAQ
    assert started.wait(10)
    for _ in range(5):
        assert lib.snapshot is old and lib.matcher.match("bayar berapa buat ktp")
    release.set()
    assert wait_for(lambda: lib.snapshot is not old)
    assert "ongkos bikin ktp" in lib.faq.get("biaya").variants
    for thread in threading.enumerate():
        if thread.name == "faq-reload":
            thread.join(10)
    assert builds == [1] and lib.reloads == 2  # one load, however often it was asked


def test_the_app_loads_faq_changes_in_the_background_unless_configured_not_to(app, database_url):
    assert app.extensions["helpdesk"].library.background is True  # config.yaml
    other = create_app(
        {
            "TESTING": True,
            "HELPDESK": {"faq": {"reload_in_background": False}},
            "ENV": {"DATABASE_URL": database_url, "SECRET_KEY": "x", "TWILIO_AUTH_TOKEN": TOKEN,
                    "PUBLIC_BASE_URL": PUBLIC},
        }
    )  # fmt: skip
    try:
        assert other.extensions["helpdesk"].library.background is False
    finally:
        other.extensions["helpdesk"].store.dispose()


def test_a_lazy_library_loads_once_when_first_asked_however_many_threads_ask(tmp_path, monkeypatch):
    write(tmp_path, "a.yaml", GOOD)
    builds = []
    real = matching.Matcher

    def slow_matcher(*args, **kwargs):
        builds.append(1)
        threading.Event().wait(0.2)  # a training's worth of time for the others to ask
        return real(*args, **kwargs)

    monkeypatch.setattr(library_module.matching, "Matcher", slow_matcher)
    lib = Library(tmp_path, matching.Settings(), reload_seconds=60, load=False)
    assert builds == [] and lib.reloads == 0  # nothing read yet
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(lib.matcher.match("bayar berapa buat ktp")))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [a.outcome for a in answers] == ["answer"] * 4
    assert builds == [1] and lib.reloads == 1
    lib.load()  # already loaded: nothing more
    assert builds == [1]
