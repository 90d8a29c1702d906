"""Every process picks up FAQ changes without a restart, and never serves a half-written file:
a save in one process reaches another process (a real subprocess, and a second app on the
same database); a partial direct write keeps the last good FAQ; a file still being
written is left alone until it settles; two quick saves of one size are still seen."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot import faq_editing
from bot import matcher as matching
from bot.app import create_app
from bot.library import Library
from tests.conftest import PUBLIC, TOKEN, citizen_says

ROOT = Path(__file__).resolve().parents[1]

FAQ = """\
# Two entries are enough to see a reload.
entries:
  - id: biaya
    question: Berapa biaya bikin KTP?
    variants:
      - bayar berapa buat ktp
      - ktp gratis kan
    answer: |
      Semua layanan adminduk GRATIS.
    source: UU 24/2013 Pasal 79A

  - id: jam-layanan
    question: Jam berapa kantor buka?
    variants:
      - kantor buka jam berapa
      - jam pelayanan dukcapil
    answer: Kantor buka pagi.
    source: kantor
"""

NEW_ANSWER = "Gratis tanpa kecuali, jangan bayar siapa pun."


def wait_for(condition, attempts: int = 100, pause: float = 0.1):
    """Return condition()'s first truthy value, trying a bounded number of times."""
    for _ in range(attempts):
        value = condition()
        if value:
            return value
        time.sleep(pause)
    return condition()


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "faq"
    folder.mkdir()
    (folder / "topik.yaml").write_text(FAQ, encoding="utf-8")
    return folder


def save_answer(folder: Path, answer: str = NEW_ANSWER) -> None:
    """Save a new answer for `biaya` the way the console does."""
    block = faq_editing.find(folder, "biaya")
    values = {**faq_editing.form_values(block.data), "answer": answer}
    data, _ = faq_editing.parse_form(values)
    result = faq_editing.save(
        folder,
        lambda f: faq_editing.plan_edit(f, "biaya", data, block.version),
        settings=matching.Settings(),
    )
    assert result.saved


# ---------------------------------------------------------------- across processes

READER = """
import sys
from bot import matcher as matching
from bot.library import Library

library = Library(sys.argv[1], matching.Settings(), reload_seconds=0.1, settle_seconds=0.2)
for line in sys.stdin:
    entry = library.faq.get(line.strip())
    print(entry.answer.strip() if entry else "-", flush=True)
"""


def test_a_save_reaches_another_running_process_without_a_restart(folder):
    process = subprocess.Popen(
        [sys.executable, "-c", READER, str(folder)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def ask() -> str:
        process.stdin.write("biaya\n")
        process.stdin.flush()
        return process.stdout.readline().strip()

    try:
        assert ask() == "Semua layanan adminduk GRATIS."
        save_answer(folder)
        seen = wait_for(lambda: ask() == NEW_ANSWER)
    finally:
        process.stdin.close()
        process.kill()
        process.wait(timeout=10)
    assert seen


def test_a_second_web_process_answers_citizens_with_the_saved_answer(database_url, folder):
    def make_app():
        return create_app(
            {
                "TESTING": True,
                "HELPDESK": {
                    "faq": {"folder": str(folder), "reload_seconds": 0.1, "settle_seconds": 0.2}
                },
                "ENV": {
                    "DATABASE_URL": database_url,
                    "SECRET_KEY": "test-secret",
                    "TWILIO_AUTH_TOKEN": TOKEN,
                    "PUBLIC_BASE_URL": PUBLIC,
                },
            }
        )

    first, second = make_app(), make_app()
    try:
        library = second.extensions["helpdesk"].library
        assert library.faq.get("biaya").answer.startswith("Semua layanan")
        save_answer(folder)  # as the editor's process does
        assert wait_for(lambda: library.faq.get("biaya").answer == NEW_ANSWER)
        reply = citizen_says(second.test_client(), "bayar berapa buat ktp").get_data(as_text=True)
        assert NEW_ANSWER in reply
    finally:
        for app in (first, second):
            app.extensions["helpdesk"].store.dispose()


# ---------------------------------------------------------------- half-written files


def test_a_partial_direct_write_keeps_the_last_good_faq(folder):
    library = Library(folder, matching.Settings(), reload_seconds=0)
    path = folder / "topik.yaml"
    full = FAQ.replace("Semua layanan adminduk GRATIS.", NEW_ANSWER)
    partial = full[: full.index("    answer: |")]  # cut inside the first entry
    path.write_text(partial, encoding="utf-8")
    bump(path)
    assert library.faq.get("biaya").answer == "Semua layanan adminduk GRATIS."
    assert library.faq.get("jam-layanan") is not None  # nothing is lost either
    assert any(p.field == "answer" for p in library.errors)

    path.write_text(full, encoding="utf-8")  # the write completes
    bump(path)
    assert library.faq.get("biaya").answer == NEW_ANSWER
    assert library.errors == []


def test_a_file_still_being_written_is_not_read_until_it_settles(folder):
    library = Library(folder, matching.Settings(), reload_seconds=0, settle_seconds=3600)
    path = folder / "topik.yaml"
    # Cut between entries: valid YAML that would silently drop an entry if served now.
    path.write_text(FAQ[: FAQ.index("\n  - id: jam-layanan")] + "\n", encoding="utf-8")
    assert library.faq.get("jam-layanan") is not None
    assert library.reloads == 1
    hour_ago = time.time() - 3601
    os.utime(path, (hour_ago, hour_ago))  # the writer is long done
    assert library.faq.get("jam-layanan") is None
    assert library.reloads == 2


def test_two_quick_saves_of_the_same_size_are_both_seen(folder):
    library = Library(folder, matching.Settings(), reload_seconds=0)
    path = folder / "topik.yaml"
    save_answer(folder, "Jawaban A.")
    assert library.faq.get("biaya").answer == "Jawaban A."
    stat = path.stat()
    save_answer(folder, "Jawaban B.")  # same size, and (forced here) the same mtime
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert library.faq.get("biaya").answer == "Jawaban B."


def test_saves_replace_the_file_and_leave_nothing_else_in_the_folder(folder):
    inode = (folder / "topik.yaml").stat().st_ino
    save_answer(folder)
    assert (folder / "topik.yaml").stat().st_ino != inode  # renamed into place, not rewritten
    assert [p.name for p in folder.iterdir()] == ["topik.yaml"]


def bump(path: Path) -> None:
    """Move a file's mtime forward, so a rewrite is seen even within one clock tick."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
